import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, cookieOf, jobsSettled, PASSWORD, staffWithPassword, type Session } from "./support/people.ts";
import { hasSigninLink, linkIn, startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Sessions and devices (Zendesk's Sessions API): the device list with browser and OS parsed from
 * the real User-Agent header and the client address, ending one session, all of them, or the
 * current one; who may see and end whose; the mail for a sign-in from a new device; and the
 * tenant's idle and absolute session lengths — over real HTTP, with the deployment's clock moved.
 */

const FIREFOX_LINUX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const SAFARI_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

let t: TestApp;
let smtp: SmtpPeer;
let clock = Date.now();
beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ now: () => new Date(clock), env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_TRUST_PROXY: "127.0.0.1", VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

/** any: API answers of many shapes; each test reads what it needs. */
type Json = Record<string, any>;

async function signInFrom(a: TestTenant, email: string, ua: string, ip: string): Promise<Session> {
  const r = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email, password: PASSWORD }, headers: { "user-agent": ua, "x-forwarded-for": ip } });
  expect(r.status, r.text).toBe(201);
  return { cookie: cookieOf(r.headers), csrf: r.body.session.csrf_token };
}
const as = (a: TestTenant, s: Session, method: string, path: string, body?: unknown) => asSession(t, a, s, method, path, body);
const newDeviceMails = (email: string) => smtp.messages.filter((m) => JSON.stringify(m.to).includes(email) && /New sign-in/.test(m.subject ?? ""));

describe("the device list", () => {
  it("shows each session's browser, OS and address, marks the current one, and ends one, all, or the current", async () => {
    const a = await buildTenant(t, "sess");
    const agent = await staffWithPassword(t, a, "agent");
    const firefox = await signInFrom(a, agent.email, FIREFOX_LINUX, "203.0.113.7");
    const chrome = await signInFrom(a, agent.email, CHROME_WINDOWS, "198.51.100.20");
    const list = await as(a, firefox, "GET", "/api/v2/users/me/sessions.json");
    expect(list.status, list.text).toBe(200);
    const sessions = list.body.sessions as Json[];
    expect(sessions).toHaveLength(3); // the invitation's session and the two sign-ins
    const ff = sessions.find((s) => s.browser?.startsWith("Firefox"))!;
    expect(ff).toMatchObject({ browser: "Firefox 133", os: "Ubuntu", ip: "203.0.113.7", current: true, method: "password", user_id: agent.id });
    expect(ff.url).toMatch(new RegExp(`/api/v2/users/${agent.id}/sessions/${ff.id}\\.json$`));
    const ch = sessions.find((s) => s.browser?.startsWith("Chrome"))!;
    expect(ch).toMatchObject({ browser: "Chrome 131", os: "Windows 10", ip: "198.51.100.20", current: false });
    expect(typeof ch.authenticated_at).toBe("string");
    expect(typeof ch.last_seen_at).toBe("string");
    // The same list by the user's id; one session by its id.
    expect((await as(a, firefox, "GET", `/api/v2/users/${agent.id}/sessions.json`)).body.sessions).toHaveLength(3);
    expect((await as(a, firefox, "GET", `/api/v2/users/${agent.id}/sessions/${ch.id}.json`)).body.session.browser).toBe("Chrome 131");

    // End the Chrome session: it no longer works and is gone from the list.
    expect((await as(a, firefox, "DELETE", `/api/v2/users/${agent.id}/sessions/${ch.id}.json`)).status).toBe(204);
    expect((await as(a, chrome, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await as(a, firefox, "GET", "/api/v2/users/me/sessions.json")).body.sessions).toHaveLength(2);
    expect((await as(a, firefox, "DELETE", `/api/v2/users/${agent.id}/sessions/${ch.id}.json`)).status).toBe(404);

    // Sign out everywhere else: only the caller's session stays.
    const third = await signInFrom(a, agent.email, SAFARI_IPHONE, "203.0.113.8");
    expect((await as(a, firefox, "DELETE", `/api/v2/users/${agent.id}/sessions.json?keep_current=true`)).status).toBe(204);
    expect((await as(a, third, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await as(a, agent.session, "GET", "/api/v2/users/me.json")).status).toBe(401);
    const left = (await as(a, firefox, "GET", "/api/v2/users/me/sessions.json")).body.sessions as Json[];
    expect(left.map((s) => s.current)).toEqual([true]);

    // Log out: the current session ends.
    expect((await as(a, firefox, "DELETE", "/api/v2/users/me/logout.json")).status).toBe(204);
    expect((await as(a, firefox, "GET", "/api/v2/users/me.json")).status).toBe(401);

    // End all: every session, the caller's own included (Zendesk's bulk delete).
    const s1 = await signInFrom(a, agent.email, FIREFOX_LINUX, "203.0.113.7");
    const s2 = await signInFrom(a, agent.email, CHROME_WINDOWS, "198.51.100.20");
    expect((await as(a, s1, "DELETE", `/api/v2/users/${agent.id}/sessions.json`)).status).toBe(204);
    expect((await as(a, s1, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await as(a, s2, "GET", "/api/v2/users/me.json")).status).toBe(401);

    const log = (await a.api("GET", "/api/v2/audit_logs.json")).body.audit_logs as Json[];
    const actions = log.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["session.ended", "user.other_sessions_ended", "user.sessions_ended", "user.signed_out"]));
  });

  it("is the person's own to see and end, and an admin's for anyone in the tenant; another tenant's ids are not found", async () => {
    const a = await buildTenant(t, "sessown");
    const b = await buildTenant(t, "sessoth");
    const agent = await staffWithPassword(t, a, "agent");
    const other = await staffWithPassword(t, a, "agent");
    const admin = await staffWithPassword(t, a, "admin");
    const foreign = await staffWithPassword(t, b, "agent");
    const theirs = (await as(a, other.session, "GET", "/api/v2/users/me/sessions.json")).body.sessions[0] as Json;
    // Session numbers are per tenant: enough sign-ins in the other tenant that its newest number is none of this one's.
    for (let i = 0; i < 5; i++) await signInFrom(b, foreign.email, FIREFOX_LINUX, "192.0.2.44");
    const foreignSession = (await as(b, foreign.session, "GET", "/api/v2/users/me/sessions.json")).body.sessions[0] as Json;
    expect(foreignSession.id).toBeGreaterThan(5);

    // An agent: 403 for a colleague, 404 for another tenant's user or session.
    expect((await as(a, agent.session, "GET", `/api/v2/users/${other.id}/sessions.json`)).status).toBe(403);
    expect((await as(a, agent.session, "DELETE", `/api/v2/users/${other.id}/sessions/${theirs.id}.json`)).status).toBe(403);
    expect((await as(a, agent.session, "DELETE", `/api/v2/users/${other.id}/sessions.json`)).status).toBe(403);
    expect((await as(a, agent.session, "GET", "/api/v2/sessions.json")).status).toBe(403);
    expect((await as(a, agent.session, "GET", "/api/v2/session_settings.json")).status).toBe(403);
    expect((await as(a, agent.session, "PUT", "/api/v2/session_settings.json", { session_settings: { idle_minutes: 15 } })).status).toBe(403);
    // A session number of someone else under one's own id is not found.
    expect((await as(a, agent.session, "DELETE", `/api/v2/users/${agent.id}/sessions/${theirs.id}.json`)).status).toBe(404);
    const missing = await as(a, admin.session, "DELETE", `/api/v2/users/${agent.id}/sessions/99999.json`);
    expect(missing.status).toBe(404);
    // Another tenant's: answered exactly like a missing one.
    const cross = await as(a, admin.session, "DELETE", `/api/v2/users/${agent.id}/sessions/${foreignSession.id}.json`);
    expect(cross.status).toBe(404);
    expect(cross.body).toEqual(missing.body);
    expect((await as(a, admin.session, "GET", "/api/v2/users/99999/sessions.json")).status).toBe(404);
    expect((await as(b, foreign.session, "GET", "/api/v2/users/me.json")).status).toBe(200);

    // An admin sees and ends a colleague's sessions.
    const listed = await as(a, admin.session, "GET", `/api/v2/users/${other.id}/sessions.json`);
    expect(listed.status).toBe(200);
    expect(listed.body.sessions.map((s: Json) => s.id)).toContain(theirs.id);
    expect(listed.body.sessions.every((s: Json) => s.current === false)).toBe(true);
    const all = await as(a, admin.session, "GET", "/api/v2/sessions.json");
    expect(all.body.sessions.map((s: Json) => s.user_id)).toEqual(expect.arrayContaining([agent.id, other.id, admin.id]));
    expect(all.body.sessions).toHaveLength(3); // none of the other tenant's six
    expect((await as(a, admin.session, "DELETE", `/api/v2/users/${other.id}/sessions.json`)).status).toBe(204);
    expect((await as(a, other.session, "GET", "/api/v2/users/me.json")).status).toBe(401);
    // With an API token too.
    const end = await buildUser(t, a, "end-user");
    expect((await a.api("GET", `/api/v2/users/${end.id}/sessions.json`)).body.sessions).toEqual([]);
  });

  it("refuses bad input with 4xx, never 500", async () => {
    const a = await buildTenant(t, "sessbad");
    const agent = await staffWithPassword(t, a, "admin");
    for (const p of ["/api/v2/users/abc/sessions.json", "/api/v2/users/1/sessions/abc.json", "/api/v2/users/1/sessions/0.json", "/api/v2/users/1/sessions/99999999999999999999.json"]) {
      const r = await as(a, agent.session, "DELETE", p);
      expect(r.status, p).toBeGreaterThanOrEqual(400);
      expect(r.status, p).toBeLessThan(500);
    }
    const maybe = await as(a, agent.session, "DELETE", `/api/v2/users/${agent.id}/sessions.json?keep_current=maybe`);
    expect([400, 422]).toContain(maybe.status);
    for (const body of [{ session_settings: { idle_minutes: 4 } }, { session_settings: { idle_minutes: 1441 } }, { session_settings: { max_hours: 0 } }, { session_settings: { max_hours: 721 } }, { session_settings: { idle_minutes: "15" } }, { session_settings: { idle_minutes: 15.5 } }, { session_settings: { other: 1 } }, { session_settings: null }, {}]) {
      const r = await as(a, agent.session, "PUT", "/api/v2/session_settings.json", body);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(body)).toBeLessThan(500);
    }
    // Idle longer than the whole session makes no sense.
    const r = await as(a, agent.session, "PUT", "/api/v2/session_settings.json", { session_settings: { idle_minutes: 600, max_hours: 2 } });
    expect(r.status).toBe(422);
  });
});

describe("what else ends sessions", () => {
  it("a password change ends the other sessions, a role change all of them", async () => {
    const a = await buildTenant(t, "sessend");
    const agent = await staffWithPassword(t, a, "agent");
    const s1 = await signInFrom(a, agent.email, FIREFOX_LINUX, "203.0.113.7");
    const s2 = await signInFrom(a, agent.email, CHROME_WINDOWS, "198.51.100.20");
    const changed = await as(a, s1, "PUT", "/api/v2/users/me/password.json", { previous_password: PASSWORD, password: "Another long passphrase 8" });
    expect(changed.status, changed.text).toBe(204);
    const left = (await as(a, s1, "GET", "/api/v2/users/me/sessions.json")).body.sessions as Json[];
    expect(left.map((s) => [s.browser, s.current])).toEqual([["Firefox 133", true]]);
    expect((await as(a, s2, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await a.api("PUT", `/api/v2/users/${agent.id}/role.json`, { role: "admin" })).status).toBe(200);
    expect((await as(a, s1, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await a.api("GET", `/api/v2/users/${agent.id}/sessions.json`)).body.sessions).toEqual([]);
  });

  it("suspension ends every session, so lifting it brings none back and the list shows none", async () => {
    const a = await buildTenant(t, "sesssusp");
    const agent = await staffWithPassword(t, a, "agent");
    const s1 = await signInFrom(a, agent.email, FIREFOX_LINUX, "203.0.113.8");
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { suspended: true } })).status).toBe(200);
    expect((await a.api("GET", `/api/v2/users/${agent.id}/sessions.json`)).body.sessions).toEqual([]);
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { suspended: false } })).status).toBe(200);
    expect((await as(a, s1, "GET", "/api/v2/users/me.json")).status).toBe(401);
  });
});

describe("a sign-in from a new device", () => {
  it("mails the person once for a new browser, not again for the same, and not at the first sign-in", async () => {
    const a = await buildTenant(t, "sessnew");
    const agent = await staffWithPassword(t, a, "agent"); // the invitation: no mail
    await jobsSettled(t, a.tenantId);
    expect(newDeviceMails(agent.email)).toHaveLength(0);
    // The first password sign-in is from a device the account has not used: a mail.
    await signInFrom(a, agent.email, FIREFOX_LINUX, "203.0.113.7");
    await smtp.waitFor(agent.email, { match: (m) => /New sign-in/.test(m.subject ?? "") });
    // The same browser and OS from the same network: no mail, even from another address in it.
    await signInFrom(a, agent.email, FIREFOX_LINUX, "203.0.9.9");
    await jobsSettled(t, a.tenantId);
    expect(newDeviceMails(agent.email)).toHaveLength(1);
    // Another browser: a second mail, naming it, with the approximate time and what to do.
    await signInFrom(a, agent.email, CHROME_WINDOWS, "203.0.113.7");
    await jobsSettled(t, a.tenantId);
    const mails = newDeviceMails(agent.email);
    expect(mails).toHaveLength(2);
    const text = mails[1]!.text ?? "";
    expect(text).toContain("Chrome 131, Windows 10");
    expect(text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(text).toMatch(/change your password/i);
    expect(text).not.toContain("203.0.113.7");
    // Again: no third.
    await signInFrom(a, agent.email, CHROME_WINDOWS, "203.0.113.7");
    await jobsSettled(t, a.tenantId);
    expect(newDeviceMails(agent.email)).toHaveLength(2);
  });

  it("is written in the person's language", async () => {
    const a = await buildTenant(t, "sesslang");
    const agent = await staffWithPassword(t, a, "agent");
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { locale: "sv" } })).status).toBe(200);
    await signInFrom(a, agent.email, SAFARI_IPHONE, "192.0.2.1");
    const m = await smtp.waitFor(agent.email, { match: (x) => /Ny inloggning/.test(x.subject ?? "") });
    expect(m.text).toContain("Safari 17");
  });
});

describe("an end user's sessions", () => {
  it("are theirs to list and end, and the right of access shows the browser and its header", async () => {
    const a = await buildTenant(t, "sesseu");
    const customer = await buildUser(t, a, "end-user", "Kim Customer");
    const since = smtp.messages.length;
    expect((await t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links.json", host: a.host, body: { email: customer.email } })).status).toBe(202);
    const mail = await smtp.waitFor(customer.email, { since, match: hasSigninLink });
    const token = new URL(linkIn(mail)).searchParams.get("token")!;
    const r = await t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links/redeem.json", host: a.host, body: { token }, headers: { "user-agent": SAFARI_IPHONE, "x-forwarded-for": "192.0.2.9" } });
    expect(r.status, r.text).toBe(201);
    const s = { cookie: cookieOf(r.headers), csrf: r.body.session.csrf_token as string };
    const mine = (await as(a, s, "GET", "/api/v2/users/me/sessions.json")).body.sessions as Json[];
    expect(mine).toEqual([expect.objectContaining({ browser: "Mobile Safari 17", os: "iOS 17.5", ip: "192.0.2.9", method: "link", current: true })]);
    const pd = (await as(a, s, "GET", "/api/v2/help_center/me/personal_data.json")).body.personal_data;
    expect(pd.sessions[0]).toMatchObject({ browser: "Mobile Safari 17", os: "iOS 17.5", user_agent: SAFARI_IPHONE, ip: "192.0.2.9" });
    // Someone else's sessions are not theirs to see, and the answer does not say who exists.
    const other = await as(a, s, "GET", "/api/v2/users/1/sessions.json");
    const nobody = await as(a, s, "GET", "/api/v2/users/99999/sessions.json");
    expect(other.status).toBe(403);
    expect(nobody.body).toEqual(other.body);
    expect((await as(a, s, "DELETE", "/api/v2/users/me/logout.json")).status).toBe(204);
    expect((await as(a, s, "GET", "/api/v2/users/me.json")).status).toBe(401);
  });
});

describe("session lengths", () => {
  it("follow the tenant's idle timeout (15 minutes allowed) while other tenants keep the default 30", async () => {
    const a = await buildTenant(t, "sessidle");
    const b = await buildTenant(t, "sessdflt");
    const shown = await a.api("GET", "/api/v2/session_settings.json");
    expect(shown.status).toBe(200);
    expect(shown.body.session_settings).toEqual({ idle_minutes: 30, max_hours: 12, default_idle_minutes: 30, default_max_hours: 12 });
    const set = await a.api("PUT", "/api/v2/session_settings.json", { session_settings: { idle_minutes: 15 } });
    expect(set.status, set.text).toBe(200);
    expect(set.body.session_settings.idle_minutes).toBe(15);
    const log = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=session_settings.updated")).body.audit_logs;
    expect(log).toHaveLength(1);

    const inA = await staffWithPassword(t, a, "agent");
    const inB = await staffWithPassword(t, b, "agent");
    const inA2 = await staffWithPassword(t, a, "agent");
    clock += 14 * 60_000;
    expect((await as(a, inA2.session, "GET", "/api/v2/users/me.json")).status).toBe(200); // seen at 14 minutes
    clock += 2 * 60_000; // 16 minutes idle for the others
    expect((await as(a, inA.session, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await as(b, inB.session, "GET", "/api/v2/users/me.json")).status).toBe(200);
    expect((await as(a, inA2.session, "GET", "/api/v2/users/me.json")).status).toBe(200);
    clock += 31 * 60_000;
    expect((await as(b, inB.session, "GET", "/api/v2/users/me.json")).status).toBe(401);
    // Back to the default.
    const reset = await a.api("PUT", "/api/v2/session_settings.json", { session_settings: { idle_minutes: null } });
    expect(reset.body.session_settings.idle_minutes).toBe(30);
  });

  it("end a session at the tenant's absolute length however active it is", async () => {
    const a = await buildTenant(t, "sessabs");
    expect((await a.api("PUT", "/api/v2/session_settings.json", { session_settings: { max_hours: 1 } })).status).toBe(200);
    const agent = await staffWithPassword(t, a, "agent");
    const cookie = (await t.request({ method: "GET", path: "/api/v2/session.json", host: a.host, headers: { cookie: agent.session.cookie } })).status;
    expect(cookie).toBe(200);
    for (let i = 0; i < 5; i++) {
      clock += 11 * 60_000;
      expect((await as(a, agent.session, "GET", "/api/v2/users/me.json")).status).toBe(200);
    }
    clock += 6 * 60_000; // 61 minutes since sign-in, never idle
    expect((await as(a, agent.session, "GET", "/api/v2/users/me.json")).status).toBe(401);
    // Shortening applies to live sessions too.
    expect((await a.api("PUT", "/api/v2/session_settings.json", { session_settings: { max_hours: 12, idle_minutes: 600 } })).status).toBe(200);
    const other = await staffWithPassword(t, a, "agent");
    clock += 2 * 3600_000 + 1;
    expect((await as(a, other.session, "GET", "/api/v2/users/me.json")).status).toBe(200);
    expect((await a.api("PUT", "/api/v2/session_settings.json", { session_settings: { max_hours: 2, idle_minutes: 120 } })).status).toBe(200);
    expect((await as(a, other.session, "GET", "/api/v2/users/me.json")).status).toBe(401);
  });
});
