import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Triggers (docs/api.md, "Triggers"), over real HTTP: the admin API (who may, every refusal with
 * nothing written, order, definitions, another tenant) and the engine that runs them after each
 * ticket write (each condition and action kind, the cycle, once per update, no recursion, skipped
 * actions, the mail they queue and where it may not go).
 */

type As = { email: string; token: string };
type Cond = { field: string; operator: string; value?: unknown };
type Action = { field: string; value: unknown };

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let admin: As & { id: number };
let agent: As & { id: number };
let g1: number;
let g2: number;

async function ok<T = any>(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const triggerCount = (tenant: TestTenant) => t.db.tenant(tenant.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM triggers`.execute(tx.db)).rows[0]!.n));
const create = (trigger: Record<string, unknown>, who?: As) => a.api("POST", "/api/v2/triggers.json", { trigger }, who);
const all = (...c: Cond[]) => ({ all: c });
const never: Cond = { field: "current_tags", operator: "includes", value: "never_set_here" };

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "triggers");
  b = await buildTenant(t, "triggersb");
  const mk = async (role: "admin" | "agent", name: string) => {
    const u = await buildUser(t, a, role, name);
    return { email: u.email, token: u.token!, id: u.id };
  };
  admin = await mk("admin", "Ada Admin");
  agent = await mk("agent", "Al Agent");
  g1 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Billing" } }), 201)).group.id;
  g2 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 2" } }), 201)).group.id;
  await ok(a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: agent.id, group_id: g1 } }), 201);
});
afterAll(async () => t?.close());

describe("triggers API", () => {
  it("creates, shows, lists, updates and deletes, sealed at rest", async () => {
    const made = await ok(create({ title: "  Escalate  ", description: "urgent words", conditions: all({ field: "status", operator: "is", value: "new" }), actions: [{ field: "priority", value: "high" }] }, admin), 201);
    const tr = made.trigger;
    expect(tr).toMatchObject({ title: "Escalate", description: "urgent words", active: true, conditions: { all: [{ field: "status", operator: "is", value: "new" }], any: [] }, actions: [{ field: "priority", value: "high" }] });
    expect(tr.url).toMatch(new RegExp(`/api/v2/triggers/${tr.id}\\.json$`));
    expect((await ok(a.api("GET", `/api/v2/triggers/${tr.id}.json`))).trigger).toEqual(tr);
    const raw = await t.db.tenant(a.tenantId, async (tx) => (await sql<Record<string, unknown>>`SELECT * FROM triggers WHERE nice_id = ${tr.id}`.execute(tx.db)).rows[0]!);
    expect(Buffer.from(raw.title_sealed as Uint8Array).toString("latin1")).not.toContain("Escalate");
    expect(Buffer.from(raw.conditions_sealed as Uint8Array).toString("latin1")).not.toContain("status");
    const changed = await ok(a.api("PUT", `/api/v2/triggers/${tr.id}.json`, { trigger: { active: false, description: null } }));
    expect(changed.trigger).toMatchObject({ active: false, description: null, title: "Escalate" });
    expect((await ok(a.api("GET", "/api/v2/triggers.json?active=false"))).triggers.map((x: any) => x.id)).toContain(tr.id);
    expect((await ok(a.api("GET", "/api/v2/triggers/active.json"))).triggers.map((x: any) => x.id)).not.toContain(tr.id);
    await ok(a.api("DELETE", `/api/v2/triggers/${tr.id}.json`), 204);
    expect((await a.api("GET", `/api/v2/triggers/${tr.id}.json`)).status).toBe(404);
  });

  it("is for owners and admins only", async () => {
    expect((await create({ title: "x", conditions: all(never), actions: [{ field: "priority", value: "low" }] }, agent)).status).toBe(403);
    expect((await a.api("GET", "/api/v2/triggers.json", undefined, agent)).status).toBe(403);
    expect((await a.api("GET", "/api/v2/triggers/definitions.json", undefined, agent)).status).toBe(403);
  });

  it("refuses bad input with 422 naming the place, writing nothing", async () => {
    const before = await triggerCount(a);
    const bad = async (trigger: Record<string, unknown>, key: string) => {
      const r = await create(trigger);
      expect(r.status, r.text).toBe(422);
      expect(Object.keys(r.body.details ?? {}), r.text).toContain(key);
    };
    const act = [{ field: "priority", value: "low" }];
    await bad({ title: "x", conditions: { all: [never, never, { field: "status", operator: "is", value: "nope" }] }, actions: act }, "conditions.all[2]");
    await bad({ title: "x", conditions: { any: [{ field: "bogus", operator: "is", value: "1" }] }, actions: act }, "conditions.any[0]");
    await bad({ title: "x", conditions: all({ field: "status", operator: "includes", value: "new" }), actions: act }, "conditions.all[0]");
    await bad({ title: "x", conditions: all({ field: "group_id", operator: "is", value: 999 }), actions: act }, "conditions.all[0]");
    await bad({ title: "x", conditions: all(never), actions: [{ field: "priority", value: "low" }, { field: "group_id", value: "999" }] }, "actions[1]");
    await bad({ title: "x", conditions: all(never), actions: [{ field: "comment_value", value: "hi" }] }, "actions[0]");
    await bad({ title: "x", conditions: all(never), actions: [{ field: "notification_user", value: ["requester_id", "Hi {% include 'x' %}", "b"] }] }, "actions[0]");
    await bad({ title: "x", conditions: all(never), actions: [{ field: "notification_group", value: [999, "s", "b"] }] }, "actions[0]");
    await bad({ title: "x", conditions: all(never), actions: [{ field: "notification_user", value: "requester_id" }] }, "actions[0]");
    await bad({ title: "x", conditions: { all: [] }, actions: act }, "conditions");
    await bad({ title: "x", conditions: all(never), actions: [] }, "actions");
    await bad({ title: " ", conditions: all(never), actions: act }, "title");
    await bad({ title: "x", conditions: { all: Array.from({ length: 51 }, () => never) }, actions: act }, "conditions.all");
    await bad({ title: "x", conditions: all(never), actions: Array.from({ length: 31 }, () => ({ field: "priority", value: "low" })) }, "actions");
    expect(await triggerCount(a)).toBe(before);
  });

  it("reorders: every trigger once, else 422; positions 1..n", async () => {
    const ids: number[] = [];
    for (const title of ["R1", "R2", "R3"]) ids.push((await ok(create({ title, conditions: all(never), actions: [{ field: "priority", value: "low" }] }), 201)).trigger.id);
    const current = (await ok(a.api("GET", "/api/v2/triggers.json"))).triggers.map((x: any) => x.id) as number[];
    expect((await a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: current.slice(1) })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: [...current, current[0]] })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: [...current.slice(1), 99999] })).status).toBe(422);
    const reversed = [...current].reverse();
    const r = await ok(a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: reversed }));
    expect(r.triggers.map((x: any) => [x.id, x.position])).toEqual(reversed.map((id, i) => [id, i + 1]));
    expect((await ok(a.api("GET", "/api/v2/triggers.json"))).triggers.map((x: any) => x.id)).toEqual(reversed);
    expect((await ok(a.api("GET", "/api/v2/triggers.json?sort_by=title&sort_order=desc&per_page=2"))).triggers.map((x: any) => x.title)).toEqual(["R3", "R2"]);
    for (const id of ids) await ok(a.api("DELETE", `/api/v2/triggers/${id}.json`), 204);
  });

  it("gives definitions with the account's groups and agents", async () => {
    const d = (await ok(a.api("GET", "/api/v2/triggers/definitions.json"))).definitions;
    const group = d.conditions_all.find((x: any) => x.subject === "group_id");
    expect(group.values.map((v: any) => v.title)).toEqual(expect.arrayContaining(["Billing", "Tier 2"]));
    const assignee = d.actions.find((x: any) => x.subject === "assignee_id");
    expect(assignee.values.map((v: any) => v.title)).toContain("Al Agent");
    expect(d.conditions_any.find((x: any) => x.subject === "status").operators.map((o: any) => o.value)).toContain("value_previous");
    expect(d.actions.map((x: any) => x.subject)).toEqual(expect.arrayContaining(["notification_user", "notification_group", "set_tags"]));
  });

  it("answers another tenant's id as a missing one, and looks ids up inside the tenant", async () => {
    const id = (await ok(create({ title: "Mine", conditions: all(never), actions: [{ field: "priority", value: "low" }] }), 201)).trigger.id;
    const foreign = await b.api("GET", `/api/v2/triggers/${id}.json`);
    const missing = await b.api("GET", `/api/v2/triggers/999999.json`);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    expect((await b.api("DELETE", `/api/v2/triggers/${id}.json`)).status).toBe(404);
    // A's group id in B's trigger: unknown there.
    const r = await b.api("POST", "/api/v2/triggers.json", { trigger: { title: "x", conditions: all({ field: "group_id", operator: "is", value: g2 }), actions: [{ field: "group_id", value: String(g2) }] } });
    expect(r.status).toBe(422);
    expect(await triggerCount(b)).toBe(0);
    await ok(a.api("DELETE", `/api/v2/triggers/${id}.json`), 204);
  });
});
