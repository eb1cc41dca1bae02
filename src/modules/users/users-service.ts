import crypto from "node:crypto";
import { refsOf, type SealedColumn } from "../../platform/crypto/sealed-columns.ts";
import { actorUser, userActor, type RequestContext, type UserActor } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { EmailStatus, Role } from "../../platform/db/schema.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { audit } from "../audit/audit-service.ts";
import { checkNewOwnerWayIn, revokeAccessOf } from "../identity/identity-service.ts";
import { requireRecentSignInOnSession } from "../../platform/recent-sign-in.ts";
import { findOrganizationId, organizationForDomain, organizationToJoin } from "../organizations/organizations-service.ts";
import { cancelPendingEmailChanges, requestEmailChange } from "./users-email.ts";
import { emailDomain, emailIndex } from "./users-fns.ts";
import { isStaff, STAFF, userPolicy } from "./users-policy.ts";
import { ticketPolicy } from "../tickets/tickets-policy.ts";
import * as adminRepo from "./users-admin-repo.ts";
import * as repo from "./users-repo.ts";
import { roleFromApi, type UserCreateInput, type UserUpdateInput, type UserView } from "./users-types.ts";
import { customRoleOf, PRESETS, type CustomRole } from "../../platform/roles.ts";
import { setCustomRoleOf } from "./custom-roles-service.ts";
import { indexUser } from "../search/people-index.ts";

/** Users: agents, admins, the owner and end users (contacts) of one tenant. */

const ref = refsOf("users");

export { emailIndex };

export function presentUser(ctx: Pick<RequestContext, "sealer" | "apiBase" | "actor">, u: repo.UserRow): UserView {
  const s = ctx.sealer;
  const open = (v: Uint8Array | null, column: SealedColumn<"users">) => (v ? s.open(v, ref(u.id, column)) : null);
  const zRole = u.role === "end_user" ? "end-user" : u.role === "agent" || u.role === "light_agent" ? "agent" : "admin";
  return {
    id: u.nice_id,
    url: `${ctx.apiBase}/users/${u.nice_id}.json`,
    name: s.open(u.name_sealed, ref(u.id, "name")),
    email: open(u.email_sealed, "email"),
    phone: open(u.phone_sealed, "phone"),
    role: zRole,
    role_type: u.custom_role_nice_id !== null ? 0 : u.role === "light_agent" ? 1 : u.role === "owner" || u.role === "admin" ? 4 : null,
    custom_role_id: u.custom_role_nice_id ?? (u.role === "agent" ? PRESETS.agent.id : u.role === "light_agent" ? PRESETS.light_agent.id : u.role === "owner" || u.role === "admin" ? PRESETS.admin.id : null),
    vaultdesk_role: u.role,
    organization_id: u.organization_nice_id,
    tags: u.tags,
    active: u.active,
    suspended: u.suspended,
    verified: u.email_status === "verified",
    external_id: open(u.external_id_sealed, "external_id"),
    time_zone: u.time_zone,
    iana_time_zone: u.time_zone,
    locale: u.locale,
    created_at: u.created_at.toISOString(),
    updated_at: u.updated_at.toISOString(),
    // A restriction is staff's record about the person: shown to staff only.
    ...(ctx.actor.kind === "user" && isStaff(ctx.actor.role)
      ? { restricted: u.restricted_at !== null, restricted_at: u.restricted_at?.toISOString() ?? null, restriction_reason: open(u.restriction_reason_sealed, "restriction_reason") }
      : {}),
  };
}

/** What other modules are told when a user is created (the admin module invites new staff). */
export type UserCreated = { id: string; niceId: number; role: Role; email: string | undefined; hasPassword: boolean };
declare module "../../platform/hooks.ts" {
  interface HookEvents {
    /** A user was created, inside the creating transaction (the admin module invites new staff). */
    "user.created": UserCreated;
  }
}

/**
 * Tells the search module's name index a person's name and address as they now are (nothing of a
 * deleted person), in the writing transaction: called by every write of a name or an address.
 */
export async function announceSearchable(ctx: RequestContext, u: { id: string; active: boolean; name: string; email: string | null }): Promise<void> {
  await indexUser(ctx, u.active ? { id: u.id, name: u.name, email: u.email } : { id: u.id, removed: true });
}

/** A user row's name and address, opened (for the name index). */
export function openedNameAndEmail(ctx: RequestContext, u: Pick<repo.UserRow, "id" | "name_sealed" | "email_sealed">): { name: string; email: string | null } {
  return { name: ctx.sealer.open(u.name_sealed, ref(u.id, "name")), email: u.email_sealed ? ctx.sealer.open(u.email_sealed, ref(u.id, "email")) : null };
}

/**
 * Creates a user with sealed personal data. Also used by tenant creation, invitations and ticket
 * requesters. Without an explicit organization, an end user whose address is at one of an
 * organization's domains joins it (Zendesk's domain mapping).
 */
export async function insertSealedUser(
  ctx: RequestContext,
  u: {
    role: Role;
    name: string;
    email?: string | undefined;
    phone?: string | null | undefined;
    externalId?: string | null | undefined;
    organizationId?: string | null | undefined;
    tags?: string[];
    passwordHash?: string | null;
    mustChangePassword?: boolean;
    emailStatus?: EmailStatus;
    timeZone?: string | null | undefined;
    locale?: string | null | undefined;
  },
): Promise<{ id: string; niceId: number; organizationId: string | null }> {
  const id = crypto.randomUUID();
  const s = ctx.sealer;
  if (u.email !== undefined && (await repo.emailBidxTaken(ctx.tx, emailIndex(s, u.email)))) {
    throw invalid("email", "Email: is already being used by another user", "DuplicateValue");
  }
  const organizationId = u.organizationId !== undefined ? u.organizationId : u.email !== undefined && u.role === "end_user" ? ((await organizationForDomain(ctx, emailDomain(u.email)))?.id ?? null) : null;
  const niceId = await repo.insertUser(ctx.tx, {
    id,
    role: u.role,
    name_sealed: s.seal(u.name, ref(id, "name")),
    email_sealed: u.email !== undefined ? s.seal(u.email, ref(id, "email")) : null,
    email_bidx: u.email !== undefined ? emailIndex(s, u.email) : null,
    phone_sealed: u.phone ? s.seal(u.phone, ref(id, "phone")) : null,
    external_id_sealed: u.externalId ? s.seal(u.externalId, ref(id, "external_id")) : null,
    organization_id: organizationId,
    tags: u.tags ?? [],
    password_hash: u.passwordHash ?? null,
    must_change_password: u.mustChangePassword ?? false,
    email_status: u.emailStatus ?? "unverified",
    time_zone: u.timeZone ?? null,
    locale: u.locale ?? null,
  });
  audit(ctx, {
    action: "user.created",
    resourceType: "user",
    resourceId: niceId,
    fields: ["role", "name", ...(u.email !== undefined ? ["email"] : []), ...(u.phone ? ["phone"] : []), ...(organizationId ? ["organization_id"] : [])],
  });
  await announceSearchable(ctx, { id, active: true, name: u.name, email: u.email ?? null });
  await ctx.hooks.emit("user.created", ctx, { id, niceId, role: u.role, email: u.email, hasPassword: Boolean(u.passwordHash) });
  return { id, niceId, organizationId };
}

export async function createUser(ctx: RequestContext, input: UserCreateInput): Promise<UserView> {
  const actor = actorUser(ctx);
  const role = roleFromApi(input.role ?? "end-user");
  const allowed = userPolicy.create(actor, role);
  if (!allowed.ok) throw forbidden(allowed.reason);
  // A staff member added is invited by mail (a way in for whoever holds that mailbox): as for an
  // invitation, only soon after a sign-in of one's own.
  if (isStaff(role)) requireRecentSignInOnSession(ctx, "add a staff member");
  const organizationId = input.organization_id ? (await organizationToJoin(ctx, input.organization_id)).id : input.organization_id === null ? null : undefined;
  const { id } = await insertSealedUser(ctx, {
    role,
    name: input.name,
    email: input.email,
    phone: input.phone,
    externalId: input.external_id,
    organizationId,
    tags: input.tags ?? [],
    timeZone: input.time_zone,
    locale: input.locale,
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

export async function listUsers(ctx: RequestContext, page: Page, filter: repo.UserFilter) {
  const actor = actorUser(ctx);
  if (!userPolicy.list(actor)) throw forbidden();
  const { rows, count } = await repo.listUsers(ctx.tx, page, filter);
  return { rows: rows.map((r) => presentUser(ctx, r)), count };
}

/** People changed after a position, with the keys of their places (incremental exports). */
export async function changedUsers(ctx: RequestContext, after: { key: string; id: number }, until: Date, limit: number): Promise<{ views: UserView[]; keys: string[] }> {
  if (!userPolicy.list(actorUser(ctx))) throw forbidden();
  const rows = await repo.listChangedUsers(ctx.tx, after, until, limit);
  return { views: rows.map((r) => presentUser(ctx, r)), keys: rows.map((r) => r.sort_key) };
}

/** An organization's members (staff only); another tenant's organization answers 404. */
export async function listOrganizationUsers(ctx: RequestContext, organizationNiceId: number, page: Page) {
  if (!userPolicy.list(actorUser(ctx))) throw forbidden();
  const organizationId = await findOrganizationId(ctx, organizationNiceId);
  if (!organizationId) throw notFound();
  return listUsers(ctx, page, { organizationId });
}

/** The staff tickets may be assigned to, by the tickets policy (for assignee pickers). */
export async function listAssignableUsers(ctx: RequestContext, page: Page) {
  return listUsers(ctx, page, { roles: STAFF.filter((r) => ticketPolicy.assignable(r)), withoutSupport: true });
}

export async function showManyUsers(ctx: RequestContext, ids: number[]): Promise<UserView[]> {
  const actor = actorUser(ctx);
  const rows = await repo.findUsersByNiceIds(ctx.tx, ids, userPolicy.scope(actor));
  return rows.map((u) => presentUser(ctx, u));
}

/**
 * A person by their whole e-mail address, through its blind index (staff). Searches by name or by
 * the start of an address go through the search module's name index (people-service.ts).
 */
export async function findUserByExactEmail(ctx: RequestContext, email: string): Promise<UserView[]> {
  const actor = actorUser(ctx);
  if (!userPolicy.list(actor)) throw forbidden();
  const u = await repo.findUserByEmailBidx(ctx.tx, emailIndex(ctx.sealer, email.trim()));
  return u ? [presentUser(ctx, u)] : [];
}

/** For the search module's rebuild: active people after a public id, with their name and address opened. */
export async function searchableUsers(ctx: RequestContext, afterNiceId: number, limit: number): Promise<Array<{ id: string; niceId: number; name: string; email: string | null }>> {
  const rows = await repo.listActiveUsersAfter(ctx.tx, afterNiceId, limit);
  return rows.map((u) => ({ id: u.id, niceId: u.nice_id, ...openedNameAndEmail(ctx, u) }));
}

/** The API names of the fields an update sets (what the policy decides on). */
function fieldsOf(input: UserUpdateInput): string[] {
  return Object.entries(input)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k);
}

export type UpdateDeps = Pick<AppDeps, "keyring" | "mailer" | "config" | "rateLimiter">;

/**
 * Updates a user. The policy decides on the field names first (end users may change only their
 * own name, phone, time zone, language and e-mail), before any value is resolved, so a refusal
 * never depends on what an id refers to. A role change goes through changeRole, an e-mail change
 * through a link sent to the new address (users-email.ts).
 */
export async function updateUser(deps: UpdateDeps, ctx: RequestContext, niceId: number, input: UserUpdateInput, currentSession?: Buffer): Promise<UserView> {
  const actor = actorUser(ctx);
  const u = await repo.findUserByNiceId(ctx.tx, niceId);
  if (!u || !userPolicy.view(actor, u)) throw notFound();
  const decision = userPolicy.update(actor, u, fieldsOf(input));
  if (!decision.ok) throw forbidden(decision.reason);
  if (input.suspended !== undefined && input.suspended !== u.suspended) {
    const d = userPolicy.suspend(actor, u);
    if (!d.ok) throw forbidden(d.reason);
    // Lifting a staff member's suspension gives back their ways in (their API tokens, kept through
    // it, and their password): like restoring a deleted one, on a session only soon after a sign-in.
    if (!input.suspended && isStaff(u.role)) requireRecentSignInOnSession(ctx, "lift a staff member's suspension");
  }
  const s = ctx.sealer;
  const patch: Parameters<typeof repo.updateUser>[2] = {};
  const fields: string[] = [];
  if (input.name !== undefined) {
    patch.name_sealed = s.seal(input.name, ref(u.id, "name"));
    fields.push("name");
  }
  if (input.phone !== undefined) {
    patch.phone_sealed = input.phone ? s.seal(input.phone, ref(u.id, "phone")) : null;
    fields.push("phone");
  }
  if (input.external_id !== undefined) {
    patch.external_id_sealed = input.external_id ? s.seal(input.external_id, ref(u.id, "external_id")) : null;
    fields.push("external_id");
  }
  if (input.time_zone !== undefined && input.time_zone !== u.time_zone) {
    patch.time_zone = input.time_zone;
    fields.push("time_zone");
  }
  if (input.locale !== undefined && input.locale !== u.locale) {
    patch.locale = input.locale;
    fields.push("locale");
  }
  if (input.organization_id !== undefined) {
    // Staying where they are is no joining (a form that sends every field back).
    patch.organization_id = !input.organization_id ? null : input.organization_id === u.organization_nice_id ? u.organization_id : (await organizationToJoin(ctx, input.organization_id)).id;
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
  if (input.verified !== undefined && input.verified !== (u.email_status === "verified")) {
    if (!input.verified) throw invalid("verified", "Verified: an address is unverified only by changing it", "InvalidValue");
    const d = userPolicy.vouchForEmail(actor, u);
    if (!d.ok) throw forbidden(d.reason);
    // Vouching opens the address to password resets and sign-in links: with an address staff set,
    // a way into the account. Not for an application (OAuth), and on a session only soon after a sign-in.
    if (actor.via === "oauth") throw forbidden("An application cannot vouch for an address.");
    requireRecentSignInOnSession(ctx, "vouch for an address");
    if (!u.email_sealed) throw invalid("verified", "Verified: this person has no e-mail address", "InvalidValue");
    patch.email_status = "verified";
    fields.push("verified");
  }
  if (patch.suspended) {
    await cancelPendingEmailChanges(ctx, u.id);
    // Signed out everywhere, and unused e-mailed links end: lifting the suspension later brings none of it back.
    // API tokens stay (refused while suspended): they are credentials an admin issued on purpose.
    await revokeAccessOf(ctx, u.id, { tokens: false, signinLinks: true });
  }
  if (fields.length > 0) {
    await repo.updateUser(ctx.tx, u.id, patch);
    audit(ctx, { action: "user.updated", resourceType: "user", resourceId: u.nice_id, fields });
    if (input.name !== undefined) await announceSearchable(ctx, { id: u.id, active: u.active, name: input.name, email: openedNameAndEmail(ctx, u).email });
  }
  if (input.role !== undefined) await changeRole(ctx, u, roleFromApi(input.role), currentSession);
  if (input.custom_role_id !== undefined) await setCustomRoleOf(ctx, (await repo.findUserById(ctx.tx, u.id))!, input.custom_role_id);
  // Last: its per-person limit counts outside the transaction, so a refusal of another field (a
  // role change needing a recent sign-in) must come first and leave the limit untouched.
  if (input.email !== undefined) await requestEmailChange(deps, ctx, u, input.email);
  return presentUser(ctx, (await repo.findUserById(ctx.tx, u.id))!);
}

/**
 * The one way a role changes, from every route (`PUT /users/{id}` and `PUT /users/{id}/role`):
 * the owner rules of the policy (with the owners' rows locked, so two owners demoting each other
 * cannot leave the account without one), then every session and API token of the person ends —
 * what they were granted under the old role goes with it. A person changing their own role (an
 * owner stepping down) keeps the session they are using.
 */
export async function changeRole(ctx: RequestContext, u: repo.UserRow, next: Role, currentSession?: Buffer): Promise<void> {
  const actor = actorUser(ctx);
  if (u.role === next) return;
  const owners = u.role === "owner" ? await adminRepo.lockActiveOwners(ctx.tx) : [];
  const decision = userPolicy.changeRole(actor, u, next, owners.length);
  if (!decision.ok) throw forbidden(decision.reason);
  // Someone else's role (making staff, an admin or an owner, or taking it away) only soon after a
  // sign-in of one's own: not with an old or stolen cookie, nor an owner's session from single
  // sign-on (which any admin could forge). Stepping down oneself needs no more than the session.
  if (actor.userId !== u.id) requireRecentSignInOnSession(ctx, "change someone's role");
  if (next === "owner") await checkNewOwnerWayIn(ctx, u.id);
  await repo.updateUser(ctx.tx, u.id, { role: next });
  await revokeAccessOf(ctx, u.id, { keepSession: actor.userId === u.id ? currentSession : undefined });
  // A change asked for under the old role (by the person or by staff) is not carried into the new one.
  await cancelPendingEmailChanges(ctx, u.id);
  audit(ctx, { action: "user.role_changed", resourceType: "user", resourceId: u.nice_id, fields: ["role"] });
}

/**
 * A role given by the tenant's identity provider at single sign-on (its role mapping): never to
 * or from owner. Like any role change, every session and API token of the person ends (the
 * sign-in under way then opens a new session) and a pending e-mail change is cancelled; audited.
 */
export async function setRoleFromIdentityProvider(ctx: RequestContext, userId: string, next: Exclude<Role, "owner">): Promise<void> {
  const u = await repo.findUserById(ctx.tx, userId);
  if (!u || u.role === "owner" || u.role === next) return;
  await repo.updateUser(ctx.tx, u.id, { role: next });
  await revokeAccessOf(ctx, u.id);
  await cancelPendingEmailChanges(ctx, u.id);
  audit(ctx, { action: "user.role_changed", resourceType: "user", resourceId: u.nice_id, fields: ["role"] });
}

/** For other modules: the internal id and role of a user given its public id, or 404. */
export type UserRef = { id: string; niceId: number; role: Role; organizationId: string | null; organizationNiceId: number | null; support: boolean; active: boolean };
const refOf = (u: repo.UserRow): UserRef => ({ id: u.id, niceId: u.nice_id, role: u.role, organizationId: u.organization_id, organizationNiceId: u.organization_nice_id, support: u.support, active: u.active });

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
  return { id: created.id, niceId: created.niceId, role: "end_user", organizationId: created.organizationId, organizationNiceId: null, support: false, active: true };
}

/** Presents users by internal id, for sideloading. */
export async function presentUsersByIds(ctx: RequestContext, ids: string[]): Promise<UserView[]> {
  const rows = await repo.findUsersByIds(ctx.tx, [...new Set(ids)]);
  return rows.sort((a, b) => a.nice_id - b.nice_id).map((r) => presentUser(ctx, r));
}

/** What a message to a person needs (notifications). */
export type Contact = { id: string; niceId: number; name: string; email: string | null; locale: string | null; role: Role; customRole: CustomRole | null; reachable: boolean; restricted: boolean };

/** For other modules: people by internal id, with their address and language; `reachable`: active and not suspended. */
export async function contactsByIds(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, Contact>> {
  const rows = await repo.findUsersByIds(ctx.tx, [...new Set(ids)]);
  return new Map(
    rows.map((u) => [
      u.id,
      {
        id: u.id,
        niceId: u.nice_id,
        customRole: customRoleOf(u.custom_role_configuration, u.custom_role_nice_id),
        name: ctx.sealer.open(u.name_sealed, ref(u.id, "name")),
        email: u.email_sealed ? ctx.sealer.open(u.email_sealed, ref(u.id, "email")) : null,
        locale: u.locale,
        role: u.role,
        reachable: u.active && !u.suspended,
        restricted: u.restricted_at !== null,
      },
    ]),
  );
}

/** For other modules: the account's owners and admins who can be mailed (staff reminders). */
export async function adminContacts(ctx: RequestContext): Promise<Contact[]> {
  const byId = await contactsByIds(ctx, await repo.activeAdminIds(ctx.tx));
  return [...byId.values()].filter((c) => c.reachable && c.email !== null);
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
  return userActor({ id: u.id, niceId: u.nice_id, role: u.role, customRole: customRoleOf(u.custom_role_configuration, u.custom_role_nice_id) }, "token");
}

/** For other modules: a user by e-mail, or undefined. */
export async function findUserByEmail(
  ctx: RequestContext,
  email: string,
): Promise<(UserRef & { hasPassword: boolean; active: boolean; suspended: boolean; lastLoginAt: Date | null; name: string; emailStatus: EmailStatus }) | undefined> {
  const u = await repo.findUserByEmailBidx(ctx.tx, emailIndex(ctx.sealer, email));
  return u
    ? { ...refOf(u), hasPassword: u.password_hash !== null, active: u.active, suspended: u.suspended, lastLoginAt: u.last_login_at, name: ctx.sealer.open(u.name_sealed, ref(u.id, "name")), emailStatus: u.email_status }
    : undefined;
}

/** For other modules: the language a user chose on the help center (BCP 47), or null. */
export async function userLocale(ctx: RequestContext, userId: string): Promise<string | null> {
  return (await repo.findLocale(ctx.tx, userId)) ?? null;
}

/** For other modules: records the language a user chose (help center), a BCP 47 tag. */
export async function setUserLocale(ctx: RequestContext, userId: string, locale: string): Promise<void> {
  await repo.setLocale(ctx.tx, userId, locale);
}

/**
 * For invitations: gives a person who has no password yet the one they chose, proving the address
 * (they used a link sent to it), and the invited role when they had another (an end user whose
 * address was only ever typed into a form, now invited to the staff).
 */
export async function setInitialPassword(ctx: RequestContext, userId: string, v: { name: string; passwordHash: string; role: Role }): Promise<void> {
  const before = (await repo.findUserById(ctx.tx, userId))!;
  await repo.updateUser(ctx.tx, userId, { name_sealed: ctx.sealer.seal(v.name, ref(userId, "name")), password_hash: v.passwordHash, must_change_password: false, email_status: "verified", role: v.role });
  await announceSearchable(ctx, { id: userId, active: before.active, name: v.name, email: openedNameAndEmail(ctx, before).email });
  audit(ctx, { action: "user.updated", resourceType: "user", resourceId: before.nice_id, fields: ["name", "password", "verified", ...(before.role !== v.role ? ["role"] : [])] });
}

/** The name the tenant's support user goes by (the audit log's actor, ticket comments). */
export const SUPPORT_USER_NAME = "Vaultdesk support (operator)";

/**
 * For support access (modules/support): the tenant's support user, made on first use. It has no
 * e-mail address and no password, and stays suspended: no password, token or session ever works
 * for it; it acts only through the operator's one-request passes while a grant is live.
 */
export async function ensureSupportUser(ctx: RequestContext): Promise<{ id: string; niceId: number }> {
  const found = await repo.findSupportUser(ctx.tx);
  if (found) return { id: found.id, niceId: found.nice_id };
  const created = await insertSealedUser(ctx, { role: "agent", name: SUPPORT_USER_NAME, emailStatus: "unverified" });
  await repo.markSupportUser(ctx.tx, created.id);
  audit(ctx, { action: "user.suspended", resourceType: "user", resourceId: created.niceId, fields: ["suspended"] });
  return { id: created.id, niceId: created.niceId };
}

/** For support access: the tenant's support user as it is now, or undefined when none was made. */
export async function findSupportUser(ctx: RequestContext): Promise<{ id: string; niceId: number; active: boolean } | undefined> {
  const u = await repo.findSupportUser(ctx.tx);
  return u ? { id: u.id, niceId: u.nice_id, active: u.active } : undefined;
}

/** For other modules: people's public ids and names by internal id (who granted, who revoked). */
export async function namesByIds(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, { niceId: number; name: string }>> {
  const rows = await repo.findUsersByIds(ctx.tx, [...new Set(ids)]);
  return new Map(rows.map((u) => [u.id, { niceId: u.nice_id, name: ctx.sealer.open(u.name_sealed, ref(u.id, "name")) }]));
}
