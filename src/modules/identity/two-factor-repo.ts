import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import { holdUserRow } from "./identity-repo.ts";
import { countPasskeysOf, deletePasskeysOf } from "./passkeys-repo.ts";

/** SQL for two-factor sign-in: a person's TOTP authenticator, recovery codes, sign-in challenges, the tenant's setting. */

export async function findTotp(tx: TenantTx, userId: string) {
  return tx.db
    .selectFrom("two_factor_totp")
    .select(["id", "secret_sealed", "status", "last_used_step", "activated_at"])
    .where("tenant_id", "=", tx.tenantId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
}

export async function hasActiveTotp(tx: TenantTx, userId: string): Promise<boolean> {
  return (await findTotp(tx, userId))?.status === "active";
}

/** Whether a person has a second factor: an active authenticator or a passkey. */
export async function hasSecondFactor(tx: TenantTx, userId: string): Promise<boolean> {
  return (await hasActiveTotp(tx, userId)) || (await countPasskeysOf(tx, userId)) > 0;
}

/** A new pending enrolment replaces an earlier pending one (never an active one: the caller checks). */
export async function putPendingTotp(tx: TenantTx, row: { id: string; user_id: string; secret_sealed: Buffer }): Promise<void> {
  await tx.db.deleteFrom("two_factor_totp").where("tenant_id", "=", tx.tenantId).where("user_id", "=", row.user_id).where("status", "=", "pending").execute();
  await tx.db.insertInto("two_factor_totp").values({ tenant_id: tx.tenantId, ...row, status: "pending", last_used_step: null, activated_at: null }).execute();
}

/**
 * Accepts a code for time step `step`: only if no code was accepted for this or a later step, in
 * one conditional UPDATE, so a code is used once even by two requests racing with it.
 */
export async function claimStep(tx: TenantTx, userId: string, step: number, status: "pending" | "active"): Promise<boolean> {
  const r = await tx.db
    .updateTable("two_factor_totp")
    .set({ last_used_step: step })
    .where("tenant_id", "=", tx.tenantId)
    .where("user_id", "=", userId)
    .where("status", "=", status)
    .where((eb) => eb.or([eb("last_used_step", "is", null), eb("last_used_step", "<", step)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function activateTotp(tx: TenantTx, userId: string, now: Date): Promise<void> {
  await tx.db.updateTable("two_factor_totp").set({ status: "active", activated_at: now }).where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).execute();
}

/** Drops a person's authenticator set-up that was never confirmed (nothing else of theirs). */
export async function removePendingTotp(tx: TenantTx, userId: string): Promise<void> {
  await tx.db.deleteFrom("two_factor_totp").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).where("status", "=", "pending").execute();
}

/** Removes every second factor of a person (authenticator, recovery codes, passkeys, open challenges); answers whether one was active. */
export async function removeTwoFactor(tx: TenantTx, userId: string): Promise<boolean> {
  // The person's row first (the order a sign-in's second step takes them in: the row, then the
  // second factor, then the challenges): the passkey step holds its WebAuthn challenge while it
  // records the passkey's use, and deleting the passkeys and then those challenges without the row
  // would deadlock with it (the operator's reset, which no request retries, could lose).
  await holdUserRow(tx, userId);
  const passkeys = await deletePasskeysOf(tx, userId);
  const gone = await tx.db.deleteFrom("two_factor_totp").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).returning("status").execute();
  await tx.db.deleteFrom("two_factor_recovery_codes").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).execute();
  await tx.db.deleteFrom("two_factor_challenges").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).execute();
  return passkeys > 0 || gone.some((g) => g.status === "active");
}

export async function replaceRecoveryCodes(tx: TenantTx, userId: string, rows: Array<{ id: string; code_hash: Buffer }>): Promise<void> {
  // The person's row first (the order the two-factor sign-in step takes it in): two renewals at
  // once would otherwise each delete only the codes they see and both sets would stay live.
  await holdUserRow(tx, userId);
  await tx.db.deleteFrom("two_factor_recovery_codes").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).execute();
  if (rows.length > 0) await tx.db.insertInto("two_factor_recovery_codes").values(rows.map((r) => ({ tenant_id: tx.tenantId, user_id: userId, ...r }))).execute();
}

/** Uses up a recovery code (one conditional UPDATE: of two racing requests, one wins). */
export async function claimRecoveryCode(tx: TenantTx, userId: string, hash: Buffer, now: Date): Promise<boolean> {
  const r = await tx.db
    .updateTable("two_factor_recovery_codes")
    .set({ used_at: now })
    .where("tenant_id", "=", tx.tenantId)
    .where("user_id", "=", userId)
    .where("code_hash", "=", hash)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function recoveryCodesLeft(tx: TenantTx, userId: string): Promise<number> {
  const r = await tx.db
    .selectFrom("two_factor_recovery_codes")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("tenant_id", "=", tx.tenantId)
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

// ---- sign-in challenges

export async function insertChallenge(tx: TenantTx, row: { id: string; user_id: string; token_hash: Buffer; expires_at: Date }): Promise<void> {
  await tx.db.insertInto("two_factor_challenges").values({ tenant_id: tx.tenantId, ...row, used_at: null }).execute();
}

export async function findChallengeByHash(tx: TenantTx, hash: Buffer) {
  return tx.db
    .selectFrom("two_factor_challenges")
    .select(["id", "user_id", "expires_at", "used_at", "failed_attempts"])
    .where("tenant_id", "=", tx.tenantId)
    .where("token_hash", "=", hash)
    .executeTakeFirst();
}

/** A challenge still usable at `now`: unused, unexpired, and with fewer than `maxAttempts` wrong answers. */
const usable = (now: Date, maxAttempts: number) => sql<boolean>`used_at IS NULL AND expires_at > ${now} AND failed_attempts < ${maxAttempts}`;

/**
 * Whether a challenge is still usable at `now`, read as stored: unused, unexpired, and with fewer
 * than `maxAttempts` wrong answers. Read once the person's row is held (identity-repo.ts
 * lockedNow), after every other second step of theirs that came first has committed, so a
 * challenge worn out meanwhile is seen as worn out before a code or passkey is tried on it.
 */
export async function challengeUsable(tx: TenantTx, id: string, now: Date, maxAttempts: number): Promise<boolean> {
  const row = await tx.db
    .selectFrom("two_factor_challenges")
    .select("id")
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .where(usable(now, maxAttempts))
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * A wrong answer on a challenge, added to its count as stored (one conditional statement), only
 * while the challenge is usable: of answers sent at once, no more than `maxAttempts` are ever
 * counted, whatever each read before. Answers whether it was counted (false: the challenge was
 * used, worn out, expired or ended meanwhile, and the answer gets no verdict).
 */
export async function countChallengeFailure(tx: TenantTx, id: string, now: Date, maxAttempts: number): Promise<boolean> {
  const r = await tx.db
    .updateTable("two_factor_challenges")
    .set({ failed_attempts: sql`failed_attempts + 1` })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .where(usable(now, maxAttempts))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Ends a person's open sign-in challenges (their sessions are ending: a challenge is half a session). */
export async function endChallengesOf(tx: TenantTx, userId: string): Promise<void> {
  await tx.db.deleteFrom("two_factor_challenges").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).execute();
}

/**
 * Uses up a challenge for a right answer: one conditional UPDATE, only while it is unused,
 * unexpired and not worn out by `maxAttempts` wrong answers (counted by others at once).
 */
export async function claimChallenge(tx: TenantTx, id: string, now: Date, maxAttempts: number): Promise<boolean> {
  const r = await tx.db
    .updateTable("two_factor_challenges")
    .set({ used_at: now })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .where(usable(now, maxAttempts))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

// ---- the tenant's setting

export async function requireStaffTwoFactor(tx: TenantTx): Promise<boolean> {
  const r = await tx.db.selectFrom("two_factor_settings").select("require_staff_two_factor").where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return r?.require_staff_two_factor ?? false;
}

export async function setRequireStaffTwoFactor(tx: TenantTx, value: boolean): Promise<void> {
  await tx.db
    .insertInto("two_factor_settings")
    .values({ tenant_id: tx.tenantId, id: tx.tenantId, require_staff_two_factor: value })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ require_staff_two_factor: value, updated_at: sql`now()` }))
    .execute();
}
