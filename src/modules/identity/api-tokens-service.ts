import { customRoleOf } from "../../platform/roles.ts";
import crypto from "node:crypto";
import { actorUser, userActor, type Actor, type RequestContext } from "../../platform/context.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import type { TenantSealer } from "../../platform/crypto/keyring.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { parseScopes } from "../../platform/http/scopes.ts";
import { audit } from "../audit/audit-service.ts";
import { emailIndex } from "../users/users-fns.ts";
import { identityPolicy } from "./identity-policy.ts";
import * as repo from "./api-tokens-repo.ts";
import { requireRecentSignInOnSession } from "../../platform/recent-sign-in.ts";
import { settingsChanged } from "../../platform/settings-changes.ts";

/**
 * API tokens: named, scoped, optionally expiring credentials of a staff member, rotated with a
 * short overlap. A token's secret is stored as a keyed SHA-256 (HMAC under a key derived from the
 * master key): a database dump alone cannot test guesses, and the check costs microseconds.
 *
 * Invariants:
 * - A secret is shown once: in the answer that created it (creation or rotation).
 * - After a rotation the replaced secret works until `previous_expires_at`, never longer; a second
 *   rotation forgets it at once. Revocation ends both secrets.
 * - `last_used_at` and the sealed `last_used_ip` are written at most once a minute per token, so
 *   a busy token does not turn every read into a write.
 */

const TOKEN_PREFIX = "vdt_";
/** How often a token's last use is written, at most. */
export const LAST_USED_RESOLUTION_MS = 60_000;
/** How far ahead an expiry may be set: one year. */
export const MAX_EXPIRY_DAYS = 365;
/** The overlap after a rotation: 24 hours unless the caller chooses, at most 7 days (Stripe's longest). */
export const DEFAULT_OVERLAP_HOURS = 24;
export const MAX_OVERLAP_HOURS = 168;

const ipRef = (id: string) => ({ table: "api_tokens" as const, column: "last_used_ip" as const, row: id });

const newTokenSecret = () => TOKEN_PREFIX + crypto.randomBytes(32).toString("base64url");

/** The token lookup to send with BEGIN, so authentication costs no extra round trip. */
export function tokenPrelude(deps: Pick<AppDeps, "keyring">, tenantId: string, token: string): string | undefined {
  if (token.length > 200) return undefined;
  return repo.activeTokenPrelude(tenantId, deps.keyring.hashSecret("api-token", token));
}

/**
 * The actor behind a token, or 401: unknown, revoked, expired, a replaced secret past its overlap,
 * or a person no longer active. Records the use (throttled, see above).
 */
export async function resolveToken(deps: Pick<AppDeps, "keyring" | "now">, tx: TenantTx, sealer: TenantSealer, cred: { token: string; email: string | undefined; ip: string | undefined }): Promise<Actor> {
  if (cred.token.length > 200) throw new AppError("Unauthorized");
  // The row comes from the prelude sent with BEGIN when the route wrapper prepared one.
  const found = tx.preludeRows ? (tx.preludeRows[0] as repo.TokenActorRow | undefined) : await repo.findActiveTokenByHash(tx, deps.keyring.hashSecret("api-token", cred.token));
  if (!found || !found.user_active || found.user_suspended) throw new AppError("Unauthorized");
  const now = deps.now();
  if (found.expires_at && new Date(found.expires_at) <= now) throw new AppError("Unauthorized");
  if (found.by_previous && !(found.previous_expires_at && new Date(found.previous_expires_at) > now)) throw new AppError("Unauthorized");
  if (cred.email !== undefined) {
    const bidx = emailIndex(sealer, cred.email);
    if (!found.user_email_bidx || !Buffer.from(found.user_email_bidx).equals(bidx)) throw new AppError("Unauthorized");
  }
  const last = found.last_used_at ? new Date(found.last_used_at) : undefined;
  if (!last || now.getTime() - last.getTime() >= LAST_USED_RESOLUTION_MS) {
    await repo.touchToken(tx, found.id, now, cred.ip ? sealer.seal(cred.ip, ipRef(found.id)) : null);
  }
  return userActor({ id: found.user_id, niceId: Number(found.user_nice_id), role: found.user_role, customRole: customRoleOf(found.user_custom_role) }, "token", found.scopes);
}

export type TokenView = {
  id: number;
  name: string;
  scopes: string[];
  user_id: number;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  rotated_at: string | null;
  previous_token_expires_at: string | null;
  active: boolean;
  can_rotate: boolean;
};

function presentToken(ctx: RequestContext, t: repo.TokenRow): TokenView {
  const now = ctx.now();
  const overlap = t.previous_expires_at && t.previous_expires_at > now && t.revoked_at === null ? t.previous_expires_at : null;
  return {
    id: Number(t.nice_id),
    name: t.name,
    scopes: t.scopes,
    user_id: Number(t.user_nice_id),
    created_at: t.created_at.toISOString(),
    expires_at: t.expires_at?.toISOString() ?? null,
    last_used_at: t.last_used_at?.toISOString() ?? null,
    last_used_ip: t.last_used_ip_sealed ? ctx.sealer.open(t.last_used_ip_sealed, ipRef(t.id)) : null,
    rotated_at: t.rotated_at?.toISOString() ?? null,
    previous_token_expires_at: overlap?.toISOString() ?? null,
    active: t.revoked_at === null && !(t.expires_at && t.expires_at <= now),
    can_rotate: ctx.actor.kind === "user" && identityPolicy.rotateToken(actorUser(ctx), t.user_id),
  };
}

/** Checks requested scopes against the vocabulary (422 naming every unknown one). */
function scopesOf(requested: readonly string[] | undefined): string[] {
  if (requested === undefined) return ["read", "write"];
  const { scopes, unknown } = parseScopes(requested);
  if (unknown.length > 0) throw invalid("scopes", `Scopes: unknown scope${unknown.length > 1 ? "s" : ""} ${unknown.map((s) => `'${s}'`).join(", ")}`);
  if (scopes.length === 0) throw invalid("scopes", "Scopes: at least one is needed");
  return scopes;
}

/** An expiry in the future and at most a year ahead (422 otherwise). */
function expiryOf(now: Date, expiresAt: string | null | undefined): Date | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  const at = new Date(expiresAt);
  if (Number.isNaN(at.getTime())) throw invalid("expires_at", "Expires at: is not a date and time");
  if (at <= now) throw invalid("expires_at", "Expires at: must be in the future");
  if (at.getTime() - now.getTime() > MAX_EXPIRY_DAYS * 86_400_000) throw invalid("expires_at", `Expires at: must be at most ${MAX_EXPIRY_DAYS} days ahead`);
  return at;
}

/** Creates a token for the acting user (or, for admins, another staff member). The secret is returned once. */
export async function createApiToken(
  deps: Pick<AppDeps, "keyring">,
  ctx: RequestContext,
  input: { name: string; scopes?: readonly string[] | undefined; expiresAt?: string | null | undefined; userId?: string },
  sessionHash?: Buffer,
): Promise<{ token: TokenView; secret: string }> {
  const scopes = scopesOf(input.scopes);
  const expiresAt = expiryOf(ctx.now(), input.expiresAt);
  // The operator (CLI) creates the first owner's token; everyone else acts as a staff user.
  let userId: string;
  if (ctx.actor.kind === "operator") {
    if (!input.userId) throw new Error("operator token creation needs a user");
    userId = input.userId;
  } else {
    const actor = actorUser(ctx);
    userId = input.userId ?? actor.userId;
    if (!identityPolicy.createToken(actor, userId)) throw forbidden();
    if (!identityPolicy.grantScopes(actor, scopes)) throw forbidden("A token cannot create a token with a scope it lacks itself.");
    // A token outlives the session that made it: made on a session, it needs a recent sign-in.
    requireRecentSignInOnSession(ctx, "create an API token");
  }
  const secret = newTokenSecret();
  const id = crypto.randomUUID();
  const niceId = await repo.insertToken(ctx.tx, { id, user_id: userId, name: input.name, scopes, token_hash: deps.keyring.hashSecret("api-token", secret), expires_at: expiresAt });
  audit(ctx, { action: "api_token.created", resourceType: "api_token", resourceId: niceId, fields: ["name", "scopes", ...(expiresAt ? ["expires_at"] : [])] });
  const row = await repo.findTokenByNiceId(ctx.tx, niceId);
  return { token: presentToken(ctx, row!), secret };
}

export async function listApiTokens(ctx: RequestContext): Promise<TokenView[]> {
  const actor = actorUser(ctx);
  const scope = identityPolicy.tokenScope(actor);
  if (scope.kind === "none") throw forbidden();
  const rows = await repo.listTokens(ctx.tx, scope.kind === "own" ? scope.userId : undefined);
  return rows.map((r) => presentToken(ctx, r));
}

export async function revokeApiToken(deps: Pick<AppDeps, "now">, ctx: RequestContext, niceId: number): Promise<void> {
  const actor = actorUser(ctx);
  // Someone who may hold no tokens is refused as the list and create refuse them, before any lookup.
  if (identityPolicy.tokenScope(actor).kind === "none") throw forbidden();
  const t = await repo.findTokenByNiceId(ctx.tx, niceId);
  if (!t || !identityPolicy.seeToken(actor, t.user_id)) throw notFound();
  if (t.revoked_at === null) {
    await repo.revokeToken(ctx.tx, t.id, deps.now());
    audit(ctx, { action: "api_token.revoked", resourceType: "api_token", resourceId: niceId });
  }
}

/**
 * A new secret for a token (shown once); the replaced one keeps working for `overlapHours` (0:
 * not at all), so a deployment can switch without an outage. A token outside the actor's view
 * answers 404; a revoked or expired one cannot be rotated (422).
 */
export async function rotateApiToken(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, niceId: number, overlapHours: number = DEFAULT_OVERLAP_HOURS): Promise<{ token: TokenView; secret: string }> {
  const actor = actorUser(ctx);
  if (identityPolicy.tokenScope(actor).kind === "none") throw forbidden();
  const t = await repo.findTokenByNiceId(ctx.tx, niceId);
  if (!t || !identityPolicy.seeToken(actor, t.user_id)) throw notFound();
  if (!identityPolicy.rotateToken(actor, t.user_id)) throw forbidden("Only its own person rotates an API token (the new secret is shown to whoever rotates it); revoke it instead.");
  if (!identityPolicy.grantScopes(actor, t.scopes)) throw forbidden("A token cannot rotate a token with a scope it lacks itself.");
  const now = ctx.now();
  if (t.revoked_at !== null) throw invalid("api_token", "API token: a revoked token cannot be rotated");
  if (t.expires_at && t.expires_at <= now) throw invalid("api_token", "API token: an expired token cannot be rotated");
  const secret = newTokenSecret();
  const previousUntil = overlapHours > 0 ? new Date(now.getTime() + overlapHours * 3600_000) : null;
  await repo.rotateToken(ctx.tx, t.id, { token_hash: deps.keyring.hashSecret("api-token", secret), previousUntil, now });
  audit(ctx, { action: "api_token.rotated", resourceType: "api_token", resourceId: niceId, fields: ["token", ...(previousUntil ? ["previous_token_expires_at"] : [])] });
  const row = await repo.findTokenByNiceId(ctx.tx, niceId);
  return { token: presentToken(ctx, row!), secret };
}

// ---- API settings

export type ApiSettings = { password_access: boolean };

export async function showApiSettings(ctx: RequestContext): Promise<ApiSettings> {
  if (!identityPolicy.manageApiSettings(actorUser(ctx))) throw forbidden();
  return { password_access: await repo.passwordAccess(ctx.tx) };
}

/** Turns password access to the API on or off (admins; audited when it changes). */
export async function updateApiSettings(ctx: RequestContext, input: Partial<ApiSettings>): Promise<ApiSettings> {
  if (!identityPolicy.manageApiSettings(actorUser(ctx))) throw forbidden();
  const current = await repo.passwordAccess(ctx.tx);
  if (input.password_access !== undefined && input.password_access !== current) {
    await repo.storePasswordAccess(ctx.tx, input.password_access);
    audit(ctx, { action: "api_settings.updated", resourceType: "account", resourceId: "api_settings", fields: ["password_access"] });
    await settingsChanged(ctx, "api");
  }
  return { password_access: input.password_access ?? current };
}
