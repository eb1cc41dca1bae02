import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { checkCheckpoints, makeCheckpoint } from "../src/modules/audit/audit-checkpoints.ts";
import { archiveTenant, verifyArchives } from "../src/modules/audit/audit-archive.ts";
import { verifyChain } from "../src/modules/audit/audit-service.ts";
import { createBlobStore } from "../src/platform/blobs/index.ts";
import { buildTenant, startTestApp, type TestApp } from "./support/harness.ts";

/**
 * An attacker with the database owner's rights alters an entry that an archive holds but that is
 * still in the database (archived, not yet purged), and marks that archive purged (sets
 * `audit_archives.purged_at`) without deleting its entries. The chain check then starts after
 * the archive, the archive's file (untouched) verifies, and a checkpoint made over the altered
 * entry must not be reported as fine: the altered entry is still what the audit log shows.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

/**
 * A tenant with a few entries, a checkpoint over them, one entry more, then everything archived
 * (entries far in the past from the date given) and nothing purged yet.
 */
async function archivedAfterCheckpoint(name: string) {
  const a = await buildTenant(t, name);
  for (let i = 0; i < 3; i++) expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `s${i}`, comment: { body: "b" } } })).status).toBe(201);
  const c = await makeCheckpoint(t.db, t.keyring, { id: a.tenantId, subdomain: a.subdomain }, new Date());
  expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "after", comment: { body: "b" } } })).status).toBe(201);
  const deps = { db: t.db, keyring: t.keyring, blobs: createBlobStore(t.config) };
  expect(await archiveTenant(deps, a.tenantId, new Date(Date.now() + 400 * 86_400_000))).toBe(1);
  const arch = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("audit_archives").select(["id", "last_seq"]).executeTakeFirstOrThrow());
  return { a, c, deps, arch };
}

it("a checkpoint over an entry altered in the database is not passed as 'archived' when the archive holding it is marked purged by hand", async () => {
  const { a, c, deps, arch } = await archivedAfterCheckpoint("ckpcut");
  expect(Number(arch.last_seq)).toBeGreaterThan(c.seq);

  await t.db.system(async (conn) => {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(conn);
    await sql`UPDATE audit_log SET resource_id = 'forged' WHERE tenant_id = ${a.tenantId} AND seq = ${c.seq}`.execute(conn);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(conn);
    await sql`UPDATE audit_archives SET purged_at = now() WHERE id = ${arch.id}`.execute(conn);
  });
  // The forged entry is still in the database (what the audit log shows) ...
  const stored = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("audit_log").select("resource_id").where("seq", "=", c.seq).executeTakeFirst());
  expect(stored?.resource_id).toBe("forged");
  // ... the archive's file is untouched; the chain check names the entry left below the cut ...
  expect(await verifyChain(t.db, a.tenantId)).toMatchObject({ ok: false });
  expect((await verifyArchives(deps, a.tenantId)).failure).toBeNull();
  // ... and so does the checkpoint.
  const [check] = await checkCheckpoints(t.db, t.keyring, a.tenantId, [c]);
  expect(check!.result).toBe("differs");
});

it("an altered entry left in the database below an archive marked purged by hand (its other entries deleted): `audit verify` reports it", async () => {
  const { a, c, deps, arch } = await archivedAfterCheckpoint("ckpcutdel");
  const forged = 2;
  await t.db.system(async (conn) => {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(conn);
    await sql`UPDATE audit_log SET resource_id = 'forged' WHERE tenant_id = ${a.tenantId} AND seq = ${forged}`.execute(conn);
    await sql`DELETE FROM audit_log WHERE tenant_id = ${a.tenantId} AND seq <= ${arch.last_seq} AND seq <> ${forged}`.execute(conn);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(conn);
    await sql`UPDATE audit_archives SET purged_at = now() WHERE id = ${arch.id}`.execute(conn);
  });
  // The forged entry is what the audit log shows for that entry; the archive file holds the true one.
  const stored = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("audit_log").select("resource_id").where("seq", "=", forged).executeTakeFirst());
  expect(stored?.resource_id).toBe("forged");
  expect((await verifyArchives(deps, a.tenantId)).failure).toBeNull();
  // The checkpoint names an entry purged since: reported archived (as documented).
  expect((await checkCheckpoints(t.db, t.keyring, a.tenantId, [c]))[0]!.result).toBe("archived");
  // The chain check must not pass over an entry that the purge would have deleted.
  expect(await verifyChain(t.db, a.tenantId)).toMatchObject({ ok: false, brokenAt: forged });
});
