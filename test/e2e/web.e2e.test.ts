import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiTokenFrom, cli, startServer, type ServerProcess } from "../support/process.ts";

/**
 * The web app in Debian's Chromium (never a downloaded browser): first-run setup with the console
 * token, an agent's ticket work, inert XSS payloads, and a second tenant that sees none of it.
 * Every host name maps to 127.0.0.1 inside the browser, so tenant subdomains work without DNS.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = path.resolve("test/e2e/screenshots");
const XSS_SUBJECT = `<img src=x onerror=alert(1)> payload`;
const XSS_BODY = `<script>alert(2)</script> still text`;

let dir: string;
let server: ServerProcess;
let browser: Browser;
const dialogs: string[] = [];

async function newPage(width = 1280, height = 800): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height } });
  const page = await ctx.newPage();
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return page;
}

function raw(method: string, p: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      { host: "127.0.0.1", port: server.port, method, path: p, headers: { host: `beta.localhost:${server.port}`, "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)), ...headers } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

async function shot(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-e2e-"));
  server = await startServer(dir, { HOST: "127.0.0.1" });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic", "--host-resolver-rules=MAP * 127.0.0.1"],
  });
});

afterAll(async () => {
  await browser?.close();
  if (server && server.child.exitCode === null) {
    server.child.kill("SIGTERM");
    await server.exited;
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("web app", () => {
  it("creates the first account with the console token, then an agent works a ticket", async () => {
    const setupUrl = /(http:\/\/\S+\/setup\?token=\S+)/.exec(server.output())?.[1];
    expect(setupUrl, "the server prints a setup URL on an empty install").toBeTruthy();
    const page = await newPage();
    await page.goto(setupUrl!);
    await shot(page, "setup-desktop");
    await page.getByLabel("Team name").fill("Acme Support");
    await page.getByLabel("Subdomain").fill("acme");
    await page.getByLabel("Your name").fill("Ann Owner");
    await page.getByLabel("Your e-mail address").fill("ann@acme.test");
    await page.getByLabel(/^Password/).fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toMatch(/12 characters/);
    await page.getByLabel(/^Password/).fill("correct horse battery 9");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(/\/agent$/);
    await expect.poll(() => page.getByText("No tickets yet.").count()).toBe(1);

    // A ticket whose subject and body carry script payloads.
    await page.getByLabel("Subject").fill(XSS_SUBJECT);
    await page.getByLabel("Description").fill(XSS_BODY);
    await page.getByRole("button", { name: "Create ticket" }).click();
    await expect.poll(() => page.getByText(XSS_SUBJECT).count()).toBe(1);
    await shot(page, "tickets-desktop");
    await page.getByText(XSS_SUBJECT).click();
    await expect.poll(() => page.getByText(XSS_BODY).count()).toBe(1);

    // Public reply, then an internal note that is told apart, then solve.
    await page.locator("#comment-body").fill("We are on it.");
    await page.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => page.getByText("We are on it.").count()).toBe(1);
    await page.getByRole("radio", { name: "Internal note" }).check();
    await page.getByLabel("Internal note (only agents see it)").fill("Customer is on the VIP plan.");
    await page.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => page.locator(".comment.note").getByText("Customer is on the VIP plan.").count()).toBe(1);
    await page.getByLabel("Status").selectOption("solved");
    await page.getByRole("button", { name: "Send" }).click();
    await expect.poll(() => page.getByLabel("Status").inputValue()).toBe("solved");
    await shot(page, "ticket-desktop");

    // The payloads stayed text: no dialog, no element built from them.
    expect(dialogs).toEqual([]);
    expect(await page.locator("img[onerror], script:not([src])").count()).toBe(0);

    const phone = await newPage(390, 844);
    await phone.goto(`http://localhost:${server.port}/agent`);
    await phone.getByLabel("E-mail address").fill("ann@acme.test");
    await phone.getByLabel("Password").fill("correct horse battery 9");
    await phone.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => phone.getByText(XSS_SUBJECT).count()).toBe(1);
    await shot(phone, "tickets-phone");
  });

  it("shows a second tenant's agent none of the first tenant's tickets", async () => {
    const out = await cli(dir, "tenant", "create", "--subdomain", "beta", "--owner-email", "owner@beta.test");
    expect(out.code).toBe(0);
    apiTokenFrom(out.stdout);
    const otp = /^One-time password: (\S+)$/m.exec(out.stdout)![1]!;
    // The one-time password must be changed first; the change page is not built yet, so use the API.
    const signIn = await raw("POST", "/api/v2/session.json", { email: "owner@beta.test", password: otp });
    const cookie = String(signIn.headers["set-cookie"]?.[0] ?? "").split(";")[0]!;
    const csrf = (signIn.body as { session: { csrf_token: string } }).session.csrf_token;
    const changed = await raw("PUT", "/api/v2/users/me/password.json", { previous_password: otp, password: "another good passphrase 7" }, { cookie, "x-csrf-token": csrf });
    expect(changed.status).toBe(204);
    const page = await newPage();
    await page.goto(`http://beta.localhost:${server.port}/agent`);
    await page.getByLabel("E-mail address").fill("owner@beta.test");
    await page.getByLabel("Password").fill("another good passphrase 7");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByText("No tickets yet.").count()).toBe(1);
    expect(await page.getByText(XSS_SUBJECT).count()).toBe(0);
    expect(await page.content()).not.toContain("payload");
  });
});
