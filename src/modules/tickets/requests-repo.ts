import { sql, type RawBuilder } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import type { TicketStatus } from "../../platform/db/schema.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";
import { ccdOn, scoped, ticketQuery, ticketSortKey, type TicketOrder, type TicketRow } from "./tickets-repo.ts";

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

function ownQuery(tx: TenantTx, requesterId: string, shared = false) {
  // The requests API shows the caller's own requests: the end-user scope of tickets-policy.ts,
  // whatever the caller's role (staff have requests of their own too); `shared`: and those they
  // are copied on, and those of their organization when it shares its requests (0029).
  return scoped(ticketQuery(tx), { kind: "requested", userId: requesterId, organization: shared, ccd: shared })
    .select([firstPublicId.as("first_public_id"), firstPublicBody.as("first_public_body_sealed")]);
}

/** A page of a requester's requests, by last update or creation (keyset or offset pages). */
export async function listRequestsOf(
  tx: TenantTx,
  requesterId: string,
  page: Page,
  opts: { statuses: TicketStatus[] | undefined; sortBy: "updated_at" | "created_at" | TicketOrder; organizationId?: string | undefined; ccd?: boolean; match?: ((ordered: boolean) => RawBuilder<{ nice_id: string; score: string }>) | undefined },
): Promise<{ rows: Array<RequestRow & { sort_key: string }>; count: number | undefined }> {
  const key = typeof opts.sortBy === "string" ? ticketSortKey(opts.sortBy) : opts.sortBy;
  // An organization's requests: those the caller may see (their shared organization's), of that organization.
  // `match`: a text search's matching tickets (search-index.ts), joined in as `hit`, in score order
  // for the page (it is always in relevance order then), in none for the count.
  const narrow = <Q extends { where: (...a: any[]) => Q }>(q: Q, counting: boolean): Q => { // any: both query shapes below
    const m = opts.match;
    let r = m ? ((q as any).innerJoin(m(!counting).as("hit"), (j: any) => j.onRef("hit.nice_id", "=", "t.nice_id")) as Q) : q; // any: the join's alias is not in the builder's type
    r = opts.organizationId ? r.where("t.organization_id", "=", opts.organizationId) : r;
    // The requests the caller is copied on (`/requests/ccd`), theirs to see while they are.
    r = opts.ccd ? r.where(sql<boolean>`t.id = ANY (${ccdOn(requesterId)})`) : r;
    if (opts.statuses?.length) r = r.where("t.status", "in", opts.statuses);
    return r;
  };
  const wider = opts.organizationId !== undefined || opts.ccd === true;
  const q = narrow(ownQuery(tx, requesterId, wider), false);
  const c = narrow(scoped(tx.db.selectFrom("tickets as t").select((eb) => eb.fn.countAll<number>().as("n")).where("t.tenant_id", "=", tx.tenantId).where("t.deleted_at", "is", null), { kind: "requested", userId: requesterId, organization: wider, ccd: wider }), true);
  const r = await fetchPage(q.select(key.text.as("sort_key")), page, "t.nice_id", async () => Number((await c.executeTakeFirstOrThrow()).n), key);
  return r as unknown as { rows: Array<RequestRow & { sort_key: string }>; count: number | undefined };
}

/** The nice_ids of a requester's own requests, as a subquery (a request search's statistics; the search index keys tickets by it). */
export const ownTicketNiceIds = (tx: TenantTx, requesterId: string) =>
  scoped(tx.db.selectFrom("tickets as t").select("t.nice_id").where("t.tenant_id", "=", tx.tenantId).where("t.deleted_at", "is", null), { kind: "requested", userId: requesterId });

/** Every request of a requester, oldest first (the right of access). */
export async function allRequestsOf(tx: TenantTx, requesterId: string): Promise<RequestRow[]> {
  return (await ownQuery(tx, requesterId).orderBy("t.nice_id").execute()) as unknown as RequestRow[];
}

/** The caller's organization when it shares its requests with its members, else undefined. */
export const sharedOrganizationOfUser = (tx: TenantTx, userId: string) =>
  tx.db
    .selectFrom("users as u")
    .innerJoin("organizations as o", (j) => j.onRef("o.tenant_id", "=", "u.tenant_id").onRef("o.id", "=", "u.organization_id"))
    .select(["o.id", "o.nice_id"])
    .where("u.tenant_id", "=", tx.tenantId)
    .where("u.id", "=", userId)
    .where("o.shared_tickets", "=", true)
    .executeTakeFirst();

/** One request the caller may open: their own, one they are copied on, or their shared organization's. */
export const findRequestOf = (tx: TenantTx, requesterId: string, niceId: number) =>
  ownQuery(tx, requesterId, true).where("t.nice_id", "=", niceId).executeTakeFirst() as unknown as Promise<RequestRow | undefined>;

export const findRequestOfForUpdate = (tx: TenantTx, requesterId: string, niceId: number) =>
  ownQuery(tx, requesterId, true).where("t.nice_id", "=", niceId).forUpdate("t").executeTakeFirst() as unknown as Promise<RequestRow | undefined>;

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


/** Tickets a person requested or is copied on, oldest first (the person export). */
export async function ticketsOfPerson(tx: TenantTx, userId: string) {
  return tx.db
    .selectFrom("tickets as t")
    .select(["t.id", "t.nice_id", "t.subject_sealed", "t.status", "t.requester_id", "t.created_at", "t.updated_at", "t.solved_at"])
    .where("t.tenant_id", "=", tx.tenantId)
    .where("t.deleted_at", "is", null)
    .where((eb) =>
      eb.or([
        eb("t.requester_id", "=", userId),
        eb.exists(eb.selectFrom("ticket_ccs as cc").select("cc.user_id").whereRef("cc.tenant_id", "=", "t.tenant_id").whereRef("cc.ticket_id", "=", "t.id").where("cc.user_id", "=", userId)),
      ]),
    )
    .orderBy("t.nice_id")
    .execute();
}

/** The comments of those tickets, oldest first: public ones, and internal notes only when `internal`. */
export async function conversationOfPerson(tx: TenantTx, ticketIds: string[], internal: boolean) {
  if (ticketIds.length === 0) return [];
  let q = tx.db
    .selectFrom("ticket_comments as c")
    .innerJoin("tickets as t", (j) => j.onRef("t.tenant_id", "=", "c.tenant_id").onRef("t.id", "=", "c.ticket_id"))
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "c.tenant_id").onRef("u.id", "=", "c.author_id"))
    .select(["c.id", "c.nice_id", "c.body_sealed", "c.public", "c.created_at", "c.author_id", "u.nice_id as author_nice", "t.nice_id as ticket_nice"])
    .where("c.tenant_id", "=", tx.tenantId)
    .where("c.ticket_id", "in", ticketIds);
  if (!internal) q = q.where("c.public", "=", true);
  return q.orderBy("c.nice_id").execute();
}
