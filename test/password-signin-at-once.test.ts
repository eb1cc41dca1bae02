import crypto from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { whileChangeHeld } from "./support/held-rows.ts";
import { endUserWithPassword, PASSWORD, registerPasskey, signIn, staffWithPassword } from "./support/people.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * A password sign-in (POST /session) with the right password is judged on the person as read
 * holding their row: a suspension, a deactivation or a new role committed after the password was
 * checked (argon2 runs before the request's transaction) and while the sign-in waits on the row
 * refuses it. On PostgreSQL the change is written by the test's transaction that holds the row and
 * commits when it lets go; on the embedded database one transaction runs at a time, so the change
 * comes first and the answer is the same.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

/** The end user's password as endUserWithPassword leaves it. */
const END_USER_PASSWORD = "Customer first passphrase 7 mine";
const signInRaw = (a: TestTenant, email: string, password: string) => t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email, password } });
const liveSessions = (a: TestTenant, niceId: number) =>
  t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id WHERE u.nice_id = ${niceId} AND s.revoked_at IS NULL`.execute(tx.db)).rows[0]!.n));
const signOutAll = (a: TestTenant) => t.db.tenant(a.tenantId, (tx) => sql`UPDATE sessions SET revoked_at = now()`.execute(tx.db));

describe("a password sign-in at once with a change to the person", () => {
  const cases: Array<[string, string]> = [
    ["suspended", "suspended = true"],
    ["deactivated (deleted)", "active = false, deleted_at = now()"],
  ];
  for (const [what, change] of cases) {
    it(`${what} after the password was checked: refused 401, no session`, async () => {
      const a = await buildTenant(t, "pwsignsusp");
      const p = await staffWithPassword(t, a, "agent");
      await signOutAll(a);
      const changeAndHold = sql`UPDATE users SET ${sql.raw(change)} WHERE nice_id = ${p.id} RETURNING id`;
      const [answer] = await whileChangeHeld(t, a.tenantId, changeAndHold, [[() => signInRaw(a, p.email, PASSWORD)]]);
      // Observed before the sign-in read the person holding their row (PostgreSQL): 201 and a session.
      expect(answer!.status, answer!.text).toBe(401);
      expect(answer!.text).toMatch(/Invalid e-mail or password/);
      expect(answer!.headers["set-cookie"]).toBeUndefined();
      expect(await liveSessions(a, p.id)).toBe(0);
    });
  }

  it("an end user made agent (staff on single sign-on only) after the password was checked: refused 401, no session", async () => {
    const a = await buildTenant(t, "pwsignrole");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } })).status).toBe(200);
    const u = await endUserWithPassword(t, a, "Role Change");
    // Staff on single sign-on only needs the owner to have a second factor first.
    await registerPasskey(t, a, await signIn(t, a, a.ownerEmail, a.ownerPassword), new SoftAuthenticator());
    const jwt = await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: crypto.randomBytes(32).toString("base64url") } });
    expect(jwt.status, jwt.text).toBe(200);
    const on = await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } });
    expect(on.status, on.text).toBe(200);
    // End users still sign in with their password.
    expect((await signInRaw(a, u.email, END_USER_PASSWORD)).status).toBe(201);
    await signOutAll(a);
    const promote = sql`UPDATE users SET role = 'agent' WHERE nice_id = ${u.id} RETURNING id`;
    const [answer] = await whileChangeHeld(t, a.tenantId, promote, [[() => signInRaw(a, u.email, END_USER_PASSWORD)]]);
    // Observed before the sign-in read the person holding their row (PostgreSQL): 201 and a session.
    expect(answer!.status, answer!.text).toBe(401);
    expect(answer!.headers["set-cookie"]).toBeUndefined();
    expect(await liveSessions(a, u.id)).toBe(0);
  });

  it("the right password with nothing changed meanwhile still signs in", async () => {
    const a = await buildTenant(t, "pwsignfine");
    const p = await staffWithPassword(t, a, "agent");
    await signOutAll(a);
    const touch = sql`UPDATE users SET locale = locale WHERE nice_id = ${p.id} RETURNING id`;
    const [answer] = await whileChangeHeld(t, a.tenantId, touch, [[() => signInRaw(a, p.email, PASSWORD)]]);
    expect(answer!.status, answer!.text).toBe(201);
    expect(await liveSessions(a, p.id)).toBe(1);
  });
});
