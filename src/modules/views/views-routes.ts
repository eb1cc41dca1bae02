import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { pageEnvelope, parsePage, listEnvelope } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { idList, pageQuery, publicIdParam, wholeNumber } from "../../platform/schemas.ts";
import { sideload, sideloads } from "../tickets/tickets-routes.ts";
import { ticketView } from "../tickets/tickets-types.ts";
import { countManyViews, countView, createView, deleteView, listViews, runView, showView, updateView } from "./views-service.ts";
import { sortOrder, viewCountView, viewInput, viewSort, viewView } from "./views-types.ts";

/** Most views `count_many` counts at once. */
const COUNT_MANY_MAX = 20;

const listQuery = z.object({
  page: wholeNumber(1, 100_000).optional(),
  per_page: wholeNumber(1, 100).optional(),
  access: z.enum(["personal", "shared"]).optional(),
  active: z.enum(["true", "false"]).optional(),
});

export function register(app: FastifyInstance, deps: AppDeps): void {
  const list = (url: string, operationId: string, activeOnly: boolean, summary: string) =>
    defineRoute(app, deps, {
      method: "GET", url, operationId, tag: "views", auth: "user", summary,
      query: listQuery, response: listEnvelope("views", viewView),
      handler: async (ctx, { query, url: u }) => {
        const page = parsePage({ page: query.page, per_page: query.per_page });
        const p = page.mode === "offset" ? page : { page: 1, perPage: 100 };
        const active = activeOnly ? true : query.active === undefined ? undefined : query.active === "true";
        const r = await listViews(ctx, p, { access: query.access, active });
        const env = pageEnvelope(page, r.rows, r.count, u);
        return { views: env.items, ...env.extra };
      },
    });
  list("/api/v2/views", "listViews", false, "The views the caller sees: shared ones (every staff member's, or their groups'), then their personal ones, each by position, title and id. `access=personal|shared` and `active=true|false` filter.");
  list("/api/v2/views/active", "listActiveViews", true, "The active views the caller sees, in the order of `GET /views`.");
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/views/count_many", operationId: "countManyViews", tag: "views", auth: "user",
    summary: `How many tickets each of up to ${COUNT_MANY_MAX} views holds for the caller; views the caller does not see are left out.`,
    query: z.object({ ids: idList.refine((a) => a.length <= COUNT_MANY_MAX, `at most ${COUNT_MANY_MAX} ids`) }),
    response: z.object({ view_counts: z.array(viewCountView) }),
    handler: async (ctx, { query }) => ({ view_counts: await countManyViews(ctx, query.ids) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/views/:id", operationId: "showView", tag: "views", auth: "user",
    params: publicIdParam, response: z.object({ view: viewView }),
    handler: async (ctx, { params }) => ({ view: await showView(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/views", operationId: "createView", tag: "views", auth: "user", status: 201,
    summary: "Creates a view: personal unless `restriction` says otherwise (`null`: every staff member; a group: its members); shared views by owners and admins only.",
    body: z.strictObject({ view: viewInput }), response: z.object({ view: viewView }),
    handler: async (ctx, { body }) => ({ view: await createView(ctx, body.view) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/views/:id", operationId: "updateView", tag: "views", auth: "user",
    params: publicIdParam, body: z.strictObject({ view: viewInput }), response: z.object({ view: viewView }),
    handler: async (ctx, { params, body }) => ({ view: await updateView(ctx, params.id, body.view) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/views/:id", operationId: "deleteView", tag: "views", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await deleteView(ctx, params.id); },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/views/:id/tickets", operationId: "listViewTickets", tag: "views", auth: "user",
    summary: "The view's tickets, as the caller's ticket access allows, in the view's order (or `sort_by` / `sort_order`); cursor or offset pages; `include=users,groups,organizations` sideloads, `include=slas` the tickets' SLAs.",
    params: publicIdParam, query: pageQuery.extend({ sort_by: viewSort.optional(), sort_order: sortOrder.optional() }),
    response: listEnvelope("tickets", ticketView, sideloads),
    handler: async (ctx, { params, query, url }) => {
      let page: ReturnType<typeof parsePage> | undefined;
      const r = await runView(ctx, params.id, (order) => (page = parsePage({ ...query, sort_order: order })), query);
      const keys = r.sorted ? r.rows.map((row) => row.sort_key ?? "") : undefined;
      const env = pageEnvelope(page!, r.views, r.count, url, keys);
      const rows = page!.mode === "cursor" ? r.rows.filter((row) => env.items.some((t) => t.id === row.nice_id)) : r.rows;
      return { tickets: env.items, ...(await sideload(ctx, query.include, rows, env.items)), ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/views/:id/count", operationId: "countView", tag: "views", auth: "user",
    params: publicIdParam, response: z.object({ view_count: viewCountView }),
    handler: async (ctx, { params }) => ({ view_count: await countView(ctx, params.id) }),
  });
}
