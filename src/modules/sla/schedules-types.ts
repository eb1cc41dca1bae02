import { z } from "zod";
import { lineText } from "../../platform/schemas.ts";

/** API shapes for business hours (Zendesk's Schedules API: schedules, their workweek and holidays; docs/api.md, "Business hours"). */

/** A minute of the week from Sunday 00:00 local; the range and order are checked by the service (422 naming `intervals[i]`). */
const minute = z.number().int().min(-1_000_000).max(1_000_000);
export const intervalInput = z.strictObject({ start_time: minute, end_time: minute });

export const scheduleInput = z.strictObject({
  name: lineText(255).optional(),
  /** An IANA name (`Europe/Stockholm`); checked by the service. */
  time_zone: z.string().max(64).optional(),
});
export type ScheduleInput = z.infer<typeof scheduleInput>;

/** More than the 64 intervals allowed reach the service, which answers 422 naming `intervals`. */
export const workweekInput = z.strictObject({ workweek: z.strictObject({ intervals: z.array(intervalInput).max(1000) }) });
export type WorkweekInput = z.infer<typeof workweekInput>["workweek"];

/** `YYYY-MM-DD`; the date itself, its years and the holiday's length are checked by the service. */
const dateText = z.string().max(10);
export const holidayInput = z.strictObject({ name: lineText(255).optional(), start_date: dateText.optional(), end_date: dateText.optional() });
export type HolidayInput = z.infer<typeof holidayInput>;

export const intervalView = z.object({ start_time: z.number(), end_time: z.number() });
export const scheduleView = z.object({
  id: z.number(),
  url: z.string(),
  name: z.string(),
  time_zone: z.string(),
  intervals: z.array(intervalView),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ScheduleView = z.infer<typeof scheduleView>;

export const holidayView = z.object({ id: z.number(), url: z.string(), name: z.string(), start_date: z.string(), end_date: z.string() });
export type HolidayView = z.infer<typeof holidayView>;
