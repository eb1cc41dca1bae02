import type dgram from "node:dgram";
import fs from "node:fs";
import http from "node:http";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dnsServerAddress, nxdomainServer } from "../support/dns.ts";
import { message, send } from "../support/mail-in.ts";
import { freePort } from "../support/process.ts";
import { XSS_IMG, XSS_SCRIPT, expectAccessible, expectInert as expectInertIn, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * The admin center's mail pages in Chromium, with the real server and its SMTP server: the owner
 * sees the default support address, adds the team's own and blocks a domain; mail held back (a
 * spam mark; a subject and body carrying script payloads) is listed with its reason, shown as
 * text, recovered into a ticket and deleted. axe-core checks both pages; screenshots
 * admin-mail-*.png.
 */

const PASSWORD = "Correct horse battery 9";
let h: Harness;
let smtpPort: number;
let dns: dgram.Socket;

function post(path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request({ host: "127.0.0.1", port: h.server.port, method: "POST", path, headers: { host: "localhost", "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  smtpPort = await freePort();
  // The server's SPF/DKIM/DMARC lookups go to a DNS server of this test that knows no name: they
  // never reach the network, and the senders are simply unproven.
  dns = await nxdomainServer();
  h = await startHarness({ VAULTDESK_SMTP_LISTEN: `127.0.0.1:${smtpPort}`, VAULTDESK_JOB_POLL_SECONDS: "0.2", VAULTDESK_DNS_SERVERS: dnsServerAddress(dns) });
  const setupUrl = /(http:\/\/\S+\/setup\?token=\S+)/.exec(h.server.output())?.[1];
  const token = new URL(setupUrl!).searchParams.get("token");
  expect(await post("/api/v2/setup.json", { token, account: { name: "Acme Support", subdomain: "acme" }, owner: { name: "Ann Owner", email: "ann@acme.test", password: PASSWORD } })).toBe(201);
});

afterAll(async () => {
  await h?.close();
  dns?.close();
});

const nav = (page: Page, name: string) => page.getByRole("navigation", { name: "Admin center" }).getByRole("link", { name, exact: true });

describe("admin center: e-mail", () => {
  let owner: Page;

  it("shows the default support address, adds the team's own, and keeps a blocklist", async () => {
    owner = await h.newPage();
    await owner.goto(`${h.base}/admin`);
    await signIn(owner, "ann@acme.test", PASSWORD);
    await nav(owner, "Support addresses").click();
    await visible(owner.getByRole("heading", { name: "Support addresses" }));
    await visible(owner.getByRole("cell", { name: /support@acme\.localhost/ }));
    await owner.getByLabel("E-mail address").fill("help@acme-company.test");
    await owner.getByLabel("Name", { exact: true }).fill(`Help ${XSS_IMG}`);
    await owner.getByRole("button", { name: "Add address" }).click();
    await visible(owner.getByText("help@acme-company.test was added."));
    await visible(owner.getByRole("cell", { name: `Help ${XSS_IMG}` }));
    await visible(owner.getByRole("cell", { name: "Not checked" }));
    await owner.getByLabel("Addresses and domains").fill("@spam-sender.test");
    await owner.getByRole("button", { name: "Save" }).click();
    await visible(owner.getByText("Saved."));
    // A DKIM key for the team's domain: the record to publish is shown; DNS (a loopback server
    // that knows nothing) does not publish it, so it stays waiting.
    await owner.getByLabel("Your domain").fill("acme-company.test");
    await owner.getByRole("button", { name: "Make a key" }).click();
    await visible(owner.getByText("Key made for acme-company.test: publish the record below, then check it."));
    const key = owner.getByRole("region", { name: "DKIM signatures" }).getByRole("listitem").filter({ hasText: "acme-company.test" });
    await visible(key.getByText(/\._domainkey\.acme-company\.test$/));
    await visible(key.getByText(/^v=DKIM1; k=rsa; p=/));
    await key.getByRole("button", { name: "Check DNS" }).click();
    await visible(owner.getByText("DNS does not publish this key for acme-company.test yet. Changes can take a while to appear."));
    await visible(key.getByText("waiting for DNS"));
    await expectAccessible(owner, "support addresses");
    await expectInertIn(h, owner);
    await shot(owner, "admin-mail-addresses-desktop");
  });

  it("lists held mail with its reason as text, recovers one into a ticket and deletes another", async () => {
    const to = "support@acme.localhost";
    const spam = message({ from: "Mallory <mallory@elsewhere.test>", to, subject: `Cheap ${XSS_SCRIPT}`, text: `Click here ${XSS_IMG}`, headers: ["X-Spam-Flag: YES"] });
    expect((await send(smtpPort, { from: "mallory@elsewhere.test", to: [to] }, spam)).rejected).toEqual([]);
    const blocked = message({ from: "bulk@spam-sender.test", to, subject: "Blocked offer" });
    expect((await send(smtpPort, { from: "bulk@spam-sender.test", to: [to] }, blocked)).rejected).toEqual([]);
    await nav(owner, "Suspended tickets").click();
    await visible(owner.getByRole("heading", { name: "Suspended tickets" }));
    await expect.poll(async () => {
      await owner.reload();
      // The list, or the words saying it is empty, once loaded (the job may not have run yet).
      await owner.locator("main article, main .empty").first().waitFor({ timeout: 10_000 });
      return owner.getByRole("article").count();
    }, { timeout: 20_000 }).toBe(2);
    const held = owner.getByRole("article", { name: `Cheap ${XSS_SCRIPT}` });
    await visible(held.getByText("a spam filter marked it"));
    await visible(held.getByText(`Click here ${XSS_IMG}`));
    await visible(owner.getByRole("article", { name: "Blocked offer" }).getByText("the sender is blocked"));
    await expectAccessible(owner, "suspended tickets");
    await expectInertIn(h, owner);
    await shot(owner, "admin-mail-suspended-desktop");
    await owner.getByRole("button", { name: `Recover Cheap ${XSS_SCRIPT}` }).click();
    await visible(owner.getByText(/^Recovered into ticket #\d+\.$/));
    const ticketId = /#(\d+)/.exec((await owner.getByText(/^Recovered into ticket #\d+\.$/).textContent()) ?? "")![1]!;
    await owner.getByRole("button", { name: "Delete Blocked offer" }).click();
    await visible(owner.getByText("Deleted: Blocked offer"));
    await visible(owner.getByText("No suspended tickets."));
    await expectInertIn(h, owner);
    // In the workspace, the recovered ticket's comment says it came by e-mail and offers the original.
    await owner.goto(`${h.base}/agent/tickets/${ticketId}`);
    const comment = owner.getByRole("article").filter({ hasText: "Click here" });
    await visible(comment.getByText("by e-mail"));
    const link = comment.getByRole("link", { name: "Original message" });
    const [download] = await Promise.all([owner.waitForEvent("download"), link.click()]);
    const file = await download.path();
    expect(fs.readFileSync(file, "utf8")).toContain("X-Spam-Flag: YES");
    await expectInertIn(h, owner);
    await shot(owner, "ticket-email-desktop");
  });
});
