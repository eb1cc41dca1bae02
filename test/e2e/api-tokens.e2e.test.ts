import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, expectInert, firstAccount, refuseAsNotRecent, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * API tokens in the admin center, in Chromium: a token with chosen scopes and an expiry (its secret
 * shown once, its scopes enforced), its last use with the address, rotation (the new secret shown
 * once, the old one's end shown, both working during the overlap), and the password access switch
 * (Basic e-mail:password refused, then accepted). Screenshot api-tokens-desktop.png.
 */

const PASSWORD = "Bright copper kettles 42 sing";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await firstAccount(h, PASSWORD);
});
afterAll(async () => h?.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basicPassword = { authorization: "Basic " + Buffer.from(`ann@acme.test:${PASSWORD}`).toString("base64") };

describe("API tokens in the admin center", () => {
  it("creates a scoped, expiring token, shows its last use, rotates it, and turns password access on", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/tokens`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "API tokens" }));

    await page.getByLabel("Name").fill("Ticket reader");
    await page.getByRole("checkbox", { name: "Read everything" }).uncheck();
    await page.getByRole("checkbox", { name: "Write everything" }).uncheck();
    await page.getByRole("checkbox", { name: "Tickets: read" }).check();
    await page.getByLabel("Expires", { exact: true }).selectOption({ label: "In 30 days" });
    await page.getByRole("button", { name: "Create token" }).click();
    const box = page.getByRole("textbox", { name: "New API token" });
    await visible(box);
    const first = await box.inputValue();
    expect(first).toMatch(/^vdt_/);
    // The scopes hold: tickets may be read, not written, and people not read.
    expect((await apiCall(h, "GET", "/api/v2/tickets.json", { headers: bearer(first) })).status).toBe(200);
    expect((await apiCall(h, "POST", "/api/v2/tickets.json", { headers: bearer(first), body: { ticket: { subject: "x", comment: { body: "y" } } } })).status).toBe(403);
    expect((await apiCall(h, "GET", "/api/v2/users.json", { headers: bearer(first) })).status).toBe(403);

    await page.reload();
    const row = page.locator("table.admin tr", { hasText: "Ticket reader" });
    await visible(row);
    await visible(row.getByText("tickets:read", { exact: true }));
    await visible(row.getByText("from 127.0.0.1"));
    expect(await page.content()).not.toContain(first);

    await page.getByLabel("After a rotation, the old secret keeps working for").selectOption({ label: "1 hour" });
    await row.getByRole("button", { name: "Rotate the secret of the token Ticket reader" }).click();
    const rotated = page.getByRole("textbox", { name: "New secret" });
    await visible(rotated);
    const second = await rotated.inputValue();
    expect(second).toMatch(/^vdt_/);
    expect(second).not.toBe(first);
    await visible(page.getByText(/The previous secret keeps working until/));
    await visible(row.getByText(/Old secret until/));
    expect((await apiCall(h, "GET", "/api/v2/tickets.json", { headers: bearer(first) })).status).toBe(200);
    expect((await apiCall(h, "GET", "/api/v2/tickets.json", { headers: bearer(second) })).status).toBe(200);

    // A sign-in older than 15 minutes: the server refuses a new secret (test/recent-sign-in.test.ts
    // makes the old session; here the browser is given that answer once), and the page offers to
    // sign in again instead of showing an error.
    const refusal = await refuseAsNotRecent(page, "**/api/v2/api_tokens", "create an API token");
    await page.getByLabel("Name").fill("Too late");
    await page.getByRole("button", { name: "Create token" }).click();
    const again = page.getByRole("alert").filter({ hasText: "within 15 minutes of signing in" });
    await visible(again);
    await visible(again.getByRole("button", { name: "Sign in again" }));
    await expectAccessible(page, "API tokens: sign in again");
    await refusal.stop();

    // Password access: off by default, then on.
    expect((await apiCall(h, "GET", "/api/v2/users/me.json", { headers: basicPassword })).status).toBe(401);
    const toggle = page.getByRole("switch", { name: "Allow password access to the API" });
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    await page.locator("section", { hasText: "Password access" }).getByRole("button", { name: "Save" }).click();
    await visible(page.getByRole("status").getByText("Password access to the API is on."));
    expect((await apiCall(h, "GET", "/api/v2/users/me.json", { headers: basicPassword })).status).toBe(200);

    await shot(page, "api-tokens-desktop");
    await expectAccessible(page, "the API tokens page");
    await expectInert(h, page);
  });
});
