import { sql } from "kysely";
import { ADVISORY_LOCK, type TenantTx } from "../../platform/db/database.ts";
import type { SlaPoliciesTable } from "../../platform/db/schema.ts";

/**
 * SQL for SLA policies (0068) and tickets' SLA state: the policies (title, description and filter
 * sealed by the service), the ticket's policy and next breach, its metric rows (clear times only).
 */

const base = (tx: TenantTx) =>
  tx.db
    .selectFrom("sla_policies as p")
    .select(["p.id", "p.nice_id", "p.title_sealed", "p.description_sealed", "p.filter_sealed", "p.policy_metrics", "p.position", "p.created_at", "p.updated_at"])
    .where("p.tenant_id", "=", tx.tenantId);

export type PolicyRow = Awaited<ReturnType<typeof findPolicy>> & {};

export const findPolicy = (tx: TenantTx, niceId: number) => base(tx).where("p.nice_id", "=", niceId).executeTakeFirst();
export const findPolicyById = (tx: TenantTx, id: string) => base(tx).where("p.id", "=", id).executeTakeFirst();

/** Every policy of the account (at most the limit), by position and id. */
export const allPolicies = (tx: TenantTx) => base(tx).orderBy("p.position").orderBy("p.nice_id").execute();

/**
 * A row's version, to the change: its `updated_at` to the microsecond and its `xmin` (the
 * transaction that wrote this row version; every UPDATE moves it). What keys an opened policy in
 * this process's cache (platform/crypto/opened-cache.ts).
 */
const version = sql<string>`p.xmin::text || '/' || (extract(epoch from p.updated_at) * 1000000)::bigint::text`.as("version");

/** Every policy of the account by position and id, without its sealed columns: its id and version (what every ticket write reads first). */
export const policyVersions = (tx: TenantTx) =>
  tx.db.selectFrom("sla_policies as p").select(["p.id", version]).where("p.tenant_id", "=", tx.tenantId).orderBy("p.position").orderBy("p.nice_id").execute();

/** Some policies' filters and metric rows, with their versions (those a ticket write has not opened yet; one deleted meanwhile is not there). */
export const policyContents = (tx: TenantTx, ids: readonly string[]) =>
  ids.length === 0
    ? Promise.resolve([])
    : tx.db.selectFrom("sla_policies as p").select(["p.id", "p.filter_sealed", "p.policy_metrics", version]).where("p.tenant_id", "=", tx.tenantId).where("p.id", "in", [...ids]).execute();

/** Some policies as tickets show them (`include=slas`): their ids, titles, descriptions and metric rows, not their filters. */
export const policiesShown = (tx: TenantTx, ids: readonly string[]) =>
  ids.length === 0
    ? Promise.resolve([])
    : tx.db.selectFrom("sla_policies as p").select(["p.id", "p.nice_id", "p.title_sealed", "p.description_sealed", "p.policy_metrics"]).where("p.tenant_id", "=", tx.tenantId).where("p.id", "in", [...ids]).execute();

/**
 * Whether a policy a ticket write applies is still there, its row key-share locked until the write
 * ends: a deletion met at once goes first (false: the write passes it over) or after (it clears
 * the ticket the write left), never a ticket written pointing at a policy gone (a foreign-key
 * refusal of the customer's write). Edits of a policy's contents do not wait for it.
 */
export async function keepPolicy(tx: TenantTx, id: string): Promise<boolean> {
  return (await tx.db.selectFrom("sla_policies").select("id").where("tenant_id", "=", tx.tenantId).where("id", "=", id).forKeyShare().executeTakeFirst()) !== undefined;
}

/** A policy to change (`edit`: its contents; waits for a deletion) or to delete (waits for the ticket writes applying it), its row locked until the transaction ends. */
export const lockPolicy = (tx: TenantTx, niceId: number, mode: "edit" | "delete") => {
  const q = base(tx).where("p.nice_id", "=", niceId);
  return (mode === "edit" ? q.forNoKeyUpdate() : q.forUpdate()).executeTakeFirst();
};

/** How many policies the account has, after taking the account's lock on them until the transaction ends (count and insert are one step). */
export async function countPolicies(tx: TenantTx): Promise<number> {
  await sql`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.slaPolicyLimit}, hashtext(${tx.tenantId}))`.execute(tx.db);
  const r = await tx.db.selectFrom("sla_policies").select((eb) => eb.fn.countAll<string | number>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Whether the account has any policy (every ticket write asks: nothing else is read when not). */
export async function hasPolicies(tx: TenantTx): Promise<boolean> {
  const r = await tx.db.selectFrom("sla_policies").select("id").where("tenant_id", "=", tx.tenantId).limit(1).executeTakeFirst();
  return r !== undefined;
}

/** The stored bytes of the account's policies' filters (what a ticket write opens when its process holds none of them opened), but `except`'s. */
export async function filterBytes(tx: TenantTx, except: string | null): Promise<number> {
  let q = tx.db.selectFrom("sla_policies").select(sql<string | number | null>`sum(octet_length(filter_sealed))`.as("n")).where("tenant_id", "=", tx.tenantId);
  if (except) q = q.where("id", "<>", except);
  const r = await q.executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function lastPosition(tx: TenantTx): Promise<number> {
  const r = await tx.db.selectFrom("sla_policies").select((eb) => eb.fn.max<number | null>("position").as("p")).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return r?.p ?? 0;
}

type Insert = Pick<SlaPoliciesTable, "id" | "title_sealed" | "description_sealed" | "filter_sealed" | "position"> & { policy_metrics: string };

export async function insertPolicy(tx: TenantTx, v: Insert): Promise<number> {
  const r = await tx.db
    .insertInto("sla_policies")
    .values({ ...v, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('sla_policies')`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return r.nice_id;
}

export type PolicyPatch = Partial<Omit<Insert, "id">>;

export async function updatePolicy(tx: TenantTx, id: string, patch: PolicyPatch): Promise<void> {
  await tx.db.updateTable("sla_policies").set({ ...patch, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function setPosition(tx: TenantTx, id: string, position: number): Promise<void> {
  await tx.db.updateTable("sla_policies").set({ position, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/** Deletes a policy after taking it off its tickets (their targets go until their next write, which applies the next matching policy). */
export async function deletePolicy(tx: TenantTx, id: string): Promise<void> {
  await tx.db.updateTable("tickets").set({ sla_policy_id: null, sla_next_breach_at: null }).where("tenant_id", "=", tx.tenantId).where("sla_policy_id", "=", id).execute();
  await tx.db.deleteFrom("sla_policies").where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

// ---- tickets' state

export type MetricRow = {
  metric: string;
  activated_at: Date | null;
  fulfilled_at: Date | null;
  running_since: Date | null;
  elapsed_minutes: number;
  elapsed_business_minutes: number;
  breach_at: Date | null;
  stage: "active" | "paused" | "achieved" | null;
};

export async function metricRows(tx: TenantTx, ticketId: string): Promise<MetricRow[]> {
  const rows = await tx.db
    .selectFrom("ticket_sla_metrics")
    .select(["metric", "activated_at", "fulfilled_at", "running_since", "elapsed_minutes", "elapsed_business_minutes", "breach_at", "stage"])
    .where("tenant_id", "=", tx.tenantId)
    .where("ticket_id", "=", ticketId)
    .execute();
  return rows.map((r) => ({ ...r, elapsed_minutes: Number(r.elapsed_minutes), elapsed_business_minutes: Number(r.elapsed_business_minutes) }));
}

/** The metric rows of several tickets (include=slas), by ticket id. */
export async function metricRowsOf(tx: TenantTx, ticketIds: readonly string[]): Promise<Map<string, MetricRow[]>> {
  const out = new Map<string, MetricRow[]>();
  if (ticketIds.length === 0) return out;
  const rows = await tx.db
    .selectFrom("ticket_sla_metrics")
    .select(["ticket_id", "metric", "activated_at", "fulfilled_at", "running_since", "elapsed_minutes", "elapsed_business_minutes", "breach_at", "stage"])
    .where("tenant_id", "=", tx.tenantId)
    .where("ticket_id", "in", [...ticketIds])
    .execute();
  for (const { ticket_id, ...r } of rows) {
    const list = out.get(ticket_id) ?? [];
    list.push({ ...r, elapsed_minutes: Number(r.elapsed_minutes), elapsed_business_minutes: Number(r.elapsed_business_minutes) });
    out.set(ticket_id, list);
  }
  return out;
}

export async function saveMetricRows(tx: TenantTx, ticketId: string, rows: readonly MetricRow[]): Promise<void> {
  for (const r of rows) {
    await tx.db
      .insertInto("ticket_sla_metrics")
      .values({ ...r, tenant_id: tx.tenantId, ticket_id: ticketId, updated_at: sql`now()` })
      .onConflict((oc) => oc.columns(["tenant_id", "ticket_id", "metric"]).doUpdateSet({ ...r, updated_at: sql`now()` }))
      .execute();
  }
}

/** The ticket's SLA columns (the policy and the next breach). */
export async function ticketSla(tx: TenantTx, ticketId: string): Promise<{ sla_policy_id: string | null; sla_next_breach_at: Date | null; sla_last_breach_at: Date | null; status_updated_at: Date } | undefined> {
  return tx.db.selectFrom("tickets").select(["sla_policy_id", "sla_next_breach_at", "sla_last_breach_at", "status_updated_at"]).where("tenant_id", "=", tx.tenantId).where("id", "=", ticketId).executeTakeFirst();
}

/** The SLA policy ids of several tickets (include=slas). */
export async function ticketPolicies(tx: TenantTx, ticketIds: readonly string[]): Promise<Map<string, string | null>> {
  if (ticketIds.length === 0) return new Map();
  const rows = await tx.db.selectFrom("tickets").select(["id", "sla_policy_id"]).where("tenant_id", "=", tx.tenantId).where("id", "in", [...ticketIds]).execute();
  return new Map(rows.map((r) => [r.id, r.sla_policy_id]));
}

/** The ticket's policy and next breach, and its last breach when `lastBreach` is given (0069: it only ever moves later). */
export async function setTicketSla(tx: TenantTx, ticketId: string, policyId: string | null, nextBreach: Date | null, lastBreach?: Date): Promise<void> {
  await tx.db
    .updateTable("tickets")
    .set({ sla_policy_id: policyId, sla_next_breach_at: nextBreach, ...(lastBreach ? { sla_last_breach_at: sql<Date>`greatest(sla_last_breach_at, ${lastBreach})` } : {}) }).where("tenant_id", "=", tx.tenantId).where("id", "=", ticketId).execute();
}

/**
 * Whether a comment is a staff member's reply: its author is staff and somebody signed in wrote it
 * (`written_by`). A comment nobody proved (the anonymous form, unproven mail) is an end user's
 * whatever address it named: a stranger naming an agent's address must not count as the agent's
 * reply (no first reply target, a waiting customer's next reply fulfilled).
 */
const staffWrote = (r: { role: string; written_by: string | null }) => r.role !== "end_user" && r.written_by !== null;

/** The tenant's comments with their visibility, time, writer and author's role (commentsOf, commentAuthor narrow it). */
const commentsWithAuthors = (tx: TenantTx) =>
  tx.db
    .selectFrom("ticket_comments as c")
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "c.tenant_id").onRef("u.id", "=", "c.author_id"))
    .select(["c.created_at", "c.public", "c.written_by", "u.role"])
    .where("c.tenant_id", "=", tx.tenantId);

/** The ticket's comments, oldest first (the first is the one it was created with), with their visibility and whether their author is staff: a policy first applied to a ticket reads its replies so far. */
export async function commentsOf(tx: TenantTx, ticketId: string): Promise<Array<{ created_at: Date; public: boolean; staff: boolean }>> {
  const rows = await commentsWithAuthors(tx).where("c.ticket_id", "=", ticketId).orderBy("c.nice_id").execute();
  return rows.map((r) => ({ created_at: r.created_at, public: r.public, staff: staffWrote(r) }));
}

/** A comment's author's role and visibility. */
export async function commentAuthor(tx: TenantTx, commentId: string): Promise<{ public: boolean; staff: boolean; created_at: Date } | undefined> {
  const r = await commentsWithAuthors(tx).where("c.id", "=", commentId).executeTakeFirst();
  return r ? { public: r.public, staff: staffWrote(r), created_at: r.created_at } : undefined;
}
