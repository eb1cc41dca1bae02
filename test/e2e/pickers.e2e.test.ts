import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, expectInert, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * The workspace's assignee and group pickers in a team past 100 agents and 100 groups, in
 * Chromium: on the ticket page an agent finds the last agent by the start of a name and by the
 * start of an e-mail address, and the last group by its name, through the type-ahead under each
 * drop-down (the whole list no longer fits one); the ticket is saved with them, and after a reload
 * the drop-downs show them by name. The ticket list's filters find the same agent and group, and
 * the list shows only their ticket. Bulk update finds an agent by the start of an e-mail address
 * and a group by its name the same way. axe-core checks the open type-ahead; screenshots
 * pickers-*.png.
 */

const PASSWORD = "Harbour lantern pickers 44";
const TEAM = 105;

let h: Harness;
let owner: Record<string, string>;
const ids: Record<string, number> = {};

const post = async (p: string, body: unknown): Promise<any> => {
  const r = await apiCall(h, "POST", p, { headers: owner, body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};
const api = async (p: string) => (await apiCall(h, "GET", p, { headers: owner })).body;
/** Runs `make` for 1..n, a few at a time. */
async function inBatches(n: number, make: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 1; i <= n; i += 8) await Promise.all(Array.from({ length: Math.min(8, n - i + 1) }, (_, k) => make(i + k)));
}
const pad = (i: number) => String(i).padStart(3, "0");

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  await inBatches(TEAM, async (i) => {
    const u = await post("/api/v2/users.json", { user: { name: `Agent ${pad(i)}`, email: `agent${pad(i)}@acme.test`, role: "agent" } });
    if (i === 104) ids.agent104 = u.user.id;
  });
  await inBatches(TEAM, async (i) => {
    const g = await post("/api/v2/groups.json", { group: { name: `Team ${pad(i)}` } });
    if (i === 105) ids.team105 = g.group.id;
  });
  // Created last: past the first 100 of either list.
  ids.zed = (await post("/api/v2/users.json", { user: { name: "Zed Lastly", email: "zed.l@acme.test", role: "agent" } })).user.id;
  ids.zulu = (await post("/api/v2/groups.json", { group: { name: "Zulu Escalations" } })).group.id;
  ids.ada = (await post("/api/v2/users.json", { user: { name: "Ada Lovelace", email: "ada@example.test" } })).user.id;
  ids.ticket = (await post("/api/v2/tickets.json", { ticket: { subject: "Engine stalls at 101", requester_id: ids.ada, comment: { body: "Please help" } } })).ticket.id;
  ids.other = (await post("/api/v2/tickets.json", { ticket: { subject: "Unrelated question", requester_id: ids.ada, comment: { body: "Hello" } } })).ticket.id;
  // The server pages these lists by 100: the last of each is on a later page.
  expect((await api("/api/v2/users/assignable.json?per_page=100")).users.map((u: { id: number }) => u.id)).not.toContain(ids.zed);
  expect((await api("/api/v2/groups.json?per_page=100")).groups.map((g: { id: number }) => g.id)).not.toContain(ids.zulu);
});
afterAll(async () => h?.close());

describe("pickers past 100 agents and groups", () => {
  it("assigns a ticket to an agent and a group past the first 100 from the ticket page, and filters the list by them", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/agent/tickets/${ids.ticket}`);
    await signIn(page, "ann@acme.test", PASSWORD);
    const props = page.getByRole("region", { name: "Properties" });
    const assignee = props.getByLabel("Assignee", { exact: true });
    await visible(assignee);

    // By the start of an e-mail address first: the match is listed with its address.
    const findAgent = props.getByRole("combobox", { name: "Assignee: find an agent" });
    await visible(findAgent);
    await findAgent.pressSequentially("zed.l@ac");
    await visible(props.getByRole("option", { name: /Zed Lastly.*zed\.l@acme\.test/ }));
    await findAgent.fill("");
    // Then by the start of a name, chosen with the keyboard.
    await findAgent.pressSequentially("zed");
    await visible(props.getByRole("option", { name: /Zed Lastly/ }));
    await expect.poll(() => findAgent.getAttribute("aria-expanded")).toBe("true");
    await expectAccessible(page, "the assignee type-ahead, open");
    await shot(page, "pickers-assignee-desktop");
    await findAgent.press("Enter");
    await expect.poll(() => assignee.inputValue()).toBe(String(ids.zed));
    await expect.poll(() => assignee.locator("option:checked").textContent()).toBe("Zed Lastly");

    const findGroup = props.getByRole("combobox", { name: "Group: find a group" });
    await findGroup.pressSequentially("zul esc");
    await visible(props.getByRole("option", { name: "Zulu Escalations" }));
    await props.getByRole("option", { name: "Zulu Escalations" }).click();
    const group = props.getByLabel("Group", { exact: true });
    await expect.poll(() => group.inputValue()).toBe(String(ids.zulu));

    await page.getByRole("button", { name: "Update ticket" }).click();
    await expect.poll(async () => (await api(`/api/v2/tickets/${ids.ticket}.json`)).ticket.assignee_id).toBe(ids.zed);
    expect((await api(`/api/v2/tickets/${ids.ticket}.json`)).ticket.group_id).toBe(ids.zulu);
    await visible(page.locator("section.history").getByText("Assignee changed from (empty) to Zed Lastly"));

    // After a reload the chosen agent and group are shown by name, though past the first 100.
    await page.reload();
    await visible(assignee);
    await expect.poll(() => assignee.locator("option:checked").textContent()).toBe("Zed Lastly");
    await expect.poll(() => group.locator("option:checked").textContent()).toBe("Zulu Escalations");

    // The list's filters find them the same way; only their ticket is listed.
    await page.goto(`${h.base}/agent/views/all-open`);
    const filters = page.getByRole("form", { name: "Filter and sort" });
    await visible(filters.getByRole("combobox", { name: "Assignee: find an agent" }));
    await filters.getByRole("combobox", { name: "Assignee: find an agent" }).pressSequentially("zed");
    await filters.getByRole("option", { name: /Zed Lastly/ }).click();
    await filters.getByRole("combobox", { name: "Group: find a group" }).pressSequentially("zulu");
    await filters.getByRole("option", { name: "Zulu Escalations" }).click();
    await filters.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("assignee")).toBe(String(ids.zed));
    expect(new URL(page.url()).searchParams.get("group")).toBe(String(ids.zulu));
    await visible(page.getByRole("link", { name: "Engine stalls at 101" }));
    await expect.poll(() => page.getByRole("link", { name: "Unrelated question" }).count()).toBe(0);
    // The applied filters are shown by name.
    await expect.poll(() => filters.getByLabel("Assignee", { exact: true }).locator("option:checked").textContent()).toBe("Zed Lastly");
    await expect.poll(() => filters.getByLabel("Group", { exact: true }).locator("option:checked").textContent()).toBe("Zulu Escalations");
    await shot(page, "pickers-filters-desktop");
    await expectInert(h, page);
  });

  it("bulk updates a ticket to an agent and a group past the first 100", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/agent/views/all-open`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await page.getByLabel(`Select ticket #${ids.other}`).check();
    const bulk = page.getByRole("region", { name: "Change 1 selected ticket" });
    await visible(bulk);
    const newAssignee = bulk.getByLabel("New assignee", { exact: true });
    expect(await newAssignee.locator("option:checked").textContent()).toBe("No change");
    await bulk.getByRole("combobox", { name: "New assignee: find an agent" }).pressSequentially("agent104@");
    await bulk.getByRole("option", { name: /Agent 104/ }).click();
    await expect.poll(() => newAssignee.locator("option:checked").textContent()).toBe("Agent 104");
    await bulk.getByRole("combobox", { name: "New group: find a group" }).pressSequentially("team 105");
    await bulk.getByRole("option", { name: "Team 105" }).click();
    await expect.poll(() => bulk.getByLabel("New group", { exact: true }).locator("option:checked").textContent()).toBe("Team 105");
    await bulk.getByRole("button", { name: "Apply to 1 ticket" }).click();
    await visible(page.getByText("Done: 1 ticket updated."));
    const tk = (await api(`/api/v2/tickets/${ids.other}.json`)).ticket;
    expect({ assignee: tk.assignee_id, group: tk.group_id }).toEqual({ assignee: ids.agent104, group: ids.team105 });
  });
});
