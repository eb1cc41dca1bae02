import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { publicIdParam } from "../../platform/schemas.ts";
import { runTriggers } from "./triggers-engine.ts";
import { createTrigger, definitions, deleteTrigger, listActiveTriggers, listTriggers, reorderTriggers, showTrigger, updateTrigger } from "./triggers-service.ts";
import { definitionsView, reorderInput, triggerInput, triggerView } from "./triggers-types.ts";

const listQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).optional(),
  per_page: z.coerce.number().int().min(1).max(100).optional(),
  active: z.enum(["true", "false"]).optional(),
  sort_by: z.enum(["position", "title", "updated_at", "created_at"]).optional(),
  sort_order: z.enum(["asc", "desc"]).optional(),
});

export function register(app: FastifyInstance, deps: AppDeps): void {
  deps.hooks.on("conversation.written", runTriggers(deps));
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/triggers", operationId: "listTriggers", tag: "triggers", auth: "user",
    summary: "The account's triggers (owners and admins), by `sort_by` (position, title, updated_at, created_at; position by default) and `sort_order`; `active=true|false` filters; offset pages.",
    query: listQuery, response: listEnvelope("triggers", triggerView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage({ page: query.page, per_page: query.per_page });
      const p = page.mode === "offset" ? page : { page: 1, perPage: 100 };
      const r = await listTriggers(ctx, p, { active: query.active === undefined ? undefined : query.active === "true", sortBy: query.sort_by, sortOrder: query.sort_order });
      const env = pageEnvelope(page, r.rows, r.count, url);
      return { triggers: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/triggers/active", operationId: "listActiveTriggers", tag: "triggers", auth: "user",
    summary: "The active triggers in the order they run (position), all in one answer.",
    response: z.object({ triggers: z.array(triggerView), count: z.number() }),
    handler: async (ctx) => {
      const triggers = await listActiveTriggers(ctx);
      return { triggers, count: triggers.length };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/triggers/definitions", operationId: "showTriggerDefinitions", tag: "triggers", auth: "user",
    summary: "The conditions and actions a trigger may hold, with their operators and values (the account's groups and agents, custom fields' options).",
    response: definitionsView,
    handler: async (ctx) => ({ definitions: await definitions(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/triggers/reorder", operationId: "reorderTriggers", tag: "triggers", auth: "user",
    summary: "Sets the order triggers run in: `trigger_ids` must name every trigger of the account exactly once (positions 1..n).",
    body: reorderInput, response: z.object({ triggers: z.array(triggerView), count: z.number() }),
    handler: async (ctx, { body }) => {
      const triggers = await reorderTriggers(ctx, body.trigger_ids);
      return { triggers, count: triggers.length };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/triggers/:id", operationId: "showTrigger", tag: "triggers", auth: "user",
    params: publicIdParam, response: z.object({ trigger: triggerView }),
    handler: async (ctx, { params }) => ({ trigger: await showTrigger(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/triggers", operationId: "createTrigger", tag: "triggers", auth: "user", status: 201,
    summary: "Creates a trigger (owners and admins): at least one condition and one action; at most 500 triggers an account.",
    body: z.strictObject({ trigger: triggerInput }), response: z.object({ trigger: triggerView }),
    handler: async (ctx, { body }) => ({ trigger: await createTrigger(ctx, body.trigger) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/triggers/:id", operationId: "updateTrigger", tag: "triggers", auth: "user",
    params: publicIdParam, body: z.strictObject({ trigger: triggerInput }), response: z.object({ trigger: triggerView }),
    handler: async (ctx, { params, body }) => ({ trigger: await updateTrigger(ctx, params.id, body.trigger) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/triggers/:id", operationId: "deleteTrigger", tag: "triggers", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await deleteTrigger(ctx, params.id); },
  });
}
