import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConversationEvent } from "../src/modules/tickets/conversation.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, signInByMail, staffWithPassword } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * The conversation writer, through every route that writes to a ticket: what a requester sees is
 * built from public comments only, light agents write internal notes only, `comment.author_id`
 * cannot be used to write as someone else, every ticket and comment records its channel, and
 * every write announces itself on the app's hooks (where search indexing will attach).
 */

let t: TestApp;
let smtp: SmtpPeer;
const events: ConversationEvent[] = [];

beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url } });
  t.app.hooks.on("conversation.written", (_ctx, e) => {
    events.push(e);
  });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const anon = (a: TestTenant, method: string, path: string, body?: unknown) => t.request({ method, path, host: a.host, body });

describe("what a requester sees", () => {
  it("never shows an internal note that opened a ticket: not as description, subject, request or personal data", async () => {
    const a = await buildTenant(t, "cvpriv");
    const email = `quiet.${Date.now()}@example.test`;
    const eu = await a.api("POST", "/api/v2/users.json", { user: { name: "Quiet Customer", email } });
    // An agent opens a ticket for the customer with an internal note and no subject.
    const note = "INTERNAL: customer owes us money, be careful";
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { requester_id: eu.body.user.id, comment: { body: note, public: false } } });
    expect(c.status, c.text).toBe(201);
    expect(c.body.ticket.subject).toBe("(no subject)");
    expect(c.body.ticket.is_public).toBe(false);
    // Staff still see the note as the ticket's description.
    expect(c.body.ticket.description).toBe(note);
    const s = await signInByMail(t, smtp, a, email);
    const list = await asSession(t, a, s, "GET", "/api/v2/requests.json");
    expect(list.body.requests).toEqual([]);
    expect((await asSession(t, a, s, "GET", `/api/v2/requests/${c.body.ticket.id}.json`)).status).toBe(404);
    expect((await asSession(t, a, s, "GET", `/api/v2/requests/${c.body.ticket.id}/comments.json`)).status).toBe(404);
    const mine = await asSession(t, a, s, "GET", "/api/v2/help_center/me/personal_data.json");
    expect(mine.status, mine.text).toBe(200);
    expect(mine.text).not.toContain("INTERNAL");
    // Once the agent replies publicly, the request appears, described by the public reply.
    expect((await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "Hello, we looked into your order." } } })).status).toBe(200);
    const shown = await asSession(t, a, s, "GET", `/api/v2/requests/${c.body.ticket.id}.json`);
    expect(shown.status).toBe(200);
    expect(shown.body.request).toMatchObject({ description: "Hello, we looked into your order.", is_public: true, subject: "(no subject)" });
    expect(shown.text).not.toContain("INTERNAL");
    const comments = await asSession(t, a, s, "GET", `/api/v2/requests/${c.body.ticket.id}/comments.json`);
    expect(comments.body.comments.map((x: { body: string }) => x.body)).toEqual(["Hello, we looked into your order."]);
    expect((await asSession(t, a, s, "GET", "/api/v2/help_center/me/personal_data.json")).text).not.toContain("INTERNAL");
    // A subject is still taken from a public first comment.
    const pub = await a.api("POST", "/api/v2/tickets.json", { ticket: { requester_id: eu.body.user.id, comment: { body: "Your parcel left today\nDetails follow." } } });
    expect(pub.body.ticket.subject).toBe("Your parcel left today");
  });
});

describe("light agents", () => {
  it("write internal notes only, on the tickets API and the requests API alike", async () => {
    const a = await buildTenant(t, "cvlight");
    const light = await staffWithPassword(t, a, "light-agent");
    const viaForm = await asSession(t, a, light.session, "POST", "/api/v2/requests.json", { request: { subject: "Public from a light agent", comment: { body: "should not be written" } } });
    expect(viaForm.status, viaForm.text).toBe(403);
    expect(viaForm.body.description).toMatch(/Light agents can only add internal notes/);
    // A request the light agent is the requester of: replying publicly is refused too.
    const own = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Light agent's own", requester_id: light.id, comment: { body: "opened for them" } } });
    const reply = await asSession(t, a, light.session, "PUT", `/api/v2/requests/${own.body.ticket.id}.json`, { request: { comment: { body: "public reply" } } });
    expect(reply.status, reply.text).toBe(403);
    const tickets = await asSession(t, a, light.session, "PUT", `/api/v2/tickets/${own.body.ticket.id}.json`, { ticket: { comment: { body: "public", public: true } } });
    expect(tickets.status).toBe(403);
    const note = await asSession(t, a, light.session, "PUT", `/api/v2/tickets/${own.body.ticket.id}.json`, { ticket: { comment: { body: "a note", public: false } } });
    expect(note.status, note.text).toBe(200);
    const all = await a.api("GET", `/api/v2/tickets/${own.body.ticket.id}/comments.json`);
    expect(all.body.comments.map((c: { body: string; public: boolean }) => [c.body, c.public])).toEqual([["opened for them", true], ["a note", false]]);
  });
});

describe("comment.author_id", () => {
  it("lets an agent write for an end user and an admin for anyone, always recording who wrote it", async () => {
    const a = await buildTenant(t, "cvauth");
    const agent = await buildUser(t, a, "agent", "Agent Smith");
    const other = await buildUser(t, a, "agent", "Other Agent");
    const light = await buildUser(t, a, "light-agent");
    const customer = await buildUser(t, a, "end-user", "Customer");
    const asAgent = { email: agent.email, token: agent.token! };
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Phone call", requester_id: customer.id, comment: { body: "opened" } } });
    const id = c.body.ticket.id;
    // As another agent: refused, and nothing is written.
    const forged = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "I quit", author_id: other.id } } }, asAgent);
    expect(forged.status, forged.text).toBe(403);
    expect(forged.body.description).toMatch(/Only admins/);
    // A light agent cannot name anyone, even in a note.
    const byLight = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "n", public: false, author_id: customer.id } } }, { email: light.email, token: light.token! });
    expect(byLight.status).toBe(403);
    // For the customer (a call taken down): allowed, and the comment says who wrote it.
    const taken = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Customer said: it works now", author_id: customer.id } } }, asAgent);
    expect(taken.status, taken.text).toBe(200);
    // An admin may write in a staff member's name.
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "for the other agent", public: false, author_id: other.id } } })).status).toBe(200);
    // Creating with a submitter who is another agent is the same rule.
    const sub = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", submitter_id: other.id, comment: { body: "as other" } } }, asAgent);
    expect(sub.status).toBe(403);
    // Also when the comment is put in a customer's name: the submitter is checked on its own.
    const subWithAuthor = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", submitter_id: other.id, requester_id: customer.id, comment: { body: "as other", author_id: customer.id } } }, asAgent);
    expect(subWithAuthor.status, subWithAuthor.text).toBe(403);
    expect(subWithAuthor.body.description).toMatch(/^Submitter: Only admins/);
    const comments = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments;
    expect(comments.map((x: { body: string; author_id: number; written_by_id: number }) => [x.body, x.author_id, x.written_by_id])).toEqual([
      ["opened", 1, 1],
      ["Customer said: it works now", customer.id, agent.id],
      ["for the other agent", other.id, 1],
    ]);
    // The writers come with the authors when users are sideloaded, so a page can name both.
    const sideloaded = (await a.api("GET", `/api/v2/tickets/${id}/comments.json?include=users`)).body.users.map((u: { id: number }) => u.id);
    expect(sideloaded).toEqual(expect.arrayContaining([1, customer.id, agent.id, other.id]));
  });
});

describe("who wrote it", () => {
  it("is nobody when nobody signed in: the help center's form with a staff member's address", async () => {
    const a = await buildTenant(t, "cvanon");
    const agent = await buildUser(t, a, "agent", "Agent Smith");
    const r = await anon(a, "POST", "/api/v2/requests.json", { request: { subject: "Refund approved", comment: { body: "I approve the refund" }, requester: { name: "Agent Smith", email: agent.email } } });
    expect(r.status, r.text).toBe(201);
    const id = r.body.request.id;
    const [comment] = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments;
    // Put under the address's owner (the ticket is theirs to see), but never as written by them.
    expect(comment.author_id).toBe(agent.id);
    expect(comment.written_by_id).toBeNull();
    const [opened] = (await a.api("GET", `/api/v2/tickets/${id}/audits.json`)).body.audits;
    expect(opened.author_id).toBeNull();
  });

  it("shows a person only their own requests' comments in their personal data", async () => {
    const a = await buildTenant(t, "cvpd");
    const customer = await buildUser(t, a, "end-user", "Customer");
    const neighbour = await buildUser(t, a, "end-user", "Neighbour");
    const own = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "mine", requester_id: customer.id, comment: { body: "my own words", author_id: customer.id } } });
    expect(own.status, own.text).toBe(201);
    // An admin puts the customer's name on a reply in the neighbour's ticket, which tells about the neighbour.
    const theirs = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "theirs", requester_id: neighbour.id, comment: { body: "the neighbour's diagnosis", author_id: customer.id } } });
    expect(theirs.status, theirs.text).toBe(201);
    const session = await signInByMail(t, smtp, a, customer.email);
    const pd = await asSession(t, a, session, "GET", "/api/v2/help_center/me/personal_data.json");
    expect(pd.status, pd.text).toBe(200);
    expect(pd.body.personal_data.comments.map((c: { body: string }) => c.body)).toEqual(["my own words"]);
    expect(pd.text).not.toContain("diagnosis");
  });
});

describe("channels and hooks", () => {
  it("stores the channel each ticket and comment came through, and announces every write", async () => {
    const a = await buildTenant(t, "cvvia");
    const agent = await staffWithPassword(t, a, "agent");
    const before = events.length;
    const byApi = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "by API", comment: { body: "x" } } });
    expect(byApi.body.ticket.via).toEqual({ channel: "api" });
    const byWeb = await asSession(t, a, agent.session, "POST", "/api/v2/tickets.json", { ticket: { subject: "in the workspace", comment: { body: "y" } } });
    expect(byWeb.body.ticket.via).toEqual({ channel: "web" });
    await asSession(t, a, agent.session, "PUT", `/api/v2/tickets/${byApi.body.ticket.id}.json`, { ticket: { comment: { body: "reply from the workspace" } } });
    const form = await anon(a, "POST", "/api/v2/requests.json", { request: { subject: "from the form", comment: { body: "z" }, requester: { name: "Ann", email: `ann.${Date.now()}@example.test` } } });
    expect(form.body.request.via).toEqual({ channel: "web" });
    expect((await a.api("GET", `/api/v2/tickets/${form.body.request.id}.json`)).body.ticket.via).toEqual({ channel: "web" });
    const comments = (await a.api("GET", `/api/v2/tickets/${byApi.body.ticket.id}/comments.json`)).body.comments;
    expect(comments.map((c: { via: { channel: string } }) => c.via.channel)).toEqual(["api", "web"]);
    const mine = events.slice(before).map((e) => [e.kind, "ticketNiceId" in e ? e.ticketNiceId : undefined, e.channel]);
    expect(mine).toEqual([
      ["ticket.created", byApi.body.ticket.id, "api"],
      ["ticket.created", byWeb.body.ticket.id, "web"],
      ["ticket.changed", byApi.body.ticket.id, "web"],
      ["ticket.created", form.body.request.id, "web"],
    ]);
  });

  it("accepts Zendesk's tagger type for drop-down fields", async () => {
    const a = await buildTenant(t, "cvtag");
    const f = await a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "tagger", title: "Product", custom_field_options: [{ name: "Phone", value: "phone" }] } });
    expect(f.status, f.text).toBe(201);
    expect(f.body.ticket_field.type).toBe("tagger");
    const back = await a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: f.body.ticket_field.type === "tagger" ? { type: "tagger", title: "Again", custom_field_options: [] } : {} });
    expect(back.status).toBe(201);
  });
});
