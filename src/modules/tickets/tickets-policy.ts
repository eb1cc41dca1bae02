import type { Actor } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/** Who may do what to tickets. Pure and unit-tested; the service calls it. */

type UserActor = Extract<Actor, { kind: "user" }>;
export type Decision = { ok: true } | { ok: false; reason: string };
const yes: Decision = { ok: true };
const no = (reason: string): Decision => ({ ok: false, reason });

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
  /**
   * Who may write a comment, on every route (API, workspace, help center, jobs):
   *  - end users write public replies in their own name;
   *  - light agents write internal notes only, in their own name;
   *  - agents may write in an end user's name (Zendesk's `comment.author_id`, for replies taken
   *    down on a requester's behalf); admins and owners in anyone's. The comment still records
   *    who actually wrote it.
   */
  writeComment(writer: UserActor, c: { authorId: string; authorRole: Role; public: boolean }): Decision {
    const own = c.authorId === writer.userId;
    if (writer.role === "end_user") {
      if (!c.public) return no("End users write public replies only.");
      return own ? yes : no("You can only write in your own name.");
    }
    if (!isStaff(writer.role)) return no("You cannot write comments.");
    if (c.public && !this.replyPublicly(writer)) return no("Light agents can only add internal notes.");
    if (own) return yes;
    if (writer.role === "light_agent") return no("Light agents can only write in their own name.");
    if (isStaff(c.authorRole) && !isAdmin(writer.role)) return no("Only admins can write in another staff member's name.");
    return yes;
  },
  /** Tickets can be assigned to agents, admins and the owner, never to light agents or end users. */
  assignable(role: Role): boolean {
    return role === "agent" || role === "admin" || role === "owner";
  },
};
