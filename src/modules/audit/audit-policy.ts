import type { UserActor } from "../../platform/context.ts";
import { isAdmin } from "../users/users-policy.ts";

/** Who may read the audit trail. Pure and unit-tested. */
export const auditPolicy = {
  /** Owners and admins read the audit log and verify its chain. */
  view(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
};
