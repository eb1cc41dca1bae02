import crypto from "node:crypto";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, jobsSettled, signInByMail } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * E-mail notifications over a real SMTP conversation: who is told what, in which language, and
 * what a message never carries (internal notes, card numbers, the text when content-free).
 */

let t: TestApp;
let smtp: SmtpPeer;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const customer = (a: TestTenant) => `c-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`;
/** Every mail to `to` received since `since` messages, once the tenant's jobs have settled. */
async function mailTo(a: TestTenant, to: string, since: number): Promise<ParsedMail[]> {
  await jobsSettled(t, a.tenantId);
  const recipients = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((x) => x.value.map((v) => (v.address ?? "").toLowerCase()));
  return smtp.messages.slice(since).filter((m) => recipients(m).includes(to.toLowerCase()));
}

describe("notifications to the requester", () => {
  it("acknowledges a request from the help center's form with a link only: the address may not be the sender's", async () => {
    const a = await buildTenant(t, "ntack");
    const email = customer(a);
    const since = smtp.messages.length;
    const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, body: { request: { subject: "Printer on fire", comment: { body: "It started smoking this morning." }, requester: { name: "Pat Customer", email } } } });
    expect(r.status, r.text).toBe(201);
    const [mail, ...more] = await mailTo(a, email, since);
    expect(more).toEqual([]);
    expect(mail!.subject).toContain(`Request #${r.body.request.id} received`);
    expect(mail!.subject).not.toContain("Printer on fire");
    // Neither the words nor the name typed into the form.
    expect(mail!.text).not.toContain("Pat Customer");
    expect(mail!.text).not.toContain("It started smoking this morning.");
    expect(mail!.text).toContain(`${a.origin}/requests/${r.body.request.id}`);
    expect(mail!.html).toBe(false);
  });

  it("tells the requester of a public reply, never of an internal note, and once when a reply solves the ticket", async () => {
    const a = await buildTenant(t, "ntreply");
    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Invoice question", comment: { body: "Opened by phone.", public: false }, requester: { name: "Robin Buyer", email } } });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    let since = smtp.messages.length;
    // An internal note: nothing.
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Secret: the customer is on the watch list.", public: false } } })).status).toBe(200);
    expect(await mailTo(a, email, since)).toEqual([]);
    // A public reply: the reply, not the note.
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "We refunded the second charge." } } })).status).toBe(200);
    const replies = await mailTo(a, email, since);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.subject).toContain("Re: Invoice question");
    expect(replies[0]!.text).toContain("We refunded the second charge.");
    expect(JSON.stringify(smtp.messages.slice(since).map((m) => [m.subject, m.text]))).not.toContain("watch list");
    // A reply that solves: one message, the solved one, with the reply.
    since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "solved", comment: { body: "All done, the refund is on its way." } } })).status).toBe(200);
    const solved = await mailTo(a, email, since);
    expect(solved.map((m) => m.subject)).toEqual([expect.stringContaining("Solved: Invoice question")]);
    expect(solved[0]!.text).toContain("All done, the refund is on its way.");
  });

  it("writes in the requester's language, masks card numbers, and keeps placeholders in a comment as text", async () => {
    const a = await buildTenant(t, "ntlang");
    const email = customer(a);
    let since = smtp.messages.length;
    const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, body: { request: { subject: "カードの件", comment: { body: "カード 4111 1111 1111 1111 で払いました。" }, requester: { name: "田中 ゆい", email }, locale: "ja" } } });
    expect(r.status, r.text).toBe(201);
    const [ack] = await mailTo(a, email, since);
    expect(ack!.subject).toContain(`お問い合わせ #${r.body.request.id} を受け付けました`);
    expect(ack!.text).not.toContain("田中");
    // The acknowledgement quotes nothing of the request (its link may hold any digits, a port say).
    expect(ack!.text).not.toMatch(/4111[ -]?1111/);
    expect(ack!.text).not.toContain("払いました");
    since = smtp.messages.length;
    const reply = await a.api("PUT", `/api/v2/tickets/${r.body.request.id}.json`, { ticket: { comment: { body: "カード 4111-1111-1111-1111 の件、返金しました。{{ticket.url}} {{team}} 注文番号 20261130-42" } } });
    expect(reply.status).toBe(200);
    const [mail] = await mailTo(a, email, since);
    expect(mail!.subject).toBe(`[${a.subdomain}.localhost] Re: カードの件`);
    expect(mail!.text).toContain("田中 ゆい 様");
    expect(mail!.text).toContain("****-****-****-1111");
    expect(mail!.text).not.toMatch(/4111[ -]?1111[ -]?1111/);
    // A number too short to be a card is left alone.
    expect(mail!.text).toContain("注文番号 20261130-42");
    // Placeholders written in a comment stay text.
    expect(mail!.text).toContain("{{ticket.url}} {{team}}");
  });
});

describe("notifications to staff", () => {
  it("tells the assignee of a customer's reply, or the group's agents when nobody is assigned", async () => {
    const a = await buildTenant(t, "ntstaff");
    const agent = await buildUser(t, a, "agent", "Alex Agent");
    const other = await buildUser(t, a, "agent", "Olive Other");
    const group = await a.api("POST", "/api/v2/groups.json", { group: { name: "Billing" } });
    for (const u of [agent, other]) expect((await a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: u.id, group_id: group.body.group.id } })).status).toBe(201);
    const email = customer(a);
    // A new request in the group, nobody assigned: both agents are told.
    let since = smtp.messages.length;
    const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, body: { request: { subject: "Where is my parcel", comment: { body: "Ordered two weeks ago." }, requester: { name: "Sam Shopper", email } } } });
    expect(r.status).toBe(201);
    const id = r.body.request.id as number;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { group_id: group.body.group.id } })).status).toBe(200);
    const session = await signInByMail(t, smtp, a, email);
    since = smtp.messages.length;
    expect((await asSession(t, a, session, "PUT", `/api/v2/requests/${id}.json`, { request: { comment: { body: "Any news?" } } })).status).toBe(200);
    for (const u of [agent, other]) {
      const got = await mailTo(a, u.email, since);
      expect(got, u.email).toHaveLength(1);
      expect(got[0]!.text).toContain("Sam Shopper wrote on ticket");
      expect(got[0]!.text).toContain("Any news?");
      expect(got[0]!.text).toContain(`${a.origin}/agent/tickets/${id}`);
    }
    // The customer is not told of their own comment.
    expect(await mailTo(a, email, since)).toEqual([]);
    // Assigned: only the assignee.
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { assignee_id: agent.id } })).status).toBe(200);
    since = smtp.messages.length;
    expect((await asSession(t, a, session, "PUT", `/api/v2/requests/${id}.json`, { request: { comment: { body: "Hello?" } } })).status).toBe(200);
    expect(await mailTo(a, agent.email, since)).toHaveLength(1);
    expect(await mailTo(a, other.email, since)).toEqual([]);
  });
});

describe("settings", () => {
  it("are an admin's; each notification can be turned off, and content-free messages carry only a link", async () => {
    const a = await buildTenant(t, "ntset");
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("GET", "/api/v2/notification_settings.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { public_reply: false } }, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("GET", "/api/v2/notification_settings.json")).body.settings).toEqual({ request_received: true, public_reply: true, solved: true, end_user_update: true, cc_update: true, content_free: false });
    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { public_reply: "no" } })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { unknown: true } })).status).toBe(422);

    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Blood test results", comment: { body: "Your results: glucose 5.4 mmol/L." }, requester: { name: "Kim Patient", email } } });
    expect(c.status).toBe(201);
    const id = c.body.ticket.id as number;
    // A ticket staff opened for a customer with a public comment tells them (Zendesk's proactive ticket).
    await jobsSettled(t, a.tenantId);
    expect(smtp.messages.some((m) => m.text?.includes("glucose 5.4"))).toBe(true);

    const set = await a.api("PUT", "/api/v2/notification_settings.json", { settings: { public_reply: false } });
    expect(set.status, set.text).toBe(200);
    let since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Second result: normal." } } })).status).toBe(200);
    expect(await mailTo(a, email, since)).toEqual([]);

    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { public_reply: true, content_free: true } })).status).toBe(200);
    since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Third result: cholesterol 6.1." } } })).status).toBe(200);
    const [mail] = await mailTo(a, email, since);
    expect(mail!.subject).toContain(`New reply to request #${id}`);
    expect(mail!.subject).not.toContain("Blood test");
    expect(mail!.text).not.toContain("cholesterol");
    expect(mail!.text).toContain(`${a.origin}/requests/${id}`);
    // Audited.
    const trail = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=notification_settings.updated");
    expect(trail.status).toBe(200);
  });
});

describe("templates", () => {
  it("lets an admin replace a notification's text per language, with checked placeholders, and go back to the built-in one", async () => {
    const a = await buildTenant(t, "nttpl");
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("GET", "/api/v2/notification_templates.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    const list = await a.api("GET", "/api/v2/notification_templates.json");
    expect(list.status).toBe(200);
    expect(list.body.notification_templates).toHaveLength(25);
    expect(list.body.notification_templates.every((x: { customized: boolean }) => !x.customized)).toBe(true);
    expect(list.body.placeholders).toContain("ticket.url");

    const path = "/api/v2/notification_templates/public_reply/ja.json";
    const unknown = await a.api("PUT", path, { notification_template: { subject: "返信 {{ticket.title}}", body: "{{requester.password}} {{comment}}" } });
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain("{{requester.password}}");
    expect((await a.api("PUT", path, { notification_template: { subject: "a\r\nBcc: x@evil.test", body: "x" } })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/notification_templates/public_reply/fr.json", { notification_template: { subject: "x", body: "x" } })).status).toBe(422);
    expect((await a.api("PUT", path, { notification_template: { subject: "x", body: "x" } }, { email: agent.email, token: agent.token! })).status).toBe(403);
    const saved = await a.api("PUT", path, { notification_template: { subject: "【{{team}}】{{ticket.title}} へのご返信", body: "{{name}} 様\n\n{{comment}}\n\n— サポートチーム\n{{ticket.url}}\n" } });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body.notification_template.customized).toBe(true);

    const email = customer(a);
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "配送の件", comment: { body: "確認中です。", public: false }, requester: { name: "佐藤 花子", email } } });
    await t.request({ method: "PUT", path: `/api/v2/users/${c.body.ticket.requester_id}.json`, host: a.host, headers: { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") }, body: { user: { locale: "ja" } } });
    let since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "本日発送しました。" } } })).status).toBe(200);
    let [mail] = await mailTo(a, email, since);
    expect(mail!.subject).toMatch(/^【.+】配送の件 へのご返信$/);
    expect(mail!.text).toBe(`佐藤 花子 様\n\n本日発送しました。\n\n— サポートチーム\n${a.origin}/requests/${c.body.ticket.id}\n`);

    // Content-free messages keep their built-in text: a template could name the comment.
    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { content_free: true } })).status).toBe(200);
    since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "追跡番号は 123 です。" } } })).status).toBe(200);
    [mail] = await mailTo(a, email, since);
    expect(mail!.text).not.toContain("追跡番号");
    expect(mail!.subject).toContain("返信があります");
    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { content_free: false } })).status).toBe(200);

    expect((await a.api("DELETE", path)).status).toBe(204);
    since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "到着予定は明日です。" } } })).status).toBe(200);
    [mail] = await mailTo(a, email, since);
    expect(mail!.subject).toContain("Re: 配送の件");
    // Another tenant sees its own built-in texts.
    const b = await buildTenant(t, "nttplb");
    expect((await b.api("GET", "/api/v2/notification_templates.json")).body.notification_templates.filter((x: { customized: boolean }) => x.customized)).toEqual([]);
  });
});
