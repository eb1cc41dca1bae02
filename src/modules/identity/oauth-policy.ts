import type { UserActor } from "../../platform/context.ts";
import { isAdmin } from "../users/users-policy.ts";

/**
 * Who may do what with OAuth clients and grants. Pure and unit-tested; oauth-service.ts calls it.
 * Credential routes are closed to OAuth access tokens in route.ts, whatever the policy says.
 */

/** Whose OAuth tokens (grants) an actor may see and revoke: everyone's (admins) or their own. */
export type OAuthTokenScope = { kind: "all" } | { kind: "own"; userId: string };

export const oauthPolicy = {
  /** Registering, changing and deleting OAuth clients is for owners and admins. */
  manageClients(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  /** Admins see every grant of the tenant; anyone else (staff or end user) the apps they authorized. */
  tokenScope(actor: UserActor): OAuthTokenScope {
    return isAdmin(actor.role) ? { kind: "all" } : { kind: "own", userId: actor.userId };
  },
  /** May `actor` see or revoke a grant of `ownerId`? */
  seeToken(actor: UserActor, ownerId: string): boolean {
    const s = this.tokenScope(actor);
    return s.kind === "all" || s.userId === ownerId;
  },
  /**
   * Consent is given by the person in their own browser session: not by an API token (a script
   * must not grant itself an app) and not by an OAuth token (route.ts refuses those already).
   */
  consent(actor: UserActor): boolean {
    return actor.via === "session";
  },
};
