import { getSealed, BlobNotFoundError } from "../../platform/blobs/index.ts";
import { makeContext } from "../../platform/context.ts";
import { audit } from "../audit/audit-service.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { EffectHandler } from "../../platform/jobs/job-runner.ts";
import { ScannerUnavailableError, type MalwareScanner, type ScanVerdict } from "../../platform/malware-scan.ts";
import * as repo from "./attachments-repo.ts";
import { ATTACHMENT_SCAN_JOB } from "./attachments-service.ts";

/**
 * The scan of one uploaded file, as a durable job queued with the upload: the sealed bytes are
 * streamed from the blob store to clamd outside any transaction, and the verdict is recorded in a
 * short one. While clamd cannot be reached the job is tried again (VAULTDESK_SCAN_RETRY_SECONDS,
 * the last delay repeating), and the file stays `pending`: never served. An infected file is
 * quarantined: marked `infected` with the signature's name (sealed), its bytes kept sealed for an
 * operator to examine and never served by any route. A file clamd refuses to take (over its
 * StreamMaxLength) is `unscannable`: a final answer (sending it again is refused again), never
 * served while scanning is on.
 */

type ScanPayload = { tenantId: string; attachmentId: string };
type Log = { warn(obj: object, msg: string): void };

export function attachmentScanJob(deps: Pick<AppDeps, "db" | "keyring" | "blobs" | "config" | "now">, scanner: MalwareScanner, log: Log): EffectHandler<ScanPayload> {
  const retry = deps.config.scanRetryMs;
  return {
    kind: "effect",
    type: ATTACHMENT_SCAN_JOB,
    async run({ tenantId, attachmentId }) {
      const found = await deps.db.tenant(tenantId, async (tx) => ({ row: await repo.findAttachmentById(tx, attachmentId), sealer: await deps.keyring.sealerFor(tx) }));
      // Removed meanwhile (an expired upload), or already decided: nothing to do.
      if (!found.row || found.row.scan_status !== "pending" || found.row.redacted_at) return;
      let verdict: ScanVerdict;
      try {
        if (found.row.size > deps.config.clamdMaxBytes) {
          verdict = { result: "too_large" };
        } else {
          const body = await getSealed(deps.blobs, found.sealer, { purpose: "attachments", id: attachmentId });
          try {
            verdict = await scanner.scan(body);
          } finally {
            body.destroy();
          }
        }
      } catch (err) {
        if (err instanceof BlobNotFoundError) return;
        // Only the kind of failure is logged: never a file name or content.
        log.warn({ job: ATTACHMENT_SCAN_JOB, err: err instanceof ScannerUnavailableError ? err.message : (err as Error).name }, "attachment scan: not scanned; trying again later");
        throw err;
      }
      await deps.db.tenant(tenantId, async (tx) => {
        const sealer = await deps.keyring.sealerFor(tx);
        await repo.setScanResult(tx, attachmentId, {
          scan_status: verdict.result === "too_large" ? "unscannable" : verdict.result,
          scan_result_sealed: verdict.result === "infected" ? sealer.seal(verdict.signature, refsOf("attachments")(attachmentId, "scan_result")) : null,
          scanned_at: deps.now(),
        });
        if (verdict.result === "infected") {
          const ctx = makeContext({ tx, sealer, actor: { kind: "system" }, now: deps.now });
          audit(ctx, { action: "attachment.quarantined", resourceType: "attachment", resourceId: found.row!.nice_id, fields: ["scan_status"] });
        }
      });
    },
    retryDelayMs: (failedAttempts) => retry[Math.min(failedAttempts, retry.length) - 1],
    succeeded: { index: 0, success: true, status: "Scanned" },
    failed: () => ({ index: 0, success: false, error: "NotScanned", details: "The malware scanner could not be reached at any attempt; the file stays unserved." }),
  };
}
