import crypto from "node:crypto";
import type { RequestContext } from "../context.ts";
import { refsOf } from "../crypto/sealed-columns.ts";
import type { TenantTx } from "../db/database.ts";
import type { DkimKey, Mailer } from "../mail.ts";
import type { EffectHandler } from "./job-runner.ts";
import { enqueueJob, JOBS_QUEUED, payloadRef } from "./jobs.ts";
import * as jobsRepo from "./jobs-repo.ts";

/**
 * Outgoing mail as durable jobs: the message (recipient, subject, text) is sealed in the job,
 * which commits with the request that wrote it, and is sent after the commit. When the SMTP server
 * refuses or cannot be reached it is tried again after each delay of VAULTDESK_MAIL_RETRY_SECONDS;
 * after the last, or once the message is no longer worth sending (`notAfter`: its sign-in link has
 * expired), the job fails and says so. The job's payload is cleared when it ends. No address or
 * text is ever logged: only the job id, attempt and error code.
 *
 * Mail without an expiry (notifications) that no attempt delivered is kept, sealed, in
 * `undelivered_mail`: the dead-letter list admins see, to send again or delete. Mail that expires
 * (it carries a sign-in or invitation link) is never kept there: sending it later would be useless,
 * and keeping the link would keep a secret.
 */

export const MAIL_JOB = "mail";

export type OutgoingMail = {
  to: string;
  subject: string;
  text: string;
  language: string;
  /** A support address of the tenant (else VAULTDESK_MAIL_FROM), and where replies go. */
  from?: string;
  replyTo?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  /**
   * What the message is about, kept with it when it is undelivered: the dead-letter list drops it
   * with its ticket or person, and a notification is written anew when sent again.
   */
  about?: { ticketId?: string; userId?: string; notification?: unknown };
};

/**
 * Finds the DKIM key to sign a tenant's message from `from` with (its domain's verified key), at
 * the moment of sending: a key replaced or removed meanwhile is not used.
 */
export type DkimLookup = (tenantId: string, from: string) => Promise<DkimKey | undefined>;
/**
 * `withdrawn`: a message being sent when what it quoted was redacted, and that is no longer to go:
 * its words are gone from the payload, and a later attempt (after this one failed) withholds it.
 */
/**
 * `held`: a notification put off while its ticket is in the trash: the payload keeps what it is
 * about (ids: its ticket, person and notification) and none of its words or its address; it is
 * `withdrawn` as well, so an attempt that comes anyway (an in-flight one failed) sends nothing.
 */
type MailPayload = OutgoingMail & { notAfter: string | null; withdrawn?: true; held?: "trash" };

export async function queueMail(ctx: RequestContext, retryMs: readonly number[], mail: OutgoingMail, notAfter?: Date): Promise<void> {
  const payload: MailPayload = { ...mail, notAfter: notAfter?.toISOString() ?? null };
  await enqueueJob(ctx, { type: MAIL_JOB, total: 1, payload, createdBy: null, maxAttempts: retryMs.length + 1, ...(mail.about?.ticketId ? { ticketId: mail.about.ticketId } : {}) });
}

const uref = refsOf("undelivered_mail");

/**
 * Asked before each attempt to send a message about something (`about`): true when it must not go
 * any more (its person's processing has been restricted since it was queued). Given by the
 * notifications (modules/tickets), which know what a person's state means for their mail.
 */
export type MailRecall = (ctx: RequestContext, about: NonNullable<OutgoingMail["about"]>) => Promise<boolean>;

const WITHHELD = { index: 0, success: false, error: "Withheld", details: "The message was not sent: what it was about changed after it was queued." };

/**
 * Writes anew the mail about some tickets that is still to go (queued, or between attempts) after
 * what it quotes changed (a comment redacted) or went (a ticket deleted): `rewrite` answers the
 * message as it must read now, or undefined when it is no longer to be sent (the job is then withheld). In the caller's
 * transaction, so the change and the mail commit together. A message being handed to the mail
 * server at this very moment goes as it was; should that attempt fail, the next goes as rewritten,
 * or, when it is no longer to be sent, not at all (its words are dropped from the job now). (Undelivered
 * copies are the caller's: a redaction drops them.)
 */
export async function reviseMailAbout(ctx: RequestContext, ticketIds: readonly string[], rewrite: (m: OutgoingMail) => Promise<OutgoingMail | undefined>): Promise<void> {
  for (const { id, m, notAfter, held } of await unfinishedAbout(ctx, ticketIds)) {
    // Mail held for a ticket in the trash waits for its restore (releaseHeldMail), which writes it anew.
    if (held) continue;
    const next = await rewrite(m);
    if (next) await jobsRepo.replacePayload(ctx.tx, id, ctx.sealer.sealJson({ ...next, notAfter } satisfies MailPayload, payloadRef(id)));
    else await withhold(ctx, id, m, notAfter);
  }
}

/** The mail jobs still to run about some tickets, locked, opened; those already withdrawn (and not held) left out. */
async function unfinishedAbout(ctx: RequestContext, ticketIds: readonly string[]): Promise<Array<{ id: string; status: string; m: OutgoingMail; notAfter: string | null; held: boolean }>> {
  if (ticketIds.length === 0) return [];
  const these = new Set(ticketIds);
  const out = [];
  // Only the tickets' own (job_statuses.ticket_id, 0057); the payload's `about` is checked as well.
  for (const j of await jobsRepo.lockUnfinishedAbout(ctx.tx, MAIL_JOB, ticketIds)) {
    const { notAfter, withdrawn, held, ...m } = ctx.sealer.openJson<MailPayload>(j.payload_sealed, payloadRef(j.id));
    if ((withdrawn && !held) || m.about?.ticketId === undefined || !these.has(m.about.ticketId)) continue;
    out.push({ id: j.id, status: j.status, m, notAfter, held: held === "trash" });
  }
  return out;
}

/** Ends a job without sending it: failed as withheld when queued; in flight, its words dropped so no later attempt sends them. */
async function withhold(ctx: RequestContext, id: string, m: OutgoingMail, notAfter: string | null): Promise<void> {
  if (await jobsRepo.failQueued(ctx.tx, id, "Withheld: no longer to be done.", [WITHHELD])) return;
  // In flight: this attempt is beyond reach, a later one is not.
  const gone: MailPayload = { to: m.to, subject: "", text: "", language: m.language, ...(m.about ? { about: m.about } : {}), notAfter, withdrawn: true };
  await jobsRepo.replacePayload(ctx.tx, id, ctx.sealer.sealJson(gone, payloadRef(id)));
}

/**
 * The tickets went to the trash: their mail still to go is held, not sent, until they are restored
 * (releaseHeldMail) or deleted for good (dropMailAbout). A notification (`about.notification`: what
 * it is about, ids only) keeps that and nothing else — no address, subject or text, so no words
 * redacted or erased meanwhile can come back from the queue — and is put off until `until` (when
 * the trash would have deleted it: should it still be held then, its attempt sends nothing). Other
 * mail about the tickets is withheld. A message being handed to the mail server at this moment
 * goes as it was; should that attempt fail, the next sends nothing unless the ticket is restored first.
 */
export async function holdMailAbout(ctx: RequestContext, ticketIds: readonly string[], until: Date): Promise<void> {
  for (const { id, m, notAfter, held } of await unfinishedAbout(ctx, ticketIds)) {
    if (held) continue;
    if (m.about?.notification === undefined) {
      await withhold(ctx, id, m, notAfter);
      continue;
    }
    const kept: MailPayload = { to: "", subject: "", text: "", language: m.language, about: m.about, notAfter, withdrawn: true, held: "trash" };
    const sealed = ctx.sealer.sealJson(kept, payloadRef(id));
    if (!(await jobsRepo.deferQueued(ctx.tx, id, sealed, until))) await jobsRepo.replacePayload(ctx.tx, id, sealed);
  }
}

/**
 * The tickets came back from the trash: their held mail is written anew (`rewrite`, from the data
 * as it is now) and due at once, or withheld when it is no longer to be sent. Answers how many
 * messages were queued again.
 */
export async function releaseHeldMail(ctx: RequestContext, ticketIds: readonly string[], rewrite: (m: OutgoingMail) => Promise<OutgoingMail | undefined>): Promise<number> {
  let released = 0;
  for (const { id, m, notAfter, held } of await unfinishedAbout(ctx, ticketIds)) {
    if (!held) continue;
    const next = await rewrite(m);
    if (!next) {
      await withhold(ctx, id, m, notAfter);
      continue;
    }
    const sealed = ctx.sealer.sealJson({ ...next, notAfter } satisfies MailPayload, payloadRef(id));
    if (!(await jobsRepo.deferQueued(ctx.tx, id, sealed, null))) await jobsRepo.replacePayload(ctx.tx, id, sealed);
    ctx.tx.bag.set(JOBS_QUEUED, true); // the runner is woken after the commit, as for a new job
    released++;
  }
  return released;
}

/** The tickets are gone for good: every message about them still to go, held ones too, is withheld and loses its words. */
export async function dropMailAbout(ctx: RequestContext, ticketIds: readonly string[]): Promise<void> {
  for (const { id, m, notAfter } of await unfinishedAbout(ctx, ticketIds)) await withhold(ctx, id, m, notAfter);
}

export function mailJobHandler(mailer: Pick<Mailer, "send">, retryMs: readonly number[], dkimFor?: DkimLookup, recall?: MailRecall): EffectHandler<MailPayload> {
  return {
    kind: "effect",
    type: MAIL_JOB,
    withheld: async (ctx: RequestContext, m: MailPayload) => m.withdrawn === true || (recall !== undefined && m.about !== undefined && (await recall(ctx, m.about))),
    async run(m, { tenantId }) {
      const dkim = m.from && dkimFor ? await dkimFor(tenantId, m.from) : undefined;
      await mailer.send({
        to: m.to,
        subject: m.subject,
        text: m.text,
        language: m.language,
        ...(m.from ? { from: m.from } : {}),
        ...(m.replyTo ? { replyTo: m.replyTo } : {}),
        ...(m.messageId ? { messageId: m.messageId } : {}),
        ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
        ...(m.references ? { references: m.references } : {}),
        ...(dkim ? { dkim } : {}),
      });
    },
    retryDelayMs: (failedAttempts) => retryMs[failedAttempts - 1],
    expired: (m, now) => m.notAfter !== null && new Date(m.notAfter).getTime() <= now.getTime(),
    succeeded: { index: 0, success: true, status: "Sent" },
    failed: (reason) =>
      reason === "expired"
        ? { index: 0, success: false, error: "Expired", details: "The message was no longer worth sending when the mail server could take it." }
        : reason === "withheld"
          ? WITHHELD
          : { index: 0, success: false, error: "DeliveryFailed", details: "The mail server did not take the message at any attempt." },
    async gaveUp({ tx, sealer, now, attempts }, m) {
      // A link that has expired is useless and a secret; a withdrawn message has nothing left to send.
      if (m.notAfter !== null || m.withdrawn) return;
      const id = crypto.randomUUID();
      const { notAfter: _expiry, withdrawn: _withdrawn, ...message } = m;
      await tx.db
        .insertInto("undelivered_mail")
        .values({ tenant_id: tx.tenantId, id, message_sealed: sealer.sealJson(message, uref(id, "message")), attempts, failed_at: now, ticket_id: m.about?.ticketId ?? null, user_id: m.about?.userId ?? null })
        .execute();
    },
  };
}

// ---- The dead-letter list ------------------------------------------------------------------------

export type UndeliveredMail = { id: string; to: string; subject: string; language: string; attempts: number; failed_at: string };

/** The newest undelivered messages first (at most `limit`). */
export async function listUndelivered(ctx: RequestContext, limit: number): Promise<UndeliveredMail[]> {
  const rows = await ctx.tx.db.selectFrom("undelivered_mail").select(["id", "message_sealed", "attempts", "failed_at"]).where("tenant_id", "=", ctx.tx.tenantId).orderBy("failed_at", "desc").orderBy("id").limit(limit).execute();
  return rows.map((r) => {
    const m = ctx.sealer.openJson(r.message_sealed, uref(r.id, "message")) as OutgoingMail;
    return { id: r.id, to: m.to, subject: m.subject, language: m.language, attempts: r.attempts, failed_at: r.failed_at.toISOString() };
  });
}

/** One undelivered message, as it was queued; undefined when there is none. */
export async function findUndelivered(ctx: RequestContext, id: string): Promise<OutgoingMail | undefined> {
  const r = await ctx.tx.db.selectFrom("undelivered_mail").select(["id", "message_sealed"]).where("tenant_id", "=", ctx.tx.tenantId).where("id", "=", id).executeTakeFirst();
  return r ? (ctx.sealer.openJson(r.message_sealed, uref(r.id, "message")) as OutgoingMail) : undefined;
}

/** Drops what was undelivered about a ticket or to a person (deleted), and what is older than `before`. */
export async function dropUndelivered(tx: TenantTx, what: { ticketId: string } | { userId: string } | { before: Date }): Promise<number> {
  let q = tx.db.deleteFrom("undelivered_mail").where("tenant_id", "=", tx.tenantId);
  if ("ticketId" in what) q = q.where("ticket_id", "=", what.ticketId);
  else if ("userId" in what) q = q.where("user_id", "=", what.userId);
  else q = q.where("failed_at", "<", what.before);
  return Number((await q.executeTakeFirst()).numDeletedRows);
}

async function takeUndelivered(tx: TenantTx, id: string) {
  return tx.db.deleteFrom("undelivered_mail").where("tenant_id", "=", tx.tenantId).where("id", "=", id).returning(["id", "message_sealed"]).executeTakeFirst();
}

/** Queues an undelivered message again (it leaves the list), as stored or as `instead`; false when there is no such message. */
export async function resendUndelivered(ctx: RequestContext, retryMs: readonly number[], id: string, instead?: OutgoingMail): Promise<boolean> {
  const r = await takeUndelivered(ctx.tx, id);
  if (!r) return false;
  await queueMail(ctx, retryMs, instead ?? (ctx.sealer.openJson(r.message_sealed, uref(r.id, "message")) as OutgoingMail));
  return true;
}

/** Removes an undelivered message for good; false when there is no such message. */
export async function deleteUndelivered(ctx: RequestContext, id: string): Promise<boolean> {
  return (await takeUndelivered(ctx.tx, id)) !== undefined;
}
