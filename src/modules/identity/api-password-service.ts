import { customRoleOf } from "../../platform/roles.ts";
import { actingAs, userActor, type Actor, type RequestContext } from "../../platform/context.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import { AppError } from "../../platform/errors.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { audit } from "../audit/audit-service.ts";
import { checkPassword, countSignInFailure, type PasswordCredential } from "./identity-service.ts";
import * as repo from "./identity-repo.ts";
import { passwordAccess } from "./api-tokens-repo.ts";
import { rulesFor } from "./password-settings-service.ts";
import { passwordAllowed } from "./sso-password.ts";
import * as twoFactorRepo from "./two-factor-repo.ts";

/**
 * Password access to the API (Basic `email:password`, Zendesk's "Password access"), when the
 * tenant turns it on (off by default). It is a sign-in on every request, and is checked like one:
 * argon2 runs outside any transaction; a wrong password spends the wrong-password budget and counts
 * toward the lockout; a locked account, a person whose group signs in only through single sign-on,
 * a one-time or expired password are refused. A person with two-factor sign-in (or whose team
 * requires it of staff) is refused outright: a password alone must not do what the sign-in page
 * asks a second factor for.
 */

/** What the check before the transaction established: this person, with this stored hash. */
export type ApiPasswordCheck = { userId: string; verifiedHash: string };

const GENERIC = "Invalid e-mail or password.";
const refuse = (description: string) => new AppError("Unauthorized", { description });

/**
 * The slow half, before the request's transaction: reads the setting and the stored hash in short
 * transactions, verifies outside any, and records the outcome (a failure's count, its audit) in a
 * short transaction of its own, committed even though the request is then refused.
 */
export async function checkApiPassword(
  deps: Pick<AppDeps, "config" | "mailer">,
  inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>,
  cred: PasswordCredential,
): Promise<ApiPasswordCheck> {
  // Off: refused before any password is hashed.
  if (!(await inTenant((ctx) => passwordAccess(ctx.tx)))) throw refuse("Password access to the API is turned off; use an API token.");
  const check = await checkPassword(inTenant, cred.email, cred.password);
  const verdict = await inTenant((ctx) => judge(deps, ctx, check));
  if (verdict !== "ok") throw refuse(verdict);
  return { userId: check.userId!, verifiedHash: check.verifiedHash! };
}

/** Mirrors the sign-in page's rules (identity-service.ts `signIn`); answers "ok" or the refusal's description. */
async function judge(deps: Pick<AppDeps, "config" | "mailer">, ctx: RequestContext, check: Awaited<ReturnType<typeof checkPassword>>): Promise<"ok" | string> {
  const user = check.userId ? await repo.findUserForSignIn(ctx.tx, { id: check.userId }) : undefined;
  const now = ctx.now();
  if (!user || user.password_hash === null || user.password_hash !== check.verifiedHash || !user.active || user.suspended) {
    audit(ctx, { action: "user.signin_failed", resourceType: "user", resourceId: user?.nice_id ?? "unknown", fields: ["api_password"] });
    return GENERIC;
  }
  const as = actingAs(ctx, { id: user.id, niceId: user.nice_id, role: user.role, customRole: null });
  const failed = (reason: string) => audit(as, { action: "user.signin_failed", resourceType: "user", resourceId: user.nice_id, fields: ["api_password", reason] });
  if (user.locked_until && user.locked_until > now) {
    failed("locked");
    return GENERIC;
  }
  if (!(await passwordAllowed(ctx, user))) {
    failed("sso_only");
    return GENERIC;
  }
  const rules = await rulesFor(ctx.tx, user.role);
  if (!check.ok) {
    // Not counted: another attempt locked the account meanwhile.
    failed((await countSignInFailure(deps, ctx, user, rules)) ? "password" : "locked");
    return GENERIC;
  }
  // The right password from here on: the answers may say why.
  if ((await twoFactorRepo.hasSecondFactor(ctx.tx, user.id)) || (user.role !== "end_user" && (await twoFactorRepo.requireStaffTwoFactor(ctx.tx)))) {
    failed("two_factor");
    return "Two-factor sign-in is on for this account, and a password alone cannot reach the API: use an API token.";
  }
  const expired = rules.expiry_days !== null && user.password_set_at !== null && now.getTime() - user.password_set_at.getTime() >= rules.expiry_days * 86_400_000;
  if (user.must_change_password || expired) {
    failed("must_change_password");
    return "Sign in to choose a new password before using it for the API.";
  }
  // A right password ends a run of wrong ones, as a sign-in does (written only when there is one).
  await repo.endSignInFailures(ctx.tx, user.id, now);
  return "ok";
}

/**
 * The actor, inside the request's transaction: the person checked before it, still active, still
 * with that password, not locked meanwhile, and password access still on. Every scope: a password
 * is the person (as a session is).
 */
/** The custom role of a person, read in the request's transaction. */
async function customRoleOfUser(tx: TenantTx, userId: string) {
  const r = await tx.db
    .selectFrom("users as u")
    .innerJoin("custom_roles as cr", (j) => j.onRef("cr.tenant_id", "=", "u.tenant_id").onRef("cr.id", "=", "u.custom_role_id"))
    .select(["cr.configuration", "cr.nice_id"])
    .where("u.tenant_id", "=", tx.tenantId)
    .where("u.id", "=", userId)
    .executeTakeFirst();
  return r ? customRoleOf(r.configuration, r.nice_id) : null;
}

export async function resolvePasswordActor(tx: TenantTx, now: Date, check: ApiPasswordCheck | undefined): Promise<Actor> {
  if (!check || !(await passwordAccess(tx))) throw refuse("Password access to the API is turned off; use an API token.");
  const user = await repo.findUserForSignIn(tx, { id: check.userId });
  if (!user || user.password_hash !== check.verifiedHash || !user.active || user.suspended || (user.locked_until && user.locked_until > now)) throw refuse(GENERIC);
  return userActor({ id: user.id, niceId: Number(user.nice_id), role: user.role, customRole: await customRoleOfUser(tx, user.id) }, "password");
}
