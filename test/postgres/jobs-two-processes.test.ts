import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { createTenant } from "../../src/modules/tenants/tenants-service.ts";
import { Keyring } from "../../src/platform/crypto/keyring.ts";
import { LocalMasterKey } from "../../src/platform/crypto/master-key.ts";
import { openDatabase, type Database } from "../../src/platform/db/database.ts";
import { JobRunner } from "../../src/platform/jobs/job-runner.ts";
import { countingJob, enqueueCountingJob } from "../support/counting-job.ts";
import { freshPostgresDatabase } from "../support/postgres-database.ts";

/**
 * Two processes share the jobs of one PostgreSQL database through claims and leases (PGlite is one
 * process's, so this needs a real PostgreSQL): two job runners, each with connections of its own,
 * do every item of every job exactly once. test/jobs.test.ts covers claims and leases in one process.
 */

describe("jobs shared between processes", () => {
  it("shares jobs between two processes on PostgreSQL without doing any item twice", async () => {
    const database = await freshPostgresDatabase({ migrated: true });
    const keyring = new Keyring(new LocalMasterKey(crypto.randomBytes(32)));
    const seen: string[] = [];
    const counting = countingJob(seen);
    const main = await openDatabase({ kind: "postgres", url: database.url, poolSize: 4 });
    const dbs: Database[] = [];
    try {
      const tenants = [];
      for (let i = 0; i < 2; i++) {
        const subdomain = `share${process.pid}x${i}x${crypto.randomBytes(3).toString("hex")}`;
        tenants.push(await createTenant(main, keyring, { subdomain, ownerEmail: `owner@${subdomain}.test` }));
      }
      const statusOn = (tenantId: string, id: string) =>
        main.tenant(tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["status", "progress", "total"]).where("id", "=", id).executeTakeFirstOrThrow());

      for (let i = 0; i < 2; i++) dbs.push(await openDatabase({ kind: "postgres", url: database.url, poolSize: 4 }));
      const runners = dbs.map((db) => new JobRunner(db, keyring, { warn: () => undefined }, { workers: 3, pollMs: 50, leaseMs: 10_000 }));
      const byRunner = new Map<string, number>();
      for (const r of runners) {
        r.define({ ...counting, async runItem(ctx, input, index) {
          byRunner.set(r.worker, (byRunner.get(r.worker) ?? 0) + 1);
          return counting.runItem(ctx, input, index);
        } });
      }
      const jobs: Array<[string, string]> = [];
      for (let i = 0; i < 12; i++) {
        const tenantId = tenants[i % 2]!.tenantId;
        jobs.push([tenantId, await enqueueCountingJob(main, keyring, tenantId, 15)]);
      }
      for (const r of runners) r.start();
      try {
        const deadline = Date.now() + 60_000;
        for (const [tenantId, id] of jobs) while ((await statusOn(tenantId, id)).status !== "completed" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      } finally {
        await Promise.all(runners.map((r) => r.stop()));
      }
      for (const [tenantId, id] of jobs) expect(await statusOn(tenantId, id), `job ${id} on ${database.where}`).toMatchObject({ status: "completed", progress: 15 });
      // 12 jobs × 15 items, each done exactly once, by either process.
      expect(seen).toHaveLength(180);
      expect(new Set(byRunner.keys()).size).toBeGreaterThanOrEqual(1);
      expect([...byRunner.values()].reduce((x, y) => x + y, 0)).toBe(180);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
      await main.close();
      await database.drop();
    }
  }, 120_000);
});
