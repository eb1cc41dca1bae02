import { z } from "zod";
import { email, lineText, locale, longText, name } from "../../platform/schemas.ts";
import { attachmentView, uploadTokens } from "./attachments-types.ts";
import { customFieldsInput } from "./tickets-types.ts";
import { ratingBadge } from "./satisfaction-types.ts";

/** API shapes of the requests API (Zendesk's Requests, the requester's view of tickets). */

export const requestStatus = z.enum(["new", "open", "pending", "solved", "closed"]);
export const requestView = z.object({
  id: z.number(), url: z.string(), subject: z.string(), description: z.string(), status: requestStatus,
  priority: z.string().nullable(), type: z.string().nullable(), requester_id: z.number().nullable(), organization_id: z.number().nullable(),
  assignee_id: z.number().nullable(), group_id: z.number().nullable(), via: z.object({ channel: z.string() }), is_public: z.boolean(),
  solved: z.boolean(), can_be_solved_by_me: z.boolean(), can_be_rated_by_me: z.boolean(), satisfaction_rating: ratingBadge, collaborator_ids: z.array(z.number()), email_cc_ids: z.array(z.number()),
  custom_fields: z.array(z.object({ id: z.number(), value: z.unknown() })), due_at: z.string().nullable(), created_at: z.string(), updated_at: z.string(),
});
export const commentView = z.object({
  id: z.number(), type: z.literal("Comment"), request_id: z.number(), body: z.string(), html_body: z.string(), plain_body: z.string(),
  public: z.literal(true), author_id: z.number(), attachments: z.array(attachmentView), created_at: z.string(),
});
export const requestUserView = z.object({ id: z.number(), name: z.string(), agent: z.boolean(), organization_id: z.null(), photo: z.null() });
export const body = longText(65_536).pipe(z.string().trim().min(1, "cannot be blank"));

/** The body of `POST /requests`: Zendesk's, plus the help center's consent, honeypot and language. */
export const requestCreateInput = z.strictObject({
  subject: lineText(255).pipe(z.string().trim().min(1, "cannot be blank")),
  comment: z.strictObject({ body, uploads: uploadTokens.optional() }),
  /** Fields editable in the portal (`GET /help_center` lists them as `request_fields`). */
  custom_fields: customFieldsInput.optional(),
  requester: z.strictObject({ name, email, locale_id: z.number().int().optional() }).optional(),
  consent: z.strictObject({ accepted: z.boolean(), version: z.number().int().min(0).max(1_000_000_000) }).optional(),
  /** Honeypot: people never see this field, so it must stay empty. */
  website: z.string().max(1000).optional(),
  locale: locale.optional(),
});
