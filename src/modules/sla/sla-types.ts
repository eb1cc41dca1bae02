import { z } from "zod";
import { lineText, longText } from "../../platform/schemas.ts";
import { conditionInput, conditionView, definitionView } from "../triggers/rules-types.ts";

/** API shapes for SLA policies (Zendesk's SLA Policies API, the subset docs/api.md describes). */

export const SLA_METRICS = ["first_reply_time", "next_reply_time", "periodic_update_time", "requester_wait_time", "agent_work_time"] as const;
export type SlaMetric = (typeof SLA_METRICS)[number];
export const SLA_PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type SlaPriority = (typeof SLA_PRIORITIES)[number];
/** Longest target: a year of minutes (Zendesk's). */
export const MAX_TARGET = 525_600;

/** One metric row as sent: priority and metric are checked by the service (422 naming `policy_metrics[i]`). */
export const policyMetricInput = z.object({
  priority: z.string().max(32),
  metric: z.string().max(64),
  target: z.number(),
  business_hours: z.boolean().optional(),
});
export type PolicyMetricInput = z.infer<typeof policyMetricInput>;

export const slaPolicyInput = z.strictObject({
  title: lineText(1000).optional(),
  description: longText(1000).nullable().optional(),
  position: z.number().int().min(0).max(100_000).optional(),
  /** More than the 50 conditions allowed reach the service, which answers 422. */
  filter: z.strictObject({ all: z.array(conditionInput).max(200).optional(), any: z.array(conditionInput).max(200).optional() }).optional(),
  /** At most 20 rows (4 priorities × 5 metrics); more reach the service, which answers 422. */
  policy_metrics: z.array(policyMetricInput).max(200).optional(),
});
export type SlaPolicyInput = z.infer<typeof slaPolicyInput>;

export const policyMetricView = z.object({ priority: z.enum(SLA_PRIORITIES), metric: z.enum(SLA_METRICS), target: z.number(), business_hours: z.boolean() });
export type PolicyMetricView = z.infer<typeof policyMetricView>;

export const slaPolicyView = z.object({
  id: z.number(),
  url: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  position: z.number(),
  filter: z.object({ all: z.array(conditionView), any: z.array(conditionView) }),
  policy_metrics: z.array(policyMetricView),
  created_at: z.string(),
  updated_at: z.string(),
});
export type SlaPolicyView = z.infer<typeof slaPolicyView>;

export const slaDefinitionsView = z.object({
  definitions: z.object({
    all: z.array(definitionView),
    any: z.array(definitionView),
    metrics: z.array(z.object({ value: z.string(), title: z.string() })),
    priorities: z.array(z.object({ value: z.string(), title: z.string() })),
  }),
});

export const slaReorderInput = z.strictObject({ sla_policy_ids: z.array(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)).max(1000) });

/** A metric's stage as shown (Zendesk's): breached is read at the time from the stored stage, breach and fulfilment (sla-present.ts stageAt). */
export const SLA_STAGES = ["active", "paused", "achieved", "breached"] as const;
export type SlaStage = (typeof SLA_STAGES)[number];

/** A ticket's SLA as `include=slas` shows it (Zendesk's ticket.slas and sla_policy; `fulfilled_at`, when the target was met, is Vaultdesk's). */
export const ticketSlasView = z.object({
  policy_metrics: z.array(
    z.object({ breach_at: z.string().nullable(), stage: z.enum(SLA_STAGES), fulfilled_at: z.string().nullable(), metric: z.enum(SLA_METRICS), hours: z.number(), minutes: z.number(), days: z.number() }),
  ),
});
export type TicketSlasView = z.infer<typeof ticketSlasView>;
export const ticketSlaPolicyView = z.object({ id: z.number(), title: z.string(), description: z.string().nullable() });
export type TicketSlaPolicyView = z.infer<typeof ticketSlaPolicyView>;
