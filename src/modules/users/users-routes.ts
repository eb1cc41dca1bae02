import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { idList, lineText, pageQuery, publicId, publicIdParam } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { pageEnvelope, parsePage, listEnvelope } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { notFound } from "../../platform/errors.ts";
import { clearSessionCookie, sessionCookieOf } from "../identity/identity-http.ts";
import * as sessions from "../identity/sessions-service.ts";
import { sessionListView, sessionObjectView } from "../identity/sessions-types.ts";
import { sessionHashOf } from "../identity/identity-service.ts";
import { confirmEmailChange } from "./users-email.ts";
import * as service from "./users-service.ts";
import { autocompleteUsers, searchUsersByQuery } from "../search/people-service.ts";
import { listUserConsentRecords, listUserConsentWithdrawals, withdrawConsentFor, withdrawOwnConsent } from "../help-center/help-center-service.ts";
import { consentRecordView, consentWithdrawalView } from "../help-center/help-center-types.ts";
import { setRestriction } from "./users-restriction.ts";
import { listMemberships } from "../groups/groups-service.ts";
import { membershipView } from "../groups/groups-types.ts";
import * as identity from "../identity/identity-service.ts";
import { createSigninLinkFor } from "../identity/signin-links-service.ts";
import * as twoFactor from "../identity/two-factor-service.ts";
import { registerOwnTwoFactorRoutes, twoFactorStatusView } from "../identity/two-factor-routes.ts";
import { registerPersonExportRoutes } from "../exports/exports-routes.ts";
import { registerOwnPasskeyRoutes, registerUserPasskeyRoutes } from "../identity/passkeys-routes.ts";
import * as passwords from "../identity/password-settings-service.ts";
import * as adminPasswords from "../identity/admin-password-service.ts";
import { actorUser, type RequestContext } from "../../platform/context.ts";

const requirementsView = z.object({ requirements: z.array(z.string()) });
import { changeUserRole, deleteUser } from "./users-admin.ts";
import { apiRole, restrictionInput, restrictionView, roleFromApi, userCreateInput, userUpdateInput, userView, vaultdeskRole } from "./users-types.ts";

const password = z.string().min(1).max(256);

const one = z.object({ user: userView });
const exactEmail = async (ctx: RequestContext, email: string) => {
  const rows = await service.findUserByExactEmail(ctx, email);
  return { rows, count: rows.length };
};
const many = listEnvelope("users", userView);

export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/me", operationId: "showCurrentUser", tag: "users", auth: "user",
    allowPendingPasswordChange: true, allowPendingTwoFactor: true, response: one,
    handler: async (ctx) => ({ user: await service.showMe(ctx) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users", operationId: "listUsers", tag: "users", auth: "user",
    // `role[]=agent&role[]=admin` arrives as an array under `role` (the query-string parser reads the brackets).
    query: pageQuery.extend({ role: z.union([apiRole, z.array(apiRole).max(5)]).optional(), "role[]": z.union([apiRole, z.array(apiRole).max(5)]).optional() }),
    response: many,
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const rs = query["role[]"] ?? query.role;
      const roles = rs === undefined ? undefined : (Array.isArray(rs) ? rs : [rs]).flatMap((r) => (r === "admin" ? ["admin", "owner"] as const : r === "agent" ? ["agent", "light_agent"] as const : [roleFromApi(r)]));
      const { rows, count } = await service.listUsers(ctx, page, { roles });
      const env = pageEnvelope(page, rows, count, url);
      return { users: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/show_many", operationId: "showManyUsers", tag: "users", auth: "user",
    query: z.object({ ids: idList }), response: many,
    handler: async (ctx, { query }) => ({ users: await service.showManyUsers(ctx, query.ids) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/search", operationId: "searchUsers", tag: "users", auth: "user",
    summary: "People by a whole e-mail address (`query=ada@example.com` or `email=`), or by the start of words of their name or address (`query=ada lov`, `query=ada@ex`), in the order they were created (staff).",
    query: pageQuery.extend({ query: lineText(300).optional(), email: lineText(254).optional(), external_id: lineText(255).optional() }),
    response: many,
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const { rows, count } = query.email !== undefined ? await exactEmail(ctx, query.email) : await searchUsersByQuery(ctx, query.query ?? "", page);
      const env = pageEnvelope(page, rows, count, url);
      return { users: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/autocomplete", operationId: "autocompleteUsers", tag: "users", auth: "user",
    summary: "People whose name has words starting with each word given (`name=ad lov` finds Ada Lovelace), for type-ahead, in the order they were created (staff).",
    query: pageQuery.extend({ name: lineText(100) }),
    response: many,
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const { rows, count } = await autocompleteUsers(ctx, query.name, page);
      const env = pageEnvelope(page, rows, count, url);
      return { users: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/:id", operationId: "showUser", tag: "users", auth: "user",
    params: publicIdParam, response: one,
    handler: async (ctx, { params }) => ({ user: await service.showUser(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users", operationId: "createUser", tag: "users", auth: "user",
    body: z.strictObject({ user: userCreateInput }), response: one,
    handler: async (ctx, { body }) => ({ user: await service.createUser(ctx, body.user) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/users/:id", operationId: "updateUser", tag: "users", auth: "user",
    params: publicIdParam, body: z.strictObject({ user: userUpdateInput }), response: one,
    summary: "Updates a user. End users may change only their own name, phone, time zone, language and e-mail. A new e-mail address takes effect once the link sent to it is used; a role change ends the person's sessions and API tokens.",
    handler: async (ctx, { params, body, req }) => ({ user: await service.updateUser(deps, ctx, params.id, body.user, sessionHashOf(deps, ctx, sessionCookieOf(req))) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/email_changes/confirm", operationId: "confirmEmailChange", tag: "users", auth: "anonymous", rateLimit: "signin",
    summary: "Vaultdesk: uses the link sent to a new e-mail address; the address becomes the user's primary one. Signs nobody in.",
    body: z.strictObject({ token: z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/, "is not a valid confirmation link") }), status: 200,
    response: z.object({ email_change: z.object({ status: z.literal("confirmed"), email: z.string() }) }),
    handler: async (ctx, { body }) => ({ email_change: { status: "confirmed" as const, ...(await confirmEmailChange(deps, ctx, body.token)) } }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/users/:id/role", operationId: "changeUserRole", tag: "users", auth: "user",
    summary: "Sets any role, owner included (only owners grant or take away owner and admin; the last owner stays).",
    params: publicIdParam, body: z.strictObject({ role: vaultdeskRole }), response: z.object({ user: userView }),
    handler: async (ctx, { params, body, req }) => ({ user: await changeUserRole(ctx, params.id, body.role, sessionHashOf(deps, ctx, sessionCookieOf(req))) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/users/:id", operationId: "deleteUser", tag: "users", auth: "user",
    summary: "Soft-deletes a user (active: false): sessions and tokens end at once; sealed personal data stays until erasure.",
    params: publicIdParam, response: z.object({ user: userView }),
    handler: async (ctx, { params }) => ({ user: await deleteUser(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/:id/sign_in_links", operationId: "createUserSigninLink", tag: "users", auth: "user",
    // The link (in the answer) signs its holder in as the person: only soon after a sign-in of one's own.
    recentSignIn: "create a sign-in link",
    summary: "Creates a one-time sign-in link for an end user, to hand over (owners and admins). Shown once.",
    params: publicIdParam,
    response: z.object({ sign_in_link: z.object({ url: z.string(), token: z.string(), expires_at: z.string(), user_id: z.number() }) }),
    handler: async (ctx, { params }) => ({ sign_in_link: await createSigninLinkFor(deps, ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/:id/consent_records", operationId: "listUserConsentRecords", tag: "users", auth: "user",
    summary: "The consent records of a user: text version and hash, the text itself, when and from which address, and when it was withdrawn; beside them the withdrawals (`consent_withdrawals`: when, through which way, by whom) (staff).",
    params: publicIdParam, response: z.object({ consent_records: z.array(consentRecordView), consent_withdrawals: z.array(consentWithdrawalView) }),
    handler: async (ctx, { params }) => ({ consent_records: await listUserConsentRecords(ctx, params.id), consent_withdrawals: await listUserConsentWithdrawals(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/me/consents/:id/withdraw", operationId: "withdrawOwnConsent", tag: "users", auth: "user",
    summary: "Vaultdesk: the caller withdraws one of their consents (`:id`: the consent record's id): a withdrawal record (via `help_center`), audited. 422 when it was withdrawn already.",
    params: publicIdParam, response: z.object({ consent_withdrawal: consentWithdrawalView }), status: 201,
    handler: async (ctx, { params }) => ({ consent_withdrawal: await withdrawOwnConsent(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/:id/consents/:consent_id/withdraw", operationId: "withdrawUserConsent", tag: "users", auth: "user",
    summary: "Vaultdesk: staff withdraw a person's consent on their behalf (owners and admins): a withdrawal record (via `staff`, naming who), audited.",
    params: z.object({ id: publicId, consent_id: publicId }), response: z.object({ consent_withdrawal: consentWithdrawalView }), status: 201,
    handler: async (ctx, { params }) => ({ consent_withdrawal: await withdrawConsentFor(ctx, params.id, params.consent_id) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/users/:id/restriction", operationId: "setUserRestriction", tag: "users", auth: "user",
    summary: "Vaultdesk: restricts the processing of a person's data (GDPR art. 18, or an objection: no automated mail to them, a banner for staff) or lifts it (owners and admins; audited; the reason is sealed).",
    params: publicIdParam, body: restrictionInput, response: z.object({ restriction: restrictionView }),
    handler: async (ctx, { params, body }) => ({ restriction: await setRestriction(ctx, params.id, body.restriction) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/assignable", operationId: "listAssignableUsers", tag: "tickets", auth: "user",
    summary: "Vaultdesk: the staff tickets can be assigned to (agents, admins and owners; not light agents), for assignee pickers.",
    query: pageQuery, response: listEnvelope("users", userView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query);
      const r = await service.listAssignableUsers(ctx, page);
      const env = pageEnvelope(page, r.rows, r.count, url);
      return { users: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/users/me/password", operationId: "changeOwnPassword", tag: "session", auth: "user",
    // A one-time password is replaced before two-factor set-up (both may be pending at once).
    allowPendingPasswordChange: true, allowPendingTwoFactor: true, rateLimit: "signin",
    body: z.strictObject({ previous_password: password, password }), response: z.undefined(), status: 204,
    summary: "Changes the caller's password; every other session of theirs ends (this one stays signed in).",
    prepare: ({ body, inTenant }) => identity.preparePasswordChange(deps, inTenant, body.previous_password, body.password),
    handler: async (ctx, { prepared, req }) => { await identity.changePassword(deps, ctx, prepared, sessionCookieOf(req)); },
  });
  // ---- Sessions (Zendesk's Sessions API; src/modules/identity/sessions-service.ts)
  const userSessionParams = z.object({ id: publicId, session_id: publicId });
  /** The user whose sessions are asked for: someone else's are refused before any lookup (no hint of who exists). */
  const sessionsOf = async (ctx: RequestContext, id: number) => {
    sessions.mayManageUserNiceId(ctx, id);
    return service.resolveUser(ctx, id);
  };
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/me/sessions", operationId: "listOwnSessions", tag: "sessions", auth: "user",
    summary: "The caller's signed-in sessions: browser, OS, client address, when it began and was last seen; `current` marks this one.",
    response: sessionListView,
    handler: async (ctx, { req }) => {
      const actor = actorUser(ctx);
      return { sessions: await sessions.listSessions(deps, ctx, { id: actor.userId }, sessionHashOf(deps, ctx, sessionCookieOf(req))) };
    },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/users/me/logout", operationId: "logoutCurrentSession", tag: "sessions", auth: "user", allowPendingPasswordChange: true,
    summary: "Ends the caller's current session (as DELETE /api/v2/session).",
    response: z.undefined(), status: 204,
    handler: async (ctx, { req, reply }) => {
      await identity.signOut(deps, ctx, sessionCookieOf(req));
      clearSessionCookie(reply);
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/:id/sessions", operationId: "listUserSessions", tag: "sessions", auth: "user",
    summary: "A user's signed-in sessions (the user themselves, or admins).",
    params: publicIdParam, response: sessionListView,
    handler: async (ctx, { params, req }) => {
      const u = await sessionsOf(ctx, params.id);
      return { sessions: await sessions.listSessions(deps, ctx, u, sessionHashOf(deps, ctx, sessionCookieOf(req))) };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/:id/sessions/:session_id", operationId: "showUserSession", tag: "sessions", auth: "user",
    params: userSessionParams, response: sessionObjectView,
    handler: async (ctx, { params, req }) => {
      const u = await sessionsOf(ctx, params.id);
      return { session: await sessions.showSession(deps, ctx, u, params.session_id, sessionHashOf(deps, ctx, sessionCookieOf(req))) };
    },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/users/:id/sessions/:session_id", operationId: "deleteUserSession", tag: "sessions", auth: "user",
    summary: "Ends one session of a user (the user themselves, or admins; audited).",
    params: userSessionParams, response: z.undefined(), status: 204,
    handler: async (ctx, { params, req }) => {
      const u = await sessionsOf(ctx, params.id);
      await sessions.endSession(deps, ctx, u, params.session_id);
    },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/users/:id/sessions", operationId: "deleteUserSessions", tag: "sessions", auth: "user",
    summary: "Ends every session of a user (the user themselves, or admins; audited). Vaultdesk: `keep_current=true` keeps the caller's own session (\"sign out everywhere else\").",
    params: publicIdParam, query: z.strictObject({ keep_current: z.enum(["true", "false"]).optional() }), response: z.undefined(), status: 204,
    handler: async (ctx, { params, query, req }) => {
      const u = await sessionsOf(ctx, params.id);
      await sessions.endSessionsOf(ctx, u, query.keep_current === "true" ? sessionHashOf(deps, ctx, sessionCookieOf(req)) : undefined);
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/:id/password", operationId: "setUserPassword", tag: "passwords", auth: "user",
    // The password set is a way into the person's account: only soon after a sign-in of one's own.
    recentSignIn: "set someone's password",
    summary: "Zendesk's \"Set a user's password\": an admin sets an end user's password when the password settings allow it (off by default). It is one-time: the person chooses their own at the next sign-in; their sessions end and they are told by mail.",
    params: publicIdParam, body: z.strictObject({ password: z.string().min(1).max(1024) }), response: z.undefined(), status: 204,
    // The slow hash runs before the transaction; `prepare` sees the raw path, checked here as the route checks it.
    prepare: ({ req, body, inTenant }) => {
      const p = publicIdParam.safeParse(req.params);
      if (!p.success) throw notFound();
      return adminPasswords.prepareAdminPassword(inTenant, p.data.id, body.password);
    },
    handler: async (ctx, { prepared }) => { await adminPasswords.setPasswordByAdmin(deps, ctx, prepared); },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/me/password/requirements", operationId: "showOwnPasswordRequirements", tag: "passwords", auth: "user",
    allowPendingPasswordChange: true, allowPendingTwoFactor: true,
    summary: "The caller's password rules in words, to show before they type (Zendesk's shape).",
    response: requirementsView,
    handler: async (ctx) => {
      const actor = actorUser(ctx);
      return { requirements: await passwords.passwordRequirements(ctx, { id: actor.userId, role: actor.role }) };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/:id/password/requirements", operationId: "showPasswordRequirements", tag: "passwords", auth: "user",
    summary: "A user's password rules in words (the user themselves, or admins).",
    params: publicIdParam, response: requirementsView,
    handler: async (ctx, { params }) => {
      const u = await service.resolveUser(ctx, params.id);
      return { requirements: await passwords.passwordRequirements(ctx, { id: u.id, role: u.role }) };
    },
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/users/:id/unlock", operationId: "unlockUser", tag: "passwords", auth: "user",
    // Unlocking again and again undoes the lockout while passwords are guessed: only soon after a sign-in.
    recentSignIn: "unlock an account",
    summary: "Ends a lockout after wrong passwords (admins; audited). Answers whether the account was locked.",
    params: publicIdParam, response: z.object({ unlocked: z.boolean() }),
    handler: async (ctx, { params }) => {
      const u = await service.resolveUser(ctx, params.id);
      return { unlocked: await passwords.unlockUser(ctx, { id: u.id, niceId: u.niceId }) };
    },
  });
  registerOwnTwoFactorRoutes(app, deps);
  registerOwnPasskeyRoutes(app, deps);
  registerUserPasskeyRoutes(app, deps, service.resolveUser);
  registerPersonExportRoutes(app, deps);
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/:id/two_factor", operationId: "showUserTwoFactor", tag: "two_factor", auth: "user",
    summary: "Vaultdesk: whether a person uses two-factor sign-in (admins, or the person themselves).",
    params: publicIdParam, response: z.object({ two_factor: twoFactorStatusView }),
    handler: async (ctx, { params }) => {
      const u = await service.resolveUser(ctx, params.id);
      return { two_factor: await twoFactor.userStatus(ctx, { id: u.id, role: u.role }) };
    },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/users/:id/two_factor", operationId: "resetUserTwoFactor", tag: "two_factor", auth: "user",
    // Taking away someone's second factor leaves their password alone between an attacker and the
    // account: only soon after a sign-in of one's own.
    recentSignIn: "reset someone's two-factor authentication",
    summary: "Vaultdesk: removes another person's authenticator and recovery codes (admins; only the owner for the owner; one's own: 403, turned off with a code instead). Audited; the person's sessions end and they are told by e-mail. Answers whether there was one.",
    params: publicIdParam, response: z.object({ two_factor_reset: z.boolean() }),
    handler: async (ctx, { params }) => {
      const u = await service.resolveUser(ctx, params.id);
      return { two_factor_reset: await twoFactor.resetByAdmin(deps, ctx, { id: u.id, niceId: u.niceId, role: u.role }) };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/:id/group_memberships", operationId: "listUserGroupMemberships", tag: "group_memberships", auth: "user",
    params: publicIdParam, query: pageQuery, response: listEnvelope("group_memberships", membershipView),
    handler: async (ctx, { params, query, url }) => {
      const page = parsePage(query);
      const { rows, count } = await listMemberships(ctx, page, { userNiceId: params.id });
      const env = pageEnvelope(page, rows, count, url);
      return { group_memberships: env.items, ...env.extra };
    },
  });
}
