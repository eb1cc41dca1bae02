import crypto from "node:crypto";
import { sql } from "kysely";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { whileChangeHeld } from "./support/held-rows.ts";
import { asSession, signIn } from "./support/people.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * A sign-in's second step is judged on the person as read holding their row: with staff on single
 * sign-on only, an owner (who keeps a password and a second factor for that rule) whose role is
 * changed to admin while their second step waits on the row is refused, as an admin's password
 * sign-in is. On the embedded database one transaction runs at a time: the change is seen at the
 * first read, and the answer is the same.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

type Json = Record<string, any>;
const post = (a: TestTenant, path: string, body?: unknown) => t.request({ method: "POST", path, host: a.host, body });
const ownerOf = (a: TestTenant) => t.db.tenant(a.tenantId, async (tx) => (await sql<{ id: string; nice_id: number }>`SELECT id, nice_id FROM users WHERE role = 'owner'`.execute(tx.db)).rows[0]!);
const sessionsOf = (a: TestTenant, userId: string) =>
  t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM sessions WHERE user_id = ${userId} AND second_factor`.execute(tx.db)).rows[0]!.n));

describe("a second step with the person's role changed while it waits", () => {
  it("an owner made admin (staff on single sign-on only) while their passkey step waits: refused, no session", async () => {
    const a = await buildTenant(t, "steprole");
    const o = await ownerOf(a);
    const s = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const auth = new SoftAuthenticator();
    const ro = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys/options.json");
    expect(ro.status, ro.text).toBe(200);
    const reg = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name: "Key", credential: auth.register(ro.body.options, { origin: a.origin }) } });
    expect(reg.status, reg.text).toBe(201);
    const jwt = await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: crypto.randomBytes(32).toString("base64url") } });
    expect(jwt.status, jwt.text).toBe(200);
    const on = await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } });
    expect(on.status, on.text).toBe(200);

    const first = await post(a, "/api/v2/session.json", { email: a.ownerEmail, password: a.ownerPassword });
    expect(first.status, first.text).toBe(202);
    const challenge = first.body.challenge as string;
    const options = await post(a, "/api/v2/session/two_factor/passkey/options.json", { challenge });
    expect(options.status, options.text).toBe(200);
    const credential = auth.assert(options.body.options as Json & { challenge: string }, { origin: a.origin, userVerified: false });
    const before = await sessionsOf(a, o.id);

    // The role change holds the person's row (uncommitted) while the step reads, then commits.
    const demote = sql`UPDATE users SET role = 'admin' WHERE id = ${o.id} RETURNING id`;
    // (The embedded database runs one transaction at a time: the change first, then the step.)
    const [step] = await whileChangeHeld(t, a.tenantId, demote, [[() => post(a, "/api/v2/session/two_factor/passkey.json", { challenge, credential })]]);
    expect(step!.status, step!.text).toBe(401);
    expect(step!.headers["set-cookie"]).toBeUndefined();
    expect(await sessionsOf(a, o.id)).toBe(before);
  });

  it("the same with a code from an authenticator app: refused, no session, the code not spent", async () => {
    const a = await buildTenant(t, "steprolecode");
    const o = await ownerOf(a);
    const s = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const codeAt = (secret: string, at = Date.now()) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });
    const secret = (await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/totp.json")).body.totp.secret as string;
    const confirm = await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(secret) });
    expect(confirm.status, confirm.text).toBe(200);
    const jwt = await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: crypto.randomBytes(32).toString("base64url") } });
    expect(jwt.status, jwt.text).toBe(200);
    const on = await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } });
    expect(on.status, on.text).toBe(200);

    const first = await post(a, "/api/v2/session.json", { email: a.ownerEmail, password: a.ownerPassword });
    expect(first.status, first.text).toBe(202);
    const challenge = first.body.challenge as string;
    // The next time step: a code not used by the confirmation.
    const code = codeAt(secret, Date.now() + 30_000);
    const before = await sessionsOf(a, o.id);
    const demote = sql`UPDATE users SET role = 'admin' WHERE id = ${o.id} RETURNING id`;
    const [step] = await whileChangeHeld(t, a.tenantId, demote, [[() => post(a, "/api/v2/session/two_factor.json", { challenge, code })]]);
    expect(step!.status, step!.text).toBe(401);
    expect(step!.headers["set-cookie"]).toBeUndefined();
    expect(await sessionsOf(a, o.id)).toBe(before);
  });
});
