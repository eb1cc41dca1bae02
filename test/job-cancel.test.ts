import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JobRunner, type ItemsHandler } from "../src/platform/jobs/job-runner.ts";
import * as jobsRepo from "../src/platform/jobs/jobs-repo.ts";
import { bulkUpdateHandler } from "../src/modules/tickets/tickets-jobs.ts";
import { buildTenant, buildUser, startTestApp, waitForJob, type TestApp, type TestTenant } from "./support/harness.ts";
import { whileChangeHeld } from "./support/held-rows.ts";

/**
 * Cancelling a job (POST /api/v2/job_statuses/{id}/cancel, Zendesk's `killed`), over real HTTP,
 * on a server that queues jobs and runs none, and a runner of the test's started when it says: a
 * queued job never starts; a running one stops before its next ticket and keeps what it did; only
 * its starter or an admin cancels it; a finished job answers 409, as does one whose last ticket is
 * done (it ends completed); every cancellation is audited.
 */

let web: TestApp;
beforeAll(async () => {
  web = await startTestApp({ env: { VAULTDESK_JOB_WORKERS: "0" } });
});
afterAll(async () => web?.close());

const runners: JobRunner[] = [];
// Each test's runner stops with it: the next test's jobs stay queued until that test starts one.
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
});
function runner(handler: ItemsHandler<never>): JobRunner {
  const r = new JobRunner(web.db, web.keyring, { warn: () => undefined }, { workers: 1, pollMs: 50, leaseMs: 10_000 });
  r.define(handler as never);
  runners.push(r);
  return r.start();
}

async function openTickets(a: TestTenant, n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `c${i}`, comment: { body: "b" } } })).body.ticket.id);
  return ids;
}
const cancel = (a: TestTenant, id: string, as?: { email: string; token: string }) => a.api("POST", `/api/v2/job_statuses/${id}/cancel.json`, undefined, as);
const tagsOf = async (a: TestTenant, ids: number[]) =>
  ((await a.api("GET", `/api/v2/tickets/show_many.json?ids=${ids.join(",")}`)).body.tickets as Array<{ id: number; tags: string[] }>).sort((x, y) => x.id - y.id).map((tk) => tk.tags);

describe("cancelling a job", () => {
  it("a queued job cancelled never starts; the cancellation is audited; cancelling a finished job answers 409", async () => {
    const a = await buildTenant(web, "cancelq");
    const first = await openTickets(a, 3);
    const second = await openTickets(a, 2);
    const queued = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${first.join(",")}`, { ticket: { additional_tags: ["never"] } });
    expect(queued.status, queued.text).toBe(200);
    const id = queued.body.job_status.id as string;
    const r = await cancel(a, id);
    expect(r.status, r.text).toBe(200);
    expect(r.body.job_status).toMatchObject({ id, status: "killed", message: "Cancelled", total: 3, progress: 0, results: [] });
    expect(r.body.job_status.finished_at).toEqual(expect.any(String));
    // A runner then does the next job, and never the cancelled one.
    const other = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${second.join(",")}`, { ticket: { additional_tags: ["done"] } });
    runner(bulkUpdateHandler as ItemsHandler<never>);
    expect((await waitForJob(a, other.body.job_status.id)).status).toBe("completed");
    expect(await tagsOf(a, second)).toEqual([["done"], ["done"]]);
    expect(await tagsOf(a, first)).toEqual([[], [], []]);
    expect((await a.api("GET", `/api/v2/job_statuses/${id}.json`)).body.job_status).toMatchObject({ status: "killed", progress: 0 });
    // Finished either way: 409, and nothing changes.
    for (const done of [id, other.body.job_status.id as string]) {
      const again = await cancel(a, done);
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ error: "Conflict", description: "This job has already finished." });
    }
    expect((await a.api("GET", `/api/v2/job_statuses/${other.body.job_status.id}.json`)).body.job_status.status).toBe("completed");
    const log = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=job_status.cancelled");
    expect(log.body.audit_logs.map((e: { source_type: string; source_id: string }) => [e.source_type, e.source_id])).toEqual([["job_status", id]]);
  });

  it("a running job stops before its next ticket, and what it did stays done", async () => {
    const a = await buildTenant(web, "cancelr");
    const ids = await openTickets(a, 30);
    const queued = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${ids.join(",")}`, { ticket: { additional_tags: ["bulk"] } });
    const id = queued.body.job_status.id as string;
    const ran: number[] = [];
    let answered: Promise<Awaited<ReturnType<typeof cancel>>> | undefined;
    // Each ticket takes a while (inside its transaction), and the cancellation is sent while the second is done.
    runner({
      ...(bulkUpdateHandler as ItemsHandler<never>),
      async runItem(ctx, input, index) {
        ran.push(index);
        if (index === 1) answered = cancel(a, id);
        await new Promise((res) => setTimeout(res, 25));
        return bulkUpdateHandler.runItem(ctx, input, index);
      },
    });
    for (let i = 0; !answered; i++) {
      if (i > 1500) throw new Error("the job did not start");
      await new Promise((res) => setTimeout(res, 20));
    }
    const r = await answered;
    expect(r.status, r.text).toBe(200);
    const doneWhenCancelled = [...ran];
    const job = await waitForJob(a, id);
    expect(job.status).toBe("killed");
    // Nothing ran once the cancellation was answered; the tickets done keep their change, the rest are untouched.
    expect(ran).toEqual(doneWhenCancelled);
    expect(ran.length).toBeGreaterThanOrEqual(2);
    expect(ran.length).toBeLessThan(ids.length);
    expect(job.progress).toBe(ran.length);
    expect(job.results.map((x: { index: number; success: boolean }) => [x.index, x.success])).toEqual(ran.map((i) => [i, true]));
    expect(await tagsOf(a, ids)).toEqual(ids.map((_, i) => (i < ran.length ? ["bulk"] : [])));
  });

  it("a job whose last ticket is done is not cancelled: a cancellation waiting on that ticket answers 409, and the job ends completed", async () => {
    const a = await buildTenant(web, "cancell");
    const ids = await openTickets(a, 2);
    const id = (await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${ids.join(",")}`, { ticket: { additional_tags: ["x"] } })).body.job_status.id as string;
    // The runner's steps, taken by hand: the job claimed, its first ticket done, then its last
    // ticket's transaction (the item's result and progress) while a cancellation waits on the job's
    // row (on PostgreSQL it is blocked on that transaction; on PGlite it comes after it).
    const worker = "test-worker";
    await web.db.tenant(a.tenantId, async (tx) => {
      expect((await jobsRepo.claimNext(tx, [bulkUpdateHandler.type], worker, 60_000, true))?.id).toBe(id);
      expect(await jobsRepo.holdForItem(tx, id, worker, 0)).toBe(true);
      await jobsRepo.recordItem(tx, id, { id: ids[0], index: 0, action: "update", status: "Updated", success: true }, 60_000);
    });
    // One ticket left: its starter (the owner) may cancel it.
    expect((await a.api("GET", `/api/v2/job_statuses/${id}.json`)).body.job_status.abilities).toEqual({ can_cancel: true });
    const lastItem = sql`UPDATE job_statuses SET progress = progress + 1, results = results || ${JSON.stringify([{ id: ids[1], index: 1, action: "update", status: "Updated", success: true }])}::jsonb
      WHERE tenant_id = ${a.tenantId} AND id = ${id} RETURNING id`;
    const [r] = await whileChangeHeld(web, a.tenantId, lastItem, [[() => cancel(a, id)]]);
    expect(r!.status, r!.text).toBe(409);
    expect(r!.body).toMatchObject({ error: "Conflict", description: "This job has already finished." });
    // Nothing left to cancel: nobody is offered to.
    expect((await a.api("GET", `/api/v2/job_statuses/${id}.json`)).body.job_status).toMatchObject({ status: "working", progress: 2, abilities: { can_cancel: false } });
    // The runner then finishes it as it would: completed, every ticket's result kept.
    expect(await web.db.tenant(a.tenantId, (tx) => jobsRepo.finishJob(tx, id, worker, { status: "completed", message: "Completed" }))).toBe(true);
    const job = (await a.api("GET", `/api/v2/job_statuses/${id}.json`)).body.job_status;
    expect(job).toMatchObject({ status: "completed", progress: 2, total: 2, abilities: { can_cancel: false } });
    expect(job.results.map((x: { index: number }) => x.index)).toEqual([0, 1]);
    expect((await a.api("GET", "/api/v2/audit_logs.json?filter[action]=job_status.cancelled")).body.audit_logs).toEqual([]);
  });

  it("is its starter's or an admin's to cancel: another agent who follows it gets 403, an agent who sees only their own jobs 404, and another tenant's job 404", async () => {
    const a = await buildTenant(web, "cancelp");
    const b = await buildTenant(web, "cancelpb");
    const starter = await buildUser(web, a, "agent");
    const colleague = await buildUser(web, a, "agent");
    const admin = await buildUser(web, a, "admin");
    const ids = await openTickets(a, 2);
    const asStarter = { email: starter.email, token: starter.token! };
    const start = async () => (await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${ids.join(",")}`, { ticket: { priority: "low" } }, asStarter)).body.job_status.id as string;
    const one = await start();
    // `abilities.can_cancel` says the same as the cancellation would: the starter and an admin yes,
    // a colleague who follows every job no.
    const asColleague = { email: colleague.email, token: colleague.token! };
    const asAdmin = { email: admin.email, token: admin.token! };
    expect((await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${ids.join(",")}`, { ticket: { priority: "low" } }, asStarter)).body.job_status.abilities).toEqual({ can_cancel: true });
    const seen = async (as: { email: string; token: string }) => (await a.api("GET", `/api/v2/job_statuses/${one}.json`, undefined, as)).body.job_status.abilities;
    expect([await seen(asStarter), await seen(asAdmin), await seen(asColleague)]).toEqual([{ can_cancel: true }, { can_cancel: true }, { can_cancel: false }]);
    const listed = (await a.api("GET", "/api/v2/job_statuses.json", undefined, asColleague)).body.job_statuses as Array<{ id: string; abilities: { can_cancel: boolean } }>;
    expect(listed.find((j) => j.id === one)?.abilities).toEqual({ can_cancel: false });
    expect((await cancel(a, one, asColleague)).status).toBe(403);
    expect((await cancel(b, one)).status).toBe(404);
    const own = await cancel(a, one, asStarter);
    expect(own.status, own.text).toBe(200);
    // Cancelled: nobody may cancel it any more.
    expect(own.body.job_status.abilities).toEqual({ can_cancel: false });
    expect(await seen(asAdmin)).toEqual({ can_cancel: false });
    const two = await start();
    expect((await cancel(a, two, { email: admin.email, token: admin.token! })).body.job_status).toMatchObject({ status: "killed" });
    // An agent whose role sees only their assigned tickets follows only their own jobs: another's is not there.
    const role = await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Assigned only", configuration: { ticket_access: "assigned-only" } } });
    expect(role.status, role.text).toBe(201);
    expect((await a.api("PUT", `/api/v2/users/${colleague.id}.json`, { user: { custom_role_id: role.body.custom_role.id } })).status).toBe(200);
    const three = await start();
    const hidden = await cancel(a, three, { email: colleague.email, token: colleague.token! });
    const missing = await cancel(a, "00000000-0000-4000-8000-000000000000", { email: colleague.email, token: colleague.token! });
    expect(hidden.status).toBe(404);
    expect(hidden.body).toEqual(missing.body);
    expect((await a.api("GET", `/api/v2/job_statuses/${three}.json`)).body.job_status.status).toBe("queued");
  });
});

describe("a job status's abilities and credentials", () => {
  it("offer no cancellation to a token that may only read (its cancellation would be refused)", async () => {
    const a = await buildTenant(web, "cancelr");
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) ids.push((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `j${i}`, comment: { body: "b" } } })).body.ticket.id);
    const job = (await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${ids.join(",")}`, { ticket: { priority: "low" } })).body.job_status;
    const made = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "reader", scopes: ["read", "tickets:read"] } });
    expect(made.status, made.text).toBe(201);
    const reader = { email: a.ownerEmail, token: made.body.api_token.token as string };
    const seen = await a.api("GET", `/api/v2/job_statuses/${job.id}.json`, undefined, reader);
    expect(seen.status, seen.text).toBe(200);
    const cancelled = await a.api("POST", `/api/v2/job_statuses/${job.id}/cancel.json`, undefined, reader);
    expect(cancelled.status).toBe(403);
    expect(seen.body.job_status.abilities).toEqual({ can_cancel: false });
    const listed = (await a.api("GET", "/api/v2/job_statuses.json", undefined, reader)).body.job_statuses as Array<{ id: string; abilities: { can_cancel: boolean } }>;
    expect(listed.find((j) => j.id === job.id)?.abilities).toEqual({ can_cancel: false });
    // The same owner with a token that writes still may.
    expect((await a.api("GET", `/api/v2/job_statuses/${job.id}.json`)).body.job_status.abilities).toEqual({ can_cancel: true });
  });
});

describe("cancelling a job that is not a bulk ticket change", () => {
  it("a search index rebuild cannot be cancelled, even by an admin (409): it stays queued, and no cancellation is audited", async () => {
    const a = await buildTenant(web, "cancelsx");
    const set = await a.api("PUT", "/api/v2/search_settings.json", { search_settings: { languages: ["english", "swedish"] } });
    expect(set.status, set.text).toBe(200);
    const id = set.body.search_settings.reindex.id as string;
    expect((await a.api("GET", `/api/v2/job_statuses/${id}.json`)).body.job_status).toMatchObject({ job_type: "search.reindex", status: "queued", abilities: { can_cancel: false } });
    const r = await cancel(a, id);
    expect(r.status, r.text).toBe(409);
    expect(r.body).toMatchObject({ error: "Conflict", description: "Only bulk ticket jobs can be cancelled." });
    expect((await a.api("GET", `/api/v2/job_statuses/${id}.json`)).body.job_status.status).toBe("queued");
    const log = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=job_status.cancelled");
    expect(log.body.audit_logs).toEqual([]);
  });
});
