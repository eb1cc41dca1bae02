import type { RequestContext } from "../../platform/context.ts";
import * as repo from "./sla-repo.ts";
import { descriptionOf, metricsOf, titleOf } from "./sla-service.ts";
import type { SlaStage, TicketSlaPolicyView, TicketSlasView } from "./sla-types.ts";

/**
 * Tickets' SLAs as `include=slas` shows them (Zendesk's ticket.slas and sla_policy): the metrics
 * with a target under the ticket's policy and priority, with their breach (as the ticket's last
 * write computed them: kept on met targets, when they were due), their stage at the time of the
 * request (breached: past the breach unfulfilled, or fulfilled after it) and when they were met,
 * and the policy's id, title and description. Only for tickets the caller may already see (the
 * routes pass those).
 */
export async function slasOf(ctx: RequestContext, tickets: ReadonlyArray<{ id: string; priority: string | null }>): Promise<Map<string, { slas: TicketSlasView; sla_policy: TicketSlaPolicyView | null }>> {
  const out = new Map<string, { slas: TicketSlasView; sla_policy: TicketSlaPolicyView | null }>();
  if (tickets.length === 0) return out;
  const ids = tickets.map((t) => t.id);
  const now = ctx.now();
  const policyIds = await repo.ticketPolicies(ctx.tx, ids);
  const metrics = await repo.metricRowsOf(ctx.tx, ids);
  const wanted = new Set([...policyIds.values()].filter((p): p is string => p !== null));
  // Only the policies these tickets are under, without their filters (up to 1 MB an account, sealed).
  const policies = new Map((await repo.policiesShown(ctx.tx, [...wanted])).map((p) => [p.id, p]));
  for (const t of tickets) {
    const p = policies.get(policyIds.get(t.id) ?? "");
    if (!p) {
      out.set(t.id, { slas: { policy_metrics: [] }, sla_policy: null });
      continue;
    }
    const targets = metricsOf(p).filter((m) => m.priority === t.priority);
    const list: TicketSlasView["policy_metrics"] = [];
    for (const r of metrics.get(t.id) ?? []) {
      const target = targets.find((x) => x.metric === r.metric);
      if (!target || !r.stage) continue;
      list.push({
        breach_at: r.breach_at ? r.breach_at.toISOString() : null,
        stage: stageAt(r, now)!,
        fulfilled_at: r.stage === "achieved" && r.fulfilled_at ? r.fulfilled_at.toISOString() : null,
        metric: target.metric,
        days: Math.floor(target.target / 1440),
        hours: Math.floor((target.target % 1440) / 60),
        minutes: target.target % 60,
      });
    }
    // Soonest breach first, none last (ISO times of one format compare as strings).
    const key = (x: { breach_at: string | null }) => x.breach_at ?? "9999";
    list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.metric < b.metric ? -1 : 1));
    out.set(t.id, { slas: { policy_metrics: list }, sla_policy: { id: p.nice_id, title: titleOf(ctx, p), description: descriptionOf(ctx, p) } });
  }
  return out;
}

/** A metric's stage as the API shows it at `now` (Zendesk's): breached once its breach passed unfulfilled, or when fulfilled after it. */
export function stageAt(r: Pick<repo.MetricRow, "stage" | "breach_at" | "fulfilled_at">, now: Date): SlaStage | null {
  if (!r.stage || !r.breach_at) return r.stage;
  if (r.stage === "achieved") return r.fulfilled_at && r.fulfilled_at.getTime() > r.breach_at.getTime() ? "breached" : "achieved";
  return r.breach_at.getTime() <= now.getTime() ? "breached" : r.stage;
}
