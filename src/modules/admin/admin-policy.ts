import type { Actor } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import { isAdmin } from "../users/users-policy.ts";

/**
 * Who may do what in the admin center. Pure and unit-tested; services call these. A refusal
 * carries the sentence the API answers with (403), so people learn which rule stopped them.
 *
 * Rules:
 *  - only owners and admins use the admin center;
 *  - only an owner grants or takes away the owner and admin roles (and invites admins);
 *  - nobody changes their own role, except an owner stepping down while another owner remains;
 *  - the last owner is never demoted, suspended or deleted.
 */

type UserActor = Extract<Actor, { kind: "user" }>;
export type Decision = { ok: true } | { ok: false; reason: string };

const yes: Decision = { ok: true };
const no = (reason: string): Decision => ({ ok: false, reason });
const privileged = (r: Role) => r === "owner" || r === "admin";

export const adminPolicy = {
  manage(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },

  changeRole(actor: UserActor, target: { id: string; role: Role; active: boolean }, next: Role, ownerCount: number): Decision {
    if (!isAdmin(actor.role)) return no("Only owners and admins can change roles.");
    if (!target.active) return no("A deleted user's role cannot be changed.");
    if ((privileged(next) || privileged(target.role)) && actor.role !== "owner") return no("Only an owner can grant or take away the owner and admin roles.");
    if (actor.userId === target.id && !(target.role === "owner" && next !== "owner")) return no("You cannot change your own role.");
    if (target.role === "owner" && next !== "owner" && ownerCount <= 1) return no("The account's last owner cannot be demoted. Make someone else an owner first.");
    return yes;
  },

  invite(actor: UserActor, role: Role): Decision {
    if (!isAdmin(actor.role)) return no("Only owners and admins can invite people.");
    if (role === "admin" && actor.role !== "owner") return no("Only an owner can invite an admin.");
    if (role !== "admin" && role !== "agent" && role !== "light_agent") return no("Invitations are for admins, agents and light agents.");
    return yes;
  },

  delete(actor: UserActor, target: { id: string; role: Role }, ownerCount: number): Decision {
    if (!isAdmin(actor.role)) return no("Only owners and admins can delete users.");
    if (actor.userId === target.id) return no("You cannot delete your own account.");
    if (privileged(target.role) && actor.role !== "owner") return no("Only an owner can delete an owner or an admin.");
    if (target.role === "owner" && ownerCount <= 1) return no("The account's last owner cannot be deleted.");
    return yes;
  },
};
