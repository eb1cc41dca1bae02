import crypto from "node:crypto";
import { ipRestrictionsPolicy, NETWORK_REFUSED } from "./ip-restrictions-policy.ts";
import { networkRulesOf } from "./ip-restrictions-service.ts";
import { actingAs, actorUser, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { Role, SsoKind } from "../../platform/db/schema.ts";
import { AppError, CommitThenFail, forbidden, invalid } from "../../platform/errors.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { audit } from "../audit/audit-service.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import { emailIndex } from "../users/users-fns.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";
import { insertSealedUser, setRoleFromIdentityProvider } from "../users/users-service.ts";
import { startSession, type Session } from "./identity-service.ts";
import * as identityRepo from "./identity-repo.ts";
import * as oauthRepo from "./oauth-repo.ts";
import * as passkeysRepo from "./passkeys-repo.ts";
import { dropRecoveryCodesWithoutFactor } from "./recovery-codes.ts";
import * as repo from "./sso-repo.ts";
import * as twoFactorRepo from "./two-factor-repo.ts";
import { emailClaim, nameClaim, providerUrl } from "./sso-claims.ts";
import { settingsChanged } from "../../platform/settings-changes.ts";

/**
 * Single sign-on, the part every protocol shares (SAML: sso-saml*.ts, OpenID Connect:
 * sso-oidc*.ts, JWT: sso-jwt*.ts). A protocol module proves who the identity provider vouches for
 * and hands an AssertedIdentity to signInWithProvider, which decides whether that person may sign
 * in here and how: found by their subject at the provider, else by e-mail address; created just in
 * time when the tenant allows it; their role mapped from an attribute when the tenant maps roles.
 *
 * Settings (sso_settings): which provider staff and end users are sent to, whether that is their
 * only way in ("SSO only", which turns password sign-in, password reset and e-mailed sign-in links
 * off for them), just-in-time creation, role mapping. The account owner keeps a way in that does
 * not depend on the identity provider: their password, and only with a second factor, so a broken
 * IdP cannot lock a team out and a stolen owner password alone is not enough.
 */

/**
 * Who the provider vouches for. `providerVersion`: the provider settings' `updated_at` the proof
 * was checked against; the last step refuses the sign-in when the settings changed since
 * (signInWithProvider), so a proof checked with a secret or certificate an admin has just
 * withdrawn opens no session after the change.
 */
/**
 * `authenticatedAt`: when the identity provider says the person authenticated (OpenID Connect
 * `auth_time`, SAML `AuthnInstant`), which is when their sign-in here counts from (a provider may
 * answer from a sign-in of its own made long before); undefined when it did not say.
 */
export type AssertedIdentity = { subject: string; email: string; name?: string | undefined; attributes: Record<string, readonly string[]>; providerVersion: Date; authenticatedAt?: Date | undefined };

const withSignedInAt = (at: Date | undefined): { signedInAt?: Date } => (at ? { signedInAt: at } : {});

/** How far ahead of this server's clock a provider's time of authentication may be (its clock a little fast). */
const AUTH_TIME_SKEW_MS = 5 * 60_000;

/**
 * When a single sign-on session's sign-in counts from (sessions.signed_in_at, 0058): the provider's
 * time of authentication, never later than now; the epoch when it did not say or said a time
 * beyond the skew, so that the session is never a recent sign-in (platform/recent-sign-in.ts).
 * JWT single sign-on states no such time (its `iat` is when the remote site signed the token):
 * its sessions count from their creation.
 */
function signedInAtOf(kind: SsoKind, identity: AssertedIdentity, now: Date): Date | undefined {
  if (kind === "jwt") return undefined;
  const at = identity.authenticatedAt?.getTime();
  if (at === undefined || !Number.isFinite(at) || at > now.getTime() + AUTH_TIME_SKEW_MS) return new Date(0);
  return new Date(Math.min(at, now.getTime()));
}

export const SSO_KINDS: readonly SsoKind[] = ["saml", "oidc", "jwt"];
export const START_PATHS: Record<SsoKind, string> = { saml: "/access/saml/login", oidc: "/access/oidc/login", jwt: "/access/jwt/login" };
/** The roles a mapping may give (never owner: ownership changes hands only inside Vaultdesk). */
export const MAPPABLE_ROLES = ["admin", "agent", "light_agent", "end_user"] as const satisfies readonly Role[];
const DEFAULT_REQUEST_MINUTES = 10;

const providerRef = (id: string) => ({ table: "sso_providers" as const, column: "config" as const, row: id });
const requestRef = (id: string) => ({ table: "sso_requests" as const, column: "payload" as const, row: id });

// ---- providers' settings

/** The provider's stored settings, opened (sealed JSON); undefined when never saved. */
export async function readProvider(ctx: RequestContext, kind: SsoKind): Promise<{ enabled: boolean; config: unknown; updatedAt: Date } | undefined> {
  const row = await repo.findProvider(ctx.tx, kind);
  if (!row) return undefined;
  return { enabled: row.enabled, config: ctx.sealer.openJson<unknown>(row.config_sealed, providerRef(row.id)), updatedAt: row.updated_at };
}

/**
 * What a provider's settings make Vaultdesk believe, as opaque strings (an issuer, a client, a
 * certificate, a secret): each protocol lists its own (`trustOf…` beside its settings). A change
 * that drops one of them withdraws trust from what it vouched for.
 */
export type TrustChange = { before: readonly string[]; after: readonly string[] };

/** Whether something trusted before is not any more (a certificate or secret removed, another issuer); adding one is not. */
export function trustWithdrawn(change: TrustChange): boolean {
  const after = new Set(change.after);
  return change.before.some((anchor) => !after.has(anchor));
}

/**
 * Saves a provider's settings (admins only; audited without the values: some are secrets). The
 * caller validates `config` first. When the change withdraws trust (`trust`, trustWithdrawn), the
 * sessions opened through this provider end, and the grants consented in them (endSessionsThrough):
 * an issuer replaced, or a secret or certificate taken away because it leaked, must not leave the
 * sessions it may have opened for someone else. `keep`: the caller's own session.
 */
export async function saveProvider(ctx: RequestContext, kind: SsoKind, input: { enabled: boolean; config: Record<string, unknown>; trust: TrustChange }, keep?: Buffer): Promise<void> {
  const actor = actorUser(ctx);
  if (!isAdmin(actor.role)) throw forbidden("Only admins change single sign-on.");
  // The routes that call this carry `recentSignIn` (http/route.ts): whoever sets up a provider (or
  // holds a JWT secret) can sign in as anyone it serves.
  const existing = await repo.findProvider(ctx.tx, kind);
  const id = existing?.id ?? crypto.randomUUID();
  const config_sealed = ctx.sealer.sealJson(input.config, providerRef(id));
  if (existing) await repo.updateProvider(ctx.tx, id, { enabled: input.enabled, config_sealed }, ctx.now());
  else await repo.insertProvider(ctx.tx, { id, kind, enabled: input.enabled, config_sealed });
  if (!input.enabled) {
    // A provider switched off sends nobody anywhere: no group may be left pointing at it.
    const s = await repo.findSettings(ctx.tx);
    if (s.staff_provider === kind || s.end_user_provider === kind) {
      await repo.putSettings(ctx.tx, { ...s, staff_provider: s.staff_provider === kind ? null : s.staff_provider, end_user_provider: s.end_user_provider === kind ? null : s.end_user_provider, staff_sso_only: s.staff_provider === kind ? false : s.staff_sso_only, end_users_sso_only: s.end_user_provider === kind ? false : s.end_users_sso_only }, ctx.now());
    }
  }
  audit(ctx, { action: "sso.provider_updated", resourceType: "account", resourceId: `sso_${kind}`, fields: ["enabled", ...Object.keys(input.config).sort()] });
  if (trustWithdrawn(input.trust)) await endSessionsThrough(ctx, kind, keep);
  await settingsChanged(ctx, "sso");
}

/**
 * Ends the live sessions opened through a provider (every group, every role: the provider vouched
 * for each of them), the OAuth grants consented in them (a grant outlives its session) and the
 * passkeys registered in them (a passkey signs in without the provider). Kept: the caller's
 * session and what was given in it, so the admin who made the change can check it. Audited
 * (`sso.sessions_ended`, with the protocol, and `passkeys` when some went) when anything ended.
 */
async function endSessionsThrough(ctx: RequestContext, kind: SsoKind, keep: Buffer | undefined): Promise<void> {
  const now = ctx.now();
  // Grants first: they are found through the sessions' times, before those sessions are ended.
  const grants = await oauthRepo.revokeGrantsConsentedThrough(ctx.tx, kind, now, keep);
  // A passkey added in such a session would sign its holder in without the provider: it goes,
  // and the recovery codes it came with when it was its person's only second factor.
  const holders = await passkeysRepo.deletePasskeysRegisteredThrough(ctx.tx, kind, keep);
  for (const userId of holders) await dropRecoveryCodesWithoutFactor(ctx, userId);
  const sessions = await identityRepo.revokeSessionsThrough(ctx.tx, kind, now, keep);
  // Sign-ins under way (an OIDC state, a SAML request or its proven identity waiting for the
  // browser) start again; one past that point is refused by the last step (providerVersion).
  await repo.dropPendingRequests(ctx.tx, kind);
  if (grants + sessions + holders.length > 0) audit(ctx, { action: "sso.sessions_ended", resourceType: "account", resourceId: `sso_${kind}`, fields: [kind, ...(holders.length > 0 ? ["passkeys"] : [])] });
}

// ---- pending requests and the replay cache

const keyHash = (deps: Pick<AppDeps, "keyring">, kind: SsoKind, key: string) => deps.keyring.hashSecret(`sso-${kind}`, key);

/** Stores a pending request (OIDC state, SAML request id) with its sealed payload, `ttlMinutes` long. */
export async function beginRequest(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, kind: SsoKind, key: string, payload: Record<string, string>, ttlMinutes = DEFAULT_REQUEST_MINUTES): Promise<void> {
  const id = crypto.randomUUID();
  await repo.insertRequest(ctx.tx, { id, kind, key_hash: keyHash(deps, kind, key), payload_sealed: ctx.sealer.sealJson(payload, requestRef(id)), expires_at: new Date(ctx.now().getTime() + ttlMinutes * 60_000) });
}

/** Uses up a pending request: its payload, or undefined when unknown, expired or already used. */
export async function finishRequest(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, kind: SsoKind, key: string): Promise<Record<string, string> | undefined> {
  const row = await repo.claimRequest(ctx.tx, kind, keyHash(deps, kind, key), ctx.now());
  return row ? ctx.sealer.openJson<Record<string, string>>(row.payload_sealed, requestRef(row.id)) : undefined;
}

/** Records a once-only key (SAML assertion id, JWT jti) until `expiresAt`; false when seen before (a replay). */
export async function useOnce(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, kind: SsoKind, key: string, expiresAt: Date): Promise<boolean> {
  return repo.insertReplayKey(ctx.tx, kind, deps.keyring.hashSecret(`sso-replay-${kind}`, key), expiresAt);
}

/** Pending requests and replay keys past their time go (hourly, every tenant). */
export const ssoUpkeep = (deps: Pick<AppDeps, "db">): MaintenanceTask[] => [
  {
    name: "sso.expired",
    everyMs: 3600_000,
    run: async (now) => {
      await forEachTenant(deps.db, (tenantId) => deps.db.tenant(tenantId, (tx) => repo.purgeExpired(tx, now)).then(() => undefined));
    },
  },
];

/** A `return_to` the browser may be sent to after sign-in: a path of the tenant's own origin, else undefined. */
export function safeReturnTo(value: string | undefined): string | undefined {
  if (!value || value.length > 2000) return undefined;
  // A path only: not "//host" or "/\host" (browsers read both as another origin), no scheme, no control characters.
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\") || /[\u0000-\u001f\u007f\\]/.test(value)) return undefined;
  try {
    const u = new URL(value, "https://vaultdesk.invalid");
    if (u.origin !== "https://vaultdesk.invalid") return undefined;
    // Dot segments are resolved by the parser ("/.//evil", "/a/..//evil", "/%2e%2e//evil" become
    // "//evil"): what is answered is checked again, as the browser will read it.
    const path = u.pathname + u.search + u.hash;
    if (path.startsWith("//") || path.startsWith("/\\")) return undefined;
    return path;
  } catch {
    return undefined;
  }
}

// ---- who signs in how

export type SsoSettings = {
  staff_provider: SsoKind | null;
  end_user_provider: SsoKind | null;
  staff_sso_only: boolean;
  end_users_sso_only: boolean;
  jit_users: boolean;
  role_attribute: string | null;
  role_map: Partial<Record<(typeof MAPPABLE_ROLES)[number], string[]>>;
};

export type SsoSettingsView = SsoSettings & { providers: Array<{ kind: SsoKind; enabled: boolean; updated_at: string }> };

export async function showSsoSettings(ctx: RequestContext): Promise<SsoSettingsView> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Only admins see the single sign-on settings.");
  const s = await repo.findSettings(ctx.tx);
  const providers = await repo.listProviders(ctx.tx);
  return {
    ...s,
    role_map: s.role_map as SsoSettings["role_map"],
    providers: SSO_KINDS.flatMap((kind) => providers.filter((p) => p.kind === kind).map((p) => ({ kind, enabled: p.enabled, updated_at: p.updated_at.toISOString() }))),
  };
}

/**
 * Changes who signs in how (admins; audited). A group can be sent only to an enabled provider,
 * and made "SSO only" only when it is sent to one; its sessions opened another way then end
 * (endSessionsNowRefused; `keepSession`: the caller's, kept). Staff "SSO only" needs every active owner to
 * have a second factor: their password plus that factor is the way in when the IdP is down.
 */
export async function updateSsoSettings(ctx: RequestContext, input: Partial<SsoSettings>, keepSession?: Buffer): Promise<SsoSettingsView> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Only admins change single sign-on.");
  // Waits for the sign-ins being checked (sso-password.ts), so that the sessions they open are
  // there to end; sign-ins checked after wait for this change and see it.
  await repo.lockSettings(ctx.tx, true);
  const before = await repo.findSettings(ctx.tx);
  const next: repo.SsoSettingsRow = { ...before, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) } as repo.SsoSettingsRow;
  const enabled = new Set((await repo.listProviders(ctx.tx)).filter((p) => p.enabled).map((p) => p.kind));
  for (const field of ["staff_provider", "end_user_provider"] as const) {
    const kind = next[field];
    if (kind !== null && !enabled.has(kind)) throw invalid(field, `${field === "staff_provider" ? "Staff provider" : "End-user provider"}: ${kind.toUpperCase()} is not set up and enabled`, "NotEnabled");
  }
  if (next.staff_sso_only && next.staff_provider === null) throw invalid("staff_sso_only", "Staff SSO only: choose the provider staff sign in with first", "InvalidValue");
  if (next.end_users_sso_only && next.end_user_provider === null) throw invalid("end_users_sso_only", "End users SSO only: choose the provider end users sign in with first", "InvalidValue");
  if (next.staff_sso_only && !before.staff_sso_only) {
    for (const ownerId of await identityRepo.activeOwnerIds(ctx.tx)) {
      if (!(await twoFactorRepo.hasSecondFactor(ctx.tx, ownerId))) {
        throw invalid("staff_sso_only", "Staff SSO only: every account owner needs two-factor sign-in first (their password and second factor stay their way in if the identity provider fails)", "NotEnabled");
      }
    }
  }
  if (next.role_attribute !== null && next.role_attribute.trim() === "") next.role_attribute = null;
  await repo.putSettings(ctx.tx, next, ctx.now());
  audit(ctx, { action: "sso_settings.updated", resourceType: "account", resourceId: "sso", fields: Object.keys(input).sort() });
  await endSessionsNowRefused(ctx, before, next, keepSession);
  await settingsChanged(ctx, "sso");
  return showSsoSettings(ctx);
}

/**
 * A group made "SSO only" (or its provider changed while it is): the sessions its people opened
 * another way end now, as they could not begin any more (password, e-mailed link, passkey, another
 * provider), not when they would have run out, and so do their OAuth grants (a grant does not say
 * which session consented to it, and outlives it). Kept: an account owner's sessions opened with
 * a second factor and their grants (their way in when the provider fails), and the caller's own
 * session, so the admin who made the change can check it (it ends as sessions do). API tokens are
 * credentials an admin manages, not a way of signing in: kept. Audited with the groups concerned.
 */
async function endSessionsNowRefused(ctx: RequestContext, before: repo.SsoSettingsRow, next: repo.SsoSettingsRow, keep: Buffer | undefined): Promise<void> {
  const groups: string[] = [];
  const now = ctx.now();
  if (next.staff_sso_only && next.staff_provider !== null && (!before.staff_sso_only || before.staff_provider !== next.staff_provider)) {
    const n = (await identityRepo.revokeSessionsNotThrough(ctx.tx, "staff", next.staff_provider, now, keep)) + (await oauthRepo.revokeGrantsOfGroup(ctx.tx, "staff", now));
    if (n > 0) groups.push("staff");
  }
  if (next.end_users_sso_only && next.end_user_provider !== null && (!before.end_users_sso_only || before.end_user_provider !== next.end_user_provider)) {
    const n = (await identityRepo.revokeSessionsNotThrough(ctx.tx, "end_users", next.end_user_provider, now, keep)) + (await oauthRepo.revokeGrantsOfGroup(ctx.tx, "end_users", now));
    if (n > 0) groups.push("end_users");
  }
  if (groups.length) audit(ctx, { action: "sso_settings.sessions_ended", resourceType: "account", resourceId: "sso", fields: groups });
}

/** The ways in the sign-in pages offer (anyone may read it: it is what the pages show). */
export async function signInOptions(ctx: RequestContext) {
  const s = await repo.findSettings(ctx.tx);
  const enabled = new Set((await repo.listProviders(ctx.tx)).filter((p) => p.enabled).map((p) => p.kind));
  // JWT's remote logout address (an admin's setting, https or this machine's loopback): where the
  // pages send a group signed in through it once they have signed out, as Zendesk does. Nothing
  // is added to it (no address or id of the person in a URL other servers log).
  const jwtSignOut = s.staff_provider === "jwt" || s.end_user_provider === "jwt" ? await jwtSignOutUrl(ctx) : null;
  const sso = (kind: SsoKind | null) => (kind !== null && enabled.has(kind) ? { kind, start_path: START_PATHS[kind], sign_out_url: kind === "jwt" ? jwtSignOut : null } : null);
  return {
    staff: { password: !s.staff_sso_only, sso: sso(s.staff_provider) },
    end_users: { password: !s.end_users_sso_only, sign_in_links: !s.end_users_sso_only, sso: sso(s.end_user_provider) },
  };
}

async function jwtSignOutUrl(ctx: RequestContext): Promise<string | null> {
  const p = await readProvider(ctx, "jwt");
  const url = (p?.config as { remote_logout_url?: unknown } | undefined)?.remote_logout_url;
  // Checked again as the settings check it (https, or http on loopback), whatever was stored.
  return typeof url === "string" && providerUrl.safeParse(url).success ? url : null;
}

// ---- the last step of every SSO sign-in

function mappedRole(s: repo.SsoSettingsRow, identity: AssertedIdentity): (typeof MAPPABLE_ROLES)[number] | undefined {
  if (!s.role_attribute) return undefined;
  const values = identity.attributes[s.role_attribute] ?? [];
  for (const role of MAPPABLE_ROLES) {
    if ((s.role_map[role] ?? []).some((v) => values.includes(v))) return role;
  }
  return undefined;
}

/** Why the last step, shared by every protocol, refuses a sign-in (the answer and the audit entry carry the code). */
export const LAST_STEP_REASONS = ["provider_changed", "provider_off", "bad_identity", "not_provisioned", "wrong_group", "ip_restriction", "unavailable", "unproven_address", "other_subject"] as const;

const refusal = (ctx: RequestContext, kind: SsoKind, reason: (typeof LAST_STEP_REASONS)[number], description: string, user?: { id: string; niceId: number; role: Role }) => {
  audit(user ? actingAs(ctx, { ...user, customRole: null }) : ctx, { action: "user.signin_failed", resourceType: "user", resourceId: user?.niceId ?? "unknown", fields: [kind, reason] });
  return new CommitThenFail(new AppError("Forbidden", { description, reason }));
};

/**
 * The last step of every SSO sign-in: finds the person (by subject, else by e-mail), creates them
 * when just-in-time creation is on, applies the tenant's role mapping, refuses a suspended person
 * or one the settings do not send to this provider, opens a session (method = kind) and audits.
 * A refusal is audited and committed, then answered 403 (the route returns the CommitThenFail).
 * The route sets the cookie with setSessionCookie and redirects to `landing` or a safe return_to.
 */
export async function signInWithProvider(
  deps: Pick<AppDeps, "keyring" | "config">,
  ctx: RequestContext,
  kind: SsoKind,
  identity: AssertedIdentity,
): Promise<{ session: Session; user: { niceId: number; role: Role }; landing: "/agent" | "/" } | CommitThenFail> {
  const s = await repo.findSettings(ctx.tx);
  // Shared with a change of the provider's settings (saveProvider updates the row): a change that
  // commits first is seen here, one after waits for this sign-in and then ends its session.
  const provider = await repo.findProvider(ctx.tx, kind, true);
  if (!provider?.enabled || (s.staff_provider !== kind && s.end_user_provider !== kind)) {
    return refusal(ctx, kind, "provider_off", "Single sign-on with this provider is not turned on for this account.");
  }
  if (provider.updated_at.getTime() !== identity.providerVersion.getTime()) {
    return refusal(ctx, kind, "provider_changed", "The single sign-on settings changed during this sign-in; sign in again.");
  }
  // Every protocol's claims are held to the same forms here (SAML hands over what its attributes
  // carry): an address as OpenID Connect and JWT accept one, a name of one line and 255 characters.
  const email = emailClaim(identity.email.trim());
  if (!email || identity.subject.length === 0 || identity.subject.length > 1024) {
    return refusal(ctx, kind, "bad_identity", "The identity provider did not send a usable e-mail address and subject.");
  }
  const subjectBidx = ctx.sealer.blindIndex(`sso.${kind}.subject`, identity.subject);
  const linked = await repo.findIdentity(ctx.tx, kind, subjectBidx);
  let user = linked ? await identityRepo.findUserForSignIn(ctx.tx, { id: linked.user_id }) : await identityRepo.findUserForSignIn(ctx.tx, { emailBidx: emailIndex(ctx.sealer, email) });
  const mapped = mappedRole(s, identity);
  // A provider decides only for the group it serves: one set up for end users cannot make staff.
  const serves = (role: Role) => (isStaff(role) ? s.staff_provider === kind : s.end_user_provider === kind);
  // Outside the tenant's networks: refused (audited) before anything about the person changes —
  // no one is created, no role mapped, no identity linked. What second factor the provider asked
  // for is not known here, so its sign-ins never take the two-factor exception. The role checked
  // is the one the person would sign in with (the mapped one, when the mapping would apply).
  const admits = async (role: Role) => ipRestrictionsPolicy.allows(await networkRulesOf(ctx.tx, ctx.sealer), { role, secondFactor: false }, ctx.ip);
  if (!user) {
    const role = mapped ?? "end_user";
    if (!s.jit_users) return refusal(ctx, kind, "not_provisioned", "There is no account for this person here; ask an admin to add you.");
    if (!serves(role)) return refusal(ctx, kind, "wrong_group", "This identity provider does not sign in people of this role here.");
    if (!(await admits(role))) return refusal(ctx, kind, "ip_restriction", NETWORK_REFUSED);
    const created = await insertSealedUser(ctx, { role, name: nameClaim(identity.name) ?? email.split("@")[0]!, email, emailStatus: "verified" });
    user = await identityRepo.findUserForSignIn(ctx.tx, { id: created.id });
    if (!user) throw new Error("a user just created was not found");
  }
  const who = { id: user.id, niceId: user.nice_id, role: user.role };
  if (!user.active || user.suspended) return refusal(ctx, kind, "unavailable", "This account cannot sign in; ask an admin.", who);
  // An address staff moved the person to is not theirs to sign in with until an admin vouches for
  // it (as for e-mailed sign-in links): a provider vouching for its mailbox links nobody by it.
  if (!linked && user.email_status === "staff_changed") return refusal(ctx, kind, "unproven_address", "This account's address was set by staff and not yet confirmed by an admin; ask an admin.", who);
  // One subject per person and provider: a person already linked to another subject is not relinked
  // by e-mail — checked before anything about the person changes (a refusal commits).
  if (!linked && (await repo.identityOfUser(ctx.tx, kind, user.id))) return refusal(ctx, kind, "other_subject", "This account is linked to another identity at this provider.", who);
  if (!(await admits(mapped && user.role !== "owner" ? mapped : user.role)) || !(await admits(user.role))) return refusal(ctx, kind, "ip_restriction", NETWORK_REFUSED, who);
  if (mapped && mapped !== user.role && user.role !== "owner") {
    // Nor can it move a staff member out of staff: a provider for end users mapping an agent's
    // address to end user would demote the agent and sign its holder in to the agent's account.
    if (!serves(mapped) || (isStaff(user.role) && !serves(user.role))) return refusal(ctx, kind, "wrong_group", "This identity provider does not sign in people of this role here.", who);
    await setRoleFromIdentityProvider(ctx, user.id, mapped);
    who.role = mapped;
  }
  if (!serves(who.role)) return refusal(ctx, kind, "wrong_group", "This identity provider does not sign in people of this role here.", who);
  if (linked) await repo.touchIdentity(ctx.tx, linked.id, ctx.now());
  else {
    const id = crypto.randomUUID();
    await repo.insertIdentity(ctx.tx, { id, user_id: user.id, kind, subject_bidx: subjectBidx, subject_sealed: ctx.sealer.seal(identity.subject, { table: "sso_identities", column: "subject", row: id }), last_used_at: ctx.now() });
  }
  await identityRepo.recordSignInSuccess(ctx.tx, user.id, { mustChangePassword: false });
  // An owner's session from single sign-on is no recent sign-in of theirs (requireRecentSignIn):
  // any admin can set up a provider, or sign a JWT, that signs in as the owner. Steps that give
  // lasting access wait for the owner's own password and second factor (or passkey).
  const session = await startSession(deps, ctx, who, kind, { staffIssued: who.role === "owner", ...withSignedInAt(signedInAtOf(kind, identity, ctx.now())) });
  return { session, user: { niceId: who.niceId, role: who.role }, landing: who.role === "end_user" ? "/" : "/agent" };
}
