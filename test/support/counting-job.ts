import { makeContext } from "../../src/platform/context.ts";
import type { Keyring } from "../../src/platform/crypto/keyring.ts";
import type { Database } from "../../src/platform/db/database.ts";
import type { ItemsHandler } from "../../src/platform/jobs/job-runner.ts";
import { enqueueJob } from "../../src/platform/jobs/jobs.ts";
import { currentStaffActor } from "../../src/modules/users/users-service.ts";

/**
 * A job type of the tests' own, `test_count`, for the claim and lease tests (test/jobs.test.ts,
 * test/postgres/jobs-two-processes.test.ts): each item records `<tenant id>:<index>` in `seen`
 * and succeeds, so a test sees which items ran and how often.
 */
export function countingJob(seen: string[]): ItemsHandler<{ n: number }> {
  return {
    kind: "items",
    type: "test_count",
    actor: currentStaffActor,
    async runItem(ctx, _input, index) {
      seen.push(`${ctx.tx.tenantId}:${index}`);
      return { index, success: true };
    },
    failedItem: (_i, index, err) => ({ index, success: false, error: err.code }),
  };
}

/** Queues a `test_count` job of `total` items in a tenant, created by its owner; answers the job's id. */
export async function enqueueCountingJob(db: Database, keyring: Keyring, tenantId: string, total: number): Promise<string> {
  return db.tenant(tenantId, async (tx) => {
    const owner = (await tx.db.selectFrom("users").select("id").where("role", "=", "owner").executeTakeFirstOrThrow()).id;
    const ctx = makeContext({ tx, sealer: await keyring.sealerFor(tx), actor: { kind: "system" }, requestId: "test", now: () => new Date() });
    return enqueueJob(ctx, { type: "test_count", total, payload: { ip: null, apiBase: "", input: { n: total } }, createdBy: owner, maxAttempts: 3 });
  });
}
