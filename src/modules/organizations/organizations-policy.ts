import type { UserActor } from "../../platform/context.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/** Who may do what to organizations. Pure and unit-tested; the service calls it. */
export const organizationPolicy = {
  /** Staff see every organization of the tenant. */
  view(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  /** Agents, admins and owners create and edit organizations (light agents do not). */
  edit(actor: UserActor): boolean {
    return isAdmin(actor.role) || actor.role === "agent";
  },
  /** Only admins and owners delete one. */
  delete(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
};
