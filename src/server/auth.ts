import type { FastifyRequest } from "fastify";
import type { Actor } from "../platform/context.ts";
import type { TenantTx } from "../platform/db/database.ts";
import type { TenantSealer } from "../platform/crypto/keyring.ts";
import { AppError } from "../platform/errors.ts";
import type { AppDeps } from "./deps.ts";
import { parseAuthorization, resolveSession, resolveToken, SESSION_COOKIE, CSRF_HEADER } from "../modules/identity/identity-service.ts";

/**
 * Authenticates a request inside its tenant transaction. Accepted credentials:
 *  - `Authorization: Basic base64(email/token:TOKEN)` (Zendesk style) or `Bearer TOKEN`;
 *  - the session cookie, with the CSRF header on writes.
 * Password Basic auth (`email:password`) is refused: password access to the API is off.
 */
export async function authenticate(
  deps: AppDeps,
  tx: TenantTx,
  sealer: TenantSealer,
  req: FastifyRequest,
  isWrite: boolean,
): Promise<Actor> {
  const header = req.headers.authorization;
  if (header) {
    const cred = parseAuthorization(header);
    if (cred === "password") throw new AppError("Unauthorized", { description: "Password access to the API is turned off; use an API token." });
    if (!cred) throw new AppError("Unauthorized");
    return resolveToken(deps, tx, sealer, cred.token, cred.email);
  }
  const cookie = req.cookies[SESSION_COOKIE];
  if (cookie) {
    const { actor, csrf, mustChangePassword } = await resolveSession(deps, tx, cookie);
    if (isWrite && req.headers[CSRF_HEADER] !== csrf) {
      throw new AppError("Forbidden", { description: "Missing or invalid CSRF token." });
    }
    req.passwordChangeRequired = mustChangePassword;
    return actor;
  }
  throw new AppError("Unauthorized");
}
