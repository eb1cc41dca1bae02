import type { Actor } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/**
 * Who may do what in the admin center. Pure and unit-tested; services call these. A refusal
 * carries the sentence the API answers with (403), so people learn which rule stopped them.
 *
 * Rules: only owners and admins use the admin center; only an owner invites admins. The rules
 * for people (roles, suspension, deletion) are the users module's (users-policy.ts).
 */

type UserActor = Extract<Actor, { kind: "user" }>;
export type Decision = { ok: true } | { ok: false; reason: string };

const yes: Decision = { ok: true };
const no = (reason: string): Decision => ({ ok: false, reason });

export const adminPolicy = {
  manage(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  /** Every staff member sees the account's name, subdomain and region. */
  viewAccount(actor: UserActor): boolean {
    return isStaff(actor.role);
  },

  /**
   * Closing the account (termination): an owner only, signed in with a session — never through
   * an API token, an OAuth token or the operator's support access (the route re-checks the
   * owner's password as well).
   */
  terminate(actor: UserActor): Decision {
    if (actor.role !== "owner") return no("Only an owner can close the account.");
    if (actor.via !== "session") return no("Closing the account needs the owner signed in to the admin center: API and OAuth tokens cannot do it.");
    return yes;
  },

  invite(actor: UserActor, role: Role): Decision {
    if (!isAdmin(actor.role)) return no("Only owners and admins can invite people.");
    if (role === "admin" && actor.role !== "owner") return no("Only an owner can invite an admin.");
    if (role !== "admin" && role !== "agent" && role !== "light_agent") return no("Invitations are for admins, agents and light agents.");
    return yes;
  },

};
