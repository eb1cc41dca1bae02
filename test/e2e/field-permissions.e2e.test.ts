import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Field permissions in Chromium: the owner creates a drop-down field on the admin center's Ticket
 * fields page, lets customers set it on a new request and makes it read-only for agents; a
 * visitor fills it in on the help center's form; the agent sees it on the ticket, not editable.
 * Every page passes axe-core; screenshots fields-*.png.
 */

const PASSWORD = "Quarry lantern orchard 58!";
const OWNER = "ann@acme.test";
const AGENT_PASSWORD = "Agent lantern passphrase 61";

let h: Harness;
let ownerApi: Record<string, string>;
let fieldId = 0;

beforeAll(async () => {
  h = await startHarness();
  ownerApi = await firstAccount(h, PASSWORD);
  const inv = await apiCall(h, "POST", "/api/v2/invitations.json", { headers: ownerApi, body: { invitation: { email: "cy@acme.test", role: "agent" } } });
  expect(inv.status).toBe(201);
  const acc = await apiCall(h, "POST", "/api/v2/invitations/accept.json", { body: { token: inv.body.invitation.token, name: "Cy Agent", password: AGENT_PASSWORD } });
  expect(acc.status).toBe(201);
});
afterAll(async () => h?.close());

describe("field permissions in Chromium", () => {
  it("are set on the Ticket fields page", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/ticket-fields`);
    await signIn(page, OWNER, PASSWORD);
    await visible(page.getByRole("heading", { name: "Ticket fields", level: 1 }));
    await page.getByLabel("Title").fill("Plan");
    await page.getByLabel("Type").selectOption("tagger");
    await page.getByLabel("Options").fill("Gold plan=gold\nFree plan=free");
    await page.getByRole("button", { name: "Create field" }).click();
    await visible(page.getByRole("heading", { name: "Plan", level: 1 }));
    fieldId = Number(new URL(page.url()).pathname.split("/").pop());
    await page.getByLabel("Customers").selectOption("editable");
    await page.getByRole("combobox", { name: "Agent", exact: true }).selectOption("read_only");
    await page.getByRole("combobox", { name: "Light agent" }).selectOption("hidden");
    await page.getByRole("button", { name: "Save field" }).click();
    await visible(page.getByText("Field saved."));
    await expectAccessible(page, "ticket field page");
    await shot(page, "fields-edit");

    const r = await apiCall(h, "GET", `/api/v2/ticket_fields/${fieldId}.json`, { headers: ownerApi });
    expect(r.body.ticket_field).toMatchObject({ visible_in_portal: true, editable_in_portal: true, permissions: [{ role_id: 2, access: "read_only" }, { role_id: 3, access: "hidden" }] });

    await page.goto(`${h.base}/admin/ticket-fields`);
    await visible(page.getByRole("cell", { name: "Shown, and set on a new request" }));
    await expectAccessible(page, "ticket fields page");
    await shot(page, "fields-list");
  });

  it("is filled in on the help center's form and read-only on the agent's ticket page", async () => {
    const visitor = await h.newPage();
    await visitor.goto(`${h.base}/`);
    await visitor.getByLabel("Your name").fill("Pat Visitor");
    await visitor.getByLabel("Your e-mail address").fill("pat@customer.test");
    await visitor.getByLabel("Subject").fill("Upgrade question");
    await visitor.getByLabel("Description").fill("Can I move to a bigger plan?");
    await visitor.getByLabel("Plan").selectOption("gold");
    await expectAccessible(visitor, "request form with a field");
    await shot(visitor, "fields-request-form");
    await visitor.getByRole("button", { name: "Submit request" }).click();
    await visible(visitor.getByRole("status"));

    const list = await apiCall(h, "GET", "/api/v2/tickets.json?sort_order=desc&per_page=1", { headers: ownerApi });
    const ticket = list.body.tickets[0];
    expect(ticket.subject).toBe("Upgrade question");
    expect(ticket.custom_fields).toContainEqual({ id: fieldId, value: "gold" });

    const page = await h.newPage();
    await page.goto(`${h.base}/agent/tickets/${ticket.id}`);
    await signIn(page, "cy@acme.test", AGENT_PASSWORD);
    const select = page.getByRole("combobox", { name: "Plan" });
    await visible(select);
    expect(await select.isDisabled()).toBe(true);
    expect(await select.inputValue()).toBe("gold");
    await visible(page.getByText("Read-only for your role"));
    await expectAccessible(page, "ticket page with a read-only field");
    await shot(page, "fields-agent-ticket");
  });
});
