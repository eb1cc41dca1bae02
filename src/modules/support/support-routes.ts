import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { lineText, publicIdParam } from "../../platform/schemas.ts";
import { MAX_SUPPORT_DAYS } from "./support-policy.ts";
import * as service from "./support-service.ts";

/**
 * Temporary support access (no Zendesk counterpart): the owner grants the installation's operator
 * access for 1–30 days, owners and admins see and revoke grants. Closed to OAuth tokens and to
 * the support user itself (a credential route: platform/http/scopes.ts).
 */

const level = z.enum(["read_only", "read_write"]);
const grantView = z.object({
  id: z.number(),
  level,
  reason: z.string().nullable(),
  status: z.enum(["live", "expired", "revoked"]),
  support_user_id: z.number().nullable(),
  granted_by_id: z.number().nullable(),
  granted_by_name: z.string().nullable(),
  revoked_by_id: z.number().nullable(),
  created_at: z.string(),
  expires_at: z.string(),
  revoked_at: z.string().nullable(),
});

export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/support_access", operationId: "listSupportAccessGrants", tag: "support_access", auth: "user",
    summary: "Support access grants, newest first (at most 50), and what the viewer may do (owners and admins).",
    response: z.object({ support_access_grants: z.array(grantView), abilities: z.object({ can_grant: z.boolean(), can_revoke: z.boolean() }) }),
    handler: async (ctx) => {
      const r = await service.listGrants(ctx);
      return { support_access_grants: r.grants, abilities: r.abilities };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/support_access", operationId: "grantSupportAccess", tag: "support_access", auth: "user",
    // It lets the installation's operator into the account for up to a month: a way in for someone else.
    recentSignIn: "grant support access",
    summary: `Grants the installation's operator support access for 1 to ${MAX_SUPPORT_DAYS} days (owners only; one live grant at a time).`,
    body: z.strictObject({
      support_access: z.strictObject({
        days: z.number().int().min(1).max(MAX_SUPPORT_DAYS),
        level,
        reason: lineText(500).optional(),
      }),
    }),
    response: z.object({ support_access_grant: grantView }),
    handler: async (ctx, { body }) => ({ support_access_grant: await service.grantSupportAccess(ctx, body.support_access) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/support_access/:id", operationId: "revokeSupportAccess", tag: "support_access", auth: "user",
    summary: "Revokes a support access grant at once (owners and admins).",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => {
      await service.revokeSupportAccess(ctx, params.id);
    },
  });
}
