import type { UserActor } from "../../platform/context.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/** Who may do what with satisfaction ratings. Pure; the service calls it. */
export const satisfactionPolicy = {
  /** A ticket is rated by its requester alone: not staff, not an end user copied on it or of its organization. */
  rate(actor: UserActor, ticket: { requesterId: string }): boolean {
    return actor.role === "end_user" && actor.userId === ticket.requesterId;
  },
  /** Staff read ratings (of the tickets their ticket access reaches); end users none. */
  read(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  readSettings(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  manageSettings(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
};
