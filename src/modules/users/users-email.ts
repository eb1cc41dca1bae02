import crypto from "node:crypto";
import { actorUser, userActor, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, invalid } from "../../platform/errors.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { audit } from "../audit/audit-service.ts";
import { newSecret, revokeAccessOf } from "../identity/identity-service.ts";
import { requireRecentSignInOnSession } from "../../platform/recent-sign-in.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { emailIndex } from "./users-fns.ts";
import { indexUser } from "../search/people-index.ts";
import { emailChangeMail, emailChangeNoticeMail, emailTakenMail } from "./users-mail.ts";
import { userPolicy } from "./users-policy.ts";
import * as repo from "./users-repo.ts";
import { customRoleOf } from "../../platform/roles.ts";

/**
 * Changing a primary e-mail address. The address is who a person is to a helpdesk (tickets filed
 * from it, replies sent to it, sign-in links), so a new address takes effect only once someone
 * uses the link sent to it; until then the old address stays, and the old address is told.
 *
 * When staff move someone else's account to a new address, proving the mailbox is not enough: an
 * agent could move a customer to a mailbox the agent reads and sign in as the customer. Such an
 * address becomes `staff_changed` when confirmed: it receives mail, but no help-center sign-in
 * link, until an admin vouches for it (admins can hand an end user a sign-in link anyway; both are
 * audited). Without an outgoing mail server nothing can be proven: a person cannot change their
 * own address, and only an admin can move someone else's (at once, `staff_changed`).
 */

export const EMAIL_CHANGE_PREFIX = "vde_";
export const EMAIL_CHANGE_HOURS = 24;

const changeRef = (id: string) => refsOf("email_changes")(id, "email");
const userRef = refsOf("users");

type Deps = Pick<AppDeps, "keyring" | "mailer" | "config" | "rateLimiter">;

/** Address changes asked for one person per hour, by anyone: each sends two mails. */
const CHANGES_PER_PERSON: [number, number] = [5, 3600];

/**
 * Starts (or, without mail, for an admin, makes) a change of `u`'s address. Answers what happened.
 *
 * A person asking for an address that belongs to someone else is answered as if it were free (a
 * pending change they see like any other), and the owner of that address is told instead of being
 * sent a link: the form is not a way to learn who has an account. Staff, who can list people
 * anyway, are told plainly that the address is taken.
 */
export async function requestEmailChange(deps: Deps, ctx: RequestContext, u: repo.UserRow, email: string): Promise<"pending" | "changed" | "unchanged"> {
  const actor = actorUser(ctx);
  const bidx = emailIndex(ctx.sealer, email);
  if (u.email_bidx && Buffer.from(u.email_bidx).equals(bidx)) return "unchanged";
  const byStaff = actor.userId !== u.id;
  // One's own address is where password resets and sign-in links go: moved from a session, the
  // session must have signed in recently (a stolen cookie must not take the account with it); an
  // API token or an application's OAuth token, which outlive any sign-in, cannot move it at all
  // (with the address, a password reset would hand over the account). The password sent with the
  // request (HTTP Basic) is itself a fresh proof.
  if (!byStaff) {
    if (actor.via === "token" || actor.via === "oauth") throw forbidden("Your own e-mail address is changed in a signed-in session, not with an API or OAuth token.");
    requireRecentSignInOnSession(ctx, "change your e-mail address");
  }
  const owner = await repo.findUserByEmailBidx(ctx.tx, bidx);
  const taken = owner !== undefined && owner.id !== u.id;
  if (taken && byStaff) throw invalid("email", "Email: is already being used by another user", "DuplicateValue");
  const limitKey = deps.keyring.hashSecret("rate-limit", [ctx.tx.tenantId, "email-change", u.id].join("\0")).toString("base64url").slice(0, 22);
  const limit = deps.rateLimiter.hit(`emailchange:${limitKey}`, ...CHANGES_PER_PERSON);
  if (!limit.allowed) throw new AppError("TooManyRequests", { description: "Too many address changes for this person; try again later.", retryAfterSeconds: limit.resetSeconds });
  if (!deps.mailer.available) {
    if (!byStaff || !["owner", "admin"].includes(actor.role)) {
      throw invalid("email", "Email: an address is changed through a link sent to it, and this helpdesk has no outgoing mail server. Ask an admin.", "Unavailable");
    }
    await setEmail(ctx, u.id, email, bidx, "staff_changed");
    audit(ctx, { action: "user.email_changed", resourceType: "user", resourceId: u.nice_id, fields: ["email"] });
    return "changed";
  }
  const now = ctx.now();
  await repo.cancelEmailChanges(ctx.tx, u.id, now);
  const token = newSecret(EMAIL_CHANGE_PREFIX);
  const id = crypto.randomUUID();
  const expires = new Date(now.getTime() + EMAIL_CHANGE_HOURS * 3600_000);
  await repo.insertEmailChange(ctx.tx, {
    id,
    user_id: u.id,
    email_sealed: ctx.sealer.seal(email, changeRef(id)),
    email_bidx: bidx,
    token_hash: deps.keyring.hashSecret("email-change", token),
    requested_by: actor.userId,
    by_staff: byStaff,
    expires_at: expires,
  });
  const origin = new URL(ctx.apiBase).origin;
  const name = ctx.sealer.open(u.name_sealed, { table: "users" as const, column: "name" as const, row: u.id });
  if (owner && taken) {
    // The link would never work (the address is taken); its owner hears that someone tried.
    const ownerName = ctx.sealer.open(owner.name_sealed, userRef(owner.id, "name"));
    await queueMail(ctx, deps.config.mailRetryMs, { to: email, ...emailTakenMail(owner.locale, ownerName) }, expires);
  } else {
    await queueMail(ctx, deps.config.mailRetryMs, { to: email, ...emailChangeMail(u.locale, name, `${origin}/confirm-email?token=${encodeURIComponent(token)}`, EMAIL_CHANGE_HOURS) }, expires);
  }
  if (u.email_sealed) {
    const old = ctx.sealer.open(u.email_sealed, { table: "users" as const, column: "email" as const, row: u.id });
    await queueMail(ctx, deps.config.mailRetryMs, { to: old, ...emailChangeNoticeMail(u.locale, name) });
  }
  audit(ctx, { action: "user.email_change_requested", resourceType: "user", resourceId: u.nice_id, fields: ["email"] });
  return "pending";
}

async function setEmail(ctx: RequestContext, userId: string, email: string, bidx: Buffer, status: "verified" | "staff_changed"): Promise<void> {
  await repo.updateUser(ctx.tx, userId, { email_sealed: ctx.sealer.seal(email, userRef(userId, "email")), email_bidx: bidx, email_status: status });
  // The name index (search) follows the new address: the person's whole name and address as they now are.
  const u = await repo.findUserById(ctx.tx, userId);
  if (u) await indexUser(ctx, u.active ? { id: userId, name: ctx.sealer.open(u.name_sealed, userRef(userId, "name")), email } : { id: userId, removed: true });
  // Whoever held the account through the old address holds it no longer.
  await revokeAccessOf(ctx, userId, { tokens: false, grants: true, signinLinks: true });
}

const notValid = () => new AppError("RecordNotFound", { description: "This confirmation link is not valid. Check that it was copied whole, or change the address again." });

/**
 * Uses a confirmation link: the user's address becomes the new one (verified when the person
 * asked for it, `staff_changed` when staff did), their sessions and unused sign-in links end. The
 * link signs nobody in.
 */
export async function confirmEmailChange(deps: Pick<AppDeps, "keyring">, ctx: RequestContext, token: string): Promise<{ email: string }> {
  if (!token.startsWith(EMAIL_CHANGE_PREFIX)) throw notValid();
  const c = await repo.findEmailChangeByHash(ctx.tx, deps.keyring.hashSecret("email-change", token));
  if (!c) throw notValid();
  const now = ctx.now();
  if (c.used_at) throw invalid("token", "This link has already been used: the address was changed.", "AlreadyUsed");
  if (c.cancelled_at) throw invalid("token", "This change was replaced by a newer one. Use the link in the most recent message.", "Cancelled");
  if (c.expires_at.getTime() <= now.getTime()) throw invalid("token", "This link has expired. Change the address again to get a new one.", "Expired");
  // The person must still be there, and a change staff asked for must still be theirs to make:
  // an agent who asked to move a customer who has since become staff (or an agent since demoted
  // or removed) cannot complete it.
  const target = await repo.findUserById(ctx.tx, c.user_id);
  if (!target || !target.active || target.suspended) throw notValid();
  if (c.by_staff) {
    const by = await repo.findUserById(ctx.tx, c.requested_by);
    const allowed = by && by.active && !by.suspended && userPolicy.update(userActor({ id: by.id, niceId: by.nice_id, role: by.role, customRole: customRoleOf(by.custom_role_configuration, by.custom_role_nice_id) }, "session"), target, ["email"]).ok;
    if (!allowed) throw invalid("token", "This change can no longer be made: the person who asked for it may no longer change this address.", "Cancelled");
  }
  if (await repo.emailBidxTaken(ctx.tx, Buffer.from(c.email_bidx), c.user_id)) throw invalid("email", "Email: is already being used by another user", "DuplicateValue");
  if (!(await repo.claimEmailChange(ctx.tx, c.id, now))) throw invalid("token", "This link has already been used: the address was changed.", "AlreadyUsed");
  const email = ctx.sealer.open(c.email_sealed, changeRef(c.id));
  await setEmail(ctx, c.user_id, email, Buffer.from(c.email_bidx), c.by_staff ? "staff_changed" : "verified");
  audit(ctx, { action: "user.email_changed", resourceType: "user", resourceId: c.user_nice_id, fields: ["email"] });
  return { email };
}

/** Ends the person's pending address changes: called when their role changes, they are suspended or deleted. */
export async function cancelPendingEmailChanges(ctx: RequestContext, userId: string): Promise<void> {
  await repo.cancelEmailChanges(ctx.tx, userId, ctx.now());
}

/** The address a change is waiting to be confirmed for, if any (shown to the person and to staff). */
export async function pendingEmailOf(ctx: RequestContext, userId: string): Promise<{ email: string; expires_at: string } | null> {
  const c = await repo.findPendingEmailChange(ctx.tx, userId, ctx.now());
  return c ? { email: ctx.sealer.open(c.email_sealed, changeRef(c.id)), expires_at: c.expires_at.toISOString() } : null;
}
