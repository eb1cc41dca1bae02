import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { lineText, pageQuery } from "../../platform/schemas.ts";
import type { AppDeps } from "../../server/deps.ts";
import { pageEnvelope, parsePage } from "../../server/pagination.ts";
import { defineRoute } from "../../server/route.ts";
import { ticketView } from "../tickets/tickets-types.ts";
import { searchTickets } from "./search-service.ts";

export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/search", operationId: "search", tag: "search", auth: "user",
    summary: "Structured search over tickets (status, assignee, requester, tags, dates…); free text is not searchable because content is sealed.",
    query: pageQuery.extend({ query: lineText(1000), sort_by: z.enum(["created_at", "updated_at"]).optional() }),
    response: z.object({ results: z.array(ticketView.extend({ result_type: z.literal("ticket") })) }).passthrough(),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const r = await searchTickets(ctx, query.query, page);
      const env = pageEnvelope(page, r.views.map((v) => ({ ...v, result_type: "ticket" as const })), r.count, url);
      return { results: env.items, ...env.extra };
    },
  });
}
