import net from "node:net";
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
import { supportPassOf, type SupportPass } from "../../platform/http/support-passes.ts";
import { supportActor } from "../support/support-service.ts";
import { resolveOAuthAccessToken } from "./oauth-service.ts";
import { ACCESS_TOKEN_PREFIX } from "./oauth-fns.ts";
import { networkRefused, networkRulesOf } from "./ip-restrictions-service.ts";
import { ipRestrictionsPolicy, type IpRules } from "./ip-restrictions-policy.ts";

type Deps = Pick<AppDeps, "keyring" | "now" | "config" | "mailer" | "supportPasses">;

const passOfRequest = new WeakMap<FastifyRequest, SupportPass>();

/**
 * The server's authenticator. Accepted credentials:
 *  - `Authorization: Basic base64(email/token:TOKEN)` (Zendesk style) or `Bearer TOKEN`;
 *  - `Authorization: Basic base64(email:password)` when the tenant turned password access on
 *    (api-password-service.ts; off by default), its password verified before the transaction;
 *  - `Bearer` with an OAuth access token (oauth-service.ts): the person, with the token's scopes;
 *  - the session cookie, with the CSRF header on writes;
 *  - `Authorization: VaultdeskSupport PASS`: a one-request pass the server minted for the
 *    operator's support access (platform/http/support-passes.ts), good in its tenant while the
 *    grant behind it is live, and only on a request the server made itself (`inject`), never one
 *    that came over a network connection; it authenticates as the tenant's support user.
 * Every credential then passes the tenant's IP restrictions (ip-restrictions-service.ts) here, in
 * one place: a credential of a kind added later is checked by the same step. The operator's support
 * pass is the one exception: the operator's command line is never held to a tenant's networks
 * (the request reaches the server through its own socket, not from a network).
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
      return cred?.kind === "token" && !isOAuthToken(cred) ? tokenPrelude(deps, tenantId, cred.token) : undefined;
    },
    async beforeTransaction(req, inTenant) {
      const header = req.headers.authorization;
      const cred = header ? parseAuthorization(header) : undefined;
      return cred?.kind === "password" ? checkApiPassword(deps, inTenant, cred) : undefined;
    },
    async authenticate(tx, sealer, req, opts) {
      try {
        const { actor, network, operator } = await authenticate(deps, tx, sealer, req, opts.isWrite, opts.early as ApiPasswordCheck | undefined);
        // A session's rules come with its row; a token's or a password's are one primary-key lookup.
        if (actor.kind === "user" && !operator && !ipRestrictionsPolicy.allows(network ?? (await networkRulesOf(tx, sealer)), { role: actor.role, secondFactor: req.credentialSecondFactor }, req.ip)) {
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

async function authenticate(deps: Deps, tx: TenantTx, sealer: TenantSealer, req: FastifyRequest, isWrite: boolean, early: ApiPasswordCheck | undefined): Promise<{ actor: Actor; network: IpRules | undefined; operator?: true }> {
  const header = req.headers.authorization;
  const pass = supportPassOf(header);
  if (pass !== undefined) {
    // A pass is spent on first use; the same request may authenticate again (a `prepare` step, a
    // retried transaction), so the request keeps what its pass said.
    let p = passOfRequest.get(req);
    if (!p) {
      p = deps.supportPasses.take(pass);
      if (p) passOfRequest.set(req, p);
    }
    // The operator's command hands its request to the server's routing in the process (`inject`):
    // a pass that arrives over a network connection did not come that way (a copied pass), and is
    // refused, spent all the same.
    if (!p || p.tenantId !== tx.tenantId || req.raw.socket instanceof net.Socket) throw new AppError("Unauthorized");
    return { actor: await supportActor(tx, sealer, p.grantId, deps.now), network: undefined, operator: true };
  }
  if (header) {
    const cred = parseAuthorization(header);
    if (!cred) throw new AppError("Unauthorized");
    if (cred.kind === "password") return { actor: await resolvePasswordActor(tx, deps.now(), early), network: undefined };
    if (isOAuthToken(cred)) return { actor: await resolveOAuthAccessToken(deps, tx, cred.token), network: undefined };
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

/** An OAuth access token: a bearer string with its prefix (API tokens have another). */
const isOAuthToken = (cred: { token: string; email: string | undefined }) => cred.email === undefined && cred.token.startsWith(ACCESS_TOKEN_PREFIX);
