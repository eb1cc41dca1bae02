/**
 * Calendar arithmetic on business hours: "8 business hours after Friday 16:00 in Stockholm".
 *
 * Written by hand on Luxon's time-zone conversions (docs/architecture.md, "Written by hand"): the
 * libraries for business time we found either keep no IANA time zones, or count holidays only as
 * whole weeks' exceptions. What is here is small and pure:
 *  - a schedule is a week of intervals in minutes from Sunday 00:00 local (Zendesk's shape) and
 *    holidays as whole local dates;
 *  - business minutes are wall-clock minutes in the schedule's zone: 09:00–17:00 is 480 minutes every
 *    day, on the nights the clocks change too;
 *  - the arithmetic runs on "wall" milliseconds (the local date and time read as if it were UTC), so a
 *    week is always 7 × 1440 minutes; only the two ends are converted through the zone;
 *  - a week without a holiday is skipped whole, so a year's target costs ~52 steps, and the search stops
 *    at a horizon of twenty years (answering null: "not reached").
 */
import { DateTime, IANAZone } from "luxon";

export interface Interval { start_time: number; end_time: number }
export interface Holiday { start_date: string; end_date: string }
export interface Schedule { time_zone: string; intervals: readonly Interval[]; holidays: readonly Holiday[] }
/** What a target counts: a schedule's business hours, or every minute. */
export type Clock = Schedule | "calendar";

export const MINUTES_A_WEEK = 7 * 24 * 60;
export const MAX_INTERVALS = 64;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WEEK = 7 * DAY;
/** Weeks searched before a target is called unreachable (a schedule of one hour a week, say). */
const HORIZON_WEEKS = 20 * 53;

/** An IANA zone name, as the zone database spells it (`Europe/Stockholm`, `UTC`). */
export function isValidTimeZone(name: string): boolean {
  if (typeof name !== "string" || name.length === 0 || name.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return false;
  if (!IANAZone.isValidZone(name)) return false;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone === name;
  } catch {
    return false;
  }
}

/** A workweek sorted, with touching intervals joined; or why it is refused. */
export function normalizeIntervals(list: readonly Interval[]): Interval[] | string {
  if (list.length > MAX_INTERVALS) return `at most ${MAX_INTERVALS} intervals`;
  for (const i of list) {
    if (!Number.isInteger(i.start_time) || !Number.isInteger(i.end_time) || i.start_time < 0 || i.end_time > MINUTES_A_WEEK || i.start_time >= i.end_time) {
      return `each interval is whole minutes from Sunday 00:00 with 0 <= start_time < end_time <= ${MINUTES_A_WEEK}`;
    }
  }
  const sorted = [...list].sort((a, b) => a.start_time - b.start_time);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start_time < last.end_time) return "intervals overlap";
    if (last && i.start_time === last.end_time) last.end_time = i.end_time;
    else out.push({ start_time: i.start_time, end_time: i.end_time });
  }
  return out;
}

/** "YYYY-MM-DD" naming a real date. */
export function isValidDate(s: string): boolean {
  if (typeof s !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s;
}

function toWall(at: Date, zone: string): number {
  const d = DateTime.fromJSDate(at, { zone });
  return Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second, d.millisecond);
}

function fromWall(wall: number, zone: string): Date {
  const w = new Date(wall);
  const d = DateTime.fromObject(
    { year: w.getUTCFullYear(), month: w.getUTCMonth() + 1, day: w.getUTCDate(), hour: w.getUTCHours(), minute: w.getUTCMinutes(), second: w.getUTCSeconds(), millisecond: w.getUTCMilliseconds() },
    { zone },
  );
  return d.toJSDate();
}

/** Wall milliseconds of the Sunday 00:00 on or before `wall`. */
function weekStart(wall: number): number {
  const day = Math.floor(wall / DAY) * DAY;
  return day - new Date(day).getUTCDay() * DAY;
}

interface Plan { intervals: Interval[]; weekly: number; holidays: Array<[number, number]> }

function plan(s: Schedule): Plan {
  const norm = normalizeIntervals(s.intervals);
  const intervals = typeof norm === "string" ? [] : norm;
  const weekly = intervals.reduce((n, i) => n + (i.end_time - i.start_time) * MINUTE, 0);
  const ranges = s.holidays
    .filter((h) => isValidDate(h.start_date) && isValidDate(h.end_date) && h.end_date >= h.start_date)
    .map((h): [number, number] => [Date.parse(`${h.start_date}T00:00:00Z`), Date.parse(`${h.end_date}T00:00:00Z`) + DAY])
    .sort((a, b) => a[0] - b[0]);
  const holidays: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = holidays[holidays.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else holidays.push([r[0], r[1]]);
  }
  return { intervals, weekly, holidays };
}

/** The week's business stretches in wall milliseconds, holidays taken out, in order (one sweep: intervals and holidays are both sorted, the holidays merged). */
function stretches(p: Plan, week: number, from = 0): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const hs = p.holidays;
  let k = from;
  for (const i of p.intervals) {
    let a = week + i.start_time * MINUTE;
    const b = week + i.end_time * MINUTE;
    while (k < hs.length && hs[k]![1] <= a) k++;
    for (let j = k; a < b; j++) {
      const h = hs[j];
      if (!h || h[0] >= b) {
        out.push([a, b]);
        break;
      }
      if (h[0] > a) out.push([a, h[0]]);
      a = Math.max(a, h[1]);
    }
  }
  return out;
}

/** The index of the first holiday ending after `week` starts, searched from `from` (weeks are visited in order). */
function firstHoliday(p: Plan, week: number, from: number): number {
  let k = from;
  while (k < p.holidays.length && p.holidays[k]![1] <= week) k++;
  return k;
}

function holidayIn(p: Plan, week: number, k: number): boolean {
  const h = p.holidays[k];
  return h !== undefined && h[0] < week + WEEK;
}

/** The instant `minutes` business minutes after `from`; null when not reached within the horizon. */
export function addBusinessMinutes(clock: Clock, from: Date, minutes: number): Date | null {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError("minutes must be a finite number >= 0");
  if (clock === "calendar") return new Date(from.getTime() + minutes * MINUTE);
  if (minutes === 0) return new Date(from.getTime());
  const p = plan(clock);
  if (p.weekly === 0) return null;
  const zone = clock.time_zone;
  const start = toWall(from, zone);
  let remaining = minutes * MINUTE;
  let week = weekStart(start);
  let k = 0;
  for (let n = 0; n < HORIZON_WEEKS; n++, week += WEEK) {
    k = firstHoliday(p, week, k);
    if (week >= start && remaining > p.weekly && !holidayIn(p, week, k)) {
      remaining -= p.weekly;
      continue;
    }
    for (const [a0, b] of stretches(p, week, k)) {
      const a = Math.max(a0, start);
      if (a >= b) continue;
      if (remaining <= b - a) return fromWall(a + remaining, zone);
      remaining -= b - a;
    }
  }
  return null;
}

/** Business minutes (fractional) from `from` to `to`; 0 when `to` is not after `from`. */
export function businessMinutesBetween(clock: Clock, from: Date, to: Date): number {
  if (to.getTime() <= from.getTime()) return 0;
  if (clock === "calendar") return (to.getTime() - from.getTime()) / MINUTE;
  const p = plan(clock);
  if (p.weekly === 0) return 0;
  const zone = clock.time_zone;
  const start = toWall(from, zone);
  const end = toWall(to, zone);
  let total = 0;
  let k = 0;
  for (let week = weekStart(start); week < end; week += WEEK) {
    k = firstHoliday(p, week, k);
    if (week >= start && week + WEEK <= end && !holidayIn(p, week, k)) {
      total += p.weekly;
      continue;
    }
    for (const [a, b] of stretches(p, week, k)) {
      const lo = Math.max(a, start);
      const hi = Math.min(b, end);
      if (hi > lo) total += hi - lo;
    }
  }
  return total / MINUTE;
}

/** Whether `at` falls in the schedule's business hours (always, for the calendar). */
export function isBusinessTime(clock: Clock, at: Date): boolean {
  if (clock === "calendar") return true;
  const p = plan(clock);
  const wall = toWall(at, clock.time_zone);
  return stretches(p, weekStart(wall), firstHoliday(p, weekStart(wall), 0)).some(([a, b]) => wall >= a && wall < b);
}

/** Zendesk's default workweek for a new schedule: Monday to Friday, 09:00–17:00. */
export const DEFAULT_INTERVALS: readonly Interval[] = [1, 2, 3, 4, 5].map((d) => ({ start_time: d * 1440 + 9 * 60, end_time: d * 1440 + 17 * 60 }));
