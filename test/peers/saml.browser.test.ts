import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimpleSamlPhp, type SimpleSamlPhp } from "../support/simplesamlphp.ts";
import { apiCall, expectAccessible, firstAccount, refuseAsNotRecent, shot, signIn, startHarness, visible, type Harness } from "../e2e/support.ts";

/**
 * SAML sign-in in Chromium, from the staff sign-in page to the workspace, through SimpleSAMLphp's
 * own login page and its auto-submitted answer: the browser's redirects, cookies and cross-site
 * POST are real.
 */

const PASSWORD = "Correct horse battery 9";
let idp: SimpleSamlPhp;
let h: Harness;
let auth: Record<string, string> = {};

const call = (method: string, p: string, body?: unknown) => apiCall(h, method, p, { body, headers: auth });

beforeAll(async () => {
  idp = await startSimpleSamlPhp();
  h = await startHarness();
  auth = await firstAccount(h, PASSWORD);
  const put = await call("PUT", "/api/v2/sso/saml.json", {
    saml: { enabled: true, idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl, idp_certificates: [idp.keys.cert], email_attribute: "email", name_attribute: "displayName", signed: "both" },
  });
  expect(put.status, JSON.stringify(put.body)).toBe(200);
  const s = await call("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "saml", role_attribute: "role", role_map: { agent: ["support"] } } });
  expect(s.status, JSON.stringify(s.body)).toBe(200);
  idp.addSp({ entityId: put.body.saml.sp_entity_id, acsUrl: put.body.saml.acs_url });
  idp.addUser({ username: "grace", password: "Hopper-1906", email: "grace@acme.test", name: "Grace Hopper", role: "support" });
});
afterAll(async () => {
  await h?.close();
  await idp?.close();
});

describe("SAML sign-in in the browser", () => {
  it("goes from the staff sign-in page through SimpleSAMLphp's login to the workspace", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/agent`);
    await visible(page.getByRole("heading", { name: "Sign in" }));
    await shot(page, "signin-with-saml-desktop");
    await page.getByRole("link", { name: /single sign-on|SSO|SAML/i }).first().click();
    // SimpleSAMLphp's own login page, on another origin.
    await page.waitForURL((u) => u.origin === new URL(idp.base).origin, { timeout: 20_000 });
    await page.locator("input[name=username]").fill("grace");
    await page.locator("input[name=password]").fill("Hopper-1906");
    await Promise.all([page.waitForURL((u) => u.origin === h.base && u.pathname.startsWith("/agent"), { timeout: 30_000 }), page.locator("input[name=password]").press("Enter")]);
    await visible(page.getByText("Grace Hopper").first());
    const me = await page.evaluate(async () => (await (await fetch("/api/v2/users/me.json")).json()) as { user: { email: string; role: string } });
    expect(me.user).toMatchObject({ email: "grace@acme.test", role: "agent" });
    await shot(page, "workspace-after-saml-sign-in-desktop");
    await expectAccessible(page, "the workspace after SAML sign-in");
    expect(h.incidents).toEqual([]);
  });

  it("signs in again through SAML for a step that needs a recent sign-in: SimpleSAMLphp asks for the password despite its own session, and the page comes back", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/agent`);
    await visible(page.getByRole("heading", { name: "Sign in" }));
    const sso = page.getByRole("link", { name: /single sign-on|SSO|SAML/i }).first();
    await sso.click();
    await page.waitForURL((u) => u.origin === new URL(idp.base).origin, { timeout: 20_000 });
    await page.locator("input[name=username]").fill("grace");
    await page.locator("input[name=password]").fill("Hopper-1906");
    await Promise.all([page.waitForURL((u) => u.origin === h.base && u.pathname.startsWith("/agent"), { timeout: 30_000 }), page.locator("input[name=password]").press("Enter")]);
    // The workspace settled (the session and its first lists read) before moving on.
    await visible(page.getByText("Grace Hopper").first());
    await page.getByRole("link", { name: "Sign-in security" }).click();
    await visible(page.getByRole("heading", { name: "Passkeys" }));
    await visible(page.getByText("You have no passkeys yet."));
    // The server's answer to a sign-in too old (test/peers/saml.test.ts makes one for real), once.
    const refusal = await refuseAsNotRecent(page, "**/api/v2/users/me/passkeys/options", "add a passkey");
    // The press reaches the page as a request answered by that refusal (a failure here says which step was missed).
    const [refused] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v2/users/me/passkeys/options" && r.request().method() === "POST", { timeout: 20_000 }),
      page.getByRole("button", { name: "Add a passkey" }).click(),
    ]);
    expect(refused.status()).toBe(403);
    const again = page.getByRole("alert").filter({ hasText: "within 15 minutes of signing in" });
    await visible(again).catch(async (err: unknown) => {
      throw new Error(`no sign-in-again notice after the refusal; the page at ${page.url()} shows: ${(await page.locator("main").innerText().catch(() => "(no main)")).slice(0, 600)}`, { cause: err });
    });
    await refusal.stop();
    const securityUrl = page.url();
    const starts: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/access/saml/login")) starts.push(r.url());
    });
    await again.getByRole("button", { name: "Sign in again" }).click();
    await visible(page.getByRole("heading", { name: "Sign in" }));
    await sso.click();
    await page.waitForURL((u) => u.origin === new URL(idp.base).origin, { timeout: 20_000 });
    expect(new URL(starts.at(-1)!).searchParams.get("reauth")).toBe("1");
    // ForceAuthn: the IdP's own session from a minute ago is not enough, its login form is back.
    await visible(page.locator("input[name=password]"));
    await page.locator("input[name=username]").fill("grace");
    await page.locator("input[name=password]").fill("Hopper-1906");
    await Promise.all([page.waitForURL((u) => u.href === securityUrl, { timeout: 30_000 }), page.locator("input[name=password]").press("Enter")]);
    await visible(page.getByRole("heading", { name: "Passkeys" }));
    // The new session counts as a recent sign-in at the real server.
    const status = await page.evaluate(async () => {
      const s = (await (await fetch("/api/v2/session.json")).json()) as { session: { csrf_token: string } };
      return (await fetch("/api/v2/users/me/passkeys/options.json", { method: "POST", headers: { "x-csrf-token": s.session.csrf_token } })).status;
    });
    expect(status).toBe(200);
    // The mark is used up: a later sign-in in this tab is an ordinary one.
    expect(await page.evaluate("sessionStorage.getItem('vd.signInAgain')")).toBeNull();
    expect(h.incidents).toEqual([]);
  });

  it("shows the SAML settings, with this account's SP addresses, on the admin center's Single sign-on page", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/sso`);
    await signIn(page, "ann@acme.test", PASSWORD);
    const saml = page.getByRole("region", { name: "SAML" });
    await visible(saml);
    await visible(saml.getByText(`${h.base}/access/saml`, { exact: true }));
    expect(await saml.getByLabel("Identity provider entity ID (issuer)").inputValue()).toBe(idp.entityId);
    await saml.getByLabel("What the identity provider must sign").selectOption("assertion");
    await saml.getByRole("button", { name: "Save SAML settings" }).click();
    await visible(saml.getByText("Saved."));
    expect((await call("GET", "/api/v2/sso/saml.json")).body.saml.signed).toBe("assertion");
    await shot(page, "sso-admin-saml-desktop");
    await expectAccessible(page, "the Single sign-on page with the SAML settings");
    expect(h.incidents).toEqual([]);
  });
});
