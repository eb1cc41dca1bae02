import type { RuleCondition } from "./rules.ts";

/**
 * Business hours and SLA policies without the browser or the network (BusinessHoursPage.tsx,
 * SlaPoliciesPage.tsx and the workspace's SLA badges draw them, sla-api.ts makes the calls), so
 * they are tested on their own: minutes ↔ "HH:MM", a schedule's workweek (minutes from Sunday
 * 00:00) ↔ the weekly editor's days, the targets table ↔ a policy's `policy_metrics`, and the
 * time left before (or since) a breach.
 */

export type Interval = { start_time: number; end_time: number };
export type Schedule = { id: number; url: string; name: string; time_zone: string; intervals: Interval[]; created_at: string; updated_at: string };
export type Holiday = { id: number; url: string; name: string; start_date: string; end_date: string };

export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type Priority = (typeof PRIORITIES)[number];
export const METRICS = ["first_reply_time", "next_reply_time", "periodic_update_time", "requester_wait_time", "agent_work_time"] as const;
export type Metric = (typeof METRICS)[number];
export type PolicyMetric = { priority: Priority; metric: Metric; target: number; business_hours: boolean };
export type SlaPolicy = {
  id: number;
  url: string;
  title: string;
  description: string | null;
  position: number;
  filter: { all: RuleCondition[]; any: RuleCondition[] };
  policy_metrics: PolicyMetric[];
  created_at: string;
  updated_at: string;
};
export type SlaPolicyInput = { title: string; description: string | null; filter: { all: RuleCondition[]; any: RuleCondition[] }; policy_metrics: PolicyMetric[] };

/** A ticket's SLA as `include=slas` gives it. */
export type TicketSlaMetric = { breach_at: string | null; stage: "active" | "paused" | "achieved" | "breached" | string; fulfilled_at?: string | null; metric: string; hours?: number; minutes?: number; days?: number };
export type TicketSlas = { policy_metrics: TicketSlaMetric[] };

export const DAY = 1440;
export const WEEK = 7 * DAY;
/** The server's limits (the form says them before the server must). */
export const MAX_TARGET = 525_600;
export const MAX_INTERVALS = 64;

const pad = (n: number) => String(n).padStart(2, "0");

/** Minutes from midnight as "HH:MM" (1440, the end of a day, is "00:00", as a time box shows midnight). */
export function minutesToHHMM(minutes: number): string {
  const m = ((Math.round(minutes) % DAY) + DAY) % DAY;
  return `${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

/** "HH:MM" (or "H:MM", with optional seconds as a time box may add) as minutes from midnight; null when it is not a time of day. */
export function hhmmToMinutes(text: string): number | null {
  const m = /^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/.exec(text.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return null;
  return h * 60 + min;
}

/** One range of a day in the editor, as the time boxes hold it. */
export type Range = { start: string; end: string };
/** The week in the editor: Sunday first (as the API counts), each day its ranges (none: closed). */
export type Week = Range[][];

/**
 * A workweek as the editor's seven days. An interval that runs past midnight is split at it; a
 * range that ends at midnight shows its end as "00:00".
 */
export function intervalsToWeek(intervals: readonly Interval[]): Week {
  const week: Week = [[], [], [], [], [], [], []];
  const sorted = [...intervals].sort((a, b) => a.start_time - b.start_time);
  for (const iv of sorted) {
    let start = Math.max(0, iv.start_time);
    const end = Math.min(WEEK, iv.end_time);
    while (start < end) {
      const day = Math.floor(start / DAY);
      const dayEnd = Math.min(end, (day + 1) * DAY);
      week[day]!.push({ start: minutesToHHMM(start - day * DAY), end: minutesToHHMM(dayEnd - day * DAY) });
      start = dayEnd;
    }
  }
  return week;
}

/** Why a day's range cannot be sent (the key of the catalog's message), by `day-index`. */
export type WeekErrors = Record<string, "sla.hours.badTime" | "sla.hours.endBeforeStart" | "sla.hours.overlap">;

/**
 * The editor's days as the API's intervals (minutes from Sunday 00:00, in order), or the errors
 * by range (`"1-0"`: Monday's first range). An end of "00:00" is the day's end (midnight).
 */
export function weekToIntervals(week: Week): { intervals: Interval[]; errors: WeekErrors } {
  const intervals: Interval[] = [];
  const errors: WeekErrors = {};
  week.forEach((ranges, day) => {
    const mine: Array<Interval & { key: string }> = [];
    ranges.forEach((r, i) => {
      const key = `${day}-${i}`;
      const s = hhmmToMinutes(r.start);
      const e0 = hhmmToMinutes(r.end);
      if (s === null || e0 === null) {
        errors[key] = "sla.hours.badTime";
        return;
      }
      const e = e0 === 0 ? DAY : e0;
      if (e <= s) {
        errors[key] = "sla.hours.endBeforeStart";
        return;
      }
      mine.push({ start_time: day * DAY + s, end_time: day * DAY + e, key });
    });
    mine.sort((a, b) => a.start_time - b.start_time);
    for (let i = 1; i < mine.length; i++) if (mine[i]!.start_time < mine[i - 1]!.end_time) errors[mine[i]!.key] = "sla.hours.overlap";
    for (const { start_time, end_time } of mine) intervals.push({ start_time, end_time });
  });
  return { intervals, errors };
}

/** Hours of business in a week (for the list: "40 hours a week"). */
export const weeklyMinutes = (intervals: readonly Interval[]): number => intervals.reduce((sum, iv) => sum + Math.max(0, iv.end_time - iv.start_time), 0);

/** One cell of the targets table, as its boxes hold it (both empty: no target). */
export type Cell = { hours: string; minutes: string; business: boolean };
export type Targets = Record<Priority, Record<Metric, Cell>>;
export const cellKey = (priority: Priority, metric: Metric) => `${priority}-${metric}`;

export function emptyTargets(): Targets {
  const out = {} as Targets;
  for (const p of PRIORITIES) {
    out[p] = {} as Record<Metric, Cell>;
    for (const m of METRICS) out[p][m] = { hours: "", minutes: "", business: true };
  }
  return out;
}

/** A policy's rows as the table (a target in minutes as hours and minutes; business hours as they are). */
export function metricsToTargets(rows: readonly PolicyMetric[]): Targets {
  const out = emptyTargets();
  for (const r of rows) {
    if (!(PRIORITIES as readonly string[]).includes(r.priority) || !(METRICS as readonly string[]).includes(r.metric)) continue;
    out[r.priority][r.metric] = { hours: String(Math.floor(r.target / 60)), minutes: String(r.target % 60), business: r.business_hours };
  }
  return out;
}

/** Why a cell cannot be sent (the key of the catalog's message), by `cellKey`. */
export type TargetErrors = Record<string, "sla.targets.notNumber" | "sla.targets.zero" | "sla.targets.tooLong">;

/** The table as `policy_metrics` (filled cells only, priorities then metrics in order), or errors by cell. */
export function targetsToMetrics(targets: Targets): { metrics: PolicyMetric[]; errors: TargetErrors } {
  const metrics: PolicyMetric[] = [];
  const errors: TargetErrors = {};
  for (const priority of PRIORITIES)
    for (const metric of METRICS) {
      const c = targets[priority][metric];
      const h = c.hours.trim();
      const m = c.minutes.trim();
      if (h === "" && m === "") continue;
      const key = cellKey(priority, metric);
      if ((h !== "" && !/^\d+$/.test(h)) || (m !== "" && !/^\d+$/.test(m))) {
        errors[key] = "sla.targets.notNumber";
        continue;
      }
      const target = Number(h || 0) * 60 + Number(m || 0);
      if (target < 1) errors[key] = "sla.targets.zero";
      else if (target > MAX_TARGET) errors[key] = "sla.targets.tooLong";
      else metrics.push({ priority, metric, target, business_hours: c.business });
    }
  return { metrics, errors };
}

/** The server's message about a cell: `policy_metrics[3]` of the rows sent → that row's cell key. */
export function metricRowErrors(details: Record<string, ReadonlyArray<{ description?: string | undefined }>> | undefined, sent: readonly PolicyMetric[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [place, list] of Object.entries(details ?? {})) {
    const m = /^(?:sla_policy\.)?policy_metrics\[(\d+)\]/.exec(place);
    const text = list[0]?.description;
    const row = m ? sent[Number(m[1])] : undefined;
    if (!row || !text) continue;
    const rest = text.replace(/^[\w.[\]]+: /, "");
    out[cellKey(row.priority, row.metric)] ??= rest.charAt(0).toUpperCase() + rest.slice(1);
  }
  return out;
}

/** Whole days, hours and minutes of a number of minutes (rounded down to the minute). */
export function durationParts(minutes: number): { days: number; hours: number; minutes: number } {
  const m = Math.max(0, Math.floor(minutes));
  return { days: Math.floor(m / DAY), hours: Math.floor((m % DAY) / 60), minutes: m % 60 };
}

/**
 * The time before a breach (`overdue` false) or since it (true), in whole minutes: a breach less
 * than a minute away is "0 minutes left"; one that passed less than a minute ago already overdue.
 */
export function timeLeft(breachAt: string, now: Date): { overdue: boolean; minutes: number } | null {
  const at = Date.parse(breachAt);
  if (Number.isNaN(at)) return null;
  const ms = at - now.getTime();
  return ms > 0 ? { overdue: false, minutes: Math.floor(ms / 60_000) } : { overdue: true, minutes: Math.floor(Math.abs(ms) / 60_000) };
}

/** A duration in the two largest units it has ("2d 3h", "3h 5m", "45m"), with `unit` naming each in the current language. */
export function formatDuration(minutes: number, unit: (u: "d" | "h" | "m", n: number) => string): string {
  const p = durationParts(minutes);
  const parts: string[] = [];
  if (p.days) parts.push(unit("d", p.days));
  if (p.hours || (p.days && parts.length < 2)) parts.push(unit("h", p.hours));
  if (!p.days) parts.push(unit("m", p.minutes));
  return parts.slice(0, 2).join(" ");
}

/** The badges a ticket shows: its active, paused and breached metrics (those met in time omitted), the soonest breach first (overdue ones first), paused after, met late last. */
export function shownMetrics(slas: TicketSlas | null | undefined): TicketSlaMetric[] {
  const list = (slas?.policy_metrics ?? []).filter((m) => m.stage === "active" || m.stage === "paused" || m.stage === "breached");
  // Running ones by breach (overdue first), then paused, then those met late.
  const at = (m: TicketSlaMetric) => (m.fulfilled_at ? 2e15 : m.stage === "paused" && !m.breach_at ? 1e15 : m.breach_at ? Date.parse(m.breach_at) : 1e15);
  return [...list].sort((a, b) => at(a) - at(b));
}

/**
 * What a shown metric's badge says at `now`: `running`, minutes left; `breached`, minutes overdue
 * (still unmet); `late`, met that many minutes after its breach; `paused`.
 */
export type SlaBadge = { kind: "running" | "breached" | "late" | "paused"; minutes: number };
export function slaBadge(m: TicketSlaMetric, now: Date): SlaBadge | null {
  if (m.stage === "breached" && m.fulfilled_at && m.breach_at) {
    const late = Date.parse(m.fulfilled_at) - Date.parse(m.breach_at);
    return Number.isNaN(late) ? null : { kind: "late", minutes: Math.max(0, Math.floor(late / 60_000)) };
  }
  if (m.stage === "paused" && !m.breach_at) return { kind: "paused", minutes: 0 };
  if (!m.breach_at) return null;
  const left = timeLeft(m.breach_at, now);
  if (!left) return null;
  return left.overdue || m.stage === "breached" || m.stage === "paused" ? { kind: "breached", minutes: left.overdue ? left.minutes : 0 } : { kind: "running", minutes: left.minutes };
}

/**
 * A ticket's next SLA breach as a list shows it: its soonest unmet target (running, or overdue and
 * still unmet), as minutes left or overdue at `now`; null when none (no policy, all met or paused).
 * Overdue ones come first, as their breach is the earliest (the order of `sla_next_breach_at`).
 */
export function nextBreach(slas: TicketSlas | null | undefined, now: Date): { kind: "running" | "breached"; minutes: number; breachAt: string } | null {
  for (const m of shownMetrics(slas)) {
    // Met (in time or late) or paused (the server shows a paused one past its breach as breached): no clock running.
    if (m.fulfilled_at || m.stage === "paused") continue;
    const b = slaBadge(m, now);
    if (b && m.breach_at && (b.kind === "running" || b.kind === "breached")) return { kind: b.kind, minutes: b.minutes, breachAt: m.breach_at };
  }
  return null;
}

/** How a list says a next breach: `unit` names a unit ("45m"), `left` the time left ("in 45m"), `overdue` the time since ("1h 30m overdue"). */
export type BreachWords = { unit: (u: "d" | "h" | "m", n: number) => string; left: (time: string) => string; overdue: (time: string) => string };

/** A ticket's next breach as a list's cell says it ("in 45m", "1h 30m overdue"), with its time; null when no target is running. */
export function nextBreachText(slas: TicketSlas | null | undefined, now: Date, words: BreachWords): { text: string; overdue: boolean; at: string } | null {
  const b = nextBreach(slas, now);
  if (!b) return null;
  const time = formatDuration(b.minutes, words.unit);
  return b.kind === "running" ? { text: words.left(time), overdue: false, at: b.breachAt } : { text: words.overdue(time), overdue: true, at: b.breachAt };
}

/** Every time zone the browser knows (IANA names), `current` first if the browser does not list it. */
export function timeZones(current?: string): string[] {
  const supported = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf;
  const list = supported ? supported("timeZone") : ["UTC"];
  const all = list.includes("UTC") ? list : ["UTC", ...list];
  return current && !all.includes(current) ? [current, ...all] : all;
}

/** Server messages: `details` of a 422, by the place each names. */
export type Details = Record<string, ReadonlyArray<{ description?: string | undefined }>> | undefined;
const PREFIX = /^(?:schedule|holiday|workweek|sla_policy)\./;
/** A message without the place it starts with (`name: is too long` → "Is too long"). */
function bare(place: string, text: string): string {
  const rest = text.startsWith(`${place}: `) ? text.slice(place.length + 2) : text.replace(/^[\w.[\]]+: /, "");
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

/** The server's first message about `name` (`name`, `schedule.name`, `holiday.start_date`…), if any. */
export function detailFor(details: Details, name: string): string | undefined {
  for (const [place, list] of Object.entries(details ?? {})) {
    const p = place.replace(PREFIX, "");
    if (p !== name && !p.startsWith(`${name}.`) && !p.startsWith(`${name}[`)) continue;
    const text = list[0]?.description;
    if (text) return bare(place, text);
  }
  return undefined;
}

/** The server's messages about single intervals of a workweek sent (`workweek.intervals[3]` → 3). */
export function intervalErrors(details: Details): Record<number, string> {
  const out: Record<number, string> = {};
  for (const [place, list] of Object.entries(details ?? {})) {
    const m = /^(?:workweek\.)?intervals\[(\d+)\]/.exec(place);
    const text = list[0]?.description;
    if (m && text) out[Number(m[1])] ??= bare(place, text);
  }
  return out;
}

/** Which day and range of the editor the `index`th interval sent came from (the order weekToIntervals sends them in). */
export function rangeOfInterval(week: Week, index: number): string | undefined {
  const { intervals } = weekToIntervals(week);
  const iv = intervals[index];
  if (!iv) return undefined;
  const day = Math.floor(iv.start_time / DAY);
  const start = minutesToHHMM(iv.start_time - day * DAY);
  const i = week[day]?.findIndex((r) => hhmmToMinutes(r.start) !== null && minutesToHHMM(hhmmToMinutes(r.start)!) === start);
  return i === undefined || i < 0 ? undefined : `${day}-${i}`;
}

/** The title of an SLA policy as a ticket event names it (`{"id","title"}`, as it was when applied: the ticket's history); anything else: undefined. */
export function slaPolicyTitle(v: unknown): string | undefined {
  return typeof v === "object" && v !== null && "title" in v && typeof v.title === "string" ? v.title : undefined;
}
