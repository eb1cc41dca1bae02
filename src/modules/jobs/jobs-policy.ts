import type { UserActor } from "../../platform/context.ts";
import { isStaff } from "../users/users-policy.ts";

/** Who may follow job statuses. Pure and unit-tested. */
export const jobPolicy = {
  /** Staff start bulk jobs and follow them (end users start none). */
  view(actor: UserActor): boolean {
    return isStaff(actor.role);
  },
};
