import { z } from "zod";
import { externalId, longText, name, tags } from "../../platform/schemas.ts";

/** A domain name such as example.com (lower-cased; no scheme, no path, no @). */
export const domainName = z
  .string()
  .trim()
  .max(253)
  .transform((s) => s.toLowerCase().replace(/\.$/, ""))
  .pipe(z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/, "is not a domain name such as example.com"));

export const orgCreateInput = z.strictObject({
  name,
  notes: longText(10_000).nullish(),
  details: longText(10_000).nullish(),
  external_id: externalId.nullish(),
  tags: tags.optional(),
  domain_names: z.array(domainName).max(100).optional(),
  /** Zendesk's shared organization: members see each other's requests in the help center. Owners and admins. */
  shared_tickets: z.boolean().optional(),
});
export type OrgCreateInput = z.infer<typeof orgCreateInput>;

export const orgUpdateInput = orgCreateInput.partial();
export type OrgUpdateInput = z.infer<typeof orgUpdateInput>;

export const orgView = z.object({
  id: z.number(),
  url: z.string(),
  name: z.string(),
  notes: z.string().nullable(),
  details: z.string().nullable(),
  external_id: z.string().nullable(),
  tags: z.array(z.string()),
  domain_names: z.array(z.string()),
  shared_tickets: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type OrgView = z.infer<typeof orgView>;
