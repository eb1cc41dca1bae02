import type { UserActor } from "../../platform/context.ts";
import { permissionsOf } from "../../platform/roles.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/** Who may do what to groups and memberships. Pure and unit-tested; the service calls it. */
export const groupPolicy = {
  /** Staff read groups and who belongs to them. */
  view(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  /** Admins and owners, and agents whose custom role has group access, create, rename and delete groups and change memberships. */
  manage(actor: UserActor): boolean {
    return isAdmin(actor.role) || (isStaff(actor.role) && permissionsOf(actor).group_access);
  },
};
