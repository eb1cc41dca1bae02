import net from "node:net";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSmtpPeer, type SmtpPeer } from "../support/smtp-peer.ts";
import { apiCall, expectAccessible, expectInert, firstAccount, refuseAsNotRecent, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * The admin center's notifications page in Chromium: the owner turns content-free messages on
 * and off (saved after signing in again, when the server asks for a recent sign-in), writes their own text for a notification, and finds a notification the mail server
 * never took in the undelivered list; once the mail server is back, "Send again" delivers it and
 * the list empties. The mail server is real and starts late (until then its port refuses).
 */

const PASSWORD = "Correct horse battery 9";
let h: Harness;
let smtp: SmtpPeer | undefined;
let port = 0;
let auth: Record<string, string> = {};

const httpJson = (method: string, p: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => apiCall(h, method, p, opts);

beforeAll(async () => {
  port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  h = await startHarness({ VAULTDESK_SMTP_URL: `smtp://127.0.0.1:${port}`, VAULTDESK_MAIL_RETRY_SECONDS: "0.2", VAULTDESK_JOB_POLL_SECONDS: "0.2" });
  auth = await firstAccount(h, PASSWORD);
});

afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

describe("notifications in the admin center", () => {
  let owner: Page;

  it("sets what is sent and the texts, and lists what the mail server never took", async () => {
    // A ticket for a customer while the mail server is down: its notification is given up.
    const c = await httpJson("POST", "/api/v2/tickets.json", { headers: auth, body: { ticket: { subject: "Replacement part", comment: { body: "The part ships on Monday." }, requester: { name: "Cary Customer", email: "cary@customer.test" } } } });
    expect(c.status).toBe(201);
    await expect.poll(async () => (await httpJson("GET", "/api/v2/undelivered_mail.json", { headers: auth })).body.undelivered_mail.length, { timeout: 20_000 }).toBe(1);

    owner = await h.newPage();
    await owner.goto(`${h.base}/admin/notifications`);
    await signIn(owner, "ann@acme.test", PASSWORD);
    await visible(owner.getByRole("heading", { name: "E-mail notifications" }));
    const which = owner.getByRole("form", { name: "What is sent" });
    // Saving needs a sign-in within 15 minutes (the server's answer is stood in for here, the rule
    // itself is test/recent-sign-in.test.ts): the page offers to sign in again, in place.
    const refusal = await refuseAsNotRecent(owner, "**/api/v2/notification_settings", "change the notification settings", "PUT");
    await which.getByLabel("Content-free messages: only a link, no subject or text").check();
    await which.getByRole("button", { name: "Save" }).click();
    const again = which.getByRole("alert").filter({ hasText: "within 15 minutes of signing in" });
    await visible(again);
    await refusal.stop();
    await again.getByRole("button", { name: "Sign in again" }).click();
    await signIn(owner, "ann@acme.test", PASSWORD);
    await visible(owner.getByRole("heading", { name: "E-mail notifications" }));
    expect(await which.getByLabel("Content-free messages: only a link, no subject or text").isChecked()).toBe(false);
    expect(await which.getByLabel("Tell customers about a public reply").isChecked()).toBe(true);
    // Mail to the people copied on a ticket: listed, on by default, and can be turned off.
    const ccs = which.getByLabel("Tell the people copied on a ticket (CCs) about a public reply, each in a mail of their own");
    expect(await ccs.isChecked()).toBe(true);
    await which.getByLabel("Content-free messages: only a link, no subject or text").check();
    await ccs.uncheck();
    await which.getByRole("button", { name: "Save" }).click();
    await visible(which.getByRole("status").getByText("Saved."));
    expect((await httpJson("GET", "/api/v2/notification_settings.json", { headers: auth })).body.settings).toMatchObject({ content_free: true, cc_update: false });
    await which.getByLabel("Content-free messages: only a link, no subject or text").uncheck();
    await ccs.check();
    await which.getByRole("button", { name: "Save" }).click();
    await visible(which.getByRole("status").getByText("Saved."));
    await expect.poll(async () => (await httpJson("GET", "/api/v2/notification_settings.json", { headers: auth })).body.settings).toMatchObject({ content_free: false, cc_update: true });

    // The CC notification has its texts in every language, like the others.
    const texts = owner.getByRole("region", { name: "Texts" });
    await texts.getByLabel("Notification").selectOption("cc_update");
    await texts.getByLabel("Language").selectOption("ja");
    expect(await texts.getByLabel("Text", { exact: true }).inputValue()).toContain("CC に追加されているお問い合わせ");

    // Their own text for the solved notification in Swedish; a made-up placeholder is refused.
    await texts.getByLabel("Notification").selectOption("solved");
    await texts.getByLabel("Language").selectOption("sv");
    await visible(texts.getByText("The built-in text is in use."));
    expect(await texts.getByLabel("Subject", { exact: true }).inputValue()).toContain("Löst");
    await texts.getByLabel("Text", { exact: true }).fill("Hej {{name}}! {{secret}}");
    await texts.getByRole("button", { name: "Save text" }).click();
    await visible(texts.getByText(/unknown placeholder \{\{secret\}\}/));
    await texts.getByLabel("Text", { exact: true }).fill("Hej {{name}}!\n\nÄrendet är löst: {{ticket.url}}\n\n/Acme");
    await texts.getByRole("button", { name: "Save text" }).click();
    await visible(texts.getByText("Your own text is in use."));

    // The undelivered list.
    const row = owner.getByRole("table", { name: "Undelivered" }).getByRole("row", { name: /cary@customer\.test/ });
    await visible(row.getByText("[Acme Support] Re: Replacement part"));
    await shot(owner, "admin-notifications-desktop");
    await expectAccessible(owner, "the notifications page");
    await expectInert(h, owner);

    // The mail server is back: sent again, it arrives, and the list empties.
    smtp = await startSmtpPeer(port);
    await row.getByRole("button", { name: "Send again to cary@customer.test" }).click();
    // Its row goes (the owner's new-device notice, sent while the server was down, may stay listed).
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(0);
    const mail = await smtp.waitFor("cary@customer.test", { timeoutMs: 20_000 });
    expect(mail.text).toContain("The part ships on Monday.");

    await texts.getByRole("button", { name: "Use the built-in text" }).click();
    await visible(texts.getByText("The built-in text is in use."));
  });
});
