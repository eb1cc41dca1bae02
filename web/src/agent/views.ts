import { client, ok } from "../api.ts";
import type { Count, SavedView, ViewCondition, ViewConditionField, ViewConditions, ViewCount, ViewInput, ViewOperator, ViewRestriction, ViewSortBy } from "../api-schema.ts";
import type { Abilities } from "../api-schema.ts";
import { SORTS, type Filters, type ListTicket, type PageOpts, type SearchPage, type SortBy } from "./model.ts";

/**
 * Saved and shared views (`/api/v2/views`, Zendesk's Views API): the caller's active views for the
 * sidebar with their capped counts, a view's tickets in cursor pages, and the writes. A built-in
 * view with the list's filters becomes conditions here ("Save as view").
 */

/** The caller's active views as the server orders them (shared first, then their own), every page. */
export async function loadActiveViews(signal: AbortSignal): Promise<SavedView[]> {
  const all: SavedView[] = [];
  for (let page = 1; page <= 50; page++) {
    const r = await ok(client.GET("/api/v2/views/active", { params: { query: { per_page: 100, page } }, signal }));
    all.push(...r.views);
    if (!r.next_page) break;
  }
  return all;
}

/** Counts of these views, 20 ids a request (the API's limit), by view id. */
export async function countViews(ids: readonly number[], signal: AbortSignal): Promise<Map<number, ViewCount>> {
  const chunks: number[][] = [];
  for (let i = 0; i < ids.length; i += 20) chunks.push(ids.slice(i, i + 20));
  const answers = await Promise.all(chunks.map((c) => ok(client.GET("/api/v2/views/count_many", { params: { query: { ids: c.join(",") } }, signal }))));
  return new Map(answers.flatMap((a) => a.view_counts).map((c) => [c.view_id, c]));
}

/** A view's count as the lists read one (capped at 10,000). */
export function asCount(c: ViewCount): Count {
  return { count: c.value, count_capped: c.pretty.endsWith("+") };
}

export async function getView(id: number, signal?: AbortSignal): Promise<SavedView> {
  return (await ok(client.GET("/api/v2/views/{id}", { params: { path: { id } }, ...(signal ? { signal } : {}) }))).view;
}

export async function countView(id: number, signal?: AbortSignal): Promise<Count> {
  return asCount((await ok(client.GET("/api/v2/views/{id}/count", { params: { path: { id } }, ...(signal ? { signal } : {}) }))).view_count);
}

/** One cursor page of a view's tickets, in the given order (the view's own unless the list asks otherwise). */
export async function viewTicketsPage(id: number, opts: PageOpts, signal?: AbortSignal): Promise<SearchPage> {
  const page = opts.after ? { size: opts.size, after: opts.after } : opts.before ? { size: opts.size, before: opts.before } : { size: opts.size };
  const r = await ok(
    client.GET("/api/v2/views/{id}/tickets", {
      params: { path: { id }, query: { page, sort_order: opts.desc ? "desc" : "asc", ...(isViewSort(opts.sort) ? { sort_by: opts.sort } : {}) } },
      ...(signal ? { signal } : {}),
    }),
  );
  return { results: r.tickets, links: r.links ?? { next: null, prev: null } };
}

export async function createView(view: ViewInput): Promise<SavedView> {
  return (await ok(client.POST("/api/v2/views", { body: { view } }))).view;
}

export async function updateView(id: number, view: ViewInput): Promise<SavedView> {
  return (await ok(client.PUT("/api/v2/views/{id}", { params: { path: { id } }, body: { view } }))).view;
}

export async function deleteView(id: number): Promise<void> {
  await ok(client.DELETE("/api/v2/views/{id}", { params: { path: { id } } }));
}

/** Whether this person may change a view: its owner a personal one, owners and admins a shared one (the server decides anyway). */
export function canChangeView(view: SavedView, me: { id: number }, abilities: Abilities): boolean {
  if (view.restriction?.type === "User") return view.restriction.id === me.id;
  return abilities.can_manage_admin;
}

/** Who sees a view, as the form edits it. */
export type Audience = { kind: "me" } | { kind: "all" } | { kind: "group"; group: number | null };
export function audienceOf(r: ViewRestriction): Audience {
  if (r === null) return { kind: "all" };
  return r.type === "Group" ? { kind: "group", group: r.id } : { kind: "me" };
}
export function restrictionOf(a: Audience, me: { id: number }): ViewRestriction {
  if (a.kind === "all") return null;
  if (a.kind === "group" && a.group !== null) return { type: "Group", id: a.group };
  return { type: "User", id: me.id };
}

/** The fields the conditions editor offers, each with its operators (as the contract lists them). */
export const CONDITION_FIELDS: ReadonlyArray<{ field: ViewConditionField; operators: readonly ViewOperator[] }> = [
  { field: "status", operators: ["is", "is_not", "less_than", "greater_than"] },
  { field: "priority", operators: ["is", "is_not", "less_than", "greater_than"] },
  { field: "type", operators: ["is", "is_not"] },
  { field: "assignee_id", operators: ["is", "is_not"] },
  { field: "group_id", operators: ["is", "is_not"] },
  { field: "current_tags", operators: ["includes", "not_includes"] },
  { field: "hours_since_created", operators: ["less_than", "greater_than"] },
  { field: "hours_since_updated", operators: ["less_than", "greater_than"] },
  { field: "hours_since_solved", operators: ["less_than", "greater_than"] },
];

/** A new condition on `field` with its first operator and a sensible first value. */
export function blankCondition(field: ViewConditionField): ViewCondition {
  const operator = CONDITION_FIELDS.find((f) => f.field === field)?.operators[0] ?? "is";
  const value: ViewCondition["value"] =
    field === "status" ? "open" : field === "priority" ? "normal" : field === "type" ? "question" : field === "assignee_id" ? "current_user" : field === "group_id" ? "current_groups" : field === "current_tags" ? "" : field.startsWith("hours_") ? 24 : null;
  return { field, operator, value };
}

export function isViewSort(s: SortBy): s is ViewSortBy {
  return (SORTS as readonly string[]).includes(s);
}

/**
 * The conditions of a built-in view narrowed by the list's filters, or null when a filter cannot
 * be said as a condition (a tag with spaces, an unknown requester address, a name instead of an
 * id). `requesterId` resolves an address to a person's id (null: nobody has it).
 */
export async function conditionsFor(base: readonly ViewCondition[], filters: Filters, requesterId: (email: string) => Promise<number | null>): Promise<ViewConditions | null> {
  const all: ViewCondition[] = [...base];
  const STATUSES = ["new", "open", "pending", "hold", "solved", "closed"];
  const PRIORITIES = ["low", "normal", "high", "urgent"];
  if (filters.status) {
    if (!STATUSES.includes(filters.status)) return null;
    all.push({ field: "status", operator: "is", value: filters.status });
  }
  if (filters.priority) {
    if (!PRIORITIES.includes(filters.priority)) return null;
    all.push({ field: "priority", operator: "is", value: filters.priority });
  }
  if (filters.assignee) {
    const a = filters.assignee;
    if (a === "me") all.push({ field: "assignee_id", operator: "is", value: "current_user" });
    else if (a === "none") all.push({ field: "assignee_id", operator: "is", value: null });
    else if (/^\d+$/.test(a)) all.push({ field: "assignee_id", operator: "is", value: Number(a) });
    else return null;
  }
  if (filters.group) {
    if (filters.group === "none") all.push({ field: "group_id", operator: "is", value: null });
    else if (/^\d+$/.test(filters.group)) all.push({ field: "group_id", operator: "is", value: Number(filters.group) });
    else return null;
  }
  if (filters.tag) {
    if (/[\s"]/.test(filters.tag)) return null;
    all.push({ field: "current_tags", operator: "includes", value: filters.tag });
  }
  if (filters.requester) {
    const id = await requesterId(filters.requester);
    if (id === null) return null;
    all.push({ field: "requester_id", operator: "is", value: id });
  }
  return { all, any: [] };
}

const STATUS_ORDER = ["new", "open", "pending", "hold", "solved", "closed"];
const PRIORITY_ORDER = ["low", "normal", "high", "urgent"];

/**
 * A comparison of an ordered field as a condition: `<=X` is "less than the value after X", `>=X`
 * "greater than the value before X"; undefined when it holds for every value (nothing to add).
 */
function compare(field: "status" | "priority", order: readonly string[], op: string, value: string): ViewCondition | undefined | null {
  const i = order.indexOf(value);
  if (i < 0) return null;
  if (op === ":") return { field, operator: "is", value };
  if (op === "<") return { field, operator: "less_than", value };
  if (op === ">") return { field, operator: "greater_than", value };
  if (op === "<=") return i + 1 < order.length ? { field, operator: "less_than", value: order[i + 1]! } : undefined;
  return i > 0 ? { field, operator: "greater_than", value: order[i - 1]! } : undefined;
}

/**
 * A search of filters only (`status<solved tags:vip assignee:me`, no words) as view conditions, or
 * null when some part cannot be one (dates, organizations, words, a name the pickers do not hold,
 * a keyword twice where the search would take either value). The search ORs repeated
 * `status:`/`assignee:` terms, so those are refused rather than guessed.
 */
export async function conditionsOfQuery(query: string, groups: ReadonlyArray<{ id: number; name: string }>, requesterId: (email: string) => Promise<number | null>): Promise<ViewConditions | null> {
  const tokens = query.match(/-?[a-z_]+(?::|<=|>=|<|>)"[^"]*"|-?"[^"]*"|\S+/gi) ?? [];
  const all: ViewCondition[] = [];
  const seen = new Set<string>();
  const once = (key: string) => (seen.has(key) ? false : (seen.add(key), true));
  const tags: string[] = [];
  const notTags: string[] = [];
  for (const raw of tokens) {
    const negate = raw.startsWith("-");
    const m = /^([a-z_]+)(:|<=|>=|<|>)(.+)$/i.exec(negate ? raw.slice(1) : raw);
    if (!m) return null;
    const key = m[1]!.toLowerCase();
    const op = m[2]!;
    const value = m[3]!.replace(/^"|"$/g, "");
    if (negate && key !== "tags" && key !== "tag") return null;
    if (op !== ":" && key !== "status" && key !== "priority") return null;
    switch (key) {
      case "type":
        if (value !== "ticket") return null;
        break;
      case "status":
      case "priority": {
        if (op === ":" && !once(key)) return null;
        const c = compare(key, key === "status" ? STATUS_ORDER : PRIORITY_ORDER, op, value.toLowerCase());
        if (c === null) return null;
        if (c) all.push(c);
        break;
      }
      case "ticket_type":
        if (!once(key) || !["question", "incident", "problem", "task"].includes(value.toLowerCase())) return null;
        all.push({ field: "type", operator: "is", value: value.toLowerCase() });
        break;
      case "assignee":
        if (!once(key)) return null;
        if (value === "me") all.push({ field: "assignee_id", operator: "is", value: "current_user" });
        else if (value === "none") all.push({ field: "assignee_id", operator: "is", value: null });
        else if (/^\d+$/.test(value)) all.push({ field: "assignee_id", operator: "is", value: Number(value) });
        else return null;
        break;
      case "requester": {
        if (!once(key)) return null;
        const id = value === "me" ? "current_user" : /^\d+$/.test(value) ? Number(value) : value.includes("@") ? await requesterId(value) : null;
        if (id === null) return null;
        all.push({ field: "requester_id", operator: "is", value: id });
        break;
      }
      case "group": {
        if (!once(key)) return null;
        const g = value.toLowerCase() === "none" ? null : /^\d+$/.test(value) ? Number(value) : groups.find((x) => x.name.toLowerCase() === value.toLowerCase())?.id;
        if (g === undefined) return null;
        all.push({ field: "group_id", operator: "is", value: g });
        break;
      }
      case "tags":
      case "tag":
        (negate ? notTags : tags).push(value.toLowerCase());
        break;
      default:
        return null;
    }
  }
  // Several tags: the search takes a ticket with any of them, and leaves out one with any excluded tag.
  if (tags.length) all.push({ field: "current_tags", operator: "includes", value: tags.join(" ") });
  if (notTags.length) all.push({ field: "current_tags", operator: "not_includes", value: notTags.join(" ") });
  return all.length ? { all, any: [] } : null;
}

/** The person whose whole e-mail address this is (`GET /users/search?email=`), or null. */
export async function personByEmail(email: string): Promise<number | null> {
  const r = await ok(client.GET("/api/v2/users/search", { params: { query: { email: email.trim() } } }));
  const found = r.users.find((u) => u.email?.toLowerCase() === email.trim().toLowerCase());
  return found?.id ?? null;
}
