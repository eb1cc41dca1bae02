import type { UserActor } from "../../platform/context.ts";
import { permissionsOf } from "../../platform/roles.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/** Who may do what to organizations. Pure and unit-tested; the service calls it. */
export const organizationPolicy = {
  /** Staff see every organization of the tenant. */
  view(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  /** Agents, admins and owners create and edit organizations (light agents do not; a custom role may not). */
  edit(actor: UserActor): boolean {
    return isStaff(actor.role) && permissionsOf(actor).organization_editing;
  },
  /** Sharing an organization's requests among its members is a privacy decision: owners and admins. */
  shareTickets(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  /** Only admins and owners delete one. */
  delete(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
};
