import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import type { LegalHoldsTable } from "../../platform/db/schema.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";

/** SQL for legal holds and retention policies (0038). Every query names its tenant, on top of RLS. */

export type HoldKind = LegalHoldsTable["target_kind"];

const holdQuery = (tx: TenantTx) =>
  tx.db
    .selectFrom("legal_holds as h")
    .leftJoin("tickets as t", (j) => j.onRef("t.tenant_id", "=", "h.tenant_id").onRef("t.id", "=", "h.target_id").on("h.target_kind", "=", "ticket"))
    .leftJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "h.tenant_id").onRef("u.id", "=", "h.target_id").on("h.target_kind", "=", "user"))
    .leftJoin("organizations as o", (j) => j.onRef("o.tenant_id", "=", "h.tenant_id").onRef("o.id", "=", "h.target_id").on("h.target_kind", "=", "organization"))
    .leftJoin("users as c", (j) => j.onRef("c.tenant_id", "=", "h.tenant_id").onRef("c.id", "=", "h.created_by"))
    .leftJoin("users as r", (j) => j.onRef("r.tenant_id", "=", "h.tenant_id").onRef("r.id", "=", "h.released_by"))
    .select([
      "h.id", "h.nice_id", "h.target_kind", "h.target_id", "h.reason_sealed", "h.created_at", "h.released_at",
      sql<number | null>`coalesce(t.nice_id, u.nice_id, o.nice_id)`.as("target_nice"),
      "c.nice_id as created_by_nice", "r.nice_id as released_by_nice",
    ])
    .where("h.tenant_id", "=", tx.tenantId);
export type HoldRow = Awaited<ReturnType<ReturnType<typeof holdQuery>["executeTakeFirstOrThrow"]>>;

export async function listHolds(tx: TenantTx, page: Page, activeOnly: boolean) {
  const q = activeOnly ? holdQuery(tx).where("h.released_at", "is", null) : holdQuery(tx);
  return fetchPage(q, page, "h.nice_id", async () => {
    const c = tx.db.selectFrom("legal_holds").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId);
    return Number((await (activeOnly ? c.where("released_at", "is", null) : c).executeTakeFirstOrThrow()).n);
  });
}

export const findHold = (tx: TenantTx, niceId: number) => holdQuery(tx).where("h.nice_id", "=", niceId).executeTakeFirst();

export async function insertHold(tx: TenantTx, h: { id: string; target_kind: HoldKind; target_id: string; reason_sealed: Uint8Array; created_by: string | null }): Promise<number> {
  const r = await tx.db.insertInto("legal_holds").values({ ...h, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('legal_holds')` }).returning("nice_id").executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

/** Releases a hold; false when it was released already. */
export async function releaseHold(tx: TenantTx, id: string, by: string | null, at: Date): Promise<boolean> {
  const r = await tx.db.updateTable("legal_holds").set({ released_at: at, released_by: by }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("released_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The active hold on one target, if any. */
export const activeHoldOn = (tx: TenantTx, kind: HoldKind, targetId: string) =>
  tx.db.selectFrom("legal_holds").select("nice_id").where("tenant_id", "=", tx.tenantId).where("target_kind", "=", kind).where("target_id", "=", targetId).where("released_at", "is", null).executeTakeFirst();

export const findPolicy = (tx: TenantTx) =>
  tx.db.selectFrom("retention_policies").select(["enabled", "solved_days", "excluded_tags", "trash_days", "audit_hot_days", "audit_purge_days", "last_run_at", "updated_at"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();

export async function savePolicy(tx: TenantTx, p: { enabled: boolean; solved_days: number; excluded_tags: string[]; trash_days: number; audit_hot_days: number; audit_purge_days: number }, now: Date): Promise<void> {
  await tx.db
    .insertInto("retention_policies")
    .values({ tenant_id: tx.tenantId, ...p, updated_at: now })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ ...p, updated_at: now }))
    .execute();
}

export async function markRun(tx: TenantTx, at: Date): Promise<void> {
  await tx.db.updateTable("retention_policies").set({ last_run_at: at }).where("tenant_id", "=", tx.tenantId).execute();
}

/** How many legal holds of the tenant are in force. */
export async function countActiveHolds(tx: TenantTx): Promise<number> {
  const r = await tx.db.selectFrom("legal_holds").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).where("released_at", "is", null).executeTakeFirstOrThrow();
  return Number(r.n);
}
