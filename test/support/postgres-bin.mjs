// Where PostgreSQL's server binaries are: shared by the tests (test/support/pg-cluster.ts) and by
// scripts/run-postgres-suite.mjs, which runs the PostgreSQL server suite only when they are found
// (or TEST_DATABASE_URL is set). Plain JavaScript so the script can import it without a loader.
import fs from "node:fs";
import path from "node:path";

const DEBIAN_ROOT = "/usr/lib/postgresql";

/**
 * The folder holding `initdb` and `pg_ctl`, or undefined when PostgreSQL's server binaries are not
 * installed:
 *  - TEST_POSTGRES_BIN when set (and only it: a folder without `initdb` there means "none", which
 *    is also how to try the suite's runner as on a machine without PostgreSQL);
 *  - else the newest Debian/Ubuntu version, /usr/lib/postgresql/<version>/bin;
 *  - else the first folder on PATH with `initdb` and `pg_ctl` (Fedora, Arch, Homebrew).
 */
export function findPostgresBin() {
  const has = (dir) => fs.existsSync(path.join(dir, "initdb")) && fs.existsSync(path.join(dir, "pg_ctl"));
  const chosen = process.env.TEST_POSTGRES_BIN;
  if (chosen) return has(chosen) ? path.resolve(chosen) : undefined;
  if (fs.existsSync(DEBIAN_ROOT)) {
    const versions = fs
      .readdirSync(DEBIAN_ROOT)
      .filter((v) => has(path.join(DEBIAN_ROOT, v, "bin")))
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
    if (versions.length) return path.join(DEBIAN_ROOT, versions[0], "bin");
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) if (dir && has(dir)) return path.resolve(dir);
  return undefined;
}

/** Where findPostgresBin looked, for messages. */
export function postgresBinPlaces() {
  const chosen = process.env.TEST_POSTGRES_BIN;
  return chosen ? `no initdb and pg_ctl in TEST_POSTGRES_BIN=${chosen}` : `no ${DEBIAN_ROOT}/*/bin/initdb, no initdb and pg_ctl on PATH`;
}

/** Why a test that needs a cluster of its own cannot run; `orDatabaseUrl`: TEST_DATABASE_URL would do instead. */
export function missingPostgresMessage(orDatabaseUrl = false) {
  return (
    `PostgreSQL's server binaries are not installed (${postgresBinPlaces()}). This test starts a PostgreSQL cluster ` +
    `of its own${orDatabaseUrl ? " when TEST_DATABASE_URL is not set" : ""}: install Debian's postgresql package (apt-get install postgresql), ` +
    `set TEST_POSTGRES_BIN to the folder holding initdb and pg_ctl${orDatabaseUrl ? ", set TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on" : ""}, ` +
    "or run bash .ci/run, which installs it."
  );
}

/** `pg_dump` next to the server binaries, else the first on PATH; throws, saying what to install, when there is none. */
export function findPgDump() {
  const bin = findPostgresBin();
  if (bin && fs.existsSync(path.join(bin, "pg_dump"))) return path.join(bin, "pg_dump");
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) if (dir && fs.existsSync(path.join(dir, "pg_dump"))) return path.join(dir, "pg_dump");
  throw new Error(`pg_dump is not installed (${postgresBinPlaces()}, no pg_dump on PATH): install Debian's postgresql package (apt-get install postgresql), or postgresql-client for a server elsewhere.`);
}
