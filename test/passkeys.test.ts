import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetTwoFactorByOperator } from "../src/modules/identity/two-factor-service.ts";
import { WEBAUTHN_OPTIONS_PER_CLIENT } from "../src/platform/http/rate-limit.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, cookieOf, PASSWORD, signIn, signInByMail, staffWithPassword, type Session } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * Passkeys over real HTTP on a real database, with a software authenticator that builds real
 * attestation and assertion objects (test/support/webauthn-authenticator.ts), and a real SMTP
 * peer catching the notices: registration, list, rename, removal, passwordless sign-in, the
 * second factor after a password, the admin and operator resets, and each attack with the answer
 * it gets.
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
const REFUSED = /This passkey could not sign you in, or the sign-in has expired/;
const SECOND_REFUSED = /Invalid passkey, or this sign-in has expired/;
const actions = async (a: TestTenant, action: string) => (await a.api("GET", `/api/v2/audit_logs.json?filter[action]=${action}`)).body.audit_logs as Json[];
const post = (a: TestTenant, path: string, body?: unknown) => t.request({ method: "POST", path, host: a.host, body });

/** Adds a passkey for the signed-in person: options, the authenticator's answer, stored. */
async function addPasskey(a: TestTenant, s: Session, auth: SoftAuthenticator, name = "My laptop") {
  const o = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys/options.json");
  expect(o.status, o.text).toBe(200);
  const r = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name, credential: auth.register(o.body.options, { origin: a.origin }) } });
  expect(r.status, r.text).toBe(201);
  return r.body.passkey as Json;
}

/** A staff member with a password and a passkey. */
async function staffWithPasskey(a: TestTenant, role: "agent" | "admin" = "agent") {
  const p = await staffWithPassword(t, a, role);
  const auth = new SoftAuthenticator();
  const passkey = await addPasskey(a, p.session, auth);
  return { ...p, auth, passkey };
}

const passwordlessOptions = async (a: TestTenant) => {
  const o = await post(a, "/api/v2/session/passkey/options.json");
  expect(o.status, o.text).toBe(200);
  return o.body.options as Json & { challenge: string };
};
const passwordless = (a: TestTenant, credential: unknown) => post(a, "/api/v2/session/passkey.json", { credential });

/** The password step of a person with a second factor: a challenge and the methods. */
async function passwordStep(a: TestTenant, email: string) {
  const r = await post(a, "/api/v2/session.json", { email, password: PASSWORD });
  expect(r.status, r.text).toBe(202);
  return r.body as { challenge: string; methods: string[] };
}
const secondOptions = async (a: TestTenant, challenge: string) => {
  const o = await post(a, "/api/v2/session/two_factor/passkey/options.json", { challenge });
  expect(o.status, o.text).toBe(200);
  return o.body.options as Json & { challenge: string };
};

describe("registration and the person's own passkeys", () => {
  it("registers a passkey, lists, renames and removes it; audited; the person is told by e-mail; nothing secret in the answers", async () => {
    const a = await buildTenant(t, "pkreg");
    const p = await staffWithPassword(t, a, "agent");
    const auth = new SoftAuthenticator();
    const o = await asSession(t, a, p.session, "POST", "/api/v2/users/me/passkeys/options.json");
    expect(o.status).toBe(200);
    // The relying party is the tenant's configured origin.
    expect(o.body.options.rp.id).toBe(new URL(a.origin).hostname);
    expect(o.body.options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "preferred" });
    expect(o.body.options.attestation).toBe("none");
    const since = smtp.messages.length;
    const r = await asSession(t, a, p.session, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name: "Work laptop", credential: auth.register(o.body.options, { origin: a.origin }) } });
    expect(r.status, r.text).toBe(201);
    expect(Object.keys(r.body.passkey).sort()).toEqual(["backed_up", "created_at", "device_type", "id", "last_used_at", "name", "transports"]);
    expect(r.body.passkey).toMatchObject({ name: "Work laptop", backed_up: true, device_type: "multi_device", transports: ["internal"], last_used_at: null });
    const mail = await smtp.waitFor(p.email, { since, match: (m) => /A passkey was added/.test(m.subject ?? "") });
    expect(mail.text).not.toContain("Work laptop");
    // Later passkeys exclude the ones the person has.
    const again = await asSession(t, a, p.session, "POST", "/api/v2/users/me/passkeys/options.json");
    expect(again.body.options.excludeCredentials.map((c: Json) => c.id)).toEqual([auth.credentials[0]!.id.toString("base64url")]);
    // The stored row: the credential id found by a blind index and sealed, the key and the name sealed.
    const stored = await t.db.tenant(a.tenantId, (tx) => sql<Json>`SELECT * FROM passkeys`.execute(tx.db));
    const raw = Buffer.from(JSON.stringify(stored.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v])))), "latin1");
    expect(stored.rows).toHaveLength(1);
    expect(raw.includes(auth.credentials[0]!.id)).toBe(false);
    expect(raw.includes(Buffer.from(auth.credentials[0]!.id.toString("base64url")))).toBe(false);
    expect(raw.includes(Buffer.from("Work laptop"))).toBe(false);
    const list = await asSession(t, a, p.session, "GET", "/api/v2/users/me/passkeys.json");
    expect(list.body.passkeys).toHaveLength(1);
    expect(list.text).not.toContain(auth.credentials[0]!.id.toString("base64url"));
    const renamed = await asSession(t, a, p.session, "PUT", `/api/v2/users/me/passkeys/${r.body.passkey.id}.json`, { passkey: { name: "Old laptop" } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.passkey.name).toBe("Old laptop");
    const gone = smtp.messages.length;
    expect((await asSession(t, a, p.session, "DELETE", `/api/v2/users/me/passkeys/${r.body.passkey.id}.json`)).status).toBe(204);
    await smtp.waitFor(p.email, { since: gone, match: (m) => /A passkey was removed/.test(m.subject ?? "") });
    expect((await asSession(t, a, p.session, "GET", "/api/v2/users/me/passkeys.json")).body.passkeys).toEqual([]);
    for (const action of ["user.passkey_registered", "user.passkey_renamed", "user.passkey_removed"]) {
      const log = await actions(a, action);
      expect(log, action).toHaveLength(1);
      expect(log[0]!.source_id).toBe(String(p.id));
    }
  });

  it("refuses a registration with an API token, an answer for a used or expired challenge, another origin or RP ID, or another person's challenge", async () => {
    const a = await buildTenant(t, "pkregbad");
    const p = await staffWithPassword(t, a, "agent");
    const q = await staffWithPassword(t, a, "agent");
    const auth = new SoftAuthenticator();
    expect((await a.api("POST", "/api/v2/users/me/passkeys/options.json")).status).toBe(403);
    const reg = async (s: Session, cred: unknown) => asSession(t, a, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { credential: cred } });
    const opts = async () => (await asSession(t, a, p.session, "POST", "/api/v2/users/me/passkeys/options.json")).body.options;
    // Another origin, another RP ID, an assertion's type.
    for (const as of [{ origin: "http://evil.localhost:1" }, { origin: a.origin, rpId: "evil.localhost" }, { origin: a.origin, type: "webauthn.get" }]) {
      const r = await reg(p.session, auth.register(await opts(), as));
      expect(r.status, JSON.stringify(as)).toBe(422);
      expect(r.body.details.credential[0].error).toBe("InvalidCredential");
    }
    // A challenge made for p, answered in q's session.
    expect((await reg(q.session, auth.register(await opts(), { origin: a.origin }))).status).toBe(422);
    // Replayed: the same answer twice.
    const once = auth.register(await opts(), { origin: a.origin });
    expect((await reg(p.session, once)).status).toBe(201);
    expect((await reg(p.session, once)).status).toBe(422);
    // Expired: five minutes.
    const late = auth.register(await opts(), { origin: a.origin });
    clock += 5 * 60_000 + 1000;
    expect((await reg(p.session, late)).status).toBe(422);
    expect((await asSession(t, a, p.session, "GET", "/api/v2/users/me/passkeys.json")).body.passkeys).toHaveLength(1);
  });

  it("answers 404 for another person's passkey, for another tenant's, and lets admins list and remove a person's", async () => {
    const a = await buildTenant(t, "pkown");
    const b = await buildTenant(t, "pkownb");
    const p = await staffWithPasskey(a);
    const q = await staffWithPassword(t, a, "agent");
    const id = p.passkey.id as string;
    expect((await asSession(t, a, q.session, "DELETE", `/api/v2/users/me/passkeys/${id}.json`)).status).toBe(404);
    expect((await asSession(t, a, q.session, "PUT", `/api/v2/users/me/passkeys/${id}.json`, { passkey: { name: "mine" } })).status).toBe(404);
    expect((await asSession(t, a, q.session, "GET", `/api/v2/users/${p.id}/passkeys.json`)).status).toBe(403);
    expect((await asSession(t, a, q.session, "DELETE", `/api/v2/users/${p.id}/passkeys/${id}.json`)).status).toBe(403);
    // Another tenant: the person and the passkey are not found.
    expect((await b.api("GET", `/api/v2/users/${p.id}/passkeys.json`)).status).toBe(404);
    expect((await b.api("DELETE", `/api/v2/users/1/passkeys/${id}.json`)).status).toBe(404);
    expect((await b.api("DELETE", `/api/v2/users/me/passkeys/${id}.json`)).status).toBe(404);
    // The owner (an admin) sees and removes it.
    const list = await a.api("GET", `/api/v2/users/${p.id}/passkeys.json`);
    expect(list.body.passkeys.map((x: Json) => x.id)).toEqual([id]);
    expect((await a.api("DELETE", `/api/v2/users/1/passkeys/${id}.json`)).status).toBe(404);
    const since = smtp.messages.length;
    expect((await a.api("DELETE", `/api/v2/users/${p.id}/passkeys/${id}.json`)).status).toBe(204);
    const mail = await smtp.waitFor(p.email, { since, match: (m) => /A passkey was removed/.test(m.subject ?? "") });
    expect(mail.text).toMatch(/An administrator removed a passkey/);
    expect((await a.api("GET", `/api/v2/users/${p.id}/passkeys.json`)).body.passkeys).toEqual([]);
  });

  it("refuses hostile input with a clear 4xx", async () => {
    const a = await buildTenant(t, "pkbad");
    const p = await staffWithPassword(t, a, "agent");
    for (const body of [{}, { passkey: {} }, { passkey: { credential: { id: "x" } } }, { passkey: { name: "x".repeat(101), credential: {} } }, { passkey: { credential: { id: "a", rawId: "a", type: "public-key", response: { clientDataJSON: "!!", attestationObject: "a" } } } }]) {
      const r = await asSession(t, a, p.session, "POST", "/api/v2/users/me/passkeys.json", body);
      expect(r.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    // Well-formed base64url that is not a WebAuthn answer.
    const junk = { id: "AAAA", rawId: "AAAA", type: "public-key", clientExtensionResults: {}, response: { clientDataJSON: Buffer.from("{}").toString("base64url"), attestationObject: "AAAA" } };
    expect((await asSession(t, a, p.session, "POST", "/api/v2/users/me/passkeys.json", { passkey: { credential: junk } })).status).toBe(422);
    const bogus = { id: "AAAA", rawId: "AAAA", type: "public-key", clientExtensionResults: {}, response: { clientDataJSON: Buffer.from('{"challenge":"x"}').toString("base64url"), authenticatorData: "AAAA", signature: "AAAA" } };
    expect((await passwordless(a, bogus)).status).toBe(401);
    const notUuid = await asSession(t, a, p.session, "DELETE", "/api/v2/users/me/passkeys/not-a-uuid.json");
    expect([400, 422]).toContain(notUuid.status);
    expect(notUuid.text).toMatch(/is not a passkey id/);
  });
});

describe("a passkey is added only soon after signing in", () => {
  /** Moves the sign-in of every session of the person with this nice id `minutes` into the past. */
  const signedInAgo = (a: TestTenant, niceId: number, minutes: number) =>
    t.db.tenant(a.tenantId, async (tx) => {
      const r = await sql`UPDATE sessions SET created_at = ${new Date(clock - minutes * 60_000)} WHERE user_id = (SELECT id FROM users WHERE nice_id = ${niceId})`.execute(tx.db);
      expect(Number(r.numAffectedRows)).toBeGreaterThan(0);
    });
  const options = (a: TestTenant, s: Session) => asSession(t, a, s, "POST", "/api/v2/users/me/passkeys/options.json");
  const register = (a: TestTenant, s: Session, credential: unknown) => asSession(t, a, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { credential } });

  it("refuses a session that signed in more than 15 minutes ago (403 RecentSignInRequired), at either step; signing in again allows it", async () => {
    const a = await buildTenant(t, "pkrecent");
    const p = await staffWithPassword(t, a, "agent");
    const auth = new SoftAuthenticator();
    // Fourteen minutes after signing in: still allowed (options here, the answer kept for later).
    await signedInAgo(a, p.id, 14);
    const early = await options(a, p.session);
    expect(early.status, early.text).toBe(200);
    const pending = auth.register(early.body.options, { origin: a.origin });

    // Sixteen: both steps refused, even with options asked for in time; nothing stored, told or audited.
    await signedInAgo(a, p.id, 16);
    const late = await options(a, p.session);
    expect(late.status, late.text).toBe(403);
    expect(late.body).toEqual({ error: "RecentSignInRequired", description: expect.stringMatching(/sign in again/) });
    const since = smtp.messages.length;
    const r = await register(a, p.session, pending);
    expect(r.status, r.text).toBe(403);
    expect(r.body.error).toBe("RecentSignInRequired");
    expect((await asSession(t, a, p.session, "GET", "/api/v2/users/me/passkeys.json")).body.passkeys).toEqual([]);
    expect(await actions(a, "user.passkey_registered")).toEqual([]);
    // The session itself is still good for everything else.
    expect((await asSession(t, a, p.session, "GET", "/api/v2/users/me.json")).status).toBe(200);

    // Signed in again: allowed; the old session is still refused.
    const fresh = await signIn(t, a, p.email, PASSWORD);
    const o = await options(a, fresh);
    expect(o.status, o.text).toBe(200);
    expect((await register(a, fresh, auth.register(o.body.options, { origin: a.origin }))).status).toBe(201);
    expect((await options(a, p.session)).status).toBe(403);
    // One "added" notice: the fresh registration's; the refused one queued none.
    await smtp.waitFor(p.email, { since, match: (m) => /A passkey was added/.test(m.subject ?? "") });
    await new Promise((r) => setTimeout(r, 500));
    const added = smtp.messages.slice(since).filter((m) => /A passkey was added/.test(m.subject ?? "") && JSON.stringify(m.to).includes(p.email));
    expect(added).toHaveLength(1);
  });

  it("is not met by a sign-in link staff made, nor by a sign-in dated in the future", async () => {
    const a = await buildTenant(t, "pkrecentst");
    const u = await buildUser(t, a, "end-user", "Customer");
    // An admin makes a sign-in link for the person and uses it: a session, but not the person's sign-in.
    const link = await a.api("POST", `/api/v2/users/${u.id}/sign_in_links.json`);
    expect(link.status, link.text).toBe(201);
    const redeemed = await post(a, "/api/v2/help_center/sign_in_links/redeem.json", { token: link.body.sign_in_link.token });
    expect(redeemed.status, redeemed.text).toBe(201);
    const ls = { cookie: cookieOf(redeemed.headers), csrf: redeemed.body.session.csrf_token };
    expect((await asSession(t, a, ls, "GET", "/api/v2/users/me.json")).status).toBe(200);
    const refused = await options(a, ls);
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body.error).toBe("RecentSignInRequired");
    // The person's own link (mailed to them) counts.
    const own = await signInByMail(t, smtp, a, u.email);
    expect((await options(a, own)).status).toBe(200);
    // A sign-in more than a minute in the future (a clock far ahead) does not.
    await signedInAgo(a, u.id, -5);
    expect((await options(a, own)).status).toBe(403);
    await signedInAgo(a, u.id, -0.5);
    expect((await options(a, own)).status).toBe(200);
  });

  it("holds for an end user signed in by an e-mailed link, and for a session opened with a passkey", async () => {
    const a = await buildTenant(t, "pkrecenteu");
    const u = await buildUser(t, a, "end-user", "Customer");
    const es = await signInByMail(t, smtp, a, u.email);
    const ea = new SoftAuthenticator();
    await addPasskey(a, es, ea, "Phone");
    await signedInAgo(a, u.id, 30);
    expect((await options(a, es)).status).toBe(403);
    // Signing in with the passkey is a sign-in too: a second passkey may be added from it.
    const pr = await passwordless(a, ea.assert(await passwordlessOptions(a), { origin: a.origin }));
    expect(pr.status, pr.text).toBe(201);
    const ps = { cookie: cookieOf(pr.headers), csrf: pr.body.session.csrf_token };
    const o = await options(a, ps);
    expect(o.status, o.text).toBe(200);
    expect((await register(a, ps, new SoftAuthenticator().register(o.body.options, { origin: a.origin }))).status).toBe(201);
    expect((await asSession(t, a, ps, "GET", "/api/v2/users/me/passkeys.json")).body.passkeys).toHaveLength(2);
  });
});

describe("passwordless sign-in", () => {
  it("signs a staff member in with a passkey alone (session method passkey), and an end user too", async () => {
    const a = await buildTenant(t, "pkpwl");
    const p = await staffWithPasskey(a);
    const o = await passwordlessOptions(a);
    expect(o).toMatchObject({ rpId: new URL(a.origin).hostname, userVerification: "required", allowCredentials: [] });
    const r = await passwordless(a, p.auth.assert(o, { origin: a.origin }));
    expect(r.status, r.text).toBe(201);
    expect(r.body.session.user_id).toBe(p.id);
    const s = { cookie: cookieOf(r.headers), csrf: r.body.session.csrf_token };
    expect((await asSession(t, a, s, "GET", "/api/v2/users/me.json")).body.user.id).toBe(p.id);
    const methods = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("sessions").select("method").where("method", "=", "passkey").execute());
    expect(methods).toHaveLength(1);
    // The person's and the admin's session lists name the method.
    const mine = await asSession(t, a, s, "GET", "/api/v2/users/me/sessions.json");
    expect(mine.status, mine.text).toBe(200);
    expect(mine.body.sessions.map((x: Json) => x.method)).toContain("passkey");
    expect((await a.api("GET", "/api/v2/sessions.json")).status).toBe(200);
    const used = (await asSession(t, a, s, "GET", "/api/v2/users/me/passkeys.json")).body.passkeys[0];
    expect(used.last_used_at).not.toBeNull();
    // An end user (signed in by an e-mailed link) adds a passkey and signs in with it.
    const u = await buildUser(t, a, "end-user", "Customer");
    const es = await signInByMail(t, smtp, a, u.email);
    const ea = new SoftAuthenticator();
    await addPasskey(a, es, ea, "Phone");
    const er = await passwordless(a, ea.assert(await passwordlessOptions(a), { origin: a.origin }));
    expect(er.status, er.text).toBe(201);
    expect(er.body.session.user_id).toBe(u.id);
    // The right of access names it, as the person named it, and its last use.
    const pd = await asSession(t, a, es, "GET", "/api/v2/help_center/me/personal_data.json");
    expect(pd.status, pd.text).toBe(200);
    expect(pd.body.personal_data.passkeys).toEqual([{ name: "Phone", created_at: expect.any(String), last_used_at: expect.any(String) }]);
  });

  it("refuses replay, expiry, another purpose, another origin or RP ID, no user verification, another tenant's passkey: the same 401, audited", async () => {
    const a = await buildTenant(t, "pkatk");
    const b = await buildTenant(t, "pkatkb");
    const p = await staffWithPasskey(a);
    const refused = async (what: string, credential: unknown, tenant = a) => {
      const r = await passwordless(tenant, credential);
      expect(r.status, what).toBe(401);
      expect(r.body.description, what).toMatch(REFUSED);
      expect(r.headers["set-cookie"], what).toBeUndefined();
    };
    // Replayed assertion: the challenge was used up by the first.
    const once = p.auth.assert(await passwordlessOptions(a), { origin: a.origin });
    expect((await passwordless(a, once)).status).toBe(201);
    await refused("replayed", once);
    // Expired challenge.
    const o = await passwordlessOptions(a);
    clock += 5 * 60_000 + 1000;
    await refused("expired", p.auth.assert(o, { origin: a.origin }));
    // A challenge of another purpose: a registration challenge of this person.
    const reg = await asSession(t, a, p.session, "POST", "/api/v2/users/me/passkeys/options.json");
    await refused("registration challenge", p.auth.assert({ challenge: reg.body.options.challenge }, { origin: a.origin }));
    // Wrong origin; wrong RP ID; a forged Host header does not move the relying party.
    await refused("origin", p.auth.assert(await passwordlessOptions(a), { origin: "http://evil.localhost:1" }));
    await refused("rp id", p.auth.assert(await passwordlessOptions(a), { origin: a.origin, rpId: "evil.localhost" }));
    const forged = await t.request({ method: "POST", path: "/api/v2/session/passkey/options.json", host: a.host, headers: { origin: "http://evil.localhost", "x-forwarded-host": "evil.localhost" } });
    expect(forged.body.options.rpId).toBe(new URL(a.origin).hostname);
    // No user verification (required without a password).
    await refused("no uv", p.auth.assert(await passwordlessOptions(a), { origin: a.origin, userVerified: false }));
    // A passkey registered in tenant A, at tenant B (B's own challenge and origin): unknown there.
    const bo = await passwordlessOptions(b);
    await refused("other tenant", p.auth.assert(bo, { origin: b.origin }), b);
    await refused("other tenant, A's rp id", p.auth.assert(bo, { origin: b.origin, rpId: new URL(a.origin).hostname }), b);
    // Control: a fresh, honest assertion still works.
    expect((await passwordless(a, p.auth.assert(await passwordlessOptions(a), { origin: a.origin }))).status).toBe(201);
    const failed = await actions(a, "user.signin_failed");
    expect(failed.filter((f) => f.changed_fields.includes("passkey"))).toHaveLength(6);
  });

  it("refuses a cloned authenticator (the counter goes backwards) and audits it", async () => {
    const a = await buildTenant(t, "pkclone");
    const p = await staffWithPasskey(a);
    expect((await passwordless(a, p.auth.assert(await passwordlessOptions(a), { origin: a.origin, counter: 10 }))).status).toBe(201);
    const clone = await passwordless(a, p.auth.assert(await passwordlessOptions(a), { origin: a.origin, counter: 7 }));
    expect(clone.status).toBe(401);
    expect(clone.body.description).toMatch(REFUSED);
    const same = await passwordless(a, p.auth.assert(await passwordlessOptions(a), { origin: a.origin, counter: 10 }));
    expect(same.status).toBe(401);
    const log = await actions(a, "user.passkey_counter_regressed");
    expect(log).toHaveLength(2);
    expect(log[0]!.source_id).toBe(String(p.id));
    expect((await passwordless(a, p.auth.assert(await passwordlessOptions(a), { origin: a.origin, counter: 11 }))).status).toBe(201);
  });

  it("refuses a suspended, deleted or locked person with the same answer as an unknown passkey", async () => {
    const a = await buildTenant(t, "pksusp");
    const p = await staffWithPasskey(a);
    const unknown = new SoftAuthenticator();
    unknown.register({ challenge: "x", rp: { id: new URL(a.origin).hostname }, user: { id: "AAAA" } }, { origin: a.origin });
    const u = await passwordless(a, unknown.assert(await passwordlessOptions(a), { origin: a.origin }));
    expect(u.status).toBe(401);
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE users SET suspended = true WHERE nice_id = ${p.id}`.execute(tx.db));
    const s = await passwordless(a, p.auth.assert(await passwordlessOptions(a), { origin: a.origin }));
    expect(s.status).toBe(401);
    expect(s.body).toEqual(u.body);
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE users SET suspended = false, active = false WHERE nice_id = ${p.id}`.execute(tx.db));
    expect((await passwordless(a, p.auth.assert(await passwordlessOptions(a), { origin: a.origin }))).body).toEqual(u.body);
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE users SET active = true, locked_until = ${new Date(clock + 600_000)} WHERE nice_id = ${p.id}`.execute(tx.db));
    expect((await passwordless(a, p.auth.assert(await passwordlessOptions(a), { origin: a.origin }))).body).toEqual(u.body);
  });

  it("is off for a group that signs in only through single sign-on, but for the account owner's way in", async () => {
    const a = await buildTenant(t, "pksso");
    const p = await staffWithPasskey(a);
    const owner = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const ownerAuth = new SoftAuthenticator();
    await addPasskey(a, owner, ownerAuth, "Owner key");
    await t.db.tenant(a.tenantId, (tx) => sql`INSERT INTO sso_settings (tenant_id, id, staff_provider, staff_sso_only) VALUES (${a.tenantId}, ${a.tenantId}, 'oidc', true)`.execute(tx.db));
    const r = await passwordless(a, p.auth.assert(await passwordlessOptions(a), { origin: a.origin }));
    expect(r.status).toBe(401);
    expect(r.body.description).toMatch(REFUSED);
    expect((await actions(a, "user.signin_failed")).some((e) => e.changed_fields.includes("sso_only"))).toBe(true);
    expect((await passwordless(a, ownerAuth.assert(await passwordlessOptions(a), { origin: a.origin }))).status).toBe(201);
  });

  it("removes a deleted person's passkeys and the recovery codes that came with them: restored, a new passkey brings new codes", async () => {
    const a = await buildTenant(t, "pkdel");
    const p = await staffWithPasskey(a);
    const counts = async () =>
      (await t.db.tenant(a.tenantId, (tx) => sql<{ keys: number; codes: number }>`SELECT (SELECT count(*)::int FROM passkeys) AS keys, (SELECT count(*)::int FROM two_factor_recovery_codes) AS codes`.execute(tx.db))).rows[0];
    expect(await counts()).toEqual({ keys: 1, codes: 10 });
    expect((await a.api("DELETE", `/api/v2/users/${p.id}.json`)).status).toBe(200);
    expect(await counts()).toEqual({ keys: 0, codes: 0 });
    expect((await passwordless(a, p.auth.assert(await passwordlessOptions(a), { origin: a.origin }))).status).toBe(401);
    const back = await a.api("PUT", `/api/v2/deleted_users/${p.id}/restore.json`);
    expect(back.status, back.text).toBe(200);
    const s = await signIn(t, a, p.email, PASSWORD);
    const o = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys/options.json");
    const again = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name: "New laptop", credential: new SoftAuthenticator().register(o.body.options, { origin: a.origin }) } });
    expect(again.status, again.text).toBe(201);
    expect(again.body.recovery_codes).toHaveLength(10);
  });

  it("rate limits an anonymous flood of options (429 with Retry-After; their own limit, test/passkey-options-limits.test.ts)", async () => {
    const a = await buildTenant(t, "pkflood");
    let limited: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 0; i < 60 && !limited; i++) {
      const r = await post(a, "/api/v2/session/passkey/options.json");
      if (r.status === 429) limited = r;
      else expect(r.status).toBe(200);
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited!.headers["retry-after"])).toBeGreaterThan(0);
    // At most one challenge row per allowed request, within the options' own limit.
    const rows = await t.db.tenant(a.tenantId, (tx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM webauthn_challenges`.execute(tx.db));
    expect(rows.rows[0]!.n).toBeLessThanOrEqual(WEBAUTHN_OPTIONS_PER_CLIENT[0]![0]);
  });
});

describe("passkey as a second factor", () => {
  it("answers the 202 challenge with the methods, and completes it with a passkey", async () => {
    const a = await buildTenant(t, "pk2fa");
    const p = await staffWithPasskey(a);
    const step = await passwordStep(a, p.email);
    expect(step.methods).toEqual(["passkey", "recovery_code"]);
    const o = await secondOptions(a, step.challenge);
    expect(o.userVerification).toBe("preferred");
    expect(o.allowCredentials.map((c: Json) => c.id)).toEqual([p.auth.credentials[0]!.id.toString("base64url")]);
    const r = await post(a, "/api/v2/session/two_factor/passkey.json", { challenge: step.challenge, credential: p.auth.assert(o, { origin: a.origin, userVerified: false }) });
    expect(r.status, r.text).toBe(201);
    expect(r.body.session.user_id).toBe(p.id);
    // The challenge was used once.
    expect((await post(a, "/api/v2/session/two_factor/passkey/options.json", { challenge: step.challenge })).status).toBe(401);
  });

  it("from a network the account does not admit, is refused before the assertion is checked: a right and a wrong one hear the same, each refusal kept", async () => {
    const a = await buildTenant(t, "pk2net");
    const p = await staffWithPasskey(a);
    // The test's own calls come from 127.0.0.1; the person's second step from 127.0.0.3, outside.
    const set = await a.api("PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: "127.0.0.1 127.0.0.2" } });
    expect(set.status, set.text).toBe(200);
    const step = await passwordStep(a, p.email);
    const o = await secondOptions(a, step.challenge);
    const outside = (credential: unknown) => t.request({ method: "POST", path: "/api/v2/session/two_factor/passkey.json", host: a.host, body: { challenge: step.challenge, credential }, localAddress: "127.0.0.3" });
    const right = await outside(p.auth.assert(o, { origin: a.origin, userVerified: false }));
    expect(right.status, right.text).toBe(403);
    const wrong = await outside(p.auth.assert(o, { origin: "https://elsewhere.test", userVerified: false }));
    expect([wrong.status, wrong.body]).toEqual([right.status, right.body]);
    const refusals = (await actions(a, "user.signin_failed")).filter((l) => (l.changed_fields as string[]).includes("ip_restriction"));
    expect(refusals).toHaveLength(2);
    // Nothing was spent: the challenge still opens a session from inside.
    const again = await secondOptions(a, step.challenge);
    const inside = await post(a, "/api/v2/session/two_factor/passkey.json", { challenge: step.challenge, credential: p.auth.assert(again, { origin: a.origin, userVerified: false }) });
    expect(inside.status, inside.text).toBe(201);
  });

  it("refuses another person's passkey, an assertion for another person's challenge, a replay and a passwordless challenge; each counts as a wrong code", async () => {
    const a = await buildTenant(t, "pk2fatk");
    const x = await staffWithPasskey(a);
    const y = await staffWithPasskey(a);
    const refused = async (what: string, challenge: string, credential: unknown) => {
      const r = await post(a, "/api/v2/session/two_factor/passkey.json", { challenge, credential });
      expect(r.status, what).toBe(401);
      expect(r.body.description, what).toMatch(SECOND_REFUSED);
    };
    const sx = await passwordStep(a, x.email);
    // Y's passkey on X's challenge (with X's WebAuthn challenge).
    await refused("other person's passkey", sx.challenge, y.auth.assert(await secondOptions(a, sx.challenge), { origin: a.origin }));
    // An assertion made for Y's challenge, sent to complete X's.
    const sy = await passwordStep(a, y.email);
    const forY = y.auth.assert(await secondOptions(a, sy.challenge), { origin: a.origin });
    await refused("assertion for another challenge", sx.challenge, forY);
    // A passwordless challenge (another purpose).
    await refused("passwordless challenge", sx.challenge, x.auth.assert(await passwordlessOptions(a), { origin: a.origin }));
    // Honest, then replayed.
    const ok = x.auth.assert(await secondOptions(a, sx.challenge), { origin: a.origin });
    expect((await post(a, "/api/v2/session/two_factor/passkey.json", { challenge: sx.challenge, credential: ok })).status).toBe(201);
    await refused("replayed", sx.challenge, ok);
    const sx2 = await passwordStep(a, x.email);
    await refused("replayed on a new challenge", sx2.challenge, ok);
    const failures = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("two_factor_challenges").select(["failed_attempts"]).orderBy("created_at").execute());
    expect(failures[0]!.failed_attempts).toBe(3);
    // A cloned authenticator as the second factor: refused and audited.
    const sx3 = await passwordStep(a, x.email);
    await refused("clone", sx3.challenge, x.auth.assert(await secondOptions(a, sx3.challenge), { origin: a.origin, counter: 0 }));
    expect((await actions(a, "user.passkey_counter_regressed")).length).toBe(1);
  });

  it("comes with recovery codes for a team member's first second factor: a way in when the passkey is lost, renewed with one, dropped with the last passkey", async () => {
    const a = await buildTenant(t, "pkcodes");
    const p = await staffWithPassword(t, a, "agent");
    const auth = new SoftAuthenticator();
    const register = async (s: Session, who: SoftAuthenticator, name: string) => {
      const o = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys/options.json");
      const r = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name, credential: who.register(o.body.options, { origin: a.origin }) } });
      expect(r.status, r.text).toBe(201);
      return r.body as { passkey: Json; recovery_codes?: string[] };
    };
    const first = await register(p.session, auth, "Laptop");
    expect(first.recovery_codes).toHaveLength(10);
    expect(new Set(first.recovery_codes).size).toBe(10);
    expect((await actions(a, "user.recovery_codes_issued")).map((e) => e.changed_fields)).toEqual([["passkeys", "recovery_codes"]]);
    // A second passkey comes with none (the codes are there).
    const spare = new SoftAuthenticator();
    const second = await register(p.session, spare, "Phone");
    expect(second.recovery_codes).toBeUndefined();
    const status = async () => (await asSession(t, a, p.session, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor as Json;
    expect(await status()).toMatchObject({ enabled: false, passkeys: 2, recovery_codes_left: 10 });

    // Both passkeys lost: the password, then a recovery code, open a session; the code is used up.
    const step = await passwordStep(a, p.email);
    expect(step.methods).toEqual(["passkey", "recovery_code"]);
    const code = first.recovery_codes![0]!;
    const signedIn = await post(a, "/api/v2/session/two_factor.json", { challenge: step.challenge, code: code.toUpperCase() });
    expect(signedIn.status, signedIn.text).toBe(201);
    const again = await passwordStep(a, p.email);
    expect((await post(a, "/api/v2/session/two_factor.json", { challenge: again.challenge, code })).status).toBe(401);
    const s2: Session = { cookie: cookieOf(signedIn.headers), csrf: signedIn.body.session.csrf_token };
    expect((await asSession(t, a, s2, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor.recovery_codes_left).toBe(9);
    expect(await actions(a, "user.recovery_code_used")).toHaveLength(1);

    // New codes, proved with an unused one (no authenticator app to give a code); a used or made-up one is refused.
    expect((await asSession(t, a, s2, "POST", "/api/v2/users/me/two_factor/recovery_codes.json", { code })).status).toBe(422);
    expect((await asSession(t, a, s2, "POST", "/api/v2/users/me/two_factor/recovery_codes.json", { code: "aaaaa-bbbbb" })).status).toBe(422);
    const renewed = await asSession(t, a, s2, "POST", "/api/v2/users/me/two_factor/recovery_codes.json", { code: first.recovery_codes![1]! });
    expect(renewed.status, renewed.text).toBe(201);
    expect(renewed.body.recovery_codes).toHaveLength(10);
    const old = await passwordStep(a, p.email);
    expect((await post(a, "/api/v2/session/two_factor.json", { challenge: old.challenge, code: first.recovery_codes![2]! })).status).toBe(401);

    // The last passkey removed: no second factor left, so no codes either (they would be one alone).
    for (const k of (await asSession(t, a, s2, "GET", "/api/v2/users/me/passkeys.json")).body.passkeys as Json[]) {
      expect((await asSession(t, a, s2, "DELETE", `/api/v2/users/me/passkeys/${k.id}.json`)).status).toBe(204);
    }
    expect((await asSession(t, a, s2, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor).toMatchObject({ passkeys: 0, recovery_codes_left: 0 });
    expect((await post(a, "/api/v2/session.json", { email: p.email, password: PASSWORD })).status).toBe(201);
    // A new first passkey: new codes. An end user's passkey comes with none (they sign in by e-mailed link).
    expect((await register(s2, new SoftAuthenticator(), "New laptop")).recovery_codes).toHaveLength(10);
    const eu = await buildUser(t, a, "end-user");
    const euSession = await signInByMail(t, smtp, a, eu.email);
    const o = await asSession(t, a, euSession, "POST", "/api/v2/users/me/passkeys/options.json");
    const euKey = await asSession(t, a, euSession, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name: "Mine", credential: new SoftAuthenticator().register(o.body.options, { origin: a.origin }) } });
    expect(euKey.status, euKey.text).toBe(201);
    expect(euKey.body.recovery_codes).toBeUndefined();
  });

  it("lists both methods with an authenticator app too; satisfies the staff requirement; goes with the admin's and the operator's reset", async () => {
    const a = await buildTenant(t, "pk2fareq");
    const owner = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const ownerAuth = new SoftAuthenticator();
    await addPasskey(a, owner, ownerAuth, "Owner key");
    // The owner has a passkey only: that is enough to require two-factor sign-in of all staff.
    const req = await asSession(t, a, owner, "PUT", "/api/v2/two_factor_settings.json", { two_factor_settings: { require_staff_two_factor: true } });
    expect(req.status, req.text).toBe(200);
    const p = await staffWithPassword(t, a, "agent");
    // Without a second factor, the session may only enrol: a passkey counts.
    expect((await asSession(t, a, p.session, "GET", "/api/v2/tickets.json")).status).toBe(403);
    const auth = new SoftAuthenticator();
    await addPasskey(a, p.session, auth);
    expect((await asSession(t, a, p.session, "GET", "/api/v2/tickets.json")).status).toBe(200);
    // An admin sees the passkey in the person's two-factor status (and so is offered the reset).
    expect((await a.api("GET", `/api/v2/users/${p.id}/two_factor.json`)).body.two_factor).toMatchObject({ enabled: false, passkeys: 1 });
    // With an authenticator app too, both methods are offered.
    const totp = await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect(totp.status).toBe(201);
    const { Secret, TOTP } = await import("otpauth");
    const code = new TOTP({ secret: Secret.fromBase32(totp.body.totp.secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: clock });
    expect((await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code })).status).toBe(200);
    expect((await passwordStep(a, p.email)).methods).toEqual(["totp", "passkey"]);
    // The admin's reset removes passkeys too.
    const reset = await a.api("DELETE", `/api/v2/users/${p.id}/two_factor.json`);
    expect(reset.body).toEqual({ two_factor_reset: true });
    expect((await a.api("GET", `/api/v2/users/${p.id}/passkeys.json`)).body.passkeys).toEqual([]);
    expect((await actions(a, "user.two_factor_reset"))[0]!.changed_fields).toContain("passkeys");
    expect((await passwordless(a, auth.assert(await passwordlessOptions(a), { origin: a.origin }))).status).toBe(401);
    // The operator's reset (the owner with a passkey only) too.
    const op = await resetTwoFactorByOperator({ db: t.db, keyring: t.keyring, config: { mailRetryMs: [1000] }, now: () => new Date(clock) }, a.tenantId, a.ownerEmail);
    expect(op.reset).toBe(true);
    expect((await passwordless(a, ownerAuth.assert(await passwordlessOptions(a), { origin: a.origin }))).status).toBe(401);
  });
});

describe("new recovery codes with a passkey as the proof", () => {
  const OPTIONS = "/api/v2/users/me/two_factor/recovery_codes/passkey/options.json";
  const RENEW = "/api/v2/users/me/two_factor/recovery_codes/passkey.json";
  /** A team member with a passkey only (their first, so with ten recovery codes). */
  async function passkeyOnly(a: TestTenant) {
    const p = await staffWithPassword(t, a, "agent");
    const auth = new SoftAuthenticator();
    const o = await asSession(t, a, p.session, "POST", "/api/v2/users/me/passkeys/options.json");
    const r = await asSession(t, a, p.session, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name: "Laptop", credential: auth.register(o.body.options, { origin: a.origin }) } });
    expect(r.status, r.text).toBe(201);
    expect(r.body.recovery_codes).toHaveLength(10);
    return { ...p, auth, codes: r.body.recovery_codes as string[] };
  }
  const renewOptions = async (a: TestTenant, s: Session) => {
    const o = await asSession(t, a, s, "POST", OPTIONS);
    expect(o.status, o.text).toBe(200);
    return o.body.options as Json & { challenge: string };
  };
  const codeHashes = async (a: TestTenant) =>
    (await t.db.tenant(a.tenantId, (tx) => sql<{ h: string; used: boolean }>`SELECT encode(code_hash, 'hex') AS h, used_at IS NOT NULL AS used FROM two_factor_recovery_codes ORDER BY 1`.execute(tx.db))).rows;
  /** Whether a recovery code still opens a session after the password (a fresh sign-in each time). */
  const codeWorks = async (a: TestTenant, email: string, code: string) => {
    const step = await passwordStep(a, email);
    return (await post(a, "/api/v2/session/two_factor.json", { challenge: step.challenge, code })).status === 201;
  };

  it("renews the codes of someone with passkeys only who has none left: the old ones stop working, the new ones work; audited", async () => {
    const a = await buildTenant(t, "pkrenew");
    const p = await passkeyOnly(a);
    // Every code used up: the code route has nothing left to prove it with.
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE two_factor_recovery_codes SET used_at = now()`.execute(tx.db));
    expect((await asSession(t, a, p.session, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor).toMatchObject({ enabled: false, passkeys: 1, recovery_codes_left: 0 });
    expect((await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/recovery_codes.json", { code: p.codes[0] })).status).toBe(422);
    // The passkey proves it instead.
    const options = await renewOptions(a, p.session);
    expect(options.rpId).toBe(new URL(a.origin).hostname);
    expect(options.allowCredentials?.map((c: Json) => c.id)).toEqual([p.auth.credentials[0]!.id.toString("base64url")]);
    const r = await asSession(t, a, p.session, "POST", RENEW, { credential: p.auth.assert(options, { origin: a.origin }) });
    expect(r.status, r.text).toBe(201);
    expect(Object.keys(r.body)).toEqual(["recovery_codes"]);
    const fresh = r.body.recovery_codes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh.some((c) => p.codes.includes(c))).toBe(false);
    expect((await asSession(t, a, p.session, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor.recovery_codes_left).toBe(10);
    const log = await actions(a, "user.recovery_codes_regenerated");
    expect(log.map((e) => [e.source_id, e.changed_fields])).toEqual([[String(p.id), ["passkeys", "recovery_codes"]]]);
    expect(JSON.stringify(log)).not.toContain(fresh[0]!);
    // The old codes no longer open a session; a new one does.
    expect(await codeWorks(a, p.email, p.codes[1]!)).toBe(false);
    expect(await codeWorks(a, p.email, fresh[0]!)).toBe(true);
    // Someone with codes left renews the same way (the passkey is enough; no code spent).
    const again = await asSession(t, a, p.session, "POST", RENEW, { credential: p.auth.assert(await renewOptions(a, p.session), { origin: a.origin }) });
    expect(again.status, again.text).toBe(201);
    expect(await codeWorks(a, p.email, fresh[1]!)).toBe(false);
    expect(await codeWorks(a, p.email, again.body.recovery_codes[0])).toBe(true);
  });

  it("refuses a replayed assertion, a used, expired, sign-in or registration challenge, and writes nothing", async () => {
    const a = await buildTenant(t, "pkrenewreplay");
    const p = await passkeyOnly(a);
    const options = await renewOptions(a, p.session);
    const assertion = p.auth.assert(options, { origin: a.origin });
    const first = await asSession(t, a, p.session, "POST", RENEW, { credential: assertion });
    expect(first.status, first.text).toBe(201);
    const before = await codeHashes(a);
    const refusedWith = async (credential: unknown, why: string) => {
      const r = await asSession(t, a, p.session, "POST", RENEW, { credential });
      expect(r.status, `${why}: ${r.text}`).toBe(422);
      expect(r.body.details?.credential?.[0]?.error, why).toBe("InvalidCredential");
      expect(await codeHashes(a), why).toEqual(before);
    };
    const failedBefore = (await actions(a, "user.two_factor_proof_failed")).length;
    // The same answer again, and a new signature over the used challenge.
    await refusedWith(assertion, "replayed assertion");
    await refusedWith(p.auth.assert(options, { origin: a.origin }), "used challenge");
    // A challenge issued for a passwordless sign-in, for the second step of a password sign-in, or for adding a passkey.
    await refusedWith(p.auth.assert(await passwordlessOptions(a), { origin: a.origin }), "passwordless sign-in challenge");
    const step = await passwordStep(a, p.email);
    await refusedWith(p.auth.assert(await secondOptions(a, step.challenge), { origin: a.origin }), "second-factor challenge");
    const reg = await asSession(t, a, p.session, "POST", "/api/v2/users/me/passkeys/options.json");
    await refusedWith(p.auth.assert({ challenge: reg.body.options.challenge }, { origin: a.origin }), "registration challenge");
    // A challenge of this purpose five minutes later; a made-up one; another origin.
    const late = await renewOptions(a, p.session);
    clock += 5 * 60_000 + 1000;
    await refusedWith(p.auth.assert(late, { origin: a.origin }), "expired challenge");
    await refusedWith(p.auth.assert({ challenge: Buffer.alloc(32, 7).toString("base64url") }, { origin: a.origin }), "made-up challenge");
    await refusedWith(p.auth.assert(await renewOptions(a, p.session), { origin: "https://evil.example" }), "another origin");
    expect((await actions(a, "user.two_factor_proof_failed")).length - failedBefore).toBe(8);
    // Nor does a renewal challenge sign anyone in.
    expect((await passwordless(a, p.auth.assert(await renewOptions(a, p.session), { origin: a.origin }))).status).toBe(401);
  });

  it("refuses another person's passkey and challenge, and another tenant's", async () => {
    const a = await buildTenant(t, "pkrenewother");
    const p = await passkeyOnly(a);
    const q = await passkeyOnly(a);
    const before = await codeHashes(a);
    // Q's passkey over P's challenge.
    const mine = await renewOptions(a, p.session);
    expect((await asSession(t, a, p.session, "POST", RENEW, { credential: q.auth.assert(mine, { origin: a.origin }) })).status).toBe(422);
    // P's passkey over Q's challenge (a challenge is bound to its person).
    const theirs = await renewOptions(a, q.session);
    expect((await asSession(t, a, p.session, "POST", RENEW, { credential: p.auth.assert(theirs, { origin: a.origin }) })).status).toBe(422);
    // Q's whole proof (Q's challenge, Q's passkey) sent from P's session.
    const qProof = q.auth.assert(await renewOptions(a, q.session), { origin: a.origin });
    expect((await asSession(t, a, p.session, "POST", RENEW, { credential: qProof })).status).toBe(422);
    expect(await codeHashes(a)).toEqual(before);
    // Another tenant: its person's passkey, its challenge, or P's passkey at its origin.
    const b = await buildTenant(t, "pkrenewotherb");
    const r = await passkeyOnly(b);
    expect((await asSession(t, a, p.session, "POST", RENEW, { credential: r.auth.assert(await renewOptions(a, p.session), { origin: a.origin }) })).status).toBe(422);
    const bChallenge = await renewOptions(b, r.session);
    expect((await asSession(t, a, p.session, "POST", RENEW, { credential: p.auth.assert(bChallenge, { origin: a.origin }) })).status).toBe(422);
    expect((await asSession(t, a, p.session, "POST", RENEW, { credential: p.auth.assert(await renewOptions(a, p.session), { origin: b.origin, rpId: new URL(b.origin).hostname }) })).status).toBe(422);
    // B's person with B's own proof, at tenant A with B's session: not signed in there.
    expect((await asSession(t, a, r.session, "POST", RENEW, { credential: r.auth.assert(bChallenge, { origin: b.origin }) })).status).toBe(401);
    expect(await codeHashes(a)).toEqual(before);
    // B's challenge still works at B.
    expect((await asSession(t, b, r.session, "POST", RENEW, { credential: r.auth.assert(bChallenge, { origin: b.origin }) })).status).toBe(201);
  });

  it("answers a clear 4xx to someone without passkeys, an end user, an API token and a malformed answer", async () => {
    const a = await buildTenant(t, "pkrenewnone");
    const p = await staffWithPassword(t, a, "agent");
    const o = await asSession(t, a, p.session, "POST", OPTIONS);
    expect(o.status, o.text).toBe(422);
    expect(o.body.details?.passkey?.[0]?.error).toBe("NoPasskeys");
    // An assertion of a passkey registered elsewhere, over a challenge of this purpose from someone else.
    const other = await passkeyOnly(a);
    const foreign = other.auth.assert(await renewOptions(a, other.session), { origin: a.origin });
    const r = await asSession(t, a, p.session, "POST", RENEW, { credential: foreign });
    expect(r.status, r.text).toBe(422);
    expect(r.body.details?.passkey?.[0]?.error).toBe("NoPasskeys");
    expect(await codeHashes(a)).toHaveLength(10);
    // End users have no recovery codes (they sign in by e-mailed link): 403, as for the code route.
    const eu = await buildUser(t, a, "end-user");
    const euSession = await signInByMail(t, smtp, a, eu.email);
    expect((await asSession(t, a, euSession, "POST", OPTIONS)).status).toBe(403);
    // An API token is refused (the proof belongs to the person at the browser).
    expect((await a.api("POST", OPTIONS)).status).toBe(403);
    // Malformed bodies: 422, never a 500.
    for (const body of [{}, { credential: {} }, { credential: { ...foreign, id: "not base64url!" } }, { credential: foreign, extra: 1 }, { credential: { ...foreign, response: { ...foreign.response, clientDataJSON: Buffer.from("not json").toString("base64url") } } }]) {
      const m = await asSession(t, a, other.session, "POST", RENEW, body);
      expect(m.status, JSON.stringify(body).slice(0, 80)).toBe(422);
    }
  });
});
