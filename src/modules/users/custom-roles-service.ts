import crypto from "node:crypto";
import { requireRecentSignInOnSession } from "../../platform/recent-sign-in.ts";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import { FIRST_CUSTOM_ROLE_ID, PRESETS, readRoleConfiguration, type RoleConfiguration } from "../../platform/roles.ts";
import { audit } from "../audit/audit-service.ts";
import { userPolicy } from "./users-policy.ts";
import * as repo from "./custom-roles-repo.ts";
import type { CustomRoleInput, CustomRoleView, RoleConfigurationInput } from "./custom-roles-types.ts";

/**
 * Custom agent roles: the tenant's own permission sets for agents (platform/roles.ts says what
 * each permission allows; the module policies obey it). Admins and owners list and manage them;
 * the built-in roles are listed as presets with ids 1–3 and cannot be changed. A change applies to
 * every agent carrying the role at their next request: credentials read the role fresh each time.
 */

/** How many custom roles a tenant may define (Zendesk has no published limit; this bounds a page). */
export const MAX_CUSTOM_ROLES = 200;

function admin(ctx: RequestContext) {
  const a = actorUser(ctx);
  if (!userPolicy.manageRoles(a)) throw forbidden("Only owners and admins manage roles.");
  return a;
}

const presetView = (ctx: RequestContext, key: keyof typeof PRESETS, members: number): CustomRoleView => {
  const p = PRESETS[key];
  return {
    id: p.id,
    url: `${ctx.apiBase}/custom_roles/${p.id}.json`,
    name: p.name,
    description: "Built-in role",
    role_type: p.role_type,
    built_in: true,
    configuration: { ...p.configuration },
    team_member_count: members,
    created_at: null,
    updated_at: null,
  };
};

const present = (ctx: RequestContext, r: repo.CustomRoleRow): CustomRoleView => ({
  id: r.nice_id,
  url: `${ctx.apiBase}/custom_roles/${r.nice_id}.json`,
  name: r.name,
  description: r.description,
  role_type: 0,
  built_in: false,
  configuration: readRoleConfiguration(r.configuration),
  team_member_count: r.members,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});

const PRESET_KEYS = ["admin", "agent", "light_agent"] as const;
const presetKeyOf = (id: number) => PRESET_KEYS.find((k) => PRESETS[k].id === id);

export async function listCustomRoles(ctx: RequestContext): Promise<CustomRoleView[]> {
  admin(ctx);
  const counts = await repo.presetMemberCounts(ctx.tx);
  const rows = await repo.listCustomRoles(ctx.tx);
  return [...PRESET_KEYS.map((k) => presetView(ctx, k, counts[k])), ...rows.map((r) => present(ctx, r))];
}

export async function showCustomRole(ctx: RequestContext, niceId: number): Promise<CustomRoleView> {
  admin(ctx);
  const preset = presetKeyOf(niceId);
  if (preset) return presetView(ctx, preset, (await repo.presetMemberCounts(ctx.tx))[preset]);
  const r = await repo.findCustomRole(ctx.tx, niceId);
  if (!r) throw notFound();
  return present(ctx, r);
}

const merge = (base: RoleConfiguration, input: RoleConfigurationInput | undefined): RoleConfiguration => {
  const out: RoleConfiguration = { ...base };
  for (const [k, v] of Object.entries(input ?? {})) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
};

/** The keys whose values changed, for the audit entry (the values themselves are in the role). */
const changedKeys = (a: RoleConfiguration, b: RoleConfiguration) => Object.keys(a).filter((k) => a[k as keyof RoleConfiguration] !== b[k as keyof RoleConfiguration]);

export async function createCustomRole(ctx: RequestContext, input: CustomRoleInput): Promise<CustomRoleView> {
  admin(ctx);
  if ((await repo.countCustomRoles(ctx.tx)) >= MAX_CUSTOM_ROLES) throw invalid("name", `A helpdesk can define at most ${MAX_CUSTOM_ROLES} custom roles.`, "TooMany");
  if (await repo.nameTaken(ctx.tx, input.name)) throw invalid("name", "Name: has already been taken", "DuplicateValue");
  if (PRESET_KEYS.some((k) => PRESETS[k].name.toLowerCase() === input.name.toLowerCase())) throw invalid("name", "Name: is the name of a built-in role", "DuplicateValue");
  const id = crypto.randomUUID();
  // What the request leaves out is as the agent preset has it: a new role starts as "an agent, but…".
  const configuration = merge(PRESETS.agent.configuration, input.configuration);
  const niceId = await repo.insertCustomRole(ctx.tx, { id, name: input.name, description: input.description ?? "", configuration });
  audit(ctx, { action: "custom_role.created", resourceType: "custom_role", resourceId: niceId, fields: ["name", "description", "configuration"] });
  return present(ctx, (await repo.findCustomRole(ctx.tx, niceId))!);
}

export async function updateCustomRole(ctx: RequestContext, niceId: number, input: Partial<CustomRoleInput>): Promise<CustomRoleView> {
  admin(ctx);
  if (presetKeyOf(niceId)) throw forbidden("Built-in roles cannot be changed; create a custom role instead.");
  const r = await repo.findCustomRoleForUpdate(ctx.tx, niceId);
  if (!r) throw notFound();
  if (input.name !== undefined && (await repo.nameTaken(ctx.tx, input.name, r.id))) throw invalid("name", "Name: has already been taken", "DuplicateValue");
  if (input.name !== undefined && PRESET_KEYS.some((k) => PRESETS[k].name.toLowerCase() === input.name!.toLowerCase())) throw invalid("name", "Name: is the name of a built-in role", "DuplicateValue");
  const before = readRoleConfiguration(r.configuration);
  const after = merge(before, input.configuration);
  const fields = [
    ...(input.name !== undefined && input.name !== r.name ? ["name"] : []),
    ...(input.description !== undefined && input.description !== r.description ? ["description"] : []),
    ...changedKeys(before, after).map((k) => `configuration.${k}`),
  ];
  if (fields.length > 0) {
    await repo.updateCustomRole(ctx.tx, r.id, { name: input.name, description: input.description, configuration: after });
    audit(ctx, { action: "custom_role.updated", resourceType: "custom_role", resourceId: niceId, fields });
  }
  return present(ctx, (await repo.findCustomRole(ctx.tx, niceId))!);
}

export async function deleteCustomRole(ctx: RequestContext, niceId: number): Promise<void> {
  admin(ctx);
  if (presetKeyOf(niceId)) throw forbidden("Built-in roles cannot be deleted.");
  const r = await repo.findCustomRoleForUpdate(ctx.tx, niceId);
  if (!r) throw notFound();
  if (r.members > 0) throw invalid("id", `This role is given to ${r.members} agent${r.members === 1 ? "" : "s"}: give them another role first.`, "InUse");
  await repo.deleteCustomRole(ctx.tx, r.id);
  audit(ctx, { action: "custom_role.deleted", resourceType: "custom_role", resourceId: niceId });
}

/**
 * Gives an agent a custom role (`custom_role_id` on `PUT /users/{id}`): a custom role's id, or the
 * agent preset's (2) or null for none. Owners and admins only, never through an OAuth token; only
 * agents carry one.
 */
export async function setCustomRoleOf(ctx: RequestContext, target: { id: string; nice_id: number; role: string; custom_role_nice_id: number | null }, customRoleId: number | null): Promise<boolean> {
  admin(ctx);
  const next = customRoleId === PRESETS.agent.id ? null : customRoleId;
  if (next === target.custom_role_nice_id) return false;
  // As a role change is (`userPolicy.changeRole`): never through an OAuth token.
  const d = userPolicy.changeCustomRole(actorUser(ctx));
  if (!d.ok) throw forbidden(d.reason);
  // What someone else may do changes, as with a role change (users-service.ts changeRole): only
  // soon after a sign-in of one's own, not with an old or stolen cookie.
  if (actorUser(ctx).userId !== target.id) requireRecentSignInOnSession(ctx, "change someone's role");
  if (target.role !== "agent") throw invalid("custom_role_id", "Custom role: only agents can be given a custom role (change the role itself with the role field).", "InvalidValue");
  if (next !== null && next < FIRST_CUSTOM_ROLE_ID) throw invalid("custom_role_id", "Custom role: use the role field to make someone an admin or a light agent.", "InvalidValue");
  const role = next === null ? undefined : await repo.findCustomRole(ctx.tx, next);
  if (next !== null && !role) throw invalid("custom_role_id", "Custom role: no such role", "InvalidValue");
  await repo.setUserCustomRole(ctx.tx, target.id, role?.id ?? null);
  audit(ctx, { action: "user.custom_role_changed", resourceType: "user", resourceId: target.nice_id, fields: ["custom_role_id"] });
  return true;
}

/** For other modules (field permissions): the ids among these that are not the tenant's custom roles. */
export async function missingCustomRoles(ctx: RequestContext, niceIds: readonly number[]): Promise<number[]> {
  return repo.missingCustomRoleIds(ctx.tx, niceIds);
}
