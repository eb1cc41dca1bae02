import crypto from "node:crypto";
import { Secret, TOTP } from "otpauth";
import { toString as qrCode } from "qrcode";
import { actingAs, actorUser, makeContext, type RequestContext } from "../../platform/context.ts";
import type { Keyring } from "../../platform/crypto/keyring.ts";
import type { Database } from "../../platform/db/database.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, CommitThenFail, forbidden, invalid } from "../../platform/errors.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { audit } from "../audit/audit-service.ts";
import { authenticatorMail } from "./authenticator-mail.ts";
import { twoFactorResetMail } from "./password-reset-mail.ts";
import { teamName } from "../admin/account-service.ts";
import { emailIndex } from "../users/users-fns.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";
import * as identityRepo from "./identity-repo.ts";
import { checkOwnerKeepsWayIn, checkOwnerMayDropEverySecondFactor, completeSignIn, lockOwnersWayIn, ownerWithoutWayIn, countSignInFailure, verifyCurrentPassword, networkRefusal, passwordUnchanged, revokeAccessOf, TWO_FACTOR_CHALLENGE_ATTEMPTS } from "./identity-service.ts";
import { requireRecentSignIn } from "../../platform/recent-sign-in.ts";
import { rulesFor } from "./password-settings-service.ts";
import * as repo from "./two-factor-repo.ts";
import * as passkeysRepo from "./passkeys-repo.ts";
import { passwordAllowed } from "./sso-password.ts";
import { issueRecoveryCodes, normalized, recoveryHash, renewRecoveryCodes } from "./recovery-codes.ts";
import { settingsChanged } from "../../platform/settings-changes.ts";

/**
 * Two-factor sign-in with an authenticator app (TOTP, RFC 6238: SHA-1, six digits, 30 seconds,
 * the parameters every authenticator app supports), for staff.
 *
 * - Enrolment: a new 160-bit secret, sealed at rest, shown once as an otpauth:// URI, a QR code
 *   and base32 text; it becomes active only when a code from it is confirmed, which answers ten
 *   recovery codes once (stored as keyed hashes, each usable once).
 * - A code is accepted for the current 30-second step or the one before or after (clock drift),
 *   and only for a step later than the last one accepted: a code is never accepted twice.
 * - Sign-in: the right password of a person with an active authenticator answers a challenge
 *   (identity-service.ts signIn), not a session; the challenge and a code open the session. The
 *   challenge lasts five minutes, works once, dies after five wrong codes; every wrong code counts
 *   toward the password lockout. Wrong, used and expired all answer the same 401.
 * - Turning it off, and new recovery codes, need a current code: a stolen session alone cannot.
 * - Admins can reset a person's second factor (audited; the person is told by e-mail; their
 *   sessions end) and require it for all staff (a session without it can then only enrol).
 */

const PERIOD = 30;
const WINDOW = 1;
const CHALLENGE_KIND = "two-factor-challenge";

const totpOf = (secret: string, issuer: string, label: string) => new TOTP({ issuer, label, algorithm: "SHA1", digits: 6, period: PERIOD, secret: Secret.fromBase32(secret) });

/** The time step a code belongs to, if it is a valid code at `now` (within one step either side). */
function stepOf(secret: string, code: string, now: Date): number | undefined {
  const totp = totpOf(secret, "", "x");
  const delta = totp.validate({ token: code, timestamp: now.getTime(), window: WINDOW });
  return delta === null ? undefined : totp.counter({ timestamp: now.getTime() }) + delta;
}

const isTotpCode = (code: string) => /^\d{6}$/.test(code);

const secretRef = (row: string) => ({ table: "two_factor_totp" as const, column: "secret" as const, row });

/**
 * Checks a second factor of a person with an active authenticator: a six-digit code (used up for
 * its time step) or a recovery code (used up). Answers which kind worked, or undefined.
 */
async function useSecondFactor(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, userId: string, code: string): Promise<"totp" | "recovery_code" | undefined> {
  const c = normalized(code);
  if (isTotpCode(c)) {
    const row = await repo.findTotp(ctx.tx, userId);
    if (row?.status !== "active") return undefined;
    const step = stepOf(ctx.sealer.open(row.secret_sealed, secretRef(row.id)), c, ctx.now());
    return step !== undefined && (await repo.claimStep(ctx.tx, userId, step, "active")) ? "totp" : undefined;
  }
  if (!/^[a-z0-9]{10}$/.test(c)) return undefined;
  return (await repo.claimRecoveryCode(ctx.tx, userId, recoveryHash(deps, userId, c), ctx.now())) ? "recovery_code" : undefined;
}

export type TwoFactorStatus = { enabled: boolean; pending: boolean; activated_at: string | null; recovery_codes_left: number; passkeys: number; required: boolean; set_up_needs_password: boolean };

export async function statusOf(ctx: RequestContext, user: { id: string; role: string }): Promise<TwoFactorStatus> {
  const row = await repo.findTotp(ctx.tx, user.id);
  const enabled = row?.status === "active";
  return {
    enabled,
    pending: row?.status === "pending",
    activated_at: enabled ? (row.activated_at?.toISOString() ?? null) : null,
    recovery_codes_left: await repo.recoveryCodesLeft(ctx.tx, user.id),
    passkeys: await passkeysRepo.countPasskeysOf(ctx.tx, user.id),
    required: user.role !== "end_user" && (await repo.requireStaffTwoFactor(ctx.tx)),
    set_up_needs_password: await ownerWithoutWayIn(ctx, user),
  };
}

/** The caller's own status. */
export async function ownStatus(ctx: RequestContext): Promise<TwoFactorStatus> {
  const actor = actorUser(ctx);
  return statusOf(ctx, { id: actor.userId, role: actor.role });
}

/** A user's status, for admins (and the person themselves). */
export async function userStatus(ctx: RequestContext, user: { id: string; role: string }): Promise<TwoFactorStatus> {
  const actor = actorUser(ctx);
  if (actor.userId !== user.id && !isAdmin(actor.role)) throw forbidden("Only admins see another person's two-factor authentication.");
  return statusOf(ctx, user);
}

/** The caller, a team member on a session (an API token is refused: the second factor belongs to the person at the sign-in form). */
export function mustBeStaffOnSession(ctx: RequestContext): ReturnType<typeof actorUser> {
  const actor = actorUser(ctx);
  if (!isStaff(actor.role)) throw forbidden("Two-factor authentication is for team members.");
  // An API token is a credential of its own, often held by a program: the second factor belongs to the person at the sign-in form.
  if (ctx.actor.kind === "user" && ctx.actor.via !== "session") throw forbidden("Set up two-factor authentication while signed in, not with an API token.");
  return actor;
}

/** Starts (or starts again) an enrolment: a new secret, shown only now. */
export async function startEnrolment(ctx: RequestContext, host: string) {
  const actor = mustBeStaffOnSession(ctx);
  // Whoever sets the second factor decides who can sign in: the person, just signed in (or an
  // owner with no other way in under single sign-on only: identity-service.ts ownerWithoutWayIn).
  if (!(await ownerWithoutWayIn(ctx, { id: actor.userId, role: actor.role }))) requireRecentSignIn(ctx, "set up an authenticator app");
  const existing = await repo.findTotp(ctx.tx, actor.userId);
  if (existing?.status === "active") throw new AppError("Conflict", { description: "Two-factor authentication is already on. Turn it off first to set up another authenticator." });
  const secret = new Secret({ size: 20 }).base32;
  const id = crypto.randomUUID();
  await repo.putPendingTotp(ctx.tx, { id, user_id: actor.userId, secret_sealed: ctx.sealer.seal(secret, secretRef(id)) });
  const me = await identityRepo.findUserPassword(ctx.tx, actor.userId);
  const email = me?.email_sealed ? ctx.sealer.open(me.email_sealed, { table: "users", column: "email", row: actor.userId }) : `user ${actor.niceId}`;
  const issuer = (await teamName(ctx)) ?? host;
  const uri = totpOf(secret, issuer, email).toString();
  const svg = await qrCode(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  audit(ctx, { action: "user.two_factor_enrolment_started", resourceType: "user", resourceId: actor.niceId, fields: ["totp"] });
  return { secret, otpauth_uri: uri, qr_code: `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`, issuer, account_name: email };
}

/** What `checkSetUpPassword` verified: the hash, so the step can check it has not changed since. */
export type SetUpPasswordProof = { verifiedHash: string };

/**
 * The slow half of an owner's set-up without a way in (outside the transaction: argon2): their
 * current password, for an authenticator app (POST /users/me/two_factor/totp/confirm) or a passkey
 * (POST /users/me/passkeys). Asked only of such an owner on a session; anyone else's is left
 * unread (for them a recent sign-in is the proof, and a password here is no stand-in for it; an
 * API token, or an end user adding a passkey, hears the step's own answer).
 */
export async function checkSetUpPassword(
  deps: Pick<AppDeps, "config" | "mailer">,
  inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>,
  password: string | undefined,
): Promise<SetUpPasswordProof | undefined> {
  if (password === undefined) return undefined;
  const owner = await inTenant(async (ctx) => {
    const actor = actorUser(ctx);
    if (ctx.actor.kind === "user" && ctx.actor.via !== "session") return false;
    return ownerWithoutWayIn(ctx, { id: actor.userId, role: actor.role });
  });
  if (!owner) return undefined;
  // This owner's one password check (their password sign-in is refused under SSO-only): counted
  // toward their lockout and audited like any other (`verifyCurrentPassword`).
  return { verifiedHash: await verifyCurrentPassword(deps, inTenant, password, { action: "user.two_factor_proof_failed", fields: ["password"] }) };
}

/**
 * The quick half, in the step's transaction: a recent sign-in, or for an owner without a way in
 * (whose single sign-on sessions never count as recent) the password `checkSetUpPassword`
 * verified, still theirs. Someone at an unattended browser does not know it (else they could put
 * their own app or passkey there). `doing` completes "To …, sign in again"; `withPassword`
 * "enter your current password to …".
 */
export async function requireSetUpProof(ctx: RequestContext, user: { id: string; role: string }, proof: SetUpPasswordProof | undefined, words: { doing: string; withPassword: string }): Promise<void> {
  if (!(await ownerWithoutWayIn(ctx, user))) return requireRecentSignIn(ctx, words.doing);
  if (!proof) throw invalid("password", `Password: enter your current password to ${words.withPassword} (an owner's single sign-on session alone is not enough).`, "Required");
  if (!(await passwordUnchanged(ctx, proof.verifiedHash))) throw new AppError("Conflict", { description: "The password was changed meanwhile; sign in again." });
}

/** Confirms the enrolment with a code from the app: two-factor sign-in is on; the recovery codes are answered once. */
export async function confirmEnrolment(deps: Pick<AppDeps, "keyring" | "config">, ctx: RequestContext, code: string, proof?: SetUpPasswordProof): Promise<string[]> {
  const actor = mustBeStaffOnSession(ctx);
  await requireSetUpProof(ctx, { id: actor.userId, role: actor.role }, proof, { doing: "set up an authenticator app", withPassword: "turn on two-factor sign-in" });
  const row = await repo.findTotp(ctx.tx, actor.userId);
  if (!row || row.status !== "pending") throw invalid("code", "There is no two-factor set-up waiting for a code: start the set-up again.", "NotPending");
  const c = normalized(code);
  const step = isTotpCode(c) ? stepOf(ctx.sealer.open(row.secret_sealed, secretRef(row.id)), c, ctx.now()) : undefined;
  if (step === undefined || !(await repo.claimStep(ctx.tx, actor.userId, step, "pending"))) {
    throw invalid("code", "Authentication code: is not valid. Enter the six-digit code your authenticator app shows now (check that your device's clock is right).", "InvalidCode");
  }
  await repo.activateTotp(ctx.tx, actor.userId, ctx.now());
  const codes = await issueRecoveryCodes(deps, ctx, actor.userId);
  audit(ctx, { action: "user.two_factor_enabled", resourceType: "user", resourceId: actor.niceId, fields: ["totp", "recovery_codes"] });
  // Told by e-mail, as a passkey added or new recovery codes are: someone else holding the session
  // (and the password) could otherwise put their own app on the account unseen.
  await mailPerson(deps, ctx, actor.userId, (locale, team) => authenticatorMail(locale, team, "on", ctx.now()));
  return codes;
}


/** Turns two-factor sign-in off: needs a current code (or a recovery code), not only a session. */
export async function disableOwn(deps: Pick<AppDeps, "keyring" | "config">, ctx: RequestContext, code: string): Promise<CommitThenFail | undefined> {
  const actor = mustBeStaffOnSession(ctx);
  const row = await repo.findTotp(ctx.tx, actor.userId);
  if (!row) return undefined;
  if (row.status === "pending") {
    // A set-up never confirmed is simply dropped: that alone (the person's passkeys and recovery
    // codes stay; taking those needs a code).
    await repo.removePendingTotp(ctx.tx, actor.userId);
    audit(ctx, { action: "user.two_factor_enrolment_cancelled", resourceType: "user", resourceId: actor.niceId, fields: ["totp"] });
    return undefined;
  }
  await checkOwnerMayDropEverySecondFactor(ctx, { id: actor.userId, role: actor.role });
  // The person's row before the code is used, as a renewal of the codes takes them.
  await identityRepo.holdUserRow(ctx.tx, actor.userId);
  if (!(await useSecondFactor(deps, ctx, actor.userId, code))) return proofRefused(ctx, actor.niceId);
  await repo.removeTwoFactor(ctx.tx, actor.userId);
  audit(ctx, { action: "user.two_factor_disabled", resourceType: "user", resourceId: actor.niceId, fields: ["totp", "recovery_codes"] });
  await mailPerson(deps, ctx, actor.userId, (locale, team) => authenticatorMail(locale, team, "off", ctx.now()));
  return undefined;
}

/**
 * New recovery codes (the old ones stop working; the person is mailed a notice): needs a current
 * code from the authenticator app, or an unused recovery code (how someone with passkeys only
 * proves it here).
 */
export async function regenerateRecoveryCodes(deps: Pick<AppDeps, "keyring" | "config">, ctx: RequestContext, code: string): Promise<string[] | CommitThenFail> {
  const actor = mustBeStaffOnSession(ctx);
  if (!(await repo.hasSecondFactor(ctx.tx, actor.userId))) throw invalid("code", "Two-factor authentication is not on.", "NotEnabled");
  // The person's row before the code is used (the sign-in's second step takes them in this order).
  await identityRepo.holdUserRow(ctx.tx, actor.userId);
  if (!(await useSecondFactor(deps, ctx, actor.userId, code))) return proofRefused(ctx, actor.niceId);
  // Audited, and the person told by e-mail (recovery-codes.ts).
  return renewRecoveryCodes(deps, ctx, actor, []);
}

/** A refused proof is audited and committed, then answered 422. */
function proofRefused(ctx: RequestContext, niceId: number): CommitThenFail {
  audit(ctx, { action: "user.two_factor_proof_failed", resourceType: "user", resourceId: niceId });
  return new CommitThenFail(invalid("code", "Authentication code: is not valid. Enter a current code from your authenticator app, or an unused recovery code.", "InvalidCode"));
}

// ---- sign-in, second step

const codeRefused = () =>
  new CommitThenFail(new AppError("Unauthorized", { description: "Invalid authentication code, or this sign-in has expired. Enter a current code, or sign in again with your password." }));

/**
 * The second step of a password sign-in: a challenge from the first step and a code. Every
 * refusal (unknown, used, expired or worn-out challenge; wrong or used code; a person locked,
 * suspended or deleted since) commits its audit and counts, then answers the same 401.
 */
export async function completeTwoFactorSignIn(deps: Pick<AppDeps, "keyring" | "config" | "mailer">, ctx: RequestContext, challenge: string, code: string) {
  const now = ctx.now();
  const ch = await repo.findChallengeByHash(ctx.tx, deps.keyring.hashSecret(CHALLENGE_KIND, challenge));
  if (!ch || ch.used_at !== null || ch.expires_at <= now || ch.failed_attempts >= TWO_FACTOR_CHALLENGE_ATTEMPTS) {
    audit(ctx, { action: "user.signin_failed", resourceType: "user", resourceId: "unknown", fields: ["two_factor"] });
    return codeRefused();
  }
  const user = await identityRepo.findUserForSignIn(ctx.tx, { id: ch.user_id });
  if (!user || !user.active || user.suspended || user.password_hash === null || (user.locked_until && user.locked_until > now)) {
    audit(ctx, { action: "user.signin_failed", resourceType: "user", resourceId: user?.nice_id ?? "unknown", fields: ["two_factor"] });
    return codeRefused();
  }
  const person = actingAs(ctx, { id: user.id, niceId: user.nice_id, role: user.role, customRole: null });
  // "SSO only" turned on while this sign-in waited for its code closes it too (the owner keeps this way in).
  if (!(await passwordAllowed(ctx, user))) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["sso_only"] });
    return codeRefused();
  }
  // A network the tenant does not admit is refused before the code is tried (committed and
  // audited): a code accepted and then rolled back by the session's own refusal could be used
  // again, and a right code would answer otherwise than a wrong one.
  const outside = await networkRefusal(person, { id: user.id, niceId: user.nice_id, role: user.role }, "two_factor", true);
  if (outside) return outside;
  // Read again holding the row, before a code is tried: a lockout committed since the read above
  // (another wrong code or password at once) refuses this one too, and no code is spent on it; so
  // does a suspension, deactivation or deletion, or a password taken away, meanwhile.
  const held = await identityRepo.heldForSignIn(ctx.tx, user.id);
  if (!held || !held.active || held.suspended || held.password_hash === null) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["two_factor"] });
    return codeRefused();
  }
  if (held.locked_until && held.locked_until > now) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["two_factor", "locked"] });
    return codeRefused();
  }
  // A role changed meanwhile is judged again as stored (single sign-on only, the networks): the
  // settings' shared lock is already held (passwordAllowed above), so the lock order is kept.
  if (held.role !== user.role) {
    if (!(await passwordAllowed(ctx, held))) {
      audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["sso_only"] });
      return codeRefused();
    }
    const outsideNow = await networkRefusal(person, { id: held.id, niceId: held.nice_id, role: held.role }, "two_factor", true);
    if (outsideNow) return outsideNow;
  }
  const rules = await rulesFor(ctx.tx, held.role);
  // The challenge read again, now that the row is held: codes sent at once on it all passed the
  // read above, and those past its five wrong ones get no verdict (and spend no code).
  if (!(await repo.challengeUsable(ctx.tx, ch.id, now, TWO_FACTOR_CHALLENGE_ATTEMPTS))) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["two_factor"] });
    return codeRefused();
  }
  const used = await useSecondFactor(deps, person, user.id, code);
  if (!used) {
    // Counted toward the challenge's attempts and the lockout only while the challenge still
    // takes one (decided in the statement, on the count as stored).
    if (await repo.countChallengeFailure(ctx.tx, ch.id, now, TWO_FACTOR_CHALLENGE_ATTEMPTS)) await countSignInFailure(deps, person, user, rules);
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["two_factor"] });
    return codeRefused();
  }
  if (!(await repo.claimChallenge(ctx.tx, ch.id, now, TWO_FACTOR_CHALLENGE_ATTEMPTS))) {
    audit(person, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["two_factor"] });
    return codeRefused();
  }
  if (used === "recovery_code") audit(person, { action: "user.recovery_code_used", resourceType: "user", resourceId: user.nice_id, fields: ["recovery_codes"] });
  return completeSignIn(deps, actingAs(ctx, { id: held.id, niceId: held.nice_id, role: held.role, customRole: null }), held, rules, "password", { secondFactor: true });
}

// ---- admins

/**
 * An admin removes a person's second factor (a lost phone with no recovery codes left): audited
 * `user.two_factor_reset`, every session of the person ends, and they are told by e-mail. Only
 * the owner resets the owner's. Answers whether there was one to reset.
 */
export async function resetByAdmin(deps: Pick<AppDeps, "config">, ctx: RequestContext, user: { id: string; niceId: number; role: string }): Promise<boolean> {
  const actor = actorUser(ctx);
  if (!isAdmin(actor.role)) throw forbidden("Only admins reset another person's two-factor authentication.");
  if (user.role === "owner" && actor.role !== "owner") throw forbidden("Only the owner resets the owner's two-factor authentication.");
  // One's own second factor is turned off with it (DELETE /users/me/two_factor takes the current
  // code), not by this reset: an admin's old or stolen session cookie must not remove it.
  if (user.id === actor.userId) throw forbidden("Your own two-factor authentication is turned off with a current code (or a recovery code), not reset.");
  await lockOwnersWayIn(ctx);
  const had = await repo.removeTwoFactor(ctx.tx, user.id);
  if (!had) return false;
  await checkOwnerKeepsWayIn(ctx, user);
  await revokeAccessOf(ctx, user.id, { tokens: false });
  audit(ctx, { action: "user.two_factor_reset", resourceType: "user", resourceId: user.niceId, fields: ["totp", "recovery_codes", "passkeys"] });
  await mailResetNotice(deps, ctx, user.id);
  return true;
}

/** Tells a person by e-mail that their second factor was reset (by an admin or an operator). */
const mailResetNotice = (deps: { config: Pick<AppDeps["config"], "mailRetryMs"> }, ctx: RequestContext, userId: string) =>
  mailPerson(deps, ctx, userId, (locale, team) => twoFactorResetMail(locale, team));

/** A notice to the person about their own second factor, in their language, to their address (none without one). */
async function mailPerson(deps: { config: Pick<AppDeps["config"], "mailRetryMs"> }, ctx: RequestContext, userId: string, mail: (locale: string | null, team: string) => { language: string; subject: string; text: string }): Promise<void> {
  const u = await identityRepo.findUserPassword(ctx.tx, userId);
  if (!u?.email_sealed) return;
  const to = ctx.sealer.open(u.email_sealed, { table: "users", column: "email", row: userId });
  const team = (await teamName(ctx)) ?? (ctx.apiBase ? new URL(ctx.apiBase).hostname : "your helpdesk");
  await queueMail(ctx, deps.config.mailRetryMs, { to, ...mail(u.locale, team), about: { userId } });
}

/**
 * The way back in for someone with no admin to reset them (the owner who lost their phone and
 * recovery codes): an operator on the command line (`vaultdesk user reset-two-factor`). Audited
 * as an operator action; sessions end; the person is told by e-mail.
 */
export async function resetTwoFactorByOperator(deps: { db: Database; keyring: Keyring; config: Pick<AppDeps["config"], "mailRetryMs">; now?: () => Date }, tenantId: string, email: string): Promise<{ userId: number; reset: boolean; sessionsEnded: number }> {
  return deps.db.tenant(tenantId, async (tx) => {
    const sealer = await deps.keyring.sealerFor(tx);
    const ctx = makeContext({ tx, sealer, actor: { kind: "operator" }, now: deps.now ?? (() => new Date()) });
    const user = await identityRepo.findUserForSignIn(tx, { emailBidx: emailIndex(sealer, email) });
    if (!user || !user.active) throw new AppError("RecordNotFound", { description: `no user with the e-mail address ${email} in this tenant` });
    if (!(await repo.removeTwoFactor(tx, user.id))) return { userId: user.nice_id, reset: false, sessionsEnded: 0 };
    const { sessions } = await revokeAccessOf(ctx, user.id, { tokens: false });
    audit(ctx, { action: "user.two_factor_reset", resourceType: "user", resourceId: user.nice_id, fields: ["totp", "recovery_codes", "passkeys"] });
    await mailResetNotice(deps, ctx, user.id);
    return { userId: user.nice_id, reset: true, sessionsEnded: sessions };
  });
}

export type TwoFactorSettings = { require_staff_two_factor: boolean };

export async function showSettings(ctx: RequestContext): Promise<TwoFactorSettings> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Only admins see the two-factor settings.");
  return { require_staff_two_factor: await repo.requireStaffTwoFactor(ctx.tx) };
}

/** Requiring it for staff takes effect at once; the admin turning it on must use it already, so as not to lock themselves out. */
export async function updateSettings(ctx: RequestContext, input: Partial<TwoFactorSettings>): Promise<TwoFactorSettings> {
  const actor = actorUser(ctx);
  if (!isAdmin(actor.role)) throw forbidden("Only admins change the two-factor settings.");
  if (input.require_staff_two_factor === true && !(await repo.hasSecondFactor(ctx.tx, actor.userId))) {
    throw invalid("require_staff_two_factor", "Set up two-factor authentication for yourself before you require it for all staff.", "NotEnabled");
  }
  if (input.require_staff_two_factor !== undefined) {
    await repo.setRequireStaffTwoFactor(ctx.tx, input.require_staff_two_factor);
    audit(ctx, { action: "two_factor_settings.updated", resourceType: "account", resourceId: "two_factor", fields: Object.keys(input) });
    await settingsChanged(ctx, "two_factor");
  }
  return showSettings(ctx);
}
