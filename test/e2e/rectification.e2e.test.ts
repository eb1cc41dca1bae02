import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PHONE, apiCall, expectAccessible, expectInert, firstAccount, shot, startHarness, visible, type Harness } from "./support.ts";

/**
 * Rectification in the help center (GDPR art. 16), in Chromium: a signed-in end user opens the
 * form on My information with the keyboard, corrects their name, phone, time zone and language,
 * and sees them at once; the change is audited with the person as actor. Wrong values are refused
 * by the server (422) and its messages are shown under the fields they concern, tied to them by
 * aria-describedby; nothing is saved. Over the API the person cannot edit someone else, nor their
 * own role, notes or organization. axe-core checks each state; screenshots hc-rectify-*.png.
 */

const PASSWORD = "Tidy ledger walrus 42 sings";
let h: Harness;
let owner: Record<string, string>;
let person: number;
let other: number;
let visitor: Page;

async function endUser(name: string, email: string): Promise<number> {
  const r = await apiCall(h, "POST", "/api/v2/users.json", { headers: owner, body: { user: { name, email, role: "end-user" } } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.user.id;
}

/** A sign-in link handed over by the owner, redeemed over the API: the person's session as headers. */
async function sessionOf(id: number): Promise<Record<string, string>> {
  const link = await apiCall(h, "POST", `/api/v2/users/${id}/sign_in_links.json`, { headers: owner });
  expect(link.status, JSON.stringify(link.body)).toBe(201);
  const s = await apiCall(h, "POST", "/api/v2/help_center/sign_in_links/redeem.json", { body: { token: link.body.sign_in_link.token } });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  const cookie = (s.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!;
  return { cookie, "x-csrf-token": s.body.session.csrf_token };
}

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  person = await endUser("Pat Persson", "pat@customer.test");
  other = await endUser("Olive Other", "olive@customer.test");
});
afterAll(async () => h?.close());

describe("rectification on My information", () => {
  it("lets the person correct their name, phone, time zone and language, shown at once and audited", async () => {
    const link = await apiCall(h, "POST", `/api/v2/users/${person}/sign_in_links.json`, { headers: owner });
    expect(link.status).toBe(201);
    visitor = await h.newPage();
    await visitor.goto(link.body.sign_in_link.url);
    await visitor.getByRole("button", { name: "Continue" }).click();
    await visible(visitor.getByRole("heading", { name: "My requests" }));
    await visitor.getByRole("link", { name: "My information" }).click();
    await visible(visitor.getByRole("heading", { name: "My information" }));
    const region = visitor.getByRole("region", { name: "Correct your details" });
    await visible(region);

    // With the keyboard: the button opens the form and the first field takes the focus.
    await region.getByRole("button", { name: "Edit" }).focus();
    await visitor.keyboard.press("Enter");
    await visible(region.getByLabel("Name", { exact: true }));
    expect(await visitor.evaluate<string>("document.activeElement.id")).toBe("hc-edit-name");
    expect(await region.getByLabel("Name", { exact: true }).inputValue()).toBe("Pat Persson");
    // The hints are read with their fields.
    expect(await region.getByLabel("Phone", { exact: true }).getAttribute("aria-describedby")).toBe("hc-edit-phone-help");
    // Language: the help center's five, and "Not set".
    expect(await region.getByLabel("Language", { exact: true }).locator("option").allTextContents()).toEqual(["Not set", "English", "日本語", "한국어", "简体中文", "Svenska"]);
    expect(await region.getByLabel("Time zone", { exact: true }).locator("option", { hasText: "Europe/Stockholm" }).count()).toBe(1);

    await region.getByLabel("Name", { exact: true }).fill("Pat Rättad");
    await region.getByLabel("Phone", { exact: true }).fill("+46 70 123 45 67");
    await region.getByLabel("Time zone", { exact: true }).selectOption("Europe/Stockholm");
    await region.getByLabel("Language", { exact: true }).selectOption("sv");
    await expectAccessible(visitor, "the rectification form");
    await region.getByRole("button", { name: "Save changes" }).click();
    await visible(region.getByRole("status").getByText("Your changes are saved."));
    // Shown at once in the profile, and the focus is back on the button.
    const profile = visitor.getByRole("region", { name: "Profile" });
    await visible(profile.getByRole("definition").getByText("Pat Rättad", { exact: true }));
    await visible(profile.getByRole("definition").getByText("+46 70 123 45 67", { exact: true }));
    await visible(profile.getByRole("definition").getByText("Europe/Stockholm", { exact: true }));
    await visible(profile.getByRole("definition").getByText("Svenska", { exact: true }));
    await expect.poll(() => visitor.evaluate<string>("document.activeElement.textContent")).toBe("Edit");

    const stored = (await apiCall(h, "GET", `/api/v2/users/${person}.json`, { headers: owner })).body.user;
    expect(stored).toMatchObject({ name: "Pat Rättad", phone: "+46 70 123 45 67", time_zone: "Europe/Stockholm", locale: "sv" });
    const log = (await apiCall(h, "GET", `/api/v2/audit_logs.json?filter[action]=user.updated&filter[source_id]=${person}`, { headers: owner })).body.audit_logs;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ actor_id: person, source_type: "user", source_id: String(person) });
    expect([...log[0].changed_fields].sort()).toEqual(["locale", "name", "phone", "time_zone"]);
    await shot(visitor, "hc-rectify-saved-desktop");
    await expectInert(h, visitor);
  });

  it("shows the server's messages under the fields it refuses, and saves nothing", async () => {
    const region = visitor.getByRole("region", { name: "Correct your details" });
    await region.getByRole("button", { name: "Edit" }).click();
    await region.getByLabel("Name", { exact: true }).fill("   ");
    await region.getByLabel("Phone", { exact: true }).fill("call me maybe");
    await region.getByRole("button", { name: "Save changes" }).click();
    const phoneError = region.locator("#hc-edit-phone-error");
    await visible(phoneError);
    expect(await phoneError.textContent()).toBe("Phone: is not a valid phone number");
    expect(await region.locator("#hc-edit-name-error").textContent()).toBe("Name: cannot be blank");
    const phone = region.getByLabel("Phone", { exact: true });
    expect(await phone.getAttribute("aria-invalid")).toBe("true");
    expect((await phone.getAttribute("aria-describedby"))!.split(" ")).toEqual(["hc-edit-phone-help", "hc-edit-phone-error"]);
    expect(await region.getByLabel("Time zone", { exact: true }).getAttribute("aria-invalid")).toBeNull();
    // The focus goes to the first refused field, whose message is read with it.
    await expect.poll(() => visitor.evaluate<string>("document.activeElement.id")).toBe("hc-edit-name");
    await expectAccessible(visitor, "the refused correction");
    await shot(visitor, "hc-rectify-refused-desktop");
    await visitor.setViewportSize(PHONE);
    await shot(visitor, "hc-rectify-refused-phone");
    await expectAccessible(visitor, "the refused correction on a phone");
    await visitor.setViewportSize({ width: 1280, height: 800 });
    const stored = (await apiCall(h, "GET", `/api/v2/users/${person}.json`, { headers: owner })).body.user;
    expect(stored).toMatchObject({ name: "Pat Rättad", phone: "+46 70 123 45 67" });

    // Escape leaves the form as it was before; the profile still shows what is stored.
    await visitor.keyboard.press("Escape");
    await visible(region.getByRole("button", { name: "Edit" }));
    expect(await region.getByLabel("Phone", { exact: true }).count()).toBe(0);
    await visible(visitor.getByRole("region", { name: "Profile" }).getByRole("definition").getByText("Pat Rättad", { exact: true }));
  });
});

describe("what the person cannot change", () => {
  it("refuses another person's profile, and the person's own role, notes and organization; values the server refuses are 422", async () => {
    const me = await sessionOf(person);
    const put = (id: number, user: Record<string, unknown>) => apiCall(h, "PUT", `/api/v2/users/${id}.json`, { headers: me, body: { user } });
    const theirs = await put(other, { name: "Hijacked", phone: "123" });
    expect([403, 404]).toContain(theirs.status);
    const org = await apiCall(h, "POST", "/api/v2/organizations.json", { headers: owner, body: { organization: { name: "Big Bank" } } });
    expect(org.status, JSON.stringify(org.body)).toBe(201);
    expect((await put(person, { role: "admin" })).status).toBe(403);
    expect((await put(person, { organization_id: org.body.organization.id })).status).toBe(403);
    expect((await put(person, { notes: "VIP" })).status).toBe(422);
    expect((await put(person, { name: "Pat", tags: ["vip"] })).status).toBe(403);
    for (const user of [{ name: "x".repeat(10_000) }, { name: "" }, { phone: "call me maybe" }, { phone: "1".repeat(41) }, { time_zone: "Mars/Olympus" }, { locale: "not a language" }, { name: "two\nlines" }]) {
      const r = await put(person, user);
      expect(r.status, JSON.stringify(user).slice(0, 80)).toBe(422);
    }
    const stored = (await apiCall(h, "GET", `/api/v2/users/${other}.json`, { headers: owner })).body.user;
    expect(stored).toMatchObject({ name: "Olive Other", phone: null });
    const mine = (await apiCall(h, "GET", `/api/v2/users/${person}.json`, { headers: owner })).body.user;
    expect(mine).toMatchObject({ name: "Pat Rättad", role: "end-user", organization_id: null, tags: [] });
  });
});
