import crypto from "node:crypto";
import * as jose from "jose";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { AppDeps, ResolvedTenant } from "../../platform/deps.ts";
import { AppError, CommitThenFail, forbidden } from "../../platform/errors.ts";
import { isAdmin } from "../users/users-policy.ts";
import { type Session } from "./identity-service.ts";
import { readProvider, safeReturnTo, saveProvider, useOnce, type AssertedIdentity } from "./sso-service.ts";
import { attributesOf, emailClaim, nameClaim, type RefusalReason } from "./sso-claims.ts";
import { completeProviderSignIn, refuseSignIn, refusal } from "./sso-signin.ts";
import { jwtConfig, trustOfJwt, type JwtConfig, type JwtInput, type JwtView } from "./sso-jwt-types.ts";

/**
 * JWT single sign-on as Zendesk does it: the customer's application signs a token with the
 * tenant's shared secret and sends the browser to /access/jwt with it. Invariants:
 *  - HS256 only (jose's `algorithms`): `none`, HS384/HS512 and every asymmetric algorithm are
 *    refused before any key is tried.
 *  - The shared secret, and during a rotation the previous one, are the only keys; both sealed.
 *  - `iat` is required and at most IAT_WINDOW_SECONDS old (a little clock skew ahead allowed);
 *    `exp`, when present, is in the future and at most 15 minutes ahead.
 *  - `jti` is required and used once: the replay cache (sso_replays, database) holds it until
 *    the token could no longer be accepted anyway.
 *  - A refusal answers 401 with a short reason code, audited `user.signin_failed` (`jwt`, reason).
 *  - The token and the secrets never reach a log.
 */

export const IAT_WINDOW_SECONDS = 180;
export const MAX_LIFETIME_SECONDS = 15 * 60;
const SKEW_SECONDS = 30;
export const JWT_SIGN_IN_PATH = "/access/jwt";

function requireAdmin(ctx: RequestContext, what: string): void {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden(`Only admins ${what} the JWT single sign-on settings.`);
}

function storedConfig(raw: unknown): JwtConfig | undefined {
  const parsed = jwtConfig.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

function viewOf(deps: Pick<AppDeps, "urls">, tenant: ResolvedTenant, enabled: boolean, c: JwtConfig | undefined): JwtView {
  return {
    enabled: enabled && c !== undefined,
    remote_login_url: c?.remote_login_url ?? null,
    remote_logout_url: c?.remote_logout_url ?? null,
    shared_secret_set: Boolean(c?.shared_secret),
    rotation_secret_set: Boolean(c?.rotation_secret),
    sign_in_url: `${deps.urls.tenantOrigin(tenant)}${JWT_SIGN_IN_PATH}`,
  };
}

export async function showJwtSettings(deps: Pick<AppDeps, "urls">, ctx: RequestContext, tenant: ResolvedTenant): Promise<JwtView> {
  requireAdmin(ctx, "see");
  const p = await readProvider(ctx, "jwt");
  return viewOf(deps, tenant, p?.enabled ?? false, p ? storedConfig(p.config) : undefined);
}

export async function updateJwtSettings(deps: Pick<AppDeps, "urls">, ctx: RequestContext, tenant: ResolvedTenant, input: JwtInput, keepSession?: Buffer): Promise<JwtView> {
  requireAdmin(ctx, "change");
  const p = await readProvider(ctx, "jwt");
  const old = p ? storedConfig(p.config) : undefined;
  const secret = input.shared_secret ?? old?.shared_secret;
  if (!secret) throw new AppError("RecordInvalid", { details: { shared_secret: [{ description: "Shared secret: required (send one, or generate one first with POST /api/v2/sso/jwt/secret).", error: "BlankValue" }] } });
  // A secret set by hand replaces the current one outright; keeping the old one is what the generate action does.
  const rotation = input.remove_rotation_secret ? null : input.shared_secret && input.shared_secret !== old?.shared_secret ? null : (old?.rotation_secret ?? null);
  const config: JwtConfig = {
    remote_login_url: input.remote_login_url,
    remote_logout_url: input.remote_logout_url !== undefined ? input.remote_logout_url : (old?.remote_logout_url ?? null),
    shared_secret: secret,
    rotation_secret: rotation,
  };
  await saveProvider(ctx, "jwt", { enabled: input.enabled, config, trust: { before: trustOfJwt(old), after: trustOfJwt(config) } }, keepSession);
  return viewOf(deps, tenant, input.enabled, config);
}

/** A new random shared secret (answered once); the current one is kept as the rotation secret. */
export async function generateJwtSecret(deps: Pick<AppDeps, "urls">, ctx: RequestContext, tenant: ResolvedTenant, keepSession?: Buffer): Promise<{ shared_secret: string; settings: JwtView }> {
  requireAdmin(ctx, "change");
  const p = await readProvider(ctx, "jwt");
  const old = p ? storedConfig(p.config) : undefined;
  const fresh = crypto.randomBytes(32).toString("base64url");
  // The first secret may come before the rest of the settings (they cannot be saved without one).
  const config: JwtConfig = old ? { ...old, shared_secret: fresh, rotation_secret: old.shared_secret } : { remote_login_url: null, remote_logout_url: null, shared_secret: fresh, rotation_secret: null };
  await saveProvider(ctx, "jwt", { enabled: p?.enabled ?? false, config, trust: { before: trustOfJwt(old), after: trustOfJwt(config) } }, keepSession);
  return { shared_secret: fresh, settings: viewOf(deps, tenant, p?.enabled ?? false, config) };
}

/** Where "Sign in" sends a browser: the customer's remote login URL with the tenant's return address. */
export async function remoteLoginLocation(deps: Pick<AppDeps, "urls">, ctx: RequestContext, tenant: ResolvedTenant, returnTo: string | undefined): Promise<string> {
  const p = await readProvider(ctx, "jwt");
  const c = p?.enabled ? storedConfig(p.config) : undefined;
  if (!c?.remote_login_url) throw refusal("not_configured");
  const u = new URL(c.remote_login_url);
  u.searchParams.set("return_to", `${deps.urls.tenantOrigin(tenant)}${safeReturnTo(returnTo) ?? "/"}`);
  return u.href;
}

type Verified = { identity: AssertedIdentity; jti: string; until: Date } | { refused: RefusalReason };

async function verify(token: string, c: JwtConfig, now: Date, providerVersion: Date): Promise<Verified> {
  const keys = [c.shared_secret, c.rotation_secret].filter((s): s is string => Boolean(s));
  let payload: jose.JWTPayload | undefined;
  let failure: RefusalReason = "invalid_token";
  for (const secret of keys) {
    try {
      payload = (await jose.jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ["HS256"], currentDate: now, clockTolerance: SKEW_SECONDS, requiredClaims: ["iat", "jti"] })).payload;
      break;
    } catch (err) {
      // A token past its `exp` is expired whichever key checked it; anything else: not ours.
      if (err instanceof jose.errors.JWTExpired) failure = "expired";
    }
  }
  if (!payload) return { refused: failure };
  const nowS = Math.floor(now.getTime() / 1000);
  const iat = payload.iat!;
  if (iat > nowS + SKEW_SECONDS || nowS - iat > IAT_WINDOW_SECONDS) return { refused: "stale" };
  if (payload.exp !== undefined && payload.exp > nowS + MAX_LIFETIME_SECONDS + SKEW_SECONDS) return { refused: "too_long" };
  const jti = payload.jti;
  if (typeof jti !== "string" || jti.length < 1 || jti.length > 255) return { refused: "invalid_token" };
  const claims = payload as Record<string, unknown>;
  const email = emailClaim(claims.email);
  if (!email) return { refused: "email_missing" };
  const external = typeof claims.external_id === "string" || typeof claims.external_id === "number" ? String(claims.external_id).slice(0, 255) : undefined;
  const attributes = attributesOf(claims, ["iat", "exp", "nbf", "jti", "iss", "aud", "email", "name", "external_id"]);
  // Kept until no check above could accept the token again.
  const until = new Date(Math.max(payload.exp ?? 0, iat + IAT_WINDOW_SECONDS + SKEW_SECONDS) * 1000 + 60_000);
  return { identity: { subject: external || email, email, name: nameClaim(claims.name), attributes, providerVersion }, jti, until };
}

/** A sign-in with a token from the customer's application: checks, the replay cache, then the single sign-on layer. */
/**
 * Where to go after a JWT sign-in: a path of this site, or — as the customer's application gets it
 * from /access/jwt/login — an absolute address on the tenant's own origin (made a path). Anything else: nowhere.
 */
export function jwtReturnTo(origin: string, value: string | undefined): string | undefined {
  if (value && /^https?:\/\//i.test(value)) {
    try {
      const u = new URL(value);
      return u.origin === origin ? safeReturnTo(u.pathname + u.search + u.hash) : undefined;
    } catch {
      return undefined;
    }
  }
  return safeReturnTo(value);
}

export async function signInWithJwt(deps: AppDeps, ctx: RequestContext, tenant: ResolvedTenant, token: string | undefined, returnTo: string | undefined): Promise<CommitThenFail | { session: Session; location: string }> {
  const p = await readProvider(ctx, "jwt");
  const c = p?.enabled ? storedConfig(p.config) : undefined;
  if (!c) return refuseSignIn(ctx, "jwt", "not_configured");
  if (!token) return refuseSignIn(ctx, "jwt", "invalid_token");
  const v = await verify(token, c, ctx.now(), p!.updatedAt);
  if ("refused" in v) return refuseSignIn(ctx, "jwt", v.refused);
  if (!(await useOnce(deps, ctx, "jwt", v.jti, v.until))) return refuseSignIn(ctx, "jwt", "replayed");
  return completeProviderSignIn(deps, ctx, "jwt", v.identity, jwtReturnTo(deps.urls.tenantOrigin(tenant), returnTo));
}
