import type { TenantTx } from "../../platform/db/database.ts";
import type { SsoKind } from "../../platform/db/schema.ts";

/**
 * Interim SQL for the OpenID Connect and JWT sign-ins until the shared single sign-on layer
 * (sso-service.ts, sso-repo.ts) is in: providers' sealed settings, pending requests, replay keys.
 */

export async function findProvider(tx: TenantTx, kind: SsoKind) {
  return tx.db.selectFrom("sso_providers").select(["id", "enabled", "config_sealed"]).where("tenant_id", "=", tx.tenantId).where("kind", "=", kind).executeTakeFirst();
}

export async function upsertProvider(tx: TenantTx, row: { id: string; kind: SsoKind; enabled: boolean; config_sealed: Buffer }, now: Date): Promise<void> {
  await tx.db
    .insertInto("sso_providers")
    .values({ tenant_id: tx.tenantId, ...row })
    .onConflict((oc) => oc.columns(["tenant_id", "kind"]).doUpdateSet({ enabled: row.enabled, config_sealed: row.config_sealed, updated_at: now }))
    .execute();
}

export async function insertRequest(tx: TenantTx, row: { id: string; kind: SsoKind; key_hash: Buffer; payload_sealed: Buffer; expires_at: Date }): Promise<void> {
  await tx.db.insertInto("sso_requests").values({ tenant_id: tx.tenantId, ...row }).execute();
}

export async function claimRequest(tx: TenantTx, kind: SsoKind, keyHash: Buffer, now: Date) {
  return tx.db
    .updateTable("sso_requests")
    .set({ used_at: now })
    .where("tenant_id", "=", tx.tenantId)
    .where("kind", "=", kind)
    .where("key_hash", "=", keyHash)
    .where("used_at", "is", null)
    .where("expires_at", ">", now)
    .returning(["id", "payload_sealed"])
    .executeTakeFirst();
}

export async function insertReplayKey(tx: TenantTx, kind: SsoKind, keyHash: Buffer, expires: Date): Promise<boolean> {
  const r = await tx.db
    .insertInto("sso_replays")
    .values({ tenant_id: tx.tenantId, kind, key_hash: keyHash, expires_at: expires })
    .onConflict((oc) => oc.columns(["tenant_id", "kind", "key_hash"]).doNothing())
    .returning("kind")
    .executeTakeFirst();
  return r !== undefined;
}
