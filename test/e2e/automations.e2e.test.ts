import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, DESKTOP, PHONE, expectAccessible, expectInert, firstAccount, focusedId, invitedStaff, poll, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Automations in the admin center, in Chromium: the owner creates "pending more than 48 hours →
 * solved, tag reminded" on the Automations page, after the server refused it twice and the page
 * showed why (no time condition: under the conditions; hours out of range: on the row); moves it
 * above an older automation, turns the older one off, edits the new one and deletes the old one,
 * each step checked through the API. The page speaks Swedish, hours conditions included. An agent
 * is not offered the page and the API refuses them. Running the automations is not tried here: the
 * server's run (runAutomations, hourly) has no way in from outside its process. Screenshots
 * automations-*.png.
 */

const PASSWORD = "Harbour clock automations 58";
const AGENT_PASSWORD = "Copper kettle automations 31";
const TITLE = "Solve pending after 48 hours";
const OLD = "Flag stale new tickets";

let h: Harness;
let owner: Record<string, string>;
let agent: { id: number; session: Record<string, string> };
const ids: Record<string, number> = {};

const get = (p: string, headers = owner) => apiCall(h, "GET", p, { headers });
type ApiAutomation = { id: number; title: string; active: boolean; position: number; description: string | null; conditions: { all: unknown[]; any: unknown[] }; actions: Array<{ field: string; value: unknown }> };
const automations = async (): Promise<ApiAutomation[]> => (await get("/api/v2/automations.json")).body.automations;

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  agent = await invitedStaff(h, owner, { name: "Cy Agent", email: "cy@acme.test", password: AGENT_PASSWORD });
  // An older automation, made through the API: first in the order until the new one is moved above it.
  const old = await apiCall(h, "POST", "/api/v2/automations.json", {
    headers: owner,
    body: { automation: { title: OLD, conditions: { all: [{ field: "NEW", operator: "greater_than", value: "24" }, { field: "current_tags", operator: "not_includes", value: "stale" }], any: [] }, actions: [{ field: "current_tags", value: "stale" }] } },
  });
  expect(old.status, JSON.stringify(old.body)).toBe(201);
  ids.old = old.body.automation.id;
});
afterAll(async () => h?.close());

describe("automations", () => {
  it("the owner creates an automation on hours since pending; the server's refusals are shown where they belong", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/automations`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "Automations", level: 1 }));
    const nav = page.getByRole("navigation", { name: "Admin center" });
    expect(await nav.getByRole("link", { name: "Automations" }).getAttribute("aria-current")).toBe("page");
    // Beside Triggers in the menu.
    const links = await nav.getByRole("link").allTextContents();
    expect(links.indexOf("Automations")).toBe(links.indexOf("Triggers") + 1);
    await visible(page.getByRole("row", { name: new RegExp(OLD) }));

    await page.getByRole("button", { name: "New automation" }).click();
    const editor = page.getByRole("form", { name: "New automation" });
    await visible(editor);
    await editor.getByLabel("Title").fill(TITLE);
    await editor.getByLabel("Description (optional)").fill("Pending tickets nobody answered are solved after two days");

    await editor.getByRole("button", { name: "Add an ALL condition" }).click();
    await poll(() => focusedId(page)).toBe("automation-all-1-field");
    const all1 = editor.getByRole("group", { name: "ALL condition 1" });
    await all1.getByLabel("Field").selectOption("status");
    await all1.getByLabel("Operator").selectOption("is");
    await all1.getByLabel("Value").selectOption("pending");
    // Update-only conditions are not offered to an automation.
    expect(await all1.getByLabel("Field").locator("option").allTextContents()).not.toContain("Comment text");

    await editor.getByRole("button", { name: "Add action" }).click();
    const act1 = editor.getByRole("group", { name: "Action 1" });
    await act1.getByLabel("Field").selectOption("status");
    await act1.getByLabel("Value").selectOption("solved");
    await editor.getByRole("button", { name: "Add action" }).click();
    const act2 = editor.getByRole("group", { name: "Action 2" });
    await act2.getByLabel("Field").selectOption("current_tags");
    await act2.getByLabel("Value").fill("reminded");

    // No time condition: the server refuses, and says so under the conditions.
    await editor.getByRole("button", { name: "Create automation" }).click();
    await visible(editor.getByText("An automation needs at least one time condition (hours since …) in conditions.all"));
    await visible(editor.getByText("The automation was not saved: see the messages above."));
    await shot(page, "automations-editor-refused-desktop");

    // Hours since pending, as a number; too many hours first: the server's word is on that row.
    await editor.getByRole("button", { name: "Add an ALL condition" }).click();
    const all2 = editor.getByRole("group", { name: "ALL condition 2" });
    await all2.getByLabel("Field").selectOption({ label: "Hours since pending" });
    await all2.getByLabel("Operator").selectOption({ label: "Greater than" });
    const hours = all2.getByLabel("Value");
    expect(await hours.getAttribute("type")).toBe("number");
    await visible(all2.getByText("A whole number of hours."));
    await hours.fill("200000");
    await editor.getByRole("button", { name: "Create automation" }).click();
    await visible(all2.getByRole("alert"));
    expect(await all2.getByRole("alert").textContent()).toBe("The value of PENDING must be whole hours, 0 to 100000");
    expect(await all1.getByRole("alert").count()).toBe(0);
    await shot(page, "automations-editor-row-refused-desktop");
    expect((await automations()).map((x) => x.title)).toEqual([OLD]);

    await hours.fill("48");
    await poll(() => editor.getByRole("alert").count()).toBe(0);
    await expectAccessible(page, "the automation editor");
    await shot(page, "automations-editor-desktop");
    await page.setViewportSize(PHONE);
    await shot(page, "automations-editor-phone");
    await page.setViewportSize(DESKTOP);
    await editor.getByRole("button", { name: "Create automation" }).click();
    await visible(page.getByText(`The automation “${TITLE}” was created.`));
    await poll(() => editor.count()).toBe(0);
    await poll(() => focusedId(page)).toBe("automation-new");

    const list = await automations();
    expect(list.map((x) => x.title)).toEqual([OLD, TITLE]);
    const made = list[1]!;
    ids.automation = made.id;
    expect(made).toMatchObject({
      active: true,
      description: "Pending tickets nobody answered are solved after two days",
      conditions: {
        all: [
          { field: "status", operator: "is", value: "pending" },
          { field: "PENDING", operator: "greater_than", value: "48" },
        ],
        any: [],
      },
      actions: [
        { field: "status", value: "solved" },
        { field: "current_tags", value: "reminded" },
      ],
    });
    await expectInert(h, page);
  });

  it("the owner moves the new automation up, turns the older one off, and edits the new one", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/automations`);
    await signIn(page, "ann@acme.test", PASSWORD);
    const rows = page.locator("table.automations-table tbody tr");
    await visible(page.getByRole("row", { name: new RegExp(TITLE) }));
    await poll(() => rows.count()).toBe(2);
    expect(await page.getByRole("button", { name: `Move up “${OLD}”` }).isDisabled()).toBe(true);

    await page.getByRole("button", { name: `Move up “${TITLE}”` }).click();
    await visible(page.getByText(`“${TITLE}” is now number 1.`));
    await poll(async () => (await automations()).map((x) => x.title)).toEqual([TITLE, OLD]);
    await poll(() => rows.first().textContent()).toContain(TITLE);
    await poll(() => focusedId(page)).toBe(`automation-down-${ids.automation}`);

    const toggle = page.getByRole("checkbox", { name: `“${OLD}” is active` });
    expect(await toggle.isChecked()).toBe(true);
    await toggle.uncheck();
    await visible(page.getByText(`The automation “${OLD}” is now inactive.`));
    await poll(async () => (await automations()).find((x) => x.id === ids.old)?.active).toBe(false);
    await expectAccessible(page, "the automations list");
    await shot(page, "automations-list-desktop");
    await page.setViewportSize(PHONE);
    await shot(page, "automations-list-phone");
    await page.setViewportSize(DESKTOP);

    await page.getByRole("button", { name: `Edit the automation “${TITLE}”` }).click();
    const editor = page.getByRole("form", { name: `Edit the automation “${TITLE}”` });
    await visible(editor);
    const hours = editor.getByRole("group", { name: "ALL condition 2" }).getByLabel("Value");
    expect(await hours.inputValue()).toBe("48");
    expect(await editor.getByRole("group", { name: "ALL condition 2" }).getByLabel("Field").inputValue()).toBe("PENDING");
    await editor.getByLabel("Description (optional)").fill("");
    await editor.getByRole("group", { name: "Action 2" }).getByLabel("Value").fill("reminded auto_solved");
    await editor.getByRole("button", { name: "Save changes" }).click();
    await visible(page.getByText(`The automation “${TITLE}” was saved.`));
    await poll(() => focusedId(page)).toBe(`automation-edit-${ids.automation}`);
    const saved = (await automations()).find((x) => x.id === ids.automation)!;
    expect(saved.description).toBeNull();
    expect(saved.actions[1]).toEqual({ field: "current_tags", value: "reminded auto_solved" });
    expect(saved.conditions.all).toHaveLength(2);
    await expectInert(h, page);
  });

  it("the owner deletes an automation after confirming", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/automations`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("button", { name: `Delete the automation “${OLD}”` }));
    await page.getByRole("button", { name: `Delete the automation “${OLD}”` }).click();
    const dialog = page.getByRole("alertdialog", { name: `Delete the automation “${OLD}”?` });
    await visible(dialog);
    await expectAccessible(page, "the delete question");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await poll(() => focusedId(page)).toBe(`automation-delete-${ids.old}`);
    await page.getByRole("button", { name: `Delete the automation “${OLD}”` }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete the automation" }).click();
    await visible(page.getByText(`The automation “${OLD}” was deleted.`));
    await poll(async () => (await automations()).map((x) => x.title)).toEqual([TITLE]);
    await poll(() => page.locator("table.automations-table tbody tr").count()).toBe(1);
    expect((await get(`/api/v2/automations/${ids.old}.json`)).status).toBe(404);
    await expectInert(h, page);
  });

  it("the page speaks Swedish: its own words, the shared ones and the hours conditions", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/automations`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "Automations", level: 1 }));
    await page.getByLabel("Language").selectOption("sv");
    await visible(page.getByRole("heading", { name: "Automatiseringar", level: 1 }));
    await page.getByRole("button", { name: "Ny automatisering" }).click();
    const editor = page.getByRole("form", { name: "Ny automatisering" });
    await visible(editor);
    await editor.getByRole("button", { name: "Lägg till ett ALLA-villkor" }).click();
    const row = editor.getByRole("group", { name: "ALLA-villkor 1" });
    await row.getByLabel("Fält").selectOption("PENDING");
    expect(await row.getByLabel("Fält").locator("option:checked").textContent()).toBe("Timmar sedan väntande");
    await visible(row.getByText("Ett helt antal timmar."));
    await expectAccessible(page, "the automation editor in Swedish");
    await shot(page, "automations-editor-sv");
    await editor.getByRole("button", { name: "Avbryt" }).click();
    await poll(() => editor.count()).toBe(0);
    await expectInert(h, page);
  });

  it("an agent is not offered the page, and the API refuses them", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/automations`);
    await signIn(page, "cy@acme.test", AGENT_PASSWORD);
    await visible(page.getByRole("heading", { name: "This page is not part of your role" }));
    expect(await page.getByRole("navigation", { name: "Admin center" }).getByRole("link").allTextContents()).toEqual(["Organizations", "API tokens"]);
    expect(await page.getByRole("link", { name: "Automations" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "New automation" }).count()).toBe(0);
    expect((await get("/api/v2/automations.json", agent.session)).status).toBe(403);
    expect((await get("/api/v2/automations/definitions.json", agent.session)).status).toBe(403);
    await shot(page, "automations-agent-denied");
    await expectInert(h, page);
  });
});
