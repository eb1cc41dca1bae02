import type { UserActor } from "../../platform/context.ts";
import { permissionsOf } from "../../platform/roles.ts";
import { isAdmin } from "../users/users-policy.ts";

/** Who may do what with the mail channel's settings and suspended mail. */
export const mailPolicy = {
  /** Support addresses and the blocklist: admins and owners (Zendesk: admins). */
  manageAddresses(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  /**
   * Suspended tickets: agents, admins and owners (light agents and end users never see them). Held
   * mail belongs to no group or assignee yet, and a held reply names its ticket: only agents whose
   * role sees every ticket review it (a within-groups or assigned-only agent would read content
   * outside their access, and could never recover it into a ticket they see).
   */
  reviewSuspended(actor: UserActor): boolean {
    if (isAdmin(actor.role)) return true;
    return actor.role === "agent" && permissionsOf(actor).ticket_access === "all";
  },
};
