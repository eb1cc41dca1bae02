import fs from "node:fs";
import path from "node:path";

/**
 * One process owns a PGlite data folder at a time. The owner writes its pid to `server.lock`
 * (created exclusively); a lock whose pid no longer runs is stale and taken over at once, so a
 * restart after SIGKILL needs no waiting. Written by hand because lock-file libraries decide
 * staleness by age, which would delay every restart after a crash.
 */
export type DataLock = { release(): void };

export function lockPath(dataDir: string): string {
  return path.join(dataDir, "server.lock");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid holding the folder, if a live process holds it. */
export function lockHolder(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(lockPath(dataDir), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class DataDirLockedError extends Error {
  constructor(readonly pid: number) {
    super(`another Vaultdesk process (pid ${pid}) is using this data folder`);
  }
}

export function acquireDataLock(dataDir: string): DataLock {
  const file = lockPath(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, "wx", 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = lockHolder(dataDir);
      if (holder !== undefined && holder !== process.pid) throw new DataDirLockedError(holder);
      // Stale: the holder is gone. Remove and retry.
      try {
        fs.unlinkSync(file);
      } catch {
        /* raced with another process */
      }
    }
  }
  throw new Error(`could not take the lock ${file}`);
}
