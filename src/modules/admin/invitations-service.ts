import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { audit } from "../audit/audit-service.ts";
import { checkPasswordPolicy, hashPassword, newSecret, startSession } from "../identity/identity-service.ts";
import { emailIndex, findUserByEmail, insertSealedUser } from "../users/users-service.ts";
import { roleFromApi } from "../users/users-types.ts";
import { adminPolicy } from "./admin-policy.ts";
import * as repo from "./admin-repo.ts";
import { teamName } from "./account-service.ts";

/**
 * One-time invitations for staff. There is no e-mail channel yet, so the admin is shown the link
 * once, to hand over. The link carries a 256-bit random secret; only its keyed hash is stored, so
 * neither a database dump nor the admin list can rebuild a link. A link works once, until it
 * expires (72 hours by default), and not after it is revoked. The invitee chooses a name and a
 * password (the password policy applies) and is signed in with the invited role and e-mail.
 */

export const INVITATION_PREFIX = "vdi_";
export const DEFAULT_INVITATION_HOURS = 72;
const ref = (id: string) => ({ table: "invitations", column: "email", row: id });

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

export async function createInvitation(
  deps: Pick<AppDeps, "keyring" | "now">,
  ctx: RequestContext,
  input: { email: string; role: "admin" | "agent" | "light-agent"; expires_in_hours?: number | undefined },
): Promise<{ invitation: InvitationView; token: string; url: string }> {
  const actor = actorUser(ctx);
  const role = roleFromApi(input.role);
  const decision = adminPolicy.invite(actor, role);
  if (!decision.ok) throw forbidden(decision.reason);
  if (await findUserByEmail(ctx, input.email)) throw invalid("email", "Email: is already being used by another user", "DuplicateValue");
  const token = newSecret(INVITATION_PREFIX);
  const id = crypto.randomUUID();
  const now = deps.now();
  const niceId = await repo.insertInvitation(ctx.tx, {
    id,
    role: role as repo.InvitationRow["role"],
    email_sealed: ctx.sealer.seal(input.email, ref(id)),
    email_bidx: emailIndex(ctx.sealer, input.email),
    token_hash: deps.keyring.hashSecret("invitation", token),
    invited_by: actor.userId,
    expires_at: new Date(now.getTime() + (input.expires_in_hours ?? DEFAULT_INVITATION_HOURS) * 3600_000),
  });
  audit(ctx, { action: "invitation.created", resourceType: "invitation", resourceId: niceId, fields: ["email", "role"] });
  const row = (await repo.findInvitationByNiceId(ctx.tx, niceId))!;
  const origin = new URL(ctx.apiBase).origin;
  return { invitation: present(ctx, row, now), token, url: `${origin}/invite?token=${encodeURIComponent(token)}` };
}

export async function listInvitations(deps: Pick<AppDeps, "now">, ctx: RequestContext, limit: number, offset: number) {
  if (!adminPolicy.manage(actorUser(ctx))) throw forbidden();
  const { rows, count } = await repo.listInvitations(ctx.tx, limit, offset);
  const now = deps.now();
  return { rows: rows.map((r) => present(ctx, r, now)), count };
}

export async function revokeInvitation(deps: Pick<AppDeps, "now">, ctx: RequestContext, niceId: number): Promise<void> {
  if (!adminPolicy.manage(actorUser(ctx))) throw forbidden();
  const row = await repo.findInvitationByNiceId(ctx.tx, niceId);
  if (!row) throw notFound();
  if (row.revoked_at === null && row.used_at === null) {
    await repo.revokeInvitation(ctx.tx, row.id, deps.now());
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
  const state = stateOf(row, deps.now());
  if (state !== "pending") throw invalid("token", ...refusal[state]);
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
  };
}

/** Creates the invited user with the chosen name and password, uses up the link, and signs them in. */
export async function acceptInvitation(deps: AppDeps, ctx: RequestContext, input: { token: string; name: string; password: string }) {
  const row = await usableInvitation(deps, ctx, input.token);
  const email = ctx.sealer.open(row.email_sealed, ref(row.id));
  checkPasswordPolicy(input.password, email);
  // Exactly one request can claim a link, even when two race with it.
  if (!(await repo.claimInvitation(ctx.tx, row.id, deps.now()))) throw invalid("token", ...refusal.used);
  const user = await insertSealedUser(ctx, { role: row.role, name: input.name, email, passwordHash: await hashPassword(input.password) });
  await repo.setInvitationUser(ctx.tx, row.id, user.id);
  const asUser: RequestContext = { ...ctx, actor: { kind: "user", userId: user.id, niceId: user.niceId, role: row.role, scopes: ["read", "write"], via: "session" } };
  audit(asUser, { action: "invitation.accepted", resourceType: "invitation", resourceId: row.nice_id });
  const session = await startSession(deps, ctx, { id: user.id, niceId: user.niceId, role: row.role });
  return { session, userNiceId: user.niceId };
}
