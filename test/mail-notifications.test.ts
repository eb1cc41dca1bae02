import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp } from "./support/harness.ts";
import { FakeDns, message, send, settled, supportOf } from "./support/mail-in.ts";
import { jobsSettled } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Notifications with the e-mail channel on, end to end over real SMTP both ways: a reply from staff
 * reaches the requester From the tenant's support address with the ticket's signed reply address
 * and Message-IDs that thread; the requester answers that mail through Vaultdesk's own SMTP server
 * and the answer lands in the same ticket, and the assignee is told, with the same threading.
 */

const dns = new FakeDns();
let t: TestApp;
let relay: SmtpPeer;

beforeAll(async () => {
  relay = await startSmtpPeer();
  t = await startTestApp({
    ...(process.env.MAIL_TEST_LOG ? { logStream: process.stderr } : {}),
    env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_SMTP_URL: relay.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" },
    dnsResolver: dns.resolver,
  });
  dns.domain("customer.test");
});
afterAll(async () => {
  await t?.close();
  await relay?.close();
});

describe("notifications through the e-mail channel", () => {
  it("come from the support address with a reply address that threads the answer into the ticket", async () => {
    const a = await buildTenant(t, "mnote");
    const agent = await buildUser(t, a, "agent", "Alex Agent");
    expect((await a.api("PUT", "/api/v2/account.json", { account: { name: "Acme Support" } })).status).toBe(200);
    const customer = "pat@customer.test";
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Printer", comment: { body: "Opened by phone.", public: false }, requester: { name: "Pat Customer", email: customer }, assignee_id: agent.id } });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    let since = relay.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "We will replace the drum." } } }, { email: agent.email, token: agent.token! })).status).toBe(200);
    await jobsSettled(t, a.tenantId);
    const note = relay.messages.slice(since).find((m) => m.to && JSON.stringify(m.to).includes(customer))!;
    expect(note).toBeDefined();
    expect(note.from?.value[0]).toEqual({ address: supportOf(a), name: "Acme Support" });
    const replyTo = note.replyTo!.value[0]!.address!;
    expect(replyTo).toMatch(new RegExp(`^support\\+${id}-[0-9a-f]{20}@${a.subdomain}\\.localhost$`));
    expect(note.messageId).toMatch(new RegExp(`^<vd\\.${id}\\.\\d+\\.[0-9a-f]{20}@${a.subdomain}\\.localhost>$`));
    const root = `<vd.${id}.0.`;
    expect(note.inReplyTo).toContain(root);

    // The customer answers the mail: through Vaultdesk's SMTP server, to the reply address.
    since = relay.messages.length;
    const sent = await send(t.app.smtpIn!.port, { from: customer, to: [replyTo] }, message({ from: `Pat Customer <${customer}>`, to: replyTo, subject: "Re: Printer", text: "Thanks, Thursday works.", inReplyTo: note.messageId! }));
    expect(sent.accepted).toEqual([replyTo]);
    await settled(t, a, 1);
    const comments = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Array<{ body: string; via: { channel: string } }>;
    expect(comments.at(-1)).toMatchObject({ via: { channel: "email" } });
    expect(comments.at(-1)!.body).toContain("Thanks, Thursday works.");
    // The assignee is told, in the same thread, and may answer it the same way.
    await jobsSettled(t, a.tenantId);
    const toAgent = relay.messages.slice(since).find((m) => JSON.stringify(m.to).includes(agent.email))!;
    expect(toAgent).toBeDefined();
    expect(toAgent.text).toContain("Thanks, Thursday works.");
    expect(toAgent.replyTo!.value[0]!.address).toBe(replyTo);
    expect(toAgent.inReplyTo).toContain(root);
  });
});
