import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PHONE, apiCall, expectAccessible, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Deleted people and erasure in Chromium: the owner finds a deleted customer on the Deleted people
 * page, restores one, opens "Erase permanently" for another and reads what would go (their only
 * ticket), the other ticket that mentions them, and — while a legal hold covers them — the hold
 * that stops it (the button disabled); after the hold is released, erases them, and reads the
 * receipt. axe-core checks the page; screenshots erasure-desktop.png, erasure-phone.png.
 */

const PASSWORD = "Quiet harbour lanterns 58 glow";
let h: Harness;
let owner: Record<string, string>;
const people: Record<"mira" | "otto", number> = { mira: 0, otto: 0 };
let hold = 0;

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  for (const [key, name] of [["mira", "Mira Lindqvist"], ["otto", "Otto Berg"]] as const) {
    const u = await apiCall(h, "POST", "/api/v2/users.json", { headers: owner, body: { user: { name, email: `${key}@customer.test` } } });
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    people[key] = u.body.user.id;
  }
  const t = await apiCall(h, "POST", "/api/v2/tickets.json", { headers: owner, body: { ticket: { subject: "Invoice question", requester_id: people.mira, comment: { body: "Why was I charged twice?", author_id: people.mira } } } });
  expect(t.status).toBe(201);
  const other = await apiCall(h, "POST", "/api/v2/tickets.json", { headers: owner, body: { ticket: { subject: "Team note", comment: { body: "Call Mira Lindqvist back tomorrow" } } } });
  expect(other.status).toBe(201);
  for (const id of [people.mira, people.otto]) expect((await apiCall(h, "DELETE", `/api/v2/users/${id}.json`, { headers: owner })).status).toBe(200);
  const held = await apiCall(h, "POST", "/api/v2/legal_holds.json", { headers: owner, body: { legal_hold: { target_type: "user", target_id: people.mira, reason: "Chargeback dispute" } } });
  expect(held.status).toBe(201);
  hold = held.body.legal_hold.id;
});
afterAll(async () => h?.close());

describe("Deleted people", () => {
  it("restores one person, shows what erasing another does, refuses while held, then erases with a receipt", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await page.getByRole("navigation", { name: "Admin center" }).getByRole("link", { name: "Deleted people" }).click();
    await visible(page.getByRole("heading", { name: "Deleted people", level: 1 }));
    const table = page.getByRole("table", { name: "Deleted people, one page" });
    await visible(table.getByText("Mira Lindqvist"));

    await page.getByRole("button", { name: "Restore Otto Berg" }).click();
    await visible(page.getByRole("status").getByText("Otto Berg was restored."));
    await expect.poll(async () => (await table.getByText("Otto Berg").count())).toBe(0);

    await page.getByRole("button", { name: "Erase permanently: Mira Lindqvist" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Erase Mira Lindqvist permanently?" });
    await visible(dialog.getByText("1 ticket where they are the only party, with its comments and files"));
    await visible(dialog.getByText(/1 other ticket mentions them/));
    await visible(dialog.getByText(`A legal hold keeps this person's data (hold ${hold}).`, { exact: false }));
    expect(await dialog.getByRole("button", { name: "Erase permanently" }).isDisabled()).toBe(true);
    await expectAccessible(page, "the erasure confirmation");
    await shot(page, "erasure-desktop");
    await dialog.getByRole("button", { name: "Cancel" }).click();

    expect((await apiCall(h, "PUT", `/api/v2/legal_holds/${hold}/release.json`, { headers: owner })).status).toBe(200);
    await page.getByRole("button", { name: "Erase permanently: Mira Lindqvist" }).click();
    const again = page.getByRole("alertdialog", { name: "Erase Mira Lindqvist permanently?" });
    await again.getByRole("button", { name: "Erase permanently" }).click();
    await visible(page.getByRole("status").getByText(/^Mira Lindqvist was erased\. They are now Deleted user [0-9a-f]{12}\.$/));
    await visible(page.getByText("No deleted people."));
    const receipts = page.getByRole("table", { name: "Erasure receipts" });
    await visible(receipts.getByText(new RegExp(`^#${people.mira}, now Deleted user [0-9a-f]{12}$`)));
    await receipts.getByText("Show", { exact: true }).click();
    await visible(receipts.getByText("audit trail", { exact: true }));
    await expectAccessible(page, "the deleted people page with a receipt");

    await page.setViewportSize(PHONE);
    await shot(page, "erasure-phone");
    const gone = await apiCall(h, "GET", `/api/v2/users/${people.mira}.json`, { headers: owner });
    expect(gone.body.user).toMatchObject({ email: null, active: false });
    expect(gone.body.user.name).toMatch(/^Deleted user [0-9a-f]{12}$/);
  });
});
