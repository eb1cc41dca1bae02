import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { publicIdParam } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import * as service from "./custom-roles-service.ts";
import { customRoleInput, customRoleView } from "./custom-roles-types.ts";

/** Zendesk's Custom Agent Roles API. */
export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/custom_roles", operationId: "listCustomRoles", tag: "custom_roles", auth: "user",
    summary: "Lists the built-in roles (ids 1–3, not editable) and the tenant's custom agent roles. Owners and admins.",
    response: z.object({ custom_roles: z.array(customRoleView), count: z.number() }),
    handler: async (ctx) => {
      const roles = await service.listCustomRoles(ctx);
      return { custom_roles: roles, count: roles.length };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/custom_roles/:id", operationId: "showCustomRole", tag: "custom_roles", auth: "user",
    params: publicIdParam, response: z.object({ custom_role: customRoleView }),
    handler: async (ctx, { params }) => ({ custom_role: await service.showCustomRole(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/custom_roles", operationId: "createCustomRole", tag: "custom_roles", auth: "user",
    summary: "Creates a custom agent role; configuration keys left out are as the built-in agent role has them.",
    body: z.strictObject({ custom_role: customRoleInput }), response: z.object({ custom_role: customRoleView }),
    handler: async (ctx, { body }) => ({ custom_role: await service.createCustomRole(ctx, body.custom_role) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/custom_roles/:id", operationId: "updateCustomRole", tag: "custom_roles", auth: "user",
    // Widens (or narrows) what every agent carrying the role may do, as giving them another would
    // (custom-roles-service.ts setCustomRoleOf): not with an old or stolen cookie.
    recentSignIn: "change a custom role",
    summary: "Changes a custom role; agents carrying it have the new permissions at their next request.",
    params: publicIdParam, body: z.strictObject({ custom_role: customRoleInput.partial() }), response: z.object({ custom_role: customRoleView }),
    handler: async (ctx, { params, body }) => ({ custom_role: await service.updateCustomRole(ctx, params.id, body.custom_role) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/custom_roles/:id", operationId: "deleteCustomRole", tag: "custom_roles", auth: "user",
    summary: "Deletes a custom role nobody carries (422 while agents have it).",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await service.deleteCustomRole(ctx, params.id); },
  });
}
