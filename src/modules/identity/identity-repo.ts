import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import type { EmailStatus, Role, SessionMethod } from "../../platform/db/schema.ts";

/** SQL for sessions and password checks (API tokens: api-tokens-repo.ts). */

/** The configuration of the custom role of the user `u` (platform/roles.ts), or null. */
export const CUSTOM_ROLE_OF_U = `(SELECT cr.configuration || jsonb_build_object('role_id', cr.nice_id) FROM custom_roles cr WHERE cr.tenant_id = u.tenant_id AND cr.id = u.custom_role_id)`;

/**
 * 0025: the tenant's IP restrictions, read with the credential (a LEFT JOIN: NULLs when the tenant
 * has none), so that checking them costs no round trip of its own.
 */
export type NetworkColumns = {
  ipr_enabled: boolean | null;
  ipr_allowed_ips_sealed: Uint8Array | null;
  ipr_enforce_end_users: boolean | null;
  ipr_allow_two_factor: boolean | null;
};
const NETWORK_COLUMNS = ["ir.enabled as ipr_enabled", "ir.allowed_ips_sealed as ipr_allowed_ips_sealed", "ir.enforce_end_users as ipr_enforce_end_users", "ir.allow_two_factor as ipr_allow_two_factor"] as const;


/**
 * The live session of a cookie, with the tenant's session lengths read in the same query (a
 * left join: no settings row follows the process-wide defaults): idle past the tenant's idle
 * minutes, or older than its absolute hours, or past the expiry set when it began, it has ended.
 */
export async function findLiveSession(tx: TenantTx, hash: Buffer, now: Date, defaults: { idleMinutes: number; maxHours: number }) {
  return tx.db
    .selectFrom("sessions as s")
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "s.tenant_id").onRef("u.id", "=", "s.user_id"))
    .leftJoin("session_settings as st", "st.tenant_id", "s.tenant_id")
    .leftJoin("ip_restrictions as ir", "ir.tenant_id", "s.tenant_id")
    .select([
      ...NETWORK_COLUMNS,
      "s.id",
      "s.last_seen_at",
      "s.method",
      "s.second_factor",
      "s.created_at",
      "s.staff_issued",
      "s.signed_in_at",
      "u.id as user_id",
      "u.nice_id as user_nice_id",
      "u.role as user_role",
      "u.active as user_active",
      "u.suspended as user_suspended",
      "u.must_change_password",
      sql<unknown>`${sql.raw(CUSTOM_ROLE_OF_U)}`.as("user_custom_role"),
      // 0021: whether the tenant requires staff to use two-factor sign-in, and whether this person does.
      sql<boolean>`EXISTS (SELECT 1 FROM two_factor_settings ts WHERE ts.tenant_id = s.tenant_id AND ts.require_staff_two_factor)`.as("two_factor_required"),
      // 0024: a passkey is a second factor too.
      sql<boolean>`(EXISTS (SELECT 1 FROM two_factor_totp tf WHERE tf.tenant_id = s.tenant_id AND tf.user_id = s.user_id AND tf.status = 'active')
        OR EXISTS (SELECT 1 FROM passkeys pk WHERE pk.tenant_id = s.tenant_id AND pk.user_id = s.user_id))`.as("two_factor_active"),
    ])
    .where("s.tenant_id", "=", tx.tenantId)
    .where("s.token_hash", "=", hash)
    .where("s.revoked_at", "is", null)
    .where("s.expires_at", ">", now)
    .where(liveBy(now, defaults))
    .executeTakeFirst();
}

/** Not idle too long and not too old, under the tenant's settings or the defaults (`s`, `st`). */
function liveBy(now: Date, defaults: { idleMinutes: number; maxHours: number }) {
  return sql<boolean>`s.last_seen_at > ${now}::timestamptz - make_interval(mins => coalesce(st.idle_minutes, ${defaults.idleMinutes}::int))
    AND s.created_at > ${now}::timestamptz - make_interval(hours => coalesce(st.max_hours, ${defaults.maxHours}::int))`;
}

export async function touchSession(tx: TenantTx, id: string, now: Date): Promise<void> {
  await tx.db.updateTable("sessions").set({ last_seen_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function insertSession(
  tx: TenantTx,
  s: { id: string; user_id: string; token_hash: Buffer; ip_sealed: Buffer | null; user_agent_sealed: Buffer | null; device_hash: Buffer | null; expires_at: Date; last_seen_at: Date; method: SessionMethod; second_factor: boolean; staff_issued: boolean; signed_in_at?: Date },
): Promise<number> {
  const r = await tx.db
    .insertInto("sessions")
    .values({ ...s, tenant_id: tx.tenantId, created_at: s.last_seen_at, revoked_at: null, nice_id: sql<number>`vd_next_id('sessions')` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

/** The tenant's session lengths (NULL: the process-wide default). */
export async function sessionSettings(tx: TenantTx): Promise<{ idle_minutes: number | null; max_hours: number | null }> {
  const row = await tx.db.selectFrom("session_settings").select(["idle_minutes", "max_hours"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return row ?? { idle_minutes: null, max_hours: null };
}

export async function storeSessionSettings(tx: TenantTx, v: { idle_minutes: number | null; max_hours: number | null }): Promise<void> {
  await tx.db
    .insertInto("session_settings")
    .values({ tenant_id: tx.tenantId, id: tx.tenantId, ...v })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ ...v, updated_at: sql`now()` }))
    .execute();
}

export type LiveSessionRow = {
  id: string;
  nice_id: number;
  user_id: string;
  user_nice_id: number;
  token_hash: Uint8Array;
  ip_sealed: Uint8Array | null;
  user_agent_sealed: Uint8Array | null;
  method: SessionMethod;
  created_at: Date;
  last_seen_at: Date;
};

/** A user's live sessions (or one of them, by number), newest first. */
export async function listLiveSessions(tx: TenantTx, now: Date, defaults: { idleMinutes: number; maxHours: number }, by: { userId?: string; niceId?: number }): Promise<LiveSessionRow[]> {
  let q = tx.db
    .selectFrom("sessions as s")
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "s.tenant_id").onRef("u.id", "=", "s.user_id"))
    .leftJoin("session_settings as st", "st.tenant_id", "s.tenant_id")
    .select(["s.id", "s.nice_id", "s.user_id", "u.nice_id as user_nice_id", "s.token_hash", "s.ip_sealed", "s.user_agent_sealed", "s.method", "s.created_at", "s.last_seen_at"])
    .where("s.tenant_id", "=", tx.tenantId)
    .where("s.revoked_at", "is", null)
    .where("s.expires_at", ">", now)
    .where(liveBy(now, defaults));
  if (by.userId !== undefined) q = q.where("s.user_id", "=", by.userId);
  if (by.niceId !== undefined) q = q.where("s.nice_id", "=", by.niceId);
  const rows = await q.orderBy("s.created_at", "desc").orderBy("s.nice_id", "desc").limit(500).execute();
  return rows.map((r) => ({ ...r, nice_id: Number(r.nice_id), user_nice_id: Number(r.user_nice_id), created_at: new Date(r.created_at), last_seen_at: new Date(r.last_seen_at) })) as LiveSessionRow[];
}

export async function revokeSessionById(tx: TenantTx, id: string, now: Date): Promise<void> {
  await tx.db.updateTable("sessions").set({ revoked_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("revoked_at", "is", null).execute();
}

/** Whether the user had a session since `since`, any at all with a fingerprint, and one with this fingerprint. */
export async function deviceSeen(tx: TenantTx, userId: string, deviceHash: Buffer, since: Date): Promise<{ any: boolean; seen: boolean }> {
  const r = await sql<{ any: boolean; seen: boolean }>`SELECT
      EXISTS (SELECT 1 FROM sessions WHERE tenant_id = ${tx.tenantId} AND user_id = ${userId} AND device_hash IS NOT NULL) AS any,
      EXISTS (SELECT 1 FROM sessions WHERE tenant_id = ${tx.tenantId} AND user_id = ${userId} AND device_hash = ${deviceHash} AND created_at > ${since}) AS seen`.execute(tx.db);
  return r.rows[0] ?? { any: false, seen: false };
}

export async function userForMail(tx: TenantTx, id: string) {
  return tx.db.selectFrom("users").select(["email_sealed", "locale"]).where("tenant_id", "=", tx.tenantId).where("id", "=", id).executeTakeFirst();
}

export async function revokeSessionByHash(tx: TenantTx, hash: Buffer, now: Date): Promise<void> {
  await tx.db.updateTable("sessions").set({ revoked_at: now }).where("tenant_id", "=", tx.tenantId).where("token_hash", "=", hash).execute();
}

export type SignInUser = {
  id: string;
  nice_id: number;
  role: Role;
  password_hash: string | null;
  active: boolean;
  suspended: boolean;
  must_change_password: boolean;
  password_set_at: Date | null;
  failed_signins: number;
  lockouts: number;
  locked_until: Date | null;
  email_sealed: Uint8Array | null;
  locale: string | null;
  /** `staff_changed`: staff moved the person to this address; it proves nothing about who signs in. */
  email_status: EmailStatus;
};

/** The sign-in fields of a user found by the blind index of their address, or by id. */
export async function findUserForSignIn(tx: TenantTx, by: { emailBidx: Buffer } | { id: string }): Promise<SignInUser | undefined> {
  const q = tx.db
    .selectFrom("users")
    .select(["id", "nice_id", "role", "password_hash", "active", "suspended", "must_change_password", "password_set_at", "failed_signins", "lockouts", "locked_until", "email_sealed", "locale", "email_status"])
    .where("tenant_id", "=", tx.tenantId);
  return ("id" in by ? q.where("id", "=", by.id) : q.where("email_bidx", "=", by.emailBidx)).executeTakeFirst() as Promise<SignInUser | undefined>;
}

export async function markLogin(tx: TenantTx, id: string, now: Date): Promise<void> {
  await tx.db.updateTable("users").set({ last_login_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function findUserPassword(tx: TenantTx, id: string) {
  return tx.db.selectFrom("users").select(["password_hash", "email_sealed", "name_sealed", "locale"]).where("tenant_id", "=", tx.tenantId).where("id", "=", id).executeTakeFirst();
}

/**
 * A wrong attempt, added to the count as stored (one statement: attempts at once all count, none
 * is lost to another's read of the same count), unless the account is locked at `now` (locked by
 * another attempt meanwhile: not counted, as a sign-in while locked is not). Answers the count
 * and the lockouts in a row after it, or undefined when not counted. The row stays locked by this
 * transaction until it ends, so the lockout that may follow is written on this count.
 */
export async function addSignInFailure(tx: TenantTx, id: string, now: Date): Promise<{ failed_signins: number; lockouts: number } | undefined> {
  return tx.db
    .updateTable("users")
    .set({ failed_signins: sql`failed_signins + 1` })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
    .returning(["failed_signins", "lockouts"])
    .executeTakeFirst();
}

/**
 * Takes the person's row (FOR NO KEY UPDATE) until the transaction ends: the first lock of a step
 * that then uses or changes their second factors, in the order a sign-in's second step takes them
 * (the row, the second factor, the challenges), so that the two never wait on each other in a cycle.
 */
export async function holdUserRow(tx: TenantTx, id: string): Promise<void> {
  await tx.db.selectFrom("users").select("id").where("tenant_id", "=", tx.tenantId).where("id", "=", id).forNoKeyUpdate().execute();
}

/**
 * Whether the account is locked at `now`, read as stored and holding the row to the end of the
 * transaction (as a wrong attempt's count does): a right password or code is not let through on a
 * read made before another attempt locked the account, and its sign-in does not end that lockout.
 */
export async function lockedNow(tx: TenantTx, id: string, now: Date): Promise<boolean> {
  const row = await tx.db.selectFrom("users").select("locked_until").where("tenant_id", "=", tx.tenantId).where("id", "=", id).forNoKeyUpdate().executeTakeFirst();
  return row?.locked_until != null && row.locked_until > now;
}

/**
 * The person as a sign-in judges them, read as stored and holding the row to the end of the
 * transaction (as lockedNow): a suspension, deactivation, deletion or change of role committed
 * while a sign-in's slow step ran (a passkey's assertion) is seen here, and waits for this one.
 */
export async function heldForSignIn(tx: TenantTx, id: string): Promise<SignInUser | undefined> {
  return tx.db
    .selectFrom("users")
    .select(["id", "nice_id", "role", "password_hash", "active", "suspended", "must_change_password", "password_set_at", "failed_signins", "lockouts", "locked_until", "email_sealed", "locale", "email_status"])
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .forNoKeyUpdate()
    .executeTakeFirst() as Promise<SignInUser | undefined>;
}

/** The policy's wrong attempts in a row were reached: the count starts again and the account is locked until `until`. */
export async function lockAfterSignInFailures(tx: TenantTx, id: string, until: Date): Promise<void> {
  await tx.db
    .updateTable("users")
    .set({ failed_signins: 0, lockouts: sql`lockouts + 1`, locked_until: until })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .execute();
}

/**
 * A right password through the API ends a run of wrong ones, as a sign-in does; written only when
 * there is one (decided in the statement, on the count as stored, not on one read earlier), and
 * never over a lockout in force at `now` (one another attempt has just set).
 */
export async function endSignInFailures(tx: TenantTx, id: string, now: Date): Promise<void> {
  await tx.db
    .updateTable("users")
    .set({ failed_signins: 0, lockouts: 0, locked_until: null })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .where("failed_signins", ">", 0)
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
    .execute();
}

/** The right password: counts start again; a password past its expiry must be changed. */
export async function recordSignInSuccess(tx: TenantTx, id: string, opts: { mustChangePassword: boolean }): Promise<void> {
  await tx.db
    .updateTable("users")
    .set({ failed_signins: 0, lockouts: 0, locked_until: null, ...(opts.mustChangePassword ? { must_change_password: true } : {}) })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .execute();
}

/** An admin ends a lockout. Returns whether the account was locked. */
export async function unlockUser(tx: TenantTx, id: string, now: Date): Promise<boolean> {
  const r = await tx.db.updateTable("users").set({ failed_signins: 0, lockouts: 0, locked_until: null }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("locked_until", ">", now).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Hashes of the user's earlier passwords, newest first. */
export async function earlierPasswords(tx: TenantTx, userId: string, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const rows = await tx.db.selectFrom("password_history").select("password_hash").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).orderBy("created_at", "desc").limit(limit).execute();
  return rows.map((r) => r.password_hash);
}

/** How many earlier passwords are kept: the most any policy can ask for (24). */
const HISTORY_KEPT = 24;

/** The current hash goes to the history (so policies can refuse it later), and the oldest past 24 go. */
async function keepEarlierPassword(tx: TenantTx, id: string): Promise<void> {
  await sql`INSERT INTO password_history (tenant_id, user_id, password_hash)
    SELECT tenant_id, id, password_hash FROM users WHERE tenant_id = ${tx.tenantId} AND id = ${id} AND password_hash IS NOT NULL AND NOT must_change_password`.execute(tx.db);
  await sql`DELETE FROM password_history WHERE tenant_id = ${tx.tenantId} AND user_id = ${id} AND ctid NOT IN (
    SELECT ctid FROM password_history WHERE tenant_id = ${tx.tenantId} AND user_id = ${id} ORDER BY created_at DESC LIMIT ${HISTORY_KEPT})`.execute(tx.db);
}

export async function setPassword(tx: TenantTx, id: string, hash: string): Promise<void> {
  await keepEarlierPassword(tx, id);
  await tx.db
    .updateTable("users")
    .set({ password_hash: hash, must_change_password: false, password_set_at: sql`now()`, failed_signins: 0, lockouts: 0, locked_until: null, updated_at: sql`now()` })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .execute();
}

/** Ends every live session of a user (suspension is checked per request; deletion also ends them). */
export async function revokeSessionsOfUser(tx: TenantTx, userId: string, now: Date, exceptHash?: Buffer): Promise<number> {
  let q = tx.db.updateTable("sessions").set({ revoked_at: now }).where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).where("revoked_at", "is", null);
  if (exceptHash) q = q.where("token_hash", "<>", exceptHash);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Sets a one-time password: the person must choose their own at their next sign-in. */
export async function setOneTimePassword(tx: TenantTx, id: string, hash: string): Promise<void> {
  await keepEarlierPassword(tx, id);
  await tx.db
    .updateTable("users")
    .set({ password_hash: hash, must_change_password: true, password_set_at: sql`now()`, failed_signins: 0, lockouts: 0, locked_until: null, updated_at: sql`now()` })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .execute();
}

/** What setting someone's password needs to know of them. */
export async function findUserByNiceIdForPassword(tx: TenantTx, niceId: number) {
  return tx.db
    .selectFrom("users")
    .select(["id", "nice_id", "role", "active", "password_hash", "email_sealed", "name_sealed"])
    .where("tenant_id", "=", tx.tenantId)
    .where("nice_id", "=", niceId)
    .executeTakeFirst();
}

/** The account's active owners (their way in stays open when staff sign in only through SSO). */
export async function activeOwnerIds(tx: TenantTx): Promise<string[]> {
  const rows = await tx.db.selectFrom("users").select("id").where("tenant_id", "=", tx.tenantId).where("role", "=", "owner").where("active", "=", true).where("suspended", "=", false).execute();
  return rows.map((r) => r.id);
}

/**
 * Ends the live sessions of a group (staff: every role but end users) that were not opened through
 * `method`, but an account owner's opened with a second factor (their way in under "SSO only")
 * and the session `keep` (the caller's). Answers how many ended.
 */
export async function revokeSessionsNotThrough(tx: TenantTx, group: "staff" | "end_users", method: SessionMethod, now: Date, keep: Buffer | undefined): Promise<number> {
  const r = await sql`
    UPDATE sessions s SET revoked_at = ${now}
    FROM users u
    WHERE s.tenant_id = ${tx.tenantId} AND u.tenant_id = ${tx.tenantId} AND u.id = s.user_id AND s.revoked_at IS NULL AND s.method <> ${method}
      AND ${group === "staff" ? sql`u.role <> 'end_user' AND NOT (u.role = 'owner' AND s.second_factor)` : sql`u.role = 'end_user'`}
      ${keep ? sql`AND s.token_hash <> ${keep}` : sql``}`.execute(tx.db);
  return Number(r.numAffectedRows ?? 0);
}

/** Ends the live sessions opened through `method` (a provider no longer trusted as it was), but the session `keep` (the caller's). Answers how many. */
export async function revokeSessionsThrough(tx: TenantTx, method: SessionMethod, now: Date, keep: Buffer | undefined): Promise<number> {
  let q = tx.db.updateTable("sessions").set({ revoked_at: now }).where("tenant_id", "=", tx.tenantId).where("method", "=", method).where("revoked_at", "is", null);
  if (keep) q = q.where("token_hash", "<>", keep);
  return Number((await q.executeTakeFirst()).numUpdatedRows);
}

/** Ends every live session of the tenant (the account was closed). */
export async function revokeAllSessions(tx: TenantTx, now: Date): Promise<number> {
  const r = await tx.db.updateTable("sessions").set({ revoked_at: now }).where("tenant_id", "=", tx.tenantId).where("revoked_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}
