import { z } from "zod";
import { email, lineText } from "../../platform/schemas.ts";

/** Schemas of the mail channel's API: Zendesk's recipient addresses and suspended tickets. */

export const forwardingStatus = z.enum(["unknown", "waiting", "verified", "failed"]);

export const recipientAddressView = z.object({
  id: z.number(),
  url: z.string(),
  brand_id: z.null(),
  default: z.boolean(),
  name: z.string().nullable(),
  email: z.string(),
  forwarding_status: forwardingStatus,
  spf_status: z.literal("unknown"),
  cname_status: z.literal("unknown"),
  domain_verification_status: z.literal("unknown"),
  created_at: z.string(),
  updated_at: z.string(),
});
export type RecipientAddressView = z.infer<typeof recipientAddressView>;

export const recipientAddressCreate = z.strictObject({
  email,
  name: lineText(255).optional(),
  default: z.boolean().optional(),
});
export const recipientAddressUpdate = z.strictObject({
  name: lineText(255).nullable().optional(),
  default: z.literal(true).optional(),
});
export const verifyInput = z.strictObject({ type: z.literal("forwarding") });

export const suspendedTicketView = z.object({
  id: z.number(),
  url: z.string(),
  author: z.object({ id: z.number().nullable(), name: z.string().nullable(), email: z.string().nullable() }),
  subject: z.string(),
  content: z.string(),
  /** Zendesk's words for why the message was held. */
  cause: z.string(),
  /** Vaultdesk: the same reason as a stable code (spam, blocklisted, authentication_failed, …). */
  cause_code: z.string(),
  ticket_id: z.number().nullable(),
  recipient: z.string().nullable(),
  brand_id: z.null(),
  via: z.object({ channel: z.literal("email") }),
  attachments: z.array(z.never()),
  created_at: z.string(),
  updated_at: z.string(),
});
export type SuspendedTicketView = z.infer<typeof suspendedTicketView>;

/** A blocklist entry: an address, or a domain written `@example.com`. */
const blockEntry = z
  .string()
  .trim()
  .max(254)
  .regex(/^([^\s@<>()[\]\\,;:"]{1,64})?@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/, "must be an address or a domain written @example.com")
  .transform((s) => s.toLowerCase());
export const mailSettingsView = z.object({ blocklist: z.array(z.string()) });
export const mailSettingsInput = z.strictObject({ blocklist: z.array(blockEntry).max(1000) });
