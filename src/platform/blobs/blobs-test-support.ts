import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";
import { Keyring, type TenantSealer } from "../crypto/keyring.ts";
import { LocalMasterKey } from "../crypto/master-key.ts";
import { openDatabase, type Database } from "../db/database.ts";
import { copyOfRunDatabase } from "../../../test/support/postgres-database.ts";

/**
 * For the blob suites: a real keyring (LocalMasterKey) over a real database (the migrated PGlite
 * template, or a copy of the run's database on TEST_DATABASE_URL's server), tenants with real wrapped keys, and a temp folder.
 */
export type KeyringFixture = {
  keyring: Keyring;
  db: Database;
  /** A new tenant with version 1 of its keys. */
  tenant(): Promise<string>;
  sealer(tenantId: string): Promise<TenantSealer>;
  /** Adds a data-key version (what `keys rotate` does first); returns it. */
  rotate(tenantId: string): Promise<number>;
  /** Deletes one data-key version (after a rotation) or, without one, every key (shredding). */
  dropKeys(tenantId: string, version?: number): Promise<void>;
  close(): Promise<void>;
};

export async function keyringFixture(): Promise<KeyringFixture> {
  const pgUrl = inject("postgresUrl");
  const db = pgUrl
    ? await copyOfRunDatabase(2)
    : await openDatabase({ kind: "pglite", loadDataDir: new Blob([fs.readFileSync(inject("pgliteTemplate"))]) });
  const keyring = new Keyring(new LocalMasterKey(crypto.randomBytes(32)));
  return {
    keyring,
    db,
    async tenant() {
      const id = crypto.randomUUID();
      await db.system(async (conn) => {
        await conn.insertInto("tenants").values({ id, subdomain: `blob-${id.slice(0, 8)}`, shredded_at: null }).execute();
        await db.setTenant(conn, id);
        await keyring.createTenantKeys(conn, id);
      });
      return id;
    },
    sealer: (tenantId) => db.tenant(tenantId, (tx) => keyring.sealerFor(tx)),
    rotate: (tenantId) =>
      db.system(async (conn) => {
        await db.setTenant(conn, tenantId);
        return keyring.addDataKeyVersion(conn, tenantId);
      }),
    async dropKeys(tenantId, version) {
      await db.system(async (conn) => {
        await db.setTenant(conn, tenantId);
        let q = conn.deleteFrom("tenant_keys").where("tenant_id", "=", tenantId);
        if (version !== undefined) q = q.where("purpose", "=", "data").where("version", "=", version);
        await q.execute();
      });
      keyring.forget(tenantId);
    },
    close: () => db.close(),
  };
}

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(label: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vd-${label}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Every non-folder entry below `dir` (files and links), as full paths; works on Node 20.11. */
export function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => !fs.lstatSync(f).isDirectory());
}

/** Yields `data` in chunks of the given sizes, cycling through them. */
export async function* chunked(data: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let i = 0;
  for (let at = 0; at < data.byteLength; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    yield data.subarray(at, at + n);
    at += n;
  }
}

/** Reads a stream to the end into one buffer (test data only: small). */
export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}
