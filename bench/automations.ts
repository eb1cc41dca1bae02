/**
 * `npm run bench -- --automations [--quick]`: what the hourly automations run costs, through the
 * real server (a child process) and its upkeep command (`vaultdesk upkeep run automations.run`,
 * which the running server carries out and times), on PGlite and, when BENCH_DATABASE_URL or
 * TEST_DATABASE_URL is set, on PostgreSQL too (a database of its own, dropped after).
 *
 * One account holding 10,000 open tickets (`--quick`) or 50,000, seeded straight into the database
 * three days old. Phases, each with automations made for it through the API (the earlier ones
 * deleted first, so no run resumes another's read):
 *
 *  - `floor`: no active automation: the command's round trip and the run's walk of the accounts;
 *  - `scan`: one automation whose SQL filters let every ticket through and whose conditions, checked
 *    in code, hold for none (priority urgent): it reads its cap of 10,000 candidates; figures per
 *    1,000 read, against the API's ticket list read by cursor pages of 100 over the same tickets
 *    (the baseline: an agent reading them);
 *  - `act`: one automation that tags every ticket it reads: it writes its cap of 1,000 (each in a
 *    transaction of its own, through the conversation writer, the triggers run after it); figures
 *    per ticket written, against the same tag added by `PUT /api/v2/tickets/{id}.json` one at a time
 *    (the baseline);
 *  - `share`: four scanning automations, then five acting ones: about the most one account may cost
 *    a run (its share stops it at 50,000 candidates read or 5,000 tickets acted on: here 40,000 read,
 *    then 5,000 written with what their automations read); how many accounts at their share one
 *    hourly run can serve follows from it.
 *
 * Writes bench/results/automations[-quick].json and the table in bench/README.md.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AUTOMATION_READ_CAP, AUTOMATION_TICKET_CAP } from "../src/modules/triggers/automations-run.ts";
import { apiTokenFrom, call, startServer, type ServerProcess } from "../test/support/process.ts";
import { cliWith, freshDatabase, seedTickets, stopServer } from "./support.ts";

type Phase = { runs: number; ms: number[]; median_ms: number };
export type AutomationsResult = {
  tickets: number;
  floor: Phase;
  scan: Phase & { read_per_run: number; ms_per_1000_read: number; baseline_list_ms_per_1000: number; ratio: number };
  act: Phase & { written_per_run: number; ms_per_ticket: number; baseline_put_ms: number; ratio: number };
  share: Phase & { acting: number; scanning: number; accounts_per_hour: number };
};

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const step = (s: string) => process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} automations: ${s}\n`);

/** Reads 10,000 candidates and acts on none: SQL lets every open ticket through, code none (the seeded tickets are of normal priority). */
const scanning = (i: number) => ({
  title: `Escalate stale urgent tickets ${i}`,
  conditions: {
    all: [
      { field: "updated_at", operator: "greater_than", value: "24" },
      { field: "current_tags", operator: "not_includes", value: `escalated_${i}` },
      { field: "priority", operator: "is", value: "urgent" },
    ],
    any: [],
  },
  actions: [{ field: "current_tags", value: `escalated_${i}` }],
});
/** Tags every ticket it reads: 1,000 written a run. */
const acting = (i: number) => ({
  title: `Mark stale tickets ${i}`,
  conditions: {
    all: [
      { field: "updated_at", operator: "greater_than", value: "24" },
      { field: "current_tags", operator: "not_includes", value: `stale_${i}` },
    ],
    any: [],
  },
  actions: [{ field: "current_tags", value: `stale_${i}` }],
});

export async function benchAutomations(opts: { quick: boolean; adminUrl?: string | undefined }): Promise<AutomationsResult> {
  const TICKETS = opts.quick ? 10_000 : 50_000;
  const RUNS = opts.quick ? 3 : 5;
  const kind = opts.adminUrl ? "postgres" : "pglite";
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `vd-bench-automations-${kind}-`));
  const env: Record<string, string> = { VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64") };
  const { dbUrl, drop } = await freshDatabase(opts.adminUrl, "vd_bench_automations");
  if (dbUrl) env.DATABASE_URL = dbUrl;
  let server: ServerProcess | undefined;
  try {
    server = await startServer(dataDir, env);
    const token = apiTokenFrom(await cliWith(env, dataDir, "tenant", "create", "--subdomain", "auto", "--owner-email", "owner@auto.test"));
    await stopServer(server);
    server = undefined;
    step(`${kind}: seeding ${TICKETS} open tickets, three days old`);
    await seedTickets(env, dataDir, "auto", TICKETS, { status: (k) => (["open", "new", "pending"] as const)[k % 3]!, hoursAgo: 72 });
    server = await startServer(dataDir, env);
    const srv = server;
    const api = async (method: string, url: string, body: unknown, status: number) => {
      const r = await call(srv.port, "auto.localhost", token, method, url, body);
      if (r.status !== status) throw new Error(`${method} ${url} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
      return r.body;
    };
    /** One run through the upkeep command, as the server timed it. */
    const run = async () => {
      const out = await cliWith(env, dataDir, "upkeep", "run", "automations.run");
      const ms = /\((\d+) ms\)/.exec(out);
      if (!ms) throw new Error(`upkeep run printed no time: ${out}`);
      return Number(ms[1]);
    };
    let made: number[] = [];
    const only = async (...automations: Array<ReturnType<typeof scanning>>) => {
      for (const id of made) await api("DELETE", `/api/v2/automations/${id}.json`, undefined, 204);
      made = [];
      for (const a of automations) made.push((await api("POST", "/api/v2/automations.json", { automation: a }, 201)).automation.id as number);
    };
    const tagged = async (tag: string) => (await api("GET", `/api/v2/search/count?query=${encodeURIComponent(`tags:${tag}`)}`, undefined, 200)).count as number;
    const phase = (ms: number[]): Phase => ({ runs: ms.length, ms, median_ms: median(ms) });

    step(`${kind}: baselines`);
    // An agent reading the same tickets: the API's list by cursor pages of 100 (10,000 of them), twice, the second timed.
    let listMs = 0;
    for (let pass = 0; pass < 2; pass++) {
      let url: string | null = "/api/v2/tickets.json?page[size]=100";
      let read = 0;
      const t0 = performance.now();
      while (url && read < AUTOMATION_READ_CAP) {
        const b = await api("GET", url, undefined, 200);
        read += (b.tickets as unknown[]).length;
        url = b.meta?.has_more ? new URL(b.links.next as string).pathname + new URL(b.links.next as string).search : null;
      }
      if (read < AUTOMATION_READ_CAP) throw new Error(`the list read ${read} tickets`);
      listMs = ((performance.now() - t0) / read) * 1000;
    }
    // The same write as the acting automation's, through the API one at a time (tickets the runs do not reach first: the last ones).
    const PUTS = 300;
    for (let i = 0; i < 20; i++) await api("PUT", `/api/v2/tickets/${TICKETS - i}.json`, { ticket: { tags: ["seeded", "warm"] } }, 200);
    const p0 = performance.now();
    for (let i = 0; i < PUTS; i++) await api("PUT", `/api/v2/tickets/${TICKETS - 20 - i}.json`, { ticket: { tags: ["seeded", "stale_put"] } }, 200);
    const putMs = (performance.now() - p0) / PUTS;

    step(`${kind}: floor`);
    await run();
    const floor: number[] = [];
    for (let r = 0; r < RUNS; r++) floor.push(await run());

    step(`${kind}: scan (${AUTOMATION_READ_CAP} candidates a run)`);
    const scan: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      await only(scanning(r));
      scan.push(await run());
    }
    if ((await tagged("escalated_0")) !== 0) throw new Error("the scanning automation acted");

    step(`${kind}: act (${AUTOMATION_TICKET_CAP} tickets a run)`);
    const act: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      await only(acting(r));
      act.push(await run());
      const n = await tagged(`stale_${r}`);
      if (n !== AUTOMATION_TICKET_CAP) throw new Error(`the acting automation wrote ${n} tickets, not ${AUTOMATION_TICKET_CAP}`);
    }

    step(`${kind}: an account's share`);
    const share: number[] = [];
    for (let r = 0; r < (opts.quick ? 1 : 2); r++) {
      await only(...[0, 1, 2, 3].map((i) => scanning(100 + 10 * r + i)), ...[0, 1, 2, 3, 4].map((i) => acting(100 + 10 * r + i)));
      share.push(await run());
      for (let i = 0; i < 5; i++) {
        const n = await tagged(`stale_${100 + 10 * r + i}`);
        if (n !== AUTOMATION_TICKET_CAP) throw new Error(`acting automation ${i} of the share wrote ${n} tickets, not ${AUTOMATION_TICKET_CAP}`);
      }
    }
    const floorMs = median(floor);
    const scanPer1000 = ((median(scan) - floorMs) / AUTOMATION_READ_CAP) * 1000;
    const actPer = (median(act) - floorMs) / AUTOMATION_TICKET_CAP;
    return {
      tickets: TICKETS,
      floor: phase(floor),
      scan: { ...phase(scan), read_per_run: AUTOMATION_READ_CAP, ms_per_1000_read: round(scanPer1000), baseline_list_ms_per_1000: round(listMs), ratio: round(scanPer1000 / listMs, 3) },
      act: { ...phase(act), written_per_run: AUTOMATION_TICKET_CAP, ms_per_ticket: round(actPer, 2), baseline_put_ms: round(putMs, 2), ratio: round(actPer / putMs, 2) },
      share: { ...phase(share), acting: 5, scanning: 4, accounts_per_hour: Math.floor(3600_000 / median(share)) },
    };
  } finally {
    await stopServer(server);
    await drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The figures as a Markdown table. */
export function automationsTable(r: Record<string, AutomationsResult>): string {
  const lines = [
    "| Database | Tickets | Floor ms | Scan: ms per 1,000 read | API list ms per 1,000 | × baseline | Act: ms per ticket | API PUT ms | × baseline | An account's share, ms | Accounts at their share an hour |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [db, x] of Object.entries(r)) {
    lines.push(`| ${db} | ${x.tickets} | ${x.floor.median_ms} | ${x.scan.ms_per_1000_read} | ${x.scan.baseline_list_ms_per_1000} | ${x.scan.ratio} | ${x.act.ms_per_ticket} | ${x.act.baseline_put_ms} | ${x.act.ratio} | ${x.share.median_ms} | ${x.share.accounts_per_hour} |`);
  }
  return lines.join("\n");
}
