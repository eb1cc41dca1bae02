import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/platform/config.ts";
import { createMailer } from "../src/platform/mail.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, jobsSettled, signInByMail } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";
import { makeTestCertificate } from "./support/test-ca.ts";

/**
 * Attacks on e-mail notifications, their settings and templates, the dead-letter list and TLS to
 * the relay, over real HTTP, real PGlite and real SMTP conversations.
 *
 * Each finding of the attack pass is a test that failed before its fix; its comment says what
 * was wrong (in the past tense of the code it describes, "today" meaning before the fix). The
 * other tests are attacks that held up and that no other suite covers.
 */

const recipients = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((x) => x.value.map((v) => (v.address ?? "").toLowerCase()));
const customer = (a: TestTenant) => `c-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`;
const asUser = (u: { email: string; token: string | undefined }) => ({ email: u.email, token: u.token! });

/** Test card numbers (Luhn-valid) that must never reach a mail whole, whatever is written around them. */
const PANS = ["4111111111111111", "5555555555554444", "4012888888881881", "4242424242424242", "5105105105105100", "6011111111111117", "378282246310005"];
/** The card numbers a text exposes: per line, its digits after NFKC (full-width digits count, zero-width and other separators do not). */
function exposedPans(text: string): string[] {
  const lines = text.normalize("NFKC").split(/\n/).map((l) => l.replace(/\D/g, ""));
  return PANS.filter((p) => lines.some((l) => l.includes(p)));
}

// ---- The main app: a real SMTP capture peer, a proxy in front (X-Forwarded-For is believed) -----

let t: TestApp;
let smtp: SmtpPeer;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1", VAULTDESK_TRUST_PROXY: "127.0.0.1" } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

/** Every mail to `to` received since `since` messages, once the tenant's jobs have settled. */
async function mailTo(a: TestTenant, to: string, since: number): Promise<ParsedMail[]> {
  await jobsSettled(t, a.tenantId);
  return smtp.messages.slice(since).filter((m) => recipients(m).includes(to.toLowerCase()));
}

describe("card numbers", () => {
  it("a card number written next to other digits (its CVV, its expiry, a quantity) reaches the requester whole", async () => {
    // maskCardNumbers (notifications-texts.ts) takes the longest run of 13–19 digits and gives up
    // when that run fails the Luhn check, without looking for a card inside it: "4111 1111 1111
    // 1111 123" (a card and its CVV, as customers write them) is a 19-digit run that fails Luhn, so
    // the card and the CVV are sent as written. Same with an expiry or a number before the card.
    const a = await buildTenant(t, "atkcvv");
    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Payment problem", comment: { body: "Opened by phone.", public: false }, requester: { name: "Card Holder", email } } });
    expect(c.status, c.text).toBe(201);
    const since = smtp.messages.length;
    const body = ["You wrote: card 4111 1111 1111 1111 123 (with its CVV).", "And the other one 5555-5555-5555-4444 12/27.", "Qty 2 4012 8888 8888 1881 charged twice."].join("\n");
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body } } })).status).toBe(200);
    const [mail] = await mailTo(a, email, since);
    expect(mail, "the reply is sent").toBeDefined();
    expect(exposedPans(mail!.text ?? "")).toEqual([]);
  });

  it("a card number written with other separators or digits (dots, no-break or zero-width spaces, full-width digits) reaches the requester whole", async () => {
    // The pattern allows one ASCII space or dash between digits and ASCII digits only (\d without
    // the u flag). A card written 4111.1111.…, with U+00A0 (what many editors put between groups),
    // with U+200B between digits (invisible: the mail reads as a plain card number), in full-width
    // digits (Japanese input methods), or with two spaces is sent unmasked — in the subject too.
    const a = await buildTenant(t, "atksep");
    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Card 6011.1111.1111.1117 declined", comment: { body: "Opened by phone.", public: false }, requester: { name: "Card Holder", email } } });
    expect(c.status, c.text).toBe(201);
    const since = smtp.messages.length;
    const body = [
      "dots: 4111.1111.1111.1111",
      "no-break spaces: 5555\u00a05555\u00a05555\u00a04444",
      "zero-width: 4\u200b0\u200b1\u200b2\u200b8\u200b8\u200b8\u200b8\u200b8\u200b8\u200b8\u200b8\u200b1\u200b8\u200b8\u200b1",
      "full-width: ４２４２ ４２４２ ４２４２ ４２４２",
      "two spaces: 5105  1051  0510  5100",
    ].join("\n");
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body } } })).status).toBe(200);
    const [mail] = await mailTo(a, email, since);
    expect(mail, "the reply is sent").toBeDefined();
    expect({ subject: exposedPans(mail!.subject ?? ""), text: exposedPans(mail!.text ?? "") }).toEqual({ subject: [], text: [] });
  });
});

describe("what a requester is told", () => {
  it("solving a ticket its requester cannot see (opened with an internal note) mails them its subject", async () => {
    // notifyOnWrite (notifications-service.ts, the `solvedNow` branch) sends `solved` to the
    // requester without looking at `is_public`. A ticket staff opened about a customer with an
    // internal note is not shown to that customer (help center, requests API, personal data), yet
    // solving it mails them "Solved: <subject>" and a link: the subject staff wrote for themselves
    // leaves the product, and the customer learns the ticket exists.
    const a = await buildTenant(t, "atkhidden");
    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Fraud review: chargeback ring around this customer", comment: { body: "Internal investigation, do not contact.", public: false }, requester: { name: "Suspect Person", email } } });
    expect(c.status, c.text).toBe(201);
    expect(c.body.ticket.is_public).toBe(false);
    const since = smtp.messages.length;
    const s = await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { status: "solved", comment: { body: "Investigation closed: no fraud.", public: false } } });
    expect(s.status, s.text).toBe(200);
    const mails = await mailTo(a, email, since);
    expect(mails.map((m) => m.subject)).toEqual([]);
  });

  it("the acknowledgement of a request from the anonymous form relays the name it was filled with to any address", async () => {
    // The acknowledgement of an unproven request is content-free (no subject, no text) so that the
    // form cannot relay a stranger's words to an address they typed. But the content-free body
    // still begins "Hello {{name}}", and {{name}} is the name the stranger typed in the same form
    // (255 characters of free text, stored on the new end user): a phishing line sent from the
    // helpdesk's own address to anyone (notifications-service.ts, the `unproven` case).
    const a = await buildTenant(t, "atkname");
    const victim = customer(a);
    const lure = "Pat. Your mailbox will be closed today unless you confirm your password at https://evil.example/keep";
    const since = smtp.messages.length;
    const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, headers: { "x-forwarded-for": "198.51.100.7" }, body: { request: { subject: "hello", comment: { body: "hello" }, requester: { name: lure, email: victim } } } });
    expect(r.status, r.text).toBe(201);
    const [ack] = await mailTo(a, victim, since);
    expect(ack, "the acknowledgement is sent").toBeDefined();
    expect(ack!.text).not.toContain("evil.example");
  });

  it("the anonymous form acknowledges requests to one address without limit, one network at a time", async () => {
    // The form is limited per client network (5 a minute, 20 an hour), never per recipient: from
    // 25 networks (a botnet, a few IPv6 /64s), 25 acknowledgements reach one mailbox, and as many
    // more every hour. Sign-in links to an address stop at 20 an hour whatever the network
    // (signin-links-service.ts PER_ADDRESS); the acknowledgement should have such a cap too.
    const a = await buildTenant(t, "atkflood");
    const victim = customer(a);
    const since = smtp.messages.length;
    for (let i = 1; i <= 25; i++) {
      const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, headers: { "x-forwarded-for": `203.0.113.${i}` }, body: { request: { subject: `flood ${i}`, comment: { body: "x" }, requester: { name: "Victim", email: victim } } } });
      expect(r.status, r.text).toBe(201);
    }
    const acks = await mailTo(a, victim, since);
    expect(acks.length).toBeLessThanOrEqual(20);
  });

  it("tells nobody who is suspended, deleted or no longer staff, and no light agent can make a mail", async () => {
    const a = await buildTenant(t, "atkreach");
    const suspended = await buildUser(t, a, "agent", "Sue Suspended");
    const demoted = await buildUser(t, a, "agent", "Dee Demoted");
    const kept = await buildUser(t, a, "agent", "Kim Kept");
    const light = await buildUser(t, a, "light-agent", "Lee Light");
    const group = await a.api("POST", "/api/v2/groups.json", { group: { name: "Support" } });
    for (const u of [suspended, demoted, kept, light]) expect((await a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: u.id, group_id: group.body.group.id } })).status).toBe(201);
    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Reachability", comment: { body: "We opened this for you." }, requester: { name: "Rae Requester", email }, group_id: group.body.group.id } });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    expect((await a.api("PUT", `/api/v2/users/${suspended.id}.json`, { user: { suspended: true } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/users/${demoted.id}/role.json`, { role: "end_user" })).status).toBe(200);
    const session = await signInByMail(t, smtp, a, email);

    // A light agent writes notes only: a public reply and a solve are refused, a note mails nobody.
    let since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "light public" } } }, asUser(light))).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "solved" } }, asUser(light))).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "light note", public: false } } }, asUser(light))).status).toBe(200);
    await jobsSettled(t, a.tenantId);
    expect(smtp.messages.slice(since)).toEqual([]);

    // The customer's reply reaches the group's staff who may still read it, only them.
    since = smtp.messages.length;
    expect((await asSession(t, a, session, "PUT", `/api/v2/requests/${id}.json`, { request: { comment: { body: "Still broken." } } })).status).toBe(200);
    expect(await mailTo(a, kept.email, since)).toHaveLength(1);
    expect(await mailTo(a, light.email, since)).toHaveLength(1);
    expect(await mailTo(a, suspended.email, since)).toEqual([]);
    expect(await mailTo(a, demoted.email, since)).toEqual([]);

    // A solve written with an internal note: the solved notice, without the note.
    since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "solved", comment: { body: "Note: refund was refused by finance.", public: false } } })).status).toBe(200);
    const solved = await mailTo(a, email, since);
    expect(solved).toHaveLength(1);
    expect(solved[0]!.text).not.toContain("finance");

    // A suspended requester, then a deleted one: nothing.
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "open" } })).status).toBe(200);
    const requesterId = c.body.ticket.requester_id as number;
    expect((await a.api("PUT", `/api/v2/users/${requesterId}.json`, { user: { suspended: true } })).status).toBe(200);
    since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "To a suspended requester." } } })).status).toBe(200);
    expect(await mailTo(a, email, since)).toEqual([]);
    const gone = customer(a);
    const d = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Deleted", comment: { body: "Opened.", public: false }, requester: { name: "Del Eted", email: gone } } });
    expect((await a.api("DELETE", `/api/v2/users/${d.body.ticket.requester_id}.json`)).status).toBe(200);
    since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${d.body.ticket.id}.json`, { ticket: { comment: { body: "To a deleted requester." } } })).status).toBe(200);
    expect(await mailTo(a, gone, since)).toEqual([]);
  });

  it("content-free messages tell staff neither the subject, the text nor the customer's name; languages fall back as documented", async () => {
    const a = await buildTenant(t, "atkcf");
    const agent = await buildUser(t, a, "agent", "Ann Assignee");
    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { content_free: true } })).status).toBe(200);
    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "HIV test result", comment: { body: "Your result is ready." }, requester: { name: "Quentin Secretname", email }, assignee_id: agent.id } });
    expect(c.status, c.text).toBe(201);
    const session = await signInByMail(t, smtp, a, email);
    const since = smtp.messages.length;
    expect((await asSession(t, a, session, "PUT", `/api/v2/requests/${c.body.ticket.id}.json`, { request: { comment: { body: "Does positive mean I have it?" } } })).status).toBe(200);
    const [mail] = await mailTo(a, agent.email, since);
    expect(mail!.subject).toContain(`Ticket #${c.body.ticket.id} updated by the customer`);
    const all = `${mail!.subject}\n${mail!.text}\n${JSON.stringify(mail!.attachments)}`;
    for (const secret of ["HIV", "positive", "Secretname", "Quentin"]) expect(all).not.toContain(secret);
    expect(mail!.attachments).toEqual([]);

    // Languages: zh-TW gets the zh-CN text, sv-FI Swedish, an unknown language English.
    for (const [locale, expected] of [["zh-TW", "已收到请求"], ["sv-FI", "har tagits emot"], ["fr", "received"]] as const) {
      const to = customer(a);
      const s = smtp.messages.length;
      const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, headers: { "x-forwarded-for": `192.0.2.${locale.length}` }, body: { request: { subject: "x", comment: { body: "y" }, requester: { name: "Lang", email: to }, locale } } });
      expect(r.status, r.text).toBe(201);
      const [ack] = await mailTo(a, to, s);
      expect(ack!.subject, locale).toContain(expected);
    }
  });
});

describe("templates", () => {
  it("a template with an unclosed placeholder stalls the whole server (every tenant) while it is checked", async () => {
    // unknownPlaceholders (notifications-texts.ts) scans templates with /\{\{\s*([^}]*?)\s*\}\}/g:
    // on "{{" followed by whitespace and no "}}" the two \s* and the lazy group backtrack over each
    // other, which costs about the cube of the length. A 20,000-character body (the route's
    // limit) holds the event loop for hours; 2,500 spaces already take seconds here. Any tenant's
    // admin stops the server for every tenant. The longest body the route takes must be answered
    // at all: backtracking that grows with the cube of its length would outlast the test's timeout
    // by hours (no time is measured here; a linear scan answers at once).
    const a = await buildTenant(t, "atkredos");
    const body = `Hello {{name}}, {{${" ".repeat(19_970)}x`;
    expect(body.length).toBeLessThanOrEqual(20_000);
    const r = await a.api("PUT", "/api/v2/notification_templates/public_reply/en.json", { notification_template: { subject: "Re: {{ticket.title}}", body } });
    expect([200, 422]).toContain(r.status);
  }, 300_000);

  it("a template that repeats {{comment}} turns one customer reply into a message of megabytes", async () => {
    // Templates are checked for unknown names, not for how often a value is named: 1,800
    // `{{comment}}` fit in the 20,000 characters allowed, and each copies the comment (up to 64 KiB).
    // One reply becomes a ~115 MB message per staff recipient, rendered in the request's
    // transaction and sealed into a job row each (a group of 50 agents: gigabytes). Here a 4 KiB
    // reply becomes 7 MB. Fix: name each placeholder at most once (or a few times) and bound the
    // rendered message.
    const a = await buildTenant(t, "atkamp");
    const agent = await buildUser(t, a, "agent", "Amp Agent");
    const refused = await a.api("PUT", "/api/v2/notification_templates/end_user_update/en.json", { notification_template: { subject: "[{{team}}] #{{ticket.id}}", body: "{{comment}}".repeat(1800) } });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.text).toContain("used more than 3 times");
    // The most a template may do: three times the comment, each quoted up to 20,000 characters.
    const saved = await a.api("PUT", "/api/v2/notification_templates/end_user_update/en.json", { notification_template: { subject: "[{{team}}] #{{ticket.id}}", body: "{{comment}}".repeat(3) } });
    expect(saved.status, saved.text).toBe(200);
    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Amplify", comment: { body: "Opened for you." }, requester: { name: "Amp Customer", email }, assignee_id: agent.id } });
    expect(c.status, c.text).toBe(201);
    const session = await signInByMail(t, smtp, a, email);
    const since = smtp.messages.length;
    expect((await asSession(t, a, session, "PUT", `/api/v2/requests/${c.body.ticket.id}.json`, { request: { comment: { body: "A".repeat(60_000) } } })).status).toBe(200);
    const mails = await mailTo(a, agent.email, since);
    expect(mails).toHaveLength(1);
    expect(mails.map((m) => (m.text ?? "").length).every((n) => n < 100_000)).toBe(true);
  }, 120_000);

  it("refuses placeholder look-alikes and prototype names, never renders a value twice, and keeps header fields one line", async () => {
    const a = await buildTenant(t, "atktpl");
    const path = "/api/v2/notification_templates/public_reply/en.json";
    for (const body of ["{{constructor}}", "{{__proto__}}", "{{ｃomment}}", "{{comment\u200b}}", "{{{{comment}}}}", "{{ticket.title.constructor}}", "{{toString}}"]) {
      const r = await a.api("PUT", path, { notification_template: { subject: "x", body } });
      expect(r.status, JSON.stringify(body)).toBe(422);
    }
    // Line separators other than CR/LF in a template's subject do not start a header.
    const saved = await a.api("PUT", path, { notification_template: { subject: "Re {{ticket.title}}\u2028Bcc: evil@attacker.test\u0085X-Injected: 1", body: "{{comment}} / {{ticket.title}}" } });
    expect([200, 422]).toContain(saved.status);
    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "{{comment}} {{ticket.url}}", comment: { body: "Opened.", public: false }, requester: { name: "Tem Plate", email } } });
    expect(c.status, c.text).toBe(201);
    const since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "{{ticket.title}} {{name}}" } } })).status).toBe(200);
    const [mail] = await mailTo(a, email, since);
    expect(mail).toBeDefined();
    expect(mail!.bcc).toBeUndefined();
    expect(mail!.headers.has("bcc")).toBe(false);
    expect(mail!.headers.has("x-injected")).toBe(false);
    expect(recipients(mail!)).toEqual([email.toLowerCase()]);
    // The title and the comment are written as they are: neither is read as a template.
    if (saved.status === 200) expect(mail!.text?.trimEnd()).toBe("{{ticket.title}} {{name}} / {{comment}} {{ticket.url}}");
    else expect(mail!.text).toContain("{{ticket.title}} {{name}}");
  });
});

describe("who may manage notifications", () => {
  it("refuses light agents, agents, end users and nobody signed in on every route, and another tenant's settings and texts never apply", async () => {
    const a = await buildTenant(t, "atkroles");
    const light = await buildUser(t, a, "light-agent");
    const agent = await buildUser(t, a, "agent");
    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Roles", comment: { body: "Opened for you." }, requester: { name: "End User", email } } });
    expect(c.status).toBe(201);
    const session = await signInByMail(t, smtp, a, email);
    const anyId = crypto.randomUUID();
    const routes: Array<[string, string, unknown?]> = [
      ["GET", "/api/v2/notification_settings.json"],
      ["PUT", "/api/v2/notification_settings.json", { settings: { content_free: false, public_reply: false } }],
      ["GET", "/api/v2/notification_templates.json"],
      ["PUT", "/api/v2/notification_templates/public_reply/en.json", { notification_template: { subject: "x {{ticket.title}}", body: "{{comment}}" } }],
      ["DELETE", "/api/v2/notification_templates/public_reply/en.json"],
      ["GET", "/api/v2/undelivered_mail.json"],
      ["POST", `/api/v2/undelivered_mail/${anyId}/resend.json`],
      ["DELETE", `/api/v2/undelivered_mail/${anyId}.json`],
    ];
    for (const [method, p, body] of routes) {
      expect((await a.api(method, p, body, asUser(light))).status, `light agent ${method} ${p}`).toBe(403);
      expect((await a.api(method, p, body, asUser(agent))).status, `agent ${method} ${p}`).toBe(403);
      expect((await asSession(t, a, session, method, p, body)).status, `end user ${method} ${p}`).toBe(403);
      expect((await a.api(method, p, body, null)).status, `anonymous ${method} ${p}`).toBe(401);
    }
    // Mail jobs are not in the job status API (their results would name nothing, but they are internal).
    const jobs = await a.api("GET", "/api/v2/job_statuses.json");
    expect(jobs.status, jobs.text).toBe(200);
    expect(jobs.body.job_statuses.filter((j: { job_type: string }) => j.job_type === "mail")).toEqual([]);
    // A signed-in end user cannot name another requester: the request and its acknowledgement are theirs.
    const victim = customer(a);
    let since = smtp.messages.length;
    const own = await asSession(t, a, session, "POST", "/api/v2/requests.json", { request: { subject: "Mine", comment: { body: "For me." }, requester: { name: "Victim", email: victim } } });
    expect([201, 403, 422]).toContain(own.status);
    expect(await mailTo(a, victim, since)).toEqual([]);
    // Another tenant's admin changes their own tenant only.
    const b = await buildTenant(t, "atkrolesb");
    expect((await b.api("PUT", "/api/v2/notification_settings.json", { settings: { content_free: true } })).status).toBe(200);
    expect((await b.api("PUT", "/api/v2/notification_templates/public_reply/en.json", { notification_template: { subject: "B says {{ticket.title}}", body: "Tenant B text" } })).status).toBe(200);
    since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "Tenant A reply text." } } })).status).toBe(200);
    const [mail] = await mailTo(a, email, since);
    expect(mail!.subject).toContain("Re: Roles");
    expect(mail!.text).toContain("Tenant A reply text.");
    expect(mail!.text).not.toContain("Tenant B text");
  });
});

// ---- The dead-letter list: a relay that refuses chosen recipients; the app's log is kept ---------

type Gate = { url: string; messages: ParsedMail[]; refuse: Set<string>; close(): Promise<void> };

/** A real SMTP server that refuses the recipients in `refuse` (550, naming the address as relays do). */
async function startGatedPeer(): Promise<Gate> {
  const messages: ParsedMail[] = [];
  const refuse = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address.toLowerCase())) return callback(Object.assign(new Error(`<${address.address}>: Recipient address rejected: mailbox unavailable`), { responseCode: 550 }));
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          messages.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, messages, refuse, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("undelivered mail", () => {
  let d: TestApp;
  let gate: Gate;
  const logLines: string[] = [];
  /** Everything a test put into mail: none of it may reach a log line. */
  const secrets = new Set<string>();

  beforeAll(async () => {
    gate = await startGatedPeer();
    const logStream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(chunk.toString("utf8"));
        cb();
      },
    });
    d = await startTestApp({ logStream, env: { VAULTDESK_SMTP_URL: gate.url, VAULTDESK_JOB_POLL_SECONDS: "0.1", VAULTDESK_MAIL_RETRY_SECONDS: "0.1" } });
  });
  afterAll(async () => {
    await d?.close();
    await gate?.close();
  });

  /** A public reply to a new requester whose relay refuses it: it ends in the dead-letter list. */
  async function deadReply(a: TestTenant, subject: string, text: string) {
    const email = `dl-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`;
    gate.refuse.add(email);
    secrets.add(email).add(subject).add(text);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body: "Opened.", public: false }, requester: { name: "Dee Letter", email } } });
    expect(c.status, c.text).toBe(201);
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: text } } })).status).toBe(200);
    await jobsSettled(d, a.tenantId);
    const list = await a.api("GET", "/api/v2/undelivered_mail.json");
    const dead = list.body.undelivered_mail.find((m: { to: string }) => m.to === email);
    expect(dead, "the refused reply is in the dead-letter list").toBeDefined();
    return { email, ticketId: c.body.ticket.id as number, requesterId: c.body.ticket.requester_id as number, deadId: dead.id as string };
  }
  const mailsTo = (to: string) => gate.messages.filter((m) => recipients(m).includes(to));

  it("resending an undelivered notification after its recipient was suspended or deleted still mails them", async () => {
    // resend (notifications-service.ts) queues the sealed message as it was written; nothing looks
    // at the recipient again. Suspended and deleted people "get nothing" — except through the
    // dead-letter list (and, the same way, through a retry already queued when they were suspended).
    // Fix: keep the recipient's user id (and ticket id) with the message and check them again when
    // it is resent, or send nothing to someone who is no longer reachable.
    const a = await buildTenant(d, "dlsusp");
    const suspended = await deadReply(a, "Suspended later", "Your statement is attached.");
    const deleted = await deadReply(a, "Deleted later", "Your account summary.");
    expect((await a.api("PUT", `/api/v2/users/${suspended.requesterId}.json`, { user: { suspended: true } })).status).toBe(200);
    expect((await a.api("DELETE", `/api/v2/users/${deleted.requesterId}.json`)).status).toBe(200);
    gate.refuse.delete(suspended.email);
    gate.refuse.delete(deleted.email);
    for (const x of [suspended, deleted]) expect([204, 404, 409, 422]).toContain((await a.api("POST", `/api/v2/undelivered_mail/${x.deadId}/resend.json`)).status);
    await jobsSettled(d, a.tenantId);
    expect({ suspended: mailsTo(suspended.email).length, deleted: mailsTo(deleted.email).length }).toEqual({ suspended: 0, deleted: 0 });
  });

  it("resending an undelivered notification after content-free mode was turned on mails the full subject and text", async () => {
    // A team turns on content_free because its conversations hold health or financial data; the
    // messages already in the dead-letter list (and in retry) keep the subject and the comment, and
    // "resend" sends them as they are. Fix: re-render from the ticket at resend time, or at least
    // send the content-free text when the tenant is content-free now.
    const a = await buildTenant(d, "dlcf");
    const x = await deadReply(a, "Biopsy results", "The biopsy shows a malignant tumour.");
    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { content_free: true } })).status).toBe(200);
    gate.refuse.delete(x.email);
    expect((await a.api("POST", `/api/v2/undelivered_mail/${x.deadId}/resend.json`)).status).toBe(204);
    await jobsSettled(d, a.tenantId);
    const sent = mailsTo(x.email).map((m) => `${m.subject}\n${m.text}`).join("\n");
    expect(sent).not.toContain("malignant");
    expect(sent).not.toContain("Biopsy");
  });

  it("resending an undelivered notification of a ticket deleted since mails its content", async () => {
    // Deleting a ticket leaves its undelivered notifications (sealed subject and comment) in the
    // list, with no end date (undelivered_mail has no retention), and resend mails them.
    const a = await buildTenant(d, "dldel");
    const x = await deadReply(a, "Opened by mistake: other customer's order", "Order 7781 for Jo Bloggs, 3 items.");
    expect((await a.api("DELETE", `/api/v2/tickets/${x.ticketId}.json`)).status).toBe(204);
    gate.refuse.delete(x.email);
    const r = await a.api("POST", `/api/v2/undelivered_mail/${x.deadId}/resend.json`);
    expect([204, 404, 409, 422]).toContain(r.status);
    await jobsSettled(d, a.tenantId);
    expect(mailsTo(x.email).map((m) => m.subject)).toEqual([]);
  });

  it("sends an undelivered message again once, however many resends race, and never keeps an invitation or an address-change link", async () => {
    const a = await buildTenant(d, "dlrace");
    const x = await deadReply(a, "Race", "Once only.");
    gate.refuse.delete(x.email);
    const answers = await Promise.all(Array.from({ length: 5 }, () => a.api("POST", `/api/v2/undelivered_mail/${x.deadId}/resend.json`)));
    expect(answers.map((r) => r.status).sort()).toEqual([204, 404, 404, 404, 404]);
    await jobsSettled(d, a.tenantId);
    expect(mailsTo(x.email)).toHaveLength(1);
    expect((await a.api("DELETE", `/api/v2/undelivered_mail/${x.deadId}.json`)).status).toBe(404);

    // Mail with a secret link, refused at every attempt: an invitation, and the confirmation of a
    // new address (the notice to the old address carries no link and may be kept).
    const invitee = `inv-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`;
    const user = await buildUser(d, a, "end-user", "Mo Ved");
    const newAddress = `new-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`;
    for (const e of [invitee, newAddress, user.email]) gate.refuse.add(e);
    expect((await a.api("POST", "/api/v2/invitations.json", { invitation: { email: invitee, role: "agent" } })).status).toBe(201);
    expect((await a.api("PUT", `/api/v2/users/${user.id}.json`, { user: { email: newAddress } })).status).toBe(200);
    await jobsSettled(d, a.tenantId);
    const list = (await a.api("GET", "/api/v2/undelivered_mail.json")).body.undelivered_mail as Array<{ id: string; to: string }>;
    expect(list.map((m) => m.to)).not.toContain(invitee);
    expect(list.map((m) => m.to)).not.toContain(newAddress);
    // Whatever was kept, sent again, carries no link with a token.
    for (const e of [invitee, newAddress, user.email]) gate.refuse.delete(e);
    const before = gate.messages.length;
    for (const m of list) expect((await a.api("POST", `/api/v2/undelivered_mail/${m.id}/resend.json`)).status).toBe(204);
    await jobsSettled(d, a.tenantId);
    expect(gate.messages.slice(before).filter((m) => /token=/.test(m.text ?? ""))).toEqual([]);
  });

  it("writes no address, subject or text of any message to the log, also when the relay's refusal quotes the address", async () => {
    expect(secrets.size).toBeGreaterThan(0);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join("")).toContain("job attempt failed");
    const log = logLines.join("");
    expect([...secrets].filter((s) => log.includes(s))).toEqual([]);
  });
});

// ---- TLS to the relay ------------------------------------------------------------------------------

describe("TLS to the mail relay", () => {
  let dir: string;
  let tlsPeer: SmtpPeer;
  let plainPeer: SmtpPeer;
  let caFile: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-attack-tls-"));
    const cert = makeTestCertificate(dir, "Attack test relay CA");
    caFile = cert.caFile;
    tlsPeer = await startSmtpPeer(0, { tls: { key: cert.key, cert: cert.cert } });
    plainPeer = await startSmtpPeer();
  });
  afterAll(async () => {
    await tlsPeer?.close();
    await plainPeer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const message = { to: "tls@example.test", subject: "TLS check", text: "hello" };

  it("VAULTDESK_SMTP_RELAY_TLS=required is undone by options in VAULTDESK_SMTP_URL's query", async () => {
    // createMailer (mail.ts) passes the URL to nodemailer beside requireTLS and tls; nodemailer
    // parses the URL's query into options and lets them win (shared.assign(options, urlData)). A
    // URL copied from a provider's page — ?ignoreTLS=true, ?requireTLS=false,
    // ?tls.rejectUnauthorized=false, ?tls.minVersion=TLSv1 — silently turns `required` back into
    // clear text or an unverified certificate, and the config accepts it. Fix: refuse a query in
    // VAULTDESK_SMTP_URL (or any TLS-related key in it) at start, or build the options from the
    // parsed URL and set ours last.
    const sentAnyway: string[] = [];
    for (const [url, peer] of [
      [`${plainPeer.url}?ignoreTLS=true`, plainPeer],
      [`${plainPeer.url}?requireTLS=false`, plainPeer],
      [`${tlsPeer.url}?tls.rejectUnauthorized=false`, tlsPeer],
    ] as const) {
      let mailer: ReturnType<typeof createMailer>;
      try {
        mailer = createMailer(loadConfig({ VAULTDESK_DATA_DIR: dir, VAULTDESK_SMTP_RELAY_TLS: "required", VAULTDESK_SMTP_URL: url }));
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        continue;
      }
      const before = peer.messages.length;
      await mailer.send(message).catch(() => undefined);
      mailer.close();
      if (peer.messages.length > before) sentAnyway.push(url.replace(/^.*\?/, "?"));
    }
    expect(sentAnyway).toEqual([]);
  });

  it("opportunistic TLS does not fall back to clear text when the relay's certificate does not verify", async () => {
    const mailer = createMailer(loadConfig({ VAULTDESK_DATA_DIR: dir, VAULTDESK_SMTP_URL: tlsPeer.url }));
    const before = tlsPeer.messages.length;
    await expect(mailer.send(message)).rejects.toThrow();
    mailer.close();
    expect(tlsPeer.messages.length).toBe(before);
    // With the CA it goes over TLS.
    const trusted = createMailer(loadConfig({ VAULTDESK_DATA_DIR: dir, VAULTDESK_SMTP_URL: tlsPeer.url, VAULTDESK_SMTP_RELAY_CA_FILE: caFile }));
    await trusted.send(message);
    trusted.close();
    expect(tlsPeer.secure.at(-1)).toBe(true);
  });
});
