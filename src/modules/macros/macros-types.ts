import { z } from "zod";
import { lineText, longText } from "../../platform/schemas.ts";
import { restrictionInput, restrictionView, type RestrictionInput } from "../audience/audience-types.ts";
export type { RestrictionInput };

/** API shapes for macros (Zendesk's Macros API, the subset docs/api.md describes). */

/** One action as sent: its field and value are checked by the service (422 naming `actions[i]`). */
export const actionInput = z.object({
  field: z.string().max(64),
  value: z.union([z.string().max(70_000), z.number(), z.boolean(), z.null()]),
});
export type ActionInput = z.infer<typeof actionInput>;


export const macroInput = z.strictObject({
  title: lineText(1000).optional(),
  active: z.boolean().optional(),
  position: z.number().int().min(0).max(10_000).optional(),
  description: longText(1000).nullable().optional(),
  restriction: restrictionInput.optional(),
  /** More than the 30 allowed reach the service, which answers 422 naming the rule. */
  actions: z.array(actionInput).max(200).optional(),
});
export type MacroInput = z.infer<typeof macroInput>;

/** A stored action: its value normalised to a string, as Zendesk shows it. */
export const actionView = z.object({ field: z.string(), value: z.string() });
export type ActionView = z.infer<typeof actionView>;

export const macroView = z.object({
  id: z.number(),
  url: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  active: z.boolean(),
  position: z.number(),
  restriction: restrictionView,
  actions: z.array(actionView),
  created_at: z.string(),
  updated_at: z.string(),
  /** With `include=usage_1h,…`: how many ticket writes named the macro in `macro_ids` in that window. */
  usage_1h: z.number().optional(),
  usage_24h: z.number().optional(),
  usage_7d: z.number().optional(),
  usage_30d: z.number().optional(),
});
export type MacroView = z.infer<typeof macroView>;

const commentResult = z.object({ body: z.string(), html_body: z.string(), public: z.boolean() });

/** GET /macros/{id}/apply: only the fields the macro sets, placeholders as written. */
export const macroEffectView = z.object({
  result: z.object({ ticket: z.record(z.string(), z.unknown()), comment: commentResult.optional() }),
});

/** GET /tickets/{ticket_id}/macros/{id}/apply: the ticket with the changes applied, placeholders rendered. */
export const macroAppliedView = z.object({
  result: z.object({ ticket: z.record(z.string(), z.unknown()), comment: commentResult.optional(), changed_fields: z.array(z.string()) }),
});
