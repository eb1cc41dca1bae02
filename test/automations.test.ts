import crypto from "node:crypto";
import { sql } from "kysely";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAutomations } from "../src/modules/triggers/automations-run.ts";
import { createMailer } from "../src/platform/mail.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { PublicUrls } from "../src/platform/urls.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { jobsSettled } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Automations (docs/api.md, "Automations"), over real HTTP: the admin API (who may, Zendesk's
 * validity rules with every refusal naming its place and nothing written, order, definitions,
 * another tenant) and the hourly run, called at a chosen time with the tickets' times moved in the
 * database (each time condition, once per ticket, closed and deleted tickets left alone, the cap,
 * a ticket that cannot be read, the triggers after an automation's write, the mail it queues).
 */

type Cond = { field: string; operator: string; value?: unknown };
type Action = { field: string; value: unknown };
type Res = Promise<{ status: number; text: string; body: any }>;

let t: TestApp;
let smtp: SmtpPeer;
let a: TestTenant;
let b: TestTenant;
let agent: { email: string; token: string };
const logs: Array<{ obj: object; msg: string }> = [];

async function ok<T = any>(r: Res, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const HOUR = 3_600_000;
const ago = (hours: number) => new Date(Date.now() - hours * HOUR);
/** Runs every account's automations now, as the hourly upkeep does (`cap`, `read`: smaller caps). */
const run = (opts: { cap?: number; read?: number; now?: Date } = {}) => {
  const urls = new PublicUrls(t.config);
  urls.listening(t.port);
  const deps = { db: t.db, keyring: t.keyring, hooks: t.app.hooks, mailer: createMailer(t.config), config: t.config, urls, rateLimiter: createMemoryRateLimiter(), logger: { warn: (obj: object, msg: string) => logs.push({ obj, msg }) } };
  return runAutomations(deps, opts.now ?? new Date(), { ...(opts.cap === undefined ? {} : { cap: opts.cap }), ...(opts.read === undefined ? {} : { read: opts.read }) });
};
const automation = (x: TestTenant, title: string, all: Cond[], actions: Action[], any: Cond[] = []) => x.api("POST", "/api/v2/automations.json", { automation: { title, conditions: { all, any }, actions } });
const made = async (x: TestTenant, title: string, all: Cond[], actions: Action[]) => (await ok(automation(x, title, all, actions), 201)).automation.id as number;
const count = (x: TestTenant) => t.db.tenant(x.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM automations`.execute(tx.db)).rows[0]!.n));
const ticket = async (x: TestTenant, fields: Record<string, unknown> = {}) => (await ok(x.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Parcel late", comment: { body: "Where is it?" }, ...fields } }), 201)).ticket as { id: number; [k: string]: any };
const show = async (x: TestTenant, id: number) => (await ok(x.api("GET", `/api/v2/tickets/${id}.json`))).ticket;
/** Moves a ticket's columns (its times) in the database. */
const setColumns = (x: TestTenant, id: number, values: Record<string, unknown>) =>
  t.db.tenant(x.tenantId, async (tx) => {
    // The columns vary by test (times, status, deleted_at): one statement each.
    for (const [k, v] of Object.entries(values)) await sql`UPDATE tickets SET ${sql.ref(k)} = ${v} WHERE nice_id = ${id}`.execute(tx.db);
  });
const timesOf = (x: TestTenant, id: number) =>
  t.db.tenant(x.tenantId, async (tx) => (await sql<Record<string, Date | null>>`SELECT status_updated_at, assigned_at, requester_updated_at, assignee_updated_at, updated_at FROM tickets WHERE nice_id = ${id}`.execute(tx.db)).rows[0]!);
/** A ticket's tags as stored (deleted tickets included). */
const rawTags = (x: TestTenant, id: number) => t.db.tenant(x.tenantId, async (tx) => (await sql<{ tags: string[] }>`SELECT tags FROM tickets WHERE nice_id = ${id}`.execute(tx.db)).rows[0]!.tags);
const tagOnly = (tag: string): Cond[] => [{ field: "current_tags", operator: "includes", value: tag }];

beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
  a = await buildTenant(t, "autos");
  b = await buildTenant(t, "autosb");
  const u = await buildUser(t, a, "agent", "Al Agent");
  agent = { email: u.email, token: u.token! };
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const closeSolved: Cond[] = [{ field: "status", operator: "is", value: "solved" }, { field: "SOLVED", operator: "greater_than", value: 96 }];

describe("automations API", () => {
  it("creates, shows, lists, updates and deletes, sealed at rest, for owners and admins only", async () => {
    const created = (await ok(a.api("POST", "/api/v2/automations.json", { automation: { title: "  Close solved  ", description: "after four days", conditions: { all: closeSolved }, actions: [{ field: "status", value: "closed" }] } }), 201)).automation;
    expect(created).toMatchObject({ title: "Close solved", description: "after four days", active: true, conditions: { all: [{ field: "status", operator: "is", value: "solved" }, { field: "SOLVED", operator: "greater_than", value: "96" }], any: [] }, actions: [{ field: "status", value: "closed" }] });
    expect(created.url).toMatch(new RegExp(`/api/v2/automations/${created.id}\\.json$`));
    expect((await ok(a.api("GET", `/api/v2/automations/${created.id}.json`))).automation).toEqual(created);
    const raw = await t.db.tenant(a.tenantId, async (tx) => (await sql<Record<string, Uint8Array>>`SELECT * FROM automations WHERE nice_id = ${created.id}`.execute(tx.db)).rows[0]!);
    for (const [col, text] of [["title_sealed", "Close solved"], ["description_sealed", "four days"], ["conditions_sealed", "SOLVED"], ["actions_sealed", "closed"]] as const) expect(Buffer.from(raw[col]!).toString("latin1")).not.toContain(text);
    const changed = (await ok(a.api("PUT", `/api/v2/automations/${created.id}.json`, { automation: { active: false, description: null } }))).automation;
    expect(changed).toMatchObject({ active: false, description: null, title: "Close solved" });
    expect((await ok(a.api("GET", "/api/v2/automations.json?active=false"))).automations.map((x: any) => x.id)).toContain(created.id);
    expect((await ok(a.api("GET", "/api/v2/automations/active.json"))).automations.map((x: any) => x.id)).not.toContain(created.id);
    for (const [m, p] of [["GET", "/api/v2/automations.json"], ["GET", "/api/v2/automations/definitions.json"], ["GET", `/api/v2/automations/${created.id}.json`], ["DELETE", `/api/v2/automations/${created.id}.json`]] as const) {
      expect((await a.api(m, p, undefined, agent)).status, `${m} ${p}`).toBe(403);
    }
    await ok(a.api("DELETE", `/api/v2/automations/${created.id}.json`), 204);
    expect((await a.api("GET", `/api/v2/automations/${created.id}.json`)).status).toBe(404);
  });

  it("refuses what Zendesk refuses with 422 naming the place, writing nothing", async () => {
    const before = await count(a);
    const bad = async (all: Cond[], actions: Action[], key: string, any: Cond[] = []) => {
      const r = await automation(a, "x", all, actions, any);
      expect(r.status, r.text).toBe(422);
      expect(Object.keys(r.body.details ?? {}), r.text).toContain(key);
    };
    const close: Action[] = [{ field: "status", value: "closed" }];
    // About the update, not the ticket: refused by name.
    for (const c of [{ field: "update_type", operator: "is", value: "Change" }, { field: "comment_is_public", operator: "is", value: "true" }, { field: "comment_includes_word", operator: "includes", value: "refund" }, { field: "role", operator: "is", value: "agent" }, { field: "status", operator: "changed" }, { field: "priority", operator: "value", value: "high" }]) {
      await bad([...closeSolved, c], close, "conditions.all[2]");
    }
    await bad(closeSolved, close, "conditions.any[0]", [{ field: "assignee_id", operator: "value_previous", value: "" }]);
    for (const value of [-1, 100_001, "abc", 1.5, ""]) await bad([closeSolved[0]!, { field: "PENDING", operator: "greater_than", value }], close, "conditions.all[1]");
    await bad([closeSolved[0]!, { field: "SOLVED", operator: "is_not", value: 5 }], close, "conditions.all[1]");
    await bad([...closeSolved, { field: "assignee_id", operator: "is", value: "current_user" }], close, "conditions.all[2]");
    await bad(closeSolved, [{ field: "current_tags", value: "x" }, { field: "assignee_id", value: "current_user" }, ...close], "actions[1]");
    await bad(closeSolved, [...close, { field: "notification_user", value: ["current_user", "s", "b"] }], "actions[1]");
    await bad(closeSolved, [...close, { field: "group_id", value: "99999" }], "actions[1]");
    // Zendesk's validity rules: a time condition in all; an all condition the actions nullify.
    await bad([{ field: "status", operator: "is", value: "solved" }], close, "conditions.all");
    await bad([], close, "conditions.all", [{ field: "SOLVED", operator: "greater_than", value: 96 }]);
    await bad(closeSolved, [{ field: "priority", value: "high" }], "actions");
    await bad([{ field: "current_tags", operator: "includes", value: "a b" }, { field: "OPEN", operator: "greater_than", value: 1 }], [{ field: "remove_tags", value: "a" }], "actions");
    await bad([{ field: "status", operator: "is", value: "open" }, { field: "OPEN", operator: "greater_than", value: 1 }], [{ field: "status", value: "new" }], "actions");
    await bad([{ field: "current_tags", operator: "not_includes", value: "x" }, { field: "OPEN", operator: "greater_than", value: 1 }], [{ field: "remove_tags", value: "x" }], "actions");
    // Limits as triggers': 50 conditions in a list, 30 actions.
    await bad([...closeSolved, ...Array.from({ length: 49 }, () => tagOnly("t")[0]!)], close, "conditions.all");
    await bad(closeSolved, [...close, ...Array.from({ length: 30 }, (_, i) => ({ field: "current_tags", value: `t${i}` }))], "actions");
    expect(await count(a)).toBe(before);
    // A change is checked whole, with what it keeps: conditions no action nullifies any more are refused, nothing written.
    const id = await made(a, "Close", closeSolved, close);
    const r = await a.api("PUT", `/api/v2/automations/${id}.json`, { automation: { conditions: { all: [{ field: "status", operator: "is", value: "pending" }, { field: "PENDING", operator: "greater_than", value: 5 }] }, actions: [{ field: "status", value: "pending" }] } });
    expect(r.status, r.text).toBe(422);
    expect(Object.keys(r.body.details)).toEqual(["actions"]);
    expect((await a.api("PUT", `/api/v2/automations/${id}.json`, { automation: { actions: [{ field: "priority", value: "low" }] } })).status).toBe(422);
    expect((await ok(a.api("GET", `/api/v2/automations/${id}.json`))).automation.actions).toEqual(close);
    // Nullified, each way: a status rejected, a tag added that must be absent, the wanted tags removed or replaced, unassigned, a status left.
    for (const [all, act] of [
      [[{ field: "current_tags", operator: "not_includes", value: "done" }, { field: "created_at", operator: "greater_than", value: 1 }], [{ field: "current_tags", value: "done" }]],
      [[{ field: "current_tags", operator: "includes", value: "a b" }, { field: "updated_at", operator: "is", value: 3 }], [{ field: "remove_tags", value: "b a" }]],
      [[{ field: "current_tags", operator: "includes", value: "a" }, { field: "updated_at", operator: "is", value: 3 }], [{ field: "set_tags", value: "z" }]],
      [[{ field: "assigned_at", operator: "greater_than", value: 24 }], [{ field: "assignee_id", value: "" }]],
      [[{ field: "priority", operator: "less_than", value: "high" }, { field: "NEW", operator: "greater_than", value: 2 }], [{ field: "priority", value: "urgent" }]],
      [[{ field: "HOLD", operator: "greater_than", value: 2 }], [{ field: "status", value: "open" }]],
    ] as Array<[Cond[], Action[]]>) {
      await ok(automation(a, "valid", all, act), 201);
    }
    expect(await count(a)).toBe(before + 7);
  });

  it("reorders: every automation once, else 422; positions 1..n", async () => {
    for (const title of ["R1", "R2"]) await made(a, title, closeSolved, [{ field: "status", value: "closed" }]);
    const current = (await ok(a.api("GET", "/api/v2/automations.json?per_page=100"))).automations.map((x: any) => x.id) as number[];
    for (const ids of [current.slice(1), [...current, current[0]], [...current.slice(1), 99999]]) expect((await a.api("PUT", "/api/v2/automations/reorder.json", { automation_ids: ids })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/automations/reorder.json", { trigger_ids: current })).status).toBe(422);
    const reversed = [...current].reverse();
    const r = await ok(a.api("PUT", "/api/v2/automations/reorder.json", { automation_ids: reversed }));
    expect(r.automations.map((x: any) => [x.id, x.position])).toEqual(reversed.map((id, i) => [id, i + 1]));
    expect((await ok(a.api("GET", "/api/v2/automations.json?per_page=100"))).automations.map((x: any) => x.id)).toEqual(reversed);
    expect((await ok(a.api("GET", "/api/v2/automations.json?sort_by=title&sort_order=desc&per_page=2"))).automations.map((x: any) => x.title)).toEqual(["valid", "valid"]);
  });

  it("gives definitions: the ticket's properties and the time conditions, no update's, no current user; closing", async () => {
    const d = (await ok(a.api("GET", "/api/v2/automations/definitions.json"))).definitions;
    const subjects = d.conditions_all.map((x: any) => x.subject);
    expect(subjects).toEqual(expect.arrayContaining(["status", "current_tags", "via", "NEW", "PENDING", "SOLVED", "assigned_at", "requester_updated_at", "until_due_date"]));
    for (const s of ["update_type", "comment_is_public", "comment_includes_word", "role"]) expect(subjects).not.toContain(s);
    const solved = d.conditions_all.find((x: any) => x.subject === "SOLVED");
    expect(solved).toMatchObject({ type: "integer", title: "Hours since solved" });
    expect(solved.operators.map((o: any) => o.value)).toEqual(["is", "less_than", "greater_than", "is_business_hours", "less_than_business_hours", "greater_than_business_hours"]);
    expect(d.conditions_any.find((x: any) => x.subject === "status").operators.map((o: any) => o.value)).not.toContain("changed");
    expect(d.actions.find((x: any) => x.subject === "status").values.map((v: any) => v.value)).toContain("closed");
    expect(JSON.stringify(d)).not.toContain("current_user");
    // Triggers keep theirs.
    const td = (await ok(a.api("GET", "/api/v2/triggers/definitions.json"))).definitions;
    expect(td.actions.find((x: any) => x.subject === "status").values.map((v: any) => v.value)).not.toContain("closed");
    expect(td.conditions_all.map((x: any) => x.subject)).not.toContain("SOLVED");
  });

  it("answers another tenant's id as a missing one, and looks ids up inside the tenant", async () => {
    const id = await made(a, "Mine", closeSolved, [{ field: "status", value: "closed" }]);
    for (const [m, body] of [["GET", undefined], ["PUT", { automation: { title: "taken" } }], ["DELETE", undefined]] as const) {
      const foreign = await b.api(m, `/api/v2/automations/${id}.json`, body);
      const missing = await b.api(m, `/api/v2/automations/999999.json`, body);
      expect(foreign.status).toBe(404);
      expect(foreign.body).toEqual(missing.body);
    }
    const group = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "A's" } }), 201)).group.id;
    expect((await automation(b, "x", closeSolved, [{ field: "status", value: "closed" }, { field: "group_id", value: String(group) }])).status).toBe(422);
    expect((await ok(b.api("GET", "/api/v2/automations.json"))).automations).toEqual([]);
    expect((await ok(a.api("GET", `/api/v2/automations/${id}.json`))).automation.title).toBe("Mine");
  });
});

describe("the conversation writer keeps the times automations read", () => {
  it("status, assignment, the requester's and the assignee's updates, on every channel", async () => {
    const x = await buildTenant(t, "autotimes");
    const me = (await ok(x.api("GET", "/api/v2/users/me.json"))).user.id;
    const email = `req-${crypto.randomBytes(3).toString("hex")}@${x.subdomain}.test`;
    const form = await t.request({ method: "POST", path: "/api/v2/requests.json", host: x.host, body: { request: { subject: "Help", comment: { body: "It broke" }, requester: { name: "Rita", email } } } });
    expect(form.status, form.text).toBe(201);
    const id = form.body.request.id as number;
    let times = await timesOf(x, id);
    expect(times.requester_updated_at).not.toBeNull();
    expect(times.assigned_at).toBeNull();
    expect(times.assignee_updated_at).toBeNull();
    await setColumns(x, id, { status_updated_at: ago(10), requester_updated_at: ago(10) });
    await ok(x.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { assignee_id: me } }));
    times = await timesOf(x, id);
    expect(times.assigned_at!.getTime()).toBeGreaterThan(ago(1).getTime());
    // Assigned while new: open now, so the status moved too; the assignee wrote the change.
    expect(times.status_updated_at!.getTime()).toBeGreaterThan(ago(1).getTime());
    expect(times.assignee_updated_at!.getTime()).toBeGreaterThan(ago(1).getTime());
    expect(times.requester_updated_at!.getTime()).toBeLessThan(ago(9).getTime());
    await setColumns(x, id, { status_updated_at: ago(10), assigned_at: ago(10) });
    await ok(x.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { priority: "high" } }));
    times = await timesOf(x, id);
    expect(times.status_updated_at!.getTime()).toBeLessThan(ago(9).getTime());
    expect(times.assigned_at!.getTime()).toBeLessThan(ago(9).getTime());
    await ok(x.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { assignee_id: null, status: "pending" } }));
    times = await timesOf(x, id);
    expect(times.assigned_at).toBeNull();
    expect(times.status_updated_at!.getTime()).toBeGreaterThan(ago(1).getTime());
  });
});

describe("running automations", () => {
  let r: TestTenant;
  let me: number;
  beforeAll(async () => {
    r = await buildTenant(t, "autorun");
    me = (await ok(r.api("GET", "/api/v2/users/me.json"))).user.id;
  });

  it("reads each time condition family: SQL and code agree on the hours", async () => {
    type Case = { name: string; cond: Cond; hit: Record<string, unknown>; miss: Record<string, unknown> };
    const cases: Case[] = [
      { name: "pending", cond: { field: "PENDING", operator: "greater_than", value: 24 }, hit: { status: "pending", status_updated_at: ago(30) }, miss: { status: "open", status_updated_at: ago(30) } },
      { name: "pending_short", cond: { field: "PENDING", operator: "greater_than", value: 24 }, hit: { status: "pending", status_updated_at: ago(25.5) }, miss: { status: "pending", status_updated_at: ago(24.5) } },
      { name: "open", cond: { field: "OPEN", operator: "less_than", value: 2 }, hit: { status: "open", status_updated_at: ago(1.5) }, miss: { status: "open", status_updated_at: ago(2.5) } },
      { name: "assigned", cond: { field: "assigned_at", operator: "is", value: 5 }, hit: { assigned_at: ago(5.5) }, miss: { assigned_at: ago(6.5) } },
      { name: "updated", cond: { field: "updated_at", operator: "greater_than", value: 48 }, hit: { updated_at: ago(50) }, miss: { updated_at: ago(47) } },
      { name: "requester", cond: { field: "requester_updated_at", operator: "less_than", value: 2 }, hit: { requester_updated_at: ago(1) }, miss: { requester_updated_at: null } },
      { name: "assignee", cond: { field: "assignee_updated_at", operator: "greater_than", value: 10 }, hit: { assignee_updated_at: ago(11.2) }, miss: { assignee_updated_at: ago(10.5) } },
      { name: "created", cond: { field: "created_at", operator: "greater_than", value: 100 }, hit: { created_at: ago(102) }, miss: { created_at: ago(99) } },
      { name: "due", cond: { field: "due_date", operator: "greater_than", value: 2 }, hit: { due_at: ago(3.5) }, miss: { due_at: ago(-3) } },
      { name: "until_due", cond: { field: "until_due_date", operator: "less_than", value: 24 }, hit: { due_at: ago(-5) }, miss: { due_at: ago(1) } },
    ];
    const ids: Record<string, { hit: number; miss: number }> = {};
    for (const c of cases) {
      await made(r, `family ${c.name}`, [...tagOnly(`f_${c.name}`), { field: "current_tags", operator: "not_includes", value: `done_${c.name}` }, c.cond], [{ field: "current_tags", value: `done_${c.name}` }]);
      const pair = { hit: (await ticket(r, { tags: [`f_${c.name}`], assignee_id: me })).id, miss: (await ticket(r, { tags: [`f_${c.name}`], assignee_id: me })).id };
      await setColumns(r, pair.hit, c.hit);
      await setColumns(r, pair.miss, c.miss);
      ids[c.name] = pair;
    }
    await run();
    for (const c of cases) {
      expect((await show(r, ids[c.name]!.hit)).tags, `${c.name}: in range`).toContain(`done_${c.name}`);
      expect((await show(r, ids[c.name]!.miss)).tags, `${c.name}: out of range`).not.toContain(`done_${c.name}`);
    }
  });

  it("counts business hours on the account's first schedule, holidays skipped; the clock's hours without a schedule", async () => {
    // Pending since Friday 16:00 UTC; the schedule is Monday to Friday 09:00–17:00 UTC.
    const x = await buildTenant(t, "autobh");
    const y = await buildTenant(t, "autobhnone");
    const defs = (await ok(x.api("GET", "/api/v2/automations/definitions.json"))).definitions;
    expect(defs.conditions_all.find((d: { subject: string }) => d.subject === "PENDING").operators.map((o: { value: string }) => o.value)).toEqual(["is", "less_than", "greater_than", "is_business_hours", "less_than_business_hours", "greater_than_business_hours"]);
    const schedule = (await ok(x.api("POST", "/api/v2/business_hours/schedules.json", { schedule: { name: "Office", time_zone: "UTC" } }), 201)).schedule.id as number;
    const since = new Date("2026-01-16T16:00:00Z");
    const tickets: Record<string, number> = {};
    for (const [z, name] of [[x, "x"], [y, "y"]] as const) {
      const pending = (tag: string): Cond[] => [...tagOnly("bh"), { field: "status", operator: "is", value: "pending" }, { field: "current_tags", operator: "not_includes", value: tag }];
      await made(z, "business", [...pending("bh_8"), { field: "PENDING", operator: "greater_than_business_hours", value: 8 }], [{ field: "current_tags", value: "bh_8" }]);
      await made(z, "business, under", [...pending("bh_lt3"), { field: "PENDING", operator: "less_than_business_hours", value: 3 }], [{ field: "current_tags", value: "bh_lt3" }]);
      await made(z, "clock", [...pending("cal_8"), { field: "PENDING", operator: "greater_than", value: 8 }], [{ field: "current_tags", value: "cal_8" }]);
      const id = (await ticket(z, { tags: ["bh"], status: "pending" })).id;
      await setColumns(z, id, { status_updated_at: since });
      tickets[name] = id;
    }
    // Monday 10:00: 66 hours by the clock, 2 business hours (Friday 16–17, Monday 9–10).
    await run({ now: new Date("2026-01-19T10:00:00Z") });
    expect((await show(x, tickets.x!)).tags.sort()).toEqual(["bh", "bh_lt3", "cal_8"]);
    // Without a schedule, business hours are the clock's.
    expect((await show(y, tickets.y!)).tags.sort()).toEqual(["bh", "bh_8", "cal_8"]);
    // Monday 17:30: 9 business hours.
    await run({ now: new Date("2026-01-19T17:30:00Z") });
    expect((await show(x, tickets.x!)).tags.sort()).toEqual(["bh", "bh_8", "bh_lt3", "cal_8"]);
    // A holiday on Monday: Tuesday 16:30 is 8.5 business hours (Friday 1, Tuesday 7.5), Tuesday 17:30 is 9.
    await ok(x.api("PUT", `/api/v2/tickets/${tickets.x}.json`, { ticket: { tags: ["bh"] } }));
    await setColumns(x, tickets.x!, { status_updated_at: since, status: "pending" });
    await ok(x.api("POST", `/api/v2/business_hours/schedules/${schedule}/holidays.json`, { holiday: { name: "Closed", start_date: "2026-01-19", end_date: "2026-01-19" } }), 201);
    await run({ now: new Date("2026-01-20T16:30:00Z") });
    expect((await show(x, tickets.x!)).tags).not.toContain("bh_8");
    await run({ now: new Date("2026-01-20T17:30:00Z") });
    expect((await show(x, tickets.x!)).tags).toContain("bh_8");
  });

  it("solves and tags tickets pending too long, once; leaves closed, deleted and other accounts' tickets alone", async () => {
    const auto = await made(r, "Solve stale pending", [...tagOnly("stale"), { field: "status", operator: "is", value: "pending" }, { field: "PENDING", operator: "greater_than", value: 48 }], [{ field: "status", value: "solved" }, { field: "current_tags", value: "auto_solved" }]);
    const stale = (await ticket(r, { tags: ["stale"], status: "pending", assignee_id: me })).id;
    const fresh = (await ticket(r, { tags: ["stale"], status: "pending", assignee_id: me })).id;
    const unassigned = (await ticket(r, { tags: ["stale"], status: "pending" })).id;
    const deleted = (await ticket(r, { tags: ["stale"], status: "pending", assignee_id: me })).id;
    const closed = (await ticket(r, { tags: ["stale"], status: "pending", assignee_id: me })).id;
    const theirs = (await ticket(b, { tags: ["stale"], status: "pending" })).id;
    for (const id of [stale, unassigned, deleted, closed]) await setColumns(r, id, { status_updated_at: ago(50) });
    await setColumns(b, theirs, { status_updated_at: ago(50) });
    await ok(r.api("DELETE", `/api/v2/tickets/${deleted}.json`), 204);
    await setColumns(r, closed, { status: "closed" });
    await run();
    const solved = await show(r, stale);
    expect(solved.status).toBe("solved");
    expect(solved.tags).toContain("auto_solved");
    // Solved needs an assignee, and the system assigns nobody: the tag alone.
    expect(await show(r, unassigned)).toMatchObject({ status: "pending", tags: expect.arrayContaining(["auto_solved"]) });
    expect((await show(r, fresh)).tags).not.toContain("auto_solved");
    expect((await show(b, theirs)).tags).not.toContain("auto_solved");
    const trash = (await ok(r.api("GET", "/api/v2/deleted_tickets.json"))).deleted_tickets.find((x: any) => x.id === deleted);
    expect(trash.previous_state).toBe("pending");
    for (const id of [deleted, closed]) expect(await rawTags(r, id)).toEqual(["stale"]);
    // The write: one audit on the channel rule naming the automation, by nobody.
    const audits = (await ok(r.api("GET", `/api/v2/tickets/${stale}/audits.json`))).audits;
    const last = audits.at(-1);
    expect(last.via).toEqual({ channel: "rule", source: { from: { id: auto, title: "Solve stale pending" }, rel: "automation" } });
    expect(last.author_id).toBeNull();
    expect(last.events.find((e: any) => e.field_name === "status")).toMatchObject({ value: "solved", previous_value: "pending", rule: { id: auto, rel: "automation" } });
    // Not twice: the next run finds nothing to do for them.
    await run();
    expect((await ok(r.api("GET", `/api/v2/tickets/${stale}/audits.json`))).audits).toHaveLength(audits.length);
    expect((await ok(r.api("GET", `/api/v2/tickets/${unassigned}/audits.json`))).audits).toHaveLength(2);
  });

  it("closes solved tickets after their hours (Zendesk's usual automation)", async () => {
    await made(r, "Close solved", [...tagOnly("to_close"), ...closeSolved], [{ field: "status", value: "closed" }]);
    const old = (await ticket(r, { tags: ["to_close"], status: "solved", assignee_id: me })).id;
    const recent = (await ticket(r, { tags: ["to_close"], status: "solved", assignee_id: me })).id;
    await setColumns(r, old, { status_updated_at: ago(97.5) });
    await run();
    expect((await show(r, old)).status).toBe("closed");
    expect((await show(r, recent)).status).toBe("solved");
  });

  it("updates at most the cap of tickets an automation a run, the rest at the next runs", async () => {
    await made(r, "Capped", [...tagOnly("many"), { field: "current_tags", operator: "not_includes", value: "many_done" }, { field: "created_at", operator: "greater_than", value: 1 }], [{ field: "current_tags", value: "many_done" }]);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await ticket(r, { tags: ["many"] })).id);
    for (const id of ids) await setColumns(r, id, { created_at: ago(3) });
    const done = async () => (await Promise.all(ids.map((id) => show(r, id)))).filter((x) => x.tags.includes("many_done")).length;
    await run({ cap: 2 });
    expect(await done()).toBe(2);
    await run({ cap: 2 });
    expect(await done()).toBe(4);
    await run({ cap: 2 });
    expect(await done()).toBe(5);
  });

  it("reads at most its read cap a run, and reads on from there at the next run", async () => {
    const flag = (await ok(r.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Flag" } }), 201)).ticket_field.id;
    // The tag and the time pass in SQL; the custom field only in code: four tickets read for nothing before the one that holds.
    await made(r, "Bounded read", [...tagOnly("readcap"), { field: "current_tags", operator: "not_includes", value: "readcap_done" }, { field: `custom_fields_${flag}`, operator: "is", value: "yes" }, { field: "created_at", operator: "greater_than", value: 1 }], [{ field: "current_tags", value: "readcap_done" }]);
    const ids: number[] = [];
    for (const value of ["no", "no", "no", "no", "yes"]) ids.push((await ticket(r, { tags: ["readcap"], custom_fields: [{ id: flag, value }] })).id);
    for (const id of ids) await setColumns(r, id, { created_at: ago(3) });
    const last = ids.at(-1)!;
    await run({ read: 2 });
    await run({ read: 2 });
    expect((await show(r, last)).tags).not.toContain("readcap_done");
    await run({ read: 2 });
    expect((await show(r, last)).tags).toContain("readcap_done");
  });

  it("goes on past a ticket it cannot read, logging ids only", async () => {
    await made(r, "Past the bad one", [...tagOnly("batch"), { field: "current_tags", operator: "not_includes", value: "batch_done" }, { field: "created_at", operator: "greater_than", value: 1 }], [{ field: "current_tags", value: "batch_done" }]);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await ticket(r, { tags: ["batch"], subject: "Secret subject words" })).id);
    for (const id of ids) await setColumns(r, id, { created_at: ago(3) });
    await setColumns(r, ids[1]!, { custom_fields_sealed: crypto.randomBytes(40) });
    logs.length = 0;
    const res = await run();
    // Every automation whose times let the ticket through fails on it (this one, and "Capped" above).
    expect(res.failed).toBeGreaterThanOrEqual(1);
    await setColumns(r, ids[1]!, { custom_fields_sealed: null });
    expect((await show(r, ids[0]!)).tags).toContain("batch_done");
    expect((await show(r, ids[2]!)).tags).toContain("batch_done");
    expect((await show(r, ids[1]!)).tags).not.toContain("batch_done");
    expect(logs).toHaveLength(res.failed);
    for (const l of logs) expect(l.obj).toEqual({ tenant: r.tenantId, automation: expect.any(Number), ticket: ids[1], err: expect.any(String) });
    expect(JSON.stringify(logs)).not.toMatch(/Secret|batch|Parcel/);
  });

  it("runs the triggers after an automation's write, and their write runs none", async () => {
    const x = await buildTenant(t, "autotrig");
    const owner = (await ok(x.api("GET", "/api/v2/users/me.json"))).user.id;
    await made(x, "Escalate", [...tagOnly("watch"), { field: "priority", operator: "is_not", value: "urgent" }, { field: "updated_at", operator: "greater_than", value: 5 }], [{ field: "priority", value: "urgent" }]);
    const trigger = async (title: string, all: Cond[], actions: Action[]) => ok(x.api("POST", "/api/v2/triggers.json", { trigger: { title, conditions: { all }, actions } }), 201);
    await trigger("After a rule", [{ field: "via", operator: "is", value: "rule" }, { field: "priority", operator: "value", value: "urgent" }], [{ field: "current_tags", value: "trig_after" }]);
    // Would fire on the triggers' own write if it ran any: it never does.
    // (In the same cycle the priority changed: only a run on the triggers' own write would see it unchanged.)
    await trigger("After the trigger", [{ field: "current_tags", operator: "includes", value: "trig_after" }, { field: "priority", operator: "not_changed" }], [{ field: "current_tags", value: "trig_again" }]);
    const id = (await ticket(x, { tags: ["watch"], assignee_id: owner })).id;
    await setColumns(x, id, { updated_at: ago(6) });
    await run();
    const after = await show(x, id);
    expect(after.priority).toBe("urgent");
    // The trigger after the automation fired once (its tag), and its own write ran none.
    expect(after.tags).toContain("trig_after");
    expect(after.tags).not.toContain("trig_again");
    const audits = (await ok(x.api("GET", `/api/v2/tickets/${id}/audits.json`))).audits;
    expect(audits.slice(-2).map((y: any) => y.via.source?.rel)).toEqual(["automation", "trigger"]);
    // An automation runs only in a run: a person's update then does not bring it back.
    await ok(x.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { priority: "low" } }));
    expect((await show(x, id)).priority).toBe("low");
  });

  it("queues its mail through the rules' path: the requester reads the public comment, a group's members any", async () => {
    const x = await buildTenant(t, "automail");
    const owner = (await ok(x.api("GET", "/api/v2/users/me.json"))).user.id;
    const staff = await buildUser(t, x, "agent", "Mia Agent");
    const group = (await ok(x.api("POST", "/api/v2/groups.json", { group: { name: "Desk" } }), 201)).group.id;
    await ok(x.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: staff.id, group_id: group } }), 201);
    await made(x, "Remind", [...tagOnly("remind"), { field: "current_tags", operator: "not_includes", value: "reminded" }, { field: "requester_updated_at", operator: "greater_than", value: 24 }], [
      { field: "current_tags", value: "reminded" },
      { field: "notification_user", value: ["requester_id", "AUTO {{ticket.title}}", "Still there? {{ticket.latest_comment}}"] },
      { field: "notification_group", value: [String(group), "AUTO staff {{ticket.id}}", "Waiting: {{ticket.latest_comment}}"] },
    ]);
    const email = `c-${crypto.randomBytes(3).toString("hex")}@${x.subdomain}.test`;
    const id = (await ticket(x, { tags: ["remind"], assignee_id: owner, requester: { name: "Rob Buyer", email }, comment: { body: "We shipped it." } })).id;
    await ok(x.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Internal: watch list", public: false } } }));
    await setColumns(x, id, { requester_updated_at: ago(30) });
    const since = smtp.messages.length;
    await run();
    await jobsSettled(t, x.tenantId);
    const to = (who: string) => smtp.messages.slice(since).filter((m: ParsedMail) => (m.subject ?? "").startsWith("AUTO") && JSON.stringify(m.to).toLowerCase().includes(who.toLowerCase()));
    const mine = to(email);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.subject).toBe("AUTO Parcel late");
    expect(mine[0]!.text).toContain("Still there? We shipped it.");
    expect(mine[0]!.text).not.toContain("watch list");
    const theirs = to(staff.email);
    expect(theirs).toHaveLength(1);
    expect(theirs[0]!.text).toContain("watch list");
    // Once: the tag nullified it.
    await run();
    await jobsSettled(t, x.tenantId);
    expect(to(email)).toHaveLength(1);
  });
});
