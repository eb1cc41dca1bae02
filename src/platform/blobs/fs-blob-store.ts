import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { asBytes, BlobNotFoundError, checkBlobKey, checkBlobTenant, isKeySegment, MAX_KEY_DEPTH, type BlobBody, type BlobInfo, type BlobStore, type PutOptions } from "./blob-store.ts";

/**
 * The filesystem blob store: `<root>/<tenant id>/<key>`, folders 0700, files 0600.
 *
 * Invariants:
 *  - A write goes to a temporary file beside its target (`.tmp-<random>`, a name no key can have),
 *    is fsynced, renamed over the target, and the folder is fsynced: after a crash there is the
 *    old blob or the new one, plus at worst a temporary file (removeStaleTemporaryFiles).
 *  - No symbolic link below the root is followed: every folder on the way is checked with lstat,
 *    and files are opened with O_NOFOLLOW. (The root itself is resolved once, so an operator may
 *    make VAULTDESK_BLOB_DIR a link.) Someone who can write inside the root between the check and
 *    the open could still race it; they could delete the blobs anyway, and cannot read them: they
 *    are sealed.
 *  - The last step of a write and a deletion hold a lock on the file's path, shared by every store
 *    of the process: a `replaceOnly` write checks that the file is still there and renames over it
 *    with no deletion in between. (Another process, such as the command line re-sealing files
 *    beside the server, is not covered by the lock; the attachments' upkeep removes any file no
 *    row names.)
 */
export interface FsBlobStore extends BlobStore {
  readonly root: string;
  /** Removes temporary files left by writes a crash interrupted; returns how many. */
  removeStaleTemporaryFiles(olderThanMs: number): Promise<number>;
}

/** A folder or file below the root is a symbolic link (or a file where a folder belongs). */
export class UnsafeBlobPathError extends Error {
  override readonly name = "UnsafeBlobPathError";
  constructor() {
    super("the blob folder holds a symbolic link or a file where a folder belongs");
  }
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const TEMP_PREFIX = ".tmp-";
/** Bytes gathered before a write, and read at a time. */
const WRITE_BATCH = 1024 * 1024;
const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

const isCode = (e: unknown, ...codes: string[]): boolean => codes.includes((e as NodeJS.ErrnoException | undefined)?.code ?? "");

async function lstatOrUndefined(p: string): Promise<fs.Stats | undefined> {
  try {
    return await fsp.lstat(p);
  } catch (e) {
    if (isCode(e, "ENOENT", "ENOTDIR")) return undefined;
    throw e;
  }
}

/** Locks per file path, for the whole process (every store instance over the same folder shares them). */
const pathLocks = new Map<string, Promise<void>>();

async function withPathLock<T>(p: string, fn: () => Promise<T>): Promise<T> {
  const before = pathLocks.get(p) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chained = before.then(() => mine);
  pathLocks.set(p, chained);
  await before;
  try {
    return await fn();
  } finally {
    release();
    if (pathLocks.get(p) === chained) pathLocks.delete(p);
  }
}

/** Makes a rename, creation or removal in `dir` durable. */
async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Opens (creating it with mode 0700 if needed) the store at `root`. */
export function createFsBlobStore(rootDir: string): FsBlobStore {
  fs.mkdirSync(rootDir, { recursive: true, mode: DIR_MODE });
  const root = fs.realpathSync(rootDir);

  /** The folder `<root>/<tenant>/<folders…>`, checked link by link; undefined if missing and not created. */
  async function folder(tenantId: string, folders: readonly string[], create: boolean): Promise<string | undefined> {
    let dir = root;
    for (const name of [tenantId, ...folders]) {
      const parent = dir;
      dir = path.join(dir, name);
      let st = await lstatOrUndefined(dir);
      if (!st) {
        if (!create) return undefined;
        try {
          await fsp.mkdir(dir, { mode: DIR_MODE });
          await syncDir(parent);
        } catch (e) {
          if (!isCode(e, "EEXIST")) throw e;
        }
        st = await fsp.lstat(dir);
      }
      if (!st.isDirectory()) throw new UnsafeBlobPathError();
    }
    return dir;
  }

  /** The folder and file name of a key (the folder checked, not created). */
  async function locate(tenantId: string, key: string, create = false): Promise<{ dir: string | undefined; name: string }> {
    const segments = checkBlobKey(tenantId, key);
    const name = segments.pop()!;
    return { dir: await folder(tenantId, segments, create), name };
  }

  async function* walk(dir: string, prefix: string, depth: number): AsyncGenerator<string> {
    let handle: fs.Dir;
    try {
      handle = await fsp.opendir(dir);
    } catch (e) {
      if (isCode(e, "ENOENT")) return;
      throw e;
    }
    // Streams the folder's entries: a folder of a million attachments is never held in memory.
    // `depth`: segments in `prefix`. Temporary files (`.tmp-…`), links and other names are never keys.
    for await (const entry of handle) {
      if (!isKeySegment(entry.name)) continue;
      const key = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory() && depth + 1 < MAX_KEY_DEPTH) yield* walk(path.join(dir, entry.name), key, depth + 1);
      else if (entry.isFile()) yield key;
    }
  }

  return {
    root,

    async put(tenantId: string, key: string, body: BlobBody, opts: PutOptions = {}): Promise<{ bytes: number }> {
      const { dir, name } = await locate(tenantId, key, true);
      const target = path.join(dir!, name);
      const temp = path.join(dir!, `${TEMP_PREFIX}${crypto.randomBytes(12).toString("hex")}`);
      const fh = await fsp.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, FILE_MODE);
      let open = true;
      let bytes = 0;
      // Chunks are copied into one buffer and written WRITE_BATCH bytes at a time: one system call
      // and one wait per megabyte instead of per chunk (a sealed file arrives in 64 KiB segments).
      // Copied, not kept: a body may reuse a chunk's memory once it has yielded the next one.
      const batch = Buffer.allocUnsafe(WRITE_BATCH);
      let filled = 0;
      const flush = async () => {
        for (let at = 0; at < filled; ) at += (await fh.write(batch, at, filled - at)).bytesWritten;
        filled = 0;
      };
      try {
        for await (const chunk of body) {
          const b = asBytes(chunk);
          bytes += b.byteLength;
          for (let at = 0; at < b.byteLength; ) {
            const n = Math.min(WRITE_BATCH - filled, b.byteLength - at);
            batch.set(b.subarray(at, at + n), filled);
            filled += n;
            at += n;
            if (filled === WRITE_BATCH) await flush();
          }
        }
        await flush();
        await fh.sync();
        open = false;
        await fh.close();
        await withPathLock(target, async () => {
          if (opts.replaceOnly && !(await lstatOrUndefined(target))?.isFile()) throw new BlobNotFoundError();
          await fsp.rename(temp, target);
        });
        await syncDir(dir!);
        return { bytes };
      } catch (e) {
        if (open) await fh.close().catch(() => {});
        await fsp.unlink(temp).catch(() => {});
        throw e;
      }
    },

    async get(tenantId: string, key: string): Promise<Readable> {
      const { dir, name } = await locate(tenantId, key);
      if (!dir) throw new BlobNotFoundError();
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(path.join(dir, name), O_RDONLY | O_NOFOLLOW);
      } catch (e) {
        if (isCode(e, "ENOENT")) throw new BlobNotFoundError();
        if (isCode(e, "ELOOP")) throw new UnsafeBlobPathError();
        throw e;
      }
      if (!(await fh.stat()).isFile()) {
        await fh.close();
        throw new BlobNotFoundError();
      }
      return fh.createReadStream({ highWaterMark: WRITE_BATCH });
    },

    async stat(tenantId: string, key: string): Promise<BlobInfo | undefined> {
      const { dir, name } = await locate(tenantId, key);
      const st = dir ? await lstatOrUndefined(path.join(dir, name)) : undefined;
      return st?.isFile() ? { bytes: st.size, modifiedAt: st.mtime } : undefined;
    },

    async delete(tenantId: string, key: string): Promise<boolean> {
      const { dir, name } = await locate(tenantId, key);
      if (!dir) return false;
      const target = path.join(dir, name);
      const removed = await withPathLock(target, async () => {
        const st = await lstatOrUndefined(target);
        if (!st || st.isDirectory()) return false;
        await fsp.unlink(target); // a link is removed, not followed
        return st.isFile();
      });
      if (removed) await syncDir(dir);
      return removed;
    },

    async *list(tenantId: string, under?: string): AsyncGenerator<string> {
      checkBlobTenant(tenantId);
      const folders = under === undefined ? [] : checkBlobKey(tenantId, under);
      const dir = await folder(tenantId, folders, false);
      if (dir) yield* walk(dir, folders.join("/"), folders.length);
    },

    async purgeTenant(tenantId: string): Promise<void> {
      checkBlobTenant(tenantId);
      // rm removes links found inside instead of following them.
      await fsp.rm(path.join(root, tenantId), { recursive: true, force: true });
      await syncDir(root);
    },

    async removeStaleTemporaryFiles(olderThanMs: number): Promise<number> {
      const before = Date.now() - olderThanMs;
      let removed = 0;
      const sweep = async (dir: string, depth: number): Promise<void> => {
        for await (const entry of await fsp.opendir(dir)) {
          const p = path.join(dir, entry.name);
          if (entry.isDirectory() && depth <= MAX_KEY_DEPTH) await sweep(p, depth + 1);
          else if (entry.isFile() && entry.name.startsWith(TEMP_PREFIX) && (await fsp.lstat(p)).mtimeMs < before) {
            await fsp.unlink(p).catch(() => {});
            removed++;
          }
        }
      };
      await sweep(root, 0);
      return removed;
    },
  };
}
