import crypto from "node:crypto";
import { sql } from "kysely";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAutomations, type AutomationDeps } from "../src/modules/triggers/automations-run.ts";
import { createMailer } from "../src/platform/mail.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { PublicUrls } from "../src/platform/urls.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, endUserWithPassword, jobsSettled, staffWithPassword, type Session } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Automations under attack, over real HTTP and the hourly run (runAutomations at a time of the
 * test's choosing, never a wait): other tenants' ids in routes, conditions, actions and recipients;
 * people and tokens below admin; junk bodies (4xx, never 500, nothing written); Zendesk's
 * nullifying rule and the ways around it; what the run may touch (other tenants, the trash, closed
 * tickets), write (the audit trail, the triggers after it) and mail (restricted, suspended,
 * blocked people, a stranger's words); the run's cost for one account bounded by counts, and one
 * account's failure stopping no other; the limit under concurrency; nothing in clear at rest.
 */

type As = { email: string; token: string };
type R = { status: number; text: string; body: any };
type Cond = { field: string; operator: string; value?: unknown };
type Act = { field: string; value: unknown };

const HOUR = 3_600_000;
let t: TestApp;
let smtp: SmtpPeer;
let deps: AutomationDeps;
let a: TestTenant;
let b: TestTenant;
let admin: As & { id: number };
let agent: As & { id: number };
let light: As & { id: number };
let endUser: { id: number; email: string; session: Session };
let g1: number;
let bGroup: number;
let bUser: number;
let bOrg: number;
let bAutomation: number;
let bField: number;

async function ok(r: Promise<R>, status = 200): Promise<any> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body;
}
const count = (tenantId: string) => t.db.tenant(tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM automations`.execute(tx.db)).rows[0]!.n));
/** Hours from now (tickets are created at the real clock; the run is told a later one). */
const later = (h: number) => new Date(Date.now() + h * HOUR);
/** A time condition every ticket older than an hour passes. */
const OLD: Cond = { field: "created_at", operator: "greater_than", value: "1" };
/** Conditions of an automation that tags once: older than an hour, without `done`. */
const once = (done: string, extra: Cond[] = []): { all: Cond[] } => ({ all: [OLD, { field: "current_tags", operator: "not_includes", value: done }, ...extra] });
const tagAct = (x: string): Act[] => [{ field: "current_tags", value: x }];
const create = (automation: Record<string, unknown>, tenant: TestTenant = a, who?: As) => tenant.api("POST", "/api/v2/automations.json", { automation }, who);
const make = async (tenant: TestTenant, automation: Record<string, unknown>): Promise<number> => (await ok(create(automation, tenant), 201)).automation.id;
async function ticket(tenant: TestTenant, extra: Record<string, unknown> = {}): Promise<number> {
  return (await ok(tenant.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Printer on fire", comment: { body: "It smokes." }, ...extra } }), 201)).ticket.id;
}
const show = async (tenant: TestTenant, id: number) => (await ok(tenant.api("GET", `/api/v2/tickets/${id}.json`))).ticket;
const audits = async (tenant: TestTenant, id: number): Promise<any[]> => (await ok(tenant.api("GET", `/api/v2/tickets/${id}/audits.json`))).audits;
const ruleAudits = async (tenant: TestTenant, id: number) => (await audits(tenant, id)).filter((x) => x.via.channel === "rule");
const recipients = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((x) => x.value.map((v) => (v.address ?? "").toLowerCase()));
async function mailTo(tenant: TestTenant, to: string, since: number): Promise<ParsedMail[]> {
  await jobsSettled(t, tenant.tenantId);
  return smtp.messages.slice(since).filter((m) => recipients(m).includes(to.toLowerCase()));
}
const customer = (tenant: TestTenant) => `c-${crypto.randomBytes(3).toString("hex")}@${tenant.subdomain}.test`;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
  const urls = new PublicUrls(t.config);
  urls.listening(t.port);
  deps = { db: t.db, keyring: t.keyring, hooks: t.app.hooks, mailer: createMailer(t.config), config: t.config, urls, rateLimiter: createMemoryRateLimiter() };
  a = await buildTenant(t, "autoatk");
  b = await buildTenant(t, "autoatkb");
  const mk = async (role: "admin" | "agent" | "light-agent", name: string) => {
    const u = await buildUser(t, a, role, name);
    return { email: u.email, token: u.token!, id: u.id };
  };
  admin = await mk("admin", "Ada Admin");
  agent = await mk("agent", "Al Agent");
  light = await mk("light-agent", "Lee Light");
  await ok(a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } }));
  endUser = await endUserWithPassword(t, a, "Eve Customer");
  g1 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 1" } }), 201)).group.id;
  // B's ids beyond any of A's (ids are per tenant): each names something in B only.
  for (let i = 0; i < 4; i++) bGroup = (await ok(b.api("POST", "/api/v2/groups.json", { group: { name: `B group ${i}` } }), 201)).group.id;
  for (let i = 0; i < 10; i++) bUser = (await buildUser(t, b, "agent", `B Agent ${i}`)).id;
  for (let i = 0; i < 3; i++) bField = (await ok(b.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: `B field ${i}` } }), 201)).ticket_field.id;
  for (let i = 0; i < 3; i++) bOrg = (await ok(b.api("POST", "/api/v2/organizations.json", { organization: { name: `B org ${i}` } }), 201)).organization.id;
  for (let i = 0; i < 3; i++) bAutomation = await make(b, { title: "B's", conditions: once("b_done"), actions: tagAct("b_done") });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

describe("ids that are not the caller's", () => {
  it("answers another tenant's automation id as a missing one on every route, touching nothing", async () => {
    const missing = await a.api("GET", "/api/v2/automations/999999.json");
    expect(missing.status).toBe(404);
    for (const [m, body] of [["GET", undefined], ["PUT", { automation: { title: "mine now" } }], ["PUT", { automation: { active: false } }], ["DELETE", undefined]] as const) {
      const r = await a.api(m, `/api/v2/automations/${bAutomation}.json`, body);
      expect(r.status, `${m} ${r.text}`).toBe(404);
      expect(r.body).toEqual(missing.body);
    }
    expect((await a.api("PUT", "/api/v2/automations/reorder.json", { automation_ids: [bAutomation] })).status).toBe(422);
    const mine = (await ok(b.api("GET", `/api/v2/automations/${bAutomation}.json`))).automation;
    expect(mine).toMatchObject({ title: "B's", active: true });
    expect((await ok(a.api("GET", "/api/v2/automations.json"))).automations.map((x: any) => x.id)).not.toContain(bAutomation);
  });

  it("refuses another tenant's groups, people, organizations and fields in conditions, actions and recipients (422), writing nothing", async () => {
    expect((await a.api("GET", `/api/v2/groups/${bGroup}.json`)).status).toBe(404);
    expect((await a.api("GET", `/api/v2/users/${bUser}.json`)).status).toBe(404);
    expect((await a.api("GET", `/api/v2/organizations/${bOrg}.json`)).status).toBe(404);
    const before = await count(a.tenantId);
    const cond = (c: Cond) => ({ all: [...once("x").all, c] });
    const cases: Array<Record<string, unknown>> = [
      { conditions: cond({ field: "group_id", operator: "is", value: String(bGroup) }), actions: tagAct("x") },
      { conditions: cond({ field: "assignee_id", operator: "is", value: String(bUser) }), actions: tagAct("x") },
      { conditions: cond({ field: "requester_id", operator: "is", value: String(bUser) }), actions: tagAct("x") },
      { conditions: cond({ field: "organization_id", operator: "is", value: String(bOrg) }), actions: tagAct("x") },
      { conditions: cond({ field: `custom_fields_${bField}`, operator: "present" }), actions: tagAct("x") },
      { conditions: once("x"), actions: [...tagAct("x"), { field: "group_id", value: String(bGroup) }] },
      { conditions: once("x"), actions: [...tagAct("x"), { field: "assignee_id", value: String(bUser) }] },
      { conditions: once("x"), actions: [...tagAct("x"), { field: `custom_fields_${bField}`, value: "v" }] },
      { conditions: once("x"), actions: [...tagAct("x"), { field: "notification_user", value: [String(bUser), "s", "b"] }] },
      { conditions: once("x"), actions: [...tagAct("x"), { field: "notification_group", value: [String(bGroup), "s", "b"] }] },
      // An end user of the account is no staff recipient, an address is no recipient, and an automation has no current user.
      { conditions: once("x"), actions: [...tagAct("x"), { field: "notification_user", value: [String(endUser.id), "s", "b"] }] },
      { conditions: once("x"), actions: [...tagAct("x"), { field: "notification_user", value: ["attacker@evil.example", "s", "b"] }] },
      { conditions: once("x"), actions: [...tagAct("x"), { field: "notification_user", value: ["current_user", "s", "b"] }] },
      { conditions: once("x"), actions: [...tagAct("x"), { field: "assignee_id", value: "current_user" }] },
      { conditions: cond({ field: "assignee_id", operator: "is", value: "current_user" }), actions: tagAct("x") },
    ];
    for (const c of cases) {
      const r = await create({ title: "cross", ...c });
      expect(r.status, JSON.stringify(c)).toBe(422);
      expect(r.body.details, r.text).toBeTruthy();
      expect(r.text).not.toMatch(/B group|B Agent|B org|B field/);
    }
    expect(await count(a.tenantId)).toBe(before);
  });
});

describe("who may", () => {
  it("keeps agents, light agents, end users, narrow tokens and a session without its CSRF token out of every route", async () => {
    // An admin (not only the owner) manages them.
    const mine = (await ok(create({ title: "admins'", conditions: once("never_x"), actions: [...tagAct("never_x"), { field: "notification_group", value: [String(g1), "s", "b"] }] }, a, admin), 201)).automation.id as number;
    const routes: Array<[string, string, unknown?]> = [
      ["GET", "/api/v2/automations.json"],
      ["GET", "/api/v2/automations/active.json"],
      ["GET", "/api/v2/automations/definitions.json"],
      ["GET", `/api/v2/automations/${mine}.json`],
      ["POST", "/api/v2/automations.json", { automation: { title: "agent's", conditions: once("z"), actions: tagAct("z") } }],
      ["PUT", `/api/v2/automations/${mine}.json`, { automation: { title: "taken" } }],
      ["PUT", "/api/v2/automations/reorder.json", { automation_ids: [mine] }],
      ["DELETE", `/api/v2/automations/${mine}.json`],
    ];
    for (const who of [agent, light]) for (const [m, p, body] of routes) expect((await a.api(m, p, body, who)).status, `${who.email} ${m} ${p}`).toBe(403);
    for (const [m, p, body] of routes) expect((await asSession(t, a, endUser.session, m, p, body)).status, `end user ${m} ${p}`).toBe(403);
    for (const [m, p, body] of routes) expect((await a.api(m, p, body, null)).status, `nobody ${m} ${p}`).toBeGreaterThanOrEqual(401);
    const tok = async (scopes: string[]) => ({ email: a.ownerEmail, token: (await ok(a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: scopes.join(" "), scopes } }), 201)).api_token.token as string });
    for (const scopes of [["tickets:read", "tickets:write"], ["users:read", "users:write"], ["read"]]) {
      const x = await tok(scopes);
      for (const [m, p, body] of routes) {
        if (scopes.includes("read") && m === "GET") continue;
        expect((await a.api(m, p, body, x)).status, `${scopes} ${m} ${p}`).toBe(403);
      }
    }
    const s = await staffWithPassword(t, a, "admin");
    for (const [m, p, body] of routes.filter(([m]) => m !== "GET")) {
      const r = await t.request({ method: m, path: p, host: a.host, headers: { cookie: s.session.cookie }, body });
      expect(r.status, `no csrf ${m} ${p}`).toBe(403);
    }
    const kept = (await ok(a.api("GET", `/api/v2/automations/${mine}.json`))).automation;
    expect(kept).toMatchObject({ title: "admins'", active: true });
    await ok(a.api("DELETE", `/api/v2/automations/${mine}.json`), 204);
  });
});

describe("junk bodies", () => {
  const owner = () => ({ authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") });
  const good = { title: "t", conditions: once("x"), actions: tagAct("x") };

  it("answers 4xx with details, never 500, and writes nothing", async () => {
    const before = await count(a.tenantId);
    const withCond = (c: unknown) => ({ automation: { ...good, conditions: { all: [...once("x").all, c] } } });
    const withAct = (x: unknown) => ({ automation: { ...good, actions: [...tagAct("x"), x] } });
    const bodies: unknown[] = [
      null, [], "x", 5, { automation: null }, { automation: [] }, { automation: { title: 5 } }, { trigger: good }, { automation: good, trigger: good },
      { automation: { ...good, extra: 1 } }, { automation: { ...good, constructor: { prototype: { x: 1 } } } },
      { automation: { ...good, title: "" } }, { automation: { ...good, title: "   " } }, { automation: { ...good, title: "a\u0000b" } }, { automation: { ...good, title: "x".repeat(1001) } },
      { automation: { ...good, conditions: { all: "created_at" } } }, { automation: { ...good, conditions: { all: [], any: [] } } }, { automation: { ...good, conditions: { none: [] } } },
      { automation: { ...good, actions: [] } }, { automation: { ...good, actions: "status" } }, { automation: { title: "t", conditions: once("x") } }, { automation: { title: "t", actions: tagAct("x") } },
      withCond({ field: "__proto__", operator: "is", value: "x" }), withCond({ field: "constructor", operator: "is", value: "x" }), withCond({ field: "hasOwnProperty", operator: "is", value: "1" }),
      withCond({ field: "toString", operator: "greater_than", value: "1" }), withCond({ field: "created_at", operator: "__proto__", value: "1" }), withCond({ field: "created_at", operator: "constructor", value: "1" }),
      withCond({ field: "status", operator: "matches", value: ".*" }), withCond({ field: "status", operator: "is", value: { $ne: 1 } }), withCond({ field: "status", operator: "is", value: ["open"] }),
      withCond({ field: "custom_fields_99999999999999999999999", operator: "present" }), withCond({ field: "group_id", operator: "is", value: "1e3" }),
      // Look-alikes: a Cyrillic "а", full-width letters and digits, a zero-width space, a right-to-left override.
      withCond({ field: "st\u0430tus", operator: "is", value: "open" }), withCond({ field: "status", operator: "is", value: "ｏｐｅｎ" }), withCond({ field: "SOLVED\u200b", operator: "greater_than", value: "1" }),
      withCond({ field: "current_tags", operator: "includes", value: "a\u200bb" }), withCond({ field: "current_tags", operator: "includes", value: "\u202egnp.exe" }), withCond({ field: "group_id", operator: "is", value: "１２" }),
      { automation: { ...good, conditions: { all: [...once("x").all, ...Array.from({ length: 49 }, () => ({ field: "status", operator: "is", value: "open" }))] } } },
      { automation: { ...good, conditions: { all: Array.from({ length: 5000 }, () => OLD) } } },
      { automation: { ...good, conditions: { ...once("x"), any: Array.from({ length: 51 }, () => OLD) } } },
      { automation: { ...good, actions: Array.from({ length: 31 }, (_, i) => ({ field: "notification_user", value: ["requester_id", `s${i}`, "b"] })) } },
      { automation: { ...good, actions: Array.from({ length: 5000 }, () => tagAct("x")[0]) } },
      withAct({ field: "__proto__", value: "x" }), withAct({ field: "constructor", value: "x" }), withAct({ field: "status", value: ["a", "b", "c"] }), withAct({ field: "status", value: { toString: "closed" } }),
      withAct({ field: "status", value: "deleted" }), withAct({ field: "status", value: "trashed" }), withAct({ field: "delete", value: "true" }), withAct({ field: "comment_value", value: "hello" }), withAct({ field: "subject", value: "renamed" }),
      withAct({ field: "notification_user", value: "requester_id" }), withAct({ field: "notification_user", value: ["requester_id", "", "b"] }), withAct({ field: "notification_user", value: ["requester_id", "s", ""] }),
      withAct({ field: "notification_user", value: ["requester_id", "s", "{% include '/etc/passwd' %}"] }), withAct({ field: "notification_user", value: ["requester_id", "s", "{% render 'x' %}"] }),
      withAct({ field: "notification_user", value: ["requester_id", "s", "{% layout 'x' %}"] }), withAct({ field: "notification_user", value: ["requester_id", "s", "{% if %}"] }),
      withAct({ field: "notification_user", value: ["requester_id", "s\nBcc: x@evil.test", "b"] }), withAct({ field: "notification_user", value: ["requester_id", "s", "b", "x"] }),
      withAct({ field: "notification_group", value: ["0", "s", "b"] }), withAct({ field: "notification_group", value: ["-1", "s", "b"] }),
      { automation: { ...good, position: -1 } }, { automation: { ...good, position: 1.5 } }, { automation: { ...good, position: 100_001 } }, { automation: { ...good, position: "1" } }, { automation: { ...good, active: "true" } },
    ];
    for (const body of bodies) {
      const r = await t.request({ method: "POST", path: "/api/v2/automations.json", host: a.host, headers: owner(), body });
      expect(r.status, `${JSON.stringify(body)?.slice(0, 200)} ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text).toBeLessThan(500);
    }
    // Not JSON at all, or JSON that is too deep.
    for (const rawBody of [JSON.stringify({ automation: good }).replace('{"title"', '{"__proto__":{"active":false},"title"'), JSON.stringify({ automation: good }).replace('{"automation"', '{"__proto__":{"x":1},"automation"'), "{", '{"automation":', "\u0000", JSON.stringify({ automation: good }).replace("}", "},"), "[".repeat(5000) + "]".repeat(5000)]) {
      const r = await t.request({ method: "POST", path: "/api/v2/automations.json", host: a.host, headers: { ...owner(), "content-type": "application/json" }, rawBody });
      expect(r.status, r.text).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text).toBeLessThan(500);
    }
    expect(await count(a.tenantId)).toBe(before);
  });

  it("takes only whole hours from 0 to 100000 in a time condition, whatever is sent for them", async () => {
    const before = await count(a.tenantId);
    const bad: unknown[] = [-1, "-1", "-0.5", 1.5, "1.5", "1e3", 1e21, "NaN", "Infinity", "-Infinity", 100_001, "100001", "9".repeat(400), "", null, true, false, "0x10", "0b1", "+5", "5 6", "５", "١٢", "1\u0000", " ", "1 hour", "1h"];
    for (const operator of ["is", "less_than", "greater_than"]) {
      for (const value of bad) {
        const r = await create({ title: "hours", conditions: { all: [{ field: "updated_at", operator, value }, { field: "current_tags", operator: "not_includes", value: "x" }] }, actions: tagAct("x") });
        expect(r.status, `${operator} ${JSON.stringify(value)} ${r.text}`).toBe(422);
        expect(Object.keys(r.body.details ?? {}), r.text).toContain("conditions.all[0]");
      }
    }
    for (const operator of ["changed", "value", "value_previous", "not_changed", "is_not", "present", "includes"]) {
      const r = await create({ title: "hours", conditions: { all: [{ field: "updated_at", operator, value: "5" }, { field: "current_tags", operator: "not_includes", value: "x" }] }, actions: tagAct("x") });
      expect(r.status, `${operator} ${r.text}`).toBe(422);
    }
    expect(await count(a.tenantId)).toBe(before);
    // Numbers and digit strings are stored as Zendesk's strings, in their plain spelling.
    for (const [value, stored] of [[0, "0"], ["100000", "100000"], [" 7 ", "7"], ["0024", "24"], [100_000, "100000"]] as const) {
      const r = await ok(create({ title: "hours ok", conditions: { all: [{ field: "updated_at", operator: "greater_than", value }, { field: "current_tags", operator: "not_includes", value: "hrs_ok" }] }, actions: tagAct("hrs_ok") }), 201);
      expect(r.automation.conditions.all[0]).toEqual({ field: "updated_at", operator: "greater_than", value: stored });
      await ok(a.api("DELETE", `/api/v2/automations/${r.automation.id}.json`), 204);
    }
  });

  it("refuses every condition about an update, naming it, and automations without a time condition or a nullifying action", async () => {
    const before = await count(a.tenantId);
    const update: Cond[] = [
      { field: "update_type", operator: "is", value: "Change" },
      { field: "comment_is_public", operator: "is", value: "true" },
      { field: "comment_includes_word", operator: "includes", value: "refund" },
      { field: "role", operator: "is", value: "end_user" },
      { field: "status", operator: "changed" },
      { field: "status", operator: "value", value: "open" },
      { field: "priority", operator: "value_previous", value: "low" },
      { field: "assignee_id", operator: "not_changed" },
      { field: "group_id", operator: "changed" },
      { field: "type", operator: "value", value: "task" },
    ];
    for (const c of update) {
      for (const kind of ["all", "any"] as const) {
        const conditions = kind === "all" ? { all: [...once("x").all, c] } : { ...once("x"), any: [c] };
        const r = await create({ title: "update", conditions, actions: tagAct("x") });
        expect(r.status, `${JSON.stringify(c)} ${r.text}`).toBe(422);
        expect(Object.keys(r.body.details), r.text).toEqual([`conditions.${kind}[${kind === "all" ? 2 : 0}]`]);
      }
    }
    // A time condition only in `any` is no time condition; no action nullifying anything in `all`.
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ conditions: { all: [{ field: "current_tags", operator: "not_includes", value: "x" }] }, actions: tagAct("x") }, "conditions.all"],
      [{ conditions: { all: [{ field: "current_tags", operator: "not_includes", value: "x" }], any: [OLD] }, actions: tagAct("x") }, "conditions.all"],
      [{ conditions: { all: [OLD] }, actions: tagAct("x") }, "actions"],
      [{ conditions: { all: [OLD, { field: "current_tags", operator: "not_includes", value: "x" }] }, actions: tagAct("y") }, "actions"],
      [{ conditions: { all: [OLD, { field: "status", operator: "is", value: "open" }] }, actions: [{ field: "status", value: "open" }] }, "actions"],
      [{ conditions: { all: [OLD, { field: "status", operator: "is_not", value: "solved" }] }, actions: [{ field: "status", value: "pending" }] }, "actions"],
      [{ conditions: { all: [OLD, { field: "status", operator: "is", value: "new" }] }, actions: [{ field: "status", value: "new" }] }, "actions"],
      [{ conditions: { all: [{ field: "OPEN", operator: "greater_than", value: "2" }] }, actions: [{ field: "status", value: "new" }] }, "actions"],
      [{ conditions: { all: [{ field: "OPEN", operator: "greater_than", value: "2" }] }, actions: [{ field: "status", value: "open" }] }, "actions"],
      [{ conditions: { all: [OLD, { field: "current_tags", operator: "includes", value: "a b" }] }, actions: [{ field: "remove_tags", value: "a" }] }, "actions"],
      [{ conditions: { all: [OLD], any: [{ field: "current_tags", operator: "not_includes", value: "x" }] }, actions: tagAct("x") }, "actions"],
      [{ conditions: once("x"), actions: [{ field: "notification_user", value: ["requester_id", "x", "x"] }] }, "actions"],
    ];
    for (const [body, key] of refusals) {
      const r = await create({ title: "invalid", ...body });
      expect(r.status, `${JSON.stringify(body)} ${r.text}`).toBe(422);
      expect(Object.keys(r.body.details), r.text).toContain(key);
    }
    expect(await count(a.tenantId)).toBe(before);
  });

  it("refuses an action list that nullifies a condition only to undo it (it would fire on the same ticket every hour)", async () => {
    const before = await count(a.tenantId);
    const cases: Array<Record<string, unknown>> = [
      // Each tag action alone nullifies; together they leave the ticket as the condition wants it.
      { conditions: once("loop_a"), actions: [{ field: "current_tags", value: "loop_a" }, { field: "remove_tags", value: "loop_a" }, { field: "priority", value: "high" }] },
      { conditions: once("loop_b"), actions: [{ field: "set_tags", value: "loop_b" }, { field: "remove_tags", value: "loop_b" }] },
      { conditions: { all: [OLD, { field: "current_tags", operator: "includes", value: "loop_c" }] }, actions: [{ field: "remove_tags", value: "loop_c" }, { field: "current_tags", value: "loop_c" }] },
      { conditions: { all: [OLD, { field: "current_tags", operator: "includes", value: "loop_d" }] }, actions: [{ field: "set_tags", value: "other" }, { field: "current_tags", value: "loop_d" }] },
    ];
    for (const c of cases) {
      const r = await create({ title: "undo", ...c });
      expect(r.status, `${JSON.stringify(c)} ${r.text}`).toBe(422);
      expect(Object.keys(r.body.details ?? {}), r.text).toContain("actions");
    }
    // The same by an update of one side only.
    const id = await make(a, { title: "undo later", conditions: once("loop_e"), actions: tagAct("loop_e") });
    const r = await a.api("PUT", `/api/v2/automations/${id}.json`, { automation: { actions: [{ field: "current_tags", value: "loop_e" }, { field: "remove_tags", value: "loop_e" }] } });
    expect(r.status, r.text).toBe(422);
    expect((await ok(a.api("GET", `/api/v2/automations/${id}.json`))).automation.actions).toEqual(tagAct("loop_e"));
    await ok(a.api("DELETE", `/api/v2/automations/${id}.json`), 204);
    expect(await count(a.tenantId)).toBe(before);
  });

  it("keeps a rule within Zendesk's 64 KB, however its conditions and mail texts add up (every run and every ticket write opens them all)", async () => {
    // 500 automations (and 500 triggers) of a megabyte each: each hourly run opened half a gigabyte
    // of one account's rules, and each ticket write of the account (an anonymous request too) as
    // much of its triggers.
    const before = await count(a.tenantId);
    const big = "Dear customer, ".repeat(1300); // ~19.5 KB, each well within a mail's own limit
    const mails = Array.from({ length: 5 }, (_, i) => ({ field: "notification_user", value: ["requester_id", `Reminder ${i}`, big] }));
    const huge = { title: "huge", conditions: once("huge_x"), actions: [...tagAct("huge_x"), ...mails] };
    const r = await create(huge);
    expect(r.status, r.text.slice(0, 300)).toBe(422);
    const tr = await a.api("POST", "/api/v2/triggers.json", { trigger: { title: "huge", conditions: { all: [{ field: "current_tags", operator: "includes", value: "huge_x" }] }, actions: mails } });
    expect(tr.status, tr.text.slice(0, 300)).toBe(422);
    // Grown by an update, one side at a time.
    const id = await make(a, { title: "small", conditions: once("huge_y"), actions: [...tagAct("huge_y"), ...mails.slice(0, 1)] });
    expect((await a.api("PUT", `/api/v2/automations/${id}.json`, { automation: { actions: [...tagAct("huge_y"), ...mails] } })).status).toBe(422);
    const words = Array.from({ length: 100 }, (_, i) => `tag_${"x".repeat(90)}_${i}`).join(" ");
    const grown = { all: [...once("huge_y").all, ...Array.from({ length: 48 }, () => ({ field: "current_tags", operator: "not_includes", value: words }))] };
    expect((await a.api("PUT", `/api/v2/automations/${id}.json`, { automation: { conditions: grown } })).status).toBe(422);
    // A usual one, and one just under the bound, are kept.
    const near = Array.from({ length: 3 }, (_, i) => ({ field: "notification_user", value: ["requester_id", `Reminder ${i}`, big] }));
    await ok(a.api("PUT", `/api/v2/automations/${id}.json`, { automation: { actions: [...tagAct("huge_y"), ...near] } }));
    await ok(a.api("DELETE", `/api/v2/automations/${id}.json`), 204);
    expect(await count(a.tenantId)).toBe(before);
  });

  it("writes nothing of an update it refuses, whichever part is wrong", async () => {
    const id = await make(a, { title: "kept", description: "as it was", conditions: once("kept_x"), actions: tagAct("kept_x") });
    const before = (await ok(a.api("GET", `/api/v2/automations/${id}.json`))).automation;
    const puts: unknown[] = [
      { automation: { title: "changed", conditions: { all: [{ field: "current_tags", operator: "not_includes", value: "kept_x" }] } } },
      { automation: { title: "changed", active: false, actions: tagAct("other") } },
      { automation: { description: "changed", conditions: { all: [OLD, { field: "group_id", operator: "is", value: String(bGroup) }] } } },
      { automation: { position: 3, actions: [...tagAct("kept_x"), { field: "notification_user", value: [String(bUser), "s", "b"] }] } },
      { automation: { title: "changed", conditions: { all: [OLD] } } },
      { automation: { title: "" } },
      { automation: { active: "false" } },
      { automation: { title: "changed", extra: true } },
    ];
    for (const body of puts) {
      const r = await a.api("PUT", `/api/v2/automations/${id}.json`, body);
      expect(r.status, `${JSON.stringify(body)} ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text).toBeLessThan(500);
    }
    expect((await ok(a.api("GET", `/api/v2/automations/${id}.json`))).automation).toEqual(before);
    await ok(a.api("DELETE", `/api/v2/automations/${id}.json`), 204);
  });

  it("refuses bad reorders (duplicates, missing, negative, strings, huge) with 4xx and keeps the order", async () => {
    const x = await make(a, { title: "r1", conditions: once("never_r"), actions: tagAct("never_r") });
    const y = await make(a, { title: "r2", conditions: once("never_r"), actions: tagAct("never_r") });
    const list = async () => ((await ok(a.api("GET", "/api/v2/automations.json?per_page=100"))).automations as Array<{ id: number; position: number }>).map((z) => [z.id, z.position]);
    const all = (await list()).map(([id]) => id!);
    const before = await list();
    for (const ids of [[...all, x], all.slice(1), [...all.slice(1), -1], [...all.slice(1), bAutomation], all.map(String).concat("x"), Array.from({ length: 100_000 }, (_, i) => i), [x, x, y], null, "1,2", { 0: x }]) {
      const r = await a.api("PUT", "/api/v2/automations/reorder.json", { automation_ids: ids });
      expect(r.status, r.text).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text).toBeLessThan(500);
    }
    const wrongKey = await a.api("PUT", "/api/v2/automations/reorder.json", { trigger_ids: [...all].reverse() });
    expect([400, 422], wrongKey.text).toContain(wrongKey.status);
    expect(await list()).toEqual(before);
    const rs = await Promise.all([a.api("PUT", "/api/v2/automations/reorder.json", { automation_ids: [...all].reverse() }), a.api("PUT", "/api/v2/automations/reorder.json", { automation_ids: all })]);
    for (const r of rs) expect(r.status, r.text).toBeLessThan(500);
    expect((await list()).map(([, p]) => p)).toEqual(all.map((_, i) => i + 1));
    for (const id of [x, y]) await ok(a.api("DELETE", `/api/v2/automations/${id}.json`), 204);
  });
});

/** A ticket's status and tags as stored (the trash included). */
const stored = (tenant: TestTenant, niceId: number) =>
  t.db.tenant(tenant.tenantId, async (tx) => (await sql<{ status: string; tags: string[]; deleted_at: Date | null }>`SELECT status, tags, deleted_at FROM tickets WHERE nice_id = ${niceId}`.execute(tx.db)).rows[0]!);
/** The audit-trail entries of a tenant, as stored. */
const trail = (tenant: TestTenant) =>
  t.db.tenant(tenant.tenantId, async (tx) => (await sql<Record<string, unknown>>`SELECT * FROM audit_log ORDER BY seq`.execute(tx.db)).rows);
async function trailUntil(tenant: TestTenant, pred: (rows: Array<Record<string, unknown>>) => boolean): Promise<Array<Record<string, unknown>>> {
  for (let i = 0; ; i++) {
    const rows = await trail(tenant);
    if (pred(rows) || i > 50) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the run", () => {
  it("stays inside each account: one account's automation never reads or writes another's tickets", async () => {
    const c = await buildTenant(t, "autoiso");
    const d = await buildTenant(t, "autoisod");
    await make(c, { title: "C tags", conditions: once("iso_done"), actions: [...tagAct("iso_done"), { field: "priority", value: "urgent" }] });
    const mine = await ticket(c);
    // The same public ids in both accounts.
    const theirs = await ticket(d);
    expect(theirs).toBe(mine);
    await runAutomations(deps, later(3));
    expect((await show(c, mine)).tags).toContain("iso_done");
    const other = await show(d, theirs);
    expect(other.tags).not.toContain("iso_done");
    expect(other.priority).toBeNull();
    expect(await ruleAudits(d, theirs)).toHaveLength(0);
  });

  it("leaves tickets in the trash and closed tickets alone, runs only active automations, and fires once on a ticket", async () => {
    const e = await buildTenant(t, "autotrash");
    const owner = (await ok(e.api("GET", "/api/v2/users/me.json"))).user.id;
    const close = await make(e, { title: "close solved", conditions: { all: [{ field: "SOLVED", operator: "greater_than", value: "2" }] }, actions: [{ field: "status", value: "closed" }] });
    const tag = await make(e, { title: "tag", conditions: once("e_done"), actions: tagAct("e_done") });
    await make(e, { title: "inactive", active: false, conditions: once("e_inactive"), actions: tagAct("e_inactive") });
    const gone = await make(e, { title: "deleted", conditions: once("e_deleted"), actions: tagAct("e_deleted") });
    await ok(e.api("DELETE", `/api/v2/automations/${gone}.json`), 204);
    const plain = await ticket(e);
    const trashed = await ticket(e);
    await ok(e.api("DELETE", `/api/v2/tickets/${trashed}.json`), 204);
    const solved = await ticket(e, { status: "solved", assignee_id: owner });
    const held = await ticket(e);
    await ok(e.api("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type: "ticket", target_id: held, reason: "Claim 7" } }), 201);
    await runAutomations(deps, later(5));
    expect((await stored(e, plain)).tags).toEqual(["e_done"]);
    expect(await stored(e, trashed)).toMatchObject({ tags: [], status: "new" });
    expect((await stored(e, trashed)).deleted_at).not.toBeNull();
    expect((await stored(e, solved)).status).toBe("closed");
    // The close ran first (position 1): the closed ticket is no candidate for the tag.
    expect((await stored(e, solved)).tags).toEqual([]);
    // A held ticket is changed like any other and stays where it is, held.
    expect(await stored(e, held)).toMatchObject({ tags: ["e_done"], deleted_at: null });
    const before = { plain: (await ruleAudits(e, plain)).length, solved: (await ruleAudits(e, solved)).length };
    expect(before).toEqual({ plain: 1, solved: 1 });
    // Later runs: nothing again (nullified), the closed ticket untouched, the trash untouched.
    await runAutomations(deps, later(6));
    await runAutomations(deps, later(500));
    expect({ plain: (await ruleAudits(e, plain)).length, solved: (await ruleAudits(e, solved)).length }).toEqual(before);
    expect(await stored(e, trashed)).toMatchObject({ tags: [], status: "new" });
    expect((await stored(e, solved)).status).toBe("closed");
    // Restored from the trash, it is a candidate again.
    await ok(e.api("PUT", `/api/v2/deleted_tickets/${trashed}/restore.json`), 204);
    await runAutomations(deps, later(7));
    expect((await stored(e, trashed)).tags).toEqual(["e_done"]);
    expect(close).toBeLessThan(tag);
  });

  it("writes as nobody, naming the automation by id in the audit trail and the ticket's audit", async () => {
    const f = await buildTenant(t, "autoaudit");
    const secret = `Quokka${crypto.randomBytes(4).toString("hex")}`;
    const id = await make(f, { title: `Escalate ${secret}`, description: `D ${secret}`, conditions: once("f_done"), actions: [...tagAct("f_done"), { field: "priority", value: "high" }] });
    const tk = await ticket(f);
    await runAutomations(deps, later(3));
    const rule = await ruleAudits(f, tk);
    expect(rule).toHaveLength(1);
    expect(rule[0].author_id).toBeNull();
    expect(rule[0].via.source).toEqual({ from: { id, title: `Escalate ${secret}` }, rel: "automation" });
    for (const ev of rule[0].events) expect(ev.rule).toMatchObject({ id, rel: "automation" });
    const rows = await trailUntil(f, (r) => r.some((x) => x.action === "ticket.updated_by_rule"));
    const entry = rows.find((x) => x.action === "ticket.updated_by_rule")!;
    expect(entry).toMatchObject({ actor_kind: "system", resource_type: "ticket", resource_id: String(tk) });
    expect(String(entry.fields)).toContain(`automation:${id}`);
    expect(JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v))).not.toContain(secret);
    // The requester's and the assignee's update times are not the system's.
    const times = await t.db.tenant(f.tenantId, async (tx) => (await sql<Record<string, Date | null>>`SELECT requester_updated_at, assignee_updated_at FROM tickets WHERE nice_id = ${tk}`.execute(tx.db)).rows[0]!);
    expect(times.assignee_updated_at).toBeNull();
  });

  it("runs the triggers once after an automation's write; their write runs none, and no trigger takes the system for a person", async () => {
    const g = await buildTenant(t, "autotrig");
    const gAgent = await buildUser(t, g, "agent", "Gil Agent");
    await ok(g.api("POST", "/api/v2/triggers.json", { trigger: { title: "after automation", conditions: { all: [{ field: "via", operator: "is", value: "rule" }, { field: "current_tags", operator: "includes", value: "g_auto" }] }, actions: tagAct("g_trig") } }), 201);
    await ok(g.api("POST", "/api/v2/triggers.json", { trigger: { title: "end user", conditions: { all: [{ field: "role", operator: "is", value: "end_user" }] }, actions: tagAct("g_role") } }), 201);
    await ok(g.api("POST", "/api/v2/triggers.json", { trigger: { title: "mine", conditions: { all: [{ field: "current_tags", operator: "includes", value: "g_auto" }] }, actions: [{ field: "assignee_id", value: "current_user" }, { field: "status", value: "solved" }] } }), 201);
    const tk = await ticket(g, { comment: { body: "hello", public: true } });
    const tags0 = (await show(g, tk)).tags as string[];
    await make(g, { title: "auto", conditions: once("g_auto"), actions: tagAct("g_auto") });
    await runAutomations(deps, later(3));
    const after = await show(g, tk);
    expect(after.tags).toEqual(expect.arrayContaining(["g_auto", "g_trig"]));
    expect(after.tags.filter((x: string) => x === "g_role").length).toBe(tags0.filter((x) => x === "g_role").length);
    // Nobody made the update: no current user to assign, so no solving without an assignee.
    expect(after.assignee_id).toBeNull();
    expect(after.status).not.toBe("solved");
    expect(await ruleAudits(g, tk)).toHaveLength(2);
    await runAutomations(deps, later(4));
    await runAutomations(deps, later(30));
    expect(await ruleAudits(g, tk)).toHaveLength(2);
    expect(gAgent.id).toBeGreaterThan(0);
  });
});

describe("loops the nullifying rule cannot see", () => {
  it("updates a ticket at most 100 times by automations (Zendesk's cap): two valid automations, or one and a trigger, undoing each other stop there", async () => {
    // Each is valid (its action nullifies its own condition), yet together they flip a tag and
    // mail the requester every hour, forever.
    const l = await buildTenant(t, "autoflip");
    const email = customer(l);
    await make(l, { title: "flip", conditions: { all: [OLD, { field: "current_tags", operator: "not_includes", value: "flip" }] }, actions: [{ field: "current_tags", value: "flip" }, { field: "notification_user", value: ["requester_id", "FLIP", "Are you there?"] }] });
    await make(l, { title: "flop", conditions: { all: [OLD, { field: "current_tags", operator: "includes", value: "flip" }] }, actions: [{ field: "remove_tags", value: "flip" }] });
    const tk = (await ok(l.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Flip", comment: { body: "Hello" }, requester: { name: "Flo Flip", email } } }), 201)).ticket.id;
    await runAutomations(deps, later(3));
    expect(await ruleAudits(l, tk)).toHaveLength(2);
    // 96 updates later (set here rather than run 48 times): two more runs' worth, then none.
    await t.db.tenant(l.tenantId, (tx) => sql`UPDATE tickets SET automation_updates = 96 WHERE nice_id = ${tk}`.execute(tx.db));
    await jobsSettled(t, l.tenantId);
    const since = smtp.messages.length;
    for (let h = 4; h < 9; h++) await runAutomations(deps, later(h));
    expect(await ruleAudits(l, tk)).toHaveLength(6);
    expect((await mailTo(l, email, since)).filter((m) => m.subject === "FLIP")).toHaveLength(2);
    const n = await t.db.tenant(l.tenantId, async (tx) => (await sql<{ n: number }>`SELECT automation_updates AS n FROM tickets WHERE nice_id = ${tk}`.execute(tx.db)).rows[0]!.n);
    expect(n).toBe(100);
    // A person's update does not reset the count (Zendesk's is for the ticket's life).
    await ok(l.api("PUT", `/api/v2/tickets/${tk}.json`, { ticket: { priority: "high" } }));
    await runAutomations(deps, later(10));
    expect(await ruleAudits(l, tk)).toHaveLength(6);
  });
});

describe("mail", () => {
  it("mails no restricted, suspended or blocked requester, nor staff demoted since, and audits the withholding", async () => {
    const h = await buildTenant(t, "automail");
    const staff = await buildUser(t, h, "agent", "Sam Staff");
    const blocked = customer(h);
    await ok(h.api("PUT", "/api/v2/mail_settings.json", { settings: { blocklist: [blocked] } }));
    const people = { fine: customer(h), restricted: customer(h), suspended: customer(h), blocked };
    const ids: Record<string, { ticket: number; requester: number }> = {};
    for (const [k, email] of Object.entries(people)) {
      const r = await ok(h.api("POST", "/api/v2/tickets.json", { ticket: { subject: `About ${k}`, comment: { body: "Public words" }, requester: { name: `Person ${k}`, email } } }), 201);
      ids[k] = { ticket: r.ticket.id, requester: r.ticket.requester_id };
    }
    await ok(h.api("PUT", `/api/v2/users/${ids.restricted!.requester}/restriction.json`, { restriction: { restricted: true, reason: "Objected by letter" } }));
    await ok(h.api("PUT", `/api/v2/users/${ids.suspended!.requester}.json`, { user: { suspended: true } }));
    await make(h, { title: "remind", conditions: once("h_done"), actions: [...tagAct("h_done"), { field: "notification_user", value: ["requester_id", "REMIND {{ticket.id}}", "Still there?"] }, { field: "notification_user", value: [String(staff.id), "STAFF {{ticket.id}}", "Look"] }] });
    await ok(h.api("PUT", `/api/v2/users/${staff.id}.json`, { user: { role: "end-user" } }));
    // The built-in mail of the tickets' creation is not the automation's.
    await jobsSettled(t, h.tenantId);
    const since = smtp.messages.length;
    await runAutomations(deps, later(3));
    for (const k of Object.keys(people)) expect((await stored(h, ids[k]!.ticket)).tags, k).toContain("h_done");
    expect((await mailTo(h, people.fine, since)).filter((m) => m.subject?.startsWith("REMIND"))).toHaveLength(1);
    for (const k of ["restricted", "suspended", "blocked"] as const) expect((await mailTo(h, people[k], since)).map((x) => `${x.subject}: ${x.text}`), k).toEqual([]);
    expect((await mailTo(h, staff.email, since)).map((x) => x.subject)).toEqual([]);
    // The rule mail's withholding (the built-in mail of the creation may be withheld too, at sending).
    const ruleWithheld = (r: Array<Record<string, unknown>>) => r.filter((x) => x.action === "notification.withheld" && String(x.fields).includes("trigger"));
    const rows = await trailUntil(h, (r) => ruleWithheld(r).length > 0);
    expect(ruleWithheld(rows).map((x) => x.resource_id)).toEqual([String(ids.restricted!.requester)]);
    // The next runs mail nobody again.
    const since2 = smtp.messages.length;
    await runAutomations(deps, later(4));
    expect(await mailTo(h, people.fine, since2)).toHaveLength(0);
  });

  it("gives a requester no internal note, no object dump, no staff address", async () => {
    const m = await buildTenant(t, "autoleak");
    const mAgent = await buildUser(t, m, "agent", "Mo Agent");
    const email = customer(m);
    const body = "L={{ticket.latest_comment}}|A={{ticket.assignee.email}}|R={{ticket.requester.email}}|P={{ticket.constructor}}{{ticket.__proto__}}{{ticket.requester.constructor.name}}{{ticket.__proto__.constructor}}|J={{ ticket | json }}|C={{ current_user | json }}|K={{ ticket.constructor.constructor }}";
    await make(m, { title: "leak", conditions: once("m_done"), actions: [...tagAct("m_done"), { field: "notification_user", value: ["requester_id", "LEAK {{ticket.title}}", body] }] });
    const tk = (await ok(m.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Leak test", assignee_id: mAgent.id, comment: { body: "Public hello" }, requester: { name: "Vic Tim", email } } }), 201)).ticket.id;
    await ok(m.api("PUT", `/api/v2/tickets/${tk}.json`, { ticket: { comment: { body: "INTERNAL-SECRET note", public: false } } }));
    const since = smtp.messages.length;
    await runAutomations(deps, later(3));
    const mails = (await mailTo(m, email, since)).filter((x) => (x.subject ?? "").startsWith("LEAK"));
    expect(mails).toHaveLength(1);
    const text = mails[0]!.text ?? "";
    expect(text).toContain("L=Public hello");
    for (const bad of ["INTERNAL-SECRET", mAgent.email, "[object", "function", "prototype", "tenant", "_sealed", "requester_id"]) expect(text, bad).not.toContain(bad);
  });

  it("relays none of a stranger's words from the anonymous form to the address they typed", async () => {
    // The trigger's relay (triggers-attack.test.ts "the anonymous form") an hour later: a request
    // nobody signed in to names a victim's address, and the account's reminder automation mails
    // them its subject, body and name under the account's name.
    const c = await buildTenant(t, "autorelay");
    await make(c, { title: "reminder", conditions: { all: [{ field: "NEW", operator: "greater_than", value: "1" }, { field: "current_tags", operator: "not_includes", value: "reminded" }] }, actions: [...tagAct("reminded"), { field: "notification_user", value: ["requester_id", "RELAY {{ticket.title}} {{current_user.name}}", "Hi {{ticket.requester.name}}: {{ticket.latest_comment}} {{ticket.title}}"] }] });
    const victim = `victim-${crypto.randomBytes(3).toString("hex")}@${c.subdomain}.test`;
    const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: c.host, headers: { "x-forwarded-for": "198.51.100.9" }, body: { request: { subject: "Account locked evil.example", comment: { body: "Confirm your password at https://evil.example/keep" }, requester: { name: "Lure evil.example", email: victim } } } });
    expect(r.status, r.text).toBe(201);
    await jobsSettled(t, c.tenantId);
    const since = smtp.messages.length;
    await runAutomations(deps, later(3));
    const mails = await mailTo(c, victim, since);
    expect(mails.length).toBeGreaterThan(0);
    for (const x of mails) expect(`${x.subject}\n${x.text}`).not.toContain("evil.example");
  });

  it("relays none of them either through a trigger after an update that adds no words (staff triage, the automation's own write)", async () => {
    const c = await buildTenant(t, "autorelay2");
    await ok(c.api("POST", "/api/v2/triggers.json", { trigger: { title: "updated", conditions: { all: [{ field: "update_type", operator: "is", value: "Change" }, { field: "priority", operator: "changed" }] }, actions: [{ field: "notification_user", value: ["requester_id", "UPDATED {{ticket.title}}", "{{ticket.requester.name}} wrote: {{ticket.latest_comment}}"] }] } }), 201);
    await make(c, { title: "urgent when old", conditions: { all: [OLD, { field: "priority", operator: "is_not", value: "urgent" }] }, actions: [{ field: "priority", value: "urgent" }] });
    const victims = [0, 1].map(() => `victim-${crypto.randomBytes(3).toString("hex")}@${c.subdomain}.test`);
    for (const victim of victims) {
      const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: c.host, headers: { "x-forwarded-for": "198.51.100.9" }, body: { request: { subject: "Account locked evil.example", comment: { body: "Confirm your password at https://evil.example/keep" }, requester: { name: "Lure evil.example", email: victim } } } });
      expect(r.status, r.text).toBe(201);
    }
    await jobsSettled(t, c.tenantId);
    const since = smtp.messages.length;
    // Staff triage one without a word to the requester; the automation takes the other.
    const first = (await ok(c.api("GET", "/api/v2/tickets.json?sort_by=created_at&sort_order=asc"))).tickets[0].id;
    await ok(c.api("PUT", `/api/v2/tickets/${first}.json`, { ticket: { priority: "urgent", comment: { body: "triaged", public: false } } }));
    await runAutomations(deps, later(3));
    for (const victim of victims) {
      const mails = await mailTo(c, victim, since);
      expect(mails.length, victim).toBeGreaterThan(0);
      for (const x of mails) expect(`${x.subject}\n${x.text}`).not.toContain("evil.example");
    }
    // A public answer from staff: the trigger's mail carries the account's words again.
    const since2 = smtp.messages.length;
    await ok(c.api("PUT", `/api/v2/tickets/${first}.json`, { ticket: { priority: "low", comment: { body: "We reset it for you.", public: true } } }));
    const full = (await mailTo(c, victims[0]!, since2)).filter((x) => (x.subject ?? "").startsWith("UPDATED"));
    expect(full).toHaveLength(1);
    expect(full[0]!.text).toContain("We reset it for you.");
  });
});

describe("the run's cost and its isolation", () => {
  it("updates at most `cap` tickets an automation in one run, the rest at the next", async () => {
    const c = await buildTenant(t, "autocap");
    await make(c, { title: "cap", conditions: once("cap_done"), actions: tagAct("cap_done") });
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await ticket(c));
    await runAutomations(deps, later(3), { cap: 3 });
    const tagged = async () => (await Promise.all(ids.map((id) => stored(c, id)))).filter((x) => x.tags.includes("cap_done")).length;
    expect(await tagged()).toBe(3);
    await runAutomations(deps, later(4), { cap: 3 });
    expect(await tagged()).toBe(5);
  });

  it("bounds what one account's automations read and write in a run, and the accounts after it still run", async () => {
    // The run is shared: 500 automations × 1000 tickets of one account (or 500 scans of every
    // ticket that match none in the end) would hold every other account's automations for hours.
    const heavy = await buildTenant(t, "autoheavy");
    const scans = await buildTenant(t, "autoscans");
    const light = await buildTenant(t, "autolight");
    for (let i = 0; i < 6; i++) await make(heavy, { title: `heavy ${i}`, conditions: once(`hv_${i}`), actions: tagAct(`hv_${i}`) });
    for (let i = 0; i < 10; i++) await ticket(heavy);
    // Every ticket passes the SQL filters (read), none the priority condition (never written).
    for (let i = 0; i < 10; i++) await make(scans, { title: `scan ${i}`, conditions: { all: [OLD, { field: "priority", operator: "is", value: "urgent" }] }, actions: [{ field: "priority", value: "low" }] });
    for (let i = 0; i < 10; i++) await ticket(scans);
    await make(light, { title: "light", conditions: once("lt_done"), actions: tagAct("lt_done") });
    const lt = await ticket(light);
    const budget = { tickets: 15, examined: 40 };
    const r = await runAutomations(deps, later(3), { budget });
    // Without the budget: 60 tickets written for `heavy`, 100 read for `scans`.
    expect(r.byTenant.get(heavy.tenantId)).toMatchObject({ written: 15, failed: 0 });
    expect(r.byTenant.get(scans.tenantId)!.examined).toBeLessThanOrEqual(40);
    expect(r.byTenant.get(scans.tenantId)!.written).toBe(0);
    expect(r.byTenant.get(light.tenantId)!.written).toBe(1);
    expect((await stored(light, lt)).tags).toEqual(["lt_done"]);
    for (const x of r.byTenant.values()) expect(x.examined).toBeLessThanOrEqual(40);
    // The next run, within the same budget; then the rest with the default one.
    const r2 = await runAutomations(deps, later(4), { budget });
    for (const x of r2.byTenant.values()) expect(x.examined).toBeLessThanOrEqual(40);
    expect(r2.byTenant.get(heavy.tenantId)!.written).toBeGreaterThan(0);
    expect(r2.byTenant.get(heavy.tenantId)!.written).toBeLessThanOrEqual(15);
    const r3 = await runAutomations(deps, later(5));
    const all = await t.db.tenant(heavy.tenantId, async (tx) => (await sql<{ tags: string[] }>`SELECT tags FROM tickets`.execute(tx.db)).rows);
    expect(all.map((x) => x.tags.length)).toEqual(all.map(() => 6));
    // What `scans` costs without the budget: every ticket read by each of its automations (some
    // resume where the budget stopped them).
    expect(r3.byTenant.get(scans.tenantId)!.examined).toBeGreaterThanOrEqual(2 * budget.examined);
  }, 120_000);

  it("gives an account's other automations their turn when the first ones spend its share of every run", async () => {
    const c = await buildTenant(t, "autoturn");
    // Two automations that read every ticket and match none, then one that would tag them all.
    for (const x of ["r1", "r2"]) await make(c, { title: x, conditions: { all: [OLD, { field: "priority", operator: "is", value: "urgent" }] }, actions: [{ field: "priority", value: "low" }] });
    await make(c, { title: "r3", conditions: once("turn_done"), actions: tagAct("turn_done") });
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) ids.push(await ticket(c));
    for (let h = 3; h < 6; h++) await runAutomations(deps, later(h), { budget: { examined: 15 } });
    const tags = (await Promise.all(ids.map((id) => stored(c, id)))).map((x) => x.tags);
    expect(tags.filter((x) => x.includes("turn_done"))).toHaveLength(10);
  }, 120_000);

  /** A group of `n` agents of the account. */
  async function groupOf(c: TestTenant, n: number): Promise<{ id: number; emails: string[] }> {
    const id = (await ok(c.api("POST", "/api/v2/groups.json", { group: { name: "Many" } }), 201)).group.id;
    const emails: string[] = [];
    for (let i = 0; i < n; i++) {
      const u = await buildUser(t, c, "agent", `Member ${i}`);
      await ok(c.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: u.id, group_id: id } }), 201);
      emails.push(u.email);
    }
    return { id, emails };
  }
  const subjects = async (c: TestTenant, emails: string[], since: number, prefix: string) =>
    (await Promise.all(emails.map((e) => mailTo(c, e, since)))).flat().filter((m) => (m.subject ?? "").startsWith(prefix)).length;

  it("bounds the rule mail one write may queue and render (each render may spin for its whole limit), however large the groups", async () => {
    // Each render may take RENDER_LIMIT_MS (a loop within the memory limit spins that long and
    // still renders): 30 mail actions × a group's members × 2 texts, per write, held a
    // transaction (on the embedded database, every account's) for minutes, and queued as many
    // mails, content-free ones too. Counted, not timed.
    const c = await buildTenant(t, "autorender");
    const g = await groupOf(c, 6);
    const actions = Array.from({ length: 30 }, (_, i) => ({ field: "notification_group", value: [String(g.id), `SPIN ${i} {{current_user.name}}`, `{{current_user.first_name}}: {{ticket.title}}`] }));
    await ok(c.api("POST", "/api/v2/triggers.json", { trigger: { title: "spin", conditions: { all: [{ field: "current_tags", operator: "includes", value: "spin" }] }, actions } }), 201);
    await jobsSettled(t, c.tenantId);
    let since = smtp.messages.length;
    await ok(c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "spin", tags: ["spin"], comment: { body: "x" } } }), 201);
    // 180 before (30 × 6); at most RULE_MAILS_PER_WRITE now.
    const rendered = await subjects(c, g.emails, since, "SPIN");
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThanOrEqual(100);
    // Content-free mail renders nothing, and is bounded the same.
    await ok(c.api("PUT", "/api/v2/notification_settings.json", { settings: { content_free: true } }));
    since = smtp.messages.length;
    await ok(c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "spin", tags: ["spin"], comment: { body: "x" } } }), 201);
    const all = (await Promise.all(g.emails.map((e) => mailTo(c, e, since)))).flat();
    expect(all.length).toBeGreaterThan(0);
    expect(all.length).toBeLessThanOrEqual(100);
  }, 120_000);

  it("bounds the mail of one account's run, leaving its other tickets for the next run", async () => {
    const c = await buildTenant(t, "autorenderrun");
    const g = await groupOf(c, 6);
    await make(c, { title: "tell the group", conditions: once("rr_done"), actions: [...tagAct("rr_done"), { field: "notification_group", value: [String(g.id), "RUN {{current_user.name}} #{{ticket.id}}", "{{ticket.title}}"] }] });
    for (let i = 0; i < 10; i++) await ticket(c);
    await jobsSettled(t, c.tenantId);
    const since = smtp.messages.length;
    const r = await runAutomations(deps, later(3), { budget: { mails: 15 } });
    // 60 mails before; 15 at most now, over the first tickets only.
    expect(await subjects(c, g.emails, since, "RUN")).toBeLessThanOrEqual(15);
    expect(r.byTenant.get(c.tenantId)!.written).toBeLessThanOrEqual(3);
    expect(r.byTenant.get(c.tenantId)!.written).toBeGreaterThan(0);
    await runAutomations(deps, later(4));
    const all = await t.db.tenant(c.tenantId, async (tx) => (await sql<{ tags: string[] }>`SELECT tags FROM tickets`.execute(tx.db)).rows);
    expect(all.every((x) => x.tags.includes("rr_done"))).toBe(true);
  }, 120_000);

  it("goes on with the other tickets and accounts when one fails, and logs ids only", async () => {
    const bad = await buildTenant(t, "autofail");
    const good = await buildTenant(t, "autogood");
    const secret = `Wombat${crypto.randomBytes(4).toString("hex")}`;
    for (const x of [bad, good]) await make(x, { title: `fail ${secret}`, conditions: once("fl_done"), actions: tagAct("fl_done") });
    const badTickets = [await ticket(bad, { subject: `Subject ${secret}` }), await ticket(bad, { subject: `Subject ${secret}` })];
    const goodTicket = await ticket(good);
    const logs: string[] = [];
    const off = t.app.hooks.on("conversation.written", (ctx) => {
      if (ctx.tx.tenantId === bad.tenantId && ctx.actor.kind === "system") throw new Error(`listener broke on ${secret}`);
    });
    try {
      const r = await runAutomations({ ...deps, logger: { warn: (obj, msg) => logs.push(`${JSON.stringify(obj)} ${msg}`) } }, later(3));
      expect(r.failed).toBeGreaterThanOrEqual(2);
    } finally {
      off();
    }
    // Each failed ticket rolled back whole; the other account written.
    for (const id of badTickets) expect((await stored(bad, id)).tags).toEqual([]);
    expect((await stored(good, goodTicket)).tags).toEqual(["fl_done"]);
    expect(logs.length).toBeGreaterThanOrEqual(2);
    for (const l of logs) {
      expect(l).not.toContain(secret);
      expect(l).not.toContain("listener broke");
    }
    // Fixed, the next run does them.
    await runAutomations(deps, later(4));
    for (const id of badTickets) expect((await stored(bad, id)).tags).toEqual(["fl_done"]);
  });

  it("stops an automation deactivated or deleted while the run is under way, and runs a changed one as it is now", async () => {
    const c = await buildTenant(t, "autostop");
    const id = await make(c, { title: "mass mail", conditions: once("st_done"), actions: tagAct("st_done") });
    const del = await make(c, { title: "mass mail 2", conditions: once("st2_done"), actions: tagAct("st2_done") });
    const changed = await make(c, { title: "changed", conditions: once("ch_old"), actions: tagAct("ch_old") });
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await ticket(c));
    // The run's transactions in the account, counted: the admin acts between two of them (after the first ticket's write).
    let calls = 0;
    let step: (() => Promise<void>) | undefined;
    const db = new Proxy(t.db, {
      get(target, prop) {
        if (prop === "tenant") {
          return async (tenantId: string, fn: never) => {
            if (tenantId === c.tenantId && step) {
              calls++;
              // 1: the automations, 2: the candidates, 3: the first ticket.
              if (calls === 4) await step();
            }
            return target.tenant(tenantId, fn);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    step = async () => {
      await ok(c.api("PUT", `/api/v2/automations/${id}.json`, { automation: { active: false } }));
      await ok(c.api("DELETE", `/api/v2/automations/${del}.json`), 204);
      await ok(c.api("PUT", `/api/v2/automations/${changed}.json`, { automation: { conditions: once("ch_new"), actions: tagAct("ch_new") } }));
    };
    await runAutomations({ ...deps, db }, later(3));
    const tags = (await Promise.all(ids.map((x) => stored(c, x)))).map((x) => x.tags);
    expect(tags.filter((x) => x.includes("st_done"))).toHaveLength(1);
    expect(tags.filter((x) => x.includes("st2_done"))).toHaveLength(0);
    // Changed since the run opened it: it runs as it is now.
    expect(tags.filter((x) => x.includes("ch_new"))).toHaveLength(5);
    expect(tags.filter((x) => x.includes("ch_old"))).toHaveLength(0);
  });
});

describe("the limit under concurrency", () => {
  it("keeps at most 500 automations when many are sent at once, and reorders whole while others write", async () => {
    const c = await buildTenant(t, "autolimit");
    const mk = (i: number) => c.api("POST", "/api/v2/automations.json", { automation: { title: `L${i}`, conditions: once("never_l"), actions: tagAct("never_l") } });
    for (let i = 0; i < 490; i += 10) {
      const rs = await Promise.all(Array.from({ length: 10 }, (_, j) => mk(i + j)));
      for (const r of rs) expect(r.status, r.text).toBe(201);
    }
    const rs = await Promise.all(Array.from({ length: 25 }, (_, j) => mk(1000 + j)));
    for (const r of rs) expect([201, 422], r.text).toContain(r.status);
    expect(rs.filter((r) => r.status === 201)).toHaveLength(10);
    expect(await count(c.tenantId)).toBe(500);
    // The triggers' own limit is another's.
    expect((await c.api("POST", "/api/v2/triggers.json", { trigger: { title: "T", conditions: { all: [{ field: "current_tags", operator: "includes", value: "x" }] }, actions: tagAct("y") } })).status).toBe(201);
    const ids = ((await ok(c.api("GET", "/api/v2/automations/active.json"))).automations as Array<{ id: number }>).map((x) => x.id);
    const [re, del, re2] = await Promise.all([
      c.api("PUT", "/api/v2/automations/reorder.json", { automation_ids: [...ids].reverse() }),
      c.api("DELETE", `/api/v2/automations/${ids[0]}.json`),
      c.api("PUT", "/api/v2/automations/reorder.json", { automation_ids: ids }),
    ]);
    expect(del.status, del.text).toBe(204);
    for (const r of [re, re2]) expect([200, 422], r.text).toContain(r.status);
    const positions = ((await ok(c.api("GET", "/api/v2/automations/active.json"))).automations as Array<{ position: number }>).map((x) => x.position);
    expect(positions).toHaveLength(499);
    expect(new Set(positions).size).toBe(positions.length);
  }, 300_000);
});

describe("sealed and quiet", () => {
  it("keeps titles, descriptions, conditions, actions and mail texts out of the database and the audit trail in clear", async () => {
    const secret = `Zanzibar${crypto.randomBytes(4).toString("hex")}`;
    const tagSecret = `tag_${secret.toLowerCase()}`;
    const id = await make(a, { title: `T ${secret}`, description: `D ${secret}`, conditions: once(tagSecret), actions: [...tagAct(tagSecret), { field: "notification_user", value: ["requester_id", `S ${secret}`, `B ${secret}`] }] });
    await ok(a.api("PUT", `/api/v2/automations/${id}.json`, { automation: { title: `T2 ${secret}` } }));
    const rows = await t.db.tenant(a.tenantId, async (tx) => (await sql<Record<string, unknown>>`SELECT * FROM automations`.execute(tx.db)).rows);
    const dump = (x: unknown) => JSON.stringify(x, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v));
    expect(dump(rows)).not.toContain(secret);
    expect(dump(rows).toLowerCase()).not.toContain(secret.toLowerCase());
    const logs = await trailUntil(a, (r) => r.some((x) => x.action === "automation.updated" && x.resource_id === String(id)));
    expect(logs.some((x) => x.action === "automation.created" && x.resource_id === String(id))).toBe(true);
    expect(dump(logs)).not.toContain(secret);
    await ok(a.api("DELETE", `/api/v2/automations/${id}.json`), 204);
  });
});
