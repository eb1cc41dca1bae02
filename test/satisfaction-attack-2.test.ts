import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/** More attacks on satisfaction ratings: the comment kept out of logs, restricted staff, the comment sealed at rest. */

type Json = Record<string, any>;
type As = { email: string; token: string };
const lines: string[] = [];

let t: TestApp;
let a: TestTenant;
let requester: As & { id: number };
let assignedOnly: As & { id: number };
let light: As & { id: number };

async function ok<T = Json>(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const rate = (id: number, rating: Json, who: As = requester) => a.api("POST", `/api/v2/tickets/${id}/satisfaction_rating.json`, { satisfaction_rating: rating }, who);
async function solved(fields: Json = {}): Promise<number> {
  const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Csat attack", comment: { body: "body" }, requester_id: requester.id, ...fields } }), 201)).ticket.id;
  await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "solved" } }));
  return id;
}

beforeAll(async () => {
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(chunk.toString("utf8")); cb(); } });
  t = await startTestApp({ logStream: sink });
  a = await buildTenant(t, "csatl");
  const u = await buildUser(t, a, "end-user", "Rita");
  requester = { email: u.email, token: await createTokenFor(t, a, u.id), id: u.id };
  const ag = await buildUser(t, a, "agent", "Assigned Only");
  const role = await ok(a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "AO", configuration: { ticket_access: "assigned-only" } } }), 201);
  await ok(a.api("PUT", `/api/v2/users/${ag.id}.json`, { user: { custom_role_id: role.custom_role.id } }));
  assignedOnly = { email: ag.email, token: await createTokenFor(t, a, ag.id), id: ag.id };
  const la = await buildUser(t, a, "light-agent", "Light");
  light = { email: la.email, token: la.token!, id: la.id };
  await ok(a.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: true } }));
});
afterAll(async () => t?.close());

describe("restricted staff", () => {
  it("an assigned-only agent lists, shows and sums up only ratings of their tickets", async () => {
    const mine = await solved({ assignee_id: assignedOnly.id });
    const notMine = await solved();
    await ok(rate(mine, { score: "good" }));
    const hidden = (await ok(rate(notMine, { score: "bad", comment: "zqxhiddenrating" }))).satisfaction_rating;
    const list = await ok(a.api("GET", "/api/v2/satisfaction_ratings.json?score=received", undefined, assignedOnly));
    expect(list.satisfaction_ratings.map((r: Json) => r.ticket_id)).toEqual([mine]);
    if (list.count !== undefined) expect(list.count).toBe(1);
    expect((await a.api("GET", `/api/v2/satisfaction_ratings/${hidden.id}.json`, undefined, assignedOnly)).status).toBe(404);
    const s = (await ok(a.api("GET", "/api/v2/satisfaction_ratings/summary.json", undefined, assignedOnly))).satisfaction_summary;
    expect([s.good, s.bad, s.with_comment]).toEqual([1, 0, 0]);
    // Reassigning the ticket away takes the rating out of their reach.
    await ok(a.api("PUT", `/api/v2/tickets/${mine}.json`, { ticket: { assignee_id: null } }));
    expect((await ok(a.api("GET", "/api/v2/satisfaction_ratings.json", undefined, assignedOnly))).satisfaction_ratings).toEqual([]);
  });
  it("a light agent reads within their ticket access, never a 500", async () => {
    for (const p of ["/api/v2/satisfaction_ratings.json", "/api/v2/satisfaction_ratings/summary.json", "/api/v2/satisfaction_settings.json"]) {
      const r = await a.api("GET", p, undefined, light);
      expect(r.status, r.text).toBeLessThan(500);
    }
    expect((await a.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: false } }, light)).status).toBe(403);
  });
});

describe("never in logs", () => {
  it("keeps the comment out of the logs, also on refusals and failures", async () => {
    const id = await solved();
    await ok(rate(id, { score: "bad", comment: "zqxlogword one" }));
    await rate(id, { score: "bad", comment: "zqxlogword " + "x".repeat(2001) });
    await rate(id, { score: "meh", comment: "zqxlogword two" });
    await rate(999999, { score: "good", comment: "zqxlogword three" });
    await a.api("POST", `/api/v2/tickets/${id}/satisfaction_rating.json`, '{"satisfaction_rating":{"score":"good","comment":"zqxlogword broken' as unknown as Json, requester);
    await new Promise((r) => setTimeout(r, 200));
    expect(lines.join("\n")).not.toContain("zqxlogword");
  });
});

describe("privacy", () => {
  it("the audit table holds no comment in plaintext; the rating row holds none", async () => {
    const id = await solved();
    await ok(rate(id, { score: "good", comment: "zqxatrest word" }));
    const hits = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*) AS n FROM satisfaction_ratings r WHERE encode(r.comment_sealed, 'escape') LIKE '%zqxatrest%'`.execute(tx.db)).rows[0]!.n);
    expect(Number(hits)).toBe(0);
  });
});
