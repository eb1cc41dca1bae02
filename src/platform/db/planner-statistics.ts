import { sql } from "kysely";
import type { MaintenanceTask } from "../jobs/job-runner.ts";
import type { Database } from "./database.ts";

/**
 * Planner statistics on the embedded database. PostgreSQL's autovacuum analyzes a table once
 * enough of it changed; PGlite has no autovacuum, so without this a young tenant's tables keep
 * the statistics of when they were empty and the planner picks plans that read every row (a
 * ticket list at 800 tickets took over 100 ms before an ANALYZE, 10 ms after). The upkeep
 * analyzes each table of the schema in its own statement (the single connection serves other
 * work between them): at start, then every half hour.
 */
export async function analyzeTables(db: Database): Promise<number> {
  const tables = await sql<{ relname: string }>`
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`.execute(db.owner);
  for (const t of tables.rows) await sql`ANALYZE ${sql.id(t.relname)}`.execute(db.owner);
  return tables.rows.length;
}

export function plannerStatistics(db: Database): MaintenanceTask[] {
  return db.kind === "pglite" ? [{ name: "db.analyze", everyMs: 30 * 60_000, run: () => analyzeTables(db).then(() => undefined) }] : [];
}
