import { customRoleOf } from "../../platform/roles.ts";
import crypto from "node:crypto";
import OAuth2Server from "@node-oauth/oauth2-server";
import { actorUser, userActor, type Actor, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import { AppError, CommitThenFail, forbidden, invalid, notFound } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { newSecret } from "./identity-service.ts";
import { requireRecentSignIn, requireRecentSignInOnSession } from "../../platform/recent-sign-in.ts";
import { describeScope, isS256Challenge, parseScopes, redirectUriProblem } from "./oauth-fns.ts";
import { oauthModel, oauthServer } from "./oauth-model.ts";
import { oauthPolicy } from "./oauth-policy.ts";
import * as repo from "./oauth-repo.ts";
import type { AuthorizationQuery, ClientInput, ClientPatch, TokenRequest } from "./oauth-types.ts";

/**
 * OAuth 2.0 for third-party clients: the clients admins register, the consent a person gives in
 * the web app, the token endpoint, and the bearer access tokens the authenticator resolves. The
 * grants themselves run in @node-oauth/oauth2-server (oauth-model.ts is its storage).
 */

const LAST_USED_RESOLUTION_MS = 60_000;
const CLIENT_SECRET_PREFIX = "vdcs_";

// ---- clients

export type ClientView = {
  id: number; url: string; name: string; identifier: string; description: string; company: string;
  redirect_uri: string[]; kind: "public" | "confidential"; user_id: number; created_at: string; updated_at: string;
};

const presentClient = (ctx: RequestContext, c: repo.ClientRow): ClientView => ({
  id: c.nice_id,
  url: `${ctx.apiBase}/oauth/clients/${c.nice_id}.json`,
  name: c.name,
  identifier: c.identifier,
  description: c.description,
  company: c.company,
  redirect_uri: c.redirect_uris,
  kind: c.kind,
  user_id: c.created_by_nice_id,
  created_at: c.created_at.toISOString(),
  updated_at: c.updated_at.toISOString(),
});

function mustManage(ctx: RequestContext) {
  const actor = actorUser(ctx);
  if (!oauthPolicy.manageClients(actor)) throw forbidden();
  return actor;
}

function checkRedirectUris(uris: readonly string[]): void {
  for (const [i, u] of uris.entries()) {
    const problem = redirectUriProblem(u);
    if (problem) throw invalid("redirect_uri", `Redirect URI ${i + 1}: ${problem}`, "InvalidValue");
  }
}

async function checkUnique(ctx: RequestContext, input: { name?: string | undefined; identifier?: string | undefined }, exceptId?: string): Promise<void> {
  if (input.name !== undefined && (await repo.clientTaken(ctx.tx, "name", input.name, exceptId))) throw invalid("name", "Name: has already been taken", "DuplicateValue");
  if (input.identifier !== undefined && (await repo.clientTaken(ctx.tx, "identifier", input.identifier, exceptId))) throw invalid("identifier", "Identifier: has already been taken", "DuplicateValue");
}

export async function listOAuthClients(ctx: RequestContext): Promise<ClientView[]> {
  mustManage(ctx);
  return (await repo.listClients(ctx.tx)).map((c) => presentClient(ctx, c));
}

export async function showOAuthClient(ctx: RequestContext, niceId: number): Promise<ClientView> {
  mustManage(ctx);
  const c = await repo.findClientByNiceId(ctx.tx, niceId);
  if (!c) throw notFound();
  return presentClient(ctx, c);
}

/** Registers a client; a confidential one's secret is in the answer once, and stored as a keyed hash. */
export async function createOAuthClient(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, input: ClientInput): Promise<{ client: ClientView; secret: string | undefined }> {
  const actor = mustManage(ctx);
  checkRedirectUris(input.redirect_uri);
  await checkUnique(ctx, input);
  const secret = input.kind === "confidential" ? newSecret(CLIENT_SECRET_PREFIX) : undefined;
  const id = crypto.randomUUID();
  const niceId = await repo.insertClient(ctx.tx, {
    id,
    name: input.name,
    identifier: input.identifier,
    description: input.description ?? "",
    company: input.company ?? "",
    redirect_uris: [...new Set(input.redirect_uri)],
    kind: input.kind,
    secret_hash: secret ? deps.keyring.hashSecret("oauth-client-secret", secret) : null,
    created_by: actor.userId,
  });
  audit(ctx, { action: "oauth_client.created", resourceType: "oauth_client", resourceId: niceId, fields: ["name", "identifier", "redirect_uri", "kind"] });
  return { client: presentClient(ctx, (await repo.findClientByNiceId(ctx.tx, niceId))!), secret };
}

export async function updateOAuthClient(ctx: RequestContext, niceId: number, patch: ClientPatch): Promise<ClientView> {
  mustManage(ctx);
  const c = await repo.findClientByNiceId(ctx.tx, niceId, true);
  if (!c) throw notFound();
  // Where the codes go is where access goes: moved only soon after a sign-in, like a new secret
  // (the same list sent back, as a form that sends every field does, moves nothing).
  const moved = patch.redirect_uri !== undefined && [...new Set(patch.redirect_uri)].sort().join("\n") !== [...c.redirect_uris].sort().join("\n");
  if (moved) requireRecentSignInOnSession(ctx, "change an OAuth client's redirect URLs");
  if (patch.redirect_uri) checkRedirectUris(patch.redirect_uri);
  await checkUnique(ctx, patch, c.id);
  const set = {
    ...(patch.name !== undefined ? { name: patch.name } : {}),
    ...(patch.identifier !== undefined ? { identifier: patch.identifier } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.company !== undefined ? { company: patch.company } : {}),
    ...(patch.redirect_uri !== undefined ? { redirect_uris: [...new Set(patch.redirect_uri)] } : {}),
  };
  const fields = Object.keys(set).map((k) => (k === "redirect_uris" ? "redirect_uri" : k));
  if (fields.length > 0) {
    await repo.updateClient(ctx.tx, c.id, set, ctx.now());
    audit(ctx, { action: "oauth_client.updated", resourceType: "oauth_client", resourceId: niceId, fields });
  }
  return presentClient(ctx, (await repo.findClientByNiceId(ctx.tx, niceId))!);
}

/** Zendesk's `generate_secret`: a new secret for a confidential client (shown once); the old one stops working. */
export async function regenerateOAuthClientSecret(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, niceId: number): Promise<{ client: ClientView; secret: string }> {
  mustManage(ctx);
  const c = await repo.findClientByNiceId(ctx.tx, niceId, true);
  if (!c) throw notFound();
  if (c.kind !== "confidential") throw invalid("kind", "Kind: a public client has no secret", "InvalidValue");
  const secret = newSecret(CLIENT_SECRET_PREFIX);
  await repo.updateClient(ctx.tx, c.id, { secret_hash: deps.keyring.hashSecret("oauth-client-secret", secret) }, ctx.now());
  audit(ctx, { action: "oauth_client.secret_generated", resourceType: "oauth_client", resourceId: niceId, fields: ["secret"] });
  return { client: presentClient(ctx, (await repo.findClientByNiceId(ctx.tx, niceId))!), secret };
}

/** Deletes a client: every grant of it is revoked, so its tokens stop working at once. */
export async function deleteOAuthClient(ctx: RequestContext, niceId: number): Promise<void> {
  mustManage(ctx);
  const c = await repo.findClientByNiceId(ctx.tx, niceId, true);
  if (!c) throw notFound();
  await repo.markClientDeleted(ctx.tx, c.id, ctx.now());
  await repo.revokeGrantsOfClient(ctx.tx, c.id, ctx.now());
  audit(ctx, { action: "oauth_client.deleted", resourceType: "oauth_client", resourceId: niceId });
}

// ---- the authorization request and consent

/**
 * The client and redirect URI of an authorization request, checked before anything is sent to
 * the redirect URI: an unknown client or a URI not registered for it gets an error page and never
 * a redirect (RFC 6749 §4.1.2.1).
 */
async function trustedTarget(ctx: RequestContext, q: AuthorizationQuery): Promise<repo.ClientRow> {
  const client = q.client_id ? await repo.findClientByIdentifier(ctx.tx, q.client_id) : undefined;
  if (!client) throw new AppError("BadRequest", { description: "This application is not known to this account (unknown client_id)." });
  if (!q.redirect_uri || !client.redirect_uris.includes(q.redirect_uri)) {
    throw new AppError("BadRequest", { description: "The redirect_uri is not one this application registered; the request was stopped here." });
  }
  return client;
}

/** What is wrong with the rest of the request, as an RFC 6749 §4.1.2.1 error, or undefined. */
function requestProblem(q: AuthorizationQuery): { error: string; description: string } | undefined {
  if (q.response_type !== "code") return { error: "unsupported_response_type", description: "Only response_type=code is supported." };
  if (q.code_challenge_method === "plain") return { error: "invalid_request", description: "code_challenge_method plain is not allowed; use S256." };
  if (q.code_challenge_method !== "S256" || !isS256Challenge(q.code_challenge)) return { error: "invalid_request", description: "PKCE is required: send code_challenge with code_challenge_method=S256." };
  if (!parseScopes(q.scope)) return { error: "invalid_scope", description: "The scope is missing or names a scope this server does not know." };
  return undefined;
}

function errorRedirect(redirectUri: string, error: string, description: string, state: string | undefined): string {
  const u = new URL(redirectUri);
  u.searchParams.set("error", error);
  u.searchParams.set("error_description", description);
  if (state) u.searchParams.set("state", state);
  return u.href;
}

const consentParams = ["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"] as const;

/**
 * `GET /oauth/authorizations/new`: where the browser goes next. A valid request goes to the
 * consent page of the web app (which has the person sign in first); an invalid one back to the
 * client's registered redirect URI with the error.
 */
export async function startAuthorization(ctx: RequestContext, q: AuthorizationQuery): Promise<string> {
  await trustedTarget(ctx, q);
  const problem = requestProblem(q);
  if (problem) return errorRedirect(q.redirect_uri!, problem.error, problem.description, q.state);
  const next = new URLSearchParams();
  for (const k of consentParams) if (q[k] !== undefined) next.set(k, q[k]!);
  return `/oauth/consent?${next.toString()}`;
}

export type ConsentView = { client: { name: string; identifier: string; company: string; description: string }; scopes: Array<{ scope: string; description: string }>; redirect_uri: string; remembered: boolean };

/**
 * What the consent page shows: the client's name and the scopes in words, and whether the person
 * gave this client these scopes before (`remembered`: the page then goes on without asking).
 * Only for a confidential client: its code is worth nothing without its secret, so a repeated
 * request cannot be an impersonator's (RFC 6749 §10.2); a public client is asked every time.
 */
export async function showConsent(ctx: RequestContext, q: AuthorizationQuery): Promise<ConsentView> {
  const actor = actorUser(ctx);
  if (!oauthPolicy.consent(actor)) throw forbidden("Consent is given in a browser session.");
  const client = await trustedTarget(ctx, q);
  const problem = requestProblem(q);
  if (problem) throw new AppError("BadRequest", { description: problem.description });
  const scopes = parseScopes(q.scope)!;
  return {
    client: { name: client.name, identifier: client.identifier, company: client.company, description: client.description },
    scopes: scopes.map((scope) => ({ scope, description: describeScope(scope) })),
    redirect_uri: client.redirect_uris.find((u) => u === q.redirect_uri)!,
    remembered: client.kind === "confidential" && (await repo.consentRemembered(ctx.tx, actor.userId, client.id, scopes)),
  };
}

/**
 * The person's answer. Allowed: the library issues a code through the model (a new grant), and
 * the page sends the browser to the client with it; denied: `access_denied` to the client.
 */
export async function decideConsent(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, q: AuthorizationQuery, allowed: boolean, sessionHash?: Buffer): Promise<string> {
  const actor = actorUser(ctx);
  if (!oauthPolicy.consent(actor)) throw forbidden("Consent is given in a browser session.");
  const client = await trustedTarget(ctx, q);
  const redirectUri = client.redirect_uris.find((u) => u === q.redirect_uri)!;
  const problem = requestProblem(q);
  if (problem) return errorRedirect(redirectUri, problem.error, problem.description, q.state);
  if (!allowed) {
    audit(ctx, { action: "oauth_grant.denied", resourceType: "oauth_client", resourceId: client.nice_id });
    return errorRedirect(redirectUri, "access_denied", "The person denied access.", q.state);
  }
  // Allowing gives lasting access (tokens that outlive the session), so it needs a recent sign-in,
  // as an API token does: an old or stolen session cookie must not approve a request whose code
  // (in the answer's redirect_to) and PKCE verifier someone else holds. Consent remembered for a
  // confidential client too: whoever holds its secret (an admin can make a new one) would get
  // new tokens from an old session, or from an owner's forged single sign-on.
  requireRecentSignIn(ctx, "allow an application access to your account");
  const query: Record<string, string> = {};
  for (const k of consentParams) if (q[k] !== undefined) query[k] = q[k]!;
  const request = new OAuth2Server.Request({ method: "POST", headers: {}, query, body: {} });
  const response = new OAuth2Server.Response();
  const user = { id: actor.userId, niceId: actor.niceId, role: actor.role, sessionHash };
  try {
    await oauthServer(oauthModel(deps, ctx, "authorize")).authorize(request, response, { authenticateHandler: { handle: async () => user } });
  } catch (err) {
    if (!(err instanceof OAuth2Server.OAuthError)) throw err;
    // The client and URI were checked above: the library's redirect carries the error to the client.
  }
  const location = response.get("location") as string | undefined;
  if (!location) throw new AppError("BadRequest");
  return location;
}

// ---- the token endpoint

export type TokenAnswer = { access_token: string; token_type: "Bearer"; expires_in: number; refresh_token: string; scope: string };

/**
 * `POST /oauth/tokens`: the authorization code and refresh token grants, run by the library. A
 * refusal is an RFC 6749 §5.2 error body; it commits what the model recorded (a code used up by a
 * wrong verifier, a family revoked on reuse) before it is answered.
 */
export async function exchangeToken(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, body: TokenRequest, authorization: string | undefined): Promise<TokenAnswer | CommitThenFail> {
  const form: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") form[k] = v;
  const request = new OAuth2Server.Request({
    method: "POST",
    query: {},
    headers: { "content-type": "application/x-www-form-urlencoded", "content-length": "1", ...(authorization ? { authorization: plainBasic(authorization) } : {}) },
    body: form,
  });
  const response = new OAuth2Server.Response();
  try {
    const token = await oauthServer(oauthModel(deps, ctx, "token")).token(request, response);
    return {
      access_token: token.accessToken,
      token_type: "Bearer",
      expires_in: Math.max(0, Math.round(((token.accessTokenExpiresAt?.getTime() ?? Date.now()) - Date.now()) / 1000)),
      refresh_token: token.refreshToken!,
      scope: (token.scope ?? []).join(" "),
    };
  } catch (err) {
    if (!(err instanceof OAuth2Server.OAuthError) || err.name === "server_error") throw err;
    // 401 (with a Basic challenge) when the client authenticated with the Authorization header, else 400 (RFC 6749 §5.2).
    return new CommitThenFail(new AppError(err.code === 401 ? "Unauthorized" : "BadRequest", { description: err.message, oauthError: err.name }));
  }
}

/**
 * HTTP Basic client credentials are form-encoded before base64 (RFC 6749 §2.3.1), which the library
 * does not undo: decoded here, and handed on as plain Basic. Anything else is passed as it came.
 */
function plainBasic(header: string): string {
  const [scheme, value] = header.split(" ", 2);
  if (scheme?.toLowerCase() !== "basic" || !value || value.length > 1000) return header;
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return header;
  try {
    const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    return `Basic ${Buffer.from(`${formDecode(decoded.slice(0, i))}:${formDecode(decoded.slice(i + 1))}`).toString("base64")}`;
  } catch {
    return header;
  }
}

// ---- bearer access tokens

/** The person behind an OAuth access token, with the token's scopes; 401 for anything else. */
export async function resolveOAuthAccessToken(deps: Pick<AppDeps, "keyring" | "now">, tx: TenantTx, token: string): Promise<Actor> {
  if (token.length > 200) throw new AppError("Unauthorized");
  const now = deps.now();
  const found = await repo.findAccessActor(tx, deps.keyring.hashSecret("oauth-access", token), now);
  if (!found) throw new AppError("Unauthorized");
  if (!found.last_used_at || now.getTime() - found.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) await repo.touchGrant(tx, found.grant_id, now);
  return userActor({ id: found.user_id, niceId: found.user_nice_id, role: found.user_role, customRole: customRoleOf(found.user_custom_role) }, "oauth", found.scopes);
}

// ---- the person's authorized apps (Zendesk's OAuth tokens)

export type OAuthTokenView = { id: number; url: string; client_id: number; client_name: string; user_id: number; scopes: string[]; created_at: string; expires_at: string | null; used_at: string | null };

const presentToken = (ctx: RequestContext, g: repo.GrantRow): OAuthTokenView => ({
  id: g.nice_id,
  url: `${ctx.apiBase}/oauth/tokens/${g.nice_id}.json`,
  client_id: g.client_nice_id,
  client_name: g.client_name,
  user_id: g.user_nice_id,
  scopes: g.scopes,
  created_at: g.created_at.toISOString(),
  expires_at: g.refresh_expires_at ? new Date(g.refresh_expires_at).toISOString() : null,
  used_at: g.last_used_at?.toISOString() ?? null,
});

export async function listOAuthTokens(ctx: RequestContext): Promise<OAuthTokenView[]> {
  const scope = oauthPolicy.tokenScope(actorUser(ctx));
  return (await repo.listGrants(ctx.tx, scope.kind === "own" ? scope.userId : undefined)).map((g) => presentToken(ctx, g));
}

/** Revokes an authorization: its access and refresh tokens stop working at once. */
export async function revokeOAuthToken(ctx: RequestContext, niceId: number): Promise<void> {
  const actor = actorUser(ctx);
  const g = await repo.findGrantByNiceId(ctx.tx, niceId);
  if (!g || !oauthPolicy.seeToken(actor, g.user_id)) throw notFound();
  await repo.revokeGrant(ctx.tx, g.id, "revoked", ctx.now());
  audit(ctx, { action: "oauth_token.revoked", resourceType: "oauth_grant", resourceId: niceId });
}


