import { sql } from "kysely";
import type { Database, TenantTx } from "../../platform/db/database.ts";
import type { ForwardingStatus, InboundState } from "../../platform/db/schema.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";

/** SQL for support addresses, inbound messages, suspended tickets and mail settings. Every query names its tenant. */

const addressCols = ["id", "nice_id", "email_sealed", "name_sealed", "email_route", "is_default", "forwarding_status", "verification_hash", "verification_sent_at", "verified_at", "created_at", "updated_at"] as const;
const addresses = (tx: TenantTx) => tx.db.selectFrom("support_addresses").select(addressCols).where("tenant_id", "=", tx.tenantId);

export type AddressRow = Awaited<ReturnType<typeof findAddress>> & {};

export const findAddress = (tx: TenantTx, niceId: number) => addresses(tx).where("nice_id", "=", niceId).executeTakeFirst();
export const findAddressByRoute = (tx: TenantTx, route: Buffer) => addresses(tx).where("email_route", "=", route).executeTakeFirst();
export const findDefaultAddress = (tx: TenantTx) => addresses(tx).where("is_default", "=", true).executeTakeFirst();
export const listAllAddresses = (tx: TenantTx) => addresses(tx).orderBy("nice_id").limit(1000).execute();
export const waitingAddresses = (tx: TenantTx) => addresses(tx).where("forwarding_status", "=", "waiting").limit(1000).execute();

export async function listAddresses(tx: TenantTx, page: Page) {
  return fetchPage(addresses(tx), page, "nice_id", async () =>
    Number((await tx.db.selectFrom("support_addresses").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirstOrThrow()).n),
  );
}

export async function insertAddress(tx: TenantTx, a: { id: string; email_sealed: Uint8Array; name_sealed: Uint8Array | null; email_route: Buffer; is_default: boolean; forwarding_status: ForwardingStatus }): Promise<number> {
  const r = await tx.db
    .insertInto("support_addresses")
    .values({ ...a, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('support_addresses')`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

export async function updateAddress(
  tx: TenantTx,
  id: string,
  patch: { name_sealed?: Uint8Array | null; is_default?: boolean; forwarding_status?: ForwardingStatus; verification_hash?: Buffer | null; verification_sent_at?: Date | null; verified_at?: Date | null },
): Promise<void> {
  await tx.db.updateTable("support_addresses").set({ ...patch, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function clearDefault(tx: TenantTx): Promise<void> {
  await tx.db.updateTable("support_addresses").set({ is_default: false, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("is_default", "=", true).execute();
}

export async function deleteAddress(tx: TenantTx, id: string): Promise<void> {
  await tx.db.deleteFrom("support_addresses").where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/** The tenant an address routes to, across tenants (owner role, through vd_mail_route: an id only). */
export async function tenantOfRoute(db: Database, route: Buffer): Promise<string | undefined> {
  const r = await sql<{ t: string | null }>`SELECT vd_mail_route(${route}) AS t`.execute(db.owner);
  return r.rows[0]?.t ?? undefined;
}

/** Whether any tenant holds the address (vd_mail_route_taken: a yes or no, never a tenant). */
export async function tenantOfRouteIn(tx: TenantTx, route: Buffer): Promise<boolean> {
  const r = await sql<{ taken: boolean }>`SELECT vd_mail_route_taken(${route}) AS taken`.execute(tx.db);
  return r.rows[0]?.taken === true;
}

/* Inbound messages. */

export async function insertInbound(tx: TenantTx, m: { id: string; envelope_sealed: Uint8Array; size: number }): Promise<void> {
  await tx.db.insertInto("inbound_messages").values({ ...m, tenant_id: tx.tenantId, state: "queued" }).execute();
}

const inboundCols = ["id", "envelope_sealed", "size", "received_at", "state", "outcome", "ticket_id", "comment_id", "auth_results_sealed"] as const;
export type InboundRow = Awaited<ReturnType<typeof findInbound>> & {};

export const findInbound = (tx: TenantTx, id: string) => tx.db.selectFrom("inbound_messages").select(inboundCols).where("tenant_id", "=", tx.tenantId).where("id", "=", id).executeTakeFirst();
export const findInboundForUpdate = (tx: TenantTx, id: string) =>
  tx.db.selectFrom("inbound_messages").select(inboundCols).where("tenant_id", "=", tx.tenantId).where("id", "=", id).forUpdate().executeTakeFirst();
export const findInboundOfComment = (tx: TenantTx, commentId: string) =>
  tx.db.selectFrom("inbound_messages").select(inboundCols).where("tenant_id", "=", tx.tenantId).where("comment_id", "=", commentId).executeTakeFirst();

export async function finishInbound(
  tx: TenantTx,
  id: string,
  r: { state: InboundState; outcome: string | null; sender_bidx: Buffer | null; message_id_bidx: Buffer | null; auth_results_sealed: Uint8Array | null; ticket_id: string | null; comment_id: string | null; processed_at: Date },
): Promise<void> {
  await tx.db.updateTable("inbound_messages").set(r).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function setInboundState(tx: TenantTx, id: string, patch: { state: InboundState; ticket_id?: string | null; comment_id?: string | null }): Promise<void> {
  await tx.db.updateTable("inbound_messages").set(patch).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/**
 * Before tickets' rows are deleted for good: their suspended replies are deleted, and every message
 * about them (those and the ones that made them or their comments) is marked `deleted` without them (the
 * orphan sweep then removes the stored copies). Returns the suspended tickets' public ids.
 */
export async function forgetTickets(tx: TenantTx, ticketIds: readonly string[]): Promise<number[]> {
  if (ticketIds.length === 0) return [];
  const these = [...ticketIds];
  const held = await tx.db.deleteFrom("suspended_tickets").where("tenant_id", "=", tx.tenantId).where("ticket_id", "in", these).returning(["nice_id", "inbound_message_id"]).execute();
  if (held.length) await tx.db.updateTable("inbound_messages").set({ state: "deleted" }).where("tenant_id", "=", tx.tenantId).where("id", "in", held.map((h) => h.inbound_message_id)).execute();
  await tx.db.updateTable("inbound_messages").set({ state: "deleted", ticket_id: null, comment_id: null }).where("tenant_id", "=", tx.tenantId).where("ticket_id", "in", these).execute();
  return held.map((h) => Number(h.nice_id));
}

/** Messages from one sender that made tickets or comments since `since` (the per-sender limit). */
export async function countFromSender(tx: TenantTx, senderBidx: Buffer, since: Date): Promise<number> {
  const r = await tx.db
    .selectFrom("inbound_messages")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("tenant_id", "=", tx.tenantId)
    .where("sender_bidx", "=", senderBidx)
    .where("received_at", ">=", since)
    .where("state", "in", ["ticket", "comment", "suspended"])
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * An earlier message from the same sender with this Message-ID that became a ticket, comment or
 * suspended ticket (a duplicate delivery). The sender is part of the check, so nobody can suppress
 * another person's message by sending first with its Message-ID.
 */
export async function seenMessageId(tx: TenantTx, bidx: Buffer, senderBidx: Buffer, exceptId: string): Promise<boolean> {
  const r = await tx.db
    .selectFrom("inbound_messages")
    .select("id")
    .where("tenant_id", "=", tx.tenantId)
    .where("message_id_bidx", "=", bidx)
    .where("sender_bidx", "=", senderBidx)
    .where("id", "!=", exceptId)
    .where("state", "in", ["ticket", "comment", "suspended"])
    .executeTakeFirst();
  return r !== undefined;
}

/* Suspended tickets. */

const suspendedCols = [
  "s.id",
  "s.nice_id",
  "s.inbound_message_id",
  "s.cause",
  "s.subject_sealed",
  "s.content_sealed",
  "s.author_name_sealed",
  "s.author_email_sealed",
  "s.recipient_sealed",
  "s.ticket_id",
  "s.created_at",
  "t.nice_id as ticket_nice",
] as const;
const suspended = (tx: TenantTx) =>
  tx.db
    .selectFrom("suspended_tickets as s")
    .leftJoin("tickets as t", (j) => j.onRef("t.tenant_id", "=", "s.tenant_id").onRef("t.id", "=", "s.ticket_id"))
    .select(suspendedCols)
    .where("s.tenant_id", "=", tx.tenantId);

export type SuspendedRow = Awaited<ReturnType<typeof findSuspended>> & {};

export const findSuspended = (tx: TenantTx, niceId: number) => suspended(tx).where("s.nice_id", "=", niceId).executeTakeFirst();
export const findSuspendedForUpdate = (tx: TenantTx, niceId: number) => suspended(tx).where("s.nice_id", "=", niceId).forUpdate("s").executeTakeFirst();
export const findSuspendedMany = (tx: TenantTx, niceIds: number[]) => (niceIds.length === 0 ? Promise.resolve([]) : suspended(tx).where("s.nice_id", "in", niceIds).forUpdate("s").execute());

export async function listSuspended(tx: TenantTx, page: Page) {
  return fetchPage(suspended(tx), page, "s.nice_id", async () =>
    Number((await tx.db.selectFrom("suspended_tickets").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirstOrThrow()).n),
  );
}

export async function insertSuspended(
  tx: TenantTx,
  s: {
    id: string;
    inbound_message_id: string;
    cause: string;
    subject_sealed: Uint8Array;
    content_sealed: Uint8Array;
    author_name_sealed: Uint8Array | null;
    author_email_sealed: Uint8Array | null;
    recipient_sealed: Uint8Array | null;
    ticket_id: string | null;
  },
): Promise<number> {
  const r = await tx.db.insertInto("suspended_tickets").values({ ...s, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('suspended_tickets')` }).returning("nice_id").executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

export async function deleteSuspended(tx: TenantTx, id: string): Promise<void> {
  await tx.db.deleteFrom("suspended_tickets").where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/* Mail settings. */

export const findSettings = (tx: TenantTx) => tx.db.selectFrom("mail_settings").select(["blocklist_sealed", "updated_at"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();

export async function upsertSettings(tx: TenantTx, blocklistSealed: Uint8Array | null): Promise<void> {
  await tx.db
    .insertInto("mail_settings")
    .values({ tenant_id: tx.tenantId, id: tx.tenantId, blocklist_sealed: blocklistSealed })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ blocklist_sealed: blocklistSealed, updated_at: sql`now()` }))
    .execute();
}

// ---- DKIM keys (0016) ----------------------------------------------------------------------------

const DKIM_COLUMNS = ["id", "domain_sealed", "selector", "public_key", "private_key_sealed", "status", "checked_at", "created_at"] as const;

export type DkimKeyRow = Awaited<ReturnType<typeof findDkimKey>> & {};

export const findDkimKey = (tx: TenantTx, id: string) => tx.db.selectFrom("dkim_keys").select(DKIM_COLUMNS).where("tenant_id", "=", tx.tenantId).where("id", "=", id).executeTakeFirst();

/** A tenant has a handful of keys at most (one per domain of its own). */
export const listDkimKeys = (tx: TenantTx) => tx.db.selectFrom("dkim_keys").select(DKIM_COLUMNS).where("tenant_id", "=", tx.tenantId).orderBy("created_at").limit(100).execute();

export async function insertDkimKey(tx: TenantTx, k: { id: string; domain_sealed: Uint8Array; selector: string; public_key: string; private_key_sealed: Uint8Array }): Promise<void> {
  await tx.db.insertInto("dkim_keys").values({ tenant_id: tx.tenantId, ...k, status: "pending", checked_at: null }).execute();
}

export async function setDkimStatus(tx: TenantTx, id: string, status: "pending" | "verified", at: Date): Promise<void> {
  await tx.db.updateTable("dkim_keys").set({ status, checked_at: at }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function deleteDkimKey(tx: TenantTx, id: string): Promise<boolean> {
  const r = await tx.db.deleteFrom("dkim_keys").where("tenant_id", "=", tx.tenantId).where("id", "=", id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/* Retention (mail-retention.ts). */

/** Suspended tickets that arrived before `before`, oldest first. */
export const suspendedBefore = (tx: TenantTx, before: Date, limit: number) =>
  tx.db
    .selectFrom("suspended_tickets")
    .select(["id", "nice_id", "inbound_message_id"])
    .where("tenant_id", "=", tx.tenantId)
    .where("created_at", "<", before)
    .orderBy("created_at")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();

/** Messages that made nothing (dropped, or a forwarding check) received before `before`: their stored copies can go. */
export const unkeptBefore = (tx: TenantTx, before: Date, limit: number) =>
  tx.db
    .selectFrom("inbound_messages")
    .select("id")
    .where("tenant_id", "=", tx.tenantId)
    .where("state", "in", ["dropped", "verification"])
    .where("received_at", "<", before)
    .orderBy("received_at")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();

/** Which of these messages still have their stored copy in use (any state but `deleted`). */
export async function keptInboundIds(tx: TenantTx, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await tx.db.selectFrom("inbound_messages").select("id").where("tenant_id", "=", tx.tenantId).where("id", "in", [...ids]).where("state", "!=", "deleted").execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Erasure of a person: the mail they sent (by the keyed hash of their address) or that became one of
 * `commentIds` goes — suspended tickets made of it, then the message rows. Returns the messages' ids
 * (their stored copies are deleted after the commit) and the suspended tickets' public ids.
 */
export async function forgetSender(tx: TenantTx, senderBidx: Buffer | null, commentIds: readonly string[]): Promise<{ messageIds: string[]; suspended: number[] }> {
  const ids = (
    await tx.db
      .selectFrom("inbound_messages")
      .select("id")
      .where("tenant_id", "=", tx.tenantId)
      .where((eb) => eb.or([...(senderBidx ? [eb("sender_bidx", "=", senderBidx)] : []), ...(commentIds.length ? [eb("comment_id", "in", [...commentIds])] : []), eb.lit(false)]))
      .execute()
  ).map((r) => r.id);
  if (!ids.length) return { messageIds: [], suspended: [] };
  const held = await tx.db.deleteFrom("suspended_tickets").where("tenant_id", "=", tx.tenantId).where("inbound_message_id", "in", ids).returning("nice_id").execute();
  await tx.db.deleteFrom("inbound_messages").where("tenant_id", "=", tx.tenantId).where("id", "in", ids).execute();
  return { messageIds: ids, suspended: held.map((h) => Number(h.nice_id)) };
}
