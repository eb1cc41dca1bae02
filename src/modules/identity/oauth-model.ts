import crypto from "node:crypto";
import OAuth2Server from "@node-oauth/oauth2-server";
import { actingAs, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { OauthRevokedReason, Role } from "../../platform/db/schema.ts";
import { audit } from "../audit/audit-service.ts";
import { newSecret } from "./identity-service.ts";
import { ACCESS_TOKEN_PREFIX, ACCESS_TOKEN_SECONDS, CODE_PREFIX, CODE_SECONDS, parseScopes, REFRESH_TOKEN_PREFIX, REFRESH_TOKEN_SECONDS } from "./oauth-fns.ts";
import * as repo from "./oauth-repo.ts";

/**
 * The storage model behind @node-oauth/oauth2-server, for one request in one tenant transaction.
 * The library runs the grants (authorization code with PKCE, refresh token) and calls these
 * functions; they read and write the tenant's tables, so every lookup is the tenant's own (RLS and
 * a tenant predicate): another tenant's client, code or token is simply not found.
 *
 * What the model adds to the library:
 * - codes, access and refresh tokens are stored as keyed hashes, never in clear;
 * - expiry is decided on the deployment's clock (ctx.now), besides the library's own checks;
 * - reuse detection: a code or refresh token presented after it was used revokes its whole grant
 *   (every token descended from that authorization), and the refusal still commits (the route
 *   answers with CommitThenFail);
 * - a grant of a person who is no longer active, is suspended, or has another role than when they
 *   consented issues nothing.
 */

export type OAuthClient = OAuth2Server.Client & { id: string; niceId: number; identifier: string; name: string; kind: "public" | "confidential"; redirectUris: string[] };
/** The person consenting; `sessionHash`: their session cookie's hash (the grant records that session). */
export type OAuthUser = { id: string; niceId: number; role: Role; sessionHash?: Buffer | undefined };

const hash = (deps: Pick<AppDeps, "keyring">, kind: "oauth-code" | "oauth-access" | "oauth-refresh", secret: string) => deps.keyring.hashSecret(kind, secret);

export function clientOf(row: repo.ClientRow): OAuthClient {
  return { id: row.id, niceId: row.nice_id, identifier: row.identifier, name: row.name, kind: row.kind, redirectUris: row.redirect_uris, grants: ["authorization_code", "refresh_token"] };
}

/** True when `secret` is the client's (keyed hashes compared in constant time). */
export function secretMatches(deps: Pick<AppDeps, "keyring">, row: repo.ClientRow, secret: string): boolean {
  if (!row.secret_hash || secret.length > 200) return false;
  const given = deps.keyring.hashSecret("oauth-client-secret", secret);
  const stored = Buffer.from(row.secret_hash);
  return stored.length === given.length && crypto.timingSafeEqual(stored, given);
}

type Usable = repo.UserState & { user_role_at_grant: Role; grant_revoked_at: Date | null };
const usable = (r: Usable) => r.grant_revoked_at === null && r.user_active && !r.user_suspended && r.user_role === r.user_role_at_grant;

/**
 * A model for one request. `mode`: at the authorization endpoint the client is looked up by its
 * identifier alone; at the token endpoint a confidential client must also present its secret, and
 * a public one must not claim one.
 */
export function oauthModel(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, mode: "authorize" | "token") {
  /** The grant the code or refresh token being exchanged belongs to (saveToken adds to it). */
  let grant: { id: string; niceId: number } | undefined;

  async function revokeFamily(row: { grant_id: string; grant_nice_id: number }, reason: OauthRevokedReason, user: OAuthUser): Promise<void> {
    if ((await repo.revokeGrant(ctx.tx, row.grant_id, reason, ctx.now())) > 0) {
      audit(actingAs(ctx, { ...user, customRole: null }, "oauth", []), { action: "oauth_token.revoked", resourceType: "oauth_grant", resourceId: Number(row.grant_nice_id), fields: [reason] });
    }
  }

  const model: OAuth2Server.AuthorizationCodeModel & OAuth2Server.RefreshTokenModel = {
    async getClient(identifier: string, secret: string | null | undefined) {
      if (identifier.length > 100) return false;
      const row = await repo.findClientByIdentifier(ctx.tx, identifier);
      if (!row) return false;
      if (mode === "token") {
        if (row.kind === "confidential" && (!secret || !secretMatches(deps, row, secret))) return false;
        if (row.kind === "public" && secret) return false;
      }
      return clientOf(row);
    },

    async validateScope(_user, _client, scope) {
      return scope ? parseScopes(scope.join(" ")) ?? false : false;
    },

    async generateAuthorizationCode() {
      return newSecret(CODE_PREFIX);
    },
    async generateAccessToken() {
      return newSecret(ACCESS_TOKEN_PREFIX);
    },
    async generateRefreshToken() {
      return newSecret(REFRESH_TOKEN_PREFIX);
    },

    /** Consent given: a new grant (token family) and its code, bound to the redirect URI and the S256 challenge. */
    async saveAuthorizationCode(code, client, user) {
      const u = user as OAuthUser;
      const c = client as OAuthClient;
      if (code.codeChallengeMethod !== "S256" || !code.codeChallenge) return false;
      const id = crypto.randomUUID();
      const scopes = code.scope ?? [];
      const niceId = await repo.insertGrant(ctx.tx, { id, client_id: c.id, user_id: u.id, user_role: u.role, scopes }, u.sessionHash);
      const expiresAt = new Date(ctx.now().getTime() + CODE_SECONDS * 1000);
      await repo.insertCode(ctx.tx, { id: crypto.randomUUID(), grant_id: id, code_hash: hash(deps, "oauth-code", code.authorizationCode), redirect_uri: code.redirectUri, code_challenge: code.codeChallenge, expires_at: expiresAt });
      audit(ctx, { action: "oauth_grant.created", resourceType: "oauth_grant", resourceId: niceId, fields: ["client_id", "scopes"] });
      return { ...code, expiresAt, client, user };
    },

    async getAuthorizationCode(code) {
      if (code.length > 200) return false;
      const row = await repo.findCodeByHash(ctx.tx, hash(deps, "oauth-code", code));
      if (!row) return false;
      const user: OAuthUser = { id: row.user_id, niceId: row.user_nice_id, role: row.user_role };
      if (row.used_at !== null) {
        // RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
        await revokeFamily(row, "code_reused", user);
        return false;
      }
      if (row.expires_at <= ctx.now() || !usable(row)) return false;
      const client = await repo.findClientById(ctx.tx, row.client_id);
      if (!client) return false;
      grant = { id: row.grant_id, niceId: Number(row.grant_nice_id) };
      return {
        id: row.id,
        authorizationCode: code,
        expiresAt: row.expires_at,
        redirectUri: row.redirect_uri,
        scope: row.scopes,
        codeChallenge: row.code_challenge,
        codeChallengeMethod: "S256",
        client: clientOf(client),
        user,
      };
    },

    /** Uses the code up (before PKCE is checked, so a wrong verifier spends it too). */
    async revokeAuthorizationCode(code) {
      return (await repo.markCodeUsed(ctx.tx, code.id as string, ctx.now())) === 1;
    },

    async getRefreshToken(refreshToken) {
      if (refreshToken.length > 200) return false;
      const row = await repo.findRefreshByHash(ctx.tx, hash(deps, "oauth-refresh", refreshToken));
      if (!row) return false;
      const user: OAuthUser = { id: row.user_id, niceId: row.user_nice_id, role: row.user_role };
      if (row.used_at !== null) {
        // A rotated refresh token presented again: it leaked, or the client is confused. Either
        // way the family ends (OAuth 2.0 Security BCP §4.14.2).
        await revokeFamily(row, "refresh_token_reused", user);
        return false;
      }
      if (row.expires_at <= ctx.now() || !usable(row)) return false;
      const client = await repo.findClientById(ctx.tx, row.client_id);
      if (!client) return false;
      grant = { id: row.grant_id, niceId: Number(row.grant_nice_id) };
      return { id: row.id, refreshToken, refreshTokenExpiresAt: row.expires_at, scope: row.scopes, client: clientOf(client), user };
    },

    /** Rotation: the presented refresh token is used up as a new pair is issued. */
    async revokeToken(token) {
      return (await repo.markRefreshUsed(ctx.tx, token.id as string, ctx.now())) === 1;
    },

    async saveToken(token, client, user) {
      if (!grant || !token.refreshToken || !token.scope || token.scope.length === 0) return false;
      const now = ctx.now();
      const scopes = token.scope;
      await repo.insertToken(ctx.tx, { id: crypto.randomUUID(), grant_id: grant.id, kind: "access", token_hash: hash(deps, "oauth-access", token.accessToken), scopes, expires_at: new Date(now.getTime() + ACCESS_TOKEN_SECONDS * 1000) });
      await repo.insertToken(ctx.tx, { id: crypto.randomUUID(), grant_id: grant.id, kind: "refresh", token_hash: hash(deps, "oauth-refresh", token.refreshToken), scopes, expires_at: new Date(now.getTime() + REFRESH_TOKEN_SECONDS * 1000) });
      await repo.markGrantIssued(ctx.tx, grant.id, now);
      audit(actingAs(ctx, { ...(user as OAuthUser), customRole: null }, "oauth", []), { action: "oauth_token.issued", resourceType: "oauth_grant", resourceId: grant.niceId });
      return { ...token, client, user };
    },

    // Bearer tokens are resolved by the authenticator (oauth-service.ts), not the library.
    async getAccessToken() {
      return false;
    },
  };
  return model;
}

/** The library's server for one request's model. */
export function oauthServer(model: ReturnType<typeof oauthModel>): OAuth2Server {
  return new OAuth2Server({
    model,
    accessTokenLifetime: ACCESS_TOKEN_SECONDS,
    refreshTokenLifetime: REFRESH_TOKEN_SECONDS,
    authorizationCodeLifetime: CODE_SECONDS,
    allowEmptyState: true,
    alwaysIssueNewRefreshToken: true,
    // Public clients prove themselves with PKCE; confidential ones with their secret (the model insists).
    requireClientAuthentication: { authorization_code: false, refresh_token: false },
  });
}
