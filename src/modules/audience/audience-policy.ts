import type { UserActor } from "../../platform/context.ts";
import { ticketPolicy } from "../tickets/tickets-policy.ts";
import { isAdmin } from "../users/users-policy.ts";

/**
 * Who a workspace item is for (a saved view, a macro): one person (personal), every staff member,
 * or one group's members.
 */
export type Audience = { kind: "user"; userId: string } | { kind: "everyone" } | { kind: "group"; groupId: string };

/** Who may do what to views and macros: the same rules for both. Pure; their services call it. */
export const audiencePolicy = {
  /** Staff who use the workspace read and use views and macros; end users reach none (403). */
  use(actor: UserActor): boolean {
    return ticketPolicy.useWorkspace(actor);
  },
  /**
   * Whether `actor` sees an item for `audience` (`groupIds`: the groups the actor belongs to). A
   * personal item is its owner's alone (not even admins see another's); a group's is its members'
   * and admins'. One they do not see is missing to them (404).
   */
  sees(actor: UserActor, audience: Audience, groupIds: readonly string[]): boolean {
    if (!this.use(actor)) return false;
    if (audience.kind === "user") return audience.userId === actor.userId;
    if (audience.kind === "everyone") return true;
    return isAdmin(actor.role) || groupIds.includes(audience.groupId);
  },
  /** Whether `actor` may create, change or delete an item for `audience`: their own personal ones; shared ones owners and admins only. */
  write(actor: UserActor, audience: Audience): boolean {
    if (!this.use(actor)) return false;
    if (audience.kind === "user") return audience.userId === actor.userId;
    return isAdmin(actor.role);
  },
};
