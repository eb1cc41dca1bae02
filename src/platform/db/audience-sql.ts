import { sql, type RawBuilder } from "kysely";
import type { TenantTx } from "./database.ts";

/**
 * SQL that saved views and macros share: both keep who an item is for in `user_id` (a person's
 * own), `group_id` (a group's) or neither (every staff member), and cap how many of each kind
 * there are. Their repos keep everything else.
 */

/** The tables of items with an audience. */
export type AudienceTable = "views" | "macros";

/**
 * The rows (alias `v`) one person may see before the policy's check of each: their personal ones,
 * the ones for everyone, and group ones (every one for `allGroups`, else their groups' only).
 */
export function seenBy(userId: string, groupIds: readonly string[], allGroups: boolean): RawBuilder<boolean> {
  const groups = allGroups ? sql`v.group_id IS NOT NULL` : groupIds.length ? sql`v.group_id IN (${sql.join([...groupIds])})` : sql`false`;
  return sql<boolean>`(v.user_id = ${userId} OR (v.user_id IS NULL AND v.group_id IS NULL) OR ${groups})`;
}

/**
 * How many items of `table` a person owns (`userId`), or how many shared ones the account has
 * (undefined). Takes the kind's advisory lock (`lock`) until the transaction ends first, so that a
 * count and the insert after it are not interleaved with another's (items created at once cannot
 * pass the limit together).
 */
export async function countOwned(tx: TenantTx, table: AudienceTable, lock: number, userId: string | undefined): Promise<number> {
  await sql`SELECT pg_advisory_xact_lock(${lock}, hashtext(${`${tx.tenantId}:${userId ?? "shared"}`}))`.execute(tx.db);
  const owner = userId === undefined ? sql`user_id IS NULL` : sql`user_id = ${userId}`;
  const r = await sql<{ n: string | number }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE tenant_id = ${tx.tenantId} AND ${owner}`.execute(tx.db);
  return Number(r.rows[0]?.n ?? 0);
}
