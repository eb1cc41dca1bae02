import type { TenantTx } from "../../platform/db/database.ts";

/** SQL for a tenant's notification settings (0015). */

export type NotificationSettingsRow = { request_received: boolean; public_reply: boolean; solved: boolean; end_user_update: boolean; content_free: boolean };

export async function findSettings(tx: TenantTx): Promise<NotificationSettingsRow | undefined> {
  return tx.db.selectFrom("notification_settings").select(["request_received", "public_reply", "solved", "end_user_update", "content_free"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
}

export async function saveSettings(tx: TenantTx, s: NotificationSettingsRow, now: Date): Promise<void> {
  await tx.db
    .insertInto("notification_settings")
    .values({ tenant_id: tx.tenantId, ...s })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ ...s, updated_at: now }))
    .execute();
}
