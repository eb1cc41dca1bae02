import { spawnSync } from "node:child_process";

/** The browser suite tests the pages as they are now: build web/ before it runs (about 2 s). */
export default function setup(): void {
  const r = spawnSync(process.execPath, ["scripts/build-web.mjs", "--strict", "--logLevel", "warn"], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("building the web app failed (node scripts/build-web.mjs)");
}
