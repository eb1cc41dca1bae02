import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EICAR, startClamd, type Clamd } from "../support/clamd.ts";
import { apiCall, expectAccessible, expectInert, firstAccount, shot, signIn, startHarness, visible, type Harness } from "../e2e/support.ts";

/**
 * What the workspace shows of scanned files, in Chromium, with a real clamd: a clean file is a
 * download, EICAR is marked blocked and offers no link, and while clamd is down a new file says it
 * waits for the scan, then becomes a download once clamd is back.
 */

const PASSWORD = "Correct horse battery 9";
let clamd: Clamd;
let h: Harness;
let auth: Record<string, string> = {};

const call = (method: string, p: string, opts: { body?: unknown; raw?: Buffer } = {}) => apiCall(h, method, p, { ...opts, headers: auth });
const upload = async (name: string, bytes: Buffer) => (await call("POST", `/api/v2/uploads.json?filename=${encodeURIComponent(name)}`, { raw: bytes })).body.upload;
async function scanStatus(id: number): Promise<string> {
  return (await call("GET", `/api/v2/attachments/${id}.json`)).body.attachment.scan_status;
}

beforeAll(async () => {
  clamd = await startClamd();
  h = await startHarness({ VAULTDESK_CLAMD: `unix:${clamd.socket}`, VAULTDESK_SCAN_RETRY_SECONDS: "0.3", VAULTDESK_JOB_POLL_SECONDS: "0.2" });
  auth = await firstAccount(h, PASSWORD);
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
