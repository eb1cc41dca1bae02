import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EICAR, startClamd, type Clamd } from "../support/clamd.ts";
import { expectAccessible, expectInert, shot, signIn, startHarness, visible, type Harness } from "../e2e/support.ts";

/**
 * What the workspace shows of scanned files, in Chromium, with a real clamd: a clean file is a
 * download, EICAR is marked blocked and offers no link, and while clamd is down a new file says it
 * waits for the scan, then becomes a download once clamd is back.
 */

const PASSWORD = "correct horse battery 9";
let clamd: Clamd;
let h: Harness;
let auth: Record<string, string> = {};

function call(method: string, path: string, opts: { body?: unknown; raw?: Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> { // any: JSON answers of several shapes
  return new Promise((resolve, reject) => {
    const payload = opts.raw ?? (opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body)));
    const type = opts.raw ? "application/octet-stream" : "application/json";
    const req = http.request({ host: "127.0.0.1", port: h.server.port, method, path, headers: { host: "localhost", ...(payload ? { "content-type": type, "content-length": String(payload.length) } : {}), ...auth, ...opts.headers } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: res.headers }));
    });
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}
const upload = async (name: string, bytes: Buffer) => (await call("POST", `/api/v2/uploads.json?filename=${encodeURIComponent(name)}`, { raw: bytes })).body.upload;
async function scanStatus(id: number): Promise<string> {
  return (await call("GET", `/api/v2/attachments/${id}.json`)).body.attachment.scan_status;
}

beforeAll(async () => {
  clamd = await startClamd();
  h = await startHarness({ VAULTDESK_CLAMD: `unix:${clamd.socket}`, VAULTDESK_SCAN_RETRY_SECONDS: "0.3", VAULTDESK_JOB_POLL_SECONDS: "0.2" });
  const setupUrl = /(http:\/\/\S+\/setup\?token=\S+)/.exec(h.server.output())?.[1];
  const token = new URL(setupUrl!).searchParams.get("token");
  expect((await call("POST", "/api/v2/setup.json", { body: { token, account: { name: "Acme Support", subdomain: "acme" }, owner: { name: "Ann Owner", email: "ann@acme.test", password: PASSWORD } } })).status).toBe(201);
  const s = await call("POST", "/api/v2/session.json", { body: { email: "ann@acme.test", password: PASSWORD } });
  auth = { cookie: (s.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!, "x-csrf-token": s.body.session.csrf_token };
});
afterAll(async () => {
  await h?.close();
  await clamd?.close();
});

describe("scanned files in the workspace", () => {
  it("offers a clean file, refuses EICAR, and shows a file waiting while clamd is down", async () => {
    const clean = await upload("notes.txt", Buffer.from("meeting notes\n"));
    const bad = await upload("invoice.txt", EICAR);
    const c = await call("POST", "/api/v2/tickets.json", { body: { ticket: { subject: "Files from the customer", comment: { body: "Two files attached.", uploads: [clean.token, bad.token] } } } });
    expect(c.status).toBe(201);
    const id = c.body.ticket.id as number;
    await expect.poll(() => scanStatus(clean.attachment.id), { timeout: 20_000 }).toBe("clean");
    await expect.poll(() => scanStatus(bad.attachment.id), { timeout: 20_000 }).toBe("infected");

    const page = await h.newPage();
    await page.goto(`${h.base}/agent/tickets/${id}`);
    await signIn(page, "ann@acme.test", PASSWORD);
    const files = page.getByRole("list", { name: "Attached files" }).first();
    await visible(files.getByRole("link", { name: "notes.txt" }));
    await visible(files.getByText("blocked: contains malware"));
    expect(await files.getByRole("link", { name: "invoice.txt" }).count()).toBe(0);
    // The clean file downloads, with its bytes.
    const [download] = await Promise.all([page.waitForEvent("download"), files.getByRole("link", { name: "notes.txt" }).click()]);
    expect(download.suggestedFilename()).toBe("notes.txt");
    // The API gives the quarantined file no link either.
    expect((await call("GET", `/api/v2/attachments/${bad.attachment.id}.json`)).body.attachment).toMatchObject({ content_url: null, malware_scan_result: "malware_found" });
    await shot(page, "workspace-scanned-files-desktop");
    await expectAccessible(page, "the ticket page with scanned files");
    await expectInert(h, page);

    // clamd stops: a new file waits, unserved, and says so.
    await clamd.stop();
    const later = await upload("later.txt", Buffer.from("sent while the scanner was down\n"));
    expect((await call("PUT", `/api/v2/tickets/${id}.json`, { body: { ticket: { comment: { body: "One more.", uploads: [later.token] } } } })).status).toBe(200);
    await page.reload();
    await visible(page.getByText("waiting for the virus scan"));
    expect(await page.getByRole("link", { name: "later.txt" }).count()).toBe(0);
    await clamd.start();
    await expect.poll(() => scanStatus(later.attachment.id), { timeout: 30_000 }).toBe("clean");
    await page.reload();
    await visible(page.getByRole("link", { name: "later.txt" }));
  });
});
