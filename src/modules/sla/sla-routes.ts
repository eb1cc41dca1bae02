import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { publicIdParam } from "../../platform/schemas.ts";
import { applySlaPolicies } from "./sla-apply.ts";
import { createPolicy, deletePolicy, listPolicies, policyDefinitions, reorderPolicies, showPolicy, updatePolicy } from "./sla-service.ts";
import { slaDefinitionsView, slaPolicyInput, slaPolicyView, slaReorderInput } from "./sla-types.ts";

/**
 * SLA policies (Zendesk's SLA Policies API) under /api/v2/slas/policies, owners and admins only
 * (the service checks), and their application to tickets after every write (registered after the
 * triggers' listener: the policy reads what the triggers set).
 */
export function register(app: FastifyInstance, deps: AppDeps): void {
  deps.hooks.on("conversation.written", applySlaPolicies());
  const item = z.object({ sla_policy: slaPolicyView });
  const list = z.object({ sla_policies: z.array(slaPolicyView), count: z.number() });
  const body = z.strictObject({ sla_policy: slaPolicyInput });
  const many = (l: z.infer<typeof slaPolicyView>[]) => ({ sla_policies: l, count: l.length });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/slas/policies", operationId: "listSlaPolicies", tag: "sla_policies", auth: "user",
    summary: "The account's SLA policies in the order they apply (position), all in one answer (owners and admins).",
    response: list,
    handler: async (ctx) => many(await listPolicies(ctx)),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/slas/policies/definitions", operationId: "showSlaPolicyDefinitions", tag: "sla_policies", auth: "user",
    summary: "The conditions a policy's filter may hold, with their operators and values, and the metrics and priorities of its targets.",
    response: slaDefinitionsView,
    handler: async (ctx) => ({ definitions: await policyDefinitions(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/slas/policies/reorder", operationId: "reorderSlaPolicies", tag: "sla_policies", auth: "user",
    summary: "Sets the order policies apply in: `sla_policy_ids` must name every policy of the account exactly once (positions 1..n).",
    body: slaReorderInput, response: list,
    handler: async (ctx, { body: b }) => many(await reorderPolicies(ctx, b.sla_policy_ids)),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/slas/policies/:id", operationId: "showSlaPolicy", tag: "sla_policies", auth: "user",
    params: publicIdParam, response: item,
    handler: async (ctx, { params }) => ({ sla_policy: await showPolicy(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/slas/policies", operationId: "createSlaPolicy", tag: "sla_policies", auth: "user", status: 201,
    summary: "Creates an SLA policy (owners and admins): a title, a filter of at least one condition, targets in minutes per priority and metric; at most 100 policies an account.",
    body, response: item,
    handler: async (ctx, { body: b }) => ({ sla_policy: await createPolicy(ctx, b.sla_policy) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/slas/policies/:id", operationId: "updateSlaPolicy", tag: "sla_policies", auth: "user",
    summary: "Updates an SLA policy: what is sent replaces what it had (`policy_metrics` as a whole); tickets' targets follow at their next write.",
    params: publicIdParam, body, response: item,
    handler: async (ctx, { params, body: b }) => ({ sla_policy: await updatePolicy(ctx, params.id, b.sla_policy) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/slas/policies/:id", operationId: "deleteSlaPolicy", tag: "sla_policies", auth: "user",
    summary: "Deletes an SLA policy: its tickets lose it at once and get the next matching policy at their next write.",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await deletePolicy(ctx, params.id); },
  });
}
