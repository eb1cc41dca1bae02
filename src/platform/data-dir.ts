import fs from "node:fs";
import path from "node:path";

/**
 * The data folder holds the master key and (embedded database) every PGlite file: only the
 * account that runs Vaultdesk may read it. Processes run with umask 077, so what they create is
 * 0700/0600; this check covers what already exists — a folder made by hand with 0755, or PGlite
 * files written 0666 by an older version — at every start.
 */

/** Refusal to start: the folder cannot be made private (this account does not own it). */
export class DataDirPermissionError extends Error {}

export type PermissionFix = { path: string; from: number; to: number };

/** The file system calls the check uses (the real ones unless a test passes others). */
export type PermissionFs = { lstat(p: string): fs.Stats; chmod(p: string, mode: number): void; readdir(p: string): string[] };
const realFs: PermissionFs = {
  lstat: (p) => fs.lstatSync(p),
  chmod: (p, mode) => fs.chmodSync(p, mode),
  readdir: (p) => fs.readdirSync(p),
};

/**
 * Removes group and other permissions from the folder and everything in it (chmod -R go-rwx),
 * without following symbolic links; returns what it changed (nothing when the folder does not
 * exist or is already private). Throws DataDirPermissionError when an entry open to others cannot
 * be changed.
 */
export function secureDataDir(dir: string, fsx: PermissionFs = realFs): PermissionFix[] {
  const fixed: PermissionFix[] = [];
  let top: fs.Stats;
  try {
    top = fsx.lstat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return fixed;
    throw e;
  }
  const visit = (p: string, st: fs.Stats) => {
    if (st.isSymbolicLink()) return;
    const mode = st.mode & 0o7777;
    if (mode & 0o077) {
      const to = mode & ~0o077;
      try {
        fsx.chmod(p, to);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return; // removed meanwhile (a database temp file)
        const uid = process.getuid?.();
        throw new DataDirPermissionError(
          `The data folder must be private to the account that runs Vaultdesk, but ${p} is open to other users (mode ${octal(mode)}) and cannot be changed (${(e as NodeJS.ErrnoException).code ?? "error"}: ` +
            `it belongs to uid ${st.uid}${uid === undefined ? "" : `, this process runs as uid ${uid}`}). As its owner, run: chmod -R go-rwx ${dir}`,
        );
      }
      fixed.push({ path: p, from: mode, to });
    }
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = fsx.readdir(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    for (const name of names) {
      let child: fs.Stats;
      try {
        child = fsx.lstat(path.join(p, name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw e;
      }
      visit(path.join(p, name), child);
    }
  };
  visit(dir, top);
  return fixed;
}

/** One line for the console: what was changed, with a few examples. */
export function describeFixes(dir: string, fixed: readonly PermissionFix[]): string {
  const shown = fixed.slice(0, 4).map((f) => `${path.relative(dir, f.path) || "."} ${octal(f.from)}→${octal(f.to)}`);
  const more = fixed.length > shown.length ? `, and ${fixed.length - shown.length} more` : "";
  const count = `${fixed.length} ${fixed.length === 1 ? "entry" : "entries"}`;
  // The folder's own mode decides whether others could actually reach anything inside it.
  const opened = fixed.some((f) => f.path === dir);
  const what = opened
    ? `Warning: the data folder ${dir} was open to other users of this machine; removed their access from ${count}`
    : `Warning: the data folder ${dir} held ${count} with permissions for other users (out of their reach only because the folder itself is private); removed them`;
  return `${what} (${shown.join(", ")}${more}). New files are created private (umask 077).`;
}

function octal(mode: number): string {
  return "0" + (mode & 0o777).toString(8).padStart(3, "0");
}
