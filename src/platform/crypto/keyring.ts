import crypto from "node:crypto";
import type { Conn, TenantTx } from "../db/database.ts";
import type { MasterKeyProvider } from "./master-key.ts";
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

  forget(tenantId: string): void {
    this.#cache.delete(tenantId);
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
      if (dataKeys.size === 0 || !indexRoot) throw new TenantKeysMissingError("tenant keys are gone");
      keys = { dataKeys, current: Math.max(...dataKeys.keys()), indexKeys: new Map(), indexRoot, loadedAt: Date.now() };
      this.#cache.set(tx.tenantId, keys);
    }
    return makeSealer(tx.tenantId, keys);
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
