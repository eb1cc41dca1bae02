import type { AppDeps } from "../../platform/deps.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import { deleteExpiredOAuth } from "./oauth-repo.ts";

/**
 * OAuth upkeep: codes and tokens expired for longer than the grace period are deleted, in every
 * tenant, in short batches. Until then a used code or refresh token presented again is still
 * recognised as reuse (which revokes its grant); after expiry it would be refused anyway.
 */
export const OAUTH_GRACE_MS = 24 * 3600_000;
const BATCH = 500;

export async function sweepOAuth(deps: Pick<AppDeps, "db">, now: Date): Promise<{ codes: number; tokens: number }> {
  let codes = 0;
  let tokens = 0;
  const before = new Date(now.getTime() - OAUTH_GRACE_MS);
  await forEachTenant(deps.db, async (tenantId) => {
    for (;;) {
      const r = await deps.db.tenant(tenantId, (tx) => deleteExpiredOAuth(tx, before, BATCH));
      codes += r.codes;
      tokens += r.tokens;
      if (r.codes < BATCH && r.tokens < BATCH) break;
    }
  });
  return { codes, tokens };
}

export function oauthUpkeep(deps: Pick<AppDeps, "db">): MaintenanceTask[] {
  return [{ name: "oauth.expired", everyMs: 3600_000, run: (now) => sweepOAuth(deps, now).then(() => undefined) }];
}
