import { sql } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import { FIRST_CUSTOM_ROLE_ID } from "../../platform/roles.ts";

/** SQL for custom agent roles (0029). Names, descriptions and configurations are policy, in clear. */

export type CustomRoleRow = { id: string; nice_id: number; name: string; description: string; configuration: unknown; created_at: Date; updated_at: Date; members: number };

function roles(tx: TenantTx) {
  return tx.db
    .selectFrom("custom_roles as r")
    .select(["r.id", "r.nice_id", "r.name", "r.description", "r.configuration", "r.created_at", "r.updated_at"])
    .select(sql<number>`(SELECT count(*) FROM users u WHERE u.tenant_id = r.tenant_id AND u.custom_role_id = r.id AND u.active)::int`.as("members"))
    .where("r.tenant_id", "=", tx.tenantId);
}

export const listCustomRoles = (tx: TenantTx) => roles(tx).orderBy("r.nice_id").limit(1000).execute() as Promise<CustomRoleRow[]>;
export const findCustomRole = (tx: TenantTx, niceId: number) => roles(tx).where("r.nice_id", "=", niceId).executeTakeFirst() as Promise<CustomRoleRow | undefined>;
export const findCustomRoleForUpdate = (tx: TenantTx, niceId: number) =>
  roles(tx).where("r.nice_id", "=", niceId).forUpdate("r").executeTakeFirst() as Promise<CustomRoleRow | undefined>;

export async function nameTaken(tx: TenantTx, name: string, exceptId?: string): Promise<boolean> {
  let q = tx.db.selectFrom("custom_roles").select("id").where("tenant_id", "=", tx.tenantId).where(sql<string>`lower(name)`, "=", name.toLowerCase());
  if (exceptId) q = q.where("id", "<>", exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function countCustomRoles(tx: TenantTx): Promise<number> {
  return Number((await tx.db.selectFrom("custom_roles").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirstOrThrow()).n);
}

/** Public ids 1–3 are the presets': a custom role's id is its counter plus three. */
export async function insertCustomRole(tx: TenantTx, r: { id: string; name: string; description: string; configuration: unknown }): Promise<number> {
  const row = await tx.db
    .insertInto("custom_roles")
    .values({ ...r, configuration: JSON.stringify(r.configuration), tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('custom_roles') + ${FIRST_CUSTOM_ROLE_ID - 1}`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return Number(row.nice_id);
}

export async function updateCustomRole(tx: TenantTx, id: string, patch: { name?: string; description?: string; configuration?: unknown }): Promise<void> {
  const { configuration, ...rest } = patch;
  await tx.db
    .updateTable("custom_roles")
    .set({ ...rest, ...(configuration !== undefined ? { configuration: JSON.stringify(configuration) } : {}), updated_at: sql`now()` })
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .execute();
}

/** Deletes a role nobody carries (deleted people included: they give it up first). */
export async function deleteCustomRole(tx: TenantTx, id: string): Promise<void> {
  await tx.db.updateTable("users").set({ custom_role_id: null }).where("tenant_id", "=", tx.tenantId).where("custom_role_id", "=", id).where("active", "=", false).execute();
  await tx.db.deleteFrom("custom_roles").where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function setUserCustomRole(tx: TenantTx, userId: string, roleId: string | null): Promise<void> {
  await tx.db.updateTable("users").set({ custom_role_id: roleId, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", userId).execute();
}

/** How many active people each built-in role has (agents without a custom role for the agent preset). */
export async function presetMemberCounts(tx: TenantTx): Promise<{ admin: number; agent: number; light_agent: number }> {
  const r = await tx.db
    .selectFrom("users")
    .select([
      sql<number>`count(*) FILTER (WHERE role IN ('owner', 'admin'))::int`.as("admin"),
      sql<number>`count(*) FILTER (WHERE role = 'agent' AND custom_role_id IS NULL)::int`.as("agent"),
      sql<number>`count(*) FILTER (WHERE role = 'light_agent')::int`.as("light_agent"),
    ])
    .where("tenant_id", "=", tx.tenantId)
    .where("active", "=", true)
    .executeTakeFirstOrThrow();
  return { admin: Number(r.admin), agent: Number(r.agent), light_agent: Number(r.light_agent) };
}

/** Which of these public ids are not custom roles of the tenant. */
export async function missingCustomRoleIds(tx: TenantTx, niceIds: readonly number[]): Promise<number[]> {
  if (!niceIds.length) return [];
  const rows = await tx.db.selectFrom("custom_roles").select("nice_id").where("tenant_id", "=", tx.tenantId).where("nice_id", "in", [...niceIds]).execute();
  const found = new Set(rows.map((r) => Number(r.nice_id)));
  return niceIds.filter((id) => !found.has(id));
}
