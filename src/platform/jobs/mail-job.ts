import type { RequestContext } from "../context.ts";
import type { Mailer } from "../mail.ts";
import type { EffectHandler } from "./job-runner.ts";
import { enqueueJob } from "./jobs.ts";

/**
 * Outgoing mail as durable jobs: the message (recipient, subject, text) is sealed in the job,
 * which commits with the request that wrote it, and is sent after the commit. When the SMTP server
 * refuses or cannot be reached it is tried again after each delay of VAULTDESK_MAIL_RETRY_SECONDS;
 * after the last, or once the message is no longer worth sending (`notAfter`: its sign-in link has
 * expired), the job fails and says so. The job's payload is cleared when it ends. No address or
 * text is ever logged: only the job id, attempt and error code.
 */

export const MAIL_JOB = "mail";

export type OutgoingMail = { to: string; subject: string; text: string; language: string };
type MailPayload = OutgoingMail & { notAfter: string | null };

export async function queueMail(ctx: RequestContext, retryMs: readonly number[], mail: OutgoingMail, notAfter?: Date): Promise<void> {
  const payload: MailPayload = { ...mail, notAfter: notAfter?.toISOString() ?? null };
  await enqueueJob(ctx, { type: MAIL_JOB, total: 1, payload, createdBy: null, maxAttempts: retryMs.length + 1 });
}

export function mailJobHandler(mailer: Pick<Mailer, "send">, retryMs: readonly number[]): EffectHandler<MailPayload> {
  return {
    kind: "effect",
    type: MAIL_JOB,
    run: ({ to, subject, text, language }) => mailer.send({ to, subject, text, language }),
    retryDelayMs: (failedAttempts) => retryMs[failedAttempts - 1],
    expired: (m, now) => m.notAfter !== null && new Date(m.notAfter).getTime() <= now.getTime(),
    succeeded: { index: 0, success: true, status: "Sent" },
    failed: (reason) =>
      reason === "expired"
        ? { index: 0, success: false, error: "Expired", details: "The message was no longer worth sending when the mail server could take it." }
        : { index: 0, success: false, error: "DeliveryFailed", details: "The mail server did not take the message at any attempt." },
  };
}
