import { client, ok } from "../api.ts";
import type { Definitions, Trigger, TriggerInput } from "./trigger-rules.ts";

/**
 * The Triggers API's calls for the admin center (owners and admins; the server decides): the
 * list in position order, the definitions the editor offers, create, update, delete and reorder.
 * They go through the same client (the session cookie, the CSRF token, the 401 handling) as every
 * other call.
 */

type LooseInit = { params?: { path?: Record<string, number>; query?: Record<string, string | number> }; body?: unknown; signal?: AbortSignal };
type LooseAnswer = { data?: unknown; error?: unknown; response: Response };
type LooseCall = (path: string, init?: LooseInit) => Promise<LooseAnswer>;
/** The client without the generated route types (the shapes are trigger-rules.ts's). */
const loose = client as unknown as { GET: LooseCall; POST: LooseCall; PUT: LooseCall; DELETE: LooseCall };
const opt = (signal?: AbortSignal) => (signal ? { signal } : {});

/** Every trigger of the account, in position order, every page (at most 500 exist). */
export async function loadTriggers(signal?: AbortSignal): Promise<Trigger[]> {
  const all: Trigger[] = [];
  for (let page = 1; page <= 10; page++) {
    const r = (await ok(loose.GET("/api/v2/triggers", { params: { query: { sort_by: "position", sort_order: "asc", per_page: 100, page } }, ...opt(signal) }))) as { triggers: Trigger[]; next_page?: string | null };
    all.push(...r.triggers);
    if (!r.next_page) break;
  }
  return all;
}

export async function loadDefinitions(signal?: AbortSignal): Promise<Definitions> {
  return ((await ok(loose.GET("/api/v2/triggers/definitions", opt(signal)))) as { definitions: Definitions }).definitions;
}

export async function createTrigger(trigger: TriggerInput): Promise<Trigger> {
  return ((await ok(loose.POST("/api/v2/triggers", { body: { trigger } }))) as { trigger: Trigger }).trigger;
}

/** Changes what `trigger` names (the active toggle sends `active` alone). */
export async function updateTrigger(id: number, trigger: Partial<TriggerInput>): Promise<Trigger> {
  return ((await ok(loose.PUT("/api/v2/triggers/{id}", { params: { path: { id } }, body: { trigger } }))) as { trigger: Trigger }).trigger;
}

export async function deleteTrigger(id: number): Promise<void> {
  await ok(loose.DELETE("/api/v2/triggers/{id}", { params: { path: { id } } }));
}

/** Sets the order: `ids` names every trigger of the account once, first to last. */
export async function reorderTriggers(ids: readonly number[]): Promise<void> {
  await ok(loose.PUT("/api/v2/triggers/reorder", { body: { trigger_ids: ids } }));
}
