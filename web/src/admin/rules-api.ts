import { client, ok } from "../api.ts";
import type { Answer } from "../api-schema.ts";
import type { Definitions, Rule, RuleInput } from "./rules.ts";

/**
 * The calls of the Triggers and Automations APIs for the admin center (owners and admins; the
 * server decides). The two are the same but for their names (`/api/v2/triggers` and `{ trigger }`,
 * `/api/v2/automations` and `{ automation }`), so one set of calls serves both, chosen by `name`:
 * the list in position order, the definitions the editor offers, create, update, delete and
 * reorder. Typed from the server's OpenAPI document (api-types.ts); the server's shapes are checked
 * here to fit the editor's own (rules.ts, kept free of the generated types so it is tested alone).
 */

export type RulesName = "triggers" | "automations";

type ServerRule = Answer<"showTrigger">["trigger"] | Answer<"showAutomation">["automation"];
type ServerDefinitions = Answer<"showTriggerDefinitions">["definitions"] | Answer<"showAutomationDefinitions">["definitions"];
/** The server's rules and definitions are what the editor reads (a compile error here if they part). */
const asRule = (r: ServerRule): Rule => r;
const asDefinitions = (d: ServerDefinitions): Definitions => d;
/** The rule an answer holds, whichever its name. */
const one = (r: { trigger: ServerRule } | { automation: ServerRule }): Rule => asRule("trigger" in r ? r.trigger : r.automation);
const opt = (signal?: AbortSignal) => (signal ? { signal } : {});

export type RulesApi = {
  /** Every rule of the account, in position order, every page (at most 500 exist). */
  load(signal?: AbortSignal): Promise<Rule[]>;
  loadDefinitions(signal?: AbortSignal): Promise<Definitions>;
  create(input: RuleInput): Promise<Rule>;
  /** Changes what `input` names (the active toggle sends `active` alone). */
  update(id: number, input: Partial<RuleInput>): Promise<Rule>;
  remove(id: number): Promise<void>;
  /** Sets the order: `ids` names every rule of the account once, first to last. */
  reorder(ids: readonly number[]): Promise<void>;
};

export function rulesApi(name: RulesName): RulesApi {
  const body = (input: Partial<RuleInput>) => (name === "triggers" ? { trigger: input } : { automation: input });
  return {
    async load(signal) {
      const all: Rule[] = [];
      for (let page = 1; page <= 10; page++) {
        const r = await ok(client.GET(`/api/v2/${name}`, { params: { query: { sort_by: "position", sort_order: "asc", per_page: 100, page } }, ...opt(signal) }));
        all.push(...("triggers" in r ? r.triggers : r.automations).map(asRule));
        if (!r.next_page) break;
      }
      return all;
    },
    async loadDefinitions(signal) {
      return asDefinitions((await ok(client.GET(`/api/v2/${name}/definitions`, opt(signal)))).definitions);
    },
    async create(input) {
      return one(await ok(client.POST(`/api/v2/${name}`, { body: body(input) })));
    },
    async update(id, input) {
      return one(await ok(client.PUT(`/api/v2/${name}/{id}`, { params: { path: { id } }, body: body(input) })));
    },
    async remove(id) {
      await ok(client.DELETE(`/api/v2/${name}/{id}`, { params: { path: { id } } }));
    },
    async reorder(ids) {
      await ok(client.PUT(`/api/v2/${name}/reorder`, { body: name === "triggers" ? { trigger_ids: [...ids] } : { automation_ids: [...ids] } }));
    },
  };
}
