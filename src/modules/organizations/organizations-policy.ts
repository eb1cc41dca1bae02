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
  /**
   * May `actor` put people into `org` (an end user's `organization_id`, or its domain names, which
   * place new end users in it)? In an organization that shares its requests, a new member reads
   * them all: an agent whose role does not see every ticket could otherwise read them through an
   * end user they control. Nor may the operator's support user: such a member would outlive the
   * grant. Everyone else who may edit people or organizations may.
   */
  addMembers(actor: UserActor, org: { shared_tickets: boolean }): boolean {
    if (!org.shared_tickets) return true;
    if (actor.via === "support") return false;
    return isAdmin(actor.role) || (isStaff(actor.role) && permissionsOf(actor).ticket_access === "all");
  },
  /** Only admins and owners delete one. */
  delete(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
};
