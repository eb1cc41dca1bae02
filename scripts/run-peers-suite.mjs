#!/usr/bin/env node
// Runs the peers suite (vitest.peers.config.ts: real programs of other projects on loopback, today
// ClamAV's daemon) when those programs are installed; says so, loudly, when they are not, and exits
// 0 so `npm test` passes on a machine with only Node (as scripts/run-e2e.mjs does for Chromium).
//   --check  runs nothing: exits 1 when the suite would be skipped (.ci/run uses it, so CI never skips).
// TEST_CLAMD names the clamd binary; TEST_CLAMD=/nonexistent shows what a machine without it gets.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const check = process.argv.includes("--check");
const places = process.env.TEST_CLAMD ? [process.env.TEST_CLAMD] : ["/usr/sbin/clamd", "/usr/bin/clamd"];
const clamd = places.find((p) => fs.existsSync(p));
// The browser tests of the suite (scanned files in the workspace) need Debian's Chromium too.
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

if (!clamd || !fs.existsSync(chromium)) {
  const line = !clamd
    ? `Peer tests SKIPPED: no clamd (looked at ${places.join(", ")}). Install Debian's "clamav-daemon" package ` +
      `(apt-get install clamav-daemon; no signature download is needed: the tests write their own), or set TEST_CLAMD ` +
      `to the clamd binary, then run npm run test:peers.`
    : `Peer tests SKIPPED: no Chromium at ${chromium} (the suite's browser tests need it). Install Debian's "chromium" package or set CHROMIUM_PATH, then run npm run test:peers.`;
  if (check) {
    console.error(line);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}
console.log(`Peer tests: clamd at ${clamd}.`);
if (check) process.exit(0);
const r = spawnSync("npx", ["vitest", "run", "--config", "vitest.peers.config.ts"], { stdio: "inherit", env: { ...process.env, TEST_CLAMD: clamd } });
process.exit(r.status ?? 1);
