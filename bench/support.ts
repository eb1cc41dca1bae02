/**
 * What the benchmarks share: a database of their own on PostgreSQL, and the CLI run with a
 * benchmark's environment.
 */
import pg from "pg";
import { cli } from "../test/support/process.ts";

/** On PostgreSQL (an admin URL), a database of its own named `<prefix>_<time>`, dropped by `drop`; on PGlite (none), nothing (the data folder holds it). */
export async function freshDatabase(adminUrl: string | undefined, prefix = "vd_bench"): Promise<{ dbUrl: string | undefined; drop: () => Promise<void> }> {
  if (!adminUrl) return { dbUrl: undefined, drop: async () => {} };
  const name = `${prefix}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on("error", (e) => console.error("admin connection:", e.message));
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    dbUrl: u.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** `vaultdesk <args>` on a data folder with the benchmark's environment added; its output, or an error with what it printed to stderr. */
export async function cliWith(env: Record<string, string>, dataDir: string, ...args: string[]): Promise<string> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const r = await cli(dataDir, ...args);
    if (r.code !== 0) throw new Error(`vaultdesk ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}
