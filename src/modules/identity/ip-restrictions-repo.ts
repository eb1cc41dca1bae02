import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";

/** The tenant's IP restrictions (0025): one row or none. */

export const findIpRestrictions = (tx: TenantTx) =>
  tx.db.selectFrom("ip_restrictions").select(["enabled", "allowed_ips_sealed", "enforce_end_users", "allow_two_factor"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();

export async function storeIpRestrictions(tx: TenantTx, v: { enabled: boolean; allowed_ips_sealed: Uint8Array; enforce_end_users: boolean; allow_two_factor: boolean }): Promise<void> {
  await tx.db
    .insertInto("ip_restrictions")
    .values({ tenant_id: tx.tenantId, id: tx.tenantId, ...v })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ ...v, updated_at: sql`now()` }))
    .execute();
}
