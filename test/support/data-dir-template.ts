import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { secureDataDir } from "../../src/platform/data-dir.ts";
import { listMigrations, openDatabase } from "../../src/platform/db/database.ts";

/**
 * A data folder for the binary's tests (server and CLI child processes, the browser suite) that
 * starts as a folder the server has already made: its embedded database created and migrated.
 *
 * Creating a PGlite cluster (initdb inside WASM) and migrating it is most of a first start; a test
 * that is not about the first start pays it for nothing, once per server it starts on a new folder.
 * The cluster is made once per set of migrations, in .test-cache/ (keyed by their hash, as the
 * in-process tests' template in global-setup.ts), and each folder gets a copy of it and a master
 * key of its own. With no account in it, nothing is sealed yet, so any key fits.
 *
 * Tests about the first start itself (data-folder.test.ts) use an empty folder instead.
 */

function templateDir(): string {
  const hash = crypto.createHash("sha256").update(listMigrations().map((m) => m.name + m.sql).join("\0")).digest("hex").slice(0, 16);
  return path.resolve(".test-cache", `datadir-template-${hash}`);
}

/** Made at most once at a time per process; another process making it at the same time is harmless (the first rename wins). */
let making: Promise<string> | undefined;

async function template(): Promise<string> {
  const dir = templateDir();
  if (fs.existsSync(path.join(dir, "pgdata", "PG_VERSION"))) return dir;
  making ??= (async () => {
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = `${dir}.tmp-${process.pid}-${crypto.randomBytes(3).toString("hex")}`;
    fs.mkdirSync(tmp, { mode: 0o700 });
    const db = await openDatabase({ kind: "pglite", dataDir: path.join(tmp, "pgdata") });
    try {
      await db.migrate();
    } finally {
      await db.close();
    }
    // As the server leaves it: private (PGlite writes some files 0666 and the server narrows them).
    secureDataDir(tmp);
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      // Another worker's rename came first: theirs is the same template.
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(path.join(dir, "pgdata", "PG_VERSION"))) throw e;
    }
    return dir;
  })().finally(() => {
    making = undefined;
  });
  return making;
}

/** A new private folder under the system's temporary folder, holding a migrated embedded database and a master key of its own. */
export async function seededDataDir(prefix = "vd-"): Promise<string> {
  const from = await template();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o700);
  fs.cpSync(path.join(from, "pgdata"), path.join(dir, "pgdata"), { recursive: true });
  fs.writeFileSync(path.join(dir, "master.key"), crypto.randomBytes(32).toString("base64") + "\n", { mode: 0o600 });
  secureDataDir(dir);
  return dir;
}
