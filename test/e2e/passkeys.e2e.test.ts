import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { hasSigninLink, linkIn, startSmtpPeer, type SmtpPeer } from "../support/smtp-peer.ts";
import { apiCall, expectAccessible, firstAccount, refuseAsNotRecent, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Passkeys in Chromium, through its virtual authenticator (the DevTools WebAuthn domain over
 * playwright-core's CDP session: CTAP2, internal transport, resident keys, user verification).
 * The owner adds a passkey on the workspace's Sign-in security page, signs out, signs in with the
 * passkey alone; then with the password, where the second step offers "Use a passkey". A sign-in
 * too old to add a passkey is answered with a way to sign in again. An end user signed in by a
 * link staff made is sent to sign in again (by a link mailed to them, caught by a real SMTP peer),
 * then adds a passkey on the help center's My information page and signs in with it on /signin.
 * Every page passes axe-core and the strict CSP (no incidents); screenshots passkeys-*.png.
 */

const PASSWORD = "Quartz meadow lantern 58!";
const EMAIL = "ann@acme.test";

let h: Harness;
let smtp: SmtpPeer;
let ownerApi: Record<string, string>;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  h = await startHarness({ VAULTDESK_SMTP_URL: smtp.url });
  ownerApi = await firstAccount(h, PASSWORD);
});
afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

/** A platform authenticator for this page, as a laptop with a fingerprint reader has. */
async function withAuthenticator(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
}

describe("passkeys in Chromium", () => {
  it("a staff member adds a passkey, signs in with it alone, and uses it as the second step after the password", async () => {
    const page = await h.newPage();
    await withAuthenticator(page);
    await page.goto(`${h.base}/agent`);
    await signIn(page, EMAIL, PASSWORD);
    await page.getByRole("link", { name: "Sign-in security" }).click();
    await visible(page.getByRole("heading", { name: "Passkeys" }));
    await visible(page.getByText("You have no passkeys yet."));
    // A sign-in older than 15 minutes: the server refuses to add a passkey (test/passkeys.test.ts
    // makes the old session; here the browser is given that answer once), and the page offers to
    // sign in again, in place, and comes back to this page.
    const refusal = await refuseAsNotRecent(page, "**/api/v2/users/me/passkeys/options", "add a passkey");
    await page.getByRole("button", { name: "Add a passkey" }).click();
    const again = page.getByRole("alert").filter({ hasText: "within 15 minutes of signing in" });
    await visible(again);
    await expectAccessible(page, "passkeys: sign in again");
    await shot(page, "passkeys-sign-in-again");
    await refusal.stop();
    const securityUrl = page.url();
    await again.getByRole("button", { name: "Sign in again" }).click();
    await visible(page.getByRole("heading", { name: "Sign in" }));
    await signIn(page, EMAIL, PASSWORD);
    await visible(page.getByRole("heading", { name: "Passkeys" }));
    expect(page.url()).toBe(securityUrl);
    await page.getByLabel("Name for the new passkey").fill("Work laptop");
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await visible(page.getByRole("status").getByText("Passkey added."));
    // A first second factor comes with recovery codes, shown once before the list comes back.
    await visible(page.getByRole("heading", { name: "Your recovery codes" }));
    const codes = (await page.locator(".recovery-codes li").allTextContents()).filter((c) => /^[a-z2-9]{5}-[a-z2-9]{5}$/.test(c.trim()));
    expect(codes).toHaveLength(10);
    await expectAccessible(page, "recovery codes after a first passkey");
    await shot(page, "passkeys-recovery-codes");
    await page.getByRole("button", { name: "I have saved my recovery codes" }).click();
    await visible(page.locator(".passkey-list li", { hasText: "Work laptop" }));
    // Renamed in place.
    await page.getByRole("button", { name: "Rename: Work laptop" }).click();
    await page.getByLabel("New name for Work laptop").fill("Office laptop");
    await page.getByRole("button", { name: "Save" }).click();
    await visible(page.locator(".passkey-list li", { hasText: "Office laptop" }));
    await expectAccessible(page, "passkeys on the security page");
    await shot(page, "passkeys-security");
    // Passkeys only: an unused recovery code is the proof for new ones, and the old ones stop working.
    const renew = page.getByRole("form", { name: "New recovery codes" });
    await visible(renew.getByText("Confirm with an unused recovery code."));
    await renew.getByLabel("Authentication code").fill(codes[0]!.trim());
    await renew.getByRole("button", { name: "Make new recovery codes" }).click();
    await visible(page.getByRole("heading", { name: "Your recovery codes" }));
    const renewed = (await page.locator(".recovery-codes li").allTextContents()).filter((c) => /^[a-z2-9]{5}-[a-z2-9]{5}$/.test(c.trim()));
    expect(renewed).toHaveLength(10);
    expect(renewed.filter((c) => codes.includes(c))).toEqual([]);
    await page.getByRole("button", { name: "I have saved my recovery codes" }).click();
    await visible(page.getByText("10 recovery codes left."));
    // Or the passkey is the proof (the only one for someone with no codes left).
    const withPasskey = page.getByRole("region", { name: "New recovery codes with a passkey" });
    await visible(withPasskey.getByText("Or confirm with one of your passkeys instead of a code."));
    await expectAccessible(page, "new recovery codes with a passkey");
    await withPasskey.getByRole("button", { name: "Confirm with a passkey" }).click();
    await visible(page.getByRole("heading", { name: "Your recovery codes" }));
    const byPasskey = (await page.locator(".recovery-codes li").allTextContents()).filter((c) => /^[a-z2-9]{5}-[a-z2-9]{5}$/.test(c.trim()));
    expect(byPasskey).toHaveLength(10);
    expect(byPasskey.filter((c) => renewed.includes(c))).toEqual([]);
    await page.getByRole("button", { name: "I have saved my recovery codes" }).click();
    await visible(page.getByText("10 recovery codes left."));

    // Signed out, then in with the passkey alone.
    await page.getByRole("button", { name: "Sign out" }).click();
    await visible(page.getByRole("heading", { name: "Sign in" }));
    await expectAccessible(page, "sign-in with a passkey button");
    await shot(page, "passkeys-signin");
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await visible(page.getByRole("link", { name: "Sign-in security" }));
    const sessions = await apiCall(h, "GET", "/api/v2/users/me/sessions.json", { headers: ownerApi });
    expect(sessions.body.sessions.map((s: { method: string }) => s.method)).toContain("passkey");

    // The password is followed by the second step, which offers the passkey.
    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(page, EMAIL, PASSWORD);
    await visible(page.getByRole("heading", { name: "Two-factor authentication" }));
    await visible(page.getByText("Your password was right."));
    await visible(page.getByText("Lost your passkey? Enter one of your recovery codes instead."));
    await expectAccessible(page, "second step with a passkey");
    await shot(page, "passkeys-second-step");
    await page.getByRole("button", { name: "Use a passkey" }).click();
    await visible(page.getByRole("link", { name: "Sign-in security" }));
    // The admin center shows a person's passkeys on their page.
    await page.getByRole("link", { name: "Admin center" }).click();
    await page.getByRole("navigation", { name: "Admin center" }).getByRole("link", { name: "People", exact: true }).click();
    await page.getByRole("link", { name: "Ann Owner" }).click();
    await visible(page.getByRole("heading", { name: "Passkeys" }));
    await visible(page.locator(".passkey-list li", { hasText: "Office laptop" }));
    await expectAccessible(page, "a person's passkeys in the admin center");
    expect(h.incidents).toEqual([]);
  });

  it("an end user adds a passkey on the help center and signs in with it", async () => {
    const created = await apiCall(h, "POST", "/api/v2/users.json", { headers: ownerApi, body: { user: { name: "Cleo Customer", email: "cleo@customer.test" } } });
    expect(created.status).toBe(201);
    const link = await apiCall(h, "POST", `/api/v2/users/${created.body.user.id}/sign_in_links.json`, { headers: ownerApi });
    expect(link.status).toBe(201);
    const page = await h.newPage();
    await withAuthenticator(page);
    await page.goto(`${h.base}/signin?token=${link.body.sign_in_link.token}`);
    await page.getByRole("button", { name: "Continue" }).click();
    await visible(page.getByRole("heading", { name: "My requests" }));
    await page.getByRole("link", { name: "My information" }).click();
    await visible(page.getByRole("heading", { name: "Passkeys" }));
    // A link staff made is not the person's own sign-in: no passkey from it (the server's 403);
    // signed in again by a link mailed to them, they add it.
    await page.getByRole("button", { name: "Add a passkey" }).click();
    const again = page.getByRole("alert").filter({ hasText: "within 15 minutes of signing in" });
    await visible(again);
    await again.getByRole("button", { name: "Sign in again" }).click();
    await visible(page.getByRole("heading", { name: "Sign in" }));
    const since = smtp.messages.length;
    await page.getByLabel("E-mail address").first().fill("cleo@customer.test");
    await page.getByRole("button", { name: "Send me a sign-in link" }).click();
    const mail = await smtp.waitFor("cleo@customer.test", { since, match: hasSigninLink });
    await page.goto(linkIn(mail));
    await page.getByRole("button", { name: "Continue" }).click();
    await visible(page.getByRole("heading", { name: "My requests" }));
    await page.getByRole("link", { name: "My information" }).click();
    await visible(page.getByRole("heading", { name: "Passkeys" }));
    await page.getByLabel("Name for the new passkey").fill("Phone");
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await visible(page.getByRole("status").getByText("Passkey added."));
    await visible(page.locator(".passkey-list li", { hasText: "Phone" }));
    await expectAccessible(page, "passkeys on my information");
    await shot(page, "passkeys-help-center-account");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.goto(`${h.base}/signin`);
    await visible(page.getByRole("button", { name: "Sign in with a passkey" }));
    await expectAccessible(page, "help center sign-in with a passkey");
    await shot(page, "passkeys-help-center-signin");
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await visible(page.getByRole("heading", { name: "My requests" }));
    // Removed (after a confirmation on the page), the passkey no longer signs in: a clear refusal.
    await page.getByRole("link", { name: "My information" }).click();
    await page.getByRole("button", { name: "Remove: Phone" }).click();
    await visible(page.getByRole("alert").getByText("Remove Phone?"));
    await page.getByRole("button", { name: "Remove", exact: true }).click();
    await visible(page.getByRole("status").getByText("Passkey removed."));
    await visible(page.getByText("You have no passkeys yet."));
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.goto(`${h.base}/signin`);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await visible(page.getByRole("alert").getByText("That passkey could not sign you in."));
    await shot(page, "passkeys-help-center-refused");
    // In another language, the same page speaks it.
    const sv = await h.newPage(undefined, { locale: "sv-SE" });
    await sv.goto(`${h.base}/signin`);
    await visible(sv.getByRole("button", { name: "Logga in med en nyckel (passkey)" }));
    expect(h.incidents).toEqual([]);
  });
});
