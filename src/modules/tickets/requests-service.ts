import { sql } from "kysely";
import type { AppDeps } from "../../platform/deps.ts";
import { parseQuery } from "../search/search-fns.ts";
import { textMatch } from "../search/search-index.ts";
import { highlightsOf, matcherFor } from "../search/snippet-fns.ts";
import { commentTextsForSnippets } from "./tickets-service.ts";
import { attachmentsOfComments } from "./attachments-service.ts";
import type { AttachmentView } from "./attachments-types.ts";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { TicketStatus } from "../../platform/db/schema.ts";
import { AppError, invalid, notFound } from "../../platform/errors.ts";
import { findUserByEmail, insertSealedUser, setUserLocale } from "../users/users-service.ts";
import { changeTicket, openTicket, type Person } from "./conversation.ts";
import { detectorsFor } from "../privacy/redaction-service.ts";
import type { Detectors } from "../../platform/redaction.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { commentBodies, fieldAccess, normalizeCustomValue, type CustomValue, type FieldReader } from "./tickets-fns.ts";
import { loadFields, visibleValues, type Fields } from "./field-defs.ts";
import * as requests from "./requests-repo.ts";
import { canRate, ratingBadgeOf, ratingLookup, type RatingLookup } from "./satisfaction-service.ts";
import type { RatingBadge } from "./satisfaction-types.ts";
import type { AuditEvent } from "./tickets-types.ts";

/**
 * The requests API (Zendesk's end-user view of tickets): a person sees only the tickets they
 * requested, only their public comments, and replies publicly. Every lookup names the requester,
 * so another person's request answers 404 exactly like a missing one. Internal notes are never
 * read by these functions.
 */

const tref = refsOf("tickets");
const cref = refsOf("ticket_comments");
const uref = (id: string) => refsOf("users")(id, "name");

/** Zendesk shows end users an on-hold ticket as open: the hold is the agents' business. */
export type RequestStatus = Exclude<TicketStatus, "hold">;
export const requestStatus = (s: TicketStatus): RequestStatus => (s === "hold" ? "open" : s);

export type RequestView = {
  id: number;
  url: string;
  subject: string;
  description: string;
  status: RequestStatus;
  priority: string | null;
  type: string | null;
  requester_id: number | null;
  organization_id: number | null;
  assignee_id: number | null;
  group_id: number | null;
  via: { channel: string };
  is_public: boolean;
  solved: boolean;
  can_be_solved_by_me: boolean;
  /** Vaultdesk: whether the caller may rate it now (its requester, ratings on, solved). */
  can_be_rated_by_me: boolean;
  satisfaction_rating: RatingBadge;
  collaborator_ids: number[];
  email_cc_ids: number[];
  custom_fields: Array<{ id: number; value: unknown }>;
  due_at: string | null;
  created_at: string;
  updated_at: string;
};

/**
 * A request as its requester sees it. `fields`: the tenant's ticket fields; the requests API shows
 * those visible in the portal, whatever the caller's role (it is the help center's view).
 */
export function presentRequest(ctx: RequestContext, t: requests.RequestRow, fields: Fields, ratings: RatingLookup, opts: { anonymous?: boolean } = {}): RequestView {
  const status = requestStatus(t.status);
  const values = t.custom_fields_sealed ? ctx.sealer.openJson<Record<string, CustomValue>>(t.custom_fields_sealed, tref(t.id, "custom_fields")) : {};
  return {
    id: t.nice_id,
    url: `${ctx.apiBase}/requests/${t.nice_id}.json`,
    subject: ctx.sealer.open(t.subject_sealed, tref(t.id, "subject")),
    description: ctx.sealer.open(t.first_public_body_sealed, cref(t.first_public_id, "body")),
    status,
    priority: t.priority,
    type: t.type,
    // An anonymous submitter learns nothing about who the address belongs to.
    requester_id: opts.anonymous ? null : t.requester_nice,
    organization_id: opts.anonymous ? null : t.organization_nice,
    assignee_id: opts.anonymous ? null : t.assignee_nice,
    group_id: opts.anonymous ? null : t.group_nice,
    via: { channel: t.via },
    is_public: t.is_public,
    solved: status === "solved" || status === "closed",
    can_be_solved_by_me: !opts.anonymous && canSolve(ctx, t),
    can_be_rated_by_me: !opts.anonymous && canRate(ctx, ratings, t),
    // The comment is its requester's words: an end user copied on the request, or of its organization, sees the score only.
    satisfaction_rating: ratingBadgeOf(ctx, ratings, t),
    collaborator_ids: [],
    email_cc_ids: [],
    custom_fields: visibleValues(fields, values, PORTAL),
    due_at: t.due_at?.toISOString() ?? null,
    created_at: t.created_at.toISOString(),
    updated_at: t.updated_at.toISOString(),
  };
}

const PORTAL: FieldReader = { role: "end_user" };

/**
 * Whether the caller may mark the request solved (Zendesk's `can_be_solved_by_me`): its requester,
 * while it is not solved or closed. A colleague who sees it through a shared organization, and
 * someone copied on it, may reply, not close another person's request.
 */
function canSolve(ctx: RequestContext, t: requests.RequestRow): boolean {
  return ctx.actor.kind === "user" && actorUser(ctx).userId === t.requester_id && t.status !== "solved" && t.status !== "closed";
}

export type NewRequest = { subject: string; body: string; uploads?: readonly string[] | undefined; custom_fields?: Array<{ id: number; value: CustomValue }> | undefined; requester?: { name: string; email: string } | undefined; locale?: string | undefined };

/** The request form's extras other modules check (the help center: consent and honeypot). */
export type RequestForm = NewRequest & { consent?: { accepted: boolean; version: number } | undefined; website?: string | undefined };
export type RequestSubmitted = { form: RequestForm; created: { ticketId: string; requester: { id: string; niceId: number } } };

declare module "../../platform/hooks.ts" {
  interface HookEvents {
    /** Before a request from the form is written: a listener refuses it by throwing (422). */
    "request.submitting": RequestForm;
    /** After it is written, in the same transaction (the help center records the consent). */
    "request.submitted": RequestSubmitted;
  }
}

/**
 * A request from the help center's form or any client of `POST /requests`: checked by the
 * listeners of `request.submitting` before anything is written, then written, then announced.
 */
export async function submitRequest(ctx: RequestContext, form: RequestForm): Promise<RequestView> {
  await ctx.hooks.emit("request.submitting", ctx, form);
  if (ctx.actor.kind !== "user" && !form.requester) throw invalid("requester", "Requester: your name and e-mail address are needed", "Blank");
  const created = await createRequest(ctx, form);
  await ctx.hooks.emit("request.submitted", ctx, { form, created });
  return created.view;
}

/**
 * Creates a request from the help center's form (via `web`). A signed-in caller is the requester
 * (and the writer, under the conversation writer's rules: a light agent cannot open a public
 * request); otherwise the e-mail address finds the person (by its blind index) or creates an end
 * user, and the unproven sender writes under an end user's rules.
 */
export async function createRequest(ctx: RequestContext, input: NewRequest): Promise<{ view: RequestView; ticketId: string; requester: { id: string; niceId: number } }> {
  let requester: Person & { organizationId?: string | null };
  let sender: Person | undefined;
  if (ctx.actor.kind === "user") {
    requester = { id: ctx.actor.userId, niceId: ctx.actor.niceId, role: ctx.actor.role };
    if (input.locale) await setUserLocale(ctx, ctx.actor.userId, input.locale);
  } else {
    if (!input.requester) throw invalid("requester", "Requester: your name and e-mail address are needed", "Blank");
    const found = await findUserByEmail(ctx, input.requester.email);
    if (found) requester = found;
    else {
      const created = await insertSealedUser(ctx, { role: "end_user", name: input.requester.name, email: input.requester.email });
      if (input.locale) await setUserLocale(ctx, created.id, input.locale);
      requester = { ...created, role: "end_user", organizationId: null };
    }
    sender = requester;
  }
  const { body, html } = commentBodies({ body: input.body });
  const fields = await loadFields(ctx);
  const customFields = portalValues(fields, input.custom_fields, await detectorsFor(ctx));
  const opened = await openTicket(
    ctx,
    {
      subject: input.subject,
      status: "new",
      priority: null,
      type: null,
      requester,
      submitter: requester,
      assigneeId: null,
      groupId: null,
      organizationId: requester.organizationId === undefined ? "requester's" : requester.organizationId,
      tags: [],
      customFields,
      externalId: null,
      dueAt: null,
      comment: { author: requester, public: true, body, html, uploads: input.uploads },
      action: "request.created",
      fields: ["subject", "comment", ...(Object.keys(customFields).length ? ["custom_fields"] : []), ...(input.locale ? ["locale"] : [])],
    },
    "web",
    sender,
  );
  // Its one comment is public: it is the request's description.
  const view = presentRequest(ctx, { ...opened.row, first_public_id: opened.comment.id, first_public_body_sealed: opened.comment.bodySealed }, fields, await ratingLookup(ctx, []), { anonymous: ctx.actor.kind !== "user" });
  return { view, ticketId: opened.row.id, requester: { id: requester.id, niceId: requester.niceId } };
}

/**
 * The custom field values a new request sets: fields editable in the portal only. Any other field
 * answers like a missing one (422), so the form cannot learn of or write staff-only fields.
 */
function portalValues(fields: Fields, input: Array<{ id: number; value: CustomValue }> | undefined, detectors: Detectors): Record<string, CustomValue> {
  const out: Record<string, CustomValue> = {};
  for (const { id, value } of input ?? []) {
    const def = fields.defs.get(id);
    if (!def || !def.active || fieldAccess(def, PORTAL) !== "edit") throw invalid(`custom_fields.${id}`, "is not a field you can fill in");
    const v = normalizeCustomValue(def, value, detectors);
    if (v !== null) out[String(id)] = v;
  }
  return out;
}

function me(ctx: RequestContext) {
  if (ctx.actor.kind !== "user") throw new AppError("Unauthorized");
  return actorUser(ctx);
}

export async function listMyRequests(ctx: RequestContext, page: Page, opts: { statuses: RequestStatus[] | undefined; sortBy: "updated_at" | "created_at" }) {
  const actor = me(ctx);
  // "open" as the requester sees it includes tickets on hold.
  const statuses = opts.statuses?.flatMap((s): TicketStatus[] => (s === "open" ? ["open", "hold"] : [s]));
  const { rows, count } = await requests.listRequestsOf(ctx.tx, actor.userId, page, { sortBy: opts.sortBy, statuses });
  const fields = await loadFields(ctx);
  const ratings = await ratingLookup(ctx, rows.map((r) => r.id));
  return { views: rows.map((r) => presentRequest(ctx, r, fields, ratings)), keys: rows.map((r) => r.sort_key), count };
}

/** Relevance (a text search's BM25 score, an integer), highest first; ties: the newest request. */
const RELEVANCE = { expr: sql`hit.score`, text: sql<string>`hit.score::text`, value: (k: string) => sql`${k}::bigint` };

/**
 * Zendesk's request search: the caller's own requests (as the requests list) whose subject or
 * public comments hold every word and phrase of the query, by relevance. Internal notes are never
 * matched, whoever asks. Filters (`status:` …) are for search.json (staff).
 */
export async function searchMyRequests(ctx: RequestContext, query: string, page: Page) {
  const actor = me(ctx);
  const parts = parseQuery(query).map((t) => {
    if (t.kind !== "text") throw invalid("query", "request search takes words and \"quoted phrases\" only", "Unsupported");
    return t.value;
  });
  // Ranked by statistics of the caller's own requests: other people's words move no score or order.
  const match = await textMatch(ctx, parts, false, requests.ownTicketNiceIds(ctx.tx, actor.userId));
  if (!match) return { views: [], keys: [], count: 0 };
  const { rows, count } = await requests.listRequestsOf(ctx.tx, actor.userId, { ...page, desc: true }, { sortBy: RELEVANCE, statuses: undefined, match });
  const fields = await loadFields(ctx);
  const ratings = await ratingLookup(ctx, rows.map((r) => r.id));
  const views = rows.map((r) => presentRequest(ctx, r, fields, ratings));
  // Highlights from the subject and public comments only, of this page's requests.
  const m = matcherFor(parts);
  const comments = await commentTextsForSnippets(ctx, rows.map((r) => r.id), { internal: false });
  return { views: views.map((v, i) => ({ ...v, highlights: highlightsOf(m, v.subject, comments.get(rows[i]!.id) ?? []) })), keys: rows.map((r) => r.sort_key), count };
}

/**
 * The requests of an organization, for a member of it when it shares its requests (Zendesk's
 * shared organizations); any other organization, or one that does not share, answers 404.
 */
export async function listOrganizationRequests(ctx: RequestContext, orgNiceId: number, page: Page, opts: { statuses: RequestStatus[] | undefined; sortBy: "updated_at" | "created_at" }) {
  const actor = me(ctx);
  const org = await requests.sharedOrganizationOfUser(ctx.tx, actor.userId);
  if (!org || org.nice_id !== orgNiceId) throw notFound();
  const statuses = opts.statuses?.flatMap((s): TicketStatus[] => (s === "open" ? ["open", "hold"] : [s]));
  const { rows, count } = await requests.listRequestsOf(ctx.tx, actor.userId, page, { sortBy: opts.sortBy, statuses, organizationId: org.id });
  const fields = await loadFields(ctx);
  const ratings = await ratingLookup(ctx, rows.map((r) => r.id));
  return { views: rows.map((r) => presentRequest(ctx, r, fields, ratings)), keys: rows.map((r) => r.sort_key), count };
}

/**
 * The requests the caller is copied on (Zendesk's `GET /requests/ccd`): theirs to read and reply
 * to while they are copied, not to mark solved (that is the requester's).
 */
export async function listCcdRequests(ctx: RequestContext, page: Page, opts: { statuses: RequestStatus[] | undefined; sortBy: "updated_at" | "created_at" }) {
  const actor = me(ctx);
  const statuses = opts.statuses?.flatMap((s): TicketStatus[] => (s === "open" ? ["open", "hold"] : [s]));
  const { rows, count } = await requests.listRequestsOf(ctx.tx, actor.userId, page, { sortBy: opts.sortBy, statuses, ccd: true });
  const fields = await loadFields(ctx);
  const ratings = await ratingLookup(ctx, rows.map((r) => r.id));
  return { views: rows.map((r) => presentRequest(ctx, r, fields, ratings)), keys: rows.map((r) => r.sort_key), count };
}

export async function showMyRequest(ctx: RequestContext, niceId: number): Promise<RequestView> {
  const actor = me(ctx);
  const t = await requests.findRequestOf(ctx.tx, actor.userId, niceId);
  if (!t) throw notFound();
  return presentRequest(ctx, t, await loadFields(ctx), await ratingLookup(ctx, [t.id]));
}

export type RequestCommentView = {
  id: number;
  type: "Comment";
  request_id: number;
  body: string;
  html_body: string;
  plain_body: string;
  public: true;
  author_id: number;
  attachments: AttachmentView[];
  created_at: string;
};
export type RequestUserView = { id: number; name: string; agent: boolean; organization_id: null; photo: null };

/** The public conversation of one of the caller's requests, with its authors' names (Zendesk sideloads them). */
export async function listMyRequestComments(deps: Pick<AppDeps, "scanner">, ctx: RequestContext, niceId: number, page: Page) {
  const actor = me(ctx);
  const t = await requests.findRequestOf(ctx.tx, actor.userId, niceId);
  if (!t) throw notFound();
  const { rows, count } = await requests.listPublicComments(ctx.tx, t.id, page);
  const files = await attachmentsOfComments(deps, ctx, rows.map((c) => c.id));
  const comments: RequestCommentView[] = rows.map((c) => {
    const body = ctx.sealer.open(c.body_sealed, cref(c.id, "body"));
    return { id: c.nice_id, type: "Comment", request_id: niceId, body, html_body: ctx.sealer.open(c.html_body_sealed, cref(c.id, "html_body")), plain_body: body, public: true, author_id: c.author_nice, attachments: files.get(c.id) ?? [], created_at: c.created_at.toISOString() };
  });
  const users = new Map<number, RequestUserView>();
  for (const c of rows) {
    if (!users.has(c.author_nice)) users.set(c.author_nice, { id: c.author_nice, name: ctx.sealer.open(c.author_name_sealed, uref(c.author_id)), agent: c.author_role !== "end_user", organization_id: null, photo: null });
  }
  return { comments, users: [...users.values()], count };
}

/**
 * The requester replies publicly, or marks the request solved (`solve`, with a reply or without).
 * As in Zendesk, a reply to a pending or solved request reopens it; a closed request cannot be
 * replied to (a new request is the way forward).
 */
export async function replyToMyRequest(ctx: RequestContext, niceId: number, body: string | undefined, uploads?: readonly string[], solve = false): Promise<RequestView> {
  const actor = me(ctx);
  const t = await requests.findRequestOfForUpdate(ctx.tx, actor.userId, niceId);
  if (!t) throw notFound();
  if (t.status === "closed") throw invalid("status", "Status: this request is closed and cannot be replied to. Submit a new request instead.", "Closed");
  // Marked solved by its requester (with a last word or without), as Zendesk's `solved: true`; a
  // reply alone to a pending or solved request reopens it.
  if (solve && !canSolve(ctx, t)) {
    throw t.status === "solved"
      ? invalid("solved", "Solved: this request is solved already.", "InvalidValue")
      : invalid("solved", "Solved: only the person who made this request can mark it solved.", "InvalidValue");
  }
  const next: TicketStatus = solve ? "solved" : t.status === "pending" || t.status === "solved" ? "open" : t.status;
  const events: AuditEvent[] = next !== t.status ? [{ id: 0, type: "Change", field_name: "status", value: next, previous_value: t.status }] : [];
  await changeTicket(
    ctx,
    t,
    {
      patch: next !== t.status ? { status: next } : {},
      events,
      ...(body !== undefined ? { comment: { author: { id: actor.userId, niceId: actor.niceId, role: actor.role }, public: true, ...commentBodies({ body }), uploads } } : {}),
      action: "request.updated",
      fields: next !== t.status ? ["status"] : [],
    },
    "web",
  );
  return presentRequest(ctx, (await requests.findRequestOf(ctx.tx, actor.userId, niceId))!, await loadFields(ctx), await ratingLookup(ctx, [t.id]));
}

/** For the right of access: every request of a user with the public comments they wrote. */
export async function requestsForAccess(ctx: RequestContext, userId: string) {
  const rows = await requests.allRequestsOf(ctx.tx, userId);
  const comments = await requests.listPublicCommentsBy(ctx.tx, userId);
  const fields = await loadFields(ctx);
  const ratings = await ratingLookup(ctx, rows.map((r) => r.id));
  return {
    requests: rows.map((r) => presentRequest(ctx, r, fields, ratings)),
    comments: comments.map((c) => ({ id: c.nice_id, request_id: c.ticket_nice, body: ctx.sealer.open(c.body_sealed, cref(c.id, "body")), created_at: c.created_at.toISOString() })),
  };
}

/**
 * For the person export: the tickets a person requested or is copied on, and their conversation
 * (public comments; internal notes too when `internal`, for an export run by staff, see
 * docs/privacy.md). Authors are named by public id only; `by_subject` marks the person's own.
 */
export async function conversationForAccess(ctx: RequestContext, userId: string, opts: { internal: boolean }) {
  const tickets = await requests.ticketsOfPerson(ctx.tx, userId);
  const comments = await requests.conversationOfPerson(ctx.tx, tickets.map((t) => t.id), opts.internal);
  return {
    tickets: tickets.map((t) => ({
      id: t.nice_id,
      subject: ctx.sealer.open(t.subject_sealed, tref(t.id, "subject")),
      status: t.status,
      relation: t.requester_id === userId ? ("requester" as const) : ("cc" as const),
      created_at: t.created_at.toISOString(),
      updated_at: new Date(t.updated_at).toISOString(),
      solved_at: t.solved_at?.toISOString() ?? null,
    })),
    comments: comments.map((c) => ({
      id: c.nice_id,
      ticket_id: c.ticket_nice,
      author_id: c.author_nice,
      by_subject: c.author_id === userId,
      public: c.public,
      body: ctx.sealer.open(c.body_sealed, cref(c.id, "body")),
      created_at: c.created_at.toISOString(),
      internal_id: c.id,
    })),
  };
}
