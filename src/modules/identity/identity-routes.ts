import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { email, locale } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { CommitThenFail } from "../../platform/errors.ts";
import { defineRoute, WithStatus } from "../../platform/http/route.ts";
import { registerTwoFactorRoutes, twoFactorChallengeView } from "./two-factor-routes.ts";
import { registerPasskeySessionRoutes } from "./passkeys-routes.ts";
import { registerSsoRoutes } from "./sso-routes.ts";
import { registerApiTokenRoutes } from "./api-tokens-routes.ts";
import { registerIpRestrictionRoutes } from "./ip-restrictions-routes.ts";
import { registerJwtRoutes } from "./sso-jwt-routes.ts";
import { registerOidcRoutes } from "./sso-oidc-routes.ts";
import { registerOAuthRoutes } from "./oauth-routes.ts";
import { actorUser } from "../../platform/context.ts";
import { abilitiesOf } from "./identity-abilities.ts";
import { clearSessionCookie, sessionCookieOf, setSessionCookie } from "./identity-http.ts";
import * as service from "./identity-service.ts";
import { configurePasswordChecks } from "./password-hashing.ts";
import { signinLinkJob } from "./signin-links-service.ts";
import { policySchema } from "./password-policy.ts";
import * as passwords from "./password-settings-service.ts";
import * as sessions from "./sessions-service.ts";
import { sessionListView, sessionSettingsInput, sessionSettingsView } from "./sessions-types.ts";

const passwordSettingsView = z.object({
  staff: policySchema.describe("The policy for owners, admins, agents and light agents: recommended (the default) or custom."),
  end_users: policySchema.describe("The policy for end users: low, medium (the default), high or recommended."),
  admins_set_end_user_passwords: z.boolean().describe("Whether admins may set an end user's password (off by default)."),
});
const passwordSettingsInput = z.strictObject({ password_settings: passwordSettingsView.partial().strict() });

import { PASSWORD_RESET_MINUTES, completeReset, passwordResetJob, prepareReset, requestPasswordReset } from "./password-reset-links-service.ts";

const sessionView = z.object({ session: z.object({ user_id: z.number(), csrf_token: z.string().nullable(), must_change_password: z.boolean().optional(), must_enrol_two_factor: z.boolean().optional() }) });
const password = z.string().min(1).max(256);
/** A reset link's secret, as the page sends it (the prefix and 43 base64url characters). */
const resetToken = z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/, "is not a valid password reset link");
/** Bounded well above the policy's 256 characters, so that the policy, not the schema, explains a long one. */
const newPassword = z.string().min(1).max(1024);
const abilitiesView = z.object({
  can_use_workspace: z.boolean(), can_create_tickets: z.boolean(), can_reply_publicly: z.boolean(), can_add_internal_notes: z.boolean(),
  can_edit_properties: z.boolean(), can_bulk_update: z.boolean(), can_delete_tickets: z.boolean(), can_be_assigned: z.boolean(),
  can_create_end_users: z.boolean(), can_edit_end_users: z.boolean(), can_manage_admin: z.boolean(), can_manage_groups: z.boolean(),
  can_edit_organizations: z.boolean(), can_share_organization_requests: z.boolean(), can_view_audit_log: z.boolean(),
  can_manage_api_tokens: z.boolean(), can_manage_api_settings: z.boolean(),
  ticket_access: z.enum(["all", "within-groups", "assigned-only"]),
});

export async function register(app: FastifyInstance, deps: AppDeps): Promise<void> {
  configurePasswordChecks({ concurrency: deps.config.passwordChecks, queue: deps.config.passwordCheckQueue, failuresPerSecond: deps.config.passwordFailuresPerSecond });
  deps.jobs.define(signinLinkJob(deps));
  deps.jobs.define(passwordResetJob(deps));
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/session", operationId: "createSession", tag: "session", auth: "anonymous", rateLimit: "signin",
    summary: "Sign in with e-mail and password; sets an HttpOnly session cookie.",
    body: z.strictObject({ email, password }), response: sessionView,
    // The password is verified before the transaction opens (argon2 takes ~50 ms of CPU).
    prepare: ({ body, inTenant }) => service.checkPassword(inTenant, body.email, body.password),
    alsoAnswers: { status: 202, response: twoFactorChallengeView },
    handler: async (ctx, { prepared, reply, req }) => {
      const r = await service.signIn(deps, ctx, prepared);
      if (r instanceof CommitThenFail) return r;
      if (r.twoFactor) return new WithStatus(202, { two_factor_required: true as const, challenge: r.twoFactor.challenge, expires_at: r.twoFactor.expires.toISOString(), methods: r.twoFactor.methods });
      setSessionCookie(reply, req, r.session);
      return { session: { user_id: r.userNiceId, csrf_token: r.session.csrf, must_change_password: r.mustChangePassword } };
    },
  });
  registerTwoFactorRoutes(app, deps);
  registerPasskeySessionRoutes(app, deps);
  registerSsoRoutes(app, deps);
  registerIpRestrictionRoutes(app, deps);
  registerOidcRoutes(app, deps);
  await registerJwtRoutes(app, deps);
  await registerOAuthRoutes(app, deps);
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/session", operationId: "showSession", tag: "session", auth: "user", allowPendingPasswordChange: true, allowPendingTwoFactor: true,
    summary: "The current session; `abilities` (Vaultdesk) says what the signed-in person may do, from the same policies the API enforces.",
    response: z.object({ session: sessionView.shape.session.extend({ abilities: abilitiesView }) }),
    handler: async (ctx, { req }) => ({
      session: { ...(await service.sessionInfo(deps, ctx, sessionCookieOf(req))), must_change_password: req.passwordChangeRequired, must_enrol_two_factor: req.twoFactorEnrolmentRequired, abilities: abilitiesOf(actorUser(ctx)) },
    }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/session", operationId: "deleteSession", tag: "session", auth: "user", allowPendingPasswordChange: true, allowPendingTwoFactor: true,
    response: z.undefined(), status: 204,
    handler: async (ctx, { req, reply }) => {
      await service.signOut(deps, ctx, sessionCookieOf(req));
      clearSessionCookie(reply);
    },
  });
  registerApiTokenRoutes(app, deps);

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/sessions", operationId: "listSessions", tag: "sessions", auth: "user",
    summary: "Every live session of the tenant (admins), newest first, at most 500.",
    response: sessionListView,
    handler: async (ctx, { req }) => ({ sessions: await sessions.listAllSessions(deps, ctx, service.sessionHashOf(deps, ctx, sessionCookieOf(req))) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/session_settings", operationId: "showSessionSettings", tag: "sessions", auth: "user",
    summary: "Vaultdesk: the tenant's session lengths (admins): idle timeout and absolute length, and the server's defaults.",
    response: z.object({ session_settings: sessionSettingsView }),
    handler: async (ctx) => ({ session_settings: await sessions.showSessionSettings(deps, ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/session_settings", operationId: "updateSessionSettings", tag: "sessions", auth: "user",
    // Longer sessions keep a stolen cookie alive: only soon after a sign-in.
    recentSignIn: "change the session settings",
    summary: "Vaultdesk: changes the tenant's session lengths (admins; audited). `null` goes back to the server's default. Live sessions follow at their next request.",
    body: sessionSettingsInput, response: z.object({ session_settings: sessionSettingsView }),
    handler: async (ctx, { body }) => ({ session_settings: await sessions.updateSessionSettings(deps, ctx, body.session_settings) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/password_settings", operationId: "showPasswordSettings", tag: "passwords", auth: "user",
    summary: "The password policies for staff and for end users, and whether admins may set end users' passwords (admins).",
    response: z.object({ password_settings: passwordSettingsView }),
    handler: async (ctx) => ({ password_settings: await passwords.showPasswordSettings(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/password_settings", operationId: "updatePasswordSettings", tag: "passwords", auth: "user",
    // A laxer policy or lockout makes passwords easier to guess: only soon after a sign-in.
    recentSignIn: "change the password policy",
    summary: "Changes the password policies (admins); new rules apply to the next password each person chooses.",
    body: passwordSettingsInput, response: z.object({ password_settings: passwordSettingsView }),
    handler: async (ctx, { body }) => {
      const input = Object.fromEntries(Object.entries(body.password_settings).filter(([, v]) => v !== undefined)) as Partial<passwords.PasswordSettings>;
      return { password_settings: await passwords.updatePasswordSettings(ctx, input) };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/password_resets", operationId: "requestPasswordReset", tag: "session", auth: "anonymous", rateLimit: "signin-link",
    summary: "Vaultdesk (Zendesk has no public endpoint for this): e-mails a password reset link (one hour, single use) if the address belongs to someone with a password who may sign in. The answer is the same either way.",
    body: z.strictObject({ email, locale: locale.optional() }), status: 202,
    response: z.object({ password_reset: z.object({ status: z.literal("requested"), expires_in_minutes: z.number() }) }),
    handler: async (ctx, { body }) => {
      await requestPasswordReset(deps, ctx, body);
      return { password_reset: { status: "requested" as const, expires_in_minutes: PASSWORD_RESET_MINUTES } };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/password_resets/redeem", operationId: "redeemPasswordReset", tag: "session", auth: "anonymous", rateLimit: "signin", status: 200,
    summary: "Vaultdesk: uses up a password reset link and sets the new password; every session of the person ends. Signs nobody in: `sign_in_path` is where the person signs in with the new password.",
    body: z.strictObject({ token: resetToken, password: newPassword }),
    response: z.object({ password_reset: z.object({ status: z.literal("completed"), sign_in_path: z.enum(["/agent", "/signin"]) }) }),
    // The link and the policy are checked, and the new password hashed, before the transaction opens.
    prepare: ({ body, inTenant }) => prepareReset(deps, inTenant, body.token, body.password),
    handler: async (ctx, { prepared }) => {
      const r = await completeReset(deps, ctx, prepared);
      return { password_reset: { status: "completed" as const, sign_in_path: r.role === "end_user" ? ("/signin" as const) : ("/agent" as const) } };
    },
  });
}
