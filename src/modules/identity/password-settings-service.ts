import { sql } from "kysely";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import type { Role } from "../../platform/db/schema.ts";
import { forbidden, invalid } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";
import * as identityRepo from "./identity-repo.ts";
import { customRulesProblem, DEFAULT_END_USER_POLICY, DEFAULT_STAFF_POLICY, END_USER_LEVELS, policySchema, requirementsInWords, rulesOf, STAFF_LEVELS, type PasswordPolicy, type Rules } from "./password-policy.ts";
import { settingsChanged } from "../../platform/settings-changes.ts";

/** A tenant's password settings (admins read and change them; password-policy.ts has the levels). */
export type PasswordSettings = { staff: PasswordPolicy; end_users: PasswordPolicy; admins_set_end_user_passwords: boolean };

const parse = (v: unknown, fallback: PasswordPolicy): PasswordPolicy => {
  const r = policySchema.safeParse(typeof v === "string" ? JSON.parse(v) : v);
  return r.success ? r.data : fallback;
};

export async function passwordSettings(tx: TenantTx): Promise<PasswordSettings> {
  const row = await tx.db.selectFrom("password_settings").select(["staff_policy", "end_user_policy", "admins_set_end_user_passwords"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  if (!row) return { staff: DEFAULT_STAFF_POLICY, end_users: DEFAULT_END_USER_POLICY, admins_set_end_user_passwords: false };
  return { staff: parse(row.staff_policy, DEFAULT_STAFF_POLICY), end_users: parse(row.end_user_policy, DEFAULT_END_USER_POLICY), admins_set_end_user_passwords: row.admins_set_end_user_passwords };
}

/** The rules a person of this role chooses a password under. */
export async function rulesFor(tx: TenantTx, role: Role): Promise<Rules> {
  const s = await passwordSettings(tx);
  return rulesOf(isStaff(role) ? s.staff : s.end_users);
}

export async function showPasswordSettings(ctx: RequestContext): Promise<PasswordSettings> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Only admins see the password settings.");
  return passwordSettings(ctx.tx);
}

export async function updatePasswordSettings(ctx: RequestContext, input: Partial<PasswordSettings>): Promise<PasswordSettings> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Only admins change the password settings.");
  if (input.staff) {
    if (!STAFF_LEVELS.includes(input.staff.level)) throw invalid("staff", `Staff: the level must be one of ${STAFF_LEVELS.join(", ")}; low, medium and high are too weak for team members`, "InvalidValue");
    const problem = input.staff.level === "custom" ? customRulesProblem(input.staff.rules) : undefined;
    if (problem) throw invalid("staff", `Staff: ${problem}`, "InvalidValue");
  }
  if (input.end_users && !END_USER_LEVELS.includes(input.end_users.level)) throw invalid("end_users", `End users: the level must be one of ${END_USER_LEVELS.join(", ")}`, "InvalidValue");
  const next = { ...(await passwordSettings(ctx.tx)), ...input };
  await ctx.tx.db
    .insertInto("password_settings")
    .values({ tenant_id: ctx.tx.tenantId, id: ctx.tx.tenantId, staff_policy: JSON.stringify(next.staff), end_user_policy: JSON.stringify(next.end_users), admins_set_end_user_passwords: next.admins_set_end_user_passwords })
    .onConflict((oc) =>
      oc.column("tenant_id").doUpdateSet({ staff_policy: JSON.stringify(next.staff), end_user_policy: JSON.stringify(next.end_users), admins_set_end_user_passwords: next.admins_set_end_user_passwords, updated_at: sql`now()` }),
    )
    .execute();
  audit(ctx, { action: "password_settings.updated", resourceType: "account", resourceId: "passwords", fields: Object.keys(input) });
  await settingsChanged(ctx, "passwords");
  return next;
}

/** The password rules of a user in words (the user themselves, or an admin asking about anyone). */
export async function passwordRequirements(ctx: RequestContext, user: { id: string; role: Role }): Promise<string[]> {
  const actor = actorUser(ctx);
  if (actor.userId !== user.id && !isAdmin(actor.role)) throw forbidden("You can see your own password requirements; admins can see anyone's.");
  return requirementsInWords(await rulesFor(ctx.tx, user.role));
}

/** An admin ends a user's lockout (audited); answers whether the account was locked. */
export async function unlockUser(ctx: RequestContext, user: { id: string; niceId: number }): Promise<boolean> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Only admins unlock accounts.");
  const was = await identityRepo.unlockUser(ctx.tx, user.id, ctx.now());
  if (was) audit(ctx, { action: "user.unlocked", resourceType: "user", resourceId: user.niceId });
  return was;
}
