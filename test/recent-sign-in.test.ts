import crypto from "node:crypto";
import * as jose from "jose";
import { sql } from "kysely";
import * as oauth from "oauth4webapi";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetPasswordByOperator } from "../src/modules/identity/password-reset-service.ts";
import { resetTwoFactorByOperator } from "../src/modules/identity/two-factor-service.ts";
import { makeKeyPair } from "./support/simplesamlphp.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, cookieOf, jobsSettled, PASSWORD, signIn, signInByMail, staffWithPassword, type Session } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Steps that outlive the session or move the account need a sign-in within the last 15 minutes
 * when taken on a session (platform/recent-sign-in.ts): creating or rotating an API
 * token, setting up an authenticator app, changing one's own e-mail address (adding a passkey:
 * test/passkeys.test.ts). Someone holding a stolen session cookie, or at an unattended browser,
 * is refused (403 RecentSignInRequired) and nothing is written or mailed; the person signs in again.
 * Other credentials keep their own rules: an API token creates tokens within its scopes, and staff
 * moving someone else's address are not asked (the new address confirms it).
 */

let t: TestApp;
let smtp: SmtpPeer;
beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

type Json = Record<string, any>;
const codeAt = (secret: string, at = Date.now()) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });

/** Dates every session of the person `minutes` before now (negative: in the future). */
const signedInAgo = (a: TestTenant, niceId: number, minutes: number) =>
  t.db.tenant(a.tenantId, async (tx) => {
    const r = await sql`UPDATE sessions SET created_at = ${new Date(Date.now() - minutes * 60_000)} WHERE user_id = (SELECT id FROM users WHERE nice_id = ${niceId})`.execute(tx.db);
    expect(Number(r.numAffectedRows)).toBeGreaterThan(0);
  });
const refused = (r: { status: number; text: string; body: Json }) => {
  expect(r.status, r.text).toBe(403);
  expect(r.body).toEqual({ error: "RecentSignInRequired", description: expect.stringMatching(/sign in again: this can only be done within 15 minutes of signing in/) });
};
const actions = async (a: TestTenant, action: string) => ((await a.api("GET", `/api/v2/audit_logs.json?filter[action]=${action}`)).body.audit_logs as Json[]).length;
const emailChanges = (a: TestTenant) => t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM email_changes`.execute(tx.db)).rows[0]!.n));
const mailTo = (address: string, since: number) => smtp.messages.slice(since).filter((m) => JSON.stringify(m.to).includes(address)).length;

describe("a recent sign-in", () => {
  it("is needed on a session for API tokens, an authenticator app and one's own address; refused, nothing is written or mailed", async () => {
    const a = await buildTenant(t, "recent");
    const p = await staffWithPassword(t, a, "admin");
    const s = (method: string, path: string, body?: unknown) => asSession(t, a, p.session, method, path, body);
    const made = await s("POST", "/api/v2/api_tokens.json", { api_token: { name: "Made just after signing in" } });
    expect(made.status, made.text).toBe(201);
    const tokenId = made.body.api_token.id as number;

    // Fourteen minutes on: still recent.
    await signedInAgo(a, p.id, 14);
    expect((await s("POST", `/api/v2/api_tokens/${tokenId}/rotate.json`, { overlap_hours: 0 })).status).toBe(200);

    // Sixteen: every such step is refused, and leaves no trace.
    await signedInAgo(a, p.id, 16);
    // Mail the earlier steps queued (the invitation's sign-in, the rotation) is out before counting.
    await jobsSettled(t, a.tenantId);
    const since = smtp.messages.length;
    const tokensBefore = (await a.api("GET", "/api/v2/api_tokens.json")).body.api_tokens.length;
    refused(await s("POST", "/api/v2/api_tokens.json", { api_token: { name: "Left behind by a stolen cookie" } }));
    refused(await s("POST", `/api/v2/api_tokens/${tokenId}/rotate.json`, { overlap_hours: 0 }));
    refused(await s("POST", "/api/v2/users/me/two_factor/totp.json"));
    refused(await s("POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: "123456" }));
    const moved = `moved-${Date.now()}@elsewhere.test`;
    refused(await s("PUT", `/api/v2/users/${p.id}.json`, { user: { email: moved } }));
    // With another field beside it: refused as a whole, the name unchanged.
    refused(await s("PUT", `/api/v2/users/${p.id}.json`, { user: { name: "Renamed by the thief", email: moved } }));
    expect((await a.api("GET", "/api/v2/api_tokens.json")).body.api_tokens.length).toBe(tokensBefore);
    expect(await actions(a, "api_token.rotated")).toBe(1);
    expect(await actions(a, "user.two_factor_enrolment_started")).toBe(0);
    expect(await actions(a, "user.email_change_requested")).toBe(0);
    expect((await s("GET", "/api/v2/users/me/two_factor.json")).body.two_factor).toMatchObject({ enabled: false });
    const me = (await s("GET", "/api/v2/users/me.json")).body.user;
    expect([me.name, me.email]).toEqual(["The admin", p.email]);
    expect(await emailChanges(a)).toBe(0);
    await jobsSettled(t, a.tenantId);
    expect(mailTo(moved, since) + mailTo(p.email, since)).toBe(0);
    // A sign-in dated ahead of the server's clock by more than a minute is no recent one either.
    await signedInAgo(a, p.id, -5);
    refused(await s("POST", "/api/v2/api_tokens.json", { api_token: { name: "From the future" } }));

    // The old session still works for everything else, including moving someone else's address
    // (staff: the new address confirms it) — and an API token keeps its own rules.
    await signedInAgo(a, p.id, 16);
    const other = (await a.api("POST", "/api/v2/users.json", { user: { name: "Customer", email: `customer-${Date.now()}@example.test` } })).body.user.id as number;
    expect((await s("PUT", `/api/v2/users/${other}.json`, { user: { email: `customer-new-${Date.now()}@example.test` } })).status).toBe(200);
    expect((await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "Made with a token" } })).status).toBe(201);

    // Signed in again: each step works; the old session is still refused.
    const fresh = await signIn(t, a, p.email, PASSWORD);
    const f = (method: string, path: string, body?: unknown) => asSession(t, a, fresh, method, path, body);
    expect((await f("POST", "/api/v2/api_tokens.json", { api_token: { name: "After signing in again" } })).status).toBe(201);
    const start = await f("POST", "/api/v2/users/me/two_factor/totp.json");
    expect(start.status).toBe(201);
    const confirmed = await f("POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(start.body.totp.secret) });
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.body.recovery_codes).toHaveLength(10);
    const since2 = smtp.messages.length;
    expect((await f("PUT", `/api/v2/users/${p.id}.json`, { user: { email: moved } })).status).toBe(200);
    await smtp.waitFor(moved, { since: since2 });
    refused(await s("POST", "/api/v2/api_tokens.json", { api_token: { name: "Still too old" } }));
  });

  it("an end user on the help center changes their address soon after signing in by a mailed link, not later", async () => {
    const a = await buildTenant(t, "recenthc");
    const email = `reader-${Date.now()}@example.test`;
    const id = (await a.api("POST", "/api/v2/users.json", { user: { name: "Reader", email } })).body.user.id as number;
    const session: Session = await signInByMail(t, smtp, a, email);
    await signedInAgo(a, id, 20);
    const moved = `reader-moved-${Date.now()}@example.test`;
    const since = smtp.messages.length;
    refused(await asSession(t, a, session, "PUT", `/api/v2/users/${id}.json`, { user: { email: moved } }));
    expect(await emailChanges(a)).toBe(0);
    const again = await signInByMail(t, smtp, a, email);
    expect((await asSession(t, a, again, "PUT", `/api/v2/users/${id}.json`, { user: { email: moved } })).status).toBe(200);
    await smtp.waitFor(moved, { since });
  });
});

/** An authorization request of a client (PKCE), its consent page's parameters, and the verifier. */
async function authorizationRequest(a: TestTenant, identifier: string, scope = "read write") {
  const verifier = oauth.generateRandomCodeVerifier();
  const params = { response_type: "code", client_id: identifier, redirect_uri: REDIRECT, scope, state: "s", code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256" };
  const start = await t.request({ method: "GET", path: `/oauth/authorizations/new?${new URLSearchParams(params)}`, host: a.host });
  expect(start.status, start.text).toBe(302);
  return { verifier, query: Object.fromEntries(new URL(start.headers.location!, a.origin).searchParams) };
}
const REDIRECT = "http://127.0.0.1:9/callback";
const codeOf = (r: { body: Json }) => new URL(r.body.redirect_to as string).searchParams.get("code");
const exchange = (a: TestTenant, code: string, verifier: string, client: { identifier: string; secret?: string }) =>
  t.request({
    method: "POST", path: "/oauth/tokens", host: a.host, headers: { "content-type": "application/x-www-form-urlencoded" },
    rawBody: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: client.identifier, ...(client.secret ? { client_secret: client.secret } : {}) }).toString(),
  });
const asBearer = (a: TestTenant, token: string, method: string, path: string, body?: unknown) => t.request({ method, path, host: a.host, headers: { authorization: `Bearer ${token}` }, body });
/** Adds a passkey for the signed-in person (a software authenticator); its id. */
async function addPasskey(a: TestTenant, s: Session): Promise<string> {
  const o = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys/options.json");
  expect(o.status, o.text).toBe(200);
  const r = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name: "Laptop", credential: new SoftAuthenticator().register(o.body.options, { origin: a.origin }) } });
  expect(r.status, r.text).toBe(201);
  return r.body.passkey.id as string;
}
const sessionOfCookie = async (a: TestTenant, cookie: string): Promise<Session> => {
  const r = await t.request({ method: "GET", path: "/api/v2/session.json", host: a.host, headers: { cookie } });
  expect(r.status, r.text).toBe(200);
  return { cookie, csrf: r.body.session.csrf_token };
};

describe("the ways around a recent sign-in are closed", () => {
  it("an old session cannot allow an application (remembered consent too), register a client or make a secret; denying still works", async () => {
    const a = await buildTenant(t, "recentoa");
    const p = await staffWithPassword(t, a, "admin");
    const s = (method: string, path: string, body?: unknown) => asSession(t, a, p.session, method, path, body);
    const pub = (await a.api("POST", "/api/v2/oauth/clients.json", { client: { name: "Public app", identifier: "public_app", redirect_uri: [REDIRECT] } })).body.client;
    const conf = (await a.api("POST", "/api/v2/oauth/clients.json", { client: { name: "Server app", identifier: "server_app", redirect_uri: [REDIRECT], kind: "confidential" } })).body.client;

    // Just signed in: the confidential client is allowed, and its tokens issued (consent remembered from now on).
    const first = await authorizationRequest(a, conf.identifier);
    const allowedNow = await s("POST", "/api/v2/oauth/consent", { ...first.query, allowed: true });
    expect(allowedNow.status, allowedNow.text).toBe(200);
    expect((await exchange(a, codeOf(allowedNow)!, first.verifier, conf)).status).toBe(200);

    await signedInAgo(a, p.id, 16);
    const grantsBefore = (await a.api("GET", "/api/v2/oauth/tokens.json")).body.tokens.length;
    // The attacker's own PKCE request, approved with the old cookie: refused; no code, no grant.
    const theirs = await authorizationRequest(a, pub.identifier);
    refused(await s("POST", "/api/v2/oauth/consent", { ...theirs.query, allowed: true }));
    const denied = await s("POST", "/api/v2/oauth/consent", { ...theirs.query, allowed: false });
    expect(denied.status, denied.text).toBe(200);
    expect(new URL(denied.body.redirect_to).searchParams.get("error")).toBe("access_denied");
    // Nor a client of its own, a new secret, or a client's codes sent elsewhere.
    refused(await s("POST", "/api/v2/oauth/clients.json", { client: { name: "Thief", identifier: "thief", redirect_uri: [REDIRECT] } }));
    refused(await s("PUT", `/api/v2/oauth/clients/${conf.id}/generate_secret.json`));
    refused(await s("PUT", `/api/v2/oauth/clients/${pub.id}.json`, { client: { redirect_uri: ["http://127.0.0.1:9/elsewhere"] } }));
    expect((await s("PUT", `/api/v2/oauth/clients/${pub.id}.json`, { client: { description: "Renaming is harmless" } })).status).toBe(200);
    expect((await a.api("GET", "/api/v2/oauth/clients.json")).body.clients.map((c: Json) => [c.identifier, c.redirect_uri])).toEqual(
      expect.arrayContaining([["public_app", [REDIRECT]]]),
    );
    expect((await a.api("GET", "/api/v2/oauth/clients.json")).body.count).toBe(2);
    expect(await actions(a, "oauth_client.secret_generated")).toBe(0);
    // Consent given before to the confidential client: remembered, and still not from an old session
    // (whoever holds the client's secret would get new tokens with its code).
    const again = await authorizationRequest(a, conf.identifier);
    expect((await s("GET", `/api/v2/oauth/consent?${new URLSearchParams(again.query)}`)).body.consent.remembered).toBe(true);
    refused(await s("POST", "/api/v2/oauth/consent", { ...again.query, allowed: true }));
    // No new authorized app: only the first consent's tokens were issued.
    expect((await a.api("GET", "/api/v2/oauth/tokens.json")).body.tokens.length).toBe(grantsBefore);

    // Signed in again, the public client is allowed.
    const fresh = await signIn(t, a, p.email, PASSWORD);
    const req = await authorizationRequest(a, pub.identifier);
    const ok = await asSession(t, a, fresh, "POST", "/api/v2/oauth/consent", { ...req.query, allowed: true });
    expect(ok.status, ok.text).toBe(200);
    expect(codeOf(ok)).toBeTruthy();
  });

  it("an OAuth or API token cannot move its own person's address; a password reset ends the person's OAuth grants", async () => {
    const a = await buildTenant(t, "recenttok");
    const p = await staffWithPassword(t, a, "agent");
    const pub = (await a.api("POST", "/api/v2/oauth/clients.json", { client: { name: "Public app", identifier: "public_app", redirect_uri: [REDIRECT] } })).body.client;
    const req = await authorizationRequest(a, pub.identifier);
    const allowed = await asSession(t, a, p.session, "POST", "/api/v2/oauth/consent", { ...req.query, allowed: true });
    expect(allowed.status, allowed.text).toBe(200);
    const tokens = await exchange(a, codeOf(allowed)!, req.verifier, pub);
    expect(tokens.status, tokens.text).toBe(200);
    const bearer = tokens.body.access_token as string;
    expect((await asBearer(a, bearer, "GET", "/api/v2/users/me.json")).body.user.id).toBe(p.id);

    const moved = `moved-${Date.now()}@elsewhere.test`;
    const viaOAuth = await asBearer(a, bearer, "PUT", `/api/v2/users/${p.id}.json`, { user: { email: moved } });
    expect(viaOAuth.status, viaOAuth.text).toBe(403);
    expect(viaOAuth.body.description).toMatch(/signed-in session/);
    // Another field alone is the token's to change, as before.
    expect((await asBearer(a, bearer, "PUT", `/api/v2/users/${p.id}.json`, { user: { name: "Renamed by the app" } })).status).toBe(200);
    // The person's own API token: no more than the application's.
    const own = await asSession(t, a, p.session, "POST", "/api/v2/api_tokens.json", { api_token: { name: "Mine" } });
    expect(own.status, own.text).toBe(201);
    const viaToken = await t.request({ method: "PUT", path: `/api/v2/users/${p.id}.json`, host: a.host, headers: { authorization: `Basic ${Buffer.from(`${p.email}/token:${own.body.api_token.token}`).toString("base64")}` }, body: { user: { email: moved } } });
    expect(viaToken.status, viaToken.text).toBe(403);
    expect(await emailChanges(a)).toBe(0);
    // An admin's token still moves someone else's address (the new address confirms it).
    expect((await a.api("PUT", `/api/v2/users/${p.id}.json`, { user: { email: `agent-new-${Date.now()}@example.test` } })).status).toBe(200);

    // The password reset (here the operator's) ends the grant: the application's token stops working.
    await resetPasswordByOperator({ db: t.db, keyring: t.keyring }, a.tenantId, p.email);
    expect((await asBearer(a, bearer, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await exchange(a, codeOf(allowed)!, req.verifier, pub)).status).not.toBe(200);
  });

  it("an old admin session cannot change single sign-on, and an owner signed in through it is no recent sign-in", async () => {
    const a = await buildTenant(t, "recentsso");
    const p = await staffWithPassword(t, a, "admin");
    const s = (method: string, path: string, body?: unknown) => asSession(t, a, p.session, method, path, body);
    await signedInAgo(a, p.id, 16);
    const secret = crypto.randomBytes(32).toString("base64url");
    refused(await s("POST", "/api/v2/sso/jwt/secret.json"));
    refused(await s("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: secret } }));
    refused(await s("PUT", "/api/v2/sso/oidc.json", { oidc: { enabled: false, issuer: "https://idp.customer.test", client_id: "vaultdesk", client_secret: "x".repeat(32) } }));
    refused(await s("PUT", "/api/v2/sso/saml.json", { saml: { enabled: false, idp_entity_id: "https://idp.customer.test", idp_sso_url: "https://idp.customer.test/sso", idp_certificates: [makeKeyPair("recent IdP").cert] } }));
    refused(await s("PUT", "/api/v2/sso_settings.json", { sso_settings: { jit_users: true } }));
    expect((await s("GET", "/api/v2/sso/jwt.json")).body.jwt).toMatchObject({ enabled: false, shared_secret_set: false });
    expect(await actions(a, "sso_settings.updated")).toBe(0);

    // Set up (here with a token) and used to sign in as the owner: that session cannot take lasting steps.
    expect((await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: secret } })).status).toBe(200);
    expect((await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt" } })).status).toBe(200);
    const sign = async (email: string) => {
      const jwt = await new jose.SignJWT({ iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), email, name: "Someone" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
      const r = await t.request({ method: "POST", path: "/access/jwt", host: a.host, rawBody: new URLSearchParams({ jwt }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
      expect([302, 303], r.text).toContain(r.status);
      return sessionOfCookie(a, cookieOf(r.headers));
    };
    const owner = await sign(a.ownerEmail);
    refused(await asSession(t, a, owner, "POST", "/api/v2/api_tokens.json", { api_token: { name: "Left by a forged JWT" } }));
    refused(await asSession(t, a, owner, "POST", "/api/v2/users/me/two_factor/totp.json"));
    // Other staff signed in through it: their own recent sign-in, as before.
    const admin = await sign(p.email);
    expect((await asSession(t, a, admin, "POST", "/api/v2/api_tokens.json", { api_token: { name: "After single sign-on" } })).status).toBe(201);
  });

  it("an old admin session cannot invite staff or make sign-in links, nor remove its own second factor without a code", async () => {
    const a = await buildTenant(t, "recentinv");
    const p = await staffWithPassword(t, a, "admin");
    const s = (method: string, path: string, body?: unknown) => asSession(t, a, p.session, method, path, body);
    const customer = (await a.api("POST", "/api/v2/users.json", { user: { name: "Customer", email: `customer-${Date.now()}@example.test` } })).body.user.id as number;
    const start = await s("POST", "/api/v2/users/me/two_factor/totp.json");
    expect(start.status, start.text).toBe(201);
    expect((await s("POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(start.body.totp.secret) })).status).toBe(200);
    // Even just signed in, an admin's own second factor is not removed by the admins' reset.
    const self = await s("DELETE", `/api/v2/users/${p.id}/two_factor.json`);
    expect(self.status, self.text).toBe(403);
    expect(self.body.description).toMatch(/current code/);
    expect((await s("GET", "/api/v2/users/me/two_factor.json")).body.two_factor).toMatchObject({ enabled: true });

    await signedInAgo(a, p.id, 16);
    const invitations = async () => (await a.api("GET", "/api/v2/invitations.json")).body.invitations.length as number;
    const before = await invitations();
    refused(await s("POST", "/api/v2/invitations.json", { invitation: { email: `new-agent-${Date.now()}@example.test`, role: "agent" } }));
    refused(await s("POST", `/api/v2/users/${customer}/sign_in_links.json`));
    expect(await invitations()).toBe(before);
    expect(await actions(a, "signin_link.created")).toBe(0);
    // Nor the account's sign-in rules: IP restrictions (which can shut every owner out), the staff
    // two-factor requirement, password access to the API.
    refused(await s("PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: "10.9.9.9" }, confirm_lockout: true }));
    refused(await s("PUT", "/api/v2/two_factor_settings.json", { two_factor_settings: { require_staff_two_factor: false } }));
    refused(await s("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } }));
    expect((await a.api("GET", "/api/v2/ip_restrictions.json")).body.ip_restriction.enabled).toBe(false);
    expect((await a.api("GET", "/api/v2/api_settings.json")).body.api_settings.password_access).toBe(false);
  });

  it("an old admin session cannot loosen the password policy or lengthen sessions; signed in again, it can, and a token is not asked", async () => {
    const a = await buildTenant(t, "recentpol");
    const p = await staffWithPassword(t, a, "admin");
    const s = (method: string, path: string, body?: unknown) => asSession(t, a, p.session, method, path, body);
    const passwords = async () => (await a.api("GET", "/api/v2/password_settings.json")).body.password_settings as Json;
    const sessions = async () => (await a.api("GET", "/api/v2/session_settings.json")).body.session_settings as Json;
    // A lockout that lets a guesser try twenty passwords, every minute; end users at the lowest level.
    const lenient = { staff: { level: "custom", rules: { min_length: 12, mixed_case: true, digit: true, symbol: true, not_like_email: true, min_strength: 3, history: 0, expiry_days: null, lockout_attempts: 10, lockout_minutes: 1, max_sequence: null } }, end_users: { level: "low" } };
    const passwordsBefore = await passwords();
    const sessionsBefore = await sessions();

    await signedInAgo(a, p.id, 16);
    refused(await s("PUT", "/api/v2/password_settings.json", { password_settings: lenient }));
    refused(await s("PUT", "/api/v2/session_settings.json", { session_settings: { idle_minutes: 1440, max_hours: 720 } }));
    expect(await passwords()).toEqual(passwordsBefore);
    expect(await sessions()).toEqual(sessionsBefore);
    expect(await actions(a, "password_settings.updated")).toBe(0);
    expect(await actions(a, "session_settings.updated")).toBe(0);

    // Signed in again: both are saved, and audited.
    const fresh = await signIn(t, a, p.email, PASSWORD);
    const pw = await asSession(t, a, fresh, "PUT", "/api/v2/password_settings.json", { password_settings: lenient });
    expect(pw.status, pw.text).toBe(200);
    expect(pw.body.password_settings).toMatchObject({ staff: { level: "custom", rules: { lockout_minutes: 1 } }, end_users: { level: "low" } });
    const ss = await asSession(t, a, fresh, "PUT", "/api/v2/session_settings.json", { session_settings: { idle_minutes: 1440, max_hours: 720 } });
    expect(ss.status, ss.text).toBe(200);
    expect(ss.body.session_settings).toMatchObject({ idle_minutes: 1440, max_hours: 720 });
    expect(await actions(a, "password_settings.updated")).toBe(1);
    expect(await actions(a, "session_settings.updated")).toBe(1);
    // An admin's API token keeps its own rules (as for the other such settings): not asked.
    expect((await a.api("PUT", "/api/v2/session_settings.json", { session_settings: { idle_minutes: null, max_hours: null } })).status).toBe(200);
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { end_users: { level: "medium" } } })).status).toBe(200);
  });

  it("an old admin session cannot unlock an account, turn healthcare mode off, put ticket text in mail, let more files in or export the account; signed in again, it can, and a token is not asked", async () => {
    const a = await buildTenant(t, "recentguard");
    const p = await staffWithPassword(t, a, "admin");
    const guessed = await staffWithPassword(t, a, "agent");
    const s = (method: string, path: string, body?: unknown) => asSession(t, a, p.session, method, path, body);
    const get = async (path: string) => (await a.api("GET", path)).body as Json;
    // The agent locked out after wrong passwords; healthcare mode on; mail without the text.
    const lockedUntil = () =>
      t.db.tenant(a.tenantId, async (tx) => (await sql<{ locked_until: Date | null }>`SELECT locked_until FROM users WHERE nice_id = ${guessed.id}`.execute(tx.db)).rows[0]!.locked_until);
    await t.db.tenant(a.tenantId, async (tx) => {
      await sql`UPDATE users SET failed_signins = 5, lockouts = 1, locked_until = ${new Date(Date.now() + 3600_000)} WHERE nice_id = ${guessed.id}`.execute(tx.db);
      await sql`INSERT INTO compliance_settings (tenant_id, healthcare_mode) VALUES (${a.tenantId}, true) ON CONFLICT (tenant_id) DO UPDATE SET healthcare_mode = true`.execute(tx.db);
    });
    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { content_free: true } })).status).toBe(200);
    const exports = () => t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM data_exports`.execute(tx.db)).rows[0]!.n));
    const notificationsBefore = (await get("/api/v2/notification_settings.json")).settings;
    const attachmentsBefore = (await get("/api/v2/attachment_settings.json")).settings;
    expect(attachmentsBefore.blocked_extensions.length).toBeGreaterThan(0);
    const audited = async () => ({
      unlocked: await actions(a, "user.unlocked"),
      healthcare: await actions(a, "healthcare_mode.disabled"),
      notifications: await actions(a, "notification_settings.updated"),
      attachments: await actions(a, "attachment_settings.updated"),
      exports: await actions(a, "data_export.created"),
    });
    const auditedBefore = await audited();
    // Anything goes in: no refused extension, every type.
    const open = { settings: { blocked_extensions: [], allowed_types: null } };
    const everything = { export: { resource: "tickets", format: "json" } };

    await signedInAgo(a, p.id, 16);
    refused(await s("PUT", `/api/v2/users/${guessed.id}/unlock.json`));
    refused(await s("PUT", "/api/v2/compliance/healthcare_mode.json", { healthcare_mode: { enabled: false } }));
    refused(await s("PUT", "/api/v2/notification_settings.json", { settings: { content_free: false } }));
    refused(await s("PUT", "/api/v2/attachment_settings.json", open));
    refused(await s("POST", "/api/v2/exports.json", everything));
    expect(await lockedUntil()).not.toBeNull();
    expect((await get("/api/v2/compliance/healthcare_mode.json")).healthcare_mode).toEqual({ enabled: true });
    expect((await get("/api/v2/notification_settings.json")).settings).toEqual(notificationsBefore);
    expect((await get("/api/v2/attachment_settings.json")).settings).toEqual(attachmentsBefore);
    expect(await exports()).toBe(0);
    expect(await audited()).toEqual(auditedBefore);

    // Signed in again: each is done, and audited (healthcare mode first: while on, it keeps the text out of mail).
    const fresh = await signIn(t, a, p.email, PASSWORD);
    const f = (method: string, path: string, body?: unknown) => asSession(t, a, fresh, method, path, body);
    const unlock = await f("PUT", `/api/v2/users/${guessed.id}/unlock.json`);
    expect([unlock.status, unlock.body], unlock.text).toEqual([200, { unlocked: true }]);
    expect(await lockedUntil()).toBeNull();
    const off = await f("PUT", "/api/v2/compliance/healthcare_mode.json", { healthcare_mode: { enabled: false } });
    expect([off.status, off.body], off.text).toEqual([200, { healthcare_mode: { enabled: false } }]);
    const text = await f("PUT", "/api/v2/notification_settings.json", { settings: { content_free: false } });
    expect(text.status, text.text).toBe(200);
    expect(text.body.settings.content_free).toBe(false);
    const files = await f("PUT", "/api/v2/attachment_settings.json", open);
    expect(files.status, files.text).toBe(200);
    expect(files.body.settings).toMatchObject({ blocked_extensions: [], allowed_types: null });
    const made = await f("POST", "/api/v2/exports.json", everything);
    expect(made.status, made.text).toBe(202);
    expect(await exports()).toBe(1);
    expect(await audited()).toEqual({
      unlocked: auditedBefore.unlocked + 1,
      healthcare: auditedBefore.healthcare + 1,
      notifications: auditedBefore.notifications + 1,
      attachments: auditedBefore.attachments + 1,
      exports: auditedBefore.exports + 1,
    });
    // An admin's API token keeps its own rules (as for the other such settings): not asked.
    expect((await a.api("PUT", "/api/v2/notification_settings.json", { settings: { content_free: true } })).status).toBe(200);
    expect((await a.api("PUT", "/api/v2/attachment_settings.json", { settings: { blocked_extensions: attachmentsBefore.blocked_extensions } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/users/${guessed.id}/unlock.json`)).body).toEqual({ unlocked: false });
    expect((await a.api("POST", "/api/v2/exports.json", { export: { resource: "organizations", format: "csv" } })).status).toBe(202);
    expect((await a.api("PUT", "/api/v2/compliance/healthcare_mode.json", { healthcare_mode: { enabled: false } })).status).toBe(200);
    await jobsSettled(t, a.tenantId);
  });

  it("an old admin session cannot make staff, give roles, set passwords, vouch for addresses, or take away second factors and passkeys", async () => {
    const a = await buildTenant(t, "recentacct");
    const p = await staffWithPassword(t, a, "admin");
    const agent = await staffWithPassword(t, a, "agent");
    const s = (method: string, path: string, body?: unknown) => asSession(t, a, p.session, method, path, body);
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } })).status).toBe(200);
    // The agent's second factor, and the admin's OAuth token (an application they allowed while signed in recently).
    const start = await asSession(t, a, agent.session, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect((await asSession(t, a, agent.session, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(start.body.totp.secret) })).status).toBe(200);
    const pub = (await a.api("POST", "/api/v2/oauth/clients.json", { client: { name: "Public app", identifier: "public_app", redirect_uri: [REDIRECT] } })).body.client;
    const req = await authorizationRequest(a, pub.identifier, "read write");
    const bearer = (await exchange(a, codeOf(await s("POST", "/api/v2/oauth/consent", { ...req.query, allowed: true }))!, req.verifier, pub)).body.access_token as string;
    const customer = (await a.api("POST", "/api/v2/users.json", { user: { name: "Customer", email: `customer-${Date.now()}@example.test` } })).body.user;
    expect(customer.verified).toBe(false);
    const ownToken = (await s("POST", "/api/v2/api_tokens.json", { api_token: { name: "Mine" } })).body.api_token.token as string;
    const mine = await addPasskey(a, p.session);
    const theirs = await addPasskey(a, agent.session);
    expect((await s("POST", "/api/v2/users/me/two_factor/totp.json")).status).toBe(201);

    await signedInAgo(a, p.id, 16);
    const usersBefore = (await a.api("GET", "/api/v2/users.json?role=agent")).body.users.length;
    refused(await s("POST", "/api/v2/users.json", { user: { name: "New agent", email: `new-agent-${Date.now()}@attacker.test`, role: "agent" } }));
    refused(await s("PUT", `/api/v2/users/${customer.id}/role.json`, { role: "agent" }));
    refused(await s("PUT", `/api/v2/users/${customer.id}.json`, { user: { role: "agent" } }));
    refused(await s("PUT", `/api/v2/users/${agent.id}/role.json`, { role: "light_agent" }));
    refused(await s("POST", `/api/v2/users/${customer.id}/password.json`, { password: "Chosen by the holder of a cookie 9" }));
    refused(await s("PUT", `/api/v2/users/${customer.id}.json`, { user: { verified: true } }));
    const viaApp = await asBearer(a, bearer, "PUT", `/api/v2/users/${customer.id}.json`, { user: { verified: true } });
    expect(viaApp.status, viaApp.text).toBe(403);
    refused(await s("DELETE", `/api/v2/users/${agent.id}/two_factor.json`));
    refused(await s("DELETE", `/api/v2/users/me/passkeys/${mine}.json`));
    refused(await s("DELETE", `/api/v2/users/${p.id}/passkeys/${mine}.json`));
    refused(await s("DELETE", `/api/v2/users/${agent.id}/passkeys/${theirs}.json`));
    expect((await s("DELETE", `/api/v2/users/me/passkeys/${crypto.randomUUID()}.json`)).status).toBe(404);
    // A token removes none of its own person's passkeys either.
    expect((await asBearer(a, bearer, "DELETE", `/api/v2/users/me/passkeys/${mine}.json`)).status).toBe(403);
    refused(await asBearer(a, ownToken, "DELETE", `/api/v2/users/me/passkeys/${mine}.json`));
    refused(await asBearer(a, ownToken, "DELETE", `/api/v2/users/${p.id}/passkeys/${mine}.json`));
    // Dropping an authenticator set-up never confirmed needs no code, and drops nothing else.
    expect((await s("DELETE", "/api/v2/users/me/two_factor.json")).status).toBe(204);
    expect((await s("GET", "/api/v2/users/me/two_factor.json")).body.two_factor).toMatchObject({ pending: false, passkeys: 1, recovery_codes_left: 10 });
    expect((await s("GET", "/api/v2/users/me/passkeys.json")).body.passkeys).toHaveLength(1);
    expect((await a.api("GET", `/api/v2/users/${agent.id}/passkeys.json`)).body.passkeys).toHaveLength(1);
    // Nothing changed.
    expect((await a.api("GET", "/api/v2/users.json?role=agent")).body.users.length).toBe(usersBefore);
    expect((await a.api("GET", `/api/v2/users/${customer.id}.json`)).body.user).toMatchObject({ role: "end-user", verified: false });
    expect((await a.api("GET", `/api/v2/users/${agent.id}.json`)).body.user.role).toBe("agent");
    expect((await a.api("GET", `/api/v2/users/${agent.id}/two_factor.json`)).body.two_factor.enabled).toBe(true);
    expect(await actions(a, "user.password_set")).toBe(0);
    // Other work goes on: an end user added, a name changed.
    expect((await s("POST", "/api/v2/users.json", { user: { name: "Another customer", email: `another-${Date.now()}@example.test` } })).status).toBe(201);
    expect((await s("PUT", `/api/v2/users/${customer.id}.json`, { user: { name: "Customer Renamed" } })).status).toBe(200);

    // Signed in a minute ago (with the passkey as second factor): each is the admin's to do.
    await signedInAgo(a, p.id, 1);
    const f = s;
    expect((await f("PUT", `/api/v2/users/${customer.id}.json`, { user: { verified: true } })).status).toBe(200);
    expect((await f("POST", `/api/v2/users/${customer.id}/password.json`, { password: "Chosen by the admin now 9" })).status).toBe(204);
    expect((await f("PUT", `/api/v2/users/${agent.id}/role.json`, { role: "light_agent" })).status).toBe(200);
    expect((await f("DELETE", `/api/v2/users/${agent.id}/two_factor.json`)).body).toEqual({ two_factor_reset: true });
    expect((await f("DELETE", `/api/v2/users/me/passkeys/${mine}.json`)).status).toBe(204);

    // Deleting a staff member takes their passkeys: restoring them (password alone) needs a recent sign-in too.
    await signedInAgo(a, p.id, 16);
    expect((await s("DELETE", `/api/v2/users/${agent.id}.json`)).status).toBe(200);
    refused(await s("PUT", `/api/v2/deleted_users/${agent.id}/restore.json`));
    // Nor may an application the admin allowed (deleting and restoring would strip the passkeys).
    const byApp = await asBearer(a, bearer, "PUT", `/api/v2/deleted_users/${agent.id}/restore.json`);
    expect([byApp.status, byApp.body.description], byApp.text).toEqual([403, "An application cannot restore a staff member."]);
    await signedInAgo(a, p.id, 1);
    expect((await s("PUT", `/api/v2/deleted_users/${agent.id}/restore.json`)).status).toBe(200);
  });

  it("an old session cannot lift a staff member's suspension (their kept API token would work again); suspending, and an end user's, need none", async () => {
    const a = await buildTenant(t, "recentsusp");
    const p = await staffWithPassword(t, a, "admin");
    const agent = await staffWithPassword(t, a, "agent");
    const token = (await asSession(t, a, agent.session, "POST", "/api/v2/api_tokens.json", { api_token: { name: "Agent's own" } })).body.api_token.token as string;
    const asToken = () => a.api("GET", "/api/v2/users/me.json", undefined, { email: agent.email, token });
    const customer = (await a.api("POST", "/api/v2/users.json", { user: { name: "Customer", email: `customer-${Date.now()}@example.test` } })).body.user;
    const s = (method: string, path: string, body?: unknown) => asSession(t, a, p.session, method, path, body);
    await signedInAgo(a, p.id, 16);
    // Suspending closes ways in: no new sign-in needed.
    expect((await s("PUT", `/api/v2/users/${agent.id}.json`, { user: { suspended: true } })).status).toBe(200);
    expect((await s("PUT", `/api/v2/users/${customer.id}.json`, { user: { suspended: true } })).status).toBe(200);
    expect((await asToken()).status).not.toBe(200);
    refused(await s("PUT", `/api/v2/users/${agent.id}.json`, { user: { suspended: false } }));
    expect((await a.api("GET", `/api/v2/users/${agent.id}.json`)).body.user.suspended).toBe(true);
    expect((await asToken()).status).not.toBe(200);
    expect((await s("PUT", `/api/v2/users/${customer.id}.json`, { user: { suspended: false } })).status).toBe(200);
    await signedInAgo(a, p.id, 1);
    expect((await s("PUT", `/api/v2/users/${agent.id}.json`, { user: { suspended: false } })).status).toBe(200);
    expect((await asToken()).status).toBe(200);
  });

  it("an old admin session cannot give an agent a custom role; a refused change leaves the person's address-change limit alone", async () => {
    const a = await buildTenant(t, "recentcr");
    const p = await staffWithPassword(t, a, "admin");
    const agent = await staffWithPassword(t, a, "agent");
    const s = (method: string, path: string, body?: unknown) => asSession(t, a, p.session, method, path, body);
    const made = await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Sees everything", configuration: { ticket_access: "all" } } });
    expect(made.status, made.text).toBe(201);
    const roleId = made.body.custom_role.id as number;

    await signedInAgo(a, p.id, 16);
    refused(await s("PUT", `/api/v2/users/${agent.id}.json`, { user: { custom_role_id: roleId } }));
    expect((await a.api("GET", `/api/v2/users/${agent.id}.json`)).body.user.custom_role_id).toBe(2); // the agent preset
    expect(await actions(a, "user.custom_role_changed")).toBe(0);
    // Widening a role agents already carry is the same step: refused too, the role unchanged.
    refused(await s("PUT", `/api/v2/custom_roles/${roleId}.json`, { custom_role: { configuration: { audit_log_access: true } } }));
    expect((await a.api("GET", `/api/v2/custom_roles/${roleId}.json`)).body.custom_role.configuration.audit_log_access).not.toBe(true);
    // The person's address may be moved five times an hour: refused requests that asked for it too
    // (beside a custom role) count none of the five.
    for (let i = 0; i < 6; i++) refused(await s("PUT", `/api/v2/users/${agent.id}.json`, { user: { custom_role_id: roleId, email: `agent-${i}-${Date.now()}@elsewhere.test` } }));
    expect(await emailChanges(a)).toBe(0);

    await signedInAgo(a, p.id, 1);
    expect((await s("PUT", `/api/v2/users/${agent.id}.json`, { user: { custom_role_id: roleId } })).status).toBe(200);
    expect((await a.api("GET", `/api/v2/users/${agent.id}.json`)).body.user.custom_role_id).toBe(roleId);
    const moved = await s("PUT", `/api/v2/users/${agent.id}.json`, { user: { email: `agent-moved-${Date.now()}@elsewhere.test` } });
    expect(moved.status, moved.text).toBe(200);
    // An agent's own custom role is not theirs to give (the policy's answer, whatever the sign-in).
    expect((await asSession(t, a, agent.session, "PUT", `/api/v2/users/${agent.id}.json`, { user: { custom_role_id: null } })).status).toBe(403);
  });

  it("with staff on single sign-on only, an owner keeps a second factor (their way in when the provider fails), and one left without sets one up from single sign-on", async () => {
    const a = await buildTenant(t, "recentsso2");
    const p = await staffWithPassword(t, a, "admin");
    const owner = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const start = await asSession(t, a, owner, "POST", "/api/v2/users/me/two_factor/totp.json");
    const secret = start.body.totp.secret as string;
    const enrolled = await asSession(t, a, owner, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(secret) });
    expect(enrolled.status).toBe(200);
    const recovery = enrolled.body.recovery_codes as string[];
    const jwtSecret = crypto.randomBytes(32).toString("base64url");
    expect((await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: jwtSecret } })).status).toBe(200);
    const on = await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } });
    expect(on.status, on.text).toBe(200);
    const promoted = await a.api("PUT", `/api/v2/users/${p.id}/role.json`, { role: "owner" });
    expect(promoted.status, promoted.text).toBe(422);
    expect(promoted.body.details.role[0].description).toMatch(/needs two-factor sign-in first/);
    expect((await a.api("GET", `/api/v2/users/${p.id}.json`)).body.user.role).toBe("admin");

    // Turning the owner's only second factor off is refused, code or not (rolled back, still on).
    const challenge = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword } });
    expect(challenge.status, challenge.text).toBe(202);
    const done = await t.request({ method: "POST", path: "/api/v2/session/two_factor.json", host: a.host, body: { challenge: challenge.body.challenge, code: recovery[0] } });
    expect(done.status, done.text).toBe(201);
    const withCode: Session = { cookie: cookieOf(done.headers), csrf: done.body.session.csrf_token };
    const off = await asSession(t, a, withCode, "DELETE", "/api/v2/users/me/two_factor.json", { code: recovery[1] });
    expect(off.status, off.text).toBe(422);
    expect(off.body.details.two_factor[0].description).toMatch(/an owner keeps a second factor/);
    expect((await asSession(t, a, withCode, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor.enabled).toBe(true);
    // Refused before the code is tried: a wrong code hears the same, nothing is audited as a
    // failed proof, and no code was accepted by a step then rolled back.
    const wrong = await asSession(t, a, withCode, "DELETE", "/api/v2/users/me/two_factor.json", { code: "000000" });
    expect([wrong.status, wrong.body.details]).toEqual([off.status, off.body.details]);
    const proofs = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Array<{ action: string }>).filter((l) => l.action === "user.two_factor_proof_failed");
    expect(proofs).toEqual([]);

    // Left without one by the operator's reset (a lost phone): signed in through single sign-on,
    // whose sessions are no recent sign-in of an owner's, they still set up a new authenticator app.
    await resetTwoFactorByOperator({ db: t.db, keyring: t.keyring, config: t.config }, a.tenantId, a.ownerEmail);
    const jwt = await new jose.SignJWT({ iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), email: a.ownerEmail, name: "Owner" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(jwtSecret));
    const viaSso = await t.request({ method: "POST", path: "/access/jwt", host: a.host, rawBody: new URLSearchParams({ jwt }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
    const sso = await sessionOfCookie(a, cookieOf(viaSso.headers));
    refused(await asSession(t, a, sso, "POST", "/api/v2/api_tokens.json", { api_token: { name: "Not from single sign-on" } }));
    expect((await asSession(t, a, sso, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor.set_up_needs_password).toBe(true);
    const again = await asSession(t, a, sso, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect(again.status, again.text).toBe(201);
    // Their current password stands in for the recent sign-in their SSO session is not: someone
    // at an unattended browser cannot put their own authenticator app there.
    const confirm = (body: Json) => asSession(t, a, sso, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(again.body.totp.secret), ...body });
    for (const [body, field] of [[{}, "password"], [{ password: "Not the owner's password 1" }, "password"], [{ password: "" }, "password"]] as const) {
      const r = await confirm(body);
      expect(r.status, r.text).toBe(422);
      expect(Object.keys(r.body.details ?? {})).toEqual([field]);
    }
    expect((await asSession(t, a, sso, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor).toMatchObject({ enabled: false, pending: true });
    // Each wrong password counted toward the owner's lockout and audited (the one place this
    // owner's password is checked, so no way to guess it unnoticed).
    const counted = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("users").select("failed_signins").where("role", "=", "owner").executeTakeFirstOrThrow());
    expect(counted.failed_signins).toBe(1);
    const passwordProofs = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).filter((l) => l.action === "user.two_factor_proof_failed");
    expect(passwordProofs.map((l) => l.changed_fields)).toEqual([["password"]]);
    const enabled = await confirm({ password: a.ownerPassword });
    expect(enabled.status, enabled.text).toBe(200);
    expect(enabled.body.recovery_codes).toHaveLength(10);
    expect((await asSession(t, a, sso, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor).toMatchObject({ enabled: true, set_up_needs_password: false });
  });

  it("locks an owner out of that set-up after the policy's wrong passwords, as at the sign-in form, the right one included", async () => {
    const a = await buildTenant(t, "recentsso4");
    const owner = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const first = await asSession(t, a, owner, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect((await asSession(t, a, owner, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(first.body.totp.secret) })).status).toBe(200);
    const jwtSecret = crypto.randomBytes(32).toString("base64url");
    expect((await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: jwtSecret } })).status).toBe(200);
    expect((await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } })).status).toBe(200);
    await resetTwoFactorByOperator({ db: t.db, keyring: t.keyring, config: t.config }, a.tenantId, a.ownerEmail);
    const jwt = await new jose.SignJWT({ iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), email: a.ownerEmail, name: "Owner" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(jwtSecret));
    const viaSso = await t.request({ method: "POST", path: "/access/jwt", host: a.host, rawBody: new URLSearchParams({ jwt }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
    const sso = await sessionOfCookie(a, cookieOf(viaSso.headers));
    const again = await asSession(t, a, sso, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect(again.status, again.text).toBe(201);
    const confirm = (password: string) => asSession(t, a, sso, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(again.body.totp.secret), password });
    const errors: string[] = [];
    for (let i = 0; i < 25 && !errors.includes("Locked"); i++) {
      const r = await confirm(`Guess number ${i} Wrong!`);
      expect(r.status, r.text).toBe(422);
      errors.push(r.body.details.password[0].error as string);
    }
    // The tenant's policy: lockout after its attempts in a row; then even the right password waits.
    expect(errors.at(-1)).toBe("Locked");
    expect(errors.length).toBeLessThanOrEqual(21);
    const right = await confirm(a.ownerPassword);
    expect([right.status, right.body.details?.password?.[0]?.error]).toEqual([422, "Locked"]);
    expect((await asSession(t, a, sso, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor.enabled).toBe(false);
    expect(((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).some((l) => l.action === "user.locked")).toBe(true);
  });

  it("asks a password of no one else: a staff member's set-up needs a recent sign-in, whatever password comes with it", async () => {
    const a = await buildTenant(t, "recentsso3");
    const p = await staffWithPassword(t, a, "admin");
    const start = await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect(start.status, start.text).toBe(201);
    expect((await asSession(t, a, p.session, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor.set_up_needs_password).toBe(false);
    await signedInAgo(a, p.id, 16);
    const late = await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(start.body.totp.secret), password: PASSWORD });
    refused(late);
  });

  it("lets an owner left without a second factor add a passkey from single sign-on with their current password, counted and audited; asks it of no one else", async () => {
    const a = await buildTenant(t, "recentsso5");
    const p = await staffWithPassword(t, a, "admin");
    const owner = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const first = await asSession(t, a, owner, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect((await asSession(t, a, owner, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(first.body.totp.secret) })).status).toBe(200);
    const ssoSession = async () => {
      const jwt = await new jose.SignJWT({ iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), email: a.ownerEmail, name: "Owner" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(jwtSecret));
      const viaSso = await t.request({ method: "POST", path: "/access/jwt", host: a.host, rawBody: new URLSearchParams({ jwt }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
      return sessionOfCookie(a, cookieOf(viaSso.headers));
    };
    const failedSignins = async () => (await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("users").select("failed_signins").where("role", "=", "owner").executeTakeFirstOrThrow())).failed_signins;
    const proofsFailed = async () => ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).filter((l) => l.action === "user.two_factor_proof_failed");
    const options = async (s: Session) => {
      const o = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys/options.json");
      expect(o.status, o.text).toBe(200);
      return o.body.options;
    };
    const register = (s: Session, credential: unknown, extra: Json = {}) => asSession(t, a, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name: "Spare key", credential }, ...extra });

    // An admin's old session: a password is no stand-in for the recent sign-in.
    const adminOptions = await options(p.session);
    await signedInAgo(a, p.id, 16);
    refused(await register(p.session, new SoftAuthenticator().register(adminOptions, { origin: a.origin }), { password: PASSWORD }));
    expect((await asSession(t, a, p.session, "GET", "/api/v2/users/me/passkeys.json")).body.passkeys).toEqual([]);

    // Options the owner had while their password session was recent (it ends when single sign-on only begins).
    const recentOptions = await options(owner);
    const jwtSecret = crypto.randomBytes(32).toString("base64url");
    expect((await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: jwtSecret } })).status).toBe(200);
    expect((await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } })).status).toBe(200);

    // An owner who still has their authenticator app is no owner without a way in: their single
    // sign-on session is no recent sign-in, and their password (even a wrong one) is not read.
    const withApp = await ssoSession();
    expect((await asSession(t, a, withApp, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor.set_up_needs_password).toBe(false);
    refused(await asSession(t, a, withApp, "POST", "/api/v2/users/me/passkeys/options.json"));
    refused(await register(withApp, new SoftAuthenticator().register(recentOptions, { origin: a.origin }), { password: "Not the owner's password 1" }));
    refused(await register(withApp, new SoftAuthenticator().register(recentOptions, { origin: a.origin }), { password: a.ownerPassword }));
    expect(await failedSignins()).toBe(0);
    expect(await proofsFailed()).toEqual([]);

    // Left without a second factor by the operator's reset (a lost phone): from single sign-on.
    await resetTwoFactorByOperator({ db: t.db, keyring: t.keyring, config: t.config }, a.tenantId, a.ownerEmail);
    const sso = await ssoSession();
    expect((await asSession(t, a, sso, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor).toMatchObject({ enabled: false, passkeys: 0, set_up_needs_password: true });
    const auth = new SoftAuthenticator();
    const credential = auth.register(await options(sso), { origin: a.origin });
    for (const body of [{}, { password: "Not the owner's password 1" }, { password: "" }]) {
      const r = await register(sso, credential, body);
      expect(r.status, r.text).toBe(422);
      expect(Object.keys(r.body.details ?? {})).toEqual(["password"]);
    }
    expect((await asSession(t, a, sso, "GET", "/api/v2/users/me/passkeys.json")).body.passkeys).toEqual([]);
    // The wrong one counted toward the owner's lockout and was audited.
    expect(await failedSignins()).toBe(1);
    expect((await proofsFailed()).map((l) => l.changed_fields)).toEqual([["password"]]);
    const added = await register(sso, credential, { password: a.ownerPassword });
    expect(added.status, added.text).toBe(201);
    expect(added.body.passkey.name).toBe("Spare key");
    expect(added.body.recovery_codes).toHaveLength(10);
    expect((await asSession(t, a, sso, "GET", "/api/v2/users/me/two_factor.json")).body.two_factor).toMatchObject({ passkeys: 1, set_up_needs_password: false });

    // The passkey is the owner's way in again: their password, then the passkey.
    const step = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword } });
    expect(step.status, step.text).toBe(202);
    expect(step.body.methods).toContain("passkey");
    const o = await t.request({ method: "POST", path: "/api/v2/session/two_factor/passkey/options.json", host: a.host, body: { challenge: step.body.challenge } });
    expect(o.status, o.text).toBe(200);
    const done = await t.request({ method: "POST", path: "/api/v2/session/two_factor/passkey.json", host: a.host, body: { challenge: step.body.challenge, credential: auth.assert(o.body.options, { origin: a.origin }) } });
    expect(done.status, done.text).toBe(201);

    // With a way in again, their single sign-on session adds no further passkey, password or not.
    refused(await asSession(t, a, sso, "POST", "/api/v2/users/me/passkeys/options.json"));
    const more = await options(await sessionOfCookie(a, cookieOf(done.headers)));
    refused(await register(sso, new SoftAuthenticator().register(more, { origin: a.origin }), { password: a.ownerPassword }));
  });

  it("ignores a password from an end user adding a passkey (their recent sign-in is the proof)", async () => {
    const a = await buildTenant(t, "recentpkeu");
    const u = await buildUser(t, a, "end-user", "Customer");
    const s = await signInByMail(t, smtp, a, u.email);
    const o = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys/options.json");
    expect(o.status, o.text).toBe(200);
    const r = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { credential: new SoftAuthenticator().register(o.body.options, { origin: a.origin }) }, password: "Anything at all 1" });
    expect(r.status, r.text).toBe(201);
    expect((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs.some((l: Json) => l.action === "user.two_factor_proof_failed")).toBe(false);
  });
});
