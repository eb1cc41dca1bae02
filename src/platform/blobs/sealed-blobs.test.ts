import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BLOB_FORMAT, BlobIntegrityError, TenantKeysMissingError, type BlobRef, type TenantSealer } from "../crypto/keyring.ts";
import { statusOf } from "../errors.ts";
import { BlobNotFoundError, BlobTooLargeError } from "./blob-store.ts";
import { chunked, filesUnder, keyringFixture, readAll, tempDir, type KeyringFixture } from "./blobs-test-support.ts";
import { createFsBlobStore, type FsBlobStore } from "./fs-blob-store.ts";
import {
  getSealed,
  plaintextBytes,
  putSealed,
  resealBlob,
  resealTenantBlobs,
  sealedBlobKeyVersion,
  sealedBlobSize,
} from "./sealed-blobs.ts";

const SEG = BLOB_FORMAT.segmentBytes;
const SEALED_SEG = SEG + BLOB_FORMAT.tagBytes;
const HEADER = BLOB_FORMAT.headerBytes;

let fx: KeyringFixture;
let store: FsBlobStore;
const temp = tempDir("sealed");
beforeAll(async () => {
  fx = await keyringFixture();
  store = createFsBlobStore(path.join(temp.dir, "blobs"));
});
afterAll(async () => {
  await fx?.close();
  temp.remove();
});

const sha = (b: Uint8Array) => crypto.createHash("sha256").update(b).digest("hex");
const att = (id: string): BlobRef => ({ purpose: "attachments", id });
const fileOf = (tenantId: string, ref: BlobRef) => path.join(store.root, tenantId, ref.purpose, ref.id);
const once = async function* (b: Uint8Array) {
  yield b;
};

/** Reads a sealed blob, keeping what was yielded before any error. */
async function attempt(sealer: TenantSealer, ref: BlobRef): Promise<{ out: Buffer; error: unknown; returned: boolean }> {
  const parts: Buffer[] = [];
  let returned = false;
  try {
    const stream = await getSealed(store, sealer, ref);
    returned = true;
    for await (const c of stream) parts.push(c as Buffer);
    return { out: Buffer.concat(parts), error: undefined, returned };
  } catch (error) {
    return { out: Buffer.concat(parts), error, returned };
  }
}

describe("sealed blobs: round trips", () => {
  it.each([
    ["0 bytes", 0],
    ["1 byte", 1],
    ["one segment less a byte", SEG - 1],
    ["exactly one segment", SEG],
    ["one segment and a byte", SEG + 1],
    ["exactly two segments", 2 * SEG],
    ["3 MiB and some (49 segments)", 3 * 1024 * 1024 + 123],
  ])("%s", async (_label, size) => {
    const tenant = await fx.tenant();
    const sealer = await fx.sealer(tenant);
    const data = crypto.randomBytes(size);
    const ref = att(crypto.randomUUID());
    const w = await putSealed(store, sealer, ref, once(data), { sha256: true });
    const segments = Math.max(1, Math.ceil(size / SEG));
    expect(w).toEqual({ bytes: size, sha256: sha(data), keyVersion: 1, storedBytes: HEADER + size + segments * 16 });
    expect(fs.statSync(fileOf(tenant, ref)).size).toBe(w.storedBytes);
    expect(plaintextBytes(w.storedBytes)).toBe(size);
    expect(await sealedBlobSize(store, tenant, ref)).toBe(size);
    expect(await sealedBlobKeyVersion(store, tenant, ref)).toBe(1);
    const back = await readAll(await getSealed(store, sealer, ref));
    expect(back.length).toBe(size);
    expect(back.equals(data)).toBe(true);
  });

  it("takes a body that arrives in odd-sized chunks, in buffers its producer reuses", async () => {
    const tenant = await fx.tenant();
    const sealer = await fx.sealer(tenant);
    const data = crypto.randomBytes(1_000_003);
    const a = await putSealed(store, sealer, att("odd"), chunked(data, [1, 7, SEG - 1, SEG + 1, 3, 100_003, 13, 2 * SEG]), { sha256: true });
    expect(a.sha256).toBe(sha(data));
    // Not asked for, the hash is not computed.
    expect((await putSealed(store, sealer, att("nohash"), once(data))).sha256).toBeUndefined();
    expect((await readAll(await getSealed(store, sealer, att("odd")))).equals(data)).toBe(true);
    // A producer that refills one buffer for every chunk (as some parsers do).
    async function* reusing() {
      const buf = Buffer.alloc(40_000);
      for (let at = 0; at < data.length; at += buf.length) {
        const n = Math.min(buf.length, data.length - at);
        data.copy(buf, 0, at, at + n);
        yield buf.subarray(0, n);
      }
      buf.fill(0);
    }
    await putSealed(store, sealer, att("reused"), reusing());
    expect((await readAll(await getSealed(store, sealer, att("reused")))).equals(data)).toBe(true);
    // A Node stream works as the body too.
    await putSealed(store, sealer, att("stream"), Readable.from(chunked(data, [65_000])));
    expect(sha(await readAll(await getSealed(store, sealer, att("stream"))))).toBe(sha(data));
  });

  it("keeps no plaintext in the blob folder", async () => {
    const tenant = await fx.tenant();
    const sealer = await fx.sealer(tenant);
    const marker = "VAULTDESK-PLAINTEXT-MARKER jane.doe@example.test";
    await putSealed(store, sealer, att("small"), once(Buffer.from(marker)));
    await putSealed(store, sealer, att("large"), once(Buffer.from(marker.repeat(20_000))));
    await putSealed(store, sealer, { purpose: "exports", id: "export-1.json" }, once(Buffer.from(JSON.stringify({ note: marker }))));
    const contains = (needle: string) => {
      return filesUnder(store.root).some((f) => fs.readFileSync(f).includes(Buffer.from(needle)));
    };
    expect(contains(marker)).toBe(false);
    expect(contains("jane.doe@example.test")).toBe(false);
    // Control: the same search finds a value stored without sealing.
    await store.put(tenant, "control/clear", once(Buffer.from(marker)));
    expect(contains(marker)).toBe(true);
    await store.delete(tenant, "control/clear");
  });
});

describe("sealed blobs: tampering is detected and never yields unauthenticated bytes", () => {
  let tenant: string;
  let sealer: TenantSealer;
  const data = crypto.randomBytes(4 * SEG + 1000); // 5 segments: 4 full, the last 1000 bytes
  const ref = att("target");
  let sealed: Buffer;
  const segAt = (i: number) => HEADER + i * SEALED_SEG;

  beforeAll(async () => {
    tenant = await fx.tenant();
    sealer = await fx.sealer(tenant);
    await putSealed(store, sealer, ref, once(data));
    sealed = fs.readFileSync(fileOf(tenant, ref));
    expect(sealed.length).toBe(HEADER + 4 * SEALED_SEG + 1000 + 16);
  });

  /** Stores `bytes` as the blob, reads it back, then restores the original. */
  async function readTampered(bytes: Buffer, as: { sealer?: TenantSealer; ref?: BlobRef; tenant?: string } = {}) {
    const target = fileOf(as.tenant ?? tenant, as.ref ?? ref);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, bytes);
    try {
      return await attempt(as.sealer ?? sealer, as.ref ?? ref);
    } finally {
      fs.writeFileSync(fileOf(tenant, ref), sealed);
    }
  }
  const flip = (at: number) => {
    const b = Buffer.from(sealed);
    b[at]! ^= 0x01;
    return b;
  };
  /** Failed with an integrity error after yielding exactly the first `segments` segments, intact. */
  function failedAfter(r: Awaited<ReturnType<typeof attempt>>, segments: number) {
    expect(r.error).toBeInstanceOf(BlobIntegrityError);
    expect(r.out.length).toBe(segments * SEG);
    expect(r.out.equals(data.subarray(0, segments * SEG))).toBe(true);
    // Failures in the header or the first segment are reported before a stream is handed out.
    if (segments === 0) expect(r.returned).toBe(false);
  }

  it("reads the untouched blob", async () => {
    const r = await readTampered(Buffer.from(sealed));
    expect(r.error).toBeUndefined();
    expect(r.out.equals(data)).toBe(true);
  });

  it("refuses a header with a flipped byte (magic, format, key version, salt, nonce prefix)", async () => {
    for (const at of [0, 3, 4, 8, 9, 25, 40, 41, 47]) failedAfter(await readTampered(flip(at)), 0);
  });

  it("refuses a flipped byte in any segment's ciphertext or tag, releasing only the segments before it", async () => {
    failedAfter(await readTampered(flip(segAt(0))), 0);
    failedAfter(await readTampered(flip(segAt(0) + SEALED_SEG - 1)), 0); // first tag
    failedAfter(await readTampered(flip(segAt(2) + 12_345)), 2);
    failedAfter(await readTampered(flip(segAt(4) + 500)), 4);
    failedAfter(await readTampered(flip(sealed.length - 1)), 4); // last tag
  });

  it("refuses truncation anywhere", async () => {
    failedAfter(await readTampered(sealed.subarray(0, segAt(4))), 3); // last segment dropped: segment 3 is not the last
    failedAfter(await readTampered(sealed.subarray(0, segAt(2))), 1);
    failedAfter(await readTampered(sealed.subarray(0, sealed.length - 1)), 4);
    failedAfter(await readTampered(sealed.subarray(0, segAt(4) + 15)), 4); // last segment shorter than a tag
    failedAfter(await readTampered(sealed.subarray(0, segAt(3) - 100)), 2);
    failedAfter(await readTampered(sealed.subarray(0, HEADER)), 0); // header only
    failedAfter(await readTampered(sealed.subarray(0, HEADER - 1)), 0);
    failedAfter(await readTampered(Buffer.alloc(0)), 0);
  });

  it("refuses appended bytes and appended segments", async () => {
    failedAfter(await readTampered(Buffer.concat([sealed, Buffer.from([0])])), 4);
    failedAfter(await readTampered(Buffer.concat([sealed, sealed.subarray(segAt(1), segAt(2))])), 4);
  });

  it("refuses reordered, repeated and dropped segments", async () => {
    const s = (i: number) => sealed.subarray(segAt(i), segAt(i + 1));
    const head = sealed.subarray(0, HEADER);
    const last = sealed.subarray(segAt(4));
    failedAfter(await readTampered(Buffer.concat([head, s(0), s(2), s(1), s(3), last])), 1); // swapped
    failedAfter(await readTampered(Buffer.concat([head, s(0), s(1), s(1), s(3), last])), 2); // repeated
    failedAfter(await readTampered(Buffer.concat([head, s(0), s(1), s(3), last])), 2); // dropped from the middle
    failedAfter(await readTampered(Buffer.concat([head, s(1), s(0), s(2), s(3), last])), 0);
  });

  it("refuses segments spliced in from another blob of the same tenant, and another blob's header", async () => {
    const otherRef = att("other");
    await putSealed(store, sealer, otherRef, once(data)); // same plaintext, same key version
    const other = fs.readFileSync(fileOf(tenant, otherRef));
    const spliced = Buffer.from(sealed);
    other.copy(spliced, segAt(2), segAt(2), segAt(3));
    failedAfter(await readTampered(spliced), 2);
    const otherHeader = Buffer.concat([other.subarray(0, HEADER), sealed.subarray(HEADER)]);
    failedAfter(await readTampered(otherHeader), 0);
    // The other blob itself is fine.
    expect((await readAll(await getSealed(store, sealer, otherRef))).equals(data)).toBe(true);
  });

  it("refuses a blob copied to another id, another purpose or another tenant", async () => {
    failedAfter(await readTampered(sealed, { ref: att("copied") }), 0);
    failedAfter(await readTampered(sealed, { ref: { purpose: "exports", id: ref.id } }), 0);
    const tenantB = await fx.tenant();
    const sealerB = await fx.sealer(tenantB);
    failedAfter(await readTampered(sealed, { tenant: tenantB, sealer: sealerB }), 0);
    // And tenant B's store space holds no such blob unless copied there.
    await expect(getSealed(store, sealerB, att("never-written"))).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it("refuses a header naming another (existing) key version", async () => {
    const t = await fx.tenant();
    await putSealed(store, await fx.sealer(t), att("v1"), once(data));
    await fx.rotate(t);
    const s2 = await fx.sealer(t);
    const bytes = fs.readFileSync(fileOf(t, att("v1")));
    bytes.writeUInt32BE(2, 5);
    fs.writeFileSync(fileOf(t, att("v1")), bytes);
    const r = await attempt(s2, att("v1"));
    expect(r.error).toBeInstanceOf(BlobIntegrityError);
    expect(r.out.length).toBe(0);
  });

  it("refuses references that are not a purpose and a plain id", async () => {
    for (const bad of [att("../x"), att("a/b"), att(""), att("A"), { purpose: "tickets", id: "x" } as unknown as BlobRef]) {
      await expect(putSealed(store, sealer, bad, once(data))).rejects.toThrow(/invalid blob reference/);
      await expect(getSealed(store, sealer, bad)).rejects.toThrow(/invalid blob reference/);
    }
  });
});

describe("sealed blobs: size limit", () => {
  it("aborts over the limit, stores nothing, keeps the previous blob, and maps to 413", async () => {
    const tenant = await fx.tenant();
    const sealer = await fx.sealer(tenant);
    const ref = att("limited");
    await putSealed(store, sealer, ref, once(Buffer.from("previous")), { maxBytes: 100 });
    const big = crypto.randomBytes(3 * 1024 * 1024);
    const body = Readable.from(chunked(big, [64 * 1024]));
    const err = await putSealed(store, sealer, ref, body, { maxBytes: 1_000_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobTooLargeError);
    expect((err as BlobTooLargeError).limitBytes).toBe(1_000_000);
    expect(statusOf[(err as BlobTooLargeError).code]).toBe(413);
    // The body stopped being read soon after the limit, and is left to its owner, not destroyed.
    expect(body.destroyed).toBe(false);
    body.destroy();
    await expect(putSealed(store, sealer, att("new"), once(big), { maxBytes: big.length - 1 })).rejects.toBeInstanceOf(BlobTooLargeError);
    // Nothing but the previous blob is in the tenant's folder: no partial file, no temporary file.
    expect(filesUnder(path.join(store.root, tenant))).toEqual([fileOf(tenant, ref)]);
    expect((await readAll(await getSealed(store, sealer, ref))).toString()).toBe("previous");
    // Exactly the limit is accepted.
    expect((await putSealed(store, sealer, att("exact"), once(big), { maxBytes: big.length })).bytes).toBe(big.length);
  });
});

describe("sealed blobs: key rotation and shredding", () => {
  it("re-seals under the newest version, after which the old version can be dropped", async () => {
    const tenant = await fx.tenant();
    const data = crypto.randomBytes(2 * 1024 * 1024 + 7);
    await putSealed(store, await fx.sealer(tenant), att("resealed"), once(data));
    await putSealed(store, await fx.sealer(tenant), att("left-behind"), once(Buffer.from("old")));
    expect(await fx.rotate(tenant)).toBe(2);
    const s2 = await fx.sealer(tenant);
    // Both versions read until the old one is dropped.
    expect((await readAll(await getSealed(store, s2, att("left-behind")))).toString()).toBe("old");
    expect(await resealBlob(store, s2, att("resealed"))).toEqual({ resealed: true, keyVersion: 2 });
    expect(await resealBlob(store, s2, att("resealed"))).toEqual({ resealed: false, keyVersion: 2 });
    expect(await sealedBlobKeyVersion(store, tenant, att("resealed"))).toBe(2);
    expect(await sealedBlobKeyVersion(store, tenant, att("left-behind"))).toBe(1);
    await fx.dropKeys(tenant, 1);
    const after = await fx.sealer(tenant);
    expect((await readAll(await getSealed(store, after, att("resealed")))).equals(data)).toBe(true);
    await expect(getSealed(store, after, att("left-behind"))).rejects.toBeInstanceOf(TenantKeysMissingError);
  });

  it("re-seals every blob of a tenant, and a second pass finds nothing to do", async () => {
    const tenant = await fx.tenant();
    const s1 = await fx.sealer(tenant);
    const contents = new Map<string, Buffer>();
    for (const [purpose, id, size] of [["attachments", "a", 10], ["attachments", "b", 3 * SEG], ["exports", "c", 0]] as const) {
      const d = crypto.randomBytes(size);
      contents.set(`${purpose}/${id}`, d);
      await putSealed(store, s1, { purpose, id }, once(d));
    }
    await fx.rotate(tenant);
    expect(await resealTenantBlobs(store, await fx.sealer(tenant))).toEqual({ resealed: 3, current: 0, gone: 0 });
    expect(await resealTenantBlobs(store, await fx.sealer(tenant))).toEqual({ resealed: 0, current: 3, gone: 0 });
    await fx.dropKeys(tenant, 1);
    const s = await fx.sealer(tenant);
    for (const [key, d] of contents) {
      const [purpose, id] = key.split("/") as ["attachments" | "exports", string];
      expect((await readAll(await getSealed(store, s, { purpose, id }))).equals(d)).toBe(true);
    }
  });

  it("a reader of a blob being replaced reads the old blob whole", async () => {
    const tenant = await fx.tenant();
    const sealer = await fx.sealer(tenant);
    const before = crypto.randomBytes(20 * SEG);
    await putSealed(store, sealer, att("r"), once(before));
    const reading = await getSealed(store, sealer, att("r"));
    const it = reading[Symbol.asyncIterator]();
    const first = (await it.next()).value as Buffer;
    await putSealed(store, sealer, att("r"), once(Buffer.from("after")));
    const parts = [first];
    for (let r = await it.next(); !r.done; r = await it.next()) parts.push(r.value as Buffer);
    expect(Buffer.concat(parts).equals(before)).toBe(true);
    expect((await readAll(await getSealed(store, sealer, att("r")))).toString()).toBe("after");
  });

  it("shredding the tenant's keys makes its blobs unreadable", async () => {
    const tenant = await fx.tenant();
    await putSealed(store, await fx.sealer(tenant), att("s"), once(Buffer.from("secret")));
    await fx.dropKeys(tenant);
    await expect(fx.sealer(tenant)).rejects.toBeInstanceOf(TenantKeysMissingError);
    // The bytes are still on disk; nothing left can open them.
    expect(fs.existsSync(fileOf(tenant, att("s")))).toBe(true);
  });
});
