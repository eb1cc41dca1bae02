import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetPasswordByOperator } from "../src/modules/identity/password-reset-service.ts";
import { resetTwoFactorByOperator } from "../src/modules/identity/two-factor-service.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, cookieOf, PASSWORD, signIn, staffWithPassword, type Session } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Two-factor sign-in with an authenticator app, over real HTTP on a real database with the
 * deployment's clock moved by the test, and a real SMTP peer catching the admin-reset notice:
 * enrolment, sign-in with a code, each attack (a code replayed, wrong codes, a challenge reused,
 * expired or taken to another tenant, a stolen session turning it off, another tenant's user),
 * recovery codes, the admin reset, the requirement for staff, and hostile input.
 */

let t: TestApp;
let smtp: SmtpPeer;
let clock = Date.now();
beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({
    env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" },
    now: () => new Date(clock),
    rateLimiter: createMemoryRateLimiter(() => clock),
  });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

type Json = Record<string, any>;
/** The next 30-second time step (a new code). */
const nextStep = () => {
  clock += 30_000;
};
const codeAt = (secret: string, at = clock) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });
const signInRaw = (a: TestTenant, email: string, password: string) => t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email, password } });
const second = (a: TestTenant, challenge: string, code: string) => t.request({ method: "POST", path: "/api/v2/session/two_factor.json", host: a.host, body: { challenge, code } });
const REFUSED = /Invalid authentication code, or this sign-in has expired/;

/** A staff member with a password who has turned two-factor sign-in on: their secret and recovery codes. */
async function enrolled(a: TestTenant, role: "agent" | "admin" = "agent") {
  const p = await staffWithPassword(t, a, role);
  const start = await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp.json");
  expect(start.status, start.text).toBe(201);
  const secret: string = start.body.totp.secret;
  const confirm = await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(secret) });
  expect(confirm.status, confirm.text).toBe(200);
  nextStep();
  return { ...p, secret, recovery: confirm.body.recovery_codes as string[] };
}

/** The password step: a challenge, not a session. */
async function challengeFor(a: TestTenant, email: string): Promise<string> {
  const r = await signInRaw(a, email, PASSWORD);
  expect(r.status, r.text).toBe(202);
  expect(r.headers["set-cookie"]).toBeUndefined();
  expect(r.body).toMatchObject({ two_factor_required: true });
  return r.body.challenge;
}

async function signInWithCode(a: TestTenant, email: string, code: string): Promise<Session> {
  const r = await second(a, await challengeFor(a, email), code);
  expect(r.status, r.text).toBe(201);
  return { cookie: cookieOf(r.headers), csrf: r.body.session.csrf_token };
}

const actions = async (a: TestTenant, action: string) => (await a.api("GET", `/api/v2/audit_logs.json?filter[action]=${action}`)).body.audit_logs as Json[];

describe("enrolment", () => {
  it("shows the secret once as a URI, a QR code and text; activates with a code; answers ten recovery codes once", async () => {
    const a = await buildTenant(t, "tfenrol");
    const p = await staffWithPassword(t, a, "agent");
    expect((await asSession(t, a, p.session, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor).toEqual({ enabled: false, pending: false, activated_at: null, recovery_codes_left: 0, passkeys: 0, required: false, set_up_needs_password: false });
    const start = await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect(start.status, start.text).toBe(201);
    const { secret, otpauth_uri, qr_code, account_name } = start.body.totp;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauth_uri).toMatch(/^otpauth:\/\/totp\//);
    expect(new URL(otpauth_uri).searchParams.get("secret")).toBe(secret);
    expect(account_name).toBe(p.email);
    expect(qr_code).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(qr_code.split(",")[1], "base64").toString()).toContain("<svg");
    // Pending: not on yet, and the password alone still signs in.
    expect((await asSession(t, a, p.session, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor).toMatchObject({ enabled: false, pending: true });
    expect((await signInRaw(a, p.email, PASSWORD)).status).toBe(201);
    // A wrong code does not confirm; the right one does.
    const wrong = await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(secret, clock - 600_000) });
    expect(wrong.status).toBe(422);
    expect(wrong.body.details.code[0].description).toMatch(/is not valid/);
    const ok = await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(secret) });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.recovery_codes).toHaveLength(10);
    expect(new Set(ok.body.recovery_codes).size).toBe(10);
    for (const c of ok.body.recovery_codes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    const status = (await asSession(t, a, p.session, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor;
    expect(status).toMatchObject({ enabled: true, pending: false, recovery_codes_left: 10 });
    expect(JSON.stringify(status)).not.toContain(secret);
    // Starting again while it is on is refused (turn it off first); confirming again too.
    expect((await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp.json")).status).toBe(409);
    expect((await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(secret) })).status).toBe(422);
    expect(await actions(a, "user.two_factor_enabled")).toHaveLength(1);
    // The secret is stored sealed: not in the row in clear.
    const raw = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("two_factor_totp").select("secret_sealed").executeTakeFirstOrThrow());
    expect(Buffer.from(raw.secret_sealed).includes(Buffer.from(secret))).toBe(false);
  });

  it("is for staff signed in: not for end users, not through an API token", async () => {
    const a = await buildTenant(t, "tfwho");
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("POST", "/api/v2/users/me/two_factor/totp.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
  });
});

describe("sign-in with a second factor", () => {
  it("needs the code after the right password; a wrong password answers as before", async () => {
    const a = await buildTenant(t, "tfsign");
    const p = await enrolled(a);
    const wrongPassword = await signInRaw(a, p.email, "not the password");
    const unknown = await signInRaw(a, `nobody@${a.subdomain}.test`, "not the password");
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body).toEqual(unknown.body);
    const s = await signInWithCode(a, p.email, codeAt(p.secret));
    expect((await asSession(t, a, s, "GET", "/api/v2/users/me.json")).body.user.id).toBe(p.id);
    // A session only from the password step does not exist: the challenge is no cookie.
    expect((await t.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: { cookie: `vd_session=${await challengeFor(a, p.email)}` } })).status).toBe(401);
  });

  it("refuses a code used once already within its window, a wrong code and a worn-out challenge, with the same answer", async () => {
    const a = await buildTenant(t, "tfreplay");
    const p = await enrolled(a);
    const code = codeAt(p.secret);
    await signInWithCode(a, p.email, code);
    // The same code again (still inside its 90-second window): refused.
    const replay = await second(a, await challengeFor(a, p.email), code);
    expect(replay.status).toBe(401);
    expect(replay.body.description).toMatch(REFUSED);
    const wrong = await second(a, await challengeFor(a, p.email), code === "000000" ? "111111" : "000000");
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual(replay.body);
    // The next step's code works.
    nextStep();
    await signInWithCode(a, p.email, codeAt(p.secret));
  });

  it("uses a challenge once, for five minutes, on its own tenant only", async () => {
    const a = await buildTenant(t, "tfchal");
    const b = await buildTenant(t, "tfchalb");
    const p = await enrolled(a);
    const ch = await challengeFor(a, p.email);
    // Another tenant: unknown there.
    const elsewhere = await second(b, ch, codeAt(p.secret));
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body.description).toMatch(REFUSED);
    expect((await second(a, ch, codeAt(p.secret))).status).toBe(201);
    nextStep();
    // Used: refused even with a fresh code.
    const again = await second(a, ch, codeAt(p.secret));
    expect(again.status).toBe(401);
    expect(again.body.description).toMatch(REFUSED);
    // Expired after five minutes.
    const late = await challengeFor(a, p.email);
    clock += 5 * 60_000 + 1000;
    const expired = await second(a, late, codeAt(p.secret));
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual(again.body);
    // Made-up challenges.
    expect((await second(a, "vdc_" + "A".repeat(43), codeAt(p.secret))).status).toBe(401);
  });

  it("ends a waiting challenge when the person's sessions end (a password reset)", async () => {
    const a = await buildTenant(t, "tfchalend");
    const p = await enrolled(a);
    const ch = await challengeFor(a, p.email);
    await resetPasswordByOperator({ db: t.db, keyring: t.keyring, now: () => new Date(clock) }, a.tenantId, p.email);
    const r = await second(a, ch, codeAt(p.secret));
    expect(r.status).toBe(401);
    expect(r.body.description).toMatch(REFUSED);
  });

  it("counts wrong codes toward the lockout and ends a challenge after five", async () => {
    const a = await buildTenant(t, "tflock");
    const p = await enrolled(a);
    const ch = await challengeFor(a, p.email);
    const bad = codeAt(p.secret, clock - 3_600_000);
    for (let i = 0; i < 5; i++) expect((await second(a, ch, bad)).status).toBe(401);
    // Five wrong in a row lock the account (recommended policy: 5 attempts) and the challenge is spent:
    // even the right code is refused, and so is the right password.
    expect((await second(a, ch, codeAt(p.secret))).status).toBe(401);
    expect((await signInRaw(a, p.email, PASSWORD)).status).toBe(401);
    expect(await actions(a, "user.locked")).toHaveLength(1);
    const failed = await actions(a, "user.signin_failed");
    expect(failed.length).toBeGreaterThanOrEqual(6);
  });

  it("accepts each recovery code once; new codes end the old ones", async () => {
    const a = await buildTenant(t, "tfrec");
    const p = await enrolled(a);
    const s = await signInWithCode(a, p.email, p.recovery[0]!.toUpperCase());
    const reuse = await second(a, await challengeFor(a, p.email), p.recovery[0]!);
    expect(reuse.status).toBe(401);
    expect(reuse.body.description).toMatch(REFUSED);
    expect((await asSession(t, a, s, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor.recovery_codes_left).toBe(9);
    expect(await actions(a, "user.recovery_code_used")).toHaveLength(1);
    // New codes need a code.
    expect((await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/recovery_codes.json", { code: "123456" })).status).toBe(422);
    const fresh = await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/recovery_codes.json", { code: codeAt(p.secret) });
    expect(fresh.status, fresh.text).toBe(201);
    expect(fresh.body.recovery_codes).toHaveLength(10);
    nextStep();
    expect((await second(a, await challengeFor(a, p.email), p.recovery[1]!)).status).toBe(401);
    await signInWithCode(a, p.email, fresh.body.recovery_codes[0]);
    expect(await actions(a, "user.recovery_codes_regenerated")).toHaveLength(1);
  });
});

describe("turning it off", () => {
  it("needs a current code: a stolen session alone cannot", async () => {
    const a = await buildTenant(t, "tfoff");
    const p = await enrolled(a);
    const s = await signInWithCode(a, p.email, codeAt(p.secret));
    const noProof = await asSession(t, a, s, "DELETE", "/api/v2/users/me/two_factor.json");
    expect(noProof.status, noProof.text).toBe(422);
    expect(noProof.body.details.code[0].description).toMatch(/not valid/);
    // The code that opened the session is used up: it is no proof either.
    expect((await asSession(t, a, s, "DELETE", "/api/v2/users/me/two_factor.json", { code: codeAt(p.secret) })).status).toBe(422);
    expect(await actions(a, "user.two_factor_proof_failed")).toHaveLength(2);
    nextStep();
    expect((await asSession(t, a, s, "DELETE", "/api/v2/users/me/two_factor.json", { code: codeAt(p.secret) })).status).toBe(204);
    expect((await signInRaw(a, p.email, PASSWORD)).status).toBe(201);
    expect(await actions(a, "user.two_factor_disabled")).toHaveLength(1);
  });
});

describe("admins", () => {
  it("reset a person's second factor: audited, their sessions end, and they are told by e-mail", async () => {
    const a = await buildTenant(t, "tfreset");
    const p = await enrolled(a);
    const s = await signInWithCode(a, p.email, codeAt(p.secret));
    // Not for agents; another tenant's user is not found.
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("DELETE", `/api/v2/users/${p.id}/two_factor.json`, undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    const b = await buildTenant(t, "tfresetb");
    expect((await b.api("DELETE", `/api/v2/users/${p.id}/two_factor.json`)).status).toBe(404);
    expect((await a.api("GET", `/api/v2/users/${p.id}/two_factor.json`)).body.two_factor.enabled).toBe(true);
    const since = smtp.messages.length;
    const r = await a.api("DELETE", `/api/v2/users/${p.id}/two_factor.json`);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({ two_factor_reset: true });
    expect((await a.api("DELETE", `/api/v2/users/${p.id}/two_factor.json`)).body).toEqual({ two_factor_reset: false });
    expect((await asSession(t, a, s, "GET", "/api/v2/users/me.json")).status).toBe(401);
    const log = await actions(a, "user.two_factor_reset");
    expect(log).toHaveLength(1);
    expect(String(log[0]!.source_id)).toBe(String(p.id));
    const mail = await smtp.waitFor(p.email, { since, match: (m) => /Two-factor authentication was reset/.test(m.subject ?? "") });
    expect(mail.text).toMatch(/administrator/);
    // The password alone signs in again.
    expect((await signInRaw(a, p.email, PASSWORD)).status).toBe(201);
  });

  it("an operator resets the owner's (no admin can): audited as the operator, sessions end, the owner is told", async () => {
    const a = await buildTenant(t, "tfop");
    const admin = await enrolled(a, "admin");
    // Only the owner resets the owner's: another admin cannot.
    const ownerS = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const start = await asSession(t, a, ownerS, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect((await asSession(t, a, ownerS, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(start.body.totp.secret) })).status).toBe(200);
    const adminS = await signInWithCode(a, admin.email, codeAt(admin.secret));
    const ownerId = (await a.api("GET", "/api/v2/users/me.json")).body.user.id;
    const refused = await asSession(t, a, adminS, "DELETE", `/api/v2/users/${ownerId}/two_factor.json`);
    expect(refused.status).toBe(403);
    expect(refused.body.description).toMatch(/Only the owner/);
    const since = smtp.messages.length;
    const r = await resetTwoFactorByOperator({ db: t.db, keyring: t.keyring, config: t.config, now: () => new Date(clock) }, a.tenantId, a.ownerEmail);
    expect(r).toMatchObject({ userId: ownerId, reset: true });
    expect(r.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect((await asSession(t, a, ownerS, "GET", "/api/v2/users/me.json")).status).toBe(401);
    const log = await actions(a, "user.two_factor_reset");
    expect(log).toHaveLength(1);
    expect(log[0]!.actor_id).toBeNull();
    await smtp.waitFor(a.ownerEmail, { since, match: (m) => /Two-factor authentication was reset/.test(m.subject ?? "") });
    expect((await signInRaw(a, a.ownerEmail, a.ownerPassword)).status).toBe(201);
    expect((await resetTwoFactorByOperator({ db: t.db, keyring: t.keyring, config: t.config }, a.tenantId, a.ownerEmail)).reset).toBe(false);
  });

  it("require it for staff: a session without it can only enrol, until it is confirmed", async () => {
    const a = await buildTenant(t, "tfreq");
    const admin = await enrolled(a, "admin");
    const agent = await staffWithPassword(t, a, "agent");
    const adminSession = await signInWithCode(a, admin.email, codeAt(admin.secret));
    // An admin without it cannot require it (they would shut themselves out); with it, can.
    const plainAdmin = await staffWithPassword(t, a, "admin");
    const refused = await asSession(t, a, plainAdmin.session, "PUT", "/api/v2/two_factor_settings.json", { two_factor_settings: { require_staff_two_factor: true } });
    expect(refused.status).toBe(422);
    expect((await asSession(t, a, agent.session, "PUT", "/api/v2/two_factor_settings.json", { two_factor_settings: { require_staff_two_factor: true } })).status).toBe(403);
    const on = await asSession(t, a, adminSession, "PUT", "/api/v2/two_factor_settings.json", { two_factor_settings: { require_staff_two_factor: true } });
    expect(on.status, on.text).toBe(200);
    expect((await a.api("GET", "/api/v2/two_factor_settings.json")).body).toEqual({ two_factor_settings: { require_staff_two_factor: true } });
    expect(await actions(a, "two_factor_settings.updated")).toHaveLength(1);
    // The agent's session (open before) and a new sign-in: only enrolment works.
    const s = (await signInRaw(a, agent.email, PASSWORD));
    expect(s.status).toBe(201);
    const fresh = { cookie: cookieOf(s.headers), csrf: s.body.session.csrf_token };
    for (const session of [agent.session, fresh]) {
      const blocked = await asSession(t, a, session, "GET", "/api/v2/tickets.json");
      expect(blocked.status).toBe(403);
      expect(blocked.body.description).toMatch(/requires two-factor authentication/);
      expect((await asSession(t, a, session, "GET", "/api/v2/session.json")).body.session.must_enrol_two_factor).toBe(true);
      expect((await asSession(t, a, session, "GET", "/api/v2/users/me.json")).status).toBe(200);
    }
    expect((await asSession(t, a, fresh, "POST", "/api/v2/api_tokens.json", { api_token: { name: "x" } })).status).toBe(403);
    const start = await asSession(t, a, fresh, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect(start.status).toBe(201);
    expect((await asSession(t, a, fresh, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(start.body.totp.secret) })).status).toBe(200);
    expect((await asSession(t, a, fresh, "GET", "/api/v2/tickets.json")).status).toBe(200);
    expect((await asSession(t, a, fresh, "GET", "/api/v2/session.json")).body.session.must_enrol_two_factor).toBe(false);
    // API tokens are separate credentials, and end users are not asked.
    const tokenAgent = await buildUser(t, a, "agent");
    expect((await a.api("GET", "/api/v2/tickets.json", undefined, { email: tokenAgent.email, token: tokenAgent.token! })).status).toBe(200);
    // Off again.
    expect((await asSession(t, a, adminSession, "PUT", "/api/v2/two_factor_settings.json", { two_factor_settings: { require_staff_two_factor: false } })).status).toBe(200);
    expect((await asSession(t, a, plainAdmin.session, "GET", "/api/v2/tickets.json")).status).toBe(200);
  });
});

describe("a one-time password and the requirement together", () => {
  it("change the password first, then set up two-factor sign-in, then work", async () => {
    const a = await buildTenant(t, "tfboth");
    const admin = await enrolled(a, "admin");
    const adminSession = await signInWithCode(a, admin.email, codeAt(admin.secret));
    expect((await asSession(t, a, adminSession, "PUT", "/api/v2/two_factor_settings.json", { two_factor_settings: { require_staff_two_factor: true } })).status).toBe(200);
    const agent = await staffWithPassword(t, a, "agent");
    const { oneTimePassword } = await resetPasswordByOperator({ db: t.db, keyring: t.keyring, now: () => new Date(clock) }, a.tenantId, agent.email);
    const r = await signInRaw(a, agent.email, oneTimePassword);
    expect(r.status).toBe(201);
    const s = { cookie: cookieOf(r.headers), csrf: r.body.session.csrf_token };
    const info = (await asSession(t, a, s, "GET", "/api/v2/session.json")).body.session;
    expect(info).toMatchObject({ must_change_password: true, must_enrol_two_factor: true });
    // Set-up waits for the password change; the change itself is allowed.
    expect((await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/totp.json")).status).toBe(403);
    expect((await asSession(t, a, s, "GET", "/api/v2/users/me/password/requirements.json")).status).toBe(200);
    expect((await asSession(t, a, s, "PUT", "/api/v2/users/me/password.json", { previous_password: oneTimePassword, password: `${PASSWORD} again` })).status).toBe(204);
    expect((await asSession(t, a, s, "GET", "/api/v2/tickets.json")).status).toBe(403);
    const start = await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect(start.status).toBe(201);
    expect((await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(start.body.totp.secret) })).status).toBe(200);
    expect((await asSession(t, a, s, "GET", "/api/v2/tickets.json")).status).toBe(200);
  });
});

describe("hostile input", () => {
  it("answers 4xx, never 500", async () => {
    const a = await buildTenant(t, "tfbad");
    const p = await enrolled(a);
    const ch = await challengeFor(a, p.email);
    const bodies: unknown[] = [{}, { challenge: ch }, { code: "123456" }, { challenge: ch, code: 123456 }, { challenge: "x".repeat(500), code: "1" }, { challenge: "../../etc", code: "1" }, { challenge: ch, code: "x".repeat(100) }, { challenge: ch, code: "" }, { challenge: ch, code: "١٢٣٤٥٦" }, { challenge: ch, code: "123456", extra: 1 }, "nope", null, []];
    for (const body of bodies) {
      const r = await t.request({ method: "POST", path: "/api/v2/session/two_factor.json", host: a.host, body });
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(body)).toBeLessThan(500);
    }
    for (const [method, path, body] of [
      ["POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: null }],
      ["POST", "/api/v2/users/me/two_factor/recovery_codes.json", {}],
      ["DELETE", "/api/v2/users/me/two_factor.json", { code: ["1"] }],
      ["PUT", "/api/v2/two_factor_settings.json", { two_factor_settings: { require_staff_two_factor: "yes" } }],
      ["PUT", "/api/v2/two_factor_settings.json", { two_factor_settings: { other: true } }],
    ] as const) {
      const r = await a.api(method, path, body);
      expect(r.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${method} ${path}`).toBeLessThan(500);
    }
    expect((await a.api("DELETE", "/api/v2/users/99999999/two_factor.json")).status).toBe(404);
    const abc = await a.api("DELETE", "/api/v2/users/abc/two_factor.json");
    expect(abc.status).toBeGreaterThanOrEqual(400);
    expect(abc.status).toBeLessThan(500);
  });
});
