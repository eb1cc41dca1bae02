import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, expectInert, firstAccount, PHONE, shot, signIn, signInHelpCenter, startHarness, visible, type Harness } from "./support.ts";

/**
 * Customer satisfaction ratings in Chromium, one story in order. The owner turns ratings on in
 * the admin center. The requester opens her solved request through the mail's `?rate=bad` link:
 * Bad is preselected and nothing is sent until she submits; she chooses Good from the keyboard,
 * adds a comment and submits, then changes the rating to Bad (the same rating, changed); a refusal
 * of the server is shown as text. The agent sees the rating as a badge with its comment on the
 * ticket's page; the owner sees it in the Satisfaction page's list and summary. Once the ticket
 * is closed the requester sees her rating read-only. Screenshots satisfaction-*.png.
 */

const PASSWORD = "Harbour compass rating 62!";
const AGENT_PASSWORD = "Copper kettle rating 58";
const REQUESTER_PASSWORD = "Requester rating passphrase 9";
const GOOD_COMMENT = "Quick and kind, thank you";
const BAD_COMMENT = "The printer jammed again the next day";

let h: Harness;
let owner: Record<string, string>;
const ids: Record<string, number> = {};

const get = (p: string, headers = owner) => apiCall(h, "GET", p, { headers });

async function sessionOf(email: string, password: string): Promise<Record<string, string>> {
  const s = await apiCall(h, "POST", "/api/v2/session.json", { body: { email, password } });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  return { cookie: (s.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!, "x-csrf-token": s.body.session.csrf_token as string };
}

/** An end user with a password of their own (an admin's is for one sign-in only). */
async function requester(name: string, email: string): Promise<number> {
  const u = await apiCall(h, "POST", "/api/v2/users.json", { headers: owner, body: { user: { name, email } } });
  expect(u.status, JSON.stringify(u.body)).toBe(201);
  const id = u.body.user.id as number;
  const first = `${REQUESTER_PASSWORD} first`;
  expect((await apiCall(h, "POST", `/api/v2/users/${id}/password.json`, { headers: owner, body: { password: first } })).status).toBe(204);
  const session = await sessionOf(email, first);
  expect((await apiCall(h, "PUT", "/api/v2/users/me/password.json", { headers: session, body: { previous_password: first, password: REQUESTER_PASSWORD } })).status).toBe(204);
  return id;
}

async function agent(name: string, email: string): Promise<number> {
  const inv = await apiCall(h, "POST", "/api/v2/invitations.json", { headers: owner, body: { invitation: { email, role: "agent" } } });
  expect(inv.status, JSON.stringify(inv.body)).toBe(201);
  const acc = await apiCall(h, "POST", "/api/v2/invitations/accept.json", { body: { token: inv.body.invitation.token, name, password: AGENT_PASSWORD } });
  expect(acc.status, JSON.stringify(acc.body)).toBe(201);
  const s = await apiCall(h, "POST", "/api/v2/session.json", { body: { email, password: AGENT_PASSWORD } });
  expect(s.status, JSON.stringify(s.body)).toBe(201);
  return s.body.session.user_id as number;
}

async function ticket(subject: string, extra: Record<string, unknown>): Promise<number> {
  const r = await apiCall(h, "POST", "/api/v2/tickets.json", { headers: owner, body: { ticket: { subject, requester_id: ids.rae, comment: { body: "Hello" }, ...extra } } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.ticket.id as number;
}

/** Signs in on the help center with the password form. */
/** The ratings the API lists to the owner. */
const ratings = async (): Promise<Array<{ id: number; ticket_id: number; score: string; comment: string | null; assignee_id: number | null }>> => {
  const r = await get("/api/v2/satisfaction_ratings.json");
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.satisfaction_ratings;
};

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  expect((await apiCall(h, "PUT", "/api/v2/password_settings.json", { headers: owner, body: { password_settings: { admins_set_end_user_passwords: true } } })).status).toBe(200);
  ids.rae = await requester("Rae Requester", "rae@example.test");
  ids.cy = await agent("Cy Agent", "cy@acme.test");
  ids.solved = await ticket("Printer on floor 2 is jammed", { status: "solved", assignee_id: ids.cy });
  ids.open = await ticket("Badge reader is slow", { status: "open", assignee_id: ids.cy });
});
afterAll(async () => h?.close());

describe("customer satisfaction ratings", () => {
  it("an admin turns ratings on in the admin center", async () => {
    expect((await get("/api/v2/satisfaction_settings.json")).body.satisfaction_settings).toEqual({ enabled: false });
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/satisfaction`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "Customer satisfaction", level: 1 }));
    const nav = page.getByRole("navigation", { name: "Admin center" });
    expect(await nav.getByRole("link", { name: "Satisfaction" }).getAttribute("aria-current")).toBe("page");
    const box = page.getByLabel("Ask requesters to rate solved tickets");
    await visible(box);
    expect(await box.isChecked()).toBe(false);
    await box.check();
    await page.getByRole("button", { name: "Save" }).click();
    await visible(page.getByRole("status").filter({ hasText: "Saved" }));
    await expect.poll(async () => (await get("/api/v2/satisfaction_settings.json")).body.satisfaction_settings.enabled).toBe(true);
    // Nothing rated yet.
    await visible(page.getByText("No ratings to show."));
    await visible(page.getByText("No ratings in this period"));
    await expectAccessible(page, "the Satisfaction page");
    await shot(page, "satisfaction-admin-settings-desktop");
    await expectInert(h, page);
  });

  it("the requester opens the ?rate=bad link (nothing is sent), rates Good with a comment from the keyboard, then changes it to Bad", async () => {
    const page = await h.newPage();
    await signInHelpCenter(h, page, "rae@example.test", REQUESTER_PASSWORD);
    await page.goto(`${h.base}/requests/${ids.solved}?rate=bad`);
    await visible(page.getByRole("heading", { name: `Request #${ids.solved}` }));
    const box = page.getByRole("group", { name: "How would you rate the support you received?" });
    await visible(box);
    const good = box.getByRole("radio", { name: "Good, I'm satisfied" });
    const bad = box.getByRole("radio", { name: "Bad, I'm unsatisfied" });
    expect(await bad.isChecked()).toBe(true);
    expect(await good.isChecked()).toBe(false);
    await visible(page.getByText(/It is not sent yet/));
    // Opening the link rated nothing: the ticket is only offered a rating.
    await page.waitForLoadState("networkidle");
    expect(await ratings()).toEqual([]);
    expect((await get(`/api/v2/tickets/${ids.solved}.json`)).body.ticket.satisfaction_rating).toEqual({ score: "offered" });
    await expectAccessible(page, "the rating box, preselected");
    await shot(page, "satisfaction-hc-preselected-desktop");

    // From the keyboard: the radio group takes the arrow keys, the comment and Submit the Tab key.
    await bad.focus();
    await page.keyboard.press("ArrowLeft");
    expect(await good.isChecked()).toBe(true);
    await page.keyboard.press("Tab");
    await expect.poll(() => page.evaluate("document.activeElement && document.activeElement.id")).toBe("csat-comment");
    await page.keyboard.type(GOOD_COMMENT);
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await visible(page.getByText("Thank you for your rating."));
    await visible(page.getByRole("heading", { name: "Your rating: Good" }));
    await visible(page.getByText(GOOD_COMMENT));
    const [first] = await ratings();
    expect(first).toMatchObject({ ticket_id: ids.solved, score: "good", comment: GOOD_COMMENT, assignee_id: ids.cy });
    await expectAccessible(page, "the rating, thanked");
    await shot(page, "satisfaction-hc-rated-desktop");

    // A refusal of the server is shown in words (here the answer to a ticket closed meanwhile).
    await page.getByRole("button", { name: "Change rating" }).click();
    const url = `${h.base}/api/v2/tickets/${ids.solved}/satisfaction_rating`;
    await page.route(url, (route) => route.fulfill({ status: 422, contentType: "application/json", body: JSON.stringify({ error: "TicketClosed", description: "The ticket is closed." }) }));
    await box.getByRole("radio", { name: "Bad, I'm unsatisfied" }).check();
    await page.getByRole("button", { name: "Submit rating" }).click();
    await visible(page.getByRole("alert").filter({ hasText: "This request is closed: its rating can no longer be changed." }));
    await page.unroute(url);

    // Changed for real: the same rating, now Bad with a new comment.
    const comment = page.getByLabel("Comment (optional)");
    expect(await comment.inputValue()).toBe(GOOD_COMMENT);
    await comment.fill(BAD_COMMENT);
    await page.getByRole("button", { name: "Submit rating" }).click();
    await visible(page.getByRole("heading", { name: "Your rating: Bad" }));
    await visible(page.getByText(BAD_COMMENT));
    const after = await ratings();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: first!.id, score: "bad", comment: BAD_COMMENT });
    await page.setViewportSize(PHONE);
    await shot(page, "satisfaction-hc-changed-phone");
    await expectInert(h, page);
  });

  it("the agent sees the rating as a badge with its comment on the ticket's page", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/agent/tickets/${ids.solved}`);
    await signIn(page, "cy@acme.test", AGENT_PASSWORD);
    const details = page.getByRole("region", { name: "Details" });
    await visible(details.getByText("Rated bad", { exact: true }));
    await visible(details.getByText(BAD_COMMENT));
    await expectAccessible(page, "a rated ticket");
    await shot(page, "satisfaction-agent-ticket-desktop");
    // An open ticket offers no rating: no badge.
    await page.goto(`${h.base}/agent/tickets/${ids.open}`);
    await visible(page.getByRole("heading", { name: new RegExp("Badge reader is slow") }));
    await page.waitForLoadState("networkidle");
    expect(await page.getByRole("region", { name: "Details" }).getByText(/^Rated |^Rating offered$/).count()).toBe(0);
    // The lists have a Satisfaction column while a ticket on the page was rated or offered a rating.
    await page.goto(`${h.base}/agent/views/recently-solved`);
    const rated = page.getByRole("row", { name: new RegExp(`#${ids.solved}\\b`) });
    await visible(rated);
    await visible(page.getByRole("columnheader", { name: "Satisfaction" }));
    await visible(rated.getByText("Rated bad", { exact: true }));
    expect(await rated.getByText(BAD_COMMENT).count()).toBe(0);
    await shot(page, "satisfaction-agent-list-desktop");
    await expectInert(h, page);
  });

  it("the admin sees the rating in the list and the summary, and filters by score", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/satisfaction`);
    await signIn(page, "ann@acme.test", PASSWORD);
    const row = page.getByRole("row", { name: new RegExp(`Ticket #${ids.solved}`) });
    await visible(row);
    await visible(row.getByText("Rated bad"));
    await visible(row.getByText(BAD_COMMENT));
    await visible(row.getByText("Cy Agent"));
    expect(await row.getByRole("link", { name: `Ticket #${ids.solved}` }).getAttribute("href")).toBe(`/agent/tickets/${ids.solved}`);
    const summary = page.locator("dl.csat-summary");
    await visible(summary.getByText("0% good"));
    expect(await summary.locator("div", { hasText: "Bad" }).locator("dd").textContent()).toBe("1");
    expect(await summary.locator("div", { hasText: "With a comment" }).locator("dd").textContent()).toBe("1");
    await page.getByRole("link", { name: "Last 7 days" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("days")).toBe("7");
    await visible(summary.getByText("0% good"));
    await expectAccessible(page, "the Satisfaction page with a rating");
    await shot(page, "satisfaction-admin-list-desktop");

    await page.getByLabel("Show", { exact: true }).selectOption("good");
    await expect.poll(() => new URL(page.url()).searchParams.get("score")).toBe("good");
    await visible(page.getByText("No ratings to show."));
    await page.getByLabel("Show", { exact: true }).selectOption("bad_with_comment");
    await visible(page.getByRole("row", { name: new RegExp(`Ticket #${ids.solved}`) }));
    await page.setViewportSize(PHONE);
    await shot(page, "satisfaction-admin-list-phone");
    await expectInert(h, page);
  });

  it("once the ticket is closed, the requester sees her rating read-only", async () => {
    const closed = await apiCall(h, "PUT", `/api/v2/tickets/${ids.solved}.json`, { headers: owner, body: { ticket: { status: "closed" } } });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    const page = await h.newPage();
    await signInHelpCenter(h, page, "rae@example.test", REQUESTER_PASSWORD);
    await page.goto(`${h.base}/requests/${ids.solved}?rate=good`);
    await visible(page.getByRole("heading", { name: "Your rating: Bad" }));
    await visible(page.getByText(BAD_COMMENT));
    await visible(page.getByText("This request is closed: its rating can no longer be changed."));
    expect(await page.getByRole("button", { name: "Change rating" }).count()).toBe(0);
    expect(await page.getByRole("radio").count()).toBe(0);
    await expectAccessible(page, "a closed request's rating");
    await shot(page, "satisfaction-hc-closed-desktop");
    await expectInert(h, page);
  });
});
