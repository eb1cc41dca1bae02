import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepMacroUsage } from "../src/modules/macros/macros-service.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, endUserWithPassword, type Session } from "./support/people.ts";
import { macroUsageRows, makeMacro } from "./support/macros.ts";

/**
 * Macro usage and categories (docs/api.md, "Macros"), over real HTTP: `macro_ids` on ticket
 * writes (recorded in the write's audit, counted once; a macro the caller does not see, another
 * account's included, answers 422 and writes nothing), the usage windows on a moved clock,
 * `include` and `sort_by`, the upkeep's deletion of old hours, and categories from titles.
 */

type As = { email: string; token: string };
const HOUR = 3_600_000;
let clock = Date.parse("2026-12-07T10:30:00Z");
let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent: As & { id: number };
let other: As & { id: number };
let light: As & { id: number };
let endUser: { id: number; session: Session };
let tk: number;
let shared: number;
let refunds: number;
let partial: number;
let mine: number;
let othersOwn: number;
let foreign: number;

async function ok<T = any>(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const macro = makeMacro;
const usageRows = () => macroUsageRows(t, a);
const auditCount = (id: number) => t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ticket_audits a JOIN tickets k ON k.tenant_id = a.tenant_id AND k.id = a.ticket_id WHERE k.nice_id = ${id}`.execute(tx.db)).rows[0]!.n));
const usageOf = async (id: number, who?: As) => (await ok(a.api("GET", `/api/v2/macros/${id}.json?include=usage_1h,usage_24h,usage_7d,usage_30d`, undefined, who))).macro;
const update = (id: number, ticket: Record<string, unknown>, who?: As) => a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket }, who);

beforeAll(async () => {
  t = await startTestApp({ now: () => new Date(clock) });
  a = await buildTenant(t, "musage");
  b = await buildTenant(t, "musageb");
  const mk = async (role: "agent" | "light-agent", name: string) => {
    const u = await buildUser(t, a, role, name);
    return { email: u.email, token: u.token!, id: u.id };
  };
  agent = await mk("agent", "Al Agent");
  other = await mk("agent", "Bea Agent");
  light = await mk("light-agent", "Lee Light");
  await ok(a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } }));
  endUser = await endUserWithPassword(t, a, "Eve Customer");
  shared = await macro(a, "Close and thank", null);
  refunds = await macro(a, "Billing::Refunds::Full", null);
  partial = await macro(a, "billing :: Refunds :: Partial", null);
  mine = await macro(a, "Shipping::Delays", undefined, agent);
  othersOwn = await macro(a, "Secret::Plan", undefined, other);
  // Public ids are per account: B's macro gets an id no macro of A's has.
  for (let i = 0; i < 11; i++) await macro(b, `B filler ${i}`, null);
  foreign = await macro(b, "Foreign::Macro", null);
  tk = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Card declined", comment: { body: "Help" }, requester_id: endUser.id } }), 201)).ticket.id;
});
afterAll(async () => t?.close());

describe("macro_ids on ticket writes", () => {
  it("records each macro in the update's audit and counts it once", async () => {
    const r = await ok(update(tk, { status: "open", comment: { body: "Refund on its way", public: false }, macro_ids: [refunds, shared, refunds] }, agent));
    const refs = r.audit.events.filter((e: any) => e.type === "AgentMacroReference");
    expect(refs.map((e: any) => [e.macro_id, e.macro_title, e.macro_deleted])).toEqual([[refunds, "Billing::Refunds::Full", false], [shared, "Close and thank", false]]);
    // Kept in the ticket's history, as every audit.
    const audits = (await ok(a.api("GET", `/api/v2/tickets/${tk}/audits.json`))).audits;
    expect(audits.at(-1).events.filter((e: any) => e.type === "AgentMacroReference").map((e: any) => e.macro_id)).toEqual([refunds, shared]);
    expect(await usageOf(refunds)).toMatchObject({ usage_1h: 1, usage_24h: 1, usage_7d: 1, usage_30d: 1 });
    expect(await usageOf(shared)).toMatchObject({ usage_1h: 1, usage_30d: 1 });
    expect(await usageOf(partial)).toMatchObject({ usage_1h: 0, usage_24h: 0, usage_7d: 0, usage_30d: 0 });
    // Without include, no usage keys (write-only on tickets; sideloaded on macros only when asked).
    const plain = (await ok(a.api("GET", `/api/v2/macros/${refunds}.json`))).macro;
    expect(plain).not.toHaveProperty("usage_7d");
    expect(r.ticket).not.toHaveProperty("macro_ids");
  });

  it("counts a create's macros, and a light agent's reply from a macro", async () => {
    const made = await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "From a macro", comment: { body: "Hello" }, macro_ids: [partial] } }, agent), 201);
    const audits = (await ok(a.api("GET", `/api/v2/tickets/${made.ticket.id}/audits.json`))).audits;
    expect(audits[0].events.filter((e: any) => e.type === "AgentMacroReference").map((e: any) => e.macro_id)).toEqual([partial]);
    expect((await usageOf(partial)).usage_1h).toBe(1);
    await ok(update(tk, { comment: { body: "Noted", public: false }, macro_ids: [partial] }, light));
    expect((await usageOf(partial)).usage_1h).toBe(2);
  });

  it("refuses a macro the caller does not see, or another account's, with 422 and writes nothing", async () => {
    const before = { rows: await usageRows(), audits: await auditCount(tk), ticket: (await ok(a.api("GET", `/api/v2/tickets/${tk}.json`))).ticket };
    for (const [id, who] of [[foreign, agent], [othersOwn, agent], [mine, other], [999_999, agent]] as const) {
      const r = await update(tk, { status: "pending", tags: ["changed"], collaborator_ids: [other.id], comment: { body: "Should not land" }, macro_ids: [shared, id] }, who);
      expect(r.status, r.text).toBe(422);
      expect(r.body.details.macro_ids?.[0]?.description, r.text).toMatch(/not found/);
    }
    const created = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Nope", comment: { body: "x" }, macro_ids: [foreign] } }, agent);
    expect(created.status, created.text).toBe(422);
    expect(await usageRows()).toEqual(before.rows);
    expect(await auditCount(tk)).toBe(before.audits);
    const after = (await ok(a.api("GET", `/api/v2/tickets/${tk}.json`))).ticket;
    expect([after.status, after.tags, after.collaborator_ids, after.updated_at]).toEqual([before.ticket.status, before.ticket.tags, before.ticket.collaborator_ids, before.ticket.updated_at]);
    // The other account's macro was not counted there either.
    expect((await ok(b.api("GET", `/api/v2/macros/${foreign}.json?include=usage_30d`))).macro.usage_30d).toBe(0);
    // A personal macro counts for its owner.
    await ok(update(tk, { comment: { body: "Delayed", public: false }, macro_ids: [mine] }, agent));
    expect((await usageOf(mine, agent)).usage_1h).toBe(1);
  });

  it("answers 403 to an end user, on tickets and on every macro route", async () => {
    const eu = (method: string, path: string, body?: unknown) => asSession(t, a, endUser.session, method, path, body);
    const before = await usageRows();
    expect((await eu("PUT", `/api/v2/tickets/${tk}.json`, { ticket: { comment: { body: "hi" }, macro_ids: [shared] } })).status).toBe(403);
    expect((await eu("GET", "/api/v2/macros/categories.json")).status).toBe(403);
    expect((await eu("GET", "/api/v2/macros.json?include=usage_7d&sort_by=usage_7d")).status).toBe(403);
    expect(await usageRows()).toEqual(before);
  });

  it("refuses bad usage parameters with a 4xx naming them", async () => {
    for (const q of ["include=usage_2h", "include=usage_1h,usage_1h", "sort_by=title_usage", "sort_by=usage_7d&sort_order=up", "category="]) {
      const r = await a.api("GET", `/api/v2/macros.json?${q}`);
      expect(r.status, `${q}: ${r.text}`).toBe(422);
      expect(Object.keys(r.body.details), q).toEqual([q.split("=")[0] === "sort_by" && q.includes("sort_order") ? "sort_order" : q.split("=")[0]]);
    }
    expect((await a.api("PUT", `/api/v2/tickets/${tk}.json`, { ticket: { macro_ids: ["x"] } })).status).toBe(422);
    expect((await a.api("PUT", `/api/v2/tickets/${tk}.json`, { ticket: { macro_ids: Array.from({ length: 21 }, (_, i) => i + 1) } })).status).toBe(422);
  });
});

describe("usage windows, sorting and upkeep", () => {
  it("moves uses out of each window as the clock passes, sorts by a window, and the upkeep drops hours past 30 days", async () => {
    // Now: partial 2 (this hour), refunds 1, shared 1, mine 1 (agent's own).
    clock += 2 * HOUR; // 12:30: outside usage_1h, inside 24h.
    await ok(update(tk, { comment: { body: "again", public: false }, macro_ids: [shared] }, agent));
    await ok(update(tk, { comment: { body: "again", public: false }, macro_ids: [shared] }, agent));
    expect(await usageOf(shared)).toMatchObject({ usage_1h: 2, usage_24h: 3, usage_7d: 3, usage_30d: 3 });
    expect(await usageOf(partial)).toMatchObject({ usage_1h: 0, usage_24h: 2, usage_7d: 2, usage_30d: 2 });

    const list = async (q: string) => (await ok(a.api("GET", `/api/v2/macros.json?${q}`, undefined, agent))).macros.map((m: any) => m.id);
    expect(await list("sort_by=usage_1h")).toEqual([shared, refunds, partial, mine]);
    // Ties keep the usual order (position, title).
    expect(await list("sort_by=usage_24h")).toEqual([shared, partial, refunds, mine]);
    expect(await list("sort_by=usage_24h&sort_order=asc")).toEqual([refunds, mine, partial, shared]);
    expect(await list("sort_by=usage_24h&per_page=1&page=2")).toEqual([partial]);
    const active = (await ok(a.api("GET", "/api/v2/macros/active.json?sort_by=usage_7d&include=usage_7d", undefined, agent))).macros;
    // Ties by title, as the active list.
    expect(active.map((m: any) => [m.id, m.usage_7d])).toEqual([[shared, 3], [partial, 2], [refunds, 1], [mine, 1]]);

    clock += 2 * 24 * HOUR; // 2 days on: outside 24h, inside 7d.
    expect(await usageOf(shared)).toMatchObject({ usage_1h: 0, usage_24h: 0, usage_7d: 3, usage_30d: 3 });
    clock += 10 * 24 * HOUR; // 12 days on: inside 30d only.
    expect(await usageOf(shared)).toMatchObject({ usage_7d: 0, usage_30d: 3 });
    expect(await sweepMacroUsage({ db: t.db }, new Date(clock))).toBe(0);
    expect((await usageRows()).n).toBeGreaterThan(0);
    clock += 20 * 24 * HOUR; // 32 days on: outside every window; the upkeep deletes the rows.
    expect(await usageOf(shared)).toMatchObject({ usage_30d: 0 });
    expect(await sweepMacroUsage({ db: t.db }, new Date(clock))).toBeGreaterThan(0);
    expect((await usageRows()).n).toBe(0);
  });

  it("deletes a macro's usage with the macro", async () => {
    const gone = await macro(a, "Temporary", null);
    await ok(update(tk, { comment: { body: "tmp", public: false }, macro_ids: [gone] }));
    expect((await usageRows()).n).toBe(1);
    await ok(a.api("DELETE", `/api/v2/macros/${gone}.json`), 204);
    expect((await usageRows()).n).toBe(0);
  });
});

describe("categories", () => {
  it("lists the categories of the macros the caller sees, and filters by one or a path", async () => {
    expect((await ok(a.api("GET", "/api/v2/macros/categories.json", undefined, agent))).categories).toEqual(["Billing", "Shipping"]);
    expect((await ok(a.api("GET", "/api/v2/macros/categories.json", undefined, other))).categories).toEqual(["Billing", "Secret"]);
    expect((await ok(a.api("GET", "/api/v2/macros/categories.json"))).categories).toEqual(["Billing"]);
    expect((await ok(b.api("GET", "/api/v2/macros/categories.json"))).categories).toEqual(["Foreign"]);
    expect(foreign).toBeGreaterThan(10);
    const ids = async (q: string, who?: As) => (await ok(a.api("GET", `/api/v2/macros.json?${q}`, undefined, who))).macros.map((m: any) => m.id).sort();
    expect(await ids("category=billing")).toEqual([refunds, partial].sort());
    expect(await ids(`category=${encodeURIComponent("Billing::refunds")}`)).toEqual([refunds, partial].sort());
    expect(await ids(`category=${encodeURIComponent("Billing::Refunds::Partial")}`)).toEqual([]);
    expect(await ids("category=Secret", agent)).toEqual([]);
    expect(await ids("category=Secret", other)).toEqual([othersOwn]);
    expect(await ids("category=Foreign")).toEqual([]);
    expect((await ok(a.api("GET", "/api/v2/macros.json?category=Billing"))).count).toBe(2);
  });

  it("keeps titles sealed: no category or title in clear in the table", async () => {
    const rows = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ s: string }>`SELECT row_to_json(m)::text AS s FROM macros m`.execute(tx.db)).rows);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.s).not.toMatch(/Billing|Refunds|Shipping/);
  });
});

describe("sort_by a field of the macro (Zendesk's alphabetical, created_at, updated_at, position)", () => {
  it("orders by title, position, creation or change, ascending by default for the first two and descending for the others", async () => {
    const c = await buildTenant(t, "musagec");
    const make = async (title: string, position: number) => (await ok(c.api("POST", "/api/v2/macros.json", { macro: { title, position, restriction: null, actions: [{ field: "status", value: "open" }] } }), 201)).macro.id as number;
    // Made in this order (so created_at rises b, A, c); positions say A, c, b.
    const bee = await make("bee", 30);
    const ay = await make("Ay", 10);
    const cee = await make("cee", 20);
    const list = async (q: string, path = "/api/v2/macros.json") => (await ok(c.api("GET", `${path}?${q}`))).macros.map((m: any) => m.id);
    expect(await list("sort_by=alphabetical")).toEqual([ay, bee, cee]);
    expect(await list("sort_by=alphabetical&sort_order=desc")).toEqual([cee, bee, ay]);
    expect(await list("sort_by=position")).toEqual([ay, cee, bee]);
    expect(await list("sort_by=position&sort_order=desc")).toEqual([bee, cee, ay]);
    expect(await list("sort_by=created_at")).toEqual([cee, ay, bee]);
    expect(await list("sort_by=created_at&sort_order=asc")).toEqual([bee, ay, cee]);
    expect(await list("sort_by=created_at&per_page=1&page=3")).toEqual([bee]);
    // A change moves the oldest to the front of updated_at (newest first), not of created_at.
    await ok(c.api("PUT", `/api/v2/macros/${bee}.json`, { macro: { description: "Changed" } }));
    expect(await list("sort_by=updated_at")).toEqual([bee, cee, ay]);
    expect(await list("sort_by=created_at")).toEqual([cee, ay, bee]);
    expect(await list("sort_by=created_at", "/api/v2/macros/active.json")).toEqual([cee, ay, bee]);
    expect(await list("sort_by=alphabetical&sort_order=desc", "/api/v2/macros/active.json")).toEqual([cee, bee, ay]);
    for (const q of ["sort_by=title", "sort_by=created", "sort_by[]=position", "sort_by=position&sort_order=descending"]) {
      const r = await c.api("GET", `/api/v2/macros.json?${q}`);
      expect(r.status, `${q}: ${r.text}`).toBe(422);
    }
  });
});
