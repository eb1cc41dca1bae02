import crypto from "node:crypto";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { actingAs, actorUser, type RequestContext } from "../../platform/context.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { AppError, CommitThenFail, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { audit } from "../audit/audit-service.ts";
import { checkNewPassword, hashPassword, newSecret, startSession } from "../identity/identity-service.ts";
import { rulesFor } from "../identity/password-settings-service.ts";
import { networkRefused, networkRulesOf } from "../identity/ip-restrictions-service.ts";
import { ipRestrictionsPolicy } from "../identity/ip-restrictions-policy.ts";
import { passwordAllowed } from "../identity/sso-password.ts";
import { requirementsInWords } from "../identity/password-policy.ts";
import { emailIndex } from "../users/users-fns.ts";
import { findUserByEmail, insertSealedUser, setInitialPassword, type UserCreated } from "../users/users-service.ts";
import { invitationMail } from "./admin-mail.ts";
import { roleFromApi } from "../users/users-types.ts";
import { adminPolicy } from "./admin-policy.ts";
import * as repo from "./admin-repo.ts";
import { teamName } from "./account-service.ts";

/**
 * One-time invitations for staff. The admin is shown the link once, to hand over, and it is
 * e-mailed to the invitee when an outgoing mail server is set up. The link carries a 256-bit random secret; only its keyed hash is stored, so
 * neither a database dump nor the admin list can rebuild a link. A link works once, until it
 * expires (72 hours by default), and not after it is revoked. The invitee chooses a name and a
 * password (the password policy applies) and is signed in with the invited role and e-mail.
 */

export const INVITATION_PREFIX = "vdi_";
export const DEFAULT_INVITATION_HOURS = 72;
const ref = (id: string) => refsOf("invitations")(id, "email");

export type InvitationState = "pending" | "used" | "expired" | "revoked";
export type InvitationView = {
  id: number;
  email: string;
  role: "admin" | "agent" | "light-agent";
  status: InvitationState;
  invited_by_id: number;
  user_id: number | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
};

const apiRole = (r: repo.InvitationRow["role"]) => (r === "light_agent" ? "light-agent" : r);

function stateOf(row: repo.InvitationRow, now: Date): InvitationState {
  if (row.used_at) return "used";
  if (row.revoked_at) return "revoked";
  return row.expires_at.getTime() <= now.getTime() ? "expired" : "pending";
}

function present(ctx: RequestContext, row: repo.InvitationRow, now: Date): InvitationView {
  return {
    id: row.nice_id,
    email: ctx.sealer.open(row.email_sealed, ref(row.id)),
    role: apiRole(row.role),
    status: stateOf(row, now),
    invited_by_id: row.invited_by_nice_id,
    user_id: row.used_by_nice_id,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    used_at: row.used_at?.toISOString() ?? null,
  };
}

type InviteDeps = Pick<AppDeps, "keyring" | "mailer" | "config">;

/**
 * Invites a person to the staff: a one-time link, shown once to the admin and, when an outgoing
 * mail server is set up, e-mailed to the address. The address may also belong to a staff member
 * who was added without a password and has never signed in ("Add a person", `POST /users`): the
 * link then lets them choose their password.
 */
export async function createInvitation(
  deps: InviteDeps,
  ctx: RequestContext,
  input: { email: string; role: "admin" | "agent" | "light-agent"; expires_in_hours?: number | undefined },
  sessionHash?: Buffer,
): Promise<{ invitation: InvitationView; token: string; url: string; emailed: boolean }> {
  const actor = actorUser(ctx);
  const role = roleFromApi(input.role);
  const decision = adminPolicy.invite(actor, role);
  if (!decision.ok) throw forbidden(decision.reason);
  const existing = await findUserByEmail(ctx, input.email);
  if (existing) {
    if (existing.emailStatus === "staff_changed" && awaitingPassword({ ...existing, emailStatus: "verified" })) {
      throw invalid("email", "Email: staff moved this person to this address and nobody has vouched for it yet; an admin confirms it (verified) before an invitation can go there", "InvalidValue");
    }
    if (!awaitingPassword(existing) && !unprovenEndUser(existing)) throw invalid("email", "Email: is already being used by another user", "DuplicateValue");
    if (existing.role !== "end_user" && existing.role !== role) {
      throw invalid("role", `Role: this person was added as ${apiRole(existing.role as repo.InvitationRow["role"])}; invite them with that role, or change their role first`, "InvalidValue");
    }
  }
  return issueInvitation(deps, ctx, { email: input.email, role: role as repo.InvitationRow["role"], hours: input.expires_in_hours ?? DEFAULT_INVITATION_HOURS, invitedBy: actor.userId });
}

type Existing = { role: string; hasPassword: boolean; active: boolean; suspended: boolean; lastLoginAt: Date | null; emailStatus: string };

/**
 * A staff member added without a password who has never signed in, at an address they or an admin
 * stand behind: an invitation sets their password.
 */
const awaitingPassword = (u: Existing) =>
  u.role !== "end_user" && u.role !== "owner" && u.active && !u.suspended && !u.hasPassword && u.lastLoginAt === null && u.emailStatus !== "staff_changed";

/**
 * An end user nobody ever proved to be (a requester typed into a form or a ticket: no password,
 * never signed in, address never confirmed): an invitation to that address makes the record staff
 * when accepted, instead of failing because the address is taken. A customer who has signed in is
 * a customer; an admin changes their role instead.
 */
const unprovenEndUser = (u: Existing) =>
  u.role === "end_user" && u.active && !u.suspended && !u.hasPassword && u.lastLoginAt === null && u.emailStatus === "unverified";

async function issueInvitation(deps: InviteDeps, ctx: RequestContext, v: { email: string; role: repo.InvitationRow["role"]; hours: number; invitedBy: string }) {
  const token = newSecret(INVITATION_PREFIX);
  const id = crypto.randomUUID();
  const now = ctx.now();
  const expires = new Date(now.getTime() + v.hours * 3600_000);
  const niceId = await repo.insertInvitation(ctx.tx, {
    id,
    role: v.role,
    email_sealed: ctx.sealer.seal(v.email, ref(id)),
    email_bidx: emailIndex(ctx.sealer, v.email),
    token_hash: deps.keyring.hashSecret("invitation", token),
    invited_by: v.invitedBy,
    expires_at: expires,
  });
  audit(ctx, { action: "invitation.created", resourceType: "invitation", resourceId: niceId, fields: ["email", "role"] });
  const row = (await repo.findInvitationByNiceId(ctx.tx, niceId))!;
  const url = `${new URL(ctx.apiBase).origin}/invite?token=${encodeURIComponent(token)}`;
  if (deps.mailer.available) {
    const team = (await teamName(ctx)) ?? new URL(ctx.apiBase).hostname;
    await queueMail(ctx, deps.config.mailRetryMs, { to: v.email, ...invitationMail(team, apiRole(v.role), url, v.hours) }, expires);
  }
  return { invitation: present(ctx, row, now), token, url, emailed: deps.mailer.available };
}

/**
 * When staff are added without a password (the API's `POST /users`, the admin center's "Add a
 * person"), they get an invitation to choose one: e-mailed when mail is set up, and listed under
 * Invitations, where an admin can make a new link to hand over.
 */
export function inviteNewStaff(deps: InviteDeps): (ctx: RequestContext, user: UserCreated) => Promise<void> {
  return async (ctx, user) => {
    if (user.role === "end_user" || user.role === "owner" || user.hasPassword || !user.email || ctx.actor.kind !== "user") return;
    await issueInvitation(deps, ctx, { email: user.email, role: user.role, hours: DEFAULT_INVITATION_HOURS, invitedBy: ctx.actor.userId });
  };
}

export async function listInvitations(ctx: RequestContext, page: Page) {
  if (!adminPolicy.manage(actorUser(ctx))) throw forbidden();
  const { rows, count } = await repo.listInvitations(ctx.tx, page);
  const now = ctx.now();
  return { rows: rows.map((r) => present(ctx, r, now)), count };
}

export async function revokeInvitation(deps: Pick<AppDeps, "now">, ctx: RequestContext, niceId: number): Promise<void> {
  if (!adminPolicy.manage(actorUser(ctx))) throw forbidden();
  const row = await repo.findInvitationByNiceId(ctx.tx, niceId);
  if (!row) throw notFound();
  if (row.revoked_at === null && row.used_at === null) {
    await repo.revokeInvitation(ctx.tx, row.id, ctx.now());
    audit(ctx, { action: "invitation.revoked", resourceType: "invitation", resourceId: niceId });
  }
}

const notValid = () =>
  new AppError("RecordNotFound", { description: "This invitation link is not valid. Check that it was copied whole, or ask an admin for a new one." });

const refusal: Record<Exclude<InvitationState, "pending">, [string, string]> = {
  used: ["This invitation has already been used. Sign in instead, or ask an admin for a new invitation.", "AlreadyUsed"],
  expired: ["This invitation has expired. Ask an admin for a new one.", "Expired"],
  revoked: ["This invitation was withdrawn by an admin. Ask an admin for a new one.", "Revoked"],
};

/** The usable invitation a token names, or the error that says why it cannot be used. */
async function usableInvitation(deps: Pick<AppDeps, "keyring" | "now">, ctx: RequestContext, token: string): Promise<repo.InvitationRow> {
  if (!token.startsWith(INVITATION_PREFIX)) throw notValid();
  const row = await repo.findInvitationByHash(ctx.tx, deps.keyring.hashSecret("invitation", token));
  if (!row) throw notValid();
  const state = stateOf(row, ctx.now());
  if (state !== "pending") throw invalid("token", ...refusal[state]);
  // A group that signs in only through single sign-on chooses no password and gets no session from
  // a link: the invitee signs in at the identity provider (the link stays usable if that changes).
  if (!(await passwordAllowed(ctx, { id: row.id, role: row.role }))) {
    throw invalid("token", "This team signs in through its identity provider: sign in there instead of choosing a password.", "SsoOnly");
  }
  return row;
}

/** What the invitee's page shows before they choose a name and password. */
export async function previewInvitation(deps: Pick<AppDeps, "keyring" | "now">, ctx: RequestContext, token: string) {
  const row = await usableInvitation(deps, ctx, token);
  return {
    email: ctx.sealer.open(row.email_sealed, ref(row.id)),
    role: apiRole(row.role),
    team_name: await teamName(ctx),
    expires_at: row.expires_at.toISOString(),
    // What the password to choose must be, to show before the invitee types one.
    password_requirements: requirementsInWords(await rulesFor(ctx.tx, row.role)),
  };
}

/** What the slow half of accepting found and made, outside any transaction: the link and the new password's hash. */
export type PreparedAcceptance = { invitationId: string; passwordHash: string };

/**
 * The slow half of accepting, before the request's transaction: the link is checked in a short
 * transaction (an unusable one costs no password hash), the password against the role's policy,
 * and argon2 runs outside any transaction, so it never holds the database.
 */
export async function prepareAcceptance(deps: AppDeps, inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>, input: { token: string; name: string; password: string }): Promise<PreparedAcceptance> {
  const found = await inTenant(async (ctx) => {
    const row = await usableInvitation(deps, ctx, input.token);
    return { id: row.id, email: ctx.sealer.open(row.email_sealed, ref(row.id)), rules: await rulesFor(ctx.tx, row.role), team: (await teamName(ctx)) ?? undefined };
  });
  checkNewPassword(found.rules, input.password, { email: found.email, name: input.name, teamName: found.team });
  return { invitationId: found.id, passwordHash: await hashPassword(input.password) };
}

/** Creates the invited user with the chosen name and the password prepared by prepareAcceptance, uses up the link, and signs them in. */
export async function acceptInvitation(deps: AppDeps, ctx: RequestContext, input: { token: string; name: string }, prepared: PreparedAcceptance) {
  const row = await usableInvitation(deps, ctx, input.token);
  if (row.id !== prepared.invitationId) throw invalid("token", ...refusal.used);
  const email = ctx.sealer.open(row.email_sealed, ref(row.id));
  // From a network the tenant does not admit for the invited role: refused before the person is
  // made or the link spent, audited as the invitation (there is no person yet).
  const network = await networkRulesOf(ctx.tx, ctx.sealer);
  if (!ipRestrictionsPolicy.allows(network, { role: row.role, secondFactor: false }, ctx.ip)) {
    audit(ctx, { action: "invitation.refused", resourceType: "invitation", resourceId: row.nice_id, fields: ["ip_restriction"] });
    return new CommitThenFail(networkRefused());
  }
  // Exactly one request can claim a link, even when two race with it.
  if (!(await repo.claimInvitation(ctx.tx, row.id, ctx.now()))) throw invalid("token", ...refusal.used);
  const passwordHash = prepared.passwordHash;
  const existing = await findUserByEmail(ctx, email);
  let user: { id: string; niceId: number };
  if (existing) {
    // Added earlier without a password (staff with this role, or an end user nobody proved): this
    // link sets the password, proves the address and, for an end user, gives the invited role.
    const staffWaiting = awaitingPassword(existing) && existing.role === row.role;
    if (!staffWaiting && !unprovenEndUser(existing)) {
      throw invalid("token", "This address now belongs to another account. Ask an admin for a new invitation.", "DuplicateValue");
    }
    await setInitialPassword(ctx, existing.id, { name: input.name, passwordHash, role: row.role });
    user = existing;
  } else {
    user = await insertSealedUser(ctx, { role: row.role, name: input.name, email, passwordHash, emailStatus: "verified" });
  }
  await repo.setInvitationUser(ctx.tx, row.id, user.id);
  audit(actingAs(ctx, { id: user.id, niceId: user.niceId, role: row.role, customRole: null }), { action: "invitation.accepted", resourceType: "invitation", resourceId: row.nice_id });
  const session = await startSession(deps, ctx, { id: user.id, niceId: user.niceId, role: row.role }, "invitation");
  return { session, userNiceId: user.niceId };
}
