import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { userPolicy } from "./users-policy.ts";
import * as repo from "./users-repo.ts";
import type { RestrictionView } from "./users-types.ts";

/**
 * Restriction of processing (GDPR art. 18) and objection (art. 21): owners and admins record that
 * a person's data may be stored but not processed further, with a reason (sealed), and lift it.
 * While it holds:
 *  - no automated mail goes to the person: every notification to them (request received, replies,
 *    solved, CC updates; from the API, the help center, e-mail and bulk jobs alike) is withheld in
 *    the transaction that would have queued it, and the withholding is audited
 *    (`notification.withheld`, tickets/notifications-service.ts);
 *  - staff see it (the user JSON's `restricted`, `restricted_at`, `restriction_reason`; a banner on
 *    the ticket's requester panel and on the People page), and do by hand only what the person
 *    agreed to or the law requires.
 * Storage and legal obligations go on: retention runs, legal holds, the right of access and
 * erasure are not "automated processing" of the person (docs/privacy.md).
 */

const rref = refsOf("users");

export async function setRestriction(ctx: RequestContext, niceId: number, input: { restricted: boolean; reason?: string | undefined }): Promise<RestrictionView> {
  if (!userPolicy.restrictProcessing(actorUser(ctx))) throw forbidden("Only owners and admins restrict processing.");
  const u = await repo.findUserByNiceId(ctx.tx, niceId);
  if (!u) throw notFound();
  if (input.restricted) {
    const reason = input.reason?.trim() ?? "";
    if (!reason) throw invalid("reason", "Reason: cannot be blank when processing is restricted", "Blank");
    await repo.setRestriction(ctx.tx, u.id, { restricted_at: u.restricted_at ?? ctx.now(), restriction_reason_sealed: ctx.sealer.seal(reason, rref(u.id, "restriction_reason")) });
    audit(ctx, { action: u.restricted_at ? "user.restriction_updated" : "user.restricted", resourceType: "user", resourceId: u.nice_id, fields: ["restricted", "reason"] });
  } else if (u.restricted_at) {
    await repo.setRestriction(ctx.tx, u.id, { restricted_at: null, restriction_reason_sealed: null });
    audit(ctx, { action: "user.restriction_lifted", resourceType: "user", resourceId: u.nice_id, fields: ["restricted"] });
  }
  return showRestriction(ctx, niceId);
}

/** A person's restriction as staff see it. */
export async function showRestriction(ctx: RequestContext, niceId: number): Promise<RestrictionView> {
  if (!userPolicy.list(actorUser(ctx))) throw forbidden();
  const u = await repo.findUserByNiceId(ctx.tx, niceId);
  if (!u) throw notFound();
  return {
    user_id: u.nice_id,
    restricted: u.restricted_at !== null,
    restricted_at: u.restricted_at?.toISOString() ?? null,
    reason: u.restriction_reason_sealed ? ctx.sealer.open(u.restriction_reason_sealed, rref(u.id, "restriction_reason")) : null,
  };
}
