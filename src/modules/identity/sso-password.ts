import type { RequestContext } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import * as repo from "./sso-repo.ts";
import * as twoFactorRepo from "./two-factor-repo.ts";

/**
 * Whether this person may use their password (sign-in, reset) or an e-mailed sign-in link: not
 * when their group signs in only through single sign-on (sso-service.ts), except an account owner
 * with a second factor — the way in that does not depend on the identity provider.
 */
export async function passwordAllowed(ctx: Pick<RequestContext, "tx">, user: { id: string; role: Role }): Promise<boolean> {
  // Under the settings' shared lock until the transaction ends: turning "SSO only" on waits for
  // this sign-in and then ends the session it opens (sso-service.ts endSessionsNowRefused).
  await repo.lockSettings(ctx.tx, false);
  const s = await repo.findSettings(ctx.tx);
  if (user.role === "end_user") return !s.end_users_sso_only;
  if (!s.staff_sso_only) return true;
  return user.role === "owner" && (await twoFactorRepo.hasSecondFactor(ctx.tx, user.id));
}
