import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { lineText, publicId, publicIdParam, wholeNumber } from "../../platform/schemas.ts";
import { applyMacroToTicket, createMacro, deleteMacro, listActiveMacros, listMacroCategories, listMacros, macroEffect, macroUsageUpkeep, showMacro, updateMacro } from "./macros-service.ts";
import { macroAppliedView, macroEffectView, macroInput, macroView } from "./macros-types.ts";

const usageKey = z.enum(["usage_1h", "usage_24h", "usage_7d", "usage_30d"]);
/** `include=usage_1h,usage_7d`: usage windows sideloaded on each macro (unknown or repeated ones answer 400). */
const include = z
  .string()
  .max(100)
  .transform((v, c) => {
    const keys = v.split(",").map((k) => k.trim()).filter(Boolean);
    const bad = keys.find((k) => !usageKey.safeParse(k).success);
    if (bad !== undefined || new Set(keys).size !== keys.length) {
      c.addIssue({ code: "custom", message: "usage_1h, usage_24h, usage_7d or usage_30d, each at most once" });
      return z.NEVER;
    }
    return keys as Array<z.infer<typeof usageKey>>;
  });
const sortKey = z.enum(["alphabetical", "created_at", "updated_at", "position", ...usageKey.options]);
const listing = { include: include.optional(), sort_by: sortKey.optional(), sort_order: z.enum(["asc", "desc"]).optional() };
const listingOf = (q: { include?: Array<z.infer<typeof usageKey>> | undefined; sort_by?: z.infer<typeof sortKey> | undefined; sort_order?: "asc" | "desc" | undefined }) => ({ include: q.include, sortBy: q.sort_by, sortOrder: q.sort_order });

const listQuery = z.object({
  page: wholeNumber(1, 100_000).optional(),
  per_page: wholeNumber(1, 100).optional(),
  access: z.enum(["personal", "shared"]).optional(),
  active: z.enum(["true", "false"]).optional(),
  /** A category ("Billing") or a path of them ("Billing::Refunds"): the macros whose titles start with it. */
  category: lineText(1000).refine((v) => v.trim().length > 0, "must not be blank").optional(),
  ...listing,
});

export function register(app: FastifyInstance, deps: AppDeps): void {
  for (const task of macroUsageUpkeep(deps)) deps.jobs.maintain(task);
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/macros", operationId: "listMacros", tag: "macros", auth: "user",
    summary: "The macros the caller sees (shared ones: every staff member's, or their groups'; their personal ones), by position, title and id; offset pages. `access=personal|shared`, `active=true|false` and `category` filter; `include=usage_1h,usage_24h,usage_7d,usage_30d` adds usage; `sort_by=alphabetical|created_at|updated_at|position|usage_…` with `sort_order` (asc by default for alphabetical and position, desc for the others) orders otherwise.",
    query: listQuery, response: listEnvelope("macros", macroView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage({ page: query.page, per_page: query.per_page });
      const p = page.mode === "offset" ? page : { page: 1, perPage: 100 };
      const r = await listMacros(ctx, p, { access: query.access, active: query.active === undefined ? undefined : query.active === "true", category: query.category }, listingOf(query));
      const env = pageEnvelope(page, r.rows, r.count, url);
      return { macros: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/macros/active", operationId: "listActiveMacros", tag: "macros", auth: "user",
    summary: "The active macros the caller sees, by title (or `sort_by`, as on GET /macros), all in one answer; `include=usage_…` adds usage.",
    query: z.object(listing), response: z.object({ macros: z.array(macroView), count: z.number() }),
    handler: async (ctx, { query }) => {
      const macros = await listActiveMacros(ctx, listingOf(query));
      return { macros, count: macros.length };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/macros/categories", operationId: "listMacroCategories", tag: "macros", auth: "user",
    summary: "The categories of the macros the caller sees: each title's part before its first `::`, distinct, by name.",
    response: z.object({ categories: z.array(z.string()) }),
    handler: async (ctx) => ({ categories: await listMacroCategories(ctx) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/macros/:id", operationId: "showMacro", tag: "macros", auth: "user",
    params: publicIdParam, query: z.object({ include: include.optional() }), response: z.object({ macro: macroView }),
    handler: async (ctx, { params, query }) => ({ macro: await showMacro(ctx, params.id, { include: query.include }) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/macros", operationId: "createMacro", tag: "macros", auth: "user", status: 201,
    summary: "Creates a macro: personal unless `restriction` says otherwise (`null`: every staff member; a group: its members); shared macros by owners and admins only.",
    body: z.strictObject({ macro: macroInput }), response: z.object({ macro: macroView }),
    handler: async (ctx, { body }) => ({ macro: await createMacro(ctx, body.macro) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/macros/:id", operationId: "updateMacro", tag: "macros", auth: "user",
    params: publicIdParam, body: z.strictObject({ macro: macroInput }), response: z.object({ macro: macroView }),
    handler: async (ctx, { params, body }) => ({ macro: await updateMacro(ctx, params.id, body.macro) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/macros/:id", operationId: "deleteMacro", tag: "macros", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await deleteMacro(ctx, params.id); },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/macros/:id/apply", operationId: "showMacroEffect", tag: "macros", auth: "user",
    summary: "What the macro sets, with no ticket: only its fields, placeholders as written; `comment` when it has a reply. Writes nothing.",
    params: publicIdParam, response: macroEffectView,
    handler: async (ctx, { params }) => macroEffect(ctx, params.id),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/tickets/:id/macros/:macro_id/apply", operationId: "applyMacroToTicket", tag: "macros", auth: "user",
    summary: "The ticket as GET /tickets/{id} shows it with the macro's changes applied, the reply with its placeholders rendered, and `changed_fields`. Writes nothing.",
    params: z.object({ id: publicId, macro_id: publicId }), response: macroAppliedView,
    handler: async (ctx, { params }) => applyMacroToTicket(ctx, params.id, params.macro_id),
  });
}
