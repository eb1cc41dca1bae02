import crypto from "node:crypto";
import type { TenantSealer } from "../../platform/crypto/keyring.ts";

/**
 * Threading of mail into tickets, by signed tokens only (never by subject): a reply finds its
 * ticket through the reply address Vaultdesk gave (`support+<ticket>-<tag>@…`) or through the
 * Message-IDs Vaultdesk wrote (`<vd.<ticket>.<comment>.<tag>@…>`) quoted in `In-Reply-To` or
 * `References`.
 *
 * Invariants:
 *  - The tag is an HMAC-SHA-256 (truncated to 80 bits) under a key derived in the keyring from the
 *    tenant's index key with the purpose label "mail.reply": it cannot be made without the key,
 *    and another tenant's token (another key) or a tampered one never matches. Tags are compared
 *    in constant time.
 *  - The tag binds the ticket's public id (and for a Message-ID the comment's): public ids are
 *    never reused within a tenant, so a token always names the ticket it was made for.
 *  - A token says which ticket; it does not say the sender may write there: the inbound job checks
 *    that the sender is part of the ticket.
 */

const PURPOSE = "mail.reply";
const TAG_BYTES = 10;

export type ThreadTicket = { niceId: number };
export type ThreadComment = { niceId: number };
export type MailHeaders = { inReplyTo?: string | undefined; references?: readonly string[] | undefined };
/** How a message found its ticket. */
export type Thread = { ticketNiceId: number; by: "reply_address" | "message_id" };

export interface Threading {
  /** The address replies to a ticket's mail go to (Reply-To of notifications). */
  replyAddressFor(ticket: ThreadTicket): string;
  /** The Message-ID of the mail Vaultdesk sends for a comment (angle brackets included). */
  messageIdFor(ticket: ThreadTicket, comment: ThreadComment): string;
  /** The ticket an inbound message replies to, when a signed token says so; undefined otherwise. */
  threadOf(headers: MailHeaders, recipients: readonly string[]): Thread | undefined;
}

/** The domain of a tenant's default support address. */
export const supportDomainOf = (subdomain: string, mailDomain: string): string => `${subdomain}.${mailDomain}`;
/** A tenant's default support address. */
export const defaultSupportAddress = (subdomain: string, mailDomain: string): string => `support@${supportDomainOf(subdomain, mailDomain)}`;

const REPLY_LOCAL = /^([^+@]+)\+(\d{1,15})-([0-9a-f]{20})@(.+)$/i;
const MESSAGE_ID = /^<?vd\.(\d{1,15})\.(\d{1,15})\.([0-9a-f]{20})@([^>]+)>?$/i;

export function createThreading(sealer: Pick<TenantSealer, "blindIndex">, site: { subdomain: string; mailDomain: string }): Threading {
  const domain = supportDomainOf(site.subdomain, site.mailDomain);
  const tag = (value: string): Buffer => sealer.blindIndex(PURPOSE, value).subarray(0, TAG_BYTES);
  const matches = (given: string, value: string): boolean => {
    const g = Buffer.from(given.toLowerCase(), "hex");
    return g.length === TAG_BYTES && crypto.timingSafeEqual(g, tag(value));
  };
  const ticketTag = (n: number) => `t:${n}`;
  const messageTag = (t: number, c: number) => `m:${t}:${c}`;
  return {
    replyAddressFor: (ticket) => `support+${ticket.niceId}-${tag(ticketTag(ticket.niceId)).toString("hex")}@${domain}`,
    messageIdFor: (ticket, comment) => `<vd.${ticket.niceId}.${comment.niceId}.${tag(messageTag(ticket.niceId, comment.niceId)).toString("hex")}@${domain}>`,
    threadOf(headers, recipients) {
      for (const r of recipients) {
        const m = REPLY_LOCAL.exec(r.trim());
        if (m && matches(m[3]!, ticketTag(Number(m[2])))) return { ticketNiceId: Number(m[2]), by: "reply_address" };
      }
      // In-Reply-To first, then References from the newest (last) back.
      const ids = [headers.inReplyTo ?? "", ...[...(headers.references ?? [])].reverse()].slice(0, 50);
      for (const id of ids) {
        const m = MESSAGE_ID.exec(id.trim());
        if (m && matches(m[3]!, messageTag(Number(m[1]), Number(m[2])))) return { ticketNiceId: Number(m[1]), by: "message_id" };
      }
      return undefined;
    },
  };
}
