import { sql } from "kysely";
import { ADVISORY_LOCK, type TenantTx } from "../../platform/db/database.ts";
import type { Interval } from "./business-time.ts";

/**
 * SQL for business hours (0067): the account's schedules and their holidays. Names are sealed by
 * the service; time zones, intervals and dates are in clear. Dates are read as `YYYY-MM-DD` text.
 */

const scheduleBase = (tx: TenantTx) =>
  tx.db
    .selectFrom("business_hours_schedules as s")
    .select(["s.id", "s.nice_id", "s.name_sealed", "s.time_zone", "s.intervals", "s.created_at", "s.updated_at"])
    .where("s.tenant_id", "=", tx.tenantId);

export type ScheduleRow = Awaited<ReturnType<typeof findSchedule>> & {};

export const findSchedule = (tx: TenantTx, niceId: number) => scheduleBase(tx).where("s.nice_id", "=", niceId).executeTakeFirst();

/**
 * A schedule to write to or under, its row locked until the transaction ends: a write and a
 * deletion of the schedule met at once happen one after the other (the later one finds it
 * missing: 404), never a holiday inserted under a schedule being deleted.
 */
export const lockSchedule = (tx: TenantTx, niceId: number) => scheduleBase(tx).where("s.nice_id", "=", niceId).forUpdate().executeTakeFirst();

/** Every schedule of the account (at most the limit), by id. */
export const allSchedules = (tx: TenantTx) => scheduleBase(tx).orderBy("s.nice_id").execute();

/** The account's default schedule: the one with the lowest id (Zendesk: the first). */
export const firstSchedule = (tx: TenantTx) => scheduleBase(tx).orderBy("s.nice_id").limit(1).executeTakeFirst();

/**
 * Takes the account's business hours lock until the transaction ends: a count and the insert after
 * it are one step (schedules, or holidays, created at once cannot pass the limit together).
 */
export async function lockLimits(tx: TenantTx): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.businessHoursLimit}, hashtext(${tx.tenantId}))`.execute(tx.db);
}

export async function countSchedules(tx: TenantTx): Promise<number> {
  const r = await tx.db.selectFrom("business_hours_schedules").select((eb) => eb.fn.countAll<string | number>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function insertSchedule(tx: TenantTx, v: { id: string; name_sealed: Uint8Array; time_zone: string; intervals: readonly Interval[] }): Promise<number> {
  const r = await tx.db
    .insertInto("business_hours_schedules")
    .values({ ...v, intervals: JSON.stringify(v.intervals), tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('business_hours_schedules')`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

export async function updateSchedule(tx: TenantTx, id: string, patch: { name_sealed?: Uint8Array; time_zone?: string; intervals?: readonly Interval[] }): Promise<void> {
  const { intervals, ...rest } = patch;
  await tx.db
    .updateTable("business_hours_schedules")
    .set({ ...rest, ...(intervals ? { intervals: JSON.stringify(intervals) } : {}), updated_at: sql`now()` })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .execute();
}

/** Deletes a schedule; its holidays go with it (ON DELETE CASCADE). */
export async function deleteSchedule(tx: TenantTx, id: string): Promise<void> {
  await tx.db.deleteFrom("business_hours_schedules").where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

const holidayBase = (tx: TenantTx, scheduleId: string) =>
  tx.db
    .selectFrom("business_hours_holidays as h")
    .select(["h.id", "h.nice_id", "h.name_sealed", sql<string>`h.start_date::text`.as("start_date"), sql<string>`h.end_date::text`.as("end_date")])
    .where("h.tenant_id", "=", tx.tenantId)
    .where("h.schedule_id", "=", scheduleId);

export type HolidayRow = Awaited<ReturnType<typeof findHoliday>> & {};

export const findHoliday = (tx: TenantTx, scheduleId: string, niceId: number) => holidayBase(tx, scheduleId).where("h.nice_id", "=", niceId).executeTakeFirst();

/** A schedule's holidays (at most the limit), by start date and id. */
export const allHolidays = (tx: TenantTx, scheduleId: string) => holidayBase(tx, scheduleId).orderBy("h.start_date").orderBy("h.nice_id").execute();

export async function countHolidays(tx: TenantTx, scheduleId: string): Promise<number> {
  const r = await tx.db.selectFrom("business_hours_holidays").select((eb) => eb.fn.countAll<string | number>().as("n")).where("tenant_id", "=", tx.tenantId).where("schedule_id", "=", scheduleId).executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function insertHoliday(tx: TenantTx, v: { id: string; schedule_id: string; name_sealed: Uint8Array; start_date: string; end_date: string }): Promise<number> {
  const r = await tx.db
    .insertInto("business_hours_holidays")
    .values({ ...v, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('business_hours_holidays')`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

export async function updateHoliday(tx: TenantTx, id: string, patch: { name_sealed?: Uint8Array; start_date?: string; end_date?: string }): Promise<void> {
  await tx.db.updateTable("business_hours_holidays").set({ ...patch, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function deleteHoliday(tx: TenantTx, id: string): Promise<void> {
  await tx.db.deleteFrom("business_hours_holidays").where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}
