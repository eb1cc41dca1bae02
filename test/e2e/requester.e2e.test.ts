import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, expectInert, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * The requester panel of the agent's ticket page in Chromium: an agent changes the ticket's
 * requester through the type-ahead over people (keyboard only), adds a new end user and makes them
 * the requester, and edits the requester's name, phone and organization; each change is read back
 * over the API and the ticket's history shows the requester change. The server's refusals are
 * shown as its sentences (an address already someone else's, or a new address where the server has
 * no outgoing mail for the confirmation link: 422; a person made staff meanwhile: 403), and the
 * edit control is not offered for a staff requester. axe-core checks the open type-ahead and the
 * edit form; screenshots requester-*.png. Enter takes only a choice found for the text now typed.
 */

const PASSWORD = "Harbour lantern requester 71";
const AGENT_PASSWORD = "Agent quarry lantern 19 parcels";

let h: Harness;
let owner: Record<string, string>;
const ids: Record<string, number> = {};

const person = async (name: string, email: string): Promise<number> => {
  const r = await apiCall(h, "POST", "/api/v2/users.json", { headers: owner, body: { user: { name, email } } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.user.id as number;
};
const ticketFor = async (subject: string, requesterId: number): Promise<number> => {
  const r = await apiCall(h, "POST", "/api/v2/tickets.json", { headers: owner, body: { ticket: { subject, requester_id: requesterId, comment: { body: `${subject}, please help` } } } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.ticket.id as number;
};
const api = async (p: string) => (await apiCall(h, "GET", p, { headers: owner })).body;
/** The agent's page of a ticket requested by Ada, signed in, with its requester panel shown. */
const openPanel = async (ticket: number) => {
  const page = await h.newPage();
  await page.goto(`${h.base}/agent/tickets/${ticket}`);
  await signIn(page, "cy@acme.test", AGENT_PASSWORD);
  const panel = page.locator("section.requester");
  await visible(panel.getByText("ada@example.test"));
  return { page, panel };
};

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  const inv = await apiCall(h, "POST", "/api/v2/invitations.json", { headers: owner, body: { invitation: { email: "cy@acme.test", role: "agent" } } });
  expect(inv.status).toBe(201);
  const acc = await apiCall(h, "POST", "/api/v2/invitations/accept.json", { body: { token: inv.body.invitation.token, name: "Cy Agent", password: AGENT_PASSWORD } });
  expect(acc.status).toBe(201);
  ids.ada = await person("Ada Lovelace", "ada@example.test");
  ids.bob = await person("Bob Builder", "bob@example.test");
  ids.dee = await person("Dee Stale", "dee@example.test");
  const org = await apiCall(h, "POST", "/api/v2/organizations.json", { headers: owner, body: { organization: { name: "Analytical Engines" } } });
  expect(org.status).toBe(201);
  ids.org = org.body.organization.id as number;
  ids.me = (await api("/api/v2/users/me.json")).user.id as number;
});
afterAll(async () => h?.close());

describe("the requester panel", () => {
  it("changes the requester through the type-ahead, adds a new person as requester, and edits the requester's details", async () => {
    const ticket = await ticketFor("Cannot print invoices", ids.ada!);
    const { page, panel } = await openPanel(ticket);

    // Another person, chosen with the keyboard only.
    await panel.getByRole("button", { name: "Change requester" }).click();
    const find = panel.getByRole("combobox", { name: "Find a person" });
    // Focus moves to the search box (in-page code as a string: this file is type-checked without the DOM library).
    await expect.poll(() => page.evaluate<string | null>("document.activeElement && document.activeElement.id")).toBe("requester-find");
    await find.pressSequentially("bob");
    await visible(panel.getByRole("option", { name: /Bob Builder/ }));
    await expect.poll(() => find.getAttribute("aria-expanded")).toBe("true");
    await expectAccessible(page, "the requester type-ahead, open");
    await shot(page, "requester-change-desktop");
    await find.press("Enter");
    await visible(panel.getByText("Bob Builder is now the requester."));
    await visible(panel.getByText("bob@example.test"));
    expect((await api(`/api/v2/tickets/${ticket}.json`)).ticket.requester_id).toBe(ids.bob);
    await visible(page.locator("section.history").getByText("Requester changed from Ada Lovelace to Bob Builder"));

    // The requester's own details: name, phone and organization (found by its name's start).
    await panel.getByRole("button", { name: "Edit details" }).click();
    await panel.getByLabel("Name").fill("Robert Builder");
    await panel.getByLabel("Phone").fill("+46 8 123 456");
    const orgFind = panel.getByRole("combobox", { name: "Change organization" });
    await orgFind.pressSequentially("analy");
    await panel.getByRole("option", { name: "Analytical Engines" }).click();
    await visible(panel.getByText("Organization: Analytical Engines"));
    await panel.getByRole("button", { name: "Save details" }).click();
    await visible(panel.getByText("The requester's details were saved."));
    await visible(panel.getByText("Robert Builder"));
    const bob = (await api(`/api/v2/users/${ids.bob}.json`)).user;
    expect(bob).toMatchObject({ name: "Robert Builder", phone: "+46 8 123 456", organization_id: ids.org });

    // The server refuses an address that is someone else's: its sentence, the form kept as typed.
    await panel.getByRole("button", { name: "Edit details" }).click();
    await panel.getByLabel("E-mail", { exact: true }).fill("ada@example.test");
    await panel.getByRole("button", { name: "Save details" }).click();
    await visible(panel.getByRole("alert").getByText("Email: is already being used by another user"));
    expect(await panel.getByLabel("E-mail", { exact: true }).inputValue()).toBe("ada@example.test");
    await expectAccessible(page, "the requester edit form with the server's refusal");
    await shot(page, "requester-edit-refused-desktop");
    expect((await api(`/api/v2/users/${ids.bob}.json`)).user.email).toBe("bob@example.test");
    await panel.getByRole("button", { name: "Cancel" }).click();

    // Someone new, added by name and address, becomes the requester.
    await panel.getByRole("button", { name: "Change requester" }).click();
    await panel.getByLabel("Name").fill("Cleo Newcomer");
    await panel.getByLabel("E-mail address").fill("cleo@example.test");
    await panel.getByRole("button", { name: "Add and make requester" }).click();
    await visible(panel.getByText("Cleo Newcomer is now the requester."));
    const after = (await api(`/api/v2/tickets/${ticket}.json?include=users`)).ticket;
    const cleo = (await api(`/api/v2/users/${after.requester_id}.json`)).user;
    expect(cleo).toMatchObject({ name: "Cleo Newcomer", email: "cleo@example.test", vaultdesk_role: "end_user" });
    await visible(page.locator("section.history").getByText("Requester changed from Robert Builder to Cleo Newcomer"));

    // A new address is confirmed through a link sent to it: this server has no outgoing mail, so an agent is told why not.
    await panel.getByRole("button", { name: "Edit details" }).click();
    await panel.getByLabel("E-mail", { exact: true }).fill("cleo@elsewhere.test");
    await panel.getByRole("button", { name: "Save details" }).click();
    await visible(panel.getByRole("alert").getByText("this helpdesk has no outgoing mail server. Ask an admin.", { exact: false }));
    expect((await api(`/api/v2/users/${cleo.id}.json`)).user.email).toBe("cleo@example.test");
    await expectInert(h, page);
  });

  it("adds a new person once: making them requester refused because the ticket changed meanwhile, trying again uses the same person", async () => {
    const ticket = await ticketFor("Toner order", ids.ada!);
    const { panel } = await openPanel(ticket);
    await panel.getByRole("button", { name: "Change requester" }).click();
    await panel.getByLabel("Name").fill("Flo Retry");
    await panel.getByLabel("E-mail address").fill("flo@example.test");
    // Meanwhile an owner changes the ticket: the page's change is refused as stale.
    const touched = await apiCall(h, "PUT", `/api/v2/tickets/${ticket}.json`, { headers: owner, body: { ticket: { priority: "high" } } });
    expect(touched.status, JSON.stringify(touched.body)).toBe(200);
    await panel.getByRole("button", { name: "Add and make requester" }).click();
    await visible(panel.getByText("Someone else changed this ticket since you opened it.", { exact: false }));
    const flo = (await api(`/api/v2/users/search.json?query=${encodeURIComponent("flo@example.test")}`)).users as Array<{ id: number }>;
    expect(flo).toHaveLength(1);
    expect((await api(`/api/v2/tickets/${ticket}.json`)).ticket.requester_id).toBe(ids.ada);
    // Again, once the page shows the owner's change: the person added a moment ago, not a second address.
    await panel.getByRole("button", { name: "Add and make requester" }).click();
    await visible(panel.getByText("Flo Retry is now the requester."));
    expect((await api(`/api/v2/tickets/${ticket}.json`)).ticket).toMatchObject({ requester_id: flo[0]!.id, priority: "high" });
  });

  it("never takes a choice found for what was typed before: Enter right after another key picks nobody", async () => {
    await person("Quinn Choice", "quinn@example.test");
    const ticket = await ticketFor("Scanner jams", ids.ada!);
    const { panel } = await openPanel(ticket);
    await panel.getByRole("button", { name: "Change requester" }).click();
    const find = panel.getByRole("combobox", { name: "Find a person" });
    await find.pressSequentially("qu");
    await visible(panel.getByRole("option", { name: /Quinn Choice/ }));
    // "quz" matches nobody: the list found for "qu" is not what Enter chooses from.
    await find.press("z");
    await find.press("Enter");
    await visible(panel.getByText("No matches."));
    expect(await panel.getByText("is now the requester", { exact: false }).count()).toBe(0);
    expect((await api(`/api/v2/tickets/${ticket}.json`)).ticket.requester_id).toBe(ids.ada);
  });

  it("offers no edit for a staff requester, and shows the server's refusal when the person became staff meanwhile", async () => {
    const staffTicket = await ticketFor("Laptop for the new hire", ids.me!);
    const staleTicket = await ticketFor("Password expired", ids.dee!);
    const page = await h.newPage();
    await page.goto(`${h.base}/agent/tickets/${staffTicket}`);
    await signIn(page, "cy@acme.test", AGENT_PASSWORD);
    const panel = page.locator("section.requester");
    await visible(panel.getByText("ann@acme.test"));
    await visible(panel.getByRole("button", { name: "Change requester" }));
    expect(await panel.getByRole("button", { name: "Edit details" }).count()).toBe(0);

    await page.goto(`${h.base}/agent/tickets/${staleTicket}`);
    await visible(panel.getByText("dee@example.test"));
    await panel.getByRole("button", { name: "Edit details" }).click();
    await panel.getByLabel("Name").fill("Dee Renamed");
    // Meanwhile an owner makes Dee an agent: agents edit only end users.
    const role = await apiCall(h, "PUT", `/api/v2/users/${ids.dee}/role.json`, { headers: owner, body: { role: "agent" } });
    expect(role.status, JSON.stringify(role.body)).toBe(200);
    await panel.getByRole("button", { name: "Save details" }).click();
    await visible(panel.getByRole("alert").getByText("You do not have access to edit this person."));
    await expect.poll(async () => panel.getByRole("button", { name: "Save details" }).isEnabled()).toBe(true);
    expect((await api(`/api/v2/users/${ids.dee}.json`)).user.name).toBe("Dee Stale");
    await expectInert(h, page);
  });
});
