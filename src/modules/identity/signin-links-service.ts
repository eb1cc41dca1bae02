import crypto from "node:crypto";
import { actingAs, actorUser, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { ItemsHandler } from "../../platform/jobs/job-runner.ts";
import { enqueueItems } from "../../platform/jobs/jobs.ts";
import { audit } from "../audit/audit-service.ts";
import { teamName } from "../admin/account-service.ts";
import { identityPolicy } from "./identity-policy.ts";
import { emailIndex } from "../users/users-fns.ts";
import { networkRefusal, newSecret, startSession } from "./identity-service.ts";
import { signinMail } from "./signin-mail.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { clientNetwork } from "../../platform/http/client-network.ts";
import * as repo from "./signin-links-repo.ts";
import { parseDevice } from "./sessions-service.ts";
import { passwordAllowed } from "./sso-password.ts";

/**
 * One-time sign-in links for end users (the help center has no passwords to forget).
 *
 * - The link carries a 256-bit random secret; only its keyed hash (HMAC under a key derived from
 *   the master key) is stored. It works once (the claim is a conditional UPDATE), for 15 minutes.
 * - Asking for a link answers the same, in the same time, whether or not the address belongs to
 *   anyone, and whatever their role: the request only queues a job; the job sends a link to
 *   active, unsuspended end users whose address nobody else moved them to (users-email.ts). Staff
 *   sign in with their password in the workspace; a mailbox alone must not open a staff session.
 * - The mail is a durable job (mail-job.ts) written in the request's transaction and sent after
 *   it commits, so nothing slow runs inside it, a rolled-back request sends nothing, and a mail
 *   server that is down is tried again. Addresses and links are never logged.
 * - Without an SMTP server, staff create a link for an end user and hand it over themselves.
 */

export const SIGNIN_LINK_PREFIX = "vdl_";
export const SIGNIN_LINK_MINUTES = 15;
/** The job that looks an address up and sends its link, after the request has answered. */
export const SIGNIN_LINK_JOB = "signin_link";
/**
 * Links asked for one address from one client network (an IPv4 address, an IPv6 /64) per 15
 * minutes, and for one address from all networks together per hour; a request refused by the
 * first does not count towards the second, so one stranger's network cannot use up the person's
 * allowance. Past either, the request is answered as always and nothing is sent (a stranger cannot
 * tell). The hourly cap bounds the mail one address can be sent; a stranger with more than six
 * networks can delay a person's link for up to an hour (staff can hand them one).
 */
const PER_ADDRESS_AND_NETWORK: [number, number] = [3, 900];
const PER_ADDRESS: [number, number] = [20, 3600];

const linkUrl = (ctx: RequestContext, token: string) => `${new URL(ctx.apiBase).origin}/signin?token=${encodeURIComponent(token)}`;

async function createLink(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, userId: string, createdBy: string | null) {
  const token = newSecret(SIGNIN_LINK_PREFIX);
  const expires = new Date(ctx.now().getTime() + SIGNIN_LINK_MINUTES * 60_000);
  await repo.insertSigninLink(ctx.tx, { id: crypto.randomUUID(), user_id: userId, token_hash: deps.keyring.hashSecret("signin-link", token), created_by: createdBy, expires_at: expires });
  return { token, expires };
}

type LinkRequest = { email: string; locale: string | null };

/**
 * Asks for a sign-in link for an address. The request does the same work whatever the address —
 * it counts the limits and queues a job — and answers nothing either way; the job then looks the
 * address up and, if it belongs to an end user who may sign in by link, sends the link. Time and
 * answer therefore tell a caller nothing about who has an account.
 */
export async function requestSigninLink(deps: Pick<AppDeps, "keyring" | "rateLimiter" | "mailer">, ctx: RequestContext, input: { email: string; locale?: string | undefined }): Promise<void> {
  if (!deps.mailer.available) {
    throw invalid("email", "E-mail sign-in is not available on this help center: no mail server is set up. Ask the support team for a sign-in link.", "Unavailable");
  }
  const key = (...parts: string[]) => deps.keyring.hashSecret("rate-limit", [ctx.tx.tenantId, ...parts].join("\0")).toString("base64url").slice(0, 22);
  const address = input.email.toLowerCase();
  if (!deps.rateLimiter.hit(`linkaddrnet:${key(address, clientNetwork(ctx.ip))}`, ...PER_ADDRESS_AND_NETWORK).allowed) return;
  if (!deps.rateLimiter.hit(`linkaddr:${key(address)}`, ...PER_ADDRESS).allowed) return;
  await enqueueItems<LinkRequest>(ctx, { type: SIGNIN_LINK_JOB, input: { email: input.email, locale: input.locale ?? null }, total: 1, createdBy: null, maxAttempts: 3 });
}

/** The job behind requestSigninLink: finds the end user and queues the mail with the link. */
export function signinLinkJob(deps: Pick<AppDeps, "keyring" | "config">): ItemsHandler<LinkRequest> {
  return {
    kind: "items",
    type: SIGNIN_LINK_JOB,
    actor: async () => ({ kind: "system" }),
    async runItem(ctx, input) {
      const user = await repo.findUserForLink(ctx.tx, { emailBidx: emailIndex(ctx.sealer, input.email) });
      // Only end users who may sign in, at an address they proved or that nobody else moved them to.
      if (user && user.role === "end_user" && user.active && !user.suspended && user.email_status !== "staff_changed" && (await passwordAllowed(ctx, user))) {
        const { token, expires } = await createLink(deps, ctx, user.id, null);
        const team = (await teamName(ctx)) ?? new URL(ctx.apiBase).hostname;
        const mail = signinMail(input.locale ?? user.locale, team, linkUrl(ctx, token), SIGNIN_LINK_MINUTES);
        await queueMail(ctx, deps.config.mailRetryMs, { to: input.email, ...mail }, expires);
        audit(actingAs(ctx, { id: user.id, niceId: user.nice_id, role: user.role, customRole: null }), { action: "signin_link.sent", resourceType: "user", resourceId: user.nice_id });
      }
      // The same result either way: job results are not a way to learn who has an account.
      return { index: 0, success: true, status: "Done" };
    },
    failedItem: (_input, index, err) => ({ index, success: false, error: err.code }),
  };
}

/** Staff (owners and admins) create a link for an end user, to hand over when there is no mail. Shown once. */
export async function createSigninLinkFor(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, userNiceId: number) {
  const actor = actorUser(ctx);
  if (!identityPolicy.createSigninLink(actor)) throw forbidden("Only owners and admins can create sign-in links.");
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
export async function redeemSigninLink(deps: Pick<AppDeps, "keyring" | "config">, ctx: RequestContext, token: string) {
  if (!token.startsWith(SIGNIN_LINK_PREFIX)) throw notValid();
  const link = await repo.findSigninLinkByHash(ctx.tx, deps.keyring.hashSecret("signin-link", token));
  if (!link || link.user_role !== "end_user" || !link.user_active || link.user_suspended) throw notValid();
  // End users who sign in only through single sign-on: their links lead nowhere.
  if (!(await passwordAllowed(ctx, { id: link.user_id, role: link.user_role }))) throw notValid();
  const now = ctx.now();
  if (link.used_at) throw invalid("token", "This sign-in link has already been used. Ask for a new one.", "AlreadyUsed");
  if (link.expires_at.getTime() <= now.getTime()) throw invalid("token", "This sign-in link has expired. Ask for a new one.", "Expired");
  // From a network the tenant does not admit for this person: refused and audited, the link unspent
  // (it still works from an admitted network until it expires).
  const refused = await networkRefusal(ctx, { id: link.user_id, niceId: link.user_nice_id, role: link.user_role }, "link");
  if (refused) return refused;
  if (!(await repo.claimSigninLink(ctx.tx, link.id, now))) throw invalid("token", "This sign-in link has already been used. Ask for a new one.", "AlreadyUsed");
  // Using a link sent to the address proves it (a link staff created and handed over does not).
  if (link.created_by === null) await repo.markEmailProven(ctx.tx, link.user_id);
  const session = await startSession(deps, ctx, { id: link.user_id, niceId: link.user_nice_id, role: link.user_role }, "link", { staffIssued: link.created_by !== null });
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
      ip: s.ip_sealed ? ctx.sealer.open(s.ip_sealed, { table: "sessions" as const, column: "ip" as const, row: s.id }) : null,
      ...deviceOf(s.user_agent_sealed ? ctx.sealer.open(s.user_agent_sealed, { table: "sessions" as const, column: "user_agent" as const, row: s.id }) : null),
    })),
  };
}

/** The browser's own header as stored, and the names parsed from it (right of access: all that is held). */
function deviceOf(userAgent: string | null) {
  return { user_agent: userAgent, ...parseDevice(userAgent) };
}
