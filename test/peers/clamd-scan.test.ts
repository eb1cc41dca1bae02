import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeContext } from "../../src/platform/context.ts";
import { createClamdScanner } from "../../src/platform/malware-scan.ts";
import { downloadUrl } from "../../src/modules/tickets/attachments-service.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "../support/harness.ts";
import { EICAR, startClamd, type Clamd } from "../support/clamd.ts";

/**
 * Malware scanning with a real clamd (Debian's clamav-daemon, started here on a unix socket with a
 * signature database that matches EICAR): a clean file is served once scanned, EICAR is
 * quarantined and never served, and while clamd is down files wait ("pending"), unserved, until it
 * is back.
 */

let clamd: Clamd;
let t: TestApp;

beforeAll(async () => {
  clamd = await startClamd();
  t = await startTestApp({ env: { VAULTDESK_CLAMD: `unix:${clamd.socket}`, VAULTDESK_SCAN_RETRY_SECONDS: "0.2", VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
});
afterAll(async () => {
  await t?.close();
  await clamd?.close();
});

const auth = (a: TestTenant) => ({ authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") });
const upload = (a: TestTenant, name: string, bytes: Buffer) =>
  t.request({ method: "POST", path: `/api/v2/uploads.json?filename=${encodeURIComponent(name)}`, host: a.host, rawBody: bytes, headers: { ...auth(a), "content-type": "application/octet-stream" } });
const show = async (a: TestTenant, id: number) => (await a.api("GET", `/api/v2/attachments/${id}.json`)).body.attachment;
async function settled(a: TestTenant, id: number, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await show(a, id);
    if (v.scan_status !== "pending") return v;
    if (Date.now() > end) throw new Error(`attachment ${id} still pending`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
/** A link signed for the owner, made even for a file that may not be served (the route must refuse it). */
async function ownerLink(a: TestTenant, id: number): Promise<string> {
  return t.db.tenant(a.tenantId, async (tx) => {
    const row = await tx.db.selectFrom("attachments").select(["id", "nice_id"]).where("nice_id", "=", id).executeTakeFirstOrThrow();
    const owner = await tx.db.selectFrom("users").select("id").where("role", "=", "owner").executeTakeFirstOrThrow();
    return downloadUrl(makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => new Date(), apiBase: `http://${a.host}/api/v2` }), row, owner.id);
  });
}
const get = (a: TestTenant, url: string) => {
  const u = new URL(url);
  return t.request({ method: "GET", path: u.pathname + u.search, host: a.host, headers: auth(a) });
};

describe("malware scanning with clamd", () => {
  it("serves a clean file only once scanned, and quarantines EICAR for good", async () => {
    const a = await buildTenant(t, "clam");
    const clean = await upload(a, "report.bin", crypto.randomBytes(300_000));
    expect(clean.status, clean.text).toBe(201);
    expect(clean.body.upload.attachment).toMatchObject({ scan_status: "pending", content_url: null, malware_scan_result: "not_scanned" });
    const bad = await upload(a, "totally-safe.txt", Buffer.concat([Buffer.from("hello\n"), EICAR]));
    expect(bad.status).toBe(201);
    expect(await settled(a, clean.body.upload.attachment.id)).toMatchObject({ scan_status: "clean", malware_scan_result: "malware_not_found" });
    const infected = await settled(a, bad.body.upload.attachment.id);
    expect(infected).toMatchObject({ scan_status: "infected", malware_scan_result: "malware_found", content_url: null });
    // Attached to a comment, it shows as quarantined there too, and no signed link opens it.
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "files", comment: { body: "two files", uploads: [clean.body.upload.token, bad.body.upload.token] } } });
    expect(c.status, c.text).toBe(201);
    const files = (await a.api("GET", `/api/v2/tickets/${c.body.ticket.id}/comments.json`)).body.comments[0].attachments;
    expect(files.map((f: { scan_status: string }) => f.scan_status)).toEqual(["clean", "infected"]);
    expect((await get(a, files[0].content_url)).status).toBe(200);
    const refused = await get(a, await ownerLink(a, bad.body.upload.attachment.id));
    expect(refused.status).toBe(403);
    expect(refused.body.description).toMatch(/malware/);
    const trail = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=attachment.quarantined")).body.audit_logs;
    expect(trail).toHaveLength(1);
  });

  it("keeps files pending and unserved while clamd is down, and serves them once it is back", async () => {
    const a = await buildTenant(t, "clamdown");
    await clamd.stop();
    let id: number;
    try {
      const up = await upload(a, "waiting.txt", Buffer.from("waits for the scanner"));
      expect(up.status).toBe(201);
      id = up.body.upload.attachment.id;
      await new Promise((r) => setTimeout(r, 1500)); // several failed attempts
      expect((await show(a, id)).scan_status).toBe("pending");
      const early = await get(a, await ownerLink(a, id));
      expect(early.status).toBe(409);
      expect(early.headers["retry-after"]).toBeDefined();
    } finally {
      await clamd.start();
    }
    const v = await settled(a, id);
    expect(v.scan_status).toBe("clean");
    expect((await get(a, v.content_url)).text).toBe("waits for the scanner");
  });

  it("speaks INSTREAM over TCP as well, with memory for one chunk whatever the size", async () => {
    const scanner = createClamdScanner({ host: "127.0.0.1", port: clamd.port });
    async function* big() {
      for (let i = 0; i < 40; i++) yield crypto.randomBytes(256 * 1024); // 10 MiB
      yield EICAR;
    }
    expect(await scanner.scan(big())).toEqual({ result: "infected", signature: "Vaultdesk.Test.EICAR.UNOFFICIAL" });
    await expect(createClamdScanner({ host: "127.0.0.1", port: 1 }).scan((async function* () { yield Buffer.from("x"); })())).rejects.toThrow(/unavailable/);
  });

  it("records a file over clamd's StreamMaxLength as too large, without retrying it for ever", async () => {
    const small = await startClamd({ streamMaxLength: "1M" });
    try {
      async function* twoMiB() {
        for (let i = 0; i < 8; i++) yield crypto.randomBytes(256 * 1024);
      }
      // Told clamd's limit (VAULTDESK_CLAMD_MAX_BYTES), the scanner stops at it: a final answer.
      expect(await createClamdScanner({ socket: small.socket }, { maxBytes: 1024 * 1024 }).scan(twoMiB())).toEqual({ result: "too_large" });
      // Not told, it reads clamd's refusal when the connection lets it ("INSTREAM size limit
      // exceeded"); when clamd's reset loses the answer, the scan is "unavailable" and is tried again.
      // Never "clean".
      const unaware = createClamdScanner({ socket: small.socket });
      for (let i = 0; i < 3; i++) {
        const v = await unaware.scan(twoMiB()).catch((err: Error) => ({ result: err.name }));
        expect(["too_large", "ScannerUnavailableError"]).toContain(v.result);
      }
      // Under the limit it still scans.
      expect(await unaware.scan((async function* () { yield crypto.randomBytes(1000); })())).toEqual({ result: "clean" });
    } finally {
      await small.close();
    }
  });
});
