import type { TenantTx } from "../../platform/db/database.ts";

/** SQL for the tenant's redaction settings (0041). Every query names its tenant, on top of RLS. */

/**
 * The settings, read FOR SHARE inside a writing transaction: a change of settings waits for the
 * writes in flight, and every write after it uses the new detectors.
 */
export const findSettings = (tx: TenantTx, forShare: boolean) => {
  const q = tx.db.selectFrom("redaction_settings").select(["iban", "national_ids", "updated_at"]).where("tenant_id", "=", tx.tenantId);
  return (forShare ? q.forShare() : q).executeTakeFirst();
};

export async function saveSettings(tx: TenantTx, s: { iban: boolean; national_ids: string[] }, now: Date): Promise<void> {
  await tx.db
    .insertInto("redaction_settings")
    .values({ tenant_id: tx.tenantId, ...s, updated_at: now })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ ...s, updated_at: now }))
    .execute();
}
