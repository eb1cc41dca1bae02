import { z } from "zod";
import { externalId, lineText, longText, name, tags } from "../../platform/schemas.ts";

export const orgCreateInput = z.strictObject({
  name,
  notes: longText(10_000).nullish(),
  details: longText(10_000).nullish(),
  external_id: externalId.nullish(),
  tags: tags.optional(),
  domain_names: z.array(lineText(253)).max(50).optional(),
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
  created_at: z.string(),
  updated_at: z.string(),
});
export type OrgView = z.infer<typeof orgView>;
