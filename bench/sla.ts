/**
 * `npm run bench -- --sla`: what the account's SLA policies and active triggers cost each ticket
 * write, at their bounds, through the real server (a child process, real HTTP, token auth), on
 * PGlite and, when BENCH_DATABASE_URL or TEST_DATABASE_URL is set, on PostgreSQL too (a database
 * of its own, dropped after). Four accounts in one data folder, each with 16 tickets:
 *
 *  - `base`: no policy, no trigger (the baseline, measured in the same run);
 *  - `one`: one realistic SLA policy (a short filter, targets for every priority) that applies;
 *  - `slamax`: SLA policies at their bounds: 100 policies (MAX_POLICIES) whose filters hold nearly
 *    1 MB together (MAX_FILTERS_BYTES): 99 of ~10 KB that match no ticket (an `any` of four tag
 *    lists, each condition read in full), then the realistic one, which applies;
 *  - `trigmax`: active triggers at their bounds: 500 (MAX_RULES) whose conditions and actions hold
 *    nearly 1 MB together (MAX_ACTIVE_BYTES), none of which fires.
 *
 * Each account's tickets are updated (their tags changed: a write that moves no SLA metric) by 4
 * clients for a few seconds at a time, the accounts in turn, over several rounds; updates per
 * second and the server's CPU milliseconds per update, each as a ratio to the baseline.
 * Writes bench/results/sla.json. BENCH_CPU_PROFILE_DIR writes the server's V8 CPU profile.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { apiTokenFrom, call, startServer, type ServerProcess } from "../test/support/process.ts";
import { cliWith, freshDatabase, stopServer } from "./support.ts";

const CLIENTS = 4;
const TICKETS = 16;
const ACCOUNTS = ["base", "one", "slamax", "trigmax"] as const;
type Account = (typeof ACCOUNTS)[number];

type Figures = { updates: number; seconds: number; updates_per_s: number; server_cpu_ms_per_update: number; p50_ms: number; ratio_rate: number; ratio_cpu: number };
export type SlaResult = { rounds: number; seconds_each: number; clients: number; policies: number; triggers: number; accounts: Record<Account, Figures> };

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!, 2) : NaN;
};
const step = (s: string) => process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} sla: ${s}\n`);

function procCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** The realistic policy: open tickets but those tagged `nosla`, targets for every priority. */
const REALISTIC = {
  title: "Support hours",
  description: "Every customer ticket",
  filter: { all: [{ field: "status", operator: "less_than", value: "solved" }, { field: "current_tags", operator: "not_includes", value: "nosla spam" }], any: [] },
  policy_metrics: ["low", "normal", "high", "urgent"].flatMap((priority, i) =>
    ["first_reply_time", "next_reply_time", "requester_wait_time", "agent_work_time"].map((metric) => ({ priority, metric, target: (4 - i) * 60, business_hours: metric !== "first_reply_time" })),
  ),
};

/** Tags of 60 characters, `n` of them, none on any ticket. */
const tagList = (seed: string, n: number) => Array.from({ length: n }, (_, i) => `${seed}_${i}_`.padEnd(60, "x")).join(" ");

export async function benchSla(opts: { quick: boolean; adminUrl?: string | undefined }): Promise<SlaResult> {
  const ROUNDS = opts.quick ? 2 : 3;
  const SECONDS = opts.quick ? 3 : 4;
  const kind = opts.adminUrl ? "postgres" : "pglite";
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `vd-bench-sla-${kind}-`));
  const env: Record<string, string> = { VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64") };
  const { dbUrl, drop } = await freshDatabase(opts.adminUrl, "vd_bench_sla");
  if (dbUrl) env.DATABASE_URL = dbUrl;
  let server: ServerProcess | undefined;
  try {
    server = await startServer(dataDir, env);
    const srv = server;
    const tokens = {} as Record<Account, string>;
    for (const sub of ACCOUNTS) tokens[sub] = apiTokenFrom(await cliWith(env, dataDir, "tenant", "create", "--subdomain", sub, "--owner-email", `owner@${sub}.test`));
    const api = async (sub: Account, method: string, url: string, body: unknown, status: number) => {
      const r = await call(srv.port, `${sub}.localhost`, tokens[sub], method, url, body);
      if (r.status !== status) throw new Error(`${method} ${url} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
      return r.body;
    };

    step(`${kind}: policies and triggers at their bounds`);
    await api("one", "POST", "/api/v2/slas/policies.json", { sla_policy: REALISTIC }, 201);
    // 99 policies of ~10.3 KB of filter (sealed), then the realistic one: just under 1 MB together.
    let policies = 0;
    for (let i = 0; i < 99; i++) {
      const filter = { all: [], any: Array.from({ length: 4 }, (_, k) => ({ field: "current_tags", operator: "includes", value: tagList(`p${i}c${k}`, 42) })) };
      await api("slamax", "POST", "/api/v2/slas/policies.json", { sla_policy: { title: `Contract ${i}`, filter, policy_metrics: REALISTIC.policy_metrics } }, 201);
      policies++;
    }
    await api("slamax", "POST", "/api/v2/slas/policies.json", { sla_policy: REALISTIC }, 201);
    policies++;
    // 500 triggers of ~2 KB of conditions and actions (sealed), none firing: just under 1 MB together.
    let triggers = 0;
    for (let i = 0; i < 500; i++) {
      const conditions = { all: [], any: [{ field: "current_tags", operator: "includes", value: tagList(`t${i}`, 30) }] };
      await api("trigmax", "POST", "/api/v2/triggers.json", { trigger: { title: `Route ${i}`, conditions, actions: [{ field: "current_tags", value: `routed_${i}` }] } }, 201);
      triggers++;
    }
    const ids = {} as Record<Account, number[]>;
    for (const sub of ACCOUNTS) {
      ids[sub] = [];
      for (let i = 0; i < TICKETS; i++) {
        const b = await api(sub, "POST", "/api/v2/tickets.json", { ticket: { subject: `Order ${i} arrived damaged`, comment: { body: "The parcel was crushed." }, priority: (["low", "normal", "high", "urgent"] as const)[i % 4], tags: ["bench"] } }, 201);
        ids[sub].push(b.ticket.id as number);
      }
    }

    const acc = Object.fromEntries(ACCOUNTS.map((a) => [a, { updates: 0, seconds: 0, cpu: 0, lat: [] as number[] }])) as Record<Account, { updates: number; seconds: number; cpu: number; lat: number[] }>;
    let n = 0;
    /** CLIENTS clients updating the account's tickets for `seconds`. */
    const burst = async (sub: Account, seconds: number, record: boolean) => {
      const end = performance.now() + seconds * 1000;
      const cpu0 = procCpuMs(srv.child.pid!);
      const t0 = performance.now();
      let done = 0;
      const lat: number[] = [];
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          for (let k = c; performance.now() < end; k += CLIENTS) {
            const id = ids[sub][k % TICKETS]!;
            const s = performance.now();
            await api(sub, "PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["bench", `r${n++ % 7}`] } }, 200);
            lat.push(performance.now() - s);
            done++;
          }
        }),
      );
      if (!record) return;
      const a = acc[sub];
      a.updates += done;
      a.seconds += (performance.now() - t0) / 1000;
      a.cpu += procCpuMs(srv.child.pid!) - cpu0;
      a.lat.push(...lat);
    };
    step(`${kind}: warming up`);
    for (const sub of ACCOUNTS) await burst(sub, 1, false);
    for (let r = 0; r < ROUNDS; r++) {
      for (const sub of ACCOUNTS) {
        step(`${kind}: round ${r + 1}/${ROUNDS}: ${sub}`);
        await burst(sub, SECONDS, true);
      }
    }
    const rate = (a: Account) => acc[a].updates / acc[a].seconds;
    const cpu = (a: Account) => acc[a].cpu / acc[a].updates;
    const accounts = Object.fromEntries(
      ACCOUNTS.map((a) => [
        a,
        {
          updates: acc[a].updates,
          seconds: round(acc[a].seconds, 1),
          updates_per_s: round(rate(a)),
          server_cpu_ms_per_update: round(cpu(a), 2),
          p50_ms: pct(acc[a].lat, 50),
          ratio_rate: round(rate(a) / rate("base"), 3),
          ratio_cpu: round(cpu(a) / cpu("base"), 2),
        },
      ]),
    ) as Record<Account, Figures>;
    return { rounds: ROUNDS, seconds_each: SECONDS, clients: CLIENTS, policies, triggers, accounts };
  } finally {
    await stopServer(server);
    await drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The figures as a Markdown table. */
export function slaTable(r: Record<string, SlaResult>): string {
  const lines = ["| Database | Account | Updates/s | × baseline | Server CPU ms/update | × baseline | p50 ms |", "|---|---|---:|---:|---:|---:|---:|"];
  for (const [db, x] of Object.entries(r)) {
    for (const a of ACCOUNTS) {
      const f = x.accounts[a];
      lines.push(`| ${db} | ${a} | ${f.updates_per_s} | ${f.ratio_rate} | ${f.server_cpu_ms_per_update} | ${f.ratio_cpu} | ${f.p50_ms} |`);
    }
  }
  return lines.join("\n");
}
