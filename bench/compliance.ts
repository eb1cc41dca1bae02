/**
 * `npm run bench -- --compliance [--quick]`: the compliance work at scale, through the real server
 * (a child process, real HTTP), on PGlite and, when BENCH_DATABASE_URL or TEST_DATABASE_URL is
 * set, on PostgreSQL too (a database of its own, dropped after). Three tenants in one data folder:
 *
 *  1. **Export** ("exp", 100,000 tickets; 10,000 with --quick): a tenant export of the tickets as
 *     CSV and as JSON (`POST /exports`, the job, `GET /exports/{id}` until ready, then the file
 *     through its `download_url`), rows per second and the server's RSS above idle sampled every
 *     100 ms; baseline: the same tickets read through `GET /tickets.json` cursor pages of 100 in the
 *     same run (best of a read before and one after the exports).
 *  2. **Erasure** ("era"): a person who requested 1,000 tickets (200), each made through the API,
 *     deleted (`DELETE /users/{id}`) then erased (`DELETE /deleted_users/{id}`); baseline: another
 *     person's as many tickets deleted through the trash (`DELETE /tickets/{id}` one at a time, then
 *     `DELETE /deleted_tickets/destroy_many` 100 at a time).
 *  3. **Retention** ("ret", 100,000 tickets solved 400–700 days ago, 10,000 with --quick, beside a
 *     tenth as many open ones): the retention policy (`PUT /retention_policy`, 365 days) applied by
 *     the server's own upkeep (`privacy.retention`), while one client keeps asking for open tickets
 *     (`GET /tickets/{id}.json`) and making one (`POST /tickets.json`) every fifth request. The
 *     upkeep runs at a server's start and then hourly, and moves at most 20,000 tickets of a tenant
 *     per run: the bench restarts the server with the task's turn made due (maintenance_turns) until
 *     every qualifying ticket is in the trash. Latency of the stream during the runs against the same
 *     stream before them.
 *
 * Seeding happens in this process with the server stopped: ticket rows sealed by the tenant's real
 * sealer (no comments, audits or search entries: export, listing and retention read only ticket
 * rows and their people), as the other benchmarks seed. The erasure's tickets are made through the
 * API (each with its comment, audits and search entries), since erasure and purge delete them all.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { loadConfig } from "../src/platform/config.ts";
import { openRuntime } from "../src/platform/runtime.ts";
import { findTenant } from "../src/modules/tenants/tenants-service.ts";
import type { TicketStatus } from "../src/platform/db/schema.ts";
import { apiTokenFrom, call, startServer, type ServerProcess } from "../test/support/process.ts";
import { cliWith, freshDatabase } from "./support.ts";

type Lat = { p50_ms: number; p95_ms: number; n: number };
type ExportRun = { seconds: number; job_seconds: number; download_seconds: number; rows: number; bytes: number; rows_per_s: number; ratio_to_list: number; rss_peak_above_idle_mb: number };
export type ComplianceResult = {
  export: { tickets: number; rss_idle_mb: number; list_seconds: number; list_rows_per_s: number; list_seconds_each: number[]; csv: ExportRun; json: ExportRun };
  erasure: { tickets: number; delete_user_seconds: number; erase_seconds: number; seconds: number; ms_per_ticket: number; trash_delete_seconds: number; trash_destroy_seconds: number; trash_seconds: number; trash_ms_per_ticket: number; ratio: number; receipt_tickets: number };
  retention: {
    tickets: number;
    runs: number;
    moved: number;
    run_seconds: number[];
    seconds: number;
    tickets_per_s: number;
    before: { show: Lat; create: Lat };
    during: { show: Lat; create: Lat };
    ratio: { show_p50: number; show_p95: number; create_p50: number; create_p95: number };
  };
};

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const step = (s: string) => process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} compliance: ${s}\n`);

function rssMb(s: ServerProcess): number {
  try {
    const status = fs.readFileSync(`/proc/${s.child.pid}/status`, "utf8");
    return round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

async function stop(s: ServerProcess) {
  s.child.kill("SIGTERM");
  await s.exited;
}

/** Streams a GET to nowhere; resolves with the bytes and the newlines received. */
function download(port: number, host: string, token: string, url: string): Promise<{ bytes: number; lines: number }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: u.pathname + u.search, headers: { host, authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`download answered ${res.statusCode}`));
        }
        let bytes = 0;
        let lines = 0;
        res.on("data", (c: Buffer) => {
          bytes += c.length;
          for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
        });
        res.on("end", () => resolve({ bytes, lines }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

type Seed = { subdomain: string; count: number; status: (k: number) => { status: TicketStatus; solvedDaysAgo: number | null } };

/** Seeds ticket rows in-process through the keyring (the server stopped); answers the first and last public ids. */
async function seed(rt: Awaited<ReturnType<typeof openRuntime>>, s: Seed): Promise<{ first: number; last: number }> {
  const t = (await findTenant(rt.db, { subdomain: s.subdomain }))!;
  const people = await rt.db.tenant(t.id, (tx) => tx.db.selectFrom("users").select("id").where("role", "=", "end_user").execute());
  const owner = await rt.db.tenant(t.id, (tx) => tx.db.selectFrom("users").select("id").where("role", "=", "owner").executeTakeFirstOrThrow());
  const BATCH = 1000;
  let first = 0;
  let last = 0;
  const now = Date.now();
  for (let done = 0; done < s.count; done += BATCH) {
    await rt.db.tenant(t.id, async (tx) => {
      const sealer = await rt.keyring.sealerFor(tx);
      const n = Math.min(BATCH, s.count - done);
      const start = (await sql<{ v: number }>`SELECT min(vd_next_id('tickets'))::bigint AS v FROM generate_series(1, ${n})`.execute(tx.db)).rows[0]!.v - 1;
      if (!first) first = Number(start) + 1;
      last = Number(start) + n;
      const rows = Array.from({ length: n }, (_, k) => {
        const id = crypto.randomUUID();
        const nice = Number(start) + k + 1;
        const st = s.status(done + k);
        const solved = st.solvedDaysAgo === null ? null : new Date(now - st.solvedDaysAgo * 86_400_000);
        const updated = solved ?? new Date(now - Math.random() * 30 * 86_400_000);
        const requester = people.length ? people[(done + k) % people.length]!.id : owner.id;
        return {
          tenant_id: t.id,
          id,
          nice_id: nice,
          subject_sealed: sealer.seal(`Seeded ticket ${nice}: printer on floor 3 is jammed again`, { table: "tickets", column: "subject", row: id }),
          description_sealed: sealer.seal("The printer shows error 0x41 and will not print double-sided. ".repeat(4), { table: "tickets", column: "description", row: id }),
          status: st.status,
          priority: (["low", "normal", "normal", "high", "urgent"] as const)[(done + k) % 5]!,
          type: null,
          requester_id: requester,
          submitter_id: requester,
          assignee_id: null,
          group_id: null,
          organization_id: null,
          tags: ["seeded"],
          custom_fields_sealed: null,
          external_id_sealed: null,
          external_id_bidx: null,
          due_at: null,
          created_at: new Date(updated.getTime() - Math.random() * 20 * 86_400_000),
          updated_at: updated,
          solved_at: solved,
          deleted_at: null,
        };
      });
      await tx.db.insertInto("tickets").values(rows).execute();
    });
  }
  return { first, last };
}

/** Reads every ticket of the tenant through cursor pages of 100; answers seconds and rows. */
async function listAll(port: number, host: string, token: string): Promise<{ seconds: number; rows: number }> {
  const t0 = performance.now();
  let rows = 0;
  let url: string | null = "/api/v2/tickets.json?page[size]=100";
  while (url) {
    const r = await call(port, host, token, "GET", url);
    if (r.status !== 200) throw new Error(`list answered ${r.status}`);
    rows += (r.body.tickets as unknown[]).length;
    const next = r.body.links?.next as string | null | undefined;
    url = r.body.meta?.has_more && next ? new URL(next).pathname + new URL(next).search : null;
  }
  return { seconds: (performance.now() - t0) / 1000, rows };
}

async function exportOnce(srv: ServerProcess, host: string, token: string, format: "csv" | "json", expected: number, idle: number, listSeconds: number): Promise<ExportRun> {
  let peak = rssMb(srv);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(srv))), 100);
  try {
    const t0 = performance.now();
    const c = await call(srv.port, host, token, "POST", "/api/v2/exports.json", { export: { resource: "tickets", format } });
    if (c.status !== 202) throw new Error(`export answered ${c.status}: ${JSON.stringify(c.body)}`);
    const id = c.body.export.id as number;
    let view: { status: string; rows_done: number; size: number | null; download_url: string | null };
    for (;;) {
      const r = await call(srv.port, host, token, "GET", `/api/v2/exports/${id}.json`);
      view = r.body.export;
      if (view.status === "ready") break;
      if (view.status === "failed") throw new Error("export failed");
      await sleep(200);
    }
    const t1 = performance.now();
    const got = await download(srv.port, host, token, view.download_url!);
    const t2 = performance.now();
    if (view.rows_done !== expected) throw new Error(`export has ${view.rows_done} rows, expected ${expected}`);
    if (got.bytes !== view.size) throw new Error(`downloaded ${got.bytes} of ${view.size} bytes`);
    // CSV: a header line and a line per ticket; JSON: an opening line, a line per ticket, a closing one.
    if (got.lines < expected + 1) throw new Error(`the ${format} file has ${got.lines} lines for ${expected} tickets`);
    const seconds = (t2 - t0) / 1000;
    peak = Math.max(peak, rssMb(srv));
    return {
      seconds: round(seconds, 2),
      job_seconds: round((t1 - t0) / 1000, 2),
      download_seconds: round((t2 - t1) / 1000, 2),
      rows: view.rows_done,
      bytes: got.bytes,
      rows_per_s: round(expected / seconds),
      ratio_to_list: round(seconds / listSeconds, 2),
      rss_peak_above_idle_mb: round(peak - idle),
    };
  } finally {
    clearInterval(sampler);
  }
}

/** One client: a show of a random open ticket, and every fifth request a create; 20 ms apart. Runs until `until()` or `max` requests. */
async function stream(port: number, host: string, token: string, ids: { first: number; last: number }, until: () => boolean, max: number): Promise<{ show: number[]; create: number[]; errors: number }> {
  const show: number[] = [];
  const create: number[] = [];
  let errors = 0;
  for (let i = 0; i < max && !until(); i++) {
    const t0 = performance.now();
    if (i % 5 === 4) {
      const r = await call(port, host, token, "POST", "/api/v2/tickets.json", { ticket: { subject: `Stream ticket ${i}`, comment: { body: "The printer on floor 3 is jammed again." } } });
      create.push(performance.now() - t0);
      if (r.status !== 201) errors++;
    } else {
      const id = ids.first + Math.floor(Math.random() * (ids.last - ids.first + 1));
      const r = await call(port, host, token, "GET", `/api/v2/tickets/${id}.json`);
      show.push(performance.now() - t0);
      if (r.status !== 200) errors++;
    }
    await sleep(20);
  }
  return { show, create, errors };
}

const lat = (xs: number[]): Lat => ({ p50_ms: pct(xs, 50), p95_ms: pct(xs, 95), n: xs.length });

export async function benchCompliance(opts: { quick: boolean; adminUrl?: string | undefined }): Promise<ComplianceResult> {
  const EXPORT_N = opts.quick ? 10_000 : 100_000;
  const ERASE_N = opts.quick ? 200 : 1000;
  const RET_N = opts.quick ? 10_000 : 100_000;
  const RET_OPEN = RET_N / 10;
  const kind = opts.adminUrl ? "postgres" : "pglite";
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `vd-bench-compliance-${kind}-`));
  const env: Record<string, string> = { VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64") };
  const { dbUrl, drop } = await freshDatabase(opts.adminUrl, "vd_bench_compliance");
  if (dbUrl) env.DATABASE_URL = dbUrl;
  let server: ServerProcess | undefined;
  const cfg = loadConfig({ ...process.env, ...env, VAULTDESK_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  /** SQL as the owner role with the server stopped (PGlite: one process at a time). */
  const ownerSql = async (fn: (rt: Awaited<ReturnType<typeof openRuntime>>) => Promise<void>) => {
    const rt = await openRuntime(cfg, { migrate: false });
    try {
      await fn(rt);
    } finally {
      await rt.close();
    }
  };
  try {
    server = await startServer(dataDir, env);
    const tokens: Record<string, string> = {};
    for (const sub of ["exp", "era", "ret"]) tokens[sub] = apiTokenFrom(await cliWith(env, dataDir, "tenant", "create", "--subdomain", sub, "--owner-email", `owner@${sub}.test`));
    const host = (sub: string) => `${sub}.localhost`;
    const srv0 = server;
    const newUser = async (sub: string, i: number): Promise<number> => {
      const r = await call(srv0.port, host(sub), tokens[sub]!, "POST", "/api/v2/users.json", { user: { name: `Customer ${sub} ${i}`, email: `customer-${i}@${sub}-people.test`, role: "end-user" } });
      if (r.status !== 201) throw new Error(`user create answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body.user.id as number;
    };
    step(`${kind}: people`);
    for (let i = 0; i < 20; i++) await newUser("exp", i);
    for (let i = 0; i < 20; i++) await newUser("ret", i);
    const erased = await newUser("era", 1);
    const trashed = await newUser("era", 2);

    step(`${kind}: erasure: ${ERASE_N} tickets each for two people through the API`);
    const eraTickets: Record<number, number[]> = { [erased]: [], [trashed]: [] };
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (;;) {
          const i = next++;
          if (i >= 2 * ERASE_N) return;
          const who = i % 2 === 0 ? erased : trashed;
          const r = await call(srv0.port, host("era"), tokens.era!, "POST", "/api/v2/tickets.json", { ticket: { subject: `Order ${i} arrived damaged`, requester_id: who, comment: { body: "The parcel was crushed and the screen is cracked. ".repeat(3) }, tags: ["bench"] } });
          if (r.status !== 201) throw new Error(`create answered ${r.status}: ${JSON.stringify(r.body)}`);
          eraTickets[who]!.push(r.body.ticket.id as number);
        }
      }),
    );
    await stop(server);
    server = undefined;

    step(`${kind}: seeding ${EXPORT_N} tickets to export, ${RET_N} solved long ago and ${RET_OPEN} open`);
    let retOpen = { first: 0, last: 0 };
    const statuses: TicketStatus[] = ["new", "open", "pending", "hold", "solved", "closed"];
    await ownerSql(async (rt) => {
      await seed(rt, { subdomain: "exp", count: EXPORT_N, status: (k) => ({ status: statuses[k % statuses.length]!, solvedDaysAgo: k % 6 >= 4 ? 10 : null }) });
      await seed(rt, { subdomain: "ret", count: RET_N, status: (k) => ({ status: k % 3 === 0 ? "closed" : "solved", solvedDaysAgo: 400 + (k % 300) }) });
      retOpen = await seed(rt, { subdomain: "ret", count: RET_OPEN, status: (k) => ({ status: k % 2 ? "open" : "pending", solvedDaysAgo: null }) });
      await sql`VACUUM (ANALYZE)`.execute(rt.db.owner);
    });

    // ---- 1. Export -----------------------------------------------------------------------------
    server = await startServer(dataDir, env);
    let srv = server;
    const H = host("exp");
    const T = tokens.exp!;
    for (let i = 0; i < 50; i++) await call(srv.port, H, T, "GET", `/api/v2/tickets.json?page[size]=100`);
    await sleep(2000);
    const idle = rssMb(srv);
    step(`${kind}: export: listing ${EXPORT_N} tickets by cursor pages (RSS idle ${idle} MB)`);
    const list1 = await listAll(srv.port, H, T);
    if (list1.rows !== EXPORT_N) throw new Error(`the list gave ${list1.rows} tickets, expected ${EXPORT_N}`);
    step(`${kind}: export: CSV (list took ${round(list1.seconds, 2)} s)`);
    // Ratios are taken against the first list; the second (after the exports) is reported beside it.
    const csv = await exportOnce(srv, H, T, "csv", EXPORT_N, idle, list1.seconds);
    step(`${kind}: export: JSON (CSV ${csv.seconds} s, peak +${csv.rss_peak_above_idle_mb} MB)`);
    const json = await exportOnce(srv, H, T, "json", EXPORT_N, idle, list1.seconds);
    step(`${kind}: export: listing again (JSON ${json.seconds} s, peak +${json.rss_peak_above_idle_mb} MB)`);
    const list2 = await listAll(srv.port, H, T);
    const listBest = Math.min(list1.seconds, list2.seconds);
    csv.ratio_to_list = round(csv.seconds / listBest, 2);
    json.ratio_to_list = round(json.seconds / listBest, 2);

    // ---- 2. Erasure ----------------------------------------------------------------------------
    const E = host("era");
    const ET = tokens.era!;
    step(`${kind}: erasure: baseline, ${ERASE_N} tickets through the trash`);
    let t0 = performance.now();
    for (const id of eraTickets[trashed]!) {
      const r = await call(srv.port, E, ET, "DELETE", `/api/v2/tickets/${id}.json`);
      if (r.status !== 204) throw new Error(`ticket delete answered ${r.status}`);
    }
    const trashDelete = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const ids = [...eraTickets[trashed]!];
    for (let i = 0; i < ids.length; i += 100) {
      const r = await call(srv.port, E, ET, "DELETE", `/api/v2/deleted_tickets/destroy_many.json?ids=${ids.slice(i, i + 100).join(",")}`);
      if (r.status !== 204) throw new Error(`destroy_many answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
    const trashDestroy = (performance.now() - t0) / 1000;
    step(`${kind}: erasure: a person with ${ERASE_N} tickets (trash path ${round(trashDelete + trashDestroy, 2)} s)`);
    t0 = performance.now();
    const del = await call(srv.port, E, ET, "DELETE", `/api/v2/users/${erased}.json`);
    if (del.status !== 200) throw new Error(`user delete answered ${del.status}: ${JSON.stringify(del.body)}`);
    const deleteUser = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const er = await call(srv.port, E, ET, "DELETE", `/api/v2/deleted_users/${erased}.json`);
    if (er.status !== 200) throw new Error(`erasure answered ${er.status}: ${JSON.stringify(er.body)}`);
    const erase = (performance.now() - t0) / 1000;
    const receiptTickets = Number(er.body.erasure_receipt.deleted.tickets);
    if (receiptTickets !== ERASE_N) throw new Error(`the erasure deleted ${receiptTickets} tickets, expected ${ERASE_N}`);
    const left = await call(srv.port, E, ET, "GET", `/api/v2/tickets/${eraTickets[erased]![0]}.json`);
    if (left.status !== 404) throw new Error(`an erased person's ticket answered ${left.status}`);

    // ---- 3. Retention --------------------------------------------------------------------------
    const R = host("ret");
    const RT = tokens.ret!;
    const STREAM = opts.quick ? 250 : 1000;
    step(`${kind}: retention: ${STREAM} requests before`);
    for (let i = 0; i < 20; i++) await call(srv.port, R, RT, "GET", `/api/v2/tickets/${retOpen.first + i}.json`);
    const before = await stream(srv.port, R, RT, retOpen, () => false, STREAM);
    if (before.errors) throw new Error(`${before.errors} requests of the stream failed before the run`);
    const p = await call(srv.port, R, RT, "PUT", "/api/v2/retention_policy.json", { retention_policy: { enabled: true, solved_days: 365 } });
    if (p.status !== 200) throw new Error(`retention policy answered ${p.status}: ${JSON.stringify(p.body)}`);
    const during = { show: [] as number[], create: [] as number[], errors: 0 };
    const runSeconds: number[] = [];
    let moved = 0;
    // last_run_at is set, to the time the upkeep began, when a run's last batch commits.
    let prevRun = (p.body.retention_policy.last_run_at as string | null) ?? null;
    for (let run = 1; moved < RET_N && run <= Math.ceil(RET_N / 5000) + 1; run++) {
      await stop(srv);
      server = undefined;
      // The upkeep's turn made due, as an hour passing would.
      await ownerSql(async (rt) => {
        await sql`UPDATE maintenance_turns SET last_run = last_run - interval '2 hours' WHERE name = 'privacy.retention'`.execute(rt.db.owner);
      });
      server = await startServer(dataDir, env);
      srv = server;
      const s = srv;
      let endAt = 0;
      let ranAt = "";
      const watcher = (async () => {
        const deadline = Date.now() + 30 * 60_000;
        try {
          while (!endAt && Date.now() < deadline) {
            const r = await call(s.port, R, RT, "GET", "/api/v2/retention_policy.json");
            const at = (r.body?.retention_policy?.last_run_at as string | null | undefined) ?? null;
            if (at && at !== prevRun) ranAt = at;
            else await sleep(100);
            if (ranAt) endAt = Date.now();
          }
        } finally {
          endAt ||= Date.now(); // ends the stream whatever happened
        }
      })();
      const got = await stream(s.port, R, RT, retOpen, () => endAt !== 0, Number.MAX_SAFE_INTEGER);
      await watcher;
      if (!ranAt) throw new Error(`retention run ${run} did not end within 30 minutes`);
      prevRun = ranAt;
      during.show.push(...got.show);
      during.create.push(...got.create);
      during.errors += got.errors;
      const seconds = (endAt - new Date(ranAt).getTime()) / 1000;
      runSeconds.push(round(seconds, 2));
      const trash = await call(s.port, R, RT, "GET", "/api/v2/deleted_tickets.json?per_page=1");
      moved = Number(trash.body.count);
      step(`${kind}: retention: run ${run}: ${moved} of ${RET_N} in the trash, ${round(seconds, 1)} s`);
    }
    if (during.errors) throw new Error(`${during.errors} requests of the stream failed during the runs`);
    if (moved !== RET_N) throw new Error(`${moved} tickets in the trash, expected ${RET_N}`);
    const total = runSeconds.reduce((a, b) => a + b, 0);
    const b = { show: lat(before.show), create: lat(before.create) };
    const d = { show: lat(during.show), create: lat(during.create) };
    await stop(srv);
    server = undefined;
    return {
      export: { tickets: EXPORT_N, rss_idle_mb: idle, list_seconds: round(listBest, 2), list_rows_per_s: round(EXPORT_N / listBest), list_seconds_each: [round(list1.seconds, 2), round(list2.seconds, 2)], csv, json },
      erasure: {
        tickets: ERASE_N,
        delete_user_seconds: round(deleteUser, 2),
        erase_seconds: round(erase, 2),
        seconds: round(deleteUser + erase, 2),
        ms_per_ticket: round(((deleteUser + erase) * 1000) / ERASE_N, 2),
        trash_delete_seconds: round(trashDelete, 2),
        trash_destroy_seconds: round(trashDestroy, 2),
        trash_seconds: round(trashDelete + trashDestroy, 2),
        trash_ms_per_ticket: round(((trashDelete + trashDestroy) * 1000) / ERASE_N, 2),
        ratio: round((deleteUser + erase) / (trashDelete + trashDestroy), 3),
        receipt_tickets: receiptTickets,
      },
      retention: {
        tickets: RET_N,
        runs: runSeconds.length,
        moved,
        run_seconds: runSeconds,
        seconds: round(total, 2),
        tickets_per_s: round(moved / total),
        before: b,
        during: d,
        ratio: { show_p50: round(d.show.p50_ms / b.show.p50_ms, 2), show_p95: round(d.show.p95_ms / b.show.p95_ms, 2), create_p50: round(d.create.p50_ms / b.create.p50_ms, 2), create_p95: round(d.create.p95_ms / b.create.p95_ms, 2) },
      },
    };
  } finally {
    if (server) await stop(server);
    await drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The README's table of a run (between its compliance-results markers). */
export function complianceTable(r: Record<string, ComplianceResult>, date: string, quick: boolean): string {
  const first = Object.values(r)[0]!;
  const rows = Object.entries(r);
  return [
    `Run of ${date.slice(0, 10)} ${quick ? "(--quick)" : "(full)"}, ${os.cpus().length} cores, Node ${process.version}.`,
    "",
    `Export of ${first.export.tickets.toLocaleString("en")} tickets (job until ready, then the download; ratio: export seconds over the same tickets read by cursor pages of 100):`,
    "",
    "| database | list: s (rows/s) | CSV: s (job + download) | CSV rows/s | CSV ÷ list | JSON: s (job + download) | JSON rows/s | JSON ÷ list | RSS idle, peak above idle CSV / JSON MB (target < 300) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map(([k, x]) => {
      const e = x.export;
      return `| ${k} | ${e.list_seconds} (${e.list_rows_per_s}) | ${e.csv.seconds} (${e.csv.job_seconds} + ${e.csv.download_seconds}) | ${e.csv.rows_per_s} | ${e.csv.ratio_to_list} | ${e.json.seconds} (${e.json.job_seconds} + ${e.json.download_seconds}) | ${e.json.rows_per_s} | ${e.json.ratio_to_list} | ${e.rss_idle_mb}, +${e.csv.rss_peak_above_idle_mb} / +${e.json.rss_peak_above_idle_mb} |`;
    }),
    "",
    `Erasure of a person who requested ${first.erasure.tickets.toLocaleString("en")} tickets (ratio: erasure over the trash path for another person's as many tickets):`,
    "",
    "| database | DELETE /users + DELETE /deleted_users s | ms per ticket | trash: deletes + destroy_many s | trash ms per ticket | erasure ÷ trash |",
    "|---|---|---|---|---|---|",
    ...rows.map(([k, x]) => {
      const e = x.erasure;
      return `| ${k} | ${e.delete_user_seconds} + ${e.erase_seconds} = ${e.seconds} | ${e.ms_per_ticket} | ${e.trash_delete_seconds} + ${e.trash_destroy_seconds} = ${e.trash_seconds} | ${e.trash_ms_per_ticket} | ${e.ratio} |`;
    }),
    "",
    `Retention over ${first.retention.tickets.toLocaleString("en")} tickets solved 400–700 days ago (policy: 365 days), moved to the trash by the upkeep (at most 20,000 a run); one client's stream of shows and creates (one in five), 20 ms apart, before and during the runs:`,
    "",
    "| database | runs (s each) | tickets/s | show p50 / p95 ms before → during | ratio | create p50 / p95 ms before → during | ratio |",
    "|---|---|---|---|---|---|---|",
    ...rows.map(([k, x]) => {
      const t = x.retention;
      return `| ${k} | ${t.runs} (${t.run_seconds.join(", ")}) | ${t.tickets_per_s} | ${t.before.show.p50_ms} / ${t.before.show.p95_ms} → ${t.during.show.p50_ms} / ${t.during.show.p95_ms} | ${t.ratio.show_p50} / ${t.ratio.show_p95} | ${t.before.create.p50_ms} / ${t.before.create.p95_ms} → ${t.during.create.p50_ms} / ${t.during.create.p95_ms} | ${t.ratio.create_p50} / ${t.ratio.create_p95} |`;
    }),
  ].join("\n");
}
