import type { UserActor } from "../../platform/context.ts";
import { permissionsOf } from "../../platform/roles.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/** Who may manage which credentials. Pure and unit-tested; the services call it. */

/** Whose API tokens an actor may see and revoke: everyone's (admins), their own (staff), none. */
export type TokenScope = { kind: "all" } | { kind: "own"; userId: string } | { kind: "none" };

export const identityPolicy = {
  /** API tokens are for staff; admins manage everyone's, other staff their own (unless their custom role withholds API tokens). */
  tokenScope(actor: UserActor): TokenScope {
    if (isAdmin(actor.role)) return { kind: "all" };
    return isStaff(actor.role) && permissionsOf(actor).api_token_access ? { kind: "own", userId: actor.userId } : { kind: "none" };
  },
  /** May `actor` create a token for `userId`? */
  createToken(actor: UserActor, userId: string): boolean {
    const s = this.tokenScope(actor);
    return s.kind === "all" || (s.kind === "own" && s.userId === userId);
  },
  /** May `actor` see, revoke or rotate a token of `ownerId`? */
  seeToken(actor: UserActor, ownerId: string): boolean {
    return this.createToken(actor, ownerId);
  },
  /**
   * Who may rotate a token: its own person only. Rotating answers the new secret, and with another
   * person's secret an admin would act as them (the owner: grant support access, make themselves
   * owner). Admins revoke other people's tokens instead.
   */
  rotateToken(actor: UserActor, ownerId: string): boolean {
    return actor.userId === ownerId && this.seeToken(actor, ownerId);
  },
  /**
   * A request made with an API token may give a token (a new one, or a rotated secret) no scope it
   * lacks itself, so a narrow token cannot mint a wider one. Sessions and passwords carry every scope.
   */
  grantScopes(actor: UserActor, scopes: readonly string[]): boolean {
    // `tickets:read` is within `read`: a resource's scope is covered by the plain one of its access.
    return actor.via !== "token" || scopes.every((s) => actor.scopes.includes(s) || actor.scopes.includes(s.slice(s.indexOf(":") + 1)));
  },
  /** The tenant's API settings (password access): admins. */
  manageApiSettings(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  /** Owners and admins create sign-in links to hand an end user (they can act for end users anyway). */
  createSigninLink(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
};
