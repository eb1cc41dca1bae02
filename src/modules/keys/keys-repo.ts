import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";

export type SealedRow = { id: string; values: Record<string, Uint8Array | null> };

/** Up to `limit` rows of `table` holding a value in `cols` sealed under a version older than `version`. */
export async function staleRows(tx: TenantTx, table: string, cols: readonly string[], version: number, afterId: string, limit: number): Promise<SealedRow[]> {
  const stale = sql.join(cols.map((c) => sql`vd_sealed_version(${sql.ref(c)}) < ${version}`), sql` OR `);
  const r = await sql<Record<string, unknown>>`
    SELECT id, ${sql.join(cols.map((c) => sql.ref(c)))} FROM ${sql.table(table)}
    WHERE tenant_id = ${tx.tenantId} AND id > ${afterId} AND (${stale})
    ORDER BY id LIMIT ${limit}`.execute(tx.db);
  return r.rows.map((row) => ({ id: row.id as string, values: Object.fromEntries(cols.map((c) => [c, (row[c] as Uint8Array | null) ?? null])) }));
}

export async function writeSealed(tx: TenantTx, table: string, id: string, values: Record<string, Uint8Array | null>): Promise<void> {
  const sets = Object.entries(values).map(([c, v]) => sql`${sql.ref(c)} = ${v}`);
  if (sets.length === 0) return;
  await sql`UPDATE ${sql.table(table)} SET ${sql.join(sets)} WHERE tenant_id = ${tx.tenantId} AND id = ${id}`.execute(tx.db);
}


export async function insertRotation(tx: TenantTx, version: number): Promise<void> {
  await tx.db.insertInto("key_rotations").values({ tenant_id: tx.tenantId, version, status: "running", finished_at: null }).execute();
}

export async function addResealed(tx: TenantTx, version: number, n: number): Promise<void> {
  await tx.db.updateTable("key_rotations").set((eb) => ({ resealed: eb("resealed", "+", n) })).where("tenant_id", "=", tx.tenantId).where("version", "=", version).execute();
}

export async function completeRotation(tx: TenantTx, version: number): Promise<void> {
  await tx.db.updateTable("key_rotations").set({ status: "completed", finished_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("version", "=", version).execute();
}

export async function rotationsInProgress(tx: TenantTx) {
  return tx.db.selectFrom("key_rotations").select(["version"]).where("tenant_id", "=", tx.tenantId).where("status", "=", "running").execute();
}
