import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, DESKTOP, PHONE, expectAccessible, expectInert, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Macros in the workspace, in Chromium: the owner creates a macro shared with every agent on the
 * Macros page (a reply with a placeholder, a status, a tag; a template the server cannot parse is
 * refused and named on its row first); an agent applies it on a ticket from the keyboard and sees
 * the reply filled with the requester's first name and the status changed, undoes it, applies it
 * again with the mouse and presses Update ticket: the ticket is solved with the reply. The agent
 * is offered no edit or deletion of the shared macro (and the API refuses one), but makes a
 * personal one. Each step is checked through the API too. Screenshots macros-*.png.
 */

const PASSWORD = "Lighthouse ledger macros 31";
const AGENT_PASSWORD = "Copper kettle macros 58";
const TITLE = "Close and thank";
const TEMPLATE = "Hi {{ticket.requester.first_name}}, this is fixed.";
const RENDERED = "Hi Ada, this is fixed.";

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

async function signedIn(email: string, password: string, path: string): Promise<Page> {
  const page = await h.newPage();
  await page.goto(`${h.base}${path}`);
  await signIn(page, email, password);
  await visible(page.getByRole("navigation", { name: "Workspace" }));
  return page;
}

/** The id of the element that has the focus. In-page code as a string: this file is type-checked without the DOM library. */
const focused = (page: Page) => page.evaluate<string | null>("document.activeElement && document.activeElement.id");
/** The value of a form control (the reply box, the status select). */
const valueOf = (page: Page, id: string) => page.locator(`#${id}`).inputValue();
/** The choices of the "Apply macro" list (not the page's select options). */
const macroOptions = (page: Page) => page.getByRole("listbox", { name: "Active macros" }).getByRole("option");

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  ids.cy = await agent("Cy Agent", "cy@acme.test");
  ids.ada = (await post("/api/v2/users.json", { user: { name: "Ada Lovelace", email: "ada@example.test" } })).user.id;
  ids.ticket = (await post("/api/v2/tickets.json", { ticket: { subject: "Printer on fire", requester_id: ids.ada, comment: { body: "It is smoking." }, status: "open", tags: ["printer"] } })).ticket.id;
});
afterAll(async () => h?.close());

describe("macros", () => {
  it("the owner creates a macro shared with every agent, with a placeholder in its reply; a template the server cannot parse is named on its row", async () => {
    const page = await signedIn("ann@acme.test", PASSWORD, "/agent");
    await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Macros" }).click();
    await visible(page.getByRole("heading", { name: "Macros", level: 1 }));
    await visible(page.getByText("There are no macros yet."));
    await page.getByRole("button", { name: "New macro" }).click();
    const editor = page.getByRole("form", { name: "New macro" });
    await visible(editor);
    await editor.getByLabel("Title").fill(TITLE);
    await editor.getByLabel("Description (optional)").fill("Solves the ticket with a thank-you");
    await editor.getByLabel("Who can use it").selectOption("all");

    // The first row is the reply; a broken placeholder first.
    const row1 = editor.getByRole("group", { name: "Action 1" });
    await row1.getByLabel("Reply text").fill("Hi {{ticket.requester.first_name");
    await editor.getByRole("button", { name: "Add action" }).click();
    const row2 = editor.getByRole("group", { name: "Action 2" });
    // From the keyboard or the mouse, the new row's field takes the focus.
    await expect.poll(() => focused(page)).toBe("macro-action-2-field");
    await row2.getByLabel("Field").selectOption("status");
    await row2.getByLabel("Value").selectOption("solved");
    await editor.getByRole("button", { name: "Add action" }).click();
    const row3 = editor.getByRole("group", { name: "Action 3" });
    await row3.getByLabel("Field").selectOption("current_tags");
    await row3.getByLabel("Value").fill("fixed");
    await editor.getByRole("button", { name: "Add action" }).click();
    const row4 = editor.getByRole("group", { name: "Action 4" });
    await row4.getByLabel("Field").selectOption("comment_mode_is_public");
    await row4.getByLabel("Value").selectOption("true");

    await editor.getByRole("button", { name: "Create macro" }).click();
    // The server's word on the template, on its row, without the field's name (the row shows it).
    await visible(row1.getByRole("alert").filter({ hasText: /^A placeholder .*pars/ }));
    await visible(editor.getByText("The macro was not saved: see the messages above."));
    expect((await get("/api/v2/macros.json")).body.macros).toEqual([]);
    await shot(page, "macros-editor-refused-desktop");

    await row1.getByLabel("Reply text").fill(TEMPLATE);
    await expectAccessible(page, "the macro editor");
    await shot(page, "macros-editor-desktop");
    await page.setViewportSize(PHONE);
    await shot(page, "macros-editor-phone");
    await page.setViewportSize(DESKTOP);
    await editor.getByRole("button", { name: "Create macro" }).click();
    await visible(page.getByText(`The macro “${TITLE}” was created.`));
    await expect.poll(() => editor.count()).toBe(0);
    // The focus is back on the button that opened the editor.
    await expect.poll(() => focused(page)).toBe("macro-new");
    const row = page.getByRole("row", { name: new RegExp(TITLE) });
    await visible(row);
    await visible(row.getByRole("cell", { name: "All agents" }));
    await visible(row.getByRole("cell", { name: "Yes" }));

    const list = (await get("/api/v2/macros.json")).body.macros as Array<{ id: number; title: string; restriction: unknown; actions: Array<{ field: string; value: string }> }>;
    expect(list).toHaveLength(1);
    const m = list[0]!;
    ids.macro = m.id;
    expect(m.title).toBe(TITLE);
    expect(m.restriction).toBeNull();
    expect(m.actions).toEqual(
      expect.arrayContaining([
        { field: "comment_value", value: TEMPLATE },
        { field: "status", value: "solved" },
        { field: "current_tags", value: "fixed" },
        { field: "comment_mode_is_public", value: "true" },
      ]),
    );
    await expectAccessible(page, "the macros page");
    await shot(page, "macros-list-desktop");
    await page.setViewportSize(PHONE);
    await shot(page, "macros-list-phone");
    await expectInert(h, page);
  });

  it("an agent applies the macro on a ticket, undoes it, applies it again and saves: the ticket is solved with the rendered reply", async () => {
    const page = await signedIn("cy@acme.test", AGENT_PASSWORD, `/agent/tickets/${ids.ticket}`);
    await visible(page.getByRole("heading", { name: "Printer on fire" }));
    await visible(page.locator("#comment-body"));
    expect(await valueOf(page, "ticket-status")).toBe("open");

    // From the keyboard: open the list, type to filter, Enter applies the highlighted macro.
    await page.getByRole("button", { name: "Apply macro" }).focus();
    await page.keyboard.press("Enter");
    const filter = page.getByRole("combobox", { name: "Find a macro" });
    await visible(filter);
    await expect.poll(() => focused(page)).toBe("macro-filter");
    await visible(macroOptions(page).filter({ hasText: TITLE }));
    await page.keyboard.type("zzz");
    await visible(page.getByText("No macro matches this filter."));
    await filter.fill("");
    await page.keyboard.type("close");
    await expect.poll(() => macroOptions(page).count()).toBe(1);
    await expectAccessible(page, "the macro list on a ticket");
    await shot(page, "macros-ticket-picker-desktop");
    await page.keyboard.press("Enter");

    await expect.poll(() => valueOf(page, "comment-body")).toBe(RENDERED);
    await expect.poll(() => valueOf(page, "ticket-status")).toBe("solved");
    expect(await page.getByRole("radio", { name: "Public reply" }).isChecked()).toBe(true);
    await visible(page.getByText(`Macro “${TITLE}” applied`));
    await visible(page.getByText(/Not saved yet: .*Status/));
    await expectAccessible(page, "a ticket with a macro applied");
    await shot(page, "macros-ticket-applied-desktop");
    // Nothing is saved yet.
    const before = (await get(`/api/v2/tickets/${ids.ticket}.json`, sessions["cy@acme.test"])).body.ticket;
    expect(before.status).toBe("open");

    // Undo restores the form as it was.
    await page.getByRole("button", { name: "Undo macro" }).click();
    await expect.poll(() => valueOf(page, "comment-body")).toBe("");
    await expect.poll(() => valueOf(page, "ticket-status")).toBe("open");
    expect(await page.getByRole("button", { name: "Undo macro" }).count()).toBe(0);

    // Again, with the mouse, after a line of the agent's own: the reply follows it after a blank line.
    await page.locator("#comment-body").fill("Thanks for waiting.");
    await page.getByRole("button", { name: "Apply macro" }).click();
    await macroOptions(page).filter({ hasText: TITLE }).click();
    await expect.poll(() => valueOf(page, "comment-body")).toBe(`Thanks for waiting.\n\n${RENDERED}`);
    await expect.poll(() => valueOf(page, "ticket-status")).toBe("solved");
    await visible(page.locator("#prop-add-tags"));
    await expect.poll(() => page.locator("#prop-add-tags").inputValue()).toBe("fixed");
    // Undo after typing on: what the macro did goes, the line typed after it stays.
    await page.locator("#comment-body").press("Control+End");
    await page.locator("#comment-body").pressSequentially(" Bye.");
    await page.getByRole("button", { name: "Undo macro" }).click();
    await expect.poll(() => valueOf(page, "comment-body")).toBe("Thanks for waiting. Bye.");
    await expect.poll(() => valueOf(page, "ticket-status")).toBe("open");
    await page.locator("#comment-body").fill("Thanks for waiting.");
    await page.getByRole("button", { name: "Apply macro" }).click();
    await macroOptions(page).filter({ hasText: TITLE }).click();
    await expect.poll(() => valueOf(page, "comment-body")).toBe(`Thanks for waiting.\n\n${RENDERED}`);
    await page.setViewportSize(PHONE);
    await shot(page, "macros-ticket-applied-phone");
    await page.setViewportSize(DESKTOP);

    await page.getByRole("button", { name: "Update ticket" }).click();
    await visible(page.getByText("Ticket updated."));
    const after = (await get(`/api/v2/tickets/${ids.ticket}.json`, sessions["cy@acme.test"])).body.ticket;
    expect(after.status).toBe("solved");
    expect(after.tags).toEqual(expect.arrayContaining(["printer", "fixed"]));
    const comments = (await get(`/api/v2/tickets/${ids.ticket}/comments.json`, sessions["cy@acme.test"])).body.comments as Array<{ body: string; public: boolean; author_id: number }>;
    const last = comments[comments.length - 1]!;
    expect(last).toMatchObject({ body: `Thanks for waiting.\n\n${RENDERED}`, public: true, author_id: ids.cy });
    await visible(page.locator(".comment-body", { hasText: RENDERED }));
    // The update named the macro applied (not the one undone twice): its audit records it, and it counts as one use.
    const audits = (await get(`/api/v2/tickets/${ids.ticket}/audits.json`, sessions["cy@acme.test"])).body.audits as Array<{ events: Array<{ type: string; macro_id?: number }> }>;
    expect(audits[audits.length - 1]!.events.filter((e) => e.type === "AgentMacroReference").map((e) => e.macro_id)).toEqual([ids.macro]);
    expect((await get(`/api/v2/macros/${ids.macro}.json?include=usage_7d`, sessions["cy@acme.test"])).body.macro.usage_7d).toBe(1);
    // The ticket's history names it.
    await visible(page.getByText(`Applied the macro “${TITLE}”`));
    await expectInert(h, page);
  });

  it("an agent sees no edit for a shared macro (the API refuses one) and makes a personal macro of their own", async () => {
    const page = await signedIn("cy@acme.test", AGENT_PASSWORD, "/agent/macros");
    const row = page.getByRole("row", { name: new RegExp(TITLE) });
    await visible(row);
    expect(await page.getByRole("button", { name: `Edit the macro “${TITLE}”` }).count()).toBe(0);
    expect(await page.getByRole("button", { name: `Delete the macro “${TITLE}”` }).count()).toBe(0);
    expect((await apiCall(h, "PUT", `/api/v2/macros/${ids.macro}.json`, { headers: sessions["cy@acme.test"], body: { macro: { title: "Mine now" } } })).status).toBe(403);

    await page.getByRole("button", { name: "New macro" }).click();
    const editor = page.getByRole("form", { name: "New macro" });
    // An agent's macros are their own: no "Who can use it".
    expect(await editor.getByLabel("Who can use it").count()).toBe(0);
    await editor.getByLabel("Title").fill("Ask for a photo");
    await editor.getByRole("group", { name: "Action 1" }).getByLabel("Reply text").fill("Could you send a photo, {{ticket.requester.first_name}}?");
    await editor.getByRole("button", { name: "Create macro" }).click();
    const mine = page.getByRole("row", { name: /Ask for a photo/ });
    await visible(mine);
    await visible(mine.getByRole("cell", { name: "Only me" }));
    await visible(page.getByRole("button", { name: "Edit the macro “Ask for a photo”" }));

    // The filter box narrows the list.
    await page.getByLabel("Filter macros").fill("photo");
    await expect.poll(() => page.locator("table.macros-table tbody tr").count()).toBe(1);
    await page.getByLabel("Filter macros").fill("");
    await expect.poll(() => page.locator("table.macros-table tbody tr").count()).toBe(2);

    const own = ((await get("/api/v2/macros.json", sessions["cy@acme.test"])).body.macros as Array<{ title: string; restriction: unknown }>).find((x) => x.title === "Ask for a photo");
    expect(own?.restriction).toEqual({ type: "User", id: ids.cy });
    // Personal: nobody else sees it, the owner of the account included.
    expect(((await get("/api/v2/macros.json")).body.macros as Array<{ title: string }>).map((x) => x.title)).not.toContain("Ask for a photo");
    await expectAccessible(page, "an agent's macros page");
    await shot(page, "macros-agent-desktop");
    await expectInert(h, page);
  });
  it("the picker lists the most used macros of the last 7 days first, then the macros by category", async () => {
    for (const title of ["Billing::Refunds::Full", "billing::Invoices", "Shipping::Delays"]) {
      const made = await post("/api/v2/macros.json", { macro: { title, restriction: null, actions: [{ field: "comment_value", value: `About ${title}` }] } });
      ids[title] = made.macro.id;
    }
    const other = (await post("/api/v2/tickets.json", { ticket: { subject: "Refund please", requester_id: ids.ada, comment: { body: "Twice charged." } } })).ticket.id as number;
    // Shipping::Delays used twice by now, Close and thank once (the test before).
    for (let i = 0; i < 2; i++) {
      const r = await apiCall(h, "PUT", `/api/v2/tickets/${other}.json`, { headers: owner, body: { ticket: { comment: { body: `note ${i}`, public: false }, macro_ids: [ids["Shipping::Delays"]] } } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    expect((await get("/api/v2/macros/categories.json", sessions["cy@acme.test"])).body.categories).toEqual(["Billing", "Shipping"]);

    const page = await signedIn("cy@acme.test", AGENT_PASSWORD, `/agent/tickets/${other}`);
    await visible(page.getByRole("heading", { name: "Refund please" }));
    await page.getByRole("button", { name: "Apply macro" }).click();
    const list = page.getByRole("listbox", { name: "Active macros" });
    await visible(list.getByRole("group", { name: "Most used" }));
    const groupNames = (await list.locator(".macro-group-label").allTextContents()).map((x) => x.trim());
    expect(groupNames).toEqual(["Most used", "Billing", "Shipping", "Other macros"]);
    const titles = async (group: string) => (await list.getByRole("group", { name: group }).getByRole("option").allTextContents()).map((x) => x.split(" — ")[0]!.trim());
    expect(await titles("Most used")).toEqual(["Shipping::Delays", TITLE]);
    expect(await titles("Billing")).toEqual(["billing::Invoices", "Billing::Refunds::Full"]);
    expect(await titles("Other macros")).toEqual(expect.arrayContaining([TITLE]));
    // The keyboard starts at the most used.
    await page.keyboard.press("Enter");
    await expect.poll(() => valueOf(page, "comment-body")).toBe("About Shipping::Delays");
    await page.getByRole("button", { name: "Apply macro" }).click();
    await expectAccessible(page, "the macro picker grouped by category");
    await shot(page, "macros-picker-categories-desktop");
    // Typing filters across categories, without the most used.
    await page.keyboard.type("bill");
    await expect.poll(() => list.getByRole("group").count()).toBe(1);
    expect(await titles("Billing")).toEqual(["billing::Invoices", "Billing::Refunds::Full"]);
    await expectInert(h, page);
  });

});
