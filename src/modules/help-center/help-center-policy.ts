import type { Actor } from "../../platform/context.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/**
 * Who may do what in the help center's own API. Pure and unit-tested; the service calls it.
 * Requests (the end user's tickets) are scoped by requester in the tickets module; personal data is
 * always the caller's own.
 */
type UserActor = Extract<Actor, { kind: "user" }>;

export const helpCenterPolicy = {
  /** The consent settings are the account's: owners and admins. */
  manageSettings(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  /** Consent records are evidence staff may need to show: every staff role reads them. */
  viewConsentRecords(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  /** Withdrawing consent on a person's behalf (they asked by phone, by letter): owners and admins. */
  withdrawConsentFor(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
};
