import type { TenantTx } from "../../platform/db/database.ts";
import { claimOneTime } from "../../platform/db/one-time.ts";
import type { EmailStatus, Role } from "../../platform/db/schema.ts";

/** SQL for password reset links sent by e-mail ("Forgot your password?"). */

export async function insertPasswordReset(tx: TenantTx, v: { id: string; user_id: string; token_hash: Buffer; expires_at: Date }): Promise<void> {
  await tx.db.insertInto("password_resets").values({ ...v, tenant_id: tx.tenantId, used_at: null }).execute();
}

/** Ends a person's unused reset links: the newest link wins, and a reset or an address change ends the rest. */
export async function expirePasswordResetsOf(tx: TenantTx, userId: string, now: Date): Promise<void> {
  await tx.db.updateTable("password_resets").set({ expires_at: now }).where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).where("used_at", "is", null).where("expires_at", ">", now).execute();
}

export type PasswordResetRow = {
  id: string;
  user_id: string;
  expires_at: Date;
  used_at: Date | null;
  user_nice_id: number;
  user_role: Role;
  user_active: boolean;
  user_suspended: boolean;
  user_email_sealed: Uint8Array | null;
  user_email_status: EmailStatus;
  user_password_hash: string | null;
  user_locale: string | null;
};

/** A link with the fields of its person that using it needs. */
const resetWithUser = (tx: TenantTx) =>
  tx.db
    .selectFrom("password_resets as r")
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "r.tenant_id").onRef("u.id", "=", "r.user_id"))
    .select([
      "r.id", "r.user_id", "r.expires_at", "r.used_at",
      "u.nice_id as user_nice_id", "u.role as user_role", "u.active as user_active", "u.suspended as user_suspended",
      "u.email_sealed as user_email_sealed", "u.email_status as user_email_status", "u.password_hash as user_password_hash", "u.locale as user_locale",
    ])
    .where("r.tenant_id", "=", tx.tenantId);

export const findPasswordResetByHash = (tx: TenantTx, hash: Buffer): Promise<PasswordResetRow | undefined> =>
  resetWithUser(tx).where("r.token_hash", "=", hash).executeTakeFirst() as Promise<PasswordResetRow | undefined>;

export const findPasswordResetById = (tx: TenantTx, id: string): Promise<PasswordResetRow | undefined> =>
  resetWithUser(tx).where("r.id", "=", id).executeTakeFirst() as Promise<PasswordResetRow | undefined>;

/** Marks a link used only if it still is usable: of two racing requests exactly one gets it. */
export const claimPasswordReset = (tx: TenantTx, id: string, now: Date): Promise<boolean> => claimOneTime(tx, "password_resets", id, now);

/** Who an address belongs to, with what decides whether a reset link may be sent there. */
export async function findUserForReset(tx: TenantTx, emailBidx: Buffer) {
  return tx.db
    .selectFrom("users")
    .select(["id", "nice_id", "role", "active", "suspended", "locale", "email_status", "password_hash"])
    .where("tenant_id", "=", tx.tenantId)
    .where("email_bidx", "=", emailBidx)
    .executeTakeFirst() as Promise<{ id: string; nice_id: number; role: Role; active: boolean; suspended: boolean; locale: string | null; email_status: EmailStatus; password_hash: string | null } | undefined>;
}
