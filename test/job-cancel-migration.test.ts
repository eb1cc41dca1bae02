import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { describe, expect, it } from "vitest";

/**
 * 0060_job_cancel.sql on an installation whose earlier migrations ran as another role than the one
 * that runs it (docs/operating.md: a superuser or the schema owner may run them): the finished-job
 * purge (vd_jobs_purge) runs as its owner, and that owner must keep its right to delete finished
 * jobs, killed ones included, under the table's forced row-level security.
 */
const dir = path.resolve("src/platform/db/migrations");
const files = fs.readdirSync(dir).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort();

describe("0060_job_cancel.sql", () => {
  it("keeps the purge's delete policy for the role that owns the purge, whoever runs the migration", async () => {
    const pg = await PGlite.create();
    try {
      for (const f of files.filter((x) => x < "0060")) await pg.exec(fs.readFileSync(path.join(dir, f), "utf8"));
      // As if 0010 had been run by the schema owner, and this upgrade by a superuser.
      await pg.exec(`CREATE ROLE vd_schema_owner;
        ALTER FUNCTION vd_jobs_purge(timestamptz, integer) OWNER TO vd_schema_owner;
        ALTER POLICY runner_purge ON job_statuses TO vd_schema_owner;`);
      await pg.exec(fs.readFileSync(path.join(dir, "0060_job_cancel.sql"), "utf8"));
      const r = await pg.query<{ roles: string }>(`SELECT roles::text AS roles FROM pg_policies WHERE tablename = 'job_statuses' AND policyname = 'runner_purge'`);
      expect(r.rows.map((x) => x.roles)).toEqual(["{vd_schema_owner}"]);
      const q = await pg.query<{ qual: string }>(`SELECT qual FROM pg_policies WHERE tablename = 'job_statuses' AND policyname = 'runner_purge'`);
      expect(q.rows[0]!.qual).toContain("killed");
    } finally {
      await pg.close();
    }
  }, 120_000);
});
