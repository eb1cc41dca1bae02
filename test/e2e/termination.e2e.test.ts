import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PHONE, apiCall, expectAccessible, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Closing the account in Chromium: the owner opens the Account page, reads the "Close account"
 * section, sees the button stay disabled until the subdomain is typed, is told a wrong password is
 * wrong, then closes the account (data deleted after the grace period) and reads the outcome with
 * the deletion date. Reloading shows the plain "account closed" page; the API answers
 * AccountClosed. axe-core checks the section; screenshots termination-desktop.png, termination-phone.png.
 */

const PASSWORD = "Copper kettles 41 whistle softly";
let h: Harness;
let owner: Record<string, string>;

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
});
afterAll(async () => h?.close());

describe("Close account", () => {
  it("closes the account after the subdomain and password are confirmed, and shows the outcome", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await page.getByRole("navigation", { name: "Admin center" }).getByRole("link", { name: "Account" }).click();
    const section = page.getByRole("region", { name: "Close account" });
    await visible(section.getByRole("heading", { name: "Close account" }));
    const submit = section.getByRole("button", { name: "Close the account" });
    expect(await submit.isDisabled()).toBe(true);
    await section.getByLabel("Type the account's subdomain (acme) to confirm").fill("acme");
    await section.getByLabel("Your password").fill("not my password");
    expect(await submit.isDisabled()).toBe(false);
    await expectAccessible(page, "the close account section");
    await shot(page, "termination-desktop");
    await submit.click();
    await visible(section.getByRole("alert").getByText(/Password: is not correct/));

    await section.getByLabel("Your password").fill(PASSWORD);
    await submit.click();
    await visible(section.getByRole("status").getByText(/^The account is closed\. Its data will be deleted on .+\. You have been signed out\.$/));
    await page.setViewportSize(PHONE);
    await shot(page, "termination-phone");

    const api = await apiCall(h, "GET", "/api/v2/tickets.json", { headers: owner });
    expect(api.status).toBe(403);
    expect(api.body.error).toBe("AccountClosed");
    await page.goto(`${h.base}/admin/account`);
    await visible(page.getByRole("heading", { name: "This account is closed" }));
  });
});
