import { TRIGGER_OPERATORS } from "./rules-conditions.ts";
import type { RuleSpec } from "./rules-service.ts";

/**
 * Triggers (Zendesk's triggers): the account's business rules, run right after a ticket is
 * created or updated, in the same transaction (triggers-engine.ts). Managed through the rules
 * service (rules-service.ts) as this kind: conditions about the update too (what changed, the
 * comment, who wrote), `current_user` (whoever made the update), no closing.
 */
export const TRIGGERS = { one: "trigger", many: "triggers", operators: TRIGGER_OPERATORS, currentUser: true, close: false } as const satisfies RuleSpec;
