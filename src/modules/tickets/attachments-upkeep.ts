import { deleteSealed, removeOrphanBlobs } from "../../platform/blobs/index.ts";
import { makeContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import * as repo from "./attachments-repo.ts";
import { queueScan } from "./attachments-service.ts";

/**
 * Upkeep of files, run by the job runner (first at start, then on its own schedule), whatever
 * requests come in:
 *  - uploads no comment took within their day are removed, rows first, then their bytes once
 *    the rows are gone for good;
 *  - with a scanner configured, files uploaded while none was (`not_scanned`) are queued for a
 *    scan, so that they are served again once scanned clean;
 *  - files on disk that no live attachment names (left by a crash between storing a file and
 *    recording it, by a process killed mid-request, or re-sealed by a key rotation in another
 *    process while they were deleted) are removed once they are an hour old, by the wall clock
 *    their modification time is read on.
 * Every step is a short transaction per tenant, safe beside the same step in another process.
 */

type Deps = Pick<AppDeps, "db" | "keyring" | "blobs" | "scanner" | "config">;

const BATCH = 200;
/** A file no row names is left alone this long: its upload may still be recording it. */
const ORPHAN_GRACE_MS = 3600_000;

/** Removes expired unused uploads and queues never-scanned files, in every tenant. */
export async function sweepUploads(deps: Deps, now: Date): Promise<{ removed: number; queued: number }> {
  let removed = 0;
  let queued = 0;
  await forEachTenant(deps.db, async (tenantId) => {
    for (;;) {
      const r = await deps.db.tenant(tenantId, async (tx) => {
        const stale = await repo.expiredUploads(tx, now, BATCH);
        for (const u of stale) await repo.deleteUploadRows(tx, u.id);
        let scans: string[] = [];
        if (deps.scanner) {
          scans = await repo.markUnscannedPending(tx, BATCH);
          const ctx = makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now });
          for (const id of scans) await queueScan(ctx, id);
        }
        return { uploads: stale.length, blobs: stale.flatMap((u) => u.attachment_ids), scans: scans.length };
      });
      for (const id of r.blobs) await deleteSealed(deps.blobs, tenantId, { purpose: "attachments", id });
      removed += r.uploads;
      queued += r.scans;
      if (r.uploads < BATCH && r.scans < BATCH) break;
    }
  });
  return { removed, queued };
}

/** Removes stored files that no live attachment names and that are older than the grace period. */
export async function removeOrphanFiles(deps: Deps, wallNow = Date.now()): Promise<number> {
  let removed = 0;
  await forEachTenant(deps.db, async (tenantId) => {
    const kept = (ids: string[]) => deps.db.tenant(tenantId, (tx) => repo.liveAttachmentIds(tx, ids));
    removed += await removeOrphanBlobs(deps.blobs, tenantId, "attachments", kept, { wallNow, graceMs: ORPHAN_GRACE_MS });
  });
  return removed;
}

export function attachmentUpkeep(deps: Deps): MaintenanceTask[] {
  return [
    { name: "attachments.uploads", everyMs: 10 * 60_000, run: (now) => sweepUploads(deps, now).then(() => undefined) },
    { name: "attachments.orphans", everyMs: 6 * 3600_000, run: () => removeOrphanFiles(deps).then(() => undefined) },
  ];
}
