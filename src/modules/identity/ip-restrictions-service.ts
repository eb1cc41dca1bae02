import { actorUser, makeContext, type RequestContext } from "../../platform/context.ts";
import type { Database } from "../../platform/db/database.ts";
import type { Keyring } from "../../platform/crypto/keyring.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import type { TenantSealer } from "../../platform/crypto/keyring.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { AppError, forbidden, invalid } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { isAdmin } from "../users/users-policy.ts";
import { inRanges, ipRestrictionsPolicy, MAX_RANGES, NETWORK_REFUSED, NO_IP_RULES, parseRanges, type IpRules, type NetworkSubject } from "./ip-restrictions-policy.ts";
import * as repo from "./ip-restrictions-repo.ts";
import type { NetworkColumns } from "./identity-repo.ts";
import { settingsChanged } from "../../platform/settings-changes.ts";

/**
 * IP restrictions (Zendesk's `ip_restriction` account setting): the networks a tenant's staff,
 * and optionally its end users, may use it from. Checked for every credential on every request
 * (identity-auth.ts) and before every session starts (startSession); the operator's command line
 * is not bound. The ranges are sealed at rest; audit entries name what changed and how many
 * ranges there are, never the ranges themselves.
 */

const ref = (tenantId: string) => refsOf("ip_restrictions")(tenantId, "allowed_ips");

/** The tenant's rules (no row: none). */
export async function networkRulesOf(tx: TenantTx, sealer: TenantSealer): Promise<IpRules> {
  const row = await repo.findIpRestrictions(tx);
  if (!row) return NO_IP_RULES;
  return {
    enabled: row.enabled,
    allowedIps: row.allowed_ips_sealed ? sealer.openJson<string[]>(row.allowed_ips_sealed, ref(tx.tenantId)) : [],
    enforceEndUsers: row.enforce_end_users,
    allowTwoFactor: row.allow_two_factor,
  };
}

/** The rules from the columns read with a credential (identity-repo's NetworkColumns); the ranges are opened only when they apply. */
export function networkRulesFromColumns(tenantId: string, sealer: TenantSealer, c: NetworkColumns): IpRules {
  if (!c.ipr_enabled) return NO_IP_RULES;
  return {
    enabled: true,
    allowedIps: c.ipr_allowed_ips_sealed ? sealer.openJson<string[]>(c.ipr_allowed_ips_sealed, ref(tenantId)) : [],
    enforceEndUsers: c.ipr_enforce_end_users === true,
    allowTwoFactor: c.ipr_allow_two_factor === true,
  };
}

/** The 403 a request or sign-in from a network the tenant does not admit gets. */
export const networkRefused = () => new AppError("Forbidden", { description: NETWORK_REFUSED });

/** Refuses (403) a person whose credential may not be used from the request's address. */
export async function refuseOutsideNetwork(tx: TenantTx, sealer: TenantSealer, who: NetworkSubject, ip: string | undefined): Promise<void> {
  // Most tenants have no row: one primary-key lookup.
  const rules = await networkRulesOf(tx, sealer);
  if (!ipRestrictionsPolicy.allows(rules, who, ip)) throw networkRefused();
}

/**
 * The operator's way back in for a tenant whose admins shut themselves out: turns the rules off
 * (the ranges are kept), audited as the operator. The command line is not bound by the ranges.
 */
export async function liftIpRestrictionsByOperator(deps: { db: Database; keyring: Keyring }, tenantId: string): Promise<boolean> {
  return deps.db.tenant(tenantId, async (tx) => {
    const sealer = await deps.keyring.sealerFor(tx);
    const rules = await networkRulesOf(tx, sealer);
    if (!rules.enabled) return false;
    await repo.storeIpRestrictions(tx, { enabled: false, allowed_ips_sealed: sealer.sealJson(rules.allowedIps, ref(tenantId)), enforce_end_users: rules.enforceEndUsers, allow_two_factor: rules.allowTwoFactor });
    audit(makeContext({ tx, sealer, actor: { kind: "operator" }, now: () => new Date() }), { action: "ip_restrictions.updated", resourceType: "account", resourceId: "ip_restrictions", fields: ["enabled:on-off"] });
    return true;
  });
}

export type IpRestrictionView = {
  enabled: boolean;
  allowed_ips: string;
  enforce_end_users: boolean;
  allow_two_factor: boolean;
  current_ip: string | null;
  current_ip_allowed: boolean;
};

function present(rules: IpRules, ip: string | undefined): IpRestrictionView {
  return {
    enabled: rules.enabled,
    allowed_ips: rules.allowedIps.join(" "),
    enforce_end_users: rules.enforceEndUsers,
    allow_two_factor: rules.allowTwoFactor,
    current_ip: ip ?? null,
    current_ip_allowed: inRanges(rules.allowedIps, ip),
  };
}

export async function showIpRestrictions(ctx: RequestContext): Promise<IpRestrictionView> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Only admins see the IP restrictions.");
  return present(await networkRulesOf(ctx.tx, ctx.sealer), ctx.ip);
}

export type IpRestrictionInput = {
  enabled?: boolean | undefined;
  allowed_ips?: string | undefined;
  enforce_end_users?: boolean | undefined;
  allow_two_factor?: boolean | undefined;
};

const onOff = (b: boolean) => (b ? "on" : "off");

/**
 * Changes the rules (admins; audited). A change that would refuse the admin's own next request
 * (their address outside the new ranges, and the two-factor exception not covering their
 * credential) is refused 422 unless `confirmLockout`. Applies at once to every live session and
 * token.
 */
export async function updateIpRestrictions(ctx: RequestContext, input: IpRestrictionInput, opts: { confirmLockout: boolean; secondFactor: boolean }): Promise<IpRestrictionView> {
  const actor = actorUser(ctx);
  if (!isAdmin(actor.role)) throw forbidden("Only admins change the IP restrictions.");
  const cur = await networkRulesOf(ctx.tx, ctx.sealer);
  let allowedIps = cur.allowedIps;
  if (input.allowed_ips !== undefined) {
    const entries = input.allowed_ips.split(/[\s,]+/).filter((e) => e.length > 0);
    const parsed = parseRanges(entries);
    // The entries are the admin's own input, echoed back to them only (never logged).
    if (!parsed.ok) throw invalid("allowed_ips", `Allowed IPs: not an IPv4 or IPv6 address or CIDR range: ${parsed.bad.slice(0, 5).join(", ")}`, "InvalidValue");
    if (parsed.ranges.length > MAX_RANGES) throw invalid("allowed_ips", `Allowed IPs: at most ${MAX_RANGES} ranges`, "InvalidValue");
    allowedIps = parsed.ranges;
  }
  const next: IpRules = {
    enabled: input.enabled ?? cur.enabled,
    allowedIps,
    enforceEndUsers: input.enforce_end_users ?? cur.enforceEndUsers,
    allowTwoFactor: input.allow_two_factor ?? cur.allowTwoFactor,
  };
  if (next.enabled && next.allowedIps.length === 0) throw invalid("allowed_ips", "Allowed IPs: list at least one range before turning the restriction on", "InvalidValue");
  const lockout = ipRestrictionsPolicy.locksOut(next, { role: actor.role, secondFactor: opts.secondFactor }, ctx.ip);
  if (lockout && !opts.confirmLockout) {
    throw invalid("allowed_ips", "Allowed IPs: your current address is outside these ranges, so this change would sign you out of this account. Send confirm_lockout: true to make it anyway.", "LockoutRisk");
  }
  await repo.storeIpRestrictions(ctx.tx, {
    enabled: next.enabled,
    allowed_ips_sealed: ctx.sealer.sealJson(next.allowedIps, ref(ctx.tx.tenantId)),
    enforce_end_users: next.enforceEndUsers,
    allow_two_factor: next.allowTwoFactor,
  });
  // Old and new values, without the ranges: switches as on/off, ranges as how many.
  const fields: string[] = [];
  if (cur.enabled !== next.enabled) fields.push(`enabled:${onOff(cur.enabled)}-${onOff(next.enabled)}`);
  if (cur.enforceEndUsers !== next.enforceEndUsers) fields.push(`enforce_end_users:${onOff(cur.enforceEndUsers)}-${onOff(next.enforceEndUsers)}`);
  if (cur.allowTwoFactor !== next.allowTwoFactor) fields.push(`allow_two_factor:${onOff(cur.allowTwoFactor)}-${onOff(next.allowTwoFactor)}`);
  if (cur.allowedIps.join(" ") !== next.allowedIps.join(" ")) fields.push(`allowed_ips:${cur.allowedIps.length}-${next.allowedIps.length}`);
  if (lockout) fields.push("lockout_confirmed");
  audit(ctx, { action: "ip_restrictions.updated", resourceType: "account", resourceId: "ip_restrictions", fields });
  await settingsChanged(ctx, "ip_restrictions");
  return present(next, ctx.ip);
}
