import type { UserActor } from "../../platform/context.ts";
import { ticketPolicy } from "../tickets/tickets-policy.ts";
import { isAdmin } from "../users/users-policy.ts";

/** Who a macro is for: one person (personal), every staff member, or one group's members. */
export type MacroAudience = { kind: "user"; userId: string } | { kind: "everyone" } | { kind: "group"; groupId: string };

/** Who may do what to macros (the same rules as views). Pure; the service calls it. */
export const macroPolicy = {
  /** Staff who use the workspace read and apply macros; end users reach none (403). */
  use(actor: UserActor): boolean {
    return ticketPolicy.useWorkspace(actor);
  },
  /**
   * Whether `actor` sees a macro for `audience` (`groupIds`: the groups the actor belongs to). A
   * personal macro is its owner's alone (not even admins see another's); a group's macro is its
   * members' and admins'. One they do not see is missing to them (404).
   */
  sees(actor: UserActor, audience: MacroAudience, groupIds: readonly string[]): boolean {
    if (!this.use(actor)) return false;
    if (audience.kind === "user") return audience.userId === actor.userId;
    if (audience.kind === "everyone") return true;
    return isAdmin(actor.role) || groupIds.includes(audience.groupId);
  },
  /** Whether `actor` may create, change or delete a macro for `audience`: their own personal ones; shared ones owners and admins only. */
  write(actor: UserActor, audience: MacroAudience): boolean {
    if (!this.use(actor)) return false;
    if (audience.kind === "user") return audience.userId === actor.userId;
    return isAdmin(actor.role);
  },
};
