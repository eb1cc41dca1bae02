import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import type { TicketStatus } from "../../platform/db/schema.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";
import { scoped, ticketQuery, ticketSortKey, type TicketRow } from "./tickets-repo.ts";

/**
 * SQL for the requests API: a requester's own tickets and their public comments. Every query
 * names the requester, so another person's ticket id simply does not match (404).
 */

/**
 * A requester's ticket with its first PUBLIC comment, which is the request's description: a
 * ticket opened with an internal note keeps that note as its (staff) description, and the
 * requester never sees it. Tickets without any public comment are not the requester's to see yet.
 */
export type RequestRow = TicketRow & { first_public_id: string; first_public_body_sealed: Uint8Array };

const firstPublicId = sql<string>`(SELECT fc.id FROM ticket_comments fc WHERE fc.tenant_id = t.tenant_id AND fc.ticket_id = t.id AND fc.public ORDER BY fc.nice_id LIMIT 1)`;
const firstPublicBody = sql<Uint8Array>`(SELECT fc.body_sealed FROM ticket_comments fc WHERE fc.tenant_id = t.tenant_id AND fc.ticket_id = t.id AND fc.public ORDER BY fc.nice_id LIMIT 1)`;

function ownQuery(tx: TenantTx, requesterId: string) {
  // The requests API shows the caller's own requests: the end-user scope of tickets-policy.ts,
  // whatever the caller's role (staff have requests of their own too).
  return scoped(ticketQuery(tx), { kind: "requested", userId: requesterId })
    .select([firstPublicId.as("first_public_id"), firstPublicBody.as("first_public_body_sealed")]);
}

/** A page of a requester's requests, by last update or creation (keyset or offset pages). */
export async function listRequestsOf(
  tx: TenantTx,
  requesterId: string,
  page: Page,
  opts: { statuses: TicketStatus[] | undefined; sortBy: "updated_at" | "created_at" },
): Promise<{ rows: Array<RequestRow & { sort_key: string }>; count: number | undefined }> {
  const key = ticketSortKey(opts.sortBy);
  let q = ownQuery(tx, requesterId);
  if (opts.statuses?.length) q = q.where("t.status", "in", opts.statuses);
  let c = tx.db.selectFrom("tickets").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).where("requester_id", "=", requesterId).where("deleted_at", "is", null).where("is_public", "=", true);
  if (opts.statuses?.length) c = c.where("status", "in", opts.statuses);
  const r = await fetchPage(q.select(key.text.as("sort_key")), page, "t.nice_id", async () => Number((await c.executeTakeFirstOrThrow()).n), key);
  return r as unknown as { rows: Array<RequestRow & { sort_key: string }>; count: number | undefined };
}

/** Every request of a requester, oldest first (the right of access). */
export async function allRequestsOf(tx: TenantTx, requesterId: string): Promise<RequestRow[]> {
  return (await ownQuery(tx, requesterId).orderBy("t.nice_id").execute()) as unknown as RequestRow[];
}

export const findRequestOf = (tx: TenantTx, requesterId: string, niceId: number) =>
  ownQuery(tx, requesterId).where("t.nice_id", "=", niceId).executeTakeFirst() as unknown as Promise<RequestRow | undefined>;

export const findRequestOfForUpdate = (tx: TenantTx, requesterId: string, niceId: number) =>
  ownQuery(tx, requesterId).where("t.nice_id", "=", niceId).forUpdate("t").executeTakeFirst() as unknown as Promise<RequestRow | undefined>;

/** Public comments of a ticket, oldest first. Internal notes (public = false) are never selected. */
export async function listPublicComments(tx: TenantTx, ticketId: string, page: Page) {
  const q = tx.db
    .selectFrom("ticket_comments as c")
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "c.tenant_id").onRef("u.id", "=", "c.author_id"))
    .select(["c.id", "c.nice_id", "c.body_sealed", "c.html_body_sealed", "c.created_at", "c.author_id", "u.nice_id as author_nice", "u.role as author_role", "u.name_sealed as author_name_sealed"])
    .where("c.tenant_id", "=", tx.tenantId)
    .where("c.ticket_id", "=", ticketId)
    .where("c.public", "=", true);
  const counted = tx.db.selectFrom("ticket_comments").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).where("ticket_id", "=", ticketId).where("public", "=", true);
  return fetchPage(q, page, "c.nice_id", async () => Number((await counted.executeTakeFirstOrThrow()).n));
}

/** Every public comment a user wrote on their own requests, with the request (for the right of access). */
export async function listPublicCommentsBy(tx: TenantTx, authorId: string) {
  return tx.db
    .selectFrom("ticket_comments as c")
    .innerJoin("tickets as t", (j) => j.onRef("t.tenant_id", "=", "c.tenant_id").onRef("t.id", "=", "c.ticket_id"))
    .select(["c.id", "c.nice_id", "c.body_sealed", "c.created_at", "t.nice_id as ticket_nice"])
    .where("c.tenant_id", "=", tx.tenantId)
    .where("c.author_id", "=", authorId)
    // Only on their own requests: a comment put in their name on someone else's ticket tells
    // about that someone, and the person cannot see that ticket anyway.
    .where("t.requester_id", "=", authorId)
    .where("c.public", "=", true)
    .where("t.deleted_at", "is", null)
    .orderBy("c.nice_id")
    .execute();
}

