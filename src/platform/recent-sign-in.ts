import type { RequestContext } from "./context.ts";
import { AppError } from "./errors.ts";

/**
 * How recent a session's sign-in must be for a step that gives lasting access, moves an account or
 * removes what protects one: adding a passkey, setting up an authenticator app, creating an API
 * token or an OAuth client, changing single sign-on or the IP restrictions, inviting staff,
 * changing one's own e-mail address. Each outlives the session; someone at an unattended browser,
 * or holding a stolen session cookie, must not be able to take the account with it. So the person
 * proves themselves again by signing in (with whatever they sign in with: password and second
 * factor, single sign-on, an e-mailed link, a passkey), as GitHub's "sudo mode" and Google's
 * "confirm it's you" do, and takes the step within this time.
 *
 * A route whose every call is such a step declares it (`recentSignIn` in http/route.ts), and the
 * route wrapper checks before the handler runs; a step that is one only for some data (a staff role
 * rather than an end user's, someone else's passkey, redirect URLs that really change) checks in
 * its service with requireRecentSignIn or requireRecentSignInOnSession.
 */
export const RECENT_SIGN_IN_MS = 15 * 60_000;

/** How far in the future a session's sign-in may lie (another server's clock a little ahead). */
const SIGN_IN_CLOCK_SKEW_MS = 60_000;

/**
 * Whether the caller is on a session that began within RECENT_SIGN_IN_MS with a sign-in of theirs
 * (the session's `signedInAt`, which the authenticator leaves out for a session staff opened for
 * them). A caller without a session, or one dated in the future, is not.
 */
export function isRecentSignIn(ctx: Pick<RequestContext, "actor" | "now">): boolean {
  const at = ctx.actor.kind === "user" && ctx.actor.via === "session" ? ctx.actor.signedInAt : undefined;
  const age = at ? ctx.now().getTime() - at.getTime() : Number.NaN;
  return age >= -SIGN_IN_CLOCK_SKEW_MS && age <= RECENT_SIGN_IN_MS;
}

/** Refuses (403 RecentSignInRequired) unless isRecentSignIn. `doing` completes "To …, sign in again". */
export function requireRecentSignIn(ctx: Pick<RequestContext, "actor" | "now">, doing: string): void {
  if (isRecentSignIn(ctx)) return;
  throw new AppError("RecentSignInRequired", { description: `To ${doing}, sign in again: this can only be done within ${RECENT_SIGN_IN_MS / 60_000} minutes of signing in.` });
}

/**
 * requireRecentSignIn for a caller on a session; other credentials (API tokens, OAuth, the password
 * on each request) are left to their own rules (OAuth tokens are refused on credential routes).
 */
export function requireRecentSignInOnSession(ctx: Pick<RequestContext, "actor" | "now">, doing: string): void {
  if (ctx.actor.kind === "user" && ctx.actor.via === "session") requireRecentSignIn(ctx, doing);
}
