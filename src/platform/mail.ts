import { rootCertificates } from "node:tls";
import nodemailer from "nodemailer";
import type { Config } from "./config.ts";

/**
 * Outgoing mail through the SMTP server of VAULTDESK_SMTP_URL (nodemailer). Without one, `available`
 * is false and features that need mail say so instead of sending. Nodemailer's own logging stays
 * off: it would print addresses and message bodies.
 */
export interface Mailer {
  readonly available: boolean;
  send(message: { to: string; subject: string; text: string; html?: string; language?: string }): Promise<void>;
  close(): void;
}

const tlsRootCertificates = (): string[] => [...rootCertificates];

export function createMailer(config: Pick<Config, "smtpUrl" | "mailFrom" | "baseDomain" | "smtpTls" | "smtpCa">): Mailer {
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
    requireTLS: config.smtpTls === "required",
    tls: { minVersion: "TLSv1.2", ...(config.smtpCa ? { ca: [...tlsRootCertificates(), config.smtpCa] } : {}) },
  } as import("nodemailer/lib/smtp-transport/index.js").Options);
  const from = config.mailFrom ?? `Vaultdesk <no-reply@${config.baseDomain}>`;
  return {
    available: true,
    async send(m) {
      await transport.sendMail({
        from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        ...(m.html ? { html: m.html } : {}),
        ...(m.language ? { headers: { "Content-Language": m.language } } : {}),
      });
    },
    close: () => transport.close(),
  };
}
