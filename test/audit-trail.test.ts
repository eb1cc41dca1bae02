import fs from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../src/modules/audit/audit-service.ts";
import { openDatabase } from "../src/platform/db/database.ts";
import { seededDataDir } from "./support/data-dir-template.ts";
import { buildTenant, startTestApp, type TestApp } from "./support/harness.ts";
import { cli } from "./support/process.ts";
import { marker as uniqueMarker } from "./support/markers.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

async function tamper(db: TestApp["db"], statement: ReturnType<typeof sql>) {
  await db.system(async (conn) => {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(conn);
    await statement.execute(conn);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(conn);
  });
}

describe("audit chain", () => {
  it("stays gap-free and verifiable under 60 concurrent writers", async () => {
    const a = await buildTenant(t, "chain");
    const before = (await verifyChain(t.db, a.tenantId)).entries;
    const creates = await Promise.all(Array.from({ length: 60 }, (_, i) => a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `c${i}`, comment: { body: "b" } } })));
    expect(creates.every((r) => r.status === 201)).toBe(true);
    const updates = await Promise.all(creates.map((c) => a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { status: "open" } })));
    expect(updates.every((r) => r.status === 200)).toBe(true);
    const v = await verifyChain(t.db, a.tenantId);
    expect(v).toEqual({ ok: true, entries: before + 120 });
    const seqs = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("audit_log").select("seq").orderBy("seq").execute());
    expect(seqs.map((r) => r.seq)).toEqual(Array.from({ length: before + 120 }, (_, i) => i + 1));
  });

  it("records field names, never values", async () => {
    const a = await buildTenant(t, "chainvalues");
    const marker = uniqueMarker("ZQAUDIT");
    await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: marker, comment: { body: marker }, tags: [marker.toLowerCase()] } });
    await a.api("POST", "/api/v2/users.json", { user: { name: marker, email: `${marker.toLowerCase()}@x.test` } });
    await verifyChain(t.db, a.tenantId);
    const rows = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("audit_log").selectAll().execute());
    const text = JSON.stringify(rows.map((r) => ({ ...r, ip_sealed: null, hash: null }))).toLowerCase();
    expect(text).not.toContain(marker.toLowerCase());
    expect(rows.find((r) => r.action === "ticket.created")?.fields).toBe("comment,subject,tags");
  });

  it("refuses UPDATE, DELETE and TRUNCATE of audit rows, even for the owner", async () => {
    const a = await buildTenant(t, "chainro");
    // The account's creation is on the chain (verification chains what is queued first).
    expect((await verifyChain(t.db, a.tenantId)).entries).toBeGreaterThan(0);
    await expect(t.db.system((c) => sql`UPDATE audit_log SET action = 'x' WHERE tenant_id = ${a.tenantId}`.execute(c))).rejects.toThrow(/append-only/);
    await expect(t.db.system((c) => sql`DELETE FROM audit_log WHERE tenant_id = ${a.tenantId}`.execute(c))).rejects.toThrow(/append-only/);
    await expect(t.db.system((c) => sql`TRUNCATE audit_log`.execute(c))).rejects.toThrow(/append-only|truncate/i);
    // And the app role has no UPDATE/DELETE grant at all.
    await expect(
      t.db.tenant(a.tenantId, (tx) => sql`UPDATE audit_log SET action = 'x'`.execute(tx.db)),
    ).rejects.toThrow(/permission denied|append-only/);
  });

  it("detects an edited entry and names it, and detects a deleted last entry", async () => {
    const a = await buildTenant(t, "chaintamper");
    for (let i = 0; i < 4; i++) await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `t${i}`, comment: { body: "b" } } });
    const ok = await verifyChain(t.db, a.tenantId);
    expect(ok.ok).toBe(true);
    await tamper(t.db, sql`UPDATE audit_log SET fields = 'subject' WHERE tenant_id = ${a.tenantId} AND seq = 5`);
    const broken = await verifyChain(t.db, a.tenantId);
    expect(broken).toMatchObject({ ok: false, brokenAt: 5 });

    const b = await buildTenant(t, "chaintrunc");
    await b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "b" } } });
    const n = (await verifyChain(t.db, b.tenantId)).entries;
    await tamper(t.db, sql`DELETE FROM audit_log WHERE tenant_id = ${b.tenantId} AND seq = ${n}`);
    const v = await verifyChain(t.db, b.tenantId);
    expect(v.ok).toBe(false);
  });
});

describe("vaultdesk audit verify", () => {
  it("prints OK, then names the broken entry and exits non-zero after tampering", async () => {
    // A data folder as `vaultdesk init` leaves it (data-dir-template.ts; init itself is data-folder.test.ts's).
    const dir = await seededDataDir("vd-audit-cli-");
    const vaultdesk = (...args: string[]) => cli(dir, ...args);
    try {
      const created = await vaultdesk("tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test");
      expect(created.code, created.stderr).toBe(0);
      expect(created.stdout).toMatch(/^API token: vdt_/m);
      const ok = await vaultdesk("audit", "verify", "--tenant", "acme");
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout.trim()).toBe("audit chain OK: 3 entries");
      const db = await openDatabase({ kind: "pglite", dataDir: path.join(dir, "pgdata") });
      await tamper(db, sql`UPDATE audit_log SET resource_id = 'forged' WHERE seq = 2`);
      await db.close();
      const bad = await vaultdesk("audit", "verify", "--tenant", "acme");
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/BROKEN at entry 2/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
