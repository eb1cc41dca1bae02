import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";

/** SQL for deleted people and their erasure (0043). Every query names its tenant, on top of RLS. */

const deletedQuery = (tx: TenantTx) =>
  tx.db
    .selectFrom("users as u")
    .leftJoin("users as d", (j) => j.onRef("d.tenant_id", "=", "u.tenant_id").onRef("d.id", "=", "u.deleted_by"))
    .select(["u.id", "u.nice_id", "u.role", "u.support", "u.name_sealed", "u.email_sealed", "u.email_bidx", "u.phone_sealed", "u.created_at", "u.updated_at", "u.deleted_at", "d.nice_id as deleted_by_nice"])
    .where("u.tenant_id", "=", tx.tenantId)
    .where("u.deleted_at", "is not", null)
    .where("u.erased_at", "is", null);
export type DeletedUserRow = Awaited<ReturnType<ReturnType<typeof deletedQuery>["executeTakeFirstOrThrow"]>>;

export async function listDeleted(tx: TenantTx, page: Page) {
  return fetchPage(deletedQuery(tx), page, "u.nice_id", async () =>
    Number((await tx.db.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).where("deleted_at", "is not", null).where("erased_at", "is", null).executeTakeFirstOrThrow()).n),
  );
}

/** One deleted (not yet erased) person, locked for a restore or an erasure. */
export const findDeletedForUpdate = (tx: TenantTx, niceId: number) => deletedQuery(tx).where("u.nice_id", "=", niceId).forUpdate("u").executeTakeFirst();

export async function markDeleted(tx: TenantTx, id: string, by: string | null, at: Date): Promise<void> {
  await tx.db.updateTable("users").set({ active: false, deleted_at: at, deleted_by: by, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function undelete(tx: TenantTx, id: string): Promise<void> {
  await tx.db.updateTable("users").set({ active: true, deleted_at: null, deleted_by: null, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/** People deleted before `before`, not erased, oldest first (the upkeep's erasure), skipping locked rows. */
export async function expiredDeleted(tx: TenantTx, before: Date, limit: number): Promise<number[]> {
  const rows = await tx.db.selectFrom("users").select("nice_id").where("tenant_id", "=", tx.tenantId).where("deleted_at", "<", before).where("erased_at", "is", null).orderBy("deleted_at").limit(limit).forUpdate().skipLocked().execute();
  return rows.map((r) => Number(r.nice_id));
}

/** The tickets a person is a party to: requester, submitter, CC, author of a comment or of its satisfaction rating (any state, trash included). */
const partyTickets = (userId: string) => sql<boolean>`(t.requester_id = ${userId} OR t.submitter_id = ${userId}
  OR EXISTS (SELECT 1 FROM ticket_ccs c WHERE c.tenant_id = t.tenant_id AND c.ticket_id = t.id AND c.user_id = ${userId})
  OR EXISTS (SELECT 1 FROM satisfaction_ratings r WHERE r.tenant_id = t.tenant_id AND r.ticket_id = t.id AND r.requester_id = ${userId})
  OR EXISTS (SELECT 1 FROM ticket_comments m WHERE m.tenant_id = t.tenant_id AND m.ticket_id = t.id AND m.author_id = ${userId}))`;

/**
 * The active legal holds an erasure of the person would cross: a hold on the person, or on a
 * ticket they are a party to (directly, through its requester or its organization).
 */
export async function holdsAgainst(tx: TenantTx, userId: string): Promise<number[]> {
  const r = await sql<{ nice_id: string }>`
    SELECT DISTINCT h.nice_id FROM legal_holds h
    WHERE h.tenant_id = ${tx.tenantId} AND h.released_at IS NULL AND (
      (h.target_kind = 'user' AND h.target_id = ${userId})
      OR EXISTS (SELECT 1 FROM tickets t WHERE t.tenant_id = h.tenant_id AND ${partyTickets(userId)} AND (
        (h.target_kind = 'ticket' AND h.target_id = t.id) OR (h.target_kind = 'user' AND h.target_id = t.requester_id) OR (h.target_kind = 'organization' AND h.target_id = t.organization_id))))
    ORDER BY h.nice_id`.execute(tx.db);
  return r.rows.map((x) => Number(x.nice_id));
}

/**
 * Deletes the satisfaction ratings the person gave (their comments are their words; the tickets
 * stay, or go with the rest of the erasure); how many. Run before their tickets are erased, whose
 * deletion would take their ratings along uncounted.
 */
export async function deleteRatingsGiven(tx: TenantTx, userId: string): Promise<number> {
  const r = await tx.db.deleteFrom("satisfaction_ratings").where("tenant_id", "=", tx.tenantId).where("requester_id", "=", userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Counts of the rows the person's erasure deletes outright (the preview). */
export async function countOwnRows(tx: TenantTx, userId: string): Promise<Record<string, number>> {
  const r = await sql<Record<string, string>>`SELECT
    (SELECT count(*) FROM sessions WHERE tenant_id = ${tx.tenantId} AND user_id = ${userId}) AS sessions,
    (SELECT count(*) FROM api_tokens WHERE tenant_id = ${tx.tenantId} AND user_id = ${userId}) AS api_tokens,
    (SELECT count(*) FROM two_factor_totp WHERE tenant_id = ${tx.tenantId} AND user_id = ${userId}) AS two_factor_devices,
    (SELECT count(*) FROM passkeys WHERE tenant_id = ${tx.tenantId} AND user_id = ${userId}) AS passkeys,
    (SELECT count(*) FROM consent_records WHERE tenant_id = ${tx.tenantId} AND user_id = ${userId}) AS consent_records,
    (SELECT count(*) FROM sso_identities WHERE tenant_id = ${tx.tenantId} AND user_id = ${userId}) AS sso_identities,
    (SELECT count(*) FROM ticket_ccs WHERE tenant_id = ${tx.tenantId} AND user_id = ${userId}) AS ccs,
    (SELECT count(*) FROM satisfaction_ratings WHERE tenant_id = ${tx.tenantId} AND requester_id = ${userId}) AS satisfaction_ratings`.execute(tx.db);
  return Object.fromEntries(Object.entries(r.rows[0]!).map(([k, v]) => [k, Number(v)]));
}

/**
 * Deletes every row about the person that is theirs alone (sign-in, devices, tokens, consents,
 * memberships, CCs, uploads not in a comment, pending mail). Returns counts by kind and the ids of
 * files to delete after the commit.
 */
export async function deleteOwnRows(tx: TenantTx, userId: string): Promise<{ counts: Record<string, number>; attachmentIds: string[] }> {
  const t = tx.tenantId;
  const n = (r: { numDeletedRows: bigint }[] | { numDeletedRows: bigint }) => (Array.isArray(r) ? r.reduce((a, x) => a + Number(x.numDeletedRows), 0) : Number(r.numDeletedRows));
  const counts: Record<string, number> = {};
  // OAuth: tokens and codes first (they name the grants).
  const grants = tx.db.selectFrom("oauth_grants").select("id").where("tenant_id", "=", t).where("user_id", "=", userId);
  await tx.db.deleteFrom("oauth_tokens").where("tenant_id", "=", t).where("grant_id", "in", grants).execute();
  await tx.db.deleteFrom("oauth_codes").where("tenant_id", "=", t).where("grant_id", "in", grants).execute();
  counts.oauth_grants = n(await tx.db.deleteFrom("oauth_grants").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  counts.sessions = n(await tx.db.deleteFrom("sessions").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  counts.api_tokens = n(await tx.db.deleteFrom("api_tokens").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  counts.two_factor_devices = n(await tx.db.deleteFrom("two_factor_totp").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  await tx.db.deleteFrom("two_factor_recovery_codes").where("tenant_id", "=", t).where("user_id", "=", userId).execute();
  await tx.db.deleteFrom("two_factor_challenges").where("tenant_id", "=", t).where("user_id", "=", userId).execute();
  counts.passkeys = n(await tx.db.deleteFrom("passkeys").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  await tx.db.deleteFrom("webauthn_challenges").where("tenant_id", "=", t).where("user_id", "=", userId).execute();
  counts.sso_identities = n(await tx.db.deleteFrom("sso_identities").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  counts.consent_records = n(await tx.db.deleteFrom("consent_records").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  await tx.db.deleteFrom("password_history").where("tenant_id", "=", t).where("user_id", "=", userId).execute();
  await tx.db.deleteFrom("password_resets").where("tenant_id", "=", t).where("user_id", "=", userId).execute();
  await tx.db.deleteFrom("signin_links").where("tenant_id", "=", t).where((eb) => eb.or([eb("user_id", "=", userId), eb("created_by", "=", userId)])).execute();
  await tx.db.deleteFrom("email_changes").where("tenant_id", "=", t).where((eb) => eb.or([eb("user_id", "=", userId), eb("requested_by", "=", userId)])).execute();
  // An invitation they accepted holds their address.
  await tx.db.deleteFrom("invitations").where("tenant_id", "=", t).where("used_by", "=", userId).execute();
  // Their personal views (sealed titles they wrote for themselves); shared views they made stay, the account's.
  counts.personal_views = n(await tx.db.deleteFrom("views").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  // Their personal macros (sealed titles and replies they wrote for themselves); shared ones stay, the account's.
  counts.personal_macros = n(await tx.db.deleteFrom("macros").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  counts.group_memberships = n(await tx.db.deleteFrom("group_memberships").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  counts.ccs = n(await tx.db.deleteFrom("ticket_ccs").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  counts.undelivered_mail = n(await tx.db.deleteFrom("undelivered_mail").where("tenant_id", "=", t).where("user_id", "=", userId).execute());
  // Files they uploaded that no comment took.
  const loose = await tx.db
    .deleteFrom("attachments")
    .where("tenant_id", "=", t)
    .where("comment_id", "is", null)
    .where("upload_id", "in", tx.db.selectFrom("uploads").select("id").where("tenant_id", "=", t).where("uploader_id", "=", userId))
    .returning("id")
    .execute();
  await tx.db.deleteFrom("uploads").where("tenant_id", "=", t).where("uploader_id", "=", userId).where("id", "not in", tx.db.selectFrom("attachments").select("upload_id").where("tenant_id", "=", t)).execute();
  await tx.db.updateTable("uploads").set({ uploader_id: null }).where("tenant_id", "=", t).where("uploader_id", "=", userId).execute();
  return { counts, attachmentIds: loose.map((a) => a.id) };
}

/**
 * Makes the users row a tombstone: every personal value gone, `name` sealed as the pseudonym's
 * label, `erased_at` and `pseudonym` set. Returns nothing; the row keeps its id and public id.
 */
export async function tombstone(tx: TenantTx, id: string, nameSealed: Uint8Array, pseudonym: string, at: Date): Promise<void> {
  await tx.db
    .updateTable("users")
    .set({
      name_sealed: nameSealed, email_sealed: null, email_bidx: null, phone_sealed: null, external_id_sealed: null, organization_id: null, tags: [],
      password_hash: null, password_set_at: null, must_change_password: false, locale: null, time_zone: null, last_login_at: null, custom_role_id: null,
      active: false, suspended: false, failed_signins: 0, lockouts: 0, locked_until: null, email_status: "unverified",
      // A restriction's reason names the person's circumstances: it goes with them.
      restricted_at: null, restriction_reason_sealed: null,
      erased_at: at, pseudonym, updated_at: sql`now()`,
    })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .execute();
}

export async function insertReceipt(tx: TenantTx, r: { id: string; user_nice_id: number; pseudonym: string; erased_at: Date; erased_by_nice: number | null; cause: "request" | "expiry"; receipt: unknown; audit_entry_id: string }): Promise<number> {
  const row = await tx.db
    .insertInto("erasure_receipts")
    .values({ ...r, receipt: JSON.stringify(r.receipt), tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('erasure_receipts')` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(row.nice_id);
}

const receiptQuery = (tx: TenantTx) =>
  tx.db
    .selectFrom("erasure_receipts as r")
    .leftJoin("audit_log as a", (j) => j.onRef("a.tenant_id", "=", "r.tenant_id").onRef("a.id", "=", "r.audit_entry_id"))
    .select(["r.nice_id", "r.user_nice_id", "r.pseudonym", "r.erased_at", "r.erased_by_nice", "r.cause", "r.receipt", "r.audit_entry_id", "a.seq as audit_seq", "a.hash as audit_hash"])
    .where("r.tenant_id", "=", tx.tenantId);
export type ReceiptRow = Awaited<ReturnType<ReturnType<typeof receiptQuery>["executeTakeFirstOrThrow"]>>;

export const listReceipts = (tx: TenantTx, page: Page) =>
  fetchPage(receiptQuery(tx), page, "r.nice_id", async () => Number((await tx.db.selectFrom("erasure_receipts").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirstOrThrow()).n));

export const findReceipt = (tx: TenantTx, niceId: number) => receiptQuery(tx).where("r.nice_id", "=", niceId).executeTakeFirst();

/** How many data subject requests name the person (kept through their erasure: the record of answering them). */
export async function requestsAbout(tx: TenantTx, userId: string): Promise<number> {
  const r = await tx.db.selectFrom("data_subject_requests").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).where("subject_user_id", "=", userId).executeTakeFirstOrThrow();
  return Number(r.n);
}
