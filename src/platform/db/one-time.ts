import { sql } from "kysely";
import type { TenantTx } from "./database.ts";

/**
 * One-time secrets (sign-in links, invitations, e-mail confirmations, password resets) are used up by one
 * conditional UPDATE: the row is marked used only if it still is usable at `now` (not used, not
 * ended otherwise, not expired), so of two requests racing with the same link exactly one wins.
 */
export type OneTimeTable = "signin_links" | "invitations" | "email_changes" | "password_resets" | "webauthn_challenges";

/** The column that ends each kind of secret early, besides use and expiry. */
const ENDED: Record<OneTimeTable, string | undefined> = { signin_links: undefined, invitations: "revoked_at", email_changes: "cancelled_at", password_resets: undefined, webauthn_challenges: undefined };

export async function claimOneTime(tx: TenantTx, table: OneTimeTable, id: string, now: Date): Promise<boolean> {
  const ended = ENDED[table];
  const r = await sql`
    UPDATE ${sql.table(table)} SET used_at = ${now}
    WHERE tenant_id = ${tx.tenantId} AND id = ${id} AND used_at IS NULL AND expires_at > ${now}
      ${ended ? sql`AND ${sql.ref(ended)} IS NULL` : sql``}`.execute(tx.db);
  return Number(r.numAffectedRows ?? 0) === 1;
}
