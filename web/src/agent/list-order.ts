/**
 * How the workspace's lists are ordered, and the query string of a search's page: no browser
 * needed (the web tests read it as it is).
 */

/** The orders every list offers (built-in lists, searches, saved views): the fields, and the next SLA breach (soonest first, none last going up). */
export const SORTS = ["updated_at", "created_at", "priority", "status", "id", "sla_next_breach_at"] as const;
/** How a list can be ordered: by a field, or (a search with words) by relevance, the server's default there. */
export type SortBy = (typeof SORTS)[number] | "relevance";
/** The orders a saved view offers: the same as the other lists'. */
export const VIEW_SORTS: readonly SortBy[] = SORTS;
/** The orders a search with words offers: relevance first. */
export const TEXT_SORTS: readonly SortBy[] = ["relevance", ...SORTS];

export type PageOpts = { sort: SortBy; desc: boolean; size: number; after?: string | null; before?: string | null };

/**
 * The query string of a search's page: the cursor, the order and its direction. Relevance is what
 * the server answers a search with words when no sort is given (best first); the ticket number is
 * the order of a search without words and without a sort.
 */
export function searchQuery(query: string, opts: PageOpts) {
  const page = opts.after ? { size: opts.size, after: opts.after } : opts.before ? { size: opts.size, before: opts.before } : { size: opts.size };
  const sortOrder: "asc" | "desc" = opts.desc || opts.sort === "relevance" ? "desc" : "asc";
  return { query, page, sort_order: sortOrder, ...(opts.sort !== "id" && opts.sort !== "relevance" ? { sort_by: opts.sort } : {}) };
}
