import type { RequestContext } from "../../platform/context.ts";
import { recordSystemEvents, SYSTEM_WRITER, type ConversationEvent } from "../tickets/conversation.ts";
import { ticketForRules } from "../tickets/rule-write.ts";
import { matchesCompiled, type RuleUpdate } from "../triggers/rules-conditions.ts";
import { addBusinessMinutes, businessMinutesBetween, type Clock } from "./business-time.ts";
import { loadDefaultClock } from "./schedules-service.ts";
import { stageAt } from "./sla-present.ts";
import * as repo from "./sla-repo.ts";
import { policiesToApply, titleOf } from "./sla-service.ts";
import { SLA_METRICS, type PolicyMetricView, type SlaMetric } from "./sla-types.ts";

/**
 * Applying SLA policies to tickets, on `conversation.written` after the triggers (registered after
 * them: a trigger's write is told first, as a nested event, and then the write that started it),
 * in the transaction of the write, on every channel. The ticket is read as the write left it; the
 * first policy by position whose filter matches is applied; its rows for the ticket's priority
 * give the targets (a ticket without a priority gets the policy and no targets).
 *
 * The metric state is kept whatever the targets (so that a change of priority or policy
 * recomputes the targets from the same starting points): five rows a ticket, of clear times only.
 *  - Reply metrics (first reply, next reply, periodic update): the current stretch's start
 *    (`activated_at`) and end (`fulfilled_at`); the breach is the start plus the target.
 *  - Cumulative metrics (requester wait, agent work): the minutes of the stretches so far
 *    (calendar, and on the account's default schedule) and the running stretch's start; the
 *    breach is the running start plus what is left of the target; paused: no breach.
 * A comment moves the reply metrics (the event's comment, read once: its author and visibility);
 * the ticket's status moves the cumulative ones, compared with what they last saw (so a nested
 * event seen first, or the same state told twice, changes nothing).
 */

export type State = Map<SlaMetric, repo.MetricRow>;
const CUMULATIVE: ReadonlySet<SlaMetric> = new Set(["requester_wait_time", "agent_work_time"]);
const REPLY: readonly SlaMetric[] = ["first_reply_time", "next_reply_time", "periodic_update_time"];
const SOLVED = new Set(["solved", "closed"]);
/** Whether a cumulative metric runs in a status (Zendesk: requester wait pauses in pending; agent work in pending and on-hold). */
const runsIn = (m: SlaMetric, status: string) => (m === "requester_wait_time" ? ["new", "open", "hold"] : ["new", "open"]).includes(status);
const MINUTE = 60_000;

export const blank = (metric: SlaMetric): repo.MetricRow => ({ metric, activated_at: null, fulfilled_at: null, running_since: null, elapsed_minutes: 0, elapsed_business_minutes: 0, breach_at: null, stage: null });

/** The `conversation.written` listener. */
export function applySlaPolicies() {
  return (ctx: RequestContext, e: ConversationEvent) => applySlaFor(ctx, e);
}

export async function applySlaFor(ctx: RequestContext, e: ConversationEvent): Promise<void> {
  if (e.kind !== "ticket.created" && e.kind !== "ticket.changed") return;
  // Opened once per process and row version (sla-service.ts): a write reads the ids and versions, not 1 MB of sealed filters.
  const policies = await policiesToApply(ctx);
  const sla = await repo.ticketSla(ctx.tx, e.ticketId);
  if (!sla) return;
  if (policies.length === 0) {
    if (sla.sla_policy_id !== null || sla.sla_next_breach_at !== null) await repo.setTicketSla(ctx.tx, e.ticketId, null, null);
    await policyEvent(ctx, e.ticketId, sla.sla_policy_id, null);
    return;
  }
  const t = await ticketForRules(ctx, e.ticketNiceId);
  if (!t) return;
  // The filter reads the ticket as it is (the rules' conditions without the update's): its own channel.
  const u: RuleUpdate = { create: false, channel: t.row.via, by: SYSTEM_WRITER, previous: undefined, comment: undefined, hasWord: () => false };
  const matching = (from: number) => policies.slice(from).find((p) => matchesCompiled(p.compiled, t.state, u));
  let policy = matching(0);
  // The policy applied is key-share locked until the write ends: one deleted meanwhile is passed over (the next match applies), never written to the ticket.
  while (policy && !(await repo.keepPolicy(ctx.tx, policy.id))) policy = matching(policies.indexOf(policy) + 1);
  const rows = await repo.metricRows(ctx.tx, t.row.id);
  if (!policy && rows.length === 0) {
    if (sla.sla_policy_id !== null || sla.sla_next_breach_at !== null) await repo.setTicketSla(ctx.tx, t.row.id, null, null);
    await policyEvent(ctx, t.row.id, sla.sla_policy_id, null);
    return;
  }
  // As read, before the state below changes the rows: only the rows that change are written back.
  const stored = new Map(rows.map((r) => [r.metric, { ...r }]));
  const now = ctx.now();
  const clock = await loadDefaultClock(ctx);
  const status = t.row.status;
  // The breaches automations could read just before this write are kept (0069) before the write
  // moves the rows on (a new next reply or periodic update stretch replaces the one that breached).
  const before = rows.length ? lastBreachBefore(rows, policies, sla.sla_policy_id, e.kind === "ticket.changed" ? e.previous.priority : t.row.priority, now, clock) : null;
  let state: State;
  if (rows.length === 0) {
    // First applied: the replies so far are read from the comments (the event's comment among them).
    state = fromHistory(t.row.created_at, status, sla.status_updated_at, await repo.commentsOf(ctx.tx, t.row.id));
  } else {
    state = new Map(SLA_METRICS.map((m) => [m, rows.find((r) => r.metric === m) ?? blank(m)]));
    const c = e.commentId && e.text.comment?.public ? await repo.commentAuthor(ctx.tx, e.commentId) : undefined;
    if (c?.public) onComment(state, c.staff, c.created_at);
  }
  onStatus(state, status, now, clock);
  const targets = policy && t.row.priority ? policy.metrics.filter((m) => m.priority === t.row.priority) : [];
  const next = computeTargets(state, targets, clock);
  const changed = [...state.values()].filter((r) => !sameRow(r, stored.get(r.metric)));
  if (changed.length) await repo.saveMetricRows(ctx.tx, t.row.id, changed);
  const policyId = policy?.id ?? null;
  const breach = policy ? next : null;
  const last = before && (!sla.sla_last_breach_at || before.getTime() > sla.sla_last_breach_at.getTime()) ? before : undefined;
  if (last || sla.sla_policy_id !== policyId || time(sla.sla_next_breach_at) !== time(breach)) await repo.setTicketSla(ctx.tx, t.row.id, policyId, breach, last);
  await policyEvent(ctx, t.row.id, sla.sla_policy_id, policyId);
}

/**
 * The ticket's events (its audits) tell when a policy is applied, replaced or taken off by a write
 * (Zendesk's events show the SLA policy applied): a Change of `sla_policy` from and to the policy's
 * id and title as they were then (`null`: none), in an audit of its own by nobody (channel `rule`).
 * Nothing when the policy stays; a policy deleted takes itself off its tickets without an event.
 */
async function policyEvent(ctx: RequestContext, ticketId: string, from: string | null, to: string | null): Promise<void> {
  if (from === to) return;
  const shown = new Map((await repo.policiesShown(ctx.tx, [from, to].filter((x): x is string => x !== null))).map((p) => [p.id, { id: p.nice_id, title: titleOf(ctx, p) }]));
  const view = (id: string | null) => (id ? (shown.get(id) ?? null) : null);
  await recordSystemEvents(ctx, ticketId, [{ id: 0, type: "Change", field_name: "sla_policy", value: view(to), previous_value: view(from) }]);
}

/**
 * The latest breach passed by `now` among the stored rows under the targets in force before the
 * write: the ticket's policy as it is now (a target removed from it counts no more) at the
 * priority the ticket had. What automations read as the ticket's last breach just before the write
 * (tickets-repo.ts slaBreaches); null for none.
 */
function lastBreachBefore(rows: readonly repo.MetricRow[], policies: ReadonlyArray<{ id: string; metrics: readonly PolicyMetricView[] }>, policyId: string | null, priority: string | null, now: Date, clock: Clock): Date | null {
  const policy = policyId ? policies.find((p) => p.id === policyId) : undefined;
  if (!policy || !priority) return null;
  const targets = policy.metrics.filter((m) => m.priority === priority);
  const s: State = new Map(SLA_METRICS.map((m) => [m, { ...(rows.find((r) => r.metric === m) ?? blank(m)) }]));
  computeTargets(s, targets, clock);
  let last: Date | null = null;
  for (const r of s.values()) if (r.breach_at && stageAt(r, now) === "breached" && r.breach_at.getTime() <= now.getTime() && (!last || r.breach_at > last)) last = r.breach_at;
  return last;
}

const time = (d: Date | null) => (d ? d.getTime() : null);

/** Whether a metric row holds what was stored (none stored: it is new). */
function sameRow(r: repo.MetricRow, s: repo.MetricRow | undefined): boolean {
  return (
    s !== undefined &&
    time(r.activated_at) === time(s.activated_at) &&
    time(r.fulfilled_at) === time(s.fulfilled_at) &&
    time(r.running_since) === time(s.running_since) &&
    time(r.breach_at) === time(s.breach_at) &&
    r.elapsed_minutes === s.elapsed_minutes &&
    r.elapsed_business_minutes === s.elapsed_business_minutes &&
    r.stage === s.stage
  );
}

/** A public comment: staff fulfils the first and next reply and starts a periodic update; an end user starts a next reply unless one is waiting. */
function onComment(s: State, staff: boolean, at: Date): void {
  const frt = s.get("first_reply_time")!;
  const nrt = s.get("next_reply_time")!;
  const put = s.get("periodic_update_time")!;
  if (staff) {
    if (frt.activated_at && !frt.fulfilled_at) frt.fulfilled_at = at;
    if (nrt.activated_at && !nrt.fulfilled_at) nrt.fulfilled_at = at;
    put.activated_at = at;
    put.fulfilled_at = null;
  } else if (!nrt.activated_at || nrt.fulfilled_at) {
    nrt.activated_at = at;
    nrt.fulfilled_at = null;
  }
}

/** The ticket's status now: solved or closed fulfils everything; the cumulative metrics run or pause with it, and continue after a reopen. */
export function onStatus(s: State, status: string, now: Date, clock: Clock): void {
  const solved = SOLVED.has(status);
  for (const m of REPLY) {
    const r = s.get(m)!;
    if (solved && r.activated_at && !r.fulfilled_at) r.fulfilled_at = now;
  }
  for (const m of CUMULATIVE) {
    const r = s.get(m)!;
    r.activated_at ??= now;
    const runs = !solved && runsIn(m, status);
    if (r.running_since && !runs) {
      r.elapsed_minutes += Math.max(0, now.getTime() - r.running_since.getTime()) / MINUTE;
      r.elapsed_business_minutes += businessMinutesBetween(clock, r.running_since, now);
      r.running_since = null;
    } else if (!r.running_since && runs) {
      r.running_since = now;
    }
    if (solved) r.fulfilled_at ??= now;
    else r.fulfilled_at = null;
  }
}

/**
 * The state of a ticket a policy applies to for the first time, from its comments: the first
 * reply from creation to the first public staff comment (not activated when staff created the
 * ticket with a public comment), the next reply's last stretch, the periodic update from the last
 * public staff comment; the cumulative metrics from the start of the current status (earlier
 * stretches are not known in clear: counted from there).
 */
function fromHistory(created: Date, status: string, statusSince: Date, comments: ReadonlyArray<{ created_at: Date; public: boolean; staff: boolean }>): State {
  const s: State = new Map(SLA_METRICS.map((m) => [m, blank(m)]));
  const first = comments[0];
  const staffCreated = first !== undefined && first.public && first.staff;
  if (!staffCreated) {
    s.get("first_reply_time")!.activated_at = created;
    s.get("next_reply_time")!.activated_at = created;
  }
  for (const c of comments) if (c.public && !(staffCreated && c === first)) onComment(s, c.staff, c.created_at);
  if (staffCreated) s.get("periodic_update_time")!.activated_at = first.created_at;
  const since = statusSince.getTime() > created.getTime() ? statusSince : created;
  for (const m of CUMULATIVE) {
    const r = s.get(m)!;
    r.activated_at = created;
    if (runsIn(m, status) && !SOLVED.has(status)) r.running_since = since;
  }
  // Solved or closed: fulfilled when it was solved.
  if (SOLVED.has(status)) for (const r of s.values()) if (r.activated_at && !r.fulfilled_at) r.fulfilled_at = since;
  return s;
}

/**
 * Each metric's stage and breach under the targets (none: no stage); returns the earliest breach of
 * an active metric (past or future: views order by it, overdue first). A met target keeps its
 * breach, when it was due: a reply metric's from its start; a cumulative one's as computed while it
 * last ran. Stored stages are active, paused and achieved; "breached" is read from them with the
 * time (sla-present.ts stageAt): an active or paused metric past its breach, an achieved one fulfilled after it.
 * A cumulative metric paused past its target keeps the breach it had (none known: none); one met
 * keeps it unless the target changed since so that it says otherwise (then read from when it was met).
 */
export function computeTargets(s: State, targets: readonly PolicyMetricView[], clock: Clock): Date | null {
  const frt = s.get("first_reply_time")!;
  const hasFirstReply = targets.some((x) => x.metric === "first_reply_time");
  let next: Date | null = null;
  for (const [m, r] of s) {
    const target = targets.find((x) => x.metric === m);
    const before = r.breach_at;
    r.breach_at = null;
    r.stage = null;
    if (!target || !r.activated_at) continue;
    // With a first reply target, the next reply counts after the first reply only.
    if (m === "next_reply_time" && hasFirstReply && frt.activated_at && (!frt.fulfilled_at || r.activated_at.getTime() < frt.fulfilled_at.getTime())) continue;
    const on: Clock = target.business_hours ? clock : "calendar";
    if (CUMULATIVE.has(m)) {
      const left = target.target - (target.business_hours ? r.elapsed_business_minutes : r.elapsed_minutes);
      if (!r.running_since) {
        // Stopped (fulfilled or paused): the breach it had while running, when met or passed.
        r.breach_at = r.fulfilled_at || left <= 0 ? before : null;
        // Met, under a target changed since (priority or policy): a kept breach that says otherwise
        // (met late while within this target, or in time while past it) is read from the stop instead.
        if (r.fulfilled_at && (r.breach_at !== null && r.breach_at.getTime() < r.fulfilled_at.getTime()) !== left < 0) {
          r.breach_at = left > 0 ? addBusinessMinutes(on, r.fulfilled_at, left) : new Date(r.fulfilled_at.getTime() + left * MINUTE);
        }
        r.stage = r.fulfilled_at ? "achieved" : "paused";
        continue;
      }
      r.breach_at = left > 0 ? addBusinessMinutes(on, r.running_since, left) : new Date(r.running_since.getTime() + left * MINUTE);
    } else {
      r.breach_at = addBusinessMinutes(on, r.activated_at, target.target);
    }
    if (r.fulfilled_at) {
      r.stage = "achieved";
      continue;
    }
    r.stage = "active";
    if (r.breach_at && (!next || r.breach_at < next)) next = r.breach_at;
  }
  return next;
}

