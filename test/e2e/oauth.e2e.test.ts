import http from "node:http";
import type { AddressInfo } from "node:net";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, expectInert, firstAccount, refuseAsNotRecent, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * OAuth 2.0 in Chromium, with oauth4webapi as the third-party application: the admin registers a
 * client in the admin center, the application sends a browser that is not signed in to the
 * authorization endpoint, the person signs in, sees the consent page (the application's name, the
 * scopes in words) and allows; the redirect with the code lands on a loopback HTTP server this test
 * runs (the application's redirect URI), and the code is exchanged with PKCE. The token then reads
 * within its scope only, and the person revokes it from the admin center. An unregistered redirect
 * URI stops at an error page. Screenshots oauth-*.png.
 */

const PASSWORD = "Bright copper kettles 42 sing";

let h: Harness;
let owner: Record<string, string>;
let callback: http.Server;
let redirectUri: string;
const landed: URL[] = [];

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  // The application's redirect URI: a loopback server that records what the browser brings.
  callback = http.createServer((req, res) => {
    landed.push(new URL(req.url ?? "/", redirectUri));
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end('<!doctype html><html lang="en"><head><title>Example app</title></head><body><main><h1>Back in the example app</h1></main></body></html>');
  });
  await new Promise<void>((resolve) => callback.listen(0, "127.0.0.1", resolve));
  redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
});
afterAll(async () => {
  await new Promise((resolve) => callback?.close(resolve));
  await h?.close();
});

const server = (): oauth.AuthorizationServer => ({ issuer: h.base, authorization_endpoint: `${h.base}/oauth/authorizations/new`, token_endpoint: `${h.base}/oauth/tokens` });
const bearer = (token: string, p: string) => apiCall(h, "GET", p, { headers: { authorization: `Bearer ${token}` } });

describe("OAuth 2.0 in Chromium", () => {
  it("registers a client in the admin center, and shows its secret once", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/oauth-clients`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "OAuth clients" }));
    await page.getByLabel("Name").fill("Example app");
    await page.getByLabel("Identifier (client_id)").fill("example-app");
    await page.getByLabel("Redirect URIs").fill(redirectUri);
    await page.getByRole("button", { name: "Create client" }).click();
    await visible(page.getByRole("cell", { name: "Example app", exact: true }));
    // A confidential one: its secret, once.
    await page.getByLabel("Name").fill("Example server");
    await page.getByLabel("Identifier (client_id)").fill("example-server");
    await page.getByLabel("Redirect URIs").fill("https://server.example/callback");
    await page.getByLabel(/Confidential/).check();
    await page.getByRole("button", { name: "Create client" }).click();
    await visible(page.getByRole("heading", { name: "Client secret" }));
    expect(await page.locator("#new-client-secret").inputValue()).toMatch(/^vdcs_/);
    await expectAccessible(page, "OAuth clients");
    await shot(page, "oauth-clients");
    await expectInert(h, page);
  });

  it("signs the person in, asks for consent, and hands the code to the application", async () => {
    const client: oauth.Client = { client_id: "example-app" };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(server().authorization_endpoint!);
    for (const [k, v] of Object.entries({ response_type: "code", client_id: client.client_id, redirect_uri: redirectUri, scope: "tickets:read", state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" })) url.searchParams.set(k, v);

    const page = await h.newPage();
    await page.goto(url.href);
    // Not signed in: the sign-in form first, at the consent page's address, then the question.
    expect(new URL(page.url()).pathname).toBe("/oauth/consent");
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "Allow Example app to use your account?" }));
    await visible(page.getByText("Read tickets, their comments and attachments"));
    await expectAccessible(page, "OAuth consent");
    await shot(page, "oauth-consent");
    await page.getByRole("button", { name: "Allow" }).click();
    await visible(page.getByRole("heading", { name: "Back in the example app" }));
    await expectInert(h, page);

    // The browser asks the application for its icon too: the redirect is the visit to /callback.
    const back = landed.filter((u) => u.pathname === "/callback").at(-1)!;
    expect(back.searchParams.get("state")).toBe(state);
    const params = oauth.validateAuthResponse(server(), client, back, state);
    const opts = { [oauth.allowInsecureRequests]: true };
    const res = await oauth.authorizationCodeGrantRequest(server(), client, oauth.None(), params, redirectUri, verifier, opts);
    const tokens = await oauth.processAuthorizationCodeResponse(server(), client, res);
    expect(tokens.scope).toBe("tickets:read");
    expect((await bearer(tokens.access_token, "/api/v2/tickets.json")).status).toBe(200);
    const users = await bearer(tokens.access_token, "/api/v2/users.json");
    expect(users.status).toBe(403);
    expect(users.body.description).toContain("'users:read'");

    // The person sees the app among the authorized apps and revokes it: the token stops working.
    const admin = await h.newPage();
    await admin.goto(`${h.base}/admin/tokens`);
    await signIn(admin, "ann@acme.test", PASSWORD);
    await visible(admin.getByRole("heading", { name: "Authorized apps" }));
    await visible(admin.getByRole("cell", { name: "Example app", exact: true }));
    await shot(admin, "oauth-authorized-apps");
    await admin.getByRole("button", { name: "Revoke Example app" }).click();
    await visible(admin.getByText("Access of Example app was revoked."));
    expect((await bearer(tokens.access_token, "/api/v2/tickets.json")).status).toBe(401);
    await expectInert(h, admin);
  });

  it("asks for a new sign-in when the session's is too old to allow an application, then allows it", async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(server().authorization_endpoint!);
    for (const [k, v] of Object.entries({ response_type: "code", client_id: "example-app", redirect_uri: redirectUri, scope: "tickets:read", state: "again", code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" })) url.searchParams.set(k, v);
    const page = await h.newPage();
    await page.goto(url.href);
    await signIn(page, "ann@acme.test", PASSWORD);
    const question = page.getByRole("heading", { name: "Allow Example app to use your account?" });
    await visible(question);
    // A sign-in older than 15 minutes: the server refuses the "Allow" (test/recent-sign-in.test.ts
    // makes the old session; here the browser is given that answer once), and the page offers to
    // sign in again instead of showing an error.
    const refusal = await refuseAsNotRecent(page, "**/api/v2/oauth/consent", "allow an application access to your account");
    await page.getByRole("button", { name: "Allow" }).click();
    const again = page.getByRole("alert").filter({ hasText: "within 15 minutes of signing in" });
    await visible(again);
    await expectAccessible(page, "OAuth consent: sign in again");
    await shot(page, "oauth-consent-sign-in-again");
    await refusal.stop();
    await again.getByRole("button", { name: "Sign in again" }).click();
    // Signed out: the sign-in form at the consent page's address, then the same question.
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(question);
    expect(new URL(page.url()).searchParams.get("state")).toBe("again");
    await page.getByRole("button", { name: "Allow" }).click();
    await visible(page.getByRole("heading", { name: "Back in the example app" }));
    const back = landed.filter((u) => u.pathname === "/callback").at(-1)!;
    expect(back.searchParams.get("state")).toBe("again");
    expect(back.searchParams.get("code")).toBeTruthy();
    await expectInert(h, page);
  });

  it("remembers the consent given to a confidential client: the second time, the page goes on by itself", async () => {
    const created = await apiCall(h, "POST", "/api/v2/oauth/clients.json", { headers: owner, body: { client: { name: "Desk sync", identifier: "desk-sync", redirect_uri: [redirectUri], kind: "confidential" } } });
    expect(created.status).toBe(201);
    const client: oauth.Client = { client_id: "desk-sync" };
    const auth = oauth.ClientSecretBasic(created.body.client.secret as string);
    const authorize = async () => {
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(server().authorization_endpoint!);
      for (const [k, v] of Object.entries({ response_type: "code", client_id: client.client_id, redirect_uri: redirectUri, scope: "tickets:read", state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" })) url.searchParams.set(k, v);
      return { url, verifier, state };
    };
    const exchange = async (a: { verifier: string; state: string }) => {
      const back = landed.filter((u) => u.pathname === "/callback" && u.searchParams.get("state") === a.state).at(-1)!;
      const params = oauth.validateAuthResponse(server(), client, back, a.state);
      const res = await oauth.authorizationCodeGrantRequest(server(), client, auth, params, redirectUri, a.verifier, { [oauth.allowInsecureRequests]: true });
      return oauth.processAuthorizationCodeResponse(server(), client, res);
    };
    const page = await h.newPage();
    const first = await authorize();
    await page.goto(first.url.href);
    await signIn(page, "ann@acme.test", PASSWORD);
    await page.getByRole("button", { name: "Allow" }).click();
    await visible(page.getByRole("heading", { name: "Back in the example app" }));
    await exchange(first);
    // Asked again for the same scope: no question, the browser goes straight back with a code.
    const second = await authorize();
    await page.goto(second.url.href);
    await visible(page.getByRole("heading", { name: "Back in the example app" }));
    const tokens = await exchange(second);
    expect((await bearer(tokens.access_token, "/api/v2/tickets.json")).status).toBe(200);
    // For more than was allowed, the question again.
    const more = new URL((await authorize()).url);
    more.searchParams.set("scope", "tickets:read users:read");
    await page.goto(more.href);
    await visible(page.getByRole("heading", { name: "Allow Desk sync to use your account?" }));
    await expectInert(h, page);
  });

  it("stops at an error page for a redirect URI the client did not register", async () => {
    const page = await h.newPage();
    const url = new URL(server().authorization_endpoint!);
    for (const [k, v] of Object.entries({ response_type: "code", client_id: "example-app", redirect_uri: "https://attacker.example/cb", scope: "read", state: "s", code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()), code_challenge_method: "S256" })) url.searchParams.set(k, v);
    const r = await page.goto(url.href);
    expect(r?.status()).toBe(400);
    expect(new URL(page.url()).host).toBe(new URL(h.base).host);
    await visible(page.getByRole("heading", { name: "Authorization did not work" }));
    await shot(page, "oauth-bad-redirect");
    expect(owner.cookie).toBeTruthy();
  });
});
