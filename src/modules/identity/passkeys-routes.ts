import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { CommitThenFail } from "../../platform/errors.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { lineText, publicId } from "../../platform/schemas.ts";
import { sessionCookieOf, setSessionCookie } from "./identity-http.ts";
import { sessionHashOf } from "./identity-service.ts";
import * as passkeys from "./passkeys-service.ts";
import { recoveryCodesPasskeyOptions, regenerateRecoveryCodesWithPasskey } from "./recovery-codes-passkey.ts";
import { checkSetUpPassword } from "./two-factor-service.ts";

/**
 * Passkeys (Vaultdesk: Zendesk has no public API for them). The sign-in steps live under
 * /session (registered here, by the identity module); the person's own passkeys under
 * /users/me/passkeys, and new recovery codes with a passkey as the proof under
 * /users/me/two_factor/recovery_codes/passkey; an admin's view under /users/{id}/passkeys (registered by the users
 * module, which owns those paths, through the functions below).
 */

/** base64url text as WebAuthn's JSON encodings carry it, bounded. */
const b64url = (max: number) => z.string().max(max).regex(/^[A-Za-z0-9_-]*$/, "is not base64url");
const transports = z.array(z.enum(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"])).max(8);
const extensionResults = z.record(z.string().max(64), z.unknown()).default({});
const attachment = z.enum(["platform", "cross-platform"]);

/** An authenticator's answer to a registration (RegistrationResponseJSON of @simplewebauthn/browser). */
const registrationCredential = z.object({
  id: b64url(1400).min(1),
  rawId: b64url(1400).min(1),
  type: z.literal("public-key"),
  authenticatorAttachment: attachment.optional(),
  clientExtensionResults: extensionResults,
  response: z.object({
    clientDataJSON: b64url(4096).min(1),
    attestationObject: b64url(16_384).min(1),
    authenticatorData: b64url(8192).optional(),
    transports: transports.optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: b64url(4096).optional(),
  }),
});

/** An authenticator's answer to a sign-in (AuthenticationResponseJSON of @simplewebauthn/browser). */
const assertionCredential = z.object({
  id: b64url(1400).min(1),
  rawId: b64url(1400).min(1),
  type: z.literal("public-key"),
  authenticatorAttachment: attachment.optional(),
  clientExtensionResults: extensionResults,
  response: z.object({
    clientDataJSON: b64url(4096).min(1),
    authenticatorData: b64url(8192).min(1),
    signature: b64url(2048).min(1),
    userHandle: b64url(256).optional(),
  }),
});

const credentialDescriptor = z.object({ id: z.string(), type: z.literal("public-key"), transports: z.array(z.string()).optional() });
const creationOptionsView = z.object({
  challenge: z.string(),
  rp: z.object({ name: z.string(), id: z.string().optional() }),
  user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  pubKeyCredParams: z.array(z.object({ alg: z.number(), type: z.literal("public-key") })),
  timeout: z.number().optional(),
  excludeCredentials: z.array(credentialDescriptor).optional(),
  authenticatorSelection: z.object({ authenticatorAttachment: attachment.optional(), requireResidentKey: z.boolean().optional(), residentKey: z.enum(["discouraged", "preferred", "required"]).optional(), userVerification: z.enum(["discouraged", "preferred", "required"]).optional() }).optional(),
  hints: z.array(z.string()).optional(),
  attestation: z.enum(["direct", "enterprise", "indirect", "none"]).optional(),
  extensions: z.object({ credProps: z.boolean().optional() }).optional(),
});
const requestOptionsView = z.object({
  challenge: z.string(),
  timeout: z.number().optional(),
  rpId: z.string().optional(),
  allowCredentials: z.array(credentialDescriptor).optional(),
  userVerification: z.enum(["discouraged", "preferred", "required"]).optional(),
});

export const passkeyView = z.object({
  id: z.string(),
  name: z.string().describe("The person's own name for it (stored sealed)."),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  backed_up: z.boolean().describe("Whether the authenticator says the passkey is synced (backed up) beyond this device."),
  device_type: z.enum(["single_device", "multi_device"]),
  transports: z.array(z.string()),
});
const passkeyName = lineText(100).pipe(z.string().trim().min(1, "cannot be blank"));
const passkeyIdParam = z.object({ id: z.uuid("is not a passkey id") });
const userPasskeyParams = z.object({ id: publicId, passkey_id: z.uuid("is not a passkey id") });
/** A challenge from the first step of a password sign-in (the prefix and 43 base64url characters). */
const twoFactorChallenge = z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/, "is not a valid sign-in challenge");
const sessionView = z.object({ session: z.object({ user_id: z.number(), csrf_token: z.string().nullable(), must_change_password: z.boolean().optional() }) });

/** The sign-in steps (anonymous; rate limited like password sign-in). */
export function registerPasskeySessionRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/session/passkey/options", challengeRateLimit: "per-client", operationId: "createPasskeySignInOptions", tag: "session", auth: "anonymous", rateLimit: "signin", status: 200,
    summary: "Vaultdesk: the first step of a passwordless sign-in with a passkey: WebAuthn request options (a challenge for five minutes, single use; user verification required) for navigator.credentials.get.",
    response: z.object({ options: requestOptionsView }),
    handler: async (ctx) => ({ options: await passkeys.signInOptions(deps, ctx) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/session/passkey", operationId: "createPasskeySession", tag: "session", auth: "anonymous", rateLimit: "signin",
    summary: "Vaultdesk: signs in with a passkey alone (a discoverable credential, user verified); sets the session cookie. Every refusal answers the same 401.",
    body: z.strictObject({ credential: assertionCredential }), response: sessionView,
    handler: async (ctx, { body, reply, req }) => {
      const r = await passkeys.signIn(deps, ctx, body.credential);
      if (r instanceof CommitThenFail) return r;
      setSessionCookie(reply, req, r.session);
      return { session: { user_id: r.userNiceId, csrf_token: r.session.csrf } };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/session/two_factor/passkey/options", challengeRateLimit: "per-client", operationId: "createPasskeySecondFactorOptions", tag: "session", auth: "anonymous", rateLimit: "signin", status: 200,
    summary: "Vaultdesk: after the right password (a 202 whose `methods` include `passkey`), WebAuthn request options naming that person's passkeys.",
    body: z.strictObject({ challenge: twoFactorChallenge }), response: z.object({ options: requestOptionsView }),
    handler: async (ctx, { body }) => {
      const r = await passkeys.secondFactorOptions(deps, ctx, body.challenge);
      return r instanceof CommitThenFail ? r : { options: r };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/session/two_factor/passkey", operationId: "completePasskeySecondFactor", tag: "session", auth: "anonymous", rateLimit: "signin",
    summary: "Vaultdesk: the second step of a password sign-in with a passkey: the challenge from POST /session and an assertion of one of that person's passkeys open the session. Refusals count like wrong codes and answer the same 401.",
    body: z.strictObject({ challenge: twoFactorChallenge, credential: assertionCredential }), response: sessionView,
    handler: async (ctx, { body, reply, req }) => {
      const r = await passkeys.completeSecondFactor(deps, ctx, body.challenge, body.credential);
      if (r instanceof CommitThenFail) return r;
      setSessionCookie(reply, req, r.session);
      return { session: { user_id: r.userNiceId, csrf_token: r.session.csrf, must_change_password: r.mustChangePassword } };
    },
  });
}

/** The signed-in person's own passkeys, under /users/me (registered by the users module). */
export function registerOwnPasskeyRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/me/passkeys", operationId: "listOwnPasskeys", tag: "passkeys", auth: "user", allowPendingTwoFactor: true,
    summary: "Vaultdesk: the caller's passkeys (names and dates; never a key or a credential id).",
    response: z.object({ passkeys: z.array(passkeyView) }),
    handler: async (ctx) => ({ passkeys: await passkeys.listOwn(ctx) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/me/passkeys/options", challengeRateLimit: "per-person", operationId: "createPasskeyRegistrationOptions", tag: "passkeys", auth: "user", allowPendingTwoFactor: true, status: 200,
    summary: "Vaultdesk: the first step of adding a passkey (on a session that signed in within the last 15 minutes, else 403 `RecentSignInRequired`: sign in again; an owner without a second factor while staff sign in through single sign-on only, from any session): WebAuthn creation options for navigator.credentials.create (a challenge for five minutes, single use).",
    response: z.object({ options: creationOptionsView }),
    handler: async (ctx, {}) => ({ options: await passkeys.registrationOptions(deps, ctx) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/me/passkeys", operationId: "createOwnPasskey", tag: "passkeys", auth: "user", allowPendingTwoFactor: true,
    summary: "Vaultdesk: the second step of adding a passkey: the authenticator's answer, verified and stored under the given name (the session's sign-in still within 15 minutes). An owner without a second factor while staff sign in through single sign-on only (`set_up_needs_password` in GET /users/me/two_factor) gives their current `password` instead (422 without it, or when it is not right; counted toward their lockout and audited); anyone else's is ignored. Audited; the person is told by e-mail.",
    body: z.strictObject({
      passkey: z.strictObject({ name: passkeyName.optional(), credential: registrationCredential }),
      password: z.string().min(1).max(256).optional().describe("Vaultdesk: only from an owner without a second factor while staff sign in through single sign-on only (their sessions never count as a recent sign-in); ignored for anyone else."),
    }),
    response: z.object({ passkey: passkeyView, recovery_codes: z.array(z.string()).optional().describe("Vaultdesk: a team member's first second factor (no authenticator app, no codes yet) comes with ten recovery codes, shown only now.") }),
    prepare: ({ body, inTenant }) => checkSetUpPassword(deps, inTenant, body.password),
    handler: async (ctx, { body, req, prepared }) => {
      const r = await passkeys.register(deps, ctx, body.passkey, sessionHashOf(deps, ctx, sessionCookieOf(req)), prepared);
      return { passkey: r.passkey, ...(r.recoveryCodes ? { recovery_codes: r.recoveryCodes } : {}) };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/me/two_factor/recovery_codes/passkey/options", challengeRateLimit: "per-person", operationId: "createRecoveryCodesPasskeyOptions", tag: "two_factor", auth: "user", rateLimit: "signin", status: 200,
    summary: "Vaultdesk: the first step of new recovery codes with a passkey as the proof (staff, on a session): WebAuthn request options naming the caller's passkeys, for navigator.credentials.get (a challenge for five minutes, single use, good only for this). 422 `NoPasskeys` without one.",
    response: z.object({ options: requestOptionsView }),
    handler: async (ctx) => ({ options: await recoveryCodesPasskeyOptions(deps, ctx) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/me/two_factor/recovery_codes/passkey", operationId: "regenerateRecoveryCodesWithPasskey", tag: "two_factor", auth: "user", rateLimit: "signin",
    summary: "Vaultdesk: ten new recovery codes, shown once, with an assertion of one of the caller's passkeys over the challenge of POST /users/me/two_factor/recovery_codes/passkey/options as the proof; the earlier codes stop working. A challenge of a sign-in or another step, a used or expired one, or another person's passkey answers 422 `InvalidCredential` (audited); without passkeys, 422 `NoPasskeys`.",
    body: z.strictObject({ credential: assertionCredential }), response: z.object({ recovery_codes: z.array(z.string()).describe("Shown once: only their keyed hashes are kept.") }),
    handler: async (ctx, { body }) => {
      const r = await regenerateRecoveryCodesWithPasskey(deps, ctx, body.credential);
      return r instanceof CommitThenFail ? r : { recovery_codes: r };
    },
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/users/me/passkeys/:id", operationId: "renameOwnPasskey", tag: "passkeys", auth: "user",
    summary: "Vaultdesk: renames one of the caller's passkeys (audited).",
    params: passkeyIdParam, body: z.strictObject({ passkey: z.strictObject({ name: passkeyName }) }), response: z.object({ passkey: passkeyView }),
    handler: async (ctx, { params, body }) => ({ passkey: await passkeys.renameOwn(ctx, params.id, body.passkey.name) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/users/me/passkeys/:id", operationId: "deleteOwnPasskey", tag: "passkeys", auth: "user",
    summary: "Vaultdesk: removes one of the caller's passkeys. Audited; the person is told by e-mail. Another person's passkey answers 404.",
    params: passkeyIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await passkeys.removeOwn(deps, ctx, params.id); },
  });
}

/** An admin's view of a person's passkeys (registered by the users module, which resolves the person). */
export function registerUserPasskeyRoutes(app: FastifyInstance, deps: AppDeps, resolveUser: (ctx: Parameters<typeof passkeys.listOwn>[0], id: number) => Promise<{ id: string; niceId: number; role: string }>): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/:id/passkeys", operationId: "listUserPasskeys", tag: "passkeys", auth: "user",
    summary: "Vaultdesk: a person's passkeys (admins, or the person themselves).",
    params: z.object({ id: userPasskeyParams.shape.id }), response: z.object({ passkeys: z.array(passkeyView) }),
    handler: async (ctx, { params }) => ({ passkeys: await passkeys.listOf(ctx, await resolveUser(ctx, params.id)) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/users/:id/passkeys/:passkey_id", operationId: "deleteUserPasskey", tag: "passkeys", auth: "user",
    summary: "Vaultdesk: removes one of a person's passkeys (admins; only the owner for the owner). Audited; the person is told by e-mail.",
    params: userPasskeyParams, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await passkeys.removeByAdmin(deps, ctx, await resolveUser(ctx, params.id), params.passkey_id); },
  });
}
