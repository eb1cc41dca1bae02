import { client, ok } from "../api.ts";
import type { Definitions } from "./rules.ts";
import type { Holiday, Interval, Schedule, SlaPolicy, SlaPolicyInput, TicketSlas } from "./sla.ts";

/**
 * The calls of the Business hours and SLA policies APIs (the admin center's two pages and the
 * workspace's SLA badges). Written while the server's branches were being built, so they go
 * through the same client (session cookie, CSRF token, 401 handling) by path, typed by the
 * shapes of sla.ts rather than by api-types.ts: when the paths are in the generated types, these
 * can become the typed calls of rules-api.ts. Every decision stays on the server.
 */

type Init = { params?: { path?: Record<string, number>; query?: Record<string, string | number> }; body?: unknown; signal?: AbortSignal };
type Call = (path: string, init?: Init) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
const loose = client as unknown as { GET: Call; POST: Call; PUT: Call; DELETE: Call };
const opt = (signal?: AbortSignal) => (signal ? { signal } : {});

async function get<T>(path: string, init?: Init): Promise<T> {
  return (await ok(loose.GET(path, init))) as T;
}

const S = "/api/v2/business_hours/schedules";
const P = "/api/v2/slas/policies";

export const hoursApi = {
  async schedules(signal?: AbortSignal): Promise<Schedule[]> {
    return (await get<{ schedules: Schedule[] }>(S, opt(signal))).schedules;
  },
  async create(input: { name: string; time_zone: string }): Promise<Schedule> {
    return ((await ok(loose.POST(S, { body: { schedule: input } }))) as { schedule: Schedule }).schedule;
  },
  async update(id: number, input: { name?: string; time_zone?: string }): Promise<Schedule> {
    return ((await ok(loose.PUT(`${S}/{id}`, { params: { path: { id } }, body: { schedule: input } }))) as { schedule: Schedule }).schedule;
  },
  async remove(id: number): Promise<void> {
    await ok(loose.DELETE(`${S}/{id}`, { params: { path: { id } } }));
  },
  async workweek(id: number, intervals: Interval[]): Promise<Schedule> {
    return ((await ok(loose.PUT(`${S}/{id}/workweek`, { params: { path: { id } }, body: { workweek: { intervals } } }))) as { schedule: Schedule }).schedule;
  },
  async holidays(id: number, signal?: AbortSignal): Promise<Holiday[]> {
    return (await get<{ holidays: Holiday[] }>(`${S}/{id}/holidays`, { params: { path: { id } }, ...opt(signal) })).holidays;
  },
  async createHoliday(id: number, input: { name: string; start_date: string; end_date: string }): Promise<Holiday> {
    return ((await ok(loose.POST(`${S}/{id}/holidays`, { params: { path: { id } }, body: { holiday: input } }))) as { holiday: Holiday }).holiday;
  },
  async updateHoliday(id: number, holiday: number, input: { name: string; start_date: string; end_date: string }): Promise<Holiday> {
    return ((await ok(loose.PUT(`${S}/{id}/holidays/{holiday}`, { params: { path: { id, holiday } }, body: { holiday: input } }))) as { holiday: Holiday }).holiday;
  },
  async removeHoliday(id: number, holiday: number): Promise<void> {
    await ok(loose.DELETE(`${S}/{id}/holidays/{holiday}`, { params: { path: { id, holiday } } }));
  },
};

export const slaApi = {
  async load(signal?: AbortSignal): Promise<SlaPolicy[]> {
    const list = (await get<{ sla_policies: SlaPolicy[] }>(P, opt(signal))).sla_policies;
    return [...list].sort((a, b) => a.position - b.position || a.id - b.id);
  },
  /** The filter's conditions the editor offers (the rules' shapes: `conditions_all`, `conditions_any`). */
  async definitions(signal?: AbortSignal): Promise<Definitions> {
    const r = await get<{ definitions: Partial<Definitions> & { all?: Definitions["conditions_all"]; any?: Definitions["conditions_any"] } }>(`${P}/definitions`, opt(signal));
    const d = r.definitions;
    return { conditions_all: d.conditions_all ?? d.all ?? [], conditions_any: d.conditions_any ?? d.any ?? [], actions: [] };
  },
  async create(input: SlaPolicyInput): Promise<SlaPolicy> {
    return ((await ok(loose.POST(P, { body: { sla_policy: input } }))) as { sla_policy: SlaPolicy }).sla_policy;
  },
  async update(id: number, input: SlaPolicyInput): Promise<SlaPolicy> {
    return ((await ok(loose.PUT(`${P}/{id}`, { params: { path: { id } }, body: { sla_policy: input } }))) as { sla_policy: SlaPolicy }).sla_policy;
  },
  async remove(id: number): Promise<void> {
    await ok(loose.DELETE(`${P}/{id}`, { params: { path: { id } } }));
  },
  async reorder(ids: readonly number[]): Promise<void> {
    await ok(loose.PUT(`${P}/reorder`, { body: { sla_policy_ids: [...ids] } }));
  },
  /** A ticket's SLA targets and policy (`include=slas`), for the workspace's badges. */
  async ticketSlas(id: number, signal?: AbortSignal): Promise<{ slas: TicketSlas | null; policy: { id: number; title: string } | null }> {
    const r = await get<{ ticket: { slas?: TicketSlas | null; sla_policy?: { id: number; title: string } | null } }>("/api/v2/tickets/{id}", { params: { path: { id }, query: { include: "slas" } }, ...opt(signal) });
    return { slas: r.ticket.slas ?? null, policy: r.ticket.sla_policy ?? null };
  },
};
