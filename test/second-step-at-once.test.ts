import { sql } from "kysely";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { onPostgres, whileChangeHeld, whileRowsHeld } from "./support/held-rows.ts";
import { PASSWORD, registerPasskey, staffWithPassword, turnOnTotp } from "./support/people.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * The second step of a password sign-in (a code from an authenticator app, or a passkey) with
 * other attempts at once on the same person. On PostgreSQL the test holds the person's row until
 * the requests wait on it, so each has read the account and its challenge before any other
 * writes (the interleaving where a read goes stale); on the embedded database one transaction runs
 * at a time and the same tests show the sequential answer.
 *
 * - A passkey completing the sign-in, read before a wrong password that locks the account and
 *   judged after it: refused, no session, the lockout stays (the step reads the lock again holding
 *   the row, as the code step does).
 * - Wrong codes at once on one challenge: no more than its five attempts are counted (toward the
 *   challenge and the lockout); the rest get no verdict, and a right code after the fifth wrong one
 *   does not pass.
 */

let t: TestApp;
let clock = Date.now();
beforeAll(async () => {
  t = await startTestApp({ now: () => new Date(clock), rateLimiter: createMemoryRateLimiter(() => clock) });
});
afterAll(async () => {
  await t?.close();
});

type Json = Record<string, any>;
const CHALLENGE_ATTEMPTS = 5;
const WRONG_PASSWORD = "Not the password 1!";
const policyOf = (lockoutAttempts: number) => ({
  level: "custom",
  rules: { min_length: 12, mixed_case: true, digit: true, symbol: true, not_like_email: true, min_strength: 3, history: 0, expiry_days: null, lockout_attempts: lockoutAttempts, lockout_minutes: 10, max_sequence: null },
});
const post = (a: TestTenant, path: string, body?: unknown) => t.request({ method: "POST", path, host: a.host, body });
const signInRaw = (a: TestTenant, email: string, password: string) => post(a, "/api/v2/session.json", { email, password });
const holdPerson = (niceId: number) => sql`SELECT id FROM users WHERE nice_id = ${niceId} FOR UPDATE`;
const counts = async (a: TestTenant, niceId: number) => {
  const c = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("users").select(["failed_signins", "lockouts", "locked_until"]).where("nice_id", "=", niceId).executeTakeFirstOrThrow());
  return { failed: c.failed_signins, lockouts: c.lockouts, locked: c.locked_until !== null && new Date(c.locked_until) > new Date(clock) };
};
/** The person's open sign-in challenges' wrong answers counted, and their sessions opened with a second factor. */
const challengeAttempts = (a: TestTenant, niceId: number) =>
  t.db.tenant(a.tenantId, async (tx) =>
    (await sql<{ failed_attempts: number }>`SELECT c.failed_attempts FROM two_factor_challenges c JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.user_id WHERE u.nice_id = ${niceId}`.execute(tx.db)).rows.map((r) => r.failed_attempts),
  );
const secondFactorSessions = (a: TestTenant, niceId: number) =>
  t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id WHERE u.nice_id = ${niceId} AND s.second_factor`.execute(tx.db)).rows[0]!.n));

/** The password step of a person with a second factor: the challenge. */
async function challengeFor(a: TestTenant, email: string): Promise<string> {
  const r = await signInRaw(a, email, PASSWORD);
  expect(r.status, r.text).toBe(202);
  return r.body.challenge as string;
}

describe("a passkey as the second step, at once with a guess that locks the account", () => {
  it("judged after the wrong password that locks: refused, no session, and the lockout stays", async () => {
    const ATTEMPTS = 5;
    const a = await buildTenant(t, "steppasskey");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: policyOf(ATTEMPTS) } })).status).toBe(200);
    const p = await staffWithPassword(t, a, "agent");
    const auth = new SoftAuthenticator();
    await registerPasskey(t, a, p.session, auth);

    const challenge = await challengeFor(a, p.email);
    const options = await post(a, "/api/v2/session/two_factor/passkey/options.json", { challenge });
    expect(options.status, options.text).toBe(200);
    const credential = auth.assert(options.body.options as Json & { challenge: string }, { origin: a.origin, userVerified: false });
    // One wrong password short of the lockout.
    for (let i = 0; i < ATTEMPTS - 1; i++) expect((await signInRaw(a, p.email, WRONG_PASSWORD)).status).toBe(401);
    expect(await counts(a, p.id)).toEqual({ failed: ATTEMPTS - 1, lockouts: 0, locked: false });

    // The wrong password first (it locks the account), then the passkey, read before that lockout was written.
    const [wrong, passkey] = await whileRowsHeld(t, a.tenantId, holdPerson(p.id), [[() => signInRaw(a, p.email, WRONG_PASSWORD)], [() => post(a, "/api/v2/session/two_factor/passkey.json", { challenge, credential })]]);
    expect(wrong!.status).toBe(401);
    // Observed before the step read the lock again (PostgreSQL): 201, a session, and the lockout ended.
    expect(passkey!.status, passkey!.text).toBe(401);
    expect(passkey!.text).toMatch(/Invalid passkey, or this sign-in has expired/);
    expect(passkey!.headers["set-cookie"]).toBeUndefined();
    expect(await secondFactorSessions(a, p.id)).toBe(0);
    expect(await counts(a, p.id)).toEqual({ failed: 0, lockouts: 1, locked: true });
    if (onPostgres()) {
      // Refused as the code step refuses a sign-in locked meanwhile (the embedded database refuses it at the first read).
      const failed = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed")).body.audit_logs as Json[];
      expect(failed.filter((l) => JSON.stringify(l).includes('"locked"') && JSON.stringify(l).includes('"passkey"'))).toHaveLength(1);
    }
  });
});

describe("codes at once on one challenge", () => {
  /** A staff member with a password who has turned an authenticator app on: their secret. */
  async function enrolled(a: TestTenant) {
    const p = await staffWithPassword(t, a, "agent");
    const secret = await turnOnTotp(t, a, p.session, codeAt);
    // The next time step: a new code.
    clock += 30_000;
    return { ...p, secret };
  }
  const codeAt = (secret: string, at = clock) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });
  /** A six-digit code valid for no step near the clock. */
  const wrongCode = (secret: string) => {
    const near = new Set([-2, -1, 0, 1, 2].map((d) => codeAt(secret, clock + d * 30_000)));
    for (let n = 123456; ; n = (n + 7919) % 1_000_000) {
      const c = String(n).padStart(6, "0");
      if (!near.has(c)) return c;
    }
  };
  const second = (a: TestTenant, challenge: string, code: string) => () => post(a, "/api/v2/session/two_factor.json", { challenge, code });

  it("more wrong codes than the challenge takes, at once: five are counted, the rest get no verdict, and the right code no longer passes on it", async () => {
    const a = await buildTenant(t, "stepcodes");
    // A lockout above the challenge's attempts: the challenge's own limit is what stops them.
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: policyOf(10) } })).status).toBe(200);
    const p = await enrolled(a);
    const challenge = await challengeFor(a, p.email);
    const wrong = wrongCode(p.secret);
    const answers = await whileRowsHeld(t, a.tenantId, holdPerson(p.id), [Array.from({ length: 8 }, () => second(a, challenge, wrong))]);
    // Every one hears the same refusal (wrong, used and worn out answer alike)…
    expect(answers.map((r) => [r.status, r.body])).toEqual(Array.from({ length: 8 }, () => [401, answers[0]!.body]));
    // …but only the challenge's five were judged and counted. Observed before the challenge was
    // read again and counted in one conditional statement (PostgreSQL): 8 and 8.
    expect({ challenge: await challengeAttempts(a, p.id), person: await counts(a, p.id) }).toEqual({ challenge: [CHALLENGE_ATTEMPTS], person: { failed: CHALLENGE_ATTEMPTS, lockouts: 0, locked: false } });
    // The worn-out challenge refuses the right code, which is not counted and not spent.
    expect((await second(a, challenge, codeAt(p.secret))()).status).toBe(401);
    expect(await counts(a, p.id)).toEqual({ failed: CHALLENGE_ATTEMPTS, lockouts: 0, locked: false });
    const fresh = await second(a, await challengeFor(a, p.email), codeAt(p.secret))();
    expect(fresh.status, fresh.text).toBe(201);
  });

  it("the right code read before the fifth wrong one and judged after it: refused, no session", async () => {
    const a = await buildTenant(t, "stepright");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: policyOf(10) } })).status).toBe(200);
    const p = await enrolled(a);
    const challenge = await challengeFor(a, p.email);
    const wrong = wrongCode(p.secret);
    for (let i = 0; i < CHALLENGE_ATTEMPTS - 1; i++) expect((await second(a, challenge, wrong)()).status).toBe(401);
    // The fifth wrong code first, then the right one, both read while the challenge took one more.
    const [fifth, right] = await whileRowsHeld(t, a.tenantId, holdPerson(p.id), [[second(a, challenge, wrong)], [second(a, challenge, codeAt(p.secret))]]);
    expect(fifth!.status).toBe(401);
    // Observed before the challenge was read again holding the row (PostgreSQL): 201, a session.
    expect([right!.status, right!.body]).toEqual([401, fifth!.body]);
    expect(await secondFactorSessions(a, p.id)).toBe(0);
    expect({ challenge: await challengeAttempts(a, p.id), person: await counts(a, p.id) }).toEqual({ challenge: [CHALLENGE_ATTEMPTS], person: { failed: CHALLENGE_ATTEMPTS, lockouts: 0, locked: false } });
  });

  it("a right code, read before a suspension committed while it waited: refused, no session", async () => {
    const a = await buildTenant(t, "stepcodesusp");
    const p = await enrolled(a);
    const challenge = await challengeFor(a, p.email);
    // On PostgreSQL the suspension is written by the transaction holding the row, and commits as it
    // lets go; on PGlite (one transaction at a time) it comes first.
    const suspendAndHold = sql`UPDATE users SET suspended = true WHERE nice_id = ${p.id} RETURNING id`;
    const [answer] = await whileChangeHeld(t, a.tenantId, suspendAndHold, [[second(a, challenge, codeAt(p.secret))]]);
    expect(answer!.status, answer!.text).toBe(401);
    expect(answer!.headers["set-cookie"]).toBeUndefined();
    expect(await secondFactorSessions(a, p.id)).toBe(0);
  });
});

describe("a passkey as the second step, at once with a suspension", () => {
  it("read before the suspension committed while it waited: refused, no session", async () => {
    const a = await buildTenant(t, "steppksusp");
    const p = await staffWithPassword(t, a, "agent");
    const auth = new SoftAuthenticator();
    await registerPasskey(t, a, p.session, auth);
    const challenge = await challengeFor(a, p.email);
    const options = await post(a, "/api/v2/session/two_factor/passkey/options.json", { challenge });
    expect(options.status, options.text).toBe(200);
    const credential = auth.assert(options.body.options as Json & { challenge: string }, { origin: a.origin, userVerified: false });
    const suspendAndHold = sql`UPDATE users SET suspended = true WHERE nice_id = ${p.id} RETURNING id`;
    const [answer] = await whileChangeHeld(t, a.tenantId, suspendAndHold, [[() => post(a, "/api/v2/session/two_factor/passkey.json", { challenge, credential })]]);
    expect(answer!.status, answer!.text).toBe(401);
    expect(answer!.headers["set-cookie"]).toBeUndefined();
    expect(await secondFactorSessions(a, p.id)).toBe(0);
  });
});
