import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { lineText, pageQuery } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { pageEnvelope, parsePage, listEnvelope } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { jobStatusView } from "../jobs/jobs-types.ts";
import { ticketView } from "../tickets/tickets-types.ts";
import { invalid } from "../../platform/errors.ts";
import { orgView } from "../organizations/organizations-types.ts";
import { userView } from "../users/users-types.ts";
import { countPeople, peopleTypeOf, searchPeople } from "./people-service.ts";
import { highlightsView } from "./search-types.ts";
import { forgetLanguages, indexOnWrite, LANGUAGES_TTL_MS } from "./search-index.ts";
import { reindexHandler } from "./search-reindex-service.ts";
import { AVAILABLE_LANGUAGES, LANGUAGES_CHANGED, showSearchSettings, updateSearchSettings } from "./search-settings-service.ts";
import { COUNT_CAP, countSearchResults, searchTickets } from "./search-service.ts";

/** A ticket search's orders (`sort_by`, Zendesk's `order_by`): the views' fields and the next SLA breach (as views order by it: none last going up). */
const sortField = z.enum(["created_at", "updated_at", "priority", "status", "sla_next_breach_at"]);

const searchSettingsView = z.object({ search_settings: z.object({ languages: z.array(z.string()), available_languages: z.array(z.string()), reindex: jobStatusView.nullable() }) });
const language = z.string().max(40).refine((l) => AVAILABLE_LANGUAGES.includes(l), { message: `must be one of ${AVAILABLE_LANGUAGES.join(", ")}` });

export function register(app: FastifyInstance, deps: AppDeps): void {
  // The index follows every conversation write, in its transaction.
  // (Except in the search benchmark's "indexing off" server: config.benchOnlySkipSearchIndex.)
  if (!deps.config.benchOnlySkipSearchIndex) deps.hooks.on("conversation.written", indexOnWrite);
  // The index's rebuild (after a change of languages, or asked for by the operator).
  deps.jobs.define(reindexHandler);
  // A change of languages committed in this process: its queries use them at once (others within LANGUAGES_TTL_MS).
  deps.db.onTenantCommit((tenantId, bag) => {
    if (bag.has(LANGUAGES_CHANGED)) forgetLanguages(tenantId);
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/search_settings", operationId: "showSearchSettings", tag: "search", auth: "user",
    summary: "The languages whose stemming search uses for the account's text, the languages on offer, and the latest rebuild of the search index (owners and admins).",
    response: searchSettingsView,
    handler: async (ctx) => ({ search_settings: await showSearchSettings(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/search_settings", operationId: "updateSearchSettings", tag: "search", auth: "user",
    summary: `Sets the languages (Snowball algorithms) whose stemming search uses: at least one, one of them written in the Latin script. A change rebuilds the search index in a background job (\`reindex\`, also in the job statuses); until it ends, tickets it has not reached match as before. Other server processes use the new languages for queries within ${LANGUAGES_TTL_MS / 1000} seconds (owners and admins).`,
    body: z.strictObject({ search_settings: z.strictObject({ languages: z.array(language).min(1).max(32) }) }),
    response: searchSettingsView,
    handler: async (ctx, { body }) => ({ search_settings: await updateSearchSettings(ctx, body.search_settings) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/search", operationId: "search", tag: "search", auth: "user",
    summary: "Search over tickets: free words and \"quoted phrases\" in subjects, descriptions and comments (internal notes for staff), with structured filters (status, assignee, requester, tags, dates…). By relevance unless `sort_by` (or Zendesk's `order_by`) is given (`sla_next_breach_at`: the next SLA breach, overdue first, tickets without one last going up, as views order by it). With words, each hit carries `highlights` (a Vaultdesk extension). `type:user` and `type:organization` search people and organizations by words of their names and e-mail addresses (`ad*`: a prefix; `name:`, `email:`), in the order they were created.",
    query: pageQuery.extend({ query: lineText(1000), sort_by: sortField.optional(), order_by: sortField.optional(), sort: z.enum(["asc", "desc"]).optional() }),
    response: listEnvelope("results", z.union([ticketView.extend({ result_type: z.literal("ticket"), highlights: highlightsView.optional() }), userView.extend({ result_type: z.literal("user") }), orgView.extend({ result_type: z.literal("organization") })])),
    handler: async (ctx, { query, url }) => {
      const page = parsePage({ ...query, sort_order: query.sort_order ?? query.sort });
      const people = peopleTypeOf(query.query);
      if (people) {
        const by = query.sort_by ?? query.order_by;
        if (by !== undefined && by !== "created_at") throw invalid("sort_by", "people and organizations are ordered by when they were created (sort_by=created_at)", "Unsupported");
        const r = await searchPeople(ctx, people, page);
        const rows = r.type === "user" ? r.rows.map((v) => ({ ...v, result_type: "user" as const })) : r.rows.map((v) => ({ ...v, result_type: "organization" as const }));
        const env = pageEnvelope<(typeof rows)[number]>(page, rows, r.count, url);
        return { results: env.items, ...env.extra };
      }
      const r = await searchTickets(ctx, query.query, page, query.sort_by ?? query.order_by);
      const keys = r.sorted ? r.rows.map((row) => row.sort_key ?? "") : undefined;
      const env = pageEnvelope(page, r.views.map((v, i) => ({ ...v, result_type: "ticket" as const, ...(r.highlights ? { highlights: r.highlights[i]! } : {}) })), r.count, url, keys);
      return { results: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/search/count", operationId: "countSearchResults", tag: "search", auth: "user",
    summary: `How many tickets (or, with \`type:user\` or \`type:organization\`, people or organizations) a search finds. Vaultdesk stops counting at ${COUNT_CAP.toLocaleString("en")} and then answers \`count_capped: true\` (shown as "${COUNT_CAP.toLocaleString("en")}+"), so a count never reads a whole large tenant.`,
    query: z.object({ query: lineText(1000) }),
    response: z.object({ count: z.number(), count_capped: z.boolean() }),
    handler: async (ctx, { query }) => {
      const people = peopleTypeOf(query.query);
      if (people) return { count: await countPeople(ctx, people), count_capped: false };
      const r = await countSearchResults(ctx, query.query);
      return { count: r.count, count_capped: r.capped };
    },
  });
}
