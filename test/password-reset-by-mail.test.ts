import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetPasswordByOperator } from "../src/modules/identity/password-reset-service.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, jobsSettled, PASSWORD, signIn, staffWithPassword } from "./support/people.ts";
import { linkTo, startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * "Forgot your password?" over real HTTP with a real SMTP peer catching the mail: the whole flow
 * (ask, mail, set, old password and sessions gone, single use, one hour, newest link wins, the
 * notice), the same answer for every address, another tenant's link, brute force of the link, and
 * hostile input.
 */

let t: TestApp;
let smtp: SmtpPeer;
let clockOffsetMs = 0;
let limiterClock = Date.now();

beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({
    env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_TRUST_PROXY: "127.0.0.1", VAULTDESK_JOB_POLL_SECONDS: "0.1" },
    now: () => new Date(Date.now() + clockOffsetMs),
    rateLimiter: createMemoryRateLimiter(() => limiterClock),
  });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

let ipCounter = 0;
/** A client network of its own, so the per-network limits of one case do not meet another's. */
const fresh = () => ({ "x-forwarded-for": `198.18.${Math.floor(++ipCounter / 250)}.${(ipCounter % 250) + 1}` });
const anon = (a: TestTenant, path: string, body: unknown, headers: Record<string, string> = fresh()) => t.request({ method: "POST", path, host: a.host, body, headers });
const ask = (a: TestTenant, email: string, headers?: Record<string, string>) => anon(a, "/api/v2/password_resets.json", { email }, headers);
const redeem = (a: TestTenant, token: string, password: string, headers?: Record<string, string>) => anon(a, "/api/v2/password_resets/redeem.json", { token, password }, headers);
const isResetMail = (m: { text?: string | false }) => /\/reset-password\?token=/.test(m.text || "");
const sentTo = (m: { to?: unknown }, address: string) => JSON.stringify(m.to ?? "").toLowerCase().includes(address.toLowerCase());
const ASKED = { password_reset: { status: "requested", expires_in_minutes: 60 } };

/** Asks for a link for `email` and returns the token of the mail that brings it. */
async function resetToken(a: TestTenant, email: string): Promise<{ token: string; url: string }> {
  const since = smtp.messages.length;
  const r = await ask(a, email);
  expect(r.status, r.text).toBe(202);
  const mail = await smtp.waitFor(email, { since, match: isResetMail });
  const url = linkTo(mail, "/reset-password");
  return { token: new URL(url).searchParams.get("token")!, url };
}

describe("password reset by e-mail", () => {
  it("follows the tenant's password policy: its length, and the earlier passwords it remembers (the current one included)", async () => {
    const a = await buildTenant(t, "pwrpol");
    const agent = await staffWithPassword(t, a, "agent");
    const rules = { min_length: 20, mixed_case: true, digit: true, symbol: true, not_like_email: true, min_strength: 3, history: 2, expiry_days: null, lockout_attempts: 5, lockout_minutes: 10, max_sequence: null };
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: { level: "custom", rules } } })).status).toBe(200);
    const { token } = await resetToken(a, agent.email);
    const short = await redeem(a, token, "Sixteen chars 1!");
    expect(short.status).toBe(422);
    expect(short.body.details.password[0].description).toMatch(/at least 20 characters/);
    const same = await redeem(a, token, PASSWORD);
    expect(same.status).toBe(422);
    expect(same.body.details.password[0].description).toMatch(/different from your 2 previous passwords/);
    expect((await redeem(a, token, "A long and different passphrase 9")).status).toBe(200);
  });

  it("sets a new password through the mailed link: old password and every session end, the link works once, the person is told", async () => {
    const a = await buildTenant(t, "pwr");
    const agent = await staffWithPassword(t, a, "agent");
    const other = await signIn(t, a, agent.email, PASSWORD);
    // A one-time password change pending is cleared by the reset.
    await t.db.tenant(a.tenantId, (tx) => tx.db.updateTable("users").set({ must_change_password: true }).where("nice_id", "=", agent.id).execute());

    const { token, url } = await resetToken(a, agent.email.toUpperCase());
    // The link is on the tenant's configured origin, and only its keyed hash is stored.
    expect(url.startsWith(`${a.origin}/reset-password?token=vdr_`)).toBe(true);
    const rows = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("password_resets").selectAll().execute());
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.token_hash).toString("utf8")).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(token.slice(4, 20));
    expect(rows[0]!.expires_at.getTime() - rows[0]!.created_at.getTime()).toBeGreaterThan(59 * 60_000);

    // The policy's own words for a weak password; the link stays usable.
    const weak = await redeem(a, token, "short");
    expect(weak.status).toBe(422);
    expect(weak.body.details.password[0].description).toMatch(/at least 12 characters/);
    const named = await redeem(a, token, `${agent.email.split("@")[0]}-And-more-1`);
    expect(named.status).toBe(422);
    expect(named.body.details.password[0].description).toMatch(/resemble your e-mail address/);

    const since = smtp.messages.length;
    const next = "A brand-new passphrase 42";
    const done = await redeem(a, token, next);
    expect(done.status, done.text).toBe(200);
    expect(done.body).toEqual({ password_reset: { status: "completed", sign_in_path: "/agent" } });
    // It signs nobody in.
    expect(done.headers["set-cookie"]).toBeUndefined();

    // Every session ended; the old password is refused, the new one works, nothing is pending.
    expect((await asSession(t, a, agent.session, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await asSession(t, a, other, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: agent.email, password: PASSWORD } })).status).toBe(401);
    const s = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: agent.email, password: next } });
    expect(s.status).toBe(201);
    expect(s.body.session.must_change_password).toBe(false);

    // Single use: the same link again answers like any link that is not valid.
    const again = await redeem(a, token, "Another passphrase 43");
    expect(again.status).toBe(422);
    expect(again.body.details.token[0].error).toBe("Invalid");
    expect((await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: agent.email, password: next } })).status).toBe(201);

    // The notice, to the person's address, without the password.
    const notice = await smtp.waitFor(agent.email, { since, match: (m) => /was changed|changed/.test(m.subject ?? "") });
    expect(notice.text).not.toContain(next);
    expect(isResetMail(notice)).toBe(false);

    // Audited as the person's own action, naming the field and never the value.
    const log = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.password_reset");
    expect(log.body.audit_logs).toHaveLength(1);
    expect(log.body.audit_logs[0]).toMatchObject({ actor_type: "user", actor_id: agent.id, action: "user.password_reset", source_id: String(agent.id), changed_fields: ["password"] });
    const whole = await a.api("GET", "/api/v2/audit_logs.json?per_page=100");
    expect(whole.text).not.toContain(next);
    expect(whole.text).not.toContain(token);
    expect(whole.body.audit_logs.map((e: { action: string }) => e.action)).toContain("password_reset.sent");
  });

  it("works for an end user who has a password, sending them to the help center's sign-in", async () => {
    const a = await buildTenant(t, "pwreu");
    const customer = await buildUser(t, a, "end-user");
    await resetPasswordByOperator({ db: t.db, keyring: t.keyring }, a.tenantId, customer.email);
    const { token } = await resetToken(a, customer.email);
    const done = await redeem(a, token, "Customer passphrase 77");
    expect(done.body).toEqual({ password_reset: { status: "completed", sign_in_path: "/signin" } });
    const s = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: customer.email, password: "Customer passphrase 77" } });
    expect(s.status).toBe(201);
    expect(s.body.session.must_change_password).toBe(false);
  });

  it("expires a link after one hour, and a newer link ends the older ones", async () => {
    const a = await buildTenant(t, "pwrexp");
    const agent = await staffWithPassword(t, a, "agent");
    const first = await resetToken(a, agent.email);
    const second = await resetToken(a, agent.email);
    expect(second.token).not.toBe(first.token);
    const old = await redeem(a, first.token, "Replaced link passphrase 1");
    expect(old.status).toBe(422);
    expect(old.body.details.token[0].error).toBe("Invalid");

    clockOffsetMs = 60 * 60_000 + 1000;
    try {
      const late = await redeem(a, second.token, "Too late passphrase 2");
      expect(late.status).toBe(422);
      expect(late.body).toEqual(old.body);
    } finally {
      clockOffsetMs = 0;
    }
    // Fifty-nine minutes is still in time.
    const third = await resetToken(a, agent.email);
    clockOffsetMs = 59 * 60_000;
    try {
      expect((await redeem(a, third.token, "In time passphrase 3")).status).toBe(200);
    } finally {
      clockOffsetMs = 0;
    }
    await signIn(t, a, agent.email, "In time passphrase 3");
  });

  it("answers every address the same and mails only a person who may reset", async () => {
    const a = await buildTenant(t, "pwrsame");
    const real = await staffWithPassword(t, a, "agent");
    const deleted = await staffWithPassword(t, a, "agent");
    const suspended = await staffWithPassword(t, a, "agent");
    const moved = await staffWithPassword(t, a, "agent");
    const noPassword = await buildUser(t, a, "end-user");
    expect((await a.api("DELETE", `/api/v2/users/${deleted.id}.json`)).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/users/${suspended.id}.json`, { user: { suspended: true } })).status).toBe(200);
    // An address staff moved the person to (users-email.ts) gets no link.
    await t.db.tenant(a.tenantId, (tx) => tx.db.updateTable("users").set({ email_status: "staff_changed" }).where("nice_id", "=", moved.id).execute());
    await jobsSettled(t, a.tenantId);

    const since = smtp.messages.length;
    const count = () => t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM job_statuses WHERE job_type = 'password_reset'`.execute(tx.db)).rows[0]!.n);
    const addresses = [real.email, `nobody.${Date.now()}@nowhere.test`, deleted.email, suspended.email, moved.email, noPassword.email];
    const answers: Array<{ status: number; body: unknown; headers: string[] }> = [];
    for (const email of addresses) {
      const before = await count();
      const r = await ask(a, email);
      answers.push({ status: r.status, body: r.body, headers: Object.keys(r.headers).filter((h) => h !== "date" && h !== "x-request-id").sort() });
      // The same work for every address: one job, which decides later.
      expect(await count(), email).toBe(before + 1);
    }
    for (const x of answers) expect(x).toEqual({ status: 202, body: ASKED, headers: answers[0]!.headers });
    await jobsSettled(t, a.tenantId);
    const mails = smtp.messages.slice(since);
    expect(mails.filter((m) => sentTo(m, real.email) && isResetMail(m))).toHaveLength(1);
    for (const email of addresses.slice(1)) expect(mails.filter((m) => sentTo(m, email)), email).toEqual([]);
    // The jobs' results are the same for every address too.
    const results = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["status", "message"]).where("job_type", "=", "password_reset").execute());
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it("does the same work for an address that exists and one that does not: the same answer, one queued job each, the lookup only in the job", async () => {
    const a = await buildTenant(t, "pwrsame");
    const real = await staffWithPassword(t, a, "agent");
    // The request's own jobs (the job then queues a mail for the existing address, in its own time).
    const jobs = async () => (await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["job_type"]).where("job_type", "=", "password_reset").orderBy("created_at").execute())).map((j) => j.job_type);
    const before = await jobs();
    const known = await ask(a, real.email);
    const afterKnown = await jobs();
    const unknown = await ask(a, `nobody.${Date.now()}@nowhere.test`);
    const afterUnknown = await jobs();
    // Byte for byte the same answer, and exactly one job queued by each: whether the address has an
    // account is first looked at in the job, so the request's time cannot depend on it (timings
    // themselves are left to benchmarks: on a shared machine they are noise).
    expect([known.status, known.text]).toEqual([unknown.status, unknown.text]);
    const added = (x: string[], y: string[]) => y.filter((j, i) => i >= x.length || x[i] !== j);
    expect(afterKnown.length - before.length).toBe(1);
    expect(afterUnknown.length - afterKnown.length).toBe(1);
    expect(added(before, afterKnown)).toEqual(added(afterKnown, afterUnknown));
  });

  it("refuses another tenant's link exactly like an unknown one, and it still works at home", async () => {
    const a = await buildTenant(t, "pwra");
    const b = await buildTenant(t, "pwrb");
    const agent = await staffWithPassword(t, a, "agent");
    const { token } = await resetToken(a, agent.email);
    const foreign = await redeem(b, token, "Foreign passphrase 11");
    const unknown = await redeem(b, `vdr_${"A".repeat(43)}`, "Foreign passphrase 11");
    const garbage = await redeem(b, "nonsense", "Foreign passphrase 11");
    expect(foreign.status).toBe(422);
    expect(foreign.body).toEqual(unknown.body);
    expect(foreign.body).toEqual(garbage.body);
    expect(foreign.body.details.token[0].description).toMatch(/not valid/);
    expect((await redeem(a, token, "Home passphrase 12")).status).toBe(200);
  });

  it("limits guessing links from one network", async () => {
    const a = await buildTenant(t, "pwrbrute");
    const from = { "x-forwarded-for": "203.0.113.77" };
    const statuses: number[] = [];
    for (let i = 0; i < 32; i++) statuses.push((await redeem(a, `vdr_${String(i).padStart(43, "x")}`, "Guessing passphrase 1", from)).status);
    expect(statuses.slice(0, 30).every((s) => s === 422)).toBe(true);
    expect(statuses.slice(30)).toEqual([429, 429]);
    // Another network is not affected.
    expect((await redeem(a, `vdr_${"y".repeat(43)}`, "Guessing passphrase 1")).status).toBe(422);
  });

  it("limits the mail one address can be sent, answering the same all along", async () => {
    const a = await buildTenant(t, "pwrflood");
    const agent = await staffWithPassword(t, a, "agent");
    const since = smtp.messages.length;
    const from = { "x-forwarded-for": "203.0.113.88" };
    for (let i = 0; i < 5; i++) {
      const r = await ask(a, agent.email, from);
      expect(r.status).toBe(202);
      expect(r.body).toEqual(ASKED);
    }
    await jobsSettled(t, a.tenantId);
    // Three per address and network per 15 minutes.
    expect(smtp.messages.slice(since).filter((m) => sentTo(m, agent.email) && isResetMail(m))).toHaveLength(3);
  });

  it("answers hostile input with a 4xx and a Zendesk error body, never a 500", async () => {
    const a = await buildTenant(t, "pwrbad");
    const bodies: unknown[] = [
      {}, { token: "vdr_x" }, { password: "A good passphrase 1" }, { token: 42, password: "A good passphrase 1" }, { token: "vdr_x", password: 42 },
      { token: ["vdr_x"], password: "A good passphrase 1" }, { token: "vdr_x", password: null }, { token: "vdr_x", password: "x".repeat(10_000) },
      { token: "vdr_x", password: "A good passphrase 1", extra: true }, { token: "x".repeat(10_000), password: "A good passphrase 1" }, { token: "vdr_\u0000", password: "A good passphrase 1" }, [], "text", null,
    ];
    for (const body of bodies) {
      const r = await anon(a, "/api/v2/password_resets/redeem.json", body);
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBeLessThan(500);
      expect(typeof r.body?.error).toBe("string");
    }
    for (const body of [{}, { email: 42 }, { email: "not an address" }, { email: `${"x".repeat(10_000)}@a.test` }, { email: ["a@b.test"] }, { email: "a@b.test", extra: 1 }, { email: "a@b.test", locale: "<script>" }, null]) {
      const r = await anon(a, "/api/v2/password_resets.json", body);
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBeLessThan(500);
      expect(typeof r.body?.error).toBe("string");
    }
  });

  it("says plainly when there is no mail server, whatever the address", async () => {
    const plain = await startTestApp();
    try {
      const a = await buildTenant(plain, "pwrnomail");
      const known = await plain.request({ method: "POST", path: "/api/v2/password_resets.json", host: a.host, body: { email: a.ownerEmail } });
      const unknown = await plain.request({ method: "POST", path: "/api/v2/password_resets.json", host: a.host, body: { email: "nobody@nowhere.test" } });
      expect(known.status).toBe(422);
      expect(known.body.details.email[0].error).toBe("Unavailable");
      expect(unknown.body).toEqual(known.body);
    } finally {
      await plain.close();
    }
  });
});
