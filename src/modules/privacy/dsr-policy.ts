import type { Actor } from "../../platform/context.ts";
import type { DsrStatus } from "../../platform/db/schema.ts";
import { isAdmin } from "../users/users-policy.ts";

/**
 * Who may do what with data subject requests, and the workflow's rules. Pure; dsr-service.ts asks.
 *  - Owners and admins manage every request of the account (no custom-role permission grants it).
 *  - Anyone signed in may ask about their own data and see their own requests; support staff
 *    acting in an account (`via: support`) may not ask in a person's name.
 *  - Status: new → verifying → in_progress → completed | rejected; new may go straight to
 *    in_progress when the person is verified already, and any open request may be rejected.
 *    completed and rejected are final. in_progress and completed need a verified person.
 */

type UserActor = Extract<Actor, { kind: "user" }>;
export type Decision = { ok: true } | { ok: false; reason: string };
const yes: Decision = { ok: true };
const no = (reason: string): Decision => ({ ok: false, reason });

const NEXT: Record<DsrStatus, readonly DsrStatus[]> = {
  new: ["verifying", "in_progress", "rejected"],
  verifying: ["in_progress", "rejected"],
  in_progress: ["completed", "rejected"],
  completed: [],
  rejected: [],
};

export const FINAL: readonly DsrStatus[] = ["completed", "rejected"];

export const dsrPolicy = {
  manage(actor: UserActor): boolean {
    return isAdmin(actor.role);
  },
  askForSelf(actor: UserActor): boolean {
    return actor.via !== "support";
  },
  /** May a request in `from` (verified or not) move to `to`, with or without a note? */
  transition(from: DsrStatus, to: DsrStatus, verified: boolean, hasNote: boolean): Decision {
    if (!NEXT[from].includes(to)) return no(`Status: a ${from} request cannot become ${to}`);
    if ((to === "in_progress" || to === "completed") && !verified) return no(`Status: the person must be verified before the request is ${to === "completed" ? "completed" : "worked on"}`);
    if (FINAL.includes(to) && !hasNote) return no(`Note: say why the request is ${to}`);
    return yes;
  },
  /** Verification is recorded once, on an open request. */
  verify(status: DsrStatus, verified: boolean): Decision {
    if (FINAL.includes(status)) return no(`Status: a ${status} request cannot be verified`);
    if (verified) return no("Verification: the person is verified already");
    return yes;
  },
};
