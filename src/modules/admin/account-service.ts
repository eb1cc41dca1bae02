import { actorUser, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { forbidden } from "../../platform/errors.ts";
import type { AppDeps, ResolvedTenant } from "../../platform/deps.ts";
import { audit } from "../audit/audit-service.ts";
import { adminPolicy } from "./admin-policy.ts";
import * as repo from "./admin-repo.ts";

/**
 * The account page: the team name (sealed in tenant_settings), the subdomain, and the hosting
 * region (this deployment's VAULTDESK_REGION), plus the audit chain's verification in words.
 */

const nameRef = (tenantId: string) => refsOf("tenant_settings")(tenantId, "name");

export type AccountView = { name: string | null; subdomain: string; region: string; created_at: string };

/** The team name, or null when none was given. */
export async function teamName(ctx: RequestContext): Promise<string | null> {
  const s = await repo.findSettings(ctx.tx);
  return s?.name_sealed ? ctx.sealer.open(s.name_sealed, nameRef(ctx.tx.tenantId)) : null;
}

/** Stores the team name (first-run setup, tenant creation, the account page). */
export async function storeTeamName(ctx: RequestContext, name: string): Promise<void> {
  await repo.upsertTeamName(ctx.tx, ctx.sealer.seal(name, nameRef(ctx.tx.tenantId)));
  audit(ctx, { action: "account.updated", resourceType: "account", resourceId: "account", fields: ["name"] });
}

export async function showAccount(deps: Pick<AppDeps, "config">, ctx: RequestContext, tenant: ResolvedTenant): Promise<AccountView> {
  if (!adminPolicy.viewAccount(actorUser(ctx))) throw forbidden();
  const row = await repo.findTenantRow(ctx.tx);
  return { name: await teamName(ctx), subdomain: tenant.subdomain, region: deps.config.region, created_at: (row?.created_at ?? new Date(0)).toISOString() };
}

export async function updateAccount(deps: Pick<AppDeps, "config">, ctx: RequestContext, tenant: ResolvedTenant, input: { name: string }): Promise<AccountView> {
  if (!adminPolicy.manage(actorUser(ctx))) throw forbidden();
  await storeTeamName(ctx, input.name);
  return showAccount(deps, ctx, tenant);
}
