import { sql, type RawBuilder, type Updateable } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import { claimOneTime } from "../../platform/db/one-time.ts";
import type { EmailStatus, Role, UsersTable } from "../../platform/db/schema.ts";
import type { UserScope } from "./users-policy.ts";
import { fetchPage, type Page, type SortKey } from "../../platform/http/pagination.ts";

/** SQL for users. Every function takes the tenant transaction and filters by tenant itself too. */

export type UserRow = {
  id: string;
  nice_id: number;
  role: Role;
  name_sealed: Uint8Array;
  email_sealed: Uint8Array | null;
  email_bidx: Uint8Array | null;
  phone_sealed: Uint8Array | null;
  external_id_sealed: Uint8Array | null;
  organization_id: string | null;
  organization_nice_id: number | null;
  /** 0029: an agent's custom role: its public id and configuration. */
  custom_role_nice_id: number | null;
  custom_role_configuration: unknown;
  tags: string[];
  active: boolean;
  suspended: boolean;
  /** The tenant's support user (modules/support): managed by support access grants only. */
  support: boolean;
  must_change_password: boolean;
  password_hash: string | null;
  email_status: EmailStatus;
  time_zone: string | null;
  locale: string | null;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** 0041: processing restricted (GDPR art. 18) since then, and why (sealed). */
  restricted_at: Date | null;
  restriction_reason_sealed: Uint8Array | null;
};

function base(tx: TenantTx) {
  return tx.db
    .selectFrom("users as u")
    .leftJoin("organizations as o", (j) => j.onRef("o.tenant_id", "=", "u.tenant_id").onRef("o.id", "=", "u.organization_id"))
    .leftJoin("custom_roles as cr", (j) => j.onRef("cr.tenant_id", "=", "u.tenant_id").onRef("cr.id", "=", "u.custom_role_id"))
    .select([
      "u.id",
      "u.nice_id",
      "u.role",
      "u.name_sealed",
      "u.email_sealed",
      "u.email_bidx",
      "u.phone_sealed",
      "u.external_id_sealed",
      "u.organization_id",
      "o.nice_id as organization_nice_id",
      "cr.nice_id as custom_role_nice_id",
      "cr.configuration as custom_role_configuration",
      "u.tags",
      "u.active",
      "u.suspended",
      "u.support",
      "u.must_change_password",
      "u.password_hash",
      "u.email_status",
      "u.time_zone",
      "u.locale",
      "u.last_login_at",
      "u.created_at",
      "u.updated_at",
      "u.restricted_at",
      "u.restriction_reason_sealed",
    ])
    .where("u.tenant_id", "=", tx.tenantId);
}

/** Restricts processing of a person (a time and a sealed reason) or lifts it (both null). */
export async function setRestriction(tx: TenantTx, id: string, v: { restricted_at: Date; restriction_reason_sealed: Uint8Array } | { restricted_at: null; restriction_reason_sealed: null }): Promise<void> {
  await tx.db.updateTable("users").set(v).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export type NewUser = Omit<UsersTable, "tenant_id" | "nice_id" | "created_at" | "updated_at" | "last_login_at" | "active" | "suspended" | "support" | "must_change_password" | "tags" | "email_status" | "time_zone" | "locale" | "password_set_at" | "failed_signins" | "lockouts" | "locked_until" | "custom_role_id" | "restricted_at" | "restriction_reason_sealed" | "deleted_at" | "deleted_by" | "erased_at" | "pseudonym"> & {
  tags: string[];
  must_change_password?: boolean;
  email_status?: EmailStatus;
  time_zone?: string | null;
  locale?: string | null;
};

export async function insertUser(tx: TenantTx, u: NewUser): Promise<number> {
  const row = await tx.db
    .insertInto("users")
    .values({
      ...u,
      tenant_id: tx.tenantId,
      nice_id: sql<number>`vd_next_id('users')`,
      last_login_at: null,
      password_set_at: u.password_hash ? sql`now()` : null,
      updated_at: sql`now()`,
    })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return row.nice_id;
}

export const findUserByNiceId = (tx: TenantTx, niceId: number) =>
  base(tx).where("u.nice_id", "=", niceId).executeTakeFirst() as Promise<UserRow | undefined>;

export const findUserById = (tx: TenantTx, id: string) =>
  base(tx).where("u.id", "=", id).executeTakeFirst() as Promise<UserRow | undefined>;

export const findUserByEmailBidx = (tx: TenantTx, bidx: Buffer) =>
  base(tx).where("u.email_bidx", "=", bidx).executeTakeFirst() as Promise<UserRow | undefined>;

export const findUsersByNiceIds = (tx: TenantTx, ids: number[], scope: UserScope) =>
  ids.length === 0 ? Promise.resolve([] as UserRow[]) : (scoped(base(tx), scope).where("u.nice_id", "in", ids).orderBy("u.nice_id").execute() as Promise<UserRow[]>);

/** Narrows a users query to a policy scope (users-policy.ts). */
function scoped<T extends ReturnType<typeof base>>(q: T, scope: UserScope): T {
  return (scope.kind === "all" ? q : q.where("u.id", "=", scope.userId)) as T;
}

export const findUsersByIds = (tx: TenantTx, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([] as UserRow[]) : (base(tx).where("u.id", "in", ids).execute() as Promise<UserRow[]>);

/** The owners and admins who can be written to: active, not suspended, not the support user. */
export const activeAdminIds = async (tx: TenantTx): Promise<string[]> =>
  (
    await tx.db
      .selectFrom("users")
      .select("id")
      .where("tenant_id", "=", tx.tenantId)
      .where("role", "in", ["owner", "admin"])
      .where("support", "=", false)
      .where("active", "=", true)
      .where("suspended", "=", false)
      .orderBy("nice_id")
      .limit(200)
      .execute()
  ).map((r) => r.id);

/**
 * `idsIn`: a parenthesised subquery of user ids (the search module's name index: people found by
 * name or e-mail), bound parameters only.
 */
export type UserFilter = {
  roles?: Role[] | undefined;
  organizationId?: string | undefined;
  withoutSupport?: boolean | undefined;
  idsIn?: RawBuilder<unknown> | undefined;
  /** Leave out people whose processing is restricted (bulk exports: GDPR art. 18). */
  unrestricted?: boolean | undefined;
};

/**
 * Ordered by last change, then public id (Zendesk's incremental exports), with each row's key for
 * cursors (`sort_key`: integer microseconds, as the tickets' sorted lists; index from 0046).
 */
export const USERS_BY_UPDATED: SortKey & { text: RawBuilder<string> } = {
  expr: sql`u.updated_at`,
  text: sql<string>`(extract(epoch from u.updated_at) * 1000000)::bigint::text`,
  value: (k: string) => sql`(timestamptz 'epoch' + ${k}::bigint * interval '1 microsecond')`,
};

export async function listUsers(tx: TenantTx, page: Page, filter: UserFilter): Promise<{ rows: UserRow[]; count: number | undefined }> {
  let q = base(tx);
  if (filter.roles) q = q.where("u.role", "in", filter.roles);
  if (filter.withoutSupport) q = q.where("u.support", "=", false);
  if (filter.organizationId) q = q.where("u.organization_id", "=", filter.organizationId);
  if (filter.idsIn) q = q.where(sql<boolean>`u.id IN ${filter.idsIn}`);
  if (filter.unrestricted) q = q.where("u.restricted_at", "is", null);
  return fetchPage(q, page, "u.nice_id", async () => {
    let cq = tx.db.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId);
    if (filter.roles) cq = cq.where("role", "in", filter.roles);
    if (filter.organizationId) cq = cq.where("organization_id", "=", filter.organizationId);
    if (filter.withoutSupport) cq = cq.where("support", "=", false);
    if (filter.idsIn) cq = cq.where(sql<boolean>`id IN ${filter.idsIn}`);
    if (filter.unrestricted) cq = cq.where("restricted_at", "is", null);
    return Number((await cq.executeTakeFirstOrThrow()).n);
  });
}

/**
 * People changed after a position in (last change, public id) order and before `until`, oldest
 * change first: one range of users_updated_page (0046). Deleted people come with the rest (not
 * active), erased ones as their tombstone; support users and people whose processing is
 * restricted are left out (incremental exports).
 */
export async function listChangedUsers(tx: TenantTx, after: { key: string; id: number }, until: Date, limit: number): Promise<Array<UserRow & { sort_key: string }>> {
  const rows = await base(tx)
    .select(USERS_BY_UPDATED.text.as("sort_key"))
    .where("u.support", "=", false)
    .where("u.restricted_at", "is", null)
    .where(sql<boolean>`(u.updated_at, u.nice_id) > (${USERS_BY_UPDATED.value(after.key)}, ${after.id})`)
    .where("u.updated_at", "<", until)
    .orderBy("u.updated_at")
    .orderBy("u.nice_id")
    .limit(limit)
    .execute();
  return rows as Array<UserRow & { sort_key: string }>;
}

/** Active people after a public id, in its order, a batch at a time (rebuilding the search index). */
export const listActiveUsersAfter = (tx: TenantTx, afterNiceId: number, limit: number) =>
  base(tx).where("u.active", "=", true).where("u.nice_id", ">", afterNiceId).orderBy("u.nice_id").limit(limit).execute() as Promise<UserRow[]>;

export async function updateUser(tx: TenantTx, id: string, patch: Updateable<UsersTable>): Promise<void> {
  // Only agents carry a custom role (0029): any other role leaves it behind.
  const role = patch.role !== undefined && patch.role !== "agent" ? { custom_role_id: null } : {};
  await tx.db
    .updateTable("users")
    .set({ ...patch, ...role, updated_at: sql`now()` })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .execute();
}

export async function emailBidxTaken(tx: TenantTx, bidx: Buffer, exceptId?: string): Promise<boolean> {
  let q = tx.db.selectFrom("users").select("id").where("tenant_id", "=", tx.tenantId).where("email_bidx", "=", bidx);
  if (exceptId) q = q.where("id", "<>", exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function setLocale(tx: TenantTx, id: string, locale: string): Promise<void> {
  await tx.db.updateTable("users").set({ locale }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).where("locale", "is distinct from", locale).execute();
}
export async function findLocale(tx: TenantTx, id: string): Promise<string | null | undefined> {
  const r = await tx.db.selectFrom("users").select("locale").where("tenant_id", "=", tx.tenantId).where("id", "=", id).executeTakeFirst();
  return r?.locale;
}

// ---- pending e-mail address changes (0011)

export async function cancelEmailChanges(tx: TenantTx, userId: string, now: Date): Promise<void> {
  await tx.db.updateTable("email_changes").set({ cancelled_at: now }).where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).where("used_at", "is", null).where("cancelled_at", "is", null).execute();
}

export async function insertEmailChange(
  tx: TenantTx,
  v: { id: string; user_id: string; email_sealed: Uint8Array; email_bidx: Uint8Array; token_hash: Uint8Array; requested_by: string; by_staff: boolean; expires_at: Date },
): Promise<void> {
  await tx.db.insertInto("email_changes").values({ ...v, tenant_id: tx.tenantId, used_at: null, cancelled_at: null }).execute();
}

export async function findEmailChangeByHash(tx: TenantTx, hash: Uint8Array) {
  return tx.db
    .selectFrom("email_changes as c")
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "c.tenant_id").onRef("u.id", "=", "c.user_id"))
    .select(["c.id", "c.user_id", "c.email_sealed", "c.email_bidx", "c.by_staff", "c.requested_by", "c.expires_at", "c.used_at", "c.cancelled_at", "u.nice_id as user_nice_id"])
    .where("c.tenant_id", "=", tx.tenantId)
    .where("c.token_hash", "=", hash)
    .executeTakeFirst();
}

/** Marks a change used only if it still is usable: of two racing requests exactly one gets it. */
export const claimEmailChange = (tx: TenantTx, id: string, now: Date): Promise<boolean> => claimOneTime(tx, "email_changes", id, now);

export async function findPendingEmailChange(tx: TenantTx, userId: string, now: Date) {
  return tx.db
    .selectFrom("email_changes")
    .select(["id", "email_sealed", "expires_at"])
    .where("tenant_id", "=", tx.tenantId)
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .where("cancelled_at", "is", null)
    .where("expires_at", ">", now)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
}

/** The tenant's support user, if one was made (there is at most one: a unique index). */
export const findSupportUser = (tx: TenantTx) => base(tx).where("u.support", "=", true).executeTakeFirst() as Promise<UserRow | undefined>;

/** Marks a new user as the tenant's support user, suspended: ordinary credentials never work for it. */
export async function markSupportUser(tx: TenantTx, id: string): Promise<void> {
  await tx.db.updateTable("users").set({ support: true, suspended: true, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}
