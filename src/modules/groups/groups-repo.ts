import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";

/** SQL for groups and group memberships. Group names are not personal data and stay in clear. */

const groupCols = ["id", "nice_id", "name", "description", "deleted", "created_at", "updated_at"] as const;
const groups = (tx: TenantTx) => tx.db.selectFrom("groups").select(groupCols).where("tenant_id", "=", tx.tenantId).where("deleted", "=", false);

export type GroupRow = Awaited<ReturnType<typeof findGroup>> & {};

export const findGroup = (tx: TenantTx, niceId: number) => groups(tx).where("nice_id", "=", niceId).executeTakeFirst();
export const findGroupByName = (tx: TenantTx, name: string) => groups(tx).where(sql`lower(name)`, "=", name.toLowerCase()).executeTakeFirst();
export const findGroupsByIds = (tx: TenantTx, ids: string[]) => (ids.length === 0 ? Promise.resolve([]) : groups(tx).where("id", "in", ids).execute());

export async function listGroups(tx: TenantTx, page: Page) {
  return fetchPage(groups(tx), page, "nice_id", async () =>
    Number((await tx.db.selectFrom("groups").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).where("deleted", "=", false).executeTakeFirstOrThrow()).n),
  );
}

export async function insertGroup(tx: TenantTx, g: { id: string; name: string; description: string }): Promise<number> {
  const r = await tx.db.insertInto("groups").values({ ...g, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('groups')`, updated_at: sql`now()` }).returning("nice_id").executeTakeFirstOrThrow();
  return r.nice_id;
}

export async function updateGroup(tx: TenantTx, id: string, patch: { name?: string; description?: string; deleted?: boolean }): Promise<void> {
  await tx.db.updateTable("groups").set({ ...patch, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

const memberships = (tx: TenantTx) =>
  tx.db
    .selectFrom("group_memberships as m")
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "m.tenant_id").onRef("u.id", "=", "m.user_id"))
    .innerJoin("groups as g", (j) => j.onRef("g.tenant_id", "=", "m.tenant_id").onRef("g.id", "=", "m.group_id"))
    .select(["m.id", "m.nice_id", "m.is_default", "m.created_at", "m.updated_at", "u.nice_id as user_nice", "g.nice_id as group_nice", "m.user_id", "m.group_id"])
    .where("m.tenant_id", "=", tx.tenantId)
    .where("g.deleted", "=", false);

export type MembershipRow = Awaited<ReturnType<typeof findMembership>> & {};

export const findMembership = (tx: TenantTx, niceId: number) => memberships(tx).where("m.nice_id", "=", niceId).executeTakeFirst();

export async function listMemberships(tx: TenantTx, page: Page, filter: { userId?: string; groupId?: string }) {
  let q = memberships(tx);
  if (filter.userId) q = q.where("m.user_id", "=", filter.userId);
  if (filter.groupId) q = q.where("m.group_id", "=", filter.groupId);
  const counted = q.clearSelect().select((eb) => eb.fn.countAll<number>().as("n"));
  return fetchPage(q, page, "m.nice_id", async () => Number((await counted.executeTakeFirstOrThrow()).n));
}

/** The users who belong to a group. */
export async function memberUserIds(tx: TenantTx, groupId: string): Promise<string[]> {
  const rows = await tx.db.selectFrom("group_memberships").select("user_id").where("tenant_id", "=", tx.tenantId).where("group_id", "=", groupId).execute();
  return rows.map((r) => r.user_id);
}

export async function membershipExists(tx: TenantTx, userId: string, groupId: string): Promise<boolean> {
  const r = await tx.db.selectFrom("group_memberships").select("id").where("tenant_id", "=", tx.tenantId).where("user_id", "=", userId).where("group_id", "=", groupId).executeTakeFirst();
  return r !== undefined;
}

export async function insertMembership(tx: TenantTx, m: { id: string; user_id: string; group_id: string; is_default: boolean }): Promise<number> {
  const r = await tx.db.insertInto("group_memberships").values({ ...m, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('group_memberships')`, updated_at: sql`now()` }).returning("nice_id").executeTakeFirstOrThrow();
  return r.nice_id;
}

export async function deleteMembership(tx: TenantTx, id: string): Promise<void> {
  await tx.db.deleteFrom("group_memberships").where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/** The groups (not deleted) a user belongs to. */
export async function groupIdsOfUser(tx: TenantTx, userId: string): Promise<string[]> {
  const rows = await tx.db
    .selectFrom("group_memberships as m")
    .innerJoin("groups as g", (j) => j.onRef("g.tenant_id", "=", "m.tenant_id").onRef("g.id", "=", "m.group_id"))
    .select("m.group_id")
    .where("m.tenant_id", "=", tx.tenantId)
    .where("m.user_id", "=", userId)
    .where("g.deleted", "=", false)
    .execute();
  return rows.map((r) => r.group_id);
}
