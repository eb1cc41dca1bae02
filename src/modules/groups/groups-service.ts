import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { audit } from "../audit/audit-service.ts";
import { resolveUser } from "../users/users-service.ts";
import { groupPolicy } from "./groups-policy.ts";
import * as repo from "./groups-repo.ts";

/** Groups of agents, and who belongs to which. Admins manage them; all staff can read them. */

export type GroupView = { id: number; url: string; name: string; description: string; default: boolean; deleted: boolean; created_at: string; updated_at: string };
export type MembershipView = { id: number; url: string; user_id: number; group_id: number; default: boolean; created_at: string; updated_at: string };

const presentGroup = (ctx: RequestContext, g: repo.GroupRow): GroupView => ({
  id: g.nice_id,
  url: `${ctx.apiBase}/groups/${g.nice_id}.json`,
  name: g.name,
  description: g.description,
  default: false,
  deleted: g.deleted,
  created_at: g.created_at.toISOString(),
  updated_at: g.updated_at.toISOString(),
});

const presentMembership = (ctx: RequestContext, m: repo.MembershipRow): MembershipView => ({
  id: m.nice_id,
  url: `${ctx.apiBase}/group_memberships/${m.nice_id}.json`,
  user_id: m.user_nice,
  group_id: m.group_nice,
  default: m.is_default,
  created_at: m.created_at.toISOString(),
  updated_at: m.updated_at.toISOString(),
});

function staff(ctx: RequestContext) {
  const a = actorUser(ctx);
  if (!groupPolicy.view(a)) throw forbidden();
  return a;
}
function admin(ctx: RequestContext) {
  const a = actorUser(ctx);
  if (!groupPolicy.manage(a)) throw forbidden();
  return a;
}

/** For other modules: a group's internal id from its public id, or 422. */
export async function resolveGroup(ctx: RequestContext, niceId: number): Promise<{ id: string; niceId: number }> {
  const g = await repo.findGroup(ctx.tx, niceId);
  if (!g) throw invalid("group_id", "Group: not found");
  return { id: g.id, niceId: g.nice_id };
}

/** For search: a group by its name (whole, ignoring case), or undefined. */
export async function findGroupByName(ctx: RequestContext, name: string): Promise<{ id: string; niceId: number } | undefined> {
  const g = await repo.findGroupByName(ctx.tx, name);
  return g ? { id: g.id, niceId: g.nice_id } : undefined;
}

export async function listGroups(ctx: RequestContext, page: Page) {
  staff(ctx);
  const { rows, count } = await repo.listGroups(ctx.tx, page);
  return { rows: rows.map((g) => presentGroup(ctx, g)), count };
}

export async function showGroup(ctx: RequestContext, niceId: number): Promise<GroupView> {
  staff(ctx);
  const g = await repo.findGroup(ctx.tx, niceId);
  if (!g) throw notFound();
  return presentGroup(ctx, g);
}

export async function createGroup(ctx: RequestContext, input: { name: string; description?: string | undefined }): Promise<GroupView> {
  admin(ctx);
  if (await repo.findGroupByName(ctx.tx, input.name)) throw invalid("name", "Name: has already been taken", "DuplicateValue");
  const niceId = await repo.insertGroup(ctx.tx, { id: crypto.randomUUID(), name: input.name, description: input.description ?? "" });
  audit(ctx, { action: "group.created", resourceType: "group", resourceId: niceId, fields: Object.keys(input) });
  return presentGroup(ctx, (await repo.findGroup(ctx.tx, niceId))!);
}

export async function updateGroup(ctx: RequestContext, niceId: number, input: { name?: string | undefined; description?: string | undefined }): Promise<GroupView> {
  admin(ctx);
  const g = await repo.findGroup(ctx.tx, niceId);
  if (!g) throw notFound();
  const patch: { name?: string; description?: string } = {};
  if (input.name !== undefined && input.name !== g.name) {
    const other = await repo.findGroupByName(ctx.tx, input.name);
    if (other && other.id !== g.id) throw invalid("name", "Name: has already been taken", "DuplicateValue");
    patch.name = input.name;
  }
  if (input.description !== undefined) patch.description = input.description;
  if (Object.keys(patch).length) {
    await repo.updateGroup(ctx.tx, g.id, patch);
    audit(ctx, { action: "group.updated", resourceType: "group", resourceId: niceId, fields: Object.keys(patch) });
  }
  return presentGroup(ctx, (await repo.findGroup(ctx.tx, niceId))!);
}

export async function deleteGroup(ctx: RequestContext, niceId: number): Promise<void> {
  admin(ctx);
  const g = await repo.findGroup(ctx.tx, niceId);
  if (!g) throw notFound();
  await repo.updateGroup(ctx.tx, g.id, { deleted: true });
  audit(ctx, { action: "group.deleted", resourceType: "group", resourceId: niceId });
}

export async function listMemberships(ctx: RequestContext, page: Page, filter: { userNiceId?: number; groupNiceId?: number }) {
  staff(ctx);
  const f: { userId?: string; groupId?: string } = {};
  if (filter.userNiceId !== undefined) f.userId = (await resolveUser(ctx, filter.userNiceId)).id;
  if (filter.groupNiceId !== undefined) {
    const g = await repo.findGroup(ctx.tx, filter.groupNiceId);
    if (!g) throw notFound();
    f.groupId = g.id;
  }
  const { rows, count } = await repo.listMemberships(ctx.tx, page, f);
  return { rows: rows.map((m) => presentMembership(ctx, m)), count };
}

export async function showMembership(ctx: RequestContext, niceId: number): Promise<MembershipView> {
  staff(ctx);
  const m = await repo.findMembership(ctx.tx, niceId);
  if (!m) throw notFound();
  return presentMembership(ctx, m);
}

export async function createMembership(ctx: RequestContext, input: { user_id: number; group_id: number; default?: boolean | undefined }): Promise<MembershipView> {
  admin(ctx);
  const u = await resolveUser(ctx, input.user_id).catch(() => {
    throw invalid("user_id", "User: not found");
  });
  if (u.role === "end_user") throw invalid("user_id", "User: end users cannot join groups");
  if (!groupPolicy.addMember(actorUser(ctx), u.id)) throw forbidden("Your role sees only some tickets: joining a group would widen it. Ask an admin to add you.");
  const g = await resolveGroup(ctx, input.group_id);
  if (await repo.membershipExists(ctx.tx, u.id, g.id)) throw invalid("user_id", "User: is already a member of this group", "DuplicateValue");
  const niceId = await repo.insertMembership(ctx.tx, { id: crypto.randomUUID(), user_id: u.id, group_id: g.id, is_default: input.default ?? false });
  audit(ctx, { action: "group_membership.created", resourceType: "group_membership", resourceId: niceId, fields: ["user_id", "group_id"] });
  return presentMembership(ctx, (await repo.findMembership(ctx.tx, niceId))!);
}

export async function deleteMembership(ctx: RequestContext, niceId: number): Promise<void> {
  admin(ctx);
  const m = await repo.findMembership(ctx.tx, niceId);
  if (!m) throw notFound();
  await repo.deleteMembership(ctx.tx, m.id);
  audit(ctx, { action: "group_membership.deleted", resourceType: "group_membership", resourceId: niceId });
}

/** For other modules: the internal ids of a group's members (notifications). */
export async function groupMemberIds(ctx: RequestContext, groupId: string): Promise<string[]> {
  return repo.memberUserIds(ctx.tx, groupId);
}

export async function presentGroupsByIds(ctx: RequestContext, ids: string[]): Promise<GroupView[]> {
  return (await repo.findGroupsByIds(ctx.tx, [...new Set(ids)])).sort((a, b) => a.nice_id - b.nice_id).map((g) => presentGroup(ctx, g));
}

/** For other modules: the internal ids of the groups (not deleted) a user belongs to (views). */
export async function groupIdsOfUser(ctx: RequestContext, userId: string): Promise<string[]> {
  return repo.groupIdsOfUser(ctx.tx, userId);
}
