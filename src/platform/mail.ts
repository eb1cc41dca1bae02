import { rootCertificates } from "node:tls";
import nodemailer from "nodemailer";
import type { Config } from "./config.ts";

/**
 * Outgoing mail through the SMTP server of VAULTDESK_SMTP_URL (nodemailer). Without one, `available`
 * is false and features that need mail say so instead of sending. Nodemailer's own logging stays
 * off: it would print addresses and message bodies.
 */
/** A DKIM key to sign one message with (nodemailer's signer; relaxed canonicalization, SHA-256). */
export type DkimKey = { domainName: string; keySelector: string; privateKey: string };

export type MailMessage = {
  to: string;
  subject: string;
  text: string;
  html?: string;
  language?: string;
  /** Instead of VAULTDESK_MAIL_FROM (a support address of the tenant). */
  from?: string;
  replyTo?: string;
  /** Threading: this message's Message-ID and the ones it answers (`<…>` included). */
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  /** Signs the message for the From address's domain. */
  dkim?: DkimKey;
};

export interface Mailer {
  readonly available: boolean;
  send(message: MailMessage): Promise<void>;
  close(): void;
}

const tlsRootCertificates = (): string[] => [...rootCertificates];

export function createMailer(config: Pick<Config, "smtpUrl" | "mailFrom" | "baseDomain" | "relayTls" | "relayCa">): Mailer {
  if (!config.smtpUrl) {
    return {
      available: false,
      send: async () => {
        throw new Error("no SMTP server is configured");
      },
      close: () => undefined,
    };
  }
  // Bounded waits: a mail job holds its claim while it sends (see mail-job.ts).
  // TLS: opportunistic STARTTLS by default (nodemailer's default, with certificates verified when
  // TLS is used); `required` refuses to send in clear. Never below TLS 1.2.
  const transport = nodemailer.createTransport({
    url: config.smtpUrl,
    logger: false,
    debug: false,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
    requireTLS: config.relayTls === "required",
    tls: { minVersion: "TLSv1.2", ...(config.relayCa ? { ca: [...tlsRootCertificates(), config.relayCa] } : {}) },
  } as import("nodemailer/lib/smtp-transport/index.js").Options);
  const from = config.mailFrom ?? `Vaultdesk <no-reply@${config.baseDomain}>`;
  return {
    available: true,
    async send(m) {
      await transport.sendMail({
        from: m.from ?? from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        ...(m.html ? { html: m.html } : {}),
        ...(m.replyTo ? { replyTo: m.replyTo } : {}),
        ...(m.messageId ? { messageId: m.messageId } : {}),
        ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
        ...(m.references?.length ? { references: m.references } : {}),
        ...(m.language ? { headers: { "Content-Language": m.language } } : {}),
        ...(m.dkim ? { dkim: { ...m.dkim, cacheDir: false as const } } : {}),
      });
    },
    close: () => transport.close(),
  };
}
