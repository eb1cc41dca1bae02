import { BlobNotFoundError } from "../../platform/blobs/index.ts";
import { makeContext } from "../../platform/context.ts";
import { retryOnConflict } from "../../platform/db/conflict.ts";
import { AppError } from "../../platform/errors.ts";
import type { EffectHandler } from "../../platform/jobs/job-runner.ts";
import { findTenant } from "../tenants/tenants-service.ts";
import { deleteBlobs, mailFileGate, storeMailFiles, type MailFileStored } from "../tickets/attachments-service.ts";
import { applyMessage, deleteOriginal, holdsRedacted, INBOUND_JOB, mailFiles, openEnvelope, readStored, recordOutcome, type InboundDeps, type InboundPayload } from "./inbound-service.ts";
import { detectorsFor } from "../privacy/redaction-service.ts";
import * as repo from "./mail-repo.ts";

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

/** Delays before each new attempt when processing failed for a reason that may pass (database, DNS). */
const RETRY_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000];

/**
 * The processing of one accepted message (inbound-service.ts): read, parse and authenticate
 * outside any transaction, then decide and write in one that locks the message's row and checks
 * it is still queued, so a message makes one ticket or comment at most, whatever the retries.
 * A refusal of the conversation writer (an AppError) is final: the message is recorded as
 * dropped (`refused`) rather than tried again. Only ids and outcome codes are logged.
 */
export function inboundJob(deps: InboundDeps, log: Log): EffectHandler<InboundPayload> {
  return {
    kind: "effect",
    type: INBOUND_JOB,
    async run({ tenantId, messageId }) {
      const found = await deps.db.tenant(tenantId, async (tx) => {
        const sealer = await deps.keyring.sealerFor(tx);
        const row = await repo.findInbound(tx, messageId);
        if (!row || row.state !== "queued") return undefined;
        const gate = await mailFileGate(deps, makeContext({ tx, sealer, actor: { kind: "system" }, now: deps.now }));
        return { sealer, envelope: openEnvelope({ sealer }, row), gate };
      });
      if (!found) return;
      const tenant = await findTenant(deps.db, { id: tenantId });
      if (!tenant || tenant.status !== "active") return;
      let read;
      try {
        read = await readStored(deps, found.sealer, messageId, found.envelope);
      } catch (err) {
        if (err instanceof BlobNotFoundError) return;
        log.warn({ job: INBOUND_JOB, mail: messageId, err: (err as Error)?.name }, "inbound mail: not read; trying again later");
        throw err;
      }
      // The message's files, stored sealed before the writing transaction (like uploads); removed
      // again unless its comment took them.
      let files: MailFileStored[] = [];
      if (found.gate && read.mail.attachments.length) files = await storeMailFiles(deps, found.gate, mailFiles(read.mail));
      const decide = () =>
        deps.db.tenant(tenantId, async (tx) => {
          const sealer = await deps.keyring.sealerFor(tx);
          const ctx = makeContext({ tx, sealer, actor: { kind: "system" }, now: deps.now, hooks: deps.hooks, apiBase: deps.urls.apiBase({ subdomain: tenant.subdomain, isDefault: tenant.isDefault }) });
          const row = await repo.findInboundForUpdate(tx, messageId);
          if (!row || row.state !== "queued") return undefined;
          const outcome = await applyMessage(deps, ctx, messageId, read, { subdomain: tenant.subdomain, recover: false, files });
          await recordOutcome(ctx, messageId, read, outcome);
          return { ...outcome, detectors: await detectorsFor(ctx) };
        });
      const dropFiles = () => deleteBlobs(deps, tenantId, files.map((f) => f.id)).catch(() => undefined);
      try {
        const outcome = await retryOnConflict(decide);
        if (!outcome?.filesUsed) await dropFiles();
        if (outcome && (outcome.state === "ticket" || outcome.state === "comment") && holdsRedacted(read.mail, outcome.detectors)) await deleteOriginal(deps, tenantId, messageId);
        if (outcome) log.info({ job: INBOUND_JOB, mail: messageId, state: outcome.state, outcome: outcome.outcome, files: outcome.filesUsed ? files.length : 0 }, "inbound mail processed");
      } catch (err) {
        await dropFiles();
        if (!(err instanceof AppError)) {
          log.warn({ job: INBOUND_JOB, mail: messageId, err: (err as Error)?.name }, "inbound mail: not processed; trying again later");
          throw err;
        }
        await deps.db.tenant(tenantId, async (tx) => {
          const row = await repo.findInboundForUpdate(tx, messageId);
          if (row && row.state === "queued") await repo.setInboundState(tx, messageId, { state: "dropped" });
        });
        log.warn({ job: INBOUND_JOB, mail: messageId, err: err.code }, "inbound mail refused by the ticket rules");
      }
    },
    retryDelayMs: (failedAttempts) => RETRY_MS[failedAttempts - 1],
    succeeded: { index: 0, success: true, status: "Processed" },
    failed: () => ({ index: 0, success: false, error: "NotProcessed", details: "The message could not be processed at any attempt; it stays stored." }),
  };
}
