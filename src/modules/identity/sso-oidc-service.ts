import crypto from "node:crypto";
import * as oidc from "openid-client";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { AppDeps, ResolvedTenant } from "../../platform/deps.ts";
import { AppError, forbidden } from "../../platform/errors.ts";
import { isAdmin } from "../users/users-policy.ts";
import { beginRequest, finishRequest, readProvider, safeReturnTo, saveProvider, type AssertedIdentity } from "./sso-service.ts";
import { attributesOf, emailClaim, nameClaim, type RefusalReason } from "./sso-claims.ts";
import { refusal } from "./sso-signin.ts";
import { oidcConfig, trustOfOidc, type OidcConfig, type OidcInput, type OidcView } from "./sso-oidc-types.ts";

/**
 * OpenID Connect sign-in (relying party, openid-client): the authorization code flow with PKCE
 * (S256), `state` and `nonce`. Invariants:
 *  - `state` is a single-use pending request of the host's tenant (sso_requests, keyed hash), ten
 *    minutes long, bound to the browser that started it by a cookie holding a random value whose
 *    copy is sealed with the request; it carries the nonce and the PKCE verifier.
 *  - The redirect URI is built from the tenant's configured origin (PublicUrls), never a header.
 *  - openid-client checks the ID token: issuer (also the discovery document's), audience, nonce,
 *    signature from the provider's JWKS (RS256/ES256/… only: never `none` or a symmetric key),
 *    expiry; we refuse `email_verified: false`, and its absence unless the admin allows that
 *    (`email_verified_required`, on by default).
 *  - Network work (discovery, the code exchange) runs before the request's transaction opens.
 *  - A refusal answers 401 with a short reason code, audited `user.signin_failed` (fields
 *    `oidc` and the reason), and never names which claim or value failed beyond that.
 *  - Nothing received from the provider (code, tokens, claims) or the client secret is logged.
 */

export const OIDC_CALLBACK_PATH = "/access/oidc/callback";
/** The browser binding cookie of a pending sign-in. */
export const OIDC_BINDING_COOKIE = "vd_oidc";
const PENDING_MINUTES = 10;
const DISCOVERY_CACHE_MS = 10 * 60_000;
const NETWORK_TIMEOUT_SECONDS = 10;

export const redirectUriOf = (deps: Pick<AppDeps, "urls">, tenant: ResolvedTenant): string => `${deps.urls.tenantOrigin(tenant)}${OIDC_CALLBACK_PATH}`;

function requireAdmin(ctx: RequestContext, what: string): void {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden(`Only admins ${what} the OpenID Connect settings.`);
}

function storedConfig(raw: unknown): OidcConfig | undefined {
  const parsed = oidcConfig.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

function viewOf(deps: Pick<AppDeps, "urls">, tenant: ResolvedTenant, enabled: boolean, c: OidcConfig | undefined): OidcView {
  return {
    enabled: enabled && c !== undefined,
    issuer: c?.issuer ?? null,
    client_id: c?.client_id ?? null,
    client_secret_set: Boolean(c?.client_secret),
    scopes: c?.scopes ?? "openid email profile",
    email_claim: c?.email_claim ?? "email",
    name_claim: c?.name_claim ?? "name",
    email_verified_required: c?.email_verified_required ?? true,
    redirect_uri: redirectUriOf(deps, tenant),
  };
}

/** The tenant's OpenID Connect settings (admins); the client secret only as set or not. */
export async function showOidcSettings(deps: Pick<AppDeps, "urls">, ctx: RequestContext, tenant: ResolvedTenant): Promise<OidcView> {
  requireAdmin(ctx, "see");
  const p = await readProvider(ctx, "oidc");
  return viewOf(deps, tenant, p?.enabled ?? false, p ? storedConfig(p.config) : undefined);
}

/** Saves them (admins; audited by the single sign-on layer, without values). The secret is kept when none is sent. */
export async function updateOidcSettings(deps: Pick<AppDeps, "urls">, ctx: RequestContext, tenant: ResolvedTenant, input: OidcInput, keepSession?: Buffer): Promise<OidcView> {
  requireAdmin(ctx, "change");
  const before = await readProvider(ctx, "oidc");
  const old = before ? storedConfig(before.config) : undefined;
  const secret = input.client_secret ?? (old && old.issuer === input.issuer && old.client_id === input.client_id ? old.client_secret : undefined);
  if (!secret) throw new AppError("RecordInvalid", { details: { client_secret: [{ description: "Client secret: required when the issuer or client id is new.", error: "BlankValue" }] } });
  const config: OidcConfig = {
    issuer: input.issuer,
    client_id: input.client_id,
    client_secret: secret,
    scopes: input.scopes ?? old?.scopes ?? "openid email profile",
    email_claim: input.email_claim ?? old?.email_claim ?? "email",
    name_claim: input.name_claim ?? old?.name_claim ?? "name",
    email_verified_required: input.email_verified_required ?? old?.email_verified_required ?? true,
  };
  await saveProvider(ctx, "oidc", { enabled: input.enabled, config, trust: { before: trustOfOidc(old), after: trustOfOidc(config) } }, keepSession);
  forgetDiscovery(ctx.sealer.tenantId);
  return viewOf(deps, tenant, input.enabled, config);
}

// Discovery documents, per tenant and settings, for a few minutes (the provider's keys are cached
// and refreshed by openid-client itself when a token names an unknown key).
const discovered = new Map<string, { at: number; config: oidc.Configuration }>();

function forgetDiscovery(tenantId: string): void {
  for (const k of discovered.keys()) if (k.startsWith(`${tenantId}|`)) discovered.delete(k);
}

async function clientFor(tenantId: string, c: OidcConfig): Promise<oidc.Configuration> {
  const key = `${tenantId}|${c.issuer}|${c.client_id}|${crypto.createHash("sha256").update(c.client_secret).digest("base64url")}`;
  const hit = discovered.get(key);
  if (hit && Date.now() - hit.at < DISCOVERY_CACHE_MS) return hit.config;
  const url = new URL(c.issuer);
  const config = await oidc.discovery(url, c.client_id, { client_secret: c.client_secret }, oidc.ClientSecretBasic(c.client_secret), {
    timeout: NETWORK_TIMEOUT_SECONDS,
    // The ID token's signature is checked against the provider's JWKS (openid-client would otherwise
    // rely on TLS alone for a token from the token endpoint). providerUrl admits http only on this
    // machine's loopback.
    execute: [oidc.enableNonRepudiationChecks, ...(url.protocol === "http:" ? [oidc.allowInsecureRequests] : [])],
  });
  if (discovered.size > 1000) discovered.clear();
  discovered.set(key, { at: Date.now(), config });
  return config;
}

type InTenant = <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>;

export type Refused = { refused: RefusalReason };
export type OidcLoginPrepared = Refused | { client: oidc.Configuration; config: OidcConfig };

/** Before the transaction: the settings, and the provider's discovery document (network). */
export async function prepareOidcLogin(inTenant: InTenant, tenantId: string): Promise<OidcLoginPrepared> {
  const p = await inTenant((ctx) => readProvider(ctx, "oidc"));
  const config = p?.enabled ? storedConfig(p.config) : undefined;
  if (!config) return { refused: "not_configured" };
  try {
    return { client: await clientFor(tenantId, config), config };
  } catch (err) {
    return { refused: discoveryFailure(err) };
  }
}

/**
 * Starts a sign-in: a pending request under a new `state` (nonce, PKCE verifier, browser binding,
 * where to return), and the provider's authorization URL to send the browser to. `reauth` (the
 * person is signing in again for a step that needs a recent sign-in) asks the provider to
 * authenticate them anew rather than answer from a sign-in of its own (`prompt=login`,
 * `max_age=0`, OpenID Connect Core 3.1.2.1); the session counts from the `auth_time` it answers.
 */
export async function startOidcLogin(deps: Pick<AppDeps, "keyring" | "urls">, ctx: RequestContext, tenant: ResolvedTenant, prepared: OidcLoginPrepared, returnTo: string | undefined, reauth = false): Promise<{ location: string; binding: string; minutes: number }> {
  if ("refused" in prepared) throw refusal(prepared.refused);
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const verifier = oidc.randomPKCECodeVerifier();
  const binding = crypto.randomBytes(32).toString("base64url");
  await beginRequest(deps, ctx, "oidc", state, { nonce, verifier, binding, issuer: prepared.config.issuer, client_id: prepared.config.client_id, return_to: safeReturnTo(returnTo) ?? "" }, PENDING_MINUTES);
  const url = oidc.buildAuthorizationUrl(prepared.client, {
    redirect_uri: redirectUriOf(deps, tenant),
    scope: prepared.config.scopes,
    response_type: "code",
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    ...(reauth ? { prompt: "login", max_age: "0" } : {}),
  });
  return { location: url.href, binding, minutes: PENDING_MINUTES };
}

export type OidcCallbackPrepared = Refused | { identity: AssertedIdentity; returnTo: string | undefined };

/**
 * Before the transaction: uses up the pending request named by `state` (in a short transaction
 * of its own, so a replay finds it used even when the rest fails), checks the browser binding,
 * exchanges the code and has openid-client check the ID token; then the claims we require.
 */
export async function prepareOidcCallback(
  deps: Pick<AppDeps, "keyring">,
  inTenant: InTenant,
  tenantId: string,
  currentUrl: URL,
  query: { state?: string | undefined; code?: string | undefined; error?: string | undefined },
  bindingCookie: string | undefined,
): Promise<OidcCallbackPrepared> {
  if (!query.state) return { refused: "invalid_state" };
  const state = query.state;
  const found = await inTenant(async (ctx) => ({ pending: await finishRequest(deps, ctx, "oidc", state), provider: await readProvider(ctx, "oidc") }));
  const pending = found.pending;
  if (!pending || !bindingCookie || !constantTimeEqual(pending.binding ?? "", bindingCookie)) return { refused: "invalid_state" };
  const config = found.provider?.enabled ? storedConfig(found.provider.config) : undefined;
  if (!config || config.issuer !== pending.issuer || config.client_id !== pending.client_id) return { refused: "not_configured" };
  if (query.error || !query.code) return { refused: "provider_error" };
  let client: oidc.Configuration;
  try {
    client = await clientFor(tenantId, config);
  } catch (err) {
    return { refused: discoveryFailure(err) };
  }
  let claims: Record<string, unknown>;
  // When the person authenticated at the provider: from the signed ID token only (an ID Token claim,
  // OpenID Connect Core 2), never from the UserInfo answer merged in below, which is not signed
  // and may carry attributes under any name.
  let authTime: Date | undefined;
  try {
    const tokens = await oidc.authorizationCodeGrant(client, currentUrl, { pkceCodeVerifier: pending.verifier!, expectedState: state, expectedNonce: pending.nonce!, idTokenExpected: true });
    const c = tokens.claims();
    if (!c) return { refused: "id_token_rejected" };
    claims = c as Record<string, unknown>;
    authTime = typeof c.auth_time === "number" && Number.isFinite(c.auth_time) ? new Date(c.auth_time * 1000) : undefined;
    // Many providers put profile claims (e-mail, groups) in the UserInfo answer only (OpenID
    // Connect Core 5.4): ask it, for the same subject; the ID token's own claims win.
    if (client.serverMetadata().userinfo_endpoint && tokens.access_token) {
      const info = await oidc.fetchUserInfo(client, tokens.access_token, c.sub);
      claims = { ...(info as Record<string, unknown>), ...claims };
    }
  } catch (err) {
    return { refused: reasonOf(err) };
  }
  // `email_verified` is about the `email` claim (OpenID Connect Core 5.1): false refuses whatever
  // claim the address comes from; its absence refuses an address from `email` unless the admin
  // turned the requirement off (a provider that never sends it). An unverified address would
  // otherwise sign in as whoever holds that address here.
  const verified = claims.email_verified;
  if (verified !== undefined && verified !== true && verified !== "true") return { refused: "email_unverified" };
  if (verified === undefined && config.email_verified_required && config.email_claim === "email") return { refused: "email_unverified" };
  const email = emailClaim(claims[config.email_claim]);
  if (!email) return { refused: "email_missing" };
  const subject = `${String(claims.iss)}|${String(claims.sub)}`;
  const attributes = attributesOf(claims, ["iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "auth_time", "azp", "sid", "jti"]);
  return { identity: { subject, email, name: nameClaim(claims[config.name_claim]), attributes, providerVersion: found.provider!.updatedAt, authenticatedAt: authTime }, returnTo: safeReturnTo(pending.return_to) };
}

const networkFailure = (err: unknown): boolean => err instanceof TypeError || (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError"));

/** Discovery failed: the provider could not be reached, or its document is not one for the configured issuer. */
function discoveryFailure(err: unknown): RefusalReason {
  return networkFailure(err) ? "provider_unreachable" : "provider_misconfigured";
}

function reasonOf(err: unknown): RefusalReason {
  if (err instanceof oidc.AuthorizationResponseError) return "provider_error";
  if (err instanceof oidc.ResponseBodyError) return "code_rejected";
  if (networkFailure(err)) return "provider_unreachable";
  return "id_token_rejected";
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
