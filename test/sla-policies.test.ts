import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * SLA policies (docs/api.md, "SLA policies"), over real HTTP: create, show, list, update, delete,
 * reorder and definitions; every refusal a 4xx naming its place with nothing written; the limits;
 * owners and admins only (agents and end users refused); another account's ids answer 404; the
 * audit entries (ids only); the url from the configuration; sealed at rest.
 */

type Res = Promise<{ status: number; text: string; body: any }>;
let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent: { email: string; token: string };
let admin: { email: string; token: string };
let endUser: { email: string; token: string };

async function ok<T = any>(r: Res, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const tagged = (tag: string) => ({ all: [{ field: "current_tags", operator: "includes", value: tag }] });
const FRT = [{ priority: "urgent", metric: "first_reply_time", target: 30, business_hours: false }];
const policy = (x: TestTenant, body: Record<string, unknown>) => x.api("POST", "/api/v2/slas/policies.json", { sla_policy: body });
const made = async (x: TestTenant, title: string, tag = "vip") => (await ok(policy(x, { title, filter: tagged(tag), policy_metrics: FRT }), 201)).sla_policy.id as number;
const count = (x: TestTenant) => t.db.tenant(x.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM sla_policies`.execute(tx.db)).rows[0]!.n));
/** The audit log's entries of an action (through the API; entries are chained shortly after commit: asked again until some come). */
async function audits(x: TestTenant, action: string): Promise<Array<Record<string, unknown>>> {
  for (let i = 0; ; i++) {
    const list = ((await ok(x.api("GET", `/api/v2/audit_logs.json?filter[action]=${action}&per_page=100`))).audit_logs as Array<Record<string, unknown>>);
    if (list.length || i >= 50) return list;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "slap");
  b = await buildTenant(t, "slapb");
  const u = await buildUser(t, a, "agent", "Al Agent");
  agent = { email: u.email, token: u.token! };
  const d = await buildUser(t, a, "admin", "Ad Admin");
  admin = { email: d.email, token: d.token! };
  const e = await buildUser(t, a, "end-user", "Eve End");
  endUser = { email: e.email, token: await createTokenFor(t, a, e.id) };
});
afterAll(async () => t?.close());

describe("SLA policies API", () => {
  it("creates, shows, lists, updates and deletes, sealed at rest, its url from the configuration", async () => {
    const body = { title: "  Urgent tickets  ", description: "for VIPs", filter: { all: [{ field: "priority", operator: "is", value: "urgent" }], any: [{ field: "current_tags", operator: "includes", value: "vip gold" }] }, policy_metrics: [...FRT, { priority: "urgent", metric: "requester_wait_time", target: 240, business_hours: true }] };
    const created = (await ok(policy(a, body), 201)).sla_policy;
    expect(created).toMatchObject({
      title: "Urgent tickets",
      description: "for VIPs",
      position: 1,
      filter: { all: [{ field: "priority", operator: "is", value: "urgent" }], any: [{ field: "current_tags", operator: "includes", value: "vip gold" }] },
      policy_metrics: [{ priority: "urgent", metric: "first_reply_time", target: 30, business_hours: false }, { priority: "urgent", metric: "requester_wait_time", target: 240, business_hours: true }],
    });
    expect(created.url).toMatch(new RegExp(`^https?://[^/]+/api/v2/slas/policies/${created.id}\\.json$`));
    expect((await ok(a.api("GET", `/api/v2/slas/policies/${created.id}.json`))).sla_policy).toEqual(created);
    const raw = await t.db.tenant(a.tenantId, async (tx) => (await sql<Record<string, Uint8Array>>`SELECT * FROM sla_policies WHERE nice_id = ${created.id}`.execute(tx.db)).rows[0]!);
    for (const [col, text] of [["title_sealed", "Urgent tickets"], ["description_sealed", "VIPs"], ["filter_sealed", "vip gold"]] as const) expect(Buffer.from(raw[col]!).toString("latin1")).not.toContain(text);
    const second = await made(a, "Second");
    const list = await ok(a.api("GET", "/api/v2/slas/policies.json"));
    expect(list.sla_policies.map((p: any) => p.id)).toEqual([created.id, second]);
    expect(list.count).toBe(2);
    const changed = (await ok(a.api("PUT", `/api/v2/slas/policies/${created.id}.json`, { sla_policy: { description: null, policy_metrics: [{ priority: "low", metric: "agent_work_time", target: 600 }] } }))).sla_policy;
    expect(changed).toMatchObject({ title: "Urgent tickets", description: null, policy_metrics: [{ priority: "low", metric: "agent_work_time", target: 600, business_hours: false }], filter: created.filter });
    await ok(a.api("DELETE", `/api/v2/slas/policies/${created.id}.json`), 204);
    expect((await a.api("GET", `/api/v2/slas/policies/${created.id}.json`)).status).toBe(404);
    await ok(a.api("DELETE", `/api/v2/slas/policies/${second}.json`), 204);
    // Audited by ids only: no title, no filter in the entries.
    for (const action of ["sla_policy.created", "sla_policy.updated", "sla_policy.deleted"]) {
      const rows = await audits(a, action);
      expect(rows.map((r) => String(r.source_id)), action).toContain(String(created.id));
      expect(JSON.stringify(rows)).not.toMatch(/Urgent|vip/);
    }
  });

  it("reorders: every policy exactly once, else 422 with nothing changed; audited", async () => {
    const x = await made(a, "One");
    const y = await made(a, "Two");
    const z = await made(a, "Three");
    const r = await ok(a.api("PUT", "/api/v2/slas/policies/reorder.json", { sla_policy_ids: [z, x, y] }));
    expect(r.sla_policies.map((p: any) => [p.id, p.position])).toEqual([[z, 1], [x, 2], [y, 3]]);
    for (const ids of [[z, x], [z, x, y, y], [z, x, 999_999], [z, x, y, 1]]) {
      const bad = await a.api("PUT", "/api/v2/slas/policies/reorder.json", { sla_policy_ids: ids });
      expect(bad.status, bad.text).toBe(422);
      expect(Object.keys(bad.body.details)).toEqual(["sla_policy_ids"]);
    }
    expect((await a.api("PUT", "/api/v2/slas/policies/reorder.json", { sla_policy_ids: "1,2" })).status).toBe(422);
    expect((await ok(a.api("GET", "/api/v2/slas/policies.json"))).sla_policies.map((p: any) => p.id)).toEqual([z, x, y]);
    expect((await audits(a, "sla_policy.reordered")).length).toBeGreaterThan(0);
    for (const id of [x, y, z]) await ok(a.api("DELETE", `/api/v2/slas/policies/${id}.json`), 204);
  });

  it("refuses what is invalid with a 4xx naming the place, writing nothing", async () => {
    const before = await count(a);
    const bad = async (body: unknown, key: string, status = 422) => {
      const r = await a.api("POST", "/api/v2/slas/policies.json", { sla_policy: body });
      expect(r.status, r.text).toBe(status);
      // A shape refused by the schema names its path under `sla_policy`; the service's checks name their place.
      expect(Object.keys(r.body.details ?? {}).some((k) => k === key || (key === "sla_policy" && k.startsWith("sla_policy"))), r.text).toBe(true);
    };
    const base = { title: "x", filter: tagged("vip"), policy_metrics: FRT };
    await bad({ ...base, title: "   " }, "title");
    await bad({ ...base, title: undefined }, "title");
    await bad({ ...base, filter: undefined }, "filter");
    await bad({ ...base, filter: { all: [] } }, "filter");
    // About an update, or a time: refused on its row.
    for (const c of [{ field: "update_type", operator: "is", value: "Change" }, { field: "comment_is_public", operator: "is", value: "true" }, { field: "status", operator: "changed" }, { field: "priority", operator: "value", value: "high" }, { field: "OPEN", operator: "greater_than", value: 1 }, { field: "created_at", operator: "less_than", value: 2 }, { field: "nope", operator: "is", value: "x" }, { field: "group_id", operator: "is", value: "99999" }]) {
      await bad({ ...base, filter: { all: [{ field: "status", operator: "is", value: "open" }, c] } }, "filter.all[1]");
    }
    await bad({ ...base, filter: { any: [{ field: "assignee_id", operator: "is", value: "current_user" }] } }, "filter.any[0]");
    // Metric rows: priority, metric, target 1..525600 whole minutes, one per (priority, metric).
    for (const m of [{ priority: "critical", metric: "first_reply_time", target: 5 }, { priority: "low", metric: "resolution_time", target: 5 }, { priority: "low", metric: "first_reply_time", target: 0 }, { priority: "low", metric: "first_reply_time", target: 525_601 }, { priority: "low", metric: "first_reply_time", target: 1.5 }]) {
      await bad({ ...base, policy_metrics: [FRT[0], m] }, "policy_metrics[1]");
    }
    await bad({ ...base, policy_metrics: [FRT[0], FRT[0]] }, "policy_metrics[1]");
    await bad({ ...base, policy_metrics: Array.from({ length: 21 }, () => FRT[0]) }, "policy_metrics");
    // Shapes: unknown keys, wrong types (400 with details).
    await bad({ ...base, active: true }, "sla_policy");
    await bad({ ...base, policy_metrics: [{ priority: "low", metric: "first_reply_time", target: "5" }] }, "sla_policy");
    await bad({ ...base, title: "t".repeat(1001) }, "sla_policy");
    const r = await a.api("POST", "/api/v2/slas/policies.json", { sla_policy: { ...base, active: true } });
    expect(r.body.details, r.text).toBeDefined();
    // 64 KB a policy.
    await bad({ ...base, filter: { all: Array.from({ length: 40 }, () => ({ field: "current_tags", operator: "includes", value: Array.from({ length: 50 }, (_, i) => `${"t".repeat(36)}${i}x`).join(" ") })) } }, "sla_policy");
    expect(await count(a)).toBe(before);
    // An update is checked whole: nothing written on a refusal.
    const id = await made(a, "Kept");
    const u = await a.api("PUT", `/api/v2/slas/policies/${id}.json`, { sla_policy: { title: "Renamed", policy_metrics: [{ priority: "low", metric: "x", target: 5 }] } });
    expect(u.status).toBe(422);
    expect((await ok(a.api("GET", `/api/v2/slas/policies/${id}.json`))).sla_policy).toMatchObject({ title: "Kept", policy_metrics: FRT });
    await ok(a.api("DELETE", `/api/v2/slas/policies/${id}.json`), 204);
  });

  it("keeps at most 100 policies an account", async () => {
    const x = await buildTenant(t, "slalim");
    await t.db.tenant(x.tenantId, async (tx) => {
      for (let i = 0; i < 100; i++) await sql`INSERT INTO sla_policies (tenant_id, id, nice_id, title_sealed, filter_sealed, position) VALUES (${x.tenantId}, gen_random_uuid(), ${1000 + i}, '\\x00', '\\x00', ${i})`.execute(tx.db);
    });
    const r = await policy(x, { title: "One too many", filter: tagged("vip"), policy_metrics: FRT });
    expect(r.status, r.text).toBe(422);
    expect(Object.keys(r.body.details)).toEqual(["sla_policy"]);
    expect(await count(x)).toBe(100);
  });

  it("offers the definitions: the filter's conditions (no update or time conditions), the metrics and priorities", async () => {
    const d = (await ok(a.api("GET", "/api/v2/slas/policies/definitions.json"))).definitions;
    const subjects = d.all.map((c: any) => c.subject);
    expect(subjects).toEqual(expect.arrayContaining(["status", "priority", "type", "assignee_id", "group_id", "requester_id", "organization_id", "current_tags", "via"]));
    for (const no of ["update_type", "comment_is_public", "role", "OPEN", "created_at"]) expect(subjects).not.toContain(no);
    expect(d.any).toEqual(d.all);
    expect(d.metrics.map((m: any) => m.value)).toEqual(["first_reply_time", "next_reply_time", "periodic_update_time", "requester_wait_time", "agent_work_time"]);
    expect(d.priorities.map((m: any) => m.value)).toEqual(["low", "normal", "high", "urgent"]);
  });

  it("is for owners and admins only: agents and end users are refused, nothing written", async () => {
    const id = await made(a, "Admins only");
    const before = await count(a);
    await ok(a.api("GET", "/api/v2/slas/policies.json", undefined, admin));
    await ok(a.api("PUT", `/api/v2/slas/policies/${id}.json`, { sla_policy: { title: "By the admin" } }, admin));
    for (const as of [agent, endUser]) {
      for (const [m, p, body] of [
        ["GET", "/api/v2/slas/policies.json"],
        ["GET", "/api/v2/slas/policies/definitions.json"],
        ["GET", `/api/v2/slas/policies/${id}.json`],
        ["POST", "/api/v2/slas/policies.json", { sla_policy: { title: "x", filter: tagged("vip"), policy_metrics: FRT } }],
        ["PUT", `/api/v2/slas/policies/${id}.json`, { sla_policy: { title: "hijack" } }],
        ["PUT", "/api/v2/slas/policies/reorder.json", { sla_policy_ids: [id] }],
        ["DELETE", `/api/v2/slas/policies/${id}.json`],
      ] as const) {
        const r = await a.api(m, p, body, as);
        expect(r.status, `${m} ${p}`).toBe(403);
      }
    }
    expect((await a.api("GET", "/api/v2/slas/policies.json", undefined, null)).status).toBe(401);
    expect(await count(a)).toBe(before);
    expect((await ok(a.api("GET", `/api/v2/slas/policies/${id}.json`))).sla_policy.title).toBe("By the admin");
    await ok(a.api("DELETE", `/api/v2/slas/policies/${id}.json`), 204);
  });

  it("answers 404 for another account's policy, and never lists it", async () => {
    const id = await made(a, "A's own");
    for (const [m, p, body] of [
      ["GET", `/api/v2/slas/policies/${id}.json`],
      ["PUT", `/api/v2/slas/policies/${id}.json`, { sla_policy: { title: "hijack" } }],
      ["DELETE", `/api/v2/slas/policies/${id}.json`],
    ] as const) {
      expect((await b.api(m, p, body)).status, `${m} ${p}`).toBe(404);
    }
    expect((await ok(b.api("GET", "/api/v2/slas/policies.json"))).sla_policies).toEqual([]);
    expect((await b.api("PUT", "/api/v2/slas/policies/reorder.json", { sla_policy_ids: [id] })).status).toBe(422);
    expect((await ok(a.api("GET", `/api/v2/slas/policies/${id}.json`))).sla_policy.title).toBe("A's own");
    // A filter naming another account's group is refused (ids are looked up in the account).
    const g = (await ok(b.api("POST", "/api/v2/groups.json", { group: { name: "B's group" } }), 201)).group.id as number;
    const mine = (await ok(a.api("GET", "/api/v2/groups.json"))).groups.map((x: any) => x.id) as number[];
    if (!mine.includes(g)) expect((await policy(a, { title: "x", filter: { all: [{ field: "group_id", operator: "is", value: String(g) }] }, policy_metrics: FRT })).status).toBe(422);
    await ok(a.api("DELETE", `/api/v2/slas/policies/${id}.json`), 204);
  });

  it("records in the ticket's events a policy applied, replaced and taken off (a Change of sla_policy by nobody, channel rule), nothing while it stays; staff of the account only", async () => {
    const x = await buildTenant(t, "slapev");
    const gold = await made(x, "Gold", "gold");
    const silver = await made(x, "Silver", "silver");
    const id = (await ok(x.api("POST", "/api/v2/tickets.json", { ticket: { subject: "S", comment: { body: "b" }, priority: "urgent", tags: ["gold"] } }), 201)).ticket.id as number;
    await ok(x.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["gold", "still"] } }));
    await ok(x.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["silver"] } }));
    await ok(x.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["none"] } }));
    const list = (await ok(x.api("GET", `/api/v2/tickets/${id}/audits.json`))).audits as Array<{ author_id: number | null; via: { channel: string }; events: Array<Record<string, unknown>> }>;
    const sla = list.filter((au) => au.events.some((e) => e.field_name === "sla_policy"));
    expect(sla.map((au) => au.events)).toEqual([
      [{ id: 1, type: "Change", field_name: "sla_policy", value: { id: gold, title: "Gold" }, previous_value: null }],
      [{ id: 1, type: "Change", field_name: "sla_policy", value: { id: silver, title: "Silver" }, previous_value: { id: gold, title: "Gold" } }],
      [{ id: 1, type: "Change", field_name: "sla_policy", value: null, previous_value: { id: silver, title: "Silver" } }],
    ]);
    for (const au of sla) expect(au).toMatchObject({ author_id: null, via: { channel: "rule" } });
    // Each right after the write that caused it: creation, then the retag to silver, then the one to none.
    const order = list.map((au) => (au.events.some((e) => e.field_name === "sla_policy") ? "sla" : "write"));
    expect(order).toEqual(["write", "sla", "write", "write", "sla", "write", "sla"]);
    // Another account, and end users, never read them.
    expect((await b.api("GET", `/api/v2/tickets/${id}/audits.json`)).status).toBe(404);
    const eu = await buildUser(t, x, "end-user", "Eve Own");
    expect((await x.api("GET", `/api/v2/tickets/${id}/audits.json`, undefined, { email: eu.email, token: await createTokenFor(t, x, eu.id) })).status).toBe(403);
  });
});

