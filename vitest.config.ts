import { defineConfig } from "vitest/config";

/**
 * The default suite (`vitest run`, the first step of `npm test`): needs nothing but Node — it runs
 * on PGlite, or on a database of its own on TEST_DATABASE_URL's server when that is set. Tests
 * that need a PostgreSQL server (test/postgres), another project's program such as clamd
 * (test/peers) or a browser (test/e2e) are suites of their own: vitest.postgres.config.ts,
 * vitest.peers.config.ts and vitest.e2e.config.ts.
 */
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["test/e2e/**", "test/postgres/**", "test/peers/**", "node_modules/**"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more workers than that only adds contention.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
