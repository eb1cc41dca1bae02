import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Views (docs/api.md, "Views"): the edges of their inputs — titles counted in characters, the
 * limit on conditions applied before any of them is looked up, and a new view's default position
 * taken from the views its maker sees.
 */

let t: TestApp;
let a: TestTenant;
let agent: { email: string; token: string; id: number };
const OPEN = { field: "status", operator: "is", value: "open" };

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "viewsedge");
  const u = await buildUser(t, a, "agent", "Edda Agent");
  agent = { email: u.email, token: u.token!, id: u.id };
});
afterAll(async () => t?.close());

describe("view inputs at their edges", () => {
  it("counts a title's length in characters, not UTF-16 code units", async () => {
    const emoji = "😀".repeat(255);
    const made = await a.api("POST", "/api/v2/views.json", { view: { title: emoji, all: [OPEN] } });
    expect(made.status, made.text).toBe(201);
    expect(made.body.view.title).toBe(emoji);
    const put = await a.api("PUT", `/api/v2/views/${made.body.view.id}.json`, { view: { title: "é".repeat(255) } });
    expect(put.status, put.text).toBe(200);
    expect((await a.api("POST", "/api/v2/views.json", { view: { title: "😀".repeat(256), all: [OPEN] } })).status).toBe(422);
    expect((await a.api("POST", "/api/v2/views.json", { view: { title: "a".repeat(256), all: [OPEN] } })).status).toBe(422);
    await a.api("DELETE", `/api/v2/views/${made.body.view.id}.json`);
  });

  it("refuses more than 50 conditions before looking any of them up", async () => {
    // 51 conditions, one of them naming nobody: the answer is the limit, not the missing person.
    const all = [...Array.from({ length: 50 }, () => OPEN), { field: "requester_id", operator: "is", value: 999_999 }];
    const r = await a.api("POST", "/api/v2/views.json", { view: { title: "Too many", all } });
    expect(r.status, r.text).toBe(422);
    expect(Object.keys(r.body.details)).toEqual(["conditions"]);
    expect(r.body.details.conditions[0].description).toMatch(/at most 50/);
    const big = await a.api("POST", "/api/v2/views.json", { view: { title: "Too many", all: Array.from({ length: 200 }, () => ({ field: "requester_id", operator: "is", value: 999_999 })), any: [OPEN] } });
    expect(big.status, big.text).toBe(422);
    expect(Object.keys(big.body.details)).toEqual(["conditions"]);
  });

  it("places a new view after the last one its maker sees, whatever the positions of group views they do not see", async () => {
    const g = (await a.api("POST", "/api/v2/groups.json", { group: { name: "Hidden tier" } })).body.group.id;
    const hidden = await a.api("POST", "/api/v2/views.json", { view: { title: "Hidden tier's", restriction: { type: "Group", id: g }, position: 9_000, all: [OPEN] } });
    expect(hidden.status, hidden.text).toBe(201);
    const shared = await a.api("POST", "/api/v2/views.json", { view: { title: "Everyone's", restriction: null, position: 4, all: [OPEN] } });
    expect(shared.status, shared.text).toBe(201);
    const mine = await a.api("POST", "/api/v2/views.json", { view: { title: "Mine", all: [OPEN] } }, agent);
    expect(mine.status, mine.text).toBe(201);
    expect(mine.body.view.position).toBe(5);
    // The admin sees the group's view: theirs comes after it.
    const admins = await a.api("POST", "/api/v2/views.json", { view: { title: "Admin's", all: [OPEN] } });
    expect(admins.body.view.position).toBe(9_001);
  });
});
