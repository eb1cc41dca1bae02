import { sql } from "kysely";
import { countOwned, seenBy } from "../../platform/db/audience-sql.ts";
import { ADVISORY_LOCK, type TenantTx } from "../../platform/db/database.ts";
import type { MacrosTable } from "../../platform/db/schema.ts";

/** SQL for macros. Titles, descriptions and actions are sealed by the service. */

const cols = ["v.id", "v.nice_id", "v.created_by", "v.user_id", "v.group_id", "v.title_sealed", "v.description_sealed", "v.actions_sealed", "v.active", "v.position", "v.created_at", "v.updated_at"] as const;

const base = (tx: TenantTx) =>
  tx.db
    .selectFrom("macros as v")
    // The group's public id, for a group's macro (its group may be deleted since: the row stays).
    .leftJoin("groups as g", (j) => j.onRef("g.tenant_id", "=", "v.tenant_id").onRef("g.id", "=", "v.group_id"))
    .select([...cols, "g.nice_id as group_nice", "g.deleted as group_deleted"])
    .where("v.tenant_id", "=", tx.tenantId);

export type MacroRow = Awaited<ReturnType<typeof findMacro>> & {};

export const findMacro = (tx: TenantTx, niceId: number) => base(tx).where("v.nice_id", "=", niceId).executeTakeFirst();

/** The macros of these public ids that still exist (an audit's macro references). */
export const findMacros = (tx: TenantTx, niceIds: readonly number[]) => (niceIds.length ? base(tx).where("v.nice_id", "in", [...niceIds]).execute() : Promise.resolve([]));

/** One person's personal macros, oldest first (their data export). */
export const personalMacros = (tx: TenantTx, userId: string) => base(tx).where("v.user_id", "=", userId).orderBy("v.nice_id").execute();

/**
 * The macros one person may see (before the policy's check of each): their personal ones, the
 * shared ones for everyone, and group macros (every one for `allGroups`, else their groups' only).
 */
const visibleTo = (tx: TenantTx, userId: string, groupIds: readonly string[], allGroups: boolean) => base(tx).where(seenBy(userId, groupIds, allGroups));

export const visibleMacros = (tx: TenantTx, userId: string, groupIds: readonly string[], allGroups: boolean) => visibleTo(tx, userId, groupIds, allGroups).execute();

/**
 * The highest position among the macros a person sees (visibleTo), or -1 when none. A group view
 * they do not see must not move theirs (nor tell them its position).
 */
export async function lastPosition(tx: TenantTx, userId: string, groupIds: readonly string[], allGroups: boolean): Promise<number> {
  const r = await visibleTo(tx, userId, groupIds, allGroups)
    .clearSelect()
    .select((eb) => eb.fn.max<number | null>("v.position").as("p"))
    .executeTakeFirst();
  return r?.p ?? -1;
}

/**
 * How many macros a person owns (`userId`), or how many shared macros the account has (undefined).
 * Takes the kind's lock until the transaction ends first, so that a count and the insert after it
 * are not interleaved with another's (macros created at once cannot pass the limit together).
 */
export const countMacros = (tx: TenantTx, userId: string | undefined): Promise<number> => countOwned(tx, "macros", ADVISORY_LOCK.macroLimit, userId);

type Insert = Pick<MacrosTable, "id" | "created_by" | "user_id" | "group_id" | "title_sealed" | "description_sealed" | "actions_sealed" | "position"> & { active: boolean };

export async function insertMacro(tx: TenantTx, v: Insert): Promise<number> {
  const r = await tx.db
    .insertInto("macros")
    .values({ ...v, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('macros')`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return r.nice_id;
}

export type MacroPatch = Partial<Omit<Insert, "id" | "created_by">>;

export async function updateMacro(tx: TenantTx, id: string, patch: MacroPatch): Promise<void> {
  await tx.db.updateTable("macros").set({ ...patch, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function deleteMacro(tx: TenantTx, id: string): Promise<void> {
  await tx.db.deleteFrom("macros").where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

// ---- usage (0071): one row per macro and hour it was used in

/** The hour `at` falls in (its start). */
export const hourOf = (at: Date): Date => new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000);

/** Counts one use of each macro (distinct ids) in the hour of `at`: one statement, whatever the account's size. */
export async function recordUses(tx: TenantTx, macroIds: readonly string[], at: Date): Promise<void> {
  if (macroIds.length === 0) return;
  const hour = hourOf(at);
  await tx.db
    .insertInto("macro_usage")
    .values([...new Set(macroIds)].map((macro_id) => ({ tenant_id: tx.tenantId, macro_id, hour, uses: 1 })))
    .onConflict((oc) => oc.columns(["tenant_id", "macro_id", "hour"]).doUpdateSet({ uses: sql`macro_usage.uses + 1` }))
    .execute();
}

export type Usage = { usage_1h: number; usage_24h: number; usage_7d: number; usage_30d: number };
/** The windows, in hours: the hour of `now` and the ones before it, 1, 24, 168 and 720 in all. */
export const USAGE_WINDOWS = { usage_1h: 1, usage_24h: 24, usage_7d: 168, usage_30d: 720 } as const;

/** Each macro's uses in every window (macros without any are left out), summed from its hourly rows. */
export async function usageOf(tx: TenantTx, macroIds: readonly string[], now: Date): Promise<Map<string, Usage>> {
  const out = new Map<string, Usage>();
  if (macroIds.length === 0) return out;
  const start = (hours: number) => new Date(hourOf(now).getTime() - (hours - 1) * 3_600_000);
  const since = (hours: number) => sql<number>`coalesce(sum(uses) FILTER (WHERE hour >= ${start(hours)}), 0)::int`;
  const rows = await tx.db
    .selectFrom("macro_usage")
    .select(["macro_id", since(1).as("h1"), since(24).as("h24"), since(168).as("d7"), since(720).as("d30")])
    .where("tenant_id", "=", tx.tenantId)
    .where("macro_id", "in", [...macroIds])
    .where("hour", ">=", start(720))
    .groupBy("macro_id")
    .execute();
  for (const r of rows) out.set(r.macro_id, { usage_1h: Number(r.h1), usage_24h: Number(r.h24), usage_7d: Number(r.d7), usage_30d: Number(r.d30) });
  return out;
}

/**
 * Deletes the hourly rows older than `before` (the upkeep). Run hourly, a run finds about one hour's
 * rows: at most one per macro the account has.
 */
export async function deleteUsageBefore(tx: TenantTx, before: Date): Promise<number> {
  const r = await tx.db.deleteFrom("macro_usage").where("tenant_id", "=", tx.tenantId).where("hour", "<", before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
