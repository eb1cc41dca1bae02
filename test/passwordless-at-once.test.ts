import crypto from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { whileChangeHeld, whileRowsHeld, withoutNewDeadlocks } from "./support/held-rows.ts";
import { endUserWithPassword, registerPasskey, signIn, staffWithPassword } from "./support/people.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * A passwordless passkey sign-in (POST /session/passkey) at once with a wrong password that locks
 * the account. On PostgreSQL the test holds the person's row until both wait on it, so the passkey
 * sign-in has read the account before the lockout is written and is judged after it.
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
const WRONG_PASSWORD = "Not the password 1!";
const policyOf = (lockoutAttempts: number) => ({
  level: "custom",
  rules: { min_length: 12, mixed_case: true, digit: true, symbol: true, not_like_email: true, min_strength: 3, history: 0, expiry_days: null, lockout_attempts: lockoutAttempts, lockout_minutes: 10, max_sequence: null },
});
const post = (a: TestTenant, path: string, body?: unknown) => t.request({ method: "POST", path, host: a.host, body });
const holdPerson = (niceId: number) => sql`SELECT id FROM users WHERE nice_id = ${niceId} FOR UPDATE`;
const counts = async (a: TestTenant, niceId: number) => {
  const c = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("users").select(["failed_signins", "lockouts", "locked_until"]).where("nice_id", "=", niceId).executeTakeFirstOrThrow());
  return { failed: c.failed_signins, lockouts: c.lockouts, locked: c.locked_until !== null && new Date(c.locked_until) > new Date(clock) };
};
const passkeySessions = (a: TestTenant, niceId: number) =>
  t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id WHERE u.nice_id = ${niceId} AND s.revoked_at IS NULL`.execute(tx.db)).rows[0]!.n));

describe("a passwordless passkey sign-in at once with a guess that locks the account", () => {
  it("judged after the wrong password that locks: refused, no session, and the lockout stays", async () => {
    const ATTEMPTS = 5;
    const a = await buildTenant(t, "pwless");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: policyOf(ATTEMPTS) } })).status).toBe(200);
    const p = await staffWithPassword(t, a, "agent");
    const auth = new SoftAuthenticator();
    await registerPasskey(t, a, p.session, auth);
    // Sign the setup session out, so that only sessions opened here are counted.
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE sessions SET revoked_at = now()`.execute(tx.db));

    const options = await post(a, "/api/v2/session/passkey/options.json");
    expect(options.status, options.text).toBe(200);
    const credential = auth.assert(options.body.options as Json & { challenge: string }, { origin: a.origin });
    for (let i = 0; i < ATTEMPTS - 1; i++) expect((await post(a, "/api/v2/session.json", { email: p.email, password: WRONG_PASSWORD })).status).toBe(401);
    expect(await counts(a, p.id)).toEqual({ failed: ATTEMPTS - 1, lockouts: 0, locked: false });

    const [wrong, passkey] = await whileRowsHeld(t, a.tenantId, holdPerson(p.id), [
      [() => post(a, "/api/v2/session.json", { email: p.email, password: WRONG_PASSWORD })],
      [() => post(a, "/api/v2/session/passkey.json", { credential })],
    ]);
    expect(wrong!.status).toBe(401);
    expect(passkey!.status, passkey!.text).toBe(401);
    expect(passkey!.headers["set-cookie"]).toBeUndefined();
    expect(await passkeySessions(a, p.id)).toBe(0);
    expect(await counts(a, p.id)).toEqual({ failed: 0, lockouts: 1, locked: true });
  });

  it("an admin's two-factor reset at once: the sign-in first, then the reset, with no deadlock", async () => {
    // Observed with the person's row taken before the sign-in settings' lock: deadlocks.
    await withoutNewDeadlocks(t, "pwreset", async () => {
      for (let round = 0; round < 3; round++) {
        const a = await buildTenant(t, `pwreset${round}`);
        const p = await staffWithPassword(t, a, "agent");
        const auth = new SoftAuthenticator();
        await registerPasskey(t, a, p.session, auth);
        const options = await post(a, "/api/v2/session/passkey/options.json");
        const credential = auth.assert(options.body.options as Json & { challenge: string }, { origin: a.origin });
        const holdPasskey = sql`SELECT p.id FROM passkeys p JOIN users u ON u.tenant_id = p.tenant_id AND u.id = p.user_id WHERE u.nice_id = ${p.id} FOR UPDATE`;
        const [signedIn, reset] = await whileRowsHeld(t, a.tenantId, holdPasskey, [[() => post(a, "/api/v2/session/passkey.json", { credential })], [() => a.api("DELETE", `/api/v2/users/${p.id}/two_factor.json`)]]);
        expect(signedIn!.status, signedIn!.text).toBe(201);
        expect(reset!.status, reset!.text).toBe(200);
      }
    });
  }, 60_000);
});

describe("a passwordless passkey sign-in at once with a suspension or a deletion", () => {
  // On PostgreSQL the change is written by the transaction that holds the person's row, and commits
  // when it lets go: the sign-in has read the person (and found them free to sign in) before, and is
  // judged after. On PGlite one transaction runs at a time: the change comes first.
  const cases: Array<[string, string]> = [
    ["suspended", "suspended = true"],
    ["deactivated (deleted)", "active = false, deleted_at = now()"],
  ];
  for (const [what, change] of cases) {
    it(`${what} while the assertion is checked: refused 401, no session`, async () => {
      const a = await buildTenant(t, "pwsusp");
      const p = await staffWithPassword(t, a, "agent");
      const auth = new SoftAuthenticator();
      await registerPasskey(t, a, p.session, auth);
      await t.db.tenant(a.tenantId, (tx) => sql`UPDATE sessions SET revoked_at = now()`.execute(tx.db));
      const options = await post(a, "/api/v2/session/passkey/options.json");
      expect(options.status, options.text).toBe(200);
      const credential = auth.assert(options.body.options as Json & { challenge: string }, { origin: a.origin });
      const changeAndHold = sql`UPDATE users SET ${sql.raw(change)} WHERE nice_id = ${p.id} RETURNING id`;
      const [passkey] = await whileChangeHeld(t, a.tenantId, changeAndHold, [[() => post(a, "/api/v2/session/passkey.json", { credential })]]);
      expect(passkey!.status, passkey!.text).toBe(401);
      expect(passkey!.headers["set-cookie"]).toBeUndefined();
      expect(await passkeySessions(a, p.id)).toBe(0);
    });
  }

  it("an end user made agent (staff on single sign-on only) while the assertion is checked: refused 401, no session", async () => {
    const a = await buildTenant(t, "pwrole");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } })).status).toBe(200);
    const u = await endUserWithPassword(t, a, "Role Change");
    const auth = new SoftAuthenticator();
    await registerPasskey(t, a, u.session, auth);
    // Staff on single sign-on only needs the owner to have a second factor first.
    await registerPasskey(t, a, await signIn(t, a, a.ownerEmail, a.ownerPassword), new SoftAuthenticator());
    const jwt = await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: crypto.randomBytes(32).toString("base64url") } });
    expect(jwt.status, jwt.text).toBe(200);
    expect((await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } })).status).toBe(200);
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE sessions SET revoked_at = now()`.execute(tx.db));
    // End users still sign in with their passkey.
    const signInOnce = async () => {
      const options = await post(a, "/api/v2/session/passkey/options.json");
      expect(options.status, options.text).toBe(200);
      return auth.assert(options.body.options as Json & { challenge: string }, { origin: a.origin });
    };
    expect((await post(a, "/api/v2/session/passkey.json", { credential: await signInOnce() })).status).toBe(201);
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE sessions SET revoked_at = now()`.execute(tx.db));
    const credential = await signInOnce();
    const promote = sql`UPDATE users SET role = 'agent' WHERE nice_id = ${u.id} RETURNING id`;
    const [passkey] = await whileChangeHeld(t, a.tenantId, promote, [[() => post(a, "/api/v2/session/passkey.json", { credential })]]);
    expect(passkey!.status, passkey!.text).toBe(401);
    expect(passkey!.headers["set-cookie"]).toBeUndefined();
    expect(await passkeySessions(a, u.id)).toBe(0);
  });
});
