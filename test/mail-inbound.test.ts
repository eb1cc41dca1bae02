import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { rotateTenantKey } from "../src/modules/keys/keys-service.ts";
import { shredTenant } from "../src/modules/tenants/tenants-service.ts";
import { createBlobStore, sealedBlobKeyVersion } from "../src/platform/blobs/index.ts";
import { startSmtpPeer } from "./support/smtp-peer.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createThreading } from "../src/modules/mail/threading.ts";
import { purgeUnkeptMail, removeOrphanMail } from "../src/modules/mail/mail-retention.ts";
import { putSealed } from "../src/platform/blobs/index.ts";
import crypto from "node:crypto";
import type { Database } from "../src/platform/db/database.ts";
import { buildTenant, buildUser, openTestDatabase, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { FakeDns, message, send, settled, signed, supportOf } from "./support/mail-in.ts";
import { makeTestCertificate } from "./support/test-ca.ts";
import { refsOf } from "../src/platform/crypto/sealed-columns.ts";

/**
 * The inbound e-mail channel over real SMTP conversations (nodemailer → the built-in SMTP
 * server) on a real database: tickets, threading by signed tokens only, CCs, suspended tickets,
 * SPF/DKIM/DMARC through a DNS table (never the network), loops and floods, size limits, HTML.
 */

const dns = new FakeDns();
let t: TestApp;
let port: number;

beforeAll(async () => {
  t = await startTestApp({
    ...(process.env.MAIL_TEST_LOG ? { logStream: process.stderr } : {}),
    env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1", VAULTDESK_SMTP_MAX_BYTES: "60000", VAULTDESK_MAIL_SENDER_LIMIT_PER_HOUR: "4" },
    dnsResolver: dns.resolver,
  });
  port = t.app.smtpIn!.port;
  // customer.test: mail from 127.0.0.1, DMARC reject (SPF passes for the test's client).
  dns.domain("customer.test");
  // bank.test: mail only from 10.9.9.9: anything from 127.0.0.1 fails SPF and DMARC.
  dns.domain("bank.test", { ip: "10.9.9.9" });
  // staff.test: the team's own domain; DMARC reject; SPF allows only 10.9.9.9 (so only DKIM can pass).
  dns.domain("staff.test", { ip: "10.9.9.9" });
  // nodmarc.test: no DMARC policy at all.
  dns.txt.set("nodmarc.test", ["v=spf1 ?all"]);
});
afterAll(async () => t?.close());

type Json = Record<string, any>;
const tickets = async (a: TestTenant): Promise<Json[]> => (await a.api("GET", "/api/v2/tickets.json")).body.tickets;
const comments = async (a: TestTenant, id: number): Promise<Json[]> => (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments;
const suspended = async (a: TestTenant): Promise<Json[]> => (await a.api("GET", "/api/v2/suspended_tickets.json")).body.suspended_tickets;
const mail = (a: TestTenant, from: string, m: Partial<Parameters<typeof message>[0]> = {}, rcpt?: string) =>
  send(port, { from: /<([^>]+)>/.exec(from)?.[1] ?? from, to: [rcpt ?? supportOf(a)] }, message({ from, to: supportOf(a), ...m }));

/** A tenant's processed messages in order, with the authentication results each was judged on. */
async function judged(a: TestTenant): Promise<Array<{ state: string; outcome: string | null; auth: unknown }>> {
  return t.db.tenant(a.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    const { rows } = await sql<{ id: string; state: string; outcome: string | null; auth_results_sealed: Uint8Array | null }>`SELECT id, state, outcome, auth_results_sealed FROM inbound_messages WHERE tenant_id = ${a.tenantId} AND state <> 'queued' ORDER BY processed_at NULLS LAST, received_at`.execute(tx.db);
    return rows.map((r) => ({ state: r.state, outcome: r.outcome, auth: r.auth_results_sealed ? sealer.openJson(r.auth_results_sealed, refsOf("inbound_messages")(r.id, "auth_results")) : null }));
  });
}

/** The signed reply address and Message-ID of a ticket, as notifications will write them. */
async function tokensOf(a: TestTenant, ticketNice: number, commentNice = 1) {
  return t.db.tenant(a.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    const th = createThreading(sealer, { subdomain: a.subdomain, mailDomain: "localhost" });
    return { reply: th.replyAddressFor({ niceId: ticketNice }), messageId: th.messageIdFor({ niceId: ticketNice }, { niceId: commentNice }) };
  });
}

describe("inbound e-mail: new messages", () => {
  it("opens a ticket: the sender becomes the requester (found by address or created), CCs join, the original stays downloadable by staff only", async () => {
    const a = await buildTenant(t);
    const known = await buildUser(t, a, "end-user", "Known Person");
    const r = await mail(a, "Alice Doe <alice@customer.test>", { subject: "Order 42 missing", cc: `${known.email}, Bob <bob@elsewhere.test>, ${supportOf(a)}`, text: "Where is my parcel?" });
    expect(r.rejected).toEqual([]);
    expect(r.response).toMatch(/^250/);
    expect(await settled(t, a, 1)).toEqual([{ state: "ticket", outcome: null }]);
    const [ticket] = await tickets(a);
    expect(ticket).toMatchObject({ subject: "Order 42 missing", via: { channel: "email" }, status: "new", is_public: true });
    const requester = (await a.api("GET", `/api/v2/users/${ticket!.requester_id}.json`)).body.user;
    expect(requester).toMatchObject({ name: "Alice Doe", email: "alice@customer.test", role: "end-user" });
    // Staff find the senders the mail created by the start of their names and addresses (the name index).
    const found = async (q: string) => ((await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`)).body.results as Json[]).map((u) => u.id);
    expect(await found("type:user ali* doe")).toEqual([requester.id]);
    expect(await found("type:user customer.test")).toEqual([requester.id]);
    expect(await found("type:user email:bob@else*")).toHaveLength(1);
    // CCs: the known user and a new end user; never the support address.
    expect(ticket!.collaborator_ids).toHaveLength(2);
    expect(ticket!.collaborator_ids).toContain(known.id);
    expect(ticket!.email_cc_ids).toEqual(ticket!.collaborator_ids);
    const [c] = await comments(a, ticket!.id);
    expect(c).toMatchObject({ body: "Where is my parcel?", public: true, author_id: ticket!.requester_id });
    // The original, as received, for staff; audit-logged.
    const orig = await a.api("GET", `/api/v2/tickets/${ticket!.id}/comments/${c!.id}/original`);
    expect(orig.status).toBe(200);
    expect(orig.headers["content-type"]).toBe("message/rfc822");
    expect(orig.headers["content-disposition"]).toMatch(/^attachment/);
    expect(orig.text).toContain("Subject: Order 42 missing");
    const logs = (await a.api("GET", "/api/v2/audit_logs.json")).body.audit_logs as Json[];
    expect(logs.some((l) => l.action === "ticket.original_email_viewed")).toBe(true);
    // An agent may read it; a light agent sees the ticket but not... an end user never.
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("GET", `/api/v2/tickets/${ticket!.id}/comments/${c!.id}/original`, undefined, { email: agent.email, token: agent.token! })).status).toBe(200);
    // Another tenant's ids answer 404.
    const b = await buildTenant(t);
    expect((await b.api("GET", `/api/v2/tickets/${ticket!.id}/comments/${c!.id}/original`)).status).toBe(404);
  });

  it("refuses recipients it does not serve (550) and another tenant's address in the same message (452)", async () => {
    const a = await buildTenant(t);
    const b = await buildTenant(t);
    const unknown = await send(port, { from: "alice@customer.test", to: ["nobody@nowhere.test"] }, message({ from: "alice@customer.test", to: "nobody@nowhere.test" }));
    expect(unknown.code).toBe(550);
    const notSupport = await send(port, { from: "alice@customer.test", to: [`sales@${a.subdomain}.localhost`] }, message({ from: "alice@customer.test", to: "x" }));
    expect(notSupport.code).toBe(550);
    const both = await send(port, { from: "alice@customer.test", to: [supportOf(a), supportOf(b)] }, message({ from: "alice@customer.test", to: supportOf(a) }));
    expect(both.accepted).toEqual([supportOf(a)]);
    expect(both.rejected).toEqual([supportOf(b)]);
    expect(await settled(t, a, 1)).toHaveLength(1);
    expect(await tickets(b)).toEqual([]);
  });

  it("refuses a message over VAULTDESK_SMTP_MAX_BYTES with 552, before and after its size is announced, and stores nothing", async () => {
    const a = await buildTenant(t);
    const huge = message({ from: "alice@customer.test", to: supportOf(a), text: "x".repeat(200) + ("y".repeat(998) + "\r\n").repeat(80) });
    const r = await send(port, { from: "alice@customer.test", to: [supportOf(a)] }, huge);
    expect(r.code).toBe(552);
    // A raw client that announces no size: the data is read to its end and refused.
    const raw = await rawSmtp([`EHLO client.test`, `MAIL FROM:<alice@customer.test>`, `RCPT TO:<${supportOf(a)}>`, "DATA"], huge + "\r\n.\r\n");
    expect(raw.at(-2)).toMatch(/^552/);
    const n = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM inbound_messages`.execute(tx.db)).rows[0]!.n);
    expect(n).toBe(0);
  });

  it("keeps a subject with encoded line breaks on one line, and refuses recipients with injected characters", async () => {
    const a = await buildTenant(t);
    // "Hi\r\nBcc: victim@x.test" as an encoded word: decoded, it must not become anything but text.
    const enc = `=?utf-8?B?${Buffer.from("Hi\r\nBcc: victim@x.test\r\n\r\nInjected body").toString("base64")}?=`;
    await mail(a, "alice@customer.test", { subject: enc });
    await settled(t, a, 1);
    const [ticket] = await tickets(a);
    expect(ticket!.subject).toBe("Hi Bcc: victim@x.test Injected body");
    expect(ticket!.collaborator_ids).toEqual([]);
    const raw = await rawSmtp([`EHLO client.test`, `MAIL FROM:<alice@customer.test>`, `RCPT TO:<"x\\"y"@${a.subdomain}.localhost>`, `RCPT TO:<support@${a.subdomain}.localhost,evil@x.test>`]);
    expect(raw.slice(-3, -1), raw.join(" | ")).toEqual([expect.stringMatching(/^5/), expect.stringMatching(/^5/)]);
  });

  it("sanitizes HTML: no script, no remote image or tracking pixel reaches the agent", async () => {
    const a = await buildTenant(t);
    await mail(a, "alice@customer.test", {
      text: "",
      html: `<p>Hello <b>team</b></p><img src="http://tracker.test/pixel.gif?u=alice" width="1" height="1"><img alt="logo" src="https://cdn.test/logo.png"><script>alert(1)</script><p style="background:url(http://tracker.test/bg)">x</p><a href="javascript:alert(1)">bad</a>`,
    });
    await settled(t, a, 1);
    const [ticket] = await tickets(a);
    const [c] = await comments(a, ticket!.id);
    expect(c!.html_body).toContain("<b>team</b>");
    expect(c!.html_body).toContain("[image: logo]");
    for (const bad of ["<img", "tracker.test", "cdn.test", "<script", "javascript:", "style="]) expect(c!.html_body).not.toContain(bad);
    expect(c!.body).toContain("Hello team");
  });
});

describe("inbound e-mail: threading by signed tokens only", () => {
  it("threads a requester's reply through the reply address, and through In-Reply-To / References", async () => {
    const a = await buildTenant(t);
    await mail(a, "carol@customer.test", { subject: "Broken lamp" });
    await settled(t, a, 1);
    const [ticket] = await tickets(a);
    const tok = await tokensOf(a, ticket!.id);
    expect(tok.reply).toMatch(new RegExp(`^support\\+${ticket!.id}-[0-9a-f]{20}@${a.subdomain}\\.localhost$`));
    await send(port, { from: "carol@customer.test", to: [tok.reply] }, message({ from: "carol@customer.test", to: tok.reply, subject: "Re: Broken lamp", text: "Any news?" }));
    await mail(a, "carol@customer.test", { subject: "totally different subject", inReplyTo: tok.messageId, text: "Second reply" });
    await mail(a, "carol@customer.test", { subject: "third", references: `<unrelated@x.test> ${tok.messageId}`, text: "Third reply" });
    const states = await settled(t, a, 4);
    expect(states.map((s) => s.state)).toEqual(["ticket", "comment", "comment", "comment"]);
    expect((await tickets(a)).length).toBe(1);
    expect((await comments(a, ticket!.id)).map((c) => c.body)).toEqual(["Hello, my order did not arrive.", "Any news?", "Second reply", "Third reply"]);
  });

  it("never threads by subject, by a tampered token, or by another tenant's token", async () => {
    const a = await buildTenant(t);
    const b = await buildTenant(t);
    await mail(a, "dave@customer.test", { subject: "Printer" });
    await mail(b, "dave@customer.test", { subject: "Printer" });
    await settled(t, a, 1);
    await settled(t, b, 1);
    const [ta] = await tickets(a);
    const good = await tokensOf(a, ta!.id);
    let n = 0;
    const dave = () => `dave${++n}@customer.test`;
    const tampered = good.reply.replace(/-([0-9a-f])/, (_m, c: string) => `-${c === "0" ? "1" : "0"}`);
    // B's token for its own ticket 1, with A's domain: another key, so no match in A.
    const fromB = (await tokensOf(b, 1)).reply.replace(b.subdomain, a.subdomain);
    const bMessageId = (await tokensOf(b, 1)).messageId.replace(b.subdomain, a.subdomain);
    // Each from another sender, so that no per-sender limit decides anything here.
    await mail(a, dave(), { subject: "Re: Printer" });
    const d2 = dave();
    await send(port, { from: d2, to: [tampered] }, message({ from: d2, to: tampered, subject: "Re: Printer" }));
    const d3 = dave();
    await send(port, { from: d3, to: [fromB] }, message({ from: d3, to: fromB, subject: "Re: Printer" }));
    await mail(a, dave(), { subject: "Re: Printer", inReplyTo: bMessageId });
    const states = await settled(t, a, 5);
    expect(states.map((s) => s.state)).toEqual(["ticket", "ticket", "ticket", "ticket", "ticket"]);
    expect(await comments(a, ta!.id)).toHaveLength(1);
  });

  it("suspends a reply from someone who is not on the ticket; recovering it adds the comment and copies the sender", async () => {
    const a = await buildTenant(t);
    await mail(a, "erin@customer.test", { subject: "Invoice" });
    await settled(t, a, 1);
    const [ticket] = await tickets(a);
    const tok = await tokensOf(a, ticket!.id);
    await send(port, { from: "mallory@customer.test", to: [tok.reply] }, message({ from: "mallory@customer.test", to: tok.reply, subject: "Re: Invoice", text: "Please pay to my account instead" }));
    expect((await settled(t, a, 2))[1]).toEqual({ state: "suspended", outcome: "not_participant" });
    expect(await comments(a, ticket!.id)).toHaveLength(1);
    const [s] = await suspended(a);
    expect(s).toMatchObject({ cause_code: "not_participant", ticket_id: ticket!.id, subject: "Re: Invoice", author: { email: "mallory@customer.test" }, via: { channel: "email" } });
    // Light agents and end users never see suspended tickets; another tenant's id is 404.
    const light = await buildUser(t, a, "light-agent");
    expect((await a.api("GET", "/api/v2/suspended_tickets.json", undefined, { email: light.email, token: light.token! })).status).toBe(403);
    const b = await buildTenant(t);
    expect((await b.api("PUT", `/api/v2/suspended_tickets/${s!.id}/recover.json`)).status).toBe(404);
    const rec = await a.api("PUT", `/api/v2/suspended_tickets/${s!.id}/recover.json`);
    expect(rec.status).toBe(200);
    expect(rec.body.ticket.id).toBe(ticket!.id);
    expect(rec.body.ticket.collaborator_ids).toHaveLength(1);
    expect((await comments(a, ticket!.id)).map((c) => c.body)).toEqual(["Hello, my order did not arrive.", "Please pay to my account instead"]);
    expect(await suspended(a)).toEqual([]);
    // Recovered once only.
    expect((await a.api("PUT", `/api/v2/suspended_tickets/${s!.id}/recover.json`)).status).toBe(404);
  });

  it("threads a staff member's reply as that agent only when DMARC passes (DKIM-signed); an unsigned one is suspended", async () => {
    const a = await buildTenant(t);
    const key = dns.dkimKey("staff.test");
    const agentRes = await a.api("POST", "/api/v2/users.json", { user: { name: "Agent Smith", email: "smith@staff.test", role: "agent" } });
    const agentId = agentRes.body.user.id as number;
    await mail(a, "frank@customer.test", { subject: "Refund" });
    await settled(t, a, 1);
    const [ticket] = await tickets(a);
    const tok = await tokensOf(a, ticket!.id);
    const forged = message({ from: "Agent Smith <smith@staff.test>", to: tok.reply, subject: "Re: Refund", text: "Refund approved (forged)" });
    await send(port, { from: "smith@staff.test", to: [tok.reply] }, forged);
    const real = await signed(message({ from: "Agent Smith <smith@staff.test>", to: tok.reply, subject: "Re: Refund", text: "Refund on its way" }), "staff.test", key);
    await send(port, { from: "smith@staff.test", to: [tok.reply] }, real);
    await settled(t, a, 3);
    // What each message was judged on (the sealed authentication results): SPF fails for both (the
    // domain allows only 10.9.9.9); the signed one passes DKIM, aligned, so DMARC.
    expect((await judged(a)).slice(1)).toEqual([
      { state: "suspended", outcome: "authentication_failed", auth: { spf: "fail", dkim: "none", dmarc: "fail", dkimDomains: [] } },
      { state: "comment", outcome: "reply_address", auth: { spf: "fail", dkim: "pass", dmarc: "pass", dkimDomains: ["staff.test"] } },
    ]);
    const cs = await comments(a, ticket!.id);
    expect(cs.map((c) => [c.body, c.author_id])).toEqual([
      ["Hello, my order did not arrive.", ticket!.requester_id],
      ["Refund on its way", agentId],
    ]);
  });

  it("suspends a staff address's reply from a domain without DMARC (unproven), and opens a follow-up for a closed ticket", async () => {
    const a = await buildTenant(t);
    await a.api("POST", "/api/v2/users.json", { user: { name: "Agent Nod", email: "nod@nodmarc.test", role: "agent" } });
    await mail(a, "gina@customer.test", { subject: "Old issue" });
    await settled(t, a, 1);
    const [ticket] = await tickets(a);
    const tok = await tokensOf(a, ticket!.id);
    await send(port, { from: "nod@nodmarc.test", to: [tok.reply] }, message({ from: "nod@nodmarc.test", to: tok.reply, subject: "Re: Old issue" }));
    expect((await settled(t, a, 2))[1]).toEqual({ state: "suspended", outcome: "unauthenticated_staff" });
    await a.api("PUT", `/api/v2/tickets/${ticket!.id}.json`, { ticket: { status: "solved", comment: { body: "done", public: false } } });
    await a.api("PUT", `/api/v2/tickets/${ticket!.id}.json`, { ticket: { status: "closed" } });
    await send(port, { from: "gina@customer.test", to: [tok.reply] }, message({ from: "gina@customer.test", to: tok.reply, subject: "Re: Old issue", text: "It broke again" }));
    expect((await settled(t, a, 3))[2]!.state).toBe("ticket");
    const all = await tickets(a);
    expect(all.map((x) => x.tags)).toEqual([[], ["follow_up"]]);
  });
});

describe("inbound e-mail: suspended tickets, loops and floods", () => {
  it("suspends forged mail failing DMARC, spam-flagged mail and blocked senders; deleting one removes its stored message", async () => {
    const a = await buildTenant(t);
    expect((await a.api("PUT", "/api/v2/mail_settings.json", { settings: { blocklist: ["@spammy.test", "Pest@Customer.test"] } })).body.settings.blocklist).toEqual(["@spammy.test", "pest@customer.test"]);
    await mail(a, "CEO <ceo@bank.test>", { subject: "Wire money now" });
    await mail(a, "harry@customer.test", { subject: "Cheap pills", headers: ["X-Spam-Flag: YES"] });
    await mail(a, "pest@customer.test", { subject: "Again" });
    await mail(a, "x@mail.spammy.test", { subject: "Offer" });
    const states = await settled(t, a, 4);
    expect(states.map((s) => s.outcome).sort()).toEqual(["authentication_failed", "blocklisted", "blocklisted", "spam"]);
    expect(await tickets(a)).toEqual([]);
    const list = await suspended(a);
    expect(list.map((s) => s.cause)).toContain("Detected as spam");
    const forged = list.find((s) => s.cause_code === "authentication_failed")!;
    expect(forged).toMatchObject({ subject: "Wire money now", author: { name: "CEO", email: "ceo@bank.test" } });
    expect((await a.api("GET", `/api/v2/suspended_tickets/${forged.id}.json`)).body.suspended_ticket.id).toBe(forged.id);
    const files = () => t.db.tenant(a.tenantId, async (tx) => (await sql<{ id: string }>`SELECT id FROM inbound_messages WHERE state = 'suspended'`.execute(tx.db)).rows.map((r) => r.id));
    const before = await files();
    expect((await a.api("DELETE", `/api/v2/suspended_tickets/${forged.id}.json`)).status).toBe(204);
    expect((await a.api("GET", `/api/v2/suspended_tickets/${forged.id}.json`)).status).toBe(404);
    const after = await files();
    expect(after).toHaveLength(before.length - 1);
    const removed = before.find((id) => !after.includes(id))!;
    expect(fs.existsSync(`${t.config.blobDir}/${a.tenantId}/mail/${removed}`)).toBe(false);
    expect(fs.existsSync(`${t.config.blobDir}/${a.tenantId}/mail/${after[0]}`)).toBe(true);
  });

  it("recovers and deletes several at once, all or nothing", async () => {
    const a = await buildTenant(t);
    const b = await buildTenant(t);
    for (const who of ["r1", "r2", "r3", "r4"]) await mail(a, `${who}@customer.test`, { subject: `Held ${who}`, headers: ["X-Spam-Flag: YES"] });
    await mail(b, "other@customer.test", { subject: "B's", headers: ["X-Spam-Flag: YES"] });
    await settled(t, a, 4);
    await settled(t, b, 1);
    const ids = (await suspended(a)).map((s) => s.id as number).sort((x, y) => x - y);
    // One id that is not A's (B's, or none) refuses the whole request and changes nothing.
    expect((await a.api("PUT", `/api/v2/suspended_tickets/recover_many.json?ids=${ids[0]},999`)).status).toBe(404);
    expect((await b.api("DELETE", `/api/v2/suspended_tickets/destroy_many.json?ids=${ids[2]},${ids[3]}`)).status).toBe(404);
    expect(await suspended(a)).toHaveLength(4);
    expect(await tickets(a)).toEqual([]);
    const rec = await a.api("PUT", `/api/v2/suspended_tickets/recover_many.json?ids=${ids[0]},${ids[1]}`);
    expect(rec.status).toBe(200);
    expect(rec.body.tickets.map((x: Json) => x.subject).sort()).toEqual(["Held r1", "Held r2"]);
    expect((await a.api("DELETE", `/api/v2/suspended_tickets/destroy_many.json?ids=${ids[2]},${ids[3]}`)).status).toBe(204);
    expect(await suspended(a)).toEqual([]);
    expect(await suspended(b)).toHaveLength(1);
    expect((await a.api("PUT", `/api/v2/suspended_tickets/recover_many.json?ids=${Array.from({ length: 11 }, (_, i) => i + 1).join(",")}`)).status).toBe(422);
  });

  it("keeps a deleted person deleted: their mail is held, recovering it answers 422 until they are restored, and their address is never copied in", async () => {
    const a = await buildTenant(t);
    const gone = await buildUser(t, a, "end-user", "Gone Person");
    expect((await a.api("DELETE", `/api/v2/users/${gone.id}.json`)).status).toBe(200);
    await mail(a, gone.email, { subject: "From the deleted" });
    // Copied in by someone else's message: the ticket is made, without them among its CCs.
    await mail(a, "carol@customer.test", { subject: "Copying the deleted", cc: `${gone.email}, dave@customer.test` });
    const states = await settled(t, a, 2);
    expect(states.map((s) => s.outcome).sort()).toEqual([null, "suspended_user"]);
    const [copied] = await tickets(a);
    expect(copied).toMatchObject({ subject: "Copying the deleted" });
    expect(copied!.collaborator_ids).toHaveLength(1);
    expect(copied!.collaborator_ids).not.toContain(gone.id);
    const [held] = await suspended(a);
    const refused = await a.api("PUT", `/api/v2/suspended_tickets/${held!.id}/recover.json`);
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body.description + JSON.stringify(refused.body.details)).toMatch(/sender was deleted/);
    expect((await a.api("PUT", `/api/v2/suspended_tickets/recover_many.json?ids=${held!.id}`)).status).toBe(422);
    // Nothing was written: still held, no ticket of theirs, the person still deleted.
    expect((await suspended(a)).map((s) => s.id)).toEqual([held!.id]);
    expect((await tickets(a)).map((x) => x.subject)).toEqual(["Copying the deleted"]);
    expect((await a.api("GET", `/api/v2/deleted_users/${gone.id}.json`)).status).toBe(200);
    // Restored, the message is theirs again and recovers into their ticket.
    expect((await a.api("PUT", `/api/v2/deleted_users/${gone.id}/restore.json`)).status).toBe(200);
    const rec = await a.api("PUT", `/api/v2/suspended_tickets/${held!.id}/recover.json`);
    expect(rec.status, rec.text).toBe(200);
    expect(rec.body.ticket).toMatchObject({ subject: "From the deleted", requester_id: gone.id });
  });

  it("makes no ticket from auto-replies, bulk mail, bounces (DSNs) or the null return path", async () => {
    const a = await buildTenant(t);
    await mail(a, "ivy@customer.test", { headers: ["Auto-Submitted: auto-replied"] });
    await mail(a, "ivy@customer.test", { headers: ["Precedence: bulk"] });
    await mail(a, "ivy@customer.test", { headers: ["Precedence: list"] });
    await mail(a, "mailer-daemon@customer.test", { contentType: 'multipart/report; report-type=delivery-status; boundary="zz"', text: "--zz\r\nContent-Type: text/plain\r\n\r\nUndeliverable\r\n--zz--" });
    await send(port, { from: "", to: [supportOf(a)] }, message({ from: "ivy@customer.test", to: supportOf(a), subject: "Bounce" }));
    await mail(a, "ivy@customer.test", { headers: ["Auto-Submitted: no"], subject: "A person wrote this" });
    const states = await settled(t, a, 6);
    expect(states.map((s) => String(s.outcome)).sort()).toEqual(["auto_submitted", "bounce", "bounce", "bulk", "bulk", "null"]);
    expect((await tickets(a)).map((x) => x.subject)).toEqual(["A person wrote this"]);
    expect(await suspended(a)).toEqual([]);
  });

  it("limits each sender per hour (VAULTDESK_MAIL_SENDER_LIMIT_PER_HOUR) and makes one ticket of a message delivered twice", async () => {
    const a = await buildTenant(t);
    const dup = message({ from: "jack@customer.test", to: supportOf(a), messageId: "<same-id@customer.test>", subject: "Once" });
    await send(port, { from: "jack@customer.test", to: [supportOf(a)] }, dup);
    await settled(t, a, 1);
    await send(port, { from: "jack@customer.test", to: [supportOf(a)] }, dup);
    await settled(t, a, 2);
    // The same Message-ID from someone else is not a duplicate of jack's (nobody can pre-empt a message).
    await send(port, { from: "kim@customer.test", to: [supportOf(a)] }, dup.replace("From: jack@customer.test", "From: kim@customer.test"));
    expect((await settled(t, a, 3))[2]).toEqual({ state: "ticket", outcome: null });
    for (let i = 0; i < 4; i++) await mail(a, "jack@customer.test", { subject: `Flood ${i}` });
    const states = await settled(t, a, 7);
    expect(states.map((s) => s.outcome)).toEqual([null, "duplicate", null, null, null, null, "rate_limited"]);
    expect(await tickets(a)).toHaveLength(5);
    // Another sender is not limited by jack's mail.
    await mail(a, "lou@customer.test", { subject: "Mine" });
    expect((await settled(t, a, 8))[7]).toEqual({ state: "ticket", outcome: null });
  });
});

/** A raw SMTP conversation (for what nodemailer will not send); returns the server's replies. */
async function rawSmtp(commands: string[], data?: string, to = port): Promise<string[]> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const sock = net.connect(to, "127.0.0.1");
    const replies: string[] = [];
    let buf = "";
    let step = 0;
    const next = () => {
      if (step < commands.length) sock.write(commands[step++] + "\r\n");
      else if (data !== undefined && step === commands.length) {
        step++;
        sock.write(data);
      } else if (!sock.writableEnded) {
        sock.end("QUIT\r\n");
      }
    };
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      let i;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (/^\d{3} /.test(line)) {
          replies.push(line);
          next();
        }
      }
    });
    sock.on("error", reject);
    sock.on("close", () => resolve(replies.slice(1)));
    sock.setTimeout(20_000, () => sock.destroy());
  });
}

describe("inbound e-mail: attachments", () => {
  const download = async (a: TestTenant, url: string) => {
    const u = new URL(url);
    return a.api("GET", u.pathname + u.search);
  };

  it("makes a message's files the comment's attachments (sealed, typed from the content), leaves refused ones in the original, and attaches a reply's files", async () => {
    const a = await buildTenant(t);
    const report = Buffer.from("Quarterly numbers, line one\n".repeat(50));
    const exe = Buffer.concat([Buffer.from("MZ"), Buffer.alloc(200, 1)]);
    await mail(a, "nina@customer.test", { subject: "With files", files: [{ name: "report.txt", type: "text/plain", content: report }, { name: "../../evil.exe", type: "application/octet-stream", content: exe }] });
    await settled(t, a, 1);
    const [ticket] = await tickets(a);
    const [c] = await comments(a, ticket!.id);
    expect(c!.attachments.map((f: Json) => [f.file_name, f.content_type, f.size])).toEqual([["report.txt", "text/plain", report.length]]);
    const got = await download(a, c!.attachments[0].content_url);
    expect(got.status).toBe(200);
    expect(got.raw.equals(report)).toBe(true);
    // The refused program stays only inside the sealed original.
    expect((await a.api("GET", `/api/v2/tickets/${ticket!.id}/comments/${c!.id}/original`)).text).toContain('filename="../../evil.exe"');
    const tok = await tokensOf(a, ticket!.id);
    const photo = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
    await send(port, { from: "nina@customer.test", to: [tok.reply] }, message({ from: "nina@customer.test", to: tok.reply, subject: "Re: With files", files: [{ name: "photo.png", type: "image/png", content: photo }] }));
    await settled(t, a, 2);
    const cs = await comments(a, ticket!.id);
    expect(cs[1]!.attachments.map((f: Json) => [f.file_name, f.content_type])).toEqual([["photo.png", "image/png"]]);
    // The refused program's bytes were removed when it was refused: two files are stored.
    await expect.poll(() => fs.readdirSync(path.join(t.config.blobDir, a.tenantId, "attachments")).length).toBe(2);
  });

  it("keeps no file of a suspended message until it is recovered, and none of a dropped one", async () => {
    const a = await buildTenant(t);
    const file = { name: "notes.txt", type: "text/plain", content: Buffer.from("held notes") };
    await mail(a, "olga@customer.test", { subject: "Held with a file", headers: ["X-Spam-Flag: YES"], files: [file] });
    await mail(a, "olga@customer.test", { subject: "Auto", headers: ["Auto-Submitted: auto-replied"], files: [file] });
    await settled(t, a, 2);
    const dir = path.join(t.config.blobDir, a.tenantId, "attachments");
    const stored = () => (fs.existsSync(dir) ? fs.readdirSync(dir).length : 0);
    // Stored before the job's transaction, removed right after it when no comment took them.
    await expect.poll(stored).toBe(0);
    const [s] = await suspended(a);
    const rec = await a.api("PUT", `/api/v2/suspended_tickets/${s!.id}/recover.json`);
    expect(rec.status).toBe(200);
    const [c] = await comments(a, rec.body.ticket.id);
    expect(c!.attachments.map((f: Json) => f.file_name)).toEqual(["notes.txt"]);
    expect(stored()).toBe(1);
  });

  it("attaches nothing when the account takes no attachments (the message still makes its ticket)", async () => {
    const a = await buildTenant(t);
    expect((await a.api("PUT", "/api/v2/attachment_settings.json", { settings: { enabled: false } })).status).toBe(200);
    await mail(a, "pia@customer.test", { subject: "No files here", files: [{ name: "a.txt", type: "text/plain", content: Buffer.from("x") }] });
    await settled(t, a, 1);
    const [ticket] = await tickets(a);
    expect((await comments(a, ticket!.id))[0]!.attachments).toEqual([]);
    // Customers may not attach: a customer's files are left out, an agent's (DMARC passing) are kept.
    expect((await a.api("PUT", "/api/v2/attachment_settings.json", { settings: { enabled: true, end_users_may_attach: false } })).status).toBe(200);
    await mail(a, "pia@customer.test", { subject: "Still no files", files: [{ name: "b.txt", type: "text/plain", content: Buffer.from("y") }] });
    await settled(t, a, 2);
    const second = (await tickets(a)).find((x) => x.subject === "Still no files")!;
    expect((await comments(a, second.id))[0]!.attachments).toEqual([]);
    await expect.poll(() => (fs.existsSync(path.join(t.config.blobDir, a.tenantId, "attachments")) ? fs.readdirSync(path.join(t.config.blobDir, a.tenantId, "attachments")) : [])).toEqual([]);
  });
});

describe("support addresses (Zendesk's recipient addresses)", () => {
  it("lists the default address, adds the team's own, verifies forwarding by a test message that comes back through SMTP", async () => {
    const peer = await startSmtpPeer();
    const t2 = await startTestApp({ env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1", VAULTDESK_SMTP_URL: peer.url, VAULTDESK_MAIL_RETRY_SECONDS: "0.1" } });
    try {
      const a = await buildTenant(t2);
      const list = await a.api("GET", "/api/v2/recipient_addresses.json");
      expect(list.status).toBe(200);
      expect(list.body.recipient_addresses).toEqual([expect.objectContaining({ id: 1, default: true, email: supportOf(a), forwarding_status: "verified", brand_id: null })]);
      const created = await a.api("POST", "/api/v2/recipient_addresses.json", { recipient_address: { email: "Help@Company.test", name: "Company Help" } });
      expect(created.status).toBe(201);
      expect(created.body.recipient_address).toMatchObject({ email: "help@company.test", name: "Company Help", default: false, forwarding_status: "waiting" });
      const id = created.body.recipient_address.id as number;
      // The test message went out through the outbound mail job, to the team's own address...
      const check = await peer.waitFor("help@company.test");
      expect(check.subject).toMatch(/\[vaultdesk-forwarding-check [A-Za-z0-9_-]+\]/);
      // ...and the team's mail server forwards it to the default address: it comes back over SMTP.
      await send(t2.app.smtpIn!.port, { from: "forwarder@company.test", to: [supportOf(a)] }, message({ from: "noreply@localhost", to: "help@company.test", subject: check.subject!, text: check.text ?? "" }));
      expect(await settled(t2, a, 1)).toEqual([{ state: "verification", outcome: "forwarding_verified" }]);
      expect((await a.api("GET", `/api/v2/recipient_addresses/${id}.json`)).body.recipient_address.forwarding_status).toBe("verified");
      expect((await a.api("GET", "/api/v2/tickets.json")).body.tickets).toEqual([]);
      // Mail sent straight to the team's own address (its MX pointed here) is accepted for the tenant.
      expect((await send(t2.app.smtpIn!.port, { from: "zed@customer.test", to: ["help@company.test"] }, message({ from: "zed@customer.test", to: "help@company.test" }))).rejected).toEqual([]);
      expect((await settled(t2, a, 2))[1]!.state).toBe("ticket");
      // A forged check (a wrong token) verifies nothing and makes a ticket like any message.
      const again = await a.api("PUT", `/api/v2/recipient_addresses/${id}/verify.json`, { type: "forwarding" });
      expect(again.body.recipient_address.forwarding_status).toBe("waiting");
      await send(t2.app.smtpIn!.port, { from: "x@customer.test", to: [supportOf(a)] }, message({ from: "x@customer.test", to: supportOf(a), subject: `[vaultdesk-forwarding-check ${"A".repeat(32)}]` }));
      expect((await settled(t2, a, 3))[2]!.state).toBe("ticket");
      expect((await a.api("GET", `/api/v2/recipient_addresses/${id}.json`)).body.recipient_address.forwarding_status).toBe("waiting");
      // Default moves; the default cannot be deleted; another address can.
      expect((await a.api("PUT", `/api/v2/recipient_addresses/${id}.json`, { recipient_address: { default: true } })).body.recipient_address.default).toBe(true);
      expect((await a.api("DELETE", `/api/v2/recipient_addresses/${id}.json`)).status).toBe(422);
      expect((await a.api("PUT", "/api/v2/recipient_addresses/1.json", { recipient_address: { default: true } })).status).toBe(200);
      expect((await a.api("DELETE", `/api/v2/recipient_addresses/${id}.json`)).status).toBe(204);
      expect((await send(t2.app.smtpIn!.port, { from: "zed@customer.test", to: ["help@company.test"] }, message({ from: "zed@customer.test", to: "help@company.test" }))).code).toBe(550);
    } finally {
      await t2.close();
      await peer.close();
    }
  });

  it("is for admins only, refuses bad input with 422 (taken, +tags, the installation's domain) and never answers 500", async () => {
    const a = await buildTenant(t);
    const b = await buildTenant(t);
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("GET", "/api/v2/recipient_addresses.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("POST", "/api/v2/recipient_addresses.json", { recipient_address: { email: "x@y.test" } }, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("POST", "/api/v2/recipient_addresses.json", { recipient_address: { email: "desk@shared.test" } })).status).toBe(201);
    const taken = await b.api("POST", "/api/v2/recipient_addresses.json", { recipient_address: { email: "DESK@shared.test" } });
    expect(taken.status).toBe(422);
    expect(taken.body.details.email[0].error).toBe("DuplicateValue");
    for (const bad of ["desk+x@shared.test", `support@${a.subdomain}.localhost`, `other@${b.subdomain}.localhost`, "not an address", "a\r\nBcc: x@y.test"]) {
      const r = await a.api("POST", "/api/v2/recipient_addresses.json", { recipient_address: { email: bad } });
      expect(r.status, bad).toBe(422);
    }
    expect((await a.api("PUT", "/api/v2/mail_settings.json", { settings: { blocklist: ["not a domain"] } })).status).toBe(422);
  });
});

describe("inbound e-mail: stored messages", () => {
  it("accepts mail over STARTTLS with the configured certificate", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-tls-"));
    const cert = makeTestCertificate(dir, "Inbound test CA");
    const t2 = await startTestApp({ env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1", VAULTDESK_SMTP_TLS_CERT: cert.certFile, VAULTDESK_SMTP_TLS_KEY: cert.keyFile } });
    try {
      const a = await buildTenant(t2);
      // requireTLS: nodemailer refuses to send unless the server offers STARTTLS and the upgrade succeeds.
      const r = await send(t2.app.smtpIn!.port, { from: "tls@customer.test", to: [supportOf(a)] }, message({ from: "tls@customer.test", to: supportOf(a) }), { tls: true });
      expect(r.rejected).toEqual([]);
      expect((await settled(t2, a, 1))[0]!.state).toBe("ticket");
    } finally {
      await t2.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers 250 only once the message is stored and queued: a database failure answers 451 and leaves nothing behind", async () => {
    const real = await openTestDatabase();
    // The app's database, with tenant transactions that fail on demand (the n-th after arming).
    let failOn: number | undefined;
    let calls = 0;
    const db = new Proxy(real, {
      get(target, prop) {
        if (prop === "tenant") {
          return (...args: Parameters<Database["tenant"]>) => {
            calls++;
            if (failOn !== undefined && calls === failOn) return Promise.reject(new Error("connection terminated"));
            return target.tenant(...args);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    // No job runner in this process: only the SMTP server opens tenant transactions while armed.
    const t3 = await startTestApp({ db, env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_WORKERS: "0" } });
    try {
      const a = await buildTenant(t3);
      const raw = message({ from: "quinn@customer.test", to: supportOf(a), subject: "Durable" });
      const stored = () => {
        const dir = path.join(t3.config.blobDir, a.tenantId, "mail");
        return fs.existsSync(dir) ? fs.readdirSync(dir).length : 0;
      };
      const rows = () => real.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM inbound_messages`.execute(tx.db)).rows[0]!.n);
      // The record and its job fail to commit after the bytes were stored: 451, and the bytes go.
      calls = 0;
      failOn = 2;
      expect((await send(t3.app.smtpIn!.port, { from: "quinn@customer.test", to: [supportOf(a)] }, raw)).code).toBe(451);
      expect(calls).toBe(2); // the keys were read (1), the bytes stored, then the record failed (2)
      expect(stored()).toBe(0);
      // The tenant's keys cannot be read: 451 before anything is stored.
      calls = 0;
      failOn = 1;
      expect((await send(t3.app.smtpIn!.port, { from: "quinn@customer.test", to: [supportOf(a)] }, raw)).code).toBe(451);
      expect(stored()).toBe(0);
      expect(await rows()).toBe(0);
      // The sender tries again once the database is back: stored and queued once.
      failOn = undefined;
      expect((await send(t3.app.smtpIn!.port, { from: "quinn@customer.test", to: [supportOf(a)] }, raw)).response).toMatch(/^250/);
      expect(stored()).toBe(1);
      expect(await rows()).toBe(1);
    } finally {
      await t3.close();
      await real.close();
    }
  });

  it("re-seals stored messages on key rotation and purges them when the tenant is shredded", async () => {
    const a = await buildTenant(t);
    await mail(a, "lea@customer.test", { subject: "Keep me sealed" });
    await settled(t, a, 1);
    const id = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ id: string }>`SELECT id FROM inbound_messages`.execute(tx.db)).rows[0]!.id);
    const blobs = createBlobStore(t.config);
    expect(await sealedBlobKeyVersion(blobs, a.tenantId, { purpose: "mail", id })).toBe(1);
    const r = await rotateTenantKey(t.db, t.keyring, blobs, a.tenantId);
    expect(r.files_resealed).toBeGreaterThanOrEqual(1);
    expect(await sealedBlobKeyVersion(blobs, a.tenantId, { purpose: "mail", id })).toBe(2);
    const [ticket] = await tickets(a);
    const [c] = await comments(a, ticket!.id);
    expect((await a.api("GET", `/api/v2/tickets/${ticket!.id}/comments/${c!.id}/original`)).text).toContain("Keep me sealed");
    await shredTenant(t.db, t.keyring, blobs, a.subdomain);
    expect(fs.existsSync(path.join(t.config.blobDir, a.tenantId, "mail", id))).toBe(false);
    // A shredded tenant's address takes no more mail.
    expect((await mail(a, "lea@customer.test")).code).toBe(550);
  });

  it("deletes suspended tickets and the stored copies of dropped messages after 14 days, and keeps what became a ticket", async () => {
    const a = await buildTenant(t);
    await mail(a, "kim@customer.test", { subject: "Held back", headers: ["X-Spam-Flag: YES"] });
    await mail(a, "kim@customer.test", { subject: "Out of office", headers: ["Auto-Submitted: auto-replied"] });
    await mail(a, "kim@customer.test", { subject: "A real question" });
    const states = await settled(t, a, 3);
    expect(states.map((s) => s.state).sort()).toEqual(["dropped", "suspended", "ticket"]);
    const rows = () => t.db.tenant(a.tenantId, async (tx) => (await sql<{ id: string; state: string }>`SELECT id, state FROM inbound_messages ORDER BY received_at`.execute(tx.db)).rows);
    const stored = (id: string) => fs.existsSync(path.join(t.config.blobDir, a.tenantId, "mail", id));
    const before = await rows();
    expect(before.every((r) => stored(r.id))).toBe(true);
    const [held] = await suspended(a);
    const deps = { db: t.db, keyring: t.keyring, blobs: createBlobStore(t.config) };
    // Thirteen days on, everything stays.
    await purgeUnkeptMail(deps, new Date(Date.now() + 13 * 86_400_000));
    expect((await a.api("GET", `/api/v2/suspended_tickets/${held!.id}.json`)).status).toBe(200);
    expect(before.every((r) => stored(r.id))).toBe(true);
    // Fifteen days on: the suspended ticket and the dropped message's copy are gone, audited.
    await purgeUnkeptMail(deps, new Date(Date.now() + 15 * 86_400_000));
    expect((await a.api("GET", `/api/v2/suspended_tickets/${held!.id}.json`)).status).toBe(404);
    const after = await rows();
    for (const r of after) expect([r.state, stored(r.id)]).toEqual(r.state === "ticket" ? ["ticket", true] : ["deleted", false]);
    const log = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=suspended_ticket.expired")).body.audit_logs;
    expect(log.map((e: Json) => [e.action, e.source_id, e.actor_id])).toEqual([["suspended_ticket.expired", String(held!.id), null]]);
    // The ticket's original is still there for staff.
    const [ticket] = await tickets(a);
    const [c] = await comments(a, ticket!.id);
    expect((await a.api("GET", `/api/v2/tickets/${ticket!.id}/comments/${c!.id}/original`)).text).toContain("A real question");
  });

  it("removes stored messages no row keeps once they are an hour old", async () => {
    const a = await buildTenant(t);
    await mail(a, "lou@customer.test", { subject: "Kept" });
    await settled(t, a, 1);
    const blobs = createBlobStore(t.config);
    const sealer = await t.db.tenant(a.tenantId, (tx) => t.keyring.sealerFor(tx));
    const stray = crypto.randomUUID();
    await putSealed(blobs, sealer, { purpose: "mail", id: stray }, (async function* () { yield Buffer.from("a message never recorded"); })());
    const listed = () => fs.readdirSync(path.join(t.config.blobDir, a.tenantId, "mail")).sort();
    expect(listed()).toHaveLength(2);
    const deps = { db: t.db, keyring: t.keyring, blobs };
    await removeOrphanMail(deps, Date.now());
    expect(listed()).toHaveLength(2);
    await removeOrphanMail(deps, Date.now() + 2 * 3600_000);
    expect(listed()).toEqual((await t.db.tenant(a.tenantId, async (tx) => (await sql<{ id: string }>`SELECT id FROM inbound_messages`.execute(tx.db)).rows)).map((r) => r.id));
  });
});
