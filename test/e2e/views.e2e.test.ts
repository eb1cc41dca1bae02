import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, DESKTOP, PHONE, expectAccessible, expectInert, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Saved and shared views in the workspace, in Chromium: an agent saves a filtered built-in view as
 * a personal view, which the sidebar lists with its count and which lists the right tickets; an
 * admin saves a view shared with one group and changes its conditions in the editor (an "any"
 * row too); a member of the group sees it, an agent outside it does not (and its address says it is
 * not shared with them); a view is deleted after a confirmation. Each step is checked through the
 * API too. Screenshots views-*.png.
 */

const PASSWORD = "Lighthouse ledger views 31";
const AGENT_PASSWORD = "Copper kettle views 58";

let h: Harness;
let owner: Record<string, string>;
const ids: Record<string, number> = {};
const sessions: Record<string, Record<string, string>> = {};

const post = async (p: string, body: unknown, headers = owner): Promise<any> => {
  const r = await apiCall(h, "POST", p, { headers, body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};
const get = (p: string, headers = owner) => apiCall(h, "GET", p, { headers });

async function agent(name: string, email: string): Promise<number> {
  const inv = await post("/api/v2/invitations.json", { invitation: { email, role: "agent" } });
  const acc = await apiCall(h, "POST", "/api/v2/invitations/accept.json", { body: { token: inv.invitation.token, name, password: AGENT_PASSWORD } });
  expect(acc.status, JSON.stringify(acc.body)).toBe(201);
  const s = await apiCall(h, "POST", "/api/v2/session.json", { body: { email, password: AGENT_PASSWORD } });
  const cookie = (s.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!;
  sessions[email] = { cookie, "x-csrf-token": s.body.session.csrf_token };
  return s.body.session.user_id as number;
}

async function ticket(subject: string, extra: Record<string, unknown> = {}): Promise<number> {
  return (await post("/api/v2/tickets.json", { ticket: { subject, requester_id: ids.ada, comment: { body: "Hello" }, ...extra } })).ticket.id as number;
}

async function signedIn(email: string, password: string, path: string): Promise<Page> {
  const page = await h.newPage();
  await page.goto(`${h.base}${path}`);
  await signIn(page, email, password);
  await visible(page.getByRole("navigation", { name: "Workspace" }));
  return page;
}

/** The link of a saved view in the sidebar's section (Shared views / Your views). */
const sidebarLink = (page: Page, section: string, title: string) =>
  page.getByRole("navigation", { name: "Workspace" }).getByRole("list", { name: section }).getByRole("link", { name: new RegExp(`^${title}`) });

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  ids.cy = await agent("Cy Agent", "cy@acme.test");
  ids.dee = await agent("Dee Agent", "dee@acme.test");
  ids.billing = (await post("/api/v2/groups.json", { group: { name: "Billing" } })).group.id;
  await post("/api/v2/group_memberships.json", { group_membership: { user_id: ids.cy, group_id: ids.billing } });
  ids.ada = (await post("/api/v2/users.json", { user: { name: "Ada Lovelace", email: "ada@example.test" } })).user.id;
  ids.high1 = await ticket("Invoice total is wrong", { priority: "high", assignee_id: ids.cy });
  ids.high2 = await ticket("Refund not received", { priority: "high" });
  ids.low = await ticket("Question about the logo", { priority: "low" });
  ids.vipUnassigned = await ticket("VIP cannot sign in", { priority: "normal", tags: ["vip"] });
  ids.urgentUnassigned = await ticket("Server down", { priority: "urgent" });
  ids.solvedHigh = await ticket("Old high one", { priority: "high", status: "solved", assignee_id: ids.cy });
});
afterAll(async () => h?.close());

describe("saved and shared views", () => {
  it("an agent saves a filtered built-in view as a personal view, listed in the sidebar with its count and its tickets", async () => {
    const page = await signedIn("cy@acme.test", AGENT_PASSWORD, "/agent/views/all-open?priority=high");
    await visible(page.getByRole("link", { name: "Refund not received" }));
    await page.getByRole("button", { name: "Save as view" }).click();
    const form = page.getByRole("form", { name: "Save this list as a view" });
    await form.getByLabel("Title").fill("High priority open");
    // An agent makes personal views only: no "Who can see it".
    expect(await form.getByLabel("Who can see it").count()).toBe(0);
    await form.getByRole("button", { name: "Save view" }).click();

    await expect.poll(() => /\/agent\/views\/(\d+)$/.exec(new URL(page.url()).pathname)?.[1] ?? null).not.toBeNull();
    const id = Number(/\/agent\/views\/(\d+)$/.exec(new URL(page.url()).pathname)![1]);
    ids.personal = id;
    await visible(page.getByRole("heading", { name: "High priority open" }));
    await visible(page.getByRole("link", { name: "Refund not received" }));
    await visible(page.getByRole("link", { name: "Invoice total is wrong" }));
    const table = page.locator("table.tickets tbody tr");
    await expect.poll(() => table.count()).toBe(2);
    const link = sidebarLink(page, "Your views", "High priority open");
    await visible(link);
    await expect.poll(() => link.locator(".count").textContent()).toBe("2");
    await expect.poll(() => link.getAttribute("aria-current")).toBe("page");

    // The API holds the same: personal to Cy, the built-in view's base and the filter.
    const v = await get(`/api/v2/views/${id}.json`, sessions["cy@acme.test"]);
    expect(v.status).toBe(200);
    expect(v.body.view.restriction).toEqual({ type: "User", id: ids.cy });
    expect(v.body.view.conditions.all).toEqual(
      expect.arrayContaining([
        { field: "status", operator: "less_than", value: "solved" },
        { field: "priority", operator: "is", value: "high" },
      ]),
    );
    const run = await get(`/api/v2/views/${id}/tickets.json`, sessions["cy@acme.test"]);
    expect(run.body.tickets.map((t: { id: number }) => t.id).sort()).toEqual([ids.high1, ids.high2].sort());
    // Nobody else sees a personal view, not even the owner of the account.
    expect((await get(`/api/v2/views/${id}.json`)).status).toBe(404);

    // The order can be switched (the view's own is the latest update first).
    const sort = page.getByRole("form", { name: "Sort" });
    await sort.getByLabel("Sort by").selectOption("id");
    await sort.getByLabel("Order").selectOption("asc");
    await sort.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("sort")).toBe("id");
    await expect.poll(() => table.first().locator("td").first().textContent()).toBe(`#${ids.high1}`);
    await page.goBack();
    await expect.poll(() => table.first().locator("td").first().textContent()).toBe(`#${ids.high2}`);

    await expectAccessible(page, "a personal view's page");
    await shot(page, "views-sidebar-desktop");
    await page.setViewportSize(PHONE);
    await shot(page, "views-sidebar-phone");
    await expectInert(h, page);
  });

  it("an admin shares a view with a group and edits its conditions; a member sees it, a non-member does not", async () => {
    const page = await signedIn("ann@acme.test", PASSWORD, "/agent/views/unassigned");
    await page.getByRole("button", { name: "Save as view" }).click();
    const form = page.getByRole("form", { name: "Save this list as a view" });
    await form.getByLabel("Title").fill("Billing queue");
    await form.getByLabel("Who can see it").selectOption("group");
    await form.getByLabel("Group that sees it").selectOption(String(ids.billing));
    await form.getByRole("button", { name: "Save view" }).click();
    await visible(page.getByRole("heading", { name: "Billing queue" }));
    const id = Number(/\/agent\/views\/(\d+)$/.exec(new URL(page.url()).pathname)![1]);
    ids.shared = id;
    await visible(sidebarLink(page, "Shared views", "Billing queue"));

    // Unassigned and open, and (any) tagged vip or urgent.
    await page.getByRole("button", { name: "Edit view" }).click();
    const editor = page.getByRole("form", { name: "Edit view" });
    await visible(editor);
    // From the keyboard: the new row's field takes the focus.
    await editor.getByRole("button", { name: "Add a condition to any" }).focus();
    await page.keyboard.press("Enter");
    // In-page code as a string: this file is type-checked without the DOM library.
    await expect.poll(() => page.evaluate<string | null>("document.activeElement && document.activeElement.id")).toBe("cond-any-1-field");
    const any1 = editor.getByRole("group", { name: "Any: condition 1" });
    await any1.getByLabel("Field").selectOption("current_tags");
    await any1.getByLabel("Operator").selectOption("includes");
    await any1.getByLabel("Value").fill("vip");
    await editor.getByRole("button", { name: "Add a condition to any" }).click();
    const any2 = editor.getByRole("group", { name: "Any: condition 2" });
    await any2.getByLabel("Field").selectOption("priority");
    await any2.getByLabel("Value").selectOption("urgent");
    await editor.getByLabel("Sort by").selectOption("priority");
    await expectAccessible(page, "the view editor");
    await shot(page, "views-editor-desktop");
    await page.setViewportSize(PHONE);
    await shot(page, "views-editor-phone");
    await page.setViewportSize(DESKTOP);

    // A value the server refuses is named on its row, and nothing is saved.
    await editor.getByRole("button", { name: "Add a condition to all" }).click();
    const all3 = editor.getByRole("group", { name: "All: condition 3" });
    await all3.getByLabel("Field").selectOption("hours_since_created");
    await all3.getByLabel("Hours").fill("");
    await editor.getByRole("button", { name: "Save changes" }).click();
    await visible(editor.getByRole("alert").filter({ hasText: "conditions marked above" }));
    await visible(all3.getByText(/hours_since_created/));
    expect((await get(`/api/v2/views/${id}.json`)).body.view.conditions.any).toEqual([]);
    await shot(page, "views-editor-refused-desktop");
    await editor.getByRole("button", { name: "Remove condition 3 of all" }).click();

    await editor.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => editor.count()).toBe(0);
    // The focus is back on the button that opened the editor.
    await expect.poll(() => page.evaluate<string | null>("document.activeElement && document.activeElement.id")).toBe("view-edit");
    await visible(page.getByRole("link", { name: "VIP cannot sign in" }));
    await visible(page.getByRole("link", { name: "Server down" }));
    await expect.poll(() => page.locator("table.tickets tbody tr").count()).toBe(2);

    const v = (await get(`/api/v2/views/${id}.json`)).body.view;
    expect(v.restriction).toEqual({ type: "Group", id: ids.billing });
    expect(v.conditions.all).toEqual(
      expect.arrayContaining([
        { field: "status", operator: "less_than", value: "solved" },
        { field: "assignee_id", operator: "is", value: null },
      ]),
    );
    expect(v.conditions.any).toEqual([
      { field: "current_tags", operator: "includes", value: "vip" },
      { field: "priority", operator: "is", value: "urgent" },
    ]);
    expect(v.execution.sort_by).toBe("priority");

    // Cy is in Billing: the view is in the sidebar's shared views, with its count, and runs.
    const cy = await signedIn("cy@acme.test", AGENT_PASSWORD, "/agent");
    const link = sidebarLink(cy, "Shared views", "Billing queue");
    await visible(link);
    await expect.poll(() => link.locator(".count").textContent()).toBe("2");
    await link.click();
    await visible(cy.getByRole("link", { name: "Server down" }));
    // An agent may not change a shared view: no Edit or Delete offered, and the API refuses.
    expect(await cy.getByRole("button", { name: "Edit view" }).count()).toBe(0);
    expect((await apiCall(h, "PUT", `/api/v2/views/${id}.json`, { headers: sessions["cy@acme.test"], body: { view: { title: "Mine now" } } })).status).toBe(403);
    const counts = await get(`/api/v2/views/count_many.json?ids=${id}`, sessions["cy@acme.test"]);
    expect(counts.body.view_counts).toEqual([expect.objectContaining({ view_id: id, value: 2 })]);

    // Dee is not: not listed, and its address says so.
    const dee = await signedIn("dee@acme.test", AGENT_PASSWORD, "/agent");
    await visible(dee.getByRole("link", { name: /^All open/ }));
    await expect.poll(() => dee.locator(".count", { hasText: "…" }).count()).toBe(0);
    expect(await dee.getByRole("link", { name: /^Billing queue/ }).count()).toBe(0);
    await dee.goto(`${h.base}/agent/views/${id}`);
    await visible(dee.getByRole("heading", { name: "View not found" }));
    await visible(dee.getByText("no longer shared with you"));
    expect((await get(`/api/v2/views/${id}.json`, sessions["dee@acme.test"])).status).toBe(404);
    const active = await get(`/api/v2/views/active.json`, sessions["dee@acme.test"]);
    expect(active.body.views.map((x: { id: number }) => x.id)).not.toContain(id);
    await shot(dee, "views-not-found-desktop");
    await expectInert(h, page);
  });

  it("saves a search of filters only; a search with words, or a filter the search would OR, offers no saving", async () => {
    const page = await signedIn("cy@acme.test", AGENT_PASSWORD, `/agent/search?q=${encodeURIComponent("status<solved tags:vip")}`);
    await visible(page.getByRole("link", { name: "VIP cannot sign in" }));
    await page.getByRole("button", { name: "Save as view" }).click();
    const form = page.getByRole("form", { name: "Save this list as a view" });
    await form.getByLabel("Title").fill("VIP open");
    await form.getByRole("button", { name: "Save view" }).click();
    await visible(page.getByRole("heading", { name: "VIP open" }));
    await expect.poll(() => page.locator("table.tickets tbody tr").count()).toBe(1);
    await visible(sidebarLink(page, "Your views", "VIP open"));
    const id = Number(/\/agent\/views\/(\d+)$/.exec(new URL(page.url()).pathname)![1]);
    const v = (await get(`/api/v2/views/${id}.json`, sessions["cy@acme.test"])).body.view;
    expect(v.conditions.all).toEqual([
      { field: "status", operator: "less_than", value: "solved" },
      { field: "current_tags", operator: "includes", value: "vip" },
    ]);

    // Its owner, an agent, edits it: no "Who can see it"; made inactive, it leaves the sidebar and still runs.
    await page.getByRole("button", { name: "Edit view" }).click();
    const editor = page.getByRole("form", { name: "Edit view" });
    expect(await editor.getByLabel("Who can see it").count()).toBe(0);
    await editor.getByLabel("Title").fill("VIP, open");
    await editor.getByLabel("Active").uncheck();
    await editor.getByRole("button", { name: "Save changes" }).click();
    await visible(page.getByRole("heading", { name: "VIP, open" }));
    await visible(page.getByText("This view is inactive"));
    await expect.poll(() => page.getByRole("link", { name: /^VIP open|^VIP, open/ }).count()).toBe(0);
    await expect.poll(() => page.locator("table.tickets tbody tr").count()).toBe(1);
    expect((await get(`/api/v2/views/${id}.json`, sessions["cy@acme.test"])).body.view).toMatchObject({ title: "VIP, open", active: false, restriction: { type: "User", id: ids.cy } });

    // Words: a view has none.
    await page.goto(`${h.base}/agent/search?q=invoice`);
    await visible(page.getByRole("link", { name: "Invoice total is wrong" }));
    expect(await page.getByRole("button", { name: "Save as view" }).count()).toBe(0);
    // Pending tickets filtered by another status lists either status: no single view says that.
    await page.goto(`${h.base}/agent/views/pending?status=open`);
    await visible(page.getByRole("heading", { name: "Pending tickets" }));
    await visible(page.getByRole("form", { name: "Filter and sort" }));
    expect(await page.getByRole("button", { name: "Save as view" }).count()).toBe(0);
    await page.goto(`${h.base}/agent/views/pending`);
    await visible(page.getByRole("button", { name: "Save as view" }));
    await expectInert(h, page);
  });

  it("pages through a view's tickets with the API's cursors, both ways", async () => {
    // The first alone, so that it is the oldest; the others a few at a time.
    await ticket("Batch 1", { tags: ["batch"] });
    for (let i = 2; i <= 26; i += 5) await Promise.all(Array.from({ length: Math.min(5, 27 - i) }, (_, k) => ticket(`Batch ${i + k}`, { tags: ["batch"] })));
    const view = await post("/api/v2/views.json", { view: { title: "Batch", restriction: { type: "User", id: ids.cy }, all: [{ field: "current_tags", operator: "includes", value: "batch" }] } }, sessions["cy@acme.test"]);
    const page = await signedIn("cy@acme.test", AGENT_PASSWORD, `/agent/views/${view.view.id}`);
    const rows = page.locator("table.tickets tbody tr");
    await expect.poll(() => rows.count()).toBe(25);
    await visible(page.getByText("26 tickets"));
    await page.getByRole("link", { name: "Next page" }).click();
    await expect.poll(() => rows.count()).toBe(1);
    // The oldest one is last in the view's order (latest update first).
    await visible(page.getByRole("link", { name: "Batch 1", exact: true }));
    await page.getByRole("link", { name: "Previous page" }).click();
    await expect.poll(() => rows.count()).toBe(25);
    expect(await page.getByRole("link", { name: "Batch 1", exact: true }).count()).toBe(0);
    await expectInert(h, page);
  });

  it("deletes a view after a confirmation", async () => {
    const page = await signedIn("cy@acme.test", AGENT_PASSWORD, `/agent/views/${ids.personal}`);
    await visible(page.getByRole("heading", { name: "High priority open" }));
    await page.getByRole("button", { name: "Delete view" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Delete the view “High priority open”?" });
    await visible(dialog);
    // Cancel keeps it.
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect((await get(`/api/v2/views/${ids.personal}.json`, sessions["cy@acme.test"])).status).toBe(200);
    await page.getByRole("button", { name: "Delete view" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete the view" }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/agent");
    await expect.poll(() => page.getByRole("link", { name: /^High priority open/ }).count()).toBe(0);
    expect((await get(`/api/v2/views/${ids.personal}.json`, sessions["cy@acme.test"])).status).toBe(404);
    // The shared view is still there for Cy.
    await visible(sidebarLink(page, "Shared views", "Billing queue"));
    await expectInert(h, page);
  });

  it("an admin adds a requester condition chosen by name from the keyboard and an organization condition, and the view lists exactly their tickets", async () => {
    const northwind = (await post("/api/v2/organizations.json", { organization: { name: "Northwind Traders" } })).organization.id as number;
    const contoso = (await post("/api/v2/organizations.json", { organization: { name: "Contoso Pharma" } })).organization.id as number;
    ids.grace = (await post("/api/v2/users.json", { user: { name: "Grace Hopper", email: "grace@example.test", organization_id: northwind } })).user.id;
    ids.linus = (await post("/api/v2/users.json", { user: { name: "Linus Pauling", email: "linus@example.test", organization_id: northwind } })).user.id;
    const graceNorthwind = await ticket("Compiler keeps crashing", { requester_id: ids.grace });
    await ticket("Contoso badge request", { requester_id: ids.grace, organization_id: contoso });
    await ticket("Linus needs a refill", { requester_id: ids.linus });
    await ticket("Grace's old question", { requester_id: ids.grace, status: "solved" });
    const made = await post("/api/v2/views.json", { view: { title: "Grace at Northwind", restriction: null, all: [{ field: "status", operator: "less_than", value: "solved" }] } });
    const id = made.view.id as number;

    const page = await signedIn("ann@acme.test", PASSWORD, `/agent/views/${id}`);
    await visible(page.getByRole("heading", { name: "Grace at Northwind" }));
    await page.getByRole("button", { name: "Edit view" }).click();
    const editor = page.getByRole("form", { name: "Edit view" });
    await visible(editor);

    // The requester, from the keyboard only: the new row's field takes the focus; "R" chooses Requester.
    await editor.getByRole("button", { name: "Add a condition to all" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate<string | null>("document.activeElement && document.activeElement.id")).toBe("cond-all-2-field");
    const all2 = editor.getByRole("group", { name: "All: condition 2" });
    await page.keyboard.press("r");
    await expect.poll(() => all2.getByLabel("Field").inputValue()).toBe("requester_id");
    // Current user is the first value; the type-ahead finds someone else.
    await expect.poll(() => all2.getByLabel("Value").inputValue()).toBe("current_user");
    await page.keyboard.press("Tab"); // operator (Is)
    await page.keyboard.press("Tab"); // value
    await page.keyboard.press("Tab"); // Find the requester
    await expect.poll(() => page.evaluate<string | null>("document.activeElement && document.activeElement.id")).toBe("cond-all-2-value-find");
    await page.keyboard.type("gra");
    await visible(all2.getByRole("option", { name: /Grace Hopper/ }));
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => all2.getByRole("option", { name: /Grace Hopper/ }).getAttribute("aria-selected")).toBe("true");
    await page.keyboard.press("Enter");
    await expect.poll(() => all2.getByLabel("Value").inputValue()).toBe(String(ids.grace));
    await expect.poll(() => all2.getByLabel("Value").locator("option:checked").textContent()).toBe("Grace Hopper");

    // The organization, with the mouse.
    await editor.getByRole("button", { name: "Add a condition to all" }).click();
    const all3 = editor.getByRole("group", { name: "All: condition 3" });
    await all3.getByLabel("Field").selectOption("organization_id");
    await expect.poll(() => all3.getByLabel("Value").locator("option:checked").textContent()).toBe("No organization");
    await all3.getByRole("combobox", { name: "Find the organization" }).fill("north");
    await all3.getByRole("option", { name: "Northwind Traders" }).click();
    await expect.poll(() => all3.getByLabel("Value").locator("option:checked").textContent()).toBe("Northwind Traders");
    await expectAccessible(page, "the view editor with requester and organization conditions");
    await shot(page, "views-editor-people-desktop");

    await editor.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => editor.count()).toBe(0);
    await visible(page.getByRole("link", { name: "Compiler keeps crashing" }));
    await expect.poll(() => page.locator("table.tickets tbody tr").count()).toBe(1);

    const v = (await get(`/api/v2/views/${id}.json`)).body.view;
    expect(v.conditions.all).toEqual([
      { field: "status", operator: "less_than", value: "solved" },
      { field: "requester_id", operator: "is", value: ids.grace },
      { field: "organization_id", operator: "is", value: northwind },
    ]);
    const run = await get(`/api/v2/views/${id}/tickets.json`);
    expect(run.body.tickets.map((x: { id: number }) => x.id)).toEqual([graceNorthwind]);

    // Opened again, the saved conditions show the person's and the organization's names.
    await page.getByRole("button", { name: "Edit view" }).click();
    await visible(editor);
    await expect.poll(() => editor.getByRole("group", { name: "All: condition 2" }).getByLabel("Value").locator("option:checked").textContent()).toBe("Grace Hopper");
    await expect.poll(() => editor.getByRole("group", { name: "All: condition 3" }).getByLabel("Value").locator("option:checked").textContent()).toBe("Northwind Traders");
    await expectInert(h, page);
  });
});
