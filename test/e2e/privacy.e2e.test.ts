import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, expectInert, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Restriction of processing and consent withdrawal in Chromium: the owner restricts a person on
 * the People page and sees the banner there and on the ticket's requester panel; the person
 * withdraws their consent in My information (two steps) and sees the withdrawal recorded.
 * Screenshots privacy-person-desktop.png, privacy-requester-desktop.png, privacy-withdrawn-desktop.png.
 */

const PASSWORD = "Quiet lantern harbour 58 rest";
const EMAIL = "yui@customer.test";
let h: Harness;
let owner: Record<string, string>;
let person = 0;
let ticket = 0;

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  const set = await apiCall(h, "PUT", "/api/v2/help_center/settings.json", { headers: owner, body: { settings: { consent_required: true, consent_text: "I agree that Acme stores my request to answer it." } } });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
  const req = await apiCall(h, "POST", "/api/v2/requests.json", { body: { request: { subject: "Printer jams", comment: { body: "Tray 2 again." }, requester: { name: "Yui Tanaka", email: EMAIL }, consent: { accepted: true, version: set.body.settings.consent_version } } } });
  expect(req.status, JSON.stringify(req.body)).toBe(201);
  ticket = req.body.request.id;
  person = (await apiCall(h, "GET", `/api/v2/tickets/${ticket}.json`, { headers: owner })).body.ticket.requester_id;
});
afterAll(async () => h?.close());

describe("Privacy in Chromium", () => {
  it("restricts processing on the People page and shows the banner there and on the requester panel", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/people/${person}`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "Restriction of processing" }));
    await page.getByLabel("Reason").fill("Objected by letter of 3 May");
    await page.getByRole("button", { name: "Restrict processing" }).click();
    await visible(page.getByRole("status").getByText("Processing restricted."));
    await visible(page.getByRole("note").getByText(/^Processing restricted since .+ — Objected by letter of 3 May$/));
    const u = (await apiCall(h, "GET", `/api/v2/users/${person}.json`, { headers: owner })).body.user;
    expect(u).toMatchObject({ restricted: true, restriction_reason: "Objected by letter of 3 May" });
    await shot(page, "privacy-person-desktop");
    await expectAccessible(page, "a restricted person's page");

    await page.goto(`${h.base}/agent/tickets/${ticket}`);
    await visible(page.getByRole("region", { name: "Requester" }).getByRole("note").getByText(/^Processing restricted since .+ — Objected by letter of 3 May$/));
    await shot(page, "privacy-requester-desktop");
    await expectAccessible(page, "the ticket of a restricted requester");
    await expectInert(h, page);
  });

  it("lets the person withdraw their consent in My information, after asking", async () => {
    const link = await apiCall(h, "POST", `/api/v2/users/${person}/sign_in_links.json`, { headers: owner });
    expect(link.status, JSON.stringify(link.body)).toBe(201);
    const visitor = await h.newPage();
    await visitor.goto(link.body.sign_in_link.url);
    await visitor.getByRole("button", { name: "Continue" }).click();
    await visible(visitor.getByRole("heading", { name: "My requests" }));
    await visitor.getByRole("link", { name: "My information" }).click();
    await visible(visitor.getByRole("heading", { name: "My information" }));
    await visitor.getByRole("button", { name: "Withdraw this consent" }).click();
    // Asked first: keeping it changes nothing.
    await visitor.getByRole("button", { name: "Keep it" }).click();
    expect((await apiCall(h, "GET", `/api/v2/users/${person}/consent_records.json`, { headers: owner })).body.consent_withdrawals).toEqual([]);
    await visitor.getByRole("button", { name: "Withdraw this consent" }).click();
    await visitor.getByRole("button", { name: "Yes, withdraw it" }).click();
    await visible(visitor.locator(".pd-consents").getByText(/^Withdrawn /));
    await visible(visitor.locator(".pd-withdrawals").getByText(/withdrawn .+ by you, here$/));
    const staff = (await apiCall(h, "GET", `/api/v2/users/${person}/consent_records.json`, { headers: owner })).body;
    expect(staff.consent_withdrawals).toEqual([expect.objectContaining({ via: "help_center", withdrawn_by_id: person })]);
    await shot(visitor, "privacy-withdrawn-desktop");
    await expectAccessible(visitor, "My information after a withdrawal");
    await expectInert(h, visitor);
  });
});
