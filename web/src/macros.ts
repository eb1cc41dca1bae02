import { ApiError, client, ok } from "./api.ts";
import type { Abilities, Ticket } from "./api-schema.ts";

/**
 * Macros (Zendesk's Macros API): a saved set of ticket changes and a reply an agent applies to a
 * ticket with one click. The shapes the server answers and the calls the workspace makes.
 *
 * The routes are typed here by hand, as the server documents them (`macros`, `macros/active`,
 * `macros/{id}`, `tickets/{id}/macros/{macro_id}/apply`); the calls go through the same client
 * (the session cookie, the CSRF token, the 401 handling) as every other call.
 */

/** The action fields a macro may set, as the API names them (`custom_fields_<id>` besides). */
export const MACRO_FIELDS = [
  "status",
  "priority",
  "type",
  "assignee_id",
  "group_id",
  "set_tags",
  "current_tags",
  "remove_tags",
  "subject",
  "comment_value",
  "comment_mode_is_public",
] as const;
export type MacroField = (typeof MACRO_FIELDS)[number];

/** One action: a field and its value (numbers for ids as the server may send them). */
export type MacroAction = { field: string; value: string | number };

/** Who sees a macro: its owner (personal), every staff member (null), or one group's members. */
export type MacroRestriction = null | { type: "User" | "Group"; id: number };

/** A macro as `/api/v2/macros/{id}` answers it. */
export type Macro = {
  id: number;
  url: string;
  title: string;
  description: string | null;
  active: boolean;
  position: number;
  restriction: MacroRestriction;
  actions: MacroAction[];
  created_at: string;
  updated_at: string;
  /** With `include=usage_7d`: how many ticket updates named the macro in the last 7 days. */
  usage_7d?: number;
};

export type MacroInput = { title: string; description: string | null; active: boolean; restriction: MacroRestriction; actions: MacroAction[] };

/** The rendered comment of a macro applied to a ticket. */
export type MacroComment = { body: string; html_body: string; public: boolean };

/** `GET /tickets/{ticket_id}/macros/{id}/apply`: the ticket with the changes applied, nothing saved. */
export type MacroApplied = { ticket: Ticket; comment?: MacroComment; changed_fields: string[] };

type LooseInit = { params?: { path?: Record<string, number>; query?: Record<string, string | number> }; body?: unknown; signal?: AbortSignal };
type LooseAnswer = { data?: unknown; error?: unknown; response: Response };
type LooseCall = (path: string, init?: LooseInit) => Promise<LooseAnswer>;
/** The client without the generated route types (these routes are described in this file). */
const loose = client as unknown as { GET: LooseCall; POST: LooseCall; PUT: LooseCall; DELETE: LooseCall };
const opt = (signal?: AbortSignal) => (signal ? { signal } : {});

/** The active macros the caller sees, the most used in the last 7 days first, then by title (all of them, in one answer). */
export async function loadActiveMacros(signal?: AbortSignal): Promise<Macro[]> {
  return ((await ok(loose.GET("/api/v2/macros/active", { params: { query: { sort_by: "usage_7d", include: "usage_7d" } }, ...opt(signal) }))) as { macros: Macro[] }).macros;
}

/** A macro's category (as the server's `GET /macros/categories`): its title's part before the first `::`, if it has one. */
export function macroCategory(title: string): string | null {
  const parts = title.split("::").map((p) => p.trim());
  return parts.length > 1 && parts[0] ? parts[0] : null;
}

/** How many of the most used macros the picker lists first. */
export const MOST_USED = 5;

/**
 * The picker's sections, in order: the most used in the last 7 days (up to MOST_USED, used at
 * least once; only when nothing is typed), then each category by name, then the macros without one.
 * `macros` comes most used first (loadActiveMacros); within a category they are listed by title.
 */
export function macroSections(macros: readonly Macro[], filtering: boolean): Array<{ category: string | null; mostUsed: boolean; macros: Macro[] }> {
  const out: Array<{ category: string | null; mostUsed: boolean; macros: Macro[] }> = [];
  const top = filtering ? [] : macros.filter((m) => (m.usage_7d ?? 0) > 0).slice(0, MOST_USED);
  if (top.length) out.push({ category: null, mostUsed: true, macros: top });
  const byCategory = new Map<string, { name: string; macros: Macro[] }>();
  const none: Macro[] = [];
  // A category spelled two ways ("Billing", "billing") is named as the oldest macro spells it, as the server's list names it.
  const names = new Map<string, string>();
  for (const m of [...macros].sort((a, b) => a.id - b.id)) {
    const c = macroCategory(m.title);
    if (c !== null && !names.has(c.toLocaleLowerCase())) names.set(c.toLocaleLowerCase(), c);
  }
  const byTitle = [...macros].sort((a, b) => a.title.toLocaleLowerCase().localeCompare(b.title.toLocaleLowerCase()) || a.id - b.id);
  for (const m of byTitle) {
    const c = macroCategory(m.title);
    if (c === null) {
      none.push(m);
      continue;
    }
    const key = c.toLocaleLowerCase();
    const group = byCategory.get(key) ?? { name: names.get(key) ?? c, macros: [] };
    group.macros.push(m);
    byCategory.set(key, group);
  }
  for (const [, g] of [...byCategory].sort((x, y) => x[0].localeCompare(y[0]))) out.push({ category: g.name, mostUsed: false, macros: g.macros });
  if (none.length) out.push({ category: null, mostUsed: false, macros: none });
  return out;
}

/** Every macro the caller sees (active or not), by position then title, every page. */
export async function loadMacros(signal?: AbortSignal): Promise<Macro[]> {
  const all: Macro[] = [];
  for (let page = 1; page <= 50; page++) {
    const r = (await ok(loose.GET("/api/v2/macros", { params: { query: { per_page: 100, page } }, ...opt(signal) }))) as { macros: Macro[]; next_page?: string | null };
    all.push(...r.macros);
    if (!r.next_page) break;
  }
  return all;
}

export async function getMacro(id: number, signal?: AbortSignal): Promise<Macro> {
  return ((await ok(loose.GET("/api/v2/macros/{id}", { params: { path: { id } }, ...opt(signal) }))) as { macro: Macro }).macro;
}

export async function createMacro(macro: MacroInput): Promise<Macro> {
  return ((await ok(loose.POST("/api/v2/macros", { body: { macro } }))) as { macro: Macro }).macro;
}

export async function updateMacro(id: number, macro: MacroInput): Promise<Macro> {
  return ((await ok(loose.PUT("/api/v2/macros/{id}", { params: { path: { id } }, body: { macro } }))) as { macro: Macro }).macro;
}

export async function deleteMacro(id: number): Promise<void> {
  await ok(loose.DELETE("/api/v2/macros/{id}", { params: { path: { id } } }));
}

/** The macro applied to a ticket as the server renders it (placeholders filled); nothing is saved. */
export async function applyMacro(ticketId: number, macroId: number, signal?: AbortSignal): Promise<MacroApplied> {
  const r = (await ok(loose.GET("/api/v2/tickets/{id}/macros/{macro_id}/apply", { params: { path: { id: ticketId, macro_id: macroId } }, ...opt(signal) }))) as { result: MacroApplied };
  return r.result;
}

/** Whether this person may change a macro: its owner a personal one, owners and admins a shared one (the server decides anyway). */
export function canChangeMacro(macro: Pick<Macro, "restriction">, me: { id: number }, abilities: Pick<Abilities, "can_manage_admin">): boolean {
  if (macro.restriction?.type === "User") return macro.restriction.id === me.id;
  return abilities.can_manage_admin;
}

/** The server's messages about single actions, by index (`actions[2]` → 2), without the place they name. */
export function actionErrors(err: unknown): Record<number, string> {
  if (!(err instanceof ApiError)) return {};
  const out: Record<number, string> = {};
  for (const [field, list] of Object.entries(err.body?.details ?? {})) {
    const m = /^(?:macro\.)?actions\[(\d+)\]/.exec(field);
    const text = list[0]?.description;
    if (!m || !text) continue;
    // The row shows its field already: "actions[0]: comment_value: does not parse" reads "Does not parse".
    const own = (text.startsWith(`${field}: `) ? text.slice(field.length + 2) : text).replace(/^(?:custom_fields_\d+|[a-z_]+): /, "");
    out[Number(m[1])] = own.charAt(0).toUpperCase() + own.slice(1);
  }
  return out;
}

/** The server's message about a top-level field of the macro (`title`, `description`, `restriction`, `actions`). */
export function macroFieldError(err: unknown, name: string): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  for (const [field, list] of Object.entries(err.body?.details ?? {})) {
    if (field !== name && field !== `macro.${name}`) continue;
    const text = list[0]?.description;
    if (!text) continue;
    const own = text.startsWith(`${field}: `) ? text.slice(field.length + 2) : text;
    return own.charAt(0).toUpperCase() + own.slice(1);
  }
  return undefined;
}
