import { defineConfig } from "vitest/config";

/**
 * The browser suite (`npm run test:e2e`): the real server as a child process, Debian's Chromium
 * driven by playwright-core. Kept out of the default suite (vitest.config.ts excludes test/e2e);
 * `npm test` runs it after the default suite when Chromium is present (scripts/run-e2e.mjs).
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    globalSetup: ["test/support/binary-setup.ts", "test/e2e/global-setup.ts"],
    testTimeout: 120_000,
    // expect.poll waits for a page to settle: 1 s by default, which a loaded machine overran (a
    // view's first page of 25 rows, a list's count after an assignment). As long as `visible` waits
    // (support.ts); a poll still fails when the page never gets there.
    expect: { poll: { timeout: 20_000, interval: 100 } },
    hookTimeout: 120_000,
    // One browser and one server at a time: the machine has two cores, shared with other work.
    maxWorkers: 1,
    fileParallelism: false,
  },
});
