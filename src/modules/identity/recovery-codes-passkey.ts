import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import type { RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { CommitThenFail, invalid } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import * as identityRepo from "./identity-repo.ts";
import * as passkeysRepo from "./passkeys-repo.ts";
import { checkProof, proofOptions } from "./passkeys-service.ts";
import { renewRecoveryCodes } from "./recovery-codes.ts";
import { mustBeStaffOnSession } from "./two-factor-service.ts";

/**
 * New recovery codes with a passkey as the proof (POST /users/me/two_factor/recovery_codes takes
 * a code from an authenticator app or an unused recovery code, which someone with passkeys only
 * and no codes left cannot give). Two steps, as a passkey sign-in: options carrying a WebAuthn
 * challenge of its own purpose (`recovery_codes`, bound to the person, five minutes, single use),
 * then an assertion of one of the person's passkeys over it. A session alone is not enough, and a
 * challenge issued for a sign-in, a registration or another person is refused.
 */

const noPasskeys = () => invalid("passkey", "You have no passkeys: confirm new recovery codes with a code from your authenticator app or an unused recovery code.", "NoPasskeys");

/** First step: request options naming the caller's passkeys (a team member on a session). */
export async function recoveryCodesPasskeyOptions(deps: Pick<AppDeps, "keyring">, ctx: RequestContext): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const actor = mustBeStaffOnSession(ctx);
  const options = await proofOptions(deps, ctx, "recovery_codes", actor.userId);
  if (!options) throw noPasskeys();
  return options;
}

/**
 * Second step: the assertion, checked, answers ten new codes (the earlier ones stop working;
 * audited `user.recovery_codes_regenerated`; the person is mailed a notice). A refused proof is audited
 * `user.two_factor_proof_failed`, its challenge stays used, and it answers 422.
 */
export async function regenerateRecoveryCodesWithPasskey(deps: Pick<AppDeps, "keyring" | "config">, ctx: RequestContext, credential: AuthenticationResponseJSON): Promise<string[] | CommitThenFail> {
  const actor = mustBeStaffOnSession(ctx);
  if ((await passkeysRepo.countPasskeysOf(ctx.tx, actor.userId)) === 0) throw noPasskeys();
  // The person's row before the passkey's use is recorded (the sign-in's second step takes them in this order).
  await identityRepo.holdUserRow(ctx.tx, actor.userId);
  const proved = await checkProof(deps, ctx, "recovery_codes", { id: actor.userId, niceId: actor.niceId }, credential);
  if (!proved) {
    audit(ctx, { action: "user.two_factor_proof_failed", resourceType: "user", resourceId: actor.niceId, fields: ["passkeys"] });
    return new CommitThenFail(invalid("credential", "The passkey could not be verified, or this confirmation has expired. Try again.", "InvalidCredential"));
  }
  return renewRecoveryCodes(deps, ctx, actor, ["passkeys"]);
}
