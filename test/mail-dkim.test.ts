import { authenticate } from "mailauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { FakeDns } from "./support/mail-in.ts";
import { jobsSettled } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * DKIM for a team's own domain, over real SMTP: the admin makes a key, publishes the TXT record the
 * API gives, the check verifies it against DNS (the injectable resolver), and notifications From
 * an address at the domain then carry a signature that mailauth — another implementation —
 * verifies against the same DNS; removing the key stops the signing.
 */

const dns = new FakeDns();
let t: TestApp;
let relay: SmtpPeer;

beforeAll(async () => {
  relay = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_SMTP_URL: relay.url, VAULTDESK_JOB_POLL_SECONDS: "0.1", VAULTDESK_MAIL_DOMAIN: "mail.vaultdesk.test" }, dnsResolver: dns.resolver });
});
afterAll(async () => {
  await t?.close();
  await relay?.close();
});

/** Makes help@<domain> the tenant's default support address, its forwarding verified (the round trip itself is tested in test/mail-inbound.test.ts). */
async function sendFrom(a: TestTenant, address: string): Promise<void> {
  const r = await a.api("POST", "/api/v2/recipient_addresses.json", { recipient_address: { email: address, name: "Acme Help", default: true } });
  expect(r.status, r.text).toBe(201);
  await t.db.tenant(a.tenantId, (tx) => tx.db.updateTable("support_addresses").set({ forwarding_status: "verified" }).where("nice_id", "=", r.body.recipient_address.id).execute());
}

async function notifyCustomer(a: TestTenant, text: string) {
  const customer = `c${Date.now()}@customer.test`;
  const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Signed mail", comment: { body: text }, requester: { name: "Pat", email: customer } } });
  expect(c.status, c.text).toBe(201);
  await jobsSettled(t, a.tenantId);
  const i = relay.messages.findIndex((m) => JSON.stringify(m.to).includes(customer));
  expect(i).toBeGreaterThanOrEqual(0);
  return relay.raw[i]!;
}

describe("DKIM keys", () => {
  it("sign notifications From the team's domain once DNS publishes the key, and stop when it is removed", async () => {
    const a = await buildTenant(t, "dkim");
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("POST", "/api/v2/dkim_keys.json", { dkim_key: { domain: "acme.example" } }, { email: agent.email, token: agent.token! })).status).toBe(403);
    for (const bad of ["acme", "-x.example", "a b.example", "x".repeat(300) + ".example", "mail.vaultdesk.test", "t1.mail.vaultdesk.test"]) {
      expect((await a.api("POST", "/api/v2/dkim_keys.json", { dkim_key: { domain: bad } })).status, bad).toBe(422);
    }
    const made = await a.api("POST", "/api/v2/dkim_keys.json", { dkim_key: { domain: "Acme.Example" } });
    expect(made.status, made.text).toBe(201);
    const key = made.body.dkim_key;
    expect(key).toMatchObject({ domain: "acme.example", status: "pending", checked_at: null, dns_record: { type: "TXT", name: `${key.selector}._domainkey.acme.example` } });
    expect(key.dns_record.value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}$/);
    expect(JSON.stringify(made.body)).not.toMatch(/PRIVATE KEY/);
    expect((await a.api("POST", "/api/v2/dkim_keys.json", { dkim_key: { domain: "acme.example" } })).status).toBe(422);
    await sendFrom(a, "help@acme.example");

    // Not published yet: pending, and mail is not signed.
    expect((await a.api("POST", `/api/v2/dkim_keys/${key.id}/check.json`)).body.dkim_key.status).toBe("pending");
    let raw = await notifyCustomer(a, "before the key is published");
    expect(raw.toString("latin1")).not.toMatch(/^DKIM-Signature:/im);
    // Another key in DNS (someone else's): still pending.
    dns.txt.set(key.dns_record.name, ["v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong"]);
    expect((await a.api("POST", `/api/v2/dkim_keys/${key.id}/check.json`)).body.dkim_key.status).toBe("pending");
    // Published, split into strings as DNS does with long values: verified.
    const value: string = key.dns_record.value;
    dns.txt.set(key.dns_record.name, [value.slice(0, 200) + value.slice(200)]);
    const checked = await a.api("POST", `/api/v2/dkim_keys/${key.id}/check.json`);
    expect(checked.body.dkim_key).toMatchObject({ status: "verified", checked_at: expect.any(String) });

    raw = await notifyCustomer(a, "signed with the team's key");
    const verdict = await authenticate(raw, { ip: "127.0.0.1", helo: "relay.test", sender: "help@acme.example", mta: "mx.customer.test", resolver: dns.resolver as never });
    const results = verdict.dkim.results as Array<{ signingDomain: string; selector: string; status: { result: string } }>;
    expect(results.map((r) => [r.signingDomain, r.selector, r.status.result])).toEqual([["acme.example", key.selector, "pass"]]);

    // Another tenant can neither check nor remove it.
    const b = await buildTenant(t, "dkimb");
    expect((await b.api("POST", `/api/v2/dkim_keys/${key.id}/check.json`)).status).toBe(404);
    expect((await b.api("DELETE", `/api/v2/dkim_keys/${key.id}.json`)).status).toBe(404);
    expect((await b.api("GET", "/api/v2/dkim_keys.json")).body.dkim_keys).toEqual([]);

    expect((await a.api("DELETE", `/api/v2/dkim_keys/${key.id}.json`)).status).toBe(204);
    raw = await notifyCustomer(a, "after the key was removed");
    expect(raw.toString("latin1")).not.toMatch(/^DKIM-Signature:/im);
  });
});
