import { PassThrough, type Readable } from "node:stream";
import { stringify } from "csv-stringify/sync";
import { ZipFile } from "yazl";
import { putSealed, type BlobSealer } from "../../platform/blobs/index.ts";
import { makeContext, type RequestContext } from "../../platform/context.ts";
import type { TenantSealer } from "../../platform/crypto/keyring.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { EffectHandler } from "../../platform/jobs/job-runner.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { audit } from "../audit/audit-service.ts";
import { teamName } from "../admin/account-service.ts";
import { personalDataOf } from "../help-center/help-center-service.ts";
import { listOrganizations } from "../organizations/organizations-service.ts";
import { attachmentsForExport, openAttachmentForExport } from "../tickets/attachments-service.ts";
import { conversationForAccess } from "../tickets/requests-service.ts";
import { listTickets, unrestrictedRequester } from "../tickets/tickets-service.ts";
import { contactsByIds, currentStaffActor, listUsers } from "../users/users-service.ts";
import { personalViewsForExport } from "../views/views-service.ts";
import { personalMacrosForExport } from "../macros/macros-service.ts";
import { ratingsForExport } from "../tickets/satisfaction-service.ts";
import { exportReadyMail } from "./exports-mail.ts";
import { EXPORT_HOURS, EXPORT_JOB, type ExportJobInput, type Params } from "./exports-service.ts";
import * as repo from "./exports-repo.ts";
import type { ExportResource } from "./exports-types.ts";

/**
 * The export job: builds the file and streams it, sealed, into the blob store; then marks the
 * export ready. Reads happen in short transactions (a person's data in one; a tenant export one
 * keyset batch of rows per transaction, its progress saved with it), never while bytes are
 * written. A try that fails starts the file over (the blob is replaced atomically); after the last
 * try the export is marked failed and the upkeep removes whatever is left.
 */

type Deps = Pick<AppDeps, "db" | "keyring" | "blobs" | "scanner" | "hooks" | "now" | "config" | "mailer">;

/** Rows per transaction of a tenant export (VAULTDESK_EXPORT_BATCH overrides it, e.g. in tests). */
function batchSize(): number {
  const n = Number(process.env.VAULTDESK_EXPORT_BATCH);
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : 500;
}

export function exportJob(deps: Deps): EffectHandler<ExportJobInput> {
  return {
    kind: "effect",
    type: EXPORT_JOB,
    async run(input, at) {
      const e = await inTenant(deps, at.tenantId, async (tx) => ((await repo.markWorking(tx, input.exportId)) ? repo.findExportById(tx, input.exportId) : undefined));
      if (!e) return; // finished already (a try after the one that completed)
      const sealer = await deps.db.tenant(at.tenantId, (tx) => deps.keyring.sealerFor(tx));
      const written = e.kind === "person" ? await buildPersonExport(deps, sealer, at.tenantId, e) : await buildTenantExport(deps, sealer, at.tenantId, e);
      const now = deps.now();
      await inTenant(deps, at.tenantId, async (tx, ctx) => {
        const expires = new Date(now.getTime() + EXPORT_HOURS * 3600_000);
        if (await repo.markReady(tx, e.id, { bytes: written.bytes, rows_done: written.rows, ready_at: now, expires_at: expires })) {
          audit(ctx, { action: "data_export.completed", resourceType: "data_export", resourceId: Number(e.nice_id) });
          await mailAsker(deps, ctx, e, input.apiBase, expires);
        }
      });
    },
    retryDelayMs: (failed) => (failed < 3 ? 30_000 * failed : undefined),
    succeeded: { action: "export", success: true, status: "Completed" },
    failed: () => ({ action: "export", success: false, status: "Failed" }),
    async gaveUp(at, input) {
      await repo.markFailed(at.tx, input.exportId);
    },
  };
}

/**
 * Tells the person who asked that the export is ready (content-free; the link is a page of the
 * tenant's, from the API base the request had: the help center's My information for one's own
 * export, the export's status in the API for staff), unless they cannot be reached or no mail
 * server is configured (then the status is the only news).
 */
async function mailAsker(deps: Deps, ctx: RequestContext, e: repo.ExportRow, apiBase: string, expires: Date): Promise<void> {
  if (!deps.mailer.available) return;
  const who = (await contactsByIds(ctx, [e.requested_by])).get(e.requested_by);
  if (!who?.email || !who.reachable || !apiBase) return;
  const self = e.kind === "person" && e.subject_user_id === e.requested_by;
  const link = self ? `${new URL(apiBase).origin}/my-information` : `${apiBase}/${e.kind === "person" ? "data_exports" : "exports"}/${e.nice_id}.json`;
  const team = (await teamName(ctx)) ?? new URL(apiBase).hostname;
  await queueMail(ctx, deps.config.mailRetryMs, { to: who.email, ...exportReadyMail(who.locale, team, link, expires), about: { userId: e.requested_by } }, expires);
}

async function inTenant<T>(deps: Deps, tenantId: string, fn: (tx: TenantTx, ctx: RequestContext) => Promise<T>): Promise<T> {
  return deps.db.tenant(tenantId, async (tx) => {
    const sealer: TenantSealer = await deps.keyring.sealerFor(tx);
    return fn(tx, makeContext({ tx, sealer, actor: { kind: "system" }, now: deps.now, hooks: deps.hooks }));
  });
}

// ---- Rows as CSV --------------------------------------------------------------------------------

/** One CSV cell: lists of words joined by spaces (tags), other lists and objects as JSON, null empty. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number")) return v.join(" ");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export function toCsv(rows: ReadonlyArray<Record<string, unknown>>, columns?: readonly string[], header = true): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return stringify(rows.map((r) => cols.map((c) => cell(r[c]))), { header, columns: [...cols] });
}

// ---- A person's export --------------------------------------------------------------------------

export const PERSON_SCHEMA = { name: "vaultdesk.person-export", version: 1 } as const;

/** A name for a file inside the ZIP: no folders, no control characters, at most 100 characters. */
function safeName(name: string): string {
  const s = name.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, "_").replace(/^\.+/, "_").slice(0, 100);
  return s || "file";
}

async function buildPersonExport(deps: Deps, sealer: BlobSealer, tenantId: string, e: repo.ExportRow): Promise<{ bytes: number; rows: number }> {
  const userId = e.subject_user_id!;
  const internal = (e.params as Params).internal_notes === true;
  const data = await inTenant(deps, tenantId, async (_tx, ctx) => {
    const personal = await personalDataOf(ctx, userId);
    const conversation = await conversationForAccess(ctx, userId, { internal });
    const files = await attachmentsForExport(deps, ctx, conversation.comments.map((c) => c.internal_id));
    return { personal, conversation, files, views: await personalViewsForExport(ctx, userId), macros: await personalMacrosForExport(ctx, userId), satisfaction_ratings: await ratingsForExport(ctx, userId), team: await teamName(ctx) };
  });
  const { personal, conversation } = data;
  const commentNice = new Map(conversation.comments.map((c) => [c.internal_id, { id: c.id, ticket_id: c.ticket_id }]));
  const attachments = data.files.map((f) => ({
    id: f.id,
    ticket_id: commentNice.get(f.comment_id)?.ticket_id ?? null,
    comment_id: commentNice.get(f.comment_id)?.id ?? null,
    file_name: f.file_name,
    content_type: f.content_type,
    size: f.size,
    path: f.included ? `attachments/${f.id}-${safeName(f.file_name)}` : null,
  }));
  const resources: Record<string, Array<Record<string, unknown>>> = {
    profile: [{ ...personal.profile, organization: undefined, organization_id: personal.profile.organization?.id ?? null }],
    identities: personal.identities,
    organizations: personal.profile.organization ? [personal.profile.organization] : [],
    tickets: conversation.tickets,
    conversation: conversation.comments.map(({ internal_id: _i, ...c }) => c),
    comments: personal.comments,
    consent_records: personal.consent_records,
    sessions: personal.sessions,
    sign_in_links: personal.sign_in_links,
    passkeys: personal.passkeys,
    views: data.views,
    macros: data.macros,
    satisfaction_ratings: data.satisfaction_ratings,
    attachments,
  };
  const counts = Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, v.length]));
  const manifest = {
    schema: PERSON_SCHEMA.name,
    version: PERSON_SCHEMA.version,
    generated_at: deps.now().toISOString(),
    tenant: { id: tenantId, name: data.team },
    subject: { id: personal.profile.id },
    requested_by: e.requested_by === userId ? "self" : "staff",
    internal_notes_included: internal,
    counts,
    files: [...Object.keys(resources).flatMap((k) => [`${k}.json`, `${k}.csv`]), ...attachments.flatMap((a) => (a.path ? [a.path] : []))],
  };
  const zip = new ZipFile();
  const mtime = deps.now();
  zip.addBuffer(Buffer.from(JSON.stringify(manifest, null, 2)), "manifest.json", { mtime });
  for (const [name, rows] of Object.entries(resources)) {
    zip.addBuffer(Buffer.from(JSON.stringify(rows, null, 2)), `${name}.json`, { mtime });
    zip.addBuffer(Buffer.from(toCsv(rows.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined))))), `${name}.csv`, { mtime });
  }
  for (const f of data.files) {
    const a = attachments.find((x) => x.id === f.id)!;
    if (!a.path) continue;
    // Opened only when the ZIP reaches it: one file open at a time, whatever their number.
    zip.addReadStreamLazy(a.path, { mtime, size: f.size }, (cb) => {
      openAttachmentForExport(deps, sealer, f.blobId).then((s) => cb(null, s), (err: unknown) => cb(err, new PassThrough()));
    });
  }
  zip.end();
  const written = await putSealed(deps.blobs, sealer, { purpose: "exports", id: e.id }, zip.outputStream as Readable);
  const rows = Object.values(counts).reduce((a, b) => a + b, 0);
  return { bytes: written.bytes, rows };
}

// ---- A tenant's export --------------------------------------------------------------------------

type Batch = { rows: Array<Record<string, unknown>>; last: number | undefined };

/**
 * One keyset batch of a resource's rows after public id `after`, as the asker sees them (their
 * role as it is now). People whose processing is restricted, and the tickets they requested, are
 * left out: a tenant export feeds other systems (docs/privacy.md, Restriction).
 */
async function batchOf(ctx: RequestContext, resource: ExportResource, after: number | undefined, size: number): Promise<Batch> {
  const page = { mode: "cursor" as const, size, afterId: after, beforeId: undefined, desc: false };
  const views: Array<Record<string, unknown>> =
    resource === "tickets"
      ? (await listTickets(ctx, page, unrestrictedRequester)).views
      : resource === "users"
        ? (await listUsers(ctx, page, { withoutSupport: true, unrestricted: true })).rows
        : (await listOrganizations(ctx, page)).rows;
  const last = views[views.length - 1];
  return { rows: views, last: last ? Number(last.id) : undefined };
}

async function buildTenantExport(deps: Deps, sealer: BlobSealer, tenantId: string, e: repo.ExportRow): Promise<{ bytes: number; rows: number }> {
  const p = e.params as Params;
  const fields = p.fields ?? [];
  const start = p.start_time ? new Date(p.start_time).getTime() : undefined;
  const end = p.end_time ? new Date(p.end_time).getTime() : undefined;
  const inRange = (r: Record<string, unknown>) => {
    const t = new Date(String(r.updated_at)).getTime();
    return (start === undefined || t >= start) && (end === undefined || t < end);
  };
  const size = batchSize();
  let done = 0;
  async function* body(): AsyncGenerator<Buffer> {
    let after: number | undefined;
    let first = true;
    if (e.format === "json") yield Buffer.from(`{"${e.resource}":[`);
    else yield Buffer.from(toCsv([], fields));
    for (;;) {
      // One batch per transaction, as the asker (refused if they are no longer staff), with its progress.
      const batch = await inTenant(deps, tenantId, async (tx, system) => {
        const ctx = { ...system, actor: await currentStaffActor(system, e.requested_by) };
        const b = await batchOf(ctx, e.resource!, after, size);
        const rows = b.rows.filter(inRange).map((r) => Object.fromEntries(fields.map((f) => [f, r[f] ?? null])));
        await repo.setProgress(tx, e.id, done + rows.length);
        return { rows, last: b.last };
      });
      done += batch.rows.length;
      if (batch.rows.length > 0) {
        if (e.format === "json") {
          const parts: string[] = [];
          for (const r of batch.rows) {
            parts.push(`${first ? "\n" : ",\n"}${JSON.stringify(r)}`);
            first = false;
          }
          yield Buffer.from(parts.join(""));
        } else {
          yield Buffer.from(toCsv(batch.rows, fields, false));
        }
      }
      if (batch.last === undefined) break;
      after = batch.last;
    }
    if (e.format === "json") yield Buffer.from("\n]}\n");
  }
  const written = await putSealed(deps.blobs, sealer, { purpose: "exports", id: e.id }, body());
  return { bytes: written.bytes, rows: done };
}
