import { makeContext } from "../../platform/context.ts";
import type { Keyring } from "../../platform/crypto/keyring.ts";
import type { Database } from "../../platform/db/database.ts";
import type { Role } from "../../platform/db/schema.ts";
import { AppError } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { emailIndex } from "../users/users-service.ts";
import { hashPassword, oneTimePassword, revokeAccessOf } from "./identity-service.ts";
import * as repo from "./identity-repo.ts";

/**
 * The way back in for someone who forgot their password (staff or end user): an operator on the
 * command line (`vaultdesk user reset-password`) sets a one-time password, shown to the operator
 * once and to be changed at the first sign-in. Every session of the person ends; API tokens stay
 * (they are not the password). Audited as an operator action, `user.password_reset` with the field
 * `password` — never the value.
 */
export type PasswordReset = { userId: number; role: Role; suspended: boolean; oneTimePassword: string; sessionsEnded: number };

export async function resetPasswordByOperator(
  deps: { db: Database; keyring: Keyring; now?: () => Date },
  tenantId: string,
  email: string,
): Promise<PasswordReset> {
  const now = deps.now ?? (() => new Date());
  const password = oneTimePassword();
  // argon2 takes tens of milliseconds: hash before the transaction, not inside it.
  const hash = await hashPassword(password);
  return deps.db.tenant(tenantId, async (tx) => {
    const sealer = await deps.keyring.sealerFor(tx);
    const ctx = makeContext({ tx, sealer, actor: { kind: "operator" }, now });
    const user = await repo.findUserForSignIn(tx, { emailBidx: emailIndex(sealer, email) });
    // A deleted person keeps their row (and address) but cannot sign in again: not a person to reset.
    if (!user || !user.active) throw new AppError("RecordNotFound", { description: `no user with the e-mail address ${email} in this tenant` });
    await repo.setOneTimePassword(tx, user.id, hash);
    const { sessions } = await revokeAccessOf(ctx, user.id, { tokens: false, grants: true, signinLinks: true });
    audit(ctx, { action: "user.password_reset", resourceType: "user", resourceId: user.nice_id, fields: ["password"] });
    return { userId: user.nice_id, role: user.role, suspended: user.suspended, oneTimePassword: password, sessionsEnded: sessions };
  });
}
