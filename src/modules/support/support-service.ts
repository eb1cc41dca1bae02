import crypto from "node:crypto";
import { actorUser, makeContext, userActor, type RequestContext, type UserActor } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { Keyring, TenantSealer } from "../../platform/crypto/keyring.ts";
import type { Database, TenantTx } from "../../platform/db/database.ts";
import { AppError, forbidden, notFound } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { revokeAccessOf } from "../identity/identity-service.ts";
import { ensureSupportUser, findSupportUser, namesByIds } from "../users/users-service.ts";
import { MAX_SUPPORT_DAYS, supportPolicy, type SupportLevel } from "./support-policy.ts";
import * as repo from "./support-repo.ts";

/**
 * Temporary support access. The owner grants the installation's operator access for 1–30 days;
 * while the grant is live the operator's command line (`vaultdesk support api`) performs API
 * requests as the tenant's support user, through the server's own routing, one pass a request
 * (platform/http/support-passes.ts). Every grant, revocation, use and refused use is audited; the
 * support user's own actions are audited as it, like anyone's.
 */

const reasonRef = (id: string) => refsOf("support_access_grants")(id, "reason");
const DAY_MS = 86_400_000;
/** How many grants the list shows (the newest; the audit log keeps the rest of the history). */
const LIST_LIMIT = 50;

export type GrantStatus = "live" | "expired" | "revoked";
export type GrantView = {
  id: number;
  level: SupportLevel;
  reason: string | null;
  status: GrantStatus;
  support_user_id: number | null;
  granted_by_id: number | null;
  granted_by_name: string | null;
  revoked_by_id: number | null;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
};

const statusOf = (g: repo.GrantRow, now: Date): GrantStatus => (g.revoked_at ? "revoked" : supportPolicy.live({ expiresAt: g.expires_at, revokedAt: g.revoked_at }, now) ? "live" : "expired");

async function present(ctx: RequestContext, rows: repo.GrantRow[]): Promise<GrantView[]> {
  const byId = await namesByIds(ctx, rows.flatMap((g) => [g.granted_by, g.support_user_id, ...(g.revoked_by ? [g.revoked_by] : [])]));
  const now = ctx.now();
  return rows.map((g) => ({
    id: g.nice_id,
    level: g.level,
    reason: g.reason_sealed ? ctx.sealer.open(g.reason_sealed, reasonRef(g.id)) : null,
    status: statusOf(g, now),
    support_user_id: byId.get(g.support_user_id)?.niceId ?? null,
    granted_by_id: byId.get(g.granted_by)?.niceId ?? null,
    granted_by_name: byId.get(g.granted_by)?.name ?? null,
    revoked_by_id: g.revoked_by ? (byId.get(g.revoked_by)?.niceId ?? null) : null,
    created_at: g.created_at.toISOString(),
    expires_at: g.expires_at.toISOString(),
    revoked_at: g.revoked_at ? g.revoked_at.toISOString() : null,
  }));
}

/** The grants, newest first, with what the viewer may do (the admin center decides nothing itself). */
export async function listGrants(ctx: RequestContext): Promise<{ grants: GrantView[]; abilities: { can_grant: boolean; can_revoke: boolean } }> {
  const actor = actorUser(ctx);
  if (!supportPolicy.view(actor)) throw forbidden();
  const rows = await repo.listGrants(ctx.tx, LIST_LIMIT);
  return { grants: await present(ctx, rows), abilities: { can_grant: supportPolicy.grant(actor).ok, can_revoke: supportPolicy.revoke(actor).ok } };
}

/** Grants the operator support access for `days` days from now (owner only; one live grant at a time). */
export async function grantSupportAccess(ctx: RequestContext, input: { days: number; level: SupportLevel; reason?: string | undefined }): Promise<GrantView> {
  const actor = actorUser(ctx);
  const allowed = supportPolicy.grant(actor);
  if (!allowed.ok) throw forbidden(allowed.reason);
  await repo.lockGrants(ctx.tx);
  const now = ctx.now();
  const decision = supportPolicy.grantWhileLive((await repo.findLiveGrant(ctx.tx, now)) !== undefined);
  if (!decision.ok) throw new AppError("RecordInvalid", { description: decision.reason, details: { support_access: [{ error: "InvalidValue", description: decision.reason }] } });
  if (!Number.isInteger(input.days) || input.days < 1 || input.days > MAX_SUPPORT_DAYS) throw new Error("days out of range (the route validates it)");
  const supportUser = await ensureSupportUser(ctx);
  const id = crypto.randomUUID();
  const reason = input.reason?.trim() ? input.reason.trim() : null;
  const niceId = await repo.insertGrant(ctx.tx, {
    id,
    level: input.level,
    reasonSealed: reason ? ctx.sealer.seal(reason, reasonRef(id)) : null,
    grantedBy: actor.userId,
    supportUserId: supportUser.id,
    createdAt: now,
    expiresAt: new Date(now.getTime() + input.days * DAY_MS),
  });
  audit(ctx, { action: "support_access.granted", resourceType: "support_access", resourceId: niceId, fields: ["days", "level", ...(reason ? ["reason"] : [])] });
  return (await present(ctx, [(await repo.findGrantById(ctx.tx, id))!]))[0]!;
}

/**
 * Revokes a grant (owners and admins). The support user's sessions and tokens end with it (it has
 * none, being suspended for every ordinary credential; ended anyway, in case). Revoking a grant
 * that has already ended answers it as it is.
 */
export async function revokeSupportAccess(ctx: RequestContext, niceId: number): Promise<void> {
  const actor = actorUser(ctx);
  // Refused as the list refuses them, before any lookup: a grant id tells nobody anything then.
  if (!supportPolicy.view(actor)) throw forbidden();
  const decision = supportPolicy.revoke(actor);
  if (!decision.ok) throw forbidden(decision.reason);
  const g = await repo.findGrantByNiceId(ctx.tx, niceId);
  if (!g) throw notFound();
  if (await repo.revokeGrant(ctx.tx, g.id, actor.userId, ctx.now())) {
    await revokeAccessOf(ctx, g.support_user_id, { sessions: true, tokens: true, signinLinks: true });
    audit(ctx, { action: "support_access.revoked", resourceType: "support_access", resourceId: niceId });
  }
}

/**
 * The authenticator's half of a support pass: the support user as an actor under the grant
 * `grantId`, or 401 when that grant is no longer live (revoked or expired since the pass was
 * minted) or belongs to no support user of this tenant.
 */
export async function supportActor(tx: TenantTx, sealer: TenantSealer, grantId: string, now: () => Date): Promise<UserActor> {
  const g = await repo.findGrantById(tx, grantId);
  if (!g || !supportPolicy.live({ expiresAt: g.expires_at, revokedAt: g.revoked_at }, now())) {
    throw new AppError("Unauthorized", { description: "No live support access grant." });
  }
  const ctx = makeContext({ tx, sealer, actor: { kind: "system" }, now });
  const u = await findSupportUser(ctx);
  if (!u || u.id !== g.support_user_id || !u.active) throw new AppError("Unauthorized", { description: "No live support access grant." });
  const acting = supportPolicy.actingAs(g.level);
  return userActor({ id: u.id, niceId: u.niceId, role: acting.role, customRole: null }, "support", acting.scopes);
}

/** What the operator's `vaultdesk support status` shows: the live grant, or the last one and why it ended. */
export type SupportStatus = { live: boolean; grant: { id: number; level: SupportLevel; status: GrantStatus; created_at: string; expires_at: string; revoked_at: string | null } | null };

const brief = (g: repo.GrantRow, now: Date): NonNullable<SupportStatus["grant"]> => ({
  id: g.nice_id,
  level: g.level,
  status: statusOf(g, now),
  created_at: g.created_at.toISOString(),
  expires_at: g.expires_at.toISOString(),
  revoked_at: g.revoked_at ? g.revoked_at.toISOString() : null,
});

/** For the operator: the tenant's grant as it stands (no content: level, dates, status). */
export async function supportStatusForOperator(deps: { db: Database; now: () => Date }, tenantId: string): Promise<SupportStatus> {
  return deps.db.tenant(tenantId, async (tx) => {
    const now = deps.now();
    const g = (await repo.findLiveGrant(tx, now)) ?? (await repo.findLatestGrant(tx));
    return { live: g !== undefined && statusOf(g, now) === "live", grant: g ? brief(g, now) : null };
  });
}

/**
 * For the operator's `vaultdesk support api`: checks that a grant is live and records the use as
 * the support user (method and the API resource, never the path's values), or records the refusal
 * as the operator's and refuses with a message that says why. Returns the grant's internal id, for
 * the pass.
 */
export async function beginSupportRequest(deps: { db: Database; keyring: Keyring; now: () => Date }, tenantId: string, request: { method: string; resource: string }): Promise<{ grantId: string; grantNiceId: number; level: SupportLevel }> {
  const outcome = await deps.db.tenant(tenantId, async (tx) => {
    const sealer = await deps.keyring.sealerFor(tx);
    const now = deps.now();
    const live = await repo.findLiveGrant(tx, now);
    if (!live) {
      const last = await repo.findLatestGrant(tx);
      const ctx = makeContext({ tx, sealer, actor: { kind: "operator" }, now: deps.now });
      audit(ctx, { action: "support_access.refused", resourceType: "support_access", resourceId: last ? last.nice_id : "none", fields: [last ? statusOf(last, now) : "none"] });
      return { refused: last ? brief(last, now) : null } as const;
    }
    const ctx = makeContext({ tx, sealer, actor: await supportActor(tx, sealer, live.id, deps.now), now: deps.now });
    audit(ctx, { action: "support_access.used", resourceType: "support_access", resourceId: live.nice_id, fields: [request.method.toLowerCase(), request.resource] });
    return { grantId: live.id, grantNiceId: live.nice_id, level: live.level } as const;
  });
  if ("refused" in outcome) {
    const g = outcome.refused;
    const why = !g
      ? "the account's owner has never granted support access"
      : g.status === "revoked"
        ? `the last grant (${g.id}) was revoked at ${g.revoked_at}`
        : `the last grant (${g.id}) expired at ${g.expires_at}`;
    throw new AppError("Forbidden", { description: `No live support access grant for this tenant: ${why}. Only the account's owner can grant it, in the admin center (Account → Support access).` });
  }
  return outcome;
}
