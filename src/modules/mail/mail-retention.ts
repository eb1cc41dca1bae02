import { deleteSealed, removeOrphanBlobs } from "../../platform/blobs/index.ts";
import { makeContext, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { audit } from "../audit/audit-service.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import type { ConversationEvent } from "../tickets/conversation.ts";
import { MAIL_REF } from "./inbound-service.ts";
import * as repo from "./mail-repo.ts";

/**
 * How long mail that made no ticket is kept:
 *  - a suspended ticket nobody recovered or deleted is deleted after 14 days, as Zendesk does,
 *    with its stored message (audited, by the system);
 *  - the stored copy of a message that was dropped (a loop, a bounce, a duplicate, over the
 *    sender's limit, no sender) or was a forwarding check is deleted after 14 days; its row (state,
 *    outcome code, keyed hashes, never content) stays, marked `deleted`.
 * Messages that became tickets or comments stay as long as the ticket (staff download the
 * original); erasure and retention policies for tickets reach them.
 */
export const UNKEPT_MAIL_DAYS = 14;

type Deps = Pick<AppDeps, "db" | "keyring" | "blobs">;

const BATCH = 200;

export async function purgeUnkeptMail(deps: Deps, now: Date): Promise<{ suspended: number; messages: number }> {
  const before = new Date(now.getTime() - UNKEPT_MAIL_DAYS * 86_400_000);
  let suspended = 0;
  let messages = 0;
  await forEachTenant(deps.db, async (tenantId) => {
    for (;;) {
      const gone = await deps.db.tenant(tenantId, async (tx) => {
        const ctx = makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now });
        const old = await repo.suspendedBefore(tx, before, BATCH);
        for (const s of old) {
          await repo.deleteSuspended(tx, s.id);
          await repo.setInboundState(tx, s.inbound_message_id, { state: "deleted" });
          audit(ctx, { action: "suspended_ticket.expired", resourceType: "suspended_ticket", resourceId: Number(s.nice_id) });
        }
        const unkept = await repo.unkeptBefore(tx, before, BATCH);
        for (const m of unkept) await repo.setInboundState(tx, m.id, { state: "deleted" });
        return { suspended: old.length, ids: [...old.map((s) => s.inbound_message_id), ...unkept.map((m) => m.id)], messages: unkept.length };
      });
      // The bytes go once the rows say so for good; a file a crash leaves here is removeOrphanMail's.
      for (const id of gone.ids) await deleteSealed(deps.blobs, tenantId, MAIL_REF(id));
      suspended += gone.suspended;
      messages += gone.messages;
      if (gone.suspended < BATCH && gone.messages < BATCH) break;
    }
  });
  return { suspended, messages };
}

/**
 * The `conversation.written` listener for tickets deleted for good: their mail records go first
 * (suspended replies deleted and audited; messages marked `deleted`, their copies swept within the
 * hour by removeOrphanMail).
 */
export async function forgetPurgedTicketMail(ctx: RequestContext, e: ConversationEvent): Promise<void> {
  if (e.kind !== "tickets.purged") return;
  for (const niceId of await repo.forgetTickets(ctx.tx, e.tickets.map((t) => t.id))) audit(ctx, { action: "suspended_ticket.deleted", resourceType: "suspended_ticket", resourceId: niceId });
}

/** A stored message no row names is left alone this long: the SMTP server may be about to record it. */
const ORPHAN_GRACE_MS = 3600_000;

/**
 * Removes stored messages whose row is gone or `deleted` (left by a crash between a row's change
 * and its file's removal, or between storing a message and recording it), once an hour old by the
 * wall clock their modification time is read on.
 */
export async function removeOrphanMail(deps: Deps, wallNow = Date.now()): Promise<number> {
  let removed = 0;
  await forEachTenant(deps.db, async (tenantId) => {
    const kept = (ids: string[]) => deps.db.tenant(tenantId, (tx) => repo.keptInboundIds(tx, ids));
    removed += await removeOrphanBlobs(deps.blobs, tenantId, "mail", kept, { wallNow, graceMs: ORPHAN_GRACE_MS });
  });
  return removed;
}

export const mailRetention = (deps: Deps): MaintenanceTask[] => [
  { name: "mail.retention", everyMs: 3600_000, run: (now) => purgeUnkeptMail(deps, now).then(() => undefined) },
  { name: "mail.orphans", everyMs: 6 * 3600_000, run: () => removeOrphanMail(deps).then(() => undefined) },
];

/**
 * Erasure of a person: the mail they sent (`senderBidx`, their address's keyed hash) or that became
 * one of `commentIds` is deleted — suspended tickets (audited) and message rows in the transaction;
 * the stored copies by `afterCommit` (a file a crash leaves is removeOrphanMail's).
 */
export async function forgetSenderMail(deps: Pick<AppDeps, "blobs">, ctx: RequestContext, senderBidx: Buffer | null, commentIds: readonly string[], afterCommit: (fn: () => Promise<void>) => void): Promise<{ messages: number; suspended: number }> {
  const r = await repo.forgetSender(ctx.tx, senderBidx, commentIds);
  for (const niceId of r.suspended) audit(ctx, { action: "suspended_ticket.deleted", resourceType: "suspended_ticket", resourceId: niceId });
  const tenantId = ctx.tx.tenantId;
  if (r.messageIds.length) afterCommit(async () => { for (const id of r.messageIds) await deleteSealed(deps.blobs, tenantId, MAIL_REF(id)).catch(() => undefined); });
  return { messages: r.messageIds.length, suspended: r.suspended.length };
}
