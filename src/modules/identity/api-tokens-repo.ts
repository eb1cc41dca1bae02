import { CUSTOM_ROLE_OF_U } from "./identity-repo.ts";
import { sql } from "kysely";
import { registerPrepared } from "../../platform/db/prepared.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import type { Role } from "../../platform/db/schema.ts";

/** SQL for API tokens and the tenant's API settings. */

export type TokenActorRow = {
  id: string;
  scopes: string[];
  last_used_at: Date | null;
  expires_at: Date | null;
  /** The secret presented is the one replaced by the last rotation (valid until `previous_expires_at`). */
  by_previous: boolean;
  previous_expires_at: Date | null;
  user_id: string;
  user_nice_id: number;
  user_role: Role;
  user_active: boolean;
  user_suspended: boolean;
  user_email_bidx: Uint8Array | null;
  /** 0029: the person's custom role configuration, if they carry one. */
  user_custom_role: unknown;
};

const ACTOR_COLUMNS = `t.id, t.scopes, t.last_used_at, t.expires_at, (t.token_hash <> $2) AS by_previous, t.previous_expires_at,
    u.id AS user_id, u.nice_id AS user_nice_id, u.role AS user_role,
    u.active AS user_active, u.suspended AS user_suspended, u.email_bidx AS user_email_bidx, ${CUSTOM_ROLE_OF_U} AS user_custom_role`;
const ACTOR_FROM = `FROM api_tokens t JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id
    WHERE t.tenant_id = $1 AND (t.token_hash = $2 OR t.previous_token_hash = $2) AND t.revoked_at IS NULL`;

/**
 * The token lookup, sent with BEGIN in one round trip as `EXECUTE` of a statement each database
 * session prepares once (src/platform/db/prepared.ts). Only validated values are inlined: a uuid
 * and the hex of our own HMAC. It finds a token by its secret or by the secret its last rotation
 * replaced; expiry and the overlap are judged by the caller against the server's clock.
 */
const TOKEN_LOOKUP = registerPrepared("vd_p_api_token_lookup", ["uuid", "bytea"], `SELECT ${ACTOR_COLUMNS} ${ACTOR_FROM} LIMIT 1`);

export function activeTokenPrelude(tenantId: string, hash: Buffer): string {
  if (!/^[0-9a-f-]{36}$/.test(tenantId)) throw new Error("invalid tenant id");
  return `EXECUTE ${TOKEN_LOOKUP}('${tenantId}', '\\x${hash.toString("hex")}')`;
}

/** The same lookup without the prelude (a request whose prelude was not sent). */
export async function findActiveTokenByHash(tx: TenantTx, hash: Buffer): Promise<TokenActorRow | undefined> {
  const r = await sql<TokenActorRow>`SELECT t.id, t.scopes, t.last_used_at, t.expires_at, (t.token_hash <> ${hash}) AS by_previous, t.previous_expires_at,
      u.id AS user_id, u.nice_id AS user_nice_id, u.role AS user_role, u.active AS user_active, u.suspended AS user_suspended, u.email_bidx AS user_email_bidx, ${sql.raw(CUSTOM_ROLE_OF_U)} AS user_custom_role
    FROM api_tokens t JOIN users u ON u.tenant_id = t.tenant_id AND u.id = t.user_id
    WHERE t.tenant_id = ${tx.tenantId} AND (t.token_hash = ${hash} OR t.previous_token_hash = ${hash}) AND t.revoked_at IS NULL LIMIT 1`.execute(tx.db);
  return r.rows[0];
}

/** Records a use: the time and the sealed client address (the caller throttles to once a minute). */
export async function touchToken(tx: TenantTx, id: string, now: Date, ipSealed: Buffer | null): Promise<void> {
  await tx.db.updateTable("api_tokens").set({ last_used_at: now, last_used_ip_sealed: ipSealed }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export type TokenRow = {
  id: string;
  nice_id: number;
  name: string;
  scopes: string[];
  user_id: string;
  user_nice_id: number;
  created_at: Date;
  last_used_at: Date | null;
  last_used_ip_sealed: Uint8Array | null;
  revoked_at: Date | null;
  expires_at: Date | null;
  rotated_at: Date | null;
  previous_expires_at: Date | null;
};

function tokens(tx: TenantTx) {
  return tx.db
    .selectFrom("api_tokens as t")
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "t.tenant_id").onRef("u.id", "=", "t.user_id"))
    .select([
      "t.id", "t.nice_id", "t.name", "t.scopes", "t.user_id", "u.nice_id as user_nice_id", "t.created_at", "t.last_used_at", "t.last_used_ip_sealed",
      "t.revoked_at", "t.expires_at", "t.rotated_at", "t.previous_expires_at",
    ])
    .where("t.tenant_id", "=", tx.tenantId);
}

export const findTokenByNiceId = (tx: TenantTx, niceId: number) => tokens(tx).where("t.nice_id", "=", niceId).executeTakeFirst() as Promise<TokenRow | undefined>;

export async function listTokens(tx: TenantTx, userId: string | undefined): Promise<TokenRow[]> {
  let q = tokens(tx);
  if (userId) q = q.where("t.user_id", "=", userId);
  return q.orderBy("t.nice_id").execute() as Promise<TokenRow[]>;
}

export async function insertToken(tx: TenantTx, t: { id: string; user_id: string; name: string; scopes: string[]; token_hash: Buffer; expires_at: Date | null }): Promise<number> {
  const r = await tx.db
    .insertInto("api_tokens")
    .values({ ...t, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('api_tokens')`, last_used_at: null, revoked_at: null, last_used_ip_sealed: null, previous_token_hash: null, previous_expires_at: null, rotated_at: null })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return r.nice_id;
}

export async function revokeToken(tx: TenantTx, id: string, now: Date): Promise<void> {
  await tx.db.updateTable("api_tokens").set({ revoked_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/**
 * A new secret: the current one becomes the previous, accepted until `previousUntil` (NULL: not
 * at all); whatever previous secret there was is forgotten, which ends its overlap at once.
 */
export async function rotateToken(tx: TenantTx, id: string, v: { token_hash: Buffer; previousUntil: Date | null; now: Date }): Promise<void> {
  await tx.db
    .updateTable("api_tokens")
    .set({
      previous_token_hash: v.previousUntil ? sql<Buffer>`token_hash` : null,
      previous_expires_at: v.previousUntil,
      token_hash: v.token_hash,
      rotated_at: v.now,
    })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .execute();
}

export async function revokeTokensOfUser(tx: TenantTx, userId: string, now: Date): Promise<number> {
  const r = await tx.db.updateTable("api_tokens").set({ revoked_at: now }).where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).where("revoked_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

// ---- API settings

/** Whether Basic `email:password` reaches the API (off without a settings row). */
export async function passwordAccess(tx: TenantTx): Promise<boolean> {
  const r = await tx.db.selectFrom("api_settings").select("password_access").where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return r?.password_access ?? false;
}

export async function storePasswordAccess(tx: TenantTx, value: boolean): Promise<void> {
  await tx.db
    .insertInto("api_settings")
    .values({ tenant_id: tx.tenantId, id: tx.tenantId, password_access: value })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ password_access: value, updated_at: sql`now()` }))
    .execute();
}

/** Revokes every API token of the tenant (the account was closed). */
export async function revokeAllTokens(tx: TenantTx, now: Date): Promise<number> {
  const r = await tx.db.updateTable("api_tokens").set({ revoked_at: now }).where("tenant_id", "=", tx.tenantId).where("revoked_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}
