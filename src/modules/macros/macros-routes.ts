import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { publicId, publicIdParam } from "../../platform/schemas.ts";
import { applyMacroToTicket, createMacro, deleteMacro, listActiveMacros, listMacros, macroEffect, showMacro, updateMacro } from "./macros-service.ts";
import { macroAppliedView, macroEffectView, macroInput, macroView } from "./macros-types.ts";

const listQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).optional(),
  per_page: z.coerce.number().int().min(1).max(100).optional(),
  access: z.enum(["personal", "shared"]).optional(),
  active: z.enum(["true", "false"]).optional(),
});

export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/macros", operationId: "listMacros", tag: "macros", auth: "user",
    summary: "The macros the caller sees (shared ones: every staff member's, or their groups'; their personal ones), by position, title and id; offset pages. `access=personal|shared` and `active=true|false` filter.",
    query: listQuery, response: listEnvelope("macros", macroView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage({ page: query.page, per_page: query.per_page });
      const p = page.mode === "offset" ? page : { page: 1, perPage: 100 };
      const r = await listMacros(ctx, p, { access: query.access, active: query.active === undefined ? undefined : query.active === "true" });
      const env = pageEnvelope(page, r.rows, r.count, url);
      return { macros: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/macros/active", operationId: "listActiveMacros", tag: "macros", auth: "user",
    summary: "The active macros the caller sees, by title, all in one answer.",
    response: z.object({ macros: z.array(macroView), count: z.number() }),
    handler: async (ctx) => {
      const macros = await listActiveMacros(ctx);
      return { macros, count: macros.length };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/macros/:id", operationId: "showMacro", tag: "macros", auth: "user",
    params: publicIdParam, response: z.object({ macro: macroView }),
    handler: async (ctx, { params }) => ({ macro: await showMacro(ctx, params.id) }),
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
