import { z } from "zod";

export const deletedUserView = z.object({
  id: z.number().int(),
  url: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  role: z.enum(["end-user", "agent", "admin"]),
  active: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  deleted_at: z.string().describe("Vaultdesk: when the person was deleted."),
  deleted_by_id: z.number().int().nullable().describe("Vaultdesk: who deleted them."),
  erase_after: z.string().describe("Vaultdesk: when the upkeep erases them for good unless restored (or held)."),
});
export type DeletedUserView = z.infer<typeof deletedUserView>;

export const erasurePreviewView = z.object({
  user_id: z.number().int(),
  tickets_deleted: z.array(z.number().int()).describe("Tickets where the person is the only party: deleted whole."),
  comments_erased: z.number().int().describe("The person's comments in tickets shared with others (end users): their text and files erased."),
  rows_deleted: z.record(z.string(), z.number().int()).describe("Sessions, API tokens, second factors, passkeys, consent records, SSO identities, CCs."),
  legal_hold_ids: z.array(z.number().int()).describe("Active legal holds that refuse the erasure until released."),
  mentions: z.array(z.object({ ticket_id: z.number().int(), found_by: z.array(z.enum(["name", "email", "phone"])) })).describe("Other tickets that mention the person's name, address or phone (up to 100 per kind), for redaction."),
});
export type ErasurePreviewView = z.infer<typeof erasurePreviewView>;

export const erasureReceiptView = z.object({
  id: z.number().int(),
  user_id: z.number().int().describe("The erased person's public id, which now names the tombstone only."),
  pseudonym: z.string(),
  erased_at: z.string(),
  erased_by_id: z.number().int().nullable().describe("Null when the upkeep erased a person deleted more than 30 days ago."),
  cause: z.enum(["request", "expiry"]),
  schema: z.literal("vaultdesk.erasure-receipt"),
  version: z.literal(1),
  deleted: z.record(z.string(), z.union([z.number(), z.string(), z.array(z.string())])),
  kept: z.array(z.object({ what: z.string(), count: z.number().int().optional(), detail: z.string(), basis: z.string() })),
  audit_entry: z.object({
    id: z.string().describe("The `user.erased` audit entry."),
    seq: z.number().int().nullable().describe("Its place in the tenant's audit chain (null until linked, a moment after the commit)."),
    hash: z.string().nullable().describe("The chain hash at that entry (hex): `vaultdesk audit verify` proves the chain up to it."),
  }),
});
export type ErasureReceiptView = z.infer<typeof erasureReceiptView>;
