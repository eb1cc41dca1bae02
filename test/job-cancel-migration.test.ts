import { describe, expect, it } from "vitest";
import { databaseBefore, runMigration } from "./support/migrations.ts";

/**
 * 0060_job_cancel.sql on an installation whose earlier migrations ran as another role than the one
 * that runs it (docs/operating.md: a superuser or the schema owner may run them): the finished-job
 * purge (vd_jobs_purge) runs as its owner, and that owner must keep its right to delete finished
 * jobs, killed ones included, under the table's forced row-level security.
 */
describe("0060_job_cancel.sql", () => {
  it("keeps the purge's delete policy for the role that owns the purge, whoever runs the migration", async () => {
    const pg = await databaseBefore("0060");
    try {
      // As if 0010 had been run by the schema owner, and this upgrade by a superuser.
      await pg.exec(`CREATE ROLE vd_schema_owner;
        ALTER FUNCTION vd_jobs_purge(timestamptz, integer) OWNER TO vd_schema_owner;
        ALTER POLICY runner_purge ON job_statuses TO vd_schema_owner;`);
      await runMigration(pg, "0060_job_cancel.sql");
      const r = await pg.query<{ roles: string }>(`SELECT roles::text AS roles FROM pg_policies WHERE tablename = 'job_statuses' AND policyname = 'runner_purge'`);
      expect(r.rows.map((x) => x.roles)).toEqual(["{vd_schema_owner}"]);
      const q = await pg.query<{ qual: string }>(`SELECT qual FROM pg_policies WHERE tablename = 'job_statuses' AND policyname = 'runner_purge'`);
      expect(q.rows[0]!.qual).toContain("killed");
    } finally {
      await pg.close();
    }
  }, 120_000);
});
