import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { listMigrations, openDatabase } from "../../src/platform/db/database.ts";

/**
 * Prepares the database every test file starts from.
 *  - PGlite (default): one migrated template, dumped to .test-cache/ and keyed by the migrations'
 *    hash; each test file loads it into an in-memory PGlite (about 1 s instead of a 6 s initdb).
 *  - PostgreSQL (TEST_DATABASE_URL): a database for this run, migrated once; each test file's
 *    database is a copy of it (`CREATE DATABASE … TEMPLATE`, see postgres-database.ts), so that
 *    one file's job runner, upkeep or clock never touches another file's tenants (each test app
 *    has a master key of its own, and could not open them anyway). All are dropped after the run.
 */
declare module "vitest" {
  export interface ProvidedContext {
    pgliteTemplate: string;
    /** The run's migrated database on TEST_DATABASE_URL's server: a template, never connected to by tests. */
    postgresUrl: string;
    /** TEST_DATABASE_URL itself, for CREATE and DROP DATABASE (connecting to the template would block its copies). */
    postgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const name = `vd_test_${Date.now()}_${crypto.randomBytes(3).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${name}`;
    const db = await openDatabase({ kind: "postgres", url: u.toString(), poolSize: 2 });
    await db.migrate();
    await db.close();
    project.provide("postgresUrl", u.toString());
    project.provide("postgresAdminUrl", url);
    project.provide("pgliteTemplate", "");
    return async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      // The test files' copies (named after the run's database) that a crashed file left behind, then the template.
      const copies = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", [`${name}_`]);
      for (const r of copies.rows) await c.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`);
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const hash = crypto.createHash("sha256").update(listMigrations().map((m) => m.name + m.sql).join("\0")).digest("hex").slice(0, 16);
  const dir = path.resolve(".test-cache");
  const file = path.join(dir, `pglite-template-${hash}.tar.gz`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const db = await openDatabase({ kind: "pglite" });
    await db.migrate();
    const blob = await db.dumpDataDir!();
    fs.writeFileSync(file + ".tmp", Buffer.from(await blob.arrayBuffer()));
    fs.renameSync(file + ".tmp", file);
    await db.close();
  }
  project.provide("pgliteTemplate", file);
  project.provide("postgresUrl", "");
  project.provide("postgresAdminUrl", "");
}
