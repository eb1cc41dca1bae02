import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Mailer } from "../../platform/mail.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { audit } from "../audit/audit-service.ts";
import { teamName } from "../admin/account-service.ts";
import { isAdmin } from "../users/users-policy.ts";
import { emailIndex } from "../users/users-service.ts";
import { newSecret, startSession } from "./identity-service.ts";
import { signinMail } from "./signin-mail.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import * as repo from "./signin-links-repo.ts";

/**
 * One-time sign-in links for end users (the help center has no passwords to forget).
 *
 * - The link carries a 256-bit random secret; only its keyed hash (HMAC under a key derived from
 *   the master key) is stored. It works once (the claim is a conditional UPDATE), for 15 minutes.
 * - Asking for a link answers the same whether or not the address belongs to anyone, and whatever
 *   their role: only active, unsuspended end users get a link. Staff sign in with their password
 *   in the workspace; a mailbox alone must not open a staff session.
 * - The mail is a durable job (mail-job.ts) written in the request's transaction and sent after
 *   it commits, so nothing slow runs inside it, a rolled-back request sends nothing, and a mail
 *   server that is down is tried again. Addresses and links are never logged.
 * - Without an SMTP server, staff create a link for an end user and hand it over themselves.
 */

export const SIGNIN_LINK_PREFIX = "vdl_";
export const SIGNIN_LINK_MINUTES = 15;
/** Links one address can be sent per 15 minutes, whoever asks (a mailbox is not to be flooded). */
const PER_ADDRESS = 3;

const linkUrl = (ctx: RequestContext, token: string) => `${new URL(ctx.apiBase).origin}/signin?token=${encodeURIComponent(token)}`;

async function createLink(deps: Pick<AppDeps, "keyring" | "now">, ctx: RequestContext, userId: string, createdBy: string | null) {
  const token = newSecret(SIGNIN_LINK_PREFIX);
  const expires = new Date(deps.now().getTime() + SIGNIN_LINK_MINUTES * 60_000);
  await repo.insertSigninLink(ctx.tx, { id: crypto.randomUUID(), user_id: userId, token_hash: deps.keyring.hashSecret("signin-link", token), created_by: createdBy, expires_at: expires });
  return { token, expires };
}

/** Sends a sign-in link to the address if it belongs to an end user who may sign in; answers nothing either way. */
export async function requestSigninLink(deps: Pick<AppDeps, "keyring" | "now" | "rateLimiter" | "config">, mailer: Pick<Mailer, "available">, ctx: RequestContext, input: { email: string; locale?: string | undefined }): Promise<void> {
  if (!mailer.available) {
    throw invalid("email", "E-mail sign-in is not available on this help center: no mail server is set up. Ask the support team for a sign-in link.", "Unavailable");
  }
  // Counted for every address, known or not, so the limit itself tells nothing.
  const addressKey = deps.keyring.hashSecret("rate-limit", `${ctx.tx.tenantId}:${input.email}`).toString("base64url").slice(0, 22);
  const limited = deps.rateLimiter.hit(`linkaddr:${addressKey}`, PER_ADDRESS, 900);
  if (!limited.allowed) throw new AppError("TooManyRequests", { retryAfterSeconds: limited.resetSeconds });
  const user = await repo.findUserForLink(ctx.tx, { emailBidx: emailIndex(ctx.sealer, input.email) });
  if (!user || user.role !== "end_user" || !user.active || user.suspended) return;
  const { token, expires } = await createLink(deps, ctx, user.id, null);
  const team = (await teamName(ctx)) ?? new URL(ctx.apiBase).hostname;
  const mail = signinMail(input.locale ?? user.locale, team, linkUrl(ctx, token), SIGNIN_LINK_MINUTES);
  await queueMail(ctx, deps.config.mailRetryMs, { to: input.email, ...mail }, expires);
  const asUser: RequestContext = { ...ctx, actor: { kind: "user", userId: user.id, niceId: user.nice_id, role: user.role, scopes: [], via: "session" } };
  audit(asUser, { action: "signin_link.sent", resourceType: "user", resourceId: user.nice_id });
}

/** Staff (owners and admins) create a link for an end user, to hand over when there is no mail. Shown once. */
export async function createSigninLinkFor(deps: Pick<AppDeps, "keyring" | "now">, ctx: RequestContext, userNiceId: number) {
  const actor = actorUser(ctx);
  if (!isAdmin(actor.role)) throw forbidden("Only owners and admins can create sign-in links.");
  const user = await repo.findUserForLink(ctx.tx, { niceId: userNiceId });
  if (!user) throw notFound();
  if (user.role !== "end_user") throw invalid("user_id", "Sign-in links are for end users; staff sign in with their password.", "InvalidValue");
  if (!user.active || user.suspended) throw invalid("user_id", "This person is deleted or suspended and cannot sign in.", "InvalidValue");
  const { token, expires } = await createLink(deps, ctx, user.id, actor.userId);
  audit(ctx, { action: "signin_link.created", resourceType: "user", resourceId: user.nice_id });
  return { url: linkUrl(ctx, token), token, expires_at: expires.toISOString(), user_id: user.nice_id };
}

const notValid = () => new AppError("RecordNotFound", { description: "This sign-in link is not valid. Check that it was copied whole, or ask for a new one." });

/** Uses up a link and signs its end user in. */
export async function redeemSigninLink(deps: AppDeps, ctx: RequestContext, token: string) {
  if (!token.startsWith(SIGNIN_LINK_PREFIX)) throw notValid();
  const link = await repo.findSigninLinkByHash(ctx.tx, deps.keyring.hashSecret("signin-link", token));
  if (!link || link.user_role !== "end_user" || !link.user_active || link.user_suspended) throw notValid();
  const now = deps.now();
  if (link.used_at) throw invalid("token", "This sign-in link has already been used. Ask for a new one.", "AlreadyUsed");
  if (link.expires_at.getTime() <= now.getTime()) throw invalid("token", "This sign-in link has expired. Ask for a new one.", "Expired");
  if (!(await repo.claimSigninLink(ctx.tx, link.id, now))) throw invalid("token", "This sign-in link has already been used. Ask for a new one.", "AlreadyUsed");
  const session = await startSession(deps, ctx, { id: link.user_id, niceId: link.user_nice_id, role: link.user_role });
  return { session, userNiceId: link.user_nice_id };
}

/** For the right of access: the person's sign-in links and sessions (addresses opened). */
export async function signinHistoryOf(ctx: RequestContext, userId: string) {
  const links = await repo.listSigninLinksOf(ctx.tx, userId);
  const sessions = await repo.listSessionsOf(ctx.tx, userId);
  return {
    last_sign_in_at: (await repo.lastLoginOf(ctx.tx, userId))?.toISOString() ?? null,
    sign_in_links: links.map((l) => ({ created_at: l.created_at.toISOString(), expires_at: l.expires_at.toISOString(), used_at: l.used_at?.toISOString() ?? null, created_by_staff: l.created_by !== null })),
    sessions: sessions.map((s) => ({
      started_at: s.created_at.toISOString(),
      last_seen_at: new Date(s.last_seen_at).toISOString(),
      expires_at: new Date(s.expires_at).toISOString(),
      ended_at: s.revoked_at?.toISOString() ?? null,
      ip: s.ip_sealed ? ctx.sealer.open(s.ip_sealed, { table: "sessions", column: "ip", row: s.id }) : null,
    })),
  };
}
