import { sql, type KyselyPlugin, type RootOperationNode } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { TenantSealer } from "../src/platform/crypto/keyring.ts";
import type { Database, TenantTx } from "../src/platform/db/database.ts";
import { buildTenant, buildUser, openTestDatabase, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * What a ticket write costs under SLA policies and active triggers, counted (never timed): the
 * policies and triggers are opened once per process and row version (platform/crypto/opened-cache.ts).
 * Over real HTTP; the database is wrapped to count the statements each tenant's transactions
 * send, the keyring to count the sealed values each tenant's requests open.
 *  - A second write under unchanged policies opens no policy and writes no metric row and no
 *    ticket SLA column when nothing moved.
 *  - A policy changed in between (its version moves) is read and opened again: the next write
 *    follows its new filter, on this process and whichever wrote the change.
 *  - Two accounts' policies with the same id and the same version never share an entry.
 *  - The keyring forgetting a tenant (shredding, a new key version) drops its entries.
 */

type Statement = { tenant: string; kind: string; table: string; columns: string[] };
const statements: Statement[] = [];
/** Sealed values opened, by tenant and `table.column`. */
const opened: Array<{ tenant: string; what: string }> = [];

// The operation nodes are walked by shape: Kysely's node types are a union too wide to narrow here (test-only introspection).
type Node = any;
const tableOf = (n: Node): string => (n?.kind === "AliasNode" ? tableOf(n.node) : n?.kind === "TableNode" ? String(n.table?.identifier?.name ?? "") : "");
const columnOf = (n: Node): string => (n?.kind === "AliasNode" ? columnOf(n.node) : n?.kind === "ReferenceNode" ? String(n.column?.column?.name ?? "") : "");
function shapeOf(node: RootOperationNode): Omit<Statement, "tenant"> {
  const n = node as Node;
  switch (node.kind) {
    case "InsertQueryNode":
      return { kind: "insert", table: tableOf(n.into), columns: (n.columns ?? []).map((c: Node) => String(c.column?.name)) };
    case "UpdateQueryNode":
      return { kind: "update", table: tableOf(n.table), columns: (n.updates ?? []).map((u: Node) => String(u.column?.column?.name)) };
    case "SelectQueryNode":
      return { kind: "select", table: (n.from?.froms ?? []).map(tableOf).join(","), columns: (n.selections ?? []).map((x: Node) => columnOf(x.selection)) };
    default:
      return { kind: node.kind, table: "", columns: [] };
  }
}

/** The database, its tenant transactions' statements recorded (a Kysely plugin on each transaction's connection). */
function counted(db: Database): Database {
  const plugin = (tenant: string): KyselyPlugin => ({
    transformQuery: (args) => {
      statements.push({ tenant, ...shapeOf(args.node) });
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  const wrap = <T extends TenantTx>(tx: T): T => ({ ...tx, db: tx.db.withPlugin(plugin(tx.tenantId)) });
  return { ...db, tenant: (tenantId, fn, opts) => db.tenant(tenantId, (tx) => fn(wrap(tx)), opts) };
}

let t: TestApp;
let raw: Database;

beforeAll(async () => {
  raw = await openTestDatabase();
  t = await startTestApp({ db: counted(raw) });
  const sealerFor = t.keyring.sealerFor.bind(t.keyring);
  vi.spyOn(t.keyring, "sealerFor").mockImplementation(async (tx: TenantTx): Promise<TenantSealer> => {
    const s = await sealerFor(tx);
    return {
      ...s,
      openJson: <T>(sealed: Uint8Array, ref: Parameters<TenantSealer["openJson"]>[1]): T => {
        opened.push({ tenant: tx.tenantId, what: `${ref.table}.${ref.column}` });
        return s.openJson<T>(sealed, ref);
      },
    };
  });
});
afterAll(async () => {
  await t?.close();
  await raw?.close();
});

async function ok(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<any> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body;
}
const tagged = (tag: string) => ({ all: [{ field: "current_tags", operator: "includes", value: tag }] });
const FRT = [{ priority: "urgent", metric: "first_reply_time", target: 30, business_hours: false }];
const P = "/api/v2/slas/policies";

/** Counts what one step did in a tenant: filters opened, metric rows written, ticket SLA columns set. */
async function counting(a: TestTenant, step: () => Promise<unknown>) {
  statements.length = 0;
  opened.length = 0;
  await step();
  const mine = statements.filter((s) => s.tenant === a.tenantId);
  return {
    filtersOpened: opened.filter((o) => o.tenant === a.tenantId && o.what === "sla_policies.filter").length,
    conditionsOpened: opened.filter((o) => o.tenant === a.tenantId && o.what === "triggers.conditions").length,
    metricWrites: mine.filter((s) => s.kind === "insert" && s.table === "ticket_sla_metrics").length,
    slaSets: mine.filter((s) => s.kind === "update" && s.table === "tickets" && s.columns.includes("sla_policy_id")).length,
    /** Reads of policies' sealed filters (not the versions, nor the applied policy's lock). */
    filterReads: mine.filter((s) => s.kind === "select" && s.table.includes("sla_policies") && s.columns.includes("filter_sealed")).length,
  };
}
const policyOf = (a: TestTenant, id: number) => t.db.tenant(a.tenantId, async (tx) => (await sql<{ p: string | null }>`SELECT sla_policy_id AS p FROM tickets WHERE nice_id = ${id}`.execute(tx.db)).rows[0]!.p);

describe("SLA policies opened once per process and version", () => {
  it("a second write under unchanged policies opens none and writes no metric row when nothing moved; a policy changed in between is opened again and its new filter followed", async () => {
    const a = await buildTenant(t, "slacache");
    for (let i = 0; i < 5; i++) await ok(a.api("POST", `${P}.json`, { sla_policy: { title: `Other ${i}`, filter: tagged(`other${i}`), policy_metrics: FRT } }), 201);
    const gold = (await ok(a.api("POST", `${P}.json`, { sla_policy: { title: "Gold", filter: tagged("gold"), policy_metrics: FRT } }), 201)).sla_policy.id as number;
    let id = 0;
    const created = await counting(a, async () => (id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "S", comment: { body: "b" }, priority: "urgent", tags: ["gold"] } }), 201)).ticket.id));
    // The first write of the process opens the six policies, and writes the five rows and the ticket's policy.
    expect(created).toMatchObject({ filtersOpened: 6, metricWrites: 5, slaSets: 1 });
    const policy = await policyOf(a, id);
    expect(policy).not.toBeNull();

    const again = await counting(a, () => ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["gold", "x"] } })));
    expect(again).toEqual({ filtersOpened: 0, conditionsOpened: 0, metricWrites: 0, slaSets: 0, filterReads: 0 });

    // Showing the ticket's SLAs reads its own policy's title and targets, never the account's filters.
    let shown: any;
    const show = await counting(a, async () => (shown = await ok(a.api("GET", `/api/v2/tickets/${id}.json?include=slas`))));
    // (No first reply is awaited: staff opened the ticket with a public comment.)
    expect(shown.ticket.slas).toEqual({ policy_metrics: [] });
    expect(shown.ticket.sla_policy).toMatchObject({ id: gold, title: "Gold" });
    expect(show).toMatchObject({ filtersOpened: 0, filterReads: 0 });

    // A write that moves a metric writes that row only: an agent's public reply fulfils the first reply.
    const agent = await buildUser(t, a, "agent", "Al Agent");
    const reply = await counting(a, () => ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "On it", public: true } } }, { email: agent.email, token: agent.token! })));
    expect(reply.filtersOpened).toBe(0);
    expect(reply.metricWrites).toBeGreaterThanOrEqual(1);
    expect(reply.metricWrites).toBeLessThan(5);

    // The policy's filter changes: the next write reads and opens that one policy again and follows it (the ticket no longer matches).
    await ok(a.api("PUT", `${P}/${gold}.json`, { sla_policy: { filter: tagged("platinum") } }));
    const changed = await counting(a, () => ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["gold", "y"] } })));
    expect(changed).toMatchObject({ filtersOpened: 1, slaSets: 1, filterReads: 1 });
    expect(await policyOf(a, id)).toBeNull();
    const platinum = await counting(a, () => ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["platinum"] } })));
    expect(platinum).toMatchObject({ filtersOpened: 0, slaSets: 1 });
    expect(await policyOf(a, id)).toBe(policy);

    // Changed by a statement that leaves updated_at as it was (as a re-seal does): the row's xmin moves, the same.
    await t.db.tenant(a.tenantId, async (tx) => {
      const sealer = await t.keyring.sealerFor(tx);
      const row = await tx.db.selectFrom("sla_policies").select("id").where("nice_id", "=", gold).executeTakeFirstOrThrow();
      await tx.db.updateTable("sla_policies").set({ filter_sealed: sealer.sealJson({ all: [{ field: "current_tags", operator: "includes", value: "silver" }], any: [] }, { table: "sla_policies", column: "filter", row: row.id }) }).where("id", "=", row.id).execute();
    });
    const behind = await counting(a, () => ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["platinum", "z"] } })));
    expect(behind).toMatchObject({ filtersOpened: 1, slaSets: 1 });
    expect(await policyOf(a, id)).toBeNull();

    // The keyring forgetting the tenant (shredded, or a new key version) drops what was opened under its keys.
    await counting(a, () => ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["silver"] } })));
    t.keyring.forget(a.tenantId);
    const forgotten = await counting(a, () => ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["silver", "w"] } })));
    expect(forgotten.filtersOpened).toBe(6);
  }, 60_000);

  it("two accounts' policies with the same id and the same version never share an entry", async () => {
    const a = await buildTenant(t, "slacachea");
    const b = await buildTenant(t, "slacacheb");
    const pa = (await ok(a.api("POST", `${P}.json`, { sla_policy: { title: "Alpha", filter: tagged("alpha"), policy_metrics: FRT } }), 201)).sla_policy.id as number;
    const pb = (await ok(b.api("POST", `${P}.json`, { sla_policy: { title: "Beta", filter: tagged("beta"), policy_metrics: FRT } }), 201)).sla_policy.id as number;
    const sealerB = await t.db.tenant(b.tenantId, (tx) => t.keyring.sealerFor(tx));
    // One transaction gives both rows the same id, the same updated_at and the same xmin: their versions are equal.
    const at = new Date("2026-12-01T10:00:00.123Z");
    const same = await raw.system(async (conn) => {
      await raw.setTenant(conn, a.tenantId);
      const ra = await conn.selectFrom("sla_policies").select("id").where("tenant_id", "=", a.tenantId).where("nice_id", "=", pa).executeTakeFirstOrThrow();
      await conn.updateTable("sla_policies").set({ updated_at: at }).where("tenant_id", "=", a.tenantId).where("id", "=", ra.id).execute();
      await raw.setTenant(conn, b.tenantId);
      const title = { table: "sla_policies" as const, column: "title" as const, row: ra.id };
      const filter = { table: "sla_policies" as const, column: "filter" as const, row: ra.id };
      await conn
        .updateTable("sla_policies")
        .set({ id: ra.id, updated_at: at, title_sealed: sealerB.seal("Beta", title), filter_sealed: sealerB.sealJson({ all: tagged("beta").all, any: [] }, filter) })
        .where("tenant_id", "=", b.tenantId)
        .where("nice_id", "=", pb)
        .execute();
      const versions = async (tenant: string) => {
        await raw.setTenant(conn, tenant);
        return (await sql<{ v: string }>`SELECT id::text || ' ' || xmin::text || ' ' || updated_at::text AS v FROM sla_policies WHERE tenant_id = ${tenant}`.execute(conn)).rows[0]!.v;
      };
      return { a: await versions(a.tenantId), b: await versions(b.tenantId) };
    });
    expect(same.a).toBe(same.b);
    // A opens its policy first (alpha); B's write must follow B's own filter (beta), opened under B's key.
    const ta = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "A", comment: { body: "b" }, priority: "urgent", tags: ["alpha"] } }), 201)).ticket.id as number;
    expect(await policyOf(a, ta)).not.toBeNull();
    let tb = 0;
    const inB = await counting(b, async () => (tb = (await ok(b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "B", comment: { body: "b" }, priority: "urgent", tags: ["beta"] } }), 201)).ticket.id));
    expect(inB.filtersOpened).toBe(1);
    expect(await policyOf(b, tb)).not.toBeNull();
    const alphaInB = (await ok(b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "B2", comment: { body: "b" }, priority: "urgent", tags: ["alpha"] } }), 201)).ticket.id as number;
    expect(await policyOf(b, alphaInB)).toBeNull();
    const betaInA = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "A2", comment: { body: "b" }, priority: "urgent", tags: ["beta"] } }), 201)).ticket.id as number;
    expect(await policyOf(a, betaInA)).toBeNull();
  }, 60_000);
});

describe("active triggers opened once per process and version", () => {
  it("a second write opens no trigger; a trigger changed in between is opened again and fires on its new conditions", async () => {
    const a = await buildTenant(t, "trigcache");
    const trigger = (tag: string, add: string) => ({ trigger: { title: `On ${tag}`, conditions: tagged(tag), actions: [{ field: "current_tags", value: add }] } });
    for (let i = 0; i < 3; i++) await ok(a.api("POST", "/api/v2/triggers.json", trigger(`never${i}`, `n${i}`)), 201);
    const tr = (await ok(a.api("POST", "/api/v2/triggers.json", trigger("red", "seen_red")), 201)).trigger.id as number;
    let id = 0;
    const first = await counting(a, async () => (id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "S", comment: { body: "b" }, tags: ["blue"] } }), 201)).ticket.id));
    expect(first.conditionsOpened).toBe(4);
    const again = await counting(a, () => ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["blue", "x"] } })));
    expect(again.conditionsOpened).toBe(0);
    await ok(a.api("PUT", `/api/v2/triggers/${tr}.json`, { trigger: { conditions: tagged("blue") } }));
    const changed = await counting(a, () => ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["blue", "y"] } })));
    expect(changed.conditionsOpened).toBe(1);
    expect((await ok(a.api("GET", `/api/v2/tickets/${id}.json`))).ticket.tags).toContain("seen_red");
  }, 60_000);
});
