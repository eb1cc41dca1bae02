import { client, ok } from "../api.ts";
import type { Count, SavedView, ViewCondition, ViewConditionField, ViewConditions, ViewCount, ViewInput, ViewOperator, ViewRestriction, ViewSortBy } from "../api-schema.ts";
import type { Abilities } from "../api-schema.ts";
import { VIEW_SORTS, type PageOpts, type SearchPage, type SortBy } from "./model.ts";
export { conditionsFor, conditionsOfQuery } from "./view-conditions.ts";

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
      // With each ticket's SLA (its policy and metrics) for the list's next-breach column.
      params: { path: { id }, query: { page, include: "slas", sort_order: opts.desc ? "desc" : "asc", ...(isViewSort(opts.sort) ? { sort_by: opts.sort } : {}) } },
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
  { field: "requester_id", operators: ["is", "is_not"] },
  { field: "organization_id", operators: ["is", "is_not"] },
  { field: "current_tags", operators: ["includes", "not_includes"] },
  { field: "hours_since_created", operators: ["less_than", "greater_than"] },
  { field: "hours_since_updated", operators: ["less_than", "greater_than"] },
  { field: "hours_since_solved", operators: ["less_than", "greater_than"] },
];

/** A new condition on `field` with its first operator and a sensible first value. */
export function blankCondition(field: ViewConditionField): ViewCondition {
  const operator = CONDITION_FIELDS.find((f) => f.field === field)?.operators[0] ?? "is";
  const value: ViewCondition["value"] =
    field === "status" ? "open" : field === "priority" ? "normal" : field === "type" ? "question" : field === "assignee_id" || field === "requester_id" ? "current_user" : field === "group_id" ? "current_groups" : field === "current_tags" ? "" : field.startsWith("hours_") ? 24 : null;
  return { field, operator, value };
}

export function isViewSort(s: SortBy): s is Extract<ViewSortBy, SortBy> {
  return VIEW_SORTS.includes(s);
}

/** The person whose whole e-mail address this is (`GET /users/search?email=`), or null. */
export async function personByEmail(email: string): Promise<number | null> {
  const r = await ok(client.GET("/api/v2/users/search", { params: { query: { email: email.trim() } } }));
  const found = r.users.find((u) => u.email?.toLowerCase() === email.trim().toLowerCase());
  return found?.id ?? null;
}
