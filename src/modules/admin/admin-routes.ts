import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { email, lineText, name, pageQuery, publicIdParam } from "../../platform/schemas.ts";
import { AppError, CommitThenFail } from "../../platform/errors.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { setSessionCookie } from "../identity/identity-http.ts";
import * as account from "./account-service.ts";
import * as invitations from "./invitations-service.ts";
import * as termination from "./termination-service.ts";

/**
 * The admin center's API (owners and admins; the services check it): account, invitations,
 * role changes with owner rules, user deletion, and the audit chain's verification. The
 * invitee's two calls (preview, accept) are anonymous: the link's secret is the credential.
 */

const accountView = z.object({ account: z.object({ name: z.string().nullable(), subdomain: z.string(), region: z.string(), created_at: z.string() }) });
const invitationView = z.object({
  id: z.number(),
  email: z.string(),
  role: z.enum(["admin", "agent", "light-agent"]),
  status: z.enum(["pending", "used", "expired", "revoked"]),
  invited_by_id: z.number(),
  user_id: z.number().nullable(),
  created_at: z.string(),
  expires_at: z.string(),
  used_at: z.string().nullable(),
});
const invitationToken = z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/, "is not a valid invitation token");

function tenantOf(req: { tenant: import("../../platform/deps.ts").ResolvedTenant | undefined }) {
  if (!req.tenant) throw new AppError("RecordNotFound");
  return req.tenant;
}

export function register(app: FastifyInstance, deps: AppDeps): void {
  // Staff added without a password get an invitation to choose one.
  deps.hooks.on("user.created", invitations.inviteNewStaff(deps));
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/account", operationId: "showAccount", tag: "account", auth: "user",
    summary: "The account's team name, subdomain and hosting region (staff).",
    response: accountView,
    handler: async (ctx, { req }) => ({ account: await account.showAccount(deps, ctx, tenantOf(req)) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/account", operationId: "updateAccount", tag: "account", auth: "user",
    summary: "Renames the team (owners and admins). Subdomain and region are read-only.",
    body: z.strictObject({ account: z.strictObject({ name: lineText(120).pipe(z.string().trim().min(1, "cannot be blank")) }) }),
    response: accountView,
    handler: async (ctx, { req, body }) => ({ account: await account.updateAccount(deps, ctx, tenantOf(req), body.account) }),
  });

  // ---- Account termination (termination-service.ts): owners only, signed in, with their password.
  for (const task of termination.terminationUpkeep(deps)) deps.jobs.maintain(task);
  const terminationView = z.object({
    termination: z.object({ status: z.enum(["active", "closed", "shredded"]), closed_at: z.string().nullable(), deletes_at: z.string().nullable(), mode: z.enum(["delete_after_grace", "shred_now"]).nullable() }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/account/termination", operationId: "showAccountTermination", tag: "account", auth: "user",
    summary: "The account's termination state (owners, signed in).",
    response: terminationView,
    handler: async (ctx) => ({ termination: await termination.showTermination(ctx) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/account/termination", operationId: "terminateAccount", tag: "account", auth: "user", rateLimit: "signin", status: 200,
    summary: "Closes the account (owners, signed in, with their current password and the subdomain typed out): `delete_after_grace` closes it at once and shreds its data after the operator's grace period (90 days by default); `shred_now` shreds it at once. 409 while a legal hold is in force.",
    body: z.strictObject({
      termination: z.strictObject({
        mode: z.enum(["delete_after_grace", "shred_now"]),
        confirm_subdomain: z.string().min(1).max(100),
        password: z.string().min(1).max(256),
      }),
    }),
    response: terminationView,
    prepare: ({ body, inTenant, tenant }) => termination.prepareTermination(deps, inTenant, tenant, body.termination),
    handler: async (ctx, { body, prepared, tenant, afterCommit }) => ({ termination: await termination.terminateAccount(deps, ctx, tenant, body.termination, prepared, afterCommit) }),
  });

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/invitations", operationId: "listInvitations", tag: "invitations", auth: "user",
    summary: "Invitations, newest first (`sort_order=asc` for oldest first).",
    query: pageQuery, response: listEnvelope("invitations", invitationView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query, { newestFirst: true });
      const r = await invitations.listInvitations(ctx, page);
      const env = pageEnvelope(page, r.rows, r.count, url);
      return { invitations: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/invitations", operationId: "createInvitation", tag: "invitations", auth: "user",
    // The link (in this answer) makes a staff account: a way in for whoever holds it, so only soon
    // after a sign-in — an old or stolen admin cookie must not leave itself a new account.
    recentSignIn: "invite someone",
    summary: "Creates a one-time invitation link; the link is in the response once and never again, and is e-mailed to the invitee when an outgoing mail server is set up (`emailed`). The address may be a staff member added without a password: the link then sets it.",
    body: z.strictObject({
      invitation: z.strictObject({
        email,
        role: z.enum(["admin", "agent", "light-agent"]),
        expires_in_hours: z.number().int().min(1).max(24 * 14).optional(),
      }),
    }),
    response: z.object({ invitation: invitationView.extend({ token: z.string(), url: z.string(), emailed: z.boolean() }) }),
    handler: async (ctx, { body }) => {
      const r = await invitations.createInvitation(deps, ctx, body.invitation);
      return { invitation: { ...r.invitation, token: r.token, url: r.url, emailed: r.emailed } };
    },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/invitations/:id", operationId: "revokeInvitation", tag: "invitations", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await invitations.revokeInvitation(deps, ctx, params.id); },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/invitations/preview", operationId: "previewInvitation", tag: "invitations", auth: "anonymous", rateLimit: "signin",
    summary: "For the invitee: whom the link invites, to which team and role; or why it cannot be used.",
    body: z.strictObject({ token: invitationToken }), status: 200,
    response: z.object({ invitation: z.object({ email: z.string(), role: z.enum(["admin", "agent", "light-agent"]), team_name: z.string().nullable(), expires_at: z.string(), password_requirements: z.array(z.string()) }) }),
    handler: async (ctx, { body }) => ({ invitation: await invitations.previewInvitation(deps, ctx, body.token) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/invitations/accept", operationId: "acceptInvitation", tag: "invitations", auth: "anonymous", rateLimit: "signin",
    summary: "For the invitee: creates their user with a chosen name and password, uses up the link, and signs them in.",
    body: z.strictObject({ token: invitationToken, name, password: z.string().min(1).max(256) }),
    response: z.object({ session: z.object({ user_id: z.number(), csrf_token: z.string(), must_change_password: z.boolean() }) }),
    // The link and the password's policy are checked, and the password hashed, before the transaction opens.
    prepare: ({ body, inTenant }) => invitations.prepareAcceptance(deps, inTenant, body),
    handler: async (ctx, { body, reply, req, prepared }) => {
      const r = await invitations.acceptInvitation(deps, ctx, body, prepared);
      if (r instanceof CommitThenFail) return r;
      setSessionCookie(reply, req, r.session);
      return { session: { user_id: r.userNiceId, csrf_token: r.session.csrf, must_change_password: false } };
    },
  });

}
