import { api } from "../api.ts";
import type { MessageKey } from "../i18n/index.ts";

/** API shapes the workspace reads (the subset of Zendesk's it shows) and the views it offers. */

export const STATUSES = ["new", "open", "pending", "hold", "solved", "closed"] as const;
export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type Status = (typeof STATUSES)[number];
export type Priority = (typeof PRIORITIES)[number];

export type Ticket = {
  id: number;
  subject: string;
  description: string;
  status: Status;
  priority: Priority | null;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  tags: string[];
  created_at: string;
  updated_at: string;
};

export type Comment = { id: number; author_id: number; body: string; public: boolean; created_at: string };

export type User = { id: number; name: string; email: string | null; role: string; role_type: number | null; vaultdesk_role: string };

/** A view is a saved search the API runs; its count comes from the same search. */
export type ViewId = "all-open" | "mine" | "unassigned";
export const VIEWS: ReadonlyArray<{ id: ViewId; label: MessageKey; query: string }> = [
  { id: "all-open", label: "view.all-open", query: "type:ticket status<solved" },
  { id: "mine", label: "view.mine", query: "type:ticket status<solved assignee:me" },
  { id: "unassigned", label: "view.unassigned", query: "type:ticket status<solved assignee:none" },
];

export type SearchPage = { results: Ticket[]; count: number; next_page: string | null; previous_page: string | null };

export function searchTickets(query: string, page: number, perPage: number): Promise<SearchPage> {
  const q = new URLSearchParams({ query, page: String(page), per_page: String(perPage), sort_order: "desc" });
  return api<SearchPage>("GET", `search.json?${q.toString()}`);
}

export async function viewCounts(): Promise<Record<ViewId, number>> {
  const counts = await Promise.all(VIEWS.map((v) => searchTickets(v.query, 1, 1).then((r) => [v.id, r.count] as const)));
  return Object.fromEntries(counts) as Record<ViewId, number>;
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
