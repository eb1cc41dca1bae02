#!/usr/bin/env node
// Runs the PostgreSQL server suite (vitest.postgres.config.ts) when PostgreSQL's server binaries
// are installed or TEST_DATABASE_URL names a server; says so, loudly, when neither is there, and
// exits 0 so `npm test` passes on a machine with only Node (as scripts/run-e2e.mjs does for Chromium).
//   --check  runs nothing: exits 1 when the suite would be skipped (.ci/run uses it, so CI never skips).
// TEST_POSTGRES_BIN names the folder of initdb/pg_ctl (see test/support/postgres-bin.mjs); pointing
// it at a folder without them (TEST_POSTGRES_BIN=/nonexistent) shows what a machine without
// PostgreSQL gets.
import { spawnSync } from "node:child_process";
import { findPostgresBin, postgresBinPlaces } from "../test/support/postgres-bin.mjs";

const bin = findPostgresBin();
const url = process.env.TEST_DATABASE_URL;
const check = process.argv.includes("--check");

if (!bin && !url) {
  const line =
    `PostgreSQL server tests SKIPPED: no PostgreSQL server binaries (${postgresBinPlaces()}) and TEST_DATABASE_URL is not set. ` +
    `Install Debian's "postgresql" package (apt-get install postgresql) or set TEST_DATABASE_URL=postgres://user@host:5432/postgres ` +
    `(or TEST_POSTGRES_BIN to the folder holding initdb and pg_ctl), then run npm run test:postgres.`;
  if (check) {
    console.error(line);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}

const where = [bin ? `server binaries in ${bin}` : "no server binaries: the restart test will fail, saying what to install", url ? "fresh databases on TEST_DATABASE_URL's server" : "a throw-away cluster per test"];
console.log(`PostgreSQL server tests: ${where.join("; ")}.`);
if (check) process.exit(0);
const r = spawnSync("npx", ["vitest", "run", "--config", "vitest.postgres.config.ts"], { stdio: "inherit" });
process.exit(r.status ?? 1);
