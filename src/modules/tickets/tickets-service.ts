import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { TicketStatus } from "../../platform/db/schema.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { audit } from "../audit/audit-service.ts";
import { resolveGroup } from "../groups/groups-service.ts";
import { resolveOrganization } from "../organizations/organizations-service.ts";
import { findOrCreateByEmail, findUserByEmail, resolveUser } from "../users/users-service.ts";
import { isStaff } from "../users/users-policy.ts";
import { checkTransition, commentBodies, normalizeCustomValue, type CustomValue, type FieldDef } from "./tickets-fns.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import * as repo from "./tickets-repo.ts";
import type { AuditEvent, AuditView, CommentInput, CommentView, TicketCreateInput, TicketUpdateInput, TicketView } from "./tickets-types.ts";

/** Tickets with their conversation (comments) and history (ticket audits). Content is sealed. */

const tref = (id: string, column: string) => ({ table: "tickets", column, row: id });
const cref = (id: string, column: string) => ({ table: "ticket_comments", column, row: id });
const aref = (id: string) => ({ table: "ticket_audits", column: "events", row: id });

type Fields = { defs: Map<number, FieldDef> };

/**
 * Ticket field definitions, cached per tenant for a few seconds: every ticket read needs them and
 * they change rarely. A change made through this process clears the cache at once; another
 * process sees it within FIELDS_TTL_MS.
 */
const FIELDS_TTL_MS = 5_000;
const fieldsCache = new Map<string, { at: number; fields: Fields }>();

export function forgetTicketFields(tenantId: string): void {
  fieldsCache.delete(tenantId);
}

async function loadFields(ctx: RequestContext): Promise<Fields> {
  const hit = fieldsCache.get(ctx.tx.tenantId);
  if (hit && Date.now() - hit.at < FIELDS_TTL_MS) return hit.fields;
  const rows = await repo.listFields(ctx.tx);
  const f: Fields = { defs: new Map(rows.map((r) => [r.nice_id, { niceId: r.nice_id, type: r.type, options: r.options, active: r.active }])) };
  if (fieldsCache.size > 10_000) fieldsCache.clear();
  fieldsCache.set(ctx.tx.tenantId, { at: Date.now(), fields: f });
  return f;
}

export async function presentTicket(ctx: RequestContext, t: repo.TicketRow): Promise<TicketView> {
  const s = ctx.sealer;
  const subject = s.open(t.subject_sealed, tref(t.id, "subject"));
  const values = t.custom_fields_sealed ? s.openJson<Record<string, CustomValue>>(t.custom_fields_sealed, tref(t.id, "custom_fields")) : {};
  const { defs } = await loadFields(ctx);
  const custom = [...defs.values()].filter((d) => d.active).map((d) => ({ id: d.niceId, value: values[String(d.niceId)] ?? null }));
  return {
    id: t.nice_id,
    url: `${ctx.apiBase}/tickets/${t.nice_id}.json`,
    external_id: t.external_id_sealed ? s.open(t.external_id_sealed, tref(t.id, "external_id")) : null,
    type: t.type,
    subject,
    raw_subject: subject,
    description: s.open(t.description_sealed, tref(t.id, "description")),
    priority: t.priority,
    status: t.status,
    requester_id: t.requester_nice,
    submitter_id: t.submitter_nice,
    assignee_id: t.assignee_nice,
    organization_id: t.organization_nice,
    group_id: t.group_nice,
    tags: t.tags,
    custom_fields: custom,
    fields: custom,
    due_at: t.due_at?.toISOString() ?? null,
    created_at: t.created_at.toISOString(),
    updated_at: t.updated_at.toISOString(),
    is_public: true,
    via: { channel: "api" },
  };
}

function requireStaff(ctx: RequestContext) {
  const a = actorUser(ctx);
  if (!isStaff(a.role)) throw forbidden("End users reach their tickets through the requests API.");
  return a;
}

async function mergeCustomFields(ctx: RequestContext, current: Record<string, CustomValue>, input: Array<{ id: number; value: CustomValue }> | undefined) {
  if (!input || input.length === 0) return { values: current, changed: [] as number[] };
  const { defs } = await loadFields(ctx);
  const values = { ...current };
  const changed: number[] = [];
  for (const { id, value } of input) {
    const def = defs.get(id);
    if (!def || !def.active) throw invalid(`custom_fields.${id}`, "is not an active ticket field");
    const v = normalizeCustomValue(def, value);
    if (values[String(id)] !== v) {
      values[String(id)] = v;
      changed.push(id);
    }
  }
  return { values, changed };
}

async function resolveAssignee(ctx: RequestContext, niceId: number | null | undefined, email: string | undefined) {
  if (niceId === null) return null;
  let u: Awaited<ReturnType<typeof resolveUser>> | undefined;
  if (niceId !== undefined) u = await resolveUser(ctx, niceId).catch(() => undefined);
  else if (email !== undefined) {
    u = await findUserByEmail(ctx, email);
  } else return undefined;
  if (!u || !ticketPolicy.assignable(u.role)) throw invalid("assignee_id", "Assignee: must be an agent who can be assigned tickets");
  return u;
}

function sealCommentFor(ctx: RequestContext, input: CommentInput | { body: string }, authorId: string, isPublic: boolean): repo.NewComment {
  const id = crypto.randomUUID();
  const { body, html } = commentBodies(input);
  return {
    id,
    author_id: authorId,
    public: isPublic,
    body_sealed: ctx.sealer.seal(body, cref(id, "body")),
    html_body_sealed: ctx.sealer.seal(html, cref(id, "html_body")),
  };
}

export async function createTicket(ctx: RequestContext, input: TicketCreateInput): Promise<TicketView> {
  const actor = requireStaff(ctx);
  if (!ticketPolicy.create(actor)) throw forbidden();
  // Everything that reads runs before the insert: the insert takes the tenant's ticket counter
  // lock, held until COMMIT, which follows in the next round trip.
  await loadFields(ctx);
  // Resolve every reference first: ids from another tenant do not resolve, exactly like missing ones.
  let requester;
  if (input.requester_id !== undefined) requester = await resolveUser(ctx, input.requester_id).catch(() => {
    throw invalid("requester_id", "Requester: not found");
  });
  else if (input.requester) requester = await findOrCreateByEmail(ctx, input.requester.email, input.requester.name);
  // The caller: no lookup needed (its organization is read inside the insert).
  else requester = { id: actor.userId, niceId: actor.niceId, organizationId: null, organizationNiceId: null, fromActor: true as const };
  const submitter = input.submitter_id !== undefined ? await resolveUser(ctx, input.submitter_id).catch(() => { throw invalid("submitter_id", "Submitter: not found"); }) : { id: actor.userId, niceId: actor.niceId };
  const assignee = await resolveAssignee(ctx, input.assignee_id, input.assignee_email);
  const group = input.group_id ? await resolveGroup(ctx, input.group_id) : null;
  const org = input.organization_id ? await resolveOrganization(ctx, input.organization_id) : requester.organizationId ? { id: requester.organizationId, niceId: requester.organizationNiceId! } : null;
  const { values } = await mergeCustomFields(ctx, {}, input.custom_fields ?? input.fields);

  const status: TicketStatus = input.status ?? (assignee ? "open" : "new");
  const assigneeId = assignee?.id ?? (status === "solved" ? actor.userId : null);
  const assigneeNiceId = assignee?.niceId ?? (status === "solved" ? actor.niceId : null);
  if (status === "closed") throw invalid("status", "Status: a new ticket cannot be closed");
  const commentInput: CommentInput | { body: string } = input.comment ?? { body: input.description ?? "" };
  const isPublic = input.comment?.public ?? true;
  const comment = sealCommentFor(ctx, commentInput, submitter.id, isPublic);
  const description = commentBodies(commentInput).body;
  const subject = (input.subject ?? input.raw_subject ?? description.split("\n")[0]!.slice(0, 80)).trim() || "(no subject)";

  const id = crypto.randomUUID();
  const auditId = crypto.randomUUID();
  const s = ctx.sealer;
  const events: AuditEvent[] = [
    { id: 1, type: "Comment", body: description, public: isPublic, author_id: actor.niceId },
    { id: 2, type: "Create", field_name: "subject", value: subject },
    { id: 3, type: "Create", field_name: "status", value: status },
    ...(input.priority ? [{ id: 4, type: "Create" as const, field_name: "priority", value: input.priority }] : []),
    ...(input.type ? [{ id: 5, type: "Create" as const, field_name: "type", value: input.type }] : []),
    ...(input.tags?.length ? [{ id: 6, type: "Create" as const, field_name: "tags", value: input.tags }] : []),
  ];
  const row: repo.NewTicket = {
      id,
      subject_sealed: s.seal(subject, tref(id, "subject")),
      description_sealed: s.seal(description, tref(id, "description")),
      status,
      priority: input.priority ?? null,
      type: input.type ?? null,
      requester_id: requester.id,
      submitter_id: submitter.id,
      assignee_id: assigneeId,
      group_id: group?.id ?? null,
      organization_id: org?.id ?? null,
      tags: [...new Set(input.tags ?? [])],
      custom_fields_sealed: Object.keys(values).length ? s.sealJson(values, tref(id, "custom_fields")) : null,
      external_id_sealed: input.external_id ? s.seal(input.external_id, tref(id, "external_id")) : null,
      external_id_bidx: input.external_id ? s.blindIndex("ticket.external_id", input.external_id) : null,
      due_at: input.due_at ? new Date(input.due_at) : null,
  };
  const ids = await repo.insertTicketWithComment(ctx.tx, row, { id: auditId, author_id: actor.userId, events_sealed: s.sealJson(events, aref(auditId)), via: "api" }, comment, {
    organizationFromRequester: "fromActor" in requester && org === null,
  });
  audit(ctx, { action: "ticket.created", resourceType: "ticket", resourceId: ids.ticket, fields: Object.keys(input).filter((k) => k !== "requester") });
  // Presented from what was written, without reading it back inside the lock window.
  return presentTicket(ctx, {
    ...row,
    nice_id: ids.ticket,
    tags: row.tags,
    requester_nice: requester.niceId,
    submitter_nice: submitter.niceId,
    assignee_nice: assigneeNiceId,
    group_nice: group?.niceId ?? null,
    organization_id: ids.organization_id,
    organization_nice: ids.organization_nice,
    created_at: ids.created_at,
    updated_at: ids.updated_at,
  });
}

export async function showTicket(ctx: RequestContext, niceId: number): Promise<{ view: TicketView; row: repo.TicketRow }> {
  const actor = requireStaff(ctx);
  const t = await repo.findTicket(ctx.tx, niceId);
  if (!t || !ticketPolicy.view(actor, t)) throw notFound();
  return { view: await presentTicket(ctx, t), row: t };
}

/** How many tickets match a filter, counting no further than `cap` (then `capped`). */
export async function countTickets(ctx: RequestContext, where: Parameters<typeof repo.countTickets>[1], cap: number): Promise<{ count: number; capped: boolean }> {
  requireStaff(ctx);
  const n = await repo.countTickets(ctx.tx, where, cap);
  return n > cap ? { count: cap, capped: true } : { count: n, capped: false };
}

export async function showManyTickets(ctx: RequestContext, ids: number[]) {
  const actor = requireStaff(ctx);
  const rows = (await repo.findTickets(ctx.tx, ids)).filter((t) => ticketPolicy.view(actor, t));
  return { views: await Promise.all(rows.map((t) => presentTicket(ctx, t))), rows };
}

export async function listTickets(ctx: RequestContext, page: Page, where?: Parameters<typeof repo.listTickets>[2], sort?: repo.TicketSort) {
  requireStaff(ctx);
  const { rows, count } = await repo.listTickets(ctx.tx, page, where, sort);
  return { views: await Promise.all(rows.map((t) => presentTicket(ctx, t))), rows, count };
}

export async function updateTicket(ctx: RequestContext, niceId: number, input: TicketUpdateInput): Promise<{ ticket: TicketView; audit: AuditView }> {
  const actor = requireStaff(ctx);
  await loadFields(ctx);
  const t = await repo.findTicketForUpdate(ctx.tx, niceId);
  if (!t || !ticketPolicy.view(actor, t)) throw notFound();
  if (input.safe_update && input.updated_stamp && new Date(input.updated_stamp).getTime() !== t.updated_at.getTime()) {
    throw new AppError("Conflict", { description: "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again." });
  }
  const propertyKeys = Object.keys(input).filter((k) => !["comment", "safe_update", "updated_stamp"].includes(k));
  if (propertyKeys.length > 0 && !ticketPolicy.editProperties(actor)) throw forbidden("Light agents can only add internal notes.");
  if (input.comment && (input.comment.public ?? true) && !ticketPolicy.replyPublicly(actor)) {
    throw forbidden("Light agents can only add internal notes.");
  }
  if (t.status === "closed") throw invalid("status", "Status: closed prevents ticket update");

  const s = ctx.sealer;
  const patch: Parameters<typeof repo.updateTicket>[2] = {};
  const events: AuditEvent[] = [];
  const change = (field: string, value: unknown, previous: unknown) => events.push({ id: events.length + 1, type: "Change", field_name: field, value, previous_value: previous });

  if (input.subject !== undefined) {
    const prev = s.open(t.subject_sealed, tref(t.id, "subject"));
    if (prev !== input.subject) {
      patch.subject_sealed = s.seal(input.subject, tref(t.id, "subject"));
      change("subject", input.subject, prev);
    }
  }
  let assigneeId = t.assignee_id;
  const assignee = await resolveAssignee(ctx, input.assignee_id, input.assignee_email);
  if (assignee !== undefined && (assignee?.id ?? null) !== t.assignee_id) {
    assigneeId = assignee?.id ?? null;
    patch.assignee_id = assigneeId;
    change("assignee_id", assignee?.niceId ?? null, t.assignee_nice);
  }
  let status = input.status ?? t.status;
  if (input.status === undefined && t.status === "new" && patch.assignee_id) status = "open";
  if (status !== t.status) {
    checkTransition(t.status, status);
    if (status === "solved" && !assigneeId) {
      assigneeId = actor.userId;
      patch.assignee_id = assigneeId;
      change("assignee_id", actor.niceId, null);
    }
    patch.status = status;
    if (status === "solved") patch.solved_at = new Date();
    change("status", status, t.status);
  }
  if (input.priority !== undefined && input.priority !== t.priority) {
    patch.priority = input.priority;
    change("priority", input.priority, t.priority);
  }
  if (input.type !== undefined && input.type !== t.type) {
    patch.type = input.type;
    change("type", input.type, t.type);
  }
  if (input.group_id !== undefined) {
    const g = input.group_id === null ? null : await resolveGroup(ctx, input.group_id);
    if ((g?.id ?? null) !== t.group_id) {
      patch.group_id = g?.id ?? null;
      change("group_id", g?.niceId ?? null, t.group_nice);
    }
  }
  if (input.organization_id !== undefined) {
    const o = input.organization_id === null ? null : await resolveOrganization(ctx, input.organization_id);
    if ((o?.id ?? null) !== t.organization_id) {
      patch.organization_id = o?.id ?? null;
      change("organization_id", o?.niceId ?? null, t.organization_nice);
    }
  }
  if (input.requester_id !== undefined) {
    const r = await resolveUser(ctx, input.requester_id).catch(() => { throw invalid("requester_id", "Requester: not found"); });
    if (r.id !== t.requester_id) {
      patch.requester_id = r.id;
      change("requester_id", r.niceId, t.requester_nice);
    }
  }
  let tags = t.tags;
  if (input.tags !== undefined) tags = [...new Set(input.tags)];
  if (input.additional_tags) tags = [...new Set([...tags, ...input.additional_tags])];
  if (input.remove_tags) tags = tags.filter((x) => !input.remove_tags!.includes(x));
  if (tags.join(" ") !== t.tags.join(" ")) {
    patch.tags = tags;
    change("tags", tags, t.tags);
  }
  if (input.custom_fields ?? input.fields) {
    const current = t.custom_fields_sealed ? s.openJson<Record<string, CustomValue>>(t.custom_fields_sealed, tref(t.id, "custom_fields")) : {};
    const { values, changed } = await mergeCustomFields(ctx, current, input.custom_fields ?? input.fields);
    if (changed.length) {
      patch.custom_fields_sealed = s.sealJson(values, tref(t.id, "custom_fields"));
      for (const id of changed) change(String(id), values[String(id)], current[String(id)] ?? null);
    }
  }
  if (input.external_id !== undefined) {
    patch.external_id_sealed = input.external_id ? s.seal(input.external_id, tref(t.id, "external_id")) : null;
    patch.external_id_bidx = input.external_id ? s.blindIndex("ticket.external_id", input.external_id) : null;
    change("external_id", input.external_id, null);
  }
  if (input.due_at !== undefined) {
    patch.due_at = input.due_at ? new Date(input.due_at) : null;
    change("due_at", input.due_at, t.due_at?.toISOString() ?? null);
  }
  let comment: repo.NewComment | undefined;
  if (input.comment) {
    const isPublic = input.comment.public ?? true;
    const author = input.comment.author_id !== undefined ? await resolveUser(ctx, input.comment.author_id).catch(() => { throw invalid("comment.author_id", "Author: not found"); }) : { id: actor.userId, niceId: actor.niceId };
    comment = sealCommentFor(ctx, input.comment, author.id, isPublic);
    events.unshift({ id: 0, type: "Comment", body: commentBodies(input.comment).body, public: isPublic, author_id: author.niceId });
    events.forEach((e, i) => (e.id = i + 1));
  }
  const auditId = crypto.randomUUID();
  let auditNice: number | undefined;
  let updated = t;
  if (events.length > 0) {
    await repo.updateTicket(ctx.tx, t.id, patch);
    // Read back before the audit insert, which takes the tenant's counter locks until COMMIT.
    updated = (await repo.findTicket(ctx.tx, t.nice_id))!;
    const r = await repo.insertAudit(ctx.tx, t.id, { id: auditId, author_id: actor.userId, events_sealed: s.sealJson(events, aref(auditId)), via: "api" }, comment);
    auditNice = r.audit;
    const fields = events.filter((e) => e.type === "Change").map((e) => (/^\d+$/.test(e.field_name!) ? "custom_fields" : e.field_name!));
    audit(ctx, { action: "ticket.updated", resourceType: "ticket", resourceId: t.nice_id, fields: [...new Set([...fields, ...(comment ? [comment.public ? "comment" : "note"] : [])])] });
  }
  return {
    ticket: await presentTicket(ctx, updated),
    audit: { id: auditNice ?? 0, ticket_id: t.nice_id, author_id: actor.niceId, created_at: updated.updated_at.toISOString(), events, via: { channel: "api" }, metadata: {} },
  };
}

export async function deleteTicket(ctx: RequestContext, niceId: number): Promise<void> {
  const actor = requireStaff(ctx);
  const t = await repo.findTicketForUpdate(ctx.tx, niceId);
  if (!t || !ticketPolicy.view(actor, t)) throw notFound();
  if (!ticketPolicy.delete(actor)) throw forbidden();
  await repo.softDeleteTicket(ctx.tx, t.id);
  audit(ctx, { action: "ticket.deleted", resourceType: "ticket", resourceId: niceId });
}

export async function listComments(ctx: RequestContext, niceId: number, page: Page): Promise<{ views: CommentView[]; authorIds: string[]; count: number | undefined }> {
  const actor = requireStaff(ctx);
  const t = await repo.findTicket(ctx.tx, niceId);
  if (!t || !ticketPolicy.view(actor, t)) throw notFound();
  const { rows, count } = await repo.listComments(ctx.tx, t.id, page);
  const views = rows.map((c) => {
    const body = ctx.sealer.open(c.body_sealed, cref(c.id, "body"));
    return {
      id: c.nice_id,
      type: "Comment" as const,
      author_id: c.author_nice,
      body,
      html_body: ctx.sealer.open(c.html_body_sealed, cref(c.id, "html_body")),
      plain_body: body,
      public: c.public,
      audit_id: c.audit_nice,
      attachments: [],
      created_at: c.created_at.toISOString(),
      via: { channel: c.via },
    };
  });
  return { views, authorIds: rows.map((r) => r.author_id), count };
}

export async function listAudits(ctx: RequestContext, niceId: number, page: Page): Promise<{ views: AuditView[]; count: number | undefined }> {
  const actor = requireStaff(ctx);
  const t = await repo.findTicket(ctx.tx, niceId);
  if (!t || !ticketPolicy.view(actor, t)) throw notFound();
  const { rows, count } = await repo.listAudits(ctx.tx, t.id, page);
  const views = rows.map((a) => ({
    id: a.nice_id,
    ticket_id: niceId,
    author_id: a.author_nice,
    created_at: a.created_at.toISOString(),
    events: ctx.sealer.openJson<AuditEvent[]>(a.events_sealed, aref(a.id)),
    via: { channel: a.via },
    metadata: {},
  }));
  return { views, count };
}
