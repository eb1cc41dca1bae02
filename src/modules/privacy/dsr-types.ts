import { z } from "zod";
import { email, longText, pageQuery, publicId } from "../../platform/schemas.ts";

/** Data subject requests (dsr-service.ts): schemas and the views they answer with. */

export const DSR_KINDS = ["access", "portability", "rectification", "erasure", "restriction", "objection"] as const;
export const DSR_REGIMES = ["gdpr", "ccpa"] as const;
export const DSR_STATUSES = ["new", "verifying", "in_progress", "completed", "rejected"] as const;
export const DSR_METHODS = ["signed_in_session", "email_link", "id_document", "other"] as const;

const kind = z.enum(DSR_KINDS).describe("What the person asks: access (a copy), portability (a machine-readable copy), rectification, erasure, restriction (of processing), objection (to processing).");
const regime = z.enum(DSR_REGIMES);
const note = longText(5000).pipe(z.string().trim());

export const dsrView = z.object({
  id: z.number().int(),
  type: z.enum(DSR_KINDS),
  regime,
  status: z.enum(DSR_STATUSES),
  source: z.enum(["staff", "self"]).describe("`self`: the person asked while signed in; `staff`: recorded by an admin."),
  user_id: z.number().int().nullable().describe("The person's public id when they are (or became) known to the account; null otherwise."),
  email: z.string().nullable().describe("The address given for a person not (yet) known to the account."),
  note: z.string().nullable(),
  resolution_note: z.string().nullable().describe("The note given when the request was completed or rejected."),
  assignee_id: z.number().int().nullable(),
  verified: z.boolean(),
  verification_method: z.enum(DSR_METHODS).nullable(),
  verified_by_id: z.number().int().nullable(),
  verified_at: z.string().nullable(),
  created_by_id: z.number().int().nullable(),
  created_at: z.string(),
  due_at: z.string(),
  overdue: z.boolean().describe("Open (not completed or rejected) past its due date."),
  closed_at: z.string().nullable(),
  updated_at: z.string(),
});
export type DsrView = z.infer<typeof dsrView>;

/** What a person sees of their own requests (no staff notes, no staff ids). */
export const ownDsrView = z.object({
  id: z.number().int(),
  type: z.enum(DSR_KINDS),
  regime,
  status: z.enum(DSR_STATUSES),
  note: z.string().nullable(),
  created_at: z.string(),
  due_at: z.string(),
  closed_at: z.string().nullable(),
});
export type OwnDsrView = z.infer<typeof ownDsrView>;

export const dsrCreateInput = z.strictObject({
  data_subject_request: z
    .strictObject({
      type: kind,
      regime: regime.optional().describe("The account's `default_regime` when left out."),
      user_id: publicId.optional(),
      email: email.optional(),
      note: note.optional(),
    })
    .refine((v) => (v.user_id === undefined) !== (v.email === undefined), { message: "give either user_id or email", path: ["user_id"] }),
});

export const ownDsrCreateInput = z.strictObject({
  data_subject_request: z.strictObject({ type: kind, note: note.optional() }),
});

export const dsrUpdateInput = z.strictObject({
  data_subject_request: z.strictObject({
    status: z.enum(DSR_STATUSES).optional(),
    note: note.optional().describe("Required when the status becomes completed or rejected; else recorded as a step."),
    assignee_id: publicId.nullable().optional(),
  }),
});

export const dsrVerifyInput = z.strictObject({
  verification: z.strictObject({ method: z.enum(DSR_METHODS), note: note.optional() }),
});

export const dsrListQuery = pageQuery.extend({
  status: z.enum(DSR_STATUSES).optional(),
  overdue: z.enum(["true", "false"]).optional().describe("`true`: open requests past their due date only."),
});

export const dsrSettingsView = z.object({
  gdpr_days: z.number().int(),
  ccpa_days: z.number().int(),
  default_regime: regime,
  updated_at: z.string().nullable(),
});
export type DsrSettingsView = z.infer<typeof dsrSettingsView>;

const days = z.number().int().min(1).max(365);
export const dsrSettingsInput = z.strictObject({
  data_subject_request_settings: z.strictObject({ gdpr_days: days.optional(), ccpa_days: days.optional(), default_regime: regime.optional() }),
});

export const dsrEvidenceStep = z.object({
  what: z.enum(["created", "verified", "status_changed", "assigned", "noted"]),
  when: z.string(),
  who_id: z.number().int().nullable().describe("The public id of the person who took the step (null: the system, or a person since deleted)."),
  from_status: z.enum(DSR_STATUSES).nullable(),
  to_status: z.enum(DSR_STATUSES).nullable(),
  detail: z.string().nullable(),
  note: z.string().nullable(),
});

export const dsrEvidence = z.object({
  data_subject_request_evidence: z.object({
    generated_at: z.string(),
    request: dsrView,
    regime,
    due_at: z.string(),
    steps: z.array(dsrEvidenceStep),
  }),
});
export type DsrEvidence = z.infer<typeof dsrEvidence>;
