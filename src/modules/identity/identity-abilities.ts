import type { Actor } from "../../platform/context.ts";
import { adminPolicy } from "../admin/admin-policy.ts";
import { ticketPolicy } from "../tickets/tickets-policy.ts";
import { userPolicy } from "../users/users-policy.ts";

type UserActor = Extract<Actor, { kind: "user" }>;

/**
 * What the signed-in person may do, as the web app needs to know it to show only what applies
 * (Vaultdesk-specific, sent with `GET /api/v2/session`). Every entry is read from the policies the
 * services enforce, so the pages never decide permissions themselves and the API refuses the
 * same things whatever a page shows.
 */
export function abilitiesOf(actor: UserActor) {
  return {
    can_use_workspace: ticketPolicy.useWorkspace(actor),
    can_create_tickets: ticketPolicy.create(actor),
    can_reply_publicly: ticketPolicy.replyPublicly(actor),
    can_add_internal_notes: ticketPolicy.addNotes(actor),
    can_edit_properties: ticketPolicy.editProperties(actor),
    // Bulk update applies property changes to many tickets: the same rule as one ticket's.
    can_bulk_update: ticketPolicy.editProperties(actor),
    can_delete_tickets: ticketPolicy.delete(actor),
    can_be_assigned: ticketPolicy.assignable(actor.role),
    can_create_end_users: userPolicy.create(actor, "end_user"),
    can_manage_admin: adminPolicy.manage(actor),
  };
}
export type Abilities = ReturnType<typeof abilitiesOf>;
