import crypto from "node:crypto";
import { buffer } from "node:stream/consumers";
import type { Readable } from "node:stream";
import type { AddressObject, ParsedMail } from "mailparser";
import { BlobTooLargeError, deleteSealed, getSealed, putSealed, type BlobSealer } from "../../platform/blobs/index.ts";
import { holdsSensitive, redactSensitive, type Detectors } from "../../platform/redaction.ts";
import { detectorsFor } from "../privacy/redaction-service.ts";
import { makeContext, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { InboundState } from "../../platform/db/schema.ts";
import { enqueueJob } from "../../platform/jobs/jobs.ts";
import { MessageTooLargeError, type InboundEnvelope, type InboundMailHandler } from "../../platform/smtp-in.ts";
import { audit } from "../audit/audit-service.ts";
import { invalid } from "../../platform/errors.ts";
import { recordMailFiles, type MailFileStored } from "../tickets/attachments-service.ts";
import { commentBodiesFor, openTicketFromMail, replyFromMail, ticketForMail, type MailPerson } from "../tickets/email-channel.ts";
import { findTenant } from "../tenants/tenants-service.ts";
import { emailIndex, findOrCreateByEmail, findUserByEmail } from "../users/users-service.ts";
import { isStaff } from "../users/users-policy.ts";
import { completeForwardingCheck, isSupportAddress, routeOf, VERIFICATION_MARK } from "./addresses-service.ts";
import { authVerdict, boundedText, isBlocked, loopReason, normalizeAddress, plausibleAddress, sanitizeMailHtml, singleLine, spamMarked, withoutTag, type AuthResults } from "./mail-fns.ts";
import * as repo from "./mail-repo.ts";
import { blocklistOf } from "./mail-settings-service.ts";
import { createThreading } from "./threading.ts";

// Loaded at their first use: the mail parser and authenticator are about a second of a server's
// start, which installations that receive no mail (and most starts) never need.
let mailLibs: Promise<{ simpleParser: typeof import("mailparser").simpleParser; authenticate: typeof import("mailauth").authenticate }> | undefined;
const loadMailLibs = () => (mailLibs ??= Promise.all([import("mailparser"), import("mailauth")]).then(([p, a]) => ({ simpleParser: p.simpleParser, authenticate: a.authenticate })));

/**
 * Inbound mail, from the SMTP server to tickets.
 *
 * 1. The SMTP server (platform/smtp-in.ts) asks `recipient()` which tenant an address is for, and
 *    hands each accepted message to `accept()`: the bytes are sealed into the blob store (purpose
 *    "mail", id = the message's id), then one transaction records the message (its envelope
 *    sealed) and queues the processing job; only then does the client get 250.
 * 2. The job (`INBOUND_JOB`) reads and parses the message and checks SPF, DKIM and DMARC outside
 *    any transaction (DNS through the injectable resolver), then decides and writes in one
 *    transaction that first locks the message's row and checks it is still queued: a message makes
 *    at most one ticket or comment, also when the job runs twice.
 *
 * What it decides, in order: a forwarding check (marks an address verified); loops and bounces
 * (Auto-Submitted, Precedence, DSNs, the null return path: no ticket); a Message-ID seen before
 * (no second ticket); the per-sender hourly limit (dropped); a blocked sender, a spam mark, failed
 * authentication → a suspended ticket; a reply (signed token in the address or Message-IDs) from
 * the requester, a CC or staff → a comment (staff only with DMARC passing; anyone else on the
 * ticket → suspended, `not_participant`); anything else → a new ticket. Nothing of a message
 * reaches a log line: only its id, outcome code and sizes.
 */

export const INBOUND_JOB = "inbound_mail";
const MAIL_REF = (id: string) => ({ purpose: "mail" as const, id });
const iref = refsOf("inbound_messages");
const sref = refsOf("suspended_tickets");

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
export type InboundDeps = Pick<AppDeps, "db" | "keyring" | "blobs" | "config" | "now" | "dnsResolver" | "hooks" | "urls" | "scanner">;

/** Which tenant a recipient address is for: its default domain, or a support address's routing hash. */
export function inboundHandler(deps: InboundDeps, log: Log): InboundMailHandler {
  const mailDomain = deps.config.mailDomain;
  return {
    async recipient(address) {
      const a = normalizeAddress(withoutTag(address));
      const at = a.lastIndexOf("@");
      const local = a.slice(0, at);
      const domain = a.slice(at + 1);
      if (domain.endsWith(`.${mailDomain}`)) {
        const sub = domain.slice(0, -(mailDomain.length + 1));
        if (local === "support" && /^[a-z0-9-]{1,63}$/.test(sub)) {
          const t = await findTenant(deps.db, { subdomain: sub });
          return t && t.status === "active" ? { tenantId: t.id } : undefined;
        }
      }
      const tenantId = await repo.tenantOfRoute(deps.db, routeOf(deps, a));
      if (!tenantId) return undefined;
      // A closed (or shredded) account takes no mail: the address is refused like an unknown one.
      return (await findTenant(deps.db, { id: tenantId }))?.status === "active" ? { tenantId } : undefined;
    },
    async accept(tenantId, envelope, body, maxBytes) {
      const id = crypto.randomUUID();
      const sealer = await deps.db.tenant(tenantId, (tx) => deps.keyring.sealerFor(tx));
      let written;
      try {
        written = await putSealed(deps.blobs, sealer, MAIL_REF(id), body, { maxBytes });
      } catch (err) {
        if (err instanceof BlobTooLargeError) throw new MessageTooLargeError();
        throw err;
      }
      try {
        await deps.db.tenant(tenantId, async (tx) => {
          const s = await deps.keyring.sealerFor(tx);
          const ctx = makeContext({ tx, sealer: s, actor: { kind: "system" }, now: deps.now, hooks: deps.hooks });
          await repo.insertInbound(tx, { id, envelope_sealed: s.sealJson(envelope, iref(id, "envelope")), size: written.bytes });
          await enqueueJob(ctx, { type: INBOUND_JOB, total: 1, payload: { tenantId, messageId: id } satisfies InboundPayload, createdBy: null, maxAttempts: 6 });
        });
      } catch (err) {
        await deleteSealed(deps.blobs, tenantId, MAIL_REF(id)).catch(() => undefined);
        throw err;
      }
      log.info({ mail: id, bytes: written.bytes }, "inbound mail queued");
    },
  };
}

export type InboundPayload = { tenantId: string; messageId: string };

/** A stored message, read and checked: what deciding needs (no database). */
export type ReadMessage = { mail: ParsedMail; auth: AuthResults; envelope: InboundEnvelope };

/** Reads, parses and authenticates a stored message (outside any transaction: DNS is slow). */
export async function readStored(deps: InboundDeps, sealer: BlobSealer, id: string, envelope: InboundEnvelope): Promise<ReadMessage> {
  const raw = await buffer((await getSealed(deps.blobs, sealer, MAIL_REF(id))) as Readable);
  const { simpleParser, authenticate } = await loadMailLibs();
  const mail = await simpleParser(raw, { maxHtmlLengthToParse: 2_000_000 });
  let auth: AuthResults = { spf: "none", dkim: "none", dmarc: "none", dkimDomains: [] };
  try {
    const r = await authenticate(raw, {
      ip: envelope.clientAddress.replace(/^::ffff:/, ""),
      helo: envelope.helo,
      ...(envelope.mailFrom ? { sender: envelope.mailFrom } : {}),
      mta: deps.config.mailDomain,
      resolver: deps.dnsResolver,
      disableArc: true,
      disableBimi: true,
    });
    const dkimPass = r.dkim.results.filter((d) => d.status.result === "pass");
    auth = {
      spf: r.spf ? r.spf.status.result : "none",
      dkim: dkimPass.length ? "pass" : (r.dkim.results[0]?.status.result ?? "none"),
      dmarc: r.dmarc ? r.dmarc.status.result : "none",
      dkimDomains: dkimPass.map((d) => d.signingDomain).slice(0, 10),
    };
  } catch {
    // A message mailauth cannot read is unproven, never trusted.
    auth = { spf: "temperror", dkim: "temperror", dmarc: "temperror", dkimDomains: [] };
  }
  return { mail, auth, envelope };
}

const addressesOf = (a: AddressObject | AddressObject[] | undefined): Array<{ address: string; name: string }> =>
  (Array.isArray(a) ? a : a ? [a] : [])
    .flatMap((o) => o.value)
    .flatMap((v) => (v.group ? v.group : [v]))
    .filter((v) => typeof v.address === "string" && plausibleAddress(v.address))
    .map((v) => ({ address: normalizeAddress(v.address!), name: singleLine(v.name ?? "", 255) }));

/** What became of a message; `filesUsed`: its stored files went to the comment (else the caller removes them). */
export type Outcome = { state: InboundState; outcome: string | null; ticketId: string | null; commentId: string | null; ticketNiceId: number | null; filesUsed?: boolean };

/** The files of a parsed message, with names made safe to show (one line, no path). */
export function mailFiles(mail: ParsedMail): Array<{ name: string; content: Buffer }> {
  return mail.attachments.map((a, i) => ({ name: singleLine(a.filename ?? "", 200).replace(/[\\/]/g, "_") || `attachment-${i + 1}`, content: a.content }));
}

const CAUSES: Record<string, string> = {
  spam: "Detected as spam",
  blocklisted: "Received from a blocklisted address",
  authentication_failed: "Failed sender authentication (DMARC, or SPF and DKIM)",
  unauthenticated_staff: "Sent from an agent's address without passing DMARC",
  not_participant: "Reply from someone who is not on the ticket",
  suspended_user: "Sent by a suspended user",
};
/** Zendesk's words for a cause code. */
export const causeText = (code: string): string => CAUSES[code] ?? "Suspended";

/**
 * Decides what a message becomes and writes it (in the caller's transaction). `recover`: an
 * agent recovers a suspended ticket: the checks that suspended it are skipped, and a sender who
 * was not on the ticket joins it as a CC.
 */
export async function applyMessage(
  deps: InboundDeps,
  ctx: RequestContext,
  messageId: string,
  read: ReadMessage,
  opts: { subdomain: string; recover: boolean; files?: readonly MailFileStored[] },
): Promise<Outcome> {
  const { mail, auth, envelope } = read;
  const none = (state: InboundState, outcome: string): Outcome => ({ state, outcome, ticketId: null, commentId: null, ticketNiceId: null });
  const subject = singleLine(mail.subject ?? "", 255) || "(no subject)";

  if (!opts.recover) {
    const check = VERIFICATION_MARK.exec(mail.subject ?? "") ?? VERIFICATION_MARK.exec(mail.text ?? "");
    if (check && (await completeForwardingCheck(deps, ctx, check[1]!))) return none("verification", "forwarding_verified");
    const loop = loopReason(mail.headers, String((mail.headers.get("content-type") as { value?: string } | undefined)?.value ?? ""), envelope.mailFrom);
    if (loop) return none("dropped", loop);
  }
  const from = addressesOf(mail.from)[0];
  if (!from) return none("dropped", "no_sender");
  const senderBidx = emailIndex(ctx.sealer, from.address);
  if (!opts.recover) {
    if (mail.messageId && (await repo.seenMessageId(ctx.tx, ctx.sealer.blindIndex("mail.message_id", mail.messageId.slice(0, 998)), senderBidx, messageId))) return none("dropped", "duplicate");
    const since = new Date(ctx.now().getTime() - 3_600_000);
    if ((await repo.countFromSender(ctx.tx, senderBidx, since)) >= deps.config.mailSenderLimitPerHour) return none("dropped", "rate_limited");
  }

  const threading = createThreading(ctx.sealer, { subdomain: opts.subdomain, mailDomain: deps.config.mailDomain });
  const recipients = [...envelope.recipients, ...addressesOf(mail.to).map((a) => a.address), ...addressesOf(mail.cc).map((a) => a.address)];
  const references = Array.isArray(mail.references) ? mail.references : mail.references ? [mail.references] : [];
  const thread = threading.threadOf({ inReplyTo: mail.inReplyTo, references }, recipients);
  const ticket = thread ? await ticketForMail(ctx, thread.ticketNiceId) : undefined;
  const known = await findUserByEmail(ctx, from.address);
  const verdict = authVerdict(auth);

  const suspend = async (cause: string): Promise<Outcome> => {
    const id = crypto.randomUUID();
    const text = boundedText(mail.text ?? "", 65_000);
    const detectors = await detectorsFor(ctx);
    const niceId = await repo.insertSuspended(ctx.tx, {
      id,
      inbound_message_id: messageId,
      cause,
      subject_sealed: ctx.sealer.seal(redactSensitive(subject, detectors), sref(id, "subject")),
      content_sealed: ctx.sealer.seal(redactSensitive(text, detectors), sref(id, "content")),
      author_name_sealed: from.name ? ctx.sealer.seal(from.name, sref(id, "author_name")) : null,
      author_email_sealed: ctx.sealer.seal(from.address, sref(id, "author_email")),
      recipient_sealed: envelope.recipients[0] ? ctx.sealer.seal(normalizeAddress(envelope.recipients[0]), sref(id, "recipient")) : null,
      ticket_id: ticket?.id ?? null,
    });
    audit(ctx, { action: "suspended_ticket.created", resourceType: "suspended_ticket", resourceId: niceId, fields: ["cause"] });
    return { state: "suspended", outcome: cause, ticketId: null, commentId: null, ticketNiceId: null };
  };

  if (!opts.recover) {
    if (isBlocked(await blocklistOf(ctx), from.address)) return suspend("blocklisted");
    if (spamMarked(mail.headers)) return suspend("spam");
    if (verdict === "fail") return suspend("authentication_failed");
    if (known && (known.suspended || !known.active)) return suspend("suspended_user");
  }
  // A deleted sender stays deleted: recovering their message would give a person awaiting
  // erasure a new ticket or comment (restore them first, on the Deleted people page).
  if (opts.recover && known && !known.active) throw invalid("id", "Id: the sender was deleted; restore them before recovering their message, or delete it", "SenderDeleted");

  const bodies = commentBodiesFor(boundedText(mail.text ?? "", 65_000), typeof mail.html === "string" ? sanitizeMailHtml(mail.html) : undefined);
  // CCs: the people the message was also addressed to, except support addresses and the sender.
  const ccAddresses: Array<{ address: string; name: string }> = [];
  for (const a of [...addressesOf(mail.to), ...addressesOf(mail.cc)]) {
    if (a.address === from.address || ccAddresses.some((c) => c.address === a.address)) continue;
    if (a.address.endsWith(`.${deps.config.mailDomain}`) || a.address.endsWith(`@${deps.config.mailDomain}`)) continue;
    if (await isSupportAddress(deps, ctx, withoutTag(a.address))) continue;
    ccAddresses.push(a);
    if (ccAddresses.length >= 20) break;
  }
  const ccUserIds = async () => {
    const ids: string[] = [];
    for (const c of ccAddresses) {
      // A deleted person (or the operator's support user) is never copied in by a message.
      const u = await findOrCreateByEmail(ctx, c.address, c.name || undefined);
      if (u.active && !u.support) ids.push(u.id);
    }
    return ids;
  };
  const person = async (): Promise<MailPerson> => {
    if (known) return { id: known.id, niceId: known.niceId, role: known.role, organizationId: known.organizationId };
    const u = await findOrCreateByEmail(ctx, from.address, from.name || undefined);
    return { id: u.id, niceId: u.niceId, role: u.role, organizationId: u.organizationId };
  };

  if (ticket) {
    const staff = known !== undefined && isStaff(known.role);
    const onTicket = known !== undefined && (known.id === ticket.requesterId || ticket.ccUserIds.includes(known.id));
    if (staff && verdict !== "pass" && !opts.recover) return suspend("unauthenticated_staff");
    if (!staff && !onTicket && !opts.recover) return suspend("not_participant");
    const author = await person();
    if (ticket.status !== "closed") {
      const token = await recordMailFiles(deps, ctx, opts.files ?? [], staff ? { userId: author.id, role: author.role } : { userId: null, role: "anonymous" });
      const r = await replyFromMail(ctx, ticket.niceId, { author, asStaff: staff, body: bodies.body, html: bodies.html, ccUserIds: [...(await ccUserIds()), ...(!staff && !onTicket ? [author.id] : [])], uploads: token ? [token] : undefined });
      if (r !== "closed") return { state: "comment", outcome: thread!.by, ticketId: ticket.id, commentId: r.commentId, ticketNiceId: ticket.niceId, filesUsed: token !== undefined };
    }
    // A reply to a closed ticket opens a follow-up, as in Zendesk.
  }
  const requester = await person();
  const token = await recordMailFiles(deps, ctx, opts.files ?? [], { userId: null, role: "anonymous" });
  const opened = await openTicketFromMail(ctx, { requester, subject, body: bodies.body, html: bodies.html, ccUserIds: await ccUserIds(), tags: ticket ? ["follow_up"] : [], uploads: token ? [token] : undefined });
  return { state: "ticket", outcome: null, ticketId: opened.ticketId, commentId: opened.commentId, ticketNiceId: opened.ticketNiceId, filesUsed: token !== undefined };
}

/**
 * Whether a message's words hold a card number (or what the tenant's detectors find: an IBAN, a
 * national id; platform/redaction.ts). Its stored original is then deleted once the
 * message has made its ticket or comment (whose texts the conversation writer masked): staff are
 * never handed the card in the original. A suspended message keeps it until recovered or deleted,
 * since recovery reads it. Files the message carried are not searched.
 */
export const holdsRedacted = (mail: ParsedMail, d: Detectors): boolean =>
  holdsSensitive(mail.subject ?? "", d) || holdsSensitive(mail.text ?? "", d) || (typeof mail.html === "string" && holdsSensitive(mail.html, d));

/** Deletes a stored original (see holdsRedacted); `GET …/original` then answers 404. */
export async function deleteOriginal(deps: Pick<InboundDeps, "blobs">, tenantId: string, messageId: string): Promise<void> {
  await deleteSealed(deps.blobs, tenantId, MAIL_REF(messageId));
}

/** The record of what became of a message (sender and Message-ID hashes, the checks' results). */
export async function recordOutcome(ctx: RequestContext, messageId: string, read: ReadMessage, o: Outcome): Promise<void> {
  const from = addressesOf(read.mail.from)[0];
  await repo.finishInbound(ctx.tx, messageId, {
    state: o.state,
    outcome: o.outcome,
    sender_bidx: from ? emailIndex(ctx.sealer, from.address) : null,
    message_id_bidx: read.mail.messageId ? ctx.sealer.blindIndex("mail.message_id", read.mail.messageId.slice(0, 998)) : null,
    auth_results_sealed: ctx.sealer.sealJson(read.auth, iref(messageId, "auth_results")),
    ticket_id: o.ticketId,
    comment_id: o.commentId,
    processed_at: ctx.now(),
  });
}

/** Opens a stored message's envelope. */
export const openEnvelope = (ctx: Pick<RequestContext, "sealer">, row: { id: string; envelope_sealed: Uint8Array }): InboundEnvelope =>
  ctx.sealer.openJson<InboundEnvelope>(row.envelope_sealed, iref(row.id, "envelope"));

export { MAIL_REF };
