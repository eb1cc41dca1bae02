import type { UserActor } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import { permissionsOf } from "../../platform/roles.ts";

/**
 * Who may do what to users (people). Pure and unit-tested; services call these, routes never do.
 * A refusal carries the sentence the API answers with (403), so people learn which rule stopped them.
 *
 * Rules:
 *  - staff see and list every user of the tenant; end users see only themselves;
 *  - owners create admins; admins create agents, light agents and end users; agents end users;
 *    an OAuth token only end users (an application must not make itself a staff account), and
 *    the operator's support user nobody (a person it made, with an address it chose, would outlive
 *    the grant and keep receiving the tenant's mail);
 *  - a person edits their own name, phone, time zone, language and (through a link sent to the
 *    new address) e-mail; end users nothing else of themselves (not their organization, tags or
 *    external id);
 *  - agents edit end users; admins edit anyone but an owner; an owner edits themselves;
 *  - only an owner grants or takes away the owner and admin roles; only owners and admins give an
 *    agent a custom role; neither ever through an OAuth token; nobody changes their own role,
 *    except an owner stepping down while another owner remains; the last owner is never demoted,
 *    suspended or deleted;
 *  - only admins suspend (an admin only by an owner), delete, or vouch for an address staff set;
 *  - the support user (modules/support) is changed by nobody: support access grants manage it;
 *    acting, it changes nobody's e-mail address (the link goes to the new address, which it would
 *    choose: the person's mail would then reach it after the grant).
 */

export const STAFF: readonly Role[] = ["owner", "admin", "agent", "light_agent"];
export const isStaff = (r: Role): boolean => STAFF.includes(r);
export const isAdmin = (r: Role): boolean => r === "owner" || r === "admin";
const privileged = (r: Role) => r === "owner" || r === "admin";

export type Decision = { ok: true } | { ok: false; reason: string };
const yes: Decision = { ok: true };
const no = (reason: string): Decision => ({ ok: false, reason });

/** What a person may change of their own profile, whatever their role. */
export const OWN_PROFILE_FIELDS: ReadonlySet<string> = new Set(["name", "phone", "time_zone", "locale", "email"]);

type Target = { id: string; role: Role; active?: boolean; support?: boolean };
const SUPPORT_CREATES_NOBODY = "The support user cannot create people: an account it made would outlive the grant.";
const SUPPORT_MANAGED = "The support user is managed by support access grants: it cannot be edited, suspended, deleted or given another role.";

/** Which users an actor may see, as data the repository turns into SQL. */
export type UserScope = { kind: "all" } | { kind: "self"; userId: string };

export const userPolicy = {
  scope(actor: UserActor): UserScope {
    return isStaff(actor.role) ? { kind: "all" } : { kind: "self", userId: actor.userId };
  },
  view(actor: UserActor, target: { id: string }): boolean {
    const s = this.scope(actor);
    return s.kind === "all" || s.userId === target.id;
  },
  list(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  create(actor: UserActor, role: Role): Decision {
    if (actor.via === "support") return no(SUPPORT_CREATES_NOBODY);
    if (actor.via === "oauth" && role !== "end_user") return no("OAuth access tokens cannot create staff: invite them from the admin center.");
    if (role === "owner") return no("Nobody is created an owner: an owner makes someone an owner.");
    if (role === "admin") return actor.role === "owner" ? yes : no("Only an owner can create an admin.");
    if (isAdmin(actor.role)) return yes;
    return actor.role === "agent" && role === "end_user" && permissionsOf(actor).end_user_profile_access === "edit" ? yes : no("You do not have access to create this person.");
  },
  /**
   * May `actor` change these fields of `target`? Decided on the field names alone, before any
   * value is looked at, so a refusal never depends on (and never reveals) what a value refers to.
   * Role, suspension and a staff-set address's vouching have rules of their own below.
   */
  update(actor: UserActor, target: Target, fields: readonly string[]): Decision {
    if (target.support) return no(SUPPORT_MANAGED);
    if (actor.via === "support" && fields.includes("email")) return no("The support user cannot change people's e-mail addresses.");
    if (actor.userId === target.id) {
      if (actor.role === "end_user") {
        const other = fields.filter((f) => !OWN_PROFILE_FIELDS.has(f));
        return other.length === 0 ? yes : no(`You can change only your name, phone, time zone, language and e-mail address (not ${other.join(", ")}).`);
      }
      return yes;
    }
    if (target.role === "owner") return no("Only an owner edits their own profile.");
    if (isAdmin(actor.role)) return yes;
    if (actor.role === "agent" && target.role === "end_user" && permissionsOf(actor).end_user_profile_access === "edit") return yes;
    return no("You do not have access to edit this person.");
  },
  /** Owners and admins restrict (and lift restrictions of) the processing of a person's data (GDPR art. 18, objections). */
  restrictProcessing(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  /** Owners and admins change roles and delete people (each change then has its own rule below). */
  manageRoles(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  changeRole(actor: UserActor, target: Target, next: Role, ownerCount: number): Decision {
    if (!isAdmin(actor.role)) return no("Only owners and admins can change roles.");
    // `PUT /users/{id}/role` is a credential route (closed to OAuth tokens); the `role` field of
    // `PUT /users/{id}` is the same change, so the same refusal: an application must not make an
    // account it controls staff.
    if (actor.via === "oauth") return no("OAuth access tokens cannot change roles.");
    if (target.support) return no(SUPPORT_MANAGED);
    if (target.active === false) return no("A deleted user's role cannot be changed.");
    if ((privileged(next) || privileged(target.role)) && actor.role !== "owner") return no("Only an owner can grant or take away the owner and admin roles.");
    if (actor.userId === target.id && !(target.role === "owner" && next !== "owner")) return no("You cannot change your own role.");
    if (target.role === "owner" && next !== "owner" && ownerCount <= 1) return no("The account's last owner cannot be demoted. Make someone else an owner first.");
    return yes;
  },
  /** Giving an agent a custom role (or taking it away) is a role change: the same hands. */
  changeCustomRole(actor: UserActor): Decision {
    if (!isAdmin(actor.role)) return no("Only owners and admins manage roles.");
    if (actor.via === "oauth") return no("OAuth access tokens cannot change roles.");
    return yes;
  },
  suspend(actor: UserActor, target: Target): Decision {
    if (actor.userId === target.id || !isAdmin(actor.role)) return no("Only an admin can suspend another user.");
    if (target.support) return no(SUPPORT_MANAGED);
    if (privileged(target.role) && actor.role !== "owner") return no("Only an owner can suspend an admin.");
    return yes;
  },
  delete(actor: UserActor, target: Target, ownerCount: number): Decision {
    if (!isAdmin(actor.role)) return no("Only owners and admins can delete users.");
    if (target.support) return no(SUPPORT_MANAGED);
    if (actor.userId === target.id) return no("You cannot delete your own account.");
    if (privileged(target.role) && actor.role !== "owner") return no("Only an owner can delete an owner or an admin.");
    if (target.role === "owner" && ownerCount <= 1) return no("The account's last owner cannot be deleted.");
    return yes;
  },
  /**
   * Marks an address staff set as the person's own, so that sign-in links reach it again. Only
   * admins, who can already hand an end user a sign-in link themselves (audited either way).
   */
  vouchForEmail(actor: UserActor, target: Target): Decision {
    if (!isAdmin(actor.role)) return no("Only owners and admins can mark an address as verified.");
    return actor.userId === target.id ? no("You cannot vouch for your own address.") : yes;
  },
};
