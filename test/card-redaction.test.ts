import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { FakeDns, message, send, settled, supportOf } from "./support/mail-in.ts";

/**
 * Card numbers are masked on every way text comes in, before anything is stored, indexed, audited
 * or mailed: the API (subject, description, comments, HTML bodies, custom text fields, a renamed
 * subject), the help center's anonymous form, and e-mail (subject and body; the original message
 * holding the card is not kept). What is stored is read back through the API (decrypted), and the
 * digits are searched for.
 */

const CARD = "4111 1111 1111 1111";
const CARD_DIGITS = "4111111111111111";
const MASKED = "**** **** **** 1111";

const dns = new FakeDns();
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1" }, dnsResolver: dns.resolver });
  dns.domain("customer.test");
});
afterAll(async () => t?.close());

type Json = Record<string, any>;

/** Everything the API shows of a ticket: the ticket, its comments and its audits, as one text. */
async function everything(a: TestTenant, id: number): Promise<string> {
  const parts = await Promise.all([`/api/v2/tickets/${id}.json`, `/api/v2/tickets/${id}/comments.json`, `/api/v2/tickets/${id}/audits.json`].map((p) => a.api("GET", p)));
  for (const p of parts) expect(p.status, p.text).toBe(200);
  return parts.map((p) => p.text).join("\n");
}

const noCard = (text: string) => {
  expect(text).not.toContain(CARD);
  expect(text.replace(/[\s-]/g, "")).not.toContain(CARD_DIGITS);
};

const searchIds = async (a: TestTenant, q: string) => ((await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`)).body.results as Json[]).map((r) => r.id);

describe("card numbers are masked before they are stored", () => {
  let a: TestTenant;
  beforeAll(async () => {
    a = await buildTenant(t, "cards");
  });

  it("through the API: subject, description, comments (plain and HTML), custom text fields, renamed subjects", async () => {
    const field = await a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Reference" } });
    expect(field.status, field.text).toBe(201);
    const fid = field.body.ticket_field.id as number;
    const created = await a.api("POST", "/api/v2/tickets.json", {
      ticket: { subject: `Charge on ${CARD}`, comment: { html_body: `<p>My card is <b>${CARD}</b> exp 12/27</p>` }, custom_fields: [{ id: fid, value: `card ${CARD_DIGITS}` }] },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.ticket.id as number;
    expect(created.body.ticket.subject).toBe(`Charge on ${MASKED}`);
    expect(created.body.ticket.custom_fields).toContainEqual({ id: fid, value: "card ************1111" });

    const reply = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { subject: `Renamed ${CARD_DIGITS}`, comment: { body: "Second card 5555-5555-5555-4444 123", public: false } } });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.ticket.subject).toBe("Renamed ************1111");

    const all = await everything(a, id);
    noCard(all);
    expect(all).not.toContain("5555-5555-5555-4444");
    expect(all).toContain(MASKED);
    expect(all).toContain("****-****-****-4444");
    // The last four digits stay, so the customer and the agent still know which card it was.
    const comments = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Json[];
    expect(comments[0]!.html_body).toContain(MASKED);
    expect(comments[1]!.body).toBe("Second card ****-****-****-4444 ***");
    // Not in the search index either: the digits find nothing, the words around them do.
    expect(await searchIds(a, CARD_DIGITS)).toEqual([]);
    expect(await searchIds(a, "4111")).toEqual([]);
    expect(await searchIds(a, "renamed")).toEqual([id]);
  });

  it("leaves text without a card number exactly as written", async () => {
    const body = "Ｏｒｄｅｒ ２０２６-１１ and tracking 1Z999AA10123456784, call +46 8 123 456 78";
    const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Order 20261130-42", comment: { body } } });
    expect(r.status, r.text).toBe(201);
    const [c] = (await a.api("GET", `/api/v2/tickets/${r.body.ticket.id}/comments.json`)).body.comments as Json[];
    expect(c!.body).toBe(body);
    expect(r.body.ticket.subject).toBe("Order 20261130-42");
  });

  it("through the help center's form", async () => {
    const r = await t.request({
      method: "POST",
      path: "/api/v2/requests.json",
      host: a.host,
      body: { request: { subject: `Refund to ${CARD}`, comment: { body: `Please refund ${CARD_DIGITS} today` }, requester: { name: "Kim Card", email: "kim@customer.test" } } },
    });
    expect(r.status, r.text).toBe(201);
    const id = r.body.request.id as number;
    noCard(await everything(a, id));
    expect((await a.api("GET", `/api/v2/tickets/${id}.json`)).body.ticket.subject).toBe(`Refund to ${MASKED}`);
  });

  it("through e-mail: subject and body masked, the original not kept", async () => {
    const port = t.app.smtpIn!.port;
    const sent = await send(port, { from: "pat@customer.test", to: [supportOf(a)] }, message({ from: "Pat <pat@customer.test>", to: supportOf(a), subject: `Card ${CARD}`, text: `Use ${CARD_DIGITS} please` }));
    expect(sent.rejected).toEqual([]);
    expect(await settled(t, a, 1)).toEqual([{ state: "ticket", outcome: null }]);
    const ticket = ((await a.api("GET", "/api/v2/tickets.json")).body.tickets as Json[]).find((x) => x.via.channel === "email")!;
    expect(ticket.subject).toBe(`Card ${MASKED}`);
    noCard(await everything(a, ticket.id));
    const [c] = (await a.api("GET", `/api/v2/tickets/${ticket.id}/comments.json`)).body.comments as Json[];
    expect(c!.body).toContain("************1111");
    const original = await a.api("GET", `/api/v2/tickets/${ticket.id}/comments/${c!.id}/original`);
    expect(original.status, original.text).toBe(410);
    expect(original.body.description).toMatch(/card number/);

    // A message without a card keeps its original.
    await send(port, { from: "pat@customer.test", to: [supportOf(a)] }, message({ from: "Pat <pat@customer.test>", to: supportOf(a), subject: "Plain", text: "Nothing secret here" }));
    await settled(t, a, 2);
    const plain = ((await a.api("GET", "/api/v2/tickets.json")).body.tickets as Json[]).find((x) => x.subject === "Plain")!;
    const [pc] = (await a.api("GET", `/api/v2/tickets/${plain.id}/comments.json`)).body.comments as Json[];
    expect((await a.api("GET", `/api/v2/tickets/${plain.id}/comments/${pc!.id}/original`)).text).toContain("Nothing secret here");
  });
});
