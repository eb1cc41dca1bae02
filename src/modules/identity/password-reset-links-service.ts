import crypto from "node:crypto";
import { actingAs, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, invalid } from "../../platform/errors.ts";
import type { ItemsHandler } from "../../platform/jobs/job-runner.ts";
import { enqueueItems } from "../../platform/jobs/jobs.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { clientNetwork } from "../../platform/http/client-network.ts";
import { audit } from "../audit/audit-service.ts";
import { teamName } from "../admin/account-service.ts";
import { emailIndex } from "../users/users-fns.ts";
import { checkNewPassword, hashPassword, newSecret, reusesEarlier, revokeAccessOf } from "./identity-service.ts";
import { rulesFor } from "./password-settings-service.ts";
import * as identityRepo from "./identity-repo.ts";
import { markEmailProven } from "./signin-links-repo.ts";
import { passwordChangedMail, passwordResetMail } from "./password-reset-mail.ts";
import * as repo from "./password-reset-links-repo.ts";
import { passwordAllowed } from "./sso-password.ts";

/**
 * Password reset by e-mail ("Forgot your password?"), for anyone who has a password: staff, and
 * end users an admin or they themselves gave one. It follows the sign-in links
 * (signin-links-service.ts):
 *
 * - Asking answers the same 202, after the same work, whatever the address: the request counts
 *   the limits and queues a durable job; the job looks the address up and sends a link only to an
 *   active, unsuspended person who has a password, at an address nobody else moved them to
 *   (`email_status` not `staff_changed`). Nothing is sent otherwise — no "no account here" mail:
 *   it would let anyone send mail to any address, and tells the asker nothing they can see anyway.
 * - The link carries a 256-bit random secret; only its keyed hash is stored. It works once, for
 *   one hour; a new link for the same person ends the older unused ones (the newest link wins).
 * - Using it sets the password (argon2 outside the transaction), ends every session of the person
 *   and their unused sign-in and reset links, clears a pending one-time-password change, proves
 *   the address, is audited as the person's own `user.password_reset`, and mails them a notice.
 *   It signs nobody in: the person signs in with the new password, the one way in that proves it.
 * - An unknown, used, expired or superseded link, another tenant's link, and the link of a person
 *   deleted or suspended since all answer the same 422: what failed is not a way to learn more.
 */

export const PASSWORD_RESET_PREFIX = "vdr_";
export const PASSWORD_RESET_MINUTES = 60;
export const PASSWORD_RESET_JOB = "password_reset";
const HASH_KIND = "password-reset";

/** As for sign-in links: per address and client network per 15 minutes, per address per hour. */
const PER_ADDRESS_AND_NETWORK: [number, number] = [3, 900];
const PER_ADDRESS: [number, number] = [20, 3600];

const resetUrl = (ctx: RequestContext, token: string) => `${new URL(ctx.apiBase).origin}/reset-password?token=${encodeURIComponent(token)}`;

type ResetRequest = { email: string; locale: string | null };

/** Whether a person may be sent a reset link at their address. */
function mayReset(u: { active: boolean; suspended: boolean; password_hash: string | null; email_status: string }): boolean {
  return u.active && !u.suspended && u.password_hash !== null && u.email_status !== "staff_changed";
}

/**
 * Asks for a reset link for an address. The same work whatever the address — the limits are
 * counted and a job is queued — and the same answer; the job decides whether anything is sent.
 */
export async function requestPasswordReset(deps: Pick<AppDeps, "keyring" | "rateLimiter" | "mailer">, ctx: RequestContext, input: { email: string; locale?: string | undefined }): Promise<void> {
  if (!deps.mailer.available) {
    throw invalid("email", "Password reset by e-mail is not available: this helpdesk has no outgoing mail server. Ask an administrator to reset your password.", "Unavailable");
  }
  const key = (...parts: string[]) => deps.keyring.hashSecret("rate-limit", [ctx.tx.tenantId, "password-reset", ...parts].join("\0")).toString("base64url").slice(0, 22);
  const address = input.email.toLowerCase();
  if (!deps.rateLimiter.hit(`resetaddrnet:${key(address, clientNetwork(ctx.ip))}`, ...PER_ADDRESS_AND_NETWORK).allowed) return;
  if (!deps.rateLimiter.hit(`resetaddr:${key(address)}`, ...PER_ADDRESS).allowed) return;
  await enqueueItems<ResetRequest>(ctx, { type: PASSWORD_RESET_JOB, input: { email: input.email, locale: input.locale ?? null }, total: 1, createdBy: null, maxAttempts: 3 });
}

/** The job behind requestPasswordReset: finds the person and queues the mail with the link. */
export function passwordResetJob(deps: Pick<AppDeps, "keyring" | "config">): ItemsHandler<ResetRequest> {
  return {
    kind: "items",
    type: PASSWORD_RESET_JOB,
    actor: async () => ({ kind: "system" }),
    async runItem(ctx, input) {
      const user = await repo.findUserForReset(ctx.tx, emailIndex(ctx.sealer, input.email));
      if (user && mayReset(user) && (await passwordAllowed(ctx, user))) {
        const now = ctx.now();
        // The newest link wins: older unused ones end now.
        await repo.expirePasswordResetsOf(ctx.tx, user.id, now);
        const token = newSecret(PASSWORD_RESET_PREFIX);
        const expires = new Date(now.getTime() + PASSWORD_RESET_MINUTES * 60_000);
        await repo.insertPasswordReset(ctx.tx, { id: crypto.randomUUID(), user_id: user.id, token_hash: deps.keyring.hashSecret(HASH_KIND, token), expires_at: expires });
        const team = (await teamName(ctx)) ?? new URL(ctx.apiBase).hostname;
        const mail = passwordResetMail(input.locale ?? user.locale, team, resetUrl(ctx, token), PASSWORD_RESET_MINUTES);
        await queueMail(ctx, deps.config.mailRetryMs, { to: input.email, ...mail, about: { userId: user.id } }, expires);
        audit(actingAs(ctx, { id: user.id, niceId: user.nice_id, role: user.role, customRole: null }), { action: "password_reset.sent", resourceType: "user", resourceId: user.nice_id });
      }
      // The same result either way: job results are not a way to learn who has an account.
      return { index: 0, success: true, status: "Done" };
    },
    failedItem: (_input, index, err) => ({ index, success: false, error: err.code }),
  };
}

const notValid = () =>
  invalid("token", "This password reset link is not valid: it may have been used already, have expired (links work for one hour), or been replaced by a newer one. Ask for a new link.", "Invalid");

function usable(row: repo.PasswordResetRow | undefined, now: Date): row is repo.PasswordResetRow {
  return row !== undefined && row.used_at === null && row.expires_at.getTime() > now.getTime() && mayReset({ active: row.user_active, suspended: row.user_suspended, password_hash: row.user_password_hash, email_status: row.user_email_status });
}

/** What the slow half of a reset found and made, outside any transaction. */
export type PreparedReset = { resetId: string; verifiedHash: string | null; newHash: string };

/**
 * The slow half of using a link, before the request's transaction: the link is checked in a short
 * transaction (an unusable one costs no password hash), the new password against the policy, and
 * argon2 runs outside any transaction.
 */
export async function prepareReset(deps: Pick<AppDeps, "keyring" | "now">, inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>, token: string, password: string): Promise<PreparedReset> {
  if (!token.startsWith(PASSWORD_RESET_PREFIX)) throw notValid();
  const found = await inTenant(async (ctx) => {
    const row = await repo.findPasswordResetByHash(ctx.tx, deps.keyring.hashSecret(HASH_KIND, token));
    if (!usable(row, ctx.now())) return undefined;
    // Turned "SSO only" after the link was sent: the link no longer leads anywhere.
    if (!(await passwordAllowed(ctx, { id: row.user_id, role: row.user_role }))) return undefined;
    const email = row.user_email_sealed ? ctx.sealer.open(row.user_email_sealed, { table: "users" as const, column: "email" as const, row: row.user_id }) : undefined;
    const rules = await rulesFor(ctx.tx, row.user_role);
    // The current password counts as one of the earlier ones the policy remembers.
    const earlier = rules.history > 0 ? [...(row.user_password_hash ? [row.user_password_hash] : []), ...(await identityRepo.earlierPasswords(ctx.tx, row.user_id, rules.history - 1))] : [];
    return { row, email, rules, earlier };
  });
  if (!found) throw notValid();
  // The one place a reset's new password meets the tenant's password policy.
  checkNewPassword(found.rules, password, { email: found.email });
  if (await reusesEarlier(found.earlier, password)) throw invalid("password", `Password: must be different from your ${found.rules.history} previous passwords`, "InvalidValue");
  return { resetId: found.row.id, verifiedHash: found.row.user_password_hash, newHash: await hashPassword(password) };
}

/** Uses up the link and sets the password prepared by prepareReset. Signs nobody in. */
export async function completeReset(deps: Pick<AppDeps, "config">, ctx: RequestContext, prepared: PreparedReset): Promise<{ role: repo.PasswordResetRow["user_role"] }> {
  const now = ctx.now();
  const row = await repo.findPasswordResetById(ctx.tx, prepared.resetId);
  if (!usable(row, now) || !(await passwordAllowed(ctx, { id: row.user_id, role: row.user_role }))) throw notValid();
  if (row.user_password_hash !== prepared.verifiedHash) throw new AppError("Conflict", { description: "The password was changed meanwhile. Ask for a new link." });
  if (!(await repo.claimPasswordReset(ctx.tx, row.id, now))) throw notValid();
  await identityRepo.setPassword(ctx.tx, row.user_id, prepared.newHash);
  // Every session, and the unused sign-in and reset links, end; API tokens are not the password and stay.
  await revokeAccessOf(ctx, row.user_id, { tokens: false, grants: true, signinLinks: true });
  // The link came to the address: it is proven (unless staff moved the person to it — no link goes there).
  await markEmailProven(ctx.tx, row.user_id);
  const person = actingAs(ctx, { id: row.user_id, niceId: row.user_nice_id, role: row.user_role, customRole: null });
  audit(person, { action: "user.password_reset", resourceType: "user", resourceId: row.user_nice_id, fields: ["password"] });
  if (row.user_email_sealed) {
    const to = ctx.sealer.open(row.user_email_sealed, { table: "users" as const, column: "email" as const, row: row.user_id });
    const team = (await teamName(ctx)) ?? new URL(ctx.apiBase).hostname;
    await queueMail(ctx, deps.config.mailRetryMs, { to, ...passwordChangedMail(row.user_locale, team), about: { userId: row.user_id } });
  }
  return { role: row.user_role };
}
