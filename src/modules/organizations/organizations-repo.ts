import { sql, type RawBuilder, type Updateable } from "kysely";
import type { TenantTx } from "../../platform/db/database.ts";
import type { OrganizationsTable } from "../../platform/db/schema.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";

export type OrgRow = {
  id: string;
  nice_id: number;
  name_sealed: Uint8Array;
  notes_sealed: Uint8Array | null;
  details_sealed: Uint8Array | null;
  external_id_sealed: Uint8Array | null;
  tags: string[];
  shared_tickets: boolean;
  created_at: Date;
  updated_at: Date;
};

const cols = ["id", "nice_id", "name_sealed", "notes_sealed", "details_sealed", "external_id_sealed", "tags", "shared_tickets", "created_at", "updated_at"] as const;
const base = (tx: TenantTx) => tx.db.selectFrom("organizations").select(cols).where("tenant_id", "=", tx.tenantId);

export const findOrgByNiceId = (tx: TenantTx, niceId: number) => base(tx).where("nice_id", "=", niceId).executeTakeFirst() as Promise<OrgRow | undefined>;
export const findOrgsByIds = (tx: TenantTx, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([] as OrgRow[]) : (base(tx).where("id", "in", ids).execute() as Promise<OrgRow[]>);
export const findOrgsByNiceIds = (tx: TenantTx, ids: number[]) =>
  ids.length === 0 ? Promise.resolve([] as OrgRow[]) : (base(tx).where("nice_id", "in", ids).orderBy("nice_id").execute() as Promise<OrgRow[]>);
export const findOrgByNameBidx = (tx: TenantTx, bidx: Buffer) => base(tx).where("name_bidx", "=", bidx).executeTakeFirst() as Promise<OrgRow | undefined>;

/** `idsIn`: a parenthesised subquery of organization ids (the search module's name index), bound parameters only. */
export async function listOrgs(tx: TenantTx, page: Page, idsIn?: RawBuilder<unknown>): Promise<{ rows: OrgRow[]; count: number | undefined }> {
  const q = idsIn ? base(tx).where(sql<boolean>`id IN ${idsIn}`) : base(tx);
  return fetchPage(q, page, "nice_id", async () => {
    const cq = tx.db.selectFrom("organizations").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId);
    return Number((await (idsIn ? cq.where(sql<boolean>`id IN ${idsIn}`) : cq).executeTakeFirstOrThrow()).n);
  });
}

/**
 * Organizations changed after a position in (last change, public id) order and before `until`,
 * oldest change first: one range of organizations_updated_page (0047), for the incremental
 * exports. `sort_key`: the last change in integer microseconds, as text (the cursors' key).
 */
export async function listChangedOrgs(tx: TenantTx, after: { key: string; id: number }, until: Date, limit: number): Promise<Array<OrgRow & { sort_key: string }>> {
  const rows = await base(tx)
    .select(sql<string>`(extract(epoch from updated_at) * 1000000)::bigint::text`.as("sort_key"))
    .where(sql<boolean>`(updated_at, nice_id) > (timestamptz 'epoch' + ${after.key}::bigint * interval '1 microsecond', ${after.id})`)
    .where("updated_at", "<", until)
    .orderBy("updated_at")
    .orderBy("nice_id")
    .limit(limit)
    .execute();
  return rows as Array<OrgRow & { sort_key: string }>;
}

/** Organizations after a public id, in its order, a batch at a time (rebuilding the search index). */
export const listOrgsAfter = (tx: TenantTx, afterNiceId: number, limit: number) =>
  base(tx).where("nice_id", ">", afterNiceId).orderBy("nice_id").limit(limit).execute() as Promise<OrgRow[]>;

export async function insertOrg(tx: TenantTx, o: Omit<OrganizationsTable, "tenant_id" | "nice_id" | "created_at" | "updated_at" | "tags" | "shared_tickets"> & { tags: string[]; shared_tickets?: boolean }): Promise<number> {
  const r = await tx.db
    .insertInto("organizations")
    .values({ ...o, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('organizations')`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return r.nice_id;
}

export async function updateOrg(tx: TenantTx, id: string, patch: Updateable<OrganizationsTable>): Promise<void> {
  await tx.db.updateTable("organizations").set({ ...patch, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function orgInUse(tx: TenantTx, id: string): Promise<boolean> {
  const u = await tx.db.selectFrom("users").select("id").where("tenant_id", "=", tx.tenantId).where("organization_id", "=", id).limit(1).executeTakeFirst();
  if (u) return true;
  const t = await tx.db.selectFrom("tickets").select("id").where("tenant_id", "=", tx.tenantId).where("organization_id", "=", id).limit(1).executeTakeFirst();
  return t !== undefined;
}

/** Deletes an organization, leaving its public id in purged_records (the incremental exports). */
export async function deleteOrg(tx: TenantTx, id: string): Promise<void> {
  const gone = await tx.db.deleteFrom("organizations").where("tenant_id", "=", tx.tenantId).where("id", "=", id).returning("nice_id").executeTakeFirst();
  if (gone) await tx.db.insertInto("purged_records").values({ tenant_id: tx.tenantId, resource: "organization", nice_id: gone.nice_id }).onConflict((oc) => oc.doNothing()).execute();
}

// ---- domain mapping (0011): sealed domains with a blind index

export async function listDomains(tx: TenantTx, orgIds: string[]) {
  if (orgIds.length === 0) return [];
  return tx.db.selectFrom("organization_domains").select(["id", "organization_id", "domain_sealed"]).where("tenant_id", "=", tx.tenantId).where("organization_id", "in", orgIds).orderBy("created_at").orderBy("id").execute();
}

export async function findOrgByDomainBidx(tx: TenantTx, bidx: Uint8Array) {
  return tx.db
    .selectFrom("organization_domains as d")
    .innerJoin("organizations as o", (j) => j.onRef("o.tenant_id", "=", "d.tenant_id").onRef("o.id", "=", "d.organization_id"))
    .select(["o.id", "o.nice_id"])
    .where("d.tenant_id", "=", tx.tenantId)
    .where("d.domain_bidx", "=", bidx)
    .executeTakeFirst();
}

/** Which of these domains another organization already has. */
export async function domainsTakenByOthers(tx: TenantTx, bidxs: Uint8Array[], orgId: string | undefined): Promise<Uint8Array[]> {
  if (bidxs.length === 0) return [];
  let q = tx.db.selectFrom("organization_domains").select("domain_bidx").where("tenant_id", "=", tx.tenantId).where("domain_bidx", "in", bidxs);
  if (orgId) q = q.where("organization_id", "<>", orgId);
  return (await q.execute()).map((r) => r.domain_bidx);
}

export async function replaceDomains(tx: TenantTx, orgId: string, rows: Array<{ id: string; domain_sealed: Uint8Array; domain_bidx: Uint8Array }>): Promise<void> {
  await tx.db.deleteFrom("organization_domains").where("tenant_id", "=", tx.tenantId).where("organization_id", "=", orgId).execute();
  if (rows.length) await tx.db.insertInto("organization_domains").values(rows.map((r) => ({ ...r, tenant_id: tx.tenantId, organization_id: orgId }))).execute();
}
