import crypto from "node:crypto";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { consentRecordFor } from "./support/consent.ts";
import { asSession, jobsSettled, signInByMail } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Restriction of processing (GDPR art. 18) and objection, and withdrawal of consent, over real
 * HTTP and a real SMTP peer: a restricted person gets no notification (and the withholding is
 * audited), staff see the restriction, consent is withdrawn by the person or by staff and both
 * records show, and nothing crosses tenants.
 */

type Json = Record<string, any>;
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
async function mailTo(a: TestTenant, to: string, since: number): Promise<ParsedMail[]> {
  await jobsSettled(t, a.tenantId);
  const recipients = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((x) => x.value.map((v) => (v.address ?? "").toLowerCase()));
  return smtp.messages.slice(since).filter((m) => recipients(m).includes(to.toLowerCase()));
}
const actions = async (a: TestTenant) => ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((l) => `${l.action}:${l.source_id ?? ""}`);

/** A ticket opened by staff for a new end user at `email`; returns the ticket's and the requester's ids. */
async function ticketFor(a: TestTenant, email: string): Promise<{ ticket: number; requester: number }> {
  const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Order question", comment: { body: "Opened by phone.", public: false }, requester: { name: "Robin Buyer", email } } });
  expect(c.status, c.text).toBe(201);
  return { ticket: c.body.ticket.id, requester: c.body.ticket.requester_id };
}

describe("restriction of processing", () => {
  it("withholds every notification from a restricted person (audited), tells an unrestricted one, and mails again once lifted", async () => {
    const a = await buildTenant(t, "rsmail");
    const restrictedEmail = customer(a);
    const otherEmail = customer(a);
    const r = await ticketFor(a, restrictedEmail);
    const o = await ticketFor(a, otherEmail);

    const put = await a.api("PUT", `/api/v2/users/${r.requester}/restriction.json`, { restriction: { restricted: true, reason: "Objected to processing by letter of 3 May" } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.restriction).toMatchObject({ user_id: r.requester, restricted: true, reason: "Objected to processing by letter of 3 May" });

    const since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${r.ticket}.json`, { ticket: { comment: { body: "We shipped the replacement." } } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${o.ticket}.json`, { ticket: { comment: { body: "We shipped the replacement." } } })).status).toBe(200);
    // A bulk job's write withholds the same way.
    const bulk = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${r.ticket}`, { ticket: { status: "solved" } });
    expect(bulk.status, bulk.text).toBe(200);
    expect(await mailTo(a, restrictedEmail, since)).toEqual([]);
    // Control: the same reply reaches a person who is not restricted.
    expect((await mailTo(a, otherEmail, since)).map((m) => m.text)).toEqual([expect.stringContaining("We shipped the replacement.")]);
    const log = await actions(a);
    expect(log).toContain(`user.restricted:${r.requester}`);
    expect(log.filter((x) => x === `notification.withheld:${r.requester}`).length).toBeGreaterThanOrEqual(2);

    // Lifted: audited, and the next reply is mailed.
    const lift = await a.api("PUT", `/api/v2/users/${r.requester}/restriction.json`, { restriction: { restricted: false } });
    expect(lift.body.restriction).toEqual({ user_id: r.requester, restricted: false, restricted_at: null, reason: null });
    expect(await actions(a)).toContain(`user.restriction_lifted:${r.requester}`);
    const after = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${r.ticket}.json`, { ticket: { status: "open", comment: { body: "One more thing about your order." } } })).status).toBe(200);
    expect((await mailTo(a, restrictedEmail, after)).map((m) => m.text)).toEqual([expect.stringContaining("One more thing about your order.")]);
  });

  it("shows the restriction to staff in the user JSON (the banner's data), never to the person, and refuses agents and a blank reason", async () => {
    const a = await buildTenant(t, "rsview");
    const email = customer(a);
    const { requester } = await ticketFor(a, email);
    const agent = await buildUser(t, a, "agent");
    const asAgent = { email: agent.email, token: agent.token! };

    expect((await a.api("PUT", `/api/v2/users/${requester}/restriction.json`, { restriction: { restricted: true } })).status).toBe(422);
    expect((await a.api("PUT", `/api/v2/users/${requester}/restriction.json`, { restriction: { restricted: true, reason: "  " } })).status).toBe(422);
    expect((await a.api("PUT", `/api/v2/users/${requester}/restriction.json`, { restriction: { restricted: true, reason: "Agent" } }, asAgent)).status).toBe(403);
    const before = (await a.api("GET", `/api/v2/users/${requester}.json`)).body.user;
    expect(before).toMatchObject({ restricted: false, restricted_at: null, restriction_reason: null });

    expect((await a.api("PUT", `/api/v2/users/${requester}/restriction.json`, { restriction: { restricted: true, reason: "Accuracy contested" } })).status).toBe(200);
    const seen = (await a.api("GET", `/api/v2/users/${requester}.json`, undefined, asAgent)).body.user;
    expect(seen.restricted).toBe(true);
    expect(Date.parse(seen.restricted_at)).toBeGreaterThan(0);
    expect(seen.restriction_reason).toBe("Accuracy contested");
    // In lists too (the People page).
    const listed = ((await a.api("GET", "/api/v2/users.json?per_page=100")).body.users as Json[]).find((u) => u.id === requester);
    expect(listed).toMatchObject({ restricted: true, restriction_reason: "Accuracy contested" });

    // The person does not see staff's record about them.
    // (Signing in is the person's own doing, not automated mail: the link still comes.)
    const session = await signInByMail(t, smtp, a, email);
    const me = (await asSession(t, a, session, "GET", "/api/v2/users/me.json")).body.user;
    expect(me.id).toBe(requester);
    expect(me).not.toHaveProperty("restricted");
    expect(me).not.toHaveProperty("restriction_reason");
  });

  it("answers 404 for another tenant's person, as for a missing one", async () => {
    const a = await buildTenant(t, "rsisoa");
    const b = await buildTenant(t, "rsisob");
    const { requester } = await ticketFor(a, customer(a));
    for (let i = 0; i < 3; i++) await buildUser(t, a, "end-user");
    const foreign = await b.api("PUT", `/api/v2/users/${requester + 3}/restriction.json`, { restriction: { restricted: true, reason: "cross" } });
    expect(foreign.status).toBe(404);
    expect((await a.api("GET", `/api/v2/users/${requester + 3}.json`)).body.user.restricted).toBe(false);
  });
});

describe("consent withdrawal", () => {
  async function consentingPerson(a: TestTenant): Promise<{ email: string; id: number; consent: number }> {
    const r = await a.api("PUT", "/api/v2/help_center/settings.json", { settings: { consent_required: true, consent_text: "I agree that Acme stores my request to answer it." } });
    const version = r.body.settings.consent_version as number;
    const email = customer(a);
    const req = await t.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, body: { request: { subject: "Printer", comment: { body: "It jams." }, requester: { name: "Yui Tanaka", email }, consent: { accepted: true, version } } } });
    expect(req.status, req.text).toBe(201);
    const id = (await a.api("GET", `/api/v2/tickets/${req.body.request.id}.json`)).body.ticket.requester_id as number;
    const records = (await a.api("GET", `/api/v2/users/${id}/consent_records.json`)).body.consent_records as Json[];
    expect(records).toHaveLength(1);
    return { email, id, consent: records[0]!.id };
  }

  it("lets the person withdraw a consent in the help center: recorded like the consent, in My information, once", async () => {
    const a = await buildTenant(t, "cwself");
    const p = await consentingPerson(a);
    const session = await signInByMail(t, smtp, a, p.email);
    const w = await asSession(t, a, session, "POST", `/api/v2/users/me/consents/${p.consent}/withdraw.json`);
    expect(w.status, w.text).toBe(201);
    expect(w.body.consent_withdrawal).toMatchObject({ kind: "withdrawal", consent_record_id: p.consent, via: "help_center", withdrawn_by_id: p.id });
    // Once only.
    const again = await asSession(t, a, session, "POST", `/api/v2/users/me/consents/${p.consent}/withdraw.json`);
    expect(again.status).toBe(422);
    expect(again.body.details.consent[0].error).toBe("Withdrawn");
    // The right of access shows both records.
    const mine = (await asSession(t, a, session, "GET", "/api/v2/help_center/me/personal_data.json")).body.personal_data;
    expect(mine.consent_records).toEqual([expect.objectContaining({ id: p.consent, kind: "consent", withdrawn_at: w.body.consent_withdrawal.withdrawn_at })]);
    expect(mine.consent_withdrawals).toEqual([w.body.consent_withdrawal]);
    // Staff's list shows both; the audit trail has the withdrawal.
    const staff = (await a.api("GET", `/api/v2/users/${p.id}/consent_records.json`)).body;
    expect(staff.consent_records[0].withdrawn_at).toBe(w.body.consent_withdrawal.withdrawn_at);
    expect(staff.consent_withdrawals).toEqual([w.body.consent_withdrawal]);
    expect(await actions(a)).toContain(`consent.withdrawn:${p.consent}`);
  });

  it("lets owners and admins withdraw on the person's behalf (via staff, naming who), not agents", async () => {
    const a = await buildTenant(t, "cwstaff");
    const p = await consentingPerson(a);
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("POST", `/api/v2/users/${p.id}/consents/${p.consent}/withdraw.json`, undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    const w = await a.api("POST", `/api/v2/users/${p.id}/consents/${p.consent}/withdraw.json`);
    expect(w.status, w.text).toBe(201);
    const owner = (await a.api("GET", "/api/v2/users/me.json")).body.user.id;
    expect(w.body.consent_withdrawal).toMatchObject({ kind: "withdrawal", consent_record_id: p.consent, via: "staff", withdrawn_by_id: owner });
    const staff = (await a.api("GET", `/api/v2/users/${p.id}/consent_records.json`)).body;
    expect(staff.consent_withdrawals).toEqual([w.body.consent_withdrawal]);
    // The person sees it in My information.
    const session = await signInByMail(t, smtp, a, p.email);
    const mine = (await asSession(t, a, session, "GET", "/api/v2/help_center/me/personal_data.json")).body.personal_data;
    expect(mine.consent_withdrawals).toEqual([expect.objectContaining({ via: "staff", consent_record_id: p.consent })]);
  });

  it("keeps people and tenants apart: another person's consent and another tenant's answer 404", async () => {
    const a = await buildTenant(t, "cwisoa");
    const b = await buildTenant(t, "cwisob");
    const p = await consentingPerson(a);
    const q = await consentingPerson(a);
    const session = await signInByMail(t, smtp, a, p.email);
    // q's consent through p's session: missing.
    expect((await asSession(t, a, session, "POST", `/api/v2/users/me/consents/${q.consent}/withdraw.json`)).status).toBe(404);
    // The staff route with the wrong person for a record: missing.
    expect((await a.api("POST", `/api/v2/users/${p.id}/consents/${q.consent}/withdraw.json`)).status).toBe(404);
    // B's owner with A's ids: missing (B has a consent of its own with another id).
    const bOwner = (await b.api("GET", "/api/v2/users/me.json")).body.user.id as number;
    const bConsent = await consentRecordFor(t, b, bOwner);
    expect((await b.api("POST", `/api/v2/users/${p.id}/consents/${p.consent}/withdraw.json`)).status).toBe(404);
    expect((await b.api("POST", `/api/v2/users/me/consents/${p.consent + 10}/withdraw.json`)).status).toBe(404);
    expect((await b.api("POST", `/api/v2/users/me/consents/${bConsent}/withdraw.json`)).status).toBe(201);
    // Nothing of A's was withdrawn.
    expect((await a.api("GET", `/api/v2/users/${p.id}/consent_records.json`)).body.consent_withdrawals).toEqual([]);
  });
});
