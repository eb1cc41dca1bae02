import { client, ok } from "../api.ts";
import { nextCursor, type Count, type CursorLinks, type Priority, type SearchResult, type Status, type TicketType, type User, type ViewCondition } from "../api-schema.ts";
import type { MessageKey } from "../i18n/index.ts";
import type { TicketSlas } from "../admin/sla.ts";
import { searchQuery, type PageOpts, type SortBy } from "./list-order.ts";

/** The values the workspace offers in its pickers, and the views it shows. Shapes come from api-schema.ts. */

/** Every member of the union `T`, in the order given; a value the server adds is a type error until listed. */
const allOf =
  <T extends string>() =>
  <const A extends readonly T[]>(values: A & ([T] extends [A[number]] ? unknown : { missing: Exclude<T, A[number]> })) =>
    values;

export const STATUSES = allOf<Status>()(["new", "open", "pending", "hold", "solved", "closed"]);
export const PRIORITIES = allOf<Priority>()(["low", "normal", "high", "urgent"]);
export const TICKET_TYPES = allOf<TicketType>()(["question", "incident", "problem", "task"]);

/** A view is a saved search the API runs; its count comes from the same search (capped). */
export type ViewId = "all-open" | "mine" | "unassigned" | "pending" | "recently-solved";
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
/**
 * The built-in views: each one's search query, and the same tickets as saved-view conditions
 * (what "Save as view" starts from), so neither is guessed from the other.
 */
export const VIEWS: ReadonlyArray<{ id: ViewId; label: MessageKey; query: () => string; conditions: readonly ViewCondition[]; sort: SortBy }> = [
  { id: "all-open", label: "view.all-open", query: () => "type:ticket status<solved", conditions: [{ field: "status", operator: "less_than", value: "solved" }], sort: "updated_at" },
  {
    id: "mine",
    label: "view.mine",
    query: () => "type:ticket status<solved assignee:me",
    conditions: [
      { field: "status", operator: "less_than", value: "solved" },
      { field: "assignee_id", operator: "is", value: "current_user" },
    ],
    sort: "updated_at",
  },
  {
    id: "unassigned",
    label: "view.unassigned",
    query: () => "type:ticket status<solved assignee:none",
    conditions: [
      { field: "status", operator: "less_than", value: "solved" },
      { field: "assignee_id", operator: "is", value: null },
    ],
    sort: "updated_at",
  },
  { id: "pending", label: "view.pending", query: () => "type:ticket status:pending", conditions: [{ field: "status", operator: "is", value: "pending" }], sort: "updated_at" },
  // Solved (or since closed) in the last seven days.
  {
    id: "recently-solved",
    label: "view.recently-solved",
    query: () => `type:ticket status>=solved solved>=${daysAgo(7)}`,
    conditions: [
      { field: "status", operator: "greater_than", value: "hold" },
      { field: "hours_since_solved", operator: "less_than", value: 168 },
    ],
    sort: "updated_at",
  },
];

export { SORTS, TEXT_SORTS, VIEW_SORTS, searchQuery, type PageOpts, type SortBy } from "./list-order.ts";

/**
 * Whether a query has free words or "quoted phrases" (not only filters such as status:open), so
 * that the server ranks it by relevance: a token that is not `keyword:value` (or <, >, <=, >=),
 * as the server's parser reads it (search-fns.ts).
 */
export function hasWords(query: string): boolean {
  const tokens = query.match(/-?[a-z_]+(?::|<=|>=|<|>)"[^"]*"|-?"[^"]*"|\S+/gi) ?? [];
  return tokens.some((tok) => {
    const quoted = /^"([^"]*)"$/.exec(tok);
    if (quoted) return /[\p{L}\p{N}]/u.test(quoted[1]!);
    return !/^-?[a-z_]+(:|<=|>=|<|>).+$/i.test(tok) && /[\p{L}\p{N}]/u.test(tok);
  });
}

/** The filters a list takes from its URL (so a filtered view can be reloaded or shared). */
export const FILTER_KEYS = ["status", "priority", "assignee", "group", "tag", "requester"] as const;
export type Filters = Partial<Record<(typeof FILTER_KEYS)[number], string>>;

export function filtersFrom(query: URLSearchParams): Filters {
  const f: Filters = {};
  for (const k of FILTER_KEYS) {
    const v = query.get(k)?.trim();
    if (v) f[k] = v;
  }
  return f;
}

/** The search terms for a set of filters (values are quoted: the search syntax splits on spaces). */
export function filterTerms(f: Filters): string {
  const q = (v: string) => (/[\s"]/.test(v) ? `"${v.replace(/"/g, "")}"` : v);
  const parts: string[] = [];
  if (f.status) parts.push(`status:${q(f.status)}`);
  if (f.priority) parts.push(`priority:${q(f.priority)}`);
  if (f.assignee) parts.push(`assignee:${q(f.assignee)}`);
  if (f.group) parts.push(`group:${q(f.group)}`);
  if (f.tag) parts.push(`tags:${q(f.tag)}`);
  if (f.requester) parts.push(`requester:${q(f.requester)}`);
  return parts.join(" ");
}

/** A ticket as a list shows it: a search hit (with its highlights) or a view's ticket. */
export type ListTicket = Pick<SearchResult, "id" | "subject" | "requester_id" | "assignee_id" | "status" | "priority" | "updated_at"> & {
  highlights?: SearchResult["highlights"];
  /** The ticket's SLA (`include=slas`): its metrics, and its policy (null when none applies). */
  slas?: TicketSlas | null | undefined;
  sla_policy?: { id: number } | null | undefined;
};
export type SearchPage = { results: ListTicket[]; links: CursorLinks };

/** One keyset page of a search: `after`/`before` are cursors from a previous page's links. */
export async function searchPage(query: string, opts: PageOpts, signal?: AbortSignal): Promise<SearchPage> {
  const r = await ok(client.GET("/api/v2/search", { params: { query: searchQuery(query, opts) }, ...(signal ? { signal } : {}) }));
  return { results: r.results.filter((x): x is SearchResult => x.result_type === "ticket"), links: r.links ?? { next: null, prev: null } };
}

/**
 * A page with each ticket's SLA (`show_many?include=slas`, one call for the page: a search does not
 * sideload them). The list is shown without them when that call fails.
 */
export async function withSlas(page: SearchPage, signal?: AbortSignal): Promise<SearchPage> {
  const ids = page.results.map((tk) => tk.id).slice(0, 100);
  if (ids.length === 0) return page;
  try {
    const r = await ok(client.GET("/api/v2/tickets/show_many", { params: { query: { ids: ids.join(","), include: "slas" } }, ...(signal ? { signal } : {}) }));
    const byId = new Map(r.tickets.map((tk) => [tk.id, tk]));
    return { ...page, results: page.results.map((tk) => ({ ...tk, slas: byId.get(tk.id)?.slas ?? null, sla_policy: byId.get(tk.id)?.sla_policy ?? null })) };
  } catch (e) {
    if (signal?.aborted) throw e;
    return page;
  }
}

/** A cursor from one of the API's page links. */
export function cursorOf(link: string | null, name: "page[after]" | "page[before]"): string | null {
  return link ? new URL(link).searchParams.get(name) : null;
}

export async function countSearch(query: string, signal?: AbortSignal): Promise<Count> {
  return ok(client.GET("/api/v2/search/count", { params: { query: { query } }, ...(signal ? { signal } : {}) }));
}

export async function viewCounts(signal: AbortSignal): Promise<Record<ViewId, Count>> {
  const counts = await Promise.all(VIEWS.map((v) => countSearch(v.query(), signal).then((r) => [v.id, r] as const)));
  return Object.fromEntries(counts) as Record<ViewId, Count>;
}

/** Users by id (requesters, assignees, authors), fetched in one call (the first 100 ids). */
export async function usersById(ids: Iterable<number>, signal?: AbortSignal): Promise<Map<number, User>> {
  const unique = [...new Set(ids)].filter((id) => id > 0).slice(0, 100);
  if (unique.length === 0) return new Map();
  const r = await ok(client.GET("/api/v2/users/show_many", { params: { query: { ids: unique.join(",") } }, ...(signal ? { signal } : {}) }));
  return new Map(r.users.map((u) => [u.id, u]));
}

/** Tags typed as "vip, billing refund" → ["vip", "billing", "refund"]. */
export function parseTags(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A count as an agent reads it: "10,000+" when the server stopped counting. */
export function countText(c: Count): string {
  return c.count_capped ? `${c.count.toLocaleString()}+` : c.count.toLocaleString();
}

/**
 * Staff tickets can be assigned to, and the groups (for pickers, filters and names): every one of
 * them, a cursor page of 100 at a time, so a team past 100 can still assign to and filter by its
 * last member. The pickers offer a short list as it is and a longer one through a type-ahead.
 */
export async function loadPickers(signal: AbortSignal): Promise<{ agents: User[]; groups: Array<{ id: number; name: string }> }> {
  async function agents(): Promise<User[]> {
    const all: User[] = [];
    for (let after: string | null = null; ; ) {
      const r = await ok(client.GET("/api/v2/users/assignable", { params: { query: { page: { size: 100, ...(after ? { after } : {}) } } }, signal }));
      all.push(...r.users);
      after = nextCursor(r);
      if (!after) return all;
    }
  }
  async function groups(): Promise<Array<{ id: number; name: string }>> {
    const all: Array<{ id: number; name: string }> = [];
    for (let after: string | null = null; ; ) {
      const r = await ok(client.GET("/api/v2/groups", { params: { query: { page: { size: 100, ...(after ? { after } : {}) } } }, signal }));
      all.push(...r.groups.filter((x) => !x.deleted));
      after = nextCursor(r);
      if (!after) return all;
    }
  }
  const [a, g] = await Promise.all([agents(), groups()]);
  return { agents: a, groups: g };
}

/** The active custom ticket fields (few, and they change rarely). */
export async function loadTicketFields(signal: AbortSignal) {
  const r = await ok(client.GET("/api/v2/ticket_fields", { signal }));
  return r.ticket_fields.filter((f) => f.active);
}

/** Query keys shared by the workspace's pages (what `useInvalidate` refreshes after a save). */
export const KEYS = {
  counts: ["counts"] as const,
  pickers: ["pickers"] as const,
  ticketFields: ["ticket_fields"] as const,
  ticket: (id: number) => ["ticket", id] as const,
  lists: ["tickets"] as const,
  savedViews: ["saved-views"] as const,
  savedView: (id: number) => ["saved-views", "one", id] as const,
  macros: ["macros"] as const,
  activeMacros: ["macros", "active"] as const,
};
