import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlobStore, putSealed } from "../src/platform/blobs/index.ts";
import { removeOrphanFiles, sweepUploads } from "../src/modules/tickets/attachments-upkeep.ts";
import { ScannerUnavailableError } from "../src/platform/malware-scan.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, signInByMail, type Session } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Attachments over real HTTP: Zendesk's upload flow, downloads through links signed for one user,
 * who may see which file, types detected from the content, limits, redaction, and what an
 * attacker with an account tries: another person's token, another person's link, another tenant's
 * id, a program renamed to .pdf.
 */

let t: TestApp;
let smtp: SmtpPeer;
let clock = Date.now();

beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" }, now: () => new Date(clock) });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const PDF = Buffer.concat([Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "latin1"), crypto.randomBytes(3000)]);
/** A real 1×1 PNG. */
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
const EXE = Buffer.concat([Buffer.from("MZ"), Buffer.alloc(58), Buffer.from([0x80, 0, 0, 0]), Buffer.alloc(64), Buffer.from("PE\0\0"), crypto.randomBytes(200)]);

type Who = { email: string; token: string } | Session | null;
const basic = (w: { email: string; token: string }) => "Basic " + Buffer.from(`${w.email}/token:${w.token}`).toString("base64");

/** A raw upload as a Zendesk client sends it. */
function upload(a: TestTenant, who: Who, name: string, bytes: Buffer, opts: { token?: string; type?: string; headers?: Record<string, string> } = {}) {
  const q = new URLSearchParams({ filename: name, ...(opts.token ? { token: opts.token } : {}) });
  const auth: Record<string, string> = who === null ? {} : "cookie" in who ? { cookie: who.cookie, "x-csrf-token": who.csrf } : { authorization: basic(who) };
  return t.request({ method: "POST", path: `/api/v2/uploads.json?${q}`, host: a.host, rawBody: bytes, headers: { "content-type": opts.type ?? "application/binary", ...auth, ...opts.headers } });
}
const owner = (a: TestTenant) => ({ email: a.ownerEmail, token: a.ownerToken });
/** Fetches a content_url as `who` (path and query only: the host is the tenant's). */
function fetchUrl(a: TestTenant, who: Who, url: string) {
  const u = new URL(url);
  const auth: Record<string, string> = who === null ? {} : "cookie" in who ? { cookie: who.cookie } : { authorization: basic(who) };
  return t.request({ method: "GET", path: u.pathname + u.search, host: a.host, headers: auth });
}
const blobFiles = (tenantId: string) => {
  const dir = path.join(t.config.blobDir, tenantId, "attachments");
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
};

describe("uploads and comments", () => {
  it("upload, attach to a ticket, list and download: the bytes come back as a download, sealed at rest", async () => {
    const a = await buildTenant(t, "attup");
    const first = await upload(a, owner(a), "quote 2026.pdf", PDF, { type: "application/pdf" });
    expect(first.status, first.text).toBe(201);
    const token = first.body.upload.token as string;
    expect(first.body.upload.attachment).toMatchObject({ file_name: "quote 2026.pdf", content_type: "application/pdf", size: PDF.length, scan_status: "not_scanned", deleted: false });
    // A second file joins the same upload.
    const second = await upload(a, owner(a), "screen.png", PNG, { token, type: "application/octet-stream" });
    expect(second.status, second.text).toBe(201);
    expect(second.body.upload.token).toBe(token);
    expect(second.body.upload.attachments.map((x: { file_name: string }) => x.file_name)).toEqual(["quote 2026.pdf", "screen.png"]);
    expect(second.body.upload.attachment.content_type).toBe("image/png");
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "With files", comment: { body: "see attached", uploads: [token] } } });
    expect(c.status, c.text).toBe(201);
    const comments = (await a.api("GET", `/api/v2/tickets/${c.body.ticket.id}/comments.json`)).body.comments;
    const files = comments[0].attachments;
    expect(files.map((f: { file_name: string }) => f.file_name)).toEqual(["quote 2026.pdf", "screen.png"]);
    const got = await fetchUrl(a, owner(a), files[0].content_url);
    expect(got.status).toBe(200);
    expect(got.raw.equals(PDF)).toBe(true);
    expect(got.headers["content-type"]).toBe("application/pdf");
    expect(got.headers["content-disposition"]).toBe(`attachment; filename="quote 2026.pdf"`);
    expect(got.headers["x-content-type-options"]).toBe("nosniff");
    expect(got.headers["content-security-policy"]).toBe("default-src 'none'; sandbox");
    expect(got.headers["cache-control"]).toBe("private, no-store");
    // Nothing of the file, nor its name, is readable in the blob folder.
    const stored = blobFiles(a.tenantId);
    expect(stored).toHaveLength(2);
    for (const f of stored) {
      const bytes = fs.readFileSync(path.join(t.config.blobDir, a.tenantId, "attachments", f));
      expect(bytes.includes(PDF.subarray(0, 64))).toBe(false);
      expect(bytes.includes(Buffer.from("quote 2026"))).toBe(false);
    }
    // The token was used: it carries nothing to another comment.
    const again = await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "again", uploads: [token] } } });
    expect(again.status).toBe(422);
    expect(again.body.details["comment.uploads"][0].error).toBe("InvalidValue");
  });

  it("names a file by its content: a program called .pdf is refused, and so is a blocked extension", async () => {
    const a = await buildTenant(t, "atttype");
    const before = blobFiles(a.tenantId).length;
    const disguised = await upload(a, owner(a), "invoice.pdf", EXE, { type: "application/pdf" });
    expect(disguised.status, disguised.text).toBe(422);
    expect(disguised.body.details.filename[0].description).toMatch(/\.exe/);
    const script = await upload(a, owner(a), "run.BAT", Buffer.from("echo hello\r\n"));
    expect(script.status).toBe(422);
    expect(blobFiles(a.tenantId).length).toBe(before);
    // Text is text, whatever the client called it; unknown bytes are octet-stream.
    expect((await upload(a, owner(a), "notes", Buffer.from("Plain words, åäö, 日本語.\n"), { type: "image/png" })).body.upload.attachment.content_type).toBe("text/plain");
    expect((await upload(a, owner(a), "data.bin", crypto.randomBytes(500))).body.upload.attachment.content_type).toBe("application/octet-stream");
  });

  it("refuses a file over the tenant's limit, said up front or found while streaming, and keeps nothing", async () => {
    const a = await buildTenant(t, "attsize");
    expect((await a.api("PUT", "/api/v2/attachment_settings.json", { settings: { max_bytes: 2048 } })).status).toBe(200);
    const big = await upload(a, owner(a), "big.bin", crypto.randomBytes(4096));
    expect(big.status).toBe(413);
    // Sent in chunks with no length said: refused when the limit is passed while streaming.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port: t.port, method: "POST", path: "/api/v2/uploads.json?filename=big.bin", headers: { host: a.host, "content-type": "application/binary", authorization: basic(owner(a)) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      for (let i = 0; i < 4; i++) req.write(crypto.randomBytes(1024));
      req.end();
    });
    expect(chunked).toBe(413);
    expect(blobFiles(a.tenantId)).toEqual([]);
    expect((await upload(a, owner(a), "small.bin", crypto.randomBytes(2048))).status).toBe(201);
    // Above the installation's ceiling is refused.
    const over = await a.api("PUT", "/api/v2/attachment_settings.json", { settings: { max_bytes: t.config.attachmentMaxBytes + 1 } });
    expect(over.status).toBe(422);
  });

  it("lets only the uploader use or delete an upload token", async () => {
    const a = await buildTenant(t, "atttok");
    const agent = await buildUser(t, a, "agent");
    const mine = await upload(a, owner(a), "mine.txt", Buffer.from("owner's file"));
    const token = mine.body.upload.token as string;
    // Another agent cannot attach it, add to it or delete it.
    const asAgent = { email: agent.email, token: agent.token! };
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "stolen", uploads: [token] } } }, asAgent);
    expect(c.status).toBe(422);
    expect((await upload(a, asAgent, "add.txt", Buffer.from("x"), { token })).status).toBe(422);
    expect((await t.request({ method: "DELETE", path: `/api/v2/uploads/${token}.json`, host: a.host, headers: { authorization: basic(asAgent) } })).status).toBe(404);
    // Nor can anyone see it before it is attached.
    const id = mine.body.upload.attachment.id;
    expect((await a.api("GET", `/api/v2/attachments/${id}.json`, undefined, asAgent)).status).toBe(404);
    expect((await a.api("GET", `/api/v2/attachments/${id}.json`)).status).toBe(200);
    // The uploader deletes it: the file is gone.
    expect((await t.request({ method: "DELETE", path: `/api/v2/uploads/${token}.json`, host: a.host, headers: { authorization: basic(owner(a)) } })).status).toBe(204);
    expect((await a.api("GET", `/api/v2/attachments/${id}.json`)).status).toBe(404);
    expect(blobFiles(a.tenantId)).toEqual([]);
  });

  it("removes uploads no comment took within a day, with their files", async () => {
    const a = await buildTenant(t, "attexp");
    const old = await upload(a, owner(a), "forgotten.txt", Buffer.from("never attached"));
    expect(blobFiles(a.tenantId)).toHaveLength(1);
    clock += 25 * 3600_000;
    try {
      expect((await upload(a, owner(a), "fresh.txt", Buffer.from("new"))).status).toBe(201);
      // The job runner's upkeep (every 10 minutes on the deployment's clock) removes it; it goes
      // through every tenant of the database.
      const end = Date.now() + 30_000;
      while (blobFiles(a.tenantId).length > 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(blobFiles(a.tenantId)).toHaveLength(1);
      const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "late", comment: { body: "x", uploads: [old.body.upload.token] } } });
      expect(c.status).toBe(422);
      expect((await a.api("GET", `/api/v2/attachments/${old.body.upload.attachment.id}.json`)).status).toBe(404);
    } finally {
      clock -= 25 * 3600_000;
    }
  });
});

describe("downloads", () => {
  it("work only for the signed-in user the link was made for, until it expires", async () => {
    const a = await buildTenant(t, "attdl");
    const agent = await buildUser(t, a, "agent");
    const asAgent = { email: agent.email, token: agent.token! };
    const up = await upload(a, owner(a), "plan.txt", Buffer.from("the plan"));
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "plan", uploads: [up.body.upload.token] } } });
    const id = c.body.ticket.id;
    const ownerLink = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments[0].attachments[0].content_url as string;
    // The agent may see the file, but not through the owner's link; nobody without credentials.
    expect((await fetchUrl(a, asAgent, ownerLink)).status).toBe(404);
    expect((await fetchUrl(a, null, ownerLink)).status).toBe(401);
    const agentLink = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`, undefined, asAgent)).body.comments[0].attachments[0].content_url as string;
    expect((await fetchUrl(a, asAgent, agentLink)).text).toBe("the plan");
    // A changed expiry breaks the signature; an expired link is refused with a way forward.
    const forged = new URL(agentLink);
    forged.searchParams.set("expires", String(Number(forged.searchParams.get("expires")) + 3600));
    expect((await fetchUrl(a, asAgent, forged.toString())).status).toBe(404);
    clock += 20 * 60_000;
    try {
      const late = await fetchUrl(a, asAgent, agentLink);
      expect(late.status).toBe(403);
      expect(late.body.description).toMatch(/expired/);
    } finally {
      clock -= 20 * 60_000;
    }
  });

  it("show an end user the files of public comments on their own requests only", async () => {
    const a = await buildTenant(t, "atteu");
    const customer = await buildUser(t, a, "end-user", "Customer");
    const other = await buildUser(t, a, "end-user", "Other");
    const pub = await upload(a, owner(a), "public.txt", Buffer.from("for the customer"));
    const note = await upload(a, owner(a), "internal.txt", Buffer.from("staff only"));
    const theirs = await upload(a, owner(a), "theirs.txt", Buffer.from("other's"));
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", requester_id: customer.id, comment: { body: "hello", uploads: [pub.body.upload.token] } } });
    await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "note", public: false, uploads: [note.body.upload.token] } } });
    await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "y", requester_id: other.id, comment: { body: "hi", uploads: [theirs.body.upload.token] } } });
    const session = await signInByMail(t, smtp, a, customer.email);
    const comments = await asSession(t, a, session, "GET", `/api/v2/requests/${c.body.ticket.id}/comments.json`);
    expect(comments.status, comments.text).toBe(200);
    const files = comments.body.comments.flatMap((x: { attachments: Array<{ file_name: string; content_url: string }> }) => x.attachments);
    expect(files.map((f: { file_name: string }) => f.file_name)).toEqual(["public.txt"]);
    expect((await fetchUrl(a, session, files[0].content_url)).text).toBe("for the customer");
    expect((await asSession(t, a, session, "GET", `/api/v2/attachments/${note.body.upload.attachment.id}.json`)).status).toBe(404);
    expect((await asSession(t, a, session, "GET", `/api/v2/attachments/${theirs.body.upload.attachment.id}.json`)).status).toBe(404);
  });

  it("never reach another tenant's file, whatever id or link is tried", async () => {
    const a = await buildTenant(t, "attiso");
    const b = await buildTenant(t, "attisb");
    const up = await upload(a, owner(a), "secret.txt", Buffer.from("tenant a's"));
    await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "x", uploads: [up.body.upload.token] } } });
    const link = new URL((await a.api("GET", `/api/v2/attachments/${up.body.upload.attachment.id}.json`)).body.attachment.content_url);
    expect((await b.api("GET", `/api/v2/attachments/${up.body.upload.attachment.id}.json`)).status).toBe(404);
    expect((await t.request({ method: "GET", path: link.pathname + link.search, host: b.host, headers: { authorization: basic(owner(b)) } })).status).toBe(404);
    // Tenant b's owner cannot use tenant a's token either.
    const c = await b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "x", uploads: [up.body.upload.token] } } });
    expect(c.status).toBe(422);
  });
});

describe("the help center", () => {
  it("takes files with an anonymous request, and a signed-in customer's reply", async () => {
    const a = await buildTenant(t, "atthc");
    const anon = await upload(a, null, "photo.png", PNG, { type: "image/png" });
    expect(anon.status, anon.text).toBe(201);
    expect(anon.body.upload.attachment.content_url).toBeNull();
    const email = `customer-${crypto.randomBytes(3).toString("hex")}@example.test`;
    const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, body: { request: { subject: "Broken", comment: { body: "see photo", uploads: [anon.body.upload.token] }, requester: { name: "Cus Tomer", email } } } });
    expect(r.status, r.text).toBe(201);
    const files = (await a.api("GET", `/api/v2/tickets/${r.body.request.id}/comments.json`)).body.comments[0].attachments;
    expect(files.map((f: { file_name: string }) => f.file_name)).toEqual(["photo.png"]);
    // A signed-in customer's upload goes with their reply; an anonymous token does not.
    const session = await signInByMail(t, smtp, a, email);
    const anon2 = await upload(a, null, "x.txt", Buffer.from("x"));
    const refused = await asSession(t, a, session, "PUT", `/api/v2/requests/${r.body.request.id}.json`, { request: { comment: { body: "more", uploads: [anon2.body.upload.token] } } });
    expect(refused.status).toBe(422);
    const mine = await upload(a, session, "log.txt", Buffer.from("the log"));
    expect(mine.status, mine.text).toBe(201);
    const reply = await asSession(t, a, session, "PUT", `/api/v2/requests/${r.body.request.id}.json`, { request: { comment: { body: "log attached", uploads: [mine.body.upload.token] } } });
    expect(reply.status, reply.text).toBe(200);
    // Customers' files can be turned off.
    await a.api("PUT", "/api/v2/attachment_settings.json", { settings: { end_users_may_attach: false } });
    expect((await upload(a, null, "y.txt", Buffer.from("y"))).status).toBe(403);
    expect((await upload(a, session, "y.txt", Buffer.from("y"))).status).toBe(403);
    expect((await upload(a, owner(a), "y.txt", Buffer.from("y"))).status).toBe(201);
  });
});

describe("redaction and settings", () => {
  it("redaction deletes the bytes and leaves a redacted.txt that cannot be downloaded", async () => {
    const a = await buildTenant(t, "attred");
    const light = await buildUser(t, a, "light-agent");
    const up = await upload(a, owner(a), "card.txt", Buffer.from("4111 1111 1111 1111"));
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "x", uploads: [up.body.upload.token] } } });
    const comment = (await a.api("GET", `/api/v2/tickets/${c.body.ticket.id}/comments.json`)).body.comments[0];
    const file = comment.attachments[0];
    const redactPath = `/api/v2/tickets/${c.body.ticket.id}/comments/${comment.id}/attachments/${file.id}/redact.json`;
    expect((await a.api("PUT", redactPath, undefined, { email: light.email, token: light.token! })).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}/comments/${comment.id + 1}/attachments/${file.id}/redact.json`)).status).toBe(404);
    const r = await a.api("PUT", redactPath);
    expect(r.status, r.text).toBe(200);
    expect(r.body.attachment).toMatchObject({ file_name: "redacted.txt", deleted: true, content_url: null, size: 0 });
    expect(blobFiles(a.tenantId)).toEqual([]);
    expect((await fetchUrl(a, owner(a), file.content_url)).status).toBe(410);
  });

  it("are an admin's: agents cannot read or change them; turned off, nobody uploads", async () => {
    const a = await buildTenant(t, "attset");
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("GET", "/api/v2/attachment_settings.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    const s = await a.api("GET", "/api/v2/attachment_settings.json");
    expect(s.body.settings).toMatchObject({ enabled: true, end_users_may_attach: true, scanning: false, allowed_types: null });
    expect(s.body.settings.blocked_extensions).toContain("exe");
    const only = await a.api("PUT", "/api/v2/attachment_settings.json", { settings: { allowed_types: ["image/*", "application/pdf"], blocked_extensions: [".EXE", "bat"] } });
    expect(only.body.settings).toMatchObject({ allowed_types: ["image/*", "application/pdf"], blocked_extensions: ["exe", "bat"] });
    expect((await upload(a, owner(a), "a.txt", Buffer.from("text"))).status).toBe(422);
    expect((await upload(a, owner(a), "a.png", PNG)).status).toBe(201);
    await a.api("PUT", "/api/v2/attachment_settings.json", { settings: { enabled: false } });
    expect((await upload(a, owner(a), "a.png", PNG)).status).toBe(403);
  });
});

describe("upkeep", () => {
  it("removes stored files that no live attachment names once they are an hour old, and keeps the rest", async () => {
    const a = await buildTenant(t, "attorphan");
    const kept = await upload(a, owner(a), "kept.txt", Buffer.from("kept"));
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "kept", comment: { body: "x", uploads: [kept.body.upload.token] } } });
    expect(c.status).toBe(201);
    // A file no row names: what a process killed between storing a file and recording it leaves.
    const blobs = createBlobStore(t.config);
    const sealer = await t.db.tenant(a.tenantId, (tx) => t.keyring.sealerFor(tx));
    const strayId = crypto.randomUUID();
    await putSealed(blobs, sealer, { purpose: "attachments", id: strayId }, (async function* () { yield Buffer.from("stray"); })());
    expect(blobFiles(a.tenantId)).toHaveLength(2);
    const deps = { db: t.db, keyring: t.keyring, blobs, scanner: undefined, config: t.config };
    // Younger than an hour: it may be an upload about to be recorded.
    await removeOrphanFiles(deps, Date.now());
    expect(blobFiles(a.tenantId)).toHaveLength(2);
    await removeOrphanFiles(deps, Date.now() + 2 * 3600_000);
    expect(blobFiles(a.tenantId)).toEqual([(await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("attachments").select("id").executeTakeFirstOrThrow())).id]);
    const link = (await a.api("GET", `/api/v2/attachments/${kept.body.upload.attachment.id}.json`)).body.attachment.content_url as string;
    expect((await fetchUrl(a, owner(a), link)).text).toBe("kept");
  });

  it("goes on past a tenant it cannot work on, and says afterwards how many it could not", async () => {
    // A tenant whose keys cannot be read (here: deleted under it), listed before a healthy one.
    const broken = await buildTenant(t, "attbroken");
    const healthy = await buildTenant(t, "atthealthy");
    const forgotten = await upload(healthy, owner(healthy), "forgotten.txt", Buffer.from("never attached"));
    expect(forgotten.status).toBe(201);
    await t.db.system(async (conn) => {
      await t.db.setTenant(conn, broken.tenantId);
      await conn.deleteFrom("tenant_keys").where("tenant_id", "=", broken.tenantId).execute();
    });
    t.keyring.forget(broken.tenantId);
    // With a scanner configured the pass opens each tenant's keys (to queue never-scanned files).
    const scanner = { scan: async () => Promise.reject(new ScannerUnavailableError("not used here")) };
    const deps = { db: t.db, keyring: t.keyring, blobs: createBlobStore(t.config), scanner, config: t.config };
    await expect(sweepUploads(deps, new Date(Date.now() + 25 * 3600_000))).rejects.toThrow(/did not finish for 1 tenant\(s\)/);
    // The healthy tenant, after the broken one, was done all the same.
    expect(blobFiles(healthy.tenantId)).toEqual([]);
    expect((await healthy.api("GET", `/api/v2/attachments/${forgotten.body.upload.attachment.id}.json`)).status).toBe(404);
  });
});
