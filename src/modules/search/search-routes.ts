import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { lineText, pageQuery } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { pageEnvelope, parsePage, listEnvelope } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { ticketView } from "../tickets/tickets-types.ts";
import { indexOnWrite } from "./search-index.ts";
import { COUNT_CAP, countSearchResults, searchTickets } from "./search-service.ts";

const sortField = z.enum(["created_at", "updated_at", "priority", "status"]);

export function register(app: FastifyInstance, deps: AppDeps): void {
  // The index follows every conversation write, in its transaction.
  // (Except in the search benchmark's "indexing off" server: config.benchOnlySkipSearchIndex.)
  if (!deps.config.benchOnlySkipSearchIndex) deps.hooks.on("conversation.written", indexOnWrite);
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/search", operationId: "search", tag: "search", auth: "user",
    summary: "Search over tickets: free words and \"quoted phrases\" in subjects, descriptions and comments (internal notes for staff), with structured filters (status, assignee, requester, tags, dates…). By relevance unless `sort_by` (or Zendesk's `order_by`) is given.",
    query: pageQuery.extend({ query: lineText(1000), sort_by: sortField.optional(), order_by: sortField.optional(), sort: z.enum(["asc", "desc"]).optional() }),
    response: listEnvelope("results", ticketView.extend({ result_type: z.literal("ticket") })),
    handler: async (ctx, { query, url }) => {
      const page = parsePage({ ...query, sort_order: query.sort_order ?? query.sort });
      const r = await searchTickets(ctx, query.query, page, query.sort_by ?? query.order_by);
      const keys = r.sorted ? r.rows.map((row) => row.sort_key ?? "") : undefined;
      const env = pageEnvelope(page, r.views.map((v) => ({ ...v, result_type: "ticket" as const })), r.count, url, keys);
      return { results: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/search/count", operationId: "countSearchResults", tag: "search", auth: "user",
    summary: `How many tickets a search finds. Vaultdesk stops counting at ${COUNT_CAP.toLocaleString("en")} and then answers \`count_capped: true\` (shown as "${COUNT_CAP.toLocaleString("en")}+"), so a count never reads a whole large tenant.`,
    query: z.object({ query: lineText(1000) }),
    response: z.object({ count: z.number(), count_capped: z.boolean() }),
    handler: async (ctx, { query }) => {
      const r = await countSearchResults(ctx, query.query);
      return { count: r.count, count_capped: r.capped };
    },
  });
}
