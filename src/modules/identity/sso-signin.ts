import { z } from "zod";
import type { RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, CommitThenFail } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import type { Session } from "./identity-service.ts";
import { signInWithProvider, type AssertedIdentity } from "./sso-service.ts";
import type { RefusalReason } from "./sso-claims.ts";

/** What the OpenID Connect and JWT sign-ins share: their refusals, their last step, their route schemas. */

export const returnTo = z.string().max(2000).optional().describe("A path of this account's own site to go to after signing in; anything else is ignored.");
export const reauth = z
  .enum(["1"])
  .optional()
  .describe("1: the person is signing in again for a step that needs a recent sign-in: the identity provider is asked to authenticate them anew (OpenID Connect prompt=login and max_age=0, SAML ForceAuthn).");
export const redirected = z.undefined().describe("303: the browser is sent on (Location).");

/** The answer to a refused single sign-on: 401 with the reason code only (503 when the provider could not be reached). */
export function refusal(reason: RefusalReason): AppError {
  if (reason === "not_configured") return new AppError("RecordNotFound", { description: "This single sign-on is not set up for this account (not_configured).", reason });
  if (reason === "provider_unreachable") return new AppError("Unavailable", { description: "The identity provider could not be reached; try again shortly (provider_unreachable).", reason });
  if (reason === "provider_misconfigured") return new AppError("Unavailable", { description: "The identity provider's discovery document does not match its settings here; an admin should check them (provider_misconfigured).", reason });
  return new AppError("Unauthorized", { description: `Single sign-on was refused (${reason}). Start again from the sign-in page.`, reason });
}

/** Records a refused single sign-on in the audit trail and answers it (the audit commits). */
export function refuseSignIn(ctx: RequestContext, kind: "oidc" | "jwt", reason: RefusalReason, error: AppError = refusal(reason)): CommitThenFail {
  audit(ctx, { action: "user.signin_failed", resourceType: "user", resourceId: "unknown", fields: [kind, reason] });
  return new CommitThenFail(error);
}

/**
 * The last step, inside the transaction: the single sign-on layer finds or creates the person and
 * opens the session; its refusals (suspended, not sent to this provider) are audited and
 * committed there and answered 403.
 */
export async function completeProviderSignIn(deps: AppDeps, ctx: RequestContext, kind: "oidc" | "jwt", identity: AssertedIdentity, returnTo: string | undefined): Promise<CommitThenFail | { session: Session; location: string }> {
  const r = await signInWithProvider(deps, ctx, kind, identity);
  if (r instanceof CommitThenFail) return r;
  return { session: r.session, location: returnTo ?? r.landing };
}
