import { sql } from "kysely";
import { claimOneTime } from "../../platform/db/one-time.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import type { SessionMethod, WebauthnPurpose } from "../../platform/db/schema.ts";

/** SQL for passkeys: a person's WebAuthn credentials, and the challenges of registration and sign-in. */

const passkeyColumns = ["id", "user_id", "credential_id_sealed", "public_key_sealed", "name_sealed", "sign_count", "transports", "device_type", "backed_up", "created_at", "last_used_at"] as const;

export type PasskeyRow = {
  id: string;
  user_id: string;
  credential_id_sealed: Uint8Array;
  public_key_sealed: Uint8Array;
  name_sealed: Uint8Array;
  sign_count: number | string;
  transports: string[];
  device_type: "singleDevice" | "multiDevice";
  backed_up: boolean;
  created_at: Date;
  last_used_at: Date | null;
};

export async function listPasskeysOf(tx: TenantTx, userId: string): Promise<PasskeyRow[]> {
  return tx.db.selectFrom("passkeys").select(passkeyColumns).where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).orderBy("created_at").orderBy("id").execute();
}

export async function countPasskeysOf(tx: TenantTx, userId: string): Promise<number> {
  const r = await tx.db.selectFrom("passkeys").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** One passkey of one person: another person's (or another tenant's) id finds nothing. */
export async function findPasskeyOf(tx: TenantTx, userId: string, id: string): Promise<PasskeyRow | undefined> {
  return tx.db.selectFrom("passkeys").select(passkeyColumns).where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).where("id", "=", id).executeTakeFirst();
}

/** The passkey an authenticator names, by the blind index of its credential id. */
export async function findPasskeyByCredential(tx: TenantTx, credentialBidx: Buffer): Promise<PasskeyRow | undefined> {
  return tx.db.selectFrom("passkeys").select(passkeyColumns).where("tenant_id", "=", tx.tenantId).where("credential_bidx", "=", credentialBidx).executeTakeFirst();
}

/** Stores a passkey; `sessionHash`: the hash of the session cookie it was registered in (its session is recorded, 0054). */
export async function insertPasskey(
  tx: TenantTx,
  row: { id: string; user_id: string; credential_bidx: Buffer; credential_id_sealed: Buffer; public_key_sealed: Buffer; name_sealed: Buffer; sign_count: number; transports: string[]; device_type: "singleDevice" | "multiDevice"; backed_up: boolean },
  sessionHash?: Buffer,
): Promise<boolean> {
  const session = sessionHash ? sql<string | null>`(SELECT s.id FROM sessions s WHERE s.tenant_id = ${tx.tenantId} AND s.token_hash = ${sessionHash})` : null;
  const r = await tx.db
    .insertInto("passkeys")
    .values({ tenant_id: tx.tenantId, ...row, last_used_at: null, session_id: session })
    .onConflict((oc) => oc.columns(["tenant_id", "credential_bidx"]).doNothing())
    .returning("id")
    .execute();
  return r.length === 1;
}

export async function renamePasskey(tx: TenantTx, userId: string, id: string, nameSealed: Buffer): Promise<void> {
  await tx.db.updateTable("passkeys").set({ name_sealed: nameSealed }).where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).where("id", "=", id).execute();
}

export async function deletePasskey(tx: TenantTx, userId: string, id: string): Promise<boolean> {
  const r = await tx.db.deleteFrom("passkeys").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).where("id", "=", id).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** Every passkey of a person, and their open challenges (a second factor reset, a deleted person). Answers how many passkeys went. */
export async function deletePasskeysOf(tx: TenantTx, userId: string): Promise<number> {
  const r = await tx.db.deleteFrom("passkeys").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).executeTakeFirst();
  await tx.db.deleteFrom("webauthn_challenges").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).execute();
  return Number(r.numDeletedRows);
}

/**
 * The passkey's signature counter as stored, taking its row (FOR NO KEY UPDATE, as the update of
 * its use) until the transaction ends; undefined when it is gone. Read after the person's row
 * (every use holds it first, in the order settings, person, second factor, challenges), so a use
 * that waited on another sees that one's counter, not the one read before it waited.
 */
export async function heldSignCount(tx: TenantTx, id: string): Promise<number | undefined> {
  const row = await tx.db.selectFrom("passkeys").select("sign_count").where("tenant_id", "=", tx.tenantId).where("id", "=", id).forNoKeyUpdate().executeTakeFirst();
  return row ? Number(row.sign_count) : undefined;
}

/**
 * Records an accepted assertion: the new counter and the time, only if the stored counter is
 * still the one the check saw (two racing assertions cannot both move it).
 */
export async function recordUse(tx: TenantTx, id: string, seen: number, counter: number, now: Date, backedUp: boolean): Promise<boolean> {
  const r = await tx.db
    .updateTable("passkeys")
    .set({ sign_count: counter, last_used_at: now, backed_up: backedUp })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .where("sign_count", "=", seen)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

// ---- challenges

export async function insertChallenge(tx: TenantTx, row: { id: string; purpose: WebauthnPurpose; user_id: string | null; challenge_hash: Buffer; expires_at: Date }, now: Date): Promise<void> {
  // Old challenges go as new ones come (an abandoned sign-in leaves its row for a few minutes only).
  await tx.db.deleteFrom("webauthn_challenges").where("tenant_id", "=", tx.tenantId).where("expires_at", "<", new Date(now.getTime() - 3600_000)).execute();
  await tx.db.insertInto("webauthn_challenges").values({ tenant_id: tx.tenantId, ...row, used_at: null }).execute();
}

export async function findChallengeByHash(tx: TenantTx, hash: Buffer) {
  return tx.db
    .selectFrom("webauthn_challenges")
    .select(["id", "purpose", "user_id", "expires_at", "used_at"])
    .where("tenant_id", "=", tx.tenantId)
    .where("challenge_hash", "=", hash)
    .executeTakeFirst();
}

export const claimChallenge = (tx: TenantTx, id: string, now: Date) => claimOneTime(tx, "webauthn_challenges", id, now);

/** Ends a person's open WebAuthn challenges (their sessions are ending). */
export async function endChallengesOf(tx: TenantTx, userId: string): Promise<void> {
  await tx.db.deleteFrom("webauthn_challenges").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).execute();
}


/**
 * Removes the passkeys registered in a session opened through `method` (a provider no longer
 * trusted as it was: sso-service.ts endSessionsThrough), but in the session `keep` (the caller's).
 * Answers whose they were.
 */
export async function deletePasskeysRegisteredThrough(tx: TenantTx, method: SessionMethod, keep: Buffer | undefined): Promise<string[]> {
  const r = await sql<{ user_id: string }>`
    DELETE FROM passkeys k USING sessions s
    WHERE k.tenant_id = ${tx.tenantId} AND s.tenant_id = ${tx.tenantId} AND s.id = k.session_id AND s.method = ${method}
      ${keep ? sql`AND s.token_hash <> ${keep}` : sql``}
    RETURNING k.user_id`.execute(tx.db);
  return [...new Set(r.rows.map((x) => x.user_id))];
}
