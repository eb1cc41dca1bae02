import { api } from "../api.ts";
import type { MessageKey } from "../i18n/index.ts";

/** API shapes the workspace reads (the subset of Zendesk's it shows) and the views it offers. */

export const STATUSES = ["new", "open", "pending", "hold", "solved", "closed"] as const;
export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type Status = (typeof STATUSES)[number];
export type Priority = (typeof PRIORITIES)[number];
export const TICKET_TYPES = ["question", "incident", "problem", "task"] as const;
export type TicketType = (typeof TICKET_TYPES)[number];

export type Ticket = {
  id: number;
  subject: string;
  description: string;
  status: Status;
  priority: Priority | null;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  group_id: number | null;
  organization_id: number | null;
  type: TicketType | null;
  custom_fields: Array<{ id: number; value: string | number | boolean | null }>;
  tags: string[];
  created_at: string;
  updated_at: string;
};

export type Comment = { id: number; author_id: number; body: string; public: boolean; created_at: string };

export type User = { id: number; name: string; email: string | null; role: string; role_type: number | null; vaultdesk_role: string; organization_id?: number | null };
export type Group = { id: number; name: string };
export type Organization = { id: number; name: string };
/** The API names a dropdown "tagger", as Zendesk does. */
export type TicketField = { id: number; type: "text" | "number" | "date" | "tagger" | "checkbox"; title: string; active: boolean; custom_field_options: Array<{ name: string; value: string }> };
export type AuditEvent = { id: number; type: "Create" | "Change" | "Comment"; field_name?: string; value?: unknown; previous_value?: unknown; body?: string; public?: boolean };
export type Audit = { id: number; author_id: number | null; created_at: string; events: AuditEvent[] };

/** What the signed-in person may do, as the server sends it with the session (never decided here). */
export type Abilities = {
  can_use_workspace: boolean;
  can_create_tickets: boolean;
  can_reply_publicly: boolean;
  can_add_internal_notes: boolean;
  can_edit_properties: boolean;
  can_bulk_update: boolean;
  can_delete_tickets: boolean;
  can_be_assigned: boolean;
  can_create_end_users: boolean;
  can_manage_admin: boolean;
};

export async function loadAbilities(): Promise<Abilities> {
  return (await api<{ session: { abilities: Abilities } }>("GET", "session.json")).session.abilities;
}

/** A view is a saved search the API runs; its count comes from the same search (capped). */
export type ViewId = "all-open" | "mine" | "unassigned" | "pending" | "recently-solved";
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
export const VIEWS: ReadonlyArray<{ id: ViewId; label: MessageKey; query: () => string; sort: SortBy }> = [
  { id: "all-open", label: "view.all-open", query: () => "type:ticket status<solved", sort: "updated_at" },
  { id: "mine", label: "view.mine", query: () => "type:ticket status<solved assignee:me", sort: "updated_at" },
  { id: "unassigned", label: "view.unassigned", query: () => "type:ticket status<solved assignee:none", sort: "updated_at" },
  { id: "pending", label: "view.pending", query: () => "type:ticket status:pending", sort: "updated_at" },
  // Solved (or since closed) in the last seven days.
  { id: "recently-solved", label: "view.recently-solved", query: () => `type:ticket status>=solved solved>=${daysAgo(7)}`, sort: "updated_at" },
];

export const SORTS = ["updated_at", "created_at", "priority", "status", "id"] as const;
export type SortBy = (typeof SORTS)[number];

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

export type CursorPage = { results: Ticket[]; meta: { has_more: boolean; after_cursor: string | null; before_cursor: string | null }; links: { next: string | null; prev: string | null } };

/** One keyset page of a search: `after`/`before` are cursors from a previous page's links. */
export function searchPage(query: string, opts: { sort: SortBy; desc: boolean; size: number; after?: string | null; before?: string | null }): Promise<CursorPage> {
  const q = new URLSearchParams({ query, "page[size]": String(opts.size), sort_order: opts.desc ? "desc" : "asc" });
  if (opts.sort !== "id") q.set("sort_by", opts.sort);
  if (opts.after) q.set("page[after]", opts.after);
  else if (opts.before) q.set("page[before]", opts.before);
  return api<CursorPage>("GET", `search.json?${q.toString()}`);
}

/** A cursor from one of the API's page links. */
export function cursorOf(link: string | null, name: "page[after]" | "page[before]"): string | null {
  return link ? new URL(link).searchParams.get(name) : null;
}

export type Count = { count: number; count_capped: boolean };

export function countSearch(query: string): Promise<Count> {
  return api<Count>("GET", `search/count.json?${new URLSearchParams({ query }).toString()}`);
}

export async function viewCounts(): Promise<Record<ViewId, Count>> {
  const counts = await Promise.all(VIEWS.map((v) => countSearch(v.query()).then((r) => [v.id, r] as const)));
  return Object.fromEntries(counts) as Record<ViewId, Count>;
}

/** Users by id (requesters, assignees, authors), fetched in one call. */
export async function usersById(ids: Iterable<number>): Promise<Map<number, User>> {
  const unique = [...new Set(ids)].filter((id) => id > 0).slice(0, 100);
  if (unique.length === 0) return new Map();
  const r = await api<{ users: User[] }>("GET", `users/show_many.json?ids=${unique.join(",")}`);
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

/** Staff tickets can be assigned to, and the groups (for pickers and filters). */
export async function loadPickers(): Promise<{ agents: User[]; groups: Group[] }> {
  const [a, g] = await Promise.all([api<{ users: User[] }>("GET", "users/assignable.json?per_page=100"), api<{ groups: Group[] }>("GET", "groups.json?per_page=100")]);
  return { agents: a.users, groups: g.groups };
}
