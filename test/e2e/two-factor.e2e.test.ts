import crypto from "node:crypto";
import * as jose from "jose";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { cli } from "../support/process.ts";
import { apiCall, expectAccessible, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Two-factor sign-in in Chromium, one story in order: the owner signs in to the workspace, sets
 * up an authenticator app from Sign-in security (the QR code, the key as text — read by the test
 * to compute codes with otpauth, as an app would), confirms with a code and sees the recovery
 * codes once; signs out; signs in again, where the password is followed by the code step: a
 * wrong code is refused with a clear message, the right one opens the workspace. Last, under
 * single sign-on only, the owner left without a second factor by the operator's reset sets up a
 * new app from their SSO session, with their password as proof; left so again, they add a
 * passkey instead (Chromium's virtual authenticator), with the same proof. Every page
 * passes axe-core; screenshots two-factor-*.png.
 */

const PASSWORD = "Quartz meadow lantern 58!";
const EMAIL = "ann@acme.test";

let h: Harness;
let ownerApi: Record<string, string>;
let owner: Page;
/** The owner's authenticator key, and the newest time a code of it was used (a code works once). */
let recoveryCodes: string[] = [];
/** The customer's JWT single sign-on secret (the last two tests). */
let jwtSecret = "";

beforeAll(async () => {
  h = await startHarness();
  ownerApi = await firstAccount(h, PASSWORD);
});
afterAll(async () => h?.close());

const codeAt = (secret: string, at: number) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: at });

describe("two-factor sign-in in Chromium", () => {
  it("is set up from the workspace and then asked for at sign-in", async () => {
    const page = (owner = await h.newPage());
    await page.goto(`${h.base}/agent`);
    await signIn(page, EMAIL, PASSWORD);
    await page.getByRole("link", { name: "Sign-in security" }).click();
    await visible(page.getByRole("heading", { name: "Two-factor authentication" }));
    await visible(page.getByText("Two-factor authentication is off."));
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    const qr = page.getByRole("img", { name: /QR code to add this account to an authenticator app/ });
    await visible(qr);
    expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml;base64,/);
    const secret = ((await page.getByTestId("tf-secret").textContent()) ?? "").replace(/\s/g, "");
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await expectAccessible(page, "two-factor set-up");
    await shot(page, "two-factor-setup");

    const enrolledAt = Date.now();
    await page.getByLabel("Authentication code").fill(codeAt(secret, enrolledAt));
    await page.getByRole("button", { name: "Turn on" }).click();
    await visible(page.getByRole("heading", { name: "Your recovery codes" }));
    const codes = await page.locator(".recovery-codes li").allTextContents();
    expect(codes).toHaveLength(10);
    await expectAccessible(page, "recovery codes");
    await shot(page, "two-factor-recovery-codes");
    await page.getByRole("button", { name: "I have saved my recovery codes" }).click();
    await visible(page.getByText("Two-factor authentication is on.").first());
    await visible(page.getByText("10 recovery codes left."));
    // With the app on, new recovery codes are confirmed with its code (or a recovery code).
    await visible(page.getByRole("form", { name: "New recovery codes" }).getByText("Makes ten new recovery codes; the old ones stop working.", { exact: true }));

    await page.getByRole("button", { name: "Sign out" }).click();
    await signIn(page, EMAIL, PASSWORD);
    await visible(page.getByRole("heading", { name: "Two-factor authentication" }));
    await expectAccessible(page, "sign-in code step");
    await shot(page, "two-factor-code-step");
    // A wrong code: a clear refusal, and the form stays for another try.
    await page.getByLabel("Authentication code").fill(codeAt(secret, enrolledAt - 3_600_000));
    await page.getByRole("button", { name: "Verify" }).click();
    await visible(page.getByRole("alert").getByText("That code did not work"));
    // The next time step's code (the one used to turn it on is spent).
    recoveryCodes = codes;
    await page.getByLabel("Authentication code").fill(codeAt(secret, Math.max(Date.now(), enrolledAt + 30_000)));
    await page.getByRole("button", { name: "Verify" }).click();
    await visible(page.getByRole("link", { name: "Sign-in security" }));
    expect(h.incidents).toEqual([]);
  });

  it("is required of staff from the admin center: a new agent can only set it up, and an admin can reset it", async () => {
    await owner.getByRole("link", { name: "Admin center" }).click();
    await owner.getByRole("navigation", { name: "Admin center" }).getByRole("link", { name: "Sign-in security", exact: true }).click();
    const require = owner.getByRole("switch", { name: "Require two-factor authentication for all staff" });
    await visible(require);
    expect(await require.isChecked()).toBe(false);
    await require.check();
    await visible(owner.getByRole("status").getByText("Saved."));
    expect(await require.isChecked()).toBe(true);
    await expectAccessible(owner, "admin sign-in security");
    await shot(owner, "two-factor-admin");

    // A new agent joins; signed in, they can only set up two-factor authentication.
    const inv = await apiCall(h, "POST", "/api/v2/invitations.json", { headers: ownerApi, body: { invitation: { email: "bo@acme.test", role: "agent" } } });
    expect(inv.status).toBe(201);
    const accepted = await apiCall(h, "POST", "/api/v2/invitations/accept.json", { body: { token: inv.body.invitation.token, name: "Bo Agent", password: PASSWORD } });
    expect(accepted.status).toBe(201);
    const agent = await h.newPage();
    await agent.goto(`${h.base}/agent`);
    await signIn(agent, "bo@acme.test", PASSWORD);
    await visible(agent.getByRole("heading", { name: "Set up two-factor authentication" }));
    await expectAccessible(agent, "required set-up");
    await agent.getByRole("button", { name: "Set up an authenticator app" }).click();
    await visible(agent.getByTestId("tf-secret"));
    const secret = ((await agent.getByTestId("tf-secret").textContent()) ?? "").replace(/\s/g, "");
    await agent.getByLabel("Authentication code").fill(codeAt(secret, Date.now()));
    await agent.getByRole("button", { name: "Turn on" }).click();
    await agent.getByRole("button", { name: "I have saved my recovery codes" }).click();
    await visible(agent.getByRole("navigation", { name: "Workspace" }));

    // The owner resets it from the agent's page; the agent is signed out.
    await owner.getByRole("navigation", { name: "Admin center" }).getByRole("link", { name: "People", exact: true }).click();
    await owner.getByRole("link", { name: "Bo Agent" }).click();
    await visible(owner.getByText("On (10 recovery codes left)."));
    await owner.getByRole("button", { name: "Reset two-factor authentication" }).click();
    await visible(owner.getByRole("alert").getByText("Reset two-factor authentication for Bo Agent?"));
    await owner.getByRole("button", { name: "Reset two-factor authentication" }).click();
    await visible(owner.getByRole("status").getByText("Two-factor authentication was reset."));
    await visible(owner.getByText("Off."));
    await expectAccessible(owner, "person page after a reset");
    expect((await apiCall(h, "GET", "/api/v2/session.json", { headers: { cookie: (await agent.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ") } })).status).toBe(401);
    expect(h.incidents).toEqual([]);
  });

  it("is asked for on the help center's sign-in page too, in the visitor's language", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/signin`);
    await page.getByLabel("Language").selectOption("sv");
    await page.getByLabel("E-postadress").last().fill(EMAIL);
    await page.getByLabel("Lösenord", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Logga in med lösenord" }).click();
    await visible(page.getByRole("heading", { name: "Tvåstegsverifiering" }));
    await expectAccessible(page, "help-center code step");
    await shot(page, "two-factor-help-center-code-step");
    await page.getByLabel("Autentiseringskod").fill("000000");
    await page.getByRole("button", { name: "Verifiera" }).click();
    await visible(page.getByRole("alert").getByText("Koden fungerade inte"));
    // A recovery code works here too (the app's next code would mean waiting for the next time step).
    await page.getByLabel("Autentiseringskod").fill(recoveryCodes[0]!);
    await page.getByRole("button", { name: "Verifiera" }).click();
    await page.waitForURL(/\/requests$/);
    expect(h.incidents).toEqual([]);
  });

  it("lets the owner choose who signs in through single sign-on in the admin center", async () => {
    await owner.goto(`${h.base}/admin/sso`);
    await visible(owner.getByRole("heading", { name: "Single sign-on", level: 1 }));
    await visible(owner.getByText("No identity provider is set up yet."));
    // No provider is enabled: none can be chosen, and the server would refuse one anyway.
    const staff = owner.getByLabel("Staff sign in with");
    expect(await staff.locator("option[value=saml]").isDisabled()).toBe(true);
    await owner.getByLabel("Create people at their first sign-in").uncheck();
    await owner.getByRole("button", { name: "Save sign-in choices" }).click();
    await visible(owner.getByRole("status").getByText("Saved."));
    // "SSO only" without a provider chosen: the server's refusal is shown as it is.
    await owner.getByLabel("Staff can sign in only through single sign-on").check();
    await owner.getByRole("button", { name: "Save sign-in choices" }).click();
    await visible(owner.getByRole("alert").getByText(/choose the provider staff sign in with first/));
    await expectAccessible(owner, "single sign-on settings");
    await shot(owner, "sso-admin");
    const settings = await apiCall(h, "GET", "/api/v2/sso_settings.json", { headers: ownerApi });
    expect(settings.body.sso_settings).toMatchObject({ jit_users: false, staff_sso_only: false });
    expect(h.incidents).toEqual([]);
  });

  it("brings an owner who lost their authenticator back, under single sign-on only, with their password as proof", async () => {
    // Staff sign in through the customer's JWT only; the owner keeps their second factor, until the
    // operator's reset (a lost phone) leaves them with their SSO session alone.
    jwtSecret = crypto.randomBytes(32).toString("base64url");
    expect((await apiCall(h, "PUT", "/api/v2/sso/jwt.json", { headers: ownerApi, body: { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: jwtSecret } } })).status).toBe(200);
    const only = await apiCall(h, "PUT", "/api/v2/sso_settings.json", { headers: ownerApi, body: { sso_settings: { staff_provider: "jwt", staff_sso_only: true } } });
    expect(only.status, JSON.stringify(only.body)).toBe(200);
    const reset = await cli(h.dataDir, "user", "reset-two-factor", "--tenant", "acme", "--email", EMAIL);
    expect(reset.code, reset.stderr).toBe(0);

    const page = await h.newPage();
    const jwt = await new jose.SignJWT({ iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), email: EMAIL, name: "Ann Owner" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(jwtSecret));
    await page.setContent(`<form method="post" action="${h.base}/access/jwt"><input type="hidden" name="jwt" value="${jwt}"><button type="submit">Continue</button></form>`);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/\/agent/);
    // The team requires two-factor sign-in of staff (above): the workspace asks for the set-up first.
    await visible(page.getByRole("heading", { name: "Set up two-factor authentication" }));
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    const secret = ((await page.getByTestId("tf-secret").textContent()) ?? "").replace(/\s/g, "");
    await page.getByLabel("Authentication code").fill(codeAt(secret, Date.now()));
    // The app's form asks for it (the passkeys section below asks for it as well, with its own field).
    const password = page.locator("form", { has: page.getByLabel("Authentication code") }).getByLabel("Your current password");
    await visible(password);
    await password.fill("Not my password at all 1");
    await page.getByRole("button", { name: "Turn on" }).click();
    await visible(page.getByRole("alert").getByText(/Password: is not correct/));
    await expectAccessible(page, "two-factor set-up with the owner's password");
    await shot(page, "two-factor-owner-password");
    await password.fill(PASSWORD);
    await page.getByLabel("Authentication code").fill(codeAt(secret, Date.now() + 30_000));
    await page.getByRole("button", { name: "Turn on" }).click();
    await visible(page.getByRole("heading", { name: "Your recovery codes" }));
    expect(await page.locator(".recovery-codes li").count()).toBe(10);
    expect(h.incidents).toEqual([]);
  });

  it("brings that owner back with a passkey instead, with the same password as proof", async () => {
    const reset = await cli(h.dataDir, "user", "reset-two-factor", "--tenant", "acme", "--email", EMAIL);
    expect(reset.code, reset.stderr).toBe(0);
    const page = await h.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("WebAuthn.enable", { enableUI: false });
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    const jwt = await new jose.SignJWT({ iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), email: EMAIL, name: "Ann Owner" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(jwtSecret));
    await page.setContent(`<form method="post" action="${h.base}/access/jwt"><input type="hidden" name="jwt" value="${jwt}"><button type="submit">Continue</button></form>`);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/\/agent/);
    await visible(page.getByRole("heading", { name: "Set up two-factor authentication" }));
    await visible(page.getByRole("heading", { name: "Passkeys" }));
    const password = page.locator("form", { has: page.getByLabel("Name for the new passkey") }).getByLabel("Your current password");
    await visible(password);
    await page.getByLabel("Name for the new passkey").fill("Spare key");
    await password.fill("Not my password at all 1");
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await visible(page.getByRole("alert").getByText(/Password: is not correct/));
    await expectAccessible(page, "adding a passkey with the owner's password");
    await password.fill(PASSWORD);
    await page.getByRole("button", { name: "Add a passkey" }).click();
    await visible(page.getByRole("heading", { name: "Your recovery codes" }));
    expect(await page.locator(".recovery-codes li").count()).toBe(10);
    expect(h.incidents).toEqual([]);
  });
});
