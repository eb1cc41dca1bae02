import fs from "node:fs";
import path from "node:path";
import type { Config } from "./config.ts";
import { Keyring } from "./crypto/keyring.ts";
import { loadMasterKey } from "./crypto/master-key.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { acquireDataLock, type DataLock } from "./data-lock.ts";

/**
 * What a process needs to act on a Vaultdesk installation: the database (PGlite in the data
 * folder, or PostgreSQL through DATABASE_URL), the keyring, and for PGlite the folder's lock.
 */
export interface Runtime {
  readonly config: Config;
  readonly db: Database;
  readonly keyring: Keyring;
  readonly masterKeyCreated: boolean;
  /** Where the server of this process listens, once it does (for messages such as sign-in URLs). */
  listenPort: number | undefined;
  close(): Promise<void>;
}

export async function openRuntime(config: Config, opts: { migrate: boolean }): Promise<Runtime> {
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const { provider, created } = loadMasterKey(config.dataDir, config.masterKeyBase64);
  let lock: DataLock | undefined;
  let db: Database;
  if (config.databaseUrl) {
    db = await openDatabase({ kind: "postgres", url: config.databaseUrl, poolSize: config.dbPoolSize });
  } else {
    lock = acquireDataLock(config.dataDir);
    try {
      db = await openDatabase({ kind: "pglite", dataDir: path.join(config.dataDir, "pgdata") });
    } catch (e) {
      lock.release();
      throw e;
    }
  }
  try {
    if (opts.migrate) await db.migrate();
    else await db.checkSchema();
  } catch (e) {
    await db.close();
    lock?.release();
    throw e;
  }
  return {
    config,
    db,
    keyring: new Keyring(provider),
    masterKeyCreated: created,
    listenPort: undefined,
    async close() {
      await db.close();
      lock?.release();
    },
  };
}
