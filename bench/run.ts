/**
 * `npm run bench [-- --quick]`: ticket creation through the full API path (real HTTP, token auth,
 * validation, sealing, audit chain, RLS) at concurrency 16, beside a raw baseline that inserts
 * equivalent rows through the same driver without the app; ticket show latency at 100k tickets
 * (10k with --quick); server RSS. On PGlite, and on PostgreSQL when BENCH_DATABASE_URL or
 * TEST_DATABASE_URL is set. Attachments: upload and download MB/s against a plain file copy.
 * Inbound mail: messages/s from 8 SMTP clients to tickets with a 50 KB file each, against an SMTP
 * server that discards the same messages and against API creates with a 50 KB upload. Writes
 * bench/results/latest.json and the tables in bench/README.md. `--views-access` alone: the
 * workspace's views for agents whose custom role narrows their ticket access, against an admin's,
 * at 100k tickets, with EXPLAIN (bench/results/views-access*.{json,txt}). `--search`: full-text
 * search over sealed content against PostgreSQL's own, on PostgreSQL (bench/search.ts). `--sla`: what
 * SLA policies and active triggers at their bounds cost each ticket update (bench/sla.ts).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import http from "node:http";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { CompiledQuery, sql } from "kysely";
import type { AddressInfo } from "node:net";
import nodemailer from "nodemailer";
import pg from "pg";
import { SMTPServer } from "smtp-server";
import { loadConfig } from "../src/platform/config.ts";
import { openRuntime } from "../src/platform/runtime.ts";
import { findTenant } from "../src/modules/tenants/tenants-service.ts";
import { makeContext } from "../src/platform/context.ts";
import { createApiToken } from "../src/modules/identity/api-tokens-service.ts";
import { scoped, ticketQuery, ticketSortKey } from "../src/modules/tickets/tickets-repo.ts";
import type { TicketScope } from "../src/modules/tickets/tickets-policy.ts";
import type { TicketStatus } from "../src/platform/db/schema.ts";
import { dnsServerAddress, nxdomainServer } from "../test/support/dns.ts";
import { message } from "../test/support/mail-in.ts";
import { benchSearch } from "./search.ts";
import { benchSla, slaTable, type SlaResult } from "./sla.ts";
import { automationsTable, benchAutomations, type AutomationsResult } from "./automations.ts";
import { benchCompliance, complianceTable, type ComplianceResult } from "./compliance.ts";
import { apiTokenFrom, call, freePort, startServer, type ServerProcess } from "../test/support/process.ts";
import { cliWith, freshDatabase, seedTickets, stopServer } from "./support.ts";

const quick = process.argv.includes("--quick");
const CONCURRENCY = 16;
const CREATES = quick ? 400 : 2000;
const SHOW_TICKETS = quick ? 10_000 : 100_000;
const SHOWS = quick ? 1000 : 4000;

type Cpu = { server: number; postgres: number; driver: number };
type Result = {
  /** CPU ms per create by process (PostgreSQL only meaningful on PostgreSQL; PGlite runs inside the server / driver). */
  cpu_ms_per_create: { api: Cpu; raw: Cpu };
  cpu_ms_per_show: Cpu;
  api_create_per_s: number;
  raw_insert_per_s: number;
  /** The raw baseline by connection-pool size (the best is raw_insert_per_s). */
  raw_insert_per_s_by_pool: Record<string, number>;
  /** PostgreSQL connections of the app server (PGlite: one). */
  app_pool_size: number;
  ratio: number;
  create_p50_ms: number;
  create_p99_ms: number;
  show_p50_ms: number;
  show_p99_ms: number;
  /** Shows one at a time (concurrency 1). */
  show_c1_p50_ms: number;
  show_c1_p99_ms: number;
  rss_mb: number;
  tickets_seeded: number;
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100;
};
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function runConcurrent(total: number, fn: (i: number) => Promise<void>, concurrency = CONCURRENCY): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const t0 = performance.now();
        await fn(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { seconds: (performance.now() - start) / 1000, latencies };
}

/** CPU time (user + system, ms) of one process, from /proc (Linux; 100 ticks a second). */
function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU time of every PostgreSQL process on the machine (the server's backends included). */
function postgresCpuMs(): number {
  let ms = 0;
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, "utf8").trim() === "postgres") ms += procCpuMs(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return ms;
}

/** Where the CPU went during a phase: ms per operation for the app server, PostgreSQL and the load driver. */
function cpuMeter(serverPid: number | undefined) {
  const t0 = { server: serverPid ? procCpuMs(serverPid) : 0, pg: postgresCpuMs(), driver: process.cpuUsage() };
  return (ops: number) => {
    const d = process.cpuUsage(t0.driver);
    return {
      server: round((serverPid ? procCpuMs(serverPid) - t0.server : 0) / ops, 2),
      postgres: round((postgresCpuMs() - t0.pg) / ops, 2),
      driver: round((d.user + d.system) / 1000 / ops, 2),
    };
  };
}

function rssMb(s: ServerProcess): number {
  const status = fs.readFileSync(`/proc/${s.child.pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return round(kb / 1024);
}

/** The baseline: the same rows a ticket create writes (ticket, ticket audit, comment, audit entry), in one transaction, no app. */
async function rawBaseline(kind: "pglite" | "postgres", url: string | undefined, poolSize = CONCURRENCY): Promise<number> {
  const tenantId = crypto.randomUUID();
  const userId = crypto.randomUUID();
  const blob = (n: number) => crypto.randomBytes(n);
  const setup = [
    `INSERT INTO tenants (id, subdomain) VALUES ('${tenantId}', 'raw${Date.now()}')`,
    `INSERT INTO users (tenant_id, id, nice_id, role, name_sealed) VALUES ('${tenantId}', '${userId}', 1, 'owner', '\\x00')`,
  ];
  const insertSql = [
    `INSERT INTO tickets (tenant_id, id, nice_id, subject_sealed, description_sealed, status, requester_id, submitter_id, tags) VALUES ($1, $2, $3, $4, $5, 'new', $6, $6, '{}')`,
    `INSERT INTO ticket_audits (tenant_id, id, nice_id, ticket_id, author_id, events_sealed) VALUES ($1, $2, $3, $4, $5, $6)`,
    `INSERT INTO ticket_comments (tenant_id, id, nice_id, ticket_id, audit_id, author_id, public, body_sealed, html_body_sealed) VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8)`,
    `INSERT INTO audit_log (tenant_id, seq, id, occurred_at, actor_kind, actor_id, action, resource_type, resource_id, fields, request_id, hash) VALUES ($1, $2, $3, now(), 'user', '1', 'ticket.created', 'ticket', $4, 'comment,subject', 'bench', $5)`,
  ];
  const paramsFor = (i: number) => {
    const t = crypto.randomUUID();
    const a = crypto.randomUUID();
    return [
      [tenantId, t, i, blob(80), blob(120), userId],
      [tenantId, a, i, t, userId, blob(200)],
      [tenantId, crypto.randomUUID(), i, t, a, userId, blob(120), blob(140)],
      [tenantId, i, crypto.randomUUID(), String(i), blob(32)],
    ];
  };
  const n = CREATES;
  if (kind === "postgres") {
    const pool = new pg.Pool({ connectionString: url, max: poolSize });
    pool.on("error", (e) => console.error("raw pool:", e.message));
    for (const s of setup) await pool.query(s);
    const r = await runConcurrent(n, async (i) => {
      const c = await pool.connect();
      try {
        await c.query("BEGIN");
        const ps = paramsFor(i + 1);
        for (let k = 0; k < insertSql.length; k++) await c.query(insertSql[k]!, ps[k]);
        await c.query("COMMIT");
      } finally {
        c.release();
      }
    });
    await pool.end();
    return n / r.seconds;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-bench-raw-"));
  const cfg = loadConfig({ VAULTDESK_DATA_DIR: dir, LOG_LEVEL: "silent" });
  const rt = await openRuntime(cfg, { migrate: true, create: true });
  await rt.close();
  const db = await PGlite.create(path.join(dir, "pgdata"));
  for (const s of setup) await db.exec(s);
  const r = await runConcurrent(n, async (i) => {
    await db.transaction(async (tx) => {
      const ps = paramsFor(i + 1);
      for (let k = 0; k < insertSql.length; k++) await tx.query(insertSql[k]!, ps[k]);
    });
  });
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return n / r.seconds;
}

const step = (s: string) => process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} ${s}\n`);

async function benchOne(kind: "pglite" | "postgres", adminUrl?: string): Promise<Result> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `vd-bench-${kind}-`));
  const env: Record<string, string> = { VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64") };
  const { dbUrl, drop: dropDb } = await freshDatabase(kind === "postgres" ? adminUrl : undefined);
  if (dbUrl) env.DATABASE_URL = dbUrl;
  try {
    let server = await startServer(dataDir, env);
    const created = await cliWith(env, dataDir, "tenant", "create", "--subdomain", "bench", "--owner-email", "owner@bench.test");
    const token = apiTokenFrom(created);
    const host = "bench.localhost";
    const create = (i: number) => async () => {
      const r = await call(server.port, host, token, "POST", "/api/v2/tickets.json", { ticket: { subject: `Bench ticket ${i}`, comment: { body: "The printer on floor 3 is jammed again. ".repeat(3) }, priority: "normal", tags: ["bench"] } });
      if (r.status !== 201) throw new Error(`create answered ${r.status}: ${JSON.stringify(r.body)}`);
    };
    step(`${kind}: warm-up`);
    for (let i = 0; i < 50; i++) await create(-i)();
    step(`${kind}: ${CREATES} creates at concurrency ${CONCURRENCY}`);
    const meter = cpuMeter(server.child.pid);
    const load = await runConcurrent(CREATES, (i) => create(i)());
    const apiPerS = CREATES / load.seconds;
    const apiCpu = meter(CREATES);
    let rss = rssMb(server);
    step(`${kind}: server RSS after creates ${rss} MB`);
    await stopServer(server);

    step(`${kind}: seeding ${SHOW_TICKETS} tickets`);
    await seedTickets(env, dataDir, "bench", SHOW_TICKETS);
    step(`${kind}: ${SHOWS} shows`);
    server = await startServer(dataDir, env);
    for (let i = 0; i < 100; i++) await call(server.port, host, token, "GET", `/api/v2/tickets/${1 + Math.floor(Math.random() * SHOW_TICKETS)}.json`);
    const showMeter = cpuMeter(server.child.pid);
    const shows = await runConcurrent(SHOWS, async () => {
      const id = 1 + Math.floor(Math.random() * SHOW_TICKETS);
      const r = await call(server.port, host, token, "GET", `/api/v2/tickets/${id}.json`);
      if (r.status !== 200) throw new Error(`show ${id} answered ${r.status}`);
    });
    const showCpu = showMeter(SHOWS);
    // The same shows one at a time: the latency of a show itself, without queueing behind 15 others.
    step(`${kind}: ${SHOWS / 2} shows one at a time`);
    const single = await runConcurrent(SHOWS / 2, async () => {
      const id = 1 + Math.floor(Math.random() * SHOW_TICKETS);
      const r = await call(server.port, host, token, "GET", `/api/v2/tickets/${id}.json`);
      if (r.status !== 200) throw new Error(`show ${id} answered ${r.status}`);
    }, 1);
    step(`${kind}: server RSS after shows ${rssMb(server)} MB`);
    rss = Math.max(rss, rssMb(server));
    await stopServer(server);

    step(`${kind}: raw baseline`);
    const rawMeter = cpuMeter(undefined);
    // The baseline is the better of one connection per client and the app's own pool size, so a
    // smaller app pool cannot flatter the ratio.
    const appPool = loadConfig(process.env).dbPoolSize;
    const rawByPool: Record<string, number> = { [CONCURRENCY]: round(await rawBaseline(kind, dbUrl)) };
    if (kind === "postgres" && appPool !== CONCURRENCY) rawByPool[appPool] = round(await rawBaseline(kind, dbUrl, appPool));
    const raw = Math.max(...Object.values(rawByPool));
    const rawCpu = rawMeter(CREATES * Object.keys(rawByPool).length);
    return {
      cpu_ms_per_create: { api: apiCpu, raw: rawCpu },
      cpu_ms_per_show: showCpu,
      api_create_per_s: round(apiPerS),
      raw_insert_per_s: round(raw),
      raw_insert_per_s_by_pool: rawByPool,
      app_pool_size: kind === "postgres" ? appPool : 1,
      ratio: round(apiPerS / raw, 3),
      create_p50_ms: pct(load.latencies, 50),
      create_p99_ms: pct(load.latencies, 99),
      show_p50_ms: pct(shows.latencies, 50),
      show_p99_ms: pct(shows.latencies, 99),
      show_c1_p50_ms: pct(single.latencies, 50),
      show_c1_p99_ms: pct(single.latencies, 99),
      rss_mb: rss,
      tickets_seeded: SHOW_TICKETS,
    };
  } finally {
    await dropDb();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

type FilesResult = {
  file_mb: number;
  copy_mb_per_s: number;
  upload_mb_per_s: number;
  download_mb_per_s: number;
  upload_ratio: number;
  download_ratio: number;
  clients: number;
  rss_idle_mb: number;
  rss_peak_mb: number;
  /** Wall seconds for all clients' uploads together. */
  concurrent_seconds: number;
};

const FILE_BYTES = quick ? 25_000_000 : 100_000_000;
const FILE_CLIENTS = 8;

/** Streams a file to POST /uploads; resolves with the upload's answer. */
function uploadFile(port: number, host: string, token: string, file: string, name: string): Promise<any> { // any: the upload's JSON answer
  return new Promise((resolve, reject) => {
    const size = fs.statSync(file).size;
    const req = http.request(
      { host: "127.0.0.1", port, method: "POST", path: `/api/v2/uploads.json?filename=${encodeURIComponent(name)}`, headers: { host, authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "content-length": String(size) } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString("utf8")));
        res.on("end", () => (res.statusCode === 201 ? resolve(JSON.parse(text)) : reject(new Error(`upload answered ${res.statusCode}: ${text.slice(0, 200)}`))));
      },
    );
    req.on("error", reject);
    fs.createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(req);
  });
}

/** Streams a download to a file; resolves with the bytes received. */
function downloadTo(port: number, host: string, token: string, url: string, out: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    http
      .get({ host: "127.0.0.1", port, path: u.pathname + u.search, headers: { host, authorization: `Bearer ${token}` } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`download answered ${res.statusCode}`));
        let bytes = 0;
        res.on("data", (c: Buffer) => (bytes += c.length));
        const sink = fs.createWriteStream(out);
        res.pipe(sink);
        sink.on("finish", () => resolve(bytes));
        sink.on("error", reject);
      })
      .on("error", reject);
  });
}

/**
 * Attachments on PGlite (the file path does not touch the database but for the row): upload and
 * download MB/s of one large file beside a plain streamed copy of the same file on the same disk
 * in the same run, then the server's RSS while 8 clients upload such a file at once.
 */
async function benchFiles(): Promise<FilesResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-bench-files-"));
  const env: Record<string, string> = { VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64"), VAULTDESK_ATTACHMENT_MAX_BYTES: String(FILE_BYTES) };
  const source = path.join(dataDir, "source.bin");
  try {
    step(`files: writing a ${FILE_BYTES / 1e6} MB source file`);
    const fd = fs.openSync(source, "w");
    const chunk = crypto.randomBytes(1_000_000);
    for (let written = 0; written < FILE_BYTES; written += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, FILE_BYTES - written));
    fs.closeSync(fd);
    const copy = async () => {
      const t0 = performance.now();
      const target = path.join(dataDir, "copy.bin");
      await new Promise<void>((resolve, reject) => {
        const w = fs.createWriteStream(target);
        fs.createReadStream(source, { highWaterMark: 256 * 1024 }).pipe(w);
        w.on("finish", () => {
          const h = fs.openSync(target, "r+");
          fs.fsyncSync(h);
          fs.closeSync(h);
          resolve();
        });
        w.on("error", reject);
      });
      const s = (performance.now() - t0) / 1000;
      fs.rmSync(target);
      return FILE_BYTES / 1e6 / s;
    };
    const server = await startServer(dataDir, env);
    const token = apiTokenFrom(await cliWith(env, dataDir, "tenant", "create", "--subdomain", "files", "--owner-email", "owner@files.test"));
    const host = "files.localhost";
    const set = await call(server.port, host, token, "PUT", "/api/v2/attachment_settings.json", { settings: { max_bytes: FILE_BYTES } });
    if (set.status !== 200) throw new Error(`settings answered ${set.status}`);
    // Alternated, best of three each: the disk and the machine are shared.
    const copies: number[] = [];
    const uploads: number[] = [];
    const downloads: number[] = [];
    for (let round = 0; round < 3; round++) {
      step(`files: round ${round + 1} of copy, upload, download`);
      copies.push(await copy());
      let t0 = performance.now();
      const up = await uploadFile(server.port, host, token, source, `big-${round}.bin`);
      uploads.push(FILE_BYTES / 1e6 / ((performance.now() - t0) / 1000));
      const c = await call(server.port, host, token, "POST", "/api/v2/tickets.json", { ticket: { subject: "big file", comment: { body: "attached", uploads: [up.upload.token] } } });
      if (c.status !== 201) throw new Error(`ticket answered ${c.status}`);
      const shown = await call(server.port, host, token, "GET", `/api/v2/attachments/${up.upload.attachment.id}.json`);
      t0 = performance.now();
      const got = await downloadTo(server.port, host, token, shown.body.attachment.content_url, path.join(dataDir, "down.bin"));
      if (got !== FILE_BYTES) throw new Error(`downloaded ${got} bytes`);
      downloads.push(FILE_BYTES / 1e6 / ((performance.now() - t0) / 1000));
      fs.rmSync(path.join(dataDir, "down.bin"));
    }
    const idle = rssMb(server);
    step(`files: ${FILE_CLIENTS} clients upload at once (RSS idle ${idle} MB)`);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(server))), 50);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: FILE_CLIENTS }, (_, i) => uploadFile(server.port, host, token, source, `parallel-${i}.bin`)));
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, rssMb(server));
    await stopServer(server);
    const best = (xs: number[]) => Math.max(...xs);
    return {
      file_mb: FILE_BYTES / 1e6,
      copy_mb_per_s: round(best(copies)),
      upload_mb_per_s: round(best(uploads)),
      download_mb_per_s: round(best(downloads)),
      upload_ratio: round(best(uploads) / best(copies), 3),
      download_ratio: round(best(downloads) / best(copies), 3),
      clients: FILE_CLIENTS,
      rss_idle_mb: idle,
      rss_peak_mb: peak,
      concurrent_seconds: round(seconds),
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

type InboundResult = {
  clients: number;
  messages: number;
  attachment_bytes: number;
  /** Bytes of one message as sent (headers, text and the base64 attachment). */
  message_bytes: number;
  /** The same messages to an SMTP server in the bench process that reads and discards them (best of two: before and after). */
  sink_per_s: number;
  /** Until Vaultdesk answered 250 to every message (stored sealed, processing queued). */
  smtp_accept_per_s: number;
  /** Until every message was a ticket with its attachment. */
  end_to_end_per_s: number;
  /** The same number of tickets through the API: POST /uploads with the 50 KB file, then POST /tickets with its token, at the same concurrency. */
  api_create_with_upload_per_s: number;
  accept_vs_sink: number;
  end_to_end_vs_sink: number;
  end_to_end_vs_api: number;
  /** CPU ms per message of the server process from the first message to the last ticket (PGlite runs in it; PostgreSQL's own is apart). */
  cpu_ms_per_message: Cpu;
  cpu_ms_per_api_create: Cpu;
  job_workers: number;
  rss_idle_mb: number;
  rss_peak_mb: number;
};

const INBOUND_CLIENTS = 8;
const INBOUND_PER_CLIENT = quick ? 25 : 100;
const INBOUND_FILE_BYTES = 50 * 1024;

/** 50 KB of random bytes behind a PDF header: detected as application/pdf by the upload checks. */
const PDF_HEAD = Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1");
const pdfLike = () => Buffer.concat([PDF_HEAD, crypto.randomBytes(INBOUND_FILE_BYTES - PDF_HEAD.length)]);

/** A message with a 50 KB file that reads as a PDF (its first bytes), from a sender of its own. */
function benchMessage(to: string, tag: string): { from: string; raw: string } {
  const from = `customer-${tag}@customers.test`;
  const raw = message({ from: `Customer ${tag} <${from}>`, to, subject: `Bench mail ${tag}: the invoice is wrong`, text: "The attached invoice charges us twice for March. ".repeat(6), files: [{ name: `invoice-${tag}.pdf`, type: "application/pdf", content: pdfLike() }] });
  return { from, raw };
}

/**
 * Sends each client's messages over one SMTP connection of its own (nodemailer's pool, one
 * connection, as a sending MTA delivers a queue), all clients at once; resolves with the seconds
 * until the last message was answered 250. Any refusal fails the run.
 */
async function sendAll(port: number, to: string, batches: Array<Array<{ from: string; raw: string }>>): Promise<number> {
  const t0 = performance.now();
  await Promise.all(
    batches.map(async (batch) => {
      const tr = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true, pool: true, maxConnections: 1, maxMessages: Infinity, logger: false });
      try {
        for (const m of batch) {
          const info = await tr.sendMail({ envelope: { from: m.from, to: [to] }, raw: m.raw });
          if (info.rejected.length) throw new Error(`refused: ${info.response}`);
        }
      } finally {
        tr.close();
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

/** An SMTP server in this process that takes every message and discards it: the SMTP conversation alone. */
async function smtpSink(): Promise<{ port: number; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    size: 25 * 1024 * 1024,
    onData(stream, _session, callback) {
      stream.on("end", () => {
        received++;
        callback(null, "2.0.0 Discarded");
      });
      stream.resume();
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.server.address() as AddressInfo).port, received: () => received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Uploads bytes (POST /uploads); resolves with the upload's token. */
function uploadBytes(port: number, host: string, token: string, bytes: Buffer, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method: "POST", path: `/api/v2/uploads.json?filename=${encodeURIComponent(name)}`, headers: { host, authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "content-length": String(bytes.length) } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString("utf8")));
        res.on("end", () => (res.statusCode === 201 ? resolve((JSON.parse(text) as { upload: { token: string } }).upload.token) : reject(new Error(`upload answered ${res.statusCode}`))));
      },
    );
    req.on("error", reject);
    req.end(bytes);
  });
}

/**
 * Inbound mail, SMTP to tickets: 8 SMTP clients at once each send their messages (a 50 KB PDF
 * attached, each from a sender of its own) to a tenant's support address on the real server (its
 * DNS checks answered by a loopback server that knows no name). Measured: the rate at which the
 * server answers 250 (message sealed in the blob store, processing queued) and the rate until
 * every message is a ticket with its file; beside the same messages sent to an SMTP server that
 * discards them, and the same number of tickets made through the API with a 50 KB upload each.
 */
async function benchInbound(kind: "pglite" | "postgres", adminUrl?: string): Promise<InboundResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `vd-bench-inbound-${kind}-`));
  const dns = await nxdomainServer();
  const sink = await smtpSink();
  const { dbUrl, drop: dropDb } = await freshDatabase(kind === "postgres" ? adminUrl : undefined);
  let server: ServerProcess | undefined;
  try {
    const smtpPort = await freePort();
    const env: Record<string, string> = {
      VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64"),
      VAULTDESK_SMTP_LISTEN: `127.0.0.1:${smtpPort}`,
      VAULTDESK_DNS_SERVERS: dnsServerAddress(dns),
      ...(dbUrl ? { DATABASE_URL: dbUrl } : {}),
    };
    server = await startServer(dataDir, env);
    const srv = server;
    const token = apiTokenFrom(await cliWith(env, dataDir, "tenant", "create", "--subdomain", "inbound", "--owner-email", "owner@inbound.test"));
    const host = "inbound.localhost";
    const to = "support@inbound.localhost";
    const ticketCount = async (): Promise<number> => {
      const r = await call(srv.port, host, token, "GET", "/api/v2/tickets.json?per_page=1");
      if (r.status !== 200 || typeof r.body?.count !== "number") throw new Error(`ticket list answered ${r.status}`);
      return r.body.count as number;
    };
    const suspendedCount = async (): Promise<number> => {
      const r = await call(srv.port, host, token, "GET", "/api/v2/suspended_tickets.json?per_page=1");
      return typeof r.body?.count === "number" ? (r.body.count as number) : -1;
    };
    /**
     * Waits until the tenant has `target` tickets; fails when nothing moves for 60 s. The count is a
     * query over every ticket (it grows with them and, polled often, would take a share of the
     * database from the work measured), so what is polled every 100 ms is the ticket numbered
     * `target` (numbers are given in order; one that exists is cheap to show). The count confirms
     * it, says how far the run is every 10 s, and takes over (once a second) should a number have
     * been skipped.
     */
    const ticketsReach = async (target: number): Promise<void> => {
      let last = -1;
      let movedAt = Date.now();
      let countedAt = Date.now();
      let sawTarget = false;
      for (;;) {
        const exists = (await call(srv.port, host, token, "GET", `/api/v2/tickets/${target}.json`)).status === 200;
        const due = exists ? !sawTarget || Date.now() - countedAt >= 1000 : Date.now() - countedAt >= 10_000;
        sawTarget ||= exists;
        if (due) {
          const n = await ticketCount();
          countedAt = Date.now();
          if (n >= target) return;
          step(`inbound ${kind}: ${n} of ${target} tickets`);
          if (n !== last) {
            last = n;
            movedAt = Date.now();
          } else if (Date.now() - movedAt > 60_000) {
            throw new Error(`only ${n} of ${target} tickets after 60 s without progress (${await suspendedCount()} suspended); server output: ${srv.output().slice(-2000)}`);
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    const total = INBOUND_CLIENTS * INBOUND_PER_CLIENT;
    step(`inbound ${kind}: building ${total} messages with a ${INBOUND_FILE_BYTES / 1024} KB file each`);
    const batches = Array.from({ length: INBOUND_CLIENTS }, (_, c) => Array.from({ length: INBOUND_PER_CLIENT }, (_, k) => benchMessage(to, `${c}-${k}`)));
    const warm = Array.from({ length: INBOUND_CLIENTS }, (_, c) => [benchMessage(to, `warm-${c}`)]);
    const messageBytes = Buffer.byteLength(batches[0]![0]!.raw);

    step(`inbound ${kind}: baseline, ${total} messages to a discarding SMTP server`);
    await sendAll(sink.port, to, warm);
    const sinkRuns = [total / (await sendAll(sink.port, to, batches))];

    step(`inbound ${kind}: warm-up, ${warm.length} messages`);
    const before = await ticketCount();
    await sendAll(smtpPort, to, warm);
    await ticketsReach(before + warm.length);
    const idle = rssMb(srv);

    step(`inbound ${kind}: ${INBOUND_CLIENTS} clients send ${INBOUND_PER_CLIENT} messages each (RSS ${idle} MB)`);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(srv))), 50);
    const meter = cpuMeter(srv.child.pid);
    const t0 = performance.now();
    const acceptSeconds = await sendAll(smtpPort, to, batches);
    step(`inbound ${kind}: all accepted after ${round(acceptSeconds)} s; waiting for the tickets`);
    await ticketsReach(before + warm.length + total);
    const e2eSeconds = (performance.now() - t0) / 1000;
    const cpu = meter(total);
    clearInterval(sampler);
    peak = Math.max(peak, rssMb(srv));
    const suspended = await suspendedCount();
    if (suspended !== 0) throw new Error(`${suspended} messages were suspended`);

    // A sample of the tickets: each has its one comment with the file, whole and taken as a PDF.
    const last = before + warm.length + total;
    let sampled = 0;
    for (let k = 0; k < 8; k++) {
      const id = last - Math.floor((k / 8) * total);
      const r = await call(srv.port, host, token, "GET", `/api/v2/tickets/${id}/comments.json`);
      if (r.status === 404) continue; // a number skipped (a retried transaction): the count above is what counts
      sampled++;
      const files = (r.body?.comments?.[0]?.attachments ?? []) as Array<{ size: number; content_type: string }>;
      if (r.status !== 200 || files.length !== 1 || files[0]!.size !== INBOUND_FILE_BYTES || files[0]!.content_type !== "application/pdf") {
        throw new Error(`ticket ${id}: expected one ${INBOUND_FILE_BYTES}-byte PDF, got ${r.status} ${JSON.stringify(files)}`);
      }
    }
    if (sampled < 6) throw new Error(`only ${sampled} of 8 sampled tickets found`);

    step(`inbound ${kind}: baseline, ${total} tickets through the API with a ${INBOUND_FILE_BYTES / 1024} KB upload each`);
    const apiCreate = async (i: number) => {
      const up = await uploadBytes(srv.port, host, token, pdfLike(), `invoice-api-${i}.pdf`);
      const r = await call(srv.port, host, token, "POST", "/api/v2/tickets.json", { ticket: { subject: `Bench ticket ${i}: the invoice is wrong`, comment: { body: "The attached invoice charges us twice for March. ".repeat(6), uploads: [up] } } });
      if (r.status !== 201) throw new Error(`create answered ${r.status}`);
    };
    for (let i = 0; i < INBOUND_CLIENTS; i++) await apiCreate(-1 - i);
    const apiMeter = cpuMeter(srv.child.pid);
    const api = await runConcurrent(total, apiCreate, INBOUND_CLIENTS);
    const apiCpu = apiMeter(total);
    peak = Math.max(peak, rssMb(srv));
    await stopServer(srv);

    step(`inbound ${kind}: baseline again, ${total} messages to the discarding SMTP server`);
    sinkRuns.push(total / (await sendAll(sink.port, to, batches)));
    const sinkPerS = Math.max(...sinkRuns);
    const e2e = total / e2eSeconds;
    const apiPerS = total / api.seconds;
    return {
      clients: INBOUND_CLIENTS,
      messages: total,
      attachment_bytes: INBOUND_FILE_BYTES,
      message_bytes: messageBytes,
      sink_per_s: round(sinkPerS),
      smtp_accept_per_s: round(total / acceptSeconds),
      end_to_end_per_s: round(e2e),
      api_create_with_upload_per_s: round(apiPerS),
      accept_vs_sink: round(total / acceptSeconds / sinkPerS, 3),
      end_to_end_vs_sink: round(e2e / sinkPerS, 3),
      end_to_end_vs_api: round(e2e / apiPerS, 3),
      cpu_ms_per_message: cpu,
      cpu_ms_per_api_create: apiCpu,
      job_workers: loadConfig({ ...process.env, ...env }).jobWorkers,
      rss_idle_mb: idle,
      rss_peak_mb: peak,
    };
  } finally {
    if (server && server.child.exitCode === null && server.child.signalCode === null) await stopServer(server);
    await sink.close();
    dns.close();
    await dropDb();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What the sign-in phase measured (PGlite; see benchSignin). */
type SigninResult = {
  clients: number;
  signins: number;
  signin_per_s: number;
  signin_p50_ms: number;
  signin_p99_ms: number;
  show_clients: number;
  flood_clients: number;
  seconds_per_phase: number;
  shows_per_s_quiet: number;
  shows_per_s_flood_one_account: number;
  shows_per_s_flood_many_accounts: number;
  ratio_one_account: number;
  ratio_many_accounts: number;
  show_p99_ms_quiet: number;
  show_p99_ms_flood: number;
  flood_answers: Record<string, number>;
  /** The slowest 503 answer in the floods, against the Retry-After it promised (1 s). */
  flood_503_max_ms: number;
  /** The server process's CPU (user + system, every thread) per second of each phase, and per show. */
  server_cpu_ms_per_s_quiet: number;
  server_cpu_ms_per_s_flood_one_account: number;
  server_cpu_ms_per_s_flood_many_accounts: number;
  server_cpu_ms_per_show_quiet: number;
  server_cpu_ms_per_show_flood_many_accounts: number;
};

/** A process's CPU time so far in ms (user + system, all threads), from /proc (Linux). */
function serverCpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name), in clock ticks.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** One request from a given loopback source address (the server counts sign-in limits per address). */
function fromAddress(port: number, host: string, localAddress: string, method: string, urlPath: string, body: unknown): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const t0 = performance.now();
    const req = http.request(
      { host: "127.0.0.1", port, method, path: urlPath, localAddress, agent: false, headers: { host, "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)), connection: "close" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/**
 * Sign-in (PGlite): password sign-ins per second and their p99 with 8 clients at once (each from
 * its own loopback address, under the per-address limit); then ticket shows per second by 8
 * clients, alone and while 16 clients send wrong passwords from ever new loopback addresses
 * (past any per-address limit) to one account and to many, as ratios of the quiet rate, all in
 * the same run. The password gate (VAULTDESK_PASSWORD_CHECKS) should keep the flood from costing
 * more than half the show rate, and its 503s should come at once.
 */
async function benchSignin(): Promise<SigninResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-bench-signin-"));
  const env: Record<string, string> = { VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64"), VAULTDESK_RATE_LIMIT_PER_MINUTE: "0" };
  const phaseMs = quick ? 4000 : 12_000;
  const signinClients = 8;
  const perClient = quick ? 10 : 25;
  try {
    const server = await startServer(dataDir, env);
    const out = await cliWith(env, dataDir, "tenant", "create", "--subdomain", "signin", "--owner-email", "owner@signin.test");
    const token = apiTokenFrom(out);
    const password = /^One-time password: (\S+)$/m.exec(out)?.[1];
    if (!password) throw new Error("no one-time password in the CLI's output");
    const host = "signin.localhost";
    const port = server.port;
    step("signin: sign-ins, 8 clients at once");
    const times: number[] = [];
    let t0 = performance.now();
    await Promise.all(
      Array.from({ length: signinClients }, async (_, c) => {
        for (let i = 0; i < perClient; i++) {
          const r = await fromAddress(port, host, `127.0.9.${c + 1}`, "POST", "/api/v2/session.json", { email: "owner@signin.test", password });
          if (r.status !== 201) throw new Error(`sign-in answered ${r.status}`);
          times.push(r.ms);
        }
      }),
    );
    const signinSeconds = (performance.now() - t0) / 1000;
    const created = await call(port, host, token, "POST", "/api/v2/tickets.json", { ticket: { subject: "shown", comment: { body: "x" } } });
    if (created.status !== 201) throw new Error(`ticket answered ${created.status}`);
    const ticketId = created.body.ticket.id as number;
    const showClients = 8;
    const showsFor = async (flood: ((stop: () => boolean) => Promise<void>) | undefined) => {
      const lat: number[] = [];
      let stopping = false;
      const floodRun = flood ? flood(() => stopping) : Promise.resolve();
      const cpu0 = serverCpuMs(server.child.pid);
      const end = performance.now() + phaseMs;
      await Promise.all(
        Array.from({ length: showClients }, async () => {
          while (performance.now() < end) {
            const s = performance.now();
            const r = await call(port, host, token, "GET", `/api/v2/tickets/${ticketId}.json`);
            if (r.status !== 200) throw new Error(`show answered ${r.status}`);
            lat.push(performance.now() - s);
          }
        }),
      );
      // The server's CPU per second of the phase (all its threads: event loop, database, hashing).
      const cpuPerS = (serverCpuMs(server.child.pid) - cpu0) / (phaseMs / 1000);
      stopping = true;
      await floodRun;
      return { perS: lat.length / (phaseMs / 1000), p99: pct(lat, 99), cpuPerS };
    };
    const answers: Record<string, number> = {};
    let max503 = 0;
    let address = 0;
    // The flood runs in a process of its own (bench/signin-flood-worker.mjs), so that its loops do not
    // slow this thread's show clients; it still shares the machine's cores with the server.
    const flood = (oneAccount: string | null) => (stop: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const child = fork(fileURLToPath(new URL("./signin-flood-worker.mjs", import.meta.url)), [JSON.stringify({ port, host, oneAccount, firstAddress: address, clients: 16 })], { execArgv: [] });
        const timer = setInterval(() => {
          if (stop()) {
            clearInterval(timer);
            child.send("stop");
          }
        }, 20);
        child.on("message", (m: { answers: Record<string, number>; max503: number; lastAddress: number }) => {
          for (const [k, v] of Object.entries(m.answers)) answers[k] = (answers[k] ?? 0) + v;
          max503 = Math.max(max503, m.max503);
          address = m.lastAddress;
        });
        child.on("error", reject);
        child.on("exit", () => {
          clearInterval(timer);
          resolve();
        });
      });
    step("signin: shows, quiet");
    const quiet = await showsFor(undefined);
    step("signin: shows, while wrong passwords flood one account");
    const one = await showsFor(flood("owner@signin.test"));
    step("signin: shows, while wrong passwords flood many addresses");
    const many = await showsFor(flood(null));
    await stopServer(server);
    return {
      clients: signinClients,
      signins: times.length,
      signin_per_s: round(times.length / signinSeconds),
      signin_p50_ms: pct(times, 50),
      signin_p99_ms: pct(times, 99),
      show_clients: showClients,
      flood_clients: 16,
      seconds_per_phase: phaseMs / 1000,
      shows_per_s_quiet: round(quiet.perS),
      shows_per_s_flood_one_account: round(one.perS),
      shows_per_s_flood_many_accounts: round(many.perS),
      ratio_one_account: round(one.perS / quiet.perS, 3),
      ratio_many_accounts: round(many.perS / quiet.perS, 3),
      show_p99_ms_quiet: round(quiet.p99),
      show_p99_ms_flood: round(Math.max(one.p99, many.p99)),
      flood_answers: answers,
      flood_503_max_ms: round(max503),
      server_cpu_ms_per_s_quiet: round(quiet.cpuPerS),
      server_cpu_ms_per_s_flood_one_account: round(one.cpuPerS),
      server_cpu_ms_per_s_flood_many_accounts: round(many.cpuPerS),
      server_cpu_ms_per_show_quiet: round(quiet.cpuPerS / quiet.perS, 3),
      server_cpu_ms_per_show_flood_many_accounts: round(many.cpuPerS / many.perS, 3),
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What the views-access phase measured (see benchViewsAccess). */
type ViewsAccessOp = { p50_ms: number; p95_ms: number; p99_ms: number };
type ViewsAccessResult = {
  tickets: number;
  groups: number;
  samples: number;
  /** Latency per actor and operation, one request at a time, actors interleaved. */
  latency: Record<string, Record<string, ViewsAccessOp>>;
  /** p50 / p95 / p99 of each restricted actor against the admin's, per operation. */
  ratio: Record<string, Record<string, { p50: number; p95: number; p99: number }>>;
  /** What each actor's "all open" view counts (capped at 10,000) and the first page's size. */
  visible: Record<string, { all_open_count: number; capped: boolean; first_page: number }>;
  /** EXPLAIN (ANALYZE, BUFFERS) of the within-groups agent's queries: plan tops and times. */
  explain: Record<string, { execution_ms: number; planning_ms: number; shared_hit: number; shared_read: number; top: string }>;
};

const VIEW_QUERIES = {
  all_open: "type:ticket status<solved",
  mine: "type:ticket status<solved assignee:me",
  unassigned: "type:ticket status<solved assignee:none",
  pending: "type:ticket status:pending",
  recently_solved: `type:ticket status>=solved solved>=${new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10)}`,
} as const;

/**
 * Ticket access at 100k tickets (`--views-access`): the workspace's view pages and counts over
 * real HTTP for an admin (the baseline), an agent whose custom role sees only their groups'
 * tickets (2 of 20 groups) and an assigned-only agent, one request at a time with the actors
 * interleaved, reported as ratios to the admin's; then EXPLAIN (ANALYZE, BUFFERS) of the
 * within-groups agent's queries as the application role (bench/results/views-access-*.txt).
 */
async function benchViewsAccess(kind: "pglite" | "postgres", adminUrl?: string): Promise<ViewsAccessResult> {
  const TICKETS = quick ? 10_000 : 100_000;
  const GROUPS = 20;
  const AGENTS = 20;
  const END_USERS = 100;
  const SAMPLES = quick ? 30 : 100;
  const DEEP_ID = Math.floor(TICKETS / 2);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `vd-bench-access-${kind}-`));
  const env: Record<string, string> = { VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64") };
  const { dbUrl, drop: dropDb } = await freshDatabase(kind === "postgres" ? adminUrl : undefined);
  if (dbUrl) env.DATABASE_URL = dbUrl;
  const host = "access.localhost";
  let server: ServerProcess | undefined;
  try {
    server = await startServer(dataDir, env);
    const port = server.port;
    const owner = apiTokenFrom(await cliWith(env, dataDir, "tenant", "create", "--subdomain", "access", "--owner-email", "owner@access.test"));
    const api = async (method: string, p: string, body?: unknown) => {
      const r = await call(port, host, owner, method, p, body);
      if (r.status >= 300) throw new Error(`${method} ${p} answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body;
    };
    step(`access ${kind}: ${GROUPS} groups, ${AGENTS} agents, roles`);
    const user = async (role: string, name: string, email: string) => (await api("POST", "/api/v2/users.json", { user: { name, email, role } })).user.id as number;
    const adminId = await user("admin", "Ada Admin", "admin@access.test");
    const agents: number[] = [];
    for (let i = 0; i < AGENTS; i++) agents.push(await user("agent", `Agent ${i + 1}`, `agent${i + 1}@access.test`));
    const groups: number[] = [];
    for (let i = 0; i < GROUPS; i++) groups.push((await api("POST", "/api/v2/groups.json", { group: { name: `Group ${i + 1}` } })).group.id as number);
    // Every agent works in one group (agent i in group i); the within-groups agent (agent 1) also in group 2.
    const member = (u: number, g: number) => api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: u, group_id: g } });
    for (let i = 0; i < AGENTS; i++) await member(agents[i]!, groups[i % GROUPS]!);
    await member(agents[0]!, groups[1]!);
    const withinRole = (await api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Within groups", configuration: { ticket_access: "within-groups" } } })).custom_role.id as number;
    const assignedRole = (await api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Assigned only", configuration: { ticket_access: "assigned-only" } } })).custom_role.id as number;
    await api("PUT", `/api/v2/users/${agents[0]}.json`, { user: { custom_role_id: withinRole } });
    await api("PUT", `/api/v2/users/${agents[1]}.json`, { user: { custom_role_id: assignedRole } });
    const endUsers: number[] = [];
    for (let i = 0; i < END_USERS; i++) endUsers.push(await user("end-user", `Customer ${i + 1}`, `customer${i + 1}@access.test`));
    await stopServer(server);
    server = undefined;

    step(`access ${kind}: seeding ${TICKETS} tickets`);
    const cfg = loadConfig({ ...process.env, ...env, VAULTDESK_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    const rt = await openRuntime(cfg, { migrate: false });
    let tokens: Record<"admin" | "within_groups" | "assigned_only", string>;
    let tenantId: string;
    let withinUserId: string;
    let expected: number;
    try {
      const t = (await findTenant(rt.db, { subdomain: "access" }))!;
      tenantId = t.id;
      const ids = await rt.db.tenant(t.id, async (tx) => {
        const byNice = async (table: "users" | "groups", nice: number[]) => {
          const rows = await tx.db.selectFrom(table).select(["id", "nice_id"]).where("tenant_id", "=", t.id).where("nice_id", "in", nice).execute();
          const m = new Map(rows.map((r) => [Number(r.nice_id), r.id]));
          return nice.map((n) => m.get(n)!);
        };
        return { agents: await byNice("users", agents), groups: await byNice("groups", groups), endUsers: await byNice("users", endUsers), admin: (await byNice("users", [adminId]))[0]! };
      });
      withinUserId = ids.agents[0]!;
      const BATCH = 1000;
      const now = Date.now();
      const statusOf = (r: number): TicketStatus => (r < 0.5 ? "closed" : r < 0.7 ? "solved" : r < 0.85 ? "open" : r < 0.93 ? "pending" : r < 0.97 ? "new" : "hold");
      for (let done = 0; done < TICKETS; done += BATCH) {
        await rt.db.tenant(t.id, async (tx) => {
          const sealer = await rt.keyring.sealerFor(tx);
          const n = Math.min(BATCH, TICKETS - done);
          const start = (await sql<{ v: number }>`SELECT min(vd_next_id('tickets'))::bigint AS v FROM generate_series(1, ${n})`.execute(tx.db)).rows[0]!.v - 1;
          const ccs: Array<{ tenant_id: string; ticket_id: string; user_id: string }> = [];
          const rows = Array.from({ length: n }, (_, k) => {
            const id = crypto.randomUUID();
            const status = statusOf(Math.random());
            const updated = new Date(now - Math.random() * 365 * 86_400_000);
            const rt2 = Math.random();
            const requester = ids.endUsers[Math.floor(Math.random() * ids.endUsers.length)]!;
            // 0.2 % of tickets copy one of the two restricted agents (seen through the CC branch).
            if (Math.random() < 0.002) ccs.push({ tenant_id: t.id, ticket_id: id, user_id: ids.agents[Math.floor(Math.random() * 2)]! });
            return {
              tenant_id: t.id,
              id,
              nice_id: start + k + 1,
              subject_sealed: sealer.seal(`Seeded ticket ${start + k + 1}: printer on floor 3 is jammed again`, { table: "tickets", column: "subject", row: id }),
              description_sealed: sealer.seal("The printer shows error 0x41 and will not print double-sided. ".repeat(4), { table: "tickets", column: "description", row: id }),
              status,
              priority: (["low", "normal", "normal", "high", "urgent"] as const)[Math.floor(Math.random() * 5)]!,
              type: null,
              requester_id: requester,
              submitter_id: requester,
              // 90 % of tickets are in one of the groups; assigned (but new ones) to an agent of that group.
              group_id: rt2 < 0.9 ? ids.groups[Math.floor(rt2 * 1000) % GROUPS]! : null,
              assignee_id: status === "new" || rt2 > 0.95 ? null : ids.agents[Math.floor(rt2 * 1000) % AGENTS]!,
              organization_id: null,
              tags: ["seeded"],
              custom_fields_sealed: null,
              external_id_sealed: null,
              external_id_bidx: null,
              due_at: null,
              created_at: new Date(updated.getTime() - Math.random() * 30 * 86_400_000),
              updated_at: updated,
              solved_at: status === "solved" || status === "closed" ? updated : null,
              deleted_at: null,
            };
          });
          await tx.db.insertInto("tickets").values(rows).execute();
          if (ccs.length) await tx.db.insertInto("ticket_ccs").values(ccs).execute();
        });
      }
      await sql`VACUUM (ANALYZE)`.execute(rt.db.owner);
      // The within-groups count, checked below against the rule written out plainly (as the owner role).
      expected = await expectedWithinGroupsCount(rt, t.id, withinUserId);
      tokens = await rt.db.tenant(t.id, async (tx) => {
        const sealer = await rt.keyring.sealerFor(tx);
        const ctx = makeContext({ tx, sealer, actor: { kind: "operator" }, requestId: "bench", now: () => new Date() });
        const tok = async (userId: string) => (await createApiToken({ keyring: rt.keyring }, ctx, { name: "bench", userId })).secret;
        return { admin: await tok(ids.admin), within_groups: await tok(ids.agents[0]!), assigned_only: await tok(ids.agents[1]!) };
      });
    } finally {
      await rt.close();
    }

    server = await startServer(dataDir, env);
    const srv = server;
    const enc = encodeURIComponent;
    const listUrl = (q: string, after?: string) => `/api/v2/search.json?query=${enc(q)}&sort_by=updated_at&sort_order=desc&page[size]=25${after ? `&page[after]=${after}` : ""}`;
    // A cursor 300 days back in "all open by last update" (about 80 % down the admin's list).
    const deepCursor = Buffer.from(JSON.stringify({ o: DEEP_ID, k: deepKeyMicros })).toString("base64url");
    const ops: Record<string, string> = {
      page_all_open: listUrl(VIEW_QUERIES.all_open),
      page_all_open_deep: listUrl(VIEW_QUERIES.all_open, deepCursor),
      page_unassigned: listUrl(VIEW_QUERIES.unassigned),
      page_pending: listUrl(VIEW_QUERIES.pending),
      ...Object.fromEntries(Object.entries(VIEW_QUERIES).map(([k, q]) => [`count_${k}`, `/api/v2/search/count.json?query=${enc(q)}`])),
    };
    const actors = Object.keys(tokens) as Array<keyof typeof tokens>;
    const visible: ViewsAccessResult["visible"] = {};
    for (const a of actors) {
      const c = await call(srv.port, host, tokens[a], "GET", ops.count_all_open!);
      const p = await call(srv.port, host, tokens[a], "GET", ops.page_all_open!);
      if (c.status !== 200 || p.status !== 200) throw new Error(`${a}: count ${c.status}, page ${p.status}`);
      visible[a] = { all_open_count: c.body.count, capped: c.body.count_capped, first_page: p.body.results.length };
    }
    if (!visible.within_groups || visible.within_groups.all_open_count !== Math.min(expected, 10_000)) throw new Error(`within-groups all-open count ${visible.within_groups?.all_open_count}, expected ${expected}`);
    step(`access ${kind}: visible ${JSON.stringify(visible)}`);
    step(`access ${kind}: ${SAMPLES} samples of ${Object.keys(ops).length} operations × ${actors.length} actors, one at a time`);
    // Warm-up: every statement prepared and every page cached once per actor.
    for (let w = 0; w < 5; w++) for (const a of actors) for (const u of Object.values(ops)) await call(srv.port, host, tokens[a], "GET", u);
    const lat: Record<string, Record<string, number[]>> = Object.fromEntries(actors.map((a) => [a, Object.fromEntries(Object.keys(ops).map((o) => [o, [] as number[]]))]));
    for (let i = 0; i < SAMPLES; i++) {
      for (const [o, u] of Object.entries(ops)) {
        // The actors take turns (in a rotating order), so the machine's noise falls on each alike.
        for (let k = 0; k < actors.length; k++) {
          const a = actors[(i + k) % actors.length]!;
          const t0 = performance.now();
          const r = await call(srv.port, host, tokens[a], "GET", u);
          lat[a]![o]!.push(performance.now() - t0);
          if (r.status !== 200) throw new Error(`${a} ${o} answered ${r.status}`);
        }
      }
    }
    await stopServer(srv);
    server = undefined;
    const latency: ViewsAccessResult["latency"] = {};
    for (const a of actors) latency[a] = Object.fromEntries(Object.keys(ops).map((o) => [o, { p50_ms: pct(lat[a]![o]!, 50), p95_ms: pct(lat[a]![o]!, 95), p99_ms: pct(lat[a]![o]!, 99) }]));
    const ratio: ViewsAccessResult["ratio"] = {};
    for (const a of actors.filter((x) => x !== "admin")) {
      ratio[a] = Object.fromEntries(
        Object.keys(ops).map((o) => {
          const base = latency.admin![o]!;
          const mine = latency[a]![o]!;
          return [o, { p50: round(mine.p50_ms / base.p50_ms, 2), p95: round(mine.p95_ms / base.p95_ms, 2), p99: round(mine.p99_ms / base.p99_ms, 2) }];
        }),
      );
    }
    step(`access ${kind}: EXPLAIN of the within-groups agent's queries`);
    const explain = await explainWithinGroups(cfg, tenantId, withinUserId, kind, DEEP_ID);
    return { tickets: TICKETS, groups: GROUPS, samples: SAMPLES, latency, ratio, visible, explain };
  } finally {
    if (server) await stopServer(server);
    await dropDb();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The deep page's cursor key: 300 days ago, in microseconds since the epoch (as cursors carry timestamps). */
const deepKeyMicros = String((Date.now() - 300 * 86_400_000) * 1000);

/** How many open tickets a within-groups agent may see, counted by the rule as docs/api.md states it. */
async function expectedWithinGroupsCount(rt: Awaited<ReturnType<typeof openRuntime>>, tenantId: string, userId: string): Promise<number> {
  const r = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM tickets t
      WHERE t.tenant_id = ${tenantId} AND t.deleted_at IS NULL AND t.status IN ('new', 'open', 'pending', 'hold')
        AND (t.group_id IN (SELECT group_id FROM group_memberships WHERE tenant_id = ${tenantId} AND user_id = ${userId})
          OR t.assignee_id = ${userId} OR t.requester_id = ${userId}
          OR t.id IN (SELECT ticket_id FROM ticket_ccs WHERE tenant_id = ${tenantId} AND user_id = ${userId}))`.execute(rt.db.owner);
  return r.rows[0]!.n;
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the queries behind the views, built by the same repository
 * functions the server uses (ticketQuery, scoped, the sort keys), for the within-groups agent and
 * for the admin, as the application role under row-level security. The full plans go to
 * bench/results/views-access-explain-<kind>.txt.
 */
async function explainWithinGroups(cfg: ReturnType<typeof loadConfig>, tenantId: string, userId: string, kind: string, deepId: number): Promise<ViewsAccessResult["explain"]> {
  const rt = await openRuntime(cfg, { migrate: false });
  const open = ["new", "open", "pending", "hold"] as const;
  const key = ticketSortKey("updated_at");
  const out: ViewsAccessResult["explain"] = {};
  let text = `EXPLAIN (ANALYZE, BUFFERS) on ${kind}, ${new Date().toISOString()}\n`;
  try {
    await rt.db.tenant(tenantId, async (tx) => {
      const scopes: Record<string, TicketScope> = { within_groups: { kind: "groups", userId }, admin: { kind: "all" } };
      for (const [who, scope] of Object.entries(scopes)) {
        const page = (filter: (q: ReturnType<typeof ticketQuery>) => ReturnType<typeof ticketQuery>, deep: boolean) => {
          let q = scoped(filter(ticketQuery(tx)), scope).select(key.text.as("sort_key"));
          if (deep) q = q.where(sql<boolean>`(${key.expr}, t.nice_id) < (${key.value(deepKeyMicros)}, ${deepId})`);
          return q.orderBy(key.expr, "desc").orderBy("t.nice_id", "desc").limit(26).compile();
        };
        const count = (filter: (q: any) => any) => { // any: the count's inner query is not the list's shape
          const inner = scoped(filter(tx.db.selectFrom("tickets as t").select(sql<number>`1`.as("one")).where("t.tenant_id", "=", tx.tenantId).where("t.deleted_at", "is", null)), scope).limit(10_001);
          return tx.db.selectFrom(inner.as("s")).select((eb) => eb.fn.countAll<number>().as("n")).compile();
        };
        const queries: Record<string, { sql: string; parameters: readonly unknown[] }> = {
          page_all_open: page((q) => q.where("t.status", "in", open), false),
          page_all_open_deep: page((q) => q.where("t.status", "in", open), true),
          page_unassigned: page((q) => q.where("t.status", "in", open).where("t.assignee_id", "is", null), false),
          count_all_open: count((q) => q.where("t.status", "in", open)),
          count_unassigned: count((q) => q.where("t.status", "in", open).where("t.assignee_id", "is", null)),
        };
        for (const [name, c] of Object.entries(queries)) {
          // Twice: the first run warms the cache, the second is the one reported.
          let plan: string[] = [];
          for (let i = 0; i < 2; i++) {
            const r = await tx.db.executeQuery<Record<string, string>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, BUFFERS) ${c.sql}`, [...c.parameters]));
            plan = r.rows.map((row) => Object.values(row)[0]!);
          }
          text += `\n=== ${who}: ${name}\n${plan.join("\n")}\n`;
          const num = (re: RegExp) => Number(re.exec(plan.join("\n"))?.[1] ?? NaN);
          out[`${who}.${name}`] = {
            execution_ms: num(/Execution Time: ([\d.]+) ms/),
            planning_ms: num(/Planning Time: ([\d.]+) ms/),
            shared_hit: num(/Buffers: shared hit=(\d+)/),
            shared_read: Number(/Buffers: shared[^\n]*read=(\d+)/.exec(plan.join("\n"))?.[1] ?? 0),
            top: plan
              .filter((l) => /Scan|Sort|Limit|BitmapOr|SubPlan|InitPlan|Filter:|Index Cond:/.test(l))
              .slice(0, 8)
              .map((l) => l.trim().replace(/\s+\(cost=.*$/, "").replace(/\s+\(actual.*$/, ""))
              .join(" | "),
          };
        }
      }
    });
  } finally {
    await rt.close();
  }
  fs.mkdirSync("bench/results", { recursive: true });
  fs.writeFileSync(`bench/results/views-access-explain-${kind}.txt`, text);
  return out;
}

const results: Record<string, Result> = {};
let files: FilesResult | undefined;
const inbound: Record<string, InboundResult> = {};
const started = Date.now();
// `--only pglite|postgres|files|inbound` measures one part (while working on one path).
// `--views-access` (or `--only views-access`): ticket access at 100k tickets alone (bench/README.md).
// `--search`: full-text search over sealed content on PostgreSQL (bench/search.ts, bench/README.md).
if (process.argv.includes("--search")) {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
  // `--tickets N`: another size (an intermediate run between --quick and the full one).
  const tickets = process.argv.includes("--tickets") ? Number(process.argv[process.argv.indexOf("--tickets") + 1]) : undefined;
  if (tickets !== undefined && !(Number.isInteger(tickets) && tickets >= 1000)) throw new Error("--tickets takes a whole number of at least 1000");
  const label = tickets !== undefined ? `-${tickets}` : quick ? "-quick" : "";
  fs.mkdirSync("bench/results", { recursive: true });
  const r = await benchSearch({ quick, adminUrl: url, label, ...(tickets !== undefined ? { tickets } : {}) });
  console.log("search", JSON.stringify(r, null, 2));
  fs.writeFileSync(`bench/results/search${label}.json`, JSON.stringify({ date: new Date().toISOString(), node: process.version, quick, seconds: round((Date.now() - started) / 1000), postgres: r }, null, 2) + "\n");
  process.exit(0);
}
/** A part's figures into bench/README.md between its markers: a full run's always, a --quick one's only while no full run is recorded there. */
function recordInReadme(part: string, lines: string): void {
  const readme = "bench/README.md";
  if (!fs.existsSync(readme)) return;
  const text = fs.readFileSync(readme, "utf8");
  const open = `<!-- ${part}-results -->`;
  const close = `<!-- /${part}-results -->`;
  const from = text.indexOf(open);
  const to = text.indexOf(close);
  if (from < 0 || to < from) return;
  if (quick && /^\nRun of [^\n]*\(full\)/.test(text.slice(from + open.length))) return;
  fs.writeFileSync(readme, text.slice(0, from) + `${open}\n${lines}\n` + text.slice(to));
}
if (process.argv.includes("--sla")) {
  // PGlite, and PostgreSQL too when BENCH_DATABASE_URL or TEST_DATABASE_URL is set (bench/sla.ts).
  const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const r: Record<string, SlaResult> = {};
  r.pglite = await benchSla({ quick });
  console.log("sla pglite", JSON.stringify(r.pglite, null, 2));
  if (pgUrl) {
    r.postgres = await benchSla({ quick, adminUrl: pgUrl });
    console.log("sla postgres", JSON.stringify(r.postgres, null, 2));
  }
  fs.mkdirSync("bench/results", { recursive: true });
  fs.writeFileSync(`bench/results/sla${quick ? "-quick" : ""}.json`, JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: os.cpus().length, quick, seconds: round((Date.now() - started) / 1000), ...r }, null, 2) + "\n");
  const date = new Date().toISOString();
  const lines = `Run of ${date.slice(0, 10)} (${quick ? "quick" : "full"}):\n\n${slaTable(r)}`;
  console.log("\n" + lines);
  recordInReadme("sla", lines);
  process.exit(0);
}
if (process.argv.includes("--automations")) {
  // PGlite, and PostgreSQL too when BENCH_DATABASE_URL or TEST_DATABASE_URL is set (bench/automations.ts).
  const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const r: Record<string, AutomationsResult> = {};
  r.pglite = await benchAutomations({ quick });
  console.log("automations pglite", JSON.stringify(r.pglite, null, 2));
  if (pgUrl) {
    r.postgres = await benchAutomations({ quick, adminUrl: pgUrl });
    console.log("automations postgres", JSON.stringify(r.postgres, null, 2));
  }
  fs.mkdirSync("bench/results", { recursive: true });
  fs.writeFileSync(`bench/results/automations${quick ? "-quick" : ""}.json`, JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: os.cpus().length, quick, seconds: round((Date.now() - started) / 1000), ...r }, null, 2) + "\n");
  const lines = `Run of ${new Date().toISOString().slice(0, 10)} (${quick ? "quick" : "full"}):\n\n${automationsTable(r)}`;
  console.log("\n" + lines);
  recordInReadme("automations", lines);
  process.exit(0);
}
if (process.argv.includes("--compliance")) {
  // PGlite, and PostgreSQL too when BENCH_DATABASE_URL or TEST_DATABASE_URL is set (as the other parts).
  const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const r: Record<string, ComplianceResult> = {};
  r.pglite = await benchCompliance({ quick });
  console.log("compliance pglite", JSON.stringify(r.pglite, null, 2));
  if (pgUrl) {
    r.postgres = await benchCompliance({ quick, adminUrl: pgUrl });
    console.log("compliance postgres", JSON.stringify(r.postgres, null, 2));
  }
  const date = new Date().toISOString();
  fs.mkdirSync("bench/results", { recursive: true });
  fs.writeFileSync(`bench/results/compliance${quick ? "-quick" : ""}.json`, JSON.stringify({ date, node: process.version, cores: os.cpus().length, quick, seconds: round((Date.now() - started) / 1000), ...r }, null, 2) + "\n");
  const lines = complianceTable(r, date, quick);
  console.log("\n" + lines);
  const readme = "bench/README.md";
  // A full run replaces the figures; a --quick one only while no full run has been recorded.
  if (fs.existsSync(readme)) {
    const text = fs.readFileSync(readme, "utf8");
    const recordedFull = /<!-- compliance-results -->\nRun of [^\n]*\(full\)/.test(text);
    if (!quick || !recordedFull) fs.writeFileSync(readme, text.replace(/<!-- compliance-results -->[\s\S]*<!-- \/compliance-results -->/, `<!-- compliance-results -->\n${lines}\n<!-- /compliance-results -->`));
  }
  process.exit(0);
}
const only = process.argv.includes("--views-access") ? "views-access" : process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
if (only !== undefined && !["pglite", "postgres", "files", "inbound", "signin", "views-access"].includes(only)) throw new Error("--only takes pglite, postgres, files, inbound, signin or views-access");
if (only === "views-access") {
  const access: Record<string, ViewsAccessResult> = {};
  access.pglite = await benchViewsAccess("pglite");
  console.log("views-access pglite", JSON.stringify(access.pglite, null, 2));
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (url) {
    access.postgres = await benchViewsAccess("postgres", url);
    console.log("views-access postgres", JSON.stringify(access.postgres, null, 2));
  }
  const date = new Date().toISOString();
  fs.mkdirSync("bench/results", { recursive: true });
  fs.writeFileSync("bench/results/views-access.json", JSON.stringify({ date, node: process.version, quick, seconds: round((Date.now() - started) / 1000), ...access }, null, 2) + "\n");
  const opNames: Record<string, string> = {
    page_all_open: "All open, first page",
    page_all_open_deep: "All open, deep page (`page[after]`)",
    page_unassigned: "Unassigned, first page",
    page_pending: "Pending, first page",
    count_all_open: "Count: all open",
    count_mine: "Count: my open",
    count_unassigned: "Count: unassigned",
    count_pending: "Count: pending",
    count_recently_solved: "Count: solved in 7 days",
  };
  const fmt = (r: { p50: number; p95: number; p99: number }) => `${r.p50} / ${r.p95} / ${r.p99}`;
  const lines = [
    `Run of ${date.slice(0, 10)}${quick ? " (--quick)" : ""}, ${os.cpus().length} cores, Node ${process.version}: ${Object.values(access)[0]!.tickets.toLocaleString("en")} tickets in ${Object.values(access)[0]!.groups} groups, ${Object.values(access)[0]!.samples} requests per actor and operation, one at a time, actors interleaved. Ratios are the restricted agent's p50 / p95 / p99 over the admin's.`,
    "",
    "| database | view | admin p50 / p95 / p99 ms | within groups (2 of 20) ÷ admin | assigned only ÷ admin |",
    "|---|---|---|---|---|",
    ...Object.entries(access).flatMap(([db, r]) =>
      Object.keys(opNames).map((o) => {
        const a = r.latency.admin![o]!;
        return `| ${db} | ${opNames[o]} | ${a.p50_ms} / ${a.p95_ms} / ${a.p99_ms} | ${fmt(r.ratio.within_groups![o]!)} | ${fmt(r.ratio.assigned_only![o]!)} |`;
      }),
    ),
    "",
    `Tickets each sees in "all open" (count, capped at 10,000): ${Object.entries(access)
      .map(([db, r]) => `${db}: ${Object.entries(r.visible).map(([a, v]) => `${a.replace("_", " ")} ${v.all_open_count.toLocaleString("en")}${v.capped ? "+" : ""}`).join(", ")}`)
      .join("; ")}.`,
  ].join("\n");
  console.log("\n" + lines);
  const readme = "bench/README.md";
  if (!quick && fs.existsSync(readme)) fs.writeFileSync(readme, fs.readFileSync(readme, "utf8").replace(/<!-- views-access-results -->[\s\S]*<!-- \/views-access-results -->/, `<!-- views-access-results -->\n${lines}\n<!-- /views-access-results -->`));
  process.exit(0);
}
let signin: SigninResult | undefined;
if (only === undefined || only === "signin") {
  signin = await benchSignin();
  console.log("signin", signin);
}
if (only === undefined || only === "files") {
  files = await benchFiles();
  console.log("files", files);
}
if (only === undefined || only === "pglite") {
  results.pglite = await benchOne("pglite");
  console.log("pglite", results.pglite);
}
const pgUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (only === "postgres" && !pgUrl) throw new Error("--only postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL");
if (pgUrl && (only === undefined || only === "postgres")) {
  results.postgres = await benchOne("postgres", pgUrl);
  console.log("postgres", results.postgres);
}
if (only === undefined || only === "inbound") {
  inbound.pglite = await benchInbound("pglite");
  console.log("inbound pglite", inbound.pglite);
  if (pgUrl) {
    inbound.postgres = await benchInbound("postgres", pgUrl);
    console.log("inbound postgres", inbound.postgres);
  }
}

const out = { date: new Date().toISOString(), node: process.version, quick, concurrency: CONCURRENCY, creates: CREATES, seconds: round((Date.now() - started) / 1000), ...results, ...(files ? { files } : {}), ...(Object.keys(inbound).length ? { inbound } : {}), ...(signin ? { signin } : {}) };
fs.mkdirSync("bench/results", { recursive: true });
fs.writeFileSync("bench/results/latest.json", JSON.stringify(out, null, 2) + "\n");

const rows = Object.entries(results).map(
  ([k, r]) => `| ${k} | ${r.api_create_per_s} | ${r.raw_insert_per_s} | ${Math.round(r.ratio * 100)} % | ${r.create_p50_ms} / ${r.create_p99_ms} | ${r.show_p50_ms} / ${r.show_p99_ms} | ${r.show_c1_p50_ms} / ${r.show_c1_p99_ms} (${r.tickets_seeded / 1000}k) | ${r.rss_mb} |`,
);
const table = [
  `Run of ${out.date.slice(0, 10)}${quick ? " (--quick)" : ""}, ${os.cpus().length} cores, Node ${process.version}:`,
  ...(rows.length
    ? [
        "",
        "| database | API creates/s | raw inserts/s | API/raw | create p50 / p99 ms | show p50 / p99 ms (16 at a time) | show p50 / p99 ms (one at a time) | server RSS MB |",
        "|---|---|---|---|---|---|---|---|",
        ...rows,
      ]
    : []),
  ...(files
    ? [
        "",
        `Attachments (PGlite, one ${files.file_mb} MB file, best of three, beside a streamed copy of the same file on the same disk):`,
        "",
        "| copy MB/s | upload MB/s | upload/copy | download MB/s | download/copy | server RSS idle → peak MB with " + files.clients + " uploads at once |",
        "|---|---|---|---|---|---|",
        `| ${files.copy_mb_per_s} | ${files.upload_mb_per_s} | ${Math.round(files.upload_ratio * 100)} % | ${files.download_mb_per_s} | ${Math.round(files.download_ratio * 100)} % | ${files.rss_idle_mb} → ${files.rss_peak_mb} (${files.concurrent_seconds} s) |`,
      ]
    : []),
].join("\n");
const first = Object.values(inbound)[0];
const inboundTable = first
  ? [
      `Run of ${out.date.slice(0, 10)}${quick ? " (--quick)" : ""}, ${os.cpus().length} cores, Node ${process.version}: ${first.clients} SMTP clients at once, ${first.messages} messages with a ${first.attachment_bytes / 1024} KB PDF each (${Math.round(first.message_bytes / 1024)} KB as sent), ${first.job_workers} job workers.`,
      "",
      "| database | sink msgs/s | SMTP accepted msgs/s | accepted/sink | to tickets msgs/s | tickets/sink | API creates with upload/s | tickets/API | server CPU ms per message (API create) | server RSS idle → peak MB |",
      "|---|---|---|---|---|---|---|---|---|---|",
      ...Object.entries(inbound).map(
        ([k, r]) =>
          `| ${k} | ${r.sink_per_s} | ${r.smtp_accept_per_s} | ${Math.round(r.accept_vs_sink * 100)} % | ${r.end_to_end_per_s} | ${Math.round(r.end_to_end_vs_sink * 100)} % | ${r.api_create_with_upload_per_s} | ${Math.round(r.end_to_end_vs_api * 100)} % | ${r.cpu_ms_per_message.server} (${r.cpu_ms_per_api_create.server}) | ${r.rss_idle_mb} → ${r.rss_peak_mb} |`,
      ),
    ].join("\n")
  : undefined;
if (rows.length || files) console.log("\n" + table);
if (inboundTable) console.log("\nInbound mail:\n\n" + inboundTable);
const readme = "bench/README.md";
if (fs.existsSync(readme)) {
  let text = fs.readFileSync(readme, "utf8");
  // Only a full run replaces the figures (a run of one part would drop the others).
  if (only === undefined) text = text.replace(/<!-- results -->[\s\S]*<!-- \/results -->/, `<!-- results -->\n${table}\n<!-- /results -->`);
  // Inbound mail has a table of its own, replaced by a run that measured it (not a --quick one).
  if (inboundTable && !quick) text = text.replace(/<!-- inbound-results -->[\s\S]*<!-- \/inbound-results -->/, `<!-- inbound-results -->\n${inboundTable}\n<!-- /inbound-results -->`);
  fs.writeFileSync(readme, text);
}
