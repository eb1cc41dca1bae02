import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Merging tickets in Chromium: on a ticket's page the agent opens "Merge into another ticket",
 * types the number of the ticket that stays, sees its subject, confirms in the page (no browser
 * dialog) and lands on that ticket; the merged one is closed (read back over the API). A number
 * that is not found, and the ticket's own number, are refused in the page. axe-core checks the
 * confirmation state.
 */

const PASSWORD = "Seven merged harbour lanterns 47";
let h: Harness;
let owner: Record<string, string>;

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
});
afterAll(async () => h?.close());

const open = async (subject: string): Promise<number> => {
  const r = await apiCall(h, "POST", "/api/v2/tickets.json", { headers: owner, body: { ticket: { subject, comment: { body: `${subject} body` } } } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.ticket.id as number;
};

describe("Merge into another ticket", () => {
  it("finds the target by number, shows its subject, asks in the page, merges and opens the target", async () => {
    const target = await open("Printer on fire");
    const source = await open("Printer smoking");
    const page = await h.newPage();
    let dialogs = 0;
    page.on("dialog", (d) => {
      dialogs++;
      void d.dismiss();
    });
    await page.goto(`${h.base}/agent/tickets/${source}`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await page.getByRole("button", { name: "Merge into another ticket" }).click();
    const input = page.getByLabel("Ticket number to merge into");
    await visible(input);

    await input.fill(String(source));
    await page.getByRole("button", { name: "Find ticket" }).click();
    await visible(page.getByText("A ticket cannot be merged into itself."));
    await input.fill("999999");
    await page.getByRole("button", { name: "Find ticket" }).click();
    await visible(page.getByText("No open ticket #999999 that you can see."));

    await input.fill(String(target));
    await page.getByRole("button", { name: "Find ticket" }).click();
    await visible(page.getByText(`Merge #${source} into #${target} “Printer on fire”? This cannot be undone.`));
    await expectAccessible(page, "the merge confirmation");
    await shot(page, "merge-confirm-desktop");
    await page.getByRole("button", { name: "Merge", exact: true }).click();
    await page.waitForURL(`**/agent/tickets/${target}`);
    await visible(page.getByText(`Request #${source} "Printer smoking" was closed and merged into this request.`, { exact: false }).first());

    const src = await apiCall(h, "GET", `/api/v2/tickets/${source}.json`, { headers: owner });
    expect(src.body.ticket.status).toBe("closed");
    expect(dialogs).toBe(0);
  });
});
