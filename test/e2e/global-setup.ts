import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/**
 * The browser suite tests the pages as they are now: build web/ before it runs (about 2 s), into a
 * folder of this run's own, so it neither replaces the web/dist a running server is serving nor
 * races another run. The servers the suite starts inherit VAULTDESK_WEB_DIST.
 */
export default function setup(): () => void {
  const dist = path.resolve(".test-cache", `web-dist-${process.pid}`);
  fs.rmSync(dist, { recursive: true, force: true });
  const r = spawnSync(process.execPath, ["scripts/build-web.mjs", "--strict", "--logLevel", "warn", "--outDir", dist], { stdio: "inherit" });
  if (r.status !== 0) throw new Error("building the web app failed (node scripts/build-web.mjs)");
  process.env.VAULTDESK_WEB_DIST = dist;
  return () => fs.rmSync(dist, { recursive: true, force: true });
}
