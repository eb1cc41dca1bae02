import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";

/** Tests of one migration on an installation that ran the ones before it (an upgrade), on a PGlite of their own. */

const dir = path.resolve("src/platform/db/migrations");
const files = fs.readdirSync(dir).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort();

/** Runs one migration file (by its name, e.g. 0065_automations.sql) on `pg`. */
export const runMigration = async (pg: PGlite, file: string): Promise<void> => void (await pg.exec(fs.readFileSync(path.join(dir, file), "utf8")));

/** A new embedded database with every migration before the one named `before` (its number, e.g. "0065") run. The caller closes it. */
export async function databaseBefore(before: string): Promise<PGlite> {
  const pg = await PGlite.create();
  for (const f of files.filter((x) => x < before)) await runMigration(pg, f);
  return pg;
}
