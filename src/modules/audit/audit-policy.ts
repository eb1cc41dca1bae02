import type { UserActor } from "../../platform/context.ts";
import { permissionsOf } from "../../platform/roles.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/** Who may read the audit trail. Pure and unit-tested. */
export const auditPolicy = {
  /** Owners and admins, and agents whose custom role allows it, read the audit log and verify its chain. */
  view(actor: UserActor): boolean {
    return isAdmin(actor.role) || (isStaff(actor.role) && permissionsOf(actor).audit_log_access);
  },
};
