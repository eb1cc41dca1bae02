import crypto from "node:crypto";
import { makeContext } from "../src/platform/context.ts";
import fs from "node:fs";
import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { JobRunner } from "../src/platform/jobs/job-runner.ts";
import { claimNext } from "../src/platform/jobs/jobs-repo.ts";
import { enqueueJob } from "../src/platform/jobs/jobs.ts";
import { bulkUpdateHandler } from "../src/modules/tickets/tickets-jobs.ts";
import { countingJob, enqueueCountingJob } from "./support/counting-job.ts";
import { buildTenant, buildUser, startTestApp, waitForJob, type TestApp, type TestTenant } from "./support/harness.ts";
import { seededDataDir } from "./support/data-dir-template.ts";
import { apiTokenFrom, call, cli, freePort, startServer, type ServerProcess } from "./support/process.ts";
import { startSmtpPeer } from "./support/smtp-peer.ts";
import { marker } from "./support/markers.ts";

/**
 * Durable jobs over real HTTP: update_many and create_many answer a queued job and do each ticket
 * on its own, as their creator with today's permissions; a SIGKILL mid-job loses nothing and does
 * no ticket twice; a job whose process died is taken over once its lease ends; sign-in mail waits
 * out a mail server that is down. Two processes sharing jobs through PostgreSQL: the PostgreSQL
 * server suite, test/postgres/jobs-two-processes.test.ts.
 */

let t: TestApp;
let a: TestTenant;
beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "jobs");
});
afterAll(async () => t?.close());

async function tickets(tenant: TestTenant, n: number, extra: Record<string, unknown> = {}): Promise<number[]> {
  const r = await tenant.api("POST", "/api/v2/tickets/create_many.json", { tickets: Array.from({ length: n }, (_, i) => ({ subject: `t${i}`, comment: { body: "b" }, ...extra })) });
  expect(r.status, r.text).toBe(200);
  const job = await waitForJob(tenant, r.body.job_status.id);
  return job.results.map((x: { id: number }) => x.id);
}

const auditsOf = async (tenant: TestTenant, id: number) => (await tenant.api("GET", `/api/v2/tickets/${id}/audits.json`)).body.audits as unknown[];

describe("update_many and create_many as jobs", () => {
  it("queues at once, changes each ticket on its own and reports each refusal without leaking", async () => {
    const b = await buildTenant(t, "jobsb");
    const secret = marker("ZQSECRET");
    const bIds = await tickets(b, 8, { subject: secret });
    const ids = await tickets(a, 6);
    expect((await a.api("DELETE", `/api/v2/tickets/${ids[1]}.json`)).status).toBe(204);
    expect((await a.api("PUT", `/api/v2/tickets/${ids[2]}.json`, { ticket: { status: "solved" } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${ids[2]}.json`, { ticket: { status: "closed" } })).status).toBe(200);
    const foreign = bIds[bIds.length - 1]!; // exists in tenant B only
    const all = [...ids, foreign].join(",");
    const r = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${all}`, { ticket: { priority: "high", additional_tags: ["bulk"] } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.job_status).toMatchObject({ status: "queued", job_type: "bulk_update_job", total: 7, progress: 0, results: [] });
    expect(r.body.job_status.url).toMatch(new RegExp(`/api/v2/job_statuses/${r.body.job_status.id}\\.json$`));
    const job = await waitForJob(a, r.body.job_status.id);
    expect(job).toMatchObject({ status: "completed", total: 7, progress: 7 });
    expect(job.results).toHaveLength(7);
    const byId = new Map(job.results.map((x: { id: number }) => [x.id, x]));
    for (const id of [ids[0], ids[3], ids[4], ids[5]]) expect(byId.get(id)).toEqual({ id, index: ids.indexOf(id!), action: "update", success: true, status: "Updated" });
    expect(byId.get(ids[1])).toMatchObject({ id: ids[1], index: 1, success: false, error: "RecordNotFound" });
    expect(byId.get(ids[2])).toMatchObject({ id: ids[2], index: 2, success: false, error: "RecordInvalid", details: expect.stringMatching(/closed/) });
    // Tenant B's ticket is reported exactly like a missing one.
    expect(byId.get(foreign)).toEqual({ ...(byId.get(ids[1]) as object), id: foreign, index: 6 });
    expect(JSON.stringify(job)).not.toContain(secret);
    // The changes and one ticket audit each (created + updated); the refused ones are untouched.
    const shown = (await a.api("GET", `/api/v2/tickets/show_many.json?ids=${ids.join(",")}`)).body.tickets as Array<{ id: number; priority: string | null; tags: string[] }>;
    for (const tk of shown) expect([tk.id, tk.priority, tk.tags]).toEqual(tk.id === ids[2] ? [tk.id, null, []] : [tk.id, "high", ["bulk"]]);
    expect(shown.map((tk) => tk.id)).not.toContain(ids[1]);
    expect(await auditsOf(a, ids[0]!)).toHaveLength(2);
    expect((await b.api("GET", `/api/v2/tickets/${foreign}.json`)).body.ticket).toMatchObject({ priority: null, tags: [] });
    // Every change is in the audit trail, in the creator's name.
    const log = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=ticket.updated&per_page=100");
    expect(log.status, log.text).toBe(200);
    expect(log.body.audit_logs.filter((e: { source_id: string | number }) => [ids[0], ids[3], ids[4], ids[5]].map(String).includes(String(e.source_id)))).toHaveLength(4);
  });

  it("creates tickets one by one, with a result per ticket", async () => {
    const r = await a.api("POST", "/api/v2/tickets/create_many.json", {
      tickets: [{ subject: "ok 1", comment: { body: "1" } }, { subject: "bad", comment: { body: "2" }, status: "closed" }, { subject: "ok 2", comment: { body: "3" }, group_id: 99999 }, { subject: "ok 3", comment: { body: "4" } }],
    });
    expect(r.status).toBe(200);
    expect(r.body.job_status).toMatchObject({ status: "queued", job_type: "bulk_create_job", total: 4 });
    const job = await waitForJob(a, r.body.job_status.id);
    expect(job).toMatchObject({ status: "completed", progress: 4 });
    expect(job.results.map((x: { index: number; success: boolean; error?: string }) => [x.index, x.success, x.error ?? null])).toEqual([[0, true, null], [1, false, "RecordInvalid"], [2, false, expect.any(String)], [3, true, null]]);
    for (const x of job.results.filter((x: { success: boolean }) => x.success)) expect((await a.api("GET", `/api/v2/tickets/${x.id}.json`)).status).toBe(200);
  });

  it("refuses malformed bodies and what the caller's role can never do, queueing nothing", async () => {
    const count = async () => t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM job_statuses`.execute(tx.db)).rows[0]!.n);
    const before = await count();
    expect((await a.api("PUT", "/api/v2/tickets/update_many.json?ids=1,2", { ticket: { status: "nope" } })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/tickets/update_many.json", { ticket: { status: "open" } })).status).toBe(422);
    expect((await a.api("POST", "/api/v2/tickets/create_many.json", { tickets: [] })).status).toBeGreaterThanOrEqual(400);
    const light = await buildUser(t, a, "light-agent");
    expect((await a.api("PUT", "/api/v2/tickets/update_many.json?ids=1", { ticket: { priority: "low" } }, { email: light.email, token: light.token! })).status).toBe(403);
    expect((await a.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "x", comment: { body: "y" } }] }, { email: light.email, token: light.token! })).status).toBe(403);
    expect(await count()).toBe(before);
  });

  it("answers another tenant's job id, and jobs that are not ticket jobs, like missing ones", async () => {
    const b = await buildTenant(t, "jobsc");
    const r = await a.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "x", comment: { body: "y" } }] });
    await waitForJob(a, r.body.job_status.id);
    const foreign = await b.api("GET", `/api/v2/job_statuses/${r.body.job_status.id}.json`);
    const missing = await b.api("GET", `/api/v2/job_statuses/${crypto.randomUUID()}.json`);
    expect([foreign.status, missing.status]).toEqual([404, 404]);
    expect(foreign.body).toEqual(missing.body);
  });

  it("lists the tenant's ticket jobs newest first, to staff only, never another tenant's or a mail job", async () => {
    const b = await buildTenant(t, "jobsl");
    const foreign = (await b.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "b", comment: { body: "b" } }] })).body.job_status.id;
    const first = (await a.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "l1", comment: { body: "1" } }] })).body.job_status.id;
    const second = (await a.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "l2", comment: { body: "2" } }, { subject: "l3", comment: { body: "3" } }] })).body.job_status.id;
    await waitForJob(a, second);
    const list = await a.api("GET", "/api/v2/job_statuses.json");
    expect(list.status, list.text).toBe(200);
    const ids = list.body.job_statuses.map((j: { id: string }) => j.id);
    expect(ids.indexOf(second)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(second)).toBeLessThan(ids.indexOf(first));
    expect(ids).not.toContain(foreign);
    expect(list.body.job_statuses.every((j: { job_type: string }) => j.job_type === "bulk_update_job" || j.job_type === "bulk_create_job")).toBe(true);
    expect(list.body.job_statuses.find((j: { id: string }) => j.id === second)).toMatchObject({ status: "completed", total: 2, progress: 2, created_at: expect.stringMatching(/^\d{4}-/), finished_at: expect.stringMatching(/^\d{4}-/) });
    expect((await a.api("GET", "/api/v2/job_statuses.json?per_page=1")).body.job_statuses).toHaveLength(1);
    expect((await a.api("GET", "/api/v2/job_statuses.json?per_page=0")).status).toBeGreaterThanOrEqual(400);
    expect((await a.api("GET", "/api/v2/job_statuses.json", undefined, null)).status).toBe(401);
  });

  it("removes finished jobs once their retention has passed, and nothing unfinished", async () => {
    const c = await buildTenant(t, "jobsr");
    const done = (await c.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "r", comment: { body: "r" } }] })).body.job_status.id;
    await waitForJob(c, done);
    // A job still waiting (of a kind no runner here knows, due tomorrow) must survive any purge.
    const waitingId = await t.db.tenant(c.tenantId, async (tx) => {
      const ctx = makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor: { kind: "system" }, requestId: "test", now: () => new Date() });
      return enqueueJob(ctx, { type: "test_waiting", total: 1, payload: {}, createdBy: null, maxAttempts: 1, runAfter: new Date(Date.now() + 86_400_000) });
    });
    const runner = new JobRunner(t.db, t.keyring, { warn: () => undefined }, { workers: 0, pollMs: 60_000, leaseMs: 10_000 });
    expect(await runner.purge(60 * 60_000)).toBe(0); // nothing here finished an hour ago
    expect((await c.api("GET", `/api/v2/job_statuses/${done}.json`)).status).toBe(200);
    const removed = await runner.purge(0);
    expect(removed).toBeGreaterThanOrEqual(1);
    expect((await c.api("GET", `/api/v2/job_statuses/${done}.json`)).status).toBe(404);
    const left = await t.db.tenant(c.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["id", "status"]).execute());
    expect(left.map((j) => j.id)).toContain(waitingId);
    expect(left.every((j) => j.status === "queued" || j.status === "working")).toBe(true);
  });

  it("acts with the creator's permissions at run time: a creator demoted before the job runs gets every item refused", async () => {
    // A process that queues jobs but runs none; a runner started later does them.
    const web = await startTestApp({ env: { VAULTDESK_JOB_WORKERS: "0" } });
    const runner = new JobRunner(web.db, web.keyring, { warn: () => undefined }, { workers: 2, pollMs: 100, leaseMs: 10_000 });
    try {
      const w = await buildTenant(web, "demote");
      const agent = await buildUser(web, w, "agent");
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await w.api("POST", "/api/v2/tickets.json", { ticket: { subject: `d${i}`, comment: { body: "b" } } })).body.ticket.id);
      const as = { email: agent.email, token: agent.token! };
      const queued = await w.api("PUT", `/api/v2/tickets/update_many.json?ids=${ids.join(",")}`, { ticket: { status: "pending" } }, as);
      expect(queued.status, queued.text).toBe(200);
      expect((await w.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { role: "light-agent" } })).status).toBe(200);
      expect((await w.api("GET", `/api/v2/job_statuses/${queued.body.job_status.id}.json`)).body.job_status.status).toBe("queued");
      runner.define(bulkUpdateHandler);
      runner.start();
      const job = await waitForJob(w, queued.body.job_status.id);
      expect(job.status).toBe("completed");
      expect(job.results.map((x: { success: boolean; error: string }) => [x.success, x.error])).toEqual(ids.map(() => [false, "Forbidden"]));
      for (const id of ids) expect((await w.api("GET", `/api/v2/tickets/${id}.json`)).body.ticket.status).toBe("new");
    } finally {
      await runner.stop();
      await web.close();
    }
  });
});

describe("claims and leases", () => {
  const seen: string[] = [];
  const counting = countingJob(seen);
  const statusOf = (tenant: TestTenant, id: string) =>
    t.db.tenant(tenant.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["status", "progress", "total", "payload_sealed", "locked_by"]).where("id", "=", id).executeTakeFirstOrThrow());

  it("takes over a job whose process died once its lease has ended", async () => {
    const c = await buildTenant(t, "lease");
    const id = await enqueueCountingJob(t.db, t.keyring, c.tenantId, 5);
    // A process claims it and dies before doing anything.
    const claimed = await t.db.tenant(c.tenantId, (tx) => claimNext(tx, ["test_count"], "gone:1:dead", 300, false));
    expect(claimed?.id).toBe(id);
    seen.length = 0;
    const runner = new JobRunner(t.db, t.keyring, { warn: () => undefined }, { workers: 2, pollMs: 100, leaseMs: 5000 });
    runner.define(counting);
    runner.start();
    try {
      const deadline = Date.now() + 15_000;
      while ((await statusOf(c, id)).status !== "completed" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    } finally {
      await runner.stop();
    }
    expect(await statusOf(c, id)).toMatchObject({ status: "completed", progress: 5, payload_sealed: null, locked_by: null });
    expect(seen.filter((s) => s.startsWith(c.tenantId)).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `${c.tenantId}:${i}`));
  });
});

describe("sign-in mail as a job", () => {
  it("keeps the mail while the mail server is down and delivers it once it is up; nothing about it is logged", async () => {
    const port = await freePort();
    let logs = "";
    const logStream = new Writable({ write(chunk, _enc, cb) { logs += chunk.toString(); cb(); } });
    const m = await startTestApp({ env: { VAULTDESK_SMTP_URL: `smtp://127.0.0.1:${port}`, VAULTDESK_MAIL_RETRY_SECONDS: "0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2", VAULTDESK_JOB_POLL_SECONDS: "0.1" }, logStream });
    let peer: Awaited<ReturnType<typeof startSmtpPeer>> | undefined;
    try {
      const h = await buildTenant(m, "mail");
      const email = `mail.${crypto.randomBytes(3).toString("hex")}@example.test`;
      expect((await h.api("POST", "/api/v2/users.json", { user: { name: "Mia Mail", email } })).status).toBe(201);
      const r = await h.api("POST", "/api/v2/help_center/sign_in_links.json", { email }, null);
      expect(r.status, r.text).toBe(202);
      // The request queued a job that looks the address up; that job queues the mail.
      const mailJob = async () => (await m.db.tenant(h.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["id", "status", "attempts", "payload_sealed", "results"]).where("job_type", "=", "mail").executeTakeFirst())) ?? { id: "", status: "none", attempts: 0, payload_sealed: null, results: [] };
      // The server refuses connections: the job is tried, and waits to be tried again.
      const deadline = Date.now() + 10_000;
      while ((await mailJob()).attempts < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      const waiting = await mailJob();
      expect(waiting.attempts).toBeGreaterThanOrEqual(2);
      expect(waiting.status).not.toBe("completed");
      expect(waiting.payload_sealed).not.toBeNull();
      // Staff cannot read mail jobs through the job status API.
      expect((await h.api("GET", `/api/v2/job_statuses/${waiting.id}.json`)).status).toBe(404);
      peer = await startSmtpPeer(port);
      const mail = await peer.waitFor(email, { timeoutMs: 15_000 });
      expect(mail.text).toMatch(/signin\?token=vdl_/);
      const end = Date.now() + 10_000;
      while ((await mailJob()).status !== "completed" && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
      expect(await mailJob()).toMatchObject({ status: "completed", payload_sealed: null, results: [{ index: 0, success: true, status: "Sent" }] });
      expect(peer.messages).toHaveLength(1);
      expect(logs).toMatch(/job attempt failed; it will be retried/);
      expect(logs).not.toContain(email);
      expect(logs).not.toContain("vdl_");
    } finally {
      await m.close();
      await peer?.close();
    }
  }, 60_000);

  it("records a mail that could not be delivered after its last attempt", async () => {
    const port = await freePort();
    let logs = "";
    const logStream = new Writable({ write(chunk, _enc, cb) { logs += chunk.toString(); cb(); } });
    const m = await startTestApp({ env: { VAULTDESK_SMTP_URL: `smtp://127.0.0.1:${port}`, VAULTDESK_MAIL_RETRY_SECONDS: "0.05,0.05", VAULTDESK_JOB_POLL_SECONDS: "0.1" }, logStream });
    try {
      const h = await buildTenant(m, "nomail");
      const email = `lost.${crypto.randomBytes(3).toString("hex")}@example.test`;
      await h.api("POST", "/api/v2/users.json", { user: { name: "Lou Lost", email } });
      expect((await h.api("POST", "/api/v2/help_center/sign_in_links.json", { email }, null)).status).toBe(202);
      const mailJob = async () => (await m.db.tenant(h.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["status", "attempts", "payload_sealed", "results"]).where("job_type", "=", "mail").executeTakeFirst())) ?? { status: "none", attempts: 0, payload_sealed: null, results: [] };
      const deadline = Date.now() + 15_000;
      while ((await mailJob()).status !== "failed" && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      expect(await mailJob()).toMatchObject({ status: "failed", attempts: 3, payload_sealed: null, results: [{ index: 0, success: false, error: "DeliveryFailed" }] });
      expect(logs).toMatch(/job failed: no attempts left/);
      expect(logs).not.toContain(email);
    } finally {
      await m.close();
    }
  }, 60_000);
});

describe("crash recovery", () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it("finishes a job after SIGKILL mid-way, and changes no ticket twice", async () => {
    const dir = await seededDataDir("vd-jobs-");
    dirs.push(dir);
    const s1 = await startServer(dir);
    servers.push(s1);
    const token = apiTokenFrom((await cli(dir, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test")).stdout);
    const host = "acme.localhost";
    const poll = async (port: number, id: string, until: (j: { status: string; progress: number }) => boolean) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const j = (await call(port, host, token, "GET", `/api/v2/job_statuses/${id}.json`)).body.job_status;
        if (until(j) || Date.now() > deadline) return j;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const created = await call(s1.port, host, token, "POST", "/api/v2/tickets/create_many.json", { tickets: Array.from({ length: 100 }, (_, i) => ({ subject: `c${i}`, comment: { body: "b" } })) });
    expect((await poll(s1.port, created.body.job_status.id, (j) => j.status === "completed")).progress).toBe(100);
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    const u = await call(s1.port, host, token, "PUT", `/api/v2/tickets/update_many.json?ids=${ids.join(",")}`, { ticket: { comment: { body: "bulk note", public: false }, additional_tags: ["bulk"] } });
    expect(u.status).toBe(200);
    const mid = await poll(s1.port, u.body.job_status.id, (j) => j.progress >= 5);
    s1.child.kill("SIGKILL");
    await s1.exited;
    expect(mid.progress).toBeLessThan(100);

    const s2 = await startServer(dir);
    servers.push(s2);
    const done = await poll(s2.port, u.body.job_status.id, (j) => j.status === "completed");
    expect(done).toMatchObject({ status: "completed", progress: 100 });
    expect(done.results.map((r: { id: number; success: boolean }) => [r.id, r.success])).toEqual(ids.map((id) => [id, true]));
    for (const id of ids) {
      const comments = (await call(s2.port, host, token, "GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Array<{ body: string }>;
      expect(comments.map((c) => c.body), `ticket ${id}`).toEqual(["b", "bulk note"]);
    }
    const verify = await cli(dir, "audit", "verify", "--tenant", "acme");
    expect(verify.stdout).toMatch(/^audit chain OK/);
    s2.child.kill("SIGTERM");
    expect(await s2.exited).toBe(0);
  }, 180_000);
});
