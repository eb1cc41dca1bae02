import { z } from "zod";
import { ticketSlaPolicyView, ticketSlasView } from "../sla/sla-types.ts";
import { attachmentView, uploadTokens } from "./attachments-types.ts";
import { ratingBadge } from "./satisfaction-types.ts";
import { email, externalId, isoDate, lineText, longText, name, publicId, tags } from "../../platform/schemas.ts";

/** API shapes for tickets, comments, audits and ticket fields (Zendesk Support API v2). */

/** Orders a ticket list can take besides the id (never sealed text: the database cannot read it). */
export type TicketSort = "created_at" | "updated_at" | "priority" | "status" | "sla_next_breach_at";

export const status = z.enum(["new", "open", "pending", "hold", "solved", "closed"]);
export const priority = z.enum(["low", "normal", "high", "urgent"]);
export const ticketType = z.enum(["problem", "incident", "question", "task"]);

const customFieldValue = z.union([lineText(10_000), z.number().finite(), z.boolean(), z.null()]);
export const customFieldsInput = z.array(z.strictObject({ id: publicId, value: customFieldValue })).max(200);

export const commentInput = z
  .strictObject({
    body: longText(65_536).optional(),
    html_body: longText(131_072).optional(),
    public: z.boolean().optional(),
    author_id: publicId.optional(),
    /** Upload tokens (POST /uploads) whose files the comment carries. */
    uploads: uploadTokens.optional(),
  })
  .refine((c) => (c.body ?? c.html_body ?? "").trim().length > 0, { message: "cannot be blank", path: ["body"] });
export type CommentInput = z.infer<typeof commentInput>;

const requesterInput = z.strictObject({ name: name.optional(), email, locale_id: z.number().int().optional() });

const ticketFields = {
  subject: lineText(255).optional(),
  requester_id: publicId.optional(),
  requester: requesterInput.optional(),
  submitter_id: publicId.optional(),
  assignee_id: publicId.nullish(),
  assignee_email: email.optional(),
  group_id: publicId.nullish(),
  organization_id: publicId.nullish(),
  status: status.optional(),
  priority: priority.nullish(),
  type: ticketType.nullish(),
  tags: tags.optional(),
  custom_fields: customFieldsInput.optional(),
  fields: customFieldsInput.optional(),
  external_id: externalId.nullish(),
  due_at: isoDate.nullish(),
  comment: commentInput.optional(),
  /** The people copied on the ticket (CCs), the whole list: ids not in it are no longer copied. */
  collaborator_ids: z.array(publicId).max(48).optional(),
  /** Write-only (Zendesk's): the macros the agent applied, recorded in this write's audit and counted as one use each. */
  macro_ids: z.array(publicId).max(20).optional(),
};

export const ticketCreateInput = z
  .strictObject({ ...ticketFields, description: longText(65_536).optional(), raw_subject: lineText(255).optional() })
  .refine((t) => t.comment !== undefined || (t.description ?? "").trim().length > 0, { message: "Description: cannot be blank", path: ["comment"] });
export type TicketCreateInput = z.infer<typeof ticketCreateInput>;

export const ticketUpdateInput = z.strictObject({
  ...ticketFields,
  additional_tags: tags.optional(),
  remove_tags: tags.optional(),
  safe_update: z.boolean().optional(),
  updated_stamp: isoDate.optional(),
});
export type TicketUpdateInput = z.infer<typeof ticketUpdateInput>;

/**
 * Zendesk's ticket merge (POST /tickets/{id}/merge): the tickets to merge into this one (at most
 * MERGE_MAX_SOURCES, checked by the service with a clear message) and the comments each side gets.
 */
export const ticketMergeInput = z.strictObject({
  ids: z.array(z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)).min(1).max(100),
  target_comment: longText(65_536).optional(),
  source_comment: longText(65_536).optional(),
  target_comment_is_public: z.boolean().optional(),
  source_comment_is_public: z.boolean().optional(),
});
export type TicketMergeInput = z.infer<typeof ticketMergeInput>;

export const ticketView = z.object({
  id: z.number(),
  url: z.string(),
  external_id: z.string().nullable(),
  type: ticketType.nullable(),
  subject: z.string(),
  raw_subject: z.string(),
  description: z.string(),
  priority: priority.nullable(),
  status,
  requester_id: z.number(),
  submitter_id: z.number(),
  assignee_id: z.number().nullable(),
  organization_id: z.number().nullable(),
  group_id: z.number().nullable(),
  tags: z.array(z.string()),
  custom_fields: z.array(z.object({ id: z.number(), value: customFieldValue })),
  fields: z.array(z.object({ id: z.number(), value: customFieldValue })),
  due_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  is_public: z.boolean(),
  via: z.object({ channel: z.string() }),
  /** The people copied on the ticket (Zendesk keeps both names; Vaultdesk's are the same list). */
  collaborator_ids: z.array(z.number()),
  email_cc_ids: z.array(z.number()),
  /** The customer's satisfaction rating (satisfaction-types.ts): null when the account does not ask for ratings. */
  satisfaction_rating: ratingBadge,
  /** `include=slas` (modules/sla): the metrics with a target under the ticket's SLA policy, and the policy. */
  slas: ticketSlasView.optional(),
  sla_policy: ticketSlaPolicyView.nullable().optional(),
});
export type TicketView = z.infer<typeof ticketView>;

/** A ticket in the trash (Zendesk's deleted ticket). `previous_state`: its status when deleted. */
export const deletedTicketView = z.object({
  id: z.number().int(),
  subject: z.string(),
  description: z.string(),
  actor: z.object({ id: z.number().int(), name: z.string() }).nullable(),
  deleted_at: z.string(),
  previous_state: z.string(),
});
export type DeletedTicketView = z.infer<typeof deletedTicketView>;

export const ticketAbilitiesView = z.object({
  can_edit_properties: z.boolean(),
  can_reply_publicly: z.boolean(),
  can_add_internal_notes: z.boolean(),
  can_delete: z.boolean(),
  /** Vaultdesk: redacting text and files from the ticket's comments (the role's ticket redaction). */
  can_redact: z.boolean(),
  can_be_assigned: z.boolean(),
  statuses: z.array(status),
});

export const commentView = z.object({
  id: z.number(),
  type: z.literal("Comment"),
  author_id: z.number(),
  body: z.string(),
  html_body: z.string(),
  plain_body: z.string(),
  public: z.boolean(),
  audit_id: z.number(),
  attachments: z.array(attachmentView),
  created_at: z.string(),
  via: z.object({ channel: z.string() }),
  /** Vaultdesk: who actually wrote the comment (`author_id` may name someone it was written for); null when nobody signed in (the help center's form). */
  written_by_id: z.number().nullable(),
});
export type CommentView = z.infer<typeof commentView>;

export const auditEvent = z.object({
  id: z.number(),
  type: z.enum(["Create", "Change", "Comment", "AgentMacroReference"]),
  field_name: z.string().optional(),
  value: z.unknown().optional(),
  previous_value: z.unknown().optional(),
  body: z.string().optional(),
  public: z.boolean().optional(),
  author_id: z.number().optional(),
  /** An AgentMacroReference: a macro the writer applied (`macro_ids`), its title as it was then. */
  macro_id: z.number().optional(),
  macro_title: z.string().optional(),
  macro_deleted: z.boolean().optional(),
  /** A change a trigger or an automation made: which one (`rel`: its kind; the audit's `via.source` names it, as Zendesk's). */
  rule: z.object({ id: z.number(), title: z.string(), rel: z.enum(["trigger", "automation"]).optional() }).optional(),
});
export type AuditEvent = z.infer<typeof auditEvent>;

export const auditView = z.object({
  id: z.number(),
  ticket_id: z.number(),
  author_id: z.number().nullable(),
  created_at: z.string(),
  events: z.array(auditEvent),
  /** `source` for a rule's write (channel `rule`): `{ from: { id, title }, rel: "trigger" | "automation" }` of the first rule whose change it records. */
  via: z.object({ channel: z.string(), source: z.object({ from: z.object({ id: z.number(), title: z.string() }), rel: z.string() }).optional() }),
  metadata: z.object({}),
});
export type AuditView = z.infer<typeof auditView>;

export const ticketFieldInput = z.strictObject({
  // "tagger" is Zendesk's name for a drop-down (and what Vaultdesk answers); "dropdown" is accepted too.
  type: z.enum(["text", "number", "date", "tagger", "dropdown", "checkbox"]).transform((t) => (t === "tagger" ? "dropdown" : t)),
  title: name,
  required: z.boolean().optional(),
  active: z.boolean().optional(),
  custom_field_options: z.array(z.strictObject({ name, value: z.string().min(1).max(255).regex(/^[\p{L}\p{N}_\-:.]+$/u) })).max(500).optional(),
  /** End users see the field in the help center and the requests API (Zendesk's name). */
  visible_in_portal: z.boolean().optional(),
  /** End users set it on a new request; needs `visible_in_portal`. */
  editable_in_portal: z.boolean().optional(),
  /**
   * Field permissions per role (Vaultdesk's): the presets agent (2) and light agent (3) and custom
   * roles (4 on). A role not listed edits the field; admins always do. Replaces the whole list.
   */
  permissions: z.array(z.strictObject({ role_id: z.number().int().min(2).max(2 ** 31 - 1), access: z.enum(["edit", "read_only", "hidden"]) })).max(500).optional(),
});
export const ticketFieldUpdateInput = ticketFieldInput.partial().omit({ type: true });

export const ticketFieldView = z.object({
  id: z.number(),
  url: z.string(),
  type: z.string(),
  title: z.string(),
  required: z.boolean(),
  active: z.boolean(),
  custom_field_options: z.array(z.object({ name: z.string(), value: z.string() })),
  visible_in_portal: z.boolean(),
  editable_in_portal: z.boolean(),
  /** Roles limited on this field (admins and owners see them; others an empty list). */
  permissions: z.array(z.object({ role_id: z.number(), access: z.enum(["read_only", "hidden"]) })),
  /** What the caller may do with it: `edit` or `read` (fields hidden from the caller are not listed). */
  access: z.enum(["edit", "read"]),
  created_at: z.string(),
  updated_at: z.string(),
});
export type TicketFieldView = z.infer<typeof ticketFieldView>;
