import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import { claimOneTime } from "../../platform/db/one-time.ts";
import type { InvitationsTable } from "../../platform/db/schema.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";

/** SQL for the account settings and invitations. Every query names its tenant, on top of RLS. */

export async function findSettings(tx: TenantTx) {
  return tx.db.selectFrom("tenant_settings").select(["name_sealed", "updated_at"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
}

export async function upsertTeamName(tx: TenantTx, nameSealed: Uint8Array): Promise<void> {
  await tx.db
    .insertInto("tenant_settings")
    .values({ tenant_id: tx.tenantId, id: tx.tenantId, name_sealed: nameSealed, updated_at: sql`now()` })
    .onConflict((oc) => oc.column("tenant_id").doUpdateSet({ name_sealed: nameSealed, updated_at: sql`now()` }))
    .execute();
}

/** The tenant's registry row (read-only for the app role). */
export async function findTenantRow(tx: TenantTx) {
  return tx.db.selectFrom("tenants").select(["subdomain", "created_at"]).where("id", "=", tx.tenantId).executeTakeFirst();
}

/** The account's termination state (0045). */
export async function findTermination(tx: TenantTx) {
  return tx.db.selectFrom("tenants").select(["status", "closed_at", "deletes_at", "termination_mode"]).where("id", "=", tx.tenantId).executeTakeFirstOrThrow();
}

export type InvitationRow = Pick<InvitationsTable, "id" | "nice_id" | "role" | "email_sealed" | "email_bidx" | "invited_by" | "expires_at" | "used_at" | "revoked_at" | "used_by"> & {
  created_at: Date;
  invited_by_nice_id: number;
  used_by_nice_id: number | null;
};

function invitations(tx: TenantTx) {
  return tx.db
    .selectFrom("invitations as i")
    .innerJoin("users as b", (j) => j.onRef("b.tenant_id", "=", "i.tenant_id").onRef("b.id", "=", "i.invited_by"))
    .leftJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "i.tenant_id").onRef("u.id", "=", "i.used_by"))
    .select([
      "i.id",
      "i.nice_id",
      "i.role",
      "i.email_sealed",
      "i.email_bidx",
      "i.invited_by",
      "b.nice_id as invited_by_nice_id",
      "i.created_at",
      "i.expires_at",
      "i.used_at",
      "i.used_by",
      "u.nice_id as used_by_nice_id",
      "i.revoked_at",
    ])
    .where("i.tenant_id", "=", tx.tenantId);
}

export async function insertInvitation(
  tx: TenantTx,
  v: { id: string; role: InvitationsTable["role"]; email_sealed: Uint8Array; email_bidx: Uint8Array; token_hash: Uint8Array; invited_by: string; expires_at: Date },
): Promise<number> {
  const r = await tx.db
    .insertInto("invitations")
    .values({ ...v, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('invitations')`, used_at: null, used_by: null, revoked_at: null })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return r.nice_id;
}

export const findInvitationByNiceId = (tx: TenantTx, niceId: number) =>
  invitations(tx).where("i.nice_id", "=", niceId).executeTakeFirst() as Promise<InvitationRow | undefined>;

export const findInvitationByHash = (tx: TenantTx, hash: Uint8Array) =>
  invitations(tx).where("i.token_hash", "=", hash).executeTakeFirst() as Promise<InvitationRow | undefined>;

export async function listInvitations(tx: TenantTx, page: Page): Promise<{ rows: InvitationRow[]; count: number | undefined }> {
  const r = await fetchPage(invitations(tx), page, "i.nice_id", async () => Number((await tx.db.selectFrom("invitations").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirstOrThrow()).n));
  return { rows: r.rows as InvitationRow[], count: r.count };
}

/**
 * Marks an invitation used, only if it still is usable at `now`. The condition is in the UPDATE
 * itself, so of two requests racing with the same link exactly one gets the row back.
 */
export const claimInvitation = (tx: TenantTx, id: string, now: Date): Promise<boolean> => claimOneTime(tx, "invitations", id, now);

export async function setInvitationUser(tx: TenantTx, id: string, userId: string): Promise<void> {
  await tx.db.updateTable("invitations").set({ used_by: userId }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function revokeInvitation(tx: TenantTx, id: string, now: Date): Promise<void> {
  await tx.db.updateTable("invitations").set({ revoked_at: now }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("revoked_at", "is", null).execute();
}
