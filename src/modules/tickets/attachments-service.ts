import crypto from "node:crypto";
import type { Readable } from "node:stream";
import { fileTypeFromBuffer } from "file-type";
import { deleteSealed, getSealed, putSealed, BlobNotFoundError, BlobTooLargeError, type BlobSealer } from "../../platform/blobs/index.ts";
import { actorUser, type RequestContext, type UserActor } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import { enqueueJob } from "../../platform/jobs/jobs.ts";
import { audit } from "../audit/audit-service.ts";
import { newSecret } from "../identity/identity-service.ts";
import { clientNetwork } from "../../platform/http/client-network.ts";
import * as repo from "./attachments-repo.ts";
import type { AttachmentView } from "./attachments-types.ts";
import { attachmentPolicy, ticketPolicy } from "./tickets-policy.ts";

/**
 * Attachments, with Zendesk's upload flow: `POST /uploads?filename=…` streams the raw bytes into the
 * sealed blob store and answers an upload token; a comment names the tokens it carries
 * (`comment.uploads`), and the conversation writer links their files to it.
 *
 * - The bytes never pass through a database transaction: they are sealed and stored (constant
 *   memory, platform/blobs) before the request's transaction opens, so a large upload holds no
 *   connection (on the embedded database one transaction at a time serves every tenant).
 * - The type is detected from the content (`file-type`); the name the client gives is only a name.
 *   A tenant refuses extensions (the name's or the detected type's) and may accept only some types.
 * - A download needs both a signed-in user who may see the file (the ticket, and a public comment
 *   for an end user) and a link signed for that user that expires in minutes; it is served as a
 *   download (`Content-Disposition: attachment`, `nosniff`, a sandboxing CSP), never inline.
 * - When a malware scanner is configured (VAULTDESK_CLAMD), a file is served only once scanned
 *   clean; an infected one is quarantined (never served) and the comment says why.
 */

export const UPLOAD_PREFIX = "vdu_";
/** An upload not taken by a comment in this time is removed with its files. */
export const UPLOAD_HOURS = 24;
/** How long a download link works. */
export const DOWNLOAD_LINK_MINUTES = 15;
export const ATTACHMENT_SCAN_JOB = "attachment_scan";

const fileRef = refsOf("attachments");

/** Extensions refused unless an admin changes the list: programs and scripts a click can run. */
export const DEFAULT_BLOCKED_EXTENSIONS = [
  "exe", "dll", "com", "bat", "cmd", "msi", "msp", "scr", "pif", "cpl", "vbs", "vbe", "js", "jse", "wsf", "wsh", "ps1", "psm1", "hta", "jar", "lnk", "reg", "app", "elf", "apk",
];
const DEFAULT_MAX_BYTES = 50_000_000;
/** Files one upload token holds, and one comment carries. */
export const MAX_FILES_PER_UPLOAD = 20;
export const MAX_FILES_PER_COMMENT = 20;
/**
 * Uploads by people not signed in (the help center's form), per client network: a burst per minute
 * and a cap per hour, counted apart from the form itself (a request with its files must fit). And
 * what such uploads may hold in a tenant before any comment takes them.
 */
const ANONYMOUS_UPLOADS: ReadonlyArray<[limit: number, windowSeconds: number]> = [[5, 60], [20, 3600]];
const ANONYMOUS_PENDING_BYTES = 1_000_000_000;

type Deps = Pick<AppDeps, "blobs" | "scanner" | "config">;

export type AttachmentSettings = Omit<repo.AttachmentSettingsRow, "updated_at">;

/** A tenant's settings, with the defaults for what it never set; max_bytes within the installation's ceiling. */
export async function settingsOf(deps: Pick<AppDeps, "config">, ctx: RequestContext): Promise<AttachmentSettings> {
  const s = await repo.findSettings(ctx.tx);
  const ceiling = deps.config.attachmentMaxBytes;
  if (!s) return { enabled: true, end_users_may_attach: true, max_bytes: Math.min(DEFAULT_MAX_BYTES, ceiling), blocked_extensions: [...DEFAULT_BLOCKED_EXTENSIONS], allowed_types: null };
  return { enabled: s.enabled, end_users_may_attach: s.end_users_may_attach, max_bytes: Math.min(s.max_bytes, ceiling), blocked_extensions: s.blocked_extensions, allowed_types: s.allowed_types };
}

export async function showSettings(deps: Deps, ctx: RequestContext) {
  if (!attachmentPolicy.manageSettings(actorUser(ctx))) throw forbidden();
  return { ...(await settingsOf(deps, ctx)), max_bytes_limit: deps.config.attachmentMaxBytes, scanning: deps.scanner !== undefined };
}

export async function updateSettings(deps: Deps, ctx: RequestContext, input: Partial<AttachmentSettings>) {
  if (!attachmentPolicy.manageSettings(actorUser(ctx))) throw forbidden();
  if (input.max_bytes !== undefined && input.max_bytes > deps.config.attachmentMaxBytes) {
    throw invalid("max_bytes", `Max bytes: this installation accepts files up to ${deps.config.attachmentMaxBytes} bytes`);
  }
  const next = { ...(await settingsOf(deps, ctx)), ...input };
  await repo.saveSettings(ctx.tx, { ...next, blocked_extensions: [...new Set(next.blocked_extensions)], allowed_types: next.allowed_types ? [...new Set(next.allowed_types)] : null });
  audit(ctx, { action: "attachment_settings.updated", resourceType: "account", resourceId: "attachments", fields: Object.keys(input) });
  return showSettings(deps, ctx);
}

// ---- Uploading ----------------------------------------------------------------------------------

/** What an upload may do, decided in a short transaction before any byte is read. */
export type UploadGate = { sealer: BlobSealer; settings: AttachmentSettings; uploaderId: string | null; addTo: { uploadId: string; token: string; files: number } | undefined };

/** Checks that this person may upload here (and add to `token`'s upload), before the body is read. */
export async function openUpload(deps: Deps & Pick<AppDeps, "rateLimiter">, ctx: RequestContext, token: string | undefined): Promise<UploadGate> {
  const actor = ctx.actor.kind === "user" ? ctx.actor : undefined;
  const settings = await settingsOf(deps, ctx);
  const d = attachmentPolicy.upload(actor, settings);
  if (!d.ok) throw forbidden(d.reason);
  const uploaderId = actor?.userId ?? null;
  if (!actor) {
    // Decided by who the request turned out to be (a cookie that is no session is nobody).
    const network = clientNetwork(ctx.ip);
    for (const [limit, seconds] of ANONYMOUS_UPLOADS) {
      const r = deps.rateLimiter.hit(`uploadanon${seconds}:${ctx.tx.tenantId}:${network}`, limit, seconds);
      if (!r.allowed) throw new AppError("TooManyRequests", { retryAfterSeconds: r.resetSeconds });
    }
    if ((await repo.pendingAnonymousBytes(ctx.tx, ctx.now())) >= ANONYMOUS_PENDING_BYTES) {
      throw new AppError("TooManyRequests", { description: "This help center takes no more files from people not signed in for now. Try again later, or sign in.", retryAfterSeconds: 3600 });
    }
  }
  let addTo: UploadGate["addTo"];
  if (token !== undefined) {
    const u = await usableUpload(ctx, token, uploaderId);
    if (!u) throw invalid("token", "Token: not a usable upload (expired, used, or not yours)", "InvalidValue");
    addTo = { uploadId: u.id, token, files: (await repo.attachmentsOfUpload(ctx.tx, u.id)).length };
    if (addTo.files >= MAX_FILES_PER_UPLOAD) throw invalid("token", `Token: an upload holds at most ${MAX_FILES_PER_UPLOAD} files; start another`, "TooMany");
  }
  return { sealer: ctx.sealer, settings, uploaderId, addTo };
}

/** Upload tokens are found by a keyed hash under the tenant's index key (gone when the tenant is shredded). */
const tokenHash = (ctx: RequestContext, token: string) => ctx.sealer.blindIndex("upload-token", token);

async function usableUpload(ctx: RequestContext, token: string, uploaderId: string | null, forUpdate = false) {
  if (!token.startsWith(UPLOAD_PREFIX)) return undefined;
  const u = await repo.findUploadByHash(ctx.tx, tokenHash(ctx, token), forUpdate);
  if (!u || u.used_at || u.expires_at.getTime() <= ctx.now().getTime() || u.uploader_id !== uploaderId) return undefined;
  return u;
}

export type Received = { id: string; bytes: number; contentType: string };

/**
 * Streams the request body into the sealed blob store (outside any transaction), detecting the
 * type from the first bytes and refusing what the tenant does not accept. On refusal nothing stays stored.
 */
export async function receiveFile(deps: Deps, gate: UploadGate, name: string, body: AsyncIterable<Uint8Array>): Promise<Received> {
  const id = crypto.randomUUID();
  const ref = { purpose: "attachments" as const, id };
  const head: Buffer[] = [];
  let headBytes = 0;
  async function* sniffed() {
    const it = body[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await it.next();
      } catch {
        // The client hung up or was too slow (the request timeout): its error, not the server's.
        throw new AppError("BadRequest", { description: "The upload was interrupted before the whole file arrived." });
      }
      if (next.done) return;
      const chunk = next.value;
      if (headBytes < 4100) {
        head.push(Buffer.from(chunk.subarray(0, 4100 - headBytes)));
        headBytes += Math.min(chunk.length, 4100 - headBytes);
      }
      yield chunk;
    }
  }
  const written = await putSealed(deps.blobs, gate.sealer, ref, sniffed(), { maxBytes: gate.settings.max_bytes });
  const contentType = await detectType(Buffer.concat(head));
  const refusal = refusalOf(gate.settings, name, contentType);
  if (refusal) {
    await deleteSealed(deps.blobs, gate.sealer.tenantId, ref);
    throw invalid("filename", refusal, "InvalidValue");
  }
  return { id, bytes: written.bytes, contentType: contentType.mime };
}

type Detected = { mime: string; ext: string | undefined };

/** The type of a file from its first bytes; text when it is valid UTF-8 without control bytes, else octet-stream. */
export async function detectType(head: Buffer): Promise<Detected> {
  const t = await fileTypeFromBuffer(head);
  if (t) return { mime: t.mime.toLowerCase(), ext: t.ext.toLowerCase() };
  if (head.length > 0 && looksLikeText(head)) return { mime: "text/plain", ext: undefined };
  return { mime: "application/octet-stream", ext: undefined };
}

function looksLikeText(b: Buffer): boolean {
  // Streaming decode: a multi-byte character cut at the end of the sample is held back, not replaced.
  const text = new TextDecoder("utf-8", { fatal: false }).decode(b, { stream: true });
  return !text.includes("\uFFFD") && !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text);
}

/** Characters a file name may not hold: NTFS streams (`a.bat::$DATA`), and direction or invisible marks that disguise a name. */
const DECEPTIVE = /[:\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

function refusalOf(s: AttachmentSettings, name: string, t: Detected): string | undefined {
  if (DECEPTIVE.test(name)) return "File names cannot contain ':' or invisible direction marks.";
  // Windows drops trailing dots and spaces: "run.bat. ." is saved as run.bat.
  const named = /\.([A-Za-z0-9]{1,16})$/.exec(name.replace(/[. ]+$/, ""))?.[1]?.toLowerCase();
  const blocked = new Set(s.blocked_extensions);
  for (const ext of [named, t.ext]) if (ext && blocked.has(ext)) return `This kind of file (.${ext}) is not accepted here.`;
  if (s.allowed_types && !s.allowed_types.some((a) => a === t.mime || (a.endsWith("/*") && t.mime.startsWith(a.slice(0, -1))))) {
    return `This kind of file (${t.mime}) is not accepted here.`;
  }
  return undefined;
}

/** Records the stored file as an upload (a new token, or added to `gate.addTo`). The route removes the blob if this fails. */
export async function recordUpload(deps: Deps, ctx: RequestContext, gate: UploadGate, got: Received, name: string) {
  let uploadId: string;
  let token: string;
  if (gate.addTo) {
    const u = await usableUpload(ctx, gate.addTo.token, gate.uploaderId, true);
    if (!u) throw invalid("token", "Token: not a usable upload (expired, used, or not yours)", "InvalidValue");
    uploadId = u.id;
    token = gate.addTo.token;
    if ((await repo.attachmentsOfUpload(ctx.tx, uploadId)).length >= MAX_FILES_PER_UPLOAD) {
      throw invalid("token", `Token: an upload holds at most ${MAX_FILES_PER_UPLOAD} files; start another`, "TooMany");
    }
  } else {
    uploadId = crypto.randomUUID();
    token = newSecret(UPLOAD_PREFIX);
    await repo.insertUpload(ctx.tx, { id: uploadId, token_hash: tokenHash(ctx, token), uploader_id: gate.uploaderId, expires_at: new Date(ctx.now().getTime() + UPLOAD_HOURS * 3600_000) });
  }
  const niceId = await repo.insertAttachment(ctx.tx, {
    id: got.id,
    upload_id: uploadId,
    file_name_sealed: ctx.sealer.seal(name, fileRef(got.id, "file_name")),
    content_type: got.contentType,
    size: got.bytes,
    scan_status: deps.scanner ? "pending" : "not_scanned",
  });
  if (deps.scanner) await queueScan(ctx, got.id);
  audit(ctx, { action: "attachment.uploaded", resourceType: "attachment", resourceId: niceId, fields: ["file_name", "content_type", "size"] });
  const rows = await repo.attachmentsOfUpload(ctx.tx, uploadId);
  const upload = (await repo.findUploadByHash(ctx.tx, tokenHash(ctx, token)))!;
  const views = rows.map((r) => present(deps, ctx, r, { servableTo: actorIdOf(ctx) }));
  return { upload: { token, expires_at: upload.expires_at.toISOString(), attachment: views.find((v) => v.id === niceId)!, attachments: views } };
}

// ---- Files that came by e-mail ------------------------------------------------------------------

/** A file of an inbound message, stored sealed before the writing transaction. */
export type MailFileStored = Received & { name: string };

/** What the tenant accepts from mail (read in a transaction before the files are stored); undefined: attachments are off. */
export async function mailFileGate(deps: Deps, ctx: RequestContext): Promise<UploadGate | undefined> {
  const settings = await settingsOf(deps, ctx);
  return settings.enabled ? { sealer: ctx.sealer, settings, uploaderId: null, addTo: undefined } : undefined;
}

/**
 * Stores the files of an inbound message (outside any transaction), at most MAX_FILES_PER_COMMENT,
 * each through the same checks as an upload (type from the content, refused extensions and types,
 * the size limit). A file the tenant refuses is left out: it stays in the original message.
 */
export async function storeMailFiles(deps: Deps, gate: UploadGate, files: ReadonlyArray<{ name: string; content: Buffer }>): Promise<MailFileStored[]> {
  const out: MailFileStored[] = [];
  for (const f of files.slice(0, MAX_FILES_PER_COMMENT)) {
    try {
      const got = await receiveFile(deps, gate, f.name, (async function* () {
        yield f.content;
      })());
      out.push({ ...got, name: f.name });
    } catch (err) {
      if (err instanceof AppError || err instanceof BlobTooLargeError) continue;
      await deleteBlobs(deps, gate.sealer.tenantId, out.map((x) => x.id));
      throw err;
    }
  }
  return out;
}

/**
 * In the writing transaction: records stored mail files as one upload of `uploaderId` (null: an
 * unproven sender, as the help center's anonymous form) and returns its token for the comment, or
 * undefined when the writer may not attach files here (the files are then removed by the caller).
 */
export async function recordMailFiles(deps: Deps, ctx: RequestContext, files: readonly MailFileStored[], writer: { userId: string | null; role: UserActor["role"] | "anonymous" }): Promise<string | undefined> {
  if (files.length === 0) return undefined;
  const settings = (await repo.findSettings(ctx.tx)) ?? { enabled: true, end_users_may_attach: true };
  if (!attachmentPolicy.attach(writer.role, settings).ok) return undefined;
  const uploadId = crypto.randomUUID();
  const token = newSecret(UPLOAD_PREFIX);
  await repo.insertUpload(ctx.tx, { id: uploadId, token_hash: tokenHash(ctx, token), uploader_id: writer.userId, expires_at: new Date(ctx.now().getTime() + UPLOAD_HOURS * 3600_000) });
  for (const f of files) {
    const niceId = await repo.insertAttachment(ctx.tx, {
      id: f.id,
      upload_id: uploadId,
      file_name_sealed: ctx.sealer.seal(f.name, fileRef(f.id, "file_name")),
      content_type: f.contentType,
      size: f.bytes,
      scan_status: deps.scanner ? "pending" : "not_scanned",
    });
    if (deps.scanner) await queueScan(ctx, f.id);
    audit(ctx, { action: "attachment.uploaded", resourceType: "attachment", resourceId: niceId, fields: ["file_name", "content_type", "size"] });
  }
  return token;
}

/** `DELETE /uploads/{token}`: removes an upload no comment took, with its files. */
export async function deleteUpload(ctx: RequestContext, token: string): Promise<string[]> {
  const uploaderId = actorIdOf(ctx);
  const u = await usableUpload(ctx, token, uploaderId, true);
  if (!u) throw notFound();
  const files = await repo.attachmentsOfUpload(ctx.tx, u.id);
  await repo.deleteUploadRows(ctx.tx, u.id);
  audit(ctx, { action: "upload.deleted", resourceType: "attachment", resourceId: files[0]?.nice_id ?? "upload", fields: [] });
  return files.map((f) => f.id);
}

/** Removes blobs after the rows that named them are gone (a missing blob is not an error). */
export async function deleteBlobs(deps: Pick<AppDeps, "blobs">, tenantId: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) await deleteSealed(deps.blobs, tenantId, { purpose: "attachments", id });
}

const actorIdOf = (ctx: RequestContext): string | null => (ctx.actor.kind === "user" ? ctx.actor.userId : null);

// ---- Comments -----------------------------------------------------------------------------------

/**
 * For the conversation writer: links the files of `tokens` to a new comment. Each token must be a
 * live upload of the writer's own (or, for a form nobody signed in to, an upload made the same
 * way); otherwise the whole write is refused (422) and nothing is written.
 */
export async function takeUploads(ctx: RequestContext, tokens: readonly string[], writer: { userId: string | null; role: UserActor["role"] | "anonymous" }, at: { ticketId: string; commentId: string }): Promise<void> {
  if (tokens.length === 0) return;
  const settings = (await repo.findSettings(ctx.tx)) ?? { enabled: true, end_users_may_attach: true };
  const d = attachmentPolicy.attach(writer.role, settings);
  if (!d.ok) throw forbidden(d.reason);
  let files = 0;
  for (const token of new Set(tokens)) {
    const u = await usableUpload(ctx, token, writer.userId, true);
    if (!u) throw invalid("comment.uploads", "Uploads: a token is not usable (expired, already used, or not yours)", "InvalidValue");
    files += (await repo.attachmentsOfUpload(ctx.tx, u.id)).length;
    if (files > MAX_FILES_PER_COMMENT) throw invalid("comment.uploads", `Uploads: a comment carries at most ${MAX_FILES_PER_COMMENT} files`, "TooMany");
    await repo.attachUpload(ctx.tx, u.id, at.ticketId, at.commentId, ctx.now());
  }
}

/** The attachments of comments, as the viewer sees them (with links signed for the viewer). */
export async function attachmentsOfComments(deps: Pick<AppDeps, "scanner">, ctx: RequestContext, commentIds: string[]): Promise<Map<string, AttachmentView[]>> {
  const rows = await repo.attachmentsOfComments(ctx.tx, commentIds);
  const by = new Map<string, AttachmentView[]>();
  for (const r of rows) {
    const list = by.get(r.comment_id!) ?? [];
    list.push(present(deps, ctx, r, { servableTo: actorIdOf(ctx) }));
    by.set(r.comment_id!, list);
  }
  return by;
}

// ---- Viewing and downloading --------------------------------------------------------------------

/** The attachment if this actor may see it (Zendesk's `GET /attachments/{id}`), else 404. */
export async function showAttachment(deps: Pick<AppDeps, "scanner">, ctx: RequestContext, niceId: number): Promise<AttachmentView> {
  const row = await visibleAttachment(ctx, niceId);
  return present(deps, ctx, row, { servableTo: actorIdOf(ctx) });
}

async function visibleAttachment(ctx: RequestContext, niceId: number) {
  const actor = ctx.actor.kind === "user" ? ctx.actor : undefined;
  const row = actor ? await repo.findAttachedInScope(ctx.tx, niceId, ticketPolicy.scope(actor)) : undefined;
  if (!row || !actor || !attachmentPolicy.view(actor, { uploaderId: row.uploader_id, attached: row.comment_id !== null, ticketVisible: row.ticket_visible === true, commentPublic: row.comment_public === true })) {
    throw notFound();
  }
  return row;
}

function present(deps: Pick<AppDeps, "scanner">, ctx: RequestContext, r: repo.AttachmentRow, opts: { servableTo: string | null }): AttachmentView {
  const redacted = r.redacted_at !== null;
  const servable = !redacted && servableStatus(deps, r.scan_status) && opts.servableTo !== null;
  const link = servable ? downloadUrl(ctx, r, opts.servableTo!) : null;
  return {
    id: r.nice_id,
    url: `${ctx.apiBase}/attachments/${r.nice_id}.json`,
    file_name: ctx.sealer.open(r.file_name_sealed, fileRef(r.id, "file_name")),
    content_url: link,
    mapped_content_url: link,
    content_type: r.content_type,
    size: r.size,
    width: null,
    height: null,
    inline: false,
    deleted: redacted,
    malware_access_override: false,
    malware_scan_result: SCAN_RESULT[r.scan_status],
    thumbnails: [],
    scan_status: r.scan_status,
  };
}

/** Zendesk's `malware_scan_result` for each scan state. */
const SCAN_RESULT = { clean: "malware_not_found", infected: "malware_found", unscannable: "failed_to_scan", pending: "not_scanned", not_scanned: "not_scanned" } as const;

/** With a scanner configured only files scanned clean are served; without one, any file not found infected. */
const servableStatus = (deps: Pick<AppDeps, "scanner">, s: repo.AttachmentRow["scan_status"]) => (deps.scanner ? s === "clean" : s === "clean" || s === "not_scanned");

/** A download link's signature: a keyed hash under the tenant's index key of the file, the user and the expiry. */
function signature(ctx: RequestContext, attachmentId: string, userId: string, expires: number): string {
  return ctx.sealer.blindIndex("attachment-download", [attachmentId, userId, String(expires)].join("|")).toString("base64url");
}

/** The download link of a file for one user (content_url); whether it may be served is decided when it is used. */
export function downloadUrl(ctx: RequestContext, r: Pick<repo.AttachmentRow, "id" | "nice_id">, userId: string): string {
  // Rounded up to the minute, so that one page's links are the same on every read within it.
  const expires = Math.ceil((ctx.now().getTime() + DOWNLOAD_LINK_MINUTES * 60_000) / 60_000) * 60;
  return `${ctx.apiBase}/attachments/${r.nice_id}/download?expires=${expires}&signature=${signature(ctx, r.id, userId, expires)}`;
}

export type Download = { stream: Readable; fileName: string; contentType: string; size: number };

/** Types a browser may be told as they are; anything else is sent as application/octet-stream. */
const SERVED_AS_IS = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"]);

/**
 * A download: the link must be signed for this user and not expired, the user must (still) be
 * allowed to see the file, and the file must be servable. Every refusal of someone who may not
 * see the file is the same 404.
 */
export async function openDownload(deps: Pick<AppDeps, "scanner" | "blobs">, ctx: RequestContext, niceId: number, link: { expires: number; signature: string }): Promise<Download> {
  const actor = actorUser(ctx);
  const row = await visibleAttachment(ctx, niceId);
  const expected = Buffer.from(signature(ctx, row.id, actor.userId, link.expires));
  const given = Buffer.from(link.signature);
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) throw notFound();
  if (link.expires * 1000 <= ctx.now().getTime()) {
    throw new AppError("Forbidden", { description: "This download link has expired. Reload the page for a new one." });
  }
  if (row.redacted_at) throw new AppError("Gone", { description: "This file was removed." });
  if (row.scan_status === "infected") throw new AppError("Forbidden", { description: "This file contains malware and is quarantined: it cannot be downloaded." });
  if (row.scan_status === "unscannable" && deps.scanner) {
    throw new AppError("Forbidden", { description: "This file is too large for the malware scanner, so it is not served. Ask the sender for a smaller file." });
  }
  if (!servableStatus(deps, row.scan_status)) {
    throw new AppError("Conflict", { description: "This file is waiting for its malware scan. Try again in a minute.", retryAfterSeconds: 30 });
  }
  let stream: Readable;
  try {
    stream = await getSealed(deps.blobs, ctx.sealer, { purpose: "attachments", id: row.id });
  } catch (err) {
    if (err instanceof BlobNotFoundError) throw new AppError("Gone", { description: "This file was removed." });
    throw err;
  }
  audit(ctx, { action: "attachment.downloaded", resourceType: "attachment", resourceId: row.nice_id });
  return {
    stream,
    fileName: ctx.sealer.open(row.file_name_sealed, fileRef(row.id, "file_name")),
    contentType: SERVED_AS_IS.has(row.content_type) ? (row.content_type === "text/plain" ? "text/plain; charset=utf-8" : row.content_type) : "application/octet-stream",
    size: row.size,
  };
}

// ---- Redaction ----------------------------------------------------------------------------------

/** Zendesk's redact: the file's bytes are deleted, the attachment stays as `redacted.txt`. Returns the blob to delete. */
export async function redactAttachment(deps: Pick<AppDeps, "scanner">, ctx: RequestContext, t: { ticketId: string; commentNiceId: number }, niceId: number) {
  const actor = actorUser(ctx);
  const row = await visibleAttachment(ctx, niceId);
  if (row.ticket_id !== t.ticketId || row.comment_nice !== t.commentNiceId) throw notFound();
  if (!attachmentPolicy.redact(actor)) throw forbidden("Only agents and admins can redact attachments.");
  if (!row.redacted_at) {
    await repo.markRedacted(ctx.tx, row.id, { file_name_sealed: ctx.sealer.seal("redacted.txt", fileRef(row.id, "file_name")), now: ctx.now() });
    audit(ctx, { action: "attachment.redacted", resourceType: "attachment", resourceId: row.nice_id, fields: ["file_name", "size"] });
  }
  const after = (await repo.findAttachmentById(ctx.tx, row.id))!;
  return { view: present(deps, ctx, after, { servableTo: actor.userId }), blobId: row.id };
}

// ---- Scanning -----------------------------------------------------------------------------------

export async function queueScan(ctx: RequestContext, attachmentId: string): Promise<void> {
  await enqueueJob(ctx, { type: ATTACHMENT_SCAN_JOB, total: 1, payload: { tenantId: ctx.tx.tenantId, attachmentId }, createdBy: null, maxAttempts: 10_000 });
}

// ---- Exports ------------------------------------------------------------------------------------

/**
 * The files of some comments for a person export: name, type, size, and whether the file can be
 * included (not redacted, not quarantined, scanned clean when a scanner is configured).
 */
export async function attachmentsForExport(deps: Pick<AppDeps, "scanner">, ctx: RequestContext, commentIds: string[]) {
  const rows = await repo.attachmentsOfComments(ctx.tx, commentIds);
  return rows.map((r) => ({
    blobId: r.id,
    id: r.nice_id,
    comment_id: r.comment_id!,
    file_name: ctx.sealer.open(r.file_name_sealed, fileRef(r.id, "file_name")),
    content_type: r.content_type,
    size: r.size,
    included: r.redacted_at === null && servableStatus(deps, r.scan_status),
  }));
}

/** An attachment's bytes for an export (the caller decided it may be included). */
export function openAttachmentForExport(deps: Pick<AppDeps, "blobs">, sealer: BlobSealer, blobId: string): Promise<Readable> {
  return getSealed(deps.blobs, sealer, { purpose: "attachments", id: blobId });
}
