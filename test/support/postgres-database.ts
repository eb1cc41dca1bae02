import crypto from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { openDatabase, type Database } from "../../src/platform/db/database.ts";
import { startThrowawayPostgres, type PgCluster } from "./pg-cluster.ts";
import { findPostgresBin, missingPostgresMessage } from "./postgres-bin.mjs";

/**
 * A PostgreSQL database of one test's own, for the PostgreSQL server suite (test/postgres/):
 *  - with TEST_DATABASE_URL (the run's PostgreSQL, see global-setup.ts): a fresh database on that
 *    server, dropped by `drop`;
 *  - without it: a throw-away cluster of the test's own (pg-cluster.ts), destroyed by `drop`;
 *    without PostgreSQL's server binaries that fails, saying what to install.
 * `migrated: true` applies the schema first; `false` leaves the database empty (as a new install's).
 */
export interface PostgresTestDatabase {
  /** Connection URL of the database (a superuser, as Vaultdesk's own tests and `vaultdesk init` need). */
  readonly url: string;
  /** Where it is, for failure messages: "TEST_DATABASE_URL's server" or "a throw-away cluster". */
  readonly where: string;
  /** Drops the database (or destroys the cluster). Close every connection to it first. */
  drop(): Promise<void>;
}

/** Runs one statement on TEST_DATABASE_URL's server (CREATE or DROP DATABASE), on a connection of its own. */
async function admin(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: inject("postgresAdminUrl") });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

/**
 * A copy of the run's migrated database (global-setup.ts), for one test file's app(s); closing
 * it drops the copy. Copies are made from a template nobody is connected to, so several files
 * can make theirs at once.
 */
export async function copyOfRunDatabase(poolSize: number): Promise<Database> {
  const template = new URL(inject("postgresUrl"));
  const name = `${template.pathname.slice(1)}_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
  await admin(`CREATE DATABASE ${name} TEMPLATE ${template.pathname.slice(1)}`);
  const u = new URL(template);
  u.pathname = `/${name}`;
  const db = await openDatabase({ kind: "postgres", url: u.toString(), poolSize });
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  return db;
}

export async function freshPostgresDatabase(opts: { migrated: boolean }): Promise<PostgresTestDatabase> {
  const runUrl = inject("postgresUrl");
  let result: PostgresTestDatabase;
  if (runUrl) {
    const name = `vd_pg_${Date.now()}_${crypto.randomBytes(3).toString("hex")}`;
    await admin(`CREATE DATABASE ${name}`);
    const u = new URL(runUrl);
    u.pathname = `/${name}`;
    result = { url: u.toString(), where: "TEST_DATABASE_URL's server", drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  } else {
    if (!findPostgresBin()) throw new Error(missingPostgresMessage(true));
    const cluster: PgCluster = await startThrowawayPostgres();
    result = { url: cluster.url, where: "a throw-away cluster", drop: () => cluster.destroy() };
  }
  if (opts.migrated) {
    try {
      const db = await openDatabase({ kind: "postgres", url: result.url, poolSize: 2 });
      try {
        await db.migrate();
      } finally {
        await db.close();
      }
    } catch (e) {
      await result.drop();
      throw e;
    }
  }
  return result;
}
