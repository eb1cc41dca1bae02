import type { Actor } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/** Who may do what to tickets. Pure and unit-tested; the service calls it. */

type UserActor = Extract<Actor, { kind: "user" }>;

export const ticketPolicy = {
  /** Staff see the tenant's tickets. (Per-agent view restrictions come with custom roles.) */
  view(actor: UserActor, _ticket: { requester_id: string }): boolean {
    return isStaff(actor.role);
  },
  create(actor: UserActor): boolean {
    return actor.role !== "light_agent" && isStaff(actor.role);
  },
  /** Light agents may add internal notes only: no property changes, no public replies. */
  editProperties(actor: UserActor): boolean {
    return actor.role !== "light_agent" && isStaff(actor.role);
  },
  replyPublicly(actor: UserActor): boolean {
    return actor.role !== "light_agent" && isStaff(actor.role);
  },
  delete(actor: UserActor): boolean {
    return isAdmin(actor.role) || actor.role === "agent";
  },
  /** Tickets can be assigned to agents, admins and the owner, never to light agents or end users. */
  assignable(role: Role): boolean {
    return role === "agent" || role === "admin" || role === "owner";
  },
};
