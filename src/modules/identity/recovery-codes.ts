import crypto from "node:crypto";
import type { RequestContext } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { teamName } from "../admin/account-service.ts";
import { audit } from "../audit/audit-service.ts";
import { isStaff } from "../users/users-policy.ts";
import * as identityRepo from "./identity-repo.ts";
import * as passkeysRepo from "./passkeys-repo.ts";
import { recoveryCodesRenewedMail } from "./recovery-codes-mail.ts";
import * as repo from "./two-factor-repo.ts";

/**
 * Recovery codes: ten single-use codes, each a way through the second step of a sign-in when the
 * second factor is lost, kept as keyed hashes. Given once, when a team member's first second
 * factor is set up: an authenticator app (two-factor-service.ts), or a passkey when they have no
 * authenticator (passkeys-service.ts); dropped with the last second factor.
 */

export const RECOVERY_CODES = 10;
const RECOVERY_KIND = "two-factor-recovery";
const RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"; // 32 characters, no l/o/0/1

/** A code as typed: spaces and hyphens dropped, letters in lower case. */
export const normalized = (code: string) => code.replace(/[\s-]/g, "").toLowerCase();

function newRecoveryCode(): string {
  const bytes = crypto.randomBytes(10);
  const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b & 31]).join("");
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

export const recoveryHash = (deps: Pick<AppDeps, "keyring">, userId: string, code: string) => deps.keyring.hashSecret(RECOVERY_KIND, `${userId}\0${normalized(code)}`);

/** Ten new codes for the person (the earlier ones stop working), answered once. */
export async function issueRecoveryCodes(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  await repo.replaceRecoveryCodes(ctx.tx, userId, codes.map((c) => ({ id: crypto.randomUUID(), code_hash: recoveryHash(deps, userId, c) })));
  return codes;
}

/**
 * New codes the person asked for, their proof checked by the caller (a code from the authenticator
 * app or an unused recovery code: two-factor-service.ts; a passkey: recovery-codes-passkey.ts):
 * the earlier ones stop working, audited `user.recovery_codes_regenerated` (with `proof`, the
 * fields of what proved it), and the person is told by e-mail, queued in the same transaction (no
 * code in it). Like the other security notices it goes to a person whose processing is restricted
 * too: it is about what was done to their own account.
 */
export async function renewRecoveryCodes(deps: Pick<AppDeps, "keyring" | "config">, ctx: RequestContext, person: { userId: string; niceId: number }, proof: readonly string[]): Promise<string[]> {
  const codes = await issueRecoveryCodes(deps, ctx, person.userId);
  audit(ctx, { action: "user.recovery_codes_regenerated", resourceType: "user", resourceId: person.niceId, fields: [...proof, "recovery_codes"] });
  const u = await identityRepo.findUserPassword(ctx.tx, person.userId);
  if (u?.email_sealed) {
    const to = ctx.sealer.open(u.email_sealed, { table: "users", column: "email", row: person.userId });
    const team = (await teamName(ctx)) ?? (ctx.apiBase ? new URL(ctx.apiBase).hostname : "your helpdesk");
    await queueMail(ctx, deps.config.mailRetryMs, { to, ...recoveryCodesRenewedMail(u.locale, team, ctx.now()), about: { userId: person.userId } });
  }
  return codes;
}

/**
 * Codes for a team member whose first passkey was just added and who has no authenticator app
 * and no codes: without them, losing that passkey would leave only an admin's reset. Audited
 * (`user.recovery_codes_issued`). Undefined when none were issued (an end user: they sign in by
 * e-mailed link; or codes or an authenticator already there).
 */
export async function recoveryCodesForFirstPasskey(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, user: { id: string; niceId: number; role: Role }): Promise<string[] | undefined> {
  if (!isStaff(user.role) || (await repo.hasActiveTotp(ctx.tx, user.id)) || (await repo.recoveryCodesLeft(ctx.tx, user.id)) > 0) return undefined;
  const codes = await issueRecoveryCodes(deps, ctx, user.id);
  audit(ctx, { action: "user.recovery_codes_issued", resourceType: "user", resourceId: user.niceId, fields: ["recovery_codes", "passkeys"] });
  return codes;
}

/** After a passkey is removed: with no second factor left, the codes go too (they would be one on their own). */
export async function dropRecoveryCodesWithoutFactor(ctx: RequestContext, userId: string): Promise<void> {
  if ((await repo.hasActiveTotp(ctx.tx, userId)) || (await passkeysRepo.countPasskeysOf(ctx.tx, userId)) > 0) return;
  await repo.replaceRecoveryCodes(ctx.tx, userId, []);
}
