import crypto from "node:crypto";
import nodemailer from "nodemailer";
import { dkimSign } from "mailauth";
import { sql } from "kysely";
import type { TestApp, TestTenant } from "./harness.ts";

/**
 * Inbound mail in tests: a DNS table (SPF, DKIM keys, DMARC policies) the app's resolver answers
 * from, messages written byte for byte, sent over a real SMTP conversation with nodemailer, and a
 * wait for the inbound job to settle.
 */

export class FakeDns {
  readonly txt = new Map<string, string[]>();
  resolver = async (name: string, rrtype: string): Promise<string[][]> => {
    const hit = rrtype === "TXT" ? this.txt.get(name.toLowerCase().replace(/\.$/, "")) : undefined;
    if (!hit) throw Object.assign(new Error(`query${rrtype} ENOTFOUND ${name}`), { code: "ENOTFOUND" });
    return hit.map((r) => [r]);
  };
  /** A domain whose mail comes from `ip` (SPF) with a DMARC policy of reject. */
  domain(domain: string, opts: { ip?: string; dmarc?: boolean } = {}): void {
    this.txt.set(domain, [`v=spf1 ip4:${opts.ip ?? "127.0.0.1"} -all`]);
    if (opts.dmarc !== false) this.txt.set(`_dmarc.${domain}`, ["v=DMARC1; p=reject"]);
  }
  /** A DKIM key for `selector._domainkey.domain`; returns the private key. */
  dkimKey(domain: string, selector = "s1"): string {
    const { publicKey, privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const p = publicKey.export({ type: "spki", format: "der" }).toString("base64");
    this.txt.set(`${selector}._domainkey.${domain}`, [`v=DKIM1; k=rsa; p=${p}`]);
    return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  }
}

export type Msg = {
  from: string;
  to: string;
  cc?: string;
  subject?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  headers?: string[];
  text?: string;
  html?: string;
  contentType?: string;
  /** Files, sent base64-encoded in a multipart/mixed message after the text. */
  files?: Array<{ name: string; type: string; content: Buffer }>;
};

/** A message, byte for byte (CRLF line ends). */
export function message(m: Msg): string {
  const lines = [
    `From: ${m.from}`,
    `To: ${m.to}`,
    ...(m.cc ? [`Cc: ${m.cc}`] : []),
    `Subject: ${m.subject ?? "Help please"}`,
    `Message-ID: ${m.messageId ?? `<${crypto.randomUUID()}@sender.test>`}`,
    ...(m.inReplyTo ? [`In-Reply-To: ${m.inReplyTo}`] : []),
    ...(m.references ? [`References: ${m.references}`] : []),
    `Date: ${new Date().toUTCString()}`,
    "MIME-Version: 1.0",
    ...(m.headers ?? []),
  ];
  if (m.files?.length) {
    const b = `m${crypto.randomBytes(6).toString("hex")}`;
    lines.push(`Content-Type: multipart/mixed; boundary="${b}"`, "", `--${b}`, "Content-Type: text/plain; charset=utf-8", "", m.text ?? "See the attached file.");
    for (const f of m.files) {
      lines.push(`--${b}`, `Content-Type: ${f.type}; name="${f.name}"`, `Content-Disposition: attachment; filename="${f.name}"`, "Content-Transfer-Encoding: base64", "", ...(f.content.toString("base64").match(/.{1,76}/g) ?? [""]));
    }
    lines.push(`--${b}--`, "");
  } else if (m.html !== undefined) {
    const b = `b${crypto.randomBytes(6).toString("hex")}`;
    lines.push(`Content-Type: multipart/alternative; boundary="${b}"`, "", `--${b}`, "Content-Type: text/plain; charset=utf-8", "", m.text ?? "", `--${b}`, "Content-Type: text/html; charset=utf-8", "", m.html, `--${b}--`, "");
  } else {
    lines.push(`Content-Type: ${m.contentType ?? "text/plain; charset=utf-8"}`, "", m.text ?? "Hello, my order did not arrive.", "");
  }
  return lines.join("\r\n");
}

/** DKIM-signs a message (prepends the signature header). */
export async function signed(raw: string, domain: string, privateKey: string, selector = "s1"): Promise<string> {
  const r = await dkimSign(raw, { signatureData: [{ signingDomain: domain, selector, privateKey }] } as never); // never: the option types name fields the signer does not need
  return r.signatures + raw;
}

export type Sent = { accepted: string[]; rejected: string[]; code?: number; response?: string };

/** Sends over a real SMTP conversation; a refusal is returned with its reply code. */
export async function send(port: number, envelope: { from: string; to: string[] }, raw: string, opts: { tls?: boolean } = {}): Promise<Sent> {
  const tr = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: !opts.tls, requireTLS: opts.tls === true, tls: { rejectUnauthorized: false }, logger: false });
  try {
    const info = await tr.sendMail({ envelope, raw });
    return { accepted: info.accepted.map(String), rejected: info.rejected.map(String), response: info.response };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; rejected?: string[] };
    return { accepted: [], rejected: e.rejected ?? envelope.to, code: e.responseCode, response: e.response };
  } finally {
    tr.close();
  }
}

/** Waits until `n` of the tenant's inbound messages left the queue; returns their states and outcomes. */
export async function settled(t: TestApp, tenant: TestTenant, n: number, timeoutMs = 20_000): Promise<Array<{ state: string; outcome: string | null }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await t.db.tenant(tenant.tenantId, async (tx) =>
      (await sql<{ state: string; outcome: string | null }>`SELECT state, outcome FROM inbound_messages WHERE tenant_id = ${tenant.tenantId} AND state <> 'queued' ORDER BY processed_at NULLS LAST, received_at`.execute(tx.db)).rows,
    );
    if (rows.length >= n) return rows;
    if (Date.now() > deadline) throw new Error(`only ${rows.length} of ${n} inbound messages processed`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const supportOf = (tenant: TestTenant) => `support@${tenant.subdomain}.localhost`;
