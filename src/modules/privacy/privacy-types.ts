import { z } from "zod";
import { NATIONAL_ID_COUNTRIES } from "../../platform/redaction.ts";
import { lineText, publicId, tags, wholeNumber } from "../../platform/schemas.ts";

export const legalHoldView = z.object({
  id: z.number().int(),
  target_type: z.enum(["ticket", "user", "organization"]),
  target_id: z.number().int().nullable().describe("The ticket's, person's or organization's public id (null once it no longer exists)."),
  reason: z.string(),
  active: z.boolean(),
  created_by_id: z.number().int().nullable(),
  created_at: z.string(),
  released_by_id: z.number().int().nullable(),
  released_at: z.string().nullable(),
});
export type LegalHoldView = z.infer<typeof legalHoldView>;

export const legalHoldInput = z.strictObject({
  legal_hold: z.strictObject({
    target_type: z.enum(["ticket", "user", "organization"]),
    target_id: publicId,
    reason: lineText(500).pipe(z.string().trim().min(1, "cannot be blank")),
  }),
});

export const retentionPolicyView = z.object({
  enabled: z.boolean().describe("Whether the hourly run moves old solved and closed tickets to the trash."),
  solved_days: z.number().int().describe("Tickets solved (or closed) more than this many days ago go."),
  excluded_tags: z.array(z.string()).describe("Tickets carrying any of these tags stay."),
  trash_days: z.number().int().describe("How long deleted tickets stay restorable before they are deleted for good."),
  audit_hot_days: z.number().int().describe("Audit entries older than this many days are archived to a sealed file (7–3,650; 90 by default)."),
  audit_purge_days: z.number().int().describe("Archived entries leave the database this many days after their archive was made, once its file verifies (0–3,650; 30 by default)."),
  last_run_at: z.string().nullable(),
});
export type RetentionPolicyView = z.infer<typeof retentionPolicyView>;

export const solvedDays = z.number().int().min(1).max(36_500);
export const trashDays = z.number().int().min(1).max(365);
export const excludedTags = tags.max(50);

export const retentionPolicyInput = z.strictObject({
  retention_policy: z.strictObject({
    enabled: z.boolean().optional(),
    solved_days: solvedDays.optional(),
    excluded_tags: excludedTags.optional(),
    trash_days: trashDays.optional(),
    audit_hot_days: z.number().int().min(7).max(3650).optional(),
    audit_purge_days: z.number().int().min(0).max(3650).optional(),
  }),
});

export const retentionPreviewQuery = z.object({
  solved_days: wholeNumber(1, 36_500).optional(),
  excluded_tags: z
    .string()
    .max(4000)
    .transform((s) => s.split(",").filter((t) => t.trim() !== ""))
    .pipe(excludedTags)
    .optional()
    .describe("Comma-separated tags (instead of the saved policy's)."),
});

export const retentionPreviewView = z.object({
  count: z.number().int(),
  count_capped: z.boolean(),
  solved_before: z.string(),
  tickets: z.array(z.object({ id: z.number().int(), subject: z.string(), status: z.string(), solved_at: z.string(), tags: z.array(z.string()) })),
});

export const redactionSettingsView = z.object({
  iban: z.boolean().describe("Whether IBANs (checksum-valid) are masked, beside card numbers."),
  national_ids: z.array(z.enum(NATIONAL_ID_COUNTRIES)).describe("Countries whose national identity numbers are masked."),
  available_national_ids: z.array(z.enum(NATIONAL_ID_COUNTRIES)).describe("The countries Vaultdesk can detect."),
  updated_at: z.string().nullable(),
});
export type RedactionSettingsView = z.infer<typeof redactionSettingsView>;

export const redactionSettingsInput = z.strictObject({
  redaction_settings: z.strictObject({
    iban: z.boolean().optional(),
    national_ids: z.array(z.enum(NATIONAL_ID_COUNTRIES)).max(NATIONAL_ID_COUNTRIES.length).optional(),
  }),
});
