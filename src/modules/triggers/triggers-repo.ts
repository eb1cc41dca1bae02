import { sql } from "kysely";
import { ADVISORY_LOCK, type TenantTx } from "../../platform/db/database.ts";
import type { TriggersTable } from "../../platform/db/schema.ts";

/** SQL for triggers. Titles, descriptions, conditions and actions are sealed by the service. */

const base = (tx: TenantTx) =>
  tx.db
    .selectFrom("triggers as t")
    .select(["t.id", "t.nice_id", "t.title_sealed", "t.description_sealed", "t.conditions_sealed", "t.actions_sealed", "t.active", "t.position", "t.created_at", "t.updated_at"])
    .where("t.tenant_id", "=", tx.tenantId);

export type TriggerRow = Awaited<ReturnType<typeof findTrigger>> & {};

export const findTrigger = (tx: TenantTx, niceId: number) => base(tx).where("t.nice_id", "=", niceId).executeTakeFirst();

/** Every trigger of the account (at most MAX_TRIGGERS), by position and id; `active` filters. */
export const allTriggers = (tx: TenantTx, active?: boolean) => {
  let q = base(tx);
  if (active !== undefined) q = q.where("t.active", "=", active);
  return q.orderBy("t.position").orderBy("t.nice_id").execute();
};

/**
 * How many triggers the account has, after taking the account's trigger lock until the
 * transaction ends: a count and the insert after it are one step (triggers created at once cannot
 * pass the limit together).
 */
export async function countTriggers(tx: TenantTx): Promise<number> {
  await sql`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.triggerLimit}, hashtext(${tx.tenantId}))`.execute(tx.db);
  const r = await tx.db.selectFrom("triggers").select((eb) => eb.fn.countAll<string | number>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function lastPosition(tx: TenantTx): Promise<number> {
  const r = await tx.db.selectFrom("triggers").select((eb) => eb.fn.max<number | null>("position").as("p")).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return r?.p ?? 0;
}

type Insert = Pick<TriggersTable, "id" | "title_sealed" | "description_sealed" | "conditions_sealed" | "actions_sealed" | "position"> & { active: boolean };

export async function insertTrigger(tx: TenantTx, v: Insert): Promise<number> {
  const r = await tx.db
    .insertInto("triggers")
    .values({ ...v, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('triggers')`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return r.nice_id;
}

export type TriggerPatch = Partial<Omit<Insert, "id">>;

export async function updateTrigger(tx: TenantTx, id: string, patch: TriggerPatch): Promise<void> {
  await tx.db.updateTable("triggers").set({ ...patch, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function setPosition(tx: TenantTx, id: string, position: number): Promise<void> {
  await tx.db.updateTable("triggers").set({ position, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function deleteTrigger(tx: TenantTx, id: string): Promise<void> {
  await tx.db.deleteFrom("triggers").where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}
