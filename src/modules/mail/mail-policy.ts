import type { UserActor } from "../../platform/context.ts";
import { isAdmin } from "../users/users-policy.ts";

/** Who may do what with the mail channel's settings and suspended mail. */
export const mailPolicy = {
  /** Support addresses and the blocklist: admins and owners (Zendesk: admins). */
  manageAddresses(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  /** Suspended tickets: agents, admins and owners (light agents and end users never see them). */
  reviewSuspended(actor: UserActor): boolean {
    return actor.role === "owner" || actor.role === "admin" || actor.role === "agent";
  },
};
