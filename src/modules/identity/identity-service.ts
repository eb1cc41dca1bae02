import crypto from "node:crypto";
import { actingAs, actorUser, userActor, type Actor, type RequestContext } from "../../platform/context.ts";
import type { Role, SessionMethod } from "../../platform/db/schema.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import type { TenantSealer } from "../../platform/crypto/keyring.ts";
import { AppError, CommitThenFail, invalid } from "../../platform/errors.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { audit, type AuditInput } from "../audit/audit-service.ts";
import { emailIndex } from "../users/users-fns.ts";
import * as repo from "./identity-repo.ts";
import { expireSigninLinksOf } from "./signin-links-repo.ts";
import { DEFAULT_STAFF_POLICY, lockoutMs, passwordProblems, rulesOf, type PasswordOwner, type Rules } from "./password-policy.ts";
import { rulesFor } from "./password-settings-service.ts";
import { hashPassword, passwordCheckOpen, verifyPassword } from "./password-hashing.ts";
import { accountLockedMail } from "./password-reset-mail.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { teamName } from "../admin/account-service.ts";
import { expirePasswordResetsOf } from "./password-reset-links-repo.ts";
import { deviceColumns, maxHoursFor, noticeNewDevice } from "./sessions-service.ts";
import * as twoFactorRepo from "./two-factor-repo.ts";
import { findSettings as findSsoSettings, lockSettings as lockSsoSettings } from "./sso-repo.ts";
import { countPasskeysOf, deletePasskeysOf, endChallengesOf as endWebauthnChallengesOf } from "./passkeys-repo.ts";
import { dropRecoveryCodesWithoutFactor } from "./recovery-codes.ts";
import { passwordAllowed } from "./sso-password.ts";
import { revokeAllTokens, revokeTokensOfUser } from "./api-tokens-repo.ts";
import { customRoleOf } from "../../platform/roles.ts";
import { revokeAllGrants, revokeGrantsOfUser } from "./oauth-repo.ts";
import { networkRulesFromColumns, networkRulesOf, networkRefused, refuseOutsideNetwork } from "./ip-restrictions-service.ts";
import { ipRestrictionsPolicy, type IpRules } from "./ip-restrictions-policy.ts";

/** How long the second step of a sign-in may wait for its code, and how many wrong codes it takes. */
export const TWO_FACTOR_CHALLENGE_MINUTES = 5;
export const TWO_FACTOR_CHALLENGE_ATTEMPTS = 5;
export const TWO_FACTOR_CHALLENGE_PREFIX = "vdc_";

/**
 * Identity: password sign-in and sessions (API tokens: api-tokens-service.ts).
 *
 * Tokens and session ids are long random secrets, so they are stored as a keyed SHA-256 (HMAC
 * under a key derived from the master key): a database dump alone cannot test guesses, and the
 * check costs microseconds, not the ~100 ms of a password hash on every request.
 * Passwords are argon2id.
 */

export const SESSION_COOKIE = "vd_session";
export const CSRF_HEADER = "x-csrf-token";

export function newSecret(prefix: string): string {
  return prefix + crypto.randomBytes(32).toString("base64url");
}

export { hashPassword } from "./password-hashing.ts";

/** Refuses a password that breaks the rules, naming every rule it breaks (422, field `password`). */
export function checkNewPassword(rules: Rules, password: string, owner: PasswordOwner): void {
  const problems = passwordProblems(rules, password, owner);
  if (problems.length > 0) throw invalid("password", `Password: ${problems.join("; ")}`, problems.some((p) => p.startsWith("must be at least")) ? "TooShort" : "TooWeak");
}

/** The first owner's password, before the tenant has settings: the default staff policy. */
export function checkPasswordPolicy(password: string, email: string | undefined): void {
  checkNewPassword(rulesOf(DEFAULT_STAFF_POLICY), password, { email });
}

/**
 * Whether the password is one of these earlier ones (argon2: run outside any transaction). Not a
 * guess at a credential: it spends nothing of the wrong-password budget (password-hashing.ts).
 */
export async function reusesEarlier(hashes: readonly string[], password: string): Promise<boolean> {
  for (const h of hashes) if (await verifyPassword(h, password, { guess: false })) return true;
  return false;
}

/** A one-time password for a new account, shown once and changed at first sign-in. */
export function oneTimePassword(): string {
  return crypto.randomBytes(18).toString("base64url");
}

/** The credential an Authorization header carries, parsed but not yet checked. */
export type TokenCredential = { kind: "token"; token: string; email: string | undefined };
/** Basic `email:password` (password access to the API, when the tenant turns it on). */
export type PasswordCredential = { kind: "password"; email: string; password: string };

export function parseAuthorization(header: string): TokenCredential | PasswordCredential | undefined {
  const [scheme, value] = header.split(" ", 2);
  if (scheme?.toLowerCase() === "bearer" && value) return { kind: "token", token: value.trim(), email: undefined };
  if (scheme?.toLowerCase() === "basic" && value) {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const m = /^(.{1,254})\/token:(.{1,200})$/.exec(decoded);
    if (m) return { kind: "token", token: m[2]!, email: m[1]! };
    // RFC 7617: the user-id ends at the first colon; the password may contain colons.
    const colon = decoded.indexOf(":");
    if (colon < 1 || colon > 254 || decoded.length - colon - 1 > 256 || decoded.length === colon + 1) return undefined;
    return { kind: "password", email: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

export async function resolveSession(deps: Pick<AppDeps, "keyring" | "now" | "config">, tx: TenantTx, sealer: TenantSealer, cookie: string): Promise<{ actor: Actor; csrf: string; mustChangePassword: boolean; mustEnrolTwoFactor: boolean; secondFactor: boolean; network: IpRules }> {
  if (cookie.length > 200) throw new AppError("Unauthorized");
  const now = deps.now();
  const s = await repo.findLiveSession(tx, deps.keyring.hashSecret("session", cookie), now, { idleMinutes: deps.config.sessionIdleMinutes, maxHours: deps.config.sessionMaxHours });
  if (!s || !s.user_active || s.user_suspended) throw new AppError("Unauthorized");
  if (now.getTime() - s.last_seen_at.getTime() > 30_000) await repo.touchSession(tx, s.id, now);
  return {
    actor: { ...userActor({ id: s.user_id, niceId: s.user_nice_id, role: s.user_role, customRole: customRoleOf(s.user_custom_role) }, "session"), signedInAt: s.staff_issued ? undefined : new Date(s.signed_in_at ?? s.created_at) },
    csrf: csrfFor(deps, cookie),
    // A one-time password binds the sessions it opened; a link or an invitation proved the mailbox.
    mustChangePassword: s.must_change_password && s.method === "password",
    // The tenant requires two-factor sign-in for staff and this staff member has none yet: the
    // session may only enrol (checked on every request, so turning the setting on applies at once).
    mustEnrolTwoFactor: Boolean(s.two_factor_required) && s.user_role !== "end_user" && !s.two_factor_active,
    // The sign-in used a second factor, or a passkey (which is one by itself): IP restrictions may let it through.
    secondFactor: s.second_factor || s.method === "passkey",
    network: networkRulesFromColumns(tx.tenantId, sealer, s),
  };
}

function csrfFor(deps: Pick<AppDeps, "keyring">, cookie: string): string {
  return deps.keyring.hashSecret("csrf", cookie).toString("base64url");
}

export type Session = { token: string; csrf: string; expires: Date };

/**
 * A way in's network check before anything is written: undefined when the request's address may
 * sign this person in, else the refusal, audited (`user.signin_failed`, fields: the way in and
 * `ip_restriction`) and committed by the route before it answers 403. startSession checks again,
 * as the last line, whatever the way in.
 */
export async function networkRefusal(ctx: RequestContext, user: { id: string; niceId: number; role: Role }, method: string, secondFactor = false): Promise<CommitThenFail | undefined> {
  if (ipRestrictionsPolicy.allows(await networkRulesOf(ctx.tx, ctx.sealer), { role: user.role, secondFactor }, ctx.ip)) return undefined;
  audit(actingAs(ctx, { ...user, customRole: null }), { action: "user.signin_failed", resourceType: "user", resourceId: user.niceId, fields: [method, "ip_restriction"] });
  return new CommitThenFail(networkRefused());
}

/**
 * Opens a session for a user whose identity was just established (a password, an accepted
 * invitation, a sign-in link): the one place a session secret is made, stored (keyed hash) and
 * audited. The route sets its cookie with setSessionCookie (identity-http.ts).
 */
export async function startSession(deps: Pick<AppDeps, "keyring" | "config">, ctx: RequestContext, user: { id: string; niceId: number; role: Role }, method: SessionMethod, opts: { secondFactor?: boolean; staffIssued?: boolean; signedInAt?: Date } = {}): Promise<Session> {
  const secondFactor = opts.secondFactor === true || method === "passkey";
  // Every way in (password, passkey, e-mailed link, invitation, single sign-on) ends here: a
  // network the tenant does not admit gets no session (403).
  await refuseOutsideNetwork(ctx.tx, ctx.sealer, { role: user.role, secondFactor }, ctx.ip);
  const token = newSecret("vds_");
  const now = ctx.now();
  // The tenant's absolute length, else the process-wide default.
  const expires = new Date(now.getTime() + (await maxHoursFor(deps, ctx)) * 3600_000);
  const id = crypto.randomUUID();
  const device = deviceColumns(deps, ctx, id, user.id);
  // Before the new session is stored, so that it does not count as having seen its own device.
  await noticeNewDevice(deps, actingAs(ctx, { ...user, customRole: null }), user, device.device_hash, method);
  await repo.insertSession(ctx.tx, {
    id,
    user_id: user.id,
    token_hash: deps.keyring.hashSecret("session", token),
    ip_sealed: ctx.ip ? ctx.sealer.seal(ctx.ip, { table: "sessions" as const, column: "ip" as const, row: id }) : null,
    ...device,
    expires_at: expires,
    last_seen_at: now,
    method,
    second_factor: secondFactor,
    staff_issued: opts.staffIssued === true,
    // Single sign-on: when the provider says the person authenticated (sso-service.ts).
    ...(opts.signedInAt ? { signed_in_at: opts.signedInAt } : {}),
  });
  await repo.markLogin(ctx.tx, user.id, now);
  audit(actingAs(ctx, { ...user, customRole: null }), { action: "user.signed_in", resourceType: "user", resourceId: user.niceId });
  return { token, csrf: csrfFor(deps, token), expires };
}

/** What the slow half of a password check found, outside any transaction. */
export type PasswordCheck = { userId: string | undefined; verifiedHash: string | undefined; ok: boolean };

/**
 * The slow half of a password sign-in, run before the request's transaction: the stored hash is
 * read in a short transaction, and argon2 runs outside any, so a flood of wrong passwords never
 * holds the database (on the embedded database one transaction at a time serves every tenant).
 * An unknown address is checked against a dummy hash, so the time taken tells nothing.
 */
export async function checkPassword(inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>, email: string, password: string): Promise<PasswordCheck> {
  // A flood past the gate's bounds is turned away before anything is read.
  passwordCheckOpen();
  const user = await inTenant((ctx) => repo.findUserForSignIn(ctx.tx, { emailBidx: emailIndex(ctx.sealer, email) }));
  const stored = user?.password_hash ?? (await DUMMY_HASH());
  const ok = await verifyPassword(stored, password);
  return { userId: user?.id, verifiedHash: user?.password_hash ?? undefined, ok: ok && user?.password_hash != null };
}

/**
 * Password sign-in, given the check made before the transaction. A failure is audited and
 * committed, then answered 401, the same whatever the reason (unknown address, wrong password,
 * locked account), so the answer tells nothing. Wrong passwords in a row lock the account for
 * the policy's time, each lockout in a row twice as long; a sign-in with the right password
 * while locked is refused too and does not count. A password past the policy's expiry signs in
 * with a change required.
 */
export async function signIn(deps: Pick<AppDeps, "keyring" | "config" | "mailer">, ctx: RequestContext, check: PasswordCheck) {
  // Read holding the person's row to the end of the transaction, and judged on that read only: a
  // suspension, deactivation, deletion, lockout (a wrong attempt at once) or new role committed
  // since the password was checked is seen here, and a change made meanwhile waits for this
  // sign-in (then ends the session it opened where it should). The sign-in settings' shared lock
  // first (passwordAllowed below takes it anyway): the order every sign-in takes them in.
  await lockSsoSettings(ctx.tx, false);
  const user = check.userId ? await repo.heldForSignIn(ctx.tx, check.userId) : undefined;
  const now = ctx.now();
  const fail = () => new CommitThenFail(new AppError("Unauthorized", { description: "Invalid e-mail or password." }));
  if (!user || user.password_hash === null || user.password_hash !== check.verifiedHash || !user.active || user.suspended) {
    audit(ctx, { action: "user.signin_failed", resourceType: "user", resourceId: user?.nice_id ?? "unknown" });
    return fail();
  }
  if (user.locked_until && user.locked_until > now) {
    audit(actingAs(ctx, { id: user.id, niceId: user.nice_id, role: user.role, customRole: null }), { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["locked"] });
    return fail();
  }
  const rules = await rulesFor(ctx.tx, user.role);
  // A group that signs in only through single sign-on has no password way in (the owner with a
  // second factor keeps one): answered like a wrong password, and not counted toward a lockout.
  if (!(await passwordAllowed(ctx, user))) {
    audit(actingAs(ctx, { id: user.id, niceId: user.nice_id, role: user.role, customRole: null }), { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["sso_only"] });
    return fail();
  }
  if (!check.ok) {
    // Not counted: another attempt locked the account meanwhile (audited as a sign-in while locked).
    const counted = await countSignInFailure(deps, ctx, user, rules);
    audit(ctx, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, ...(counted ? {} : { fields: ["locked"] }) });
    return fail();
  }
  const totp = await twoFactorRepo.hasActiveTotp(ctx.tx, user.id);
  const passkeys = (await countPasskeysOf(ctx.tx, user.id)) > 0;
  // Recovery codes go through the code form: said apart only when there is no authenticator app (passkeys only).
  const codesOnly = !totp && passkeys && (await twoFactorRepo.recoveryCodesLeft(ctx.tx, user.id)) > 0;
  const methods = [...(totp ? (["totp"] as const) : []), ...(passkeys ? (["passkey"] as const) : []), ...(codesOnly ? (["recovery_code"] as const) : [])];
  // Outside the tenant's networks: refused (audited, committed) unless a second factor will let
  // this person through, before any challenge or session. Only after the right password, so the
  // answer tells nothing about the network to someone guessing.
  const network = await networkRulesOf(ctx.tx, ctx.sealer);
  if (!ipRestrictionsPolicy.allows(network, { role: user.role, secondFactor: methods.length > 0 }, ctx.ip)) {
    audit(actingAs(ctx, { id: user.id, niceId: user.nice_id, role: user.role, customRole: null }), { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["ip_restriction"] });
    return new CommitThenFail(networkRefused());
  }
  if (methods.length > 0) {
    // The right password of a person with two-factor sign-in: no session yet, a challenge that a
    // code turns into one (two-factor-service.ts). The count of wrong attempts is not reset here:
    // a wrong code counts toward the same lockout, and knowing the password must not reset it.
    const challenge = newSecret(TWO_FACTOR_CHALLENGE_PREFIX);
    const expires = new Date(now.getTime() + TWO_FACTOR_CHALLENGE_MINUTES * 60_000);
    await twoFactorRepo.insertChallenge(ctx.tx, { id: crypto.randomUUID(), user_id: user.id, token_hash: deps.keyring.hashSecret("two-factor-challenge", challenge), expires_at: expires });
    audit(actingAs(ctx, { id: user.id, niceId: user.nice_id, role: user.role, customRole: null }), { action: "user.two_factor_challenged", resourceType: "user", resourceId: user.nice_id });
    return { twoFactor: { challenge, expires, methods } };
  }
  return { ...(await completeSignIn(deps, ctx, user, rules)), twoFactor: undefined };
}

/**
 * The last step of a sign-in (after the password, and the second factor when there is one; or a
 * passkey alone): the session. A password's expiry concerns password sign-ins only.
 */
export async function completeSignIn(deps: Pick<AppDeps, "keyring" | "config">, ctx: RequestContext, user: repo.SignInUser, rules: Rules, method: "password" | "passkey" = "password", opts: { secondFactor?: boolean } = {}) {
  const now = ctx.now();
  const byPassword = method === "password";
  const expired = byPassword && rules.expiry_days !== null && user.password_set_at !== null && now.getTime() - user.password_set_at.getTime() >= rules.expiry_days * 86_400_000;
  await repo.recordSignInSuccess(ctx.tx, user.id, { mustChangePassword: expired });
  // A one-time password counts as the person's sign-in (requireRecentSignIn), so that they can set up
  // their second factor right after the forced change. Whoever set it (an admin, for end users only,
  // or the operator) could already move that account's address or set its password again: a
  // recent sign-in guards against an old or stolen cookie, not against them.
  const session = await startSession(deps, ctx, { id: user.id, niceId: user.nice_id, role: user.role }, method, opts);
  return { session, mustChangePassword: byPassword && (user.must_change_password || expired), userNiceId: user.nice_id };
}

/**
 * Counts a wrong attempt at sign-in (a wrong password, or a wrong code after the right password):
 * the policy's attempts in a row lock the account for its time, each lockout twice as long. The
 * count goes on from the one stored, in one statement that keeps the row locked to the end of the
 * transaction: attempts at once (on PostgreSQL) each count, exactly one of them reaches the
 * lockout (its audit and its mail), and one that comes in while another has just locked the
 * account is not counted. Answers false when it was not counted (the account was locked meanwhile).
 */
export async function countSignInFailure(deps: Pick<AppDeps, "config" | "mailer">, ctx: RequestContext, user: Pick<repo.SignInUser, "id" | "nice_id" | "email_sealed" | "locale">, rules: Rules): Promise<boolean> {
  const now = ctx.now();
  const counted = await repo.addSignInFailure(ctx.tx, user.id, now);
  if (!counted) return false;
  if (counted.failed_signins < rules.lockout_attempts) return true;
  const until = new Date(now.getTime() + lockoutMs(rules, counted.lockouts));
  await repo.lockAfterSignInFailures(ctx.tx, user.id, until);
  audit(ctx, { action: "user.locked", resourceType: "user", resourceId: user.nice_id });
  // The person is told, so that a lockout by someone else guessing does not go unnoticed.
  if (user.email_sealed && deps.mailer.available) {
    const to = ctx.sealer.open(user.email_sealed, { table: "users" as const, column: "email" as const, row: user.id });
    const team = (await teamName(ctx)) ?? new URL(ctx.apiBase).hostname;
    const minutes = Math.round((until.getTime() - now.getTime()) / 60_000);
    await queueMail(ctx, deps.config.mailRetryMs, { to, ...accountLockedMail(user.locale, team, rules.lockout_attempts, minutes), about: { userId: user.id } });
  }
  return true;
}

let dummyHash: Promise<string> | undefined;
const DUMMY_HASH = () => (dummyHash ??= hashPassword(crypto.randomBytes(16).toString("hex")));

export async function signOut(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, cookie: string | undefined): Promise<void> {
  const actor = actorUser(ctx);
  if (cookie) await repo.revokeSessionByHash(ctx.tx, deps.keyring.hashSecret("session", cookie), ctx.now());
  audit(ctx, { action: "user.signed_out", resourceType: "user", resourceId: actor.niceId });
}

export async function sessionInfo(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, cookie: string | undefined) {
  const actor = actorUser(ctx);
  return { user_id: actor.niceId, csrf_token: cookie ? csrfFor(deps, cookie) : null };
}

/** The slow half of a password change (verify the old password, hash the new one), outside any transaction. */
export type PasswordChangeCheck = { verifiedHash: string; newHash: string };

export async function preparePasswordChange(deps: Pick<AppDeps, "config" | "mailer">, inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>, previous: string, next: string): Promise<PasswordChangeCheck> {
  const user = await inTenant(async (ctx) => {
    const actor = actorUser(ctx);
    const u = await repo.findUserPassword(ctx.tx, actor.userId);
    if (!u) return undefined;
    const rules = await rulesFor(ctx.tx, actor.role);
    const row = { table: "users" as const, row: actor.userId };
    return {
      hash: u.password_hash,
      rules,
      owner: { email: u.email_sealed ? ctx.sealer.open(u.email_sealed, { ...row, column: "email" as const }) : undefined, name: ctx.sealer.open(u.name_sealed, { ...row, column: "name" as const }) },
      earlier: rules.history > 0 ? await repo.earlierPasswords(ctx.tx, actor.userId, rules.history - 1) : [],
    };
  });
  // Counted like the sign-in form (lockout, audit, a locked account refused before argon2): a
  // session left open is no way to guess the password unnoticed.
  const verified = await verifyCurrentPassword(deps, inTenant, previous, { action: "user.password_change_refused", fields: ["previous_password"] }, { name: "previous_password", label: "Previous password" });
  if (!user || user.hash !== verified) throw new AppError("Conflict", { description: "The password was changed meanwhile; sign in again." });
  if (previous === next) throw invalid("password", "Password: must differ from the previous one", "InvalidValue");
  checkNewPassword(user.rules, next, user.owner);
  if (await reusesEarlier(user.earlier, next)) throw invalid("password", `Password: must be different from your ${user.rules.history} previous passwords`, "InvalidValue");
  return { verifiedHash: user.hash, newHash: await hashPassword(next) };
}

/**
 * Sets the new password and ends every other session of the user (the one making the change
 * stays signed in); API tokens are separate credentials and stay.
 */
export async function changePassword(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, check: PasswordChangeCheck, currentCookie: string | undefined): Promise<void> {
  const actor = actorUser(ctx);
  const user = await repo.findUserPassword(ctx.tx, actor.userId);
  if (!user || user.password_hash !== check.verifiedHash) throw new AppError("Conflict", { description: "The password was changed meanwhile; sign in again." });
  await repo.setPassword(ctx.tx, actor.userId, check.newHash);
  await repo.revokeSessionsOfUser(ctx.tx, actor.userId, ctx.now(), sessionHashOf(deps, ctx, currentCookie));
  await twoFactorRepo.endChallengesOf(ctx.tx, actor.userId);
  audit(ctx, { action: "user.password_changed", resourceType: "user", resourceId: actor.niceId, fields: ["password"] });
}

/**
 * Revokes every session and API token of a user (deletion, role changes, an operator's password
 * reset). `signinLinks` also ends their unused e-mailed links: sign-in links and password resets.
 */
export async function revokeAccessOf(ctx: RequestContext, userId: string, what: { sessions?: boolean; tokens?: boolean; grants?: boolean; keepSession?: Buffer | undefined; signinLinks?: boolean; passkeys?: boolean } = {}): Promise<{ sessions: number; tokens: number }> {
  const now = ctx.now();
  if (what.signinLinks) {
    await expireSigninLinksOf(ctx.tx, userId, now);
    await expirePasswordResetsOf(ctx.tx, userId, now);
  }
  // A sign-in waiting for its second factor ends with the sessions (the password or the person changed).
  if (what.sessions !== false) {
    await twoFactorRepo.endChallengesOf(ctx.tx, userId);
    await endWebauthnChallengesOf(ctx.tx, userId);
  }
  // A deleted person's passkeys go with them (their names are personal data), and with them the
  // recovery codes that stood in for them: restored and with a new passkey, the person gets new
  // codes, and the old ones (perhaps in someone else's hands) never come back to life.
  if (what.passkeys) {
    await deletePasskeysOf(ctx.tx, userId);
    await dropRecoveryCodesWithoutFactor(ctx, userId);
  }
  // The apps they authorized (OAuth grants) end with their API tokens, or on their own (`grants`):
  // a grant is the person's, given in a session, and ends when the password is reset or the
  // address moves, as the sessions do (someone who took the account may have given one).
  if (what.tokens !== false || what.grants === true) await revokeGrantsOfUser(ctx.tx, userId, now);
  return {
    sessions: what.sessions === false ? 0 : await repo.revokeSessionsOfUser(ctx.tx, userId, now, what.keepSession),
    tokens: what.tokens === false ? 0 : await revokeTokensOfUser(ctx.tx, userId, now),
  };
}

/** The stored form of the caller's session cookie, to keep that one session when others end. */
export function sessionHashOf(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, cookie: string | undefined): Buffer | undefined {
  return cookie && ctx.actor.kind === "user" && ctx.actor.via === "session" ? deps.keyring.hashSecret("session", cookie) : undefined;
}

/**
 * Refuses (422) making `userId` an owner while staff sign in through single sign-on only and they
 * have no second factor: an owner's way in when the identity provider fails is their password and
 * second factor (sso-service.ts updateSsoSettings requires it of every owner when turning it on).
 */
export async function checkNewOwnerWayIn(ctx: RequestContext, userId: string): Promise<void> {
  await lockOwnersWayIn(ctx);
  if ((await findSsoSettings(ctx.tx)).staff_sso_only && !(await twoFactorRepo.hasSecondFactor(ctx.tx, userId))) {
    throw invalid("role", "Role: with staff on single sign-on only, a new owner needs two-factor sign-in first (their password and second factor are their way in if the identity provider fails)", "NotEnabled");
  }
}

/**
 * Refuses (422), after a second factor was taken away in this transaction (which the refusal rolls
 * back), leaving an owner without one while staff sign in through single sign-on only: their
 * password and second factor are their way in when the provider fails, and their sessions from
 * single sign-on never count as a recent sign-in, so they could not set one up again.
 */
export async function checkOwnerKeepsWayIn(ctx: RequestContext, user: { id: string; role: string }): Promise<void> {
  if (!(await ownerWithoutWayIn(ctx, { id: user.id, role: await roleNow(ctx, user) }))) return;
  throw ownerKeepsSecondFactor();
}

/**
 * Every step that could leave an owner without a second factor while staff sign in through single
 * sign-on only (taking a second factor away, making someone owner, turning "SSO only" on) takes,
 * before it writes anything, the exclusive lock on the tenant's sign-in settings (the one a change
 * of them takes; sign-ins take it shared). So they go one at a time, and each then reads what the
 * one before committed: two removals of an owner's last two passkeys, or a removal racing a
 * promotion or the switch, cannot each see the other's factor still there (PostgreSQL's read
 * committed). A deadlock with a sign-in that locked a row first is retried by the route wrapper.
 */
export async function lockOwnersWayIn(ctx: RequestContext): Promise<void> {
  await lockSsoSettings(ctx.tx, true);
}

/** The person's role as committed now (after `lockOwnersWayIn`: a promotion may have committed meanwhile). */
async function roleNow(ctx: RequestContext, user: { id: string; role: string }): Promise<string> {
  return (await repo.findUserForSignIn(ctx.tx, { id: user.id }))?.role ?? user.role;
}

/**
 * The same rule before taking every second factor a person has (turning their own two-factor off):
 * asked before their code is tried, so the answer says nothing of the code, and a code is never
 * accepted by a step that is then rolled back.
 */
export async function checkOwnerMayDropEverySecondFactor(ctx: RequestContext, user: { id: string; role: string }): Promise<void> {
  await lockOwnersWayIn(ctx);
  if ((await roleNow(ctx, user)) === "owner" && (await findSsoSettings(ctx.tx)).staff_sso_only) throw ownerKeepsSecondFactor();
}

const ownerKeepsSecondFactor = () =>
  invalid("two_factor", "Two-factor: with staff on single sign-on only, an owner keeps a second factor (with their password, their way in if the identity provider fails); add another first", "InvalidValue");

/**
 * An owner without a second factor while staff sign in through single sign-on only (left so by the
 * operator's reset): no password way in, and sessions that never count as recent. Such an owner may
 * set up an authenticator app from any session (two-factor-service.ts): without the password it
 * is no way in for anyone else, and with it the owner has their way in back.
 */
export async function ownerWithoutWayIn(ctx: RequestContext, user: { id: string; role: string }): Promise<boolean> {
  return user.role === "owner" && (await findSsoSettings(ctx.tx)).staff_sso_only && !(await twoFactorRepo.hasSecondFactor(ctx.tx, user.id));
}

/**
 * The signed-in caller's current password, asked again before a step that needs it (closing the
 * account; an owner's second-factor set-up without a way in), verified outside the transaction
 * (argon2; `inTenant` reads the hash). It is a password check like the sign-in form's: a locked
 * account is refused before argon2 runs (422 `Locked`), and a wrong password counts toward the
 * person's lockout (mailed at the lockout) and is audited with `failed`, so it is no way to guess
 * a password unnoticed from a session left open. Answers the hash it verified, so the step can
 * check in its own transaction that it has not changed since (`passwordUnchanged`).
 */
export async function verifyCurrentPassword(
  deps: Pick<AppDeps, "config" | "mailer">,
  inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>,
  password: string,
  failed: Pick<AuditInput, "action" | "fields">,
  field: { name: string; label: string } = { name: "password", label: "Password" },
): Promise<string> {
  const found = await inTenant(async (ctx) => {
    const user = await repo.findUserForSignIn(ctx.tx, { id: actorUser(ctx).userId });
    return user ? { hash: user.password_hash, locked: user.locked_until !== null && user.locked_until > ctx.now() } : undefined;
  });
  if (found?.locked) throw invalid(field.name, `${field.label}: too many wrong attempts; try again later.`, "Locked");
  const lockedMeanwhile = () => invalid(field.name, `${field.label}: too many wrong attempts; try again later.`, "Locked");
  if (found?.hash && (await verifyPassword(found.hash, password))) {
    // Read the lock again, holding the row (as the sign-in form does): guesses sent at once all
    // passed the read above before any was counted, so a right one judged after the policy's wrong
    // attempts locked the account is refused, and does not end that lockout.
    if (await inTenant((ctx) => repo.lockedNow(ctx.tx, actorUser(ctx).userId, ctx.now()))) throw lockedMeanwhile();
    return found.hash;
  }
  const counted = await inTenant(async (ctx) => {
    const actor = actorUser(ctx);
    // Read again in this transaction: the count goes on from the latest, not from before argon2.
    const user = await repo.findUserForSignIn(ctx.tx, { id: actor.userId });
    const c = user ? await countSignInFailure(deps, ctx, user, await rulesFor(ctx.tx, user.role)) : true;
    audit(ctx, { ...failed, resourceType: "user", resourceId: actor.niceId, ...(c ? {} : { fields: [...(failed.fields ?? []), "locked"] }) });
    return c;
  });
  // Not counted: another guess locked the account meanwhile; no verdict on this one.
  if (!counted) throw lockedMeanwhile();
  throw invalid(field.name, `${field.label}: is not correct`, "InvalidValue");
}

/** Whether the caller's password is still the one `verifyCurrentPassword` checked. */
export async function passwordUnchanged(ctx: RequestContext, verifiedHash: string): Promise<boolean> {
  return (await repo.findUserPassword(ctx.tx, actorUser(ctx).userId))?.password_hash === verifiedHash;
}

/** Ends every session, API token and OAuth grant of the tenant, everyone's (the account was closed). */
export async function endAllAccess(ctx: RequestContext): Promise<{ sessions: number; tokens: number; grants: number }> {
  const now = ctx.now();
  return { sessions: await repo.revokeAllSessions(ctx.tx, now), tokens: await revokeAllTokens(ctx.tx, now), grants: await revokeAllGrants(ctx.tx, now) };
}
