import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";

/** SQL for audit archives (0044). Every query names its tenant, on top of RLS. */

/** An entry as the chain hashes it (audit-fns.ts canonicalEntry), with its stored hash. */
export const entryColumns = [
  "seq",
  "id",
  sql<string>`((extract(epoch FROM occurred_at) * 1000000)::bigint)::text`.as("at_us"),
  "occurred_at",
  "actor_kind",
  "actor_id",
  "action",
  "resource_type",
  "resource_id",
  "fields",
  "ip_sealed",
  "request_id",
  "hash",
] as const;

export const entriesFrom = (tx: TenantTx, fromSeq: number, toSeq: number, limit: number) =>
  tx.db.selectFrom("audit_log").select(entryColumns).where("tenant_id", "=", tx.tenantId).where("seq", ">=", fromSeq).where("seq", "<=", toSeq).orderBy("seq").limit(limit).execute();

export type EntryRow = Awaited<ReturnType<typeof entriesFrom>>[number];

/** The tenant's retention days for its audit trail (defaults without a policy row). */
export async function auditDays(tx: TenantTx): Promise<{ hot: number; purge: number }> {
  const r = await tx.db.selectFrom("retention_policies").select(["audit_hot_days", "audit_purge_days"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return { hot: r?.audit_hot_days ?? 90, purge: r?.audit_purge_days ?? 30 };
}

/** The newest archive (purged or not): where the next one starts. */
export const lastArchive = (tx: TenantTx) =>
  tx.db.selectFrom("audit_archives").select(["last_seq", "last_hash"]).where("tenant_id", "=", tx.tenantId).orderBy("last_seq", "desc").limit(1).executeTakeFirst();

/** The newest purged archive: verification of the database's entries starts after it. */
export const purgedCut = (tx: TenantTx) =>
  tx.db.selectFrom("audit_archives").select(["last_seq", "last_hash"]).where("tenant_id", "=", tx.tenantId).where("purged_at", "is not", null).orderBy("last_seq", "desc").limit(1).executeTakeFirst();

export const hashAt = async (tx: TenantTx, seq: number): Promise<Uint8Array | undefined> =>
  (await tx.db.selectFrom("audit_log").select("hash").where("tenant_id", "=", tx.tenantId).where("seq", "=", seq).executeTakeFirst())?.hash;

/**
 * The last entry of the longest run from `fromSeq` whose entries are all older than `cutoff`
 * (archives are prefixes of the chain), at most `max` entries; below `fromSeq` when there is none.
 */
export async function archivableThrough(tx: TenantTx, fromSeq: number, cutoff: Date, max: number): Promise<number> {
  const r = await sql<{ through: string | null }>`
    SELECT least(
      coalesce((SELECT min(seq) - 1 FROM audit_log WHERE tenant_id = ${tx.tenantId} AND seq >= ${fromSeq} AND occurred_at >= ${cutoff}),
               (SELECT max(seq) FROM audit_log WHERE tenant_id = ${tx.tenantId})),
      ${fromSeq + max - 1}) AS through`.execute(tx.db);
  return r.rows[0]?.through === null || r.rows[0] === undefined ? fromSeq - 1 : Number(r.rows[0].through);
}

export async function insertArchive(
  tx: TenantTx,
  a: { id: string; first_seq: number; last_seq: number; first_at: Date; last_at: Date; prev_hash: Uint8Array; last_hash: Uint8Array; entries: number; sha256: Uint8Array; bytes: number },
): Promise<number> {
  const r = await tx.db.insertInto("audit_archives").values({ ...a, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('audit_archives')`, verified_at: null, purged_at: null }).returning("nice_id").executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

const archiveQuery = (tx: TenantTx) =>
  tx.db
    .selectFrom("audit_archives")
    .select(["id", "nice_id", "first_seq", "last_seq", "first_at", "last_at", "prev_hash", "last_hash", "entries", "sha256", "bytes", "created_at", "verified_at", "purged_at"])
    .where("tenant_id", "=", tx.tenantId);
export type ArchiveRow = Awaited<ReturnType<ReturnType<typeof archiveQuery>["executeTakeFirstOrThrow"]>>;

export const listArchives = (tx: TenantTx, page: Page) =>
  fetchPage(archiveQuery(tx), page, "nice_id", async () => Number((await tx.db.selectFrom("audit_archives").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirstOrThrow()).n));

export const findArchive = (tx: TenantTx, niceId: number) => archiveQuery(tx).where("nice_id", "=", niceId).executeTakeFirst();

export const allArchives = (tx: TenantTx) => archiveQuery(tx).orderBy("first_seq").execute();

/** Archives not purged yet, made before `before`, oldest first (the purge's candidates). */
export const purgeable = (tx: TenantTx, before: Date) => archiveQuery(tx).where("purged_at", "is", null).where("created_at", "<", before).orderBy("first_seq").execute();

export async function markVerified(tx: TenantTx, id: string, at: Date): Promise<void> {
  await tx.db.updateTable("audit_archives").set({ verified_at: at }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/** Deletes the archive's entries from audit_log (vd_audit_purge checks the archive first). */
export async function purgeThrough(tx: TenantTx, lastSeq: number): Promise<number> {
  const r = await sql<{ n: number }>`SELECT vd_audit_purge(${lastSeq}) AS n`.execute(tx.db);
  return Number(r.rows[0]!.n);
}
