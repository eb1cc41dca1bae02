import crypto from "node:crypto";
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { actingAs, actorUser, type RequestContext } from "../../platform/context.ts";
import type { WebauthnPurpose } from "../../platform/db/schema.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, CommitThenFail, forbidden, invalid, notFound } from "../../platform/errors.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { teamName } from "../admin/account-service.ts";
import { audit } from "../audit/audit-service.ts";
import { isAdmin } from "../users/users-policy.ts";
import * as identityRepo from "./identity-repo.ts";
import * as ssoRepo from "./sso-repo.ts";
import { checkOwnerKeepsWayIn, completeSignIn, lockOwnersWayIn, countSignInFailure, networkRefusal, ownerWithoutWayIn, TWO_FACTOR_CHALLENGE_ATTEMPTS } from "./identity-service.ts";
import { requireRecentSignIn, requireRecentSignInOnSession } from "../../platform/recent-sign-in.ts";
import { passkeyMail } from "./passkey-mail.ts";
import * as repo from "./passkeys-repo.ts";
import { rulesFor } from "./password-settings-service.ts";
import { passwordAllowed } from "./sso-password.ts";
import * as twoFactorRepo from "./two-factor-repo.ts";
import { requireSetUpProof, type SetUpPasswordProof } from "./two-factor-service.ts";
import { dropRecoveryCodesWithoutFactor, recoveryCodesForFirstPasskey } from "./recovery-codes.ts";

// Loaded at its first use: the WebAuthn library is about 0.4 s of a server's start, which most
// starts (tests, CLI commands beside a server) never need.
let webauthnLoaded: Promise<typeof import("@simplewebauthn/server")> | undefined;
const webauthn = () => (webauthnLoaded ??= import("@simplewebauthn/server"));

/**
 * Passkeys (WebAuthn, through @simplewebauthn/server), for staff and end users:
 *
 * - Registration by a signed-in person (on a session, not an API token): options, then the
 *   authenticator's answer, verified and stored. Attestation is not asked for ("none"): Vaultdesk
 *   trusts the person who is signed in, not a make of authenticator.
 * - A second factor after the right password (the 202 challenge of POST /session), with
 *   userVerification preferred; and passwordless sign-in with a discoverable credential, with
 *   userVerification required.
 * - The relying party is the tenant's configured origin (deps.urls, through `ctx.apiBase`): its
 *   host is the RP ID, the origin the only expected origin. Request headers (Host, Origin,
 *   X-Forwarded-*) never choose them, so a passkey of tenant A is refused at tenant B.
 * - Every challenge is random (32 bytes), stored as a keyed hash, five minutes long, single use,
 *   and bound to its purpose and (registration, second factor) to its person: the challenge an
 *   answer signed is read from the answer and must be one this tenant issued for this purpose.
 * - The credential id is found through a blind index and kept sealed with the public key and the
 *   person's name for it. A signature counter that does not move forward (a cloned authenticator)
 *   is refused and audited `user.passkey_counter_regressed`.
 * - Adding and removing a passkey is audited and the person is told by e-mail.
 */

export const PASSKEY_CHALLENGE_MINUTES = 5;
const CHALLENGE_KIND = "webauthn-challenge";
const TIMEOUT_MS = PASSKEY_CHALLENGE_MINUTES * 60_000;
const DEFAULT_NAME = "Passkey";

/** The relying party: the tenant's configured origin and its host (never the request's headers). */
function relyingParty(ctx: RequestContext): { origin: string; rpID: string } {
  const u = new URL(ctx.apiBase);
  return { origin: u.origin, rpID: u.hostname };
}

/** An opaque, stable WebAuthn user handle per person (a keyed hash of the id: names nobody). */
const userHandleOf = (deps: Pick<AppDeps, "keyring">, userId: string) => new Uint8Array(deps.keyring.hashSecret("webauthn-user-handle", userId));
/** Bytes in a fresh ArrayBuffer (the library's types want one). */
const bytesOf = (b64url: string) => new Uint8Array(Buffer.from(b64url, "base64url"));
const credentialIndex = (ctx: RequestContext, credentialId: string) => ctx.sealer.blindIndex("passkey-credential", credentialId);
const refs = (row: string) => ({
  credentialId: { table: "passkeys" as const, column: "credential_id" as const, row },
  publicKey: { table: "passkeys" as const, column: "public_key" as const, row },
  name: { table: "passkeys" as const, column: "name" as const, row },
});

/** A new challenge for `purpose` (and person), stored as a keyed hash; answers its base64url text. */
async function issueChallenge(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, purpose: WebauthnPurpose, userId: string | null): Promise<string> {
  const challenge = crypto.randomBytes(32).toString("base64url");
  const now = ctx.now();
  await repo.insertChallenge(ctx.tx, { id: crypto.randomUUID(), purpose, user_id: userId, challenge_hash: deps.keyring.hashSecret(CHALLENGE_KIND, challenge), expires_at: new Date(now.getTime() + TIMEOUT_MS) }, now);
  return challenge;
}

/** The challenge an answer signed, as the browser reported it (undefined when unreadable). */
function challengeIn(clientDataJSON: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, "base64url").toString("utf8"));
    const c = typeof parsed === "object" && parsed !== null ? (parsed as { challenge?: unknown }).challenge : undefined;
    return typeof c === "string" && c.length > 0 && c.length <= 200 ? c : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Uses up the challenge an answer carries, if this tenant issued it for `purpose` (and person),
 * it is not used and not expired. Answers the challenge's text and its row, or undefined.
 */
async function claimChallengeOf(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, clientDataJSON: string, purpose: WebauthnPurpose, userId: string | null) {
  const challenge = challengeIn(clientDataJSON);
  if (!challenge) return undefined;
  const row = await repo.findChallengeByHash(ctx.tx, deps.keyring.hashSecret(CHALLENGE_KIND, challenge));
  if (!row || row.purpose !== purpose || row.user_id !== userId) return undefined;
  return (await repo.claimChallenge(ctx.tx, row.id, ctx.now())) ? { challenge, row } : undefined;
}

/** Library checks throw on a bad answer: any failure is a refusal, never a 500. */
async function refusedOnThrow<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch {
    return undefined;
  }
}

// ---- the person's own passkeys

export type PasskeyView = { id: string; name: string; created_at: string; last_used_at: string | null; backed_up: boolean; device_type: "single_device" | "multi_device"; transports: string[] };

function present(ctx: RequestContext, row: repo.PasskeyRow): PasskeyView {
  return {
    id: row.id,
    name: ctx.sealer.open(row.name_sealed, refs(row.id).name),
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    backed_up: row.backed_up,
    device_type: row.device_type === "multiDevice" ? "multi_device" : "single_device",
    transports: row.transports,
  };
}

function mustBeOnSession(ctx: RequestContext): ReturnType<typeof actorUser> {
  const actor = actorUser(ctx);
  // An API token is often held by a program: a passkey belongs to the person at the browser.
  if (ctx.actor.kind === "user" && ctx.actor.via !== "session") throw forbidden("Add a passkey while signed in, not with an API token.");
  return actor;
}

export async function listOwn(ctx: RequestContext): Promise<PasskeyView[]> {
  const actor = actorUser(ctx);
  return (await repo.listPasskeysOf(ctx.tx, actor.userId)).map((r) => present(ctx, r));
}

/** A person's passkeys, for admins (and the person themselves). */
export async function listOf(ctx: RequestContext, user: { id: string }): Promise<PasskeyView[]> {
  const actor = actorUser(ctx);
  if (actor.userId !== user.id && !isAdmin(actor.role)) throw forbidden("Only admins see another person's passkeys.");
  return (await repo.listPasskeysOf(ctx.tx, user.id)).map((r) => present(ctx, r));
}

/** Registration, first step: options for the browser (the person's existing passkeys excluded). */
export async function registrationOptions(deps: Pick<AppDeps, "keyring">, ctx: RequestContext): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const actor = mustBeOnSession(ctx);
  // As an authenticator app's set-up (two-factor-service.ts startEnrolment): an owner without a
  // way in under single sign-on only starts from any session, and gives their password to finish.
  if (!(await ownerWithoutWayIn(ctx, { id: actor.userId, role: actor.role }))) requireRecentSignIn(ctx, "add a passkey");
  const { rpID } = relyingParty(ctx);
  const me = await identityRepo.findUserPassword(ctx.tx, actor.userId);
  const email = me?.email_sealed ? ctx.sealer.open(me.email_sealed, { table: "users", column: "email", row: actor.userId }) : `user ${actor.niceId}`;
  const existing = await repo.listPasskeysOf(ctx.tx, actor.userId);
  const challenge = await issueChallenge(deps, ctx, "registration", actor.userId);
  return (await webauthn()).generateRegistrationOptions({
    rpName: (await teamName(ctx)) ?? rpID,
    rpID,
    userName: email,
    userDisplayName: email,
    userID: userHandleOf(deps, actor.userId),
    challenge: bytesOf(challenge),
    timeout: TIMEOUT_MS,
    attestationType: "none",
    excludeCredentials: existing.map((r) => ({ id: ctx.sealer.open(r.credential_id_sealed, refs(r.id).credentialId), transports: r.transports })),
    authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
    supportedAlgorithmIDs: [-7, -257],
  });
}

const registrationRefused = () => invalid("credential", "The passkey could not be verified, or its set-up has expired. Start again.", "InvalidCredential");

/**
 * Registration, second step: the authenticator's answer is verified and the passkey stored
 * (audited; the person is told). On a session soon after a sign-in; an owner without a way in
 * under single sign-on only (whose single sign-on sessions never count as recent) gives their
 * current password instead, checked before (`proof`: two-factor-service.ts checkSetUpPassword).
 */
export async function register(deps: Pick<AppDeps, "keyring" | "config">, ctx: RequestContext, input: { name?: string | undefined; credential: RegistrationResponseJSON }, sessionHash: Buffer | undefined, proof?: SetUpPasswordProof): Promise<{ passkey: PasskeyView; recoveryCodes: string[] | undefined }> {
  const actor = mustBeOnSession(ctx);
  await requireSetUpProof(ctx, { id: actor.userId, role: actor.role }, proof, { doing: "add a passkey", withPassword: "add a passkey" });
  const claimed = await claimChallengeOf(deps, ctx, input.credential.response.clientDataJSON, "registration", actor.userId);
  if (!claimed) throw registrationRefused();
  const { origin, rpID } = relyingParty(ctx);
  const v = await refusedOnThrow(async () => (await webauthn()).verifyRegistrationResponse({ response: input.credential, expectedChallenge: claimed.challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: false }));
  if (!v?.verified) throw registrationRefused();
  const info = v.registrationInfo;
  const id = crypto.randomUUID();
  const r = refs(id);
  const stored = await repo.insertPasskey(ctx.tx, {
    id,
    user_id: actor.userId,
    credential_bidx: credentialIndex(ctx, info.credential.id),
    credential_id_sealed: ctx.sealer.seal(info.credential.id, r.credentialId),
    public_key_sealed: ctx.sealer.seal(Buffer.from(info.credential.publicKey).toString("base64url"), r.publicKey),
    name_sealed: ctx.sealer.seal(input.name ?? DEFAULT_NAME, r.name),
    sign_count: info.credential.counter,
    transports: (info.credential.transports ?? []).slice(0, 8),
    device_type: info.credentialDeviceType,
    backed_up: info.credentialBackedUp,
  }, sessionHash);
  if (!stored) throw new AppError("Conflict", { description: "This passkey is already registered." });
  audit(ctx, { action: "user.passkey_registered", resourceType: "user", resourceId: actor.niceId, fields: ["passkeys"] });
  await tellPerson(deps, ctx, actor.userId, "added", false);
  // A team member's first second factor: recovery codes come with it, as with an authenticator app.
  const recoveryCodes = await recoveryCodesForFirstPasskey(deps, ctx, { id: actor.userId, niceId: actor.niceId, role: actor.role });
  const row = await repo.findPasskeyOf(ctx.tx, actor.userId, id);
  return { passkey: present(ctx, row!), recoveryCodes };
}

export async function renameOwn(ctx: RequestContext, id: string, name: string): Promise<PasskeyView> {
  const actor = actorUser(ctx);
  const row = await repo.findPasskeyOf(ctx.tx, actor.userId, id);
  if (!row) throw notFound();
  await repo.renamePasskey(ctx.tx, actor.userId, id, ctx.sealer.seal(name, refs(id).name));
  audit(ctx, { action: "user.passkey_renamed", resourceType: "user", resourceId: actor.niceId, fields: ["passkeys"] });
  return present(ctx, (await repo.findPasskeyOf(ctx.tx, actor.userId, id))!);
}

export async function removeOwn(deps: Pick<AppDeps, "config">, ctx: RequestContext, id: string): Promise<void> {
  const actor = actorUser(ctx);
  if (!(await repo.findPasskeyOf(ctx.tx, actor.userId, id))) throw notFound();
  // As adding one: a passkey may be the person's second factor (and its recovery codes go with the
  // last one), so it comes off only in a session soon after a sign-in — never with a token.
  requireRecentSignIn(ctx, "remove a passkey");
  await lockOwnersWayIn(ctx);
  if (!(await repo.deletePasskey(ctx.tx, actor.userId, id))) throw notFound();
  await dropRecoveryCodesWithoutFactor(ctx, actor.userId);
  await checkOwnerKeepsWayIn(ctx, { id: actor.userId, role: actor.role });
  audit(ctx, { action: "user.passkey_removed", resourceType: "user", resourceId: actor.niceId, fields: ["passkeys"] });
  await tellPerson(deps, ctx, actor.userId, "removed", false);
}

/** An admin removes one of a person's passkeys (only the owner the owner's): audited, the person is told. */
export async function removeByAdmin(deps: Pick<AppDeps, "config">, ctx: RequestContext, user: { id: string; niceId: number; role: string }, id: string): Promise<void> {
  const actor = actorUser(ctx);
  if (actor.userId !== user.id && !isAdmin(actor.role)) throw forbidden("Only admins remove another person's passkeys.");
  if (user.role === "owner" && actor.role !== "owner") throw forbidden("Only the owner removes the owner's passkeys.");
  if (!(await repo.findPasskeyOf(ctx.tx, user.id, id))) throw notFound();
  if (actor.userId === user.id) requireRecentSignIn(ctx, "remove a passkey");
  else requireRecentSignInOnSession(ctx, "remove someone's passkey");
  await lockOwnersWayIn(ctx);
  if (!(await repo.deletePasskey(ctx.tx, user.id, id))) throw notFound();
  await dropRecoveryCodesWithoutFactor(ctx, user.id);
  await checkOwnerKeepsWayIn(ctx, user);
  audit(ctx, { action: "user.passkey_removed", resourceType: "user", resourceId: user.niceId, fields: ["passkeys"] });
  await tellPerson(deps, ctx, user.id, "removed", actor.userId !== user.id);
}

async function tellPerson(deps: Pick<AppDeps, "config">, ctx: RequestContext, userId: string, event: "added" | "removed", byAdmin: boolean): Promise<void> {
  const u = await identityRepo.findUserPassword(ctx.tx, userId);
  if (!u?.email_sealed) return;
  const to = ctx.sealer.open(u.email_sealed, { table: "users", column: "email", row: userId });
  const team = (await teamName(ctx)) ?? new URL(ctx.apiBase).hostname;
  await queueMail(ctx, deps.config.mailRetryMs, { to, ...passkeyMail(u.locale, team, event, ctx.now(), byAdmin), about: { userId } });
}

// ---- sign-in

/**
 * Checks an assertion against a stored passkey (signature, challenge, origin, RP ID, user
 * verification), then the counter: answers "ok" (the counter recorded), "cloned" or "refused".
 * The caller holds the person's row, so uses of one passkey are judged one after the other, each
 * on the counter as stored then (WebAuthn §7.2: a counter not greater than the stored one is a
 * sign of a clone). A counter that was ahead of the stored one when this use came in (`passkey`,
 * read before it waited) and was passed only by another use judged meanwhile is a use at once
 * (two sign-ins signed in one order, judged in the other): refused, without the clone alarm.
 */
async function checkAssertion(ctx: RequestContext, passkey: repo.PasskeyRow, challenge: string, response: AuthenticationResponseJSON, requireUserVerification: boolean): Promise<"ok" | "cloned" | "refused"> {
  const { origin, rpID } = relyingParty(ctx);
  const r = refs(passkey.id);
  const seen = Number(passkey.sign_count);
  const v = await refusedOnThrow(async () =>
    (await webauthn()).verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      requireUserVerification,
      // The counter is compared below, after the signature is known good, so that a clone is told apart (and audited).
      credential: { id: ctx.sealer.open(passkey.credential_id_sealed, r.credentialId), publicKey: bytesOf(ctx.sealer.open(passkey.public_key_sealed, r.publicKey)), counter: 0, transports: [] },
    }),
  );
  if (!v?.verified) return "refused";
  const stored = await repo.heldSignCount(ctx.tx, passkey.id);
  if (stored === undefined) return "refused";
  const next = v.authenticationInfo.newCounter;
  if ((next > 0 || stored > 0) && next <= stored) return next > seen ? "refused" : "cloned";
  return (await repo.recordUse(ctx.tx, passkey.id, stored, next, ctx.now(), v.authenticationInfo.credentialBackedUp)) ? "ok" : "refused";
}

// ---- a proof of the signed-in person (a step that needs one: new recovery codes)

/** The purposes a signed-in person proves themselves with a passkey for. */
export type PasskeyProofPurpose = Extract<WebauthnPurpose, "recovery_codes">;

/**
 * Options for a passkey proof by a signed-in person: a challenge of `purpose`, bound to them
 * (five minutes, single use), naming their passkeys. Undefined when they have none.
 */
export async function proofOptions(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, purpose: PasskeyProofPurpose, userId: string): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
  const passkeys = await repo.listPasskeysOf(ctx.tx, userId);
  if (passkeys.length === 0) return undefined;
  return ownPasskeyOptions(deps, ctx, purpose, userId, passkeys);
}

/** Request options naming `passkeys` (one person's), over a new challenge of `purpose` bound to that person. */
async function ownPasskeyOptions(
  deps: Pick<AppDeps, "keyring">,
  ctx: RequestContext,
  purpose: PasskeyProofPurpose | "second_factor",
  userId: string,
  passkeys: Awaited<ReturnType<typeof repo.listPasskeysOf>>,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const challenge = await issueChallenge(deps, ctx, purpose, userId);
  return (await webauthn()).generateAuthenticationOptions({
    rpID: relyingParty(ctx).rpID,
    challenge: bytesOf(challenge),
    timeout: TIMEOUT_MS,
    userVerification: "preferred",
    allowCredentials: passkeys.map((p) => ({ id: ctx.sealer.open(p.credential_id_sealed, refs(p.id).credentialId), transports: p.transports })),
  });
}

/**
 * Checks a passkey proof: the challenge the assertion signed must be one issued for `purpose` to
 * this person, unused and unexpired (it is used up here, whatever follows), and the assertion one
 * of this person's passkeys (signature, origin, RP ID, counter). A challenge of a sign-in, of a
 * registration or of another person, and another person's passkey, are refused. A counter that
 * does not move forward is audited `user.passkey_counter_regressed`.
 */
export async function checkProof(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, purpose: PasskeyProofPurpose, user: { id: string; niceId: number }, response: AuthenticationResponseJSON): Promise<boolean> {
  const claimed = await claimChallengeOf(deps, ctx, response.response.clientDataJSON, purpose, user.id);
  const passkey = claimed ? await repo.findPasskeyByCredential(ctx.tx, credentialIndex(ctx, response.id)) : undefined;
  const result = claimed && passkey && passkey.user_id === user.id ? await checkAssertion(ctx, passkey, claimed.challenge, response, false) : "refused";
  if (result === "cloned") audit(ctx, { action: "user.passkey_counter_regressed", resourceType: "user", resourceId: user.niceId, fields: ["passkeys"] });
  return result === "ok";
}

/** Passwordless sign-in, first step (anonymous): a challenge for any passkey of this tenant. */
export async function signInOptions(deps: Pick<AppDeps, "keyring">, ctx: RequestContext): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const challenge = await issueChallenge(deps, ctx, "passwordless", null);
  return (await webauthn()).generateAuthenticationOptions({ rpID: relyingParty(ctx).rpID, challenge: bytesOf(challenge), timeout: TIMEOUT_MS, userVerification: "required", allowCredentials: [] });
}

const passkeyRefused = () => new CommitThenFail(new AppError("Unauthorized", { description: "This passkey could not sign you in, or the sign-in has expired. Try again, or sign in another way." }));

/**
 * Passwordless sign-in, second step. Every refusal — unknown, used, expired or other-purpose
 * challenge; unknown credential; bad signature, origin or RP ID; no user verification; a cloned
 * authenticator; a person locked, suspended or deleted — commits its audit and answers the same 401.
 */
export async function signIn(deps: Pick<AppDeps, "keyring" | "config" | "mailer">, ctx: RequestContext, response: AuthenticationResponseJSON) {
  const claimed = await claimChallengeOf(deps, ctx, response.response.clientDataJSON, "passwordless", null);
  const passkey = await repo.findPasskeyByCredential(ctx.tx, credentialIndex(ctx, response.id));
  const found = passkey ? await identityRepo.findUserForSignIn(ctx.tx, { id: passkey.user_id }) : undefined;
  if (!claimed || !passkey || !found) {
    audit(ctx, { action: "user.signin_failed", resourceType: "user", resourceId: found?.nice_id ?? "unknown", fields: ["passkey"] });
    return passkeyRefused();
  }
  // Read again holding the person's row, before the assertion is checked (as the password and the
  // second step do), and judged on that read only: a lockout (a wrong password or code at once), a
  // suspension, a deactivation or deletion, or a new role committed since the read above refuses
  // this one too (or is judged with it), no sign count is spent on it, and its sign-in does not end
  // that lockout. The sign-in settings' shared lock first (passwordAllowed below takes it anyway):
  // the order every sign-in takes them in, the settings then the person's row, which a two-factor
  // reset takes the same way.
  await ssoRepo.lockSettings(ctx.tx, false);
  const user = await identityRepo.heldForSignIn(ctx.tx, found.id);
  const now = ctx.now();
  const person = actingAs(ctx, { id: found.id, niceId: found.nice_id, role: user?.role ?? found.role, customRole: null });
  if (!user || !user.active || user.suspended) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: found.nice_id, fields: ["passkey"] });
    return passkeyRefused();
  }
  if (user.locked_until && user.locked_until > now) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["passkey", "locked"] });
    return passkeyRefused();
  }
  const handle = response.response.userHandle;
  const handleOk = handle === undefined || Buffer.from(handle, "base64url").equals(Buffer.from(userHandleOf(deps, user.id)));
  const result = handleOk ? await checkAssertion(ctx, passkey, claimed.challenge, response, true) : "refused";
  if (result === "cloned") audit(person, { action: "user.passkey_counter_regressed", resourceType: "user", resourceId: user.nice_id, fields: ["passkeys"] });
  if (result !== "ok") {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["passkey"] });
    return passkeyRefused();
  }
  // A group that signs in only through single sign-on signs in there (someone the identity provider
  // dropped must not keep a way in); the account owner with a second factor keeps theirs.
  if (!(await passwordAllowed(ctx, user))) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["passkey", "sso_only"] });
    return passkeyRefused();
  }
  // A passkey is a second factor in itself: the two-factor exception applies.
  const refused = await networkRefusal(person, { id: user.id, niceId: user.nice_id, role: user.role }, "passkey", true);
  if (refused) return refused;
  return completeSignIn(deps, person, user, await rulesFor(ctx.tx, user.role), "passkey");
}

// ---- second factor

const secondFactorRefused = () =>
  new CommitThenFail(new AppError("Unauthorized", { description: "Invalid passkey, or this sign-in has expired. Try again, or sign in again with your password." }));

/** The open two-factor challenge of a password sign-in, if it is still usable, and its person. */
async function liveTwoFactorChallenge(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, challenge: string) {
  const now = ctx.now();
  const ch = await twoFactorRepo.findChallengeByHash(ctx.tx, deps.keyring.hashSecret("two-factor-challenge", challenge));
  if (!ch || ch.used_at !== null || ch.expires_at <= now || ch.failed_attempts >= TWO_FACTOR_CHALLENGE_ATTEMPTS) return undefined;
  const user = await identityRepo.findUserForSignIn(ctx.tx, { id: ch.user_id });
  if (!user || !user.active || user.suspended || user.password_hash === null || (user.locked_until && user.locked_until > now)) return undefined;
  // "SSO only" turned on while this sign-in waited for its second factor closes it, as it closes the password.
  if (!(await passwordAllowed(ctx, user))) return undefined;
  return { ch, user };
}

/** Second factor, first step: options naming that person's passkeys, for the challenge of POST /session. */
export async function secondFactorOptions(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, challenge: string): Promise<PublicKeyCredentialRequestOptionsJSON | CommitThenFail> {
  const live = await liveTwoFactorChallenge(deps, ctx, challenge);
  const passkeys = live ? await repo.listPasskeysOf(ctx.tx, live.user.id) : [];
  if (!live || passkeys.length === 0) {
    audit(ctx, { action: "user.signin_failed", resourceType: "user", resourceId: live?.user.nice_id ?? "unknown", fields: ["passkey"] });
    return secondFactorRefused();
  }
  return ownPasskeyOptions(deps, ctx, "second_factor", live.user.id, passkeys);
}

/**
 * Second factor, second step: the challenge of POST /session and an assertion of one of that
 * person's passkeys open the session. A refusal counts like a wrong code (toward the challenge's
 * five attempts and the password lockout) and answers the same 401 whatever the reason.
 */
export async function completeSecondFactor(deps: Pick<AppDeps, "keyring" | "config" | "mailer">, ctx: RequestContext, challenge: string, response: AuthenticationResponseJSON) {
  const live = await liveTwoFactorChallenge(deps, ctx, challenge);
  if (!live) {
    audit(ctx, { action: "user.signin_failed", resourceType: "user", resourceId: "unknown", fields: ["two_factor", "passkey"] });
    return secondFactorRefused();
  }
  const { ch, user } = live;
  const person = actingAs(ctx, { id: user.id, niceId: user.nice_id, role: user.role, customRole: null });
  // Refused before the assertion is checked (as the code in two-factor-service.ts): its WebAuthn
  // challenge and sign count are never spent by a step the session's own refusal rolls back.
  const outside = await networkRefusal(person, { id: user.id, niceId: user.nice_id, role: user.role }, "two_factor", true);
  if (outside) return outside;
  const now = ctx.now();
  // Read again holding the person's row, before the assertion is checked (as the code step does):
  // a lockout committed since the read above (a wrong code or password at once) refuses this one
  // too, no WebAuthn challenge or sign count is spent on it, and its sign-in does not end that
  // lockout; so does a suspension, deactivation or deletion, or a password taken away, meanwhile.
  const held = await identityRepo.heldForSignIn(ctx.tx, user.id);
  if (!held || !held.active || held.suspended || held.password_hash === null) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["two_factor", "passkey"] });
    return secondFactorRefused();
  }
  if (held.locked_until && held.locked_until > now) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["two_factor", "passkey", "locked"] });
    return secondFactorRefused();
  }
  // A role changed meanwhile is judged again as stored (single sign-on only, the networks): the
  // settings' shared lock is already held (passwordAllowed above), so the lock order is kept.
  if (held.role !== user.role) {
    if (!(await passwordAllowed(ctx, held))) {
      audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["two_factor", "passkey", "sso_only"] });
      return secondFactorRefused();
    }
    const outsideNow = await networkRefusal(person, { id: held.id, niceId: held.nice_id, role: held.role }, "two_factor", true);
    if (outsideNow) return outsideNow;
  }
  const rules = await rulesFor(ctx.tx, held.role);
  // And the challenge, worn out meanwhile by wrong answers sent at once.
  if (!(await twoFactorRepo.challengeUsable(ctx.tx, ch.id, now, TWO_FACTOR_CHALLENGE_ATTEMPTS))) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["two_factor", "passkey"] });
    return secondFactorRefused();
  }
  const claimed = await claimChallengeOf(deps, ctx, response.response.clientDataJSON, "second_factor", user.id);
  const passkey = await repo.findPasskeyByCredential(ctx.tx, credentialIndex(ctx, response.id));
  // Another person's passkey finds nothing here: the credential must be this person's.
  const result = claimed && passkey && passkey.user_id === user.id ? await checkAssertion(ctx, passkey, claimed.challenge, response, false) : "refused";
  if (result === "cloned") audit(person, { action: "user.passkey_counter_regressed", resourceType: "user", resourceId: user.nice_id, fields: ["passkeys"] });
  if (result !== "ok") {
    if (await twoFactorRepo.countChallengeFailure(ctx.tx, ch.id, now, TWO_FACTOR_CHALLENGE_ATTEMPTS)) await countSignInFailure(deps, person, user, rules);
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["two_factor", "passkey"] });
    return secondFactorRefused();
  }
  if (!(await twoFactorRepo.claimChallenge(ctx.tx, ch.id, now, TWO_FACTOR_CHALLENGE_ATTEMPTS))) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["two_factor", "passkey"] });
    return secondFactorRefused();
  }
  return completeSignIn(deps, actingAs(ctx, { id: held.id, niceId: held.nice_id, role: held.role, customRole: null }), held, rules, "password", { secondFactor: true });
}

/** A person's passkeys for their data export (the exports module decided who may ask). */
export async function passkeysForAccess(ctx: RequestContext, userId: string): Promise<PasskeyView[]> {
  return (await repo.listPasskeysOf(ctx.tx, userId)).map((r) => present(ctx, r));
}
