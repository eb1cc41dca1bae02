import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden, invalid } from "../../platform/errors.ts";
import { decodeCursor, encodeCursor, type Page } from "../../platform/http/pagination.ts";
import { audit } from "../audit/audit-service.ts";
import { listTickets, unrestrictedRequester } from "../tickets/tickets-service.ts";
import { listUsers } from "../users/users-service.ts";
import { exportsPolicy } from "./exports-policy.ts";

/**
 * Zendesk's cursor-based incremental exports (`GET /api/v2/incremental/tickets/cursor.json`,
 * `/incremental/users/cursor.json`): everything changed at or after `start_time`, oldest change
 * first, up to `per_page` (1,000) at a time; each answer carries `after_cursor` (also at the end
 * of the stream, to ask again later for what changes next) and `end_of_stream`. Owners and admins
 * only, as Zendesk. A page is a keyset page of the (tenant, updated_at, public id) indexes, so the
 * thousandth page costs what the first does. The cursor names the last row seen: its change time
 * in microseconds and its public id. Starting a stream (a `start_time` request) is audited;
 * following its cursor is not, so a sync every minute does not fill the audit trail. People whose
 * processing is restricted, and the tickets they requested, are left out (as in tenant exports).
 */

export const INCREMENTAL_PAGE_MAX = 1000;

type Resource = "tickets" | "users";
export type IncrementalQuery = { start_time?: number | undefined; cursor?: string | undefined; per_page?: number | undefined };
export type IncrementalPage<T> = { items: T[]; after_cursor: string; after_url: string; before_cursor: null; before_url: null; end_of_stream: boolean };

function startOf(ctx: RequestContext, resource: Resource, q: IncrementalQuery): { afterKey: string; afterId: number } {
  if (q.cursor !== undefined && q.start_time !== undefined) throw invalid("cursor", "give either start_time or cursor, not both");
  if (q.cursor !== undefined) {
    const c = decodeCursor(q.cursor);
    if (c.key === undefined) throw invalid("cursor", "is not a cursor of an incremental export");
    return { afterKey: c.key, afterId: c.id };
  }
  if (q.start_time === undefined) throw invalid("start_time", "is required unless a cursor is given (Unix seconds)");
  if (q.start_time * 1000 > ctx.now().getTime()) throw invalid("start_time", "is in the future");
  audit(ctx, { action: "export.incremental_started", resourceType: "export", resourceId: resource, fields: ["start_time"] });
  // Public ids start at 1: (start, 0) is just before every row changed at `start` itself.
  return { afterKey: String(q.start_time * 1_000_000), afterId: 0 };
}

async function page<T extends { id: number }>(
  ctx: RequestContext,
  resource: Resource,
  q: IncrementalQuery,
  url: URL,
  read: (page: Page) => Promise<{ views: T[]; keys: Array<string | undefined> }>,
): Promise<IncrementalPage<T>> {
  if (!exportsPolicy.exportTenant(actorUser(ctx))) throw forbidden("Incremental exports are for owners and admins.");
  const from = startOf(ctx, resource, q);
  const size = q.per_page ?? INCREMENTAL_PAGE_MAX;
  const { views, keys } = await read({ mode: "cursor", size, afterId: from.afterId, afterKey: from.afterKey, beforeId: undefined, desc: false });
  const items = views.slice(0, size);
  const last = items.length - 1;
  const cursor = last >= 0 ? encodeCursor(items[last]!.id, keys[last]) : encodeCursor(from.afterId, from.afterKey);
  // The request's own address (built from configuration, never from its headers), with the cursor.
  const next = new URL(url);
  next.search = "";
  next.searchParams.set("cursor", cursor);
  if (q.per_page !== undefined) next.searchParams.set("per_page", String(size));
  return { items, after_cursor: cursor, after_url: next.toString(), before_cursor: null, before_url: null, end_of_stream: views.length <= size };
}

export function incrementalTickets(ctx: RequestContext, q: IncrementalQuery, url: URL) {
  return page(ctx, "tickets", q, url, async (p) => {
    const r = await listTickets(ctx, p, unrestrictedRequester, "updated_at");
    return { views: r.views, keys: r.rows.map((row) => row.sort_key) };
  });
}

export function incrementalUsers(ctx: RequestContext, q: IncrementalQuery, url: URL) {
  return page(ctx, "users", q, url, async (p) => {
    const r = await listUsers(ctx, p, { withoutSupport: true, unrestricted: true }, true);
    return { views: r.rows, keys: r.keys };
  });
}
