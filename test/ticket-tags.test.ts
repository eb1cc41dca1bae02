import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * A ticket's tags (Zendesk's Tags API; docs/api.md "Tickets"): read, set, added to and removed
 * from, each change an update of the ticket (its audit, its policy), refused as an update is.
 */

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let light: { email: string; token: string };
let id: number;

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "tagsa");
  b = await buildTenant(t, "tagsb");
  const u = await buildUser(t, a, "light-agent", "Lisa Light");
  light = { email: u.email, token: u.token ?? "" };
  const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Tagged", comment: { body: "b" }, tags: ["billing", "vip"] } });
  expect(r.status, r.text).toBe(201);
  id = r.body.ticket.id;
  // Tenant B has a ticket of the same public id.
  for (let i = 0; i < id; i++) await b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "B", comment: { body: "b" }, tags: ["b_only"] } });
});
afterAll(async () => t?.close());

const tagsOf = async (tenant = a) => (await tenant.api("GET", `/api/v2/tickets/${id}/tags.json`)).body.tags as string[];

describe("a ticket's tags", () => {
  it("reads, adds, removes and sets them, each change a ticket update with its audit", async () => {
    expect((await tagsOf()).sort()).toEqual(["billing", "vip"]);
    const added = await a.api("PUT", `/api/v2/tickets/${id}/tags.json`, { tags: ["Urgent", "vip"] });
    expect(added.status, added.text).toBe(200);
    expect([...added.body.tags].sort()).toEqual(["billing", "urgent", "vip"]);
    const removed = await a.api("DELETE", `/api/v2/tickets/${id}/tags.json`, { tags: ["billing", "not_there"] });
    expect(removed.status, removed.text).toBe(200);
    expect([...removed.body.tags].sort()).toEqual(["urgent", "vip"]);
    const set = await a.api("POST", `/api/v2/tickets/${id}/tags.json`, { tags: ["fresh"] });
    expect(set.status, set.text).toBe(201); // as Zendesk's Set Tags answers
    expect(set.body.tags).toEqual(["fresh"]);
    expect((await a.api("GET", `/api/v2/tickets/${id}.json`)).body.ticket.tags).toEqual(["fresh"]);
    const audits = (await a.api("GET", `/api/v2/tickets/${id}/audits.json`)).body.audits as Array<{ events: Array<{ field_name?: string }> }>;
    expect(audits.filter((x) => x.events.some((e) => e.field_name === "tags")).length).toBeGreaterThanOrEqual(3);
    // Tenant B's ticket of the same id kept its own.
    expect(await tagsOf(b)).toEqual(["b_only"]);
  });

  it("refuses bad tags and bodies with a 4xx and changes nothing", async () => {
    const before = await tagsOf();
    for (const body of [{ tags: "fresh" }, { tags: ["a b"] }, { tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }, { tags: ["x"], extra: 1 }, {}]) {
      const r = await a.api("PUT", `/api/v2/tickets/${id}/tags.json`, body);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(body)).toBeLessThan(500);
    }
    expect(await tagsOf()).toEqual(before);
  });

  it("lets a light agent read tags but not change them, and answers 404 for nobody's ticket", async () => {
    expect((await a.api("GET", `/api/v2/tickets/${id}/tags.json`, undefined, light)).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${id}/tags.json`, { tags: ["light"] }, light)).status).toBe(403);
    expect((await a.api("GET", "/api/v2/tickets/999999/tags.json")).status).toBe(404);
    expect((await a.api("POST", "/api/v2/tickets/999999/tags.json", { tags: ["x"] })).status).toBe(404);
  });
});
