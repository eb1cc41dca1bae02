import type { TenantTx } from "../../platform/db/database.ts";
import { claimOneTime } from "../../platform/db/one-time.ts";
import type { EmailStatus, Role } from "../../platform/db/schema.ts";

/** SQL for one-time sign-in links and for the sessions a person can see about themselves. */

export async function insertSigninLink(tx: TenantTx, v: { id: string; user_id: string; token_hash: Buffer; created_by: string | null; expires_at: Date }): Promise<void> {
  await tx.db.insertInto("signin_links").values({ ...v, tenant_id: tx.tenantId, used_at: null }).execute();
}

export type SigninLinkRow = { id: string; user_id: string; expires_at: Date; used_at: Date | null; created_by: string | null; user_nice_id: number; user_role: Role; user_active: boolean; user_suspended: boolean };

export async function findSigninLinkByHash(tx: TenantTx, hash: Buffer): Promise<SigninLinkRow | undefined> {
  return tx.db
    .selectFrom("signin_links as l")
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "l.tenant_id").onRef("u.id", "=", "l.user_id"))
    .select(["l.id", "l.user_id", "l.expires_at", "l.used_at", "l.created_by", "u.nice_id as user_nice_id", "u.role as user_role", "u.active as user_active", "u.suspended as user_suspended"])
    .where("l.tenant_id", "=", tx.tenantId)
    .where("l.token_hash", "=", hash)
    .executeTakeFirst();
}

/** Marks a link used only if it still is usable: of two racing requests exactly one gets it. */
export const claimSigninLink = (tx: TenantTx, id: string, now: Date): Promise<boolean> => claimOneTime(tx, "signin_links", id, now);

export async function listSigninLinksOf(tx: TenantTx, userId: string) {
  return tx.db
    .selectFrom("signin_links")
    .select(["created_at", "expires_at", "used_at", "created_by"])
    .where("tenant_id", "=", tx.tenantId)
    .where("user_id", "=", userId)
    .orderBy("created_at", "desc")
    .limit(200)
    .execute();
}

export async function listSessionsOf(tx: TenantTx, userId: string) {
  return tx.db
    .selectFrom("sessions")
    .select(["id", "ip_sealed", "user_agent_sealed", "created_at", "last_seen_at", "expires_at", "revoked_at"])
    .where("tenant_id", "=", tx.tenantId)
    .where("user_id", "=", userId)
    .orderBy("created_at", "desc")
    .limit(200)
    .execute();
}

export async function lastLoginOf(tx: TenantTx, userId: string): Promise<Date | null> {
  const r = await tx.db.selectFrom("users").select("last_login_at").where("tenant_id", "=", tx.tenantId).where("id", "=", userId).executeTakeFirst();
  return r?.last_login_at ?? null;
}

export async function findUserForLink(tx: TenantTx, where: { emailBidx: Buffer } | { niceId: number }) {
  let q = tx.db.selectFrom("users").select(["id", "nice_id", "role", "active", "suspended", "locale", "email_status"]).where("tenant_id", "=", tx.tenantId);
  q = "emailBidx" in where ? q.where("email_bidx", "=", where.emailBidx) : q.where("nice_id", "=", where.niceId);
  return q.executeTakeFirst() as Promise<{ id: string; nice_id: number; role: Role; active: boolean; suspended: boolean; locale: string | null; email_status: EmailStatus } | undefined>;
}

/** Ends a user's unused sign-in links (their address changed: links sent to the old one must not work). */
export async function expireSigninLinksOf(tx: TenantTx, userId: string, now: Date): Promise<void> {
  await tx.db.updateTable("signin_links").set({ expires_at: now }).where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).where("used_at", "is", null).where("expires_at", ">", now).execute();
}

/** The person used a link sent to their address: it is proven (unless staff moved them to it). */
export async function markEmailProven(tx: TenantTx, userId: string): Promise<void> {
  await tx.db.updateTable("users").set({ email_status: "verified" }).where("tenant_id", "=", tx.tenantId).where("id", "=", userId).where("email_status", "=", "unverified").execute();
}
