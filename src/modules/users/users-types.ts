import { z } from "zod";
import { email, externalId, lineText, locale, name, phone, publicId, tags, timeZone } from "../../platform/schemas.ts";
import type { Role } from "../../platform/db/schema.ts";

/** API shapes for users (Zendesk Support API v2). */

export const apiRole = z.enum(["end-user", "agent", "admin", "light-agent"]);
export type ApiRole = z.infer<typeof apiRole>;
/** Vaultdesk's own role names (`PUT /users/{id}/role`), owner included. */
export const vaultdeskRole = z.enum(["owner", "admin", "agent", "light_agent", "end_user"]);

export const roleFromApi = (r: ApiRole): Role => (r === "end-user" ? "end_user" : r === "light-agent" ? "light_agent" : r);

export const userCreateInput = z.strictObject({
  name,
  email: email.optional(),
  phone: phone.nullish(),
  role: apiRole.optional(),
  organization_id: publicId.nullish(),
  tags: tags.optional(),
  external_id: externalId.nullish(),
  verified: z.boolean().optional(),
  time_zone: timeZone.nullish(),
  locale: locale.nullish(),
});
export type UserCreateInput = z.infer<typeof userCreateInput>;

export const userUpdateInput = z.strictObject({
  name: name.optional(),
  email: email.optional(),
  phone: phone.nullish(),
  role: apiRole.optional(),
  organization_id: publicId.nullish(),
  tags: tags.optional(),
  external_id: externalId.nullish(),
  suspended: z.boolean().optional(),
  /** An agent's custom role (`/custom_roles`): a custom role's id, or 2 (the agent preset) or null for none. Owners and admins. */
  custom_role_id: publicId.nullish(),
  /** Only `true`, by an admin: vouches that an address staff set is the person's own (sign-in links reach it again). */
  verified: z.boolean().optional(),
  time_zone: timeZone.nullish(),
  locale: locale.nullish(),
});
export type UserUpdateInput = z.infer<typeof userUpdateInput>;

export const userView = z.object({
  id: z.number(),
  url: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  role: z.enum(["end-user", "agent", "admin"]),
  role_type: z.number().nullable(),
  /** Staff: their role's id in `/custom_roles` (a custom role, or the built-in preset's 1–3); end users: null. */
  custom_role_id: z.number().nullable(),
  vaultdesk_role: z.enum(["owner", "admin", "agent", "light_agent", "end_user"]),
  organization_id: z.number().nullable(),
  tags: z.array(z.string()),
  active: z.boolean(),
  suspended: z.boolean(),
  verified: z.boolean(),
  external_id: z.string().nullable(),
  /** IANA time zone name (Zendesk answers a Rails zone name here and the IANA name in iana_time_zone). */
  time_zone: z.string().nullable(),
  iana_time_zone: z.string().nullable(),
  locale: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  /** Vaultdesk, staff only: processing of this person is restricted (GDPR art. 18, or an objection). */
  restricted: z.boolean().optional(),
  restricted_at: z.string().nullable().optional(),
  /** Vaultdesk, staff only: why (as staff recorded it). */
  restriction_reason: z.string().nullable().optional(),
});
export type UserView = z.infer<typeof userView>;

/** A person's restriction of processing, as staff see it. */
export const restrictionView = z.object({
  user_id: z.number(),
  restricted: z.boolean(),
  restricted_at: z.string().nullable(),
  reason: z.string().nullable(),
});
export type RestrictionView = z.infer<typeof restrictionView>;

export const restrictionInput = z.strictObject({
  restriction: z.strictObject({
    restricted: z.boolean(),
    reason: lineText(500).optional().describe("Why (required when restricting; sealed at rest)."),
  }),
});
