import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/platform/config.ts";
import { createMailer } from "../src/platform/mail.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";
import { makeTestCertificate } from "./support/test-ca.ts";

/**
 * TLS to the mail relay, over real SMTP conversations: opportunistic by default (STARTTLS when
 * offered, in clear when not), `required` refuses to send in clear or to a relay whose certificate
 * does not verify, and VAULTDESK_SMTP_RELAY_CA_FILE trusts a private relay's CA.
 */

let dir: string;
let tlsPeer: SmtpPeer;
let plainPeer: SmtpPeer;
let caFile: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-smtp-tls-"));
  const cert = makeTestCertificate(dir, "Vaultdesk test relay CA");
  caFile = cert.caFile;
  tlsPeer = await startSmtpPeer(0, { tls: { key: cert.key, cert: cert.cert } });
  plainPeer = await startSmtpPeer();
});
afterAll(async () => {
  await tlsPeer?.close();
  await plainPeer?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const mailerFor = (env: Record<string, string>) => createMailer(loadConfig({ VAULTDESK_DATA_DIR: dir, ...env }));
const message = (to: string) => ({ to, subject: "TLS check", text: "hello" });

describe("TLS to the mail relay", () => {
  it("is opportunistic by default: STARTTLS when the relay offers it, in clear when it does not", async () => {
    const overTls = mailerFor({ VAULTDESK_SMTP_URL: tlsPeer.url, VAULTDESK_SMTP_RELAY_CA_FILE: caFile });
    await overTls.send(message("a@example.test"));
    expect(tlsPeer.secure.at(-1)).toBe(true);
    overTls.close();
    const inClear = mailerFor({ VAULTDESK_SMTP_URL: plainPeer.url });
    await inClear.send(message("b@example.test"));
    expect(plainPeer.secure.at(-1)).toBe(false);
    inClear.close();
  });

  it("when required, sends only over STARTTLS to a relay whose certificate verifies", async () => {
    const required = { VAULTDESK_SMTP_RELAY_TLS: "required" };
    const trusted = mailerFor({ ...required, VAULTDESK_SMTP_URL: tlsPeer.url, VAULTDESK_SMTP_RELAY_CA_FILE: caFile });
    const before = tlsPeer.messages.length;
    await trusted.send(message("c@example.test"));
    expect(tlsPeer.messages.length).toBe(before + 1);
    expect(tlsPeer.secure.at(-1)).toBe(true);
    trusted.close();
    // No STARTTLS offered: nothing is sent.
    const noTls = mailerFor({ ...required, VAULTDESK_SMTP_URL: plainPeer.url });
    const plainBefore = plainPeer.messages.length;
    await expect(noTls.send(message("d@example.test"))).rejects.toThrow();
    expect(plainPeer.messages.length).toBe(plainBefore);
    noTls.close();
    // A certificate from a CA nobody trusts here: nothing is sent.
    const untrusted = mailerFor({ ...required, VAULTDESK_SMTP_URL: tlsPeer.url });
    const tlsBefore = tlsPeer.messages.length;
    await expect(untrusted.send(message("e@example.test"))).rejects.toThrow();
    expect(tlsPeer.messages.length).toBe(tlsBefore);
    untrusted.close();
  });

  it("refuses a setting it cannot use, at start", () => {
    expect(() => loadConfig({ VAULTDESK_DATA_DIR: dir, VAULTDESK_SMTP_RELAY_TLS: "sometimes" })).toThrow(ConfigError);
    expect(() => loadConfig({ VAULTDESK_DATA_DIR: dir, VAULTDESK_SMTP_RELAY_CA_FILE: path.join(dir, "missing.pem") })).toThrow(/VAULTDESK_SMTP_RELAY_CA_FILE/);
    fs.writeFileSync(path.join(dir, "not-a-cert.pem"), "hello");
    expect(() => loadConfig({ VAULTDESK_DATA_DIR: dir, VAULTDESK_SMTP_RELAY_CA_FILE: path.join(dir, "not-a-cert.pem") })).toThrow(/no PEM certificate/);
  });
});
