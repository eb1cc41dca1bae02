import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { freshPostgresDatabase } from "../support/postgres-database.ts";
import { cliWith } from "../support/process.ts";

/**
 * The commands on PostgreSQL (DATABASE_URL), with real processes: `vaultdesk init` creates the
 * schema in an empty database, and no command needs or creates a data folder — nor a master key
 * (test/data-folder.test.ts covers the data folder without DATABASE_URL).
 */

describe("commands with DATABASE_URL", () => {
  it("with DATABASE_URL the commands need no data folder, and init creates the schema", async () => {
    const database = await freshPostgresDatabase({ migrated: false });
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "vd-df-"));
    try {
      // No data folder in `cwd` (VAULTDESK_DATA_DIR unset: the default ./vaultdesk-data), the database empty.
      const env = { VAULTDESK_DATA_DIR: "", DATABASE_URL: database.url, VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64") };
      const init = await cliWith(env, ["init"], { cwd });
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toMatch(/^Created the Vaultdesk schema in the PostgreSQL database of DATABASE_URL \(\d+ migrations\)\.$/m);
      const created = await cliWith(env, ["tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test"], { cwd });
      expect(created.code, created.stderr).toBe(0);
      expect((await cliWith(env, ["tenant", "list"], { cwd })).stdout).toMatch(/^acme\tactive/m);
      expect(fs.readdirSync(cwd)).toEqual([]);
      // Without the master key (no VAULTDESK_MASTER_KEY, no key file) a command refuses rather than making a new one.
      const keyless = await cliWith({ ...env, VAULTDESK_MASTER_KEY: "" }, ["tenant", "list"], { cwd });
      expect(keyless.code).not.toBe(0);
      expect(keyless.stderr).toContain(`There is no master key: VAULTDESK_MASTER_KEY is not set and ${path.join(cwd, "vaultdesk-data", "master.key")} does not exist.`);
      expect(fs.readdirSync(cwd)).toEqual([]);
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
      await database.drop();
    }
  }, 120_000);

  it("migrate names the migrations it applied, then says the database is up to date", async () => {
    const database = await freshPostgresDatabase({ migrated: false });
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "vd-df-"));
    try {
      const env = { VAULTDESK_DATA_DIR: "", DATABASE_URL: database.url, VAULTDESK_MASTER_KEY: crypto.randomBytes(32).toString("base64") };
      expect((await cliWith(env, ["init"], { cwd })).code).toBe(0);
      // A database one migration behind: 0052 undone (its column and key as before it) and forgotten.
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query(`ALTER TABLE search_postings DROP CONSTRAINT search_postings_pkey`);
        await client.query(`ALTER TABLE search_postings DROP COLUMN len`);
        await client.query(`ALTER TABLE search_postings ADD CONSTRAINT search_postings_pkey PRIMARY KEY (tenant_id, term, nice_id, internal) INCLUDE (tf)`);
        await client.query(`DELETE FROM vd_migrations WHERE name = '0052_search_postings_len.sql'`);
      } finally {
        await client.end();
      }
      const first = await cliWith(env, ["migrate"], { cwd });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout.trim()).toBe("applied: 0052_search_postings_len.sql");
      const again = await cliWith(env, ["migrate"], { cwd });
      expect(again.stdout.trim()).toBe("database is up to date");
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
      await database.drop();
    }
  }, 120_000);
});
