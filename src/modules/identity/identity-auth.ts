import type { FastifyRequest } from "fastify";
import type { Actor } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { TenantSealer } from "../../platform/crypto/keyring.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import { AppError } from "../../platform/errors.ts";
import type { Authenticator } from "../../platform/http/authenticator.ts";
import { checkApiPassword, resolvePasswordActor, type ApiPasswordCheck } from "./api-password-service.ts";
import { resolveToken, tokenPrelude } from "./api-tokens-service.ts";
import { CSRF_HEADER, parseAuthorization, resolveSession, SESSION_COOKIE } from "./identity-service.ts";

type Deps = Pick<AppDeps, "keyring" | "now" | "config" | "mailer">;
import { networkRefused, networkRulesOf } from "./ip-restrictions-service.ts";
import { ipRestrictionsPolicy, type IpRules } from "./ip-restrictions-policy.ts";

/**
 * The server's authenticator. Accepted credentials:
 *  - `Authorization: Basic base64(email/token:TOKEN)` (Zendesk style) or `Bearer TOKEN`;
 *  - `Authorization: Basic base64(email:password)` when the tenant turned password access on
 *    (api-password-service.ts; off by default), its password verified before the transaction;
 *  - the session cookie, with the CSRF header on writes.
 * Every credential then passes the tenant's IP restrictions (ip-restrictions-service.ts) here, in
 * one place: a credential of a kind added later is checked by the same step.
 */
export function createAuthenticator(deps: Deps): Authenticator {
  return {
    credentialSent: (req) => req.headers.authorization !== undefined || req.cookies[SESSION_COOKIE] !== undefined,
    signsIn(req) {
      const header = req.headers.authorization;
      return header !== undefined && parseAuthorization(header)?.kind === "password";
    },
    prelude(tenantId, req) {
      const header = req.headers.authorization;
      const cred = header ? parseAuthorization(header) : undefined;
      return cred?.kind === "token" ? tokenPrelude(deps, tenantId, cred.token) : undefined;
    },
    async beforeTransaction(req, inTenant) {
      const header = req.headers.authorization;
      const cred = header ? parseAuthorization(header) : undefined;
      return cred?.kind === "password" ? checkApiPassword(deps, inTenant, cred) : undefined;
    },
    async authenticate(tx, sealer, req, opts) {
      try {
        const { actor, network } = await authenticate(deps, tx, sealer, req, opts.isWrite, opts.early as ApiPasswordCheck | undefined);
        // A session's rules come with its row; a token's or a password's are one primary-key lookup.
        if (actor.kind === "user" && !ipRestrictionsPolicy.allows(network ?? (await networkRulesOf(tx, sealer)), { role: actor.role, secondFactor: req.credentialSecondFactor }, req.ip)) {
          // Counted in the log without the address (the request line follows with its 403).
          req.log.info({ refused: "ip_restriction", via: actor.via }, "request refused: network not allowed");
          throw networkRefused();
        }
        return actor;
      } catch (err) {
        // A session that has ended makes an optional route anonymous; a bad token stays an error.
        if (opts.optional && !req.headers.authorization && err instanceof AppError && err.code === "Unauthorized") return { kind: "anonymous" };
        throw err;
      }
    },
  };
}

async function authenticate(deps: Deps, tx: TenantTx, sealer: TenantSealer, req: FastifyRequest, isWrite: boolean, early: ApiPasswordCheck | undefined): Promise<{ actor: Actor; network: IpRules | undefined }> {
  const header = req.headers.authorization;
  if (header) {
    const cred = parseAuthorization(header);
    if (!cred) throw new AppError("Unauthorized");
    if (cred.kind === "password") return { actor: await resolvePasswordActor(tx, deps.now(), early), network: undefined };
    return { actor: await resolveToken(deps, tx, sealer, { token: cred.token, email: cred.email, ip: req.ip }), network: undefined };
  }
  const cookie = req.cookies[SESSION_COOKIE];
  if (cookie) {
    const { actor, csrf, mustChangePassword, mustEnrolTwoFactor, secondFactor, network } = await resolveSession(deps, tx, sealer, cookie);
    if (isWrite && req.headers[CSRF_HEADER] !== csrf) {
      throw new AppError("Forbidden", { description: "Missing or invalid CSRF token." });
    }
    req.passwordChangeRequired = mustChangePassword;
    req.twoFactorEnrolmentRequired = mustEnrolTwoFactor;
    req.credentialSecondFactor = secondFactor;
    return { actor, network };
  }
  throw new AppError("Unauthorized");
}
