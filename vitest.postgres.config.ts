import { defineConfig } from "vitest/config";

/**
 * The PostgreSQL server suite (`npm run test:postgres`): tests that need a real PostgreSQL server —
 * a restart under load, two processes sharing jobs and rate limits, a pg_dump, the commands with
 * DATABASE_URL. Each test takes a fresh database on TEST_DATABASE_URL's server when it is set, else
 * a throw-away cluster of its own (test/support/postgres-database.ts; the restart test always has
 * its own cluster), so it needs PostgreSQL's server binaries or TEST_DATABASE_URL. Kept out of the
 * default suite (vitest.config.ts excludes test/postgres); `npm test` runs it after the default
 * suite when either is there (scripts/run-postgres-suite.mjs). Same global setup as the default
 * suite, so `inject("postgresUrl")` answers the same.
 */
export default defineConfig({
  test: {
    include: ["test/postgres/**/*.test.ts"],
    globalSetup: ["test/support/binary-setup.ts", "test/support/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: more workers than that only adds contention (the restart test times recoveries).
    maxWorkers: 2,
    reporters: ["default"],
  },
});
