import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startThrowawayPostgres, type PgCluster } from "../support/pg-cluster.ts";
import { apiTokenFrom, call, cliWith, startServer, type ServerProcess } from "../support/process.ts";

/**
 * The real server on a real PostgreSQL cluster of this test's own, under a write load, while
 * PostgreSQL is stopped (`pg_ctl stop -m fast`, then `-m immediate`) and started again: the
 * process stays up, answers 503 with Retry-After (and /readyz not ready) while the database is
 * away, recovers by itself within seconds of its return, and every write it acknowledged is in
 * the database afterwards. Always a cluster of its own, even with TEST_DATABASE_URL (it stops and
 * starts the server): needs PostgreSQL's server binaries (it fails, saying what to install, without them).
 */

const host = "acme.localhost";
let cluster: PgCluster | undefined;
let server: ServerProcess | undefined;
const dirs: string[] = [];
afterAll(async () => {
  if (server && server.child.exitCode === null) server.child.kill("SIGKILL");
  await cluster?.destroy();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function readyz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/readyz", timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

describe("a PostgreSQL restart under write load", () => {
  it("answers 503 with Retry-After while the database is away, recovers by itself, and loses no acknowledged write", async () => {
    cluster = await startThrowawayPostgres();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-pgr-"));
    dirs.push(dir);
    const env = { DATABASE_URL: cluster.url, VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64"), VAULTDESK_DB_POOL_SIZE: "4", VAULTDESK_JOB_POLL_SECONDS: "0.5" };
    server = await startServer(dir, env);
    const s = server;
    const created = await cliWith(env, ["tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test", "--data-dir", dir]);
    expect(created.code, created.stderr).toBe(0);
    const token = apiTokenFrom(created.stdout);

    // The load: 6 writers creating tickets; every answer is recorded.
    const acknowledged = new Map<number, string>();
    const statuses = new Map<number, number>();
    const unavailable: Array<{ retryAfter: string | undefined; error: unknown }> = [];
    let transportErrors = 0;
    let stopLoad = false;
    const writer = async (w: number) => {
      for (let i = 0; i < 5000 && !stopLoad; i++) {
        const subject = `w${w}-${i}`;
        try {
          const r = await call(s.port, host, token, "POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body: "written under a restart" } } });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 201) acknowledged.set(r.body.ticket.id as number, subject);
          else {
            if (r.status === 503) unavailable.push({ retryAfter: r.headers["retry-after"] as string | undefined, error: r.body?.error });
            await sleep(50);
          }
        } catch {
          transportErrors++;
          await sleep(50);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, (_, w) => writer(w)));
    const waitFor = async (what: string, cond: () => boolean | Promise<boolean>, ms: number) => {
      const deadline = Date.now() + ms;
      while (!(await cond())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; statuses so far: ${JSON.stringify([...statuses])}; server output:\n${s.output().slice(-3000)}`);
        await sleep(25);
      }
    };

    const recoveries: number[] = [];
    try {
      for (const mode of ["fast", "immediate"] as const) {
        const before = acknowledged.size;
        await waitFor("writes before the stop", () => acknowledged.size >= before + 20, 20_000);
        await cluster.stop(mode);
        const stoppedAt = Date.now();
        const alive = () => expect(s.child.exitCode, `the server exited after PostgreSQL stopped (-m ${mode}):\n${s.output().slice(-3000)}`).toBeNull();
        await sleep(300);
        alive();
        // While the database is away: the process lives, writes answer 503 + Retry-After, /readyz is not ready.
        const probe = await call(s.port, host, token, "POST", "/api/v2/tickets.json", { ticket: { subject: "while away", comment: { body: "b" } } });
        expect(probe.status, `${mode}: ${JSON.stringify(probe.body)}`).toBe(503);
        expect(probe.body).toMatchObject({ error: "Unavailable" });
        expect(typeof probe.body.description).toBe("string");
        expect(Number(probe.headers["retry-after"])).toBeGreaterThan(0);
        expect(await readyz(s.port)).toBe(503);
        await sleep(1000);
        alive();
        expect(Date.now() - stoppedAt).toBeLessThan(15_000);

        await cluster.start();
        const startedAt = Date.now();
        const after = acknowledged.size;
        await waitFor("recovery", async () => acknowledged.size >= after + 10 && (await readyz(s.port)) === 200, 20_000);
        recoveries.push(Date.now() - startedAt);
      }
    } finally {
      stopLoad = true;
      await load;
    }

    expect(s.child.exitCode, s.output().slice(-3000)).toBeNull();
    // Recovered by itself, within seconds of PostgreSQL accepting connections again.
    for (const ms of recoveries) expect(ms).toBeLessThan(10_000);
    // Nothing but successes and 503s, and every 503 said when to come back.
    expect([...statuses.keys()].sort()).toEqual([201, 503]);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const u of unavailable) {
      expect(u.error).toBe("Unavailable");
      expect(Number(u.retryAfter)).toBeGreaterThan(0);
    }
    expect(transportErrors).toBe(0);

    // Every acknowledged write is in the database, as it was written.
    const ids = [...acknowledged.keys()];
    expect(ids.length).toBeGreaterThan(60);
    for (let i = 0; i < ids.length; i += 8) {
      await Promise.all(
        ids.slice(i, i + 8).map(async (id) => {
          const r = await call(s.port, host, token, "GET", `/api/v2/tickets/${id}.json`);
          expect(r.status, `ticket ${id}`).toBe(200);
          expect(r.body.ticket.subject).toBe(acknowledged.get(id));
        }),
      );
    }
    // And the audit chain of all of it is whole.
    const verify = await cliWith(env, ["audit", "verify", "--tenant", "acme", "--data-dir", dir]);
    expect(verify.stdout, verify.stderr).toMatch(/^audit chain OK: \d+ entries/);

    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
  }, 120_000);
});
