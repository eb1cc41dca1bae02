import { z } from "zod";

/** API shapes of the help center shared with other modules' routes. */

/** A consent record as staff and the person see it (`text_locale`: the language of the text accepted, null for the default text). */
export const consentRecordView = z.object({
  id: z.number(), kind: z.literal("consent"), request_id: z.number().nullable(), text: z.string(), text_version: z.number(), text_locale: z.string().nullable(), text_sha256: z.string(), accepted_at: z.string(), ip: z.string().nullable(),
  /** Vaultdesk: when this consent was withdrawn (its withdrawal record is in `consent_withdrawals`), or null. */
  withdrawn_at: z.string().nullable(),
});

/**
 * A withdrawal of consent, recorded like the consent: which consent record (`consent_record_id`),
 * when, through which way (`help_center`: the person, in My information; `staff`: staff on their
 * behalf) and by whom (`withdrawn_by_id`).
 */
export const consentWithdrawalView = z.object({
  id: z.number(), kind: z.literal("withdrawal"), consent_record_id: z.number(), withdrawn_at: z.string(), via: z.enum(["help_center", "staff"]), withdrawn_by_id: z.number().nullable(),
});
