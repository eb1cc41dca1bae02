import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { publicIdParam, wholeNumber } from "../../platform/schemas.ts";
import { capitalised } from "./rules-conditions.ts";
import { createRule, deleteRule, listActiveRules, listRules, reorderRules, ruleDefinitions, showRule, updateRule, type RuleSpec } from "./rules-service.ts";
import { definitionsView, reorderInput, ruleInput, ruleView, type RuleInput, type RuleView } from "./rules-types.ts";

const listQuery = z.object({
  page: wholeNumber(1, 100_000).optional(),
  per_page: wholeNumber(1, 100).optional(),
  active: z.enum(["true", "false"]).optional(),
  sort_by: z.enum(["position", "title", "updated_at", "created_at"]).optional(),
  sort_order: z.enum(["asc", "desc"]).optional(),
});

/** `{ <key>: schema }`, typed by its key. */
const keyed = (key: string, schema: z.ZodType) => z.object({ [key]: schema });
const one = (key: string, value: RuleView) => ({ [key]: value });
const many = (key: string, list: RuleView[]) => ({ [key]: list, count: list.length });

/**
 * The routes of one kind of business rule (Zendesk's Triggers and Automations APIs): list,
 * active, definitions, reorder, show, create, update, delete under /api/v2/<many>, owners and
 * admins only (the service checks). `createRules`: what the create route's summary adds.
 */
export function registerRuleRoutes(app: FastifyInstance, deps: AppDeps, spec: RuleSpec, createRules = ""): void {
  const { one: o, many: m } = spec;
  const One = capitalised(o);
  const Many = capitalised(m);
  const item = keyed(o, ruleView);
  const list = z.object({ [m]: z.array(ruleView), count: z.number() });
  const body = z.strictObject({ [o]: ruleInput });
  // The body's one key is the rule's noun (`trigger`, `automation`), checked by the schema above.
  const inputOf = (b: Record<string, unknown>) => b[o] as RuleInput;
  const ids = `${o}_ids` as const;
  defineRoute(app, deps, {
    method: "GET", url: `/api/v2/${m}`, operationId: `list${Many}`, tag: m, auth: "user",
    summary: `The account's ${m} (owners and admins), by \`sort_by\` (position, title, updated_at, created_at; position by default) and \`sort_order\`; \`active=true|false\` filters; offset pages.`,
    query: listQuery, response: listEnvelope(m, ruleView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage({ page: query.page, per_page: query.per_page });
      const p = page.mode === "offset" ? page : { page: 1, perPage: 100 };
      const r = await listRules(spec, ctx, p, { active: query.active === undefined ? undefined : query.active === "true", sortBy: query.sort_by, sortOrder: query.sort_order });
      const env = pageEnvelope(page, r.rows, r.count, url);
      return { [m]: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: `/api/v2/${m}/active`, operationId: `listActive${Many}`, tag: m, auth: "user",
    summary: `The active ${m} in the order they run (position), all in one answer.`,
    response: list,
    handler: async (ctx) => many(m, await listActiveRules(spec, ctx)),
  });
  defineRoute(app, deps, {
    method: "GET", url: `/api/v2/${m}/definitions`, operationId: `show${One}Definitions`, tag: m, auth: "user",
    summary: `The conditions and actions a ${o} may hold, with their operators and values (the account's groups and agents, custom fields' options).`,
    response: definitionsView,
    handler: async (ctx) => ({ definitions: await ruleDefinitions(spec, ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: `/api/v2/${m}/reorder`, operationId: `reorder${Many}`, tag: m, auth: "user",
    summary: `Sets the order ${m} run in: \`${ids}\` must name every ${o} of the account exactly once (positions 1..n).`,
    body: reorderInput(ids), response: list,
    handler: async (ctx, { body: b }) => many(m, await reorderRules(spec, ctx, b[ids]!)),
  });
  defineRoute(app, deps, {
    method: "GET", url: `/api/v2/${m}/:id`, operationId: `show${One}`, tag: m, auth: "user",
    params: publicIdParam, response: item,
    handler: async (ctx, { params }) => one(o, await showRule(spec, ctx, params.id)),
  });
  defineRoute(app, deps, {
    method: "POST", url: `/api/v2/${m}`, operationId: `create${One}`, tag: m, auth: "user", status: 201,
    summary: `Creates a ${o} (owners and admins): at least one condition and one action${createRules}; at most 500 ${m} an account.`,
    body, response: item,
    handler: async (ctx, { body: b }) => one(o, await createRule(spec, ctx, inputOf(b))),
  });
  defineRoute(app, deps, {
    method: "PUT", url: `/api/v2/${m}/:id`, operationId: `update${One}`, tag: m, auth: "user",
    params: publicIdParam, body, response: item,
    handler: async (ctx, { params, body: b }) => one(o, await updateRule(spec, ctx, params.id, inputOf(b))),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: `/api/v2/${m}/:id`, operationId: `delete${One}`, tag: m, auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await deleteRule(spec, ctx, params.id); },
  });
}
