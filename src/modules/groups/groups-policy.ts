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
  /**
   * May `actor` (who manages groups) make `memberId` a member? Joining a group widens the tickets a
   * "within groups" role sees, so an agent whose role does not see every ticket may not add
   * themselves: an admin (or an agent who sees every ticket) does it for them.
   */
  addMember(actor: UserActor, memberId: string): boolean {
    if (!this.manage(actor)) return false;
    return memberId !== actor.userId || isAdmin(actor.role) || permissionsOf(actor).ticket_access === "all";
  },
};
