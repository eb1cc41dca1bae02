import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCall, expectAccessible, firstAccount, shot, signIn, startHarness, visible, type Harness } from "./support.ts";

/**
 * The Bulk jobs page cancels a job, in Chromium, on a server that queues jobs and runs none
 * (`VAULTDESK_JOB_WORKERS=0`), so the job is still waiting when the owner clicks: it is cancelled
 * for good (the API says `killed`, the page "Cancelled"), its tickets untouched, and a second click
 * on a page left open is told the job has finished. The button shows only where the server's
 * `abilities.can_cancel` says the viewer may cancel. Running jobs stopping before their next
 * ticket: test/job-cancel.test.ts. The agent workspace's bulk update offers the same Cancel while
 * its job waits, and then says how many tickets it changed and how many it left as they were.
 * Screenshots jobs-cancelled.png, workspace-bulk-cancellable.png, workspace-bulk-cancelled.png.
 */

const PASSWORD = "Correct horse battery 9";
let h: Harness;
let ownerApi: Record<string, string>;
let ticket = 0;
let jobId = "";

beforeAll(async () => {
  h = await startHarness({ VAULTDESK_JOB_WORKERS: "0" });
  ownerApi = await firstAccount(h, PASSWORD);
  ticket = (await apiCall(h, "POST", "/api/v2/tickets.json", { headers: ownerApi, body: { ticket: { subject: "Printer on fire", comment: { body: "Smoke" } } } })).body.ticket.id as number;
  const queued = await apiCall(h, "PUT", `/api/v2/tickets/update_many.json?ids=${ticket}`, { headers: ownerApi, body: { ticket: { priority: "urgent" } } });
  expect(queued.status).toBe(200);
  jobId = queued.body.job_status.id as string;
});
afterAll(async () => h?.close());

describe("the Bulk jobs page", () => {
  it("cancels a job still waiting to start; the job never runs, and a second click is told it has finished", async () => {
    const page = await h.newPage();
    await page.goto(`${h.base}/admin/jobs`);
    await signIn(page, "ann@acme.test", PASSWORD);
    const row = page.locator("table.admin tbody tr").first();
    await visible(row.getByText("Waiting to start"));
    // A second page open on the same list, to click the same job's button once it has been cancelled.
    const stale = await h.newPage();
    await stale.goto(`${h.base}/admin/jobs`);
    await signIn(stale, "ann@acme.test", PASSWORD);
    await visible(stale.getByText("Waiting to start"));

    await row.getByRole("button", { name: /^Cancel: Bulk update, queued / }).click();
    await visible(page.getByRole("status").getByText("The job was cancelled. Tickets it had already changed keep their changes; it changes no others."));
    await visible(row.getByText("Cancelled"));
    await expect.poll(async () => row.getByRole("button").count()).toBe(0);
    await shot(page, "jobs-cancelled");
    await expectAccessible(page, "the bulk jobs page with a cancelled job");
    const job = await apiCall(h, "GET", `/api/v2/job_statuses/${jobId}.json`, { headers: ownerApi });
    expect(job.body.job_status).toMatchObject({ status: "killed", progress: 0 });
    expect((await apiCall(h, "GET", `/api/v2/tickets/${ticket}.json`, { headers: ownerApi })).body.ticket.priority).toBeNull();

    await stale.locator("table.admin tbody tr").first().getByRole("button", { name: /^Cancel: / }).click();
    await visible(stale.getByRole("alert"));
    await visible(stale.locator("table.admin tbody tr").first().getByText("Cancelled"));
    expect(h.incidents).toEqual([]);
  });

  it("offers Cancel only on the jobs the server says the viewer may cancel (abilities.can_cancel)", async () => {
    const queued = await apiCall(h, "PUT", `/api/v2/tickets/update_many.json?ids=${ticket}`, { headers: ownerApi, body: { ticket: { priority: "low" } } });
    const id = queued.body.job_status.id as string;
    expect(queued.body.job_status.abilities).toEqual({ can_cancel: true });
    const page = await h.newPage();
    // The server's list as it is, but this job marked as one the viewer may not cancel (as it says
    // to an agent who follows another's job, or of a job whose every ticket is done).
    await page.route(/\/api\/v2\/job_statuses(\?.*)?$/, async (route) => {
      const real = await route.fetch();
      const body = (await real.json()) as { job_statuses: Array<{ id: string; abilities: { can_cancel: boolean } }> };
      for (const j of body.job_statuses) if (j.id === id) j.abilities = { can_cancel: false };
      await route.fulfill({ response: real, json: body });
    });
    await page.goto(`${h.base}/admin/jobs`);
    await signIn(page, "ann@acme.test", PASSWORD);
    const row = page.locator("table.admin tbody tr").first();
    await visible(row.getByText("Waiting to start"));
    expect(await row.getByRole("button").count()).toBe(0);
    expect((await apiCall(h, "GET", `/api/v2/job_statuses/${id}.json`, { headers: ownerApi })).body.job_status.status).toBe("queued");
    expect(h.incidents).toEqual([]);
  });
});

describe("the workspace's bulk update", () => {
  it("is cancelled while it waits to start: it reports what it changed and leaves the other tickets as they were", async () => {
    const ids: number[] = [];
    for (const subject of ["Toner low", "Paper jam"]) {
      ids.push((await apiCall(h, "POST", "/api/v2/tickets.json", { headers: ownerApi, body: { ticket: { subject, comment: { body: "Help" }, tags: ["cancelme"] } } })).body.ticket.id as number);
    }
    const page = await h.newPage();
    await page.goto(`${h.base}/agent/views/all-open?tag=cancelme&sort=id&order=asc`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByText("2 tickets"));
    await page.getByLabel("Select all tickets on this page").check();
    await visible(page.getByRole("heading", { name: "Change 2 selected tickets" }));
    await page.getByLabel("New priority").selectOption("high");
    await page.getByRole("button", { name: "Apply to 2 tickets" }).click();
    // No job runs on this server: the update waits to start until it is cancelled.
    await visible(page.getByText("Updated 0 of 2 tickets…"));
    await shot(page, "workspace-bulk-cancellable");
    await expectAccessible(page, "a bulk update waiting to start, with its Cancel button");
    await page.getByRole("button", { name: "Cancel the update" }).click();
    await visible(page.getByText("Update cancelled: 0 tickets updated, 2 left unchanged."));
    await expect.poll(async () => page.getByRole("button", { name: "Cancel the update" }).count()).toBe(0);
    await shot(page, "workspace-bulk-cancelled");
    await expectAccessible(page, "the workspace after a cancelled bulk update");
    const newest = (await apiCall(h, "GET", "/api/v2/job_statuses.json", { headers: ownerApi })).body.job_statuses[0];
    expect(newest).toMatchObject({ job_type: "bulk_update_job", status: "killed", total: 2, progress: 0, abilities: { can_cancel: false } });
    for (const id of ids) expect((await apiCall(h, "GET", `/api/v2/tickets/${id}.json`, { headers: ownerApi })).body.ticket.priority).toBeNull();
    expect(h.incidents).toEqual([]);
  });

  it("shows only the result when its Cancel arrives after the job has ended (the server's 409 is not an error to the agent)", async () => {
    for (const subject of ["Scanner", "Badge"]) {
      expect((await apiCall(h, "POST", "/api/v2/tickets.json", { headers: ownerApi, body: { ticket: { subject, comment: { body: "Help" }, tags: ["endedfirst"] } } })).status).toBe(201);
    }
    const page = await h.newPage();
    await page.goto(`${h.base}/agent/views/all-open?tag=endedfirst&sort=id&order=asc`);
    await signIn(page, "ann@acme.test", PASSWORD);
    await visible(page.getByText("2 tickets"));
    await page.getByLabel("Select all tickets on this page").check();
    await page.getByLabel("New priority").selectOption("low");
    await page.getByRole("button", { name: "Apply to 2 tickets" }).click();
    await visible(page.getByRole("button", { name: "Cancel the update" }));
    // The page's polls are held while the job ends elsewhere (cancelled by the owner over the API),
    // so that its Cancel reaches the server after the end, as when the last ticket is done just
    // before the click: the server answers 409.
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    await page.route((url) => /^\/api\/v2\/job_statuses\/[0-9a-f-]+$/.test(url.pathname), async (route) => {
      if (route.request().method() === "GET") await held;
      await route.continue();
    });
    const jobId = (await apiCall(h, "GET", "/api/v2/job_statuses.json", { headers: ownerApi })).body.job_statuses[0].id as string;
    expect((await apiCall(h, "POST", `/api/v2/job_statuses/${jobId}/cancel.json`, { headers: ownerApi })).status).toBe(200);
    const refused = page.waitForResponse((r) => r.url().includes(`/job_statuses/${jobId}/cancel`));
    await page.getByRole("button", { name: "Cancel the update" }).click();
    expect((await refused).status()).toBe(409);
    // Until the page learns how the job ended, it shows its progress, not the refusal as an error
    // (a moment for the answer to render; the polls are still held).
    await page.waitForTimeout(500);
    await visible(page.getByText("Updated 0 of 2 tickets…"));
    expect(await page.locator("section.bulk").getByRole("alert").allTextContents()).toEqual([]);
    release();
    await visible(page.getByText("Update cancelled: 0 tickets updated, 2 left unchanged."));
    expect(await page.getByRole("alert").allTextContents()).toEqual([]);
    expect(h.incidents).toEqual([]);
  });
});
