import crypto from "node:crypto";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { FakeDns, message, send, settled, supportOf } from "./support/mail-in.ts";
import { asSession, jobsSettled, signInByMail } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Notifications to the people copied on a ticket (its CCs, `collaborator_ids`), over real HTTP and
 * real SMTP both ways: each CC gets a mail of their own on a public comment from someone else,
 * threaded like the requester's, and never an internal note; a CC who replies to that mail writes
 * into the ticket as themselves; a CC removed from the ticket, suspended, deleted or blocklisted
 * gets nothing, nor does anyone on a ticket its requester cannot see; the setting turns it off.
 */

const dns = new FakeDns();
let t: TestApp;
let relay: SmtpPeer;

beforeAll(async () => {
  relay = await startSmtpPeer();
  t = await startTestApp({
    env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_SMTP_URL: relay.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" },
    dnsResolver: dns.resolver,
  });
  dns.domain("customer.test");
});
afterAll(async () => {
  await t?.close();
  await relay?.close();
});

const recipients = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((x) => x.value.map((v) => (v.address ?? "").toLowerCase()));
const address = (name: string) => `${name}-${crypto.randomBytes(3).toString("hex")}@customer.test`;

/** Every mail received since `since` messages (with its bytes), once the tenant's jobs have settled. */
async function mailSince(a: TestTenant, since: number): Promise<Array<{ mail: ParsedMail; raw: string }>> {
  await jobsSettled(t, a.tenantId);
  return relay.messages.slice(since).map((mail, i) => ({ mail, raw: relay.raw[since + i]!.toString("utf8") }));
}
const to = (all: Array<{ mail: ParsedMail; raw: string }>, email: string) => all.filter((m) => recipients(m.mail).includes(email.toLowerCase()));

/** An end user with an address at customer.test (its mail passes SPF in the fake DNS). */
async function endUser(a: TestTenant, name: string): Promise<{ id: number; email: string }> {
  const email = address(name.split(" ")[0]!.toLowerCase());
  const r = await a.api("POST", "/api/v2/users.json", { user: { name, email, role: "end-user" } });
  expect(r.status, r.text).toBe(201);
  return { id: r.body.user.id as number, email };
}

describe("CC notifications", () => {
  it("each CC gets a mail of their own on a public comment, threaded like the requester's; internal notes reach nobody", async () => {
    const a = await buildTenant(t, "ccmain");
    const agent = await buildUser(t, a, "agent", "Alex Agent");
    const watcher = await buildUser(t, a, "agent", "Wendy Watcher");
    const requester = await endUser(a, "Pat Customer");
    const cc = await endUser(a, "Chris Colleague");
    const cc2 = await endUser(a, "Dana Deputy");
    await jobsSettled(t, a.tenantId); // mail queued earlier (a new agent's invitation) is out first
    let since = relay.messages.length;
    const c = await a.api(
      "POST",
      "/api/v2/tickets.json",
      { ticket: { subject: "Broken invoice", comment: { body: "We are looking into invoice 2211. Card 4111 1111 1111 1111 was charged." }, requester_id: requester.id, assignee_id: agent.id, collaborator_ids: [cc.id, cc2.id, watcher.id, requester.id, cc.id] } },
      { email: agent.email, token: agent.token! },
    );
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    // The requester is never their own CC; each CC once.
    expect(c.body.ticket.collaborator_ids).toEqual([watcher.id, cc.id, cc2.id].sort((x, y) => x - y));
    let all = await mailSince(a, since);
    expect(to(all, requester.email).map((m) => m.mail.subject)).toEqual([expect.stringContaining("Re: Broken invoice")]);
    for (const person of [cc, cc2, watcher]) {
      const got = to(all, person.email);
      expect(got, person.email).toHaveLength(1);
      const { mail, raw } = got[0]!;
      // Alone on the mail: no other CC, not the requester, in any header or the body.
      expect(recipients(mail)).toEqual([person.email.toLowerCase()]);
      expect(mail.cc).toBeUndefined();
      for (const other of [cc, cc2, watcher, requester].filter((p) => p !== person)) expect(raw).not.toContain(other.email);
      expect(mail.text).toContain("We are looking into invoice 2211.");
      expect(mail.text).toContain("**** **** **** 1111");
      expect(mail.text).not.toMatch(/4111 1111 1111 1111/);
      expect(mail.text).toContain("Alex Agent wrote on request");
      // Threaded like the requester's mail: the support address, the ticket's signed reply address.
      expect(mail.from?.value[0]?.address).toBe(supportOf(a));
      expect(mail.replyTo!.value[0]!.address).toMatch(new RegExp(`^support\\+${id}-[0-9a-f]{20}@${a.subdomain}\\.localhost$`));
      expect(mail.messageId).toMatch(new RegExp(`^<vd\\.${id}\\.\\d+\\.[0-9a-f]{20}@${a.subdomain}\\.localhost>$`));
      expect(mail.inReplyTo).toContain(`<vd.${id}.0.`);
    }
    // An end user copied on a request reads it in the help center: their link is the request there.
    expect(to(all, cc.email)[0]!.mail.text).toContain(`${a.origin}/requests/${id}\n`);
    expect(to(all, watcher.email)[0]!.mail.text).toContain(`${a.origin}/agent/tickets/${id}`);
    // The author is not told of their own comment.
    expect(to(all, agent.email)).toEqual([]);

    // An internal note: no mail at all, to anyone.
    await jobsSettled(t, a.tenantId); // mail queued earlier (a new agent's invitation) is out first
    since = relay.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Secret: the customer owes us 9000.", public: false } } })).status).toBe(200);
    all = await mailSince(a, since);
    expect(all.map((m) => recipients(m.mail))).toEqual([]);

    // A public reply by another agent: each CC once, the assignee (not a CC) nothing, the note nowhere.
    await jobsSettled(t, a.tenantId); // mail queued earlier (a new agent's invitation) is out first
    since = relay.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "The refund is on its way." } } }, { email: watcher.email, token: watcher.token! })).status).toBe(200);
    all = await mailSince(a, since);
    expect(all.flatMap((m) => recipients(m.mail)).sort()).toEqual([requester.email, cc.email, cc2.email].map((x) => x.toLowerCase()).sort());
    expect(all.map((m) => m.raw).join("\n")).not.toContain("owes us");
  });

  it("a CC's reply by mail threads into the ticket as that CC; the others are told, the assignee once although also a CC", async () => {
    const a = await buildTenant(t, "ccreply");
    const agent = await buildUser(t, a, "agent", "Alex Agent");
    const requester = await endUser(a, "Pat Customer");
    const cc = await endUser(a, "Chris Colleague");
    const cc2 = await endUser(a, "Dana Deputy");
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Printer", comment: { body: "We will replace the drum." }, requester_id: requester.id, assignee_id: agent.id, collaborator_ids: [cc.id, cc2.id, agent.id] } });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    const all = await mailSince(a, 0);
    const note = to(all, cc.email).find((m) => m.mail.text?.includes("replace the drum"))!.mail;
    const replyTo = note.replyTo!.value[0]!.address!;

    // The CC answers the mail through Vaultdesk's SMTP server, to the reply address.
    await jobsSettled(t, a.tenantId); // mail queued earlier (a new agent's invitation) is out first
    const since = relay.messages.length;
    const sent = await send(t.app.smtpIn!.port, { from: cc.email, to: [replyTo] }, message({ from: `Chris Colleague <${cc.email}>`, to: replyTo, subject: "Re: Printer", text: "Thursday suits our office.", inReplyTo: note.messageId! }));
    expect(sent.accepted).toEqual([replyTo]);
    expect(await settled(t, a, 1)).toEqual([{ state: "comment", outcome: "reply_address" }]);
    const comments = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Array<{ body: string; author_id: number; public: boolean; via: { channel: string } }>;
    expect(comments.at(-1)).toMatchObject({ author_id: cc.id, public: true, via: { channel: "email" } });
    expect(comments.at(-1)!.body).toContain("Thursday suits our office.");

    const told = await mailSince(a, since);
    // The requester (a public reply), the other CC (a CC notification), the assignee once (a customer's update).
    expect(to(told, requester.email)).toHaveLength(1);
    expect(to(told, requester.email)[0]!.mail.text).toContain("Thursday suits our office.");
    expect(to(told, cc2.email)).toHaveLength(1);
    expect(to(told, cc2.email)[0]!.mail.text).toContain("Chris Colleague wrote on request");
    expect(to(told, agent.email)).toHaveLength(1);
    expect(to(told, agent.email)[0]!.mail.text).toContain("Chris Colleague wrote on ticket");
    // Not the CC who wrote it.
    expect(to(told, cc.email)).toEqual([]);
    expect(told).toHaveLength(3);
  });

  it("a requester's reply in the help center reaches the CCs", async () => {
    const a = await buildTenant(t, "cchc");
    const requester = await endUser(a, "Pat Customer");
    const cc = await endUser(a, "Chris Colleague");
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Access", comment: { body: "Which account?" }, requester_id: requester.id, collaborator_ids: [cc.id] } });
    expect(c.status, c.text).toBe(201);
    const session = await signInByMail(t, relay, a, requester.email);
    await jobsSettled(t, a.tenantId); // mail queued earlier (a new agent's invitation) is out first
    const since = relay.messages.length;
    expect((await asSession(t, a, session, "PUT", `/api/v2/requests/${c.body.ticket.id}.json`, { request: { comment: { body: "The one for the Oslo office." } } })).status).toBe(200);
    const told = await mailSince(a, since);
    expect(to(told, cc.email)).toHaveLength(1);
    expect(to(told, cc.email)[0]!.mail.text).toContain("The one for the Oslo office.");
    expect(to(told, requester.email)).toEqual([]);
  });

  it("a CC removed from the ticket, suspended, deleted or on the blocklist gets nothing; the setting turns it off; content-free carries only a link", async () => {
    const a = await buildTenant(t, "ccoff");
    const start = relay.messages.length;
    const requester = await endUser(a, "Pat Customer");
    const [kept, removed, suspended, deleted, blocked] = await Promise.all(["Kim Kept", "Rob Removed", "Sue Suspended", "Del Deleted", "Bo Blocked"].map((n) => endUser(a, n)));
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Lab results", comment: { body: "Opened by phone.", public: false }, requester_id: requester.id, collaborator_ids: [kept!.id, removed!.id, suspended!.id, deleted!.id, blocked!.id] } });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    // Nothing yet: the ticket is not one its requester can see.
    expect(await mailSince(a, start)).toEqual([]);

    const u = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { collaborator_ids: [kept!.id, suspended!.id, deleted!.id, blocked!.id] } });
    expect(u.status, u.text).toBe(200);
    expect(u.body.ticket.collaborator_ids).not.toContain(removed!.id);
    expect(u.body.audit.events).toEqual([expect.objectContaining({ field_name: "collaborator_ids", previous_value: expect.arrayContaining([removed!.id]) })]);
    expect((await a.api("PUT", `/api/v2/users/${suspended!.id}.json`, { user: { suspended: true } })).status).toBe(200);
    expect((await a.api("DELETE", `/api/v2/users/${deleted!.id}.json`)).status).toBe(200);
    expect((await a.api("PUT", "/api/v2/mail_settings.json", { settings: { blocklist: [blocked!.email] } })).status).toBe(200);

    await jobsSettled(t, a.tenantId); // mail queued earlier (a new agent's invitation) is out first

    let since = relay.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Glucose 5.4 mmol/L." } } })).status).toBe(200);
    let told = await mailSince(a, since);
    expect(told.flatMap((m) => recipients(m.mail)).sort()).toEqual([requester.email, kept!.email].map((x) => x.toLowerCase()).sort());

    // Turned off: the requester is still told, the CCs are not.
    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { cc_update: false } })).body.settings.cc_update).toBe(false);
    await jobsSettled(t, a.tenantId); // mail queued earlier (a new agent's invitation) is out first
    since = relay.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Cholesterol 6.1." } } })).status).toBe(200);
    told = await mailSince(a, since);
    expect(told.flatMap((m) => recipients(m.mail))).toEqual([requester.email.toLowerCase()]);

    // Content-free: a link to the request in the help center, neither the subject nor the comment.
    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { cc_update: true, content_free: true } })).status).toBe(200);
    await jobsSettled(t, a.tenantId); // mail queued earlier (a new agent's invitation) is out first
    since = relay.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Iron 12 µmol/L." } } })).status).toBe(200);
    told = await mailSince(a, since);
    const [mail] = to(told, kept!.email);
    expect(mail!.mail.subject).toContain(`Request #${id} updated`);
    expect(mail!.raw).not.toContain("Lab results");
    expect(mail!.mail.text).not.toContain("Iron");
    expect(mail!.mail.text).toContain(`${a.origin}/requests/${id}`);
  });

  it("a ticket its requester cannot see tells its CCs nothing, not even when it is solved", async () => {
    const a = await buildTenant(t, "ccpriv");
    const start = relay.messages.length;
    const requester = await endUser(a, "Pat Customer");
    const cc = await endUser(a, "Chris Colleague");
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Internal audit", comment: { body: "Fraud suspected.", public: false }, requester_id: requester.id, collaborator_ids: [cc.id] } });
    expect(c.status, c.text).toBe(201);
    expect(c.body.ticket.is_public).toBe(false);
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "Confirmed.", public: false } } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { status: "solved" } })).status).toBe(200);
    expect(await mailSince(a, start)).toEqual([]);
  });

  it("CCs are this tenant's users: another tenant's user id answers like a missing one; light agents cannot set them", async () => {
    const a = await buildTenant(t, "ccapi");
    const b = await buildTenant(t, "ccapib");
    const requester = await endUser(a, "Pat Customer");
    // A user of the other tenant whose id is not one of this tenant's users.
    for (let i = 0; i < 6; i++) await endUser(b, `Other ${i}`);
    const foreign = await endUser(b, "Eve Outsider");
    expect((await a.api("GET", `/api/v2/users/${foreign.id}.json`)).status).toBe(404);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Mine", comment: { body: "Hello." }, requester_id: requester.id } });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;

    const viaForeign = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { collaborator_ids: [foreign.id] } });
    const viaMissing = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { collaborator_ids: [987_654_321] } });
    expect(viaForeign.status).toBe(422);
    expect(viaForeign.body).toEqual(viaMissing.body);
    const created = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "y" }, requester_id: requester.id, collaborator_ids: [foreign.id] } });
    expect(created.status).toBe(422);
    // Bad input is a 4xx, never a 500.
    for (const bad of [["x"], [0], [-1], [1.5], "1", null, Array.from({ length: 49 }, (_, i) => i + 1)]) {
      const r = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { collaborator_ids: bad } });
      expect(r.status, JSON.stringify(bad)).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(bad)).toBeLessThan(500);
    }
    const light = await buildUser(t, a, "light-agent");
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { collaborator_ids: [requester.id] } }, { email: light.email, token: light.token! })).status).toBe(403);
    // Nothing of it reached the ticket, nor the other tenant's user.
    expect((await a.api("GET", `/api/v2/tickets/${id}.json`)).body.ticket.collaborator_ids).toEqual([]);
    await jobsSettled(t, a.tenantId);
    expect(relay.messages.filter((m) => recipients(m).includes(foreign.email.toLowerCase()))).toEqual([]);
  });
});
