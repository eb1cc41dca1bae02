import type { FastifyRequest } from "fastify";
import type { Actor } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { TenantSealer } from "../../platform/crypto/keyring.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import { AppError } from "../../platform/errors.ts";
import type { Authenticator } from "../../platform/http/authenticator.ts";
import { resolveOAuthAccessToken } from "./oauth-service.ts";
import { ACCESS_TOKEN_PREFIX } from "./oauth-fns.ts";
import { CSRF_HEADER, parseAuthorization, resolveSession, resolveToken, SESSION_COOKIE, tokenPrelude } from "./identity-service.ts";

/**
 * The server's authenticator. Accepted credentials:
 *  - `Authorization: Basic base64(email/token:TOKEN)` (Zendesk style) or `Bearer TOKEN`;
 *  - `Bearer` with an OAuth access token (oauth-service.ts): the person, with the token's scopes;
 *  - the session cookie, with the CSRF header on writes.
 * Password Basic auth (`email:password`) is refused: password access to the API is off.
 */
export function createAuthenticator(deps: Pick<AppDeps, "keyring" | "now" | "config">): Authenticator {
  return {
    credentialSent: (req) => req.headers.authorization !== undefined || req.cookies[SESSION_COOKIE] !== undefined,
    prelude(tenantId, req) {
      const header = req.headers.authorization;
      const cred = header ? parseAuthorization(header) : undefined;
      return cred && cred !== "password" && !isOAuthToken(cred) ? tokenPrelude(deps, tenantId, cred) : undefined;
    },
    async authenticate(tx, sealer, req, opts) {
      try {
        return await authenticate(deps, tx, sealer, req, opts.isWrite);
      } catch (err) {
        // A session that has ended makes an optional route anonymous; a bad token stays an error.
        if (opts.optional && !req.headers.authorization && err instanceof AppError && err.code === "Unauthorized") return { kind: "anonymous" };
        throw err;
      }
    },
  };
}

async function authenticate(deps: Pick<AppDeps, "keyring" | "now" | "config">, tx: TenantTx, sealer: TenantSealer, req: FastifyRequest, isWrite: boolean): Promise<Actor> {
  const header = req.headers.authorization;
  if (header) {
    const cred = parseAuthorization(header);
    if (cred === "password") throw new AppError("Unauthorized", { description: "Password access to the API is turned off; use an API token." });
    if (!cred) throw new AppError("Unauthorized");
    if (isOAuthToken(cred)) return resolveOAuthAccessToken(deps, tx, cred.token);
    return resolveToken(deps, tx, sealer, cred.token, cred.email);
  }
  const cookie = req.cookies[SESSION_COOKIE];
  if (cookie) {
    const { actor, csrf, mustChangePassword, mustEnrolTwoFactor } = await resolveSession(deps, tx, cookie);
    if (isWrite && req.headers[CSRF_HEADER] !== csrf) {
      throw new AppError("Forbidden", { description: "Missing or invalid CSRF token." });
    }
    req.passwordChangeRequired = mustChangePassword;
    req.twoFactorEnrolmentRequired = mustEnrolTwoFactor;
    return actor;
  }
  throw new AppError("Unauthorized");
}

/** An OAuth access token: a bearer string with its prefix (API tokens have another). */
const isOAuthToken = (cred: { token: string; email: string | undefined }) => cred.email === undefined && cred.token.startsWith(ACCESS_TOKEN_PREFIX);
