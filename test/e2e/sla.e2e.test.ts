import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, DESKTOP, PHONE, expectAccessible, expectInert, firstAccount, focusedId, invitedStaff, poll, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * Business hours and SLA policies, in Chromium: the owner makes a schedule on the Business hours
 * page (a time zone, the weekly hours with a day added and a range that ends before it starts
 * refused on its row, a holiday the server refused on its form first), then an SLA policy on the
 * SLA policies page (a filter through the rules' conditions editor, targets in the priorities ×
 * metrics table; a cell of zero minutes refused on its cell, a policy without conditions by the
 * server under the conditions), moves and deletes another, each step checked through the API.
 * An urgent ticket then shows its SLA targets on the ticket page, with the time left, and "Paused"
 * once pending; a view sorted by the next SLA breach shows it in a column (time left, overdue in
 * words), and a built-in list sorts by it from its sort menu both ways, its Updated cells on one
 * line beside the SLA and Satisfaction columns at 1280 and 1440 pixels. An agent is not offered either page, and the API refuses them the policies.
 * Screenshots sla-*.png.
 */

const PASSWORD = "Lantern quay business hours 44";
const AGENT_PASSWORD = "Granite steps agent hours 17";
const SCHEDULE = "Stockholm office";
const POLICY = "Urgent tickets";

let h: Harness;
let owner: Record<string, string>;
let agent: { id: number; session: Record<string, string> };
const ids: Record<string, number> = {};

const get = (p: string, headers = owner) => apiCall(h, "GET", p, { headers });
type Interval = { start_time: number; end_time: number };

beforeAll(async () => {
  h = await startHarness();
  owner = await firstAccount(h, PASSWORD);
  agent = await invitedStaff(h, owner, { name: "Dee Agent", email: "dee@acme.test", password: AGENT_PASSWORD });
});
afterAll(async () => h?.close());

describe("business hours and SLA policies", () => {
  it("the owner makes a schedule: time zone, weekly hours and a holiday; refusals are shown on their row", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/business-hours`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "Business hours", level: 1 }));
    const nav = page.getByRole("navigation", { name: "Admin center" });
    expect(await nav.getByRole("link", { name: "Business hours" }).getAttribute("aria-current")).toBe("page");
    const links = await nav.getByRole("link").allTextContents();
    expect(links.indexOf("Business hours")).toBe(links.indexOf("Automations") + 1);
    expect(links.indexOf("SLA policies")).toBe(links.indexOf("Business hours") + 1);
    await visible(page.getByText("There are no schedules yet: SLA targets count calendar hours."));

    await page.getByRole("button", { name: "New schedule" }).click();
    const form = page.getByRole("form", { name: "New schedule" });
    await form.getByLabel("Name").fill(SCHEDULE);
    await form.getByLabel("Time zone").selectOption("Europe/Stockholm");
    await form.getByRole("button", { name: "Create schedule" }).click();
    await visible(page.getByText(`The schedule “${SCHEDULE}” was created.`));
    await visible(page.getByRole("heading", { name: `Schedule “${SCHEDULE}”` }));
    const list = (await get("/api/v2/business_hours/schedules.json")).body.schedules as Array<{ id: number; name: string; time_zone: string; intervals: Interval[] }>;
    expect(list.map((s) => [s.name, s.time_zone])).toEqual([[SCHEDULE, "Europe/Stockholm"]]);
    ids.schedule = list[0]!.id;

    // Zendesk's default week: Monday to Friday 09:00–17:00, the weekend closed.
    const week = page.getByRole("form", { name: "Weekly hours" });
    expect(await week.locator("#day-1-0-start").inputValue()).toBe("09:00");
    expect(await week.locator("#day-5-0-end").inputValue()).toBe("17:00");
    expect(await week.locator("#day-0-open").isChecked()).toBe(false);
    // Saturday 10:00–14:00; Wednesday ends before it starts: refused on its row, before the server.
    await week.locator("#day-6-open").check();
    await week.locator("#day-6-0-start").fill("10:00");
    await week.locator("#day-6-0-end").fill("14:00");
    await week.locator("#day-3-0-end").fill("08:00");
    await visible(week.locator("#day-3-0-error"));
    expect(await week.locator("#day-3-0-error").textContent()).toBe("The end must be after the start (00:00 is midnight at the end of the day).");
    expect(await week.getByRole("button", { name: "Save weekly hours" }).isDisabled()).toBe(true);
    await shot(page, "sla-week-refused-desktop");
    await week.locator("#day-3-0-end").fill("16:00");
    await poll(() => week.locator("#day-3-0-error").count()).toBe(0);
    await week.getByRole("button", { name: "Save weekly hours" }).click();
    await visible(page.getByText("The weekly hours were saved."));
    const saved = (await get(`/api/v2/business_hours/schedules/${ids.schedule}.json`)).body.schedule as { intervals: Interval[] };
    expect(saved.intervals).toEqual([
      ...[1, 2].map((d) => ({ start_time: d * 1440 + 540, end_time: d * 1440 + 1020 })),
      { start_time: 3 * 1440 + 540, end_time: 3 * 1440 + 960 },
      ...[4, 5].map((d) => ({ start_time: d * 1440 + 540, end_time: d * 1440 + 1020 })),
      { start_time: 6 * 1440 + 600, end_time: 6 * 1440 + 840 },
    ]);

    // A holiday whose last day is before its first: the server refuses it, on the form.
    await page.getByRole("button", { name: "Add a holiday" }).click();
    const holiday = page.getByRole("form", { name: "Add holiday" });
    await holiday.getByLabel("Name").fill("Christmas");
    await holiday.getByLabel("First day").fill("2026-12-26");
    await holiday.getByLabel("Last day").fill("2026-12-24");
    await holiday.getByRole("button", { name: "Add holiday" }).click();
    await visible(holiday.getByRole("alert").first());
    expect(((await get(`/api/v2/business_hours/schedules/${ids.schedule}/holidays.json`)).body.holidays as unknown[]).length).toBe(0);
    await shot(page, "sla-holiday-refused-desktop");
    await holiday.getByLabel("First day").fill("2026-12-24");
    await holiday.getByLabel("Last day").fill("2026-12-26");
    await holiday.getByRole("button", { name: "Add holiday" }).click();
    await visible(page.getByText("The holiday “Christmas” was added."));
    await visible(page.getByRole("row", { name: /Christmas/ }));
    const holidays = (await get(`/api/v2/business_hours/schedules/${ids.schedule}/holidays.json`)).body.holidays as Array<{ name: string; start_date: string; end_date: string }>;
    expect(holidays.map((x) => [x.name, x.start_date, x.end_date])).toEqual([["Christmas", "2026-12-24", "2026-12-26"]]);
    await expectAccessible(page, "the schedule editor");
    await shot(page, "sla-schedule-desktop");
    await page.setViewportSize(PHONE);
    await shot(page, "sla-schedule-phone");
    await page.setViewportSize(DESKTOP);

    // Deleting a holiday asks first; kept, the focus goes back to its Delete button.
    await page.getByRole("button", { name: "Delete the holiday “Christmas”" }).click();
    const question = page.getByRole("alertdialog", { name: "Delete the holiday “Christmas”?" });
    await visible(question);
    await question.getByRole("button", { name: "Cancel" }).click();
    await poll(() => focusedId(page)).toMatch(/^holiday-delete-\d+$/);
    await page.getByRole("button", { name: "Delete the holiday “Christmas”" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete the holiday" }).click();
    await visible(page.getByText("The holiday “Christmas” was deleted."));
    expect((await get(`/api/v2/business_hours/schedules/${ids.schedule}/holidays.json`)).body.holidays).toEqual([]);

    await page.getByRole("button", { name: "Back to the schedules" }).click();
    await visible(page.getByRole("row", { name: new RegExp(SCHEDULE) }));
    expect(await page.getByRole("row", { name: new RegExp(SCHEDULE) }).textContent()).toContain("Default");
    expect(await page.getByRole("row", { name: new RegExp(SCHEDULE) }).textContent()).toContain("43 h");

    // A second schedule, deleted after the question (kept at first).
    const spare = await apiCall(h, "POST", "/api/v2/business_hours/schedules.json", { headers: owner, body: { schedule: { name: "Spare", time_zone: "Asia/Tokyo" } } });
    expect(spare.status, JSON.stringify(spare.body)).toBe(201);
    await page.reload();
    await visible(page.getByRole("row", { name: /Spare/ }));
    expect(await page.getByRole("row", { name: /Spare/ }).textContent()).not.toContain("Default");
    await page.getByRole("button", { name: "Delete the schedule “Spare”" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Delete the schedule “Spare”?" });
    await visible(dialog);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await visible(page.getByRole("row", { name: /Spare/ }));
    await page.getByRole("button", { name: "Delete the schedule “Spare”" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete the schedule" }).click();
    await visible(page.getByText("The schedule “Spare” was deleted."));
    expect((await get(`/api/v2/business_hours/schedules/${spare.body.schedule.id}.json`)).status).toBe(404);
    await shot(page, "sla-schedules-list-desktop");

    // In Swedish: the page's words, and the days named by the browser in the language chosen.
    await page.getByLabel("Language").selectOption("sv");
    await visible(page.getByRole("heading", { name: "Öppettider", level: 1 }));
    await page.getByRole("button", { name: `Redigera schemat ”${SCHEDULE}”` }).click();
    await visible(page.getByRole("form", { name: "Veckans tider" }).getByText("Måndag", { exact: true }));
    await visible(page.getByLabel("Öppet på lördag"));
    await shot(page, "sla-schedule-sv");
    await page.getByLabel("Språk").selectOption("en");
    await expectInert(h, page);
  });

  it("the owner makes an SLA policy: a filter and targets; a cell of zero minutes and a policy without conditions are refused where they belong", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/slas`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "SLA policies", level: 1 }));
    await visible(page.getByText("There are no SLA policies yet."));
    await page.getByRole("button", { name: "New SLA policy" }).click();
    const editor = page.getByRole("form", { name: "New SLA policy" });
    await editor.getByLabel("Title").fill(POLICY);

    await editor.getByLabel("Requester wait time, Urgent: hours").fill("2");
    await editor.getByLabel("Requester wait time, Urgent: business or calendar hours").selectOption("calendar");
    await editor.getByLabel("Agent work time, Urgent: minutes").fill("45");
    await editor.getByLabel("Agent work time, Urgent: business or calendar hours").selectOption("calendar");
    await editor.getByLabel("First reply time, Urgent: hours").fill("1");
    await editor.getByLabel("Periodic update time, High: minutes").fill("0");
    await visible(editor.locator("#sla-high-periodic_update_time-error"));
    expect(await editor.locator("#sla-high-periodic_update_time-error").textContent()).toBe("At least one minute.");
    expect(await editor.getByRole("button", { name: "Create SLA policy" }).isDisabled()).toBe(true);
    await shot(page, "sla-policy-refused-desktop");
    await editor.getByLabel("Periodic update time, High: minutes").fill("");
    await poll(() => editor.locator("#sla-high-periodic_update_time-error").count()).toBe(0);
    // No condition: the server refuses, and says so under the conditions.
    await editor.getByRole("button", { name: "Create SLA policy" }).click();
    await visible(editor.getByText("A policy needs at least one condition"));
    await visible(editor.getByText("The SLA policy was not saved: see the messages above."));
    await shot(page, "sla-policy-server-refused-desktop");
    expect((await get("/api/v2/slas/policies.json")).body.sla_policies).toEqual([]);
    await editor.getByRole("button", { name: "Add an ALL condition" }).click();
    const all1 = editor.getByRole("group", { name: "ALL condition 1" });
    await all1.getByLabel("Field").selectOption("priority");
    await all1.getByLabel("Operator").selectOption("is");
    await all1.getByLabel("Value").selectOption("urgent");
    await expectAccessible(page, "the SLA policy editor");
    await shot(page, "sla-policy-editor-desktop");
    await page.setViewportSize(PHONE);
    await shot(page, "sla-policy-editor-phone");
    await page.setViewportSize(DESKTOP);
    await editor.getByRole("button", { name: "Create SLA policy" }).click();
    await visible(page.getByText(`The SLA policy “${POLICY}” was created.`));
    await visible(page.getByRole("row", { name: new RegExp(POLICY) }));
    expect(await page.getByRole("row", { name: new RegExp(POLICY) }).textContent()).toContain("3 targets");

    const policies = (await get("/api/v2/slas/policies.json")).body.sla_policies as Array<{ id: number; title: string; filter: { all: unknown[] }; policy_metrics: unknown[] }>;
    expect(policies.map((p) => p.title)).toEqual([POLICY]);
    ids.policy = policies[0]!.id;
    expect(policies[0]!.filter.all).toEqual([{ field: "priority", operator: "is", value: "urgent" }]);
    expect(policies[0]!.policy_metrics).toEqual(
      expect.arrayContaining([
        { priority: "urgent", metric: "first_reply_time", target: 60, business_hours: true },
        { priority: "urgent", metric: "requester_wait_time", target: 120, business_hours: false },
        { priority: "urgent", metric: "agent_work_time", target: 45, business_hours: false },
      ]),
    );
    expect(policies[0]!.policy_metrics).toHaveLength(3);
    await shot(page, "sla-policies-list-desktop");

    // A second policy, made through the API, moved above the first and then deleted after the question.
    const low = await apiCall(h, "POST", "/api/v2/slas/policies.json", { headers: owner, body: { sla_policy: { title: "Everything else", filter: { all: [{ field: "priority", operator: "is", value: "low" }], any: [] }, policy_metrics: [{ priority: "low", metric: "first_reply_time", target: 480, business_hours: true }] } } });
    expect(low.status, JSON.stringify(low.body)).toBe(201);
    await page.reload();
    await visible(page.getByRole("row", { name: /Everything else/ }));
    await page.getByRole("button", { name: "Move up “Everything else”" }).click();
    await visible(page.getByText("“Everything else” is now number 1."));
    await poll(async () => ((await get("/api/v2/slas/policies.json")).body.sla_policies as Array<{ title: string; position: number }>).sort((a, b) => a.position - b.position).map((p) => p.title)).toEqual(["Everything else", POLICY]);
    await page.getByRole("button", { name: "Delete the SLA policy “Everything else”" }).click();
    await page.getByRole("alertdialog", { name: "Delete the SLA policy “Everything else”?" }).getByRole("button", { name: "Delete the SLA policy" }).click();
    await visible(page.getByText("The SLA policy “Everything else” was deleted."));
    expect((await get(`/api/v2/slas/policies/${low.body.sla_policy.id}.json`)).status).toBe(404);

    // Editing shows the targets as they were saved.
    await page.getByRole("button", { name: `Edit the SLA policy “${POLICY}”` }).click();
    const edit = page.getByRole("form", { name: `Edit the SLA policy “${POLICY}”` });
    expect(await edit.getByLabel("Requester wait time, Urgent: hours").inputValue()).toBe("2");
    expect(await edit.getByLabel("Agent work time, Urgent: minutes").inputValue()).toBe("45");
    expect(await edit.getByLabel("Agent work time, Urgent: business or calendar hours").inputValue()).toBe("calendar");
    await edit.getByRole("button", { name: "Cancel" }).click();
    await expectInert(h, page);
  });

  it("an urgent ticket shows its SLA targets with the time left, and Paused once pending", async () => {
    const made = await apiCall(h, "POST", "/api/v2/tickets.json", {
      headers: owner,
      body: { ticket: { subject: "The printer is on fire", priority: "urgent", requester: { name: "Eve Customer", email: "eve@customer.test" }, comment: { body: "Smoke everywhere", public: true } } },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    ids.ticket = made.body.ticket.id;
    const withSlas = await get(`/api/v2/tickets/${ids.ticket}.json?include=slas`);
    expect(withSlas.body.ticket.sla_policy?.title).toBe(POLICY);

    const page = await h.newPage();
    await page.goto(`${h.base}/agent/tickets/${ids.ticket}`);
    await signIn(page, "ann@acme.test", PASSWORD);
    const sla = page.getByRole("region", { name: "SLA" });
    await visible(sla);
    await visible(sla.getByText(`Policy: ${POLICY}`));
    const wait = sla.locator("#sla-metric-requester_wait_time");
    await visible(wait);
    expect(await wait.textContent()).toMatch(/^Requester wait time (1h 59m|2h 0m) left$/);
    expect(await sla.locator("#sla-metric-agent_work_time").textContent()).toMatch(/^Agent work time (44m|45m) left$/);
    await expectAccessible(page, "the ticket's SLA");
    await shot(page, "sla-ticket-desktop");

    const pending = await apiCall(h, "PUT", `/api/v2/tickets/${ids.ticket}.json`, { headers: owner, body: { ticket: { status: "pending" } } });
    expect(pending.status, JSON.stringify(pending.body)).toBe(200);
    await page.reload();
    await visible(page.getByRole("region", { name: "SLA" }).locator("#sla-metric-agent_work_time"));
    expect(await page.locator("#sla-metric-agent_work_time").textContent()).toBe("Agent work time Paused");
    expect(await page.locator("#sla-metric-requester_wait_time").textContent()).toBe("Requester wait time Paused");
    await page.setViewportSize(PHONE);
    await shot(page, "sla-ticket-paused-phone");
    await expectInert(h, page);
  });

  it("a view shows each ticket's next SLA breach (time left, overdue in words), sorts by it, and collapses on a phone", async () => {
    const ticket = async (subject: string, priority: string) => {
      const r = await apiCall(h, "POST", "/api/v2/tickets.json", { headers: owner, body: { ticket: { subject, priority, requester: { name: "Eve Customer", email: "eve@customer.test" }, comment: { body: subject, public: true } } } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.ticket.id as number;
    };
    const flooded = await ticket("The server room is flooding", "urgent");
    const quiet = await ticket("A question about invoices", "low");
    const made = await apiCall(h, "POST", "/api/v2/views.json", {
      headers: owner,
      body: { view: { title: "SLA triage", restriction: null, all: [{ field: "status", operator: "less_than", value: "solved" }], output: { sort_by: "sla_next_breach_at", sort_order: "asc" } } },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const viewId = made.body.view.id as number;

    const page = await h.newPage();
    await page.goto(`${h.base}/agent/views/${viewId}`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByRole("heading", { name: "SLA triage", level: 1 }));
    const table = page.locator("table.tickets");
    await visible(table.getByRole("columnheader", { name: "Next SLA breach" }));
    expect(await table.getByRole("columnheader", { name: "Next SLA breach" }).getAttribute("aria-sort")).toBe("ascending");
    // The view's own order (soonest breach first) is the list's, offered in its sort menu.
    expect(await page.locator("#filter-sort").inputValue()).toBe("sla_next_breach_at");
    const cell = (id: number) => table.getByRole("row").filter({ hasText: `#${id}` }).locator("td.sla-next");
    await poll(() => cell(flooded).textContent()).toMatch(/^in (44m|45m)$/);
    // Paused (pending) and not under a policy: nothing to breach next.
    expect(await cell(ids.ticket!).textContent()).toBe("");
    expect(await cell(quiet).textContent()).toBe("");
    const rows = await table.locator("tbody tr td:first-child").allTextContents();
    expect(rows[0]).toContain(`#${flooded}`);
    await expectAccessible(page, "a view with the next SLA breach column");
    await shot(page, "sla-view-column");

    // A built-in list (a search) shows it too, from the tickets' SLAs read for the page.
    await page.getByRole("link", { name: /^All open tickets/ }).click();
    await visible(page.getByRole("heading", { name: "All open tickets", level: 1 }));
    await poll(() => cell(flooded).textContent()).toMatch(/^in (44m|45m)$/);
    expect(await cell(quiet).textContent()).toBe("");
    // Its sort menu offers the next breach: soonest first going up, the tickets without one last (first going down).
    const firstIds = async () => (await table.locator("tbody tr td:first-child").allTextContents()).map((x) => Number(/#(\d+)/.exec(x)?.[1]));
    await page.locator("#filter-sort").selectOption("sla_next_breach_at");
    await page.locator("#filter-order").selectOption("asc");
    await page.getByRole("button", { name: "Apply" }).click();
    await poll(() => table.getByRole("columnheader", { name: "Next SLA breach" }).getAttribute("aria-sort")).toBe("ascending");
    expect(new URL(page.url()).searchParams.get("sort")).toBe("sla_next_breach_at");
    await poll(firstIds).toEqual([flooded, ids.ticket, quiet]);
    // The last update stays on one line beside the SLA column at common desktop widths.
    // Lines each Updated cell's date takes (an inline element has a box per line); a string, as the tests type no DOM.
    const updatedLines = () => page.evaluate<number[]>(`[...document.querySelectorAll("table.tickets td.updated time")].map((e) => e.getClientRects().length)`);
    expect(await updatedLines()).toEqual([1, 1, 1]);
    await expectAccessible(page, "a built-in list sorted by the next SLA breach");
    await shot(page, "sla-list-sorted");
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(await updatedLines()).toEqual([1, 1, 1]);
    await shot(page, "sla-list-sorted-1440");
    await page.setViewportSize(DESKTOP);
    await page.locator("#filter-order").selectOption("desc");
    await page.getByRole("button", { name: "Apply" }).click();
    await poll(() => table.getByRole("columnheader", { name: "Next SLA breach" }).getAttribute("aria-sort")).toBe("descending");
    await poll(firstIds).toEqual([quiet, ids.ticket, flooded]);
    await page.setViewportSize(PHONE);
    await visible(cell(flooded));
    await shot(page, "sla-list-sorted-phone");
    await page.setViewportSize(DESKTOP);

    // With the Satisfaction column too (ratings on, a solved ticket under the policy offered one): still one line.
    expect((await apiCall(h, "PUT", "/api/v2/satisfaction_settings.json", { headers: owner, body: { satisfaction_settings: { enabled: true } } })).status).toBe(200);
    const solved = await ticket("The lift alarm rang all night", "urgent");
    expect((await apiCall(h, "PUT", `/api/v2/tickets/${solved}.json`, { headers: owner, body: { ticket: { status: "solved" } } })).status).toBe(200);
    await page.getByRole("link", { name: /^Solved in the last 7 days/ }).click();
    await visible(table.getByRole("columnheader", { name: "Satisfaction" }));
    await visible(table.getByRole("columnheader", { name: "Next SLA breach" }));
    for (const size of [DESKTOP, { width: 1440, height: 900 }]) {
      await page.setViewportSize(size);
      expect(await updatedLines()).toEqual([1]);
    }
    await page.setViewportSize(DESKTOP);
    await shot(page, "sla-list-satisfaction");
    await page.goto(`${h.base}/agent/views/${viewId}`);
    await visible(page.getByRole("heading", { name: "SLA triage", level: 1 }));

    // An hour later in the browser's clock, the same target is overdue: said in words, in red.
    await page.clock.install({ time: new Date(Date.now() + 60 * 60_000) });
    await page.reload();
    await visible(table.getByRole("columnheader", { name: "Next SLA breach" }));
    await poll(() => cell(flooded).textContent()).toMatch(/^1[45]m overdue$/);
    expect(await cell(flooded).locator(".sla-breached").count()).toBe(1);
    await page.setViewportSize(PHONE);
    await visible(cell(flooded));
    expect(await cell(quiet).isVisible()).toBe(false);
    await shot(page, "sla-view-column-phone");
    await page.setViewportSize(DESKTOP);
    await expectInert(h, page);
  });

  it("an agent is not offered the pages, and the API refuses them the policies", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/slas`);
    await signIn(page, "dee@acme.test", AGENT_PASSWORD);
    await visible(page.getByRole("heading", { name: "This page is not part of your role" }));
    const links = await page.getByRole("navigation", { name: "Admin center" }).getByRole("link").allTextContents();
    expect(links).not.toContain("SLA policies");
    expect(links).not.toContain("Business hours");
    await page.goto(`${h.base}/admin/business-hours`);
    await visible(page.getByRole("heading", { name: "This page is not part of your role" }));
    expect(await page.getByRole("button", { name: "New schedule" }).count()).toBe(0);
    expect((await get("/api/v2/slas/policies.json", agent.session)).status).toBe(403);
    expect((await apiCall(h, "POST", "/api/v2/business_hours/schedules.json", { headers: agent.session, body: { schedule: { name: "Mine", time_zone: "UTC" } } })).status).toBe(403);
    await shot(page, "sla-agent-denied");
    await expectInert(h, page);
  });
});
