import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, PASSWORD, staffWithPassword } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Password policies: Zendesk's levels per tenant (staff and end users apart), the rules in words,
 * what each refuses, earlier passwords, expiry, and lockout after wrong passwords in a row —
 * over real HTTP on a real database, with the deployment's clock moved by the test.
 */

let t: TestApp;
let smtp: SmtpPeer;
let clock = Date.now();
beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" }, now: () => new Date(clock) });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

type Json = Record<string, any>;
const signInRaw = (a: TestTenant, email: string, password: string) => t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email, password } });
const changeOwn = (a: TestTenant, s: { cookie: string; csrf: string }, previous: string, next: string) => asSession(t, a, s, "PUT", "/api/v2/users/me/password.json", { previous_password: previous, password: next });
const problem = (r: { body: Json }) => String(r.body?.details?.password?.[0]?.description ?? "");

/** A custom staff policy with the given rules over Zendesk's recommended ones. */
const custom = (rules: Partial<Json>) => ({
  level: "custom",
  rules: { min_length: 12, mixed_case: true, digit: true, symbol: true, not_like_email: true, min_strength: 3, history: 0, expiry_days: null, lockout_attempts: 5, lockout_minutes: 10, max_sequence: null, ...rules },
});

describe("password settings", () => {
  it("default to recommended for staff and medium for end users, and are an admin's to read and change", async () => {
    const a = await buildTenant(t, "pwset");
    const r = await a.api("GET", "/api/v2/password_settings.json");
    expect(r.status).toBe(200);
    expect(r.body.password_settings).toEqual({ staff: { level: "recommended" }, end_users: { level: "medium" }, admins_set_end_user_passwords: false });
    const agent = await buildUser(t, a, "agent");
    const asAgent = { email: agent.email, token: agent.token! };
    expect((await a.api("GET", "/api/v2/password_settings.json", undefined, asAgent)).status).toBe(403);
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { end_users: { level: "low" } } }, asAgent)).status).toBe(403);
    // Staff: recommended or custom only, and custom within Zendesk's ranges for team members.
    for (const [staff, words] of [
      [{ level: "low" }, /too weak for team members/],
      [{ level: "high" }, /too weak for team members/],
      [custom({ min_length: 8 }), /min_length must be between 12 and 128/],
      [custom({ lockout_attempts: 20 }), /lockout_attempts must be between 5 and 10/],
      [custom({ not_like_email: false }), /not_like_email must be true/],
    ] as const) {
      const bad = await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff } });
      expect(bad.status, JSON.stringify(staff)).toBe(422);
      expect(JSON.stringify(bad.body.details)).toMatch(words);
    }
    // Malformed input is refused before it is looked at.
    for (const body of [{ password_settings: { staff: { level: "custom" } } }, { password_settings: { end_users: { level: "custom", rules: custom({}).rules } } }, { password_settings: { staff: { level: "recommended", extra: 1 } } }, { password_settings: "x" }]) {
      const bad = await a.api("PUT", "/api/v2/password_settings.json", body);
      expect(bad.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(bad.status, JSON.stringify(body)).toBeLessThan(500);
    }
    expect((await a.api("GET", "/api/v2/password_settings.json")).body.password_settings.staff).toEqual({ level: "recommended" });
    const ok = await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: custom({ min_length: 14 }), end_users: { level: "high" }, admins_set_end_user_passwords: true } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.password_settings).toMatchObject({ staff: { level: "custom", rules: { min_length: 14 } }, end_users: { level: "high" }, admins_set_end_user_passwords: true });
    const log = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=password_settings.updated")).body.audit_logs;
    expect(log).toHaveLength(1);
  });

  it("say the rules in words, to the person themselves or an admin", async () => {
    const a = await buildTenant(t, "pwreq");
    const agent = await staffWithPassword(t, a, "agent");
    const mine = await asSession(t, a, agent.session, "GET", "/api/v2/users/me/password/requirements.json");
    expect(mine.status).toBe(200);
    expect(mine.body.requirements).toEqual(expect.arrayContaining(["must be at least 12 characters long", "must include a number", "must not be a common or breached password", "must not resemble your e-mail address"]));
    const customer = await buildUser(t, a, "end-user");
    const theirs = await a.api("GET", `/api/v2/users/${customer.id}/password/requirements.json`);
    expect(theirs.body.requirements[0]).toBe("must be at least 6 characters long");
    // Another person's rules are an admin's to see.
    expect((await asSession(t, a, agent.session, "GET", `/api/v2/users/${customer.id}/password/requirements.json`)).status).toBe(403);
    expect((await asSession(t, a, agent.session, "GET", `/api/v2/users/${agent.id}/password/requirements.json`)).status).toBe(200);
  });
});

describe("choosing a password", () => {
  it("refuses what the policy refuses, naming every rule broken, and never an earlier password the policy remembers", async () => {
    const a = await buildTenant(t, "pwchoose");
    const agent = await staffWithPassword(t, a, "agent");
    const local = agent.email.split("@")[0]!;
    for (const [next, words] of [
      ["Short-1a", /at least 12 characters/],
      ["all lowercase words 42!", /both lowercase and uppercase/],
      ["Password123!", /too easy to guess/],
      [`My ${local} Secret 42!`, /resemble your e-mail address/],
      ["x".repeat(300), /password/],
    ] as const) {
      const r = await changeOwn(a, agent.session, PASSWORD, next);
      expect(r.status, next).toBeGreaterThanOrEqual(400);
      expect(r.status, next).toBeLessThan(500);
      expect(r.text, next).toMatch(words);
    }
    // A custom policy that remembers the last 3 passwords.
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: custom({ history: 3 }) } })).status).toBe(200);
    const first = "Orchid lantern 73 wander";
    const second = "Velvet harbor 58 drift!";
    expect((await changeOwn(a, agent.session, PASSWORD, first)).status).toBe(204);
    expect((await changeOwn(a, agent.session, first, second)).status).toBe(204);
    const back = await changeOwn(a, agent.session, second, PASSWORD);
    expect(back.status).toBe(422);
    expect(problem(back)).toMatch(/different from your 3 previous passwords/);
    expect((await changeOwn(a, agent.session, second, first)).status).toBe(422);
    expect((await changeOwn(a, agent.session, second, "Copper meadow 91 quiet!")).status).toBe(204);
  });

  it("applies to invitations: an invitee's password follows the staff policy", async () => {
    const a = await buildTenant(t, "pwinv");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: custom({ min_length: 30 }) } })).status).toBe(200);
    const inv = await a.api("POST", "/api/v2/invitations.json", { invitation: { email: `new@${a.subdomain}.test`, role: "agent" } });
    const accept = (password: string) => t.request({ method: "POST", path: "/api/v2/invitations/accept.json", host: a.host, body: { token: inv.body.invitation.token, name: "New Agent", password } });
    const short = await accept(PASSWORD);
    expect(short.status).toBe(422);
    expect(problem(short)).toMatch(/at least 30 characters/);
    expect((await accept("A long enough passphrase for thirty people 7")).status).toBe(201);
  });
});

describe("admins setting an end user's password", () => {
  it("is off until the password settings allow it, for end users only, under their policy, one-time, ending their sessions and telling them", async () => {
    const a = await buildTenant(t, "pwadmin");
    const customer = await buildUser(t, a, "end-user", "Cora Customer");
    const agent = await staffWithPassword(t, a, "agent");
    const set = (id: number, password: string, as?: { email: string; token: string }) => a.api("POST", `/api/v2/users/${id}/password.json`, { password }, as);
    const off = await set(customer.id, "Kiosk Passphrase 42!");
    expect(off.status).toBe(403);
    expect(off.body.description).toMatch(/turned off/);
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } })).status).toBe(200);
    // Staff choose their own; agents set nobody's; the end-user policy (medium) applies.
    expect((await set(agent.id, "Kiosk Passphrase 42!")).status).toBe(422);
    const agentToken = await buildUser(t, a, "agent");
    expect((await set(customer.id, "Kiosk Passphrase 42!", { email: agentToken.email, token: agentToken.token! })).status).toBe(403);
    const weak = await set(customer.id, "password");
    expect(weak.status).toBe(422);
    expect(problem(weak)).toMatch(/uppercase/);
    for (const body of [{}, { password: 42 }, { password: "x".repeat(2000) }, { password: "Kiosk Passphrase 42!", extra: 1 }]) {
      const r = await a.api("POST", `/api/v2/users/${customer.id}/password.json`, body);
      expect(r.status, JSON.stringify(body).slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    const since = smtp.messages.length;
    expect((await set(customer.id, "Kiosk Passphrase 42!")).status).toBe(204);
    // One-time: signing in with it asks for their own at once.
    const r = await signInRaw(a, customer.email, "Kiosk Passphrase 42!");
    expect(r.status, r.text).toBe(201);
    expect(r.body.session.must_change_password).toBe(true);
    const notice = await smtp.waitFor(customer.email, { since, match: (m) => /set a new password/.test(m.subject ?? "") });
    expect(notice.text).toMatch(/you will be asked to choose your own/);
    expect((await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.password_set")).body.audit_logs).toHaveLength(1);
  });
});

describe("signing in", () => {
  it("locks an account after wrong passwords in a row, answering exactly as for a wrong password; each lockout lasts longer; an admin can end it", async () => {
    const a = await buildTenant(t, "pwlock");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: custom({ lockout_attempts: 5, lockout_minutes: 1 }) } })).status).toBe(200);
    const agent = await staffWithPassword(t, a, "agent");
    const wrong = await signInRaw(a, agent.email, "Not the password 1!");
    const unknown = await signInRaw(a, `nobody@${a.subdomain}.test`, "Not the password 1!");
    expect([wrong.status, wrong.body]).toEqual([unknown.status, unknown.body]);
    for (let i = 0; i < 3; i++) expect((await signInRaw(a, agent.email, "Not the password 1!")).status).toBe(401);
    // A right password resets the count: four more wrong ones do not lock.
    expect((await signInRaw(a, agent.email, PASSWORD)).status).toBe(201);
    for (let i = 0; i < 4; i++) expect((await signInRaw(a, agent.email, "Not the password 1!")).status).toBe(401);
    expect((await signInRaw(a, agent.email, PASSWORD)).status).toBe(201);
    // Five in a row lock it: the right password is refused with the wrong password's answer.
    for (let i = 0; i < 5; i++) expect((await signInRaw(a, agent.email, "Not the password 1!")).status).toBe(401);
    const locked = await signInRaw(a, agent.email, PASSWORD);
    expect([locked.status, locked.body]).toEqual([wrong.status, wrong.body]);
    expect((await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.locked")).body.audit_logs).toHaveLength(1);
    // The person is told by mail, in case someone else is guessing.
    const notice = await smtp.waitFor(agent.email, { match: (m) => /locked/.test(m.subject ?? "") });
    expect(notice.text).toMatch(/After 5 wrong passwords in a row, password sign-in to your account at .* is locked for 1 minute\./);
    // The first lockout lasts the policy's minute.
    clock += 61_000;
    try {
      expect((await signInRaw(a, agent.email, PASSWORD)).status).toBe(201);
    } finally {
      clock -= 61_000;
    }
    // Locked again: an admin ends it (audited); a second unlock finds nothing to end.
    for (let i = 0; i < 5; i++) await signInRaw(a, agent.email, "Not the password 1!");
    expect((await signInRaw(a, agent.email, PASSWORD)).status).toBe(401);
    const agentUser = (await a.api("GET", "/api/v2/users/me.json", undefined, null)).status;
    expect(agentUser).toBe(401);
    expect((await a.api("PUT", `/api/v2/users/${agent.id}/unlock.json`)).body).toEqual({ unlocked: true });
    expect((await a.api("PUT", `/api/v2/users/${agent.id}/unlock.json`)).body).toEqual({ unlocked: false });
    expect((await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.unlocked")).body.audit_logs).toHaveLength(1);
    expect((await signInRaw(a, agent.email, PASSWORD)).status).toBe(201);
    // Only admins unlock.
    expect((await asSession(t, a, agent.session, "PUT", `/api/v2/users/${agent.id}/unlock.json`)).status).toBe(403);
  });

  it("doubles each lockout in a row", async () => {
    const a = await buildTenant(t, "pwdouble");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: custom({ lockout_attempts: 5, lockout_minutes: 1 }) } })).status).toBe(200);
    const agent = await staffWithPassword(t, a, "agent");
    const lock = async () => {
      for (let i = 0; i < 5; i++) expect((await signInRaw(a, agent.email, "Not the password 1!")).status).toBe(401);
    };
    const start = clock;
    try {
      await lock();
      clock = start + 61_000;
      // Past the first lockout, five more wrong ones lock it for two minutes.
      await lock();
      clock = start + 61_000 + 90_000;
      expect((await signInRaw(a, agent.email, PASSWORD)).status).toBe(401);
      clock = start + 61_000 + 121_000;
      expect((await signInRaw(a, agent.email, PASSWORD)).status).toBe(201);
    } finally {
      clock = start;
    }
  });

  it("asks for a new password at sign-in once the policy's expiry has passed", async () => {
    const a = await buildTenant(t, "pwexpiry");
    const agent = await staffWithPassword(t, a, "agent");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: custom({ expiry_days: 30 }) } })).status).toBe(200);
    expect((await signInRaw(a, agent.email, PASSWORD)).body.session.must_change_password).toBe(false);
    clock += 31 * 86_400_000;
    try {
      const r = await signInRaw(a, agent.email, PASSWORD);
      expect(r.status).toBe(201);
      expect(r.body.session.must_change_password).toBe(true);
      const s = { cookie: String((r.headers["set-cookie"] as string[])[0]).split(";")[0]!, csrf: r.body.session.csrf_token };
      // Nothing else works until it is changed; then everything does.
      expect((await asSession(t, a, s, "GET", "/api/v2/tickets.json")).status).toBe(403);
      expect((await changeOwn(a, s, PASSWORD, "Granite willow 64 north!")).status).toBe(204);
      expect((await asSession(t, a, s, "GET", "/api/v2/tickets.json")).status).toBe(200);
    } finally {
      clock -= 31 * 86_400_000;
    }
  });
});
