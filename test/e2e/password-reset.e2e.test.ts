import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linkTo, startSmtpPeer, type SmtpPeer } from "../support/smtp-peer.ts";
import { apiCall, expectAccessible, expectInert as expectInertIn, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * "Forgot your password?" in Chromium, one story in order: the owner, at the workspace's sign-in,
 * asks for a reset link; a real SMTP peer catches the mail; the link opens `/reset-password`, which
 * drops the token from the address bar, shows the policy's refusal of a weak password, saves a good
 * one and leads back to sign-in, where the new password works and the old one does not. The link
 * then answers as not valid. The help center's password section links to its own request page.
 * Every page passes axe-core; screenshots reset-*.png.
 */

const OLD = "Correct horse battery 9";
const NEW = "A fresh passphrase 2026";
const EMAIL = "ann@acme.test";

let h: Harness;
let smtp: SmtpPeer;
const expectInert = (page: Page) => expectInertIn(h, page);
const isResetMail = (m: { text?: string | false }) => /\/reset-password\?token=/.test(m.text || "");

beforeAll(async () => {
  smtp = await startSmtpPeer();
  h = await startHarness({ VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_MAIL_FROM: "Acme Support <help@acme.test>" });
  await firstAccount(h, OLD);
});

afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

describe("password reset in Chromium", () => {
  let link = "";

  it("asks for a link from the staff sign-in, saying the same whatever the address", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/agent`);
    await visible(page.getByRole("heading", { name: "Sign in" }));
    await page.getByRole("button", { name: "Forgot your password?" }).click();
    await visible(page.getByRole("heading", { name: "Reset your password" }));
    await expectAccessible(page, "forgot password (staff)");

    // An address nobody has gets the same words.
    await page.getByLabel("E-mail address").fill("nobody@acme.test");
    await page.getByRole("button", { name: "Send reset link" }).click();
    await visible(page.getByRole("status").getByText("If nobody@acme.test belongs to an account with a password"));

    const since = smtp.messages.length;
    await page.getByLabel("E-mail address").fill(EMAIL);
    await page.getByRole("button", { name: "Send reset link" }).click();
    await visible(page.getByRole("status").getByText(`If ${EMAIL} belongs to an account with a password`));
    await shot(page, "reset-forgot-staff");
    const mail = await smtp.waitFor(EMAIL, { since, match: isResetMail });
    link = linkTo(mail, "/reset-password");
    expect(link.startsWith(`${h.base}/reset-password?token=vdr_`)).toBe(true);
    expect(smtp.messages.slice(since).filter((m) => JSON.stringify(m.to).includes("nobody@acme.test"))).toEqual([]);
    // The page offers a way back to sign-in.
    await page.getByRole("button", { name: "Back to sign in" }).click();
    await visible(page.getByRole("heading", { name: "Sign in" }));
    await expectInert(page);
  });

  it("sets the new password through the link and leads to sign-in, where only the new one works", async () => {
    const page = await h.newPage();
    await page.goto(link);
    await visible(page.getByRole("heading", { name: "Choose a new password" }));
    // The token leaves the address bar at once.
    await expect.poll(() => page.url()).toBe(`${h.base}/reset-password`);
    await expectAccessible(page, "reset password");

    // The server's policy, in its own words.
    await page.getByLabel("New password").fill("short");
    await page.getByRole("button", { name: "Save new password" }).click();
    await visible(page.getByText(/at least 12 characters/));
    // Show and hide.
    await page.getByLabel("Show password").check();
    expect(await page.getByLabel("New password").getAttribute("type")).toBe("text");
    await page.getByLabel("Show password").uncheck();
    expect(await page.getByLabel("New password").getAttribute("type")).toBe("password");

    await page.getByLabel("New password").fill(NEW);
    await page.getByRole("button", { name: "Save new password" }).click();
    await visible(page.getByRole("status").getByText("Your password has been changed"));
    await shot(page, "reset-done");
    await expectAccessible(page, "reset password done");

    await page.locator("#main").getByRole("link", { name: "Sign in", exact: true }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/agent");
    await signIn(page, EMAIL, OLD);
    await visible(page.getByText("The e-mail address or password is not correct."));
    await page.getByLabel("Password", { exact: true }).fill(NEW);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await visible(page.getByRole("navigation", { name: "Workspace" }));
    await expectInert(page);

    // The notice reached the owner; the API agrees about the passwords.
    await smtp.waitFor(EMAIL, { match: (m) => /was changed/.test(m.subject ?? "") });
    expect((await apiCall(h, "POST", "/api/v2/session.json", { body: { email: EMAIL, password: OLD } })).status).toBe(401);
    expect((await apiCall(h, "POST", "/api/v2/session.json", { body: { email: EMAIL, password: NEW } })).status).toBe(201);
  });

  it("answers a used link as not valid and offers a new one", async () => {
    const page = await h.newPage();
    await page.goto(link);
    await page.getByLabel("New password").fill("Yet another passphrase 3");
    await page.getByRole("button", { name: "Save new password" }).click();
    await visible(page.getByRole("alert").getByText(/This password reset link is not valid/));
    await page.getByRole("link", { name: "Ask for a new link" }).click();
    await visible(page.getByRole("heading", { name: "Reset your password" }));
    await expectAccessible(page, "forgot password (help center)");
  });

  it("links the help center's password sign-in to its reset page", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/signin`);
    await page.getByText("Support staff, or given a password? Sign in with a password").click();
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await visible(page.getByRole("heading", { name: "Reset your password" }));
    await page.getByLabel("E-mail address").fill("someone@example.test");
    await page.getByRole("button", { name: "Send reset link" }).click();
    await visible(page.getByRole("status").getByText("If someone@example.test belongs to an account with a password"));
    await shot(page, "reset-forgot-help-center");
    await expectInert(page);
  });
});
