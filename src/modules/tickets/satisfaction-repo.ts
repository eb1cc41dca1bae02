import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";
import type { TicketScope } from "./tickets-policy.ts";
import { scoped } from "./tickets-repo.ts";

/**
 * SQL for satisfaction ratings and the tenant's setting. Comments are sealed by the service;
 * `has_comment` says whether there is one, for filters. Lists join the rated ticket and narrow it
 * to the reader's ticket scope (tickets-repo `scoped`): a rating is seen by whoever sees its ticket.
 */

const micros = sql.raw(`(extract(epoch from r.updated_at) * 1000000)::bigint`);
const fromMicros = (k: string) => sql`(timestamptz 'epoch' + ${k}::bigint * interval '1 microsecond')`;
/** Newest first: `updated_at`, then the id (cursors carry the time as integer microseconds). */
const UPDATED = { expr: sql`r.updated_at`, value: fromMicros };

const nice = (table: "users" | "groups", column: "r.requester_id" | "r.assignee_id" | "r.group_id") =>
  sql<number | null>`(SELECT x.nice_id FROM ${sql.table(table)} x WHERE x.tenant_id = r.tenant_id AND x.id = ${sql.ref(column)})`;

const base = (tx: TenantTx) =>
  tx.db
    .selectFrom("satisfaction_ratings as r")
    .innerJoin("tickets as t", (j) => j.onRef("t.tenant_id", "=", "r.tenant_id").onRef("t.id", "=", "r.ticket_id"))
    .select([
      "r.id", "r.nice_id", "r.ticket_id", "r.requester_id", "r.score", "r.comment_sealed", "r.has_comment", "r.created_at", "r.updated_at",
      "t.nice_id as ticket_nice",
      nice("users", "r.requester_id").as("requester_nice"),
      nice("users", "r.assignee_id").as("assignee_nice"),
      nice("groups", "r.group_id").as("group_nice"),
      sql<string>`${micros}::text`.as("sort_key"),
    ])
    .where("r.tenant_id", "=", tx.tenantId)
    .where("t.deleted_at", "is", null);

export type RatingRow = Awaited<ReturnType<ReturnType<typeof base>["executeTakeFirstOrThrow"]>>;

export type RatingFilter = { score?: "good" | "bad" | undefined; comment?: boolean | undefined; start?: Date | undefined; end?: Date | undefined };

// any: the filters apply to either builder (the list's and the summary's), over `r`.
function filtered<Q extends { where: (...args: any[]) => Q }>(q: Q, f: RatingFilter): Q {
  let out = q;
  if (f.score) out = out.where("r.score", "=", f.score);
  if (f.comment !== undefined) out = out.where("r.has_comment", "=", f.comment);
  if (f.start) out = out.where("r.updated_at", ">=", f.start);
  if (f.end) out = out.where("r.updated_at", "<", f.end);
  return out;
}

/** The ratings of the tickets `scope` reaches, newest first (or oldest with `page.desc` false). */
export async function listRatings(tx: TenantTx, page: Page, scope: TicketScope, f: RatingFilter) {
  const q = filtered(scoped(base(tx), scope), f);
  return fetchPage(q, page, "r.nice_id", async () => Number((await filtered(scoped(base(tx), scope), f).clearSelect().select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n), UPDATED);
}

export const findRating = (tx: TenantTx, niceId: number, scope: TicketScope) => scoped(base(tx), scope).where("r.nice_id", "=", niceId).executeTakeFirst();

/** The rating of one ticket (whoever may see it: the caller checked). */
export const ratingOfTicket = (tx: TenantTx, ticketId: string) =>
  tx.db.selectFrom("satisfaction_ratings as r").select(["r.id", "r.nice_id", "r.score", "r.comment_sealed"]).where("r.tenant_id", "=", tx.tenantId).where("r.ticket_id", "=", ticketId).executeTakeFirst();

/** The ratings of a page of tickets, by their internal ids: one query a page. */
export async function ratingsOfTickets(tx: TenantTx, ticketIds: readonly string[]) {
  if (ticketIds.length === 0) return [];
  return tx.db
    .selectFrom("satisfaction_ratings as r")
    .select(["r.id", "r.nice_id", "r.ticket_id", "r.requester_id", "r.score", "r.comment_sealed"])
    .where("r.tenant_id", "=", tx.tenantId)
    .where("r.ticket_id", "in", [...ticketIds])
    .execute();
}

/** Counts over the ratings of the tickets `scope` reaches. */
export async function summary(tx: TenantTx, scope: TicketScope, f: RatingFilter): Promise<{ good: number; bad: number; with_comment: number }> {
  const r = await filtered(scoped(base(tx), scope), f)
    .clearSelect()
    .select([
      sql<number>`count(*) FILTER (WHERE r.score = 'good')`.as("good"),
      sql<number>`count(*) FILTER (WHERE r.score = 'bad')`.as("bad"),
      sql<number>`count(*) FILTER (WHERE r.has_comment)`.as("with_comment"),
    ])
    .executeTakeFirstOrThrow();
  return { good: Number(r.good), bad: Number(r.bad), with_comment: Number(r.with_comment) };
}

export type RatingWrite = { ticket_id: string; requester_id: string; assignee_id: string | null; group_id: string | null; score: "good" | "bad"; has_comment: boolean };

/** A new rating (its id chosen by the caller, so the comment can be sealed to it); its public id. */
export async function insertRating(tx: TenantTx, id: string, v: RatingWrite & { comment_sealed: Uint8Array | null }): Promise<number> {
  const r = await tx.db
    .insertInto("satisfaction_ratings")
    .values({ ...v, id, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('satisfaction_ratings')`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return r.nice_id;
}

export async function updateRating(tx: TenantTx, id: string, v: RatingWrite & { comment_sealed: Uint8Array | null }): Promise<void> {
  await tx.db.updateTable("satisfaction_ratings").set({ ...v, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/** The ratings a person gave, oldest first (their data export), with their ticket's public id. */
export const ratingsBy = (tx: TenantTx, userId: string) =>
  tx.db
    .selectFrom("satisfaction_ratings as r")
    .innerJoin("tickets as t", (j) => j.onRef("t.tenant_id", "=", "r.tenant_id").onRef("t.id", "=", "r.ticket_id"))
    .select(["r.id", "r.nice_id", "r.score", "r.comment_sealed", "r.created_at", "r.updated_at", "t.nice_id as ticket_nice"])
    .where("r.tenant_id", "=", tx.tenantId)
    .where("r.requester_id", "=", userId)
    .orderBy("r.nice_id")
    .execute();

/** Deletes the ratings a person gave (their erasure); how many. */
export async function deleteRatingsBy(tx: TenantTx, userId: string): Promise<number> {
  const r = await tx.db.deleteFrom("satisfaction_ratings").where("tenant_id", "=", tx.tenantId).where("requester_id", "=", userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function findSettings(tx: TenantTx): Promise<{ enabled: boolean } | undefined> {
  return tx.db.selectFrom("satisfaction_settings").select(["enabled"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
}

export async function saveSettings(tx: TenantTx, enabled: boolean): Promise<void> {
  await tx.db
    .insertInto("satisfaction_settings")
    .values({ tenant_id: tx.tenantId, id: tx.tenantId, enabled })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ enabled, updated_at: sql`now()` }))
    .execute();
}
