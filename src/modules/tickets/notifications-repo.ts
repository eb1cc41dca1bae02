import type { TenantTx } from "../../platform/db/database.ts";

/** SQL for a tenant's notification settings (0015, 0019). */

export type NotificationSettingsRow = { request_received: boolean; public_reply: boolean; solved: boolean; end_user_update: boolean; cc_update: boolean; content_free: boolean };

export async function findSettings(tx: TenantTx): Promise<NotificationSettingsRow | undefined> {
  return tx.db.selectFrom("notification_settings").select(["request_received", "public_reply", "solved", "end_user_update", "cc_update", "content_free"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
}

export async function saveSettings(tx: TenantTx, s: NotificationSettingsRow, now: Date): Promise<void> {
  await tx.db
    .insertInto("notification_settings")
    .values({ tenant_id: tx.tenantId, ...s })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ ...s, updated_at: now }))
    .execute();
}

export type TemplateRow = { id: string; event: NotificationEventName; locale: TemplateLocale; subject_sealed: Uint8Array; body_sealed: Uint8Array; updated_at: Date };
export type NotificationEventName = "request_received" | "public_reply" | "solved" | "end_user_update" | "cc_update";
export type TemplateLocale = "en" | "sv" | "ja" | "ko" | "zh-CN";

export async function listTemplates(tx: TenantTx): Promise<TemplateRow[]> {
  return tx.db.selectFrom("notification_templates").select(["id", "event", "locale", "subject_sealed", "body_sealed", "updated_at"]).where("tenant_id", "=", tx.tenantId).execute();
}

export async function findTemplate(tx: TenantTx, event: NotificationEventName, locale: TemplateLocale): Promise<TemplateRow | undefined> {
  return tx.db
    .selectFrom("notification_templates")
    .select(["id", "event", "locale", "subject_sealed", "body_sealed", "updated_at"])
    .where("tenant_id", "=", tx.tenantId)
    .where("event", "=", event)
    .where("locale", "=", locale)
    .executeTakeFirst();
}

/** Inserts or replaces; the row keeps its id (its sealed values are bound to it). */
export async function saveTemplate(tx: TenantTx, t: { id: string; event: NotificationEventName; locale: TemplateLocale; subject_sealed: Uint8Array; body_sealed: Uint8Array }, now: Date): Promise<void> {
  await tx.db
    .insertInto("notification_templates")
    .values({ tenant_id: tx.tenantId, ...t, updated_at: now })
    .onConflict((oc) => oc.columns(["tenant_id", "event", "locale"]).doUpdateSet({ subject_sealed: t.subject_sealed, body_sealed: t.body_sealed, updated_at: now }))
    .execute();
}

export async function deleteTemplate(tx: TenantTx, event: NotificationEventName, locale: TemplateLocale): Promise<boolean> {
  const r = await tx.db.deleteFrom("notification_templates").where("tenant_id", "=", tx.tenantId).where("event", "=", event).where("locale", "=", locale).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
