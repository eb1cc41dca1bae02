import type { Actor } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";

/** Who may do what to users. Pure and unit-tested; services call these, routes never do. */

export const STAFF: readonly Role[] = ["owner", "admin", "agent", "light_agent"];
export const isStaff = (r: Role): boolean => STAFF.includes(r);
export const isAdmin = (r: Role): boolean => r === "owner" || r === "admin";

type UserActor = Extract<Actor, { kind: "user" }>;

export const userPolicy = {
  /** Agents see every user of the tenant; end users see only themselves. */
  view(actor: UserActor, target: { id: string }): boolean {
    return isStaff(actor.role) || actor.userId === target.id;
  },
  list(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  /** Owners create admins; admins create agents, light agents and end users; agents create end users only. */
  create(actor: UserActor, role: Role): boolean {
    if (role === "owner") return false;
    if (role === "admin") return actor.role === "owner";
    if (isAdmin(actor.role)) return true;
    return actor.role === "agent" && role === "end_user";
  },
  /** Admins edit anyone but the owner (the owner edits themselves); agents edit end users; everyone edits their own profile. */
  update(actor: UserActor, target: { id: string; role: Role }, changes: { role?: Role | undefined }): boolean {
    if (changes.role !== undefined) {
      if (changes.role === "owner" || target.role === "owner") return false;
      if (!isAdmin(actor.role) || actor.userId === target.id) return false;
      // Only an owner grants or takes away the admin role (owner changes: PUT /users/{id}/role).
      if ((changes.role === "admin" || target.role === "admin") && actor.role !== "owner") return false;
    }
    if (actor.userId === target.id) return true;
    if (target.role === "owner") return false;
    if (isAdmin(actor.role)) return true;
    return actor.role === "agent" && target.role === "end_user";
  },
};
