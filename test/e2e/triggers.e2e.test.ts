import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { apiCall, DESKTOP, PHONE, expectAccessible, expectInert, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Triggers in the admin center, in Chromium: the owner creates a trigger on the Triggers page
 * (ALL: the ticket is created; ANY: it is tagged billing or its comment says "refund"; actions:
 * the Billing group, a tag, high priority and a mail to the group), after a mail body the server
 * cannot parse is refused and named on its row; moves it above an older trigger, turns the older
 * one off, edits the new one and deletes the old one, each step checked through the API. A ticket
 * created afterwards gets the trigger's changes (its history naming the trigger), and one the
 * conditions do not match does not. An agent is not offered the page and the API refuses them.
 * Screenshots triggers-*.png.
 */

const PASSWORD = "Signal lantern triggers 47";
const AGENT_PASSWORD = "Tin whistle triggers 62";
const TITLE = "Route billing";
const OLD = "Tag everything";

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
type ApiTrigger = { id: number; title: string; active: boolean; position: number; description: string | null; conditions: { all: unknown[]; any: unknown[] }; actions: Array<{ field: string; value: unknown }> };
const triggers = async (): Promise<ApiTrigger[]> => (await get("/api/v2/triggers.json")).body.triggers;

async function agent(name: string, email: string): Promise<number> {
  const inv = await post("/api/v2/invitations.json", { invitation: { email, role: "agent" } });
  const acc = await apiCall(h, "POST", "/api/v2/invitations/accept.json", { body: { token: inv.invitation.token, name, password: AGENT_PASSWORD } });
  expect(acc.status, JSON.stringify(acc.body)).toBe(201);
  const s = await apiCall(h, "POST", "/api/v2/session.json", { body: { email, password: AGENT_PASSWORD } });
  const cookie = (s.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!;
  sessions[email] = { cookie, "x-csrf-token": s.body.session.csrf_token };
  return s.body.session.user_id as number;
}

/** Waits for a value: the two-core machine runs other work beside the browser, so longer than vitest's 1 s. */
const poll = <T,>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });
/** The id of the element that has the focus. In-page code as a string: this file is type-checked without the DOM library. */
const focused = (page: Page) => page.evaluate<string | null>("document.activeElement && document.activeElement.id");

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  ids.cy = await agent("Cy Agent", "cy@acme.test");
  ids.billing = (await post("/api/v2/groups.json", { group: { name: "Billing" } })).group.id;
  await post("/api/v2/group_memberships.json", { group_membership: { user_id: ids.cy, group_id: ids.billing } });
  ids.ada = (await post("/api/v2/users.json", { user: { name: "Ada Lovelace", email: "ada@example.test" } })).user.id;
  // An older trigger, made through the API: first in the order until the new one is moved above it.
  ids.old = (await post("/api/v2/triggers.json", { trigger: { title: OLD, conditions: { all: [{ field: "update_type", operator: "is", value: "Create" }], any: [] }, actions: [{ field: "current_tags", value: "seen" }] } })).trigger.id;
});
afterAll(async () => h?.close());

describe("triggers", () => {
  it("the owner creates a trigger with ALL and ANY conditions and actions; a mail body the server cannot parse is named on its row", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/triggers`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "Triggers", level: 1 }));
    const nav = page.getByRole("navigation", { name: "Admin center" });
    expect(await nav.getByRole("link", { name: "Triggers" }).getAttribute("aria-current")).toBe("page");
    await visible(page.getByRole("row", { name: new RegExp(OLD) }));

    await page.getByRole("button", { name: "New trigger" }).click();
    const editor = page.getByRole("form", { name: "New trigger" });
    await visible(editor);
    await editor.getByLabel("Title").fill(TITLE);
    await editor.getByLabel("Description (optional)").fill("New billing tickets go to the Billing team");

    await editor.getByRole("button", { name: "Add an ALL condition" }).click();
    // From the keyboard or the mouse, the new row's field takes the focus.
    await poll(() => focused(page)).toBe("trigger-all-1-field");
    const all1 = editor.getByRole("group", { name: "ALL condition 1" });
    await all1.getByLabel("Field").selectOption("update_type");
    await all1.getByLabel("Operator").selectOption("is");
    await all1.getByLabel("Value").selectOption("Create");

    await editor.getByRole("button", { name: "Add an ANY condition" }).click();
    const any1 = editor.getByRole("group", { name: "ANY condition 1" });
    await any1.getByLabel("Field").selectOption("current_tags");
    await any1.getByLabel("Operator").selectOption("includes");
    await any1.getByLabel("Value").fill("billing invoice");
    await editor.getByRole("button", { name: "Add an ANY condition" }).click();
    const any2 = editor.getByRole("group", { name: "ANY condition 2" });
    await any2.getByLabel("Field").selectOption("comment_includes_word");
    await any2.getByLabel("Operator").selectOption("includes");
    await any2.getByLabel("Value").fill("refund");

    await editor.getByRole("button", { name: "Add action" }).click();
    const act1 = editor.getByRole("group", { name: "Action 1" });
    await act1.getByLabel("Field").selectOption("group_id");
    await act1.getByLabel("Value").selectOption({ label: "Billing" });
    await editor.getByRole("button", { name: "Add action" }).click();
    const act2 = editor.getByRole("group", { name: "Action 2" });
    await act2.getByLabel("Field").selectOption("current_tags");
    await act2.getByLabel("Value").fill("routed");
    await editor.getByRole("button", { name: "Add action" }).click();
    const act3 = editor.getByRole("group", { name: "Action 3" });
    await act3.getByLabel("Field").selectOption("priority");
    await act3.getByLabel("Value").selectOption("high");
    await editor.getByRole("button", { name: "Add action" }).click();
    const act4 = editor.getByRole("group", { name: "Action 4" });
    await act4.getByLabel("Field").selectOption("notification_group");
    await act4.getByLabel("Group").selectOption({ label: "Billing" });
    await act4.getByLabel("E-mail subject").fill("New billing ticket #{{ticket.id}}");
    // A broken placeholder first.
    await act4.getByLabel("E-mail body").fill("{{ticket.title");
    // A row added by mistake, removed again: the add button takes the focus.
    await editor.getByRole("button", { name: "Add action" }).click();
    await editor.getByRole("button", { name: "Remove action 5" }).click();
    await poll(() => focused(page)).toBe("trigger-action-add");

    await editor.getByRole("button", { name: "Create trigger" }).click();
    // The server's word on the template, on its row.
    await visible(act4.getByRole("alert"));
    await visible(editor.getByText("The trigger was not saved: see the messages above."));
    expect((await triggers()).map((x) => x.title)).toEqual([OLD]);
    await shot(page, "triggers-editor-refused-desktop");

    await act4.getByLabel("E-mail body").fill("{{ticket.title}} arrived:\n\n{{ticket.latest_comment}}");
    await poll(() => act4.getByRole("alert").count()).toBe(0);
    await expectAccessible(page, "the trigger editor");
    await shot(page, "triggers-editor-desktop");
    await page.setViewportSize(PHONE);
    await shot(page, "triggers-editor-phone");
    await page.setViewportSize(DESKTOP);
    await editor.getByRole("button", { name: "Create trigger" }).click();
    await visible(page.getByText(`The trigger “${TITLE}” was created.`));
    await poll(() => editor.count()).toBe(0);
    // The focus is back on the button that opened the editor.
    await poll(() => focused(page)).toBe("trigger-new");

    const list = await triggers();
    expect(list.map((x) => x.title)).toEqual([OLD, TITLE]);
    const made = list[1]!;
    ids.trigger = made.id;
    expect(made).toMatchObject({
      active: true,
      description: "New billing tickets go to the Billing team",
      conditions: {
        all: [{ field: "update_type", operator: "is", value: "Create" }],
        any: [
          { field: "current_tags", operator: "includes", value: "billing invoice" },
          { field: "comment_includes_word", operator: "includes", value: "refund" },
        ],
      },
    });
    expect(made.actions).toHaveLength(4);
    expect(made.actions[0]!.field).toBe("group_id");
    expect(String(made.actions[0]!.value)).toBe(String(ids.billing));
    expect(made.actions[1]).toEqual({ field: "current_tags", value: "routed" });
    expect(made.actions[2]).toEqual({ field: "priority", value: "high" });
    expect(made.actions[3]!.field).toBe("notification_group");
    expect((made.actions[3]!.value as unknown[]).map(String)).toEqual([String(ids.billing), "New billing ticket #{{ticket.id}}", "{{ticket.title}} arrived:\n\n{{ticket.latest_comment}}"]);
    await expectInert(h, page);
  });

  it("the owner moves the new trigger up, turns the older one off, and edits the new one", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/triggers`);
    await signIn(page, "ann@acme.test", PASSWORD);
    const rows = page.locator("table.triggers-table tbody tr");
    await visible(page.getByRole("row", { name: new RegExp(TITLE) }));
    await poll(() => rows.count()).toBe(2);
    expect(await page.getByRole("button", { name: `Move up “${OLD}”` }).isDisabled()).toBe(true);
    expect(await page.getByRole("button", { name: `Move down “${TITLE}”` }).isDisabled()).toBe(true);

    await page.getByRole("button", { name: `Move up “${TITLE}”` }).click();
    await visible(page.getByText(`“${TITLE}” is now number 1.`));
    await poll(async () => (await triggers()).map((x) => x.title)).toEqual([TITLE, OLD]);
    await poll(() => rows.first().textContent()).toContain(TITLE);
    // At the top now: the focus moves to its Move down.
    await poll(() => focused(page)).toBe(`trigger-down-${ids.trigger}`);

    const toggle = page.getByRole("checkbox", { name: `“${OLD}” is active` });
    expect(await toggle.isChecked()).toBe(true);
    await toggle.uncheck();
    await visible(page.getByText(`The trigger “${OLD}” is now inactive.`));
    await poll(async () => (await triggers()).find((x) => x.id === ids.old)?.active).toBe(false);
    expect(await page.getByRole("checkbox", { name: `“${OLD}” is active` }).isChecked()).toBe(false);
    await expectAccessible(page, "the triggers list");
    await shot(page, "triggers-list-desktop");
    await page.setViewportSize(PHONE);
    await shot(page, "triggers-list-phone");
    await page.setViewportSize(DESKTOP);

    await page.getByRole("button", { name: `Edit the trigger “${TITLE}”` }).click();
    const editor = page.getByRole("form", { name: `Edit the trigger “${TITLE}”` });
    await visible(editor);
    expect(await editor.getByRole("group", { name: "ANY condition 2" }).getByLabel("Value").inputValue()).toBe("refund");
    await editor.getByRole("group", { name: "Action 3" }).getByLabel("Value").selectOption("urgent");
    await editor.getByLabel("Description (optional)").fill("");
    await editor.getByRole("button", { name: "Save changes" }).click();
    await visible(page.getByText(`The trigger “${TITLE}” was saved.`));
    await poll(() => focused(page)).toBe(`trigger-edit-${ids.trigger}`);
    const saved = (await triggers()).find((x) => x.id === ids.trigger)!;
    expect(saved.description).toBeNull();
    expect(saved.actions[2]).toEqual({ field: "priority", value: "urgent" });
    expect(saved.conditions.any).toHaveLength(2);
    await expectInert(h, page);
  });

  it("a ticket created afterwards gets the trigger's changes; one its conditions do not match, and the inactive trigger, change nothing", async () => {
    const billing = (await post("/api/v2/tickets.json", { ticket: { subject: "Invoice twice", requester_id: ids.ada, comment: { body: "I was charged twice, please refund me." } } })).ticket;
    const t1 = (await get(`/api/v2/tickets/${billing.id}.json`)).body.ticket;
    expect(t1.group_id).toBe(ids.billing);
    expect(t1.priority).toBe("urgent");
    expect(t1.tags).toContain("routed");
    // The older trigger is off.
    expect(t1.tags).not.toContain("seen");
    // The ticket's history names the trigger that made the change.
    const audits = (await get(`/api/v2/tickets/${billing.id}/audits.json`)).body.audits as Array<{ via: { channel: string; source?: { from?: { id?: number; title?: string }; rel?: string } } }>;
    expect(audits.map((a) => a.via)).toContainEqual({ channel: "rule", source: { from: { id: ids.trigger, title: TITLE }, rel: "trigger" } });

    const tagged = (await post("/api/v2/tickets.json", { ticket: { subject: "Question about a receipt", requester_id: ids.ada, tags: ["billing"], comment: { body: "Where is my receipt?" } } })).ticket;
    const t2 = (await get(`/api/v2/tickets/${tagged.id}.json`)).body.ticket;
    expect(t2.group_id).toBe(ids.billing);
    expect(t2.tags).toEqual(expect.arrayContaining(["billing", "routed"]));

    const other = (await post("/api/v2/tickets.json", { ticket: { subject: "Printer on fire", requester_id: ids.ada, comment: { body: "It is smoking." } } })).ticket;
    const t3 = (await get(`/api/v2/tickets/${other.id}.json`)).body.ticket;
    expect(t3.group_id).toBeNull();
    expect(t3.tags).not.toContain("routed");
  });

  it("the owner deletes a trigger after confirming", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/triggers`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("button", { name: `Delete the trigger “${OLD}”` }));
    await page.getByRole("button", { name: `Delete the trigger “${OLD}”` }).click();
    const dialog = page.getByRole("alertdialog", { name: `Delete the trigger “${OLD}”?` });
    await visible(dialog);
    await expectAccessible(page, "the delete question");
    // Cancel keeps it.
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await poll(() => focused(page)).toBe(`trigger-delete-${ids.old}`);
    await page.getByRole("button", { name: `Delete the trigger “${OLD}”` }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete the trigger" }).click();
    await visible(page.getByText(`The trigger “${OLD}” was deleted.`));
    await poll(async () => (await triggers()).map((x) => x.title)).toEqual([TITLE]);
    await poll(() => page.locator("table.triggers-table tbody tr").count()).toBe(1);
    expect((await get(`/api/v2/triggers/${ids.old}.json`)).status).toBe(404);
    await expectInert(h, page);
  });

  it("an agent is not offered the page, and the API refuses them", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/triggers`);
    await signIn(page, "cy@acme.test", AGENT_PASSWORD);
    // The agent role opens the admin center for organizations and API tokens only: Triggers is not in its menu, and its page says so.
    await visible(page.getByRole("heading", { name: "This page is not part of your role" }));
    expect(await page.getByRole("navigation", { name: "Admin center" }).getByRole("link").allTextContents()).toEqual(["Organizations", "API tokens"]);
    expect(await page.getByRole("link", { name: "Triggers" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "New trigger" }).count()).toBe(0);
    expect((await get("/api/v2/triggers.json", sessions["cy@acme.test"])).status).toBe(403);
    expect((await get("/api/v2/triggers/definitions.json", sessions["cy@acme.test"])).status).toBe(403);
    await expectAccessible(page, "the admin center for an agent");
    await shot(page, "triggers-agent-denied");
    await expectInert(h, page);
  });
});
