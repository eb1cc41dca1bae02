import fs from "node:fs";
import path from "node:path";
import type { Config } from "./config.ts";
import { Keyring } from "./crypto/keyring.ts";
import { loadMasterKey } from "./crypto/master-key.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { acquireDataLock, type DataLock } from "./data-lock.ts";
import { describeFixes, secureDataDir } from "./data-dir.ts";
import type { SupportPasses } from "./http/support-passes.ts";
import type { Upkeep } from "./jobs/job-runner.ts";

/**
 * The part of a serving app an operator command may use: its own request entry (Fastify's
 * `inject`, which runs a request through every route, hook and policy without a socket) and the
 * app's support passes (the operator's support access, modules/support) and its upkeep tasks.
 */
export interface ServingApp {
  inject(req: { method: string; url: string; headers: Record<string, string>; payload?: string }): Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>;
  readonly supportPasses: SupportPasses;
  readonly upkeep: Upkeep;
}

/**
 * What a process needs to act on a Vaultdesk installation: the database (PGlite in the data
 * folder, or PostgreSQL through DATABASE_URL), the keyring, and for PGlite the folder's lock.
 */
export interface Runtime {
  readonly config: Config;
  readonly db: Database;
  readonly keyring: Keyring;
  readonly masterKeyCreated: boolean;
  /** The embedded database was created by this start. */
  readonly databaseCreated: boolean;
  /** A warning to show the operator when the data folder was open to other users and has been made private. */
  readonly permissionWarning: string | undefined;
  /** Where the server of this process listens, once it does (for messages such as sign-in URLs). */
  listenPort: number | undefined;
  /** The app this process serves, once it does (operator commands that run API requests use it). */
  app?: ServingApp | undefined;
  /** The clock (tests inject one); the wall clock when absent. */
  now?: (() => Date) | undefined;
  close(): Promise<void>;
}

/** There is no installation where the configuration points, and this command does not create one. */
export class NoInstallationError extends Error {}

const pgliteDir = (config: Config) => path.join(config.dataDir, "pgdata");
const masterKeyFile = (config: Config) => path.join(config.dataDir, "master.key");

/** Where the configuration points holds an installation: its database, and its master key. */
export function installationExists(config: Config): boolean {
  const hasKey = config.masterKeyBase64 !== undefined || fs.existsSync(masterKeyFile(config));
  return hasKey && (config.databaseUrl !== undefined || fs.existsSync(path.join(pgliteDir(config), "PG_VERSION")));
}

const WHERE_TO_POINT =
  "Point at an existing one with --data-dir <folder> or VAULTDESK_DATA_DIR (and, for PostgreSQL, DATABASE_URL with VAULTDESK_MASTER_KEY), " +
  "or create a new one with `vaultdesk init` (or by starting the server: `vaultdesk serve`).";

/**
 * Refuses what would silently start a new installation, or lose access to an existing one:
 *  - a command that does not create (`create: false`) where there is no database or no master key;
 *  - an embedded database whose master key is gone (a new key would make every tenant unreadable).
 */
function checkInstallation(config: Config, create: boolean): void {
  const hasKey = config.masterKeyBase64 !== undefined || fs.existsSync(masterKeyFile(config));
  const hasPglite = fs.existsSync(path.join(pgliteDir(config), "PG_VERSION"));
  if (!config.databaseUrl && hasPglite && !hasKey) {
    throw new NoInstallationError(
      `The database in ${config.dataDir} has no master key: ${masterKeyFile(config)} is missing and VAULTDESK_MASTER_KEY is not set. ` +
        "Without the key its data cannot be read; restore master.key from your backup (or set VAULTDESK_MASTER_KEY). No new key was made.",
    );
  }
  if (create) return;
  if (!config.databaseUrl && !hasPglite) {
    throw new NoInstallationError(`There is no Vaultdesk data folder at ${config.dataDir}${fs.existsSync(config.dataDir) ? " (the folder holds no database)" : ""}. ${WHERE_TO_POINT}`);
  }
  if (!hasKey) {
    throw new NoInstallationError(`There is no master key: VAULTDESK_MASTER_KEY is not set and ${masterKeyFile(config)} does not exist. ${WHERE_TO_POINT}`);
  }
}

/**
 * Opens the installation the configuration points at. `create`: make the data folder, master
 * key and database when they do not exist (`serve`, `init`); otherwise their absence is refused
 * (NoInstallationError). Either way the data folder is made private first (data-dir.ts).
 */
export async function openRuntime(config: Config, opts: { migrate: boolean; create?: boolean }): Promise<Runtime> {
  const create = opts.create ?? false;
  const fixed = secureDataDir(config.dataDir);
  checkInstallation(config, create);
  const databaseCreated = !config.databaseUrl && !fs.existsSync(path.join(pgliteDir(config), "PG_VERSION"));
  if (!config.databaseUrl || !config.masterKeyBase64) fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const { provider, created } = loadMasterKey(config.dataDir, config.masterKeyBase64);
  let lock: DataLock | undefined;
  let db: Database;
  if (config.databaseUrl) {
    db = await openDatabase({ kind: "postgres", url: config.databaseUrl, poolSize: config.dbPoolSize });
  } else {
    lock = acquireDataLock(config.dataDir);
    try {
      db = await openDatabase({ kind: "pglite", dataDir: pgliteDir(config) });
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
  // PGlite sets the modes of some files itself, whatever the umask: the files of a new cluster
  // (0666) and its relation cache files (0644), written as it starts. Narrow them now, quietly:
  // they are this process's own, inside a folder that is already private.
  if (!config.databaseUrl) secureDataDir(config.dataDir);
  return {
    config,
    db,
    keyring: new Keyring(provider),
    masterKeyCreated: created,
    databaseCreated,
    permissionWarning: fixed.length ? describeFixes(config.dataDir, fixed) : undefined,
    listenPort: undefined,
    async close() {
      await db.close();
      if (!config.databaseUrl) secureDataDir(config.dataDir);
      lock?.release();
    },
  };
}
