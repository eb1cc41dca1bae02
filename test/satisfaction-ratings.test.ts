import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { unzip } from "./support/zip.ts";
import { jobsSettled } from "./support/people.ts";

/**
 * Customer satisfaction ratings (docs/api.md, "Satisfaction ratings") over real HTTP: the
 * requester rates a solved ticket and changes the rating; the refusals in their order; the comment
 * redacted, sealed and never in an audit entry; the rating on the ticket's and the request's JSON
 * in each state; staff lists with filters, pages and the tickets policy's scope; the summary;
 * the solved mail's links; the person's export and erasure.
 */

type Json = Record<string, any>;
type As = { email: string; token: string };

const sent: Array<{ to: string; subject: string; text: string }> = [];
const mailer = { available: true, send: async (m: { to: string; subject: string; text: string }) => void sent.push(m), close: () => undefined };

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent: As & { id: number };
let scoped: As & { id: number };
let requester: As & { id: number };
let colleague: As & { id: number };
let cc: As & { id: number };
let stranger: As & { id: number };
let g1: number;
let g2: number;
let org: number;

async function ok<T = Json>(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const rate = (id: number, rating: Json, who: As = requester) => a.api("POST", `/api/v2/tickets/${id}/satisfaction_rating.json`, { satisfaction_rating: rating }, who);
const setEnabled = (enabled: boolean, tenant = a) => ok(tenant.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled } }));
async function ticket(fields: Json = {}): Promise<number> {
  return (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Printer jam", comment: { body: "The printer jams." }, requester_id: requester.id, ...fields } }), 201)).ticket.id;
}
const setStatus = (id: number, status: string) => ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status } }));
async function solved(fields: Json = {}): Promise<number> {
  const id = await ticket(fields);
  await setStatus(id, "solved");
  return id;
}
const ticketRating = async (id: number, who?: As) => (await ok(a.api("GET", `/api/v2/tickets/${id}.json`, undefined, who))).ticket.satisfaction_rating;

beforeAll(async () => {
  t = await startTestApp({ mailer, env: { VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
  a = await buildTenant(t, "csat");
  b = await buildTenant(t, "csatb");
  const staff = async (name: string) => {
    const u = await buildUser(t, a, "agent", name);
    return { email: u.email, token: u.token!, id: u.id };
  };
  const endUser = async (name: string) => {
    const u = await buildUser(t, a, "end-user", name);
    return { email: u.email, token: await createTokenFor(t, a, u.id), id: u.id };
  };
  agent = await staff("Al Agent");
  scoped = await staff("Gus Grouped");
  requester = await endUser("Rita Requester");
  colleague = await endUser("Cole Colleague");
  cc = await endUser("Cora Copied");
  stranger = await endUser("Stan Stranger");
  g1 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 1" } }), 201)).group.id;
  g2 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 2" } }), 201)).group.id;
  await ok(a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: scoped.id, group_id: g2 } }), 201);
  const role = await ok(a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Within groups", configuration: { ticket_access: "within-groups" } } }), 201);
  await ok(a.api("PUT", `/api/v2/users/${scoped.id}.json`, { user: { custom_role_id: role.custom_role.id } }));
  scoped = { ...scoped, token: await createTokenFor(t, a, scoped.id) };
  org = (await ok(a.api("POST", "/api/v2/organizations.json", { organization: { name: "Acme Rated", shared_tickets: true } }), 201)).organization.id;
  for (const u of [requester, colleague]) await ok(a.api("PUT", `/api/v2/users/${u.id}.json`, { user: { organization_id: org } }));
});
afterAll(async () => {
  await t?.close();
});

describe("the setting", () => {
  it("is off by default; staff read it, admins and owners change it, agents 403, end users 403; audited", async () => {
    const fresh = await buildTenant(t, "csatset");
    expect(await ok(fresh.api("GET", "/api/v2/satisfaction_settings.json"))).toEqual({ satisfaction_settings: { enabled: false } });
    const ag = await buildUser(t, fresh, "agent", "Agent");
    const admin = await buildUser(t, fresh, "admin", "Admin");
    const eu = await buildUser(t, fresh, "end-user", "End");
    const euAs = { email: eu.email, token: await createTokenFor(t, fresh, eu.id) };
    expect((await ok(fresh.api("GET", "/api/v2/satisfaction_settings.json", undefined, { email: ag.email, token: ag.token! }))).satisfaction_settings.enabled).toBe(false);
    expect((await fresh.api("GET", "/api/v2/satisfaction_settings.json", undefined, euAs)).status).toBe(403);
    expect((await fresh.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: true } }, { email: ag.email, token: ag.token! })).status).toBe(403);
    expect((await fresh.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: true } }, euAs)).status).toBe(403);
    expect((await fresh.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: "yes" } })).status).toBe(422);
    expect((await fresh.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: true, extra: 1 } })).status).toBe(422);
    expect(await ok(fresh.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: true } }, { email: admin.email, token: admin.token! }))).toEqual({ satisfaction_settings: { enabled: true } });
    expect((await ok(fresh.api("GET", "/api/v2/satisfaction_settings.json"))).satisfaction_settings.enabled).toBe(true);
    // Another tenant's setting is its own.
    expect((await ok(b.api("GET", "/api/v2/satisfaction_settings.json"))).satisfaction_settings.enabled).toBe(false);
    const logs = await ok(fresh.api("GET", "/api/v2/audit_logs.json?filter[action]=satisfaction_settings.updated"));
    expect(logs.audit_logs.length).toBeGreaterThanOrEqual(1);
  });
});

describe("rating", () => {
  it("lets the requester rate good, then change to bad with a comment (the id stays); the ticket shows each state", async () => {
    await setEnabled(false);
    const id = await ticket();
    expect(await ticketRating(id)).toBeNull();
    await setEnabled(true);
    expect(await ticketRating(id)).toEqual({ score: "unoffered" });
    let req = (await ok(a.api("GET", `/api/v2/requests/${id}.json`, undefined, requester))).request;
    expect(req).toMatchObject({ can_be_rated_by_me: false, satisfaction_rating: { score: "unoffered" } });
    await setStatus(id, "solved");
    expect(await ticketRating(id)).toEqual({ score: "offered" });
    req = (await ok(a.api("GET", `/api/v2/requests/${id}.json`, undefined, requester))).request;
    expect(req).toMatchObject({ can_be_rated_by_me: true, satisfaction_rating: { score: "offered" } });
    const first = (await ok(rate(id, { score: "good" }))).satisfaction_rating;
    expect(first).toMatchObject({ ticket_id: id, requester_id: requester.id, score: "good", comment: null });
    expect(first.url).toBe(`${a.origin}/api/v2/satisfaction_ratings/${first.id}.json`);
    expect(await ticketRating(id)).toEqual({ id: first.id, score: "good", comment: null });
    const second = (await ok(rate(id, { score: "bad", comment: "  Slow answer  " }))).satisfaction_rating;
    expect(second).toMatchObject({ id: first.id, score: "bad", comment: "Slow answer", created_at: first.created_at });
    expect(await ticketRating(id)).toEqual({ id: first.id, score: "bad", comment: "Slow answer" });
    // An empty comment is no comment.
    expect((await ok(rate(id, { score: "bad", comment: "   " }))).satisfaction_rating.comment).toBeNull();
    expect((await ok(rate(id, { score: "bad", comment: "Slow answer" }))).satisfaction_rating.comment).toBe("Slow answer");
    // Lists of tickets carry it too.
    const many = await ok(a.api("GET", `/api/v2/tickets/show_many.json?ids=${id}`));
    expect(many.tickets[0].satisfaction_rating).toEqual({ id: first.id, score: "bad", comment: "Slow answer" });
    // The requester's request shows it; reopened, the rating stays, and can no longer be given until solved again.
    await setStatus(id, "open");
    expect(await ticketRating(id)).toEqual({ id: first.id, score: "bad", comment: "Slow answer" });
    req = (await ok(a.api("GET", `/api/v2/requests/${id}.json`, undefined, requester))).request;
    expect(req).toMatchObject({ can_be_rated_by_me: false, satisfaction_rating: { id: first.id, score: "bad", comment: "Slow answer" } });
    expect((await rate(id, { score: "good" })).body.error).toBe("TicketNotSolved");
    // Turned off: null everywhere again, the rating kept.
    await setEnabled(false);
    expect(await ticketRating(id)).toBeNull();
    await setEnabled(true);
  });

  it("stores a card number in the comment redacted, and the comment sealed", async () => {
    const id = await solved();
    const r = (await ok(rate(id, { score: "bad", comment: "Charged twice on 4111 1111 1111 1111, zqxcsatplain" }))).satisfaction_rating;
    expect(r.comment).not.toContain("4111 1111 1111 1111");
    expect(r.comment).toContain("zqxcsatplain");
    const raw = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ c: Uint8Array }>`SELECT comment_sealed AS c FROM satisfaction_ratings WHERE nice_id = ${r.id}`.execute(tx.db)).rows[0]!.c);
    expect(Buffer.from(raw).toString("latin1")).not.toContain("zqxcsatplain");
  });

  it("counts the comment's characters, not UTF-16 units: 2,000 emoji pass, 2,001 characters are refused (422), nothing written", async () => {
    const id = await solved();
    expect((await ok(rate(id, { score: "good", comment: "😀".repeat(2000) }))).satisfaction_rating.comment).toHaveLength(4000);
    const tooLong = await rate(id, { score: "bad", comment: "x".repeat(2001) });
    expect(tooLong.status, tooLong.text).toBe(422);
    expect((await ticketRating(id)).score).toBe("good");
    for (const body of [{ score: "meh" }, { score: "good", extra: 1 }, {}, { score: "good", comment: 5 }]) expect((await rate(id, body)).status).toBe(422);
    expect((await a.api("POST", `/api/v2/tickets/${id}/satisfaction_rating.json`, { score: "good" }, requester)).status).toBe(422);
  });

  it("refuses in order: 404 unseen or another tenant's, 403 staff and other end users who see it, 422 off / not solved / closed", async () => {
    const id = await solved({ collaborator_ids: [cc.id], organization_id: org });
    expect((await rate(id, { score: "good" }, stranger)).status).toBe(404);
    expect((await rate(999_999, { score: "good" })).status).toBe(404);
    // Another tenant's solved ticket, by an id no ticket of this tenant has.
    const highest = await t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT max(nice_id) AS n FROM tickets`.execute(tx.db)).rows[0]!.n));
    let other = 0;
    while (other <= highest) other = (await ok(b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Elsewhere", comment: { body: "b" }, status: "solved" } }), 201)).ticket.id;
    await setEnabled(true, b);
    expect((await rate(other, { score: "good" })).status).toBe(404);
    expect((await rate(id, { score: "good" }, agent)).status).toBe(403);
    expect((await a.api("POST", `/api/v2/tickets/${id}/satisfaction_rating.json`, { satisfaction_rating: { score: "good" } })).status).toBe(403);
    const ccRate = await rate(id, { score: "good" }, cc);
    expect(ccRate.status, ccRate.text).toBe(403);
    expect((await rate(id, { score: "good" }, colleague)).status).toBe(403);
    // A CC sees the score, not the comment; the requester sees both.
    await ok(rate(id, { score: "bad", comment: "Rita's words" }));
    expect((await ok(a.api("GET", `/api/v2/requests/${id}.json`, undefined, cc))).request).toMatchObject({ can_be_rated_by_me: false, satisfaction_rating: { score: "bad", comment: null } });
    expect((await ok(a.api("GET", `/api/v2/requests/${id}.json`, undefined, requester))).request.satisfaction_rating.comment).toBe("Rita's words");
    await setEnabled(false);
    const off = await rate(id, { score: "good" });
    expect([off.status, off.body.error]).toEqual([422, "SatisfactionRatingsOff"]);
    // Off comes before the ticket's own refusals.
    const openOne = await ticket();
    expect((await rate(openOne, { score: "good" })).body.error).toBe("SatisfactionRatingsOff");
    await setEnabled(true);
    const notSolved = await rate(openOne, { score: "good" });
    expect([notSolved.status, notSolved.body.error]).toEqual([422, "TicketNotSolved"]);
    for (const s of ["pending", "hold"]) {
      await setStatus(openOne, s);
      expect((await rate(openOne, { score: "good" })).body.error).toBe("TicketNotSolved");
    }
    await setStatus(id, "closed");
    const closed = await rate(id, { score: "good" });
    expect([closed.status, closed.body.error]).toEqual([422, "TicketClosed"]);
    expect(await ticketRating(id)).toMatchObject({ score: "bad" });
  });

  it("audits the rating by ticket and score, never the comment", async () => {
    const id = await solved();
    await ok(rate(id, { score: "good", comment: "zqxauditword" }));
    await ok(rate(id, { score: "bad", comment: "zqxauditword" }));
    const created = await ok(a.api("GET", "/api/v2/audit_logs.json?filter[action]=satisfaction_rating.created"));
    const updated = await ok(a.api("GET", "/api/v2/audit_logs.json?filter[action]=satisfaction_rating.updated"));
    const mine = [...created.audit_logs, ...updated.audit_logs].filter((e: Json) => String(e.source_id) === String(id) || JSON.stringify(e).includes(`"${id}"`));
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify([created, updated])).not.toContain("zqxauditword");
  });
});

describe("reading ratings (staff)", () => {
  let r1: Json;
  let r2: Json;
  let r3: Json;
  let from: number;
  beforeAll(async () => {
    const c = await buildTenant(t, "csatlist");
    a = c;
    agent = { ...(await buildUser(t, a, "agent", "Lister")), token: "" } as As & { id: number };
    const lister = await buildUser(t, a, "agent", "Lister");
    agent = { email: lister.email, token: lister.token!, id: lister.id };
    const u = await buildUser(t, a, "end-user", "Rater");
    requester = { email: u.email, token: await createTokenFor(t, a, u.id), id: u.id };
    const sc = await buildUser(t, a, "agent", "Scoped");
    g1 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "One" } }), 201)).group.id;
    g2 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Two" } }), 201)).group.id;
    await ok(a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: sc.id, group_id: g2 } }), 201);
    const role = await ok(a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Within groups", configuration: { ticket_access: "within-groups" } } }), 201);
    await ok(a.api("PUT", `/api/v2/users/${sc.id}.json`, { user: { custom_role_id: role.custom_role.id } }));
    scoped = { email: sc.email, token: await createTokenFor(t, a, sc.id), id: sc.id };
    await setEnabled(true);
    from = Math.floor(Date.now() / 1000) - 1;
    r1 = (await ok(rate(await solved({ group_id: g1, assignee_id: agent.id }), { score: "good" }))).satisfaction_rating;
    r2 = (await ok(rate(await solved({ group_id: g2 }), { score: "bad", comment: "Too slow" }))).satisfaction_rating;
    r3 = (await ok(rate(await solved({ group_id: g1 }), { score: "good", comment: "Kind" }))).satisfaction_rating;
    // One in another tenant.
    await setEnabled(true, b);
  });

  const list = async (q = "", who?: As) => (await ok(a.api("GET", `/api/v2/satisfaction_ratings.json${q}`, undefined, who))).satisfaction_ratings.map((r: Json) => r.id);

  it("lists newest first, filters by score and time; a bad filter is 400", async () => {
    expect(r1).toMatchObject({ assignee_id: agent.id, group_id: g1 });
    expect(await list()).toEqual([r3.id, r2.id, r1.id]);
    expect(await list("?score=received")).toEqual([r3.id, r2.id, r1.id]);
    expect(await list("?score=received_with_comment")).toEqual([r3.id, r2.id]);
    expect(await list("?score=received_without_comment")).toEqual([r1.id]);
    expect(await list("?score=good")).toEqual([r3.id, r1.id]);
    expect(await list("?score=good_with_comment")).toEqual([r3.id]);
    expect(await list("?score=good_without_comment")).toEqual([r1.id]);
    expect(await list("?score=bad")).toEqual([r2.id]);
    expect(await list("?score=bad_with_comment")).toEqual([r2.id]);
    expect(await list("?score=bad_without_comment")).toEqual([]);
    const future = Math.floor(Date.now() / 1000) + 3600;
    expect(await list(`?start_time=${from}`)).toEqual([r3.id, r2.id, r1.id]);
    expect(await list(`?start_time=${future}`)).toEqual([]);
    expect(await list(`?end_time=${from}`)).toEqual([]);
    expect(await list(`?start_time=${from}&end_time=${future}`)).toEqual([r3.id, r2.id, r1.id]);
    const bad = await a.api("GET", "/api/v2/satisfaction_ratings.json?score=great");
    expect([bad.status, bad.body.error]).toEqual([400, "BadRequest"]);
    expect(bad.body.description).toContain("received_with_comment");
    for (const q of ["?start_time=yesterday", "?end_time=-5", "?per_page=101"]) expect((await a.api("GET", `/api/v2/satisfaction_ratings.json${q}`)).status, q).toBe(422);
    const page = await ok(a.api("GET", "/api/v2/satisfaction_ratings.json?per_page=2"));
    expect(page.count).toBe(3);
    expect(page.next_page).toContain("page=2");
    const c1 = await ok(a.api("GET", "/api/v2/satisfaction_ratings.json?page[size]=2"));
    expect(c1.satisfaction_ratings.map((r: Json) => r.id)).toEqual([r3.id, r2.id]);
    expect(c1.meta.has_more).toBe(true);
    const c2 = await ok(a.api("GET", `/api/v2/satisfaction_ratings.json?page[size]=2&page[after]=${c1.meta.after_cursor}`));
    expect(c2.satisfaction_ratings.map((r: Json) => r.id)).toEqual([r1.id]);
    expect(await ok(a.api("GET", `/api/v2/satisfaction_ratings/${r2.id}.json`))).toEqual({ satisfaction_rating: r2 });
  });

  it("shows staff only the ratings of the tickets they may see; end users 403; another tenant's id 404", async () => {
    expect(await list("", scoped)).toEqual([r2.id]);
    expect((await a.api("GET", `/api/v2/satisfaction_ratings/${r1.id}.json`, undefined, scoped)).status).toBe(404);
    expect((await ok(a.api("GET", `/api/v2/satisfaction_ratings/${r2.id}.json`, undefined, scoped))).satisfaction_rating.id).toBe(r2.id);
    expect((await ok(a.api("GET", "/api/v2/satisfaction_ratings/summary.json", undefined, scoped))).satisfaction_summary).toEqual({ good: 0, bad: 1, with_comment: 1, score: 0 });
    expect((await a.api("GET", "/api/v2/satisfaction_ratings.json", undefined, requester)).status).toBe(403);
    expect((await a.api("GET", `/api/v2/satisfaction_ratings/${r1.id}.json`, undefined, requester)).status).toBe(403);
    expect((await a.api("GET", "/api/v2/satisfaction_ratings/summary.json", undefined, requester)).status).toBe(403);
    expect((await b.api("GET", `/api/v2/satisfaction_ratings/${r1.id}.json`)).status).toBe(404);
    expect((await ok(b.api("GET", "/api/v2/satisfaction_ratings.json"))).satisfaction_ratings).toEqual([]);
  });

  it("sums up good, bad and commented ratings with a score, over a time window", async () => {
    expect((await ok(a.api("GET", "/api/v2/satisfaction_ratings/summary.json"))).satisfaction_summary).toEqual({ good: 2, bad: 1, with_comment: 2, score: 67 });
    const future = Math.floor(Date.now() / 1000) + 3600;
    expect((await ok(a.api("GET", `/api/v2/satisfaction_ratings/summary.json?start_time=${future}`))).satisfaction_summary).toEqual({ good: 0, bad: 0, with_comment: 0, score: null });
    expect((await a.api("GET", "/api/v2/satisfaction_ratings/summary.json?start_time=x")).status).toBe(422);
  });

  it("deletes a ticket's rating with the ticket; a ticket in the trash hides its rating", async () => {
    const id = await solved();
    const r = (await ok(rate(id, { score: "good" }))).satisfaction_rating;
    await ok(a.api("DELETE", `/api/v2/tickets/${id}.json`), 204);
    expect((await a.api("GET", `/api/v2/satisfaction_ratings/${r.id}.json`)).status).toBe(404);
    await ok(a.api("DELETE", `/api/v2/deleted_tickets/${id}.json`), 204);
    const left = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM satisfaction_ratings WHERE nice_id = ${r.id}`.execute(tx.db)).rows[0]!.n);
    expect(Number(left)).toBe(0);
  });
});

describe("the solved mail", () => {
  it("invites the requester to rate, with links to the request's page, only when ratings are on", async () => {
    const c = await buildTenant(t, "csatmail");
    const email = `rated-${Date.now()}@${c.subdomain}.test`;
    const open = async () => (await ok(c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Mail me", comment: { body: "Hi" }, requester: { name: "Mia Mail", email } } }), 201)).ticket.id as number;
    const solve = async (id: number) => {
      const since = sent.length;
      await ok(c.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "solved", comment: { body: "Done." } } }));
      await jobsSettled(t, c.tenantId);
      return sent.slice(since).filter((m) => m.to === email && /Solved/.test(m.subject));
    };
    const off = await solve(await open());
    expect(off).toHaveLength(1);
    expect(off[0]!.text).not.toContain("?rate=");
    await setEnabled(true, c);
    const id = await open();
    const on = await solve(id);
    expect(on).toHaveLength(1);
    expect(on[0]!.text).toContain(`${c.origin}/requests/${id}?rate=good`);
    expect(on[0]!.text).toContain(`${c.origin}/requests/${id}?rate=bad`);
    expect(on[0]!.text).toContain("How would you rate the support you received?");
  });
});

describe("privacy", () => {
  it("holds the ratings a person gave in their export, and erasing them deletes the ratings (counted in the receipt)", async () => {
    const c = await buildTenant(t, "csatpriv");
    await setEnabled(true, c);
    const u = await buildUser(t, c, "end-user", "Pia Private");
    const who = { email: u.email, token: await createTokenFor(t, c, u.id) };
    // Another person takes part, so the ticket stays after the erasure (with a pseudonym as its requester).
    const other = await buildUser(t, c, "end-user", "Otto Other");
    const id = (await ok(c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Mine", comment: { body: "x" }, requester_id: u.id, collaborator_ids: [other.id], status: "solved" } }), 201)).ticket.id;
    const r = (await ok(c.api("POST", `/api/v2/tickets/${id}/satisfaction_rating.json`, { satisfaction_rating: { score: "bad", comment: "zqxprivacyword" } }, who))).satisfaction_rating;
    const created = await ok(c.api("POST", `/api/v2/users/${u.id}/data_exports.json`), 202);
    let e: Json;
    for (let i = 0; ; i++) {
      e = (await ok(c.api("GET", `/api/v2/data_exports/${created.data_export.id}.json`))).data_export;
      if (e.status !== "queued" && e.status !== "working") break;
      if (i > 2000) throw new Error("export never finished");
      await new Promise((res) => setTimeout(res, 25));
    }
    expect(e.status).toBe("ready");
    const u2 = new URL(e.download_url);
    const zip = await t.request({ method: "GET", path: u2.pathname + u2.search, host: c.host, headers: { authorization: "Basic " + Buffer.from(`${c.ownerEmail}/token:${c.ownerToken}`).toString("base64") } });
    expect(zip.status).toBe(200);
    const files = await unzip(zip.raw);
    const ratings = JSON.parse(files.get("satisfaction_ratings.json")!.toString("utf8"));
    expect(ratings).toEqual([expect.objectContaining({ id: r.id, ticket_id: id, score: "bad", comment: "zqxprivacyword" })]);
    expect(files.get("satisfaction_ratings.csv")!.toString("utf8")).toContain("zqxprivacyword");

    await ok(c.api("DELETE", `/api/v2/users/${u.id}.json`));
    const receipt = await ok(c.api("DELETE", `/api/v2/deleted_users/${u.id}.json`));
    expect(JSON.stringify(receipt)).toContain('"satisfaction_ratings":1');
    const left = await t.db.tenant(c.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM satisfaction_ratings`.execute(tx.db)).rows[0]!.n);
    expect(Number(left)).toBe(0);
    expect((await ok(c.api("GET", `/api/v2/tickets/${id}.json`))).ticket.satisfaction_rating).toEqual({ score: "offered" });
  });
});
