import crypto from "node:crypto";
import type { Conn, TenantTx } from "../db/database.ts";
import type { MasterKeyProvider } from "./master-key.ts";
import { forgetOpened } from "./opened-cache.ts";
import type { ColumnRef } from "./sealed-columns.ts";

/**
 * Keyring: master key → per-tenant keys (wrapped in `tenant_keys`) → sealed values.
 *
 * Invariants:
 *  - A sealed value names the data-key version that sealed it, so reads work throughout a
 *    rotation; new values always use the newest version.
 *  - The AAD binds tenant, table, column and row: a ciphertext copied to another row, column or
 *    tenant fails to open.
 *  - Blind indexes use a separate per-tenant index key that rotation does not change, so lookups
 *    keep working while values are re-sealed. Shredding deletes both keys.
 *  - Keys never leave this module: callers get `seal`, `open` and `blindIndex` bound to a tenant.
 */

const SEAL_FORMAT = 1;
const HEADER = 1 + 4 + 12;
const TAG = 16;

export type { ColumnRef };

export interface TenantSealer {
  readonly tenantId: string;
  seal(plain: string, ref: ColumnRef<"text">): Buffer;
  open(sealed: Uint8Array, ref: ColumnRef<"text">): string;
  sealJson(value: unknown, ref: ColumnRef<"json">): Buffer;
  openJson<T>(sealed: Uint8Array, ref: ColumnRef<"json">): T;
  /** Raw bytes (files): the same AES-256-GCM under the tenant's data key, with the same AAD. */
  sealBytes(plain: Uint8Array, ref: ColumnRef<"bytes">): Buffer;
  openBytes(sealed: Uint8Array, ref: ColumnRef<"bytes">): Buffer;
  /** Re-seals a value of any kind under the newest key version (key rotation). */
  reseal(sealed: Uint8Array, ref: ColumnRef): Buffer;
  /** Keyed HMAC of a normalized value, for lookups and uniqueness. */
  blindIndex(purpose: string, normalized: string): Buffer;
  /** The key version a sealed value was written under. */
  versionOf(sealed: Uint8Array): number;
  readonly currentVersion: number;
  /**
   * Segment-by-segment sealing of one blob (attachments, exports), for streaming in constant
   * memory: see src/platform/blobs/sealed-blobs.ts for the framing and docs/security-model.md.
   */
  blobCipher(ref: BlobRef): BlobCipher;
}

type CachedKeys = {
  dataKeys: Map<number, Buffer>;
  current: number;
  indexKeys: Map<string, Buffer>;
  indexRoot: Buffer;
  loadedAt: number;
};

export class TenantKeysMissingError extends Error {}

const CACHE_TTL_MS = 30_000;

export class Keyring {
  readonly #provider: MasterKeyProvider;
  readonly #cache = new Map<string, CachedKeys>();
  readonly #tokenPepper: Buffer;

  constructor(provider: MasterKeyProvider) {
    this.#provider = provider;
    this.#tokenPepper = provider.derive("secret-hash");
  }

  /** Creates version 1 of a new tenant's data and index keys (owner connection, system context). */
  async createTenantKeys(conn: Conn, tenantId: string): Promise<void> {
    for (const purpose of ["data", "index"] as const) {
      const key = crypto.randomBytes(32);
      const wrapped = await this.#provider.wrap(key, aadForKey(tenantId, purpose, 1));
      await conn.insertInto("tenant_keys").values({ tenant_id: tenantId, purpose, version: 1, wrapped }).execute();
    }
  }

  /** Adds a new data-key version; new seals use it at once. Returns the new version. */
  async addDataKeyVersion(conn: Conn, tenantId: string): Promise<number> {
    const row = await conn
      .selectFrom("tenant_keys")
      .select((eb) => eb.fn.max("version").as("v"))
      .where("tenant_id", "=", tenantId)
      .where("purpose", "=", "data")
      .executeTakeFirst();
    const version = Number(row?.v ?? 0) + 1;
    const key = crypto.randomBytes(32);
    const wrapped = await this.#provider.wrap(key, aadForKey(tenantId, "data", version));
    await conn.insertInto("tenant_keys").values({ tenant_id: tenantId, purpose: "data", version, wrapped }).execute();
    this.forget(tenantId);
    return version;
  }

  /** Drops the tenant's keys from this process, and the values opened under them (opened-cache.ts): after shredding, after a new key version. */
  forget(tenantId: string): void {
    this.#cache.delete(tenantId);
    forgetOpened(tenantId);
  }

  /** A sealer for the transaction's tenant, loading its keys through the tenant's own RLS view. */
  async sealerFor(tx: TenantTx): Promise<TenantSealer> {
    let keys = this.#cache.get(tx.tenantId);
    if (!keys || Date.now() - keys.loadedAt > CACHE_TTL_MS) {
      const rows = await tx.db
        .selectFrom("tenant_keys")
        .select(["purpose", "version", "wrapped", "retired_at"])
        .where("tenant_id", "=", tx.tenantId)
        .execute();
      const dataKeys = new Map<number, Buffer>();
      let indexRoot: Buffer | undefined;
      for (const r of rows) {
        const key = await this.#provider.unwrap(r.wrapped, aadForKey(tx.tenantId, r.purpose, r.version));
        if (r.purpose === "data") dataKeys.set(r.version, key);
        else indexRoot = key;
      }
      if (dataKeys.size === 0 || !indexRoot) {
        this.forget(tx.tenantId);
        throw new TenantKeysMissingError("tenant keys are gone");
      }
      keys = { dataKeys, current: Math.max(...dataKeys.keys()), indexKeys: new Map(), indexRoot, loadedAt: Date.now() };
      this.#cache.set(tx.tenantId, keys);
    }
    return makeSealer(tx.tenantId, keys);
  }

  /**
   * The installation's key for signing audit checkpoints (Ed25519; docs/security-model.md, Audit
   * trail): derived from the master key, so every server process and the CLI sign with the same
   * key, and a checkpoint verifies under its public key alone, wherever it is kept.
   */
  checkpointKeys(): { privateKey: crypto.KeyObject; publicKey: crypto.KeyObject } {
    // An Ed25519 private key is a 32-byte seed; PKCS #8 wraps it behind this fixed prefix (RFC 8410).
    const seed = this.#provider.derive("audit-checkpoint");
    const privateKey = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]), format: "der", type: "pkcs8" });
    return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
  }

  /** Keyed hash for stored secrets (API tokens, session ids): high-entropy inputs only. */
  hashSecret(kind: string, secret: string): Buffer {
    return crypto.createHmac("sha256", this.#tokenPepper).update(kind).update("\0").update(secret).digest();
  }
}

function aadForKey(tenantId: string, purpose: string, version: number): string {
  return `vaultdesk/tenant-key/${tenantId}/${purpose}/${version}`;
}

function aadFor(tenantId: string, ref: ColumnRef): Buffer {
  return Buffer.from(`vd1|${tenantId}|${ref.table}|${ref.column}|${ref.row}`, "utf8");
}

/* ---------------------------------------------------------------------------------------------
 * Sealed blobs: a segmented streaming AEAD (the STREAM construction, as in Tink's
 * AES-GCM-HKDF streaming AEAD and age), on AES-256-GCM. Format 1:
 *
 *   header (48 bytes) = "VDBL" ‖ format 1 ‖ data-key version (u32) ‖ salt (32) ‖ nonce prefix (7)
 *   segment i         = AES-256-GCM(blob key, nonce = prefix ‖ i (u32) ‖ last (0|1),
 *                                   aad = header, 64 KiB of plaintext (the last: 0..64 KiB)) ‖ tag (16)
 *   blob key          = HKDF-SHA-256(data key of that version, salt,
 *                                    "vaultdesk/blob/v1|<tenant>|<purpose>|<id>")
 *
 * Invariants:
 *  - Every blob has its own key (fresh random salt) and the key binds tenant, purpose and id: a
 *    blob or a segment moved to another id or tenant, or spliced in from another blob, fails.
 *  - The segment index and the last flag are in the nonce: reordering, dropping, repeating or
 *    appending segments, and truncation at any point, fail. There is always at least one segment.
 *  - The header is each segment's AAD: changing the key version or the salt fails.
 *  - A segment's plaintext is released only after its tag verified.
 *  - Indexes are counted here, not by the caller, so a nonce cannot be used twice under a key.
 * ------------------------------------------------------------------------------------------- */

/** What a tenant's blobs are for; with the tenant and the id, it is bound into each blob's key. */
export const BLOB_PURPOSES = ["attachments", "exports", "mail", "audit"] as const;
export type BlobPurpose = (typeof BLOB_PURPOSES)[number];
/** A blob id: one path segment of lower-case letters, digits and `_ . -` (a UUID fits). */
export const BLOB_ID = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
/** Where a sealed blob belongs (its tenant is the sealer's). */
export type BlobRef = { purpose: BlobPurpose; id: string };

/** Sizes of blob format 1. */
export const BLOB_FORMAT = { headerBytes: 48, segmentBytes: 64 * 1024, tagBytes: 16 } as const;
const BLOB_MAGIC = Buffer.from("VDBL", "latin1");
const BLOB_FORMAT_VERSION = 1;
const MAX_SEGMENTS = 2 ** 32 - 1;

/** A sealed blob failed to open: altered, truncated, not a blob, or not this tenant's or this id's. */
export class BlobIntegrityError extends Error {
  override readonly name = "BlobIntegrityError";
}

/** Seals the segments of one new blob, in order. */
export interface BlobSegmentSealer {
  /** Goes first in the stored blob. */
  readonly header: Buffer;
  readonly keyVersion: number;
  /** Seals the next segment (`segmentBytes` of plaintext, except the last: 0 to `segmentBytes`). */
  seal(plain: Uint8Array, last: boolean): Buffer;
}

/** Opens the segments of one stored blob, in order. */
export interface BlobSegmentOpener {
  readonly keyVersion: number;
  /** Opens the next segment; returns its plaintext only once its tag verified. */
  open(sealed: Uint8Array, last: boolean): Buffer;
}

export interface BlobCipher {
  /** Starts a new blob under the newest data-key version. */
  begin(): BlobSegmentSealer;
  /** Starts reading a stored blob from its header (`BLOB_FORMAT.headerBytes`). */
  resume(header: Uint8Array): BlobSegmentOpener;
}

/** The data-key version a blob header names (no key needed: for re-sealing decisions). */
export function blobKeyVersionOf(header: Uint8Array): number {
  const h = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  if (h.length !== BLOB_FORMAT.headerBytes || !h.subarray(0, 4).equals(BLOB_MAGIC) || h[4] !== BLOB_FORMAT_VERSION) {
    throw new BlobIntegrityError("not a sealed blob (unknown header)");
  }
  return h.readUInt32BE(5);
}

function makeBlobCipher(tenantId: string, keys: CachedKeys, ref: BlobRef): BlobCipher {
  if (!(BLOB_PURPOSES as readonly string[]).includes(ref.purpose) || !BLOB_ID.test(ref.id)) throw new Error("invalid blob reference");
  const info = Buffer.from(`vaultdesk/blob/v1|${tenantId}|${ref.purpose}|${ref.id}`, "utf8");
  const blobKey = (version: number, salt: Buffer): Buffer => {
    if (version < 1) throw new BlobIntegrityError("not a sealed blob (key version 0)");
    // As for sealed values: a version this keyring does not hold was dropped after a rotation, or
    // the tenant was shredded (or, for up to the cache lifetime, another process just added it).
    const dataKey = keys.dataKeys.get(version);
    if (!dataKey) throw new TenantKeysMissingError(`data key version ${version} is gone`);
    return Buffer.from(crypto.hkdfSync("sha256", dataKey, salt, info, 32));
  };
  const segments = (header: Buffer) => {
    const key = blobKey(header.readUInt32BE(5), header.subarray(9, 41));
    const nonce = Buffer.alloc(12);
    header.copy(nonce, 0, 41, 48);
    let index = 0;
    let ended = false;
    return (last: boolean): { key: Buffer; nonce: Buffer } => {
      if (ended) throw new BlobIntegrityError("data after the last segment");
      if (index > MAX_SEGMENTS) throw new BlobIntegrityError("too many segments");
      nonce.writeUInt32BE(index++, 7);
      nonce[11] = last ? 1 : 0;
      ended = last;
      return { key, nonce };
    };
  };
  return {
    begin() {
      const header = Buffer.alloc(BLOB_FORMAT.headerBytes);
      BLOB_MAGIC.copy(header, 0);
      header[4] = BLOB_FORMAT_VERSION;
      header.writeUInt32BE(keys.current, 5);
      crypto.randomFillSync(header, 9, 32 + 7);
      const next = segments(header);
      return {
        header: Buffer.from(header), // the caller's copy: this one is every segment's AAD
        keyVersion: keys.current,
        seal(plain, last) {
          if (plain.byteLength > BLOB_FORMAT.segmentBytes || (!last && plain.byteLength !== BLOB_FORMAT.segmentBytes)) throw new Error("wrong segment size");
          const { key, nonce } = next(last);
          const c = crypto.createCipheriv("aes-256-gcm", key, nonce);
          c.setAAD(header);
          return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
        },
      };
    },
    resume(stored) {
      const keyVersion = blobKeyVersionOf(stored);
      const header = Buffer.from(stored); // a private copy: it is every segment's AAD
      const next = segments(header);
      return {
        keyVersion,
        open(sealed, last) {
          const s = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
          const max = BLOB_FORMAT.segmentBytes + BLOB_FORMAT.tagBytes;
          if (s.length < BLOB_FORMAT.tagBytes || s.length > max || (!last && s.length !== max)) throw new BlobIntegrityError("sealed blob is truncated or malformed");
          const { key, nonce } = next(last);
          const d = crypto.createDecipheriv("aes-256-gcm", key, nonce);
          d.setAAD(header);
          d.setAuthTag(s.subarray(s.length - BLOB_FORMAT.tagBytes));
          const body = d.update(s.subarray(0, s.length - BLOB_FORMAT.tagBytes));
          try {
            // Until final() succeeds, `body` is unauthenticated: it is dropped, never returned.
            return Buffer.concat([body, d.final()]);
          } catch {
            body.fill(0);
            throw new BlobIntegrityError("sealed blob failed authentication (altered, truncated, or not this tenant's or this blob's)");
          }
        },
      };
    },
  };
}

function makeSealer(tenantId: string, keys: CachedKeys): TenantSealer {
  const sealRaw = (plain: Uint8Array, ref: ColumnRef): Buffer => {
    const version = keys.current;
    const key = keys.dataKeys.get(version)!;
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv("aes-256-gcm", key, iv);
    c.setAAD(aadFor(tenantId, ref));
    const header = Buffer.alloc(HEADER);
    header[0] = SEAL_FORMAT;
    header.writeUInt32BE(version, 1);
    iv.copy(header, 5);
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([header, body, c.getAuthTag()]);
  };
  const versionOf = (sealed: Uint8Array): number => {
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (buf[0] !== SEAL_FORMAT || buf.length < HEADER + TAG) throw new Error("unknown sealed format");
    return buf.readUInt32BE(1);
  };
  const openRaw = (sealed: Uint8Array, ref: ColumnRef): Buffer => {
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const version = versionOf(buf);
    const key = keys.dataKeys.get(version);
    if (!key) throw new TenantKeysMissingError(`data key version ${version} is gone`);
    const d = crypto.createDecipheriv("aes-256-gcm", key, buf.subarray(5, HEADER));
    d.setAAD(aadFor(tenantId, ref));
    d.setAuthTag(buf.subarray(buf.length - TAG));
    return Buffer.concat([d.update(buf.subarray(HEADER, buf.length - TAG)), d.final()]);
  };
  const seal = (plain: string, ref: ColumnRef): Buffer => sealRaw(Buffer.from(plain, "utf8"), ref);
  const open = (sealed: Uint8Array, ref: ColumnRef): string => openRaw(sealed, ref).toString("utf8");
  return {
    tenantId,
    currentVersion: keys.current,
    seal,
    open,
    sealJson: (value, ref) => seal(JSON.stringify(value), ref),
    openJson: <T>(sealed: Uint8Array, ref: ColumnRef) => JSON.parse(open(sealed, ref)) as T,
    sealBytes: (plain, ref) => sealRaw(plain, ref),
    openBytes: (sealed, ref) => openRaw(sealed, ref),
    reseal: (sealed, ref) => sealRaw(openRaw(sealed, ref), ref),
    versionOf,
    blobCipher: (ref) => makeBlobCipher(tenantId, keys, ref),
    blindIndex(purpose, normalized) {
      let k = keys.indexKeys.get(purpose);
      if (!k) {
        k = Buffer.from(crypto.hkdfSync("sha256", keys.indexRoot, Buffer.alloc(0), `vaultdesk/bidx/${purpose}`, 32));
        keys.indexKeys.set(purpose, k);
      }
      return crypto.createHmac("sha256", k).update(normalized, "utf8").digest();
    },
  };
}
