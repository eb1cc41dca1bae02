import crypto from "node:crypto";
import type { Readable } from "node:stream";
import { BlobNotFoundError, deleteSealed, getSealed } from "../../platform/blobs/index.ts";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, notFound } from "../../platform/errors.ts";
import { enqueueJob } from "../../platform/jobs/jobs.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { makeContext } from "../../platform/context.ts";
import { audit } from "../audit/audit-service.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import { resolveUser } from "../users/users-service.ts";
import { exportsPolicy } from "./exports-policy.ts";
import * as repo from "./exports-repo.ts";
import { EXPORT_FIELDS, type DataExportView, type ExportResource, type TenantExportView } from "./exports-types.ts";

/**
 * Data exports: a person's export (GDPR's right of access, Art. 15, and portability, Art. 20) and
 * a tenant's exports of tickets, users or organizations.
 *
 *  - A request records the export and queues a durable job (exports-jobs.ts) in its transaction;
 *    the job writes the file straight into the blob store, sealed under the tenant's data key
 *    (streaming, constant memory): it is never on disk in clear.
 *  - The file is downloaded once, by the person who asked for it, through a link signed for them
 *    that works until `expires_at` (24 hours after it is ready). The download takes the link's
 *    single use in a transaction (a second one answers 410), and the file is deleted once sent;
 *    the upkeep (`exports.upkeep`) deletes what a download or an expiry left, and failed exports.
 *  - Every request and every download is audited; only the asker sees an export (others: 404).
 */

export const EXPORT_JOB = "data_export";
/** How long a ready export can be downloaded. */
export const EXPORT_HOURS = 24;
const MAX_ATTEMPTS = 3;

/** The job's input: the export, and the API base of the request (from configuration) for the link in the mail. */
export type ExportJobInput = { exportId: string; apiBase: string };

type Kind = "person" | "tenant";
export type Params = { fields?: string[]; start_time?: string | null; end_time?: string | null; internal_notes?: boolean };

/** A person's export of someone (`userNiceId`), or of the caller (`"me"`). */
export async function createPersonExport(ctx: RequestContext, who: number | "me"): Promise<DataExportView> {
  const actor = actorUser(ctx);
  let subject: { id: string; niceId: number };
  if (who === "me" || who === actor.niceId) {
    subject = { id: actor.userId, niceId: actor.niceId };
  } else {
    if (!exportsPolicy.exportPerson(actor)) throw forbidden("Exporting another person's data is for owners, admins and roles with data export access.");
    subject = await resolveUser(ctx, who);
  }
  const self = subject.id === actor.userId;
  // Internal notes about the person go into exports run by staff (for review before they are
  // handed over), never into the person's own (docs/privacy.md, "Export schema v1").
  const params: Params = { internal_notes: !self };
  return showExport(ctx, await queue(ctx, { kind: "person", subject_user_id: subject.id, resource: null, format: "zip", params }, ["user_id"]), "person");
}

export async function createTenantExport(
  ctx: RequestContext,
  input: { resource: ExportResource; format: "csv" | "json"; fields?: string[] | undefined; start_time?: Date | undefined; end_time?: Date | undefined },
): Promise<TenantExportView> {
  const actor = actorUser(ctx);
  if (!exportsPolicy.exportTenant(actor)) throw forbidden("Tenant exports are for owners and admins.");
  const allowed: readonly string[] = EXPORT_FIELDS[input.resource];
  const fields = input.fields ? allowed.filter((f) => input.fields!.includes(f)) : [...allowed];
  const params: Params = { fields, start_time: input.start_time?.toISOString() ?? null, end_time: input.end_time?.toISOString() ?? null };
  return showTenantExport(ctx, await queue(ctx, { kind: "tenant", subject_user_id: null, resource: input.resource, format: input.format, params }, ["resource", "format", "fields", "start_time", "end_time"]));
}

/** Records an export and queues its job (audited); answers its public id. */
async function queue(
  ctx: RequestContext,
  e: { kind: Kind; subject_user_id: string | null; resource: ExportResource | null; format: "zip" | "csv" | "json"; params: Params },
  fields: string[],
): Promise<number> {
  const actor = actorUser(ctx);
  const id = crypto.randomUUID();
  const niceId = await repo.insertExport(ctx.tx, { id, ...e, requested_by: actor.userId });
  await enqueueJob(ctx, { type: EXPORT_JOB, total: 1, payload: { exportId: id, apiBase: ctx.apiBase } satisfies ExportJobInput, createdBy: actor.userId, maxAttempts: MAX_ATTEMPTS });
  audit(ctx, { action: "data_export.created", resourceType: "data_export", resourceId: niceId, fields: [e.kind, ...fields] });
  return niceId;
}

/** The export as the asker sees it; anyone else (and another tenant) gets 404. */
async function visible(ctx: RequestContext, niceId: number, kind: Kind): Promise<repo.ExportRow> {
  const actor = actorUser(ctx);
  if (kind === "tenant" && !exportsPolicy.exportTenant(actor)) throw forbidden("Tenant exports are for owners and admins.");
  const e = await repo.findExport(ctx.tx, niceId, kind);
  if (!e || !exportsPolicy.view(actor, e)) throw notFound();
  return e;
}

function statusOf(ctx: RequestContext, e: repo.ExportRow): DataExportView["status"] {
  if (e.status !== "ready") return e.status;
  if (e.downloaded_at) return "downloaded";
  if (e.expires_at && e.expires_at.getTime() <= ctx.now().getTime()) return "expired";
  return "ready";
}

const pathOf = (kind: Kind) => (kind === "person" ? "data_exports" : "exports");

/** A download link's signature: a keyed hash under the tenant's index key of the export, the asker and the expiry. */
function signature(ctx: RequestContext, exportId: string, userId: string, expires: number): string {
  return ctx.sealer.blindIndex("data-export-download", [exportId, userId, String(expires)].join("|")).toString("base64url");
}

function present(ctx: RequestContext, e: repo.ExportRow): DataExportView {
  const status = statusOf(ctx, e);
  const kind = e.kind;
  const expires = e.expires_at ? Math.floor(e.expires_at.getTime() / 1000) : 0;
  return {
    id: Number(e.nice_id),
    url: `${ctx.apiBase}/${pathOf(kind)}/${e.nice_id}.json`,
    status,
    user_id: e.subject_nice === null ? null : Number(e.subject_nice),
    rows_done: e.rows_done,
    size: e.bytes === null ? null : Number(e.bytes),
    download_url: status === "ready" ? `${ctx.apiBase}/${pathOf(kind)}/${e.nice_id}/download?expires=${expires}&signature=${signature(ctx, e.id, e.requested_by, expires)}` : null,
    created_at: e.created_at.toISOString(),
    ready_at: e.ready_at?.toISOString() ?? null,
    expires_at: e.expires_at?.toISOString() ?? null,
    downloaded_at: e.downloaded_at?.toISOString() ?? null,
  };
}

export async function showExport(ctx: RequestContext, niceId: number, kind: "person"): Promise<DataExportView> {
  return present(ctx, await visible(ctx, niceId, kind));
}

export async function showTenantExport(ctx: RequestContext, niceId: number): Promise<TenantExportView> {
  const e = await visible(ctx, niceId, "tenant");
  const { user_id: _user, ...view } = present(ctx, e);
  const p = e.params as Params;
  return { ...view, resource: e.resource!, format: e.format as "csv" | "json", fields: p.fields ?? [], start_time: p.start_time ?? null, end_time: p.end_time ?? null };
}

export type ExportDownload = { stream: Readable; fileName: string; contentType: string; size: number; blobId: string };

/**
 * A download: the link must be signed for the caller (who asked for the export), the export ready,
 * not downloaded and not expired (410 otherwise). Takes the link's single use; the caller deletes
 * the file once it is sent (`removeExportFile`).
 */
export async function openExportDownload(deps: Pick<AppDeps, "blobs">, ctx: RequestContext, niceId: number, kind: Kind, link: { expires: number; signature: string }): Promise<ExportDownload> {
  const actor = actorUser(ctx);
  const e = await visible(ctx, niceId, kind);
  const expected = Buffer.from(signature(ctx, e.id, actor.userId, link.expires));
  const given = Buffer.from(link.signature);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw notFound();
  const status = statusOf(ctx, e);
  if (status === "queued" || status === "working") throw new AppError("Conflict", { description: "This export is not ready yet.", retryAfterSeconds: 10 });
  if (status !== "ready" || !(await repo.takeDownload(ctx.tx, e.id, ctx.now()))) {
    throw new AppError("Gone", { description: "This export was downloaded already, has expired or failed. Ask for a new one." });
  }
  let stream: Readable;
  try {
    stream = await getSealed(deps.blobs, ctx.sealer, { purpose: "exports", id: e.id });
  } catch (err) {
    if (err instanceof BlobNotFoundError) throw new AppError("Gone", { description: "This export is no longer available. Ask for a new one." });
    throw err;
  }
  audit(ctx, { action: "data_export.downloaded", resourceType: "data_export", resourceId: Number(e.nice_id) });
  const stamp = e.created_at.toISOString().slice(0, 10);
  const fileName = kind === "person" ? `person-export-${e.subject_nice ?? "x"}-${stamp}.zip` : `${e.resource}-export-${e.nice_id}-${stamp}.${e.format}`;
  const contentType = e.format === "zip" ? "application/zip" : e.format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
  return { stream, fileName, contentType, size: Number(e.bytes ?? 0), blobId: e.id };
}

/** Deletes an export's file (after its download); the upkeep records it (and retries what failed). */
export async function removeExportFile(deps: Pick<AppDeps, "blobs">, tenantId: string, blobId: string): Promise<void> {
  await deleteSealed(deps.blobs, tenantId, { purpose: "exports", id: blobId }).catch(() => false);
}

/** Deletes the files of downloaded, expired and failed exports in every tenant; returns how many rows it settled. */
export async function runExportUpkeep(deps: Pick<AppDeps, "db" | "keyring" | "blobs" | "hooks">, now: Date): Promise<number> {
  let settled = 0;
  await forEachTenant(deps.db, async (tenantId) => {
    for (;;) {
      const rows = await deps.db.tenant(tenantId, (tx) => repo.blobsToRemove(tx, now, 100));
      for (const r of rows) {
        await deleteSealed(deps.blobs, tenantId, { purpose: "exports", id: r.id });
        await deps.db.tenant(tenantId, async (tx) => {
          await repo.markBlobRemoved(tx, r.id, now);
          const ctx = makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now, hooks: deps.hooks });
          const e = await repo.findExportById(tx, r.id);
          if (e) audit(ctx, { action: "data_export.file_removed", resourceType: "data_export", resourceId: Number(e.nice_id) });
        });
        settled++;
      }
      if (rows.length < 100) break;
    }
  });
  return settled;
}

export function exportUpkeep(deps: Pick<AppDeps, "db" | "keyring" | "blobs" | "hooks">): MaintenanceTask[] {
  return [{ name: "exports.upkeep", everyMs: 10 * 60_000, shared: true, run: (now) => runExportUpkeep(deps, now).then(() => undefined) }];
}

/** Erasure of a person (the privacy module): their exports' files go after the commit. Returns how many. */
export async function forgetPersonExports(deps: Pick<AppDeps, "blobs">, ctx: RequestContext, userId: string, afterCommit: (fn: () => Promise<void>) => void): Promise<number> {
  const ids = await repo.forgetSubject(ctx.tx, userId, ctx.now());
  const tenantId = ctx.tx.tenantId;
  if (ids.length) afterCommit(async () => { for (const id of ids) await deleteSealed(deps.blobs, tenantId, { purpose: "exports", id }).catch(() => undefined); });
  return ids.length;
}
