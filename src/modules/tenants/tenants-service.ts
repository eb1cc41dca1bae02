import crypto from "node:crypto";
import { sql } from "kysely";
import { makeContext, type RequestContext } from "../../platform/context.ts";
import { ADVISORY_LOCK, type Database } from "../../platform/db/database.ts";
import type { Keyring } from "../../platform/crypto/keyring.ts";
import type { BlobStore } from "../../platform/blobs/index.ts";
import { AppError, invalid } from "../../platform/errors.ts";
import { tenantRegistryChanged } from "../../platform/tenant-registry.ts";
import { audit, auditOperatorAction } from "../audit/audit-service.ts";
import { genesisHash } from "../audit/audit-fns.ts";
import { hashPassword, oneTimePassword } from "../identity/identity-service.ts";
import { createApiToken } from "../identity/api-tokens-service.ts";
import { insertSealedUser } from "../users/users-service.ts";
import { storeTeamName } from "../admin/account-service.ts";
import { initSearchSettings } from "../search/search-settings-service.ts";

/**
 * Tenants: creating an account with its owner, resolving hosts, shredding.
 * These are operator actions (CLI, first-run setup); they run in a system transaction that
 * switches to the tenant's own context for everything inside the tenant.
 */

export type CreatedTenant = { tenantId: string; subdomain: string; isDefault: boolean; ownerEmail: string; ownerUserId: number; oneTimePassword: string; apiToken: string | undefined };

/**
 * Who creates the account: the operator on the command line (the owner gets a one-time password
 * and an API token, both printed once), or the person at the first-run setup page (who chose the
 * password; no token is made that nobody would ever see). The audit trail says which.
 */
export type CreatedVia = { kind: "operator" } | { kind: "setup"; requestId: string; ip: string | undefined };

export async function createTenant(
  db: Database,
  keyring: Keyring,
  input: {
    subdomain: string;
    ownerEmail: string;
    ownerName?: string | undefined;
    region?: string;
    password?: string;
    onlyIfFirst?: boolean;
    teamName?: string | undefined;
    via?: CreatedVia;
    now?: () => Date;
  },
): Promise<CreatedTenant> {
  const via: CreatedVia = input.via ?? { kind: "operator" };
  return db.system(async (conn) => {
    // Tenant creation is rare: serialize it, so "first tenant becomes the default" and the
    // subdomain check cannot race.
    await sql`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.createTenant})`.execute(conn);
    const taken = await conn.selectFrom("tenants").select("id").where("subdomain", "=", input.subdomain).executeTakeFirst();
    if (taken) throw invalid("subdomain", "Subdomain: has already been taken", "DuplicateValue");
    const anyTenant = await conn.selectFrom("tenants").select("id").limit(1).executeTakeFirst();
    if (input.onlyIfFirst && anyTenant) throw new AppError("InvalidEndpoint", { description: "Setup is finished: an account exists." });
    const tenantId = crypto.randomUUID();
    await conn
      .insertInto("tenants")
      .values({ id: tenantId, subdomain: input.subdomain, region: input.region ?? "local", is_default: anyTenant === undefined, shredded_at: null })
      .execute();
    await db.setTenant(conn, tenantId);
    await keyring.createTenantKeys(conn, tenantId);
    await sql`SELECT vd_create_tenant_sequences(${tenantId}::uuid)`.execute(conn);
    await conn.insertInto("audit_heads").values({ tenant_id: tenantId, seq: 0, hash: genesisHash(tenantId) }).execute();
    const tx = await db.enterTenant(conn, tenantId);
    const sealer = await keyring.sealerFor(tx);
    const ctx = makeContext({
      tx,
      sealer,
      actor: { kind: via.kind },
      now: input.now ?? (() => new Date()),
      ...(via.kind === "setup" ? { requestId: via.requestId, ip: via.ip } : {}),
    });
    audit(ctx, { action: "tenant.created", resourceType: "tenant", resourceId: input.subdomain, fields: ["subdomain", "region"] });
    await initSearchSettings(ctx);
    const password = input.password ?? oneTimePassword();
    const owner = await insertSealedUser(ctx, {
      role: "owner",
      name: input.ownerName ?? input.ownerEmail.split("@")[0]!,
      email: input.ownerEmail,
      passwordHash: await hashPassword(password),
      mustChangePassword: input.password === undefined,
    });
    const secret = via.kind === "operator" ? (await createApiToken({ keyring }, ctx, { name: "Owner token (created with the account)", userId: owner.id })).secret : undefined;
    if (input.teamName) await storeTeamName(ctx, input.teamName);
    await tx.flush();
    return { tenantId, subdomain: input.subdomain, isDefault: anyTenant === undefined, ownerEmail: input.ownerEmail, ownerUserId: owner.niceId, oneTimePassword: password, apiToken: secret };
  });
}

export type TenantStatus = "active" | "closed" | "shredded";
export type TenantInfo = { id: string; subdomain: string; status: TenantStatus; region: string; isDefault: boolean; closedAt: Date | null; deletesAt: Date | null };

const TENANT_COLUMNS = ["id", "subdomain", "status", "region", "is_default", "closed_at", "deletes_at"] as const;
type TenantRow = { id: string; subdomain: string; status: TenantStatus; region: string; is_default: boolean; closed_at: Date | null; deletes_at: Date | null };
const tenantInfo = (r: TenantRow): TenantInfo => ({ id: r.id, subdomain: r.subdomain, status: r.status, region: r.region, isDefault: r.is_default, closedAt: r.closed_at, deletesAt: r.deletes_at });

export async function findTenant(db: Database, by: { subdomain: string } | { isDefault: true } | { id: string }): Promise<TenantInfo | undefined> {
  let q = db.owner.selectFrom("tenants").select(TENANT_COLUMNS);
  q = "subdomain" in by ? q.where("subdomain", "=", by.subdomain) : "id" in by ? q.where("id", "=", by.id) : q.where("is_default", "=", true);
  const r = await q.executeTakeFirst();
  return r ? tenantInfo(r) : undefined;
}

/** The tenant of a transaction, read inside it (no second connection: on PGlite there is only one). */
export async function currentTenant(ctx: RequestContext): Promise<{ subdomain: string; isDefault: boolean } | undefined> {
  const r = await ctx.tx.db.selectFrom("tenants").select(["subdomain", "is_default"]).where("id", "=", ctx.tx.tenantId).executeTakeFirst();
  return r ? { subdomain: r.subdomain, isDefault: r.is_default } : undefined;
}

export async function listTenants(db: Database): Promise<TenantInfo[]> {
  const rows = await db.owner.selectFrom("tenants").select(TENANT_COLUMNS).orderBy("created_at").execute();
  return rows.map(tenantInfo);
}

/** Closed tenants whose deletion date has passed (the termination upkeep's work), oldest first. */
export async function closedTenantsDue(db: Database, now: Date): Promise<TenantInfo[]> {
  const rows = await db.owner.selectFrom("tenants").select(TENANT_COLUMNS).where("status", "=", "closed").where("deletes_at", "<=", now).orderBy("deletes_at").execute();
  return rows.map(tenantInfo);
}

/**
 * Runs `fn` for every active tenant, one after another (upkeep); one tenant's failure (its keys
 * unreadable, say) does not stop the others. Afterwards, an error says how many failed (the job
 * runner logs it).
 */
export async function forEachTenant(db: Database, fn: (tenantId: string) => Promise<void>): Promise<void> {
  let failed = 0;
  for (const t of await listTenants(db)) {
    if (t.status !== "active") continue;
    try {
      await fn(t.id);
    } catch {
      failed++;
    }
  }
  if (failed > 0) throw new Error(`upkeep did not finish for ${failed} tenant(s)`);
}

/**
 * Crypto-shredding: the tenant's keys are deleted, so every sealed value and file it had is
 * unreadable from then on (backups included); its sealed files are then removed from the blob store.
 */
export async function shredTenant(db: Database, keyring: Keyring, blobs: BlobStore, subdomain: string): Promise<void> {
  await db.system(async (conn) => {
    const t = await conn.selectFrom("tenants").select(["id", "status"]).where("subdomain", "=", subdomain).executeTakeFirst();
    if (!t) throw new AppError("RecordNotFound", { description: `no tenant '${subdomain}'` });
    await db.setTenant(conn, t.id);
    if (t.status !== "shredded") await auditOperatorAction(conn, { action: "tenant.shredded", resourceType: "tenant", resourceId: subdomain });
    await conn.deleteFrom("tenant_keys").where("tenant_id", "=", t.id).execute();
    await conn.deleteFrom("sessions").where("tenant_id", "=", t.id).execute();
    await conn.updateTable("api_tokens").set({ revoked_at: sql`now()` }).where("tenant_id", "=", t.id).where("revoked_at", "is", null).execute();
    await conn.updateTable("tenants").set({ status: "shredded", shredded_at: sql`now()` }).where("id", "=", t.id).execute();
  });
  tenantRegistryChanged();
  const id = (await findTenant(db, { subdomain }))!.id;
  keyring.forget(id);
  await blobs.purgeTenant(id);
}

/**
 * Reopens a closed tenant before its data is shredded (an operator action, audited): it is active
 * again, its deletion date cleared. Its people sign in anew (closing ended every session) and
 * create new API tokens; the revoked ones stay revoked.
 */
export async function reopenTenant(db: Database, subdomain: string): Promise<TenantInfo> {
  await db.system(async (conn) => {
    // FOR NO KEY UPDATE, not FOR UPDATE: linking the audit entry below waits for the chain head,
    // and a chainer holding the head inserts into audit_log, whose foreign key takes FOR KEY SHARE
    // on this row. FOR UPDATE conflicts with that (a deadlock); FOR NO KEY UPDATE does not.
    const t = await conn.selectFrom("tenants").select(["id", "status"]).where("subdomain", "=", subdomain).forNoKeyUpdate().executeTakeFirst();
    if (!t) throw new AppError("RecordNotFound", { description: `no tenant '${subdomain}'` });
    if (t.status !== "closed") throw new AppError("Conflict", { description: `tenant '${subdomain}' is ${t.status}: only a closed tenant can be reopened` });
    await db.setTenant(conn, t.id);
    await auditOperatorAction(conn, { action: "tenant.reopened", resourceType: "tenant", resourceId: subdomain });
    await conn.updateTable("tenants").set({ status: "active", closed_at: null, deletes_at: null, termination_mode: null }).where("id", "=", t.id).execute();
  });
  tenantRegistryChanged();
  return (await findTenant(db, { subdomain }))!;
}
