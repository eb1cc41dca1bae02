import { sql } from "kysely";
import { actorUser, makeContext, type RequestContext } from "../../platform/context.ts";
import type { AppDeps, ResolvedTenant } from "../../platform/deps.ts";
import { AppError, forbidden, invalid } from "../../platform/errors.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { tenantRegistryChanged } from "../../platform/tenant-registry.ts";
import { audit } from "../audit/audit-service.ts";
import { endAllAccess, passwordUnchanged, verifyCurrentPassword } from "../identity/identity-service.ts";
import { countActiveHolds } from "../privacy/privacy-service.ts";
import { closedTenantsDue, findTenant, shredTenant } from "../tenants/tenants-service.ts";
import { adminContacts } from "../users/users-service.ts";
import { teamName } from "./account-service.ts";
import { adminPolicy } from "./admin-policy.ts";
import * as repo from "./admin-repo.ts";
import { accountClosedMail } from "./termination-mail.ts";

/**
 * Account termination (the owner closes the account; docs/privacy.md, Account termination).
 *
 * - `delete_after_grace`: the tenant is closed at once (every request to its host and every mail
 *   to its addresses refused), every session, API token and OAuth grant ends, the owners and
 *   admins get a content-free mail, and `deletes_at` (now + VAULTDESK_TERMINATION_GRACE_DAYS) is
 *   when the hourly shared upkeep crypto-shreds it. An operator may reopen it until then.
 * - `shred_now`: the same closing, audited, then the tenant is crypto-shredded as soon as the
 *   transaction has committed (should that step not finish, the upkeep does it: the deletion date
 *   is the closing time).
 *
 * Only an owner, signed in (a session: no API or OAuth token), with their current password and the
 * account's subdomain typed out. An active legal hold refuses both (409): deleting the data would
 * defeat it. The upkeep skips a closed tenant under hold, too, until the hold is released.
 */

export type TerminationMode = "delete_after_grace" | "shred_now";
export type TerminationView = { status: "active" | "closed" | "shredded"; closed_at: string | null; deletes_at: string | null; mode: TerminationMode | null };

const DAY_MS = 86_400_000;

function mayTerminate(ctx: RequestContext): void {
  const d = adminPolicy.terminate(actorUser(ctx));
  if (!d.ok) throw forbidden(d.reason);
}

export async function showTermination(ctx: RequestContext): Promise<TerminationView> {
  mayTerminate(ctx);
  const r = await repo.findTermination(ctx.tx);
  return { status: r.status, closed_at: r.closed_at?.toISOString() ?? null, deletes_at: r.deletes_at?.toISOString() ?? null, mode: r.termination_mode };
}

export type TerminationInput = { mode: TerminationMode; confirm_subdomain: string; password: string };
export type TerminationCheck = { verifiedHash: string };

/** The slow half, outside the transaction: who asks, the typed subdomain, the password. */
export async function prepareTermination(
  deps: Pick<AppDeps, "config" | "mailer">,
  inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>,
  tenant: ResolvedTenant,
  input: TerminationInput,
): Promise<TerminationCheck> {
  await inTenant(async (ctx) => mayTerminate(ctx));
  if (input.confirm_subdomain.trim().toLowerCase() !== tenant.subdomain) {
    throw invalid("confirm_subdomain", "Confirm subdomain: does not match this account's subdomain", "InvalidValue");
  }
  // A wrong password counts toward the owner's lockout and is audited, as at the sign-in form.
  return { verifiedHash: await verifyCurrentPassword(deps, inTenant, input.password, { action: "account.close_refused", fields: ["password"] }) };
}

/**
 * Closes the account (see above). `afterCommit` shreds it at once for `shred_now`; the answer is
 * the state once that is done (the route runs work after commit before it answers).
 */
export async function terminateAccount(
  deps: Pick<AppDeps, "config" | "db" | "keyring" | "blobs">,
  ctx: RequestContext,
  tenant: ResolvedTenant,
  input: TerminationInput,
  check: TerminationCheck,
  afterCommit: (fn: () => Promise<void>) => void,
): Promise<TerminationView> {
  mayTerminate(ctx);
  if (!(await passwordUnchanged(ctx, check.verifiedHash))) throw new AppError("Conflict", { description: "The password was changed meanwhile; sign in again." });
  const holds = await countActiveHolds(ctx);
  if (holds > 0) {
    throw new AppError("Conflict", { description: `${holds} legal hold${holds === 1 ? " is" : "s are"} in force: closing the account would delete the data ${holds === 1 ? "it keeps" : "they keep"}. Release ${holds === 1 ? "it" : "them"} first.` });
  }
  const now = ctx.now();
  const deletesAt = input.mode === "shred_now" ? now : new Date(now.getTime() + deps.config.terminationGraceDays * DAY_MS);
  const r = await sql<{ closed: boolean }>`SELECT vd_close_tenant(${now}, ${deletesAt}, ${input.mode}) AS closed`.execute(ctx.tx.db);
  if (r.rows[0]?.closed !== true) throw new AppError("Conflict", { description: "The account is already closed." });
  // Audited before anything is ended or shredded (the entry is committed with the closing).
  audit(ctx, { action: input.mode === "shred_now" ? "account.shred_requested" : "account.closed", resourceType: "account", resourceId: "account", fields: ["status", "deletes_at"] });
  await endAllAccess(ctx);
  if (input.mode === "delete_after_grace") {
    const team = (await teamName(ctx)) ?? tenant.subdomain;
    for (const c of await adminContacts(ctx)) {
      await queueMail(ctx, deps.config.mailRetryMs, { to: c.email!, ...accountClosedMail(c.locale, team, now, deletesAt), about: { userId: c.id } });
    }
  }
  const view: TerminationView = { status: "closed", closed_at: now.toISOString(), deletes_at: deletesAt.toISOString(), mode: input.mode };
  // Work after commit runs before the answer is sent: the answer says "shredded" only once it is.
  // Should shredding fail, the account stays closed with its deletion date now, and the hourly
  // upkeep shreds it; the answer then says "closed".
  afterCommit(async () => {
    tenantRegistryChanged();
    if (input.mode === "shred_now") {
      await shredTenant(deps.db, deps.keyring, deps.blobs, tenant.subdomain);
      view.status = "shredded";
    }
  });
  return view;
}

/**
 * The hourly shared upkeep: crypto-shreds every closed tenant whose deletion date has passed
 * (an operator action in the audit trail, `tenant.shredded`), except those with a legal hold in
 * force, which wait and are named in the log by id and count only. Answers what it did.
 */
export async function shredDueClosedTenants(deps: Pick<AppDeps, "db" | "keyring" | "blobs" | "logger">, now: Date): Promise<{ shredded: string[]; held: string[] }> {
  const shredded: string[] = [];
  const held: string[] = [];
  let failed = 0;
  for (const t of await closedTenantsDue(deps.db, now)) {
    try {
      const holds = await deps.db.tenant(t.id, async (tx) => countActiveHolds(makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now })));
      if (holds > 0) {
        held.push(t.id);
        deps.logger.warn({ tenant_id: t.id, legal_holds: holds }, "account termination: a closed tenant past its deletion date is under legal hold; not shredded");
        continue;
      }
      // Still closed (an operator may have reopened it meanwhile): shredTenant re-reads nothing, so check.
      if ((await findTenant(deps.db, { id: t.id }))?.status !== "closed") continue;
      await shredTenant(deps.db, deps.keyring, deps.blobs, t.subdomain);
      shredded.push(t.id);
      deps.logger.info({ tenant_id: t.id }, "account termination: closed tenant shredded");
    } catch {
      failed++;
    }
  }
  if (failed > 0) throw new Error(`account termination did not finish for ${failed} tenant(s)`);
  return { shredded, held };
}

export function terminationUpkeep(deps: Pick<AppDeps, "db" | "keyring" | "blobs" | "logger">): MaintenanceTask[] {
  return [{ name: "tenants.termination", everyMs: 3600_000, shared: true, run: (now) => shredDueClosedTenants(deps, now).then(() => undefined) }];
}
