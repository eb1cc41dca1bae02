import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { RequestContext } from "../../platform/context.ts";
import { idList, lineText, pageQuery, publicId, publicIdParam, tags } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { pageEnvelope, parsePage, listEnvelope } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { presentGroupsByIds } from "../groups/groups-service.ts";
import { presentOrgsByIds } from "../organizations/organizations-service.ts";
import { presentUsersByIds } from "../users/users-service.ts";
import { userView } from "../users/users-types.ts";
import { orgView } from "../organizations/organizations-types.ts";
import * as fields from "./ticket-fields-service.ts";
import type * as repo from "./tickets-repo.ts";
import * as service from "./tickets-service.ts";
import * as jobs from "./tickets-jobs.ts";
import { mergeTickets } from "./merge-service.ts";
import { register as registerRequests } from "./requests-routes.ts";
import { register as registerAttachments } from "./attachments-routes.ts";
import { register as registerNotifications } from "./notifications-routes.ts";
import { register as registerEmail } from "./email-routes.ts";
import { register as registerTrash } from "./trash-routes.ts";
import { register as registerSatisfaction } from "./satisfaction-routes.ts";
import { invalid } from "../../platform/errors.ts";
import { groupView } from "../groups/groups-types.ts";
import { jobStatusWithAbilities } from "../jobs/jobs-types.ts";
import { auditView, commentView, ticketAbilitiesView, ticketCreateInput, ticketFieldInput, ticketFieldUpdateInput, ticketFieldView, ticketMergeInput, ticketUpdateInput, ticketView, type TicketView } from "./tickets-types.ts";
import { slasOf } from "../sla/sla-present.ts";


/** The sideloads a list of tickets may carry (`include=`): shared by every route answering tickets. */
export const sideloads = { users: z.array(userView).optional(), organizations: z.array(orgView).optional(), groups: z.array(groupView).optional() };
const includeQuery = z.object({ include: z.string().max(200).regex(/^[a-z_,]*$/).optional() });

/**
 * Sideloads (`include=users,organizations,groups`) for a set of tickets; `include=slas` adds each
 * ticket's `slas` and `sla_policy` to its view in `views` (the same tickets, by public id).
 */
export async function sideload(ctx: RequestContext, include: string | undefined, rows: repo.TicketRow[], views: TicketView[] = []) {
  const want = new Set((include ?? "").split(",").filter(Boolean));
  const out: Record<string, unknown> = {};
  if (want.has("slas")) {
    const slas = await slasOf(ctx, rows);
    const byNice = new Map(rows.map((r) => [r.nice_id, r.id]));
    for (const v of views) {
      const s = slas.get(byNice.get(v.id) ?? "");
      if (s) Object.assign(v, s);
    }
  }
  if (want.has("users")) out.users = await presentUsersByIds(ctx, rows.flatMap((t) => [t.requester_id, t.submitter_id, ...(t.assignee_id ? [t.assignee_id] : [])]));
  if (want.has("organizations")) out.organizations = await presentOrgsByIds(ctx, rows.flatMap((t) => (t.organization_id ? [t.organization_id] : [])));
  if (want.has("groups")) out.groups = await presentGroupsByIds(ctx, rows.flatMap((t) => (t.group_id ? [t.group_id] : [])));
  return out;
}



export async function register(app: FastifyInstance, deps: AppDeps): Promise<void> {
  registerRequests(app, deps);
  await registerAttachments(app, deps);
  registerNotifications(app, deps);
  registerEmail(app, deps);
  registerTrash(app, deps);
  registerSatisfaction(app, deps);
  deps.jobs.define(jobs.bulkUpdateHandler);
  deps.jobs.define(jobs.bulkCreateHandler);
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/tickets", operationId: "listTickets", tag: "tickets", auth: "user",
    query: pageQuery.extend({ external_id: z.string().max(255).optional() }),
    response: listEnvelope("tickets", ticketView, sideloads),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const r = await service.listTickets(ctx, page);
      const env = pageEnvelope(page, r.views, r.count, url);
      const rows = r.rows.slice(0, env.items.length);
      return { tickets: env.items, ...(await sideload(ctx, query.include, rows, env.items)), ...env.extra };
    },
  });
  const partyList = (url: string, operationId: string, summary: string, party: (id: number) => service.TicketParty) =>
    defineRoute(app, deps, {
      method: "GET", url, operationId, tag: "tickets", auth: "user", summary,
      params: publicIdParam, query: pageQuery, response: listEnvelope("tickets", ticketView, sideloads),
      handler: async (ctx, { params, query, url: u }) => {
        const page = parsePage(query);
        const r = await service.listTicketsOf(ctx, page, party(params.id));
        const env = pageEnvelope(page, r.views, r.count, u);
        const rows = r.rows.slice(0, env.items.length);
        return { tickets: env.items, ...(await sideload(ctx, query.include, rows, env.items)), ...env.extra };
      },
    });
  partyList("/api/v2/users/:id/tickets/requested", "listRequestedTickets", "The tickets a person requested, as the caller's ticket access allows; a person the caller may not see answers 404.", (id) => ({ kind: "requested", userId: id }));
  partyList("/api/v2/users/:id/tickets/ccd", "listCcdTickets", "The tickets a person is copied on, as the caller's ticket access allows; a person the caller may not see answers 404.", (id) => ({ kind: "ccd", userId: id }));
  partyList("/api/v2/users/:id/tickets/assigned", "listAssignedTickets", "The tickets assigned to a person, as the caller's ticket access allows; a person the caller may not see answers 404.", (id) => ({ kind: "assigned", userId: id }));
  partyList("/api/v2/organizations/:id/tickets", "listOrganizationTickets", "The tickets of an organization, as the caller's ticket access allows.", (id) => ({ kind: "organization", organizationId: id }));
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/tickets/show_many", operationId: "showManyTickets", tag: "tickets", auth: "user",
    query: includeQuery.extend({ ids: idList }), response: z.object({ tickets: z.array(ticketView), ...sideloads }),
    handler: async (ctx, { query }) => {
      const r = await service.showManyTickets(ctx, query.ids);
      return { tickets: r.views, ...(await sideload(ctx, query.include, r.rows, r.views)) };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/tickets/:id", operationId: "showTicket", tag: "tickets", auth: "user",
    summary: "A ticket. Vaultdesk adds `abilities`: what the caller may do with it (from the policy the API enforces), so pages offer only that.",
    params: publicIdParam, query: includeQuery, response: z.object({ ticket: ticketView, abilities: ticketAbilitiesView, ...sideloads }),
    handler: async (ctx, { params, query }) => {
      const r = await service.showTicket(ctx, params.id);
      return { ticket: r.view, abilities: r.abilities, ...(await sideload(ctx, query.include, [r.row], [r.view])) };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/tickets", operationId: "createTicket", tag: "tickets", auth: "user",
    body: z.strictObject({ ticket: ticketCreateInput }), response: z.object({ ticket: ticketView }),
    handler: async (ctx, { body }) => ({ ticket: await service.createTicket(ctx, body.ticket) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/tickets/:id", operationId: "updateTicket", tag: "tickets", auth: "user",
    params: publicIdParam, body: z.strictObject({ ticket: ticketUpdateInput }), response: z.object({ ticket: ticketView, audit: auditView }),
    handler: async (ctx, { params, body }) => service.updateTicket(ctx, params.id, body.ticket),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/tickets/:id", operationId: "deleteTicket", tag: "tickets", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await service.deleteTicket(ctx, params.id); },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/tickets/create_many", operationId: "createManyTickets", tag: "tickets", auth: "user",
    summary: "Queues the creation of up to 100 tickets; answers a job status to poll. Each ticket is created on its own; the results say which were refused and why.",
    body: z.strictObject({ tickets: z.array(ticketCreateInput).min(1).max(100) }), response: z.object({ job_status: jobStatusWithAbilities }), status: 200,
    handler: async (ctx, { body }) => ({ job_status: await jobs.queueCreateMany(deps, ctx, body.tickets) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/tickets/update_many", operationId: "updateManyTickets", tag: "tickets", auth: "user",
    summary: "Queues one change to many tickets (`ids` + `ticket`) or individual changes (`tickets`); answers a job status to poll. Each ticket is changed on its own.",
    query: z.object({ ids: idList.optional() }),
    body: z.union([z.strictObject({ ticket: ticketUpdateInput }), z.strictObject({ tickets: z.array(ticketUpdateInput.extend({ id: z.number().int().min(1) })).min(1).max(100) })]),
    response: z.object({ job_status: jobStatusWithAbilities }), status: 200,
    handler: async (ctx, { body, query }) => {
      if ("ticket" in body) {
        if (!query.ids?.length) throw invalid("ids", "ids: give the tickets to change, e.g. ?ids=1,2,3");
        return { job_status: await jobs.queueUpdateMany(deps, ctx, query.ids.map((id) => ({ id, change: body.ticket }))) };
      }
      return { job_status: await jobs.queueUpdateMany(deps, ctx, body.tickets.map(({ id, ...change }) => ({ id, change }))) };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/tickets/:id/merge", operationId: "mergeTickets", tag: "tickets", auth: "user",
    summary: "Merges up to 5 tickets (`ids`) into this one (Zendesk's Merge Tickets): each is closed with a comment saying where it went, this one gets a comment naming them (with each one's latest comment quoted, only public ones into a public comment), and their requesters and CCs are copied on it. Done at once in one transaction and answered with the target (Zendesk queues it and answers a job status).",
    params: publicIdParam, body: ticketMergeInput, response: z.object({ ticket: ticketView }), status: 200,
    handler: async (ctx, { params, body }) => mergeTickets(ctx, params.id, body),
  });
  // A ticket's tags (Zendesk's Tags API): read as the ticket is shown, changed as an update of
  // `tags`, `additional_tags` or `remove_tags` is (the same writer, policy and audit).
  const tagsAnswer = z.object({ tags: z.array(z.string()) });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/tickets/:id/tags", operationId: "listTicketTags", tag: "tickets", auth: "user",
    params: publicIdParam, response: tagsAnswer,
    handler: async (ctx, { params }) => ({ tags: (await service.showTicket(ctx, params.id)).view.tags }),
  });
  const tagWrite = (method: "POST" | "PUT" | "DELETE", operationId: string, summary: string, change: (t: string[]) => Parameters<typeof service.updateTicket>[2]) =>
    defineRoute(app, deps, {
      method, url: "/api/v2/tickets/:id/tags", operationId, tag: "tickets", auth: "user", summary,
      params: publicIdParam, body: z.strictObject({ tags }), response: tagsAnswer,
      handler: async (ctx, { params, body }) => ({ tags: (await service.updateTicket(ctx, params.id, change(body.tags))).ticket.tags }),
    });
  tagWrite("POST", "setTicketTags", "Sets a ticket's tags to these (an update of `tags`).", (t) => ({ tags: t }));
  tagWrite("PUT", "addTicketTags", "Adds these tags to a ticket's (an update of `additional_tags`).", (t) => ({ additional_tags: t }));
  tagWrite("DELETE", "removeTicketTags", "Removes these tags from a ticket's (an update of `remove_tags`).", (t) => ({ remove_tags: t }));
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/tickets/:id/comments", operationId: "listTicketComments", tag: "tickets", auth: "user",
    params: publicIdParam, query: pageQuery, response: listEnvelope("comments", commentView, sideloads),
    handler: async (ctx, { params, query, url }) => {
      const page = parsePage(query);
      const r = await service.listComments(deps, ctx, params.id, page);
      const env = pageEnvelope(page, r.views, r.count, url);
      const users = (query.include ?? "").split(",").includes("users") ? { users: await presentUsersByIds(ctx, r.authorIds) } : {};
      return { comments: env.items, ...users, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/tickets/:ticket_id/comments/:id/redact", operationId: "redactTicketComment", tag: "tickets", auth: "user",
    summary: "Removes every occurrence of `text` from a comment for good (each character becomes ▇): its bodies, its ticket audit, the description when it is the first comment, and the search index. Redacting the first comment also redacts the text in the subject, wherever it is kept (the ticket, the Create event, renames). The ticket's undelivered mail is dropped.",
    params: z.object({ ticket_id: publicId, id: publicId }), body: z.strictObject({ text: lineText(1000).refine((s) => s.trim().length > 0, "must not be empty") }),
    response: z.object({ comment: commentView }),
    handler: async (ctx, { params, body }) => ({ comment: await service.redactComment(deps, ctx, params.ticket_id, params.id, body.text) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/tickets/:id/audits", operationId: "listTicketAudits", tag: "tickets", auth: "user",
    params: publicIdParam, query: pageQuery, response: listEnvelope("audits", auditView),
    handler: async (ctx, { params, query, url }) => {
      const page = parsePage(query);
      const r = await service.listAudits(ctx, params.id, page);
      const env = pageEnvelope(page, r.views, r.count, url);
      return { audits: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/ticket_fields", operationId: "listTicketFields", tag: "ticket_fields", auth: "user",
    response: z.object({ ticket_fields: z.array(ticketFieldView) }),
    handler: async (ctx) => ({ ticket_fields: await fields.listTicketFields(ctx) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/ticket_fields/:id", operationId: "showTicketField", tag: "ticket_fields", auth: "user",
    params: publicIdParam, response: z.object({ ticket_field: ticketFieldView }),
    handler: async (ctx, { params }) => ({ ticket_field: await fields.showTicketField(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/ticket_fields", operationId: "createTicketField", tag: "ticket_fields", auth: "user",
    body: z.strictObject({ ticket_field: ticketFieldInput }), response: z.object({ ticket_field: ticketFieldView }),
    handler: async (ctx, { body }) => ({ ticket_field: await fields.createTicketField(ctx, body.ticket_field) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/ticket_fields/:id", operationId: "updateTicketField", tag: "ticket_fields", auth: "user",
    params: publicIdParam, body: z.strictObject({ ticket_field: ticketFieldUpdateInput }), response: z.object({ ticket_field: ticketFieldView }),
    handler: async (ctx, { params, body }) => ({ ticket_field: await fields.updateTicketField(ctx, params.id, body.ticket_field) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/ticket_fields/:id", operationId: "deleteTicketField", tag: "ticket_fields", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await fields.deleteTicketField(ctx, params.id); },
  });
}
