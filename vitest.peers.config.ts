import { defineConfig } from "vitest/config";

/**
 * The peers suite (`npm run test:peers`): tests that start a real program of another project on
 * loopback — today ClamAV's daemon (Debian's clamav-daemon) for malware scanning, Debian's nginx as a
 * reverse proxy (client addresses and IP restrictions), SimpleSAMLphp, and ClamAV also seen through
 * the workspace in Debian's Chromium (`*.browser.test.ts`, which build the web app first). Kept out of the
 * default suite (vitest.config.ts excludes test/peers), so `npm test` passes with only Node; `npm
 * test` runs it when the programs are installed and says loudly when they are not
 * (scripts/run-peers-suite.mjs). Same global setup as the default suite.
 */
export default defineConfig({
  test: {
    include: ["test/peers/**/*.test.ts"],
    globalSetup: ["test/support/binary-setup.ts", "test/support/global-setup.ts", "test/e2e/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ["default"],
  },
});
