import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { audit } from "../audit/audit-service.ts";
import { teamName } from "../admin/account-service.ts";
import { isAdmin } from "../users/users-policy.ts";
import * as identityRepo from "./identity-repo.ts";
import { checkNewPassword, hashPassword, reusesEarlier, revokeAccessOf } from "./identity-service.ts";
import { rulesOf } from "./password-policy.ts";
import { passwordSetByAdminMail } from "./password-reset-mail.ts";
import { passwordSettings } from "./password-settings-service.ts";

/** What setting an end user's password needs, found and hashed before the transaction (argon2 is slow). */
export type PreparedAdminPassword = { userId: string; verifiedHash: string | null; newHash: string };

/**
 * Zendesk's "Set a user's password" (admins, when the tenant allows it; end users only): checked
 * against the end-user policy and the earlier passwords it remembers, then hashed, all before the
 * transaction. The password is one-time: the person chooses their own at the next sign-in.
 */
export async function prepareAdminPassword(inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>, userNiceId: number, password: string): Promise<PreparedAdminPassword> {
  const found = await inTenant(async (ctx) => {
    const actor = actorUser(ctx);
    if (!isAdmin(actor.role)) throw forbidden("Only admins set other people's passwords.");
    const user = await identityRepo.findUserByNiceIdForPassword(ctx.tx, userNiceId);
    if (!user) throw notFound();
    const settings = await passwordSettings(ctx.tx);
    if (!settings.admins_set_end_user_passwords) throw forbidden("Admins setting end users' passwords is turned off in the password settings.");
    if (user.role !== "end_user") throw invalid("user_id", "Team members choose their own password (an invitation or a reset link); admins set end users' passwords only", "InvalidValue");
    if (!user.active) throw invalid("user_id", "This person is deleted", "InvalidValue");
    const rules = rulesOf(settings.end_users);
    const row = { table: "users" as const, row: user.id };
    return {
      user,
      rules,
      owner: { email: user.email_sealed ? ctx.sealer.open(user.email_sealed, { ...row, column: "email" as const }) : undefined, name: ctx.sealer.open(user.name_sealed, { ...row, column: "name" as const }) },
      earlier: rules.history > 0 ? [...(user.password_hash ? [user.password_hash] : []), ...(await identityRepo.earlierPasswords(ctx.tx, user.id, rules.history - 1))] : [],
    };
  });
  checkNewPassword(found.rules, password, found.owner);
  if (await reusesEarlier(found.earlier, password)) throw invalid("password", `Password: must be different from the person's ${found.rules.history} previous passwords`, "InvalidValue");
  return { userId: found.user.id, verifiedHash: found.user.password_hash, newHash: await hashPassword(password) };
}

/** Sets the prepared password (one-time), ends the person's sessions and links, audits, and tells them by mail. */
export async function setPasswordByAdmin(deps: Pick<AppDeps, "config" | "mailer">, ctx: RequestContext, prepared: PreparedAdminPassword): Promise<void> {
  const actor = actorUser(ctx);
  if (!isAdmin(actor.role)) throw forbidden("Only admins set other people's passwords.");
  const user = await identityRepo.findUserForSignIn(ctx.tx, { id: prepared.userId });
  if (!user || user.password_hash !== prepared.verifiedHash) throw new AppError("Conflict", { description: "The password was changed meanwhile; try again." });
  if (!(await passwordSettings(ctx.tx)).admins_set_end_user_passwords) throw forbidden("Admins setting end users' passwords is turned off in the password settings.");
  await identityRepo.setOneTimePassword(ctx.tx, user.id, prepared.newHash);
  await revokeAccessOf(ctx, user.id, { tokens: false, grants: true, signinLinks: true });
  audit(ctx, { action: "user.password_set", resourceType: "user", resourceId: user.nice_id, fields: ["password"] });
  if (user.email_sealed && deps.mailer.available) {
    const to = ctx.sealer.open(user.email_sealed, { table: "users" as const, column: "email" as const, row: user.id });
    const team = (await teamName(ctx)) ?? new URL(ctx.apiBase).hostname;
    await queueMail(ctx, deps.config.mailRetryMs, { to, ...passwordSetByAdminMail(user.locale, team), about: { userId: user.id } });
  }
}
