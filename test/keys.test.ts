import { sql } from "kysely";
import fs from "node:fs";
import path from "node:path";
import { makeContext } from "../src/platform/context.ts";
import { createBlobStore, sealedBlobKeyVersion } from "../src/platform/blobs/index.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbColumn, declaredSealedColumns, NOT_RESEALED, SEALED_COLUMNS, type SealedTable } from "../src/platform/crypto/sealed-columns.ts";
import { enqueueJob, payloadRef } from "../src/platform/jobs/jobs.ts";
import { resumeRotations, rotateTenantKey } from "../src/modules/keys/keys-service.ts";
import { shredTenant } from "../src/modules/tenants/tenants-service.ts";
import { verifyChain } from "../src/modules/audit/audit-service.ts";
import { buildTenant, startTestApp, type TestApp } from "./support/harness.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

async function versions(tenantId: string): Promise<Map<number, number>> {
  return t.db.tenant(tenantId, async (tx) => {
    const counts = new Map<number, number>();
    for (const [table, declared] of Object.entries(SEALED_COLUMNS)) {
      if (NOT_RESEALED.has(table as SealedTable)) continue;
      for (const c of Object.keys(declared).map(dbColumn)) {
        const r = await sql<{ v: number | null; n: number }>`SELECT vd_sealed_version(${sql.ref(c)}) AS v, count(*)::int AS n FROM ${sql.table(table)} WHERE ${sql.ref(c)} IS NOT NULL GROUP BY 1`.execute(tx.db);
        for (const row of r.rows) if (row.v !== null) counts.set(row.v, (counts.get(row.v) ?? 0) + row.n);
      }
    }
    return counts;
  });
}

describe("key rotation", () => {
  it("declares every sealed column of the schema (src/platform/crypto/sealed-columns.ts)", async () => {
    // audit_queue holds entries on their way into audit_log, with audit_log's sealed address.
    const r = await sql<{ table_name: string; column_name: string }>`
      SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name LIKE '%\\_sealed' AND table_name <> 'audit_queue'`.execute(t.db.owner);
    const inSchema = r.rows.map((x) => `${x.table_name}.${x.column_name}`).sort();
    expect(declaredSealedColumns().sort()).toEqual(inSchema);
  });

  it("re-seals everything under the new version while reads keep working", async () => {
    const a = await buildTenant(t, "rot");
    for (let i = 0; i < 5; i++) {
      const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `s${i}`, comment: { body: `body ${i}` }, requester: { email: `r${i}@x.test`, name: `R ${i}` } } });
      await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "again", public: false } } });
    }
    await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Org", notes: "n" } });
    expect((await a.api("PUT", "/api/v2/account.json", { account: { name: "Rotating team" } })).status).toBe(200);
    expect((await a.api("POST", "/api/v2/invitations.json", { invitation: { email: "new.agent@x.test", role: "agent" } })).status).toBe(201);
    const consent = { consent_required: true, consent_text: "Default consent", consent_texts: { ja: "同意します" } };
    expect((await a.api("PUT", "/api/v2/help_center/settings.json", { settings: consent })).status).toBe(200);
    // A job still waiting to run holds its sealed input.
    const job = await t.db.tenant(a.tenantId, async (tx) => {
      const ctx = makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor: { kind: "system" }, requestId: "rot", now: () => new Date() });
      return enqueueJob(ctx, { type: "mail", total: 1, payload: { to: "waiting@x.test" }, createdBy: null, maxAttempts: 1, runAfter: new Date(Date.now() + 86_400_000) });
    });
    // A file attached to a comment: its blob is re-sealed too, and still downloads.
    const up = await t.request({ method: "POST", path: "/api/v2/uploads.json?filename=kept.txt", host: a.host, rawBody: Buffer.from("kept through rotation"), headers: { "content-type": "text/plain", authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } });
    expect((await a.api("PUT", "/api/v2/tickets/1.json", { ticket: { comment: { body: "file", uploads: [up.body.upload.token] } } })).status).toBe(200);
    const fileId = await t.db.tenant(a.tenantId, async (tx) => (await tx.db.selectFrom("attachments").select("id").executeTakeFirstOrThrow()).id);
    const blobs = createBlobStore(t.config);
    expect(await sealedBlobKeyVersion(blobs, a.tenantId, { purpose: "attachments", id: fileId })).toBe(1);
    const before = await versions(a.tenantId);
    expect([...before.keys()]).toEqual([1]);

    const r = await rotateTenantKey(t.db, t.keyring, blobs, a.tenantId);
    expect(r.version).toBe(2);
    expect(r.resealed).toBeGreaterThan(10);
    expect(r.files_resealed).toBe(1);
    expect(await sealedBlobKeyVersion(blobs, a.tenantId, { purpose: "attachments", id: fileId })).toBe(2);
    const link = new URL((await a.api("GET", `/api/v2/attachments/${up.body.upload.attachment.id}.json`)).body.attachment.content_url);
    expect((await t.request({ method: "GET", path: link.pathname + link.search, host: a.host, headers: { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } })).text).toBe("kept through rotation");
    const after = await versions(a.tenantId);
    expect([...after.keys()]).toEqual([2]);
    const show = await a.api("GET", "/api/v2/tickets/3.json");
    expect(show.body.ticket.subject).toBe("s2");
    const comments = await a.api("GET", "/api/v2/tickets/3/comments.json");
    expect(comments.body.comments.map((c: { body: string }) => c.body)).toEqual(["body 2", "again"]);
    expect((await a.api("GET", "/api/v2/account.json")).body.account.name).toBe("Rotating team");
    expect((await a.api("GET", "/api/v2/invitations.json")).body.invitations[0].email).toBe("new.agent@x.test");
    expect((await a.api("GET", "/api/v2/help_center.json?locale=ja")).body.help_center.consent.text).toBe("同意します");
    expect((await a.api("GET", "/api/v2/help_center/settings.json")).body.settings).toMatchObject({ consent_text: "Default consent", consent_texts: { ja: "同意します" } });
    const payload = await t.db.tenant(a.tenantId, async (tx) => {
      const row = await tx.db.selectFrom("job_statuses").select("payload_sealed").where("id", "=", job).executeTakeFirstOrThrow();
      return (await t.keyring.sealerFor(tx)).openJson(row.payload_sealed!, payloadRef(job));
    });
    expect(payload).toEqual({ to: "waiting@x.test" });
    // New writes use the new version.
    await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "new", comment: { body: "b" } } });
    expect([...(await versions(a.tenantId)).keys()]).toEqual([2]);
    expect((await verifyChain(t.db, a.tenantId)).ok).toBe(true);
  });

  it("resumes a rotation left running", async () => {
    const a = await buildTenant(t, "rotresume");
    await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "y" } } });
    // Simulate a crash right after the new version was added: add it and mark the rotation running.
    await t.db.system(async (conn) => {
      await t.db.setTenant(conn, a.tenantId);
      const v = await t.keyring.addDataKeyVersion(conn, a.tenantId);
      await conn.insertInto("key_rotations").values({ tenant_id: a.tenantId, version: v, status: "running", finished_at: null }).execute();
    });
    expect((await versions(a.tenantId)).get(1)).toBeGreaterThan(0);
    const n = await resumeRotations(t.db, t.keyring, createBlobStore(t.config), a.tenantId);
    expect(n).toBeGreaterThan(0);
    expect([...(await versions(a.tenantId)).keys()]).toEqual([2]);
    expect((await a.api("GET", "/api/v2/tickets/1.json")).body.ticket.subject).toBe("x");
  });
});

describe("shredding", () => {
  it("makes the tenant's data unreadable and the API says it is gone", async () => {
    const a = await buildTenant(t, "shred");
    await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "secret", comment: { body: "secret body" } } });
    const up = await t.request({ method: "POST", path: "/api/v2/uploads.json?filename=secret.txt", host: a.host, rawBody: Buffer.from("secret file"), headers: { "content-type": "text/plain", authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } });
    expect(up.status).toBe(201);
    const tenantBlobs = path.join(t.config.blobDir, a.tenantId);
    expect(fs.existsSync(tenantBlobs)).toBe(true);
    const other = await buildTenant(t, "shredother");
    await shredTenant(t.db, t.keyring, createBlobStore(t.config), a.subdomain);
    // Its sealed files are gone from the blob store too.
    expect(fs.existsSync(tenantBlobs)).toBe(false);
    // Whether the host cache still says active (keys missing) or not (status shredded): 410 Gone.
    const r = await a.api("GET", "/api/v2/tickets/1.json");
    expect(r.status).toBe(410);
    // The keys are gone from the database: nothing can open the sealed rows any more.
    const keys = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("tenant_keys").select("version").execute());
    expect(keys).toEqual([]);
    t.keyring.forget(a.tenantId);
    await expect(t.db.tenant(a.tenantId, (tx) => t.keyring.sealerFor(tx))).rejects.toThrow(/gone/);
    // Other tenants are unaffected.
    expect((await other.api("GET", "/api/v2/users/me.json")).status).toBe(200);
  }, 30_000);
});
