import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { TicketStatus } from "../../platform/db/schema.ts";
import { AppError, invalid, notFound } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { findUserByEmail, insertSealedUser, setUserLocale, type UserRef } from "../users/users-service.ts";
import { commentBodies } from "./tickets-fns.ts";
import * as repo from "./tickets-repo.ts";
import * as requests from "./requests-repo.ts";
import type { AuditEvent } from "./tickets-types.ts";

/**
 * The requests API (Zendesk's end-user view of tickets): a person sees only the tickets they
 * requested, only their public comments, and replies publicly. Every lookup names the requester,
 * so another person's request answers 404 exactly like a missing one. Internal notes are never
 * read by these functions.
 */

const tref = (id: string, column: string) => ({ table: "tickets", column, row: id });
const cref = (id: string, column: string) => ({ table: "ticket_comments", column, row: id });
const aref = (id: string) => ({ table: "ticket_audits", column: "events", row: id });
const uref = (id: string) => ({ table: "users", column: "name", row: id });

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
  collaborator_ids: number[];
  email_cc_ids: number[];
  custom_fields: Array<{ id: number; value: unknown }>;
  due_at: string | null;
  created_at: string;
  updated_at: string;
};

export function presentRequest(ctx: RequestContext, t: requests.RequestRow, opts: { anonymous?: boolean } = {}): RequestView {
  const status = requestStatus(t.status);
  return {
    id: t.nice_id,
    url: `${ctx.apiBase}/requests/${t.nice_id}.json`,
    subject: ctx.sealer.open(t.subject_sealed, tref(t.id, "subject")),
    description: ctx.sealer.open(t.description_sealed, tref(t.id, "description")),
    status,
    priority: t.priority,
    type: t.type,
    // An anonymous submitter learns nothing about who the address belongs to.
    requester_id: opts.anonymous ? null : t.requester_nice,
    organization_id: opts.anonymous ? null : t.organization_nice,
    assignee_id: opts.anonymous ? null : t.assignee_nice,
    group_id: opts.anonymous ? null : t.group_nice,
    via: { channel: t.via ?? "api" },
    is_public: true,
    solved: status === "solved" || status === "closed",
    can_be_solved_by_me: false,
    collaborator_ids: [],
    email_cc_ids: [],
    custom_fields: [],
    due_at: t.due_at?.toISOString() ?? null,
    created_at: t.created_at.toISOString(),
    updated_at: t.updated_at.toISOString(),
  };
}

function sealComment(ctx: RequestContext, body: string, authorId: string): repo.NewComment {
  const id = crypto.randomUUID();
  const b = commentBodies({ body });
  return { id, author_id: authorId, public: true, body_sealed: ctx.sealer.seal(b.body, cref(id, "body")), html_body_sealed: ctx.sealer.seal(b.html, cref(id, "html_body")) };
}

export type NewRequest = { subject: string; body: string; requester?: { name: string; email: string } | undefined; locale?: string | undefined };

/**
 * Creates a request from the help center's form (via `web`). A signed-in caller is the requester;
 * otherwise the e-mail address finds the person (by its blind index) or creates an end user.
 */
export async function createRequest(ctx: RequestContext, input: NewRequest): Promise<{ view: RequestView; ticketId: string; requester: { id: string; niceId: number } }> {
  let requester: Pick<UserRef, "id" | "niceId"> & { organizationId: string | null; organizationNiceId: number | null };
  if (ctx.actor.kind === "user") {
    requester = { id: ctx.actor.userId, niceId: ctx.actor.niceId, organizationId: null, organizationNiceId: null };
    if (input.locale) await setUserLocale(ctx, ctx.actor.userId, input.locale);
  } else {
    if (!input.requester) throw invalid("requester", "Requester: your name and e-mail address are needed", "Blank");
    const found = await findUserByEmail(ctx, input.requester.email);
    if (found) requester = found;
    else {
      const created = await insertSealedUser(ctx, { role: "end_user", name: input.requester.name, email: input.requester.email });
      if (input.locale) await setUserLocale(ctx, created.id, input.locale);
      requester = { ...created, organizationId: null, organizationNiceId: null };
    }
  }
  const s = ctx.sealer;
  const id = crypto.randomUUID();
  const auditId = crypto.randomUUID();
  const comment = sealComment(ctx, input.body, requester.id);
  const events: AuditEvent[] = [
    { id: 1, type: "Comment", body: input.body, public: true, author_id: requester.niceId },
    { id: 2, type: "Create", field_name: "subject", value: input.subject },
    { id: 3, type: "Create", field_name: "status", value: "new" },
  ];
  const row: repo.NewTicket = {
    id,
    subject_sealed: s.seal(input.subject, tref(id, "subject")),
    description_sealed: s.seal(input.body, tref(id, "description")),
    status: "new",
    priority: null,
    type: null,
    requester_id: requester.id,
    submitter_id: requester.id,
    assignee_id: null,
    group_id: null,
    organization_id: requester.organizationId,
    tags: [],
    custom_fields_sealed: null,
    external_id_sealed: null,
    external_id_bidx: null,
    due_at: null,
  };
  const ids = await repo.insertTicketWithComment(ctx.tx, row, { id: auditId, author_id: requester.id, events_sealed: s.sealJson(events, aref(auditId)), via: "web" }, comment, {
    organizationFromRequester: requester.organizationId === null,
  });
  audit(ctx, { action: "request.created", resourceType: "ticket", resourceId: ids.ticket, fields: ["subject", "comment", ...(input.locale ? ["locale"] : [])] });
  const view = presentRequest(
    ctx,
    {
      ...row,
      nice_id: ids.ticket,
      requester_nice: requester.niceId,
      submitter_nice: requester.niceId,
      assignee_nice: null,
      group_nice: null,
      organization_id: ids.organization_id,
      organization_nice: ids.organization_nice,
      created_at: ids.created_at,
      updated_at: ids.updated_at,
      via: "web",
    },
    { anonymous: ctx.actor.kind !== "user" },
  );
  return { view, ticketId: id, requester: { id: requester.id, niceId: requester.niceId } };
}

function me(ctx: RequestContext) {
  if (ctx.actor.kind !== "user") throw new AppError("Unauthorized");
  return actorUser(ctx);
}

export async function listMyRequests(
  ctx: RequestContext,
  opts: { statuses: RequestStatus[] | undefined; sortBy: "updated_at" | "created_at"; desc: boolean; limit: number; offset: number },
) {
  const actor = me(ctx);
  // "open" as the requester sees it includes tickets on hold.
  const statuses = opts.statuses?.flatMap((s): TicketStatus[] => (s === "open" ? ["open", "hold"] : [s]));
  const { rows, count } = await requests.listRequestsOf(ctx.tx, actor.userId, { ...opts, statuses });
  return { views: rows.map((r) => presentRequest(ctx, r)), count };
}

export async function showMyRequest(ctx: RequestContext, niceId: number): Promise<RequestView> {
  const actor = me(ctx);
  const t = await requests.findRequestOf(ctx.tx, actor.userId, niceId);
  if (!t) throw notFound();
  return presentRequest(ctx, t);
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
  attachments: never[];
  created_at: string;
};
export type RequestUserView = { id: number; name: string; agent: boolean; organization_id: null; photo: null };

/** The public conversation of one of the caller's requests, with its authors' names (Zendesk sideloads them). */
export async function listMyRequestComments(ctx: RequestContext, niceId: number, limit: number, offset: number) {
  const actor = me(ctx);
  const t = await requests.findRequestOf(ctx.tx, actor.userId, niceId);
  if (!t) throw notFound();
  const { rows, count } = await requests.listPublicComments(ctx.tx, t.id, limit, offset);
  const comments: RequestCommentView[] = rows.map((c) => {
    const body = ctx.sealer.open(c.body_sealed, cref(c.id, "body"));
    return { id: c.nice_id, type: "Comment", request_id: niceId, body, html_body: ctx.sealer.open(c.html_body_sealed, cref(c.id, "html_body")), plain_body: body, public: true, author_id: c.author_nice, attachments: [], created_at: c.created_at.toISOString() };
  });
  const users = new Map<number, RequestUserView>();
  for (const c of rows) {
    if (!users.has(c.author_nice)) users.set(c.author_nice, { id: c.author_nice, name: ctx.sealer.open(c.author_name_sealed, uref(c.author_id)), agent: c.author_role !== "end_user", organization_id: null, photo: null });
  }
  return { comments, users: [...users.values()], count };
}

/**
 * The requester replies publicly. As in Zendesk, a reply to a pending or solved request reopens
 * it; a closed request cannot be replied to (a new request is the way forward).
 */
export async function replyToMyRequest(ctx: RequestContext, niceId: number, body: string): Promise<RequestView> {
  const actor = me(ctx);
  const t = await requests.findRequestOfForUpdate(ctx.tx, actor.userId, niceId);
  if (!t) throw notFound();
  if (t.status === "closed") throw invalid("status", "Status: this request is closed and cannot be replied to. Submit a new request instead.", "Closed");
  const next: TicketStatus = t.status === "pending" || t.status === "solved" ? "open" : t.status;
  const events: AuditEvent[] = [{ id: 1, type: "Comment", body, public: true, author_id: actor.niceId }];
  if (next !== t.status) events.push({ id: 2, type: "Change", field_name: "status", value: next, previous_value: t.status });
  const comment = sealComment(ctx, body, actor.userId);
  await repo.updateTicket(ctx.tx, t.id, next !== t.status ? { status: next } : {});
  const updated = (await requests.findRequestOf(ctx.tx, actor.userId, niceId))!;
  const auditId = crypto.randomUUID();
  await repo.insertAudit(ctx.tx, t.id, { id: auditId, author_id: actor.userId, events_sealed: ctx.sealer.sealJson(events, aref(auditId)), via: "web" }, comment);
  audit(ctx, { action: "request.updated", resourceType: "ticket", resourceId: t.nice_id, fields: ["comment", ...(next !== t.status ? ["status"] : [])] });
  return presentRequest(ctx, updated);
}

/** For the right of access: every request of a user with the public comments they wrote. */
export async function requestsForAccess(ctx: RequestContext, userId: string) {
  const { rows } = await requests.listRequestsOf(ctx.tx, userId, { statuses: undefined, sortBy: "created_at", desc: false, limit: 10_000, offset: 0 });
  const comments = await requests.listPublicCommentsBy(ctx.tx, userId);
  return {
    requests: rows.map((r) => presentRequest(ctx, r)),
    comments: comments.map((c) => ({ id: c.nice_id, request_id: c.ticket_nice, body: ctx.sealer.open(c.body_sealed, cref(c.id, "body")), created_at: c.created_at.toISOString() })),
  };
}
