import { sql, type RawBuilder } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";

/**
 * SQL for the name index of people and organizations (0034_search_names.sql). Terms arrive as
 * 16-byte hashes packed into one bytea: each write is one statement however many terms it has,
 * and no term is ever spliced into a statement's text.
 */

export const TERM_BYTES = 16;

/** Which index: the table and its owner column (fixed names, never from input). */
export type NameKind = "user" | "organization";
const TABLES = {
  user: { table: "search_user_names", column: "user_id" },
  organization: { table: "search_organization_names", column: "organization_id" },
} as const;

const unpacked = (packed: Buffer) =>
  sql`SELECT DISTINCT substring(${packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term FROM generate_series(0, ${packed.length / TERM_BYTES - 1}) AS i`;

/** Replaces the entries of one person or organization with these terms (none: removes them). */
export async function replaceEntries(tx: TenantTx, kind: NameKind, id: string, packed: Buffer): Promise<void> {
  const { table, column } = TABLES[kind];
  await removeEntries(tx, kind, id);
  if (packed.length === 0) return;
  await sql`INSERT INTO ${sql.table(table)} (tenant_id, term, ${sql.ref(column)})
    SELECT ${tx.tenantId}, d.term, ${id} FROM (${unpacked(packed)}) AS d`.execute(tx.db);
}

/** Removes the entries of one person or organization. */
export async function removeEntries(tx: TenantTx, kind: NameKind, id: string): Promise<void> {
  const { table, column } = TABLES[kind];
  await sql`DELETE FROM ${sql.table(table)} WHERE tenant_id = ${tx.tenantId} AND ${sql.ref(column)} = ${id}`.execute(tx.db);
}

/** Removes a tenant's whole index of one kind (before a rebuild). */
export async function removeAll(tx: TenantTx, kind: NameKind): Promise<void> {
  await sql`DELETE FROM ${sql.table(TABLES[kind].table)} WHERE tenant_id = ${tx.tenantId}`.execute(tx.db);
}

/**
 * The ids of the people (organizations) whose entries hold every group of terms (a group: any of
 * its hashes), as a parenthesised subquery to use as `id IN (…)`. `groups[i]` is the group of hash i.
 */
export function matchingIds(tenantId: string, kind: NameKind, q: { packed: Buffer; groups: number[]; groupCount: number }): RawBuilder<unknown> {
  const { table, column } = TABLES[kind];
  // The terms are cut out in a materialised CTE first (as search-repo.ts does for tickets): under
  // row-level security `s.term = substring(… i * 16 …)` is not leakproof, so it could not be an
  // index condition and every entry of the tenant was read and hashed-joined (43 ms for 2,000
  // people, growing with the tenant: bench/README.md "Search"); `s.term = q.term` is one.
  return sql`(
    WITH q AS MATERIALIZED (
      SELECT substring(${q.packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term, (${q.groups}::int[])[i + 1] AS g
      FROM generate_series(0, ${q.groups.length - 1}) AS i)
    SELECT s.${sql.ref(column)} FROM q
    JOIN ${sql.table(table)} s ON s.tenant_id = ${tenantId} AND s.term = q.term
    GROUP BY s.${sql.ref(column)} HAVING count(DISTINCT q.g) = ${q.groupCount})`;
}

/** A subquery of no ids (a query with no word to match finds nobody, rather than everybody). */
export const noIds = (): RawBuilder<unknown> => sql`(SELECT NULL::uuid WHERE false)`;

/** How many people (active) or organizations a tenant holds: the name index rebuild's total. */
export async function countNamed(tx: TenantTx, kind: NameKind): Promise<number> {
  const r =
    kind === "user"
      ? await tx.db.selectFrom("users").select((eb) => eb.fn.countAll<string>().as("n")).where("tenant_id", "=", tx.tenantId).where("active", "=", true).executeTakeFirstOrThrow()
      : await tx.db.selectFrom("organizations").select((eb) => eb.fn.countAll<string>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirstOrThrow();
  return Number(r.n);
}
