import { makeContext, type RequestContext } from "../../platform/context.ts";
import { NO_ID, type Database } from "../../platform/db/database.ts";
import type { Keyring } from "../../platform/crypto/keyring.ts";
import { audit } from "../audit/audit-service.ts";
import { dbColumn, NOT_RESEALED, SEALED_COLUMNS, type ColumnRef, type SealedTable } from "../../platform/crypto/sealed-columns.ts";
import { resealTenantBlobs, type BlobStore } from "../../platform/blobs/index.ts";
import * as repo from "./keys-repo.ts";

/**
 * Data-key rotation. `rotateTenantKey` adds a new data-key version (new values use it at once)
 * and re-seals every older value in small batches, one transaction each, recording progress so
 * that an interrupted rotation resumes (`resumeRotations`). Reads work throughout: a sealed value
 * names its key version. Other processes pick up the new version within the keyring's cache
 * lifetime; values they seal meanwhile are caught by the final passes, which repeat until no
 * stale value is left. Sealed files (attachments, exports) in the blob store are re-sealed too,
 * one file at a time in constant memory, before the rotation is recorded as complete.
 */

const BATCH = 200;

function opCtx(tx: RequestContext["tx"], sealer: RequestContext["sealer"]): RequestContext {
  return makeContext({ tx, sealer, actor: { kind: "operator" }, now: () => new Date() });
}

export async function rotateTenantKey(db: Database, keyring: Keyring, blobs: BlobStore, tenantId: string): Promise<{ version: number; resealed: number; files_resealed: number }> {
  const version = await db.system(async (conn) => {
    await db.setTenant(conn, tenantId);
    const v = await keyring.addDataKeyVersion(conn, tenantId);
    const tx = await db.enterTenant(conn, tenantId);
    await repo.insertRotation(tx, v);
    const sealer = await keyring.sealerFor(tx);
    audit(opCtx(tx, sealer), { action: "tenant_key.rotated", resourceType: "tenant_key", resourceId: v });
    await tx.flush();
    return v;
  });
  const r = await resealTo(db, keyring, blobs, tenantId, version);
  return { version, resealed: r.values, files_resealed: r.files };
}

/** Finishes every rotation left running (after a crash or restart). */
export async function resumeRotations(db: Database, keyring: Keyring, blobs: BlobStore, tenantId: string): Promise<number> {
  const running = await db.tenant(tenantId, (tx) => repo.rotationsInProgress(tx));
  let n = 0;
  for (const r of running) n += (await resealTo(db, keyring, blobs, tenantId, r.version)).values;
  return n;
}

async function resealTo(db: Database, keyring: Keyring, blobs: BlobStore, tenantId: string, version: number): Promise<{ values: number; files: number }> {
  let total = 0;
  for (let pass = 0; pass < 5; pass++) {
    let passCount = 0;
    for (const [table, declared] of Object.entries(SEALED_COLUMNS)) {
      if (NOT_RESEALED.has(table as SealedTable)) continue;
      const columns = Object.keys(declared);
      let after = NO_ID;
      for (;;) {
        const done = await db.tenant(tenantId, async (tx) => {
          const sealer = await keyring.sealerFor(tx);
          if (sealer.currentVersion < version) keyring.forget(tenantId);
          const s = sealer.currentVersion < version ? await keyring.sealerFor(tx) : sealer;
          const rows = await repo.staleRows(tx, table, columns.map(dbColumn), version, after, BATCH);
          for (const row of rows) {
            const next: Record<string, Uint8Array | null> = {};
            for (const column of columns) {
              const value = row.values[dbColumn(column)];
              if (!value || s.versionOf(value) >= version) continue;
              // Table and column come from the declaration itself, whatever their kind.
              next[dbColumn(column)] = s.reseal(value, { table, column, row: row.id } as ColumnRef);
            }
            await repo.writeSealed(tx, table, row.id, next);
          }
          if (rows.length) await repo.addResealed(tx, version, rows.length);
          return { count: rows.length, last: rows[rows.length - 1]?.id };
        });
        passCount += done.count;
        if (done.count < BATCH || !done.last) break;
        after = done.last;
      }
    }
    total += passCount;
    if (passCount === 0) break;
  }
  // Files: the sealer (taken in a short transaction) is used outside any, file by file.
  const sealer = await db.tenant(tenantId, async (tx) => {
    const s = await keyring.sealerFor(tx);
    if (s.currentVersion >= version) return s;
    keyring.forget(tenantId);
    return keyring.sealerFor(tx);
  });
  const files = await resealTenantBlobs(blobs, sealer);
  await db.tenant(tenantId, (tx) => repo.completeRotation(tx, version));
  return { values: total, files: files.resealed };
}
