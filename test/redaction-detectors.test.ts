import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARDS_ONLY, maskSensitive, type Detectors } from "../src/platform/redaction.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { FakeDns, message, send, settled, supportOf } from "./support/mail-in.ts";

/**
 * Per-tenant redaction detectors beside card numbers: IBANs (checksum-valid, ibantools) and
 * national identity numbers (validated by the stdnum library), off by default, set by admins
 * (audited), and masked on the same ways in as card numbers: subjects, comments, custom text
 * values, renamed subjects, the help center's form and e-mail.
 */

// A Dutch IBAN: its digit runs are too short for the card detector, so only the IBAN detector masks it.
// (An IBAN whose digits hold a Luhn-valid run of 13 to 19 is partly masked as a card, detector or not.)
const IBAN = "NL91 ABNA 0417 1643 00";
const IBAN_MASKED = "**** **** **** **43 00";
const IBAN_BAD = "NL91 ABNA 0417 1643 01";
const PNR = "850709-9805"; // a Swedish personnummer whose check digit is right
const ALL: Detectors = { iban: true, nationalIds: ["SE", "DK", "FI", "NO", "US"] };

describe("the masking step", () => {
  it("masks checksum-valid IBANs, with or without spaces, and keeps the last four characters", () => {
    expect(maskSensitive(`pay to ${IBAN} thanks`, ALL)).toBe(`pay to ${IBAN_MASKED} thanks`);
    expect(maskSensitive("iban: nl91abna0417164300.", ALL)).toBe("iban: **************4300.");
    expect(maskSensitive("SE45 5000 0000 0583 9825 7466", ALL)).toBe("**** **** **** **** **** 7466");
    expect(maskSensitive("DE89 3704 0044 0532 0130 00", ALL)).toBe("**** **** **** **** **30 00");
  });

  it("leaves an IBAN whose checksum fails, and any IBAN when the detector is off", () => {
    expect(maskSensitive(`wrong ${IBAN_BAD}`, { iban: true, nationalIds: [] })).toBe(`wrong ${IBAN_BAD}`);
    expect(maskSensitive(`pay to ${IBAN}`, CARDS_ONLY)).toBe(`pay to ${IBAN}`);
  });

  it("masks the national ids the library validates, per country turned on", () => {
    expect(maskSensitive(`pnr ${PNR}, 19${PNR} and 8507099805`, ALL)).toBe("pnr ******-9805, ********-9805 and ******9805");
    expect(maskSensitive("cpr 211062-5629", ALL)).toBe("cpr ******-5629");
    expect(maskSensitive("hetu 131052-308T", ALL)).toBe("hetu ******-308T");
    expect(maskSensitive("fnr 15108695088", ALL)).toBe("fnr *******5088");
    expect(maskSensitive("ssn 536-90-4399", ALL)).toBe("ssn ***-**-4399");
    // Country off: untouched.
    expect(maskSensitive(`pnr ${PNR}`, { iban: false, nationalIds: ["DK"] })).toBe(`pnr ${PNR}`);
    expect(maskSensitive("ssn 536-90-4399", { iban: false, nationalIds: ["SE"] })).toBe("ssn 536-90-4399");
  });

  it("leaves numbers the library refuses: a wrong check digit, an impossible date, a forbidden SSN area, an order number", () => {
    for (const s of ["pnr 850709-9806", "pnr 851309-9805", "cpr 321062-5629", "hetu 131052-308A", "fnr 15108695089", "ssn 666-90-4399", "ssn 000-12-3456", "order 1234567890", "ticket 536904399"]) {
      expect(maskSensitive(s, ALL)).toBe(s);
    }
  });

  it("still masks card numbers alongside", () => {
    expect(maskSensitive(`card 4111 1111 1111 1111 and ${PNR}`, ALL)).toBe("card **** **** **** 1111 and ******-9805");
  });
});

const dns = new FakeDns();
let t: TestApp;
let a: TestTenant;
beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1" }, dnsResolver: dns.resolver });
  dns.domain("customer.test");
  a = await buildTenant(t, "redact");
});
afterAll(async () => t?.close());

type Json = Record<string, any>;
const everything = async (x: TestTenant, id: number) =>
  (await Promise.all([`/api/v2/tickets/${id}.json`, `/api/v2/tickets/${id}/comments.json`, `/api/v2/tickets/${id}/audits.json`].map((p) => x.api("GET", p)))).map((r) => r.text).join("\n");
const digits = (s: string) => s.replace(/[\s-]/g, "");

describe("redaction settings", () => {
  it("are off by default: an IBAN and a personnummer are kept as written", async () => {
    const b = await buildTenant(t, "redoff");
    expect((await b.api("GET", "/api/v2/redaction_settings.json")).body.redaction_settings).toEqual({ iban: false, national_ids: [], available_national_ids: ["SE", "DK", "FI", "NO", "US"], updated_at: null });
    const r = await b.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Refund to ${IBAN}`, comment: { body: `My personnummer is ${PNR}` } } });
    expect(r.status, r.text).toBe(201);
    expect(r.body.ticket.subject).toBe(`Refund to ${IBAN}`);
    expect(await everything(b, r.body.ticket.id)).toContain(PNR);
  });

  it("are for owners and admins, validated (422), and audited", async () => {
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("GET", "/api/v2/redaction_settings.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("PUT", "/api/v2/redaction_settings.json", { redaction_settings: { iban: true } }, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("PUT", "/api/v2/redaction_settings.json", { redaction_settings: { national_ids: ["XX"] } })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/redaction_settings.json", { redaction_settings: { iban: "yes" } })).status).toBe(422);
    const put = await a.api("PUT", "/api/v2/redaction_settings.json", { redaction_settings: { iban: true, national_ids: ["SE", "US", "SE"] } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.redaction_settings).toMatchObject({ iban: true, national_ids: ["SE", "US"] });
    const log = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((l) => l.action);
    expect(log).toContain("redaction_settings.updated");
  });

  it("when on, mask on every way in: subject, comments (plain and HTML), custom text, renamed subject; search finds nothing", async () => {
    expect((await a.api("PUT", "/api/v2/redaction_settings.json", { redaction_settings: { iban: true, national_ids: ["SE", "US"] } })).status).toBe(200);
    const field = await a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Account" } });
    const fid = field.body.ticket_field.id as number;
    const created = await a.api("POST", "/api/v2/tickets.json", {
      ticket: { subject: `Refund to ${IBAN}`, comment: { html_body: `<p>Personnummer <b>${PNR}</b></p>` }, custom_fields: [{ id: fid, value: `ssn 536-90-4399` }] },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.ticket.id as number;
    expect(created.body.ticket.subject).toBe(`Refund to ${IBAN_MASKED}`);
    expect(created.body.ticket.custom_fields).toContainEqual({ id: fid, value: "ssn ***-**-4399" });
    const reply = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { subject: `Renamed ${digits(IBAN)}`, comment: { body: `Also ${PNR} and 536-90-4399`, public: false } } });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.ticket.subject).toBe("Renamed **************4300");
    const all = await everything(a, id);
    expect(digits(all)).not.toContain(digits(IBAN));
    expect(all).not.toContain(PNR);
    expect(all).not.toContain("536-90-4399");
    expect(all).toContain("******-9805");
    const results = async (q: string) => ((await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`)).body.results as Json[]).map((r) => r.id);
    expect(await results("8507099805")).toEqual([]);
    expect(await results("renamed")).toEqual([id]);
  });

  it("when on, mask the help center's form and e-mail", async () => {
    expect((await a.api("PUT", "/api/v2/redaction_settings.json", { redaction_settings: { iban: true, national_ids: ["SE"] } })).status).toBe(200);
    const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, body: { request: { subject: `Pay ${IBAN}`, comment: { body: `pnr ${PNR}` }, requester: { name: "Kim", email: "kim@customer.test" } } } });
    expect(r.status, r.text).toBe(201);
    const form = await everything(a, r.body.request.id);
    expect(form).not.toContain(PNR);
    expect(digits(form)).not.toContain(digits(IBAN));

    const port = t.app.smtpIn!.port;
    await send(port, { from: "pat@customer.test", to: [supportOf(a)] }, message({ from: "Pat <pat@customer.test>", to: supportOf(a), subject: `IBAN ${IBAN}`, text: `My personnummer: ${PNR}` }));
    await settled(t, a, 1);
    const ticket = ((await a.api("GET", "/api/v2/tickets.json?per_page=100")).body.tickets as Json[]).find((x) => x.via.channel === "email")!;
    expect(ticket.subject).toBe(`IBAN ${IBAN_MASKED}`);
    const mail = await everything(a, ticket.id);
    expect(mail).not.toContain(PNR);
    // The original message held what was masked: it is not kept.
    const [c] = (await a.api("GET", `/api/v2/tickets/${ticket.id}/comments.json`)).body.comments as Json[];
    expect((await a.api("GET", `/api/v2/tickets/${ticket.id}/comments/${c!.id}/original`)).status).toBe(410);
  });

  it("turned off again, later writes keep numbers as written", async () => {
    expect((await a.api("PUT", "/api/v2/redaction_settings.json", { redaction_settings: { iban: false, national_ids: [] } })).status).toBe(200);
    const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Refund to ${IBAN}`, comment: { body: PNR } } });
    expect(r.body.ticket.subject).toBe(`Refund to ${IBAN}`);
  });
});
