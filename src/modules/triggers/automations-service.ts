import { invalid } from "../../platform/errors.ts";
import { nullifies } from "./rules-actions.ts";
import { AUTOMATION_OPERATORS, isTimeField } from "./rules-conditions.ts";
import type { RuleSpec } from "./rules-service.ts";
import type { ActionView, Conditions } from "./rules-types.ts";

/**
 * Automations (Zendesk's automations): the account's time-based business rules, run hourly over
 * its tickets (automations-run.ts). Managed through the rules service (rules-service.ts) as this
 * kind: conditions about the ticket as it is and the time conditions (never the update's), no
 * `current_user` (nobody makes their update), and the status action may close a ticket.
 */

/**
 * Zendesk's rules for a valid automation: a time condition in `all` (it runs on time), and an
 * `all` condition its actions nullify (it must not fire on the same ticket every hour).
 */
function checkValidity(conditions: Conditions, actions: readonly ActionView[]): void {
  if (!conditions.all.some((c) => isTimeField(c.field))) {
    throw invalid("conditions.all", "Conditions: an automation needs at least one time condition (hours since …) in conditions.all", "TimeConditionMissing");
  }
  if (!conditions.all.some((c) => nullifies(c, actions))) {
    throw invalid("actions", "Actions: together they must nullify a condition of conditions.all (set a property to a value the condition rejects, add a tag it wants absent, remove the tags it wants, and not undo it with another tag action), so that the automation does not fire on the same ticket again", "NullifyingConditionMissing");
  }
}

export const AUTOMATIONS = { one: "automation", many: "automations", operators: AUTOMATION_OPERATORS, currentUser: false, close: true, check: checkValidity } as const satisfies RuleSpec;
