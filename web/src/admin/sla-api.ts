import { client, ok } from "../api.ts";
import type { Answer } from "../api-schema.ts";
import type { Definitions } from "./rules.ts";
import type { Holiday, Interval, Schedule, SlaPolicy, SlaPolicyInput, TicketSlas } from "./sla.ts";

/**
 * The calls of the Business hours and SLA policies APIs (the admin center's two pages and the
 * workspace's SLA badges). Typed from the server's OpenAPI document (api-types.ts); the server's
 * shapes are checked here to fit the pages' own (sla.ts, kept free of the generated types so it is
 * tested alone), as rules-api.ts does. Every decision stays on the server.
 */

type ServerSchedule = Answer<"showSchedule">["schedule"];
type ServerHoliday = Answer<"showScheduleHoliday">["holiday"];
type ServerPolicy = Answer<"showSlaPolicy">["sla_policy"];
type ServerTicket = Answer<"showTicket">["ticket"];
/** The server's schedules, holidays, policies and tickets' SLAs are what the pages read (a compile error here if they part). */
const asSchedule = (s: ServerSchedule): Schedule => s;
const asHoliday = (h: ServerHoliday): Holiday => h;
const asPolicy = (p: ServerPolicy): SlaPolicy => p;
const asSlas = (s: ServerTicket["slas"]): TicketSlas | null => s ?? null;
const opt = (signal?: AbortSignal) => (signal ? { signal } : {});

export const hoursApi = {
  async schedules(signal?: AbortSignal): Promise<Schedule[]> {
    return (await ok(client.GET("/api/v2/business_hours/schedules", opt(signal)))).schedules.map(asSchedule);
  },
  async create(input: { name: string; time_zone: string }): Promise<Schedule> {
    return asSchedule((await ok(client.POST("/api/v2/business_hours/schedules", { body: { schedule: input } }))).schedule);
  },
  async update(id: number, input: { name?: string; time_zone?: string }): Promise<Schedule> {
    return asSchedule((await ok(client.PUT("/api/v2/business_hours/schedules/{id}", { params: { path: { id } }, body: { schedule: input } }))).schedule);
  },
  async remove(id: number): Promise<void> {
    await ok(client.DELETE("/api/v2/business_hours/schedules/{id}", { params: { path: { id } } }));
  },
  /** Replaces the weekly hours; answers them as the server keeps them (sorted and merged). */
  async workweek(id: number, intervals: Interval[]): Promise<Interval[]> {
    return (await ok(client.PUT("/api/v2/business_hours/schedules/{id}/workweek", { params: { path: { id } }, body: { workweek: { intervals } } }))).workweek.intervals;
  },
  async holidays(id: number, signal?: AbortSignal): Promise<Holiday[]> {
    return (await ok(client.GET("/api/v2/business_hours/schedules/{id}/holidays", { params: { path: { id } }, ...opt(signal) }))).holidays.map(asHoliday);
  },
  async createHoliday(id: number, input: { name: string; start_date: string; end_date: string }): Promise<Holiday> {
    return asHoliday((await ok(client.POST("/api/v2/business_hours/schedules/{id}/holidays", { params: { path: { id } }, body: { holiday: input } }))).holiday);
  },
  async updateHoliday(id: number, holiday: number, input: { name: string; start_date: string; end_date: string }): Promise<Holiday> {
    return asHoliday((await ok(client.PUT("/api/v2/business_hours/schedules/{id}/holidays/{holiday_id}", { params: { path: { id, holiday_id: holiday } }, body: { holiday: input } }))).holiday);
  },
  async removeHoliday(id: number, holiday: number): Promise<void> {
    await ok(client.DELETE("/api/v2/business_hours/schedules/{id}/holidays/{holiday_id}", { params: { path: { id, holiday_id: holiday } } }));
  },
};

export const slaApi = {
  async load(signal?: AbortSignal): Promise<SlaPolicy[]> {
    const list = (await ok(client.GET("/api/v2/slas/policies", opt(signal)))).sla_policies.map(asPolicy);
    return list.sort((a, b) => a.position - b.position || a.id - b.id);
  },
  /** The filter's conditions the editor offers (the server's `all` and `any`, as the rules' `conditions_all` and `conditions_any`). */
  async definitions(signal?: AbortSignal): Promise<Definitions> {
    const d = (await ok(client.GET("/api/v2/slas/policies/definitions", opt(signal)))).definitions;
    return { conditions_all: d.all, conditions_any: d.any, actions: [] };
  },
  async create(input: SlaPolicyInput): Promise<SlaPolicy> {
    return asPolicy((await ok(client.POST("/api/v2/slas/policies", { body: { sla_policy: input } }))).sla_policy);
  },
  async update(id: number, input: SlaPolicyInput): Promise<SlaPolicy> {
    return asPolicy((await ok(client.PUT("/api/v2/slas/policies/{id}", { params: { path: { id } }, body: { sla_policy: input } }))).sla_policy);
  },
  async remove(id: number): Promise<void> {
    await ok(client.DELETE("/api/v2/slas/policies/{id}", { params: { path: { id } } }));
  },
  async reorder(ids: readonly number[]): Promise<void> {
    await ok(client.PUT("/api/v2/slas/policies/reorder", { body: { sla_policy_ids: [...ids] } }));
  },
  /** A ticket's SLA targets and policy (`include=slas`), for the workspace's badges. */
  async ticketSlas(id: number, signal?: AbortSignal): Promise<{ slas: TicketSlas | null; policy: { id: number; title: string } | null }> {
    const { ticket } = await ok(client.GET("/api/v2/tickets/{id}", { params: { path: { id }, query: { include: "slas" } }, ...opt(signal) }));
    return { slas: asSlas(ticket.slas), policy: ticket.sla_policy ?? null };
  },
};
