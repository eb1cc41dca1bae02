import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { CommitThenFail } from "../../platform/errors.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { setSessionCookie } from "./identity-http.ts";
import * as twoFactor from "./two-factor-service.ts";

/**
 * Two-factor sign-in (Vaultdesk: Zendesk has no public API for it). Enrolment, status, turning it
 * off and new recovery codes for the signed-in person; the second step of a sign-in; the tenant's
 * setting. The users module registers the /users/me routes and the admin's reset of a person's second factor (users-routes.ts).
 */

/** A code as typed: six digits, or a recovery code (spaces and hyphens allowed). */
const code = z.string().min(1).max(64);
/** A challenge from the first step (the prefix and 43 base64url characters). */
const challenge = z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/, "is not a valid sign-in challenge");

export const twoFactorChallengeView = z.object({
  two_factor_required: z.literal(true).describe("The password was right; a code from the authenticator app (or a recovery code) is needed: POST /api/v2/session/two_factor."),
  challenge: z.string().describe("Single use, for five minutes."),
  methods: z.array(z.enum(["totp", "passkey", "recovery_code"])).describe("The second factors this person has: `totp` (POST /api/v2/session/two_factor with a code or a recovery code), `passkey` (POST /api/v2/session/two_factor/passkey/options, then /session/two_factor/passkey), `recovery_code` (Vaultdesk: passkeys only and recovery codes left: POST /api/v2/session/two_factor with one)."),
  expires_at: z.string(),
});
export const twoFactorStatusView = z.object({
  enabled: z.boolean(),
  pending: z.boolean().describe("A set-up was started and waits for its first code."),
  activated_at: z.string().nullable(),
  recovery_codes_left: z.number(),
  passkeys: z.number().describe("How many passkeys the person has (each a second factor too)."),
  required: z.boolean().describe("Whether the team requires two-factor authentication of this person (staff, when an admin turned it on)."),
  set_up_needs_password: z.boolean().describe("Vaultdesk: an owner without a second factor while staff sign in through single sign-on only: setting up an authenticator app or adding a passkey needs their current password (`password` in POST /users/me/two_factor/totp/confirm and POST /users/me/passkeys), as their single sign-on sessions never count as a recent sign-in."),
});
const recoveryCodesView = z.object({ recovery_codes: z.array(z.string()).describe("Shown once: only their keyed hashes are kept.") });
const settingsView = z.object({ require_staff_two_factor: z.boolean().describe("Every staff member must use two-factor sign-in; until they have set it up, their session can only set it up.") });

export function registerTwoFactorRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/session/two_factor", operationId: "completeTwoFactorSignIn", tag: "session", auth: "anonymous", rateLimit: "signin",
    summary: "Vaultdesk: the second step of a sign-in: the challenge from POST /session and a code from the authenticator app (or a recovery code) open the session. Wrong, used and expired all answer the same 401; wrong codes count toward the lockout.",
    body: z.strictObject({ challenge, code }),
    response: z.object({ session: z.object({ user_id: z.number(), csrf_token: z.string().nullable(), must_change_password: z.boolean().optional() }) }),
    handler: async (ctx, { body, reply, req }) => {
      const r = await twoFactor.completeTwoFactorSignIn(deps, ctx, body.challenge, body.code);
      if (r instanceof CommitThenFail) return r;
      setSessionCookie(reply, req, r.session);
      return { session: { user_id: r.userNiceId, csrf_token: r.session.csrf, must_change_password: r.mustChangePassword } };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/two_factor_settings", operationId: "showTwoFactorSettings", tag: "two_factor", auth: "user",
    summary: "Vaultdesk: whether two-factor sign-in is required for all staff (admins).",
    response: z.object({ two_factor_settings: settingsView }),
    handler: async (ctx) => ({ two_factor_settings: await twoFactor.showSettings(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/two_factor_settings", operationId: "updateTwoFactorSettings", tag: "two_factor", auth: "user",
    // The account's sign-in rules (like IP restrictions and password access to the API): only soon after a sign-in.
    recentSignIn: "change the two-factor settings",
    summary: "Vaultdesk: requires (or stops requiring) two-factor sign-in for all staff (admins; audited). The admin turning it on must use it already.",
    body: z.strictObject({ two_factor_settings: settingsView.partial().strict() }), response: z.object({ two_factor_settings: settingsView }),
    handler: async (ctx, { body }) => ({ two_factor_settings: await twoFactor.updateSettings(ctx, body.two_factor_settings) }),
  });
}

/** The signed-in person's own authenticator, under /users/me (registered by the users module, which owns that path). */
export function registerOwnTwoFactorRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/me/two_factor", operationId: "showOwnTwoFactor", tag: "two_factor", auth: "user", allowPendingTwoFactor: true,
    summary: "Vaultdesk: whether the caller uses two-factor sign-in, and how many recovery codes are left (never the secret).",
    response: z.object({ two_factor: twoFactorStatusView }),
    handler: async (ctx) => ({ two_factor: await twoFactor.ownStatus(ctx) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/me/two_factor/totp", operationId: "startTotpEnrolment", tag: "two_factor", auth: "user", allowPendingTwoFactor: true,
    summary: "Vaultdesk: starts setting up an authenticator app (staff, on a session that signed in within the last 15 minutes, else 403 `RecentSignInRequired`): a new secret as an otpauth:// URI, a QR code (SVG data URL) and base32 text, shown only now. Not active until confirmed.",
    response: z.object({ totp: z.object({ secret: z.string(), otpauth_uri: z.string(), qr_code: z.string(), issuer: z.string(), account_name: z.string() }) }),
    handler: async (ctx, { tenant, url }) => ({ totp: await twoFactor.startEnrolment(ctx, url.hostname || tenant.subdomain) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/me/two_factor/totp/confirm", operationId: "confirmTotpEnrolment", tag: "two_factor", auth: "user", allowPendingTwoFactor: true, rateLimit: "signin", status: 200,
    summary: "Vaultdesk: a code from the app turns two-factor sign-in on; answers ten recovery codes, once. On a session that signed in within the last 15 minutes; an owner without a second factor while staff sign in through single sign-on only gives their current `password` instead (422 without it, or when it is not right).",
    body: z.strictObject({ code, password: z.string().min(1).max(256).optional() }), response: recoveryCodesView,
    prepare: ({ body, inTenant }) => twoFactor.checkSetUpPassword(deps, inTenant, body.password),
    handler: async (ctx, { body, prepared }) => ({ recovery_codes: await twoFactor.confirmEnrolment(deps, ctx, body.code, prepared) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/users/me/two_factor", operationId: "disableOwnTwoFactor", tag: "two_factor", auth: "user", rateLimit: "signin",
    summary: "Vaultdesk: turns two-factor sign-in off; needs a current code or an unused recovery code (a session alone is not enough). A set-up not yet confirmed is dropped without one.",
    body: z.strictObject({ code: code.optional() }).nullish(), response: z.undefined(), status: 204,
    handler: async (ctx, { body }) => {
      const r = await twoFactor.disableOwn(deps, ctx, body?.code ?? "");
      if (r instanceof CommitThenFail) return r;
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/me/two_factor/recovery_codes", operationId: "regenerateRecoveryCodes", tag: "two_factor", auth: "user", rateLimit: "signin",
    summary: "Vaultdesk: ten new recovery codes, shown once; the earlier ones stop working. Needs a current code.",
    body: z.strictObject({ code }), response: recoveryCodesView,
    handler: async (ctx, { body }) => {
      const r = await twoFactor.regenerateRecoveryCodes(deps, ctx, body.code);
      return r instanceof CommitThenFail ? r : { recovery_codes: r };
    },
  });
}
