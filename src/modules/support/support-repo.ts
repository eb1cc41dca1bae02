import { sql } from "kysely";
import { ADVISORY_LOCK, type TenantTx } from "../../platform/db/database.ts";
import type { SupportLevel } from "./support-policy.ts";

/** SQL for support access grants. Every function takes the tenant transaction and filters by tenant itself too. */

export type GrantRow = {
  id: string;
  nice_id: number;
  level: SupportLevel;
  reason_sealed: Uint8Array | null;
  granted_by: string;
  support_user_id: string;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
};

const columns = ["id", "nice_id", "level", "reason_sealed", "granted_by", "support_user_id", "created_at", "expires_at", "revoked_at", "revoked_by"] as const;
const normal = (r: GrantRow): GrantRow => ({ ...r, nice_id: Number(r.nice_id), created_at: new Date(r.created_at), expires_at: new Date(r.expires_at), revoked_at: r.revoked_at ? new Date(r.revoked_at) : null });

/** Holds the tenant's grants until the transaction ends, so two owners granting at once cannot both see "none live". */
export async function lockGrants(tx: TenantTx): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.supportAccess}, hashtext(${tx.tenantId}))`.execute(tx.db);
}

/** The newest grants first (history included). */
export async function listGrants(tx: TenantTx, limit: number): Promise<GrantRow[]> {
  const rows = await tx.db.selectFrom("support_access_grants").select(columns).where("tenant_id", "=", tx.tenantId).orderBy("created_at", "desc").orderBy("nice_id", "desc").limit(limit).execute();
  return (rows as GrantRow[]).map(normal);
}

/** The grant that is live at `now`, if any (at most one is: the service refuses a second). */
export async function findLiveGrant(tx: TenantTx, now: Date): Promise<GrantRow | undefined> {
  const r = await tx.db.selectFrom("support_access_grants").select(columns).where("tenant_id", "=", tx.tenantId).where("revoked_at", "is", null).where("expires_at", ">", now).orderBy("expires_at", "desc").executeTakeFirst();
  return r ? normal(r as GrantRow) : undefined;
}

export async function findGrantByNiceId(tx: TenantTx, niceId: number): Promise<GrantRow | undefined> {
  const r = await tx.db.selectFrom("support_access_grants").select(columns).where("tenant_id", "=", tx.tenantId).where("nice_id", "=", niceId).executeTakeFirst();
  return r ? normal(r as GrantRow) : undefined;
}

export async function findGrantById(tx: TenantTx, id: string): Promise<GrantRow | undefined> {
  const r = await tx.db.selectFrom("support_access_grants").select(columns).where("tenant_id", "=", tx.tenantId).where("id", "=", id).executeTakeFirst();
  return r ? normal(r as GrantRow) : undefined;
}

/** The most recent grant that is no longer live (for a refusal's audit entry and the CLI's message). */
export async function findLatestGrant(tx: TenantTx): Promise<GrantRow | undefined> {
  const r = await tx.db.selectFrom("support_access_grants").select(columns).where("tenant_id", "=", tx.tenantId).orderBy("created_at", "desc").orderBy("nice_id", "desc").executeTakeFirst();
  return r ? normal(r as GrantRow) : undefined;
}

export async function insertGrant(
  tx: TenantTx,
  g: { id: string; level: SupportLevel; reasonSealed: Buffer | null; grantedBy: string; supportUserId: string; createdAt: Date; expiresAt: Date },
): Promise<number> {
  const r = await tx.db
    .insertInto("support_access_grants")
    .values({
      tenant_id: tx.tenantId,
      id: g.id,
      nice_id: sql<number>`vd_next_id('support_access_grants')`,
      level: g.level,
      reason_sealed: g.reasonSealed,
      granted_by: g.grantedBy,
      support_user_id: g.supportUserId,
      created_at: g.createdAt,
      expires_at: g.expiresAt,
    })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(r.nice_id);
}

/** Revokes a grant that is not revoked yet; false when it was already. */
export async function revokeGrant(tx: TenantTx, id: string, by: string, at: Date): Promise<boolean> {
  const r = await tx.db.updateTable("support_access_grants").set({ revoked_at: at, revoked_by: by }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("revoked_at", "is", null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
