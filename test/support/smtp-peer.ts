import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server on 127.0.0.1 for tests (smtp-server): every message it receives is parsed
 * (mailparser) and kept, so a test can wait for the mail sent to an address and take its link.
 */
export interface SmtpPeer {
  url: string;
  messages: ParsedMail[];
  /** For each message, whether it came over TLS (STARTTLS). */
  secure: boolean[];
  /** For each message, its bytes as received (to check signatures). */
  raw: Buffer[];
  /** The next message to `to` (case-insensitive) that arrives after `since` messages were received. */
  waitFor(to: string, opts?: { timeoutMs?: number; since?: number; match?: (m: ParsedMail) => boolean }): Promise<ParsedMail>;
  close(): Promise<void>;
}

/**
 * `port`: listen on this port (a test that starts its server before the mail server comes up).
 * `tls`: offer STARTTLS with this key and certificate (PEM); without it STARTTLS is not offered.
 */
export async function startSmtpPeer(port = 0, opts: { tls?: { key: string; cert: string } } = {}): Promise<SmtpPeer> {
  const messages: ParsedMail[] = [];
  const secure: boolean[] = [];
  const raw: Buffer[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : { disabledCommands: ["STARTTLS"] }),
    logger: false,
    onData(stream, session, callback) {
      // The bytes as received, then parsed.
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      new Promise<Buffer>((resolve, reject) => {
        stream.once("end", () => resolve(Buffer.concat(chunks)));
        stream.once("error", reject);
      })
        .then(async (bytes) => {
          const mail = await simpleParser(bytes);
          messages.push(mail);
          secure.push(session.secure);
          raw.push(bytes);
          for (const w of waiters) w();
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.server.address() as { port: number }).port;
  const recipient = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => (v.address ?? "").toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${bound}`,
    messages,
    secure,
    raw,
    waitFor(to, opts = {}) {
      const since = opts.since ?? 0;
      const find = () => messages.slice(since).find((m) => recipient(m).includes(to.toLowerCase()) && (opts.match?.(m) ?? true));
      return new Promise((resolve, reject) => {
        const hit = find();
        if (hit) return resolve(hit);
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no mail to ${to} within ${opts.timeoutMs ?? 10_000} ms`));
        }, opts.timeoutMs ?? 10_000);
        const check = () => {
          const m = find();
          if (m) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(m);
          }
        };
        waiters.add(check);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Whether a mail carries a sign-in link (a notification to the same person may arrive first). */
export const hasSigninLink = (m: ParsedMail): boolean => /\/signin\?token=/.test(m.text ?? "");

/** The sign-in link in a mail's text. */
export function linkIn(mail: ParsedMail): string {
  const m = /(https?:\/\/\S+\/signin\?token=[A-Za-z0-9_%-]+)/.exec(mail.text ?? "");
  if (!m) throw new Error("no sign-in link in the mail");
  return m[1]!;
}

/** The first link in a mail's text to a page of the app (`/invite`, `/confirm-email`, …). */
export function linkTo(mail: ParsedMail, page: string): string {
  const m = new RegExp(`(https?://\\S+${page.replace(/[/-]/g, "\\$&")}\\?token=[A-Za-z0-9_%-]+)`).exec(mail.text ?? "");
  if (!m) throw new Error(`no ${page} link in the mail`);
  return m[1]!;
}
