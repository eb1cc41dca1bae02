import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { publicId, publicIdParam } from "../../platform/schemas.ts";
import * as svc from "./schedules-service.ts";
import { holidayInput, holidayView, intervalView, scheduleInput, scheduleView, workweekInput } from "./schedules-types.ts";

const holidayParams = z.object({ id: publicId, holiday_id: publicId });
const scheduleBody = z.strictObject({ schedule: scheduleInput });
const holidayBody = z.strictObject({ holiday: holidayInput });
const BASE = "/api/v2/business_hours/schedules";
const TAG = "business_hours";

/**
 * Business hours (Zendesk's Schedules API): schedules, their workweek and holidays under
 * /api/v2/business_hours/schedules. Every staff member reads; owners and admins write (the service checks).
 */
export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: BASE, operationId: "listSchedules", tag: TAG, auth: "user",
    summary: "The account's schedules (staff), by id; the first is the account's default.",
    response: z.object({ schedules: z.array(scheduleView) }),
    handler: async (ctx) => ({ schedules: await svc.listSchedules(ctx) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: BASE, operationId: "createSchedule", tag: TAG, auth: "user", status: 201,
    summary: `Creates a schedule (owners and admins): \`name\` and an IANA \`time_zone\`; its workweek starts as Monday–Friday 09:00–17:00; at most ${svc.MAX_SCHEDULES} an account.`,
    body: scheduleBody, response: z.object({ schedule: scheduleView }),
    handler: async (ctx, { body }) => ({ schedule: await svc.createSchedule(ctx, body.schedule) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: `${BASE}/:id`, operationId: "showSchedule", tag: TAG, auth: "user",
    params: publicIdParam, response: z.object({ schedule: scheduleView }),
    handler: async (ctx, { params }) => ({ schedule: await svc.showSchedule(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: `${BASE}/:id`, operationId: "updateSchedule", tag: TAG, auth: "user",
    summary: "Renames a schedule or changes its time zone (owners and admins).",
    params: publicIdParam, body: scheduleBody, response: z.object({ schedule: scheduleView }),
    handler: async (ctx, { params, body }) => ({ schedule: await svc.updateSchedule(ctx, params.id, body.schedule) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: `${BASE}/:id`, operationId: "deleteSchedule", tag: TAG, auth: "user", status: 204,
    summary: "Deletes a schedule and its holidays (owners and admins); tickets' SLA targets are recomputed at their next write.",
    params: publicIdParam, response: z.undefined(),
    handler: async (ctx, { params }) => { await svc.deleteSchedule(ctx, params.id); },
  });
  defineRoute(app, deps, {
    method: "PUT", url: `${BASE}/:id/workweek`, operationId: "updateScheduleWorkweek", tag: TAG, auth: "user",
    summary: `Replaces a schedule's working week (owners and admins): intervals of minutes from Sunday 00:00 local (0..10080), not overlapping, at most ${svc.MAX_INTERVALS}; sorted and merged.`,
    params: publicIdParam, body: workweekInput, response: z.object({ workweek: z.object({ intervals: z.array(intervalView) }) }),
    handler: async (ctx, { params, body }) => ({ workweek: await svc.updateWorkweek(ctx, params.id, body.workweek) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: `${BASE}/:id/holidays`, operationId: "listScheduleHolidays", tag: TAG, auth: "user",
    summary: "A schedule's holidays (staff), by start date.",
    params: publicIdParam, response: z.object({ holidays: z.array(holidayView) }),
    handler: async (ctx, { params }) => ({ holidays: await svc.listHolidays(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: `${BASE}/:id/holidays`, operationId: "createScheduleHoliday", tag: TAG, auth: "user", status: 201,
    summary: `Adds a holiday to a schedule (owners and admins): \`name\`, \`start_date\` and \`end_date\` (YYYY-MM-DD, inclusive, 1970–2200, at most ${svc.MAX_HOLIDAY_DAYS} days); at most ${svc.MAX_HOLIDAYS} a schedule.`,
    params: publicIdParam, body: holidayBody, response: z.object({ holiday: holidayView }),
    handler: async (ctx, { params, body }) => ({ holiday: await svc.createHoliday(ctx, params.id, body.holiday) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: `${BASE}/:id/holidays/:holiday_id`, operationId: "showScheduleHoliday", tag: TAG, auth: "user",
    params: holidayParams, response: z.object({ holiday: holidayView }),
    handler: async (ctx, { params }) => ({ holiday: await svc.showHoliday(ctx, params.id, params.holiday_id) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: `${BASE}/:id/holidays/:holiday_id`, operationId: "updateScheduleHoliday", tag: TAG, auth: "user",
    summary: "Changes a holiday (owners and admins); new dates are checked with the ones it keeps.",
    params: holidayParams, body: holidayBody, response: z.object({ holiday: holidayView }),
    handler: async (ctx, { params, body }) => ({ holiday: await svc.updateHoliday(ctx, params.id, params.holiday_id, body.holiday) }),
  });
  defineRoute(app, deps, {
    method: "DELETE", url: `${BASE}/:id/holidays/:holiday_id`, operationId: "deleteScheduleHoliday", tag: TAG, auth: "user", status: 204,
    params: holidayParams, response: z.undefined(),
    handler: async (ctx, { params }) => { await svc.deleteHoliday(ctx, params.id, params.holiday_id); },
  });
}
