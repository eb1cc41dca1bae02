import fs from "node:fs";
import dns from "node:dns";
import { PassThrough, type Readable } from "node:stream";
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import type { Config } from "./config.ts";

/**
 * The built-in SMTP server for inbound mail (smtp-server), off unless VAULTDESK_SMTP_LISTEN is
 * set. It knows nothing of tenants or tickets: the mail module gives it two functions.
 *
 *  - `recipient(address)` names the tenant a RCPT TO address belongs to; an unknown address is
 *    refused with 550, so the server is never an open relay. All recipients of one message must
 *    belong to one tenant: another tenant's is answered 452 (the sender tries it again later in
 *    a message of its own), so a message is stored once, sealed under one tenant's key.
 *  - `accept(tenantId, envelope, body)` stores the message sealed and queues its processing in
 *    one transaction; 250 is answered only after it resolves. A failure answers 451 (the sender
 *    tries again); a message over VAULTDESK_SMTP_MAX_BYTES answers 552 (SIZE is advertised and a
 *    larger announced size is refused at MAIL FROM).
 *
 * Invariants: nothing of a message (addresses, subject, body) is logged, only counts and codes;
 * smtp-server's own logger is off. STARTTLS is offered only with a configured certificate.
 */

/** What the SMTP conversation told us about a message (sealed with it: SPF and reply tokens need it). */
export type InboundEnvelope = {
  clientAddress: string;
  helo: string;
  /** MAIL FROM; null for the null reverse-path `<>` (bounces). */
  mailFrom: string | null;
  recipients: string[];
  tls: boolean;
};

export interface InboundMailHandler {
  /** The tenant an address receives mail for, or undefined (refused with 550). */
  recipient(address: string): Promise<{ tenantId: string } | undefined>;
  /**
   * Stores the message sealed and queues its processing; resolves once both are durable. Throws
   * `MessageTooLargeError` when the body goes over `maxBytes` (the rest of the body is drained).
   */
  accept(tenantId: string, envelope: InboundEnvelope, body: Readable, maxBytes: number): Promise<void>;
}

/** The message went over the configured size: answered 552. */
export class MessageTooLargeError extends Error {
  override readonly name = "MessageTooLargeError";
}

/**
 * A DNS lookup as mailauth calls it (SPF, DKIM keys, DMARC policies): injectable so tests answer
 * from a table and never reach the network.
 */
export type DnsResolver = (name: string, rrtype: string) => Promise<string[] | string[][]>;

/**
 * The system's resolver (or the servers VAULTDESK_DNS_SERVERS names), with a short timeout so a
 * slow DNS server cannot hold a job for long.
 */
export function systemDnsResolver(servers?: readonly string[]): DnsResolver {
  const r = new dns.promises.Resolver({ timeout: 5_000, tries: 2 });
  if (servers?.length) r.setServers([...servers]);
  return async (name, rrtype) => (await r.resolve(name, rrtype)) as string[] | string[][];
}

type Log = { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };

export interface SmtpIn {
  /** The port it listens on (an ephemeral port when configured as 0). */
  readonly port: number;
  close(): Promise<void>;
}

type Session = SMTPServerSession & { tenantId?: string };

function smtpError(message: string, responseCode: number): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode });
}

/** Reads a stream to its end, discarding it (a message refused after its body started). */
function drain(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded) return resolve();
    stream.on("end", resolve).on("error", () => resolve()).on("close", resolve);
    stream.resume();
  });
}

/** Starts the SMTP server; resolves once it listens. */
export async function startSmtpIn(config: Pick<Config, "smtpListen" | "smtpTls" | "smtpMaxBytes" | "mailDomain">, handler: InboundMailHandler, log: Log): Promise<SmtpIn> {
  const listen = config.smtpListen;
  if (!listen) throw new Error("VAULTDESK_SMTP_LISTEN is not set");
  const tls = config.smtpTls ? { cert: fs.readFileSync(config.smtpTls.certFile), key: fs.readFileSync(config.smtpTls.keyFile) } : undefined;
  const maxBytes = config.smtpMaxBytes;
  const server = new SMTPServer({
    name: config.mailDomain,
    banner: "Vaultdesk",
    logger: false,
    authOptional: true,
    // Inbound mail is never relayed and nobody signs in: AUTH is not offered.
    disabledCommands: tls ? ["AUTH"] : ["AUTH", "STARTTLS"],
    ...(tls ? { key: tls.key, cert: tls.cert, minVersion: "TLSv1.2" } : {}),
    size: maxBytes,
    maxClients: 200,
    socketTimeout: 60_000,
    closeTimeout: 5_000,
    hideSize: false,
    onRcptTo(address: SMTPServerAddress, session: Session, callback: (err?: Error | null) => void) {
      const addr = address.address;
      // RFC 5321 limits a path to 256 characters; smtp-server already refused line breaks.
      if (addr.length > 254 || !/^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9.-]+$/.test(addr)) return callback(smtpError("5.1.3 Bad recipient address syntax", 501));
      handler.recipient(addr).then(
        (found) => {
          if (!found) return callback(smtpError("5.1.1 No such recipient here", 550));
          if (session.tenantId && session.tenantId !== found.tenantId) return callback(smtpError("4.5.3 Send to this recipient in a separate message", 452));
          if (session.envelope.rcptTo.length >= 50) return callback(smtpError("4.5.3 Too many recipients", 452));
          session.tenantId = found.tenantId;
          callback();
        },
        (err: unknown) => {
          log.warn({ smtp: "rcpt", err: (err as Error)?.name }, "inbound mail: recipient lookup failed");
          callback(smtpError("4.3.0 Temporary failure, try again later", 451));
        },
      );
    },
    onData(stream: SMTPServerDataStream, session: Session, callback: (err?: Error | null, message?: string) => void) {
      const tenantId = session.tenantId;
      if (!tenantId) {
        void drain(stream).then(() => callback(smtpError("5.5.1 No valid recipients", 554)));
        return;
      }
      const envelope: InboundEnvelope = {
        clientAddress: session.remoteAddress,
        helo: session.hostNameAppearsAs ?? "",
        mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address || null : null,
        recipients: session.envelope.rcptTo.map((r) => r.address),
        tls: session.secure,
      };
      // The handler reads a pipe of its own: when it stops early (too large, storage failed), the
      // rest of the message is still read from the client, so the reply arrives after the data.
      const body = new PassThrough();
      stream.pipe(body);
      handler.accept(tenantId, envelope, body, maxBytes).then(
        () => {
          // Stored and queued (the handler enforced the size on the same bytes): accepted.
          log.info({ smtp: "accepted", bytes: stream.byteLength }, "inbound mail accepted");
          callback(null, "2.0.0 Queued");
        },
        (err: unknown) => {
          stream.unpipe(body);
          body.destroy();
          void drain(stream).then(() => {
            if (err instanceof MessageTooLargeError || stream.sizeExceeded) {
              log.info({ smtp: "refused", reason: "too_large" }, "inbound mail refused");
              return callback(smtpError("5.3.4 Message too big", 552));
            }
            log.warn({ smtp: "data", err: (err as Error)?.name }, "inbound mail: not stored; the sender will try again");
            callback(smtpError("4.3.0 Temporary failure, try again later", 451));
          });
        },
      );
    },
  });
  // Connection errors (a client that hangs up, a TLS handshake that fails) are the client's.
  server.on("error", (err: Error & { code?: string }) => log.warn({ smtp: "connection", err: err.code ?? err.name }, "inbound mail: connection error"));
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.server.off("error", reject);
      resolve();
    });
  });
  const port = (server.server.address() as { port: number }).port;
  log.info({ smtp: "listening", port, starttls: tls !== undefined }, "inbound SMTP server listening");
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
