import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DESKTOP, PHONE, apiCall, expectAccessible, expectInert, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Deleted tickets and data retention in Chromium, one story: the owner sets the retention policy
 * and previews it in the admin center, puts a ticket under a legal hold, deletes a ticket from its
 * page in the workspace and finds it in Deleted tickets, restores it, deletes another permanently
 * (after the "cannot be undone" confirmation), is refused for the held one (the server's 409 in
 * words), releases the hold and then deletes it. axe-core checks each page; screenshots
 * retention-desktop.png, trash-desktop.png, trash-phone.png, trash-refused-desktop.png, ticket-delete-desktop.png.
 */

const PASSWORD = "Tidy archive shelves 73 wait";
let h: Harness;
let owner: Record<string, string>;
const ids: Record<"printer" | "refund" | "contract", number> = { printer: 0, refund: 0, contract: 0 };

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  for (const [key, subject] of [["printer", "Printer jams on tray 2"], ["refund", "Refund for order 5512"], ["contract", "Contract dispute with Globex"]] as const) {
    const r = await apiCall(h, "POST", "/api/v2/tickets.json", { headers: owner, body: { ticket: { subject, comment: { body: `About: ${subject}` } } } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    ids[key] = r.body.ticket.id;
  }
});
afterAll(async () => h?.close());

const trashIds = async () => ((await apiCall(h, "GET", "/api/v2/deleted_tickets.json", { headers: owner })).body.deleted_tickets as Array<{ id: number }>).map((x) => x.id).sort((a, b) => a - b);

describe("Data retention and deleted tickets", () => {
  it("sets and previews the policy, holds a ticket, and restores and deletes tickets from the trash", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await page.getByRole("navigation", { name: "Admin center" }).getByRole("link", { name: "Data retention" }).click();
    await visible(page.getByRole("heading", { name: "Data retention", level: 1 }));

    // The policy: saved, then previewed with the form's values.
    await page.getByLabel("Delete solved and closed tickets automatically (every hour)").check();
    await page.getByLabel("Days after solving").fill("90");
    await page.getByLabel("Excluded tags").fill("contract, Keep");
    await page.getByLabel("Days in Deleted tickets").fill("14");
    await page.getByRole("button", { name: "Save" }).click();
    await visible(page.getByRole("status").getByText("Saved."));
    const policy = await apiCall(h, "GET", "/api/v2/retention_policy.json", { headers: owner });
    expect(policy.body.retention_policy).toMatchObject({ enabled: true, solved_days: 90, excluded_tags: ["contract", "keep"], trash_days: 14 });
    expect(await page.getByLabel("Excluded tags").inputValue()).toBe("contract keep");
    await page.getByLabel("Days after solving").fill("1");
    await page.getByRole("button", { name: "Preview" }).click();
    await visible(page.getByText(/^No ticket solved before .+ would be deleted\.$/));

    // A legal hold on the contract ticket; a second one on it is refused in words.
    await page.getByLabel("What to hold").selectOption("ticket");
    await page.getByLabel("Id", { exact: true }).fill(String(ids.contract));
    await page.getByLabel("Reason").fill("Litigation: Globex v. Acme");
    await page.getByRole("button", { name: "Place hold" }).click();
    await visible(page.getByRole("status").getByText(`Legal hold placed on Ticket #${ids.contract}.`));
    const holds = page.getByRole("table", { name: "Legal holds" });
    await visible(holds.getByRole("link", { name: `Ticket #${ids.contract}` }));
    expect(await holds.getByRole("link", { name: `Ticket #${ids.contract}` }).getAttribute("href")).toBe(`/agent/tickets/${ids.contract}`);
    await visible(holds.getByText("Ann Owner", { exact: false }));
    await page.getByLabel("Reason").fill("Again");
    await page.getByLabel("Id", { exact: true }).fill(String(ids.contract));
    await page.getByRole("button", { name: "Place hold" }).click();
    await visible(page.getByRole("alert").getByText(/already under legal hold/));
    await page.getByLabel("Id", { exact: true }).fill("");
    await page.getByLabel("Reason").fill("");
    await page.getByLabel("Days after solving").fill("90");
    await page.getByRole("button", { name: "Preview" }).click();
    await visible(page.getByText(/^No ticket solved before .+ would be deleted\.$/));
    await expectAccessible(page, "the data retention page");
    await shot(page, "retention-desktop");

    // The workspace: the printer ticket deleted from its page lands in Deleted tickets.
    await page.goto(`${h.base}/agent/tickets/${ids.printer}`);
    await visible(page.getByRole("heading", { name: /Printer jams on tray 2/ }));
    // Nothing unsaved: the confirmation says nothing of it. A reply typed and not saved: the
    // confirmation says it goes with the ticket (deleting leaves the page without the leave
    // guard's question).
    await page.getByRole("button", { name: "Delete ticket" }).click();
    await visible(page.getByRole("alertdialog").getByText(/stays in Deleted tickets/));
    expect(await page.getByText(/What you have not saved/).count()).toBe(0);
    await page.getByRole("alertdialog").getByRole("button", { name: "Cancel" }).click();
    await page.getByLabel("Your public reply to the requester").fill("Half-written answer about the tray");
    await page.getByRole("button", { name: "Delete ticket" }).click();
    await visible(page.getByRole("alertdialog").getByText(/stays in Deleted tickets/));
    await visible(page.getByRole("alertdialog").getByText("What you have not saved goes with it: your reply."));
    await expectAccessible(page, "the delete confirmation");
    await shot(page, "ticket-delete-desktop");
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete ticket" }).click();
    await visible(page.getByRole("heading", { name: "Deleted tickets", level: 1 }));
    await visible(page.getByText(`Ticket #${ids.printer} was moved to Deleted tickets. You can restore it here.`));
    expect(page.url()).toContain("/agent/deleted-tickets");
    await visible(page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Deleted tickets" }));
    for (const id of [ids.refund, ids.contract]) expect((await apiCall(h, "DELETE", `/api/v2/tickets/${id}.json`, { headers: owner })).status).toBe(204);
    await page.reload();
    const table = page.getByRole("table", { name: "Deleted tickets, one page" });
    await visible(table.getByText("Contract dispute with Globex"));
    await visible(page.getByText("3 deleted tickets"));
    expect(await table.locator("tbody tr").count()).toBe(3);
    const printerRow = table.getByRole("row").filter({ hasText: "Printer jams on tray 2" });
    await visible(printerRow.getByText("Ann Owner"));
    await visible(printerRow.getByText("New"));
    await expectAccessible(page, "Deleted tickets");
    await shot(page, "trash-desktop");
    await page.setViewportSize(PHONE);
    await shot(page, "trash-phone");
    await page.setViewportSize(DESKTOP);

    // Restore one row.
    await page.getByRole("button", { name: `Restore ticket #${ids.printer}` }).click();
    await visible(page.getByRole("status").getByText(`Ticket restored: #${ids.printer}.`));
    expect(await trashIds()).toEqual([ids.refund, ids.contract].sort((a, b) => a - b));
    expect((await apiCall(h, "GET", `/api/v2/tickets/${ids.printer}.json`, { headers: owner })).status).toBe(200);

    // The held one with the refund, selected: the confirmation, then the server's refusal, nothing deleted.
    await page.getByLabel(`Select ticket #${ids.refund}`).check();
    await page.getByLabel(`Select ticket #${ids.contract}`).check();
    await page.getByRole("button", { name: "Delete selected permanently" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Delete 2 tickets permanently?" });
    await visible(confirm.getByText(/This cannot be undone\./));
    await confirm.getByRole("button", { name: "Delete permanently" }).click();
    await visible(page.getByRole("alert").getByText(`Ticket ${ids.contract} is under a legal hold: it cannot be deleted for good until the hold is released.`));
    expect(await trashIds()).toEqual([ids.refund, ids.contract].sort((a, b) => a - b));
    await expectAccessible(page, "Deleted tickets with an error");
    await shot(page, "trash-refused-desktop");

    // One row deleted permanently, after its confirmation (Cancel first changes nothing).
    await page.getByRole("button", { name: `Delete permanently: ticket #${ids.refund}` }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => page.getByRole("alertdialog").count()).toBe(0);
    await page.getByRole("button", { name: `Delete permanently: ticket #${ids.refund}` }).click();
    await page.getByRole("alertdialog", { name: "Delete 1 ticket permanently?" }).getByRole("button", { name: "Delete permanently" }).click();
    await visible(page.getByRole("status").getByText(`Ticket #${ids.refund} deleted permanently.`));
    expect(await trashIds()).toEqual([ids.contract]);
    expect((await apiCall(h, "PUT", `/api/v2/deleted_tickets/${ids.refund}/restore.json`, { headers: owner })).status).toBe(404);

    // The hold released in the admin center (after its confirmation); then the ticket can go.
    await page.goto(`${h.base}/admin/retention`);
    await page.getByRole("button", { name: `Release the hold on Ticket #${ids.contract}` }).click();
    await visible(page.getByRole("alertdialog").getByText(/can then be deleted permanently again/));
    await page.getByRole("button", { name: "Release hold" }).click();
    await visible(page.getByRole("status").getByText(`The hold on Ticket #${ids.contract} was released.`));
    await visible(page.getByText("No active legal holds."));
    await page.getByRole("link", { name: "All holds, released too" }).click();
    await visible(page.getByRole("table", { name: "Legal holds" }).getByText("Litigation: Globex v. Acme"));
    expect(await page.getByRole("table", { name: "Legal holds" }).getByRole("button").count()).toBe(0);
    const listed = await apiCall(h, "GET", "/api/v2/legal_holds.json", { headers: owner });
    expect(listed.body.legal_holds).toHaveLength(1);
    expect(listed.body.legal_holds[0]).toMatchObject({ active: false, target_type: "ticket", target_id: ids.contract });
    await expectAccessible(page, "released holds");

    await page.goto(`${h.base}/agent/deleted-tickets`);
    await page.getByLabel("Select all on this page").check();
    await page.getByRole("button", { name: "Delete selected permanently" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete permanently" }).click();
    await visible(page.getByText("No deleted tickets."));
    expect(await trashIds()).toEqual([]);
    await expectInert(h, page);
  });
});
