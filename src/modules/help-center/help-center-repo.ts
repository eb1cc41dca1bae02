import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";

/**
 * SQL for the help center: the consent columns of the account's settings row (0007 added them to
 * tenant_settings, one row per tenant) and consent records. Every query names its tenant.
 */

export async function findConsentSettings(tx: TenantTx) {
  return tx.db
    .selectFrom("tenant_settings")
    .select(["consent_required", "consent_text_sealed", "consent_texts_sealed", "consent_version", "updated_at"])
    .where("tenant_id", "=", tx.tenantId)
    .executeTakeFirst();
}

export async function upsertConsentSettings(
  tx: TenantTx,
  v: { consent_required: boolean; consent_text_sealed: Uint8Array | null; consent_texts_sealed: Uint8Array | null; consent_version: number },
): Promise<void> {
  await tx.db
    .insertInto("tenant_settings")
    .values({ tenant_id: tx.tenantId, id: tx.tenantId, name_sealed: null, ...v, updated_at: sql`now()` })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ ...v, updated_at: sql`now()` }))
    .execute();
}

export async function insertConsentRecord(
  tx: TenantTx,
  v: { id: string; user_id: string; ticket_id: string | null; text_version: number; text_locale: string | null; text_sha256: Buffer; text_sealed: Uint8Array; ip_sealed: Uint8Array | null },
): Promise<number> {
  const r = await tx.db
    .insertInto("consent_records")
    .values({ ...v, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('consent_records')` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return r.nice_id;
}

export async function listConsentRecordsOf(tx: TenantTx, userId: string) {
  return tx.db
    .selectFrom("consent_records as c")
    .leftJoin("tickets as t", (j) => j.onRef("t.tenant_id", "=", "c.tenant_id").onRef("t.id", "=", "c.ticket_id"))
    .leftJoin("consent_withdrawals as w", (j) => j.onRef("w.tenant_id", "=", "c.tenant_id").onRef("w.consent_record_id", "=", "c.id"))
    .select(["c.id", "c.nice_id", "c.text_version", "c.text_locale", "c.text_sha256", "c.text_sealed", "c.ip_sealed", "c.accepted_at", "t.nice_id as ticket_nice", "w.withdrawn_at"])
    .where("c.tenant_id", "=", tx.tenantId)
    .where("c.user_id", "=", userId)
    .orderBy("c.nice_id", "desc")
    .limit(500)
    .execute();
}

/** One of a person's consent records by its public id, with its withdrawal if any (locked: one withdrawal each). */
export const findConsentRecordOf = (tx: TenantTx, userId: string, niceId: number) =>
  tx.db
    .selectFrom("consent_records as c")
    .leftJoin("consent_withdrawals as w", (j) => j.onRef("w.tenant_id", "=", "c.tenant_id").onRef("w.consent_record_id", "=", "c.id"))
    .select(["c.id", "c.nice_id", "w.id as withdrawal_id"])
    .where("c.tenant_id", "=", tx.tenantId)
    .where("c.user_id", "=", userId)
    .where("c.nice_id", "=", niceId)
    .forUpdate("c")
    .executeTakeFirst();

export async function insertWithdrawal(tx: TenantTx, v: { id: string; consent_record_id: string; user_id: string; via: "help_center" | "staff"; withdrawn_by: string | null; withdrawn_at: Date }): Promise<number> {
  const r = await tx.db
    .insertInto("consent_withdrawals")
    .values({ ...v, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('consent_withdrawals')` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

export async function listWithdrawalsOf(tx: TenantTx, userId: string) {
  return tx.db
    .selectFrom("consent_withdrawals as w")
    .innerJoin("consent_records as c", (j) => j.onRef("c.tenant_id", "=", "w.tenant_id").onRef("c.id", "=", "w.consent_record_id"))
    .leftJoin("users as b", (j) => j.onRef("b.tenant_id", "=", "w.tenant_id").onRef("b.id", "=", "w.withdrawn_by"))
    .select(["w.nice_id", "w.via", "w.withdrawn_at", "c.nice_id as record_nice", "b.nice_id as by_nice"])
    .where("w.tenant_id", "=", tx.tenantId)
    .where("w.user_id", "=", userId)
    .orderBy("w.nice_id", "desc")
    .limit(500)
    .execute();
}
