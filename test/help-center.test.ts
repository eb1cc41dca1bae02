import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { hasSigninLink, linkIn, startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { jobsSettled } from "./support/people.ts";

/**
 * The help center's server side over real HTTP, with a real SMTP peer catching the sign-in mail:
 * anonymous requests (consent, honeypot, rate limit), e-mail sign-in links (single use, expiry,
 * no enumeration), the requests API (own requests only, public comments only, replies reopen),
 * consent records, the right of access, and isolation between people and between tenants.
 */

let t: TestApp;
let smtp: SmtpPeer;
let clockOffsetMs = 0;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_MAIL_FROM: "Help <help@vaultdesk.test>" }, now: () => new Date(Date.now() + clockOffsetMs) });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

type Session = { cookie: string; csrf: string };
const anon = (tenant: TestTenant, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => t.request({ method, path, host: tenant.host, body, headers });
const as = (tenant: TestTenant, s: Session, method: string, path: string, body?: unknown) =>
  t.request({ method, path, host: tenant.host, headers: { cookie: s.cookie, ...(method === "GET" ? {} : { "x-csrf-token": s.csrf }) }, body });

function requestBody(email: string, extra: Record<string, unknown> = {}, subject = "Printer on fire") {
  return { request: { subject, comment: { body: "It started smoking this morning." }, requester: { name: "Yui Tanaka", email }, locale: "ja", ...extra } };
}

async function requireConsent(tenant: TestTenant, text = "I agree that Acme stores my request to answer it.") {
  const r = await tenant.api("PUT", "/api/v2/help_center/settings.json", { settings: { consent_required: true, consent_text: text } });
  expect(r.status, r.text).toBe(200);
  return r.body.settings.consent_version as number;
}

/** Asks for a link, catches the mail, redeems the link: a signed-in session. */
async function signInByMail(tenant: TestTenant, email: string): Promise<Session> {
  const since = smtp.messages.length;
  const r = await anon(tenant, "POST", "/api/v2/help_center/sign_in_links.json", { email, locale: "ja" });
  expect(r.status, r.text).toBe(202);
  const mail = await smtp.waitFor(email, { since, match: hasSigninLink });
  const token = new URL(linkIn(mail)).searchParams.get("token")!;
  const s = await anon(tenant, "POST", "/api/v2/help_center/sign_in_links/redeem.json", { token });
  expect(s.status, s.text).toBe(201);
  const cookie = (s.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!;
  return { cookie, csrf: s.body.session.csrf_token };
}

describe("anonymous requests", () => {
  it("creates the end user and a web request, refuses a missing consent with a field detail, and records an accepted one", async () => {
    const a = await buildTenant(t, "hcreq");
    const before = await anon(a, "GET", "/api/v2/help_center.json");
    expect(before.body.help_center).toMatchObject({ consent: { required: false, text: null }, email_sign_in: true });
    const version = await requireConsent(a);
    const shown = (await anon(a, "GET", "/api/v2/help_center.json")).body.help_center.consent;
    expect(shown).toEqual({ required: true, text: "I agree that Acme stores my request to answer it.", locale: null, version });

    const refused = await anon(a, "POST", "/api/v2/requests.json", requestBody("yui@example.test"));
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: "RecordInvalid", details: { consent: [{ error: "Required" }] } });
    const outdated = await anon(a, "POST", "/api/v2/requests.json", requestBody("yui@example.test", { consent: { accepted: true, version: version - 1 } }));
    expect(outdated.body.details.consent[0].error).toBe("Outdated");
    // Nothing was written by the refusals.
    expect((await a.api("GET", "/api/v2/users/search.json?query=yui@example.test")).body.users).toEqual([]);

    const ok = await anon(a, "POST", "/api/v2/requests.json", requestBody("Yui@Example.test", { consent: { accepted: true, version } }), { "x-forwarded-for": "203.0.113.9" });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.request).toMatchObject({ subject: "Printer on fire", status: "new", via: { channel: "web" }, requester_id: null });
    const users = (await a.api("GET", "/api/v2/users/search.json?query=yui@example.test")).body.users;
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ name: "Yui Tanaka", role: "end-user" });
    const ticket = (await a.api("GET", `/api/v2/tickets/${ok.body.request.id}.json`)).body.ticket;
    expect(ticket.requester_id).toBe(users[0].id);

    // Staff see the consent record: the text, its version and hash, when, and from where.
    const recs = await a.api("GET", `/api/v2/users/${users[0].id}/consent_records.json`);
    expect(recs.status, recs.text).toBe(200);
    expect(recs.body.consent_records).toEqual([
      expect.objectContaining({ request_id: ok.body.request.id, text: "I agree that Acme stores my request to answer it.", text_version: version, ip: "127.0.0.1", text_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    ]);
    // The same address again finds the same person (blind index), not a second user.
    const again = await anon(a, "POST", "/api/v2/requests.json", requestBody("yui@example.test", { consent: { accepted: true, version } }, "Second"));
    expect(again.status).toBe(201);
    expect((await a.api("GET", "/api/v2/users/search.json?query=yui@example.test")).body.users).toHaveLength(1);
    const actions = (await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["request.created", "consent.recorded", "help_center.settings_updated", "user.created"]));
  });

  it("gives the consent text in the visitor's language, falls back to the default, and records the text, version and language accepted", async () => {
    const a = await buildTenant(t, "hcloc");
    const set = await a.api("PUT", "/api/v2/help_center/settings.json", {
      settings: { consent_required: true, consent_text: "I agree (default).", consent_texts: { ja: "同意します。", sv: "Jag samtycker.", ko: "   " } },
    });
    expect(set.status, set.text).toBe(200);
    // Blank texts are dropped; the texts come back as they are stored.
    expect(set.body.settings).toMatchObject({ consent_text: "I agree (default).", consent_texts: { ja: "同意します。", sv: "Jag samtycker." } });
    expect(Object.keys(set.body.settings.consent_texts)).toEqual(["ja", "sv"]);
    const version = set.body.settings.consent_version as number;

    const consentIn = async (locale?: string) => (await anon(a, "GET", `/api/v2/help_center.json${locale ? `?locale=${locale}` : ""}`)).body.help_center.consent;
    expect(await consentIn("ja")).toEqual({ required: true, text: "同意します。", locale: "ja", version });
    expect(await consentIn("ja-JP")).toMatchObject({ text: "同意します。", locale: "ja" });
    expect(await consentIn("SV")).toMatchObject({ text: "Jag samtycker.", locale: "sv" });
    expect(await consentIn("ko")).toMatchObject({ text: "I agree (default).", locale: null });
    expect(await consentIn()).toMatchObject({ text: "I agree (default).", locale: null });
    expect((await anon(a, "GET", "/api/v2/help_center.json?locale=not%20a%20tag")).status).toBe(422);

    // The record keeps exactly the text the visitor read, with its version and language.
    const ja = await anon(a, "POST", "/api/v2/requests.json", requestBody("aoi@example.test", { consent: { accepted: true, version }, locale: "ja" }));
    expect(ja.status, ja.text).toBe(201);
    const ko = await anon(a, "POST", "/api/v2/requests.json", requestBody("minji@example.test", { consent: { accepted: true, version }, locale: "ko" }));
    expect(ko.status, ko.text).toBe(201);
    const recordOf = async (email: string) => {
      const id = (await a.api("GET", `/api/v2/users/search.json?query=${email}`)).body.users[0].id;
      return (await a.api("GET", `/api/v2/users/${id}/consent_records.json`)).body.consent_records[0];
    };
    const jaRecord = await recordOf("aoi@example.test");
    expect(jaRecord).toMatchObject({ text: "同意します。", text_version: version, text_locale: "ja" });
    expect(jaRecord.text_sha256).toBe(crypto.createHash("sha256").update("同意します。", "utf8").digest("hex"));
    expect(await recordOf("minji@example.test")).toMatchObject({ text: "I agree (default).", text_version: version, text_locale: null });

    // Changing a language's text is a new version: a form loaded before it is outdated.
    const changed = await a.api("PUT", "/api/v2/help_center/settings.json", { settings: { consent_texts: { ja: "同意します（改訂）。", sv: "Jag samtycker." } } });
    expect(changed.body.settings.consent_version).toBe(version + 1);
    const stale = await anon(a, "POST", "/api/v2/requests.json", requestBody("ren@example.test", { consent: { accepted: true, version }, locale: "ja" }));
    expect(stale.body.details.consent[0].error).toBe("Outdated");
    // The same texts again change nothing, and the version stays.
    const same = await a.api("PUT", "/api/v2/help_center/settings.json", { settings: { consent_texts: { sv: "Jag samtycker.", ja: "同意します（改訂）。" } } });
    expect(same.body.settings.consent_version).toBe(version + 1);
    // Only what changed is audited, never the texts.
    const entry = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=help_center.settings_updated&per_page=100")).body.audit_logs[0];
    expect(entry.changed_fields).toEqual(["consent_texts"]);
    expect(JSON.stringify(entry)).not.toContain("同意");
    // Bad language tags are refused with a field message.
    const bad = await a.api("PUT", "/api/v2/help_center/settings.json", { settings: { consent_texts: { "<b>": "x" } } });
    expect(bad.status).toBe(422);
  });

  it("refuses a filled honeypot with a clear 422 and writes nothing", async () => {
    const a = await buildTenant(t, "hchp");
    const r = await anon(a, "POST", "/api/v2/requests.json", requestBody("bot@example.test", { website: "http://spam.example" }));
    expect(r.status).toBe(422);
    expect(r.body.details.website[0]).toMatchObject({ error: "Spam", description: expect.stringMatching(/not sent/) });
    expect((await a.api("GET", "/api/v2/users/search.json?query=bot@example.test")).body.users).toEqual([]);
    expect((await a.api("GET", "/api/v2/tickets.json")).body.tickets).toHaveLength(0);
  });

  it("limits the form per address, with Retry-After, independent of the API limit", async () => {
    const a = await buildTenant(t, "hcrl");
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await anon(a, "POST", "/api/v2/requests.json", requestBody(`p${i}@example.test`));
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 5)).toEqual([201, 201, 201, 201, 201]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(Number(last!.headers["retry-after"])).toBeGreaterThan(0);
    expect(last!.body.error).toBe("TooManyRequests");
    // The hourly cap: a fresh limiter at 20 hits in one hour refuses the 21st for up to an hour.
    const l = createMemoryRateLimiter(() => 1_000_000);
    for (let i = 0; i < 20; i++) expect(l.hit("k", 20, 3600).allowed).toBe(true);
    const capped = l.hit("k", 20, 3600);
    expect(capped.allowed).toBe(false);
    expect(capped.resetSeconds).toBeGreaterThan(60);
  });
});

describe("e-mail sign-in links", () => {
  it("mails a single-use link in the person's language and answers the same for unknown addresses", async () => {
    const a = await buildTenant(t, "hcsl");
    await anon(a, "POST", "/api/v2/requests.json", requestBody("kenji@example.test"));
    const known = await anon(a, "POST", "/api/v2/help_center/sign_in_links.json", { email: "kenji@example.test" });
    const unknown = await anon(a, "POST", "/api/v2/help_center/sign_in_links.json", { email: "nobody@example.test" });
    const staff = await anon(a, "POST", "/api/v2/help_center/sign_in_links.json", { email: a.ownerEmail });
    expect([known.status, unknown.status, staff.status]).toEqual([202, 202, 202]);
    expect(unknown.body).toEqual(known.body);
    expect(staff.body).toEqual(known.body);

    const mail = await smtp.waitFor("kenji@example.test", { match: hasSigninLink });
    expect(mail.subject).toMatch(/サインインリンク/);
    expect(mail.from?.text).toContain("help@vaultdesk.test");
    const url = linkIn(mail);
    expect(url.startsWith(`http://${a.host}`)).toBe(true);
    const token = new URL(url).searchParams.get("token")!;
    // Nothing for the unknown address nor the owner (staff sign in with a password).
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.some((m) => /nobody@example\.test|owner@/.test(JSON.stringify(m.to)))).toBe(false);

    // Stored as a keyed hash only.
    const rows = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("signin_links").selectAll().execute());
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.token_hash).equals(t.keyring.hashSecret("signin-link", token))).toBe(true);

    const s = await anon(a, "POST", "/api/v2/help_center/sign_in_links/redeem.json", { token });
    expect(s.status, s.text).toBe(201);
    const again = await anon(a, "POST", "/api/v2/help_center/sign_in_links/redeem.json", { token });
    expect(again.status).toBe(422);
    expect(again.body.details.token[0].error).toBe("AlreadyUsed");
    expect((await anon(a, "POST", "/api/v2/help_center/sign_in_links/redeem.json", { token: `vdl_${"A".repeat(43)}` })).status).toBe(404);
  });

  it("expires a link after 15 minutes, and limits links per address", async () => {
    const a = await buildTenant(t, "hcse");
    await anon(a, "POST", "/api/v2/requests.json", requestBody("late@example.test"));
    const since = smtp.messages.length;
    await anon(a, "POST", "/api/v2/help_center/sign_in_links.json", { email: "late@example.test" });
    const token = new URL(linkIn(await smtp.waitFor("late@example.test", { since, match: hasSigninLink }))).searchParams.get("token")!;
    clockOffsetMs = 16 * 60_000;
    try {
      const r = await anon(a, "POST", "/api/v2/help_center/sign_in_links/redeem.json", { token });
      expect(r.status).toBe(422);
      expect(r.body.details.token[0].error).toBe("Expired");
    } finally {
      clockOffsetMs = 0;
    }
    const more = [];
    for (let i = 0; i < 3; i++) more.push((await anon(a, "POST", "/api/v2/help_center/sign_in_links.json", { email: "late@example.test" })).status);
    // Past the per-address limits the answer stays the same (test/identity-defects.test.ts checks what is sent).
    expect(more).toEqual([202, 202, 202]);
  });

  it("lets an admin create a link for an end user to hand over, never for staff", async () => {
    const a = await buildTenant(t, "hcal");
    const eu = await buildUser(t, a, "end-user", "Handed Over");
    const agent = await buildUser(t, a, "agent");
    const r = await a.api("POST", `/api/v2/users/${eu.id}/sign_in_links.json`);
    expect(r.status, r.text).toBe(201);
    expect(r.body.sign_in_link.url.startsWith(`${a.origin}/signin?token=vdl_`)).toBe(true);
    expect((await a.api("POST", `/api/v2/users/${agent.id}/sign_in_links.json`)).status).toBe(422);
    expect((await a.api("POST", `/api/v2/users/${eu.id}/sign_in_links.json`, undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    const s = await anon(a, "POST", "/api/v2/help_center/sign_in_links/redeem.json", { token: r.body.sign_in_link.token });
    expect(s.status).toBe(201);
    expect(s.body.session.user_id).toBe(eu.id);
  });
});

describe("requests API for a signed-in end user", () => {
  it("lists own requests, shows public comments only, reopens on reply, refuses closed, and hides others' requests", async () => {
    const a = await buildTenant(t, "hcmy");
    const r1 = (await anon(a, "POST", "/api/v2/requests.json", requestBody("mine@example.test"))).body.request;
    const other = (await anon(a, "POST", "/api/v2/requests.json", requestBody("other@example.test", {}, "Not yours"))).body.request;
    // The agent answers publicly, adds an internal note, and sets the request pending.
    await a.api("PUT", `/api/v2/tickets/${r1.id}.json`, { ticket: { comment: { body: "Public answer from support" }, status: "pending" } });
    await a.api("PUT", `/api/v2/tickets/${r1.id}.json`, { ticket: { comment: { body: "INTERNAL NOTE secret", public: false } } });

    const me = await signInByMail(a, "mine@example.test");
    const list = await as(a, me, "GET", "/api/v2/requests.json");
    expect(list.status, list.text).toBe(200);
    expect(list.body.requests.map((r: { id: number }) => r.id)).toEqual([r1.id]);
    expect(list.body.requests[0]).toMatchObject({ status: "pending", requester_id: expect.any(Number) });
    expect((await as(a, me, "GET", "/api/v2/requests.json?status=solved")).body.requests).toEqual([]);

    const comments = await as(a, me, "GET", `/api/v2/requests/${r1.id}/comments.json`);
    expect(comments.status).toBe(200);
    expect(comments.body.comments.map((c: { body: string }) => c.body)).toEqual(["It started smoking this morning.", "Public answer from support"]);
    expect(comments.text).not.toContain("INTERNAL NOTE");
    expect(comments.body.users.find((u: { agent: boolean }) => u.agent)).toMatchObject({ name: "Owner Person" });

    // Another person's request answers exactly like a missing one.
    for (const path of [(id: number) => `/api/v2/requests/${id}.json`, (id: number) => `/api/v2/requests/${id}/comments.json`]) {
      const f = await as(a, me, "GET", path(other.id));
      const m = await as(a, me, "GET", path(999_999));
      expect(f.status).toBe(404);
      expect(f.body).toEqual(m.body);
    }
    expect((await as(a, me, "PUT", `/api/v2/requests/${other.id}.json`, { request: { comment: { body: "hijack" } } })).status).toBe(404);

    const reply = await as(a, me, "PUT", `/api/v2/requests/${r1.id}.json`, { request: { comment: { body: "Still smoking" } } });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.request.status).toBe("open");
    await a.api("PUT", `/api/v2/tickets/${r1.id}.json`, { ticket: { status: "hold" } });
    expect((await as(a, me, "GET", `/api/v2/requests/${r1.id}.json`)).body.request.status).toBe("open");
    await a.api("PUT", `/api/v2/tickets/${r1.id}.json`, { ticket: { status: "solved" } });
    const reopened = await as(a, me, "PUT", `/api/v2/requests/${r1.id}.json`, { request: { comment: { body: "Back again" } } });
    expect(reopened.body.request.status).toBe("open");
    await a.api("PUT", `/api/v2/tickets/${r1.id}.json`, { ticket: { status: "solved" } });
    await a.api("PUT", `/api/v2/tickets/${r1.id}.json`, { ticket: { status: "closed" } });
    const closed = await as(a, me, "PUT", `/api/v2/requests/${r1.id}.json`, { request: { comment: { body: "Too late" } } });
    expect(closed.status).toBe(422);
    expect(closed.body.details.status[0].error).toBe("Closed");

    // End users reach no staff route.
    for (const [method, path] of [["GET", "/api/v2/tickets.json"], ["GET", `/api/v2/tickets/${r1.id}.json`], ["GET", "/api/v2/users.json"], ["GET", "/api/v2/audit_logs.json"], ["GET", "/api/v2/help_center/settings.json"], ["GET", "/api/v2/invitations.json"], ["POST", `/api/v2/users/1/sign_in_links.json`], ["GET", `/api/v2/users/1/consent_records.json`]] as const) {
      const r = await as(a, me, method, path);
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    // Writes need the CSRF header.
    const noCsrf = await t.request({ method: "PUT", path: `/api/v2/requests/${r1.id}.json`, host: a.host, headers: { cookie: me.cookie }, body: { request: { comment: { body: "x" } } } });
    expect(noCsrf.status).toBe(403);
  });

  it("lets the requester mark a request solved, with a last word or without; no one else, never twice", async () => {
    const a = await buildTenant(t, "hcsolve");
    const r1 = (await anon(a, "POST", "/api/v2/requests.json", requestBody("solver@example.test"))).body.request;
    const other = (await anon(a, "POST", "/api/v2/requests.json", requestBody("bystander@example.test", {}, "Not yours"))).body.request;
    const me = await signInByMail(a, "solver@example.test");
    const path = `/api/v2/requests/${r1.id}.json`;
    expect((await as(a, me, "GET", path)).body.request).toMatchObject({ status: "new", solved: false, can_be_solved_by_me: true });
    // Nothing to do, or setting it back: refused, nothing written.
    for (const body of [{ request: {} }, { request: { solved: false } }, { request: { solved: "yes" } }]) {
      const r = await as(a, me, "PUT", path, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
    }
    expect((await as(a, me, "PUT", `/api/v2/requests/${other.id}.json`, { request: { solved: true } })).status).toBe(404);
    const beforeSolve = smtp.messages.length;
    const done = await as(a, me, "PUT", path, { request: { solved: true, comment: { body: "Fixed it myself, thanks" } } });
    expect(done.status, done.text).toBe(200);
    // They are not mailed that their request is solved, with a last word (their own comment) or without: they solved it (staff solving it mails them, below).
    await jobsSettled(t, a.tenantId);
    expect(smtp.messages.slice(beforeSolve).filter((m) => JSON.stringify(m.to).toLowerCase().includes("solver@example.test"))).toEqual([]);
    expect(done.body.request).toMatchObject({ status: "solved", solved: true, can_be_solved_by_me: false });
    expect((await a.api("GET", `/api/v2/tickets/${r1.id}.json`)).body.ticket.status).toBe("solved");
    const comments = async () => (await as(a, me, "GET", `/api/v2/requests/${r1.id}/comments.json`)).body.comments.map((c: { body: string }) => c.body);
    expect(await comments()).toEqual(["It started smoking this morning.", "Fixed it myself, thanks"]);
    const again = await as(a, me, "PUT", path, { request: { solved: true } });
    expect(again.status).toBe(422);
    expect(again.body.details.solved[0].description).toMatch(/solved already/);
    // A reply reopens it; solved again without a word adds no comment.
    expect((await as(a, me, "PUT", path, { request: { comment: { body: "It is back" } } })).body.request).toMatchObject({ status: "open", can_be_solved_by_me: true });
    await jobsSettled(t, a.tenantId);
    const beforeQuiet = smtp.messages.length;
    const quiet = await as(a, me, "PUT", path, { request: { solved: true } });
    expect(quiet.body.request.status).toBe("solved");
    await jobsSettled(t, a.tenantId);
    expect(smtp.messages.slice(beforeQuiet).filter((m) => JSON.stringify(m.to).toLowerCase().includes("solver@example.test"))).toEqual([]);
    expect(await comments()).toHaveLength(3);
    const audits = await a.api("GET", `/api/v2/tickets/${r1.id}/audits.json`);
    expect(audits.body.audits.flatMap((x: { events: Array<{ field_name?: string; value?: unknown }> }) => x.events).filter((e: { field_name?: string; value?: unknown }) => e.field_name === "status" && e.value === "solved")).toHaveLength(2);
    // Solved by staff, the requester is told (the mail their own solve does not send).
    expect((await as(a, me, "PUT", path, { request: { comment: { body: "Back again" } } })).status).toBe(200);
    await jobsSettled(t, a.tenantId);
    const beforeStaff = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/tickets/${r1.id}.json`, { ticket: { status: "solved" } })).status).toBe(200);
    const told = await smtp.waitFor("solver@example.test", { since: beforeStaff });
    expect(told.text ?? "").toContain(String(r1.id));
    // A closed request is no longer theirs to change.
    await a.api("PUT", `/api/v2/tickets/${r1.id}.json`, { ticket: { status: "closed" } });
    expect((await as(a, me, "GET", path)).body.request.can_be_solved_by_me).toBe(false);
    expect((await as(a, me, "PUT", path, { request: { solved: true } })).status).toBe(422);
  });

  it("answers another tenant's request id like a missing one", async () => {
    const a = await buildTenant(t, "hcta");
    const b = await buildTenant(t, "hctb");
    for (let i = 0; i < 3; i++) await anon(a, "POST", "/api/v2/requests.json", requestBody("same@example.test"));
    await anon(b, "POST", "/api/v2/requests.json", requestBody("same@example.test"));
    const meB = await signInByMail(b, "same@example.test");
    expect((await as(b, meB, "GET", "/api/v2/requests.json")).body.requests).toHaveLength(1);
    const f = await as(b, meB, "GET", "/api/v2/requests/3.json");
    expect(f.status).toBe(404);
    // B's session cookie means nothing on A's host.
    expect((await t.request({ method: "GET", path: "/api/v2/requests.json", host: a.host, headers: { cookie: meB.cookie } })).status).toBe(401);
  });

  it("lets a signed-in end user submit without giving an address, and gives the right of access", async () => {
    const a = await buildTenant(t, "hcpd");
    const version = await requireConsent(a, "Consent text v1");
    await anon(a, "POST", "/api/v2/requests.json", requestBody("pd@example.test", { consent: { accepted: true, version } }));
    const me = await signInByMail(a, "pd@example.test");
    const own = await as(a, me, "POST", "/api/v2/requests.json", { request: { subject: "Signed in", comment: { body: "From my account" }, consent: { accepted: true, version }, locale: "ja" } });
    expect(own.status, own.text).toBe(201);
    expect(own.body.request.requester_id).toBeGreaterThan(0);
    const pd = await as(a, me, "GET", "/api/v2/help_center/me/personal_data.json");
    expect(pd.status, pd.text).toBe(200);
    const d = pd.body.personal_data;
    expect(d.profile).toMatchObject({ name: "Yui Tanaka", email: "pd@example.test", locale: "ja", role: "end-user" });
    expect(d.profile.last_sign_in_at).toBeTruthy();
    expect(d.identities).toEqual([{ type: "email", value: "pd@example.test", primary: true, verified: true }]);
    expect(d.requests.map((r: { subject: string }) => r.subject)).toEqual(["Printer on fire", "Signed in"]);
    expect(d.comments.map((c: { body: string }) => c.body)).toEqual(["It started smoking this morning.", "From my account"]);
    expect(d.consent_records).toHaveLength(2);
    expect(d.consent_records[0]).toMatchObject({ text: "Consent text v1", text_version: version });
    expect(d.sessions.length).toBeGreaterThanOrEqual(1);
    expect(d.sessions[0].ip).toBe("127.0.0.1");
    expect(d.sign_in_links[0]).toMatchObject({ created_by_staff: false, used_at: expect.any(String) });
    // A stale session cookie makes the form anonymous instead of refusing it.
    const stale = await t.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, headers: { cookie: "vd_session=vds_gone" }, body: requestBody("pd@example.test", { consent: { accepted: true, version } }) });
    expect(stale.status, stale.text).toBe(201);
    expect(stale.body.request.requester_id).toBeNull();
  });
});

describe("without an SMTP server", () => {
  it("says e-mail sign-in is unavailable", async () => {
    const plain = await startTestApp({ rateLimiter: createMemoryRateLimiter() });
    try {
      const a = await buildTenant(plain, "hcns");
      const hc = await plain.request({ method: "GET", path: "/api/v2/help_center.json", host: a.host });
      expect(hc.body.help_center.email_sign_in).toBe(false);
      const r = await plain.request({ method: "POST", path: "/api/v2/help_center/sign_in_links.json", host: a.host, body: { email: "x@example.test" } });
      expect(r.status).toBe(422);
      expect(r.body.details.email[0].error).toBe("Unavailable");
    } finally {
      await plain.close();
    }
  });
});
