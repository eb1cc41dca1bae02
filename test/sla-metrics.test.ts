import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAutomations } from "../src/modules/triggers/automations-run.ts";
import { createMailer } from "../src/platform/mail.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { PublicUrls } from "../src/platform/urls.ts";
import { addBusinessMinutes, type Schedule } from "../src/modules/sla/business-time.ts";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { passTime } from "./support/sla.ts";

/**
 * SLA policies applied to tickets (docs/api.md, "SLA policies"), over real HTTP: each metric's
 * activation, pause, fulfilment and breach with calendar targets; a priority change recomputing
 * the targets from the same starting points; the first matching policy by position; a ticket
 * without a priority; solving fulfilling everything and a reopen continuing the cumulative metrics;
 * a ticket staff created with a public comment; the triggers' changes read; `include=slas`;
 * views ordered by the next breach; another account's policy never applied. Time passes by moving
 * the ticket's stored times back (no sleeping).
 */

type Res = Promise<{ status: number; text: string; body: any }>;
type Who = { email: string; token: string };
type Slas = { slas: { policy_metrics: Array<{ metric: string; stage: string; breach_at: string | null; fulfilled_at: string | null; days: number; hours: number; minutes: number }> }; sla_policy: { id: number; title: string; description: string | null } | null };
let t: TestApp;

async function ok<T = any>(r: Res, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const MIN = 60_000;
const at = (s: string | null | undefined) => (s ? new Date(s).getTime() : NaN);
/** Close to (within 5 s: the request's own time). */
const near = (actual: string | null | undefined, expected: number) => expect(Math.abs(at(actual) - expected), `${actual} vs ${new Date(expected).toISOString()}`).toBeLessThan(5_000);

const TARGETS = (priority: string, m: Record<string, number>) => Object.entries(m).map(([metric, target]) => ({ priority, metric, target, business_hours: false }));
const ALL_URGENT = TARGETS("urgent", { first_reply_time: 60, next_reply_time: 30, periodic_update_time: 120, requester_wait_time: 240, agent_work_time: 180 });
const ALL_HIGH = TARGETS("high", { first_reply_time: 120, next_reply_time: 90, periodic_update_time: 300, requester_wait_time: 600, agent_work_time: 480 });
const everyTicket = { all: [{ field: "current_tags", operator: "not_includes", value: "nosla" }] };

/** A fresh account with an agent, an end user (with a token) and the policies given. */
async function account(policies: Array<Record<string, unknown>>) {
  const a = await buildTenant(t, "slam");
  const ag = await buildUser(t, a, "agent", "Al Agent");
  const eu = await buildUser(t, a, "end-user", "Eve Requester");
  const agent: Who = { email: ag.email, token: ag.token! };
  const requester: Who & { id: number } = { id: eu.id, email: eu.email, token: await createTokenFor(t, a, eu.id) };
  const ids: number[] = [];
  for (const p of policies) ids.push((await ok(a.api("POST", "/api/v2/slas/policies.json", { sla_policy: p }), 201)).sla_policy.id);
  return { a, agent, requester, ids };
}
const slasOf = async (a: TestTenant, id: number): Promise<Slas & { priority: string | null; created_at: string }> => (await ok(a.api("GET", `/api/v2/tickets/${id}.json?include=slas`))).ticket;
const metric = async (a: TestTenant, id: number, name: string) => (await slasOf(a, id)).slas.policy_metrics.find((m) => m.metric === name);
const update = (a: TestTenant, id: number, ticket: Record<string, unknown>, as?: Who) => ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket }, as));
/** The ticket's last comment's time. */
const lastCommentAt = async (a: TestTenant, id: number) => at(((await ok(a.api("GET", `/api/v2/tickets/${id}/comments.json`))).comments as Array<{ created_at: string }>).at(-1)!.created_at);
/** Moves a ticket's stored times back `minutes` (test/support/sla.ts). */
const pass = (a: TestTenant, id: number, minutes: number) => passTime(t, a, id, minutes);
/** A request the end user opens (no priority: end users set none). */
const request = async (a: TestTenant, requester: Who) => (await ok(a.api("POST", "/api/v2/requests.json", { request: { subject: "Parcel late", comment: { body: "Where is it?" } } }, requester), 201)).request.id as number;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe("SLA metrics", () => {
  it("first reply: from creation to the first public staff comment; a ticket without a priority gets the policy, no targets; a priority change recomputes from the same start", async () => {
    const { a, requester, ids } = await account([{ title: "Everyone", description: "all tickets", filter: everyTicket, policy_metrics: [...ALL_URGENT, ...ALL_HIGH] }]);
    const id = await request(a, requester);
    let s = await slasOf(a, id);
    expect(s.priority).toBeNull();
    expect(s.sla_policy).toEqual({ id: ids[0], title: "Everyone", description: "all tickets" });
    expect(s.slas.policy_metrics).toEqual([]);
    await update(a, id, { priority: "urgent" });
    s = await slasOf(a, id);
    const created = at(s.created_at);
    const frt = s.slas.policy_metrics.find((m) => m.metric === "first_reply_time")!;
    expect(frt).toMatchObject({ stage: "active", days: 0, hours: 1, minutes: 0 });
    near(frt.breach_at, created + 60 * MIN);
    // With a first reply target, the next reply waits for the first reply; no periodic update before a staff comment.
    expect(s.slas.policy_metrics.map((m) => m.metric).sort()).toEqual(["agent_work_time", "first_reply_time", "requester_wait_time"]);
    // The priority picks other rows, from the same start.
    await update(a, id, { priority: "high" });
    near((await metric(a, id, "first_reply_time"))!.breach_at, created + 120 * MIN);
    expect(await metric(a, id, "agent_work_time")).toMatchObject({ stage: "active", days: 0, hours: 8, minutes: 0 });
    // An internal note is no reply; a public staff comment is.
    await update(a, id, { comment: { body: "Looking", public: false } });
    expect((await metric(a, id, "first_reply_time"))!.stage).toBe("active");
    await update(a, id, { comment: { body: "On its way" } });
    const reply = await lastCommentAt(a, id);
    // Met in time: achieved, and still says when it was due.
    const met = (await metric(a, id, "first_reply_time"))!;
    expect(met).toMatchObject({ stage: "achieved" });
    near(met.breach_at, created + 120 * MIN);
    near(met.fulfilled_at, reply);
    // The periodic update runs from that comment.
    near((await metric(a, id, "periodic_update_time"))!.breach_at, reply + 300 * MIN);
    expect(await metric(a, id, "next_reply_time")).toBeUndefined();
  });

  it("next reply: from the requester's oldest unanswered public comment after the first reply to the next public staff comment; periodic update from each staff comment", async () => {
    const { a, requester } = await account([{ title: "Everyone", filter: everyTicket, policy_metrics: ALL_URGENT }]);
    const id = await request(a, requester);
    await update(a, id, { priority: "urgent", comment: { body: "First answer" } });
    const first = await lastCommentAt(a, id);
    near((await metric(a, id, "periodic_update_time"))!.breach_at, first + 120 * MIN);
    await pass(a, id, 10);
    await ok(a.api("PUT", `/api/v2/requests/${id}.json`, { request: { comment: { body: "Still nothing" } } }, requester));
    const asked = await lastCommentAt(a, id);
    near((await metric(a, id, "next_reply_time"))!.breach_at, asked + 30 * MIN);
    // A second comment of the requester's keeps the oldest unanswered one.
    await pass(a, id, 5);
    await ok(a.api("PUT", `/api/v2/requests/${id}.json`, { request: { comment: { body: "Hello?" } } }, requester));
    near((await metric(a, id, "next_reply_time"))!.breach_at, asked - 5 * MIN + 30 * MIN);
    const s = await slasOf(a, id);
    // Soonest breach first in the list.
    expect(s.slas.policy_metrics[0]!.metric, JSON.stringify(s.slas)).toBe("next_reply_time");
    await update(a, id, { comment: { body: "Sorry, here it is" } });
    const second = await lastCommentAt(a, id);
    const answered = (await metric(a, id, "next_reply_time"))!;
    expect(answered.stage).toBe("achieved");
    near(answered.breach_at, asked - 5 * MIN + 30 * MIN);
    near((await metric(a, id, "periodic_update_time"))!.breach_at, second + 120 * MIN);
  });

  it("requester wait and agent work: cumulative, paused in pending (both) and on-hold (agent work); solving fulfils every metric; a reopen continues where they were", async () => {
    const { a, agent, requester } = await account([{ title: "Everyone", filter: everyTicket, policy_metrics: ALL_URGENT }]);
    // Staff opens it for the requester with an internal note: the first reply is due.
    const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Call back", comment: { body: "Phoned in", public: false }, requester_id: requester.id, priority: "urgent" } }, agent), 201)).ticket.id as number;
    const created = at((await slasOf(a, id)).created_at);
    near((await metric(a, id, "first_reply_time"))!.breach_at, created + 60 * MIN);
    near((await metric(a, id, "requester_wait_time"))!.breach_at, created + 240 * MIN);
    await pass(a, id, 30);
    await update(a, id, { status: "pending" }, agent);
    expect(await metric(a, id, "requester_wait_time")).toMatchObject({ stage: "paused", breach_at: null });
    expect(await metric(a, id, "agent_work_time")).toMatchObject({ stage: "paused", breach_at: null });
    // Time in pending does not count.
    await pass(a, id, 60);
    await update(a, id, { status: "hold" }, agent);
    const now = Date.now();
    near((await metric(a, id, "requester_wait_time"))!.breach_at, now + (240 - 30) * MIN);
    expect((await metric(a, id, "agent_work_time"))!.stage).toBe("paused");
    await pass(a, id, 20);
    await update(a, id, { status: "open" }, agent);
    near((await metric(a, id, "agent_work_time"))!.breach_at, Date.now() + (180 - 30) * MIN);
    near((await metric(a, id, "requester_wait_time"))!.breach_at, Date.now() + (240 - 50) * MIN);
    // Solved: everything met, nothing left to breach; the first reply (due after 60 minutes, met after 110) was met late: breached.
    await update(a, id, { status: "solved", comment: { body: "Done" } }, agent);
    const solved = await slasOf(a, id);
    const stages = Object.fromEntries(solved.slas.policy_metrics.map((m) => [m.metric, m.stage]));
    expect(stages, JSON.stringify(solved.slas)).toEqual({ first_reply_time: "breached", periodic_update_time: "achieved", requester_wait_time: "achieved", agent_work_time: "achieved" });
    expect(solved.slas.policy_metrics.every((m) => m.breach_at !== null && m.fulfilled_at !== null), JSON.stringify(solved.slas)).toBe(true);
    near(solved.slas.policy_metrics.find((m) => m.metric === "first_reply_time")!.breach_at, created - 110 * MIN + 60 * MIN);
    expect(solved.slas.policy_metrics.map((m) => m.metric).sort()).toEqual(["agent_work_time", "first_reply_time", "periodic_update_time", "requester_wait_time"]);
    const breach = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ b: Date | null }>`SELECT sla_next_breach_at AS b FROM tickets WHERE nice_id = ${id}`.execute(tx.db)).rows[0]!.b);
    expect(breach).toBeNull();
    // Time while solved does not count; the requester's reply reopens it and the cumulative metrics continue.
    await pass(a, id, 120);
    await ok(a.api("PUT", `/api/v2/requests/${id}.json`, { request: { comment: { body: "Not fixed" } } }, requester));
    near((await metric(a, id, "requester_wait_time"))!.breach_at, Date.now() + (240 - 50) * MIN);
    near((await metric(a, id, "agent_work_time"))!.breach_at, Date.now() + (180 - 30) * MIN);
    expect((await metric(a, id, "first_reply_time"))!.stage).toBe("breached");
    near((await metric(a, id, "next_reply_time"))!.breach_at, (await lastCommentAt(a, id)) + 30 * MIN);
  });

  it("stages over time: active, breached once the target passes unmet (read at the time), kept breached when met late; the next breach stays the earliest, past or future", async () => {
    const { a, agent, requester } = await account([{ title: "Everyone", filter: everyTicket, policy_metrics: ALL_URGENT }]);
    const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Late", comment: { body: "Phoned in", public: false }, requester_id: requester.id, priority: "urgent" } }, agent), 201)).ticket.id as number;
    const created = at((await slasOf(a, id)).created_at);
    const nextBreach = () => t.db.tenant(a.tenantId, async (tx) => (await sql<{ b: Date | null }>`SELECT sla_next_breach_at AS b FROM tickets WHERE nice_id = ${id}`.execute(tx.db)).rows[0]!.b);
    await pass(a, id, 30);
    expect(await metric(a, id, "first_reply_time")).toMatchObject({ stage: "active", fulfilled_at: null });
    // 70 minutes in: the first reply (60) is breached with no write since; requester wait (240) still runs.
    await pass(a, id, 40);
    const frt = (await metric(a, id, "first_reply_time"))!;
    expect(frt).toMatchObject({ stage: "breached", fulfilled_at: null });
    near(frt.breach_at, created - 70 * MIN + 60 * MIN);
    expect((await metric(a, id, "requester_wait_time"))!.stage).toBe("active");
    // The next breach is the earliest one unmet, past as it is (views put overdue tickets first).
    near((await nextBreach())?.toISOString(), created - 70 * MIN + 60 * MIN);
    // Met late: breached for good, with when it was due and when it was met.
    await update(a, id, { comment: { body: "Sorry for the wait" } }, agent);
    const late = (await metric(a, id, "first_reply_time"))!;
    expect(late.stage).toBe("breached");
    near(late.breach_at, created - 70 * MIN + 60 * MIN);
    near(late.fulfilled_at, await lastCommentAt(a, id));
    // No longer counted in the next breach: agent work (180 from creation) is next, before the periodic update (120 from the reply) and requester wait (240).
    near((await nextBreach())?.toISOString(), created - 70 * MIN + 180 * MIN);
    // A cumulative metric paused past its target keeps its breach: breached, not paused.
    await pass(a, id, 200);
    await update(a, id, { status: "pending" }, agent);
    const rwt = (await metric(a, id, "requester_wait_time"))!;
    expect(rwt.stage).toBe("breached");
    near(rwt.breach_at, created - 270 * MIN + 240 * MIN);
    // Agent work (180) paused in pending too, also past its target.
    expect((await metric(a, id, "agent_work_time"))!.stage).toBe("breached");
  });

  it("shows SLA data only where the ticket is seen: an assigned-only agent sees none on others' tickets, an end user none at all", async () => {
    const { a, agent, requester } = await account([{ title: "Everyone", filter: everyTicket, policy_metrics: ALL_URGENT }]);
    const ao = await buildUser(t, a, "agent", "Ada Assigned");
    const role = await ok(a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Assigned only", configuration: { ticket_access: "assigned-only" } } }), 201);
    await ok(a.api("PUT", `/api/v2/users/${ao.id}.json`, { user: { custom_role_id: role.custom_role.id } }));
    const assignedOnly: Who = { email: ao.email, token: await createTokenFor(t, a, ao.id) };
    const make = async (extra: Record<string, unknown>) => (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Mine?", comment: { body: "x", public: false }, requester_id: requester.id, priority: "urgent", ...extra } }, agent), 201)).ticket.id as number;
    const others = await request(a, requester);
    await update(a, others, { priority: "urgent" }, agent);
    const mine = await make({ assignee_id: ao.id });
    await pass(a, others, 90);
    expect((await metric(a, others, "first_reply_time"))!.stage).toBe("breached");
    // Not theirs: not found, and not listed with its SLA.
    expect((await a.api("GET", `/api/v2/tickets/${others}.json?include=slas`, undefined, assignedOnly)).status).toBe(404);
    const listed = (await ok(a.api("GET", "/api/v2/tickets.json?include=slas", undefined, assignedOnly))).tickets as Array<Slas & { id: number }>;
    expect(listed.map((x) => x.id)).toEqual([mine]);
    expect(listed[0]!.slas.policy_metrics.length).toBeGreaterThan(0);
    // An end user: no staff ticket API, and no SLA on their request.
    expect((await a.api("GET", `/api/v2/tickets/${others}.json?include=slas`, undefined, requester)).status).toBe(403);
    const req = await ok(a.api("GET", `/api/v2/requests/${others}.json?include=slas`, undefined, requester));
    expect(JSON.stringify(req)).not.toMatch(/slas|sla_policy|breach/);
  });

  it("does not activate the first reply when staff created the ticket with a public comment", async () => {
    const { a, agent, requester } = await account([{ title: "Everyone", filter: everyTicket, policy_metrics: ALL_URGENT }]);
    const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Outreach", comment: { body: "We noticed a problem" }, requester_id: requester.id, priority: "urgent" } }, agent), 201)).ticket.id as number;
    const s = await slasOf(a, id);
    const names = s.slas.policy_metrics.map((m) => m.metric).sort();
    expect(names).toEqual(["agent_work_time", "periodic_update_time", "requester_wait_time"]);
    // The requester's answer starts a next reply (the staff comment was the first reply).
    await ok(a.api("PUT", `/api/v2/requests/${id}.json`, { request: { comment: { body: "Thanks, what now?" } } }, requester));
    near((await metric(a, id, "next_reply_time"))!.breach_at, (await lastCommentAt(a, id)) + 30 * MIN);
    expect(await metric(a, id, "first_reply_time")).toBeUndefined();
  });

  it("applies the first matching policy by position, follows a reorder and a deletion, and reads what the triggers set", async () => {
    const gold = { title: "Gold", filter: { all: [{ field: "current_tags", operator: "includes", value: "gold" }] }, policy_metrics: TARGETS("urgent", { first_reply_time: 15 }) };
    const rest = { title: "Rest", filter: everyTicket, policy_metrics: TARGETS("urgent", { first_reply_time: 60 }) };
    const { a, agent, requester, ids } = await account([gold, rest]);
    // A trigger sets the priority on creation: the policy reads the ticket as the triggers left it.
    await ok(a.api("POST", "/api/v2/triggers.json", { trigger: { title: "Urgent by default", conditions: { all: [{ field: "update_type", operator: "is", value: "Create" }] }, actions: [{ field: "priority", value: "urgent" }] } }), 201);
    const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "VIP", comment: { body: "Help", public: false }, requester_id: requester.id, tags: ["gold"] } }, agent), 201)).ticket.id as number;
    let s = await slasOf(a, id);
    expect(s.priority).toBe("urgent");
    expect(s.sla_policy!.id).toBe(ids[0]);
    near(s.slas.policy_metrics[0]!.breach_at, at(s.created_at) + 15 * MIN);
    // Not gold any more: the next policy, from the same start.
    await update(a, id, { tags: ["silver"] }, agent);
    s = await slasOf(a, id);
    expect(s.sla_policy!.id).toBe(ids[1]);
    near(s.slas.policy_metrics[0]!.breach_at, at(s.created_at) + 60 * MIN);
    // Gold again, but Rest first after a reorder: Rest at the next write.
    await ok(a.api("PUT", "/api/v2/slas/policies/reorder.json", { sla_policy_ids: [ids[1], ids[0]] }));
    await update(a, id, { tags: ["gold"] }, agent);
    expect((await slasOf(a, id)).sla_policy!.id).toBe(ids[1]);
    // Deleted: the ticket loses it at once, and gets the next matching one at its next write.
    await ok(a.api("DELETE", `/api/v2/slas/policies/${ids[1]}.json`), 204);
    s = await slasOf(a, id);
    expect(s.sla_policy).toBeNull();
    expect(s.slas.policy_metrics).toEqual([]);
    await update(a, id, { comment: { body: "note", public: false } }, agent);
    s = await slasOf(a, id);
    expect(s.sla_policy!.id).toBe(ids[0]);
    near(s.slas.policy_metrics[0]!.breach_at, at(s.created_at) + 15 * MIN);
    // Excluded by every filter: no policy.
    await update(a, id, { tags: ["nosla"] }, agent);
    expect((await slasOf(a, id)).sla_policy).toBeNull();
  });

  it("shows slas on lists that take include, and orders views by the next breach (soonest first, none last)", async () => {
    const { a, agent, requester } = await account([{ title: "Everyone", filter: everyTicket, policy_metrics: [...ALL_URGENT, ...ALL_HIGH] }]);
    const make = async (priority: string | null) => (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `p ${priority}`, comment: { body: "x", public: false }, requester_id: requester.id, priority, tags: ["queue"] } }, agent), 201)).ticket.id as number;
    const none = await make(null);
    const high = await make("high");
    const urgent = await make("urgent");
    const list = (await ok(a.api("GET", "/api/v2/tickets.json?include=slas"))).tickets as Array<Slas & { id: number }>;
    expect(list.find((x) => x.id === urgent)!.slas.policy_metrics.length).toBeGreaterThan(0);
    expect(list.find((x) => x.id === none)!.slas.policy_metrics).toEqual([]);
    expect(list.every((x) => x.sla_policy?.title === "Everyone")).toBe(true);
    // Without include: no slas.
    expect((await ok(a.api("GET", `/api/v2/tickets/${urgent}.json`))).ticket.slas).toBeUndefined();
    const view = (await ok(a.api("POST", "/api/v2/views.json", { view: { title: "By breach", restriction: null, all: [{ field: "current_tags", operator: "includes", value: "queue" }], output: { sort_by: "sla_next_breach_at", sort_order: "asc" } } }), 201)).view;
    expect(view.execution.sort_by).toBe("sla_next_breach_at");
    const order = async (q = "") => ((await ok(a.api("GET", `/api/v2/views/${view.id}/tickets.json${q}`))).tickets as Array<{ id: number }>).map((x) => x.id);
    expect(await order()).toEqual([urgent, high, none]);
    expect(await order("?include=slas")).toEqual([urgent, high, none]);
    // Cursor pages keep the order.
    const p1 = await ok(a.api("GET", `/api/v2/views/${view.id}/tickets.json?page[size]=2`));
    expect(p1.tickets.map((x: any) => x.id)).toEqual([urgent, high]);
    const p2 = await ok(a.api("GET", p1.links.next.replace(/^https?:\/\/[^/]+/, "")));
    expect(p2.tickets.map((x: any) => x.id)).toEqual([none]);
    // The high ticket's first reply comes sooner when time has passed for it.
    await pass(a, high, 100);
    expect(await order("?sort_by=sla_next_breach_at")).toEqual([high, urgent, none]);
  });

  it("applies after an automation's write (the rule channel)", async () => {
    const { a, agent, requester } = await account([{ title: "Everyone", filter: everyTicket, policy_metrics: ALL_URGENT }]);
    const rule = { title: "Escalate", conditions: { all: [{ field: "priority", operator: "is_not", value: "urgent" }, { field: "created_at", operator: "greater_than", value: 1 }] }, actions: [{ field: "priority", value: "urgent" }] };
    await ok(a.api("POST", "/api/v2/automations.json", { automation: rule }), 201);
    const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Old", comment: { body: "x", public: false }, requester_id: requester.id } }, agent), 201)).ticket.id as number;
    expect((await slasOf(a, id)).slas.policy_metrics).toEqual([]);
    await pass(a, id, 150);
    const urls = new PublicUrls(t.config);
    urls.listening(t.port);
    await runAutomations({ db: t.db, keyring: t.keyring, hooks: t.app.hooks, mailer: createMailer(t.config), config: t.config, urls, rateLimiter: createMemoryRateLimiter(), logger: { warn: () => undefined } }, new Date());
    const s = await slasOf(a, id);
    expect(s.priority).toBe("urgent");
    near(s.slas.policy_metrics.find((m) => m.metric === "first_reply_time")!.breach_at, at(s.created_at) + 60 * MIN);
  });

  it("counts business-hours targets on the account's default schedule (the first one)", async () => {
    const { a, agent, requester } = await account([{ title: "Business", filter: everyTicket, policy_metrics: [{ priority: "urgent", metric: "first_reply_time", target: 60, business_hours: true }, { priority: "urgent", metric: "requester_wait_time", target: 600, business_hours: false }] }]);
    const first = (await ok(a.api("POST", "/api/v2/business_hours/schedules.json", { schedule: { name: "Office", time_zone: "Europe/Stockholm" } }), 201)).schedule;
    await ok(a.api("POST", "/api/v2/business_hours/schedules.json", { schedule: { name: "Other", time_zone: "Pacific/Auckland" } }), 201);
    const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Hours", comment: { body: "x", public: false }, requester_id: requester.id, priority: "urgent" } }, agent), 201)).ticket.id as number;
    const s = await slasOf(a, id);
    const clock: Schedule = { time_zone: "Europe/Stockholm", intervals: first.intervals, holidays: [] };
    near(s.slas.policy_metrics.find((m) => m.metric === "first_reply_time")!.breach_at, addBusinessMinutes(clock, new Date(s.created_at), 60)!.getTime());
    near(s.slas.policy_metrics.find((m) => m.metric === "requester_wait_time")!.breach_at, at(s.created_at) + 600 * MIN);
  });

  it("never applies another account's policy", async () => {
    const { a } = await account([{ title: "A's", filter: everyTicket, policy_metrics: ALL_URGENT }]);
    const b = await buildTenant(t, "slamb");
    const id = (await ok(b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "B's", comment: { body: "x", public: false }, priority: "urgent" } }), 201)).ticket.id as number;
    const s = (await ok(b.api("GET", `/api/v2/tickets/${id}.json?include=slas`))).ticket as Slas;
    expect(s.sla_policy).toBeNull();
    expect(s.slas.policy_metrics).toEqual([]);
    const rows = await t.db.tenant(b.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ticket_sla_metrics`.execute(tx.db)).rows[0]!.n);
    expect(rows).toBe(0);
    // A's own ticket gets A's.
    const mine = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "A's", comment: { body: "x", public: false }, priority: "urgent" } }), 201)).ticket.id as number;
    expect((await slasOf(a, mine)).sla_policy!.title).toBe("A's");
  });
});
