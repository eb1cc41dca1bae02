import http from "node:http";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "../support/process.ts";
import { PHONE, XSS_IMG, XSS_SCRIPT, expectAccessible, expectInert, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * The workspace's header search in Chromium: a search with words lists its hits by relevance with
 * the server's snippets, matched words in <mark> (stemmed forms and Japanese characters too); the
 * order switches to last update or creation date and back from the keyboard, and the choice lives
 * in the URL; filters typed with the words still apply; markup in a ticket shows as text. Axe-core
 * checks the pages; screenshots search-*.png.
 */

const PASSWORD = "Correct horse battery 9";

let h: Harness;
let ws: string;
let host: string;
let auth: string;
const n: Record<"most" | "once" | "xss" | "vip" | "ja" | "other", number> = { most: 0, once: 0, xss: 0, vip: 0, ja: 0, other: 0 };

function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> { // any: the shapes vary by route
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host: "127.0.0.1", port: h.server.port, method, path, headers: { host, authorization: auth, ...(payload ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}) } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

async function open(subject: string, body: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body }, ...extra } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  // Distinct update times, so that sorting by them is well defined.
  await new Promise((res) => setTimeout(res, 15));
  return r.body.ticket.id;
}

const rowIds = async (page: Page) => (await page.locator("table.tickets tbody tr td:first-child").allTextContents()).map((s) => Number(s.replace(/\D/g, "")));
const apiOrder = async (query: string, more = "") => ((await api("GET", `/api/v2/search.json?query=${encodeURIComponent(query)}${more}`)).body.results as Array<{ id: number }>).map((r) => r.id);
const sortSwitch = (page: Page) => page.getByRole("navigation", { name: "Order results by" });
const row = (page: Page, id: number) => page.locator("table.tickets tbody tr", { has: page.locator(`td:first-child:text-is("#${id}")`) });

async function search(page: Page, text: string) {
  const box = page.getByRole("searchbox", { name: "Search tickets" });
  await box.focus();
  await box.fill(text);
  await page.keyboard.press("Enter");
  await visible(page.getByRole("heading", { name: `Search results for “${text}”` }));
}

beforeAll(async () => {
  h = await startHarness();
  const out = await cli(h.dataDir, "tenant", "create", "--subdomain", "find", "--owner-email", "ann@find.test", "--owner-name", "Ann Owner");
  expect(out.code, out.stderr).toBe(0);
  const otp = /^One-time password: (\S+)$/m.exec(out.stdout)![1]!;
  const token = /^API token: (\S+)$/m.exec(out.stdout)![1]!;
  ws = h.tenantUrl("find");
  host = new URL(ws).host;
  auth = "Basic " + Buffer.from(`ann@find.test/token:${token}`).toString("base64");
  expect((await api("PUT", "/api/v2/users/me/password.json", { previous_password: otp, password: PASSWORD })).status).toBe(204);

  // The most relevant first, so that relevance and recency disagree.
  n.most = await open("Printer jammed again", "The printer on the second floor has a paper jam. Printers keep jamming; please send someone to look at the printer.");
  expect((await api("PUT", `/api/v2/tickets/${n.most}.json`, { ticket: { comment: { body: "Internal: the printer vendor visits on Friday.", public: false } } })).status).toBe(200);
  n.once = await open("Office supplies", "For the new office we need desks, chairs, a coffee machine and two more printers.");
  n.xss = await open(`Printer label ${XSS_IMG}`, `Pasted from the log: ${XSS_SCRIPT} then the printer said nothing.`);
  n.vip = await open("Printer for the board room", "The board room wants its own colour printer.", { tags: ["vip"] });
  n.ja = await open("印刷機が壊れました", "三階の印刷機で紙詰まりが発生しています。");
  n.other = await open("Coffee machine", "The coffee machine is leaking.");
});

afterAll(async () => {
  await h?.close();
});

describe("the workspace's search in Chromium", () => {
  let page: Page;

  it("lists a search with words by relevance, each hit with its snippet and the matched words marked", async () => {
    page = await h.newPage();
    await page.goto(`${ws}/agent`);
    await signIn(page, "ann@find.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "All open tickets" }));
    await search(page, "printers");
    const relevance = await apiOrder("printers");
    expect(relevance[0]).toBe(n.most);
    expect(relevance).not.toContain(n.other);
    await expect.poll(() => rowIds(page)).toEqual(relevance);
    // The relevance order is the default: nothing about it in the URL, and the switch says so.
    expect(new URL(page.url()).searchParams.get("sort")).toBeNull();
    await expect.poll(() => sortSwitch(page).getByRole("link", { name: "Relevance" }).getAttribute("aria-current")).toBe("true");
    // Stemmed forms marked in the subject and in the snippet under it.
    const first = row(page, n.most);
    expect(await first.locator("a mark").allTextContents()).toEqual(["Printer"]);
    expect(await first.locator(".snippet mark").allTextContents()).toEqual(expect.arrayContaining(["printer", "Printers"]));
    expect(await first.locator(".snippet").textContent()).toContain("paper jam");
    expect(await row(page, n.once).locator(".snippet mark").allTextContents()).toEqual(["printers"]);
    // Markup in a ticket is text: shown as typed, nothing ran, no element made of it.
    expect(await row(page, n.xss).locator("a").textContent()).toBe(`Printer label ${XSS_IMG}`);
    expect(await row(page, n.xss).locator(".snippet").textContent()).toContain(XSS_SCRIPT);
    await expectInert(h, page);
    await shot(page, "search-relevance-desktop");
    await expectAccessible(page, "search results by relevance");
  });

  it("switches to last update and creation date from the keyboard, in the URL, and back", async () => {
    const updated = await apiOrder("printers", "&sort_by=updated_at&sort_order=desc");
    const link = sortSwitch(page).getByRole("link", { name: "Last update" });
    await link.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => new URL(page.url()).searchParams.get("sort")).toBe("updated_at");
    await expect.poll(() => rowIds(page)).toEqual(updated);
    expect([updated[0], updated.at(-1)]).toEqual([n.vip, n.most]);
    expect(await sortSwitch(page).getByRole("link", { name: "Last update" }).getAttribute("aria-current")).toBe("true");
    // Snippets stay whatever the order.
    expect(await row(page, n.most).locator(".snippet mark").count()).toBeGreaterThan(0);
    await shot(page, "search-sorted-desktop");
    await expectAccessible(page, "search results by last update");

    await sortSwitch(page).getByRole("link", { name: "Creation date" }).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => new URL(page.url()).searchParams.get("sort")).toBe("created_at");
    await expect.poll(() => rowIds(page)).toEqual(await apiOrder("printers", "&sort_by=created_at&sort_order=desc"));

    // A reload keeps the order (it is in the URL); the form's ordering offers relevance too.
    await page.reload();
    await expect.poll(() => rowIds(page)).toEqual(await apiOrder("printers", "&sort_by=created_at&sort_order=desc"));
    await page.getByLabel("Sort by").selectOption("relevance");
    await expect.poll(() => page.getByLabel("Order", { exact: true }).count()).toBe(0);
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("sort")).toBe("relevance");
    await expect.poll(() => rowIds(page)).toEqual(await apiOrder("printers"));
  });

  it("applies filters typed with the words, and marks Japanese by its characters", async () => {
    await search(page, "printer tags:vip");
    await expect.poll(() => rowIds(page)).toEqual([n.vip]);
    expect(await row(page, n.vip).locator("mark").allTextContents()).toEqual(["Printer", "printer"]);
    await search(page, "印刷機");
    await expect.poll(() => rowIds(page)).toEqual([n.ja]);
    expect(await row(page, n.ja).locator("a mark").allTextContents()).toEqual(["印刷機"]);
    expect(await row(page, n.ja).locator(".snippet mark").allTextContents()).toEqual(["印刷機"]);
    // Filters alone: no relevance to offer, the latest update first, no snippets.
    await search(page, "tags:vip");
    await expect.poll(() => rowIds(page)).toEqual([n.vip]);
    expect(await sortSwitch(page).count()).toBe(0);
    expect(await page.locator("table.tickets mark").count()).toBe(0);
  });

  it("shows snippets at phone width", async () => {
    const phone = await h.newPage(PHONE);
    await phone.goto(`${ws}/agent/search?q=printers`);
    await signIn(phone, "ann@find.test", PASSWORD);
    await expect.poll(() => rowIds(phone)).toEqual(await apiOrder("printers"));
    await visible(phone.locator(".snippet mark").first());
    await shot(phone, "search-phone");
    await expectAccessible(phone, "search results at phone width");
    await expectInert(h, phone);
  });
});
