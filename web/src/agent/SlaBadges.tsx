import { useEffect, useState } from "react";
import { slaApi } from "../admin/sla-api.ts";
import { formatDuration, nextBreachText, shownMetrics, slaBadge, type TicketSlaMetric, type TicketSlas } from "../admin/sla.ts";
import { LoadError, useApi } from "../data.tsx";
import type { MessageKey } from "../i18n/en.ts";
import { formatDate, t } from "../i18n/index.ts";
import { KEYS } from "./model.ts";

const METRIC_KEYS: Record<string, MessageKey> = {
  first_reply_time: "sla.metric.first_reply_time",
  next_reply_time: "sla.metric.next_reply_time",
  periodic_update_time: "sla.metric.periodic_update_time",
  requester_wait_time: "sla.metric.requester_wait_time",
  agent_work_time: "sla.metric.agent_work_time",
};
const metricName = (m: string): string => (METRIC_KEYS[m] ? t(METRIC_KEYS[m]) : m);
const unit = (u: "d" | "h" | "m", n: number) => t(`sla.unit.${u}`, { n });

/** A metric's badge as words: "3h 5m left", "Breached · 1d 2h overdue", "Breached · met 5m late", "Paused". */
export function slaTimeText(m: TicketSlaMetric, now: Date): { text: string; overdue: boolean } | null {
  const b = slaBadge(m, now);
  if (!b) return null;
  if (b.kind === "paused") return { text: t("sla.badge.paused"), overdue: false };
  const time = formatDuration(b.minutes, unit);
  if (b.kind === "running") return { text: t("sla.badge.left", { time }), overdue: false };
  const detail = b.kind === "late" ? t("sla.badge.met_late", { time }) : t("sla.badge.overdue", { time });
  return { text: `${t("sla.badge.breached")} · ${detail}`, overdue: true };
}

/** A ticket's next SLA breach as a list's cell says it, in the current language: "in 45m", "1h 30m overdue"; null when no target is running. */
export function nextBreachSaid(slas: TicketSlas | null | undefined, now: Date): { text: string; overdue: boolean; at: string } | null {
  return nextBreachText(slas, now, { unit, left: (time) => t("sla.next.in", { time }), overdue: (time) => t("sla.badge.overdue", { time }) });
}

/** Re-renders every 30 seconds, so the time left moves on without a reload. */
export function useNow(): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), 30_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/**
 * The ticket's SLA targets (`include=slas`): each active metric with the time left, breached ones
 * in red ("Breached", how long overdue, or how late they were met), paused ones marked so; those
 * met in time are not shown. Nothing is
 * shown when no policy applies to the ticket. Reloaded with the ticket (its key is under the
 * ticket's), and every minute while a policy applies.
 */
export function SlaBadges(props: { ticketId: number }) {
  const state = useApi([...KEYS.ticket(props.ticketId), "slas"], (signal) => slaApi.ticketSlas(props.ticketId, signal), { refetchInterval: (d) => (d?.policy ? 60_000 : false) });
  const now = useNow();
  if (state.error) return <LoadError error={state.error} retry={() => void state.reload()} busy={state.loading} />;
  const data = state.data;
  if (!data?.policy) return null;
  const shown = shownMetrics(data.slas);
  return (
    <section className="sla-badges" aria-labelledby="sla-heading">
      <h2 id="sla-heading">{t("sla.badge.heading")}</h2>
      <p className="muted">{t("sla.badge.policy", { title: data.policy.title })}</p>
      {shown.length === 0 ? (
        <p className="muted">{t("sla.badge.none")}</p>
      ) : (
        <ul>
          {shown.map((m) => {
            const time = slaTimeText(m, now);
            const cls = time?.overdue ? "breached" : m.stage === "paused" ? "paused" : "active";
            return (
              <li key={m.metric} className={`sla-metric sla-${cls}`} id={`sla-metric-${m.metric}`}>
                <span className="sla-name">{metricName(m.metric)}</span>{" "}
                <span className={`badge sla-badge sla-${cls}`} title={m.breach_at ? formatDate(m.breach_at) : undefined}>
                  {time?.text ?? "—"}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
