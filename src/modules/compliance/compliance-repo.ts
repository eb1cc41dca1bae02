import type { TenantTx } from "../../platform/db/database.ts";

/** SQL for a tenant's compliance settings (0040). */

/** Whether healthcare mode is on (off without a row). */
export async function healthcareMode(tx: TenantTx): Promise<boolean> {
  const r = await tx.db.selectFrom("compliance_settings").select("healthcare_mode").where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return r?.healthcare_mode ?? false;
}

export async function storeHealthcareMode(tx: TenantTx, value: boolean, now: Date): Promise<void> {
  await tx.db
    .insertInto("compliance_settings")
    .values({ tenant_id: tx.tenantId, healthcare_mode: value })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ healthcare_mode: value, updated_at: now }))
    .execute();
}
