import { sql } from "kysely";
import { ADVISORY_LOCK, type TenantTx } from "../../platform/db/database.ts";
import type { TriggersTable } from "../../platform/db/schema.ts";

/**
 * SQL for business rules: the account's triggers and automations, two tables of the same columns
 * (0064, 0065). Titles, descriptions, conditions and actions are sealed by the service.
 */

export type RuleTable = "triggers" | "automations";

/** Each table's limit lock (with the tenant's hash as the second key). */
const LIMIT_LOCK: Record<RuleTable, number> = { triggers: ADVISORY_LOCK.triggerLimit, automations: ADVISORY_LOCK.automationLimit };

// The two tables have the same columns (schema.ts: AutomationsTable is TriggersTable): one typed name serves both.
const name = (table: RuleTable) => table as "triggers";

const base = (tx: TenantTx, table: RuleTable) =>
  tx.db
    .selectFrom(`${name(table)} as t`)
    .select(["t.id", "t.nice_id", "t.title_sealed", "t.description_sealed", "t.conditions_sealed", "t.actions_sealed", "t.active", "t.position", "t.created_at", "t.updated_at"])
    .where("t.tenant_id", "=", tx.tenantId);

export type RuleRow = Awaited<ReturnType<typeof findRule>> & {};

export const findRule = (tx: TenantTx, table: RuleTable, niceId: number) => base(tx, table).where("t.nice_id", "=", niceId).executeTakeFirst();

/** Whether a rule is active and when it last changed (nothing sealed read). */
export const ruleState = (tx: TenantTx, table: RuleTable, niceId: number) =>
  tx.db.selectFrom(`${name(table)} as t`).select(["t.active", "t.updated_at"]).where("t.tenant_id", "=", tx.tenantId).where("t.nice_id", "=", niceId).executeTakeFirst();

/** Every rule of the account (at most the limit), by position and id; `active` filters. */
export const allRules = (tx: TenantTx, table: RuleTable, active?: boolean) => {
  let q = base(tx, table);
  if (active !== undefined) q = q.where("t.active", "=", active);
  return q.orderBy("t.position").orderBy("t.nice_id").execute();
};

/**
 * A row's version, to the change: its `updated_at` to the microsecond and its `xmin` (the
 * transaction that wrote this row version; every UPDATE moves it). What keys an opened rule in
 * this process's cache (platform/crypto/opened-cache.ts).
 */
const version = sql<string>`t.xmin::text || '/' || (extract(epoch from t.updated_at) * 1000000)::bigint::text`.as("version");

/** The active rules of the account by position and id, without their sealed columns: ids and versions (what every ticket write reads first). */
export const activeVersions = (tx: TenantTx, table: RuleTable) =>
  tx.db.selectFrom(`${name(table)} as t`).select(["t.id", version]).where("t.tenant_id", "=", tx.tenantId).where("t.active", "=", true).orderBy("t.position").orderBy("t.nice_id").execute();

/** Some active rules whole, with their versions (those a write has not opened yet; one deleted or made inactive meanwhile is not there). */
export const activeByIds = (tx: TenantTx, table: RuleTable, ids: readonly string[]) =>
  ids.length === 0 ? Promise.resolve([]) : base(tx, table).select(version).where("t.active", "=", true).where("t.id", "in", [...ids]).execute();

/**
 * How many rules the account has, after taking the account's lock on them until the transaction
 * ends: a count and the insert after it are one step (rules created at once cannot pass the limit
 * together).
 */
export async function countRules(tx: TenantTx, table: RuleTable): Promise<number> {
  await lockRules(tx, table);
  const r = await tx.db.selectFrom(name(table)).select((eb) => eb.fn.countAll<string | number>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Takes the account's lock on its rules of a kind until the transaction ends (limits checked and written as one step). */
export async function lockRules(tx: TenantTx, table: RuleTable): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${LIMIT_LOCK[table]}, hashtext(${tx.tenantId}))`.execute(tx.db);
}

/** The stored bytes of the active rules' conditions and actions, but for one rule's (what a write opens when its process holds none of them opened). */
export async function activeBytes(tx: TenantTx, table: RuleTable, except: string | null): Promise<number> {
  let q = tx.db
    .selectFrom(name(table))
    .select(sql<string | number | null>`sum(octet_length(conditions_sealed) + octet_length(actions_sealed))`.as("n"))
    .where("tenant_id", "=", tx.tenantId)
    .where("active", "=", true);
  if (except) q = q.where("id", "<>", except);
  const r = await q.executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function lastPosition(tx: TenantTx, table: RuleTable): Promise<number> {
  const r = await tx.db.selectFrom(name(table)).select((eb) => eb.fn.max<number | null>("position").as("p")).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return r?.p ?? 0;
}

type Insert = Pick<TriggersTable, "id" | "title_sealed" | "description_sealed" | "conditions_sealed" | "actions_sealed" | "position"> & { active: boolean };

export async function insertRule(tx: TenantTx, table: RuleTable, v: Insert): Promise<number> {
  const r = await tx.db
    .insertInto(name(table))
    .values({ ...v, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id(${table})`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return r.nice_id;
}

export type RulePatch = Partial<Omit<Insert, "id">>;

export async function updateRule(tx: TenantTx, table: RuleTable, id: string, patch: RulePatch): Promise<void> {
  await tx.db.updateTable(name(table)).set({ ...patch, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function setPosition(tx: TenantTx, table: RuleTable, id: string, position: number): Promise<void> {
  await tx.db.updateTable(name(table)).set({ position, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function deleteRule(tx: TenantTx, table: RuleTable, id: string): Promise<void> {
  await tx.db.deleteFrom(name(table)).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}
