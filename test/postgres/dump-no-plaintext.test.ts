import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/platform/db/database.ts";
import { startTestApp } from "../support/harness.ts";
import { acceptingMailer, atRestEnv, expectAbsent, expectControlFound, expectEverySealedColumnWritten, writeEverything } from "../support/at-rest.ts";
import { freshPostgresDatabase } from "../support/postgres-database.ts";
import { findPgDump } from "../support/postgres-bin.mjs";

/**
 * Content and personal data never reach PostgreSQL in clear: the writes of the no-plaintext-at-rest
 * test (test/no-plaintext-at-rest.test.ts searches PGlite's folder) through every sealed column,
 * then a pg_dump of the database: no marker or e-mail address in it, while the control tag (stored
 * in clear by design) is found. Runs in every run of the PostgreSQL server suite.
 */

const run = promisify(execFile);

describe("no plaintext at rest on PostgreSQL", () => {
  it("leaves no marker or e-mail address in a pg_dump of the PostgreSQL database", async () => {
    const pgDump = findPgDump();
    const database = await freshPostgresDatabase({ migrated: true });
    try {
      const db = await openDatabase({ kind: "postgres", url: database.url, poolSize: 20 });
      try {
        const t = await startTestApp({ db, mailer: acceptingMailer, env: atRestEnv });
        try {
          await expectEverySealedColumnWritten(t, await writeEverything(t));
        } finally {
          await t.close();
        }
      } finally {
        await db.close();
      }
      const { stdout: dump } = await run(pgDump, ["--no-owner", database.url], { encoding: "buffer", maxBuffer: 512 * 1024 * 1024 });
      expect(dump.length, `pg_dump of a database on ${database.where}`).toBeGreaterThan(1000);
      expectAbsent(dump, "pg_dump");
      expectControlFound(dump, "pg_dump");
    } finally {
      await database.drop();
    }
  }, 120_000);
});
