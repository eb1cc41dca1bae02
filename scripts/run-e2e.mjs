#!/usr/bin/env node
// Runs the browser suite when Debian's Chromium (or CHROMIUM_PATH) is present; says so when not.
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!fs.existsSync(chromium)) {
  console.log(`Browser tests SKIPPED: no Chromium at ${chromium}. Install Debian's "chromium" package or set CHROMIUM_PATH, then run npm run test:e2e.`);
  process.exit(0);
}
const r = spawnSync("npx", ["vitest", "run", "--config", "vitest.e2e.config.ts"], { stdio: "inherit" });
process.exit(r.status ?? 1);
