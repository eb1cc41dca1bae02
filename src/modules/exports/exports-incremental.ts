import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { AppError, forbidden, invalid } from "../../platform/errors.ts";
import { decodeCursor, encodeCursor } from "../../platform/http/pagination.ts";
import { audit } from "../audit/audit-service.ts";
import { changedOrganizations } from "../organizations/organizations-service.ts";
import { changedTicketEvents, changedTickets } from "../tickets/tickets-service.ts";
import { changedUsers } from "../users/users-service.ts";
import { exportsPolicy } from "./exports-policy.ts";
import * as repo from "./exports-repo.ts";

/**
 * Zendesk's incremental exports of tickets, people and organizations, in both of its forms, and of
 * ticket events (the tickets' audits, time-based only, as Zendesk has it):
 *
 * - cursor-based (`/incremental/{tickets,users,organizations}/cursor.json`): begin with
 *   `start_time`, go on with each page's `after_cursor` (also given at the end of the stream, to ask
 *   again later for what changes next);
 * - time-based (`/incremental/{tickets,users,organizations}.json?start_time=`): each page gives
 *   `end_time` and `next_page`, and never splits the changes of one second between two pages.
 *
 * Owners and admins only, as Zendesk. Oldest change first, then by public id; a page is one range
 * of the (tenant, updated_at, public id) indexes, so the thousandth page costs what the first does.
 *
 * Changes of the last minute (VAULTDESK_INCREMENTAL_SETTLE_SECONDS) are left for a later page, as
 * Zendesk does: a row's last change is its transaction's start, and a transaction still running
 * when a page is read commits later with an earlier time. Without the wait, a stream that had read
 * past that time would never see it.
 *
 * Beginning a stream is audited (`export.incremental_started`); following it is not, so a sync
 * every minute does not fill the audit trail. What proves a request follows a stream is a keyed
 * hash under the tenant's index key: a cursor carries one over its position, a time-based
 * `next_page` one over its start time (`stream`). A hand-made cursor is refused (400), and a
 * time-based request without `stream` is audited as a beginning. People whose processing is
 * restricted, and the tickets they requested, are left out (as in tenant exports); tickets in the
 * trash come with status `deleted` and without their content.
 */

export const INCREMENTAL_PAGE_MAX = 1000;
/** A time-based page completes its last second up to this many items in all (then splits it: see below). */
export const TIME_PAGE_LIMIT = 10_000;

type Resource = "tickets" | "users" | "organizations" | "ticket_events";
type Position = { key: string; id: number };
type Read<T> = (after: Position, until: Date, limit: number) => Promise<{ views: T[]; keys: string[] }>;

export type IncrementalQuery = { start_time?: number | undefined; cursor?: string | undefined; per_page?: number | undefined };
export type IncrementalPage<T> = { items: T[]; after_cursor: string; after_url: string; before_cursor: null; before_url: null; end_of_stream: boolean };
export type TimeBasedQuery = { start_time: number; per_page?: number | undefined; stream?: string | undefined; include?: "comment_events" | undefined };
export type TimeBasedPage<T> = { items: T[]; count: number; end_time: number; next_page: string; end_of_stream: boolean };

function reader(ctx: RequestContext, resource: Resource, q: { include?: "comment_events" | undefined } = {}): Read<{ id: number }> {
  if (resource === "ticket_events") return (after, until, limit) => changedTicketEvents(ctx, after, until, limit, { commentEvents: q.include === "comment_events" });
  const read = { tickets: changedTickets, users: changedUsers, organizations: changedOrganizations }[resource];
  if (resource === "users") return (after, until, limit) => read(ctx, after, until, limit);
  // Tickets and organizations deleted for good come as `deleted` items among the changes.
  const kind = resource === "tickets" ? "ticket" : "organization";
  return async (after, until, limit) => {
    const [live, purged] = await Promise.all([read(ctx, after, until, limit), repo.listPurged(ctx.tx, kind, after, until, limit)]);
    const gone = purged.map((p) => ({ view: purgedView(ctx, resource, p), key: p.sort_key }));
    const merged = [...live.views.map((view, i) => ({ view, key: live.keys[i]! })), ...gone].sort((a, b) => compareKeys(a.key, b.key) || a.view.id - b.view.id).slice(0, limit);
    return { views: merged.map((m) => m.view), keys: merged.map((m) => m.key) };
  };
}

/** Stream positions (integer microseconds as text) in order. */
const compareKeys = (a: string, b: string) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

/** A ticket or organization deleted for good, as its stream item: its id, address, `deleted` and when (nothing else is left of it). */
export type PurgedItem = { id: number; url: string; deleted: true; status?: "deleted"; deleted_at: string; updated_at: string };
function purgedView(ctx: RequestContext, resource: "tickets" | "organizations", p: { nice_id: number; deleted_at: Date }): PurgedItem {
  const at = p.deleted_at.toISOString();
  return { id: p.nice_id, url: `${ctx.apiBase}/${resource}/${p.nice_id}.json`, deleted: true, ...(resource === "tickets" ? { status: "deleted" as const } : {}), deleted_at: at, updated_at: at };
}

/** The keyed hash that proves a cursor or a `stream` value was given by this tenant's stream of `resource`. */
function mac(ctx: RequestContext, resource: Resource, what: string): string {
  return ctx.sealer.blindIndex("incremental-export", `${resource}|${what}`).toString("base64url");
}
function sameMac(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Byte lengths: a string of as many characters can have more bytes (non-ASCII).
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

function signedCursor(ctx: RequestContext, resource: Resource, p: Position): string {
  const c = encodeCursor(p.id, p.key);
  return `${c}.${mac(ctx, resource, c)}`;
}

function openCursor(ctx: RequestContext, resource: Resource, cursor: string): Position {
  const [c = "", m = "", ...rest] = cursor.split(".");
  if (rest.length > 0 || !sameMac(m, mac(ctx, resource, c))) throw new AppError("BadRequest", { description: "invalid cursor: give the after_cursor of a page of this export" });
  const d = decodeCursor(c);
  if (d.key === undefined) throw new AppError("BadRequest", { description: "invalid cursor: give the after_cursor of a page of this export" });
  return { key: d.key, id: d.id };
}

function allowed(ctx: RequestContext): void {
  if (!exportsPolicy.exportTenant(actorUser(ctx))) throw forbidden("Incremental exports are for owners and admins.");
}

function notInFuture(ctx: RequestContext, startTime: number): void {
  if (startTime * 1000 > ctx.now().getTime()) throw invalid("start_time", "is in the future");
}

const begun = (ctx: RequestContext, resource: Resource, more: string[] = []) =>
  audit(ctx, { action: "export.incremental_started", resourceType: "export", resourceId: resource, fields: ["start_time", ...more] });

// Public ids start at 1: (start, 0) is just before every row changed at `start` itself.
const positionAt = (seconds: number): Position => ({ key: String(seconds * 1_000_000), id: 0 });
const settledBefore = (ctx: RequestContext, settleMs: number) => new Date(ctx.now().getTime() - settleMs);

/** A page of the cursor-based export of `resource`. `url`: the request's address (built from configuration, never from its headers). */
export async function cursorPage(ctx: RequestContext, settleMs: number, resource: Resource, q: IncrementalQuery, url: URL): Promise<IncrementalPage<unknown>> {
  allowed(ctx);
  if (q.cursor !== undefined && q.start_time !== undefined) throw invalid("cursor", "give either start_time or cursor, not both");
  let from: Position;
  if (q.cursor !== undefined) from = openCursor(ctx, resource, q.cursor);
  else {
    if (q.start_time === undefined) throw invalid("start_time", "is required unless a cursor is given (Unix seconds)");
    notInFuture(ctx, q.start_time);
    begun(ctx, resource);
    from = positionAt(q.start_time);
  }
  const size = q.per_page ?? INCREMENTAL_PAGE_MAX;
  const { views, keys } = await reader(ctx, resource)(from, settledBefore(ctx, settleMs), size + 1);
  const items = views.slice(0, size);
  const last = items.length - 1;
  const cursor = signedCursor(ctx, resource, last >= 0 ? { id: items[last]!.id, key: keys[last]! } : from);
  const next = new URL(url);
  next.search = "";
  next.searchParams.set("cursor", cursor);
  if (q.per_page !== undefined) next.searchParams.set("per_page", String(size));
  return { items, after_cursor: cursor, after_url: next.toString(), before_cursor: null, before_url: null, end_of_stream: views.length <= size };
}

/**
 * A page of the time-based export of `resource`, in Zendesk's shape. `end_time` is where the next
 * page starts and `next_page` asks for it: a page takes in every change of its last second, so the
 * next one starts at the second after it, without repeats. (A single second holding more than
 * TIME_PAGE_LIMIT changes of one kind — nothing in Vaultdesk makes that many in one second — would
 * be split: the next page then starts at that second again and repeats its first part; a client
 * should take the cursor-based export for such bulk loads.)
 */
export async function timeBasedPage(ctx: RequestContext, settleMs: number, resource: Resource, q: TimeBasedQuery, url: URL): Promise<TimeBasedPage<unknown>> {
  allowed(ctx);
  notInFuture(ctx, q.start_time);
  // A stream's value covers what it asked for: one begun without comments cannot go on with them unaudited.
  const streamOf = (t: number) => mac(ctx, resource, q.include === undefined ? `t${t}` : `t${t}|${q.include}`);
  if (q.stream === undefined) begun(ctx, resource, q.include === undefined ? [] : ["include"]);
  else if (!sameMac(q.stream, streamOf(q.start_time))) throw invalid("stream", "does not belong to this start_time: follow next_page as given, or leave stream out to begin a new export");
  const size = q.per_page ?? INCREMENTAL_PAGE_MAX;
  const read = reader(ctx, resource, q);
  const until = settledBefore(ctx, settleMs);
  const first = await read(positionAt(q.start_time), until, size + 1);
  let items = first.views.slice(0, size);
  let endOfStream = first.views.length <= size;
  let endTime: number;
  if (endOfStream) {
    // Everything changed before the settled time was read: the next page starts at its second
    // (what changed within that second before it comes again, as a client handles an update).
    endTime = Math.max(q.start_time, Math.floor(until.getTime() / 1000));
  } else {
    // Take the rest of the last item's second, so that the next page starts after it.
    const lastKey = first.keys[size - 1]!;
    const second = Math.floor(Number(lastKey) / 1_000_000);
    const secondEnd = (second + 1) * 1000;
    const settled = secondEnd <= until.getTime();
    const room = TIME_PAGE_LIMIT - size;
    const rest = await read({ key: lastKey, id: items[size - 1]!.id }, settled ? new Date(secondEnd) : until, room + 1);
    items = items.concat(rest.views.slice(0, room));
    if (rest.views.length > room) endTime = second; // split (see above)
    else if (settled) endTime = second + 1;
    else {
      // The second is still settling: all that has settled was read; the rest comes next time.
      endTime = second;
      endOfStream = true;
    }
  }
  const next = new URL(url);
  next.search = "";
  next.searchParams.set("start_time", String(endTime));
  next.searchParams.set("stream", streamOf(endTime));
  if (q.per_page !== undefined) next.searchParams.set("per_page", String(size));
  if (q.include !== undefined) next.searchParams.set("include", q.include);
  return { items, count: items.length, end_time: endTime, next_page: next.toString(), end_of_stream: endOfStream };
}
