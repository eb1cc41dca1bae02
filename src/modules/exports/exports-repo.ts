import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import type { DataExportsTable } from "../../platform/db/schema.ts";

/** SQL for data exports (0042). Every query names its tenant, on top of RLS. */

const COLUMNS = [
  "e.id", "e.nice_id", "e.kind", "e.subject_user_id", "e.resource", "e.format", "e.params", "e.requested_by", "e.status", "e.rows_done", "e.bytes",
  "e.created_at", "e.ready_at", "e.expires_at", "e.downloaded_at", "e.blob_removed_at",
] as const;

const exportQuery = (tx: TenantTx) =>
  tx.db
    .selectFrom("data_exports as e")
    .leftJoin("users as s", (j) => j.onRef("s.tenant_id", "=", "e.tenant_id").onRef("s.id", "=", "e.subject_user_id"))
    .select([...COLUMNS, "s.nice_id as subject_nice"])
    .where("e.tenant_id", "=", tx.tenantId);
export type ExportRow = Awaited<ReturnType<ReturnType<typeof exportQuery>["executeTakeFirstOrThrow"]>>;

export const findExport = (tx: TenantTx, niceId: number, kind: DataExportsTable["kind"]) => exportQuery(tx).where("e.nice_id", "=", niceId).where("e.kind", "=", kind).executeTakeFirst();
export const findExportById = (tx: TenantTx, id: string) => exportQuery(tx).where("e.id", "=", id).executeTakeFirst();

export async function insertExport(
  tx: TenantTx,
  e: { id: string; kind: DataExportsTable["kind"]; subject_user_id: string | null; resource: DataExportsTable["resource"]; format: DataExportsTable["format"]; params: unknown; requested_by: string },
): Promise<number> {
  const r = await tx.db
    .insertInto("data_exports")
    .values({ ...e, params: JSON.stringify(e.params), tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('data_exports')` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

/** Moves a queued (or working, when a job is tried again) export to `working`; false when it has finished. */
export async function markWorking(tx: TenantTx, id: string): Promise<boolean> {
  const r = await tx.db.updateTable("data_exports").set({ status: "working", rows_done: 0 }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("status", "in", ["queued", "working"]).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function setProgress(tx: TenantTx, id: string, rowsDone: number): Promise<void> {
  await tx.db.updateTable("data_exports").set({ rows_done: rowsDone }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("status", "=", "working").execute();
}

export async function markReady(tx: TenantTx, id: string, v: { bytes: number; rows_done: number; ready_at: Date; expires_at: Date }): Promise<boolean> {
  const r = await tx.db.updateTable("data_exports").set({ status: "ready", ...v }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("status", "=", "working").executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function markFailed(tx: TenantTx, id: string): Promise<void> {
  await tx.db.updateTable("data_exports").set({ status: "failed" }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("status", "in", ["queued", "working"]).execute();
}

/** Takes the single use of a ready export's link; false when it was used already (or is not ready). */
export async function takeDownload(tx: TenantTx, id: string, now: Date): Promise<boolean> {
  const r = await tx.db
    .updateTable("data_exports")
    .set({ downloaded_at: now })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .where("status", "=", "ready")
    .where("downloaded_at", "is", null)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Exports whose file must go: downloaded, expired or failed, and not removed yet. */
export const blobsToRemove = (tx: TenantTx, now: Date, limit: number) =>
  tx.db
    .selectFrom("data_exports")
    .select("id")
    .where("tenant_id", "=", tx.tenantId)
    .where("blob_removed_at", "is", null)
    .where((eb) => eb.or([eb("downloaded_at", "is not", null), eb("expires_at", "<=", now), eb("status", "=", "failed")]))
    .limit(limit)
    .execute();

export async function markBlobRemoved(tx: TenantTx, id: string, now: Date): Promise<void> {
  await tx.db.updateTable("data_exports").set({ blob_removed_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/**
 * Erasure of a person: exports of their data not finished are failed (a job never starts one
 * marked so), and the files of the others are marked removed. Returns the ids whose files go.
 */
export async function forgetSubject(tx: TenantTx, userId: string, now: Date): Promise<string[]> {
  await tx.db.updateTable("data_exports").set({ status: "failed" }).where("tenant_id", "=", tx.tenantId).where("subject_user_id", "=", userId).where("status", "in", ["queued", "working"]).execute();
  const r = await tx.db.updateTable("data_exports").set({ blob_removed_at: now }).where("tenant_id", "=", tx.tenantId).where("subject_user_id", "=", userId).where("blob_removed_at", "is", null).returning("id").execute();
  return r.map((x) => x.id);
}

/**
 * Tickets or organizations deleted for good after a stream position (deleted_at, public id),
 * before `until`, oldest first: their public ids, when, and the position as the streams' sort key
 * (integer microseconds, as text). One range of purged_records_changes.
 */
export async function listPurged(tx: TenantTx, resource: "ticket" | "organization", after: { key: string; id: number }, until: Date, limit: number): Promise<Array<{ nice_id: number; deleted_at: Date; sort_key: string }>> {
  return tx.db
    .selectFrom("purged_records")
    .select(["nice_id", "deleted_at", sql<string>`((extract(epoch from deleted_at) * 1000000)::bigint)::text`.as("sort_key")])
    .where("tenant_id", "=", tx.tenantId)
    .where("resource", "=", resource)
    .where(sql<boolean>`(deleted_at, nice_id) > (timestamptz 'epoch' + ${after.key}::bigint * interval '1 microsecond', ${after.id})`)
    .where("deleted_at", "<", until)
    .orderBy("deleted_at")
    .orderBy("nice_id")
    .limit(limit)
    .execute();
}
