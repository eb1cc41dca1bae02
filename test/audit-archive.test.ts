import { buffer } from "node:stream/consumers";
import { Readable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiveTenant, purgeArchived, verifyArchives } from "../src/modules/audit/audit-archive.ts";
import { verifyChain } from "../src/modules/audit/audit-service.ts";
import { createBlobStore, getSealed, putSealed } from "../src/platform/blobs/index.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Archiving the audit trail: entries older than the hot period go to a sealed file whose header and
 * hashes tie it into the chain; after the purge delay the file is read back and re-verified, and
 * only then are its entries deleted from the database. The chain verifies across the cut (the
 * database's part from the last archive's hash, each file from its header); an altered file is
 * caught and stops the purge; audit_log stays append-only for everyone else.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

type Json = Record<string, any>;
const DAY = 86_400_000;
const deps = () => ({ db: t.db, keyring: t.keyring, blobs: createBlobStore(t.config) });
const later = (days: number) => new Date(Date.now() + days * DAY);
const lines = (text: string) => text.trim().split("\n").map((l) => JSON.parse(l) as Json);

async function activity(a: TestTenant, n: number) {
  for (let i = 0; i < n; i++) expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Archive me ${i}`, comment: { body: "x" } } })).status).toBe(201);
}
const dbSeqs = (a: TestTenant) => t.db.tenant(a.tenantId, async (tx) => (await tx.db.selectFrom("audit_log").select("seq").orderBy("seq").execute()).map((r) => Number(r.seq)));

describe("audit archives", () => {
  let a: TestTenant;
  beforeAll(async () => {
    a = await buildTenant(t, "arch");
    await activity(a, 5);
    const r = await a.api("PUT", "/api/v2/retention_policy.json", { retention_policy: { audit_hot_days: 30, audit_purge_days: 10 } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.retention_policy).toMatchObject({ audit_hot_days: 30, audit_purge_days: 10 });
  });

  it("refuses hot periods under 7 days and purge delays out of range (422)", async () => {
    expect((await a.api("PUT", "/api/v2/retention_policy.json", { retention_policy: { audit_hot_days: 3 } })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/retention_policy.json", { retention_policy: { audit_purge_days: -1 } })).status).toBe(422);
  });

  it("archives old entries to a sealed file, keeps them in the database until the purge delay, then deletes them; the chain verifies across the cut", async () => {
    const before = await dbSeqs(a);
    expect(before.length).toBeGreaterThan(5);
    // Nothing is older than 30 days yet.
    expect(await archiveTenant(deps(), a.tenantId, new Date())).toBe(0);
    expect(await archiveTenant(deps(), a.tenantId, later(31))).toBe(1);
    const list = await a.api("GET", "/api/v2/audit_archives.json");
    expect(list.status, list.text).toBe(200);
    const arch = list.body.audit_archives[0];
    expect(arch).toMatchObject({ id: 1, first_entry_id: 1, entries: arch.last_entry_id, verified_at: null, purged_at: null });
    expect(arch.last_entry_id).toBeGreaterThanOrEqual(before[before.length - 1]!);

    // The file: a header, then the entries, each with its chain hash; client addresses sealed.
    const dl = await a.api("GET", `/api/v2/audit_archives/${arch.id}/download`);
    expect(dl.status).toBe(200);
    expect(dl.headers["content-type"]).toContain("application/x-ndjson");
    const [header, ...entries] = lines(dl.text);
    expect(header).toMatchObject({ schema: "vaultdesk.audit-archive", version: 1, first_seq: 1, last_seq: arch.last_entry_id, prev_hash: arch.prev_hash });
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: arch.entries }, (_, i) => i + 1));
    expect(entries[entries.length - 1]!.hash).toBe(arch.last_hash);
    // The stored file is sealed: its bytes hold none of the plain text.
    const raw = await buffer(Readable.from(await createBlobStore(t.config).get(a.tenantId, `audit/${(await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("audit_archives").select("id").executeTakeFirstOrThrow())).id}`)));
    expect(raw.includes(Buffer.from("ticket.created"))).toBe(false);

    // Within the purge delay the entries stay.
    expect(await purgeArchived(deps(), a.tenantId, later(5))).toBe(0);
    expect((await dbSeqs(a))[0]).toBe(1);
    // After it, they go, once the file verified.
    expect(await purgeArchived(deps(), a.tenantId, later(11))).toBe(arch.entries);
    // (On PostgreSQL the purge's own entry is linked a moment after its commit: verification links it first.)
    const verified = await verifyChain(t.db, a.tenantId);
    const after = await dbSeqs(a);
    expect(after[0]).toBe(arch.last_entry_id + 1);
    const shown = (await a.api("GET", "/api/v2/audit_archives.json")).body.audit_archives[0];
    expect(shown.verified_at).not.toBeNull();
    expect(shown.purged_at).not.toBeNull();
    // Verification across the cut: the database's part, the API's view of it, and the files.
    expect(verified).toMatchObject({ ok: true, entries: after.length });
    expect((await a.api("GET", "/api/v2/audit_logs/verification.json")).body.verification).toMatchObject({ verified: true });
    expect(await verifyArchives(deps(), a.tenantId)).toMatchObject({ archives: 1, archived_entries: arch.entries, failure: null });
    // New entries chain on; the archiving and the purge are themselves audited.
    await activity(a, 1);
    const actions = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["audit_log.archived", "audit_log.purged", "audit_archive.downloaded"]));
    expect(await verifyChain(t.db, a.tenantId)).toMatchObject({ ok: true });
  });

  it("an altered archive file is caught: verification names it and the purge stops before deleting its entries", async () => {
    const b = await buildTenant(t, "arct");
    await activity(b, 2);
    expect(await archiveTenant(deps(), b.tenantId, later(100))).toBe(1);
    const row = await t.db.tenant(b.tenantId, (tx) => tx.db.selectFrom("audit_archives").select(["id", "nice_id", "last_seq"]).executeTakeFirstOrThrow());
    const blobs = createBlobStore(t.config);
    const sealer = await t.db.tenant(b.tenantId, (tx) => t.keyring.sealerFor(tx));
    // Someone holding the keys rewrites one entry's action in the file, sealed again.
    const text = (await buffer(await getSealed(blobs, sealer, { purpose: "audit", id: row.id }))).toString("utf8");
    const forged = text.replace('"action":"ticket.created"', '"action":"ticket.viewed"');
    expect(forged).not.toBe(text);
    await putSealed(blobs, sealer, { purpose: "audit", id: row.id }, Readable.from([Buffer.from(forged)]));
    const v = await verifyArchives(deps(), b.tenantId);
    expect(v.failure).toMatchObject({ archive: Number(row.nice_id) });
    expect(v.failure!.reason).toMatch(/hash mismatch/);
    expect(await purgeArchived(deps(), b.tenantId, later(200))).toBe(0);
    expect((await dbSeqs(b))[0]).toBe(1);
    const actions = ((await b.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((e) => e.action);
    expect(actions).toContain("audit_archive.check_failed");
  });

  it("audit_log stays append-only: the app role cannot delete even with the purge's marker, and nothing is purged without a verified archive", async () => {
    const c = await buildTenant(t, "arco");
    // (The owner's own DELETE is refused by the trigger: test/audit-trail.test.ts.)
    // Setting the purge marker by hand does not help the app role: it has no DELETE on audit_log.
    await expect(t.db.tenant(c.tenantId, async (tx) => {
      await sql`SELECT set_config('vd.audit_purge', ${c.tenantId}, true)`.execute(tx.db);
      await sql`DELETE FROM audit_log`.execute(tx.db);
    })).rejects.toThrow(/permission denied|append-only/);
    await expect(t.db.tenant(c.tenantId, (tx) => sql`SELECT vd_audit_purge(1)`.execute(tx.db))).rejects.toThrow(/no verified archive/);
    // An archive not verified yet cannot be purged either, nor one out of order.
    expect(await archiveTenant(deps(), c.tenantId, later(100))).toBe(1);
    const last = await t.db.tenant(c.tenantId, async (tx) => Number((await tx.db.selectFrom("audit_archives").select("last_seq").executeTakeFirstOrThrow()).last_seq));
    await expect(t.db.tenant(c.tenantId, (tx) => sql`SELECT vd_audit_purge(${last})`.execute(tx.db))).rejects.toThrow(/no verified archive/);
    expect((await dbSeqs(c))[0]).toBe(1);
  });

  it("an archive whose file the operator removed answers 410 to a download, not 500", async () => {
    const d = await buildTenant(t, "arcg");
    expect(await archiveTenant(deps(), d.tenantId, later(100))).toBe(1);
    const id = await t.db.tenant(d.tenantId, async (tx) => (await tx.db.selectFrom("audit_archives").select("id").executeTakeFirstOrThrow()).id);
    expect(await createBlobStore(t.config).delete(d.tenantId, `audit/${id}`)).toBe(true);
    expect((await d.api("GET", "/api/v2/audit_archives/1/download")).status).toBe(410);
    expect((await verifyArchives(deps(), d.tenantId)).failure).toMatchObject({ archive: 1 });
  });

  it("archives are for those who may read the audit log; another tenant's archive answers 404", async () => {
    const agent = await buildUser(t, a, "agent", "Agent");
    expect((await a.api("GET", "/api/v2/audit_archives.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("GET", "/api/v2/audit_archives/1/download", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    const other = await buildTenant(t, "arcx");
    const foreign = await other.api("GET", "/api/v2/audit_archives/1/download");
    const missing = await other.api("GET", "/api/v2/audit_archives/999999/download");
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
  });
});
