import { sql } from "kysely";
import { countOwned, seenBy } from "../../platform/db/audience-sql.ts";
import { ADVISORY_LOCK, type TenantTx } from "../../platform/db/database.ts";
import type { ViewsTable } from "../../platform/db/schema.ts";

/** SQL for views. Titles and descriptions are sealed by the service; conditions are JSON of public ids, statuses and tags. */

const cols = ["v.id", "v.nice_id", "v.created_by", "v.user_id", "v.group_id", "v.title_sealed", "v.description_sealed", "v.active", "v.position", "v.conditions", "v.sort_by", "v.sort_order", "v.created_at", "v.updated_at"] as const;

const base = (tx: TenantTx) =>
  tx.db
    .selectFrom("views as v")
    // The group's public id, for a group's view (its group may be deleted since: the row stays).
    .leftJoin("groups as g", (j) => j.onRef("g.tenant_id", "=", "v.tenant_id").onRef("g.id", "=", "v.group_id"))
    .select([...cols, "g.nice_id as group_nice", "g.deleted as group_deleted"])
    .where("v.tenant_id", "=", tx.tenantId);

export type ViewRow = Awaited<ReturnType<typeof findView>> & {};

export const findView = (tx: TenantTx, niceId: number) => base(tx).where("v.nice_id", "=", niceId).executeTakeFirst();

/** One person's personal views, oldest first (their data export). */
export const personalViews = (tx: TenantTx, userId: string) => base(tx).where("v.user_id", "=", userId).orderBy("v.nice_id").execute();

/**
 * The views one person may see (before the policy's check of each): their personal ones, the
 * shared ones for everyone, and group views (every one for `allGroups`, else their groups' only).
 */
const visibleTo = (tx: TenantTx, userId: string, groupIds: readonly string[], allGroups: boolean) => base(tx).where(seenBy(userId, groupIds, allGroups));

export const visibleViews = (tx: TenantTx, userId: string, groupIds: readonly string[], allGroups: boolean) => visibleTo(tx, userId, groupIds, allGroups).execute();

/**
 * The highest position among the views a person sees (visibleTo), or -1 when none. A group view
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
 * How many views a person owns (`userId`), or how many shared views the account has (undefined).
 * Takes the kind's lock until the transaction ends first, so that a count and the insert after it
 * are not interleaved with another's (views created at once cannot pass the limit together).
 */
export const countViews = (tx: TenantTx, userId: string | undefined): Promise<number> => countOwned(tx, "views", ADVISORY_LOCK.viewLimit, userId);

type Insert = Pick<ViewsTable, "id" | "created_by" | "user_id" | "group_id" | "title_sealed" | "description_sealed" | "position" | "sort_by" | "sort_order"> & { active: boolean; conditions: string };

export async function insertView(tx: TenantTx, v: Insert): Promise<number> {
  const r = await tx.db
    .insertInto("views")
    .values({ ...v, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('views')`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return r.nice_id;
}

export type ViewPatch = Partial<Omit<Insert, "id" | "created_by">>;

export async function updateView(tx: TenantTx, id: string, patch: ViewPatch): Promise<void> {
  await tx.db.updateTable("views").set({ ...patch, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function deleteView(tx: TenantTx, id: string): Promise<void> {
  await tx.db.deleteFrom("views").where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}
