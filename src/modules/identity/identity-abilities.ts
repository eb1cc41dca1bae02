import type { Actor } from "../../platform/context.ts";
import { adminPolicy } from "../admin/admin-policy.ts";
import { auditPolicy } from "../audit/audit-policy.ts";
import { groupPolicy } from "../groups/groups-policy.ts";
import { organizationPolicy } from "../organizations/organizations-policy.ts";
import { permissionsOf } from "../../platform/roles.ts";
import { identityPolicy } from "./identity-policy.ts";
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
    can_create_end_users: userPolicy.create(actor, "end_user").ok,
    // Another person's profile (their organization, for one): the rule for any end user but oneself.
    can_edit_end_users: userPolicy.update(actor, { id: "", role: "end_user" }, ["organization_id"]).ok,
    can_manage_admin: adminPolicy.manage(actor),
    can_manage_groups: groupPolicy.manage(actor),
    can_edit_organizations: organizationPolicy.edit(actor),
    can_share_organization_requests: organizationPolicy.shareTickets(actor),
    can_view_audit_log: auditPolicy.view(actor),
    can_manage_api_tokens: identityPolicy.tokenScope(actor).kind !== "none",
    can_manage_api_settings: identityPolicy.manageApiSettings(actor),
    /** Which tickets the person sees: all, within their groups, or assigned to them (their role's ticket access). */
    ticket_access: permissionsOf(actor).ticket_access,
  };
}
export type Abilities = ReturnType<typeof abilitiesOf>;
