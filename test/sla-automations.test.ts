import fs from "node:fs";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAutomations, type AutomationDeps } from "../src/modules/triggers/automations-run.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { automationDeps, passTime } from "./support/sla.ts";

/**
 * Automations' SLA conditions (docs/api.md, "Automations"): "hours until next SLA breach" and
 * "hours since last SLA breach" over real HTTP and real runs at times of the test's choosing
 * (runAutomations' clock: no sleeping), checked when saved (422 naming the condition), offered by
 * the definitions, prefiltered in SQL (the tickets read are counted), never matching a ticket
 * without a breach to come, and never another account's ticket.
 */

type Res = Promise<{ status: number; text: string; body: any }>;
let t: TestApp;
let deps: AutomationDeps;
const HOUR = 3_600_000;

async function ok<T = any>(r: Res, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}

const POLICY = {
  title: "Urgent",
  filter: { all: [{ field: "current_tags", operator: "not_includes", value: "nosla" }] },
  policy_metrics: [
    { priority: "urgent", metric: "first_reply_time", target: 60, business_hours: false },
    { priority: "urgent", metric: "requester_wait_time", target: 600, business_hours: false },
  ],
};
const SOON = { title: "Breach soon", conditions: { all: [{ field: "hours_until_next_sla_breach", operator: "less_than", value: "2" }, { field: "current_tags", operator: "not_includes", value: "soon" }] }, actions: [{ field: "current_tags", value: "soon" }] };
const LATE = { title: "Breached a while ago", conditions: { all: [{ field: "hours_since_last_sla_breach", operator: "greater_than", value: "1" }, { field: "current_tags", operator: "not_includes", value: "late" }] }, actions: [{ field: "current_tags", value: "late" }] };

async function account(prefix: string, automations: boolean) {
  const a = await buildTenant(t, prefix);
  const agent = await buildUser(t, a, "agent", "Al Agent");
  const eu = await buildUser(t, a, "end-user", "Eve Requester");
  await ok(a.api("POST", "/api/v2/slas/policies.json", { sla_policy: POLICY }), 201);
  if (automations) for (const x of [SOON, LATE]) await ok(a.api("POST", "/api/v2/automations.json", { automation: x }), 201);
  const make = async (priority: string | null, comment: { body: string; public: boolean } = { body: "Phoned in", public: false }) =>
    (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `p ${priority}`, comment, requester_id: eu.id, priority } }, { email: agent.email, token: agent.token! }), 201)).ticket.id as number;
  return { a, agent: { email: agent.email, token: agent.token! }, make };
}
const tags = async (a: TestTenant, id: number) => ((await ok(a.api("GET", `/api/v2/tickets/${id}.json`))).ticket.tags as string[]).filter((x) => x === "soon" || x === "late").sort();
/** Moves a ticket's stored times back `minutes` (test/support/sla.ts). */
const pass = (a: TestTenant, id: number, minutes: number) => passTime(t, a, id, minutes);

beforeAll(async () => {
  t = await startTestApp();
  deps = automationDeps(t);
});
afterAll(async () => t?.close());

describe("automations' SLA conditions", () => {
  it("are offered with their operators, and refused with details when the value or the operator is wrong", async () => {
    const a = await buildTenant(t, "slaauto");
    const defs = (await ok(a.api("GET", "/api/v2/automations/definitions.json"))).definitions.conditions_all as Array<{ subject: string; title: string; operators: Array<{ value: string }> }>;
    for (const subject of ["hours_until_next_sla_breach", "hours_since_last_sla_breach"]) {
      const d = defs.find((x) => x.subject === subject);
      expect(d, subject).toBeDefined();
      expect(d!.operators.map((o) => o.value)).toEqual(["is", "less_than", "greater_than"]);
    }
    const bad = [
      { field: "hours_until_next_sla_breach", operator: "less_than", value: "soon" },
      { field: "hours_since_last_sla_breach", operator: "greater_than_business_hours", value: "2" },
      { field: "hours_since_last_sla_breach", operator: "is", value: "-1" },
    ];
    const r = await a.api("POST", "/api/v2/automations.json", { automation: { title: "Bad", conditions: { all: bad }, actions: [{ field: "current_tags", value: "x" }] } });
    expect(r.status, r.text).toBe(422);
    expect(Object.keys(r.body.details).sort()).toEqual(["conditions.all[0]", "conditions.all[1]", "conditions.all[2]"]);
    expect(r.text).toMatch(/whole hours/);
    expect(r.text).toMatch(/is, less_than, greater_than/);
    // Triggers read updates, not the clock: refused there.
    const trig = await a.api("POST", "/api/v2/triggers.json", { trigger: { title: "No", conditions: { all: [{ field: "hours_until_next_sla_breach", operator: "less_than", value: "2" }] }, actions: [{ field: "current_tags", value: "x" }] } });
    expect(trig.status, trig.text).toBe(422);
  });

  it("fire on hours until the next breach and since the last one (a late reply counts), on the account's own tickets only", async () => {
    const { a, agent, make } = await account("slaautoa", true);
    const { a: b, make: makeB } = await account("slaautob", false);
    const t0 = Date.now();
    // First reply due in an hour.
    const due = await make("urgent");
    // A policy without targets for it: no breach to come.
    const none = await make(null);
    // Answered at once: next breach is the requester wait's, ten hours on.
    const answered = await make("urgent", { body: "We are on it", public: true });
    // Answered two hours late: breached an hour after it was opened, three hours ago.
    const late = await make("urgent");
    await pass(a, late, 180);
    await ok(a.api("PUT", `/api/v2/tickets/${late}.json`, { ticket: { comment: { body: "Sorry" } } }, agent));
    // Another account's ticket, due as soon, with the same policy (and no automations).
    const other = await makeB("urgent");

    // Now: the due ticket is within two hours of its breach; the late one breached three hours ago (more than one).
    let run = await runAutomations(deps, new Date(t0 + 60_000));
    expect(await tags(a, due)).toEqual(["soon"]);
    expect(await tags(a, none)).toEqual([]);
    expect(await tags(a, answered)).toEqual([]);
    expect(await tags(a, late)).toEqual(["late"]);
    expect(await tags(b, other)).toEqual([]);
    // The SQL prefilter let through only the tickets each condition holds for: one each.
    expect(run.byTenant.get(a.tenantId)).toMatchObject({ written: 2, examined: 2, failed: 0 });
    expect(run.byTenant.get(b.tenantId)).toMatchObject({ written: 0, examined: 0 });

    // Ninety minutes on, the due ticket's first reply breached half an hour ago: not yet more than one hour.
    run = await runAutomations(deps, new Date(t0 + 90 * 60_000));
    expect(await tags(a, due)).toEqual(["soon"]);
    expect(run.byTenant.get(a.tenantId)!.written).toBe(0);
    // Three and a half hours on: more than an hour since it breached; nothing else is within two hours of a breach (the requester waits are ten hours).
    run = await runAutomations(deps, new Date(t0 + 3.5 * HOUR));
    expect(await tags(a, due)).toEqual(["late", "soon"]);
    expect(await tags(a, answered)).toEqual([]);
    expect(await tags(a, none)).toEqual([]);
    expect(await tags(b, other)).toEqual([]);
    expect(run.byTenant.get(a.tenantId)).toMatchObject({ written: 1, failed: 0 });
    // Nine and a half hours on: the answered ticket's requester wait (ten hours) is within two.
    await runAutomations(deps, new Date(t0 + 9.5 * HOUR));
    expect(await tags(a, answered)).toEqual(["soon"]);
    expect(await tags(a, none)).toEqual([]);
  });

  it("keep a breach of a next reply stretch a new stretch replaced (0069), not for a deleted ticket, never from a crafted value", async () => {
    const a = await buildTenant(t, "slaautolast");
    const agent = await buildUser(t, a, "agent", "Al Agent");
    const eu = await buildUser(t, a, "end-user", "Eve Requester");
    const as = { email: agent.email, token: agent.token! };
    const policy = { ...POLICY, policy_metrics: [{ priority: "urgent", metric: "next_reply_time", target: 60, business_hours: false }, POLICY.policy_metrics[1]] };
    await ok(a.api("POST", "/api/v2/slas/policies.json", { sla_policy: policy }), 201);
    await ok(a.api("POST", "/api/v2/automations.json", { automation: LATE }), 201);
    const t0 = Date.now();
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Waiting", comment: { body: "Phoned in", public: false }, requester_id: eu.id, priority: "urgent" } }, as), 201)).ticket.id as number;
      // Answered two hours late (the next reply breached two hours ago), then the requester writes again: a new next reply stretch, due in an hour.
      await pass(a, id, 180);
      await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Sorry for the wait", public: true } } }, as));
      await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Still broken", public: true, author_id: eu.id } } }, as));
      ids.push(id);
    }
    const [kept, deleted] = ids as [number, number];
    const shown = (await ok(a.api("GET", `/api/v2/tickets/${kept}.json?include=slas`))).ticket.slas.policy_metrics as Array<{ metric: string; stage: string }>;
    expect(shown.find((m) => m.metric === "next_reply_time")?.stage).toBe("active");
    // The field is the system's: a client cannot set it.
    const crafted = await a.api("PUT", `/api/v2/tickets/${kept}.json`, { ticket: { sla_last_breach_at: new Date(t0 - 48 * HOUR).toISOString() } }, as);
    expect(crafted.status, crafted.text).toBeGreaterThanOrEqual(400);
    expect(crafted.status, crafted.text).toBeLessThan(500);
    expect((await a.api("DELETE", `/api/v2/tickets/${deleted}.json`)).status).toBe(204);
    const run = await runAutomations(deps, new Date(t0 + 60_000));
    expect(await tags(a, kept)).toEqual(["late"]);
    // The deleted ticket is not read at all.
    expect(run.byTenant.get(a.tenantId)).toMatchObject({ written: 1, examined: 1, failed: 0 });
  });

  it("read no breach of a target removed from the ticket's policy (no write of the ticket since), and read it again once restored", async () => {
    const { a, make } = await account("slaautohide", true);
    const policyId = (await ok(a.api("GET", "/api/v2/slas/policies.json"))).sla_policies[0].id as number;
    const t0 = Date.now();
    // First reply breached two hours ago; another due in an hour.
    const late = await make("urgent");
    await pass(a, late, 180);
    const due = await make("urgent");
    const only = (metrics: typeof POLICY.policy_metrics) => ok(a.api("PUT", `/api/v2/slas/policies/${policyId}.json`, { sla_policy: { policy_metrics: metrics } }));
    await only([POLICY.policy_metrics[1]!]);
    let run = await runAutomations(deps, new Date(t0 + 60_000));
    expect(await tags(a, late)).toEqual([]);
    expect(await tags(a, due)).toEqual([]);
    // Neither passes the SQL prefilter (the requester waits are ten hours off).
    expect(run.byTenant.get(a.tenantId)).toMatchObject({ written: 0, examined: 0 });
    await only(POLICY.policy_metrics);
    run = await runAutomations(deps, new Date(t0 + 2 * 60_000));
    expect(await tags(a, late)).toEqual(["late"]);
    expect(await tags(a, due)).toEqual(["soon"]);
  });

  it("migration 0069 filled each account's tickets' last breach from what their metric rows show (a breach passed, of a target in force)", async () => {
    const x = await account("slaautobf", false);
    const y = await account("slaautobf2", false);
    const breached = [await x.make("urgent"), await y.make("urgent")];
    const due = await x.make("urgent");
    const low = await x.make("low");
    for (const [acc, id] of [[x, breached[0]!], [y, breached[1]!], [x, low]] as const) await pass(acc.a, id, 180);
    const read = (acc: typeof x, id: number) =>
      t.db.tenant(acc.a.tenantId, async (tx) => (await sql<{ l: Date | null; b: Date | null }>`SELECT k.sla_last_breach_at AS l, (SELECT m.breach_at FROM ticket_sla_metrics m WHERE m.ticket_id = k.id AND m.metric = 'first_reply_time') AS b FROM tickets k WHERE k.nice_id = ${id}`.execute(tx.db)).rows[0]!);
    for (const acc of [x, y]) await t.db.tenant(acc.a.tenantId, async (tx) => void (await sql`UPDATE tickets SET sla_last_breach_at = NULL`.execute(tx.db)));
    // The migration's backfill as released (its column is there already), run again as the owner, as migrations run.
    const backfill = fs.readFileSync(new URL("../src/platform/db/migrations/0069_sla_last_breach.sql", import.meta.url), "utf8").replace(/^ALTER TABLE[^;]*;/m, "");
    await sql.raw(backfill).execute(t.db.owner);
    for (const [acc, id] of [[x, breached[0]!], [y, breached[1]!]] as const) {
      const r = await read(acc, id);
      expect(r.l?.getTime(), `ticket ${id}`).toBe(r.b!.getTime());
    }
    // Due in an hour: none yet; no target for its priority: none.
    expect((await read(x, due)).l).toBeNull();
    expect((await read(x, low)).l).toBeNull();
  });
});

