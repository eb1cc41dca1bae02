import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, expectInert, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * IP restrictions in Chromium: the owner opens the admin center's page, sees the address the
 * server sees (the browser connects from 127.0.0.1), saves ranges that include it, then tries
 * ranges that exclude it: the page asks for the lockout confirmation instead of saving, and once
 * confirmed the owner's own session is refused. Screenshots ip-restrictions-*.png.
 */

const PASSWORD = "Quiet harbour lanterns 58 glow";
let h: Harness;
let owner: Record<string, string>;
beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
});
afterAll(async () => h?.close());

describe("IP restrictions in the admin center", () => {
  it("edits the ranges, shows the server's view of this browser, and asks before locking the admin out", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/ip-restrictions`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "IP restrictions" }));
    await visible(page.getByText("Your current address, as the server sees it: 127.0.0.1"));

    await page.getByLabel("Only allow access from the listed networks").check();
    await page.getByLabel("Allowed networks").fill("127.0.0.0/8\n2001:db8::/48");
    await page.getByLabel(/Allow sign-in from outside these networks/).check();
    await page.getByRole("button", { name: "Save" }).click();
    await visible(page.getByRole("status").getByText("Saved"));
    const saved = await apiCall(h, "GET", "/api/v2/ip_restrictions.json", { headers: owner });
    expect(saved.body.ip_restriction).toMatchObject({ enabled: true, allowed_ips: "127.0.0.0/8 2001:db8::/48", allow_two_factor: true, enforce_end_users: false });
    await page.reload();
    await visible(page.getByText("It is in the allowed networks."));
    await expectAccessible(page, "IP restrictions");
    await shot(page, "ip-restrictions");

    // Ranges without this browser's address: nothing saved until the admin confirms.
    await page.getByLabel("Allowed networks").fill("192.0.2.0/24");
    await page.getByRole("button", { name: "Save" }).click();
    await visible(page.getByRole("alertdialog").getByText(/This change would sign you out/));
    expect((await apiCall(h, "GET", "/api/v2/ip_restrictions.json", { headers: owner })).body.ip_restriction.allowed_ips).toBe("127.0.0.0/8 2001:db8::/48");
    await expectAccessible(page, "the lockout confirmation");
    await shot(page, "ip-restrictions-lockout");
    await page.getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => page.getByRole("alertdialog").count()).toBe(0);

    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("button", { name: "I understand: save and lock me out" }).click();
    await visible(page.getByRole("status").getByText("Saved"));
    // The owner's sessions (this browser's and the API's) are now refused.
    const refused = await apiCall(h, "GET", "/api/v2/users/me.json", { headers: owner });
    expect(refused.status).toBe(403);
    expect(refused.body.description).toMatch(/^Your network is not allowed/);
    await page.reload();
    await visible(page.getByText(/Your network is not allowed/).first());
    await shot(page, "ip-restrictions-refused");
    await expectInert(h, page);
  });
});
