import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { checkCheckpoints, CHECKPOINT_FORMAT, makeCheckpoint, type Checkpoint } from "../src/modules/audit/audit-checkpoints.ts";
import { canonicalEntry, genesisHash, type StoredEntry } from "../src/modules/audit/audit-fns.ts";
import { verifyChain } from "../src/modules/audit/audit-service.ts";
import { Keyring } from "../src/platform/crypto/keyring.ts";
import { LocalMasterKey } from "../src/platform/crypto/master-key.ts";
import { openDatabase, type Database } from "../src/platform/db/database.ts";
import { seededDataDir } from "./support/data-dir-template.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { cli, startServer, type ServerProcess } from "./support/process.ts";

/**
 * Signed checkpoints of the audit chain: what `audit verify` alone cannot show, a rewrite of the
 * chain that is consistent in itself (someone with the database owner's rights disables the
 * append-only trigger, alters an entry and recomputes every hash after it, or removes the last
 * entries and moves the head back), shows against a checkpoint kept elsewhere. A checkpoint
 * verifies under its own public key, and an altered one, another tenant's or another
 * installation's is refused.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const tenantOf = (a: TestTenant) => ({ id: a.tenantId, subdomain: a.subdomain });
const someWrites = async (a: TestTenant, n: number) => {
  for (let i = 0; i < n; i++) expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `s${i}`, comment: { body: "b" } } })).status).toBe(201);
};

/**
 * What an attacker with the owner's rights can do: change entries from `fromSeq` on (or remove
 * those after `keepThrough`) and make the chain whole again, every hash recomputed and the head
 * moved, so that the chain check alone passes.
 */
async function rewriteChain(db: Database, tenantId: string, change: { alter: number } | { keepThrough: number }) {
  await db.system(async (conn) => {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(conn);
    if ("alter" in change) await sql`UPDATE audit_log SET resource_id = 'forged' WHERE tenant_id = ${tenantId} AND seq = ${change.alter}`.execute(conn);
    else await sql`DELETE FROM audit_log WHERE tenant_id = ${tenantId} AND seq > ${change.keepThrough}`.execute(conn);
    const rows = (
      await sql<StoredEntry & { hash: Uint8Array }>`
        SELECT seq, id, ((extract(epoch FROM occurred_at) * 1000000)::bigint)::text AS at_us, actor_kind, actor_id, action, resource_type,
               resource_id, fields, ip_sealed, request_id, hash
        FROM audit_log WHERE tenant_id = ${tenantId} ORDER BY seq`.execute(conn)
    ).rows;
    let prev = genesisHash(tenantId);
    for (const r of rows) {
      const h = crypto.createHash("sha256").update(prev).update(canonicalEntry({ ...r, seq: Number(r.seq) }), "utf8").digest();
      if (!h.equals(Buffer.from(r.hash))) await sql`UPDATE audit_log SET hash = ${h} WHERE tenant_id = ${tenantId} AND seq = ${r.seq}`.execute(conn);
      prev = h;
    }
    await sql`UPDATE audit_heads SET seq = ${rows.at(-1)!.seq}, hash = ${prev} WHERE tenant_id = ${tenantId}`.execute(conn);
    await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(conn);
  });
}

describe("audit checkpoints", () => {
  it("a checkpoint names the chain's last entry and its hash, and verifies under its own public key alone", async () => {
    const a = await buildTenant(t, "ckpsign");
    await someWrites(a, 2);
    const c = await makeCheckpoint(t.db, t.keyring, tenantOf(a), new Date());
    const head = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("audit_heads").select(["seq", "hash"]).executeTakeFirstOrThrow());
    expect(c).toMatchObject({ format: CHECKPOINT_FORMAT, tenant: a.subdomain, tenant_id: a.tenantId, seq: Number(head.seq), hash: Buffer.from(head.hash).toString("hex") });
    // Anyone holding the checkpoint can check it: the public key is in it (pin it once, out of band).
    const publicKey = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: c.key }, format: "jwk" });
    const signed = [c.format, c.tenant_id, String(c.seq), c.hash, c.at].join("\n");
    expect(crypto.verify(null, Buffer.from(signed), publicKey, Buffer.from(c.signature, "base64url"))).toBe(true);
    expect(crypto.verify(null, Buffer.from(signed.replace(`\n${c.seq}\n`, `\n${c.seq + 1}\n`)), publicKey, Buffer.from(c.signature, "base64url"))).toBe(false);
    // Every process of the installation signs with the same key (it is derived from the master key).
    expect((await makeCheckpoint(t.db, t.keyring, tenantOf(a), new Date())).key).toBe(c.key);
  });

  it("later entries leave earlier checkpoints matching", async () => {
    const a = await buildTenant(t, "ckpgrow");
    const first = await makeCheckpoint(t.db, t.keyring, tenantOf(a), new Date());
    await someWrites(a, 3);
    const second = await makeCheckpoint(t.db, t.keyring, tenantOf(a), new Date());
    expect(second.seq).toBeGreaterThan(first.seq);
    expect((await checkCheckpoints(t.db, t.keyring, a.tenantId, [first, second])).map((r) => r.result)).toEqual(["matches", "matches"]);
  });

  it("an entry altered and the chain recomputed after it: the chain check passes, the checkpoint does not match", async () => {
    const a = await buildTenant(t, "ckprewrite");
    await someWrites(a, 3);
    const c = await makeCheckpoint(t.db, t.keyring, tenantOf(a), new Date());
    await rewriteChain(t.db, a.tenantId, { alter: 2 });
    expect(await verifyChain(t.db, a.tenantId)).toMatchObject({ ok: true });
    const [check] = await checkCheckpoints(t.db, t.keyring, a.tenantId, [c]);
    expect(check).toMatchObject({ seq: c.seq, result: "differs" });
  });

  it("the last entries removed and the head moved back: the checkpoint names an entry that is gone", async () => {
    const a = await buildTenant(t, "ckptrunc");
    await someWrites(a, 3);
    const c = await makeCheckpoint(t.db, t.keyring, tenantOf(a), new Date());
    await rewriteChain(t.db, a.tenantId, { keepThrough: c.seq - 2 });
    expect(await verifyChain(t.db, a.tenantId)).toMatchObject({ ok: true });
    const [check] = await checkCheckpoints(t.db, t.keyring, a.tenantId, [c]);
    expect(check).toMatchObject({ result: "missing" });
    expect(check!.result !== "matches" && check!.result !== "archived" && check!.reason).toMatch(/ends at entry/);
  });

  it("refuses an altered checkpoint, another tenant's, and another installation's", async () => {
    const a = await buildTenant(t, "ckpforge");
    const b = await buildTenant(t, "ckpother");
    await someWrites(a, 2);
    const c = await makeCheckpoint(t.db, t.keyring, tenantOf(a), new Date());
    // Made to look like an earlier state (to cover a rewrite): the signature no longer matches.
    const altered: Checkpoint = { ...c, seq: c.seq - 1 };
    const ofB = await makeCheckpoint(t.db, t.keyring, tenantOf(b), new Date());
    const elsewhere = new Keyring(new LocalMasterKey(crypto.randomBytes(32)));
    const foreign = await makeCheckpoint(t.db, elsewhere, tenantOf(a), new Date());
    // The same signature's bytes written with other padding bits in its last character: another line, refused.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(c.signature.at(-1)!);
    const respelt: Checkpoint = { ...c, signature: c.signature.slice(0, -1) + alphabet[last | 1] };
    expect(Buffer.from(respelt.signature, "base64url").equals(Buffer.from(c.signature, "base64url"))).toBe(true);
    const checks = await checkCheckpoints(t.db, t.keyring, a.tenantId, [altered, ofB, foreign, c, respelt]);
    expect(checks.map((r) => r.result)).toEqual(["unsigned", "other_tenant", "unsigned", "matches", "unsigned"]);
    expect(checks[0]).toMatchObject({ reason: expect.stringMatching(/altered/) });
    expect(checks[2]).toMatchObject({ reason: expect.stringMatching(/not signed with this installation/) });
  });
});

describe("vaultdesk audit checkpoint / audit verify --checkpoints", () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it("beside a running server: prints a checkpoint line and matches a file of them; without one, names it after a consistent rewrite", async () => {
    const dir = await seededDataDir("vd-audit-ckp-");
    dirs.push(dir);
    const kept = path.join(dir, "checkpoints.jsonl");
    const s = await startServer(dir);
    servers.push(s);
    expect((await cli(dir, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test")).code).toBe(0);
    const made = await cli(dir, "audit", "checkpoint", "--tenant", "acme");
    expect(made.code, made.stderr).toBe(0);
    const line = JSON.parse(made.stdout) as Checkpoint;
    expect(line).toMatchObject({ format: CHECKPOINT_FORMAT, tenant: "acme" });
    // More than one operator request takes (100 a request): the file is sent in parts.
    fs.writeFileSync(kept, `${made.stdout.trim()}\n`.repeat(150));
    const ok = await cli(dir, "audit", "verify", "--tenant", "acme", "--checkpoints", kept);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`audit chain OK: ${line.seq} entries\ncheckpoints: 150 of 150 match\n`);
    expect(s.output()).not.toContain(line.signature);

    // The rewrite needs the database to itself (the owner's rights): the server stops first.
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    const db = await openDatabase({ kind: "pglite", dataDir: path.join(dir, "pgdata") });
    try {
      await rewriteChain(db, line.tenant_id, { alter: 2 });
    } finally {
      await db.close();
    }
    fs.writeFileSync(kept, `${made.stdout.trim()}\n`);
    const bad = await cli(dir, "audit", "verify", "--tenant", "acme", "--checkpoints", kept);
    expect(bad.code).toBe(1);
    // The chain alone looks whole; the checkpoint shows the rewrite.
    expect(bad.stdout).toMatch(new RegExp(`^audit chain OK: ${line.seq} entries\ncheckpoint on line 1 \\(entry ${line.seq}, made .+\\) DOES NOT MATCH: entry ${line.seq} has another hash`));

    fs.writeFileSync(kept, `${made.stdout.trim()}\n\nnot json\n`);
    const unreadable = await cli(dir, "audit", "verify", "--tenant", "acme", "--checkpoints", kept);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toMatch(/line 3: not a checkpoint/);
    fs.writeFileSync(kept, JSON.stringify({ ...line, hash: "zz" }));
    const invalid = await cli(dir, "audit", "verify", "--tenant", "acme", "--checkpoints", kept);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/line 1.*hash: must be 64 hexadecimal digits/);
  }, 120_000);
});

describe("GET /api/v2/audit_logs/checkpoint and POST /api/v2/audit_logs/checkpoints/check", () => {
  const check = (a: TestTenant, checkpoints: unknown[]) => a.api("POST", "/api/v2/audit_logs/checkpoints/check.json", { checkpoints });
  const checkpointOf = async (a: TestTenant): Promise<Checkpoint> => {
    const r = await a.api("GET", "/api/v2/audit_logs/checkpoint.json");
    expect(r.status, r.text).toBe(200);
    return r.body.checkpoint as Checkpoint;
  };

  it("an account's admin takes a checkpoint, checks it with the public key alone, and later against the chain; a rewrite shows", async () => {
    const a = await buildTenant(t, "ckpapi");
    await someWrites(a, 2);
    const c = await checkpointOf(a);
    const head = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("audit_heads").select(["seq", "hash"]).executeTakeFirstOrThrow());
    expect(c).toMatchObject({ format: CHECKPOINT_FORMAT, tenant: a.subdomain, tenant_id: a.tenantId, seq: Number(head.seq), hash: Buffer.from(head.hash).toString("hex") });
    // The operator's checkpoint and the API's are signed by the same key: either can be checked by the other way.
    expect(c.key).toBe((await makeCheckpoint(t.db, t.keyring, tenantOf(a), new Date())).key);
    const publicKey = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: c.key }, format: "jwk" });
    expect(crypto.verify(null, Buffer.from([c.format, c.tenant_id, String(c.seq), c.hash, c.at].join("\n")), publicKey, Buffer.from(c.signature, "base64url"))).toBe(true);

    await someWrites(a, 2);
    const later = await checkpointOf(a);
    expect(later.seq).toBeGreaterThan(c.seq);
    const ok = await check(a, [c, later]);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.checks).toEqual([{ seq: c.seq, at: c.at, result: "matches" }, { seq: later.seq, at: later.at, result: "matches" }]);

    // Altered in transit or by hand: refused.
    const altered = await check(a, [{ ...c, seq: c.seq + 1 }]);
    expect(altered.body.checks).toEqual([expect.objectContaining({ result: "unsigned", reason: expect.stringContaining("altered") })]);

    // A consistent rewrite from the first checkpoint's entry: the chain check alone passes, the checkpoints do not.
    await rewriteChain(t.db, a.tenantId, { alter: c.seq });
    expect((await a.api("GET", "/api/v2/audit_logs/verification.json")).body.verification.verified).toBe(true);
    const after = await check(a, [c, later]);
    expect(after.body.checks.map((x: { result: string }) => x.result)).toEqual(["differs", "differs"]);
  });

  it("another account's checkpoint is refused as made for another tenant; each account's checkpoint is its own", async () => {
    const a = await buildTenant(t, "ckpapia");
    const b = await buildTenant(t, "ckpapib");
    await someWrites(a, 1);
    await someWrites(b, 1);
    const ofA = await checkpointOf(a);
    const ofB = await checkpointOf(b);
    expect(ofB).toMatchObject({ tenant: b.subdomain, tenant_id: b.tenantId });
    expect(JSON.stringify(ofB)).not.toContain(a.tenantId);
    const r = await check(b, [ofA, ofB]);
    expect(r.status).toBe(200);
    expect(r.body.checks).toEqual([{ seq: ofA.seq, at: ofA.at, result: "other_tenant", reason: "made for another tenant" }, { seq: ofB.seq, at: ofB.at, result: "matches" }]);
    expect(r.text).not.toContain(a.subdomain);
  });

  it("answers malformed checks 422 (none, more than 100, a field too many or missing, a bad hash) and an unknown key as unsigned", async () => {
    const a = await buildTenant(t, "ckpapibad");
    await someWrites(a, 1);
    const c = await checkpointOf(a);
    for (const body of [[], Array.from({ length: 101 }, () => c), [{ ...c, extra: 1 }], [{ ...c, hash: "00" }], [{ ...c, signature: undefined }], ["not a checkpoint"]]) {
      const r = await check(a, body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(r.body.error).toBe("RecordInvalid");
    }
    expect((await a.api("POST", "/api/v2/audit_logs/checkpoints/check.json", { checkpoints: [c], more: true })).status).toBe(422);
    const other = crypto.generateKeyPairSync("ed25519");
    const foreignKey = String(other.publicKey.export({ format: "jwk" }).x);
    const r = await check(a, [{ ...c, key: foreignKey, signature: crypto.sign(null, Buffer.from([c.format, c.tenant_id, String(c.seq), c.hash, c.at].join("\n")), other.privateKey).toString("base64url") }]);
    expect(r.body.checks).toEqual([expect.objectContaining({ result: "unsigned", reason: "not signed with this installation's checkpoint key" })]);
  });
});

describe("audit checkpoints with a token that reads audit logs only", () => {
  it("takes a checkpoint with auditlogs:read; the check, a POST, is refused naming a scope that can be given (write)", async () => {
    const a = await buildTenant(t, "ckpscope");
    const made = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "audit reader", scopes: ["auditlogs:read"] } });
    expect(made.status, made.text).toBe(201);
    const as = { email: a.ownerEmail, token: made.body.api_token.token as string };
    const got = await a.api("GET", "/api/v2/audit_logs/checkpoint.json", undefined, as);
    expect(got.status, got.text).toBe(200);
    const refused = await a.api("POST", "/api/v2/audit_logs/checkpoints/check.json", { checkpoints: [got.body.checkpoint] }, as);
    expect(refused.status).toBe(403);
    expect(refused.body.description).toBe("This token lacks the 'write' scope.");
    // The scope it names is one a token can be given.
    const wider = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "audit checker", scopes: ["auditlogs:read", "write"] } });
    expect(wider.status, wider.text).toBe(201);
    const ok = await a.api("POST", "/api/v2/audit_logs/checkpoints/check.json", { checkpoints: [got.body.checkpoint] }, { email: a.ownerEmail, token: wider.body.api_token.token as string });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.checks).toEqual([{ seq: got.body.checkpoint.seq, at: got.body.checkpoint.at, result: "matches" }]);
  });
});
