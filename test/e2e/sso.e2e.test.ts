import http from "node:http";
import type { AddressInfo } from "node:net";
import crypto from "node:crypto";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcProvider, type OidcIdp } from "../support/oidc-idp.ts";
import { apiCall, expectAccessible, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Single sign-on in Chromium. The owner sets up OpenID Connect and JWT on the admin center's
 * Single sign-on page (the client secret typed, the JWT secret generated and read from the page);
 * then an agent signs in to the workspace from the staff sign-in page through a real OpenID
 * Connect provider (oidc-provider on loopback), and an end user signs in to the help center
 * through the customer's own application (a page of this test that signs a JWT with jose and posts
 * it as a form). Every page passes axe-core; screenshots sso-*.png.
 */

const PASSWORD = "Granite harbour lantern 71!";
const OWNER = "ann@acme.test";
const CLIENT_SECRET = crypto.randomBytes(24).toString("base64url");

let h: Harness;
let ownerApi: Record<string, string>;
let idp: OidcIdp;
let app: http.Server;
let appUrl = "";
let jwtSecret = "";

beforeAll(async () => {
  h = await startHarness();
  ownerApi = await firstAccount(h, PASSWORD);
  idp = await startOidcProvider([{ client_id: "vaultdesk-acme", client_secret: CLIENT_SECRET, redirect_uri: `${h.base}/access/oidc/callback` }]);
  // The customer's application: its sign-in page answers a form that posts a fresh JWT to Vaultdesk.
  app = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://app.invalid");
    if (url.pathname === "/signed-out") {
      res.setHeader("content-type", "text/html; charset=utf-8");
      res.end(`<!doctype html><html lang="en"><head><title>Customer app</title></head><body><main><h1>Signed out of support</h1></main></body></html>`);
      return;
    }
    const returnTo = url.searchParams.get("return_to") ?? "";
    void new jose.SignJWT({ iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), email: "eve@customer.test", name: "Eve Enduser", external_id: "cust-1001" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode(jwtSecret))
      .then((jwt) => {
        const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.end(`<!doctype html><html lang="en"><head><title>Customer app</title></head><body><main><h1>Customer app</h1><p>Signed in as Eve.</p>
<form method="post" action="${h.base}/access/jwt"><input type="hidden" name="jwt" value="${esc(jwt)}"><input type="hidden" name="return_to" value="${esc(returnTo)}"><button type="submit">Continue to support</button></form></main></body></html>`);
      });
  });
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await h?.close();
  await idp?.close();
  await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
});

describe("single sign-on in Chromium", () => {
  it("is set up on the admin center's Single sign-on page", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/sso`);
    await signIn(page, OWNER, PASSWORD);
    await visible(page.getByRole("heading", { name: "Single sign-on", level: 1 }));
    // OpenID Connect: the redirect URI to register is shown; the secret is typed and never shown again.
    await visible(page.getByTestId("oidc-redirect-uri").getByText(`${h.base}/access/oidc/callback`));
    await page.getByLabel("Enable OpenID Connect sign-in").check();
    await page.getByLabel("Issuer URL").fill(idp.issuer);
    await page.getByLabel("Client ID").fill("vaultdesk-acme");
    await page.getByLabel("Client secret").fill(CLIENT_SECRET);
    await page.getByLabel("Scopes").fill("openid email profile groups");
    // An address the provider does not say is verified is refused unless this is unchecked (on by default).
    expect(await page.getByLabel("Require the provider to say the address is verified (email_verified)").isChecked()).toBe(true);
    await page.getByRole("button", { name: "Save OpenID Connect settings" }).click();
    await visible(page.getByText("A client secret is stored. It is never shown; type a new one to replace it."));
    expect(await page.getByLabel("Client secret").inputValue()).toBe("");
    // JWT: a secret generated first (shown once, read here as the customer's developer would), then the URLs.
    await page.getByRole("button", { name: "Generate a new shared secret" }).click();
    const box = page.locator("#jwt-new-secret");
    await visible(box);
    jwtSecret = await box.inputValue();
    expect(jwtSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await page.getByLabel("Remote login URL").fill(`${appUrl}/login`);
    await page.getByLabel("Remote logout URL (optional)").fill(`${appUrl}/signed-out`);
    await page.getByLabel("Enable JWT sign-in").check();
    await page.getByRole("button", { name: "Save JWT settings" }).click();
    await visible(page.getByText("A shared secret is stored. It is never shown again."));
    // Who signs in how: staff through OpenID Connect (the helpdesk group makes agents), end users through JWT.
    await page.getByLabel("Staff sign in with").selectOption("oidc");
    await page.getByLabel("End users sign in with").selectOption("jwt");
    await page.getByLabel("Attribute or claim that carries the role").fill("groups");
    await page.getByLabel("Values that give the role Agent (separated by commas)").fill("helpdesk");
    await page.getByRole("button", { name: "Save sign-in choices" }).click();
    await visible(page.locator("form[aria-labelledby=sso-who-heading]").getByRole("status").getByText("Saved."));
    await expectAccessible(page, "single sign-on set up");
    await shot(page, "sso-admin-providers");
    const oidc = await apiCall(h, "GET", "/api/v2/sso/oidc.json", { headers: ownerApi });
    expect(oidc.body.oidc).toMatchObject({ enabled: true, client_secret_set: true, redirect_uri: `${h.base}/access/oidc/callback` });
    expect(JSON.stringify(oidc.body)).not.toContain(CLIENT_SECRET);
    const settings = await apiCall(h, "GET", "/api/v2/sso_settings.json", { headers: ownerApi });
    expect(settings.body.sso_settings).toMatchObject({ staff_provider: "oidc", end_user_provider: "jwt", role_attribute: "groups" });
    expect(h.incidents).toEqual([]);
  });

  it("signs an agent in to the workspace through the OpenID Connect provider", async () => {
    idp.signInAs({ sub: "olive-1", email: "olive@acme.test", email_verified: true, name: "Olive Oidc", groups: ["helpdesk"] });
    const page = await h.newPage();
    await page.goto(`${h.base}/agent`);
    await visible(page.getByRole("heading", { name: "Sign in" }));
    await expectAccessible(page, "staff sign-in with single sign-on");
    await shot(page, "sso-staff-signin");
    await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
    await page.waitForURL(/\/agent$/);
    await visible(page.getByRole("heading", { name: "All open tickets" }));
    await expectAccessible(page, "workspace after single sign-on");
    await shot(page, "sso-oidc-workspace");
    const people = await apiCall(h, "GET", "/api/v2/users/search.json?query=olive@acme.test", { headers: ownerApi });
    expect(people.body.users[0]).toMatchObject({ name: "Olive Oidc", role: "agent" });
    expect(h.incidents).toEqual([]);
  });

  it("answers a refused sign-in (an e-mail address the provider has not verified) with a 401 and its reason, no session", async () => {
    idp.signInAs({ sub: "uma-1", email: "uma@acme.test", email_verified: false, name: "Uma Unverified", groups: ["helpdesk"] });
    const page = await h.newPage();
    await page.goto(`${h.base}/agent`);
    const answer = page.waitForResponse((r) => r.url().includes("/access/oidc/callback"));
    await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
    const res = await answer;
    expect(res.status()).toBe(401);
    // The browser gets the refusal as a page (API clients get the JSON error).
    expect(res.headers()["content-type"]).toMatch(/^text\/html/);
    await visible(page.getByRole("heading", { name: "Sign-in did not work" }));
    await visible(page.locator("code", { hasText: "email_unverified" }));
    await expectAccessible(page, "refused single sign-on");
    await shot(page, "sso-oidc-refused");
    expect((await page.context().cookies()).some((c) => c.name === "vd_session")).toBe(false);
    // A Japanese browser reads it in Japanese, the server's sentence following in English.
    const ja = await h.newPage(undefined, { locale: "ja-JP" });
    await ja.goto(`${h.base}/agent`);
    const jaAnswer = ja.waitForResponse((r) => r.url().includes("/access/oidc/callback"));
    await ja.getByRole("link", { name: "シングルサインオンでサインイン" }).click();
    expect((await jaAnswer).status()).toBe(401);
    await visible(ja.getByRole("heading", { name: "サインインできませんでした" }));
    await visible(ja.getByText(/確認済みのメールアドレス/));
    await expectAccessible(ja, "refused single sign-on in Japanese");
    await shot(ja, "sso-oidc-refused-ja");
    expect(h.incidents).toEqual([]);
  });

  it("signs an end user in to the help center through the customer's application (JWT)", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/requests`);
    await page.getByRole("link", { name: "Sign in with your organization's account" }).click();
    await page.waitForURL(new RegExp(`^${appUrl}/login`));
    await visible(page.getByRole("heading", { name: "Customer app" }));
    await page.getByRole("button", { name: "Continue to support" }).click();
    await page.waitForURL(/\/requests$/);
    await visible(page.getByRole("heading", { name: "My requests" }));
    await expectAccessible(page, "help center after JWT sign-in");
    await shot(page, "sso-jwt-help-center");
    const people = await apiCall(h, "GET", "/api/v2/users/search.json?query=eve@customer.test", { headers: ownerApi });
    expect(people.body.users[0]).toMatchObject({ name: "Eve Enduser", role: "end-user" });
    // Signing out ends the session here, then goes to the customer's remote logout address.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${appUrl}/signed-out`);
    await visible(page.getByRole("heading", { name: "Signed out of support" }));
    await page.goto(`${h.base}/requests`);
    await visible(page.getByRole("link", { name: "Sign in with your organization's account" }));
    expect(h.incidents).toEqual([]);
  });
});
