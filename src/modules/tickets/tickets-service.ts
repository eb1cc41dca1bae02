import { sql, type SqlBool } from "kysely";
import type { AppDeps } from "../../platform/deps.ts";
import { dropUndelivered } from "../../platform/jobs/mail-job.ts";
import { attachmentsOfComments } from "./attachments-service.ts";
import { appliedMacros, countUses, macroEvents, withMacroTitles } from "../macros/macros-usage.ts";
import { redactSensitive } from "../../platform/redaction.ts";
import { detectorsFor } from "../privacy/redaction-service.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { actorUser, type RequestContext, type UserActor } from "../../platform/context.ts";
import type { TicketStatus } from "../../platform/db/schema.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { resolveGroup } from "../groups/groups-service.ts";
import { resolveOrganization, showOrganization } from "../organizations/organizations-service.ts";
import { findOrCreateByEmail, findUserByEmail, resolveUser, showUser } from "../users/users-service.ts";
import { changedByRules } from "./rule-write.ts";
import { changeTicket, channelOf, deleteTicket as removeTicket, openTicket, redactComment as writeRedaction, type CommentDraft, type Person } from "./conversation.ts";
import { checkTransition, commentBodies, fieldAccess, normalizeCustomValue, type CustomValue, type FieldDef } from "./tickets-fns.ts";
import { hiddenFieldIds, loadFields, readerOf, visibleValues } from "./field-defs.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import * as repo from "./tickets-repo.ts";
import { ratingBadgeOf, ratingLookup, type RatingLookup } from "./satisfaction-service.ts";
import type { AuditEvent, AuditView, CommentInput, CommentView, TicketCreateInput, TicketUpdateInput, TicketView } from "./tickets-types.ts";

/** Tickets with their conversation (comments) and history (ticket audits). Content is sealed. */

const tref = refsOf("tickets");
const cref = refsOf("ticket_comments");
const aref = (id: string) => refsOf("ticket_audits")(id, "events");

/**
 * A ticket as the API shows it. `ratings`: the satisfaction setting and ratings of a page of
 * tickets, looked up once for the page (ticketsView); without it, this ticket's are looked up.
 */
export async function presentTicket(ctx: RequestContext, t: repo.TicketRow, ratings?: RatingLookup): Promise<TicketView> {
  const s = ctx.sealer;
  const lookup = ratings ?? (await ratingLookup(ctx, [t.id]));
  const subject = s.open(t.subject_sealed, tref(t.id, "subject"));
  const values = t.custom_fields_sealed ? s.openJson<Record<string, CustomValue>>(t.custom_fields_sealed, tref(t.id, "custom_fields")) : {};
  const custom = visibleValues(await loadFields(ctx), values, readerOf(ctx));
  return {
    ...ticketFrame(ctx, t),
    external_id: t.external_id_sealed ? s.open(t.external_id_sealed, tref(t.id, "external_id")) : null,
    subject,
    raw_subject: subject,
    description: s.open(t.description_sealed, tref(t.id, "description")),
    status: t.status,
    tags: t.tags,
    custom_fields: custom,
    fields: custom,
    satisfaction_rating: ratingBadgeOf(ctx, lookup, t),
  };
}

/** A page of tickets as the API shows them: their ratings looked up once for the page. */
async function ticketsView(ctx: RequestContext, rows: readonly repo.TicketRow[]): Promise<TicketView[]> {
  const ratings = await ratingLookup(ctx, rows.map((t) => t.id));
  return Promise.all(rows.map((t) => presentTicket(ctx, t, ratings)));
}

/** A ticket's numbers, people and dates: everything of its view but its content and status. */
function ticketFrame(ctx: RequestContext, t: repo.TicketRow): Omit<TicketView, "external_id" | "subject" | "raw_subject" | "description" | "status" | "tags" | "custom_fields" | "fields" | "satisfaction_rating"> {
  return {
    id: t.nice_id,
    url: `${ctx.apiBase}/tickets/${t.nice_id}.json`,
    type: t.type,
    priority: t.priority,
    requester_id: t.requester_nice,
    submitter_id: t.submitter_nice,
    assignee_id: t.assignee_nice,
    organization_id: t.organization_nice,
    group_id: t.group_nice,
    due_at: t.due_at?.toISOString() ?? null,
    created_at: t.created_at.toISOString(),
    updated_at: t.updated_at.toISOString(),
    is_public: t.is_public,
    via: { channel: t.via },
    // PostgreSQL answers a bigint[] as strings (PGlite as numbers): numbers either way.
    collaborator_ids: (t.cc_nice_ids ?? []).map(Number),
    email_cc_ids: (t.cc_nice_ids ?? []).map(Number),
  };
}

function requireStaff(ctx: RequestContext) {
  const a = actorUser(ctx);
  if (!ticketPolicy.useWorkspace(a)) throw forbidden("End users reach their tickets through the requests API.");
  return a;
}

/**
 * The values after a write of custom fields. A field hidden from the caller answers like a missing
 * one (422); a read-only one answers 403 naming it when the write would change it (a client that
 * sends every field back unchanged is not refused).
 */
export async function mergeCustomFields(ctx: RequestContext, current: Record<string, CustomValue>, input: Array<{ id: number; value: CustomValue }> | undefined) {
  if (!input || input.length === 0) return { values: current, changed: [] as number[] };
  const { defs } = await loadFields(ctx);
  const reader = readerOf(ctx);
  const detectors = await detectorsFor(ctx);
  const values = { ...current };
  const changed: number[] = [];
  for (const { id, value } of input) {
    const def = defs.get(id);
    const access = def ? fieldAccess(def, reader) : "hidden";
    if (!def || !def.active || access === "hidden") throw invalid(`custom_fields.${id}`, "is not an active ticket field");
    const v = normalizeCustomValue(def, value, detectors);
    if ((values[String(id)] ?? null) !== v) {
      if (access !== "edit") throw readOnlyField(def);
      values[String(id)] = v;
      changed.push(id);
    }
  }
  return { values, changed };
}

const readOnlyField = (def: FieldDef) =>
  new AppError("Forbidden", {
    description: `The field “${def.title}” (${def.niceId}) is read-only for you.`,
    details: { [`custom_fields.${def.niceId}`]: [{ description: `“${def.title}” is read-only for your role`, error: "ReadOnly" }] },
  });

async function resolveAssignee(ctx: RequestContext, niceId: number | null | undefined, email: string | undefined) {
  if (niceId === null) return null;
  let u: Awaited<ReturnType<typeof resolveUser>> | undefined;
  if (niceId !== undefined) u = await resolveUser(ctx, niceId).catch(() => undefined);
  else if (email !== undefined) {
    u = await findUserByEmail(ctx, email);
  } else return undefined;
  // The operator's support user is nobody's assignee (it acts only while a grant is live).
  if (!u || !ticketPolicy.assignable(u.role) || u.support) throw invalid("assignee_id", "Assignee: must be an agent who can be assigned tickets");
  return u;
}

/**
 * The person `requester_id` names: someone of this tenant who is still there (another tenant's id,
 * a deleted person or the operator's support user answers like a missing one, 422).
 */
async function resolveRequester(ctx: RequestContext, niceId: number): Promise<Awaited<ReturnType<typeof resolveUser>>> {
  const u = await resolveUser(ctx, niceId).catch(() => undefined);
  if (!u || !u.active || u.support) throw invalid("requester_id", "Requester: not found");
  return u;
}

/**
 * The people `collaborator_ids` names, each once, the requester left out: users of this tenant
 * only (another tenant's id answers like a missing one, 422).
 */
async function resolveCcs(ctx: RequestContext, ids: readonly number[] | undefined, requesterId: string): Promise<Person[] | undefined> {
  if (ids === undefined) return undefined;
  const people: Person[] = [];
  for (const id of new Set(ids)) {
    const u = await resolveUser(ctx, id).catch(() => {
      throw invalid("collaborator_ids", "CCs: a user was not found");
    });
    if (u.id !== requesterId) people.push(u);
  }
  return people.sort((x, y) => x.niceId - y.niceId);
}

/** The comment a create or update names: its author (the caller unless `author_id` names someone) and bodies. */
async function commentDraft(ctx: RequestContext, actor: UserActor, input: CommentInput | { body: string }, defaultAuthor: Person | undefined): Promise<CommentDraft> {
  const authorId = "author_id" in input ? input.author_id : undefined;
  const author: Person =
    authorId !== undefined
      ? await resolveUser(ctx, authorId).catch(() => {
          throw invalid("comment.author_id", "Author: not found");
        })
      : (defaultAuthor ?? { id: actor.userId, niceId: actor.niceId, role: actor.role });
  const { body, html } = commentBodies(input);
  return { author, public: ("public" in input ? input.public : undefined) ?? true, body, html, uploads: "uploads" in input ? input.uploads : undefined };
}

export async function createTicket(ctx: RequestContext, input: TicketCreateInput): Promise<TicketView> {
  const actor = requireStaff(ctx);
  if (!ticketPolicy.create(actor)) throw forbidden();
  // Someone else as the requester, or anyone copied, is a choice of who the ticket's mail reaches.
  if (input.requester !== undefined || (input.requester_id !== undefined && input.requester_id !== actor.niceId) || (input.collaborator_ids?.length ?? 0) > 0) {
    const d = ticketPolicy.chooseRecipients(actor);
    if (!d.ok) throw forbidden(d.reason);
  }
  // Everything that reads runs before the insert: the insert takes the tenant's ticket counter
  // lock, held until COMMIT, which follows in the next round trip.
  await loadFields(ctx);
  // Resolve every reference first: ids from another tenant do not resolve, exactly like missing ones.
  let requester: Person & { organizationId?: string | null; organizationNiceId?: number | null };
  if (input.requester_id !== undefined) requester = await resolveRequester(ctx, input.requester_id);
  else if (input.requester) {
    const found = await findOrCreateByEmail(ctx, input.requester.email, input.requester.name);
    // A deleted person's address still finds them: they ask nothing any more (as `requester_id`).
    if (!found.active || found.support) throw invalid("requester", "Requester: this person was deleted");
    requester = found;
  }
  // The caller: no lookup needed (its organization is read inside the insert).
  else requester = { id: actor.userId, niceId: actor.niceId, role: actor.role };
  const submitter: Person = input.submitter_id !== undefined ? await resolveUser(ctx, input.submitter_id).catch(() => { throw invalid("submitter_id", "Submitter: not found"); }) : { id: actor.userId, niceId: actor.niceId, role: actor.role };
  const assignee = await resolveAssignee(ctx, input.assignee_id, input.assignee_email);
  const group = input.group_id ? await resolveGroup(ctx, input.group_id) : null;
  const org = input.organization_id ? await resolveOrganization(ctx, input.organization_id) : requester.organizationId ? { id: requester.organizationId, niceId: requester.organizationNiceId! } : null;
  const { values } = await mergeCustomFields(ctx, {}, input.custom_fields ?? input.fields);
  const ccs = (await resolveCcs(ctx, input.collaborator_ids, requester.id)) ?? [];
  const macros = await appliedMacros(ctx, actor, input.macro_ids);

  const status: TicketStatus = input.status ?? (assignee ? "open" : "new");
  const solvedBySelf = !assignee && status === "solved";
  const comment = await commentDraft(ctx, actor, input.comment ?? { body: input.description ?? "" }, submitter);
  const opened = await openTicket(
    ctx,
    {
      subject: input.subject ?? input.raw_subject,
      status,
      priority: input.priority ?? null,
      type: input.type ?? null,
      requester,
      submitter,
      assigneeId: assignee?.id ?? (solvedBySelf ? actor.userId : null),
      groupId: group?.id ?? null,
      organizationId: org?.id ?? (requester.organizationId === undefined ? "requester's" : null),
      tags: input.tags ?? [],
      customFields: values,
      externalId: input.external_id ?? null,
      dueAt: input.due_at ? new Date(input.due_at) : null,
      comment,
      ccUserIds: ccs.map((p) => p.id),
      events: [
        ...(input.priority ? [{ id: 0, type: "Create" as const, field_name: "priority", value: input.priority }] : []),
        ...(ccs.length ? [{ id: 0, type: "Create" as const, field_name: "collaborator_ids", value: ccs.map((p) => p.niceId) }] : []),
        ...(input.type ? [{ id: 0, type: "Create" as const, field_name: "type", value: input.type }] : []),
        ...(input.tags?.length ? [{ id: 0, type: "Create" as const, field_name: "tags", value: input.tags }] : []),
        ...macroEvents(macros),
      ],
      action: "ticket.created",
      fields: Object.keys(input).filter((k) => k !== "requester"),
    },
    channelOf(ctx),
  );
  await countUses(ctx, macros);
  // Presented from what was written, without reading it back inside the lock window, unless a
  // trigger changed it since (then as the triggers left it, when the caller still sees it).
  const ruled = changedByRules(ctx, opened.row.id) ? await repo.findTicket(ctx.tx, opened.row.nice_id, ticketPolicy.scope(actor)) : undefined;
  if (ruled) return presentTicket(ctx, ruled);
  return presentTicket(ctx, {
    ...opened.row,
    assignee_nice: assignee?.niceId ?? (solvedBySelf ? actor.niceId : null),
    group_nice: group?.niceId ?? null,
    cc_nice_ids: ccs.map((p) => p.niceId),
  });
}

export async function showTicket(ctx: RequestContext, niceId: number): Promise<{ view: TicketView; row: repo.TicketRow; abilities: ReturnType<typeof ticketPolicy.abilitiesFor> }> {
  const actor = requireStaff(ctx);
  const t = await repo.findTicket(ctx.tx, niceId, ticketPolicy.scope(actor));
  if (!t) throw notFound();
  return { view: await presentTicket(ctx, t), row: t, abilities: ticketPolicy.abilitiesFor(actor, t) };
}

/** How many tickets match a filter, counting no further than `cap` (then `capped`). */
export async function countTickets(ctx: RequestContext, where: Parameters<typeof repo.countTickets>[2], cap: number): Promise<{ count: number; capped: boolean }> {
  const actor = requireStaff(ctx);
  const n = await repo.countTickets(ctx.tx, ticketPolicy.scope(actor), where, cap);
  return n > cap ? { count: cap, capped: true } : { count: n, capped: false };
}

export async function showManyTickets(ctx: RequestContext, ids: number[]) {
  const actor = requireStaff(ctx);
  const rows = await repo.findTickets(ctx.tx, ids, ticketPolicy.scope(actor));
  return { views: await ticketsView(ctx, rows), rows };
}

/**
 * The tickets the actor may see, as a subquery of nice_ids (the search index's key), when that is not every ticket of the
 * tenant (undefined then): a text search ranks by statistics of these alone (search-index.ts).
 */
export function visibleTicketNiceIds(ctx: RequestContext) {
  const scope = ticketPolicy.scope(requireStaff(ctx));
  return scope.kind === "all" ? undefined : repo.ticketNiceIdsIn(ctx.tx, scope);
}

/**
 * A `where` for listTickets: tickets whose requester's processing is not restricted (bulk exports
 * leave the others out: GDPR art. 18, docs/privacy.md).
 */
export const unrestrictedRequester: NonNullable<Parameters<typeof repo.listTickets>[3]> = repo.requesterNotRestricted;

export async function listTickets(ctx: RequestContext, page: Page, where?: Parameters<typeof repo.listTickets>[3], sort?: repo.TicketSort | repo.TicketOrder) {
  const actor = requireStaff(ctx);
  const { rows, count } = await repo.listTickets(ctx.tx, page, ticketPolicy.scope(actor), where, sort);
  return { views: await ticketsView(ctx, rows), rows, count };
}

/** Most tags a ticket holds (as many as one request may set). */
const TAGS_MAX = 100;

/** Whose tickets `listTicketsOf` lists (Zendesk's `/users/{id}/tickets/…` and `/organizations/{id}/tickets`). */
export type TicketParty = { kind: "requested" | "ccd" | "assigned"; userId: number } | { kind: "organization"; organizationId: number };

/**
 * The tickets of one person (those they requested, are copied on, or are assigned) or of one
 * organization, as the caller's own ticket access allows (listTickets' scope). A person the caller
 * may not see, or an id of nobody (another tenant's too), answers 404 like a missing one.
 */
export async function listTicketsOf(ctx: RequestContext, page: Page, party: TicketParty) {
  requireStaff(ctx);
  if (party.kind === "organization") {
    await showOrganization(ctx, party.organizationId);
    const o = await resolveOrganization(ctx, party.organizationId);
    return listTickets(ctx, page, (q) => q.where("t.organization_id", "=", o.id));
  }
  await showUser(ctx, party.userId);
  const u = await resolveUser(ctx, party.userId);
  if (party.kind === "ccd") {
    return listTickets(ctx, page, (q) => q.where(sql<SqlBool>`EXISTS (SELECT 1 FROM ticket_ccs c WHERE c.tenant_id = t.tenant_id AND c.ticket_id = t.id AND c.user_id = ${u.id})`));
  }
  return listTickets(ctx, page, (q) => q.where(party.kind === "requested" ? "t.requester_id" : "t.assignee_id", "=", u.id));
}

/** A ticket in an incremental export: the trash's come with Zendesk's status `deleted`. */
export type ChangedTicketView = Omit<TicketView, "status"> & { status: TicketView["status"] | "deleted" };

/**
 * Tickets changed after a position (incremental exports; their policy decides who may ask), those
 * whose requester's processing is restricted left out. A ticket in the trash comes with status
 * `deleted` and without its content (subject, description, fields, tags, external id): what a
 * system kept in step needs is to remove it, and a restore brings it back whole as a new change.
 */
export async function changedTickets(ctx: RequestContext, after: repo.ChangePosition, until: Date, limit: number): Promise<{ views: ChangedTicketView[]; keys: string[] }> {
  const actor = requireStaff(ctx);
  const rows = await repo.listChangedTickets(ctx.tx, ticketPolicy.scope(actor), after, until, limit, unrestrictedRequester);
  const ratings = await ratingLookup(ctx, rows.filter((t) => !t.deleted).map((t) => t.id));
  const views = await Promise.all(
    rows.map(async (t): Promise<ChangedTicketView> =>
      t.deleted
        ? { ...deletedShell(ctx, t), status: "deleted" }
        : presentTicket(ctx, t, ratings),
    ),
  );
  return { views, keys: rows.map((r) => r.sort_key) };
}

/** One ticket audit as Zendesk's incremental ticket events export gives it. */
export type TicketEventView = {
  id: number;
  ticket_id: number;
  timestamp: number;
  created_at: string;
  updater_id: number | null;
  via: string;
  event_type: "Audit";
  child_events: Array<Omit<AuditEvent, "type"> & { event_type: AuditEvent["type"]; via: string }>;
};

/**
 * Ticket audits in the order they were made (the incremental ticket events export; owners and
 * admins, exports-incremental.ts): tickets in the trash and those of, or by, people whose
 * processing is restricted are left out. Comment events (their bodies) only with `commentEvents`,
 * as Zendesk's `include=comment_events`; the other child events are the audit's changes.
 */
export async function changedTicketEvents(ctx: RequestContext, after: repo.ChangePosition, until: Date, limit: number, opts: { commentEvents: boolean }): Promise<{ views: TicketEventView[]; keys: string[] }> {
  const actor = requireStaff(ctx);
  const rows = await repo.listChangedAudits(ctx.tx, ticketPolicy.scope(actor), after, until, limit);
  const hidden = hiddenFieldIds(await loadFields(ctx), readerOf(ctx));
  const restricted = new Set(rows.length ? await repo.restrictedPeople(ctx.tx) : []);
  const opened = await withMacroTitles(ctx, actor, rows.map((a) => withoutRestricted(withoutHidden(ctx.sealer.openJson<AuditEvent[]>(a.events_sealed, aref(a.id)), hidden), restricted)));
  const views = rows.map((a, i): TicketEventView => {
    const events = opened[i]!;
    return {
      id: a.nice_id,
      ticket_id: a.ticket_nice,
      timestamp: Math.floor(a.created_at.getTime() / 1000),
      created_at: a.created_at.toISOString(),
      updater_id: a.author_nice,
      via: a.via,
      event_type: "Audit",
      child_events: events.filter((e) => opts.commentEvents || e.type !== "Comment").map(({ type, ...e }) => ({ ...e, event_type: type, via: a.via })),
    };
  });
  return { views, keys: rows.map((r) => r.sort_key) };
}

/** Fields of audit events whose values are people's public ids (one, or a list). */
const PERSON_FIELDS = new Set(["requester_id", "assignee_id", "submitter_id", "collaborator_ids", "email_cc_ids"]);

/**
 * An audit's events as they may leave for other systems: no comment written in the name of a
 * person whose processing is restricted, and such a person named in no field's value (left out
 * of a list, null for one), as the tickets stream leaves them out of CC lists.
 */
function withoutRestricted(events: AuditEvent[], restricted: ReadonlySet<number>): AuditEvent[] {
  if (restricted.size === 0) return events;
  const scrub = (v: unknown) => (Array.isArray(v) ? v.filter((x) => !(typeof x === "number" && restricted.has(x))) : typeof v === "number" && restricted.has(v) ? null : v);
  return events
    .filter((e) => !(e.type === "Comment" && e.author_id !== undefined && restricted.has(e.author_id)))
    .map((e) => (e.field_name && PERSON_FIELDS.has(e.field_name) ? { ...e, ...("value" in e ? { value: scrub(e.value) } : {}), ...("previous_value" in e ? { previous_value: scrub(e.previous_value) } : {}) } : e));
}

/** A deleted ticket's place in a stream: its numbers, people and dates, none of its content. */
function deletedShell(ctx: RequestContext, t: repo.TicketRow): Omit<TicketView, "status"> {
  return { ...ticketFrame(ctx, t), external_id: null, subject: "", raw_subject: "", description: "", tags: [], custom_fields: [], fields: [], satisfaction_rating: null };
}

export async function updateTicket(ctx: RequestContext, niceId: number, input: TicketUpdateInput): Promise<{ ticket: TicketView; audit: AuditView }> {
  const actor = requireStaff(ctx);
  await loadFields(ctx);
  const t = await repo.findTicketForUpdate(ctx.tx, niceId, ticketPolicy.scope(actor));
  if (!t) throw notFound();
  if (input.safe_update && input.updated_stamp && new Date(input.updated_stamp).getTime() !== t.updated_at.getTime()) {
    throw new AppError("Conflict", { description: "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again." });
  }
  // Naming the macros applied is no property change: a light agent's reply from a macro names it too.
  const propertyKeys = Object.keys(input).filter((k) => !["comment", "safe_update", "updated_stamp", "macro_ids"].includes(k));
  if (propertyKeys.length > 0 && !ticketPolicy.editProperties(actor)) throw forbidden(ticketPolicy.editRefusal(actor));
  if (input.comment && (input.comment.public ?? true) && !ticketPolicy.replyPublicly(actor)) throw forbidden(ticketPolicy.publicReplyRefusal(actor));
  if (t.status === "closed") throw invalid("status", "Status: closed prevents ticket update");
  // Checked before anything is written (CCs below are written before the change is recorded).
  const macros = await appliedMacros(ctx, actor, input.macro_ids);

  const s = ctx.sealer;
  const patch: repo.TicketPatch = {};
  const events: AuditEvent[] = [];
  const change = (field: string, value: unknown, previous: unknown) => events.push({ id: events.length + 1, type: "Change", field_name: field, value, previous_value: previous });

  if (input.subject !== undefined) {
    const prev = s.open(t.subject_sealed, tref(t.id, "subject"));
    const subject = redactSensitive(input.subject, await detectorsFor(ctx));
    if (prev !== subject) {
      patch.subject_sealed = s.seal(subject, tref(t.id, "subject"));
      change("subject", subject, prev);
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
    if (status === "solved") patch.solved_at = ctx.now();
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
    const r = await resolveRequester(ctx, input.requester_id);
    if (r.id !== t.requester_id) {
      const d = ticketPolicy.chooseRecipients(actor);
      if (!d.ok) throw forbidden(d.reason);
      patch.requester_id = r.id;
      change("requester_id", r.niceId, t.requester_nice);
      // The ticket goes with its new requester to their organization (none when they have none),
      // unless the change names one: the previous requester's organization no longer shares it.
      if (input.organization_id === undefined && (r.organizationId ?? null) !== t.organization_id) {
        patch.organization_id = r.organizationId ?? null;
        change("organization_id", r.organizationNiceId ?? null, t.organization_nice);
      }
    }
  }
  // CCs are written before the change is recorded: a CC added with a public comment hears of it.
  const ccs = await resolveCcs(ctx, input.collaborator_ids, patch.requester_id ?? t.requester_id);
  if (ccs !== undefined) {
    const current = await repo.listCcs(ctx.tx, t.id);
    const next = ccs.map((p) => p.id);
    const gone = current.filter((id) => !next.includes(id));
    const added = next.filter((id) => !current.includes(id));
    if (gone.length || added.length) {
      const d = ticketPolicy.chooseRecipients(actor);
      if (!d.ok) throw forbidden(d.reason);
      await repo.removeCcs(ctx.tx, t.id, gone);
      await repo.addCcs(ctx.tx, t.id, added);
      change("collaborator_ids", ccs.map((p) => p.niceId), (t.cc_nice_ids ?? []).map(Number));
    }
  }
  let tags = t.tags;
  if (input.tags !== undefined) tags = [...new Set(input.tags)];
  if (input.additional_tags) tags = [...new Set([...tags, ...input.additional_tags])];
  if (input.remove_tags) tags = tags.filter((x) => !input.remove_tags!.includes(x));
  // The limit of a set of tags holds for the ticket's whole set, however it grows (adds one request at a time).
  if (tags.length > TAGS_MAX && tags.length > t.tags.length) throw invalid("tags", `Tags: at most ${TAGS_MAX} on a ticket`, "TooMany");
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
  const comment = input.comment ? await commentDraft(ctx, actor, input.comment, undefined) : undefined;
  const fields = [...events.map((e) => (/^\d+$/.test(e.field_name!) ? "custom_fields" : e.field_name!)), ...(macros.length ? ["macro_ids"] : [])];
  events.push(...macroEvents(macros));
  const r = await changeTicket(ctx, t, { patch, events, comment, action: "ticket.updated", fields }, channelOf(ctx));
  // Counted only when the write records them (it records nothing when nothing changed and no macro is named).
  if (r.auditNiceId) await countUses(ctx, macros);
  // As a trigger left it, if one changed it (and the caller still sees it).
  const ruled = changedByRules(ctx, t.id) ? await repo.findTicket(ctx.tx, t.nice_id, ticketPolicy.scope(actor)) : undefined;
  return {
    ticket: await presentTicket(ctx, ruled ?? r.row),
    audit: { id: r.auditNiceId, ticket_id: t.nice_id, author_id: actor.niceId, created_at: r.row.updated_at.toISOString(), events: (await withMacroTitles(ctx, actor, [withoutHidden(r.events, hiddenFieldIds(await loadFields(ctx), readerOf(ctx)))]))[0]!, via: { channel: channelOf(ctx) }, metadata: {} },
  };
}

export async function deleteTicket(ctx: RequestContext, niceId: number): Promise<void> {
  const actor = requireStaff(ctx);
  const t = await repo.findTicketForUpdate(ctx.tx, niceId, ticketPolicy.scope(actor));
  if (!t) throw notFound();
  if (!ticketPolicy.delete(actor)) throw forbidden();
  await removeTicket(ctx, t);
  // Notifications about it the relay never took go with it.
  await dropUndelivered(ctx.tx, { ticketId: t.id });
}

export async function listComments(deps: Pick<AppDeps, "scanner">, ctx: RequestContext, niceId: number, page: Page): Promise<{ views: CommentView[]; authorIds: string[]; count: number | undefined }> {
  const actor = requireStaff(ctx);
  const t = await repo.findTicket(ctx.tx, niceId, ticketPolicy.scope(actor));
  if (!t) throw notFound();
  const { rows, count } = await repo.listComments(ctx.tx, t.id, page);
  const views = await presentComments(deps, ctx, rows);
  // Writers are sideloaded with the authors, so a comment written for someone can name both.
  return { views, authorIds: rows.flatMap((r) => (r.written_by && r.written_by !== r.author_id ? [r.author_id, r.written_by] : [r.author_id])), count };
}

async function presentComments(deps: Pick<AppDeps, "scanner">, ctx: RequestContext, rows: repo.CommentRow[]): Promise<CommentView[]> {
  const files = await attachmentsOfComments(deps, ctx, rows.map((c) => c.id));
  return rows.map((c) => {
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
      attachments: files.get(c.id) ?? [],
      created_at: c.created_at.toISOString(),
      via: { channel: c.via },
      written_by_id: c.written_by_nice,
    };
  });
}

/**
 * Redacts a string from a comment for good (Zendesk's comment redaction; the conversation writer
 * does the rewriting). Staff whose role allows redaction, on tickets they see; a comment not
 * holding the string is answered unchanged.
 */
export async function redactComment(deps: Pick<AppDeps, "scanner">, ctx: RequestContext, ticketNiceId: number, commentNiceId: number, text: string): Promise<CommentView> {
  const actor = requireStaff(ctx);
  const t = await repo.findTicketForUpdate(ctx.tx, ticketNiceId, ticketPolicy.scope(actor));
  if (!t) throw notFound();
  if (!ticketPolicy.redact(actor)) throw forbidden("Your role does not allow redaction.");
  if ((await writeRedaction(ctx, t, commentNiceId, text)) === undefined) throw notFound();
  const row = await repo.findComment(ctx.tx, t.id, commentNiceId);
  return (await presentComments(deps, ctx, [row!]))[0]!;
}

export async function listAudits(ctx: RequestContext, niceId: number, page: Page): Promise<{ views: AuditView[]; count: number | undefined }> {
  const actor = requireStaff(ctx);
  const t = await repo.findTicket(ctx.tx, niceId, ticketPolicy.scope(actor));
  if (!t) throw notFound();
  const { rows, count } = await repo.listAudits(ctx.tx, t.id, page);
  const hidden = hiddenFieldIds(await loadFields(ctx), readerOf(ctx));
  const opened = await withMacroTitles(ctx, actor, rows.map((a) => withoutHidden(ctx.sealer.openJson<AuditEvent[]>(a.events_sealed, aref(a.id)), hidden)));
  const views = rows.map((a, i) => {
    const events = opened[i]!;
    const rule = a.via === "rule" ? events.find((e) => e.rule)?.rule : undefined;
    return {
      id: a.nice_id,
      ticket_id: niceId,
      author_id: a.author_nice,
      created_at: a.created_at.toISOString(),
      events,
      via: { channel: a.via, ...(rule ? { source: { from: { id: rule.id, title: rule.title }, rel: rule.rel ?? "trigger" } } : {}) },
      metadata: {},
    };
  });
  return { views, count };
}

/** A ticket audit's events without changes of custom fields hidden from the reader (named by their ids). */
const withoutHidden = (events: AuditEvent[], hidden: Set<string>) => (hidden.size ? events.filter((e) => !(e.field_name && hidden.has(e.field_name))) : events);

/** Of each ticket, at most this many comments are read for its search snippet: its first and its latest. */
const SNIPPET_COMMENTS = 20;

/**
 * The comment bodies, decrypted, that search snippets are built from, by ticket id (oldest first).
 * `ticketIds` come from a page of hits the caller's scope already allowed; `internal`: notes too,
 * for readers who may see them (ticketPolicy.readInternalNotes). Nothing decrypted here is kept.
 */
export async function commentTextsForSnippets(ctx: RequestContext, ticketIds: readonly string[], opts: { internal: boolean }): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const c of await repo.commentBodiesOf(ctx.tx, ticketIds, !opts.internal, SNIPPET_COMMENTS)) {
    const list = out.get(c.ticket_id) ?? [];
    list.push(ctx.sealer.open(c.body_sealed, cref(c.id, "body")));
    out.set(c.ticket_id, list);
  }
  return out;
}

/** For routes under a ticket (attachments): the ticket's internal id when the actor may see it, else 404. */
/** A ticket's internal id by its public id, deleted or not (an admin's legal hold), inside the tenant. */
export async function findTicketIdAnyState(ctx: RequestContext, niceId: number): Promise<string | undefined> {
  return repo.findTicketIdAnyState(ctx.tx, niceId);
}

export async function findVisibleTicketId(ctx: RequestContext, niceId: number): Promise<string> {
  const actor = actorUser(ctx);
  const t = await repo.findTicket(ctx.tx, niceId, ticketPolicy.scope(actor));
  if (!t) throw notFound();
  return t.id;
}

/** A ticket's text as the search index takes it: the subject, and the comments in the order they were written. */
export type IndexableTicket = { id: string; deleted: boolean; subject: string; comments: Array<{ body: string; public: boolean }> };

/** Only the system's own work (the search index's rebuild, run as a job or by the operator) reads every ticket's text regardless of policy. */
function systemOnly(ctx: RequestContext): void {
  if (ctx.actor.kind !== "system" && ctx.actor.kind !== "operator") throw forbidden();
}

/**
 * Up to `limit` tickets after `after` (their internal ids, in order), with their text opened, for
 * rebuilding the search index. Their rows stay locked until the transaction ends, so no write
 * changes one of them while its index entries are rebuilt. A deleted ticket comes without text.
 */
export async function ticketsToIndex(ctx: RequestContext, after: string, limit: number): Promise<IndexableTicket[]> {
  systemOnly(ctx);
  const rows = await repo.ticketsAfterForUpdate(ctx.tx, after, limit);
  const live = rows.filter((r) => !r.deleted_at).map((r) => r.id);
  const comments = new Map<string, Array<{ body: string; public: boolean }>>();
  for (const c of await repo.commentsOfTickets(ctx.tx, live)) {
    const list = comments.get(c.ticket_id) ?? [];
    list.push({ body: ctx.sealer.open(c.body_sealed, cref(c.id, "body")), public: c.public });
    comments.set(c.ticket_id, list);
  }
  return rows.map((r) =>
    r.deleted_at ? { id: r.id, deleted: true, subject: "", comments: [] } : { id: r.id, deleted: false, subject: ctx.sealer.open(r.subject_sealed, tref(r.id, "subject")), comments: comments.get(r.id) ?? [] },
  );
}

/** How many tickets the tenant holds, deleted ones too (the rebuild's progress counts them). */
export async function countTicketsToIndex(ctx: RequestContext): Promise<number> {
  systemOnly(ctx);
  return repo.countAllTickets(ctx.tx);
}
