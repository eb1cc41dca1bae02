import type { UserActor } from "../../platform/context.ts";
import { permissionsOf } from "../../platform/roles.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/**
 * Who may export what (pure; the service asks):
 *  - a person's export of someone else: owners, admins, and agents whose custom role grants
 *    `data_export_access`;
 *  - one's own export: anyone signed in (the help center's My information page);
 *  - tenant exports (tickets, users, organizations): owners and admins;
 *  - an export's status and its download: only the person who asked for it.
 */
export const exportsPolicy = {
  exportPerson(actor: UserActor): boolean {
    return isAdmin(actor.role) || (isStaff(actor.role) && permissionsOf(actor).data_export_access);
  },
  exportTenant(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  view(actor: UserActor, e: { requested_by: string }): boolean {
    return e.requested_by === actor.userId;
  },
};
