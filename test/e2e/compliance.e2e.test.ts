import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * The Compliance page in Chromium: the owner reads the posture report (state, who owns each
 * control, the fix link), sees the operator's hosting region and sub-processors, tries to turn
 * healthcare mode on and is shown each failing control with its fix, follows one to its settings
 * page, and sees a control pass after its setting changed. axe-core checks the page; screenshots
 * compliance-desktop.png and compliance-refused-desktop.png.
 */

const PASSWORD = "Careful ledger lamps 58 glow";
let h: Harness;
let owner: Record<string, string>;

beforeAll(async () => {
  h = await startHarness({
    VAULTDESK_REGION: "eu-central",
    VAULTDESK_SUBPROCESSORS: JSON.stringify([{ name: "Example Cloud", purpose: "Hosting and backups", location: "EU (Frankfurt)", url: "https://cloud.example.com/dpa" }]),
  });
  owner = await firstAccount(h, PASSWORD);
});
afterAll(async () => h?.close());

describe("Compliance", () => {
  it("shows the posture, the sub-processors, and the controls that keep healthcare mode off", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await page.getByRole("navigation", { name: "Admin center" }).getByRole("link", { name: "Compliance" }).click();
    await visible(page.getByRole("heading", { name: "Compliance", level: 1 }));

    const table = page.getByRole("table", { name: "Controls" });
    const https = table.locator('tr[data-control="https"]');
    await visible(https.getByText("Fail", { exact: true }));
    await visible(https.getByRole("cell", { name: "Operator", exact: true }));
    await visible(https.getByText(/docs\/operating\.md/));
    const notifications = table.locator('tr[data-control="content_free_notifications"]');
    await visible(notifications.getByText("Fail", { exact: true }));
    await visible(notifications.getByRole("cell", { name: "Your admins", exact: true }));
    expect(await notifications.getByRole("link", { name: "/admin/notifications" }).getAttribute("href")).toBe("/admin/notifications");
    await visible(table.locator('tr[data-control="encryption_at_rest"]').getByText("Pass", { exact: true }));
    await visible(page.getByText("Hosting region: eu-central"));
    await visible(page.getByRole("table", { name: "Sub-processors, as the operator lists them" }).getByRole("link", { name: "Example Cloud" }));
    await expectAccessible(page, "the compliance page");
    await shot(page, "compliance-desktop");

    // Healthcare mode: refused, each failing control named with its fix; nothing changed.
    await page.getByRole("button", { name: "Turn healthcare mode on" }).click();
    await visible(page.getByRole("alert").getByText("Healthcare mode was not turned on. Fix these first:"));
    const failing = page.getByRole("list", { name: "Healthcare mode was not turned on. Fix these first:" });
    await visible(failing.getByText(/Idle sessions end within 15 minutes/));
    await visible(failing.getByText(/served over HTTPS only/));
    await expectAccessible(page, "the refused healthcare mode");
    await shot(page, "compliance-refused-desktop");
    expect((await apiCall(h, "GET", "/api/v2/compliance/healthcare_mode.json", { headers: owner })).body.healthcare_mode.enabled).toBe(false);
    await failing.getByRole("link", { name: "/admin/sessions" }).click();
    await visible(page.getByRole("heading", { level: 1, name: /Session/ }));

    // A setting changed elsewhere: the control passes when the page is read again.
    const put = await apiCall(h, "PUT", "/api/v2/notification_settings.json", { headers: owner, body: { settings: { content_free: true } } });
    expect(put.status).toBe(200);
    await page.goto(`${h.base}/admin/compliance`);
    await visible(page.getByRole("table", { name: "Controls" }).locator('tr[data-control="content_free_notifications"]').getByText("Pass", { exact: true }));
  });

  it("speaks the owner's language on the staff pages: Japanese in the admin center, Swedish in the workspace, remembered", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/compliance`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "Compliance", level: 1 }));
    await page.getByLabel("Language", { exact: true }).selectOption("ja");
    await visible(page.getByRole("heading", { name: "コンプライアンス", level: 1 }));
    await visible(page.getByRole("navigation", { name: "管理センター" }));
    expect(await page.locator("html").getAttribute("lang")).toBe("ja");
    await expectAccessible(page, "the compliance page in Japanese");
    await shot(page, "compliance-ja-desktop");
    // Remembered: the workspace opens in Japanese; switched to Swedish there.
    await page.goto(`${h.base}/agent`);
    await visible(page.getByRole("heading", { name: "ビュー", exact: true }));
    await page.getByLabel("言語", { exact: true }).selectOption("sv");
    await visible(page.getByRole("heading", { name: "Vyer", exact: true }));
    await visible(page.getByRole("link", { name: /Ej tilldelade ärenden/ }));
    await shot(page, "workspace-sv-desktop");
    await page.getByLabel("Språk", { exact: true }).selectOption("en");
    await visible(page.getByRole("heading", { name: "Views", exact: true }));
  });
});
