import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import type { DataSubjectRequestEventsTable, DataSubjectRequestsTable, DsrRegime, DsrStatus, DsrVerificationMethod } from "../../platform/db/schema.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";

/** SQL for data subject requests, their steps and the account's deadlines (0039). Every query names its tenant, on top of RLS. */

const OPEN: DsrStatus[] = ["new", "verifying", "in_progress"];

const requestQuery = (tx: TenantTx) =>
  tx.db
    .selectFrom("data_subject_requests as r")
    .leftJoin("users as s", (j) => j.onRef("s.tenant_id", "=", "r.tenant_id").onRef("s.id", "=", "r.subject_user_id"))
    .leftJoin("users as a", (j) => j.onRef("a.tenant_id", "=", "r.tenant_id").onRef("a.id", "=", "r.assignee_id"))
    .leftJoin("users as v", (j) => j.onRef("v.tenant_id", "=", "r.tenant_id").onRef("v.id", "=", "r.verified_by"))
    .leftJoin("users as c", (j) => j.onRef("c.tenant_id", "=", "r.tenant_id").onRef("c.id", "=", "r.created_by"))
    .select([
      "r.id", "r.nice_id", "r.kind", "r.regime", "r.status", "r.source", "r.subject_user_id", "r.subject_email_sealed", "r.note_sealed", "r.resolution_sealed",
      "r.verification_method", "r.verified_at", "r.created_at", "r.due_at", "r.closed_at", "r.updated_at",
      "s.nice_id as subject_nice", "a.nice_id as assignee_nice", "v.nice_id as verified_by_nice", "c.nice_id as created_by_nice",
    ])
    .where("r.tenant_id", "=", tx.tenantId);
export type RequestRow = Awaited<ReturnType<ReturnType<typeof requestQuery>["executeTakeFirstOrThrow"]>>;

export type RequestFilter = { status?: DsrStatus | undefined; overdueAt?: Date | undefined; subjectUserId?: string | undefined };

export async function listRequests(tx: TenantTx, page: Page, f: RequestFilter) {
  let q = requestQuery(tx);
  if (f.status) q = q.where("r.status", "=", f.status);
  if (f.overdueAt) q = q.where("r.status", "in", OPEN).where("r.due_at", "<", f.overdueAt);
  if (f.subjectUserId) q = q.where("r.subject_user_id", "=", f.subjectUserId);
  return fetchPage(q, page, "r.nice_id", async () => {
    let c = tx.db.selectFrom("data_subject_requests").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId);
    if (f.status) c = c.where("status", "=", f.status);
    if (f.overdueAt) c = c.where("status", "in", OPEN).where("due_at", "<", f.overdueAt);
    if (f.subjectUserId) c = c.where("subject_user_id", "=", f.subjectUserId);
    return Number((await c.executeTakeFirstOrThrow()).n);
  });
}

export const findRequest = (tx: TenantTx, niceId: number) => requestQuery(tx).where("r.nice_id", "=", niceId).executeTakeFirst();

export async function insertRequest(
  tx: TenantTx,
  r: Pick<DataSubjectRequestsTable, "id" | "kind" | "regime" | "source" | "subject_user_id" | "subject_email_sealed" | "note_sealed" | "verification_method" | "verified_by" | "verified_at" | "created_by" | "created_at" | "due_at" | "updated_at">,
): Promise<number> {
  const row = await tx.db
    .insertInto("data_subject_requests")
    .values({ ...r, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('data_subject_requests')` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(row.nice_id);
}

export type RequestChange = Partial<{
  status: DsrStatus;
  assignee_id: string | null;
  resolution_sealed: Uint8Array | null;
  verification_method: DsrVerificationMethod;
  verified_by: string | null;
  verified_at: Date;
  closed_at: Date;
}>;

/** Changes a request if it is still in `expected` status (a concurrent change loses: false). */
export async function updateRequest(tx: TenantTx, id: string, expected: DsrStatus, change: RequestChange, now: Date): Promise<boolean> {
  const r = await tx.db
    .updateTable("data_subject_requests")
    .set({ ...change, updated_at: now })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .where("status", "=", expected)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Appends a step (numbered 1, 2, 3 … per request). */
export async function insertEvent(tx: TenantTx, e: Omit<DataSubjectRequestEventsTable, "tenant_id" | "step">): Promise<void> {
  const step = sql<number>`(SELECT coalesce(max(step), 0) + 1 FROM data_subject_request_events WHERE tenant_id = ${tx.tenantId} AND request_id = ${e.request_id})`;
  await tx.db.insertInto("data_subject_request_events").values({ ...e, step, tenant_id: tx.tenantId }).execute();
}

export const listEvents = (tx: TenantTx, requestId: string) =>
  tx.db
    .selectFrom("data_subject_request_events as e")
    .leftJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "e.tenant_id").onRef("u.id", "=", "e.actor_id"))
    .select(["e.id", "e.action", "e.from_status", "e.to_status", "e.detail", "e.note_sealed", "e.at", "u.nice_id as actor_nice"])
    .where("e.tenant_id", "=", tx.tenantId)
    .where("e.request_id", "=", requestId)
    .orderBy("e.step")
    .execute();

/** Open requests past `now`, and open ones due before `soon` (not yet past): the reminder's counts. */
export async function dueCounts(tx: TenantTx, now: Date, soon: Date): Promise<{ overdue: number; dueSoon: number }> {
  const r = await tx.db
    .selectFrom("data_subject_requests")
    .select([
      sql<number>`count(*) FILTER (WHERE due_at < ${now})::int`.as("overdue"),
      sql<number>`count(*) FILTER (WHERE due_at >= ${now} AND due_at < ${soon})::int`.as("due_soon"),
    ])
    .where("tenant_id", "=", tx.tenantId)
    .where("status", "in", OPEN)
    .where("due_at", "<", soon)
    .executeTakeFirstOrThrow();
  return { overdue: Number(r.overdue), dueSoon: Number(r.due_soon) };
}

export const findSettings = (tx: TenantTx) =>
  tx.db.selectFrom("data_subject_request_settings").select(["gdpr_days", "ccpa_days", "default_regime", "updated_at"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();

export async function saveSettings(tx: TenantTx, s: { gdpr_days: number; ccpa_days: number; default_regime: DsrRegime }, now: Date): Promise<void> {
  await tx.db
    .insertInto("data_subject_request_settings")
    .values({ tenant_id: tx.tenantId, ...s, updated_at: now })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ ...s, updated_at: now }))
    .execute();
}
