import crypto from "node:crypto";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { userActor, type RequestContext, type UserActor } from "../../platform/context.ts";
import type { Role, TicketPriority, TicketStatus, TicketType } from "../../platform/db/schema.ts";
import { AppError, forbidden, invalid } from "../../platform/errors.ts";
import { redactSensitive, type Detectors } from "../../platform/redaction.ts";
import { audit } from "../audit/audit-service.ts";
import { detectorsFor } from "../privacy/redaction-service.ts";
import type { CustomValue } from "./tickets-fns.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import { takeUploads } from "./attachments-service.ts";
import * as repo from "./tickets-repo.ts";
import type { AuditEvent } from "./tickets-types.ts";

/**
 * The conversation writer: the one place where tickets and their comments are written, whatever
 * they came through (the API, the workspace, the help center, bulk jobs, and next e-mail). It owns
 *  - who may write what: a light agent writes internal notes only, an end user public replies
 *    only, and naming another author (`comment.author_id`) is for agents (end users) and admins
 *    (anyone) — the comment always records who actually wrote it (`written_by`);
 *  - card numbers, and what the tenant's detectors find (IBANs, national ids: its redaction
 *    settings, read in this transaction), masked in the subject and comment bodies before anything
 *    is sealed, indexed or told to a hook (custom text fields: normalizeCustomValue; a renamed
 *    subject: the caller; both with the same detectors);
 *  - sealing of the subject, description, comment bodies, custom field values and audit events;
 *  - the ticket audit (Zendesk's events) with its channel, and the security audit-trail entry;
 *  - `is_public` (a ticket becomes visible to its requester with its first public comment);
 *  - the hook where search indexing and notifications attach (`conversation.written` on
 *    ctx.hooks, platform/hooks.ts), run in the same transaction as the write.
 * Callers resolve references and decide property changes; they never insert or seal themselves.
 */

/** Zendesk's via.channel values Vaultdesk writes (`rule`: a trigger's or an automation's write, modules/triggers). */
export type Channel = "web" | "api" | "email" | "rule";

/** The channel of a request: the web app's session, or an API client's token. */
export function channelOf(ctx: RequestContext): Channel {
  return ctx.actor.kind === "user" && ctx.actor.via === "session" ? "web" : "api";
}

export type Person = { id: string; niceId: number; role: Role };

/** A comment to write: its author (whom it is from), visibility and bodies (plain and sanitized HTML). */
export type CommentDraft = {
  author: Person;
  public: boolean;
  body: string;
  html: string;
  /** Upload tokens whose files the comment carries (Zendesk's `comment.uploads`); the writer's own uploads only. */
  uploads?: readonly string[] | undefined;
};

export type TicketDraft = {
  /** Undefined: taken from the first line of the comment when it is public, else "(no subject)". */
  subject: string | undefined;
  status: TicketStatus;
  priority: TicketPriority | null;
  type: TicketType | null;
  requester: Person & { organizationId?: string | null | undefined };
  submitter: Person;
  assigneeId: string | null;
  groupId: string | null;
  /** An explicit organization, or the requester's (read inside the insert when not known). */
  organizationId: string | null | "requester's";
  tags: string[];
  customFields: Record<string, CustomValue>;
  externalId: string | null;
  dueAt: Date | null;
  comment: CommentDraft;
  /** The people copied on the ticket (internal ids; the requester is left out), copied before the hooks run. */
  ccUserIds?: readonly string[] | undefined;
  /** Create events for the ticket audit beyond subject, status and the comment. */
  events?: AuditEvent[];
  /** The audit-trail action ("ticket.created", "request.created") and the fields it names. */
  action: string;
  fields: string[];
};

/**
 * Who wrote: the signed-in person, an unproven sender (`proven` false: held to an end user's
 * rules), or the system (an automation's write: nobody's name, nobody's rules, no current user).
 */
export type Writer = (Person & { proven: boolean; system?: undefined }) | SystemWriter;
export type SystemWriter = { system: true; proven: false };
/** The system as a writer: recorded as nobody (no `written_by`, no ticket audit author); only for a context acting as the system. */
export const SYSTEM_WRITER: SystemWriter = { system: true, proven: false };

const isSystem = (s: Person | SystemWriter | undefined): s is SystemWriter => s !== undefined && "system" in s && s.system === true;

/** The kind of business rule that wrote on the channel `rule` (a trigger's write runs no trigger; an automation's does). */
export type RuleKind = "trigger" | "automation";

/** The properties a ticket had before a change (triggers' "changed from"), internal ids. */
export type PreviousProperties = Pick<repo.TicketRow, "status" | "priority" | "type" | "assignee_id" | "assignee_nice" | "group_id" | "group_nice">;

/**
 * What the write hooks are told (search indexing, notifications and triggers attach here). `text`:
 * the content written, in clear, for the search index and triggers' comment conditions (hashed
 * there, read in memory; never stored or logged as is): a renamed subject comes with the subject
 * it replaces, so that its terms can be taken out. `by`: who wrote; `previous`: the properties
 * before the change.
 */
export type ConversationEvent =
  | { kind: "ticket.created"; ticketId: string; ticketNiceId: number; commentId: string; channel: Channel; by: Writer; text: { subject: string; comment: { body: string; public: boolean } } }
  | {
      kind: "ticket.changed";
      ticketId: string;
      ticketNiceId: number;
      commentId: string | null;
      fields: string[];
      channel: Channel;
      /** On the channel `rule`: the kind of rule that wrote. */
      rule?: RuleKind | undefined;
      by: Writer;
      previous: PreviousProperties;
      text: { subject?: { before: string; after: string }; comment?: { body: string; public: boolean } };
    }
  | { kind: "ticket.deleted"; ticketId: string; ticketNiceId: number; commentId: null; channel: Channel }
  | { kind: "ticket.restored"; ticketId: string; ticketNiceId: number; commentId: null; channel: Channel; text: { subject: string; comments: Array<{ body: string; public: boolean }> } }
  /** Before tickets' rows are deleted for good (up to PURGE_CHUNK at a time): listeners delete their own rows about them. */
  | { kind: "tickets.purged"; tickets: ReadonlyArray<{ id: string; niceId: number }>; channel: Channel }
  /** A comment's text rewritten for good (redaction, erasure); `subject` when the ticket's subject was rewritten with it. */
  | { kind: "comment.redacted"; ticketId: string; ticketNiceId: number; commentId: string; channel: Channel; text: { before: string; after: string; public: boolean; subject?: { before: string; after: string } | undefined } };

declare module "../../platform/hooks.ts" {
  interface HookEvents {
    /** After each conversation write, inside its transaction (search indexing and notifications attach here). */
    "conversation.written": ConversationEvent;
  }
}

const emit = (ctx: RequestContext, event: ConversationEvent) => ctx.hooks.emit("conversation.written", ctx, event);

const tref = refsOf("tickets");
const cref = refsOf("ticket_comments");
const aref = (id: string) => refsOf("ticket_audits")(id, "events");

/**
 * The person writing: the signed-in user, or, for a write nobody signed in for (the help center's
 * anonymous form, e-mail next), the sender the caller names. An unproven sender is held to an end
 * user's rules whatever the address belongs to (public replies in their own name only), and is
 * recorded as nobody: the comment's `written_by` and the ticket audit's author stay empty, so a
 * form filled in with a staff member's address is never shown as written by them.
 */
function writerOf(ctx: RequestContext, sender: Person | undefined): { actor: UserActor; proven: boolean } {
  if (ctx.actor.kind === "user") return { actor: ctx.actor, proven: true };
  if (!sender) throw new AppError("Unauthorized");
  return { actor: userActor({ ...sender, role: "end_user", customRole: null }, "session", []), proven: false };
}

/** Whose uploads a writer may attach: a signed-in writer's own; an unproven sender's, those made without signing in. */
const uploaderOf = (writer: UserActor, proven: boolean) => (proven ? { userId: writer.userId, role: writer.role } : { userId: null, role: "anonymous" as const });

/** Refuses a comment the writer may not write (403 with the rule's sentence). */
function checkComment(writer: UserActor, c: CommentDraft): void {
  const d = ticketPolicy.writeComment(writer, { authorId: c.author.id, authorRole: c.author.role, public: c.public });
  if (!d.ok) throw forbidden(d.reason);
}

function sealComment(ctx: RequestContext, c: CommentDraft, writerId: string | null): repo.NewComment {
  const id = crypto.randomUUID();
  return {
    id,
    author_id: c.author.id,
    written_by: writerId,
    public: c.public,
    body_sealed: ctx.sealer.seal(c.body, cref(id, "body")),
    html_body_sealed: ctx.sealer.seal(c.html, cref(id, "html_body")),
  };
}

/** The comment as it is kept: card numbers and what the tenant's detectors find masked in both bodies (platform/redaction.ts). */
const redacted = (c: CommentDraft, d: Detectors): CommentDraft => ({ ...c, body: redactSensitive(c.body, d), html: redactSensitive(c.html, d) });

const commentEvent = (c: CommentDraft): AuditEvent => ({ id: 0, type: "Comment", body: c.body, public: c.public, author_id: c.author.niceId });
const numbered = (events: AuditEvent[]) => events.map((e, i) => ({ ...e, id: i + 1 }));

/** A subject from the first line of a public comment; an internal note never names a ticket its requester sees. */
export function subjectFor(given: string | undefined, c: Pick<CommentDraft, "body" | "public">): string {
  // 80 characters, not UTF-16 units: a cut never splits an emoji into a lone surrogate.
  const from = given ?? (c.public ? Array.from(c.body.split("\n")[0]!).slice(0, 80).join("") : "");
  return from.trim() || NO_SUBJECT;
}

/** The subject of a ticket opened without one, whose public comment does not give one either. */
export const NO_SUBJECT = "(no subject)";

export type OpenedTicket = { row: repo.TicketRow; auditNiceId: number; comment: { id: string; niceId: number; bodySealed: Uint8Array } };

/**
 * Records what the system saw happen to a ticket (an SLA policy applied, changed or taken off:
 * modules/sla) in a ticket audit of its own, on the channel `rule`, by nobody, its events sealed as
 * every audit's. Nothing of the ticket changes, so no hook is told and no audit-trail entry is
 * written (the write that caused it has its own). Returns the audit's public id.
 */
export async function recordSystemEvents(ctx: RequestContext, ticketId: string, events: AuditEvent[]): Promise<number> {
  const auditId = crypto.randomUUID();
  const r = await repo.insertAudit(ctx.tx, ticketId, { id: auditId, author_id: null, events_sealed: ctx.sealer.sealJson(numbered(events), aref(auditId)), via: "rule" }, undefined);
  return r.audit;
}

/** Creates a ticket with its first comment and first audit. */
export async function openTicket(ctx: RequestContext, draft: TicketDraft, channel: Channel, sender?: Person): Promise<OpenedTicket> {
  const detectors = await detectorsFor(ctx);
  const d = { ...draft, subject: draft.subject === undefined ? undefined : redactSensitive(draft.subject, detectors), comment: redacted(draft.comment, detectors) };
  const { actor: writer, proven } = writerOf(ctx, sender);
  checkComment(writer, d.comment);
  // The submitter is a name put on the ticket like a comment's author, under the same rule.
  const asSubmitter = ticketPolicy.writeAs(writer, d.submitter);
  if (!asSubmitter.ok) throw forbidden(`Submitter: ${asSubmitter.reason}`);
  const writtenBy = proven ? writer.userId : null;
  if (d.status === "closed") throw invalid("status", "Status: a new ticket cannot be closed");
  const s = ctx.sealer;
  const id = crypto.randomUUID();
  const auditId = crypto.randomUUID();
  const subject = subjectFor(d.subject, d.comment);
  const comment = sealComment(ctx, d.comment, writtenBy);
  const events = numbered([
    commentEvent(d.comment),
    { id: 0, type: "Create", field_name: "subject", value: subject },
    { id: 0, type: "Create", field_name: "status", value: d.status },
    ...(d.events ?? []),
  ]);
  const row: repo.NewTicket = {
    id,
    subject_sealed: s.seal(subject, tref(id, "subject")),
    description_sealed: s.seal(d.comment.body, tref(id, "description")),
    status: d.status,
    priority: d.priority,
    type: d.type,
    requester_id: d.requester.id,
    submitter_id: d.submitter.id,
    assignee_id: d.assigneeId,
    group_id: d.groupId,
    organization_id: d.organizationId === "requester's" ? null : d.organizationId,
    tags: [...new Set(d.tags)],
    custom_fields_sealed: Object.keys(d.customFields).length ? s.sealJson(d.customFields, tref(id, "custom_fields")) : null,
    external_id_sealed: d.externalId ? s.seal(d.externalId, tref(id, "external_id")) : null,
    external_id_bidx: d.externalId ? s.blindIndex("ticket.external_id", d.externalId) : null,
    due_at: d.dueAt,
    via: channel,
    is_public: d.comment.public,
  };
  const ids = await repo.insertTicketWithComment(ctx.tx, row, { id: auditId, author_id: writtenBy, events_sealed: s.sealJson(events, aref(auditId)), via: channel }, comment, {
    organizationFromRequester: d.organizationId === "requester's",
    wroteBy: { requester: wrote(writer.userId, d.comment, d.requester.id), assignee: d.assigneeId !== null && wrote(writer.userId, d.comment, d.assigneeId) },
  });
  await takeUploads(ctx, d.comment.uploads ?? [], uploaderOf(writer, proven), { ticketId: id, commentId: comment.id });
  await repo.addCcs(ctx.tx, id, (d.ccUserIds ?? []).filter((u) => u !== d.requester.id));
  audit(ctx, { action: d.action, resourceType: "ticket", resourceId: ids.ticket, fields: d.fields });
  const by: Writer = { id: writer.userId, niceId: writer.niceId, role: proven ? writer.role : "end_user", proven };
  await emit(ctx, { kind: "ticket.created", ticketId: id, ticketNiceId: ids.ticket, commentId: comment.id, channel, by, text: { subject, comment: { body: d.comment.body, public: d.comment.public } } });
  return {
    auditNiceId: ids.audit,
    comment: { id: comment.id, niceId: ids.comment, bodySealed: comment.body_sealed },
    row: {
      ...row,
      nice_id: ids.ticket,
      tags: row.tags,
      requester_nice: d.requester.niceId,
      submitter_nice: d.submitter.niceId,
      assignee_nice: null,
      group_nice: null,
      organization_id: ids.organization_id,
      organization_nice: ids.organization_nice,
      created_at: ids.created_at,
      updated_at: ids.updated_at,
      cc_nice_ids: [],
    },
  };
}

export type Change = {
  /** Column changes already decided and sealed by the caller's rules (property edits). */
  patch: repo.TicketPatch;
  /** The Change events describing `patch` (Zendesk's audit events). */
  events: AuditEvent[];
  comment?: CommentDraft | undefined;
  /** The audit-trail action and the fields it names (the comment adds "comment" or "note"). */
  action: string;
  fields: string[];
  /** On the channel `rule`: the kind of rule that writes. */
  rule?: RuleKind | undefined;
};

/**
 * Records a change to a ticket: property changes and/or a comment, in one ticket audit. Nothing is
 * written when there is nothing to record. Returns the audit's public id (0 when none) and the
 * ticket as it is afterwards.
 */
export async function changeTicket(ctx: RequestContext, t: repo.TicketRow, change: Change, channel: Channel, sender?: Person | SystemWriter): Promise<{ auditNiceId: number; events: AuditEvent[]; row: repo.TicketRow; commentNiceId: number | null; commentId: string | null }> {
  const c = { ...change, comment: change.comment ? redacted(change.comment, await detectorsFor(ctx)) : undefined };
  // The system writes only for a context acting as the system (a signed-in person's context writes as them).
  const system = isSystem(sender) && ctx.actor.kind === "system";
  if (system && c.comment) throw new Error("the system writes no comment");
  const { actor: writer, proven } = system ? { actor: undefined, proven: false } : writerOf(ctx, isSystem(sender) ? undefined : sender);
  const writtenBy = proven && writer ? writer.userId : null;
  if (c.comment && writer) checkComment(writer, c.comment);
  const events = numbered([...(c.comment ? [commentEvent(c.comment)] : []), ...c.events]);
  if (events.length === 0) return { auditNiceId: 0, events, row: t, commentNiceId: null, commentId: null };
  const comment = c.comment ? sealComment(ctx, c.comment, writtenBy) : undefined;
  const patch: repo.TicketPatch = { ...c.patch, ...(comment?.public && !t.is_public ? { is_public: true } : {}), ...timesOf(ctx, t, c.patch, writer?.userId, c.comment) };
  await repo.updateTicket(ctx.tx, t.id, patch);
  // Read back before the audit insert, which takes the tenant's counter locks until COMMIT.
  const row = (await repo.readBack(ctx.tx, t.nice_id))!;
  const auditId = crypto.randomUUID();
  const r = await repo.insertAudit(ctx.tx, t.id, { id: auditId, author_id: writtenBy, events_sealed: ctx.sealer.sealJson(events, aref(auditId)), via: channel }, comment);
  if (comment && writer) await takeUploads(ctx, c.comment?.uploads ?? [], uploaderOf(writer, proven), { ticketId: t.id, commentId: comment.id });
  const fields = [...new Set([...c.fields, ...(comment ? [comment.public ? "comment" : "note"] : [])])];
  audit(ctx, { action: c.action, resourceType: "ticket", resourceId: t.nice_id, fields });
  const renamed = c.patch.subject_sealed ? { before: ctx.sealer.open(t.subject_sealed, tref(t.id, "subject")), after: ctx.sealer.open(c.patch.subject_sealed, tref(t.id, "subject")) } : undefined;
  const text = { ...(renamed ? { subject: renamed } : {}), ...(c.comment ? { comment: { body: c.comment.body, public: c.comment.public } } : {}) };
  const by: Writer = writer ? { id: writer.userId, niceId: writer.niceId, role: proven ? writer.role : "end_user", proven } : SYSTEM_WRITER;
  const previous: PreviousProperties = { status: t.status, priority: t.priority, type: t.type, assignee_id: t.assignee_id, assignee_nice: t.assignee_nice, group_id: t.group_id, group_nice: t.group_nice };
  await emit(ctx, { kind: "ticket.changed", ticketId: t.id, ticketNiceId: t.nice_id, commentId: comment?.id ?? null, fields, channel, ...(c.rule ? { rule: c.rule } : {}), by, previous, text });
  return { auditNiceId: r.audit, events, row, commentNiceId: r.comment, commentId: comment?.id ?? null };
}

/** Whether a person wrote an update: as its writer, or as the author of its comment. */
const wrote = (writerId: string | undefined, comment: Pick<CommentDraft, "author"> | undefined, personId: string | null) =>
  personId !== null && (writerId === personId || comment?.author.id === personId);

/**
 * The times automations read (0065) that a change moves: the status's when it changes, the
 * assignment's when the assignee does (none while unassigned), the requester's and the assignee's
 * when they write (the system is neither).
 */
function timesOf(ctx: RequestContext, t: repo.TicketRow, patch: repo.TicketPatch, writerId: string | undefined, comment: CommentDraft | undefined): repo.TicketPatch {
  const now = ctx.now();
  const out: repo.TicketPatch = {};
  if (patch.status !== undefined && patch.status !== t.status) out.status_updated_at = now;
  const assignee = patch.assignee_id === undefined ? t.assignee_id : patch.assignee_id;
  if (assignee !== t.assignee_id) out.assigned_at = assignee === null ? null : now;
  const requester = patch.requester_id ?? t.requester_id;
  if (wrote(writerId, comment, requester)) out.requester_updated_at = now;
  if (wrote(writerId, comment, assignee)) out.assignee_updated_at = now;
  return out;
}

/** Deletes a ticket (Zendesk's soft delete: it leaves every list, search and count at once). */
export async function deleteTicket(ctx: RequestContext, t: Pick<repo.TicketRow, "id" | "nice_id">): Promise<void> {
  await repo.softDeleteTicket(ctx.tx, t.id, ctx.actor.kind === "user" ? ctx.actor.userId : null, ctx.now());
  audit(ctx, { action: "ticket.deleted", resourceType: "ticket", resourceId: t.nice_id });
  await emit(ctx, { kind: "ticket.deleted", ticketId: t.id, ticketNiceId: t.nice_id, commentId: null, channel: channelOf(ctx) });
}

/** Restores a deleted ticket from the trash: back in every list, search and count. */
export async function restoreTicket(ctx: RequestContext, t: Pick<repo.DeletedTicketRow, "id" | "nice_id" | "subject_sealed">): Promise<void> {
  await repo.undelete(ctx.tx, t.id);
  audit(ctx, { action: "ticket.restored", resourceType: "ticket", resourceId: t.nice_id });
  const comments = (await repo.allComments(ctx.tx, t.id)).map((c) => ({ body: ctx.sealer.open(c.body_sealed, cref(c.id, "body")), public: c.public }));
  const text = { subject: ctx.sealer.open(t.subject_sealed, tref(t.id, "subject")), comments };
  await emit(ctx, { kind: "ticket.restored", ticketId: t.id, ticketNiceId: t.nice_id, commentId: null, channel: channelOf(ctx), text });
}

/** How many tickets one set of purge statements covers (the lists of ids they bind). */
export const PURGE_CHUNK = 500;

/**
 * Deletes tickets for good: every row about them (the listeners of `tickets.purged` first), each
 * audited by its public id only. Set-based, a few statements for up to PURGE_CHUNK tickets rather
 * than a dozen for each: erasing a person with 1,000 tickets holds the embedded database (one
 * transaction at a time) for a fraction of the time (bench/README.md "Compliance"). Returns the
 * ids of their attachments, whose files the caller deletes after the commit. (`chunk`: tests use a
 * small one to cross chunk boundaries with a few tickets.)
 */
export async function purgeTickets(ctx: RequestContext, tickets: ReadonlyArray<Pick<repo.DeletedTicketRow, "id" | "nice_id">>, chunk = PURGE_CHUNK): Promise<{ attachmentIds: string[] }> {
  const attachmentIds: string[] = [];
  for (let i = 0; i < tickets.length; i += chunk) {
    const part = tickets.slice(i, i + chunk);
    await emit(ctx, { kind: "tickets.purged", tickets: part.map((t) => ({ id: t.id, niceId: t.nice_id })), channel: channelOf(ctx) });
    attachmentIds.push(...(await repo.purgeTicketRows(ctx.tx, part.map((t) => t.id))).attachmentIds);
    for (const t of part) audit(ctx, { action: "ticket.purged", resourceType: "ticket", resourceId: t.nice_id });
  }
  return { attachmentIds };
}

/** What an erased person's comment says instead (erasure of someone who shares the ticket with others). */
export const ERASED_COMMENT = "[Removed: the author's personal data was erased.]";

/**
 * Erasure of a person who shares a ticket with others: their comment's text becomes ERASED_COMMENT
 * in its plain and HTML bodies, its audit's Comment event and the description (first comment), its
 * files are deleted (ids returned: the caller deletes the bytes after the commit), and the search
 * index loses its words. When it is the ticket's first comment, the subject it opened the ticket
 * with is theirs too: it becomes ERASED_COMMENT wherever it is kept (rewriteSubjects), and so does
 * any later subject that quotes it. Undefined when the ticket has no such comment.
 */
export async function eraseComment(ctx: RequestContext, t: Pick<repo.TicketRow, "id" | "nice_id">, commentNiceId: number): Promise<{ attachmentIds: string[] } | undefined> {
  const c = await repo.findCommentForRedaction(ctx.tx, t.id, commentNiceId);
  if (!c) return undefined;
  const s = ctx.sealer;
  const body = s.open(c.body_sealed, cref(c.id, "body"));
  const opened = s.openJson<AuditEvent[]>(c.events_sealed, aref(c.audit_id));
  const events = opened.map((e) => (e.type === "Comment" ? { ...e, body: ERASED_COMMENT } : e));
  await repo.rewriteComment(
    ctx.tx,
    t.id,
    { id: c.id, body_sealed: s.seal(ERASED_COMMENT, cref(c.id, "body")), html_body_sealed: s.seal(`<p>${escapeHtml(ERASED_COMMENT)}</p>`, cref(c.id, "html_body")) },
    { id: c.audit_id, events_sealed: s.sealJson(events, aref(c.audit_id)) },
    c.first ? s.seal(ERASED_COMMENT, tref(t.id, "description")) : undefined,
  );
  const original = c.first ? openingSubject(opened) : undefined;
  const subject = original ? await rewriteSubjects(ctx, t.id, (x) => (quotes(x, original) ? ERASED_COMMENT : x)) : undefined;
  await repo.dropUndeliveredMail(ctx.tx, t.id);
  const attachmentIds = await repo.deleteCommentAttachments(ctx.tx, c.id);
  audit(ctx, { action: "comment.erased", resourceType: "ticket", resourceId: t.nice_id, fields: subject?.changed ? ["comment", "subject"] : ["comment"] });
  await emit(ctx, { kind: "comment.redacted", ticketId: t.id, ticketNiceId: t.nice_id, commentId: c.id, channel: channelOf(ctx), text: { before: body, after: ERASED_COMMENT, public: c.public, subject: subject?.current } });
  return { attachmentIds };
}

/**
 * The subject a ticket was opened with, from its first audit's Create event; undefined when it
 * names nothing of anyone (the placeholder of a ticket opened without one).
 */
function openingSubject(events: readonly AuditEvent[]): string | undefined {
  const v = events.find((e) => e.type === "Create" && e.field_name === "subject")?.value;
  return typeof v === "string" && v.trim() !== "" && v !== NO_SUBJECT ? v : undefined;
}

/** A subject as compared for erasure: compatibility forms, case and runs of spaces made alike. */
const comparable = (x: string) => x.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();

/** Shortest opening subject (compared) whose appearance inside a longer one counts as a quote. */
const QUOTE_MIN_CHARS = 12;

/**
 * Whether a subject is, or quotes, the erased person's opening subject: the same text up to case,
 * spacing and compatibility forms, or a longer one holding it when it is long enough to be theirs
 * rather than a common word ("Help" inside "Helpdesk migration" is not a quote).
 */
function quotes(subject: string, original: string): boolean {
  const s = comparable(subject);
  const o = comparable(original);
  return s === o || (o.length >= QUOTE_MIN_CHARS && s.includes(o));
}

/** Every form of `text` a comment or subject may hold it in: as given, composed and decomposed (mail often decomposes accents). */
const formsOf = (text: string) => [...new Set([text, text.normalize("NFC"), text.normalize("NFD")])];

/** `s` with every occurrence of each form of `text` blotted. */
const blotAll = (s: string, text: string) => formsOf(text).reduce((acc, f) => acc.replaceAll(f, blot(f)), s);

/** How many audits a subject's rewriting reads at a time. */
const SUBJECT_AUDIT_PAGE = 500;

/**
 * Rewrites a ticket's subject wherever it is kept: the ticket's own column, and the subject events
 * of all its audits (a Create's value, a Change's value and previous value), each text mapped by
 * `rewrite`. For redaction and erasure, which must leave no copy behind. `changed` says whether
 * anything was written; `current` is the ticket's subject before and after, when it changed.
 */
async function rewriteSubjects(ctx: RequestContext, ticketId: string, rewrite: (subject: string) => string): Promise<{ changed: boolean; current: { before: string; after: string } | undefined }> {
  const s = ctx.sealer;
  // The ticket's row lock first: a rename waits until the audits are rewritten.
  const sealed = await repo.subjectOf(ctx.tx, ticketId);
  let changed = false;
  for (let after = 0; ; ) {
    const rows = await repo.auditsAfter(ctx.tx, ticketId, after, SUBJECT_AUDIT_PAGE);
    for (const a of rows) {
      let touched = false;
      const events = s.openJson<AuditEvent[]>(a.events_sealed, aref(a.id)).map((e) => {
        if (e.field_name !== "subject" || e.type === "Comment") return e;
        const out = { ...e };
        for (const k of ["value", "previous_value"] as const) {
          const v = e[k];
          if (typeof v !== "string") continue;
          const r = rewrite(v);
          if (r !== v) {
            out[k] = r;
            touched = true;
          }
        }
        return out;
      });
      if (touched) await repo.rewriteAuditEvents(ctx.tx, a.id, s.sealJson(events, aref(a.id)));
      changed ||= touched;
    }
    if (rows.length < SUBJECT_AUDIT_PAGE) break;
    after = rows[rows.length - 1]!.nice_id;
  }
  const before = sealed ? s.open(sealed, tref(ticketId, "subject")) : undefined;
  const next = before === undefined ? undefined : rewrite(before);
  if (before === undefined || next === undefined || next === before) return { changed, current: undefined };
  await repo.rewriteSubject(ctx.tx, ticketId, s.seal(next, tref(ticketId, "subject")));
  return { changed: true, current: { before, after: next } };
}

/** What a redacted character becomes (Zendesk's redaction mark). */
export const REDACTED = "\u2587";

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
const blot = (s: string) => REDACTED.repeat([...s].length);

/**
 * Zendesk's comment redaction: every occurrence of `text` in a comment becomes ▇ marks, for good —
 * in its plain and HTML bodies, in its ticket audit's Comment event, in the ticket's description
 * when it is the first comment, and in the search index (the removed words are computed from the
 * body before redaction). The first comment opened the ticket with its subject, so redacting it
 * also marks the text in the subject, wherever it is kept (rewriteSubjects: the ticket, the Create
 * event, renames' values and previous values) — Zendesk leaves subjects as they are. Returns false
 * when neither holds the text (nothing written).
 */
export async function redactComment(ctx: RequestContext, t: Pick<repo.TicketRow, "id" | "nice_id">, commentNiceId: number, text: string): Promise<boolean | undefined> {
  const c = await repo.findCommentForRedaction(ctx.tx, t.id, commentNiceId);
  if (!c) return undefined;
  const s = ctx.sealer;
  const body = s.open(c.body_sealed, cref(c.id, "body"));
  const html = s.open(c.html_body_sealed, cref(c.id, "html_body"));
  const forms = formsOf(text);
  const inComment = forms.some((f) => body.includes(f) || html.includes(f) || html.includes(escapeHtml(f)));
  const redactedBody = blotAll(body, text);
  const opened = s.openJson<AuditEvent[]>(c.events_sealed, aref(c.audit_id));
  if (inComment) {
    const redactedHtml = forms.reduce((acc, f) => acc.replaceAll(escapeHtml(f), blot(f)), blotAll(html, text));
    const events = opened.map((e) => (e.type === "Comment" && typeof e.body === "string" ? { ...e, body: blotAll(e.body, text) } : e));
    await repo.rewriteComment(
      ctx.tx,
      t.id,
      { id: c.id, body_sealed: s.seal(redactedBody, cref(c.id, "body")), html_body_sealed: s.seal(redactedHtml, cref(c.id, "html_body")) },
      { id: c.audit_id, events_sealed: s.sealJson(events, aref(c.audit_id)) },
      c.first ? s.seal(redactedBody, tref(t.id, "description")) : undefined,
    );
  }
  // A subject taken from the comment's first line (none was given) is taken again from the
  // redacted text: a cut at 80 characters may hold only the start of the text ("… Quimb").
  const opening = c.first ? openingSubject(opened) : undefined;
  const derived = opening !== undefined && opening === subjectFor(undefined, { body, public: c.public }) ? subjectFor(undefined, { body: redactedBody, public: c.public }) : undefined;
  const subject = c.first ? await rewriteSubjects(ctx, t.id, (x) => (derived !== undefined && x === opening ? derived : blotAll(x, text))) : undefined;
  if (!inComment && !subject?.changed) return false;
  await repo.dropUndeliveredMail(ctx.tx, t.id);
  audit(ctx, { action: "comment.redacted", resourceType: "ticket", resourceId: t.nice_id, fields: [...(inComment ? ["comment"] : []), ...(subject?.changed ? ["subject"] : [])] });
  await emit(ctx, { kind: "comment.redacted", ticketId: t.id, ticketNiceId: t.nice_id, commentId: c.id, channel: channelOf(ctx), text: { before: body, after: redactedBody, public: c.public, subject: subject?.current } });
  return true;
}
