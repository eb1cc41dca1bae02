import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepMacroUsage } from "../src/modules/macros/macros-service.ts";
import { buildTenant, buildUser, startTestApp, waitForJob, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, endUserWithPassword, type Session } from "./support/people.ts";
import { macroUsageRows, makeMacro } from "./support/macros.ts";

/**
 * Macro usage and categories under attack, over real HTTP: who may name which macro in
 * `macro_ids`, who reads a macro's title in a ticket's audits (a personal or a group's macro is
 * named only to those who see it, and its title is not kept in the audit), bad ids refused whole,
 * concurrent writes each counted, the usage table's isolation and the upkeep across accounts.
 */

type As = { email: string; token: string; id: number };
const HOUR = 3_600_000;
let clock = Date.parse("2026-12-07T10:30:00Z");
let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let owner: As;
let peer: As;
let member: As;
let light: As;
let endUser: { id: number; session: Session };
let tk: number;
let shared: number;
let personal: number;
let grouped: number;
let foreign: number;

async function ok<T = any>(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const macro = makeMacro;
const usage = (tenant: TestTenant) => macroUsageRows(t, tenant);
const update = (id: number, ticket: Record<string, unknown>, who?: As) => a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket }, who);
const refs = (events: any[]) => events.filter((e) => e.type === "AgentMacroReference").map((e) => ({ id: e.macro_id, title: e.macro_title, deleted: e.macro_deleted }));
const lastRefs = async (who?: As) => refs((await ok(a.api("GET", `/api/v2/tickets/${tk}/audits.json`, undefined, who))).audits.at(-1).events);

beforeAll(async () => {
  t = await startTestApp({ now: () => new Date(clock) });
  a = await buildTenant(t, "mattack");
  b = await buildTenant(t, "mattackb");
  const mk = async (role: "agent" | "light-agent", name: string) => {
    const u = await buildUser(t, a, role, name);
    return { email: u.email, token: u.token!, id: u.id };
  };
  owner = await mk("agent", "Olga Owner");
  peer = await mk("agent", "Pat Peer");
  member = await mk("agent", "Mo Member");
  light = await mk("light-agent", "Lu Light");
  await ok(a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } }));
  endUser = await endUserWithPassword(t, a, "Eve Customer");
  const group = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 2" } }), 201)).group.id as number;
  await ok(a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: member.id, group_id: group } }), 201);
  shared = await macro(a, "Close and thank", null);
  personal = await macro(a, "Olga::Angry customer of Acme", undefined, owner);
  grouped = await macro(a, "Tier2::Escalate to vendor X", { type: "Group", id: group });
  for (let i = 0; i < 9; i++) await macro(b, `B filler ${i}`, null);
  foreign = await macro(b, "Foreign::Macro", null);
  tk = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Card declined", comment: { body: "Help" }, requester_id: endUser.id } }), 201)).ticket.id;
});
afterAll(async () => t?.close());

describe("who reads a macro's title in a ticket's audits", () => {
  it("names a personal macro to its owner only, and keeps its title out of the audit", async () => {
    const r = await ok(update(tk, { comment: { body: "Calm down", public: false }, macro_ids: [personal, shared] }, owner));
    expect(refs(r.audit.events)).toEqual([{ id: personal, title: "Olga::Angry customer of Acme", deleted: false }, { id: shared, title: "Close and thank", deleted: false }]);
    expect(await lastRefs(owner)).toEqual([{ id: personal, title: "Olga::Angry customer of Acme", deleted: false }, { id: shared, title: "Close and thank", deleted: false }]);
    // Another agent, the admin and a light agent read the ticket's audits: the id, not the title.
    for (const who of [peer, undefined, light]) expect(await lastRefs(who)).toEqual([{ id: personal, title: undefined, deleted: false }, { id: shared, title: "Close and thank", deleted: false }]);
    // The incremental ticket events export (an admin's) does not name it either (read once the audits are past).
    clock = Date.now() + 2 * HOUR;
    const exported = (await ok(a.api("GET", "/api/v2/incremental/ticket_events.json?start_time=0"))).ticket_events as any[];
    const children = exported.flatMap((x) => x.child_events).filter((e) => e.event_type === "AgentMacroReference");
    expect(children.map((e) => [e.macro_id, e.macro_title])).toEqual([[personal, undefined], [shared, "Close and thank"]]);
  });

  it("names a group's macro only to those who see it", async () => {
    await ok(update(tk, { comment: { body: "Escalating", public: false }, macro_ids: [grouped] }, member));
    expect(await lastRefs(member)).toEqual([{ id: grouped, title: "Tier2::Escalate to vendor X", deleted: false }]);
    expect(await lastRefs()).toEqual([{ id: grouped, title: "Tier2::Escalate to vendor X", deleted: false }]);
    expect(await lastRefs(peer)).toEqual([{ id: grouped, title: undefined, deleted: false }]);
    // And one outside the group may not name it.
    const r = await update(tk, { comment: { body: "x", public: false }, macro_ids: [grouped] }, peer);
    expect(r.status, r.text).toBe(422);
  });

  it("says a deleted macro is deleted, and a deleted personal macro's title is gone for everyone", async () => {
    const gone = await macro(a, "Olga::Temporary secret", undefined, owner);
    await ok(update(tk, { comment: { body: "tmp", public: false }, macro_ids: [gone] }, owner));
    await ok(a.api("DELETE", `/api/v2/macros/${gone}.json`, undefined, owner), 204);
    for (const who of [owner, peer, undefined]) expect(await lastRefs(who)).toEqual([{ id: gone, title: undefined, deleted: true }]);
    const doomed = await macro(a, "Shared then deleted", null);
    await ok(update(tk, { comment: { body: "tmp2", public: false }, macro_ids: [doomed] }, owner));
    await ok(a.api("DELETE", `/api/v2/macros/${doomed}.json`), 204);
    // A shared macro's title is the account's: kept, as it was then.
    expect(await lastRefs(peer)).toEqual([{ id: doomed, title: "Shared then deleted", deleted: true }]);
    // Its usage went with it; naming it now is refused.
    expect((await update(tk, { comment: { body: "x", public: false }, macro_ids: [doomed] }, owner)).status).toBe(422);
  });
});

describe("bad macro_ids", () => {
  it("refuses each malformed list with a 4xx, writing nothing", async () => {
    const before = { a: await usage(a), b: await usage(b), ticket: (await ok(a.api("GET", `/api/v2/tickets/${tk}.json`))).ticket };
    const bad: unknown[] = [[-1], [0], [1.5], ["x"], ["-1"], [null], null, "1", 1, [2 ** 53], [Number.MAX_SAFE_INTEGER], [1e308], [shared, foreign], [shared, personal], { 0: shared }, Array.from({ length: 21 }, () => shared)];
    for (const ids of bad) {
      const r = await update(tk, { status: "pending", tags: ["nope"], comment: { body: "Should not land", public: false }, macro_ids: ids }, peer);
      expect(r.status, `${JSON.stringify(ids)}: ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${JSON.stringify(ids)}: ${r.text}`).toBeLessThan(500);
      const made = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "No", comment: { body: "x" }, macro_ids: ids } }, peer);
      expect(made.status, `${JSON.stringify(ids)}: ${made.text}`).toBeGreaterThanOrEqual(400);
      expect(made.status).toBeLessThan(500);
    }
    expect(await usage(a)).toEqual(before.a);
    expect(await usage(b)).toEqual(before.b);
    const after = (await ok(a.api("GET", `/api/v2/tickets/${tk}.json`))).ticket;
    expect([after.status, after.tags, after.updated_at]).toEqual([before.ticket.status, before.ticket.tags, before.ticket.updated_at]);
  });

  it("counts duplicates once, and an update that changes nothing but names a macro once", async () => {
    const before = (await usage(a)).uses;
    await ok(update(tk, { macro_ids: [shared, shared, shared] }, peer));
    expect((await usage(a)).uses).toBe(before + 1);
  });
});

describe("routes that do not take macro_ids", () => {
  it("an end user's request names no macro and counts nothing", async () => {
    const before = await usage(a);
    const eu = (method: string, path: string, body?: unknown) => asSession(t, a, endUser.session, method, path, body);
    const made = await eu("POST", "/api/v2/requests.json", { request: { subject: "Help", comment: { body: "please" }, macro_ids: [shared] } });
    expect(made.status, made.text).toBeLessThan(500);
    const upd = await eu("PUT", `/api/v2/requests/${tk}.json`, { request: { comment: { body: "more" }, macro_ids: [shared] } });
    expect(upd.status, upd.text).toBeLessThan(500);
    expect(await usage(a)).toEqual(before);
    expect(JSON.stringify(made.body)).not.toMatch(/Close and thank/);
  });

  it("a bulk update whose macro goes while it is queued or running counts nothing of it", async () => {
    const mine = await macro(a, "Peer::Soon gone", undefined, peer);
    const job = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${tk}`, { ticket: { macro_ids: [mine], comment: { body: "bulk", public: false } } }, peer);
    expect(job.status, job.text).toBe(200);
    // Deleted before, while or after the job runs: none of its usage outlives it, whichever came first.
    await ok(a.api("DELETE", `/api/v2/macros/${mine}.json`, undefined, peer), 204);
    const done = await waitForJob(a, job.body.job_status.id, peer);
    expect(["completed", "failed"]).toContain(done.status);
    const orphans = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM macro_usage u WHERE NOT EXISTS (SELECT 1 FROM macros m WHERE m.tenant_id = u.tenant_id AND m.id = u.macro_id)`.execute(tx.db)).rows[0]!.n);
    expect(orphans).toBe(0);
  });
});

describe("create_many", () => {
  it("refuses a ticket naming another account's macro or a personal macro of someone else, counting nothing for it", async () => {
    const before = await usage(a);
    const job = await a.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "bulk ok", comment: { body: "x" }, macro_ids: [shared] }, { subject: "bulk foreign", comment: { body: "x" }, macro_ids: [foreign] }, { subject: "bulk personal", comment: { body: "x" }, macro_ids: [personal] }] }, peer);
    expect(job.status, job.text).toBe(200);
    const done = await waitForJob(a, job.body.job_status.id, peer);
    const results = done.results as any[];
    expect(results.map((r) => (r.error ? "error" : "ok"))).toEqual(["ok", "error", "error"]);
    expect(JSON.stringify(done)).not.toMatch(/Angry customer|Foreign::Macro/);
    expect((await usage(a)).uses).toBe(before.uses + 1);
    const subjects = (await ok(a.api("GET", "/api/v2/tickets.json?per_page=100"))).tickets.map((x: any) => x.subject);
    expect(subjects).toContain("bulk ok");
    expect(subjects).not.toContain("bulk foreign");
    expect(subjects).not.toContain("bulk personal");
  });
});

describe("counting and its table", () => {
  it("counts each of concurrent updates naming a macro once", async () => {
    const fresh = await macro(a, "Concurrent", null);
    const n = 6;
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => update(tk, { comment: { body: `c${i}`, public: false }, macro_ids: [fresh] }, peer)));
    const done = rs.filter((r) => r.status === 200).length;
    for (const r of rs) expect([200, 409], r.text).toContain(r.status);
    expect(done).toBeGreaterThan(0);
    expect((await ok(a.api("GET", `/api/v2/macros/${fresh}.json?include=usage_1h`))).macro.usage_1h).toBe(done);
  });

  it("keeps each account's rows to itself (row-level security forced) and the upkeep sweeps every account", async () => {
    const own = await macro(b, "B used", null);
    const btk = (await ok(b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "B", comment: { body: "b" }, macro_ids: [own] } }), 201)).ticket.id as number;
    expect(btk).toBeGreaterThan(0);
    // Another account's usage rows are invisible, and cannot be written, from A's context.
    const seen = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM macro_usage WHERE tenant_id = ${b.tenantId}`.execute(tx.db)).rows[0]!.n);
    expect(seen).toBe(0);
    const forced = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ r: boolean; f: boolean }>`SELECT relrowsecurity AS r, relforcerowsecurity AS f FROM pg_class WHERE relname = 'macro_usage'`.execute(tx.db)).rows[0]!);
    expect(forced).toEqual({ r: true, f: true });
    const macroB = await t.db.tenant(b.tenantId, async (tx) => (await sql<{ id: string }>`SELECT id FROM macros LIMIT 1`.execute(tx.db)).rows[0]!.id);
    await expect(t.db.tenant(a.tenantId, (tx) => sql`INSERT INTO macro_usage (tenant_id, macro_id, hour, uses) VALUES (${b.tenantId}, ${macroB}, now(), 1)`.execute(tx.db))).rejects.toThrow();
    // A's "Other account's macro id" names nothing there.
    expect((await update(tk, { comment: { body: "x", public: false }, macro_ids: [own] }, peer)).status).toBe(422);
    expect((await usage(a)).n).toBeGreaterThan(0);
    expect((await usage(b)).n).toBeGreaterThan(0);
    clock += 31 * 24 * HOUR;
    expect(await sweepMacroUsage({ db: t.db }, new Date(clock))).toBeGreaterThan(0);
    expect([(await usage(a)).n, (await usage(b)).n]).toEqual([0, 0]);
  });
});

describe("scoped tokens", () => {
  it("a read-only token names no macro, nor a write-only one (which may not read macros)", async () => {
    const before = await usage(a);
    const mint = async (scopes: string[]) => ({ email: a.ownerEmail, token: (await ok(a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: scopes.join(" "), scopes } }), 201)).api_token.token as string, id: 0 });
    const reader = await mint(["read"]);
    const r = await update(tk, { comment: { body: "ro", public: false }, macro_ids: [shared] }, reader);
    expect(r.status, r.text).toBe(403);
    expect(await usage(a)).toEqual(before);
    // A write-only token may not read macros: naming them (which tells which exist, and their titles) is refused too.
    const writer = await mint(["tickets:write"]);
    expect((await a.api("GET", `/api/v2/macros/${shared}.json`, undefined, writer)).status).toBe(403);
    for (const id of [shared, personal, 999_999]) {
      const w = await update(tk, { comment: { body: "tw", public: false }, macro_ids: [id] }, writer);
      expect(w.status, w.text).toBe(403);
      expect(w.text).not.toMatch(/Close and thank|Angry/);
    }
    expect(await usage(a)).toEqual(before);
    // With tickets:read and tickets:write (macros are filed under tickets) it may.
    const both = await mint(["tickets:read", "tickets:write"]);
    await ok(update(tk, { comment: { body: "both", public: false }, macro_ids: [shared] }, both));
    expect((await usage(a)).uses).toBe(before.uses + 1);
  });
});

describe("erasure", () => {
  it("an erased owner's personal macro is named by its id only, deleted, its usage gone", async () => {
    const gone = await macro(a, "Olga::Private shorthand", undefined, owner);
    await ok(update(tk, { comment: { body: "shorthand", public: false }, macro_ids: [gone] }, owner));
    const macroRow = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ id: string }>`SELECT id FROM macros WHERE nice_id = ${gone}`.execute(tx.db)).rows[0]!.id);
    const rows = () => t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM macro_usage WHERE macro_id = ${macroRow}`.execute(tx.db)).rows[0]!.n);
    expect(await rows()).toBe(1);
    const del = await a.api("DELETE", `/api/v2/users/${owner.id}.json`);
    expect(del.status, del.text).toBe(200);
    const erased = await a.api("DELETE", `/api/v2/deleted_users/${owner.id}.json`);
    expect(erased.status, erased.text).toBeLessThan(300);
    expect(await rows()).toBe(0);
    const audits = (await ok(a.api("GET", `/api/v2/tickets/${tk}/audits.json`))).audits as any[];
    const named = audits.flatMap((x) => refs(x.events)).filter((e) => e.id === gone || e.id === personal);
    expect(named.length).toBeGreaterThan(0);
    for (const e of named) expect(e).toEqual({ id: e.id, title: undefined, deleted: true });
    expect(JSON.stringify(audits)).not.toMatch(/Private shorthand|Angry customer/);
  });
});
