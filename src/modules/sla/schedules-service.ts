import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";
import { isValidTimeZone, normalizeIntervals, type Clock, type Holiday, type Interval } from "./business-time.ts";
import * as repo from "./schedules-repo.ts";
import type { HolidayInput, HolidayView, ScheduleInput, ScheduleView, WorkweekInput } from "./schedules-types.ts";

/**
 * Business hours (Zendesk's schedules): the account's schedules, each a time zone, a working week
 * of intervals and holidays (whole local days off). Every staff member reads them (agents see the
 * SLA badges they drive); owners and admins write them. Names are sealed at rest; every write is
 * audited by ids only. The account's default schedule is the one with the lowest id
 * (`loadDefaultClock`, which the SLA policies count business time on).
 */

/** Most schedules an account keeps (Zendesk's plans allow up to 100). */
export const MAX_SCHEDULES = 100;
/** Most holidays a schedule keeps. */
export const MAX_HOLIDAYS = 400;
/** Most intervals a working week holds (after merging: what was sent). */
export const MAX_INTERVALS = 64;
/** Most days a holiday lasts (its first and last day included). */
export const MAX_HOLIDAY_DAYS = 366;
const WEEK = 7 * 24 * 60;
const DAY_MS = 86_400_000;

/** Zendesk's default working week for a new schedule: Monday to Friday, 09:00–17:00. */
export const DEFAULT_INTERVALS: readonly Interval[] = [1, 2, 3, 4, 5].map((d) => ({ start_time: d * 1440 + 540, end_time: d * 1440 + 1020 }));

const scheduleRef = refsOf("business_hours_schedules");
const holidayRef = refsOf("business_hours_holidays");

function requireStaff(ctx: RequestContext): void {
  if (!isStaff(actorUser(ctx).role)) throw forbidden("Business hours are read by staff members.");
}
function requireAdmin(ctx: RequestContext): void {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Business hours are managed by owners and admins.");
}

const scheduleUrl = (ctx: RequestContext, niceId: number) => `${ctx.apiBase}/business_hours/schedules/${niceId}.json`;

/** The stored intervals (written by this service only: sorted, merged, in range). */
const intervalsOf = (r: repo.ScheduleRow): Interval[] => (r.intervals as Interval[]).map((i) => ({ start_time: i.start_time, end_time: i.end_time }));

function present(ctx: RequestContext, r: repo.ScheduleRow): ScheduleView {
  return {
    id: Number(r.nice_id),
    url: scheduleUrl(ctx, Number(r.nice_id)),
    name: ctx.sealer.open(r.name_sealed, scheduleRef(r.id, "name")),
    time_zone: r.time_zone,
    intervals: intervalsOf(r),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

function presentHoliday(ctx: RequestContext, scheduleNiceId: number, h: repo.HolidayRow): HolidayView {
  return {
    id: Number(h.nice_id),
    url: `${ctx.apiBase}/business_hours/schedules/${scheduleNiceId}/holidays/${h.nice_id}.json`,
    name: ctx.sealer.open(h.name_sealed, holidayRef(h.id, "name")),
    start_date: h.start_date,
    end_date: h.end_date,
  };
}

/** The schedule, or 404; `lock`: its row locked for a write (schedules-repo.ts, lockSchedule). */
async function found(ctx: RequestContext, niceId: number, lock = false): Promise<repo.ScheduleRow> {
  const r = await (lock ? repo.lockSchedule : repo.findSchedule)(ctx.tx, niceId);
  if (!r) throw notFound();
  return r;
}

async function foundHoliday(ctx: RequestContext, s: repo.ScheduleRow, niceId: number): Promise<repo.HolidayRow> {
  const h = await repo.findHoliday(ctx.tx, s.id, niceId);
  if (!h) throw notFound();
  return h;
}

// ---- checks

function nameOf(field: string, n: string): string {
  const s = n.trim();
  if (!s) throw invalid(field, "Name: cannot be blank");
  return s;
}

function timeZoneOf(z: string): string {
  if (!isValidTimeZone(z)) throw invalid("time_zone", "Time zone: must be an IANA time zone name, such as Europe/Stockholm or America/New_York", "InvalidTimeZone");
  return z;
}

/** A working week as sent: each interval in range and not empty, none overlapping another; then sorted and merged. */
export function checkIntervals(list: readonly Interval[]): Interval[] {
  if (list.length > MAX_INTERVALS) throw invalid("intervals", `Intervals: a workweek holds at most ${MAX_INTERVALS} (these ${list.length})`, "TooMany");
  for (const [i, x] of list.entries()) {
    if (x.start_time < 0 || x.end_time > WEEK || x.start_time >= x.end_time) {
      throw invalid(`intervals[${i}]`, `Intervals: start_time and end_time are minutes from Sunday 00:00, 0 ≤ start_time < end_time ≤ ${WEEK}`, "OutOfRange");
    }
  }
  const order = list.map((x, i) => ({ ...x, i })).sort((a, b) => a.start_time - b.start_time || a.end_time - b.end_time);
  for (let k = 1; k < order.length; k++) {
    if (order[k]!.start_time < order[k - 1]!.end_time) throw invalid(`intervals[${Math.max(order[k]!.i, order[k - 1]!.i)}]`, "Intervals: must not overlap one another", "Overlap");
  }
  const merged = normalizeIntervals(list);
  if (typeof merged === "string") throw invalid("intervals", `Intervals: ${merged}`);
  return merged;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A `YYYY-MM-DD` date that exists, in the years 1970–2200 (its time at UTC midnight). */
function dayOf(field: string, text: string): number {
  const m = DATE.exec(text);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== text) throw invalid(field, `${field === "start_date" ? "Start date" : "End date"}: must be a date written YYYY-MM-DD`, "InvalidDate");
  const year = Number(m[1]);
  if (year < 1970 || year > 2200) throw invalid(field, `${field === "start_date" ? "Start date" : "End date"}: must be in the years 1970–2200`, "OutOfRange");
  return t;
}

function checkDates(start: string, end: string): void {
  const s = dayOf("start_date", start);
  const e = dayOf("end_date", end);
  if (e < s) throw invalid("end_date", "End date: must not be before the start date", "EndBeforeStart");
  const days = (e - s) / DAY_MS + 1;
  if (days > MAX_HOLIDAY_DAYS) throw invalid("end_date", `End date: a holiday lasts at most ${MAX_HOLIDAY_DAYS} days (this one ${days})`, "TooLong");
}

// ---- schedules

export async function listSchedules(ctx: RequestContext): Promise<ScheduleView[]> {
  requireStaff(ctx);
  return (await repo.allSchedules(ctx.tx)).map((r) => present(ctx, r));
}

export async function showSchedule(ctx: RequestContext, niceId: number): Promise<ScheduleView> {
  requireStaff(ctx);
  return present(ctx, await found(ctx, niceId));
}

export async function createSchedule(ctx: RequestContext, input: ScheduleInput): Promise<ScheduleView> {
  requireAdmin(ctx);
  if (input.name === undefined) throw invalid("name", "Name: cannot be blank");
  if (input.time_zone === undefined) throw invalid("time_zone", "Time zone: is required (an IANA name, such as Europe/Stockholm)");
  const name = nameOf("name", input.name);
  const timeZone = timeZoneOf(input.time_zone);
  await repo.lockLimits(ctx.tx);
  if ((await repo.countSchedules(ctx.tx)) >= MAX_SCHEDULES) throw invalid("schedule", `Schedules: an account keeps at most ${MAX_SCHEDULES}`, "TooMany");
  const id = crypto.randomUUID();
  const niceId = await repo.insertSchedule(ctx.tx, { id, name_sealed: ctx.sealer.seal(name, scheduleRef(id, "name")), time_zone: timeZone, intervals: DEFAULT_INTERVALS });
  audit(ctx, { action: "schedule.created", resourceType: "schedule", resourceId: niceId });
  return present(ctx, (await repo.findSchedule(ctx.tx, niceId))!);
}

export async function updateSchedule(ctx: RequestContext, niceId: number, input: ScheduleInput): Promise<ScheduleView> {
  requireAdmin(ctx);
  const r = await found(ctx, niceId, true);
  const patch: { name_sealed?: Uint8Array; time_zone?: string } = {};
  if (input.name !== undefined) patch.name_sealed = ctx.sealer.seal(nameOf("name", input.name), scheduleRef(r.id, "name"));
  if (input.time_zone !== undefined) patch.time_zone = timeZoneOf(input.time_zone);
  if (Object.keys(patch).length) {
    await repo.updateSchedule(ctx.tx, r.id, patch);
    audit(ctx, { action: "schedule.updated", resourceType: "schedule", resourceId: niceId, fields: Object.keys(input) });
  }
  return present(ctx, (await repo.findSchedule(ctx.tx, niceId))!);
}

/** Deletes a schedule and its holidays. Tickets' SLA targets follow at their next write. */
export async function deleteSchedule(ctx: RequestContext, niceId: number): Promise<void> {
  requireAdmin(ctx);
  const r = await found(ctx, niceId, true);
  await repo.deleteSchedule(ctx.tx, r.id);
  audit(ctx, { action: "schedule.deleted", resourceType: "schedule", resourceId: niceId });
}

/** Replaces a schedule's working week (Zendesk's PUT …/workweek). */
export async function updateWorkweek(ctx: RequestContext, niceId: number, input: WorkweekInput): Promise<{ intervals: Interval[] }> {
  requireAdmin(ctx);
  const r = await found(ctx, niceId, true);
  const intervals = checkIntervals(input.intervals);
  await repo.updateSchedule(ctx.tx, r.id, { intervals });
  audit(ctx, { action: "schedule.workweek_updated", resourceType: "schedule", resourceId: niceId, fields: ["intervals"] });
  return { intervals };
}

// ---- holidays

export async function listHolidays(ctx: RequestContext, scheduleId: number): Promise<HolidayView[]> {
  requireStaff(ctx);
  const s = await found(ctx, scheduleId);
  return (await repo.allHolidays(ctx.tx, s.id)).map((h) => presentHoliday(ctx, scheduleId, h));
}

export async function showHoliday(ctx: RequestContext, scheduleId: number, holidayId: number): Promise<HolidayView> {
  requireStaff(ctx);
  const s = await found(ctx, scheduleId);
  return presentHoliday(ctx, scheduleId, await foundHoliday(ctx, s, holidayId));
}

export async function createHoliday(ctx: RequestContext, scheduleId: number, input: HolidayInput): Promise<HolidayView> {
  requireAdmin(ctx);
  const s = await found(ctx, scheduleId, true);
  if (input.name === undefined) throw invalid("name", "Name: cannot be blank");
  if (input.start_date === undefined) throw invalid("start_date", "Start date: is required (YYYY-MM-DD)");
  if (input.end_date === undefined) throw invalid("end_date", "End date: is required (YYYY-MM-DD)");
  const name = nameOf("name", input.name);
  checkDates(input.start_date, input.end_date);
  await repo.lockLimits(ctx.tx);
  if ((await repo.countHolidays(ctx.tx, s.id)) >= MAX_HOLIDAYS) throw invalid("holiday", `Holidays: a schedule keeps at most ${MAX_HOLIDAYS}`, "TooMany");
  const id = crypto.randomUUID();
  const niceId = await repo.insertHoliday(ctx.tx, { id, schedule_id: s.id, name_sealed: ctx.sealer.seal(name, holidayRef(id, "name")), start_date: input.start_date, end_date: input.end_date });
  audit(ctx, { action: "schedule_holiday.created", resourceType: "schedule_holiday", resourceId: niceId });
  return presentHoliday(ctx, scheduleId, (await repo.findHoliday(ctx.tx, s.id, niceId))!);
}

export async function updateHoliday(ctx: RequestContext, scheduleId: number, holidayId: number, input: HolidayInput): Promise<HolidayView> {
  requireAdmin(ctx);
  const s = await found(ctx, scheduleId, true);
  const h = await foundHoliday(ctx, s, holidayId);
  const patch: { name_sealed?: Uint8Array; start_date?: string; end_date?: string } = {};
  if (input.name !== undefined) patch.name_sealed = ctx.sealer.seal(nameOf("name", input.name), holidayRef(h.id, "name"));
  if (input.start_date !== undefined || input.end_date !== undefined) {
    // The holiday as it will be, whole: a new start is checked with the end it keeps, and the other way round.
    const start = input.start_date ?? h.start_date;
    const end = input.end_date ?? h.end_date;
    checkDates(start, end);
    if (input.start_date !== undefined) patch.start_date = start;
    if (input.end_date !== undefined) patch.end_date = end;
  }
  if (Object.keys(patch).length) {
    await repo.updateHoliday(ctx.tx, h.id, patch);
    audit(ctx, { action: "schedule_holiday.updated", resourceType: "schedule_holiday", resourceId: holidayId, fields: Object.keys(input) });
  }
  return presentHoliday(ctx, scheduleId, (await repo.findHoliday(ctx.tx, s.id, holidayId))!);
}

export async function deleteHoliday(ctx: RequestContext, scheduleId: number, holidayId: number): Promise<void> {
  requireAdmin(ctx);
  const s = await found(ctx, scheduleId, true);
  const h = await foundHoliday(ctx, s, holidayId);
  await repo.deleteHoliday(ctx.tx, h.id);
  audit(ctx, { action: "schedule_holiday.deleted", resourceType: "schedule_holiday", resourceId: holidayId });
}

// ---- for the SLA policies

/**
 * The clock business time is counted on: the account's default schedule (the lowest id) with its
 * holidays, or `"calendar"` when the account has none. No caller check (the SLA engine's).
 */
export async function loadDefaultClock(ctx: RequestContext): Promise<Clock> {
  const s = await repo.firstSchedule(ctx.tx);
  if (!s) return "calendar";
  const holidays: Holiday[] = (await repo.allHolidays(ctx.tx, s.id)).map((h) => ({ start_date: h.start_date, end_date: h.end_date }));
  return { time_zone: s.time_zone, intervals: intervalsOf(s), holidays };
}
