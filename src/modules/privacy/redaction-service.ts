import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden } from "../../platform/errors.ts";
import { CARDS_ONLY, NATIONAL_ID_COUNTRIES, type Detectors, type NationalIdCountry } from "../../platform/redaction.ts";
import { adminPolicy } from "../admin/admin-policy.ts";
import { audit } from "../audit/audit-service.ts";
import * as repo from "./redaction-repo.ts";
import type { RedactionSettingsView } from "./privacy-types.ts";

/**
 * Automatic redaction settings: which detectors, beside card numbers (always on), mask text on
 * its way in (platform/redaction.ts). Owners and admins; audited; off by default. Writers read
 * them with `detectorsFor` in their own transaction.
 */

const known = (c: string): c is NationalIdCountry => (NATIONAL_ID_COUNTRIES as readonly string[]).includes(c);

/** The tenant's detectors, read in the caller's (writing) transaction. */
export async function detectorsFor(ctx: Pick<RequestContext, "tx">): Promise<Detectors> {
  const s = await repo.findSettings(ctx.tx, true);
  if (!s || (!s.iban && s.national_ids.length === 0)) return CARDS_ONLY;
  return { iban: s.iban, nationalIds: s.national_ids.filter(known) };
}

function admin(ctx: RequestContext): void {
  if (!adminPolicy.manage(actorUser(ctx))) throw forbidden("Redaction settings are for owners and admins.");
}

export async function showRedactionSettings(ctx: RequestContext): Promise<RedactionSettingsView> {
  admin(ctx);
  const s = await repo.findSettings(ctx.tx, false);
  return { iban: s?.iban ?? false, national_ids: (s?.national_ids ?? []).filter(known), available_national_ids: [...NATIONAL_ID_COUNTRIES], updated_at: s?.updated_at.toISOString() ?? null };
}

export async function updateRedactionSettings(ctx: RequestContext, input: { iban?: boolean | undefined; national_ids?: NationalIdCountry[] | undefined }): Promise<RedactionSettingsView> {
  admin(ctx);
  const s = await repo.findSettings(ctx.tx, false);
  const next = { iban: input.iban ?? s?.iban ?? false, national_ids: [...new Set(input.national_ids ?? (s?.national_ids ?? []).filter(known))].sort() };
  await repo.saveSettings(ctx.tx, next, ctx.now());
  audit(ctx, { action: "redaction_settings.updated", resourceType: "redaction_settings", resourceId: "account", fields: Object.keys(input).sort() });
  return showRedactionSettings(ctx);
}
