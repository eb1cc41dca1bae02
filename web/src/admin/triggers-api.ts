import { client, ok } from "../api.ts";
import type { Answer } from "../api-schema.ts";
import type { Definitions, Trigger, TriggerInput } from "./trigger-rules.ts";

/**
 * The Triggers API's calls for the admin center (owners and admins; the server decides): the
 * list in position order, the definitions the editor offers, create, update, delete and reorder.
 * Typed from the server's OpenAPI document (api-types.ts); the server's shapes are checked here to
 * fit the editor's own (trigger-rules.ts, kept free of the generated types so it is tested alone).
 */

type ServerTrigger = Answer<"showTrigger">["trigger"];
type ServerDefinitions = Answer<"showTriggerDefinitions">["definitions"];
/** The server's trigger and definitions are what the editor reads (a compile error here if they part). */
const asTrigger = (t: ServerTrigger): Trigger => t;
const asDefinitions = (d: ServerDefinitions): Definitions => d;
const opt = (signal?: AbortSignal) => (signal ? { signal } : {});

/** Every trigger of the account, in position order, every page (at most 500 exist). */
export async function loadTriggers(signal?: AbortSignal): Promise<Trigger[]> {
  const all: Trigger[] = [];
  for (let page = 1; page <= 10; page++) {
    const r = await ok(client.GET("/api/v2/triggers", { params: { query: { sort_by: "position", sort_order: "asc", per_page: 100, page } }, ...opt(signal) }));
    all.push(...r.triggers.map(asTrigger));
    if (!r.next_page) break;
  }
  return all;
}

export async function loadDefinitions(signal?: AbortSignal): Promise<Definitions> {
  return asDefinitions((await ok(client.GET("/api/v2/triggers/definitions", opt(signal)))).definitions);
}

export async function createTrigger(trigger: TriggerInput): Promise<Trigger> {
  return asTrigger((await ok(client.POST("/api/v2/triggers", { body: { trigger } }))).trigger);
}

/** Changes what `trigger` names (the active toggle sends `active` alone). */
export async function updateTrigger(id: number, trigger: Partial<TriggerInput>): Promise<Trigger> {
  return asTrigger((await ok(client.PUT("/api/v2/triggers/{id}", { params: { path: { id } }, body: { trigger } }))).trigger);
}

export async function deleteTrigger(id: number): Promise<void> {
  await ok(client.DELETE("/api/v2/triggers/{id}", { params: { path: { id } } }));
}

/** Sets the order: `ids` names every trigger of the account once, first to last. */
export async function reorderTriggers(ids: readonly number[]): Promise<void> {
  await ok(client.PUT("/api/v2/triggers/reorder", { body: { trigger_ids: [...ids] } }));
}
