import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { idList, pageQuery, publicIdParam } from "../../platform/schemas.ts";
import * as trash from "./trash-service.ts";
import { deletedTicketView } from "./tickets-types.ts";

/**
 * Zendesk's deleted tickets (`/api/v2/deleted_tickets`): the trash, for staff whose role may delete
 * tickets. Restoring and deleting for good take one id or several (`ids=1,2`, all or nothing).
 */
export function register(app: FastifyInstance, deps: AppDeps): void {
  for (const task of trash.trashUpkeep(deps)) deps.jobs.maintain(task);
  const manyQuery = z.object({ ids: idList.refine((a) => a.length <= trash.TRASH_MANY_MAX, `at most ${trash.TRASH_MANY_MAX} ids`) });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/deleted_tickets", operationId: "listDeletedTickets", tag: "tickets", auth: "user",
    summary: `Tickets deleted in the last ${trash.TRASH_DAYS} days, which can still be restored.`,
    query: pageQuery, response: listEnvelope("deleted_tickets", deletedTicketView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const { views, count } = await trash.listDeleted(ctx, page);
      const env = pageEnvelope(page, views, count, url);
      return { deleted_tickets: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/deleted_tickets/restore_many", operationId: "restoreManyDeletedTickets", tag: "tickets", auth: "user",
    summary: "Restores several deleted tickets (`ids=1,2`, at most 100).",
    query: manyQuery, response: z.undefined(), status: 204,
    handler: async (ctx, { query }) => { await trash.restore(ctx, query.ids); },
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/deleted_tickets/:id/restore", operationId: "restoreDeletedTicket", tag: "tickets", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await trash.restore(ctx, [params.id]); },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/deleted_tickets/destroy_many", operationId: "destroyManyDeletedTickets", tag: "tickets", auth: "user",
    summary: "Deletes several deleted tickets for good (`ids=1,2`, at most 100): every row about them, their files and search entries.",
    query: manyQuery, response: z.undefined(), status: 204,
    handler: async (ctx, { query, afterCommit }) => { await trash.destroy(deps, ctx, query.ids, afterCommit); },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/deleted_tickets/:id", operationId: "destroyDeletedTicket", tag: "tickets", auth: "user",
    summary: "Deletes a deleted ticket for good.",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params, afterCommit }) => { await trash.destroy(deps, ctx, [params.id], afterCommit); },
  });
}
