import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./process.ts";
import { findPostgresBin, missingPostgresMessage } from "./postgres-bin.mjs";

/**
 * A throw-away PostgreSQL cluster of a test's own: `initdb` into a temporary folder, `pg_ctl`
 * start and stop on a free loopback port, with the binaries findPostgresBin finds (Debian's
 * /usr/lib/postgresql/<v>/bin, TEST_POSTGRES_BIN, or PATH).
 * Run as root, the binaries run as the `postgres` OS user (PostgreSQL refuses to run as root).
 * Without the binaries `startThrowawayPostgres` throws, naming the package to install: a test
 * that needs a cluster fails instead of disappearing.
 */
const run = promisify(execFile);

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication on loopback). */
  readonly url: string;
  readonly port: number;
  /** Starts the cluster again after a stop (waits until it accepts connections). */
  start(): Promise<void>;
  /** `pg_ctl stop -m fast` (ends sessions with 57P01) or `-m immediate` (no shutdown at all; recovery at the next start). */
  stop(mode: "fast" | "immediate"): Promise<void>;
  /** Stops the cluster (if running) and removes its folder. */
  destroy(): Promise<void>;
}

function postgresUser(): { uid: number; gid: number } {
  const line = fs
    .readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("running as root, but there is no 'postgres' OS user to run PostgreSQL as (Debian's postgresql package creates it)");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startThrowawayPostgres(): Promise<PgCluster> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(missingPostgresMessage());
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? postgresUser() : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-pg-"));
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  const data = path.join(dir, "data");
  const port = await freePort();
  const exec = (file: string, args: string[]) =>
    run(path.join(bin, file), args, { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", LC_ALL: "C" }, ...(owner ?? {}), timeout: 60_000 });
  await exec("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "--no-instructions", "-E", "UTF8"]);
  // Loopback only, the socket in the cluster's own folder; small, so several can run side by side.
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c max_connections=50 -c shared_buffers=16MB`;
  let running = false;
  const start = async () => {
    await exec("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "-t", "30", "start"]);
    running = true;
  };
  const stop = async (mode: "fast" | "immediate") => {
    await exec("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "30", "stop"]);
    running = false;
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    async destroy() {
      if (running) await stop("immediate").catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
