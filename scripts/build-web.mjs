#!/usr/bin/env node
// Builds the web app into web/dist with Vite. `npm install` runs it (the `prepare` script), so
// `npm install && npm start` needs nothing else. Without Vite (an install that left out the dev
// dependencies) it says what to do instead of failing the install; the server then answers its
// pages with the same advice.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, "package.json"));
let viteBin;
try {
  viteBin = path.join(path.dirname(require.resolve("vite/package.json")), "bin", "vite.js");
} catch {
  console.warn("web app NOT built: Vite is not installed (dev dependencies left out?). Run `npm install` with dev dependencies, then `npm run build:web`.");
  process.exit(process.argv.includes("--strict") ? 1 : 0);
}
const extra = process.argv.slice(2).filter((a) => a !== "--strict");
const r = spawnSync(process.execPath, [viteBin, "build", "--config", path.join(root, "web", "vite.config.ts"), ...extra], { stdio: "inherit", cwd: root });
if (r.status === 0) console.log(`web app built into ${extra.includes("--outDir") ? extra[extra.indexOf("--outDir") + 1] : "web/dist"}`);
process.exit(r.status ?? 1);
