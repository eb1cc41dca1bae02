import crypto from "node:crypto";
import { actorUser, type RequestContext, type UserActor } from "../../platform/context.ts";
import type { TenantSealer } from "../../platform/crypto/keyring.ts";
import type { Role } from "../../platform/db/schema.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { audit } from "../audit/audit-service.ts";
import { resolveOrganization } from "../organizations/organizations-service.ts";
import { isStaff, userPolicy } from "./users-policy.ts";
import * as repo from "./users-repo.ts";
import { roleFromApi, type UserCreateInput, type UserUpdateInput, type UserView } from "./users-types.ts";

/** Users: agents, admins, the owner and end users (contacts) of one tenant. */

const ref = (id: string, column: string) => ({ table: "users", column, row: id });

export function emailIndex(sealer: TenantSealer, email: string): Buffer {
  return sealer.blindIndex("user.email", email.trim().toLowerCase());
}

export function presentUser(ctx: Pick<RequestContext, "sealer" | "apiBase">, u: repo.UserRow): UserView {
  const s = ctx.sealer;
  const open = (v: Uint8Array | null, column: string) => (v ? s.open(v, ref(u.id, column)) : null);
  const zRole = u.role === "end_user" ? "end-user" : u.role === "agent" || u.role === "light_agent" ? "agent" : "admin";
  return {
    id: u.nice_id,
    url: `${ctx.apiBase}/users/${u.nice_id}.json`,
    name: s.open(u.name_sealed, ref(u.id, "name")),
    email: open(u.email_sealed, "email"),
    phone: open(u.phone_sealed, "phone"),
    role: zRole,
    role_type: u.role === "light_agent" ? 1 : u.role === "owner" || u.role === "admin" ? 4 : null,
    vaultdesk_role: u.role,
    organization_id: u.organization_nice_id,
    tags: u.tags,
    active: u.active,
    suspended: u.suspended,
    verified: true,
    external_id: open(u.external_id_sealed, "external_id"),
    created_at: u.created_at.toISOString(),
    updated_at: u.updated_at.toISOString(),
  };
}

/** Creates a user with sealed personal data. Also used by tenant creation and ticket requesters. */
export async function insertSealedUser(
  ctx: RequestContext,
  u: { role: Role; name: string; email?: string | undefined; phone?: string | null | undefined; externalId?: string | null | undefined; organizationId?: string | null; tags?: string[]; passwordHash?: string | null; mustChangePassword?: boolean },
): Promise<{ id: string; niceId: number }> {
  const id = crypto.randomUUID();
  const s = ctx.sealer;
  if (u.email !== undefined && (await repo.emailBidxTaken(ctx.tx, emailIndex(s, u.email)))) {
    throw invalid("email", "Email: is already being used by another user", "DuplicateValue");
  }
  const niceId = await repo.insertUser(ctx.tx, {
    id,
    role: u.role,
    name_sealed: s.seal(u.name, ref(id, "name")),
    email_sealed: u.email !== undefined ? s.seal(u.email, ref(id, "email")) : null,
    email_bidx: u.email !== undefined ? emailIndex(s, u.email) : null,
    phone_sealed: u.phone ? s.seal(u.phone, ref(id, "phone")) : null,
    external_id_sealed: u.externalId ? s.seal(u.externalId, ref(id, "external_id")) : null,
    organization_id: u.organizationId ?? null,
    tags: u.tags ?? [],
    password_hash: u.passwordHash ?? null,
    must_change_password: u.mustChangePassword ?? false,
  });
  audit(ctx, {
    action: "user.created",
    resourceType: "user",
    resourceId: niceId,
    fields: ["role", "name", ...(u.email !== undefined ? ["email"] : []), ...(u.phone ? ["phone"] : [])],
  });
  return { id, niceId };
}

export async function createUser(ctx: RequestContext, input: UserCreateInput): Promise<UserView> {
  const actor = actorUser(ctx);
  const role = roleFromApi(input.role ?? "end-user");
  if (!userPolicy.create(actor, role)) throw forbidden();
  const organizationId = input.organization_id ? (await resolveOrganization(ctx, input.organization_id)).id : null;
  const { id } = await insertSealedUser(ctx, {
    role,
    name: input.name,
    email: input.email,
    phone: input.phone,
    externalId: input.external_id,
    organizationId,
    tags: input.tags ?? [],
  });
  return presentUser(ctx, (await repo.findUserById(ctx.tx, id))!);
}

export async function showUser(ctx: RequestContext, niceId: number): Promise<UserView> {
  const actor = actorUser(ctx);
  const u = await repo.findUserByNiceId(ctx.tx, niceId);
  if (!u || !userPolicy.view(actor, u)) throw notFound();
  return presentUser(ctx, u);
}

export async function showMe(ctx: RequestContext): Promise<UserView> {
  const actor = actorUser(ctx);
  const u = await repo.findUserById(ctx.tx, actor.userId);
  if (!u) throw new AppError("Unauthorized");
  return presentUser(ctx, u);
}

export async function listUsers(ctx: RequestContext, page: Page, role: Role[] | undefined) {
  const actor = actorUser(ctx);
  if (!userPolicy.list(actor)) throw forbidden();
  const { rows, count } = await repo.listUsers(ctx.tx, page, role);
  return { rows: rows.map((r) => presentUser(ctx, r)), count };
}

export async function showManyUsers(ctx: RequestContext, ids: number[]): Promise<UserView[]> {
  const actor = actorUser(ctx);
  const rows = await repo.findUsersByNiceIds(ctx.tx, ids);
  return rows.filter((u) => userPolicy.view(actor, u)).map((u) => presentUser(ctx, u));
}

/** Exact e-mail search through the blind index (names are sealed, so there is no substring search). */
export async function searchUsers(ctx: RequestContext, query: string): Promise<UserView[]> {
  const actor = actorUser(ctx);
  if (!userPolicy.list(actor)) throw forbidden();
  const term = query.trim().replace(/^email:/i, "");
  if (!term.includes("@")) return [];
  const u = await repo.findUserByEmailBidx(ctx.tx, emailIndex(ctx.sealer, term));
  return u ? [presentUser(ctx, u)] : [];
}

export async function updateUser(ctx: RequestContext, niceId: number, input: UserUpdateInput): Promise<UserView> {
  const actor = actorUser(ctx);
  const u = await repo.findUserByNiceId(ctx.tx, niceId);
  if (!u || !userPolicy.view(actor, u)) throw notFound();
  const role = input.role !== undefined ? roleFromApi(input.role) : undefined;
  if (!userPolicy.update(actor, u, { role: role !== undefined && role !== u.role ? role : undefined })) throw forbidden();
  if (input.suspended !== undefined && input.suspended !== u.suspended && (actor.userId === u.id || !["owner", "admin"].includes(actor.role))) {
    throw forbidden("Only an admin can suspend another user.");
  }
  if (input.suspended !== undefined && input.suspended !== u.suspended && (u.role === "admin" || u.role === "owner") && actor.role !== "owner") {
    throw forbidden("Only an owner can suspend an admin.");
  }
  const s = ctx.sealer;
  const patch: Parameters<typeof repo.updateUser>[2] = {};
  const fields: string[] = [];
  if (input.name !== undefined) {
    patch.name_sealed = s.seal(input.name, ref(u.id, "name"));
    fields.push("name");
  }
  if (input.email !== undefined) {
    const bidx = emailIndex(s, input.email);
    if (await repo.emailBidxTaken(ctx.tx, bidx, u.id)) throw invalid("email", "Email: is already being used by another user", "DuplicateValue");
    patch.email_sealed = s.seal(input.email, ref(u.id, "email"));
    patch.email_bidx = bidx;
    fields.push("email");
  }
  if (input.phone !== undefined) {
    patch.phone_sealed = input.phone ? s.seal(input.phone, ref(u.id, "phone")) : null;
    fields.push("phone");
  }
  if (input.external_id !== undefined) {
    patch.external_id_sealed = input.external_id ? s.seal(input.external_id, ref(u.id, "external_id")) : null;
    fields.push("external_id");
  }
  if (role !== undefined && role !== u.role) {
    patch.role = role;
    fields.push("role");
  }
  if (input.organization_id !== undefined) {
    patch.organization_id = input.organization_id ? (await resolveOrganization(ctx, input.organization_id)).id : null;
    fields.push("organization_id");
  }
  if (input.tags !== undefined) {
    patch.tags = input.tags;
    fields.push("tags");
  }
  if (input.suspended !== undefined && input.suspended !== u.suspended) {
    patch.suspended = input.suspended;
    fields.push("suspended");
  }
  if (fields.length > 0) {
    await repo.updateUser(ctx.tx, u.id, patch);
    audit(ctx, { action: "user.updated", resourceType: "user", resourceId: u.nice_id, fields });
  }
  return presentUser(ctx, (await repo.findUserById(ctx.tx, u.id))!);
}

/** For other modules: the internal id and role of a user given its public id, or 404. */
export type UserRef = { id: string; niceId: number; role: Role; organizationId: string | null; organizationNiceId: number | null };
const refOf = (u: repo.UserRow): UserRef => ({ id: u.id, niceId: u.nice_id, role: u.role, organizationId: u.organization_id, organizationNiceId: u.organization_nice_id });

export async function resolveUser(ctx: RequestContext, niceId: number): Promise<UserRef> {
  const u = await repo.findUserByNiceId(ctx.tx, niceId);
  if (!u) throw notFound();
  return refOf(u);
}

/** For other modules: find or create an end user by e-mail (ticket requesters). */
export async function findOrCreateByEmail(ctx: RequestContext, email: string, name: string | undefined): Promise<UserRef> {
  const u = await repo.findUserByEmailBidx(ctx.tx, emailIndex(ctx.sealer, email));
  if (u) return refOf(u);
  const created = await insertSealedUser(ctx, { role: "end_user", name: name ?? email.split("@")[0]!, email });
  return { ...created, role: "end_user", organizationId: null, organizationNiceId: null };
}

/** Presents users by internal id, for sideloading. */
export async function presentUsersByIds(ctx: RequestContext, ids: string[]): Promise<UserView[]> {
  const rows = await repo.findUsersByIds(ctx.tx, [...new Set(ids)]);
  return rows.sort((a, b) => a.nice_id - b.nice_id).map((r) => presentUser(ctx, r));
}

/** Maps internal ids to public ids. */
export async function niceIdsOf(ctx: RequestContext, ids: string[]): Promise<Map<string, number>> {
  const rows = await repo.findUsersByIds(ctx.tx, [...new Set(ids)]);
  return new Map(rows.map((r) => [r.id, r.nice_id]));
}

/**
 * For jobs started by staff: the user as an actor with their role as it is now. A user who was
 * deleted, suspended or is no longer staff can no longer have work done in their name (403).
 */
export async function currentStaffActor(ctx: RequestContext, userId: string | null): Promise<UserActor> {
  const u = userId ? await repo.findUserById(ctx.tx, userId) : undefined;
  if (!u || !u.active || u.suspended || !isStaff(u.role)) {
    throw new AppError("Forbidden", { description: "The person who started this job can no longer make this change." });
  }
  return { kind: "user", userId: u.id, niceId: u.nice_id, role: u.role, scopes: ["read", "write"], via: "token" };
}

/** For other modules: a user by e-mail, or undefined. */
export async function findUserByEmail(ctx: RequestContext, email: string): Promise<UserRef | undefined> {
  const u = await repo.findUserByEmailBidx(ctx.tx, emailIndex(ctx.sealer, email));
  return u ? refOf(u) : undefined;
}

/** For other modules: the language a user chose on the help center (BCP 47), or null. */
export async function userLocale(ctx: RequestContext, userId: string): Promise<string | null> {
  return (await repo.findLocale(ctx.tx, userId)) ?? null;
}
/** For other modules: records the language a user chose (help center), a BCP 47 tag. */
export async function setUserLocale(ctx: RequestContext, userId: string, locale: string): Promise<void> {
  await repo.setLocale(ctx.tx, userId, locale);
}
