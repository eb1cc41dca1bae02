import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import type { ScanStatus } from "../../platform/db/schema.ts";
import { scoped } from "./tickets-repo.ts";
import type { TicketScope } from "./tickets-policy.ts";

/** SQL for uploads, attachments and a tenant's attachment settings. Every query names its tenant. */

export type AttachmentRow = {
  id: string;
  nice_id: number;
  upload_id: string;
  file_name_sealed: Uint8Array;
  content_type: string;
  size: number;
  ticket_id: string | null;
  comment_id: string | null;
  scan_status: ScanStatus;
  scan_result_sealed: Uint8Array | null;
  redacted_at: Date | null;
  created_at: Date;
};

const ATTACHMENT_COLUMNS = [
  "x.id",
  "x.nice_id",
  "x.upload_id",
  "x.file_name_sealed",
  "x.content_type",
  "x.size",
  "x.ticket_id",
  "x.comment_id",
  "x.scan_status",
  "x.scan_result_sealed",
  "x.redacted_at",
  "x.created_at",
] as const;

export async function insertUpload(tx: TenantTx, u: { id: string; token_hash: Buffer; uploader_id: string | null; expires_at: Date }): Promise<void> {
  await tx.db.insertInto("uploads").values({ ...u, tenant_id: tx.tenantId, used_at: null }).execute();
}

export type UploadRow = { id: string; uploader_id: string | null; expires_at: Date; used_at: Date | null };

export async function findUploadByHash(tx: TenantTx, hash: Buffer, forUpdate = false): Promise<UploadRow | undefined> {
  const q = tx.db.selectFrom("uploads").select(["id", "uploader_id", "expires_at", "used_at"]).where("tenant_id", "=", tx.tenantId).where("token_hash", "=", hash);
  return (forUpdate ? q.forUpdate() : q).executeTakeFirst();
}

/** Bytes held by live uploads of people not signed in that no comment took yet. */
export async function pendingAnonymousBytes(tx: TenantTx, now: Date): Promise<number> {
  const r = await tx.db
    .selectFrom("attachments as x")
    .innerJoin("uploads as u", (j) => j.onRef("u.tenant_id", "=", "x.tenant_id").onRef("u.id", "=", "x.upload_id"))
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("x.size"), eb.lit(0)).as("bytes"))
    .where("x.tenant_id", "=", tx.tenantId)
    .where("u.uploader_id", "is", null)
    .where("u.used_at", "is", null)
    .where("u.expires_at", ">", now)
    .executeTakeFirstOrThrow();
  return Number(r.bytes);
}

export async function insertAttachment(
  tx: TenantTx,
  a: { id: string; upload_id: string; file_name_sealed: Buffer; content_type: string; size: number; scan_status: ScanStatus },
): Promise<number> {
  const r = await sql<{ nice_id: number }>`
    INSERT INTO attachments (tenant_id, id, nice_id, upload_id, file_name_sealed, content_type, size, scan_status)
    VALUES (${tx.tenantId}, ${a.id}, vd_next_id('attachments'), ${a.upload_id}, ${a.file_name_sealed}, ${a.content_type}, ${a.size}, ${a.scan_status})
    RETURNING nice_id`.execute(tx.db);
  return Number(r.rows[0]!.nice_id);
}

export async function attachmentsOfUpload(tx: TenantTx, uploadId: string): Promise<AttachmentRow[]> {
  return tx.db.selectFrom("attachments as x").select(ATTACHMENT_COLUMNS).where("x.tenant_id", "=", tx.tenantId).where("x.upload_id", "=", uploadId).orderBy("x.nice_id").execute();
}

export async function findAttachment(tx: TenantTx, niceId: number): Promise<AttachmentRow | undefined> {
  return tx.db.selectFrom("attachments as x").select(ATTACHMENT_COLUMNS).where("x.tenant_id", "=", tx.tenantId).where("x.nice_id", "=", niceId).executeTakeFirst();
}

export async function findAttachmentById(tx: TenantTx, id: string): Promise<AttachmentRow | undefined> {
  return tx.db.selectFrom("attachments as x").select(ATTACHMENT_COLUMNS).where("x.tenant_id", "=", tx.tenantId).where("x.id", "=", id).executeTakeFirst();
}

/**
 * An attached file with what deciding who may see it needs: whether its comment is public, and
 * its ticket only when `scope` lets the actor see it (a ticket outside the scope reads as none).
 */
export async function findAttachedInScope(tx: TenantTx, niceId: number, scope: TicketScope) {
  const visibleTicket = scoped(
    tx.db.selectFrom("tickets as t").select("t.id").where("t.tenant_id", "=", tx.tenantId).where("t.deleted_at", "is", null),
    scope,
  );
  return tx.db
    .selectFrom("attachments as x")
    .leftJoin("ticket_comments as c", (j) => j.onRef("c.tenant_id", "=", "x.tenant_id").onRef("c.id", "=", "x.comment_id"))
    .leftJoin("uploads as u", (j) => j.onRef("u.tenant_id", "=", "x.tenant_id").onRef("u.id", "=", "x.upload_id"))
    .select([...ATTACHMENT_COLUMNS, "c.public as comment_public", "c.nice_id as comment_nice", "u.uploader_id"])
    .select((eb) => eb("x.ticket_id", "in", visibleTicket).as("ticket_visible"))
    .where("x.tenant_id", "=", tx.tenantId)
    .where("x.nice_id", "=", niceId)
    .executeTakeFirst();
}

/** Marks an upload used and links its files to a comment. */
export async function attachUpload(tx: TenantTx, uploadId: string, ticketId: string, commentId: string, now: Date): Promise<void> {
  await tx.db.updateTable("uploads").set({ used_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", uploadId).execute();
  await tx.db.updateTable("attachments").set({ ticket_id: ticketId, comment_id: commentId }).where("tenant_id", "=", tx.tenantId).where("upload_id", "=", uploadId).execute();
}

/** The attachments of these comments, oldest first (for comment views). */
export async function attachmentsOfComments(tx: TenantTx, commentIds: string[]): Promise<AttachmentRow[]> {
  if (commentIds.length === 0) return [];
  return tx.db.selectFrom("attachments as x").select(ATTACHMENT_COLUMNS).where("x.tenant_id", "=", tx.tenantId).where("x.comment_id", "in", commentIds).orderBy("x.nice_id").execute();
}

export async function deleteUploadRows(tx: TenantTx, uploadId: string): Promise<void> {
  await tx.db.deleteFrom("attachments").where("tenant_id", "=", tx.tenantId).where("upload_id", "=", uploadId).execute();
  await tx.db.deleteFrom("uploads").where("tenant_id", "=", tx.tenantId).where("id", "=", uploadId).execute();
}

/** Uploads never used that expired before `now`, with their files (for the sweep). */
export async function expiredUploads(tx: TenantTx, now: Date, limit: number): Promise<Array<{ id: string; attachment_ids: string[] }>> {
  const rows = await tx.db
    .selectFrom("uploads as u")
    .leftJoin("attachments as x", (j) => j.onRef("x.tenant_id", "=", "u.tenant_id").onRef("x.upload_id", "=", "u.id"))
    .select(["u.id", sql<string[]>`coalesce(array_agg(x.id) FILTER (WHERE x.id IS NOT NULL), '{}')`.as("attachment_ids")])
    .where("u.tenant_id", "=", tx.tenantId)
    .where("u.used_at", "is", null)
    .where("u.expires_at", "<=", now)
    .groupBy("u.id")
    .limit(limit)
    .execute();
  return rows;
}

export async function setScanResult(tx: TenantTx, id: string, v: { scan_status: ScanStatus; scan_result_sealed: Buffer | null; scanned_at: Date; redacted_at?: Date }): Promise<void> {
  await tx.db.updateTable("attachments").set(v).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function markRedacted(tx: TenantTx, id: string, v: { file_name_sealed: Buffer; now: Date }): Promise<void> {
  await tx.db
    .updateTable("attachments")
    .set({ redacted_at: v.now, file_name_sealed: v.file_name_sealed, size: 0, content_type: "text/plain" })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .execute();
}

export type AttachmentSettingsRow = { enabled: boolean; end_users_may_attach: boolean; max_bytes: number; blocked_extensions: string[]; allowed_types: string[] | null; updated_at: Date };

export async function findSettings(tx: TenantTx): Promise<AttachmentSettingsRow | undefined> {
  return tx.db
    .selectFrom("attachment_settings")
    .select(["enabled", "end_users_may_attach", "max_bytes", "blocked_extensions", "allowed_types", "updated_at"])
    .where("tenant_id", "=", tx.tenantId)
    .executeTakeFirst();
}

export async function saveSettings(tx: TenantTx, s: Omit<AttachmentSettingsRow, "updated_at">): Promise<void> {
  await tx.db
    .insertInto("attachment_settings")
    .values({ ...s, tenant_id: tx.tenantId })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ ...s, updated_at: sql`now()` }))
    .execute();
}

/** Files that were never scanned (uploaded while no scanner was configured), to queue for a scan now. */
export async function markUnscannedPending(tx: TenantTx, limit: number): Promise<string[]> {
  const rows = await tx.db
    .updateTable("attachments")
    .set({ scan_status: "pending" })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "in", (eb) =>
      eb.selectFrom("attachments").select("id").where("tenant_id", "=", tx.tenantId).where("scan_status", "=", "not_scanned").where("redacted_at", "is", null).limit(limit),
    )
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}

/** Of these ids, those of files whose bytes must be kept (an attachment row, not redacted). */
export async function liveAttachmentIds(tx: TenantTx, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.db.selectFrom("attachments").select("id").where("tenant_id", "=", tx.tenantId).where("id", "in", ids).where("redacted_at", "is", null).execute();
  return new Set(rows.map((r) => r.id));
}
