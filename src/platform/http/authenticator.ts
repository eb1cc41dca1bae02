import type { FastifyRequest } from "fastify";
import type { Actor, RequestContext } from "../context.ts";
import type { TenantSealer } from "../crypto/keyring.ts";
import type { TenantTx } from "../db/database.ts";

/**
 * How the route wrapper learns who calls. The identity module implements it (tokens, sessions);
 * the wrapper only asks, so the HTTP layer knows nothing of how credentials are stored.
 */
export interface Authenticator {
  /**
   * A parameterless statement to send together with BEGIN that looks the credential up, so that
   * authentication costs no extra round trip; undefined when there is nothing to look up early.
   */
  prelude(tenantId: string, req: FastifyRequest): string | undefined;
  /**
   * Slow work a credential needs before the tenant transaction opens, outside any transaction
   * (verifying a password: argon2 must not hold the database). `inTenant` runs a short transaction
   * of the tenant as an anonymous caller (reads, and a refusal's audit and counts, committed even
   * though the request then fails). Its result reaches `authenticate` as `early`.
   */
  beforeTransaction?(req: FastifyRequest, inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>): Promise<unknown>;
  /**
   * The actor behind the request's credentials, inside the tenant transaction. `optional`: an
   * ended session counts as no credential (anonymous); a bad API token is still refused.
   */
  authenticate(tx: TenantTx, sealer: TenantSealer, req: FastifyRequest, opts: { isWrite: boolean; optional: boolean; early?: unknown }): Promise<Actor>;
  /**
   * True when the credential is a password (password access to the API): the request is a sign-in
   * as well, and is held to the sign-in page's rate limits besides the route's own.
   */
  signsIn?(req: FastifyRequest): boolean;
  /** True when the request carries a credential at all (Authorization header or session cookie). */
  credentialSent(req: FastifyRequest): boolean;
}
