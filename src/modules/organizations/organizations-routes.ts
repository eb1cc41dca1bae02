import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { idList, lineText, pageQuery, publicIdParam } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { pageEnvelope, parsePage, listEnvelope } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { listOrganizationUsers } from "../users/users-service.ts";
import { userView } from "../users/users-types.ts";
import * as service from "./organizations-service.ts";
import { autocompleteOrganizations } from "../search/people-service.ts";
import { orgCreateInput, orgUpdateInput, orgView } from "./organizations-types.ts";

const one = z.object({ organization: orgView });
const many = listEnvelope("organizations", orgView);

export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/organizations", operationId: "listOrganizations", tag: "organizations", auth: "user",
    query: pageQuery, response: many,
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const { rows, count } = await service.listOrganizations(ctx, page);
      const env = pageEnvelope(page, rows, count, url);
      return { organizations: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/organizations/show_many", operationId: "showManyOrganizations", tag: "organizations", auth: "user",
    query: z.object({ ids: idList }), response: many,
    handler: async (ctx, { query }) => ({ organizations: await service.showManyOrganizations(ctx, query.ids) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/organizations/autocomplete", operationId: "autocompleteOrganizations", tag: "organizations", auth: "user",
    summary: "Organizations whose name has words starting with each word given (`name=ac` finds Acme Inc), for type-ahead, in the order they were created (staff).",
    query: pageQuery.extend({ name: lineText(100) }), response: many,
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const { rows, count } = await autocompleteOrganizations(ctx, query.name, page);
      const env = pageEnvelope(page, rows, count, url);
      return { organizations: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/organizations/search", operationId: "searchOrganizations", tag: "organizations", auth: "user",
    summary: "The organization of exactly this name, ignoring case (staff). Vaultdesk: `external_id` is not searchable (it is sealed without a blind index).",
    query: z.object({ name: lineText(255) }), response: many,
    handler: async (ctx, { query }) => {
      const organizations = await service.searchOrganizationsByName(ctx, query.name);
      return { organizations, next_page: null, previous_page: null, count: organizations.length };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/organizations/:id", operationId: "showOrganization", tag: "organizations", auth: "user",
    params: publicIdParam, response: one,
    handler: async (ctx, { params }) => ({ organization: await service.showOrganization(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/organizations", operationId: "createOrganization", tag: "organizations", auth: "user",
    body: z.strictObject({ organization: orgCreateInput }), response: one,
    handler: async (ctx, { body }) => ({ organization: await service.createOrganization(ctx, body.organization) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/organizations/:id", operationId: "updateOrganization", tag: "organizations", auth: "user",
    params: publicIdParam, body: z.strictObject({ organization: orgUpdateInput }), response: one,
    handler: async (ctx, { params, body }) => ({ organization: await service.updateOrganization(ctx, params.id, body.organization) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/organizations/:id", operationId: "deleteOrganization", tag: "organizations", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await service.deleteOrganization(ctx, params.id); },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/organizations/:id/users", operationId: "listOrganizationUsers", tag: "organizations", auth: "user",
    summary: "The organization's members.",
    params: publicIdParam, query: pageQuery, response: listEnvelope("users", userView),
    handler: async (ctx, { params, query, url }) => {
      const page = parsePage(query);
      const { rows, count } = await listOrganizationUsers(ctx, params.id, page);
      const env = pageEnvelope(page, rows, count, url);
      return { users: env.items, ...env.extra };
    },
  });
}
