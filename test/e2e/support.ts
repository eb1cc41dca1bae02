import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";
import { seededDataDir } from "../support/data-dir-template.ts";
import { startServer, type ServerProcess } from "../support/process.ts";

/**
 * What every browser suite shares: the real server as a child process on an empty data folder,
 * Debian's Chromium (never a downloaded one) driven by playwright-core, and the checks every page
 * must pass — nothing from user content runs (no dialog, page error or CSP violation), axe-core's
 * WCAG A/AA rules, and screenshots written to test/e2e/screenshots/.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SHOTS = path.resolve("test/e2e/screenshots");
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export const XSS_IMG = `<img src=x onerror=alert(1)>`;
export const XSS_SCRIPT = `<script>alert(2)</script>`;
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export const visible = (l: Locator) => l.waitFor({ state: "visible", timeout: 20_000 });

export interface Harness {
  server: ServerProcess;
  /** The server's data folder (for the CLI: `cli(h.dataDir, …)`). */
  dataDir: string;
  browser: Browser;
  /** http://localhost:PORT — the bare base domain (the default tenant). */
  base: string;
  /** http://SUB.localhost:PORT */
  tenantUrl(subdomain: string): string;
  /** Everything a page did that it must not: dialogs, page errors, CSP violations. */
  incidents: string[];
  newPage(viewport?: { width: number; height: number }, opts?: { locale?: string }): Promise<Page>;
  close(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);
  // A data folder with its database already made (data-dir-template.ts): no account yet, as on a first start.
  const dir = await seededDataDir("vd-e2e-");
  const server = await startServer(dir, { HOST: "127.0.0.1", ...env });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
      // Tenant subdomains (beta.localhost) without DNS.
      "--host-resolver-rules=MAP * 127.0.0.1",
    ],
  });
  const incidents: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    server,
    dataDir: dir,
    browser,
    base: `http://localhost:${server.port}`,
    tenantUrl: (sub) => `http://${sub}.localhost:${server.port}`,
    incidents,
    async newPage(viewport = DESKTOP, opts = {}) {
      const locale = opts.locale ?? "en-US";
      const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1, locale, timezoneId: "UTC" });
      contexts.push(ctx);
      const page = await ctx.newPage();
      page.on("dialog", (d) => {
        incidents.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      page.on("pageerror", (e) => incidents.push(`page error: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) incidents.push(`CSP: ${m.text()}`);
      });
      return page;
    },
    async close() {
      for (const c of contexts) {
        // A test's route handler may still be awaiting the server's answer (a page polling job
        // statuses, say) when its page closes; that call then rejects unhandled ("Response has been
        // disposed") and fails the run. Unrouting first with ignoreErrors drops those late errors.
        for (const p of c.pages()) await p.unrouteAll({ behavior: "ignoreErrors" }).catch(() => undefined);
        await c.close().catch(() => undefined);
      }
      await browser.close();
      if (server.child.exitCode === null) {
        server.child.kill("SIGTERM");
        await server.exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A full-page screenshot of a settled page, to test/e2e/screenshots/NAME.png. */
export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  // Settled pages only: no hover effect from the last click, counts loaded.
  await page.mouse.move(0, 0);
  await expect.poll(() => page.locator(".count", { hasText: "…" }).count()).toBe(0);
  // Written beside, then renamed, so a failed run never leaves half a file.
  await page.screenshot({ path: `${file}.tmp`, fullPage: true, animations: "disabled", caret: "hide", type: "png" });
  fs.renameSync(`${file}.tmp`, file);
}

/** Nothing from the payloads became markup, and nothing ran. */
export async function expectInert(h: Harness, page: Page): Promise<void> {
  const found = {
    handlers: await page.locator("[onerror], [onload], [onclick], [onmouseover]").count(),
    imgs: await page.locator("#root img").count(),
    inlineScripts: await page.locator("script:not([src])").count(),
  };
  expect(found).toEqual({ handlers: 0, imgs: 0, inlineScripts: 0 });
  expect(h.incidents).toEqual([]);
}

/** axe-core's WCAG 2 A/AA rules on the page as shown (evaluated over CDP, which CSP does not govern). */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  // In-page code as a string: this file is type-checked without the DOM library.
  const violations = await page.evaluate<string[]>(`
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
      .then((r) => r.violations.map((v) => v.id + ": " + JSON.stringify(v.nodes.map((n) => n.target))))
  `);
  expect(violations, `accessibility of ${what}`).toEqual([]);
}

/**
 * Has the server's "sign in again" answer (403 RecentSignInRequired, `doing` completing "To …")
 * given to the page's `method` requests to `url` until the answer's `stop` is called: the answer a
 * session signed in longer ago than 15 minutes gets (test/recent-sign-in.test.ts makes real ones),
 * so a page's handling of it is tried without waiting.
 */
export async function refuseAsNotRecent(page: Page, url: string, doing: string, method = "POST"): Promise<{ stop: () => Promise<void> }> {
  await page.route(url, (route) =>
    route.request().method() === method
      ? route.fulfill({ status: 403, contentType: "application/json", body: JSON.stringify({ error: "RecentSignInRequired", description: `To ${doing}, sign in again.` }) })
      : route.continue(),
  );
  return { stop: () => page.unroute(url) };
}

/** Fills and submits the agent sign-in form (English). */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await visible(page.getByRole("heading", { name: "Sign in" }));
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** Signs in on the help center's page with a password (English), opening the password form when e-mail sign-in is offered. */
export async function signInHelpCenter(h: Harness, page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${h.base}/signin`);
  await visible(page.getByRole("heading", { name: "Sign in", level: 1 }));
  const label = "Support staff, or given a password? Sign in with a password";
  if ((await page.locator("details.password-signin").getAttribute("open")) === null) await page.getByText(label).click();
  const form = page.getByRole("form", { name: label });
  await form.getByLabel("E-mail address").fill(email);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in with password" }).click();
  await visible(page.getByText(/^Signed in as /));
}

/** A plain HTTP GET to the server with a chosen Host header. */
export function httpGet(
  h: Harness,
  p: string,
  host: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port: h.server.port, path: p, headers: { host, ...headers } }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      })
      .on("error", reject);
  });
}

/** Any JSON answer of the API. any: the shapes vary by route, and tests read what they need. */
type Json = any;

/** A JSON (or raw bytes) call to the server on the bare host (the default tenant). */
export function apiCall(h: Harness, method: string, p: string, opts: { body?: unknown; raw?: Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Json; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const payload = opts.raw ?? (opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body)));
    const type = opts.raw ? "application/octet-stream" : "application/json";
    const req = http.request({ host: "127.0.0.1", port: h.server.port, method, path: p, headers: { host: "localhost", ...(payload ? { "content-type": type, "content-length": String(payload.length) } : {}), ...opts.headers } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: res.headers }));
    });
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/**
 * The first account through the setup link the server printed (Acme Support, owner Ann Owner
 * <ann@acme.test>), and the owner's session as headers for apiCall (cookie and CSRF token).
 */
export async function firstAccount(h: Harness, password: string): Promise<Record<string, string>> {
  const setupUrl = /(http:\/\/\S+\/setup\?token=\S+)/.exec(h.server.output())?.[1];
  if (!setupUrl) throw new Error("the server printed no setup link");
  const token = new URL(setupUrl).searchParams.get("token");
  const r = await apiCall(h, "POST", "/api/v2/setup.json", { body: { token, account: { name: "Acme Support", subdomain: "acme" }, owner: { name: "Ann Owner", email: "ann@acme.test", password } } });
  if (r.status !== 201) throw new Error(`setup answered ${r.status} ${JSON.stringify(r.body)}`);
  const s = await apiCall(h, "POST", "/api/v2/session.json", { body: { email: "ann@acme.test", password } });
  const cookie = (s.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!;
  return { cookie, "x-csrf-token": s.body.session.csrf_token };
}

/**
 * A staff member the owner invites (`role`, an agent by default), signed in: their id, and their
 * session as headers for apiCall (cookie and CSRF token).
 */
export async function invitedStaff(h: Harness, owner: Record<string, string>, who: { name: string; email: string; password: string; role?: string }): Promise<{ id: number; session: Record<string, string> }> {
  const inv = await apiCall(h, "POST", "/api/v2/invitations.json", { headers: owner, body: { invitation: { email: who.email, role: who.role ?? "agent" } } });
  expect(inv.status, JSON.stringify(inv.body)).toBe(201);
  const acc = await apiCall(h, "POST", "/api/v2/invitations/accept.json", { body: { token: inv.body.invitation.token, name: who.name, password: who.password } });
  expect(acc.status, JSON.stringify(acc.body)).toBe(201);
  const s = await apiCall(h, "POST", "/api/v2/session.json", { body: { email: who.email, password: who.password } });
  const cookie = (s.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!;
  return { id: s.body.session.user_id as number, session: { cookie, "x-csrf-token": s.body.session.csrf_token } };
}

/** Waits for a value: the two-core machine runs other work beside the browser, so longer than vitest's 1 s. */
export const poll = <T,>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });

/** The id of the element that has the focus. In-page code as a string: this file is type-checked without the DOM library. */
export const focusedId = (page: Page) => page.evaluate<string | null>("document.activeElement && document.activeElement.id");
