import { z } from "zod";
import { lineText, longText } from "../../platform/schemas.ts";

/** API shapes for business rules: triggers and automations (Zendesk's Triggers and Automations APIs, the subsets docs/api.md describes). */

/** One condition as sent: field, operator and value are checked by the service (422 naming `conditions.all[i]`). */
export const conditionInput = z.object({
  field: z.string().max(64),
  operator: z.string().max(32),
  value: z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]).optional(),
});
export type ConditionInput = z.infer<typeof conditionInput>;

/** One action as sent: a notification's value is `[recipient, subject, body]`. */
export const actionInput = z.object({
  field: z.string().max(64),
  value: z.union([z.string().max(70_000), z.number(), z.boolean(), z.null(), z.array(z.union([z.string().max(70_000), z.number()])).max(3)]),
});
export type ActionInput = z.infer<typeof actionInput>;

export const ruleInput = z.strictObject({
  title: lineText(1000).optional(),
  description: longText(1000).nullable().optional(),
  active: z.boolean().optional(),
  position: z.number().int().min(0).max(100_000).optional(),
  /** More than the 50 allowed reach the service, which answers 422 naming the rule. */
  conditions: z.strictObject({ all: z.array(conditionInput).max(200).optional(), any: z.array(conditionInput).max(200).optional() }).optional(),
  /** More than the 30 allowed reach the service, which answers 422 naming the rule. */
  actions: z.array(actionInput).max(200).optional(),
});
export type RuleInput = z.infer<typeof ruleInput>;

export const conditionView = z.object({ field: z.string(), operator: z.string(), value: z.string() });
export type ConditionView = z.infer<typeof conditionView>;
export type Conditions = { all: ConditionView[]; any: ConditionView[] };

/** A stored action: a string value, or `[recipient, subject, body]` for a notification. */
export const actionView = z.object({ field: z.string(), value: z.union([z.string(), z.array(z.string())]) });
export type ActionView = z.infer<typeof actionView>;

export const ruleView = z.object({
  id: z.number(),
  url: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  active: z.boolean(),
  position: z.number(),
  conditions: z.object({ all: z.array(conditionView), any: z.array(conditionView) }),
  actions: z.array(actionView),
  created_at: z.string(),
  updated_at: z.string(),
});
export type RuleView = z.infer<typeof ruleView>;

const option = z.object({ value: z.string(), title: z.string() });
export const definitionView = z.object({
  subject: z.string(),
  title: z.string(),
  type: z.string(),
  operators: z.array(option).optional(),
  values: z.array(option).optional(),
});
export type DefinitionView = z.infer<typeof definitionView>;
export const definitionsView = z.object({
  definitions: z.object({ conditions_all: z.array(definitionView), conditions_any: z.array(definitionView), actions: z.array(definitionView) }),
});

/** `{ <key>: [ids] }`: a reorder's body (`trigger_ids`, `automation_ids`). */
export const reorderInput = <K extends string>(key: K) => z.strictObject({ [key]: z.array(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)).max(1000) } as Record<K, z.ZodArray<z.ZodNumber>>);
