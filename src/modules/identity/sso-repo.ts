import { sql } from "kysely";
import { ADVISORY_LOCK, type TenantTx } from "../../platform/db/database.ts";
import type { SsoKind } from "../../platform/db/schema.ts";

/** SQL for single sign-on: providers' sealed settings, who signs in how, subjects, pending requests, the replay cache. */

export type SsoSettingsRow = {
  staff_provider: SsoKind | null;
  end_user_provider: SsoKind | null;
  staff_sso_only: boolean;
  end_users_sso_only: boolean;
  jit_users: boolean;
  role_attribute: string | null;
  role_map: Record<string, string[]>;
};

export const DEFAULT_SSO_SETTINGS: SsoSettingsRow = { staff_provider: null, end_user_provider: null, staff_sso_only: false, end_users_sso_only: false, jit_users: true, role_attribute: null, role_map: {} };

/**
 * Takes the tenant's lock on its sign-in settings until the transaction ends (ADVISORY_LOCK.ssoSettings):
 * shared by a check of a password, link or passkey way in, exclusive by a change. Taken in a
 * statement of its own, before the settings are read, so that a check that waited for a change
 * reads the new settings.
 */
export async function lockSettings(tx: TenantTx, exclusive: boolean): Promise<void> {
  const key = sql`${ADVISORY_LOCK.ssoSettings}, hashtext(${tx.tenantId})`;
  await (exclusive ? sql`SELECT pg_advisory_xact_lock(${key})` : sql`SELECT pg_advisory_xact_lock_shared(${key})`).execute(tx.db);
}

export async function findSettings(tx: TenantTx): Promise<SsoSettingsRow> {
  const row = await tx.db
    .selectFrom("sso_settings")
    .select(["staff_provider", "end_user_provider", "staff_sso_only", "end_users_sso_only", "jit_users", "role_attribute", "role_map"])
    .where("tenant_id", "=", tx.tenantId)
    .executeTakeFirst();
  return row ?? DEFAULT_SSO_SETTINGS;
}

export async function putSettings(tx: TenantTx, s: SsoSettingsRow, now: Date): Promise<void> {
  const values = { ...s, role_map: JSON.stringify(s.role_map), updated_at: now };
  await tx.db
    .insertInto("sso_settings")
    .values({ tenant_id: tx.tenantId, id: tx.tenantId, ...values })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet(values))
    .execute();
}

/** A provider's row; `share`: FOR SHARE, so that a change of its settings waits for the caller's transaction (a sign-in's last step). */
export async function findProvider(tx: TenantTx, kind: SsoKind, share = false) {
  const q = tx.db.selectFrom("sso_providers").select(["id", "enabled", "config_sealed", "updated_at"]).where("tenant_id", "=", tx.tenantId).where("kind", "=", kind);
  return (share ? q.forShare() : q).executeTakeFirst();
}

/** Drops a protocol's pending requests (sign-ins under way start again). */
export async function dropPendingRequests(tx: TenantTx, kind: SsoKind): Promise<void> {
  await tx.db.deleteFrom("sso_requests").where("tenant_id", "=", tx.tenantId).where("kind", "=", kind).execute();
}

export async function listProviders(tx: TenantTx) {
  return tx.db.selectFrom("sso_providers").select(["kind", "enabled", "updated_at"]).where("tenant_id", "=", tx.tenantId).execute();
}

export async function insertProvider(tx: TenantTx, row: { id: string; kind: SsoKind; enabled: boolean; config_sealed: Buffer }): Promise<void> {
  await tx.db.insertInto("sso_providers").values({ tenant_id: tx.tenantId, ...row }).execute();
}

export async function updateProvider(tx: TenantTx, id: string, v: { enabled: boolean; config_sealed: Buffer }, now: Date): Promise<void> {
  await tx.db.updateTable("sso_providers").set({ ...v, updated_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function findIdentity(tx: TenantTx, kind: SsoKind, subjectBidx: Buffer) {
  return tx.db.selectFrom("sso_identities").select(["id", "user_id"]).where("tenant_id", "=", tx.tenantId).where("kind", "=", kind).where("subject_bidx", "=", subjectBidx).executeTakeFirst();
}

export async function insertIdentity(tx: TenantTx, row: { id: string; user_id: string; kind: SsoKind; subject_bidx: Buffer; subject_sealed: Buffer; last_used_at: Date }): Promise<void> {
  await tx.db.insertInto("sso_identities").values({ tenant_id: tx.tenantId, ...row }).execute();
}

export async function touchIdentity(tx: TenantTx, id: string, now: Date): Promise<void> {
  await tx.db.updateTable("sso_identities").set({ last_used_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/** The identity the person has at this provider already (one per person and provider). */
export async function identityOfUser(tx: TenantTx, kind: SsoKind, userId: string) {
  return tx.db.selectFrom("sso_identities").select(["id"]).where("tenant_id", "=", tx.tenantId).where("kind", "=", kind).where("user_id", "=", userId).executeTakeFirst();
}

export async function insertRequest(tx: TenantTx, row: { id: string; kind: SsoKind; key_hash: Buffer; payload_sealed: Buffer; expires_at: Date }): Promise<void> {
  await tx.db.insertInto("sso_requests").values({ tenant_id: tx.tenantId, ...row }).execute();
}

/** Uses a pending request up, once, in one conditional UPDATE (of two racing answers, one wins). */
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

/** Records a once-only key; false when it is there already (ON CONFLICT: two racing requests, one wins). */
export async function insertReplayKey(tx: TenantTx, kind: SsoKind, keyHash: Buffer, expires: Date): Promise<boolean> {
  const r = await tx.db
    .insertInto("sso_replays")
    .values({ tenant_id: tx.tenantId, kind, key_hash: keyHash, expires_at: expires })
    .onConflict((oc) => oc.columns(["tenant_id", "kind", "key_hash"]).doNothing())
    .returning("kind")
    .executeTakeFirst();
  return r !== undefined;
}

/** Removes pending requests and replay keys past their time (their purpose is over). */
export async function purgeExpired(tx: TenantTx, now: Date): Promise<number> {
  const a = await sql`DELETE FROM sso_requests WHERE tenant_id = ${tx.tenantId} AND expires_at < ${now}`.execute(tx.db);
  const b = await sql`DELETE FROM sso_replays WHERE tenant_id = ${tx.tenantId} AND expires_at < ${now}`.execute(tx.db);
  return Number(a.numAffectedRows ?? 0) + Number(b.numAffectedRows ?? 0);
}
