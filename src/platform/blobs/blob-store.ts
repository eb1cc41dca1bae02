import type { Readable } from "node:stream";
import { AppError } from "../errors.ts";

/**
 * Blob storage: opaque bytes under (tenant, key). It knows nothing of sealing; modules never call
 * it directly but go through sealed-blobs.ts, so that every stored byte is sealed.
 *
 * Keys are paths of 1 to 8 segments joined by `/`, each segment 1 to 128 characters of
 * lower-case letters, digits and `_ . -`, starting with a letter or digit (so `.`, `..`, hidden
 * names, absolute paths, back-slashes and case-folding collisions cannot be expressed). A tenant is
 * its UUID. An implementation maps (tenant, key) to `<root>/<tenant>/<key>`: a folder tree on the
 * filesystem (fs-blob-store.ts), an object key `<prefix>/<tenant>/<key>` in an S3-compatible bucket.
 *
 * Contract every implementation keeps (fs-blob-store.test.ts is the suite to run against a new one):
 *  - `put` is atomic: a reader sees the previous blob or the whole new one, never a part; when
 *    the body fails (a size limit, a broken upload, a sealing error), nothing is left behind and
 *    the previous blob, if any, is untouched. It resolves once the bytes are durable.
 *  - `put` reads the body as it arrives, with backpressure: memory does not grow with its size.
 *  - A key never reaches outside its tenant's space, and the store never follows a symbolic link.
 *  - `put` with `replaceOnly` stores only over a blob that is still there when the new bytes are
 *    complete (BlobNotFoundError otherwise, nothing left behind), and a `delete` in the same
 *    process cannot fall between its check and its replacement: what a deletion removed stays
 *    removed (a key rotation never writes back a redacted file).
 */
export interface BlobStore {
  /** Stores `body` under the key, replacing what was there, atomically. Returns the bytes written. */
  put(tenantId: string, key: string, body: BlobBody, opts?: PutOptions): Promise<{ bytes: number }>;
  /** The stored bytes as a stream (throws BlobNotFoundError when there is no such blob). */
  get(tenantId: string, key: string): Promise<Readable>;
  /** Size and time of a stored blob; undefined when there is none (this is also "exists"). */
  stat(tenantId: string, key: string): Promise<BlobInfo | undefined>;
  /** Removes a blob; false when there was none. */
  delete(tenantId: string, key: string): Promise<boolean>;
  /** Every key of the tenant under the folder `under` (every key when omitted), in no set order. */
  list(tenantId: string, under?: string): AsyncIterable<string>;
  /** Removes every blob of the tenant (tenant deletion; shredding makes them unreadable anyway). */
  purgeTenant(tenantId: string): Promise<void>;
}

export type PutOptions = { replaceOnly?: boolean };

/** What `put` reads: a Node Readable (not in object mode), or any async iterable of bytes. */
export type BlobBody = AsyncIterable<Uint8Array>;

export type BlobInfo = { bytes: number; modifiedAt: Date };

const TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SEGMENT = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
/** Most segments in a key. */
export const MAX_KEY_DEPTH = 8;

/** A tenant id or key that the store refuses (a programming error, or a crafted value). */
export class InvalidBlobKeyError extends Error {
  override readonly name = "InvalidBlobKeyError";
}

export class BlobNotFoundError extends Error {
  override readonly name = "BlobNotFoundError";
  constructor() {
    super("no such blob");
  }
}

/** A body went over its size limit; the HTTP layer answers 413 (code PayloadTooLarge). */
export class BlobTooLargeError extends AppError {
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super("PayloadTooLarge", { description: `The file is larger than the limit of ${limitBytes} bytes.` });
    this.limitBytes = limitBytes;
  }
}

export function checkBlobTenant(tenantId: string): void {
  if (!TENANT.test(tenantId)) throw new InvalidBlobKeyError("invalid tenant id for a blob");
}

/** Whether a name can be one segment of a key. */
export const isKeySegment = (name: string): boolean => SEGMENT.test(name);

/** Checks a tenant id and a key (or folder) and returns the key's segments. */
export function checkBlobKey(tenantId: string, key: string): string[] {
  checkBlobTenant(tenantId);
  const segments = key.split("/");
  if (segments.length > MAX_KEY_DEPTH || !segments.every(isKeySegment)) throw new InvalidBlobKeyError("invalid blob key");
  return segments;
}

/** Reads one chunk of a body as bytes, refusing strings and objects (a stream in the wrong mode). */
export function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError("a blob body must yield bytes (Buffer or Uint8Array)");
}
