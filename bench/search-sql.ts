/**
 * The search statements alone against the baseline's, like for like (the results' `sql`), on the
 * kept databases of a search benchmark run (`BENCH_KEEP_DATABASES=1 npm run bench -- --search …`
 * prints DATABASE_URL, VAULTDESK_MASTER_KEY and the baseline's URL):
 *
 *   DATABASE_URL=… VAULTDESK_MASTER_KEY=… BASELINE_URL=… node --import tsx bench/search-sql.ts bench/results/search.json [rounds]
 *
 * The queries are the results file's; prints the same object the benchmark stores as `sql`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import pg from "pg";
import { loadConfig } from "../src/platform/config.ts";
import { openRuntime } from "../src/platform/runtime.ts";
import { BASE_SQL, sqlLatency } from "./search.ts";

const file = process.argv[2];
if (!file || !process.env.DATABASE_URL || !process.env.BASELINE_URL) throw new Error("usage: DATABASE_URL=… VAULTDESK_MASTER_KEY=… BASELINE_URL=… node --import tsx bench/search-sql.ts <results.json> [rounds]");
const queries = (JSON.parse(fs.readFileSync(file, "utf8")) as { postgres: { queries: Record<string, string[]> } }).postgres.queries;
const rounds = Number(process.argv[3] ?? 11);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-search-sql-"));
const cfg = loadConfig({ ...process.env, VAULTDESK_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
const basePool = new pg.Pool({ connectionString: process.env.BASELINE_URL, max: 1 });
try {
  const rt = await openRuntime(cfg, { migrate: false });
  const big = await rt.db.system(async (db) => (await sql<{ id: string }>`SELECT id FROM tenants WHERE subdomain = 'big'`.execute(db)).rows[0]?.id);
  await rt.close();
  if (!big) throw new Error("no tenant 'big': not a search benchmark database");
  const kinds = Object.keys(queries).filter((k) => queries[k]!.length > 0);
  console.log(JSON.stringify(await sqlLatency(cfg, big, queries, kinds, basePool, BASE_SQL, rounds), null, 2));
} finally {
  await basePool.end();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
