import crypto from "node:crypto";
import { Readable } from "node:stream";
import {
  BLOB_FORMAT,
  BLOB_PURPOSES,
  BlobIntegrityError,
  blobKeyVersionOf,
  type BlobPurpose,
  type BlobRef,
  type BlobSegmentOpener,
  type TenantSealer,
} from "../crypto/keyring.ts";
import { asBytes, BlobNotFoundError, BlobTooLargeError, type BlobBody, type BlobStore } from "./blob-store.ts";

/**
 * Sealed blobs: attachments and exports, stored sealed under the tenant's data key and streamed
 * in constant memory (one 64 KiB segment at a time, whatever the size). The cryptography is in
 * the keyring (`TenantSealer.blobCipher`, format in keyring.ts and docs/security-model.md); this
 * file frames segments on their way to and from a BlobStore.
 *
 * Invariants:
 *  - What `getSealed` yields has been authenticated, segment by segment; any alteration,
 *    truncation, extension, reordering or move to another id or tenant ends the stream with a
 *    BlobIntegrityError before the bytes concerned are released. The header and the first
 *    segment are checked before `getSealed` returns, so a wrong tenant, id or key fails there.
 *  - A size limit is enforced on the plaintext while it streams; going over it aborts the write
 *    and leaves nothing stored (the store's `put` is atomic).
 */

/** The parts of a tenant's sealer that blobs use (no key ever leaves the keyring). */
export type BlobSealer = Pick<TenantSealer, "tenantId" | "blobCipher" | "currentVersion">;

export type SealedBlobWritten = {
  /** Plaintext bytes. */
  bytes: number;
  /** SHA-256 of the plaintext, hex, when asked for (`sha256: true`): it costs more CPU than sealing. */
  sha256: string | undefined;
  /** The data-key version that sealed it. */
  keyVersion: number;
  /** Bytes stored (header, segments and tags). */
  storedBytes: number;
};

const { headerBytes: HEADER, segmentBytes: SEGMENT, tagBytes: TAG } = BLOB_FORMAT;
const SEALED_SEGMENT = SEGMENT + TAG;

/** The store key of a sealed blob: `<purpose>/<id>`. */
export const blobKey = (ref: BlobRef): string => `${ref.purpose}/${ref.id}`;

/**
 * Seals `body` and stores it under `ref`, replacing any blob there. Refuses more than `maxBytes`
 * of plaintext with BlobTooLargeError (HTTP 413), leaving nothing stored. On any failure the
 * body is left where it stopped, not destroyed: its owner decides (an HTTP handler answers 413
 * and closes the connection rather than reading 50 MB it will refuse).
 */
export async function putSealed(store: BlobStore, sealer: BlobSealer, ref: BlobRef, body: BlobBody, opts: { maxBytes?: number; replaceOnly?: boolean; sha256?: boolean } = {}): Promise<SealedBlobWritten> {
  const limit = opts.maxBytes ?? Number.MAX_SAFE_INTEGER;
  const segments = sealer.blobCipher(ref).begin();
  const hash = opts.sha256 ? crypto.createHash("sha256") : undefined;
  let bytes = 0;
  async function* sealed(): AsyncGenerator<Buffer> {
    yield segments.header;
    // One segment of plaintext, copied out of the body's chunks (which their producer may reuse).
    const plain = Buffer.alloc(SEGMENT);
    let filled = 0;
    // Not `for await`: leaving it early would destroy the body (an HTTP request's socket with it).
    const chunks = body[Symbol.asyncIterator]();
    try {
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        const b = asBytes(next.value);
        bytes += b.byteLength;
        if (bytes > limit) throw new BlobTooLargeError(limit);
        hash?.update(b);
        for (let at = 0; at < b.byteLength; ) {
          // A full segment is sealed only once more bytes arrive: the last one must say it is last.
          if (filled === SEGMENT) {
            yield segments.seal(plain, false);
            filled = 0;
          }
          const n = Math.min(SEGMENT - filled, b.byteLength - at);
          plain.set(b.subarray(at, at + n), filled);
          filled += n;
          at += n;
        }
      }
      yield segments.seal(plain.subarray(0, filled), true);
    } finally {
      plain.fill(0);
    }
  }
  const { bytes: storedBytes } = await store.put(sealer.tenantId, blobKey(ref), sealed(), opts.replaceOnly ? { replaceOnly: true } : undefined);
  return { bytes, sha256: hash?.digest("hex"), keyVersion: segments.keyVersion, storedBytes };
}

/**
 * The plaintext of a sealed blob as a stream of authenticated bytes. Throws BlobNotFoundError,
 * BlobIntegrityError (wrong tenant or id, altered header or first segment) or
 * TenantKeysMissingError (key version dropped, tenant shredded) before returning; a later
 * segment that fails ends the stream with a BlobIntegrityError.
 */
export async function getSealed(store: BlobStore, sealer: BlobSealer, ref: BlobRef): Promise<Readable> {
  const cipher = sealer.blobCipher(ref);
  const source = await store.get(sealer.tenantId, blobKey(ref));
  const segments = openSegments(source, (header) => cipher.resume(header));
  const first = await segments.next(); // on failure the generator has already closed `source`
  async function* all(): AsyncGenerator<Buffer> {
    try {
      if (!first.done && first.value.length) yield first.value;
      for await (const plain of segments) if (plain.length) yield plain;
    } finally {
      await segments.return(undefined);
    }
  }
  return Readable.from(all(), { objectMode: false, highWaterMark: SEGMENT });
}

/** The data-key version a stored blob was sealed under (reads its header only). */
export async function sealedBlobKeyVersion(store: BlobStore, tenantId: string, ref: BlobRef): Promise<number> {
  const source = await store.get(tenantId, blobKey(ref));
  const queue = new ByteQueue();
  try {
    for await (const chunk of source) {
      queue.push(asBytes(chunk));
      if (queue.length >= HEADER) return blobKeyVersionOf(queue.take(HEADER));
    }
    throw new BlobIntegrityError("sealed blob is truncated (no header)");
  } finally {
    source.destroy();
  }
}

/**
 * Re-seals a blob under the newest data-key version (key rotation), streaming: the old blob stays
 * in place, readable, until the new one replaces it atomically. Does nothing when it is current.
 * A blob deleted meanwhile stays deleted (BlobNotFoundError).
 */
export async function resealBlob(store: BlobStore, sealer: BlobSealer, ref: BlobRef): Promise<{ resealed: boolean; keyVersion: number }> {
  const version = await sealedBlobKeyVersion(store, sealer.tenantId, ref);
  if (version >= sealer.currentVersion) return { resealed: false, keyVersion: version };
  const plain = await getSealed(store, sealer, ref);
  try {
    const written = await putSealed(store, sealer, ref, plain, { replaceOnly: true });
    return { resealed: true, keyVersion: written.keyVersion };
  } finally {
    plain.destroy();
  }
}

/** Every sealed blob of the tenant, for purge and rotation (ids that are not blob ids are skipped). */
export async function* listSealed(store: BlobStore, tenantId: string, purposes: readonly BlobPurpose[] = BLOB_PURPOSES): AsyncGenerator<BlobRef> {
  for (const purpose of purposes) {
    for await (const key of store.list(tenantId, purpose)) {
      const id = key.slice(purpose.length + 1);
      if (!id.includes("/")) yield { purpose, id };
    }
  }
}

/**
 * Removes a tenant's blobs of one purpose that their module no longer names (`kept` answers,
 * for a batch of ids, those still in use), once `graceMs` old by their modification time on the
 * wall clock `wallNow`: what a crash between a row's change and its file's removal leaves, or a
 * file stored by a request that died before recording it (the grace covers one still recording).
 * Only ids shaped as UUIDs are considered. Returns how many were removed.
 */
export async function removeOrphanBlobs(
  store: BlobStore,
  tenantId: string,
  purpose: BlobPurpose,
  kept: (ids: string[]) => Promise<Set<string>>,
  opts: { wallNow: number; graceMs: number },
): Promise<number> {
  let removed = 0;
  let batch: string[] = [];
  const settle = async () => {
    const live = await kept(batch);
    for (const id of batch) {
      if (live.has(id)) continue;
      const info = await store.stat(tenantId, `${purpose}/${id}`);
      if (info && opts.wallNow - info.modifiedAt.getTime() >= opts.graceMs && (await deleteSealed(store, tenantId, { purpose, id }))) removed++;
    }
    batch = [];
  };
  for await (const ref of listSealed(store, tenantId, [purpose])) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(ref.id)) continue;
    batch.push(ref.id);
    if (batch.length >= 200) await settle();
  }
  if (batch.length > 0) await settle();
  return removed;
}

/** Re-seals every blob of the tenant under its newest data-key version (blobs deleted meanwhile are skipped). */
export async function resealTenantBlobs(store: BlobStore, sealer: BlobSealer): Promise<{ resealed: number; current: number; gone: number }> {
  let resealed = 0;
  let current = 0;
  let gone = 0;
  for await (const ref of listSealed(store, sealer.tenantId)) {
    try {
      if ((await resealBlob(store, sealer, ref)).resealed) resealed++;
      else current++;
    } catch (err) {
      if (!(err instanceof BlobNotFoundError)) throw err;
      gone++;
    }
  }
  return { resealed, current, gone };
}

/** Removes a sealed blob; false when there was none. */
export function deleteSealed(store: BlobStore, tenantId: string, ref: BlobRef): Promise<boolean> {
  return store.delete(tenantId, blobKey(ref));
}

/** Plaintext size of a stored blob (for Content-Length), from its stored size; undefined if absent. */
export async function sealedBlobSize(store: BlobStore, tenantId: string, ref: BlobRef): Promise<number | undefined> {
  const info = await store.stat(tenantId, blobKey(ref));
  return info === undefined ? undefined : plaintextBytes(info.bytes);
}

/** Plaintext bytes of a blob of `storedBytes` (header, full segments, a last segment of 0..64 KiB). */
export function plaintextBytes(storedBytes: number): number {
  const body = storedBytes - HEADER;
  const segments = Math.max(1, Math.ceil(body / SEALED_SEGMENT));
  if (body - (segments - 1) * SEALED_SEGMENT < TAG) throw new BlobIntegrityError("sealed blob is truncated or malformed");
  return body - segments * TAG;
}

/**
 * Reads header then segments from `source` and opens them in order. A segment is known to be the
 * last only when the source ends, so at most one sealed segment plus one read is held at a time.
 */
async function* openSegments(source: Readable, resume: (header: Buffer) => BlobSegmentOpener): AsyncGenerator<Buffer> {
  const queue = new ByteQueue();
  let opener: BlobSegmentOpener | undefined;
  try {
    for await (const chunk of source) {
      queue.push(asBytes(chunk));
      if (!opener) {
        if (queue.length < HEADER) continue;
        opener = resume(queue.take(HEADER));
      }
      while (queue.length > SEALED_SEGMENT) yield opener.open(queue.take(SEALED_SEGMENT), false);
    }
    if (!opener) throw new BlobIntegrityError("sealed blob is truncated (no header)");
    yield opener.open(queue.take(queue.length), true);
  } finally {
    source.destroy();
  }
}

/** A FIFO of byte chunks from which exact lengths are taken (copying only across chunk edges). */
class ByteQueue {
  #chunks: Uint8Array[] = [];
  #offset = 0; // into the first chunk
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.length += chunk.byteLength;
  }

  take(n: number): Buffer {
    if (n > this.length) throw new RangeError("not enough bytes queued");
    const head = this.#chunks[0];
    if (head && head.byteLength - this.#offset >= n) {
      const out = Buffer.from(head.buffer, head.byteOffset + this.#offset, n);
      this.#advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    for (let filled = 0; filled < n; ) {
      const c = this.#chunks[0]!;
      const k = Math.min(n - filled, c.byteLength - this.#offset);
      out.set(c.subarray(this.#offset, this.#offset + k), filled);
      filled += k;
      this.#advance(k);
    }
    return out;
  }

  #advance(n: number): void {
    this.length -= n;
    this.#offset += n;
    if (this.#offset === this.#chunks[0]!.byteLength) {
      this.#chunks.shift();
      this.#offset = 0;
    }
  }
}
