import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { BlobNotFoundError, InvalidBlobKeyError, type BlobStore } from "./blob-store.ts";
import { chunked, filesUnder, readAll, tempDir } from "./blobs-test-support.ts";
import { createFsBlobStore, UnsafeBlobPathError } from "./fs-blob-store.ts";

const temp = tempDir("fs-store");
afterAll(() => temp.remove());
let n = 0;
const newStore = () => createFsBlobStore(path.join(temp.dir, `store-${++n}`));
const tenantA = crypto.randomUUID();
const tenantB = crypto.randomUUID();
const bytes = (s: string) => Buffer.from(s, "utf8");
const one = async function* (b: Uint8Array) {
  yield b;
};
const list = async (store: BlobStore, tenantId: string, under?: string) => {
  const keys: string[] = [];
  for await (const k of store.list(tenantId, under)) keys.push(k);
  return keys.sort();
};

describe("filesystem blob store", () => {
  it("stores, reads, stats, lists, replaces and deletes, per tenant", async () => {
    const store = newStore();
    const data = crypto.randomBytes(200_000);
    expect(await store.put(tenantA, "attachments/one", chunked(data, [1, 4095, 70_000, 3]))).toEqual({ bytes: 200_000 });
    expect((await readAll(await store.get(tenantA, "attachments/one"))).equals(data)).toBe(true);
    expect((await store.stat(tenantA, "attachments/one"))?.bytes).toBe(200_000);
    // The same key of another tenant is another blob.
    expect(await store.stat(tenantB, "attachments/one")).toBeUndefined();
    await expect(store.get(tenantB, "attachments/one")).rejects.toBeInstanceOf(BlobNotFoundError);
    await store.put(tenantB, "attachments/one", one(bytes("b")));
    await store.put(tenantA, "exports/2026/x.zip", Readable.from([bytes("x"), bytes("y")]));
    await store.put(tenantA, "attachments/one", one(bytes("replaced")));
    expect((await readAll(await store.get(tenantA, "attachments/one"))).toString()).toBe("replaced");
    expect(await list(store, tenantA)).toEqual(["attachments/one", "exports/2026/x.zip"]);
    expect(await list(store, tenantA, "exports")).toEqual(["exports/2026/x.zip"]);
    expect(await list(store, tenantA, "nothing")).toEqual([]);
    expect(await list(store, tenantB)).toEqual(["attachments/one"]);
    // A folder is not a blob.
    expect(await store.stat(tenantA, "exports/2026")).toBeUndefined();
    await expect(store.get(tenantA, "exports/2026")).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await store.delete(tenantA, "exports/2026")).toBe(false);
    expect(await store.delete(tenantA, "attachments/one")).toBe(true);
    expect(await store.delete(tenantA, "attachments/one")).toBe(false);
    await expect(store.get(tenantA, "attachments/one")).rejects.toBeInstanceOf(BlobNotFoundError);
    await store.purgeTenant(tenantA);
    expect(await list(store, tenantA)).toEqual([]);
    expect(await list(store, tenantB)).toEqual(["attachments/one"]);
  });

  it("stores an empty blob", async () => {
    const store = newStore();
    expect(await store.put(tenantA, "e", one(new Uint8Array(0)))).toEqual({ bytes: 0 });
    expect((await readAll(await store.get(tenantA, "e"))).length).toBe(0);
    expect((await store.stat(tenantA, "e"))?.bytes).toBe(0);
  });

  it("refuses keys and tenants that could leave the tenant's folder", async () => {
    const store = newStore();
    const bad = ["", "..", ".", "../x", "a/../../b", "a/./b", "/etc/passwd", "a//b", "a/", "/a", "a\\b", "..\\x", "a\0b", ".hidden", ".tmp-1",
      "A", "a b", "é", "a/b/c/d/e/f/g/h/i", "x".repeat(129), "%2e%2e", "a:b", "~"];
    for (const key of bad) {
      await expect(store.put(tenantA, key, one(bytes("x"))), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.get(tenantA, key), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.stat(tenantA, key), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.delete(tenantA, key), key).rejects.toBeInstanceOf(InvalidBlobKeyError);
    }
    for (const tenant of ["", "..", "../" + tenantA, tenantA.toUpperCase(), "x", `${tenantA}/..`]) {
      await expect(store.put(tenant, "a", one(bytes("x"))), tenant).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(list(store, tenant), tenant).rejects.toBeInstanceOf(InvalidBlobKeyError);
      await expect(store.purgeTenant(tenant), tenant).rejects.toBeInstanceOf(InvalidBlobKeyError);
    }
    await expect(list(store, tenantA, "../x")).rejects.toBeInstanceOf(InvalidBlobKeyError);
    // Nothing was written anywhere.
    expect(filesUnder(temp.dir).filter((f) => f.startsWith(store.root))).toEqual([]);
    expect(fs.existsSync(path.join(temp.dir, "x"))).toBe(false);
    // The longest and deepest keys allowed work.
    await store.put(tenantA, "a/b/c/d/e/f/g/" + "h".repeat(128), one(bytes("deep")));
    expect(await list(store, tenantA)).toEqual(["a/b/c/d/e/f/g/" + "h".repeat(128)]);
  });

  it("creates folders 0700 and files 0600", async () => {
    const store = newStore();
    await store.put(tenantA, "attachments/f", one(bytes("x")));
    const mode = (p: string) => fs.statSync(p).mode & 0o777;
    expect(mode(store.root)).toBe(0o700);
    expect(mode(path.join(store.root, tenantA))).toBe(0o700);
    expect(mode(path.join(store.root, tenantA, "attachments"))).toBe(0o700);
    expect(mode(path.join(store.root, tenantA, "attachments", "f"))).toBe(0o600);
  });

  it("leaves nothing behind, and the previous blob intact, when the body fails", async () => {
    const store = newStore();
    await store.put(tenantA, "attachments/f", one(bytes("previous")));
    async function* failing() {
      yield crypto.randomBytes(100_000);
      throw new Error("upload broke");
    }
    await expect(store.put(tenantA, "attachments/f", failing())).rejects.toThrow("upload broke");
    await expect(store.put(tenantA, "attachments/g", failing())).rejects.toThrow("upload broke");
    await expect(store.put(tenantA, "attachments/h", Readable.from(["a string"]))).rejects.toThrow(TypeError);
    expect((await readAll(await store.get(tenantA, "attachments/f"))).toString()).toBe("previous");
    expect(filesUnder(store.root)).toEqual([path.join(store.root, tenantA, "attachments", "f")]);
  });

  it("with replaceOnly, writes only over a blob still there: a deletion during the write wins", async () => {
    const store = newStore();
    // Nothing there: refused, nothing left behind.
    await expect(store.put(tenantA, "attachments/none", one(bytes("x")), { replaceOnly: true })).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(filesUnder(store.root)).toEqual([]);
    // Still there: replaced.
    await store.put(tenantA, "attachments/f", one(bytes("old")));
    await store.put(tenantA, "attachments/f", one(bytes("new")), { replaceOnly: true });
    expect((await readAll(await store.get(tenantA, "attachments/f"))).toString()).toBe("new");
    // Deleted (through another store over the same folder) while the new bytes were being written.
    const other = createFsBlobStore(store.root);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow() {
      yield bytes("re-sealed ");
      await gate;
      yield bytes("copy");
    }
    const writing = store.put(tenantA, "attachments/f", slow(), { replaceOnly: true });
    await new Promise((r) => setTimeout(r, 20));
    expect(await other.delete(tenantA, "attachments/f")).toBe(true);
    release();
    await expect(writing).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(filesUnder(store.root)).toEqual([]);
    // Without replaceOnly a write creates the blob as always.
    await store.put(tenantA, "attachments/f", one(bytes("again")));
    expect(await list(store, tenantA)).toEqual(["attachments/f"]);
  });

  it("never follows a symbolic link below its root", async () => {
    const store = newStore();
    const outside = path.join(temp.dir, `outside-${n}`);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, "secret"), "outside");
    // A linked folder on the way.
    fs.mkdirSync(path.join(store.root, tenantA));
    fs.symlinkSync(outside, path.join(store.root, tenantA, "attachments"));
    await expect(store.put(tenantA, "attachments/new", one(bytes("x")))).rejects.toBeInstanceOf(UnsafeBlobPathError);
    await expect(store.get(tenantA, "attachments/secret")).rejects.toBeInstanceOf(UnsafeBlobPathError);
    await expect(store.stat(tenantA, "attachments/secret")).rejects.toBeInstanceOf(UnsafeBlobPathError);
    await expect(list(store, tenantA, "attachments")).rejects.toBeInstanceOf(UnsafeBlobPathError);
    expect(await list(store, tenantA)).toEqual([]);
    // A linked tenant folder.
    fs.symlinkSync(outside, path.join(store.root, tenantB));
    await expect(store.get(tenantB, "secret")).rejects.toBeInstanceOf(UnsafeBlobPathError);
    await expect(store.put(tenantB, "new", one(bytes("x")))).rejects.toBeInstanceOf(UnsafeBlobPathError);
    // A linked file: not read, not listed, and replacing it replaces the link, not its target.
    fs.mkdirSync(path.join(store.root, tenantA, "exports"));
    fs.symlinkSync(path.join(outside, "secret"), path.join(store.root, tenantA, "exports", "f"));
    await expect(store.get(tenantA, "exports/f")).rejects.toBeInstanceOf(UnsafeBlobPathError);
    expect(await store.stat(tenantA, "exports/f")).toBeUndefined();
    expect(await list(store, tenantA, "exports")).toEqual([]);
    await store.put(tenantA, "exports/f", one(bytes("mine")));
    expect(fs.lstatSync(path.join(store.root, tenantA, "exports", "f")).isFile()).toBe(true);
    // Purging removes links without following them.
    await store.purgeTenant(tenantB);
    await store.purgeTenant(tenantA);
    expect(fs.readdirSync(outside)).toEqual(["secret"]);
    expect(fs.readFileSync(path.join(outside, "secret"), "utf8")).toBe("outside");
  });

  it("removes temporary files left by an interrupted write, and never lists them", async () => {
    const store = newStore();
    await store.put(tenantA, "attachments/f", one(bytes("x")));
    const stale = path.join(store.root, tenantA, "attachments", ".tmp-0123");
    const fresh = path.join(store.root, tenantA, "attachments", ".tmp-4567");
    fs.writeFileSync(stale, "partial");
    fs.writeFileSync(fresh, "partial");
    const old = new Date(Date.now() - 2 * 3_600_000);
    fs.utimesSync(stale, old, old);
    expect(await list(store, tenantA)).toEqual(["attachments/f"]);
    expect(await store.removeStaleTemporaryFiles(3_600_000)).toBe(1);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
  });
});
