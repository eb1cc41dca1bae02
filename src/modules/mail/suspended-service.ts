import { actorUser, type RequestContext } from "../../platform/context.ts";
import { deleteSealed } from "../../platform/blobs/index.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { audit } from "../audit/audit-service.ts";
import { deleteBlobs, mailFileGate, storeMailFiles, type MailFileStored } from "../tickets/attachments-service.ts";
import { applyMessage, causeText, deleteOriginal, holdsRedacted, MAIL_REF, mailFiles, openEnvelope, readStored, recordOutcome, type InboundDeps, type ReadMessage } from "./inbound-service.ts";
import { detectorsFor } from "../privacy/redaction-service.ts";
import { mailPolicy } from "./mail-policy.ts";
import * as repo from "./mail-repo.ts";
import type { SuspendedTicketView } from "./mail-types.ts";

/**
 * Zendesk's suspended tickets: messages held back (spam mark, blocked sender, failed
 * authentication, a reply from someone not on the ticket, an agent's address without DMARC).
 * Admins, owners and agents whose role sees every ticket (mail-policy.ts) list, read, recover
 * (the message is processed again without the check that held it) or delete them (the stored
 * original is deleted with it).
 */

const sref = refsOf("suspended_tickets");

function reviewer(ctx: RequestContext) {
  const a = actorUser(ctx);
  if (!mailPolicy.reviewSuspended(a)) throw forbidden("Only admins, and agents whose role sees every ticket, review suspended tickets.");
  return a;
}

function present(ctx: RequestContext, r: repo.SuspendedRow): SuspendedTicketView {
  const s = ctx.sealer;
  return {
    id: r.nice_id,
    url: `${ctx.apiBase}/suspended_tickets/${r.nice_id}.json`,
    author: {
      id: null,
      name: r.author_name_sealed ? s.open(r.author_name_sealed, sref(r.id, "author_name")) : null,
      email: r.author_email_sealed ? s.open(r.author_email_sealed, sref(r.id, "author_email")) : null,
    },
    subject: s.open(r.subject_sealed, sref(r.id, "subject")),
    content: s.open(r.content_sealed, sref(r.id, "content")),
    cause: causeText(r.cause),
    cause_code: r.cause,
    ticket_id: r.ticket_nice ?? null,
    recipient: r.recipient_sealed ? s.open(r.recipient_sealed, sref(r.id, "recipient")) : null,
    brand_id: null,
    via: { channel: "email" },
    attachments: [],
    created_at: r.created_at.toISOString(),
    updated_at: r.created_at.toISOString(),
  };
}

export async function listSuspended(ctx: RequestContext, page: Page) {
  reviewer(ctx);
  const { rows, count } = await repo.listSuspended(ctx.tx, page);
  return { views: rows.map((r) => present(ctx, r)), count };
}

export async function showSuspended(ctx: RequestContext, niceId: number): Promise<SuspendedTicketView> {
  reviewer(ctx);
  const r = await repo.findSuspended(ctx.tx, niceId);
  if (!r) throw notFound();
  return present(ctx, r);
}

/** Deletes a suspended ticket; its stored message is deleted once the transaction commits. */
export async function deleteSuspended(deps: Pick<AppDeps, "blobs">, ctx: RequestContext, niceId: number, afterCommit: (fn: () => Promise<void>) => void): Promise<void> {
  reviewer(ctx);
  const r = await repo.findSuspendedForUpdate(ctx.tx, niceId);
  if (!r) throw notFound();
  await repo.deleteSuspended(ctx.tx, r.id);
  await repo.setInboundState(ctx.tx, r.inbound_message_id, { state: "deleted" });
  audit(ctx, { action: "suspended_ticket.deleted", resourceType: "suspended_ticket", resourceId: niceId });
  const tenantId = ctx.tx.tenantId;
  afterCommit(async () => {
    await deleteSealed(deps.blobs, tenantId, MAIL_REF(r.inbound_message_id));
  });
}

/** Suspended tickets one recover_many may take (each message is read and parsed in memory first). */
export const RECOVER_MANY_MAX = 10;

export type PreparedRecovery = { read: ReadMessage; files: MailFileStored[]; tenantId: string };

/** Before recovering (outside the transaction): the stored message read, parsed and checked again, its files stored. */
export async function prepareRecovery(deps: InboundDeps, inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>, niceId: number): Promise<PreparedRecovery> {
  const found = await inTenant(async (ctx) => {
    reviewer(ctx);
    const r = await repo.findSuspended(ctx.tx, niceId);
    if (!r) throw notFound();
    const m = await repo.findInbound(ctx.tx, r.inbound_message_id);
    if (!m) throw notFound();
    return { sealer: ctx.sealer, id: m.id, envelope: openEnvelope(ctx, m), gate: await mailFileGate(deps, ctx) };
  });
  const read = await readStored(deps, found.sealer, found.id, found.envelope);
  const files = found.gate && read.mail.attachments.length ? await storeMailFiles(deps, found.gate, mailFiles(read.mail)) : [];
  return { read, files, tenantId: found.sealer.tenantId };
}

/** Removes the files a recovery stored when they did not reach a comment. */
export const dropRecoveryFiles = (deps: Pick<AppDeps, "blobs">, p: PreparedRecovery) => deleteBlobs(deps, p.tenantId, p.files.map((f) => f.id));

/**
 * Recovers a suspended ticket: the message becomes the ticket or comment it would have been
 * without the check that held it (a sender who was not on the ticket joins it as a CC). Returns
 * the ticket's public id.
 */
export async function recoverSuspended(deps: InboundDeps, ctx: RequestContext, niceId: number, prepared: PreparedRecovery, subdomain: string, afterCommit: (fn: () => Promise<void>) => void): Promise<number> {
  const { read, files } = prepared;
  reviewer(ctx);
  const r = await repo.findSuspendedForUpdate(ctx.tx, niceId);
  if (!r) throw notFound();
  // The writes are the e-mail channel's (the sender's words), recorded as recovered by this agent.
  const system = { ...ctx, actor: { kind: "system" as const } };
  const outcome = await applyMessage(deps, system, r.inbound_message_id, read, { subdomain, recover: true, files });
  if (!outcome.filesUsed && files.length) afterCommit(() => dropRecoveryFiles(deps, prepared));
  if (outcome.ticketNiceId && holdsRedacted(read.mail, await detectorsFor(ctx))) afterCommit(() => deleteOriginal(deps, prepared.tenantId, r.inbound_message_id));
  await recordOutcome(system, r.inbound_message_id, read, { ...outcome, outcome: "recovered" });
  await repo.deleteSuspended(ctx.tx, r.id);
  audit(ctx, { action: "suspended_ticket.recovered", resourceType: "suspended_ticket", resourceId: niceId, fields: outcome.ticketNiceId ? ["ticket"] : [] });
  if (!outcome.ticketNiceId) throw invalid("id", "Id: this message has no sender to make a ticket from; delete it instead", "Unrecoverable");
  return outcome.ticketNiceId;
}

