import { CUSTOM_ROLE_OF_U } from "./identity-repo.ts";
import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import type { OauthRevokedReason, Role, SessionMethod } from "../../platform/db/schema.ts";

/** SQL for OAuth clients, grants, codes and tokens (0027_oauth.sql). Every query names its tenant. */

export type ClientRow = {
  id: string;
  nice_id: number;
  name: string;
  identifier: string;
  description: string;
  company: string;
  redirect_uris: string[];
  kind: "public" | "confidential";
  secret_hash: Uint8Array | null;
  created_by: string;
  created_by_nice_id: number;
  created_at: Date;
  updated_at: Date;
};

function clients(tx: TenantTx) {
  return tx.db
    .selectFrom("oauth_clients as c")
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "c.tenant_id").onRef("u.id", "=", "c.created_by"))
    .select(["c.id", "c.nice_id", "c.name", "c.identifier", "c.description", "c.company", "c.redirect_uris", "c.kind", "c.secret_hash", "c.created_by", "u.nice_id as created_by_nice_id", "c.created_at", "c.updated_at"])
    .where("c.tenant_id", "=", tx.tenantId)
    .where("c.deleted_at", "is", null);
}

export const listClients = (tx: TenantTx) => clients(tx).orderBy("c.nice_id").limit(500).execute() as Promise<ClientRow[]>;
export const findClientByNiceId = (tx: TenantTx, niceId: number, forUpdate = false) => {
  const q = clients(tx).where("c.nice_id", "=", niceId);
  return (forUpdate ? q.forUpdate("c") : q).executeTakeFirst() as Promise<ClientRow | undefined>;
};
export const findClientByIdentifier = (tx: TenantTx, identifier: string) =>
  clients(tx).where("c.identifier", "=", identifier).executeTakeFirst() as Promise<ClientRow | undefined>;
export const findClientById = (tx: TenantTx, id: string) => clients(tx).where("c.id", "=", id).executeTakeFirst() as Promise<ClientRow | undefined>;

/** Whether a live client already has this identifier or (case-insensitively) this name, other than `exceptId`. */
export async function clientTaken(tx: TenantTx, field: "identifier" | "name", value: string, exceptId?: string): Promise<boolean> {
  let q = tx.db.selectFrom("oauth_clients").select("id").where("tenant_id", "=", tx.tenantId).where("deleted_at", "is", null);
  q = field === "identifier" ? q.where("identifier", "=", value) : q.where(sql<string>`lower(name)`, "=", value.toLowerCase());
  if (exceptId) q = q.where("id", "!=", exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function insertClient(
  tx: TenantTx,
  c: { id: string; name: string; identifier: string; description: string; company: string; redirect_uris: string[]; kind: "public" | "confidential"; secret_hash: Buffer | null; created_by: string },
): Promise<number> {
  const r = await tx.db
    .insertInto("oauth_clients")
    .values({ ...c, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('oauth_clients')`, deleted_at: null })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

export async function updateClient(tx: TenantTx, id: string, patch: Partial<{ name: string; identifier: string; description: string; company: string; redirect_uris: string[]; secret_hash: Buffer }>, now: Date): Promise<void> {
  await tx.db.updateTable("oauth_clients").set({ ...patch, updated_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function markClientDeleted(tx: TenantTx, id: string, now: Date): Promise<void> {
  await tx.db.updateTable("oauth_clients").set({ deleted_at: now, updated_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

// ---- grants (token families)

/** A new grant; `sessionHash`: the hash of the session cookie consent was given in (its session is recorded). */
export async function insertGrant(tx: TenantTx, g: { id: string; client_id: string; user_id: string; user_role: Role; scopes: string[] }, sessionHash?: Buffer): Promise<number> {
  const session = sessionHash ? sql<string | null>`(SELECT s.id FROM sessions s WHERE s.tenant_id = ${tx.tenantId} AND s.token_hash = ${sessionHash})` : null;
  const r = await tx.db
    .insertInto("oauth_grants")
    .values({ ...g, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('oauth_grants')`, tokens_issued_at: null, last_used_at: null, revoked_at: null, revoked_reason: null, session_id: session })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

/** Revokes one grant (its codes and tokens stop working with it); the number of grants it ended (0 or 1). */
export async function revokeGrant(tx: TenantTx, id: string, reason: OauthRevokedReason, now: Date): Promise<number> {
  const r = await tx.db.updateTable("oauth_grants").set({ revoked_at: now, revoked_reason: reason }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("revoked_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function revokeGrantsOfClient(tx: TenantTx, clientId: string, now: Date): Promise<number> {
  const r = await tx.db.updateTable("oauth_grants").set({ revoked_at: now, revoked_reason: "client_deleted" }).where("tenant_id", "=", tx.tenantId).where("client_id", "=", clientId).where("revoked_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Ends every grant of a person (deletion, a role change): identity-service.ts `revokeAccessOf`. */
export async function revokeGrantsOfUser(tx: TenantTx, userId: string, now: Date): Promise<number> {
  const r = await tx.db.updateTable("oauth_grants").set({ revoked_at: now, revoked_reason: "access_ended" }).where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).where("revoked_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Ends the grants of a group (staff: every role but end users, account owners kept; end users) when
 * it is made "SSO only": a grant outlives the session it was consented in, so one given from a
 * password session would keep that way in (sso-service.ts endSessionsNowRefused). Answers how many.
 */
export async function revokeGrantsOfGroup(tx: TenantTx, group: "staff" | "end_users", now: Date): Promise<number> {
  const r = await sql`
    UPDATE oauth_grants g SET revoked_at = ${now}, revoked_reason = 'access_ended'
    FROM users u
    WHERE g.tenant_id = ${tx.tenantId} AND u.tenant_id = ${tx.tenantId} AND u.id = g.user_id AND g.revoked_at IS NULL
      AND ${group === "staff" ? sql`u.role NOT IN ('end_user', 'owner')` : sql`u.role = 'end_user'`}`.execute(tx.db);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * Ends the grants consented in a session opened through `method`: a provider no longer trusted
 * as it was may have opened that session for someone else (sso-service.ts endSessionsThrough).
 * Grants consented in the session `keep` (the caller's) stay. Answers how many.
 */
export async function revokeGrantsConsentedThrough(tx: TenantTx, method: SessionMethod, now: Date, keep: Buffer | undefined): Promise<number> {
  // A grant names its session (0054); one from before has none and is matched by time (the
  // session's times are the application's clock, the grant's the database's: close, not exact).
  const r = await sql`
    UPDATE oauth_grants g SET revoked_at = ${now}, revoked_reason = 'access_ended'
    WHERE g.tenant_id = ${tx.tenantId} AND g.revoked_at IS NULL
      AND EXISTS (
        SELECT 1 FROM sessions s
        WHERE s.tenant_id = ${tx.tenantId} AND s.user_id = g.user_id AND s.method = ${method}
          AND (s.id = g.session_id OR (g.session_id IS NULL AND s.created_at <= g.created_at AND g.created_at <= LEAST(s.expires_at, COALESCE(s.revoked_at, s.expires_at))))
          ${keep ? sql`AND s.token_hash <> ${keep}` : sql``})`.execute(tx.db);
  return Number(r.numAffectedRows ?? 0);
}

/**
 * Whether the person already gave this client at least these scopes: a grant of theirs, not
 * revoked, whose code the client exchanged (so the application finished the flow once).
 */
export async function consentRemembered(tx: TenantTx, userId: string, clientId: string, scopes: readonly string[]): Promise<boolean> {
  const r = await tx.db
    .selectFrom("oauth_grants")
    .select("id")
    .where("tenant_id", "=", tx.tenantId)
    .where("user_id", "=", userId)
    .where("client_id", "=", clientId)
    .where("revoked_at", "is", null)
    .where("tokens_issued_at", "is not", null)
    .where(sql<boolean>`scopes @> ${[...scopes]}::text[]`)
    .limit(1)
    .executeTakeFirst();
  return r !== undefined;
}

export async function markGrantIssued(tx: TenantTx, id: string, now: Date): Promise<void> {
  await tx.db.updateTable("oauth_grants").set({ tokens_issued_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("tokens_issued_at", "is", null).execute();
}

export async function touchGrant(tx: TenantTx, id: string, now: Date): Promise<void> {
  await tx.db.updateTable("oauth_grants").set({ last_used_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export type GrantRow = {
  id: string;
  nice_id: number;
  client_id: string;
  client_nice_id: number;
  client_name: string;
  user_id: string;
  user_nice_id: number;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  refresh_expires_at: Date | null;
};

function grants(tx: TenantTx) {
  return tx.db
    .selectFrom("oauth_grants as g")
    .innerJoin("oauth_clients as c", (j) => j.onRef("c.tenant_id", "=", "g.tenant_id").onRef("c.id", "=", "g.client_id"))
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "g.tenant_id").onRef("u.id", "=", "g.user_id"))
    .select((eb) => [
      "g.id",
      "g.nice_id",
      "g.client_id",
      "c.nice_id as client_nice_id",
      "c.name as client_name",
      "g.user_id",
      "u.nice_id as user_nice_id",
      "g.scopes",
      "g.created_at",
      "g.last_used_at",
      "g.revoked_at",
      eb
        .selectFrom("oauth_tokens as t")
        .select((e) => e.fn.max("t.expires_at").as("x"))
        .whereRef("t.tenant_id", "=", "g.tenant_id")
        .whereRef("t.grant_id", "=", "g.id")
        .where("t.kind", "=", "refresh")
        .where("t.used_at", "is", null)
        .as("refresh_expires_at"),
    ])
    .where("g.tenant_id", "=", tx.tenantId)
    .where("g.tokens_issued_at", "is not", null);
}

/** Live grants that have tokens (the "OAuth tokens" of the API), of one person or of everyone. */
export async function listGrants(tx: TenantTx, userId: string | undefined): Promise<GrantRow[]> {
  let q = grants(tx).where("g.revoked_at", "is", null).where("c.deleted_at", "is", null);
  if (userId) q = q.where("g.user_id", "=", userId);
  return q.orderBy("g.nice_id").limit(500).execute() as Promise<GrantRow[]>;
}

export const findGrantByNiceId = (tx: TenantTx, niceId: number) =>
  grants(tx).where("g.nice_id", "=", niceId).where("g.revoked_at", "is", null).executeTakeFirst() as Promise<GrantRow | undefined>;

// ---- codes

export async function insertCode(tx: TenantTx, c: { id: string; grant_id: string; code_hash: Buffer; redirect_uri: string; code_challenge: string; expires_at: Date }): Promise<void> {
  await tx.db.insertInto("oauth_codes").values({ ...c, tenant_id: tx.tenantId, code_challenge_method: "S256", used_at: null }).execute();
}

export type CodeRow = {
  id: string;
  grant_id: string;
  grant_nice_id: number;
  redirect_uri: string;
  code_challenge: string;
  expires_at: Date;
  used_at: Date | null;
  client_id: string;
  user_id: string;
  scopes: string[];
  user_role_at_grant: Role;
  grant_revoked_at: Date | null;
} & UserState;

/** The person a code or refresh token speaks for, as they are now. */
export type UserState = { user_nice_id: number; user_role: Role; user_active: boolean; user_suspended: boolean };

export async function findCodeByHash(tx: TenantTx, hash: Buffer): Promise<CodeRow | undefined> {
  return (await tx.db
    .selectFrom("oauth_codes as k")
    .innerJoin("oauth_grants as g", (j) => j.onRef("g.tenant_id", "=", "k.tenant_id").onRef("g.id", "=", "k.grant_id"))
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "g.tenant_id").onRef("u.id", "=", "g.user_id"))
    .select(["k.id", "k.grant_id", "k.redirect_uri", "k.code_challenge", "k.expires_at", "k.used_at", "g.nice_id as grant_nice_id", "g.client_id", "g.user_id", "g.scopes", "g.user_role as user_role_at_grant", "g.revoked_at as grant_revoked_at"])
    .select(["u.nice_id as user_nice_id", "u.role as user_role", "u.active as user_active", "u.suspended as user_suspended"])
    .where("k.tenant_id", "=", tx.tenantId)
    .where("k.code_hash", "=", hash)
    .forUpdate("k")
    .executeTakeFirst()) as CodeRow | undefined;
}

/** Uses a code up; 1 when this call did, 0 when it was used already. */
export async function markCodeUsed(tx: TenantTx, id: string, now: Date): Promise<number> {
  const r = await tx.db.updateTable("oauth_codes").set({ used_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("used_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

// ---- tokens

export async function insertToken(tx: TenantTx, t: { id: string; grant_id: string; kind: "access" | "refresh"; token_hash: Buffer; scopes: string[]; expires_at: Date }): Promise<void> {
  await tx.db.insertInto("oauth_tokens").values({ ...t, tenant_id: tx.tenantId, used_at: null }).execute();
}

export type RefreshRow = { id: string; grant_id: string; grant_nice_id: number; expires_at: Date; used_at: Date | null; client_id: string; user_id: string; scopes: string[]; user_role_at_grant: Role; grant_revoked_at: Date | null } & UserState;

export async function findRefreshByHash(tx: TenantTx, hash: Buffer): Promise<RefreshRow | undefined> {
  return (await tx.db
    .selectFrom("oauth_tokens as t")
    .innerJoin("oauth_grants as g", (j) => j.onRef("g.tenant_id", "=", "t.tenant_id").onRef("g.id", "=", "t.grant_id"))
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "g.tenant_id").onRef("u.id", "=", "g.user_id"))
    .select(["t.id", "t.grant_id", "t.expires_at", "t.used_at", "g.nice_id as grant_nice_id", "g.client_id", "g.user_id", "t.scopes", "g.user_role as user_role_at_grant", "g.revoked_at as grant_revoked_at"])
    .select(["u.nice_id as user_nice_id", "u.role as user_role", "u.active as user_active", "u.suspended as user_suspended"])
    .where("t.tenant_id", "=", tx.tenantId)
    .where("t.token_hash", "=", hash)
    .where("t.kind", "=", "refresh")
    .forUpdate("t")
    .executeTakeFirst()) as RefreshRow | undefined;
}

/** Marks a refresh token rotated; 1 when this call did, 0 when it was used already. */
export async function markRefreshUsed(tx: TenantTx, id: string, now: Date): Promise<number> {
  const r = await tx.db.updateTable("oauth_tokens").set({ used_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("kind", "=", "refresh").where("used_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export type AccessActorRow = { grant_id: string; scopes: string[]; last_used_at: Date | null; user_id: string; user_nice_id: number; user_role: Role; user_custom_role: unknown };

/**
 * The person behind a live access token: the token unexpired, its grant not revoked and made under
 * the person's present role, its client not deleted, the person active and not suspended.
 */
export async function findAccessActor(tx: TenantTx, hash: Buffer, now: Date): Promise<AccessActorRow | undefined> {
  return (await tx.db
    .selectFrom("oauth_tokens as t")
    .innerJoin("oauth_grants as g", (j) => j.onRef("g.tenant_id", "=", "t.tenant_id").onRef("g.id", "=", "t.grant_id"))
    .innerJoin("oauth_clients as c", (j) => j.onRef("c.tenant_id", "=", "g.tenant_id").onRef("c.id", "=", "g.client_id"))
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "g.tenant_id").onRef("u.id", "=", "g.user_id"))
    .select(["g.id as grant_id", "t.scopes", "g.last_used_at", "u.id as user_id", "u.nice_id as user_nice_id", "u.role as user_role"])
    // 0029: the person's custom role, read fresh with every request as for other credentials.
    .select(sql<unknown>`${sql.raw(CUSTOM_ROLE_OF_U)}`.as("user_custom_role"))
    .where("t.tenant_id", "=", tx.tenantId)
    .where("t.token_hash", "=", hash)
    .where("t.kind", "=", "access")
    .where("t.expires_at", ">", now)
    .where("g.revoked_at", "is", null)
    .whereRef("g.user_role", "=", "u.role")
    .where("c.deleted_at", "is", null)
    .where("u.active", "=", true)
    .where("u.suspended", "=", false)
    .executeTakeFirst()) as AccessActorRow | undefined;
}

/** Deletes up to `limit` codes and `limit` tokens that expired before `before` (0032). */
export async function deleteExpiredOAuth(tx: TenantTx, before: Date, limit: number): Promise<{ codes: number; tokens: number }> {
  const codes = await sql<{ n: number }>`
    WITH gone AS (
      DELETE FROM oauth_codes WHERE tenant_id = ${tx.tenantId} AND id IN (
        SELECT id FROM oauth_codes WHERE tenant_id = ${tx.tenantId} AND expires_at < ${before} LIMIT ${limit})
      RETURNING 1)
    SELECT count(*)::int AS n FROM gone`.execute(tx.db);
  const tokens = await sql<{ n: number }>`
    WITH gone AS (
      DELETE FROM oauth_tokens WHERE tenant_id = ${tx.tenantId} AND id IN (
        SELECT id FROM oauth_tokens WHERE tenant_id = ${tx.tenantId} AND expires_at < ${before} LIMIT ${limit})
      RETURNING 1)
    SELECT count(*)::int AS n FROM gone`.execute(tx.db);
  return { codes: Number(codes.rows[0]?.n ?? 0), tokens: Number(tokens.rows[0]?.n ?? 0) };
}

/** Revokes every OAuth grant of the tenant, and with them their tokens (the account was closed). */
export async function revokeAllGrants(tx: TenantTx, now: Date): Promise<number> {
  const r = await tx.db.updateTable("oauth_grants").set({ revoked_at: now, revoked_reason: "access_ended" }).where("tenant_id", "=", tx.tenantId).where("revoked_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}
