import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { openDatabase } from "../src/platform/db/database.ts";
import { startTestApp } from "./support/harness.ts";
import { acceptingMailer, atRestEnv, expectAbsent, expectControlFound, expectEverySealedColumnWritten, writeEverything } from "./support/at-rest.ts";
import { pairRows } from "./support/search-pairs.ts";

/**
 * Content and personal data never reach storage in clear: a marker and an e-mail address written
 * through the API appear nowhere in the PGlite folder (WAL included), while a tag (stored in clear
 * by design) is found — proof the scan sees the data. Words written for the search index, and the
 * stems, accent-free forms and CJK bigrams it derives from them, are searched for too (SEARCH_NEEDLES), and
 * so are the names and addresses written for the name index of people and organizations, with the
 * prefixes and words it derives from them (NAME_NEEDLES).
 * The same writes searched for in a pg_dump of
 * PostgreSQL: test/postgres/dump-no-plaintext.test.ts (the PostgreSQL server suite).
 */

function readTree(dir: string): Buffer[] {
  const out: Buffer[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...readTree(p));
    else if (e.isFile()) out.push(fs.readFileSync(p));
  }
  return out;
}

describe("no plaintext at rest", () => {
  it("leaves no marker or e-mail address in the PGlite data folder", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-rest-"));
    try {
      const template = inject("pgliteTemplate") || undefined;
      const db = await openDatabase({ kind: "pglite", dataDir: dir, ...(template ? { loadDataDir: new Blob([fs.readFileSync(template)]) } : {}) });
      if (!template) await db.migrate();
      const t = await startTestApp({ db, mailer: acceptingMailer, env: atRestEnv });
      const tenantId = await writeEverything(t);
      await expectEverySealedColumnWritten(t, tenantId);
      // The name index of people and organizations holds rows (of hashes only: NAME_NEEDLES are searched for below).
      const nameRows = await t.db.tenant(tenantId, async (tx) => [(await tx.db.selectFrom("search_user_names").select("term").execute()).length, (await tx.db.selectFrom("search_organization_names").select("term").execute()).length]);
      expect(nameRows[0]).toBeGreaterThan(50);
      expect(nameRows[1]).toBeGreaterThan(10);
      // The text index's postings and phrase pairs (0051) hold rows too, of hashes only.
      const textRows = await t.db.tenant(tenantId, async (tx) => [(await tx.db.selectFrom("search_postings").select("term").execute()).length, (await pairRows(tx.db)).length]);
      expect(textRows[0]).toBeGreaterThan(50);
      expect(textRows[1]).toBeGreaterThan(50);
      // The blob folder (attached files), read before the app removes its data folder.
      const blobs = readTree(t.config.blobDir);
      expect(blobs.length).toBeGreaterThan(0);
      expectAbsent(Buffer.concat(blobs), "the blob folder");
      await t.close();
      await db.close();
      const files = readTree(dir);
      expect(files.length).toBeGreaterThan(10);
      const all = Buffer.concat(files);
      expectAbsent(all, "the PGlite folder");
      expectControlFound(all, "the PGlite folder");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
