import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";

/** SQL for the admin center's people operations (role changes, deletion). */

/**
 * Locks the tenant's active owners' rows and returns their ids. Taken before a change that could
 * remove an owner, so two owners demoting each other at once cannot leave the account without one:
 * the second waits, then counts again.
 */
export async function lockActiveOwners(tx: TenantTx): Promise<string[]> {
  const rows = await tx.db
    .selectFrom("users")
    .select("id")
    .where("tenant_id", "=", tx.tenantId)
    .where("role", "=", "owner")
    .where("active", "=", true)
    .orderBy("id")
    .forUpdate()
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Soft delete: the row (and its sealed personal data) stays, stamped with when and by whom (the
 * deleted users list, restorable until erased); the account can no longer be used.
 */
export async function deactivateUser(tx: TenantTx, id: string, by: string | null, at: Date): Promise<void> {
  await tx.db
    .updateTable("users")
    .set({ active: false, deleted_at: at, deleted_by: by, updated_at: sql`now()` })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .execute();
}
