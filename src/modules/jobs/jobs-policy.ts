import type { UserActor } from "../../platform/context.ts";
import { permissionsOf } from "../../platform/roles.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";

/** Whose jobs an actor may follow: everyone's, or only those they started. */
export type JobScope = { kind: "all" } | { kind: "own"; userId: string };

/** Who may follow job statuses. Pure and unit-tested. */
export const jobPolicy = {
  /** Staff start bulk jobs and follow them (end users start none). */
  view(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
  /**
   * A job's results name the tickets it touched: staff whose role sees every ticket follow every
   * job; a within-groups or assigned-only agent only the jobs they started (another's answers 404).
   */
  scope(actor: UserActor): JobScope {
    return permissionsOf(actor).ticket_access === "all" ? { kind: "all" } : { kind: "own", userId: actor.userId };
  },
  /** Whoever started a job may cancel it, and admins any job (others who follow it only follow it). */
  cancel(actor: UserActor, job: { created_by: string | null }): boolean {
    return isAdmin(actor.role) || (isStaff(actor.role) && job.created_by !== null && job.created_by === actor.userId);
  },
};
