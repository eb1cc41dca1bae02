import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/platform/config.ts";
import { mailJobHandler } from "../src/platform/jobs/mail-job.ts";
import { createMailer, type Mailer } from "../src/platform/mail.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * What the mail job puts on a message, over a real SMTP conversation: the tenant's From and
 * Reply-To, threading headers, and a DKIM signature made at sending time with the key the lookup
 * gives for the From address's domain (none for other domains).
 */

let smtp: SmtpPeer;
let mailer: Mailer;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  mailer = createMailer(loadConfig({ VAULTDESK_DATA_DIR: "/tmp/vd-mail-headers", VAULTDESK_SMTP_URL: smtp.url }));
});
afterAll(async () => {
  mailer?.close();
  await smtp?.close();
});

describe("the mail job's headers", () => {
  it("sends From, Reply-To and threading headers, and signs with the From domain's DKIM key", async () => {
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
    const lookups: Array<[string, string]> = [];
    const handler = mailJobHandler(mailer, [100], async (tenantId, from) => {
      lookups.push([tenantId, from]);
      return from.endsWith("@acme.example>") ? { domainName: "acme.example", keySelector: "vd2026", privateKey } : undefined;
    });
    await handler.run(
      {
        to: "pat@customer.test",
        subject: "Re: Printer",
        text: "We replaced it.",
        language: "en",
        from: "Acme Support <help@acme.example>",
        replyTo: "support+abc@acme.mail.test",
        messageId: "<t12.c34@acme.mail.test>",
        inReplyTo: "<t12@acme.mail.test>",
        references: ["<t12@acme.mail.test>"],
        notAfter: null,
      },
      { tenantId: "tenant-1" },
    );
    const mail = await smtp.waitFor("pat@customer.test");
    expect(lookups).toEqual([["tenant-1", "Acme Support <help@acme.example>"]]);
    expect(mail.from?.text).toBe('"Acme Support" <help@acme.example>');
    expect(mail.replyTo?.text).toBe("support+abc@acme.mail.test");
    expect(mail.messageId).toBe("<t12.c34@acme.mail.test>");
    expect(mail.inReplyTo).toBe("<t12@acme.mail.test>");
    expect(mail.references).toBe("<t12@acme.mail.test>");
    // mailparser parses structured headers: the raw line is in headerLines.
    const signature = mail.headerLines.find((h) => h.key === "dkim-signature")?.line ?? "";
    expect(signature).toMatch(/d=acme\.example/);
    expect(signature).toMatch(/s=vd2026/);

    // Another domain: no key, no signature; without a From, the installation's address.
    await handler.run({ to: "lee@customer.test", subject: "s", text: "t", language: "en", from: "help@other.example", notAfter: null }, { tenantId: "tenant-1" });
    expect((await smtp.waitFor("lee@customer.test")).headers.has("dkim-signature")).toBe(false);
    await handler.run({ to: "kim@customer.test", subject: "s", text: "t", language: "en", notAfter: null }, { tenantId: "tenant-1" });
    expect((await smtp.waitFor("kim@customer.test")).from?.text).toContain("no-reply@");
  });
});
