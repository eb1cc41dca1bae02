import fs from "node:fs";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, type ServerProcess } from "../support/process.ts";
import {
  PHONE,
  XSS_IMG,
  XSS_SCRIPT,
  expectAccessible,
  expectInert as expectInertIn,
  httpGet,
  shot,
  signIn,
  startHarness,
  visible,
  type Harness,
} from "./support.ts";

/**
 * The web app in a real browser: Debian's Chromium (never a downloaded one) driven by
 * playwright-core, against the real server started as a child process on an empty data folder.
 *
 * One story, in order: first-run setup with the console token; an agent creates a ticket,
 * replies, adds an internal note, assigns and solves it; the session ends mid-reply and the draft
 * survives signing in again; a second tenant's agent sees none of it. Script payloads ride in the
 * subject, bodies, names and tags all along and must stay inert: no dialog, no element built from
 * them, no page error, no Content-Security-Policy violation. axe-core checks every main page.
 * Screenshots of the main pages, at desktop and phone width, go to test/e2e/screenshots/.
 */

const XSS_SUBJECT = `${XSS_IMG} Printer on fire`;
const XSS_BODY = `${XSS_SCRIPT}\nThe printer in room 4 is on fire. ${XSS_IMG}`;
const XSS_OWNER = `Ann ${XSS_IMG}`;
const XSS_REQUESTER = `<script>alert(3)</script> Carol`;
const XSS_NOTE = `Internal: ${XSS_IMG} check the VIP plan`;
const PASSWORD = "Correct horse battery 9";

let h: Harness;
let server: ServerProcess;
let base: string;
const newPage = (viewport?: { width: number; height: number }) => h.newPage(viewport);
const expectInert = (page: Page) => expectInertIn(h, page);
const get = (p: string, host: string, headers: Record<string, string> = {}) => httpGet(h, p, host, headers);

function viewLink(page: Page, name: RegExp): Locator {
  return page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name });
}

async function countOf(page: Page, name: RegExp): Promise<string> {
  return (await viewLink(page, name).locator(".count").textContent()) ?? "";
}

beforeAll(async () => {
  h = await startHarness();
  server = h.server;
  base = h.base;
});

afterAll(async () => {
  await h?.close();
});

describe("web app in Chromium", () => {
  it("serves the pages under the strict CSP, and keeps API 404s in Zendesk's shape", async () => {
    const page = await get("/agent/tickets/1", "localhost");
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toMatch(/script-src 'self';/);
    expect(page.headers["content-security-policy"]).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|<style|\sstyle=/);
    const missing = await get("/api/v2/no_such_thing.json", "localhost");
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toHaveProperty("error");
    expect((await get("/api/v2/openapi.json", "localhost")).status).toBe(200);
  });

  it("creates the first account on an empty install with the console token", async () => {
    const setupUrl = /(http:\/\/\S+\/setup\?token=\S+)/.exec(server.output())?.[1];
    expect(setupUrl, "the server prints a setup URL on an empty install").toBeTruthy();

    const home = await newPage();
    await home.goto(base);
    await visible(home.getByText(/has no account yet/));

    const phone = await newPage(PHONE);
    await phone.goto(setupUrl!);
    await visible(phone.getByRole("heading", { name: "Set up Vaultdesk" }));
    await shot(phone, "setup-phone");

    const page = await newPage();
    await page.goto(setupUrl!);
    await visible(page.getByRole("heading", { name: "Set up Vaultdesk" }));
    const token = new URL(setupUrl!).searchParams.get("token");
    expect(await page.getByLabel("Setup token").inputValue()).toBe(token);
    expect(page.url(), "the token leaves the address bar").toBe(`${base}/setup`);
    await page.getByLabel("Team name").fill("Acme Support");
    // The subdomain's rule is said before anything is typed, and a bad one is explained in words.
    await visible(page.getByText(/^Lower-case letters a–z, digits and hyphens, up to 63; not starting or ending with a hyphen\./));
    await page.getByLabel("Subdomain").fill("-Acme_Support");
    await page.getByLabel("Subdomain").press("Tab");
    await visible(page.getByRole("alert").getByText(/This subdomain cannot be used: use only lower-case letters a–z, digits and hyphens/));
    expect(await page.getByLabel("Subdomain").getAttribute("aria-invalid")).toBe("true");
    await shot(page, "setup-subdomain-desktop");
    await page.getByLabel("Subdomain").fill("acme");
    await page.getByLabel("Your name").fill(XSS_OWNER);
    await page.getByLabel("Your e-mail address").fill("ann@acme.test");
    await page.getByLabel("Password", { exact: true }).fill("short");
    await shot(page, "setup-desktop");
    await expectAccessible(page, "the setup page");
    await page.getByRole("button", { name: "Create account" }).click();
    await visible(page.getByRole("alert").getByText(/at least 12 characters/));

    // A wrong token is refused with words that say what to do.
    await page.getByLabel("Setup token").fill("not-the-token");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await visible(page.getByRole("alert").getByText(/setup token is not correct/));

    await page.getByLabel("Setup token").fill(token!);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(`${base}/agent`);
    await visible(page.getByRole("heading", { name: "All open tickets" }));
    await visible(page.getByText("No tickets in this view."));
    await visible(page.getByText(`Signed in as ${XSS_OWNER}`));
    await expect.poll(() => countOf(page, /All open/)).toBe("0");
    await expectInert(page);

    // Once an account exists the setup page is gone.
    await phone.reload();
    await visible(phone.getByText("Setup is finished: an account exists."));
  });

  it("lets an agent create a ticket, reply, add an internal note, assign and solve it", async () => {
    const page = await newPage();
    await page.goto(`${base}/agent`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "All open tickets" }));

    // A quiet second ticket, so the list has more than one row.
    await page.getByRole("link", { name: "New ticket" }).click();
    await visible(page.getByRole("heading", { name: "New ticket" }));
    await page.getByLabel("Subject").fill("Cannot reset my password");
    await page.getByLabel("Description").fill("The reset e-mail never arrives.");
    await page.getByRole("button", { name: "Create ticket" }).click();
    await visible(page.getByRole("heading", { name: /Ticket #1: Cannot reset my password/ }));

    await page.getByRole("link", { name: "New ticket" }).click();
    await visible(page.getByRole("heading", { name: "New ticket" }));
    await page.getByLabel("Subject").fill(XSS_SUBJECT);
    await page.getByLabel("Requester's e-mail address").fill("carol@customer.test");
    await page.getByLabel("Requester's name").fill(XSS_REQUESTER);
    await page.getByLabel("Description").fill(XSS_BODY);
    await page.getByLabel("Priority").selectOption("high");
    // Tags that are markup are refused by the server, and the message is shown as text.
    await page.getByLabel("Tags").fill(`vip ${XSS_IMG}`);
    await shot(page, "new-ticket-desktop");
    await expectAccessible(page, "the new-ticket form");
    await page.getByRole("button", { name: "Create ticket" }).click();
    await visible(page.getByRole("alert").getByText("Tags: may contain letters, digits and _ - : . / only", { exact: true }));
    await expectInert(page);
    await page.getByLabel("Tags").fill("vip, printer-fire");
    await page.getByRole("button", { name: "Create ticket" }).click();

    const heading = page.getByRole("heading", { level: 1 });
    await visible(page.getByRole("heading", { name: "Conversation" }));
    expect(await heading.textContent()).toBe(`Ticket #2: ${XSS_SUBJECT}`);
    const details = page.getByRole("region", { name: "Details" });
    await visible(details.getByText(XSS_REQUESTER));
    await visible(details.getByText("carol@customer.test", { exact: false }));
    expect(await details.locator(".tags li").allTextContents()).toEqual(["vip", "printer-fire"]);
    expect(await page.locator(".comment .comment-body").first().textContent()).toBe(XSS_BODY);
    await expectInert(page);

    // Public reply.
    await page.getByLabel("Your public reply to the requester").fill("We are on it: the fire brigade is coming.");
    await page.getByRole("button", { name: "Update ticket" }).click();
    await visible(page.locator(".comment.public").getByText("We are on it: the fire brigade is coming."));
    await visible(page.getByRole("status").getByText("Ticket updated."));

    // Internal note, told apart from replies by its label (not colour alone).
    await page.getByRole("radio", { name: "Internal note" }).check();
    await page.getByLabel("Your internal note (only agents see it)").fill(XSS_NOTE);
    await page.getByRole("button", { name: "Update ticket" }).click();
    const note = page.locator(".comment.note");
    await visible(note.getByText(XSS_NOTE));
    expect(await note.locator(".kind").textContent()).toBe("Internal note");
    expect(await note.locator(".author").textContent()).toBe(XSS_OWNER);
    // The save ends once the page has the ticket again: only then is the form free for the next.
    await visible(page.getByRole("status").getByText("Ticket updated."));
    expect(await page.locator(".comment.public .kind").allTextContents()).toEqual(["Public reply", "Public reply"]);

    // Files with a reply: uploaded when chosen, sent with "Update ticket", downloaded, one removed for good.
    const picker = page.getByLabel("Attach files (optional)");
    await picker.setInputFiles([
      { name: "smoke-report.txt", mimeType: "text/plain", buffer: Buffer.from("Smoke level: high\n") },
      { name: "invoice.pdf", mimeType: "application/pdf", buffer: Buffer.from("MZ\u0090\u0000 pretend program") },
    ]);
    await visible(page.getByRole("button", { name: "Remove smoke-report.txt" }));
    await expect.poll(() => page.getByText("uploading…").count()).toBe(0);
    // A program named .pdf is refused, and says why.
    await visible(page.getByText(/not attached: .*\.exe/));
    await page.getByRole("button", { name: "Remove invoice.pdf" }).click();
    // A file whose upload hangs: the reply waits for it, and goes without it once it is removed.
    const hanging = (url: URL) => url.pathname === "/api/v2/uploads" && url.searchParams.get("filename") === "stuck.txt";
    await page.route(hanging, () => undefined);
    await picker.setInputFiles({ name: "stuck.txt", mimeType: "text/plain", buffer: Buffer.from("never arrives") });
    await page.getByRole("radio", { name: "Public reply" }).check();
    await page.getByLabel("Your public reply to the requester").fill("The smoke report is attached.");
    await page.getByRole("button", { name: "Update ticket" }).click();
    await visible(page.getByRole("status").getByText("uploading…"));
    await page.getByRole("button", { name: "Remove stuck.txt" }).click();
    const withFile = page.locator(".comment").filter({ hasText: "The smoke report is attached." });
    await visible(withFile.getByRole("link", { name: "smoke-report.txt" }));
    expect(await withFile.getByText("stuck.txt").count()).toBe(0);
    await page.unroute(hanging);
    const [download] = await Promise.all([page.waitForEvent("download"), withFile.getByRole("link", { name: "smoke-report.txt" }).click()]);
    expect(download.suggestedFilename()).toBe("smoke-report.txt");
    expect(fs.readFileSync((await download.path())!, "utf8")).toBe("Smoke level: high\n");
    await shot(page, "ticket-files-desktop");
    await expectAccessible(page, "the ticket page with files");
    await withFile.getByRole("button", { name: "Remove for good: smoke-report.txt" }).click();
    await withFile.getByRole("group", { name: "Remove for good: smoke-report.txt" }).getByRole("button", { name: "Remove for good" }).click();
    await visible(page.getByRole("status").getByText("The file was removed."));
    await visible(withFile.getByText("redacted.txt"));
    expect(await withFile.getByRole("link").count()).toBe(0);

    // A text taken out of a reply for good; a text the reply does not hold changes nothing, and says so.
    await withFile.getByRole("button", { name: /^Redact text in message \d+$/ }).click();
    await withFile.getByLabel("Text to redact").fill("smoke report");
    await expectAccessible(page, "the ticket page redacting a text");
    await shot(page, "ticket-redact-text-desktop");
    await withFile.getByRole("button", { name: "Redact for good" }).click();
    await visible(page.getByRole("status").getByText("The text was redacted."));
    const blotted = page.locator(".comment").filter({ hasText: "The ▇▇▇▇▇▇▇▇▇▇▇▇ is attached." });
    await visible(blotted);
    await blotted.getByRole("button", { name: /^Redact text in message \d+$/ }).click();
    await blotted.getByLabel("Text to redact").fill("not in this reply");
    await blotted.getByRole("button", { name: "Redact for good" }).click();
    await visible(page.getByRole("status").getByText("This message does not hold that text; nothing changed."));
    expect(await page.locator(".comment").filter({ hasText: "smoke report is attached" }).count()).toBe(0);

    // A reply taken down for the requester (the API's comment.author_id) names who wrote it.
    const written = await page.evaluate(async () => {
      const csrf = ((await (await fetch("/api/v2/session.json")).json()) as { session: { csrf_token: string } }).session.csrf_token;
      const ticket = ((await (await fetch("/api/v2/tickets/2.json")).json()) as { ticket: { requester_id: number } }).ticket;
      const r = await fetch("/api/v2/tickets/2.json", {
        method: "PUT",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify({ ticket: { comment: { body: "Carol on the phone: the smoke has cleared.", author_id: ticket.requester_id } } }),
      });
      return r.status;
    });
    expect(written).toBe(200);
    await page.reload();
    const taken = page.locator(".comment.public").filter({ hasText: "Carol on the phone" });
    await visible(taken);
    expect(await taken.locator(".author").textContent()).toBe(XSS_REQUESTER);
    expect(await taken.locator(".writer").textContent()).toBe(`written by ${XSS_OWNER}`);
    expect(await page.locator(".comment .writer").count()).toBe(1);

    // Assign to me: the ticket moves from Unassigned into My open tickets.
    expect(await countOf(page, /Unassigned/)).toBe("2");
    await page.getByRole("button", { name: "Assign to me" }).click();
    await visible(details.getByText(XSS_OWNER));
    await expect.poll(() => countOf(page, /My open/)).toBe("1");
    expect(await countOf(page, /Unassigned/)).toBe("1");

    // Priority change on its own.
    await page.getByLabel("Priority").selectOption("urgent");
    await page.getByRole("button", { name: "Update ticket" }).click();
    await visible(details.getByText("Urgent"));
    await shot(page, "ticket-desktop");
    await expectAccessible(page, "the ticket page");

    const phone = await newPage(PHONE);
    await phone.goto(`${base}/agent/tickets/2`);
    await signIn(phone, "ann@acme.test", PASSWORD);
    await visible(phone.getByRole("heading", { name: "Conversation" }));
    await shot(phone, "ticket-phone");
    await phone.getByRole("link", { name: /All open/ }).click();
    await visible(phone.getByRole("link", { name: XSS_SUBJECT }));
    await shot(phone, "tickets-phone");
    await phone.getByRole("link", { name: "New ticket" }).click();
    await visible(phone.getByRole("heading", { name: "New ticket" }));
    await shot(phone, "new-ticket-phone");
    await expectInert(phone);

    // The list: both tickets, newest first, with the payloads as text.
    await page.getByRole("link", { name: /All open/ }).click();
    await visible(page.getByRole("link", { name: XSS_SUBJECT }));
    const rows = page.locator("table.tickets tbody tr");
    expect(await rows.count()).toBe(2);
    expect(await rows.first().locator("td").nth(2).textContent()).toBe(XSS_REQUESTER);
    await shot(page, "tickets-desktop");
    await expectAccessible(page, "the ticket list");

    // Solve, with a last public reply.
    await page.getByRole("link", { name: XSS_SUBJECT }).click();
    await page.getByLabel("Your public reply to the requester").fill("Fire is out. Closing this.");
    await page.getByRole("button", { name: "Submit as solved" }).click();
    await visible(details.getByText("Solved"));
    await visible(page.locator(".comment.public").getByText("Fire is out. Closing this."));
    await expect.poll(() => countOf(page, /My open/)).toBe("0");
    expect(await countOf(page, /All open/)).toBe("1");
    await expectInert(page);
  });

  it("keeps a reply being typed when the session ends, and sends it after signing in again", async () => {
    const page = await newPage();
    await page.goto(`${base}/agent/tickets/1`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "Conversation" }));
    // Let the page finish loading (requester, history, counts) so the next request is the reply.
    await visible(page.getByRole("region", { name: "History" }).getByText("Created the ticket"));
    await visible(page.getByRole("region", { name: "Requester" }).getByText("Their other recent tickets"));
    await expect.poll(() => page.locator(".count", { hasText: "…" }).count()).toBe(0);
    await page.getByLabel("Your public reply to the requester").fill("Draft that must survive.");
    await page.context().clearCookies();
    await page.getByRole("button", { name: "Update ticket" }).click();
    await visible(page.getByText(/Your session has ended/));
    await signIn(page, "ann@acme.test", PASSWORD);
    const box = page.getByLabel("Your public reply to the requester");
    await visible(box);
    expect(await box.inputValue()).toBe("Draft that must survive.");
    await page.getByRole("button", { name: "Update ticket" }).click();
    await visible(page.locator(".comment.public").getByText("Draft that must survive."));

    await page.getByRole("button", { name: "Sign out" }).click();
    await visible(page.getByText("You have signed out."));
    await shot(page, "signin-desktop");
    await expectAccessible(page, "the sign-in page");
    await page.goto(`${base}/agent`);
    await visible(page.getByRole("heading", { name: "Sign in" }));
    await expectInert(page);
  });

  it("shows a second tenant's agent none of the first tenant's tickets", async () => {
    const out = await cli(h.dataDir, "tenant", "create", "--subdomain", "beta", "--owner-email", "owner@beta.test");
    expect(out.code, out.stderr).toBe(0);
    const otp = /^One-time password: (\S+)$/m.exec(out.stdout)?.[1];
    expect(otp).toBeTruthy();

    const page = await newPage();
    const beta = `http://beta.localhost:${server.port}`;
    await page.goto(`${beta}/agent`);
    await signIn(page, "owner@beta.test", otp!);
    // The one-time password must be replaced first.
    await visible(page.getByRole("heading", { name: "Choose a new password" }));
    await page.getByLabel("New password", { exact: true }).fill("Another good passphrase 7");
    await page.getByLabel("New password again").fill("Another good passphrase 8");
    await page.getByRole("button", { name: "Save password" }).click();
    await visible(page.getByRole("alert").getByText("The two new passwords are not the same."));
    await page.getByLabel("New password again").fill("Another good passphrase 7");
    await page.getByRole("button", { name: "Save password" }).click();

    await visible(page.getByText("No tickets in this view."));
    // The counts are requests of their own: wait for them rather than for the list.
    for (const view of [/All open/, /My open/, /Unassigned/]) await expect.poll(() => countOf(page, view)).toBe("0");
    // Ticket #2 is Acme's; in Beta it does not exist.
    await page.goto(`${beta}/agent/tickets/2`);
    await visible(page.getByRole("alert"));
    const html = await page.content();
    for (const secret of ["Printer on fire", "Cannot reset", "carol@customer.test", "fire brigade", "VIP plan"]) expect(html).not.toContain(secret);

    // Acme's session cookie is host-only: Beta's pages never carry it, and Acme's ticket stays Acme's.
    const acme = await newPage();
    await acme.goto(`${base}/agent/tickets/2`);
    await signIn(acme, "ann@acme.test", PASSWORD);
    await visible(acme.getByRole("heading", { name: "Conversation" }));
    await acme.goto(`${beta}/agent/views/all-open`);
    await visible(acme.getByRole("heading", { name: "Sign in" }));
    await expectInert(page);
    await expectInert(acme);
  });
});
