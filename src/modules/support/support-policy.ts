import type { UserActor } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import { isAdmin } from "../users/users-policy.ts";

/**
 * Temporary support access: who may grant the installation's operator access to the tenant, and
 * what the operator's support user may do under a grant. Pure and unit-tested; the service asks.
 *
 * Rules:
 *  - only an owner grants (it lets someone outside the team read the tenant's content); owners and
 *    admins see the grants and revoke them (revoking only ever takes access away);
 *  - a grant lasts 1 to 30 days, from the server's clock; one grant is live at a time, and a live
 *    grant is never extended: the owner revokes it and grants again;
 *  - the support user acts as an agent (never an admin: an admin could invite staff or create
 *    people whose access would outlive the grant), with the `read` scope under a read-only grant
 *    and `read` and `write` under a read-and-write one; credential, sign-in security and support
 *    access routes are closed to it whatever the level (platform/http/route.ts); whatever the
 *    level it chooses nobody the account's mail reaches: no requester or CC changes
 *    (tickets-policy.ts `chooseRecipients`), no new people and no e-mail changes (users-policy.ts),
 *    since an address it chose would keep receiving mail after the grant;
 *  - the support user itself never acts without a grant: nobody signs in as it.
 */

export type SupportLevel = "read_only" | "read_write";
export type Decision = { ok: true } | { ok: false; reason: string };
const yes: Decision = { ok: true };
const no = (reason: string): Decision => ({ ok: false, reason });

export const MAX_SUPPORT_DAYS = 30;

/** What a grant looks like to the policy. */
export type GrantState = { expiresAt: Date; revokedAt: Date | null };

export const supportPolicy = {
  /** Owners and admins see the grants (staff who manage the account). */
  view(actor: UserActor): boolean {
    return isAdmin(actor.role) && actor.via !== "support";
  },
  grant(actor: UserActor): Decision {
    if (actor.via === "support") return no("Support access cannot grant support access.");
    return actor.role === "owner" ? yes : no("Only an owner of the account can grant support access.");
  },
  /** A second grant while one is live is refused (422): a live grant is never extended or doubled. */
  grantWhileLive(liveGrant: boolean): Decision {
    return liveGrant ? no("Support access is granted already: revoke the live grant before granting again.") : yes;
  },
  revoke(actor: UserActor): Decision {
    if (actor.via === "support") return no("Support access cannot change support access.");
    return isAdmin(actor.role) ? yes : no("Only owners and admins can revoke support access.");
  },
  /** Whether a grant lets the operator act at `now`. */
  live(g: GrantState, now: Date): boolean {
    return g.revokedAt === null && g.expiresAt.getTime() > now.getTime();
  },
  /** The role and scopes the support user acts with under a grant of `level`. */
  actingAs(level: SupportLevel): { role: Role; scopes: readonly string[] } {
    return { role: "agent", scopes: level === "read_write" ? ["read", "write"] : ["read"] };
  },
};
