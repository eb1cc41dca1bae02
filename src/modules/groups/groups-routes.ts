import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { longText, name, pageQuery, publicId, publicIdParam } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { pageEnvelope, parsePage, listEnvelope } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import * as service from "./groups-service.ts";
import { groupView, membershipView } from "./groups-types.ts";

const groupInput = z.strictObject({ name, description: longText(1000).optional() });

export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/groups", operationId: "listGroups", tag: "groups", auth: "user",
    query: pageQuery, response: listEnvelope("groups", groupView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const { rows, count } = await service.listGroups(ctx, page);
      const env = pageEnvelope(page, rows, count, url);
      return { groups: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/groups/:id", operationId: "showGroup", tag: "groups", auth: "user",
    params: publicIdParam, response: z.object({ group: groupView }),
    handler: async (ctx, { params }) => ({ group: await service.showGroup(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/groups", operationId: "createGroup", tag: "groups", auth: "user",
    body: z.strictObject({ group: groupInput }), response: z.object({ group: groupView }),
    handler: async (ctx, { body }) => ({ group: await service.createGroup(ctx, body.group) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/groups/:id", operationId: "updateGroup", tag: "groups", auth: "user",
    params: publicIdParam, body: z.strictObject({ group: groupInput.partial() }), response: z.object({ group: groupView }),
    handler: async (ctx, { params, body }) => ({ group: await service.updateGroup(ctx, params.id, body.group) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/groups/:id", operationId: "deleteGroup", tag: "groups", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await service.deleteGroup(ctx, params.id); },
  });
  const listMemberships = (url: string, operationId: string, from: "user" | "group" | "none") =>
    defineRoute(app, deps, {
      method: "GET", url, operationId, tag: "group_memberships", auth: "user",
      ...(from === "none" ? {} : { params: publicIdParam }),
      query: pageQuery, response: listEnvelope("group_memberships", membershipView),
      handler: async (ctx, { query, url: u, params }) => {
        const page = parsePage(query);
        const id = (params as { id?: number } | undefined)?.id;
        const filter = from === "user" ? { userNiceId: id! } : from === "group" ? { groupNiceId: id! } : {};
        const { rows, count } = await service.listMemberships(ctx, page, filter);
        const env = pageEnvelope(page, rows, count, u);
        return { group_memberships: env.items, ...env.extra };
      },
    });
  listMemberships("/api/v2/group_memberships", "listGroupMemberships", "none");
  listMemberships("/api/v2/groups/:id/memberships", "listGroupMembershipsByGroup", "group");
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/group_memberships/:id", operationId: "showGroupMembership", tag: "group_memberships", auth: "user",
    params: publicIdParam, response: z.object({ group_membership: membershipView }),
    handler: async (ctx, { params }) => ({ group_membership: await service.showMembership(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/group_memberships", operationId: "createGroupMembership", tag: "group_memberships", auth: "user",
    body: z.strictObject({ group_membership: z.strictObject({ user_id: publicId, group_id: publicId, default: z.boolean().optional() }) }),
    response: z.object({ group_membership: membershipView }),
    handler: async (ctx, { body }) => ({ group_membership: await service.createMembership(ctx, body.group_membership) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/group_memberships/:id", operationId: "deleteGroupMembership", tag: "group_memberships", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await service.deleteMembership(ctx, params.id); },
  });

}
