import { z } from "zod";
import { lineText, longText } from "../../platform/schemas.ts";
import { restrictionInput, restrictionView, type RestrictionInput } from "../audience/audience-types.ts";
export type { RestrictionInput };

/** API shapes for views (Zendesk's Views API, the subset docs/api.md describes). */

export const VIEW_SORTS = ["updated_at", "created_at", "priority", "status", "id", "sla_next_breach_at"] as const;
export type ViewSort = (typeof VIEW_SORTS)[number];
export const viewSort = z.enum(VIEW_SORTS);
export const sortOrder = z.enum(["asc", "desc"]);

/** One condition as sent: its field, operator and value are checked by the service (422 naming it). */
export const conditionInput = z.object({
  field: z.string().max(64),
  operator: z.string().max(32),
  value: z.union([z.string().max(2000), z.number(), z.null()]),
});
export type ConditionInput = z.infer<typeof conditionInput>;
/** More than the 50 allowed reach the service, which answers 422 naming the rule. */
const conditionList = z.array(conditionInput).max(200);


const sortInput = z.strictObject({ sort_by: viewSort.optional(), sort_order: sortOrder.optional() });

export const viewInput = z.strictObject({
  title: lineText(1000).optional(),
  active: z.boolean().optional(),
  position: z.number().int().min(0).max(10_000).optional(),
  description: longText(1000).nullable().optional(),
  restriction: restrictionInput.optional(),
  all: conditionList.optional(),
  any: conditionList.optional(),
  conditions: z.strictObject({ all: conditionList.optional(), any: conditionList.optional() }).optional(),
  output: sortInput.optional(),
  execution: sortInput
    .extend({ group_by: z.null().optional(), columns: z.array(z.object({ id: z.string().max(64) })).max(50).optional() })
    .optional(),
});
export type ViewInput = z.infer<typeof viewInput>;

const conditionView = z.object({ field: z.string(), operator: z.string(), value: z.union([z.string(), z.number(), z.null()]) });
export type ConditionView = z.infer<typeof conditionView>;

export const viewView = z.object({
  id: z.number(),
  url: z.string(),
  title: z.string(),
  active: z.boolean(),
  position: z.number(),
  description: z.string().nullable(),
  restriction: restrictionView,
  conditions: z.object({ all: z.array(conditionView), any: z.array(conditionView) }),
  execution: z.object({
    sort_by: viewSort,
    sort_order: sortOrder,
    group_by: z.null(),
    columns: z.array(z.object({ id: z.string() })),
  }),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ViewView = z.infer<typeof viewView>;

export const viewCountView = z.object({ view_id: z.number(), url: z.string(), value: z.number(), pretty: z.string(), fresh: z.boolean() });
export type ViewCountView = z.infer<typeof viewCountView>;
