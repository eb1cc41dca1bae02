import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Data subject requests in Chromium, one story: the owner records an erasure request for an address
 * in the admin center's Data requests, is refused work before verifying (the server's 422 in words),
 * records the verification, moves it on, completes it with a note and downloads the evidence; the
 * deadlines are changed. axe-core checks the page; screenshot data-requests-desktop.png.
 */

const PASSWORD = "Quiet ledger lamps 58 glow";
let h: Harness;
let owner: Record<string, string>;

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
});
afterAll(async () => h?.close());

describe("Data requests", () => {
  it("records, verifies, completes a request and downloads its evidence", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await page.getByRole("navigation", { name: "Admin center" }).getByRole("link", { name: "Data requests" }).click();
    await visible(page.getByRole("heading", { name: "Data requests", level: 1 }));

    await page.getByLabel("Type", { exact: true }).selectOption("erasure");
    await page.getByLabel("Person: user id or e-mail address").fill("former.customer@example.com");
    await page.getByLabel("Note", { exact: true }).fill("Asked by letter on 1 December");
    await page.getByRole("button", { name: "Record request" }).click();
    await visible(page.getByRole("status").getByText(/^Request #1 recorded, due .+\.$/));
    const table = page.getByRole("table", { name: "Data requests, one page" });
    await visible(table.getByText("former.customer@example.com"));
    await visible(table.getByText("Not verified"));

    await page.getByRole("button", { name: "Manage request #1" }).click();
    const detail = page.getByRole("region", { name: "Request #1" });
    await visible(detail.getByText("Asked by letter on 1 December"));
    // Work before verification is refused by the server, in words.
    await detail.getByLabel("New status").selectOption("in_progress");
    await detail.getByRole("button", { name: "Save" }).click();
    await visible(detail.getByRole("alert").getByText(/must be verified/));
    await detail.getByLabel("How they were verified").selectOption("id_document");
    await detail.getByRole("button", { name: "Record verification" }).click();
    await visible(detail.getByRole("status").getByText("Verification recorded."));
    await detail.getByLabel("New status").selectOption("in_progress");
    await detail.getByRole("button", { name: "Save" }).click();
    await visible(detail.getByRole("status").getByText("Request #1 saved."));
    await detail.getByLabel("New status").selectOption("completed");
    await detail.getByLabel("Note (required to complete or reject)").fill("Erased the person and their 2 tickets");
    await detail.getByRole("button", { name: "Save" }).click();
    await visible(detail.getByText("This request is closed."));
    await visible(table.getByText("Completed"));
    await expectAccessible(page, "the data requests page");
    await shot(page, "data-requests-desktop");

    const [download] = await Promise.all([page.waitForEvent("download"), detail.getByRole("button", { name: "Download evidence (JSON)" }).click()]);
    expect(download.suggestedFilename()).toBe("data-subject-request-1-evidence.json");
    const evidence = JSON.parse(fs.readFileSync((await download.path())!, "utf8")).data_subject_request_evidence;
    expect(evidence.regime).toBe("gdpr");
    expect(evidence.steps.map((s: { what: string }) => s.what)).toEqual(["created", "verified", "status_changed", "status_changed"]);

    // The deadlines.
    await page.getByLabel("CCPA days").fill("40");
    await page.getByLabel("Regime of new requests").selectOption("ccpa");
    await page.getByRole("region", { name: "Deadlines" }).getByRole("button", { name: "Save" }).click();
    await visible(page.getByRole("region", { name: "Deadlines" }).getByRole("status").getByText("Saved."));
    const settings = await apiCall(h, "GET", "/api/v2/data_subject_request_settings.json", { headers: owner });
    expect(settings.body.data_subject_request_settings).toMatchObject({ gdpr_days: 30, ccpa_days: 40, default_regime: "ccpa" });
  });
});
