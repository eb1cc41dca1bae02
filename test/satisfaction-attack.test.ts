import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Attacks on satisfaction ratings over real HTTP: who may rate and read a comment, a requester
 * changed after a rating, legal holds and erasure, forged headers, bad queries, races.
 */

type Json = Record<string, any>;
type As = { email: string; token: string };

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent: As & { id: number };
let light: As & { id: number };
let requester: As & { id: number };
let other: As & { id: number };

async function ok<T = Json>(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const rate = (id: number, rating: Json, who: As = requester, tenant = a) => tenant.api("POST", `/api/v2/tickets/${id}/satisfaction_rating.json`, { satisfaction_rating: rating }, who);
async function solved(fields: Json = {}, who = requester): Promise<number> {
  const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Csat attack", comment: { body: "body" }, requester_id: who.id, ...fields } }), 201)).ticket.id;
  await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "solved" } }));
  return id;
}

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "csatk");
  b = await buildTenant(t, "csatkb");
  const ag = await buildUser(t, a, "agent", "Agent A");
  agent = { email: ag.email, token: ag.token!, id: ag.id };
  const la = await buildUser(t, a, "light-agent", "Light L");
  light = { email: la.email, token: la.token!, id: la.id };
  const endUser = async (name: string) => {
    const u = await buildUser(t, a, "end-user", name);
    return { email: u.email, token: await createTokenFor(t, a, u.id), id: u.id };
  };
  requester = await endUser("Rita");
  other = await endUser("Bert");
  await ok(a.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: true } }));
});
afterAll(async () => {
  await t?.close();
});

describe("rating: who and what", () => {
  it("does not show the previous requester's comment to a new requester after a requester change", async () => {
    const id = await solved();
    await ok(rate(id, { score: "bad", comment: "zqxprivate words of Rita" }));
    await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { requester_id: other.id } }));
    const req = (await ok(a.api("GET", `/api/v2/requests/${id}.json`, undefined, other))).request;
    // Rita's comment is Rita's words (the contract: a person who is not the rater sees the score only).
    expect(JSON.stringify(req)).not.toContain("zqxprivate");
    const mine = await ok(a.api("GET", "/api/v2/requests.json", undefined, other));
    expect(JSON.stringify(mine)).not.toContain("zqxprivate");
    // The new requester sees the score, and rating it makes the rating theirs (one a ticket).
    expect(req.satisfaction_rating).toMatchObject({ score: "bad", comment: null });
    expect(req.can_be_rated_by_me).toBe(true);
    await ok(rate(id, { score: "good", comment: "zqxmine now" }, other));
    expect((await ok(a.api("GET", `/api/v2/requests/${id}.json`, undefined, other))).request.satisfaction_rating).toMatchObject({ score: "good", comment: "zqxmine now" });
    expect(JSON.stringify(await ok(a.api("GET", `/api/v2/tickets/${id}.json`)))).not.toContain("zqxprivate");
  });

  it("does not tell a staff requester can_be_rated_by_me: true when the POST refuses them (403)", async () => {
    const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Agent's own", comment: { body: "b" }, requester_id: agent.id } }, agent), 201)).ticket.id;
    await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "solved" } }));
    const shown = await a.api("GET", `/api/v2/requests/${id}.json`, undefined, agent);
    const posted = await rate(id, { score: "good" }, agent);
    expect(posted.status).toBe(403);
    expect(shown.status, shown.text.slice(0, 200)).toBe(200);
    expect(shown.body.request.can_be_rated_by_me).toBe(false);
  });

  it("a legal hold on a rated ticket keeps its rating: erasing its former requester does not delete it", async () => {
    const u = await buildUser(t, a, "end-user", "Hal Held");
    const held = { email: u.email, token: await createTokenFor(t, a, u.id), id: u.id };
    const id = await solved({}, held);
    await ok(rate(id, { score: "bad", comment: "zqxheld evidence" }, held));
    await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { requester_id: other.id } }));
    await ok(a.api("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type: "ticket", target_id: id, reason: "Litigation" } }), 201);
    await ok(a.api("DELETE", `/api/v2/users/${held.id}.json`));
    const erased = await a.api("DELETE", `/api/v2/deleted_users/${held.id}.json`);
    const left = await t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*) AS n FROM satisfaction_ratings r JOIN tickets x ON x.id = r.ticket_id WHERE x.nice_id = ${id}`.execute(tx.db)).rows[0]!.n));
    // Refused as for any party to a held ticket, and the held ticket keeps its rating.
    expect(erased.status, erased.text.slice(0, 300)).toBe(409);
    expect(left).toBe(1);
  });

  it("the erasure preview counts the ratings the erasure will delete (as the receipt does)", async () => {
    const u = await buildUser(t, a, "end-user", "Pre View");
    const who = { email: u.email, token: await createTokenFor(t, a, u.id), id: u.id };
    const id = await solved({ collaborator_ids: [other.id] }, who);
    await ok(rate(id, { score: "good", comment: "zqxpreview" }, who));
    await ok(a.api("DELETE", `/api/v2/users/${who.id}.json`));
    const preview = await ok(a.api("GET", `/api/v2/deleted_users/${who.id}/erasure_preview.json`));
    expect(JSON.stringify(preview)).toContain('"satisfaction_ratings":1');
  });

  it("refuses to rate a ticket in the trash (404), nothing written", async () => {
    const id = await solved();
    await ok(a.api("DELETE", `/api/v2/tickets/${id}.json`), 204);
    const r = await rate(id, { score: "good", comment: "trash" });
    expect(r.status, r.text).toBe(404);
    const n = await t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*) AS n FROM satisfaction_ratings r JOIN tickets x ON x.id = r.ticket_id WHERE x.nice_id = ${id}`.execute(tx.db)).rows[0]!.n));
    expect(n).toBe(0);
  });

  it("answers a comment with a null byte or lone surrogate with a 4xx, never a 500", async () => {
    const id = await solved();
    for (const comment of ["a\u0000b", "x\ud800y", "<script>alert(1)</script>"]) {
      const r = await rate(id, { score: "good", comment });
      expect(r.status, r.text).toBeLessThan(500);
      if (r.status === 200) expect(r.body.satisfaction_rating.comment).toBe(comment.includes("\u0000") ? expect.anything() : r.body.satisfaction_rating.comment);
    }
  });

  it("refuses anonymous callers, staff API tokens and light agents", async () => {
    const id = await solved();
    expect((await rate(id, { score: "good" }, null as unknown as As)).status).toBe(401);
    expect((await rate(id, { score: "good" }, light)).status).toBe(403);
    expect((await rate(id, { score: "good" }, agent)).status).toBe(403);
  });

  it("another tenant's rating id is 404 for show; nothing in the list", async () => {
    const id = await solved();
    const r = (await ok(rate(id, { score: "good", comment: "zqxtenantA" }))).satisfaction_rating;
    expect((await b.api("GET", `/api/v2/satisfaction_ratings/${r.id}.json`)).status).toBe(404);
    const list = await ok(b.api("GET", "/api/v2/satisfaction_ratings.json"));
    expect(JSON.stringify(list)).not.toContain("zqxtenantA");
    const s = await ok(b.api("GET", "/api/v2/satisfaction_ratings/summary.json"));
    expect(s.satisfaction_summary.good + s.satisfaction_summary.bad).toBe(0);
  });

  it("takes the url from configuration, never from Host/X-Forwarded-Host", async () => {
    const id = await solved();
    const r = await t.request({ method: "POST", path: `/api/v2/tickets/${id}/satisfaction_rating.json`, host: a.host, headers: { authorization: "Basic " + Buffer.from(`${requester.email}/token:${requester.token}`).toString("base64"), "x-forwarded-host": "evil.test" }, body: { satisfaction_rating: { score: "good" } } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.satisfaction_rating.url).not.toContain("evil");
  });
});

describe("reading: garbage queries", () => {
  const bad = [
    "score[]=good", "score=good&score=bad", "start_time=-1", "start_time=1e400", "start_time=NaN", "end_time=99999999999999999999",
    "start_time[]=1", "page[size]=100000", "page[size]=-1", "page[after]=garbage", "page[after]=" + Buffer.from(JSON.stringify({ o: 1, k: "99999999999999999" })).toString("base64url"),
    "page[after]=" + Buffer.from(JSON.stringify({ o: 1, k: "-99999999999999999" })).toString("base64url"), "page=99999999999", "per_page=99999999", "page=-1", "sort_order=sideways", "score=received_with_commentx",
  ];
  it.each(bad)("GET /satisfaction_ratings?%s is never a 500", async (q) => {
    const r = await a.api("GET", `/api/v2/satisfaction_ratings.json?${q}`);
    expect(r.status, r.text).toBeLessThan(500);
    const s = await a.api("GET", `/api/v2/satisfaction_ratings/summary.json?${q}`);
    expect(s.status, s.text).toBeLessThan(500);
  });
  it("show with a huge / negative / non-numeric id is 4xx", async () => {
    for (const id of ["99999999999999999999", "-1", "abc", "1.5", "0"]) {
      const r = await a.api("GET", `/api/v2/satisfaction_ratings/${id}.json`);
      expect(r.status, `${id} ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
  });
});

describe("at once (run on PostgreSQL)", () => {
  it("two first ratings of one ticket at once leave one rating, no 500", async () => {
    for (let i = 0; i < 3; i++) {
      const id = await solved();
      const rs = await Promise.all([rate(id, { score: "good" }), rate(id, { score: "bad", comment: "c" }), rate(id, { score: "good" })]);
      for (const r of rs) expect(r.status, r.text).toBe(200);
      const n = await t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*) AS n FROM satisfaction_ratings r JOIN tickets x ON x.id = r.ticket_id WHERE x.nice_id = ${id}`.execute(tx.db)).rows[0]!.n));
      expect(n).toBe(1);
    }
  });
});
