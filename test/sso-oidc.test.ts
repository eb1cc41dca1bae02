import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import * as jose from "jose";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { cookieOf } from "./support/people.ts";
import { startOidcProvider, startRogueIssuer, type Account, type OidcIdp, type RogueIssuer } from "./support/oidc-idp.ts";

/**
 * OpenID Connect sign-in against a real identity provider (oidc-provider, on 127.0.0.1 in this
 * process), driven over real HTTP as a browser does: redirects followed by hand, cookies carried
 * for each site. The attacks named in docs/security-model.md ("OpenID Connect") are tests here,
 * each with its answer; forged ID tokens come from a rogue issuer whose token endpoint the test
 * controls (a real provider never signs them).
 */

let t: TestApp;
let A: TestTenant;
let B: TestTenant;
let R: TestTenant;
/** A tenant whose provider states `auth_time` in every ID token. */
let T: TestTenant;
let idp: OidcIdp;
let rogue: RogueIssuer;
const SECRET = { a: crypto.randomBytes(24).toString("base64url"), b: crypto.randomBytes(24).toString("base64url"), r: crypto.randomBytes(24).toString("base64url"), t: crypto.randomBytes(24).toString("base64url") };

type Jar = Map<string, string>;
function absorb(jar: Jar, setCookies: string[] | undefined): void {
  for (const c of setCookies ?? []) {
    const pair = c.split(";")[0]!;
    const i = pair.indexOf("=");
    const [k, v] = [pair.slice(0, i).trim(), pair.slice(i + 1)];
    if (!v || /expires=Thu, 01 Jan 1970/i.test(c) || /max-age=0/i.test(c)) jar.delete(k);
    else jar.set(k, v);
  }
}
const cookieHeader = (jar: Jar) => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

/** A browser: one jar for Vaultdesk's site, one for the identity provider's. */
type Browser = { vd: Jar; idp: Jar };
const browser = (): Browser => ({ vd: new Map(), idp: new Map() });

/** The binding cookie each browser got last (to put back in a replay). */
const bindingOf = new Map<Browser, string>();

async function startLogin(tenant: TestTenant, b: Browser, returnTo?: string, reauth = false): Promise<URL> {
  const q = new URLSearchParams({ ...(returnTo ? { return_to: returnTo } : {}), ...(reauth ? { reauth: "1" } : {}) }).toString();
  const r = await t.request({ method: "GET", path: `/access/oidc/login${q ? `?${q}` : ""}`, host: tenant.host, headers: { cookie: cookieHeader(b.vd) } });
  expect(r.status, r.text).toBe(303);
  absorb(b.vd, r.headers["set-cookie"]);
  bindingOf.set(b, b.vd.get("vd_oidc")!);
  return new URL(r.headers.location!);
}

/** Follows the provider's redirects (sign-in and consent answered for `signInAs`) back to our callback. */
async function atProvider(start: URL, b: Browser): Promise<URL> {
  let url = start;
  for (let hop = 0; hop < 12; hop++) {
    if (url.pathname === "/access/oidc/callback") return url;
    const res = await fetch(url, { redirect: "manual", headers: { cookie: cookieHeader(b.idp) } });
    absorb(b.idp, res.headers.getSetCookie());
    const loc = res.headers.get("location");
    if (!loc) throw new Error(`the identity provider answered ${res.status} without a redirect: ${(await res.text()).slice(0, 300)}`);
    url = new URL(loc, url);
  }
  throw new Error("too many redirects at the identity provider");
}

function callback(tenant: TestTenant, b: Browser, cb: URL) {
  return t.request({ method: "GET", path: cb.pathname + cb.search, host: tenant.host, headers: { cookie: cookieHeader(b.vd) } }).then((r) => {
    absorb(b.vd, r.headers["set-cookie"]);
    return r;
  });
}

/** The whole sign-in of `account` at tenant A's provider; the callback's answer and its URL. */
async function signInFlow(tenant: TestTenant, account: Account, b = browser(), returnTo?: string) {
  idp.signInAs(account);
  const cb = await atProvider(await startLogin(tenant, b, returnTo), b);
  return { res: await callback(tenant, b, cb), cb, b };
}

async function refused(res: Awaited<ReturnType<typeof callback>>, reason: string): Promise<void> {
  expect(res.status, res.text).toBe(401);
  expect(res.body.description).toContain(`(${reason})`);
  expect((res.headers["set-cookie"] ?? []).some((c) => c.startsWith("vd_session="))).toBe(false);
}

let serial = 0;
const person = (tenant: TestTenant, extra: Partial<Account> = {}): Account => {
  const n = ++serial;
  return { sub: `idp-user-${n}-${crypto.randomBytes(3).toString("hex")}`, email: `p${n}-${crypto.randomBytes(2).toString("hex")}@${tenant.subdomain}.test`, email_verified: true, name: `Person ${n}`, ...extra };
};

async function setUp(tenant: TestTenant, issuer: string, clientId: string, secret: string): Promise<void> {
  const r = await tenant.api("PUT", "/api/v2/sso/oidc.json", { oidc: { enabled: true, issuer, client_id: clientId, client_secret: secret, scopes: "openid email profile groups" } });
  expect(r.status, r.text).toBe(200);
  const s = await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "oidc", end_user_provider: "oidc", jit_users: true, role_attribute: "groups", role_map: { agent: ["helpdesk"] } } });
  expect(s.status, s.text).toBe(200);
}

beforeAll(async () => {
  t = await startTestApp();
  [A, B, R, T] = [await buildTenant(t, "oidca"), await buildTenant(t, "oidcb"), await buildTenant(t, "oidcr"), await buildTenant(t, "oidct")];
  const cb = (x: TestTenant) => `${x.origin}/access/oidc/callback`;
  idp = await startOidcProvider([
    { client_id: "vaultdesk-a", client_secret: SECRET.a, redirect_uri: cb(A) },
    { client_id: "vaultdesk-b", client_secret: SECRET.b, redirect_uri: cb(B) },
    { client_id: "vaultdesk-t", client_secret: SECRET.t, redirect_uri: cb(T), require_auth_time: true },
  ]);
  rogue = await startRogueIssuer();
  await setUp(A, idp.issuer, "vaultdesk-a", SECRET.a);
  await setUp(B, idp.issuer, "vaultdesk-b", SECRET.b);
  await setUp(R, rogue.issuer, "vaultdesk-r", SECRET.r);
  await setUp(T, idp.issuer, "vaultdesk-t", SECRET.t);
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
  await rogue?.close();
});

async function failures(tenant: TestTenant): Promise<string[][]> {
  const r = await tenant.api("GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed&per_page=100");
  return (r.body.audit_logs as Array<{ changed_fields: string[] }>).map((x) => x.changed_fields);
}

describe("OpenID Connect sign-in with oidc-provider", () => {
  it("sends the browser to the provider with PKCE (S256), state, nonce and the configured redirect URI", async () => {
    const to = await startLogin(A, browser());
    expect(to.origin).toBe(idp.issuer);
    const q = to.searchParams;
    expect(q.get("client_id")).toBe("vaultdesk-a");
    expect(q.get("response_type")).toBe("code");
    expect(q.get("redirect_uri")).toBe(`${A.origin}/access/oidc/callback`);
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get("state")!.length).toBeGreaterThanOrEqual(32);
    expect(q.get("nonce")!.length).toBeGreaterThanOrEqual(32);
    // A forged Host cannot move the redirect URI: it comes from configuration.
    const forged = await t.request({ method: "GET", path: "/access/oidc/login", host: A.host, headers: { "x-forwarded-host": "evil.test" } });
    expect(new URL(forged.headers.location!).searchParams.get("redirect_uri")).toBe(`${A.origin}/access/oidc/callback`);
  });

  it("signs a new person in: created just in time with the mapped role, cookie set, to the workspace", async () => {
    const who = person(A, { groups: ["helpdesk"] });
    const { res } = await signInFlow(A, who);
    expect(res.status, res.text).toBe(303);
    expect(res.headers.location).toBe("/agent");
    const cookie = cookieOf(res.headers);
    const me = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: A.host, headers: { cookie } });
    expect(me.body.user).toMatchObject({ email: who.email, name: who.name, role: "agent" });
    const sessions = await t.request({ method: "GET", path: "/api/v2/users/me/sessions.json", host: A.host, headers: { cookie } });
    expect(JSON.stringify(sessions.body)).toContain("oidc");
    // An end user (no mapped group) lands on the help center, and a safe return_to is followed.
    const later = await signInFlow(A, person(A), browser(), "/requests/new?from=sso");
    expect(later.res.status, later.res.text).toBe(303);
    expect(later.res.headers.location).toBe("/requests/new?from=sso");
    const away = await signInFlow(A, person(A), browser(), "https://evil.test/");
    expect(away.res.headers.location).toBe("/");
  });

  it("refuses a missing, wrong or replayed state, and a state from another browser", async () => {
    await refused(await callback(A, browser(), new URL("http://x/access/oidc/callback?code=abc")), "invalid_state");
    await refused(await callback(A, browser(), new URL(`http://x/access/oidc/callback?code=abc&state=${crypto.randomBytes(32).toString("base64url")}`)), "invalid_state");
    const { res, cb, b } = await signInFlow(A, person(A));
    expect(res.status).toBe(303);
    // The same answer again, with the browser's binding cookie put back as it was.
    const replay = browser();
    replay.vd.set("vd_oidc", bindingOf.get(b)!);
    await refused(await callback(A, replay, cb), "invalid_state");
    // A state started in one browser and brought to another (login CSRF): no binding cookie.
    const victim = browser();
    idp.signInAs(person(A));
    const attackerB = browser();
    const cb2 = await atProvider(await startLogin(A, attackerB), attackerB);
    await refused(await callback(A, victim, cb2), "invalid_state");
  });

  it("refuses a code used before (under a new state)", async () => {
    const { res, cb } = await signInFlow(A, person(A));
    expect(res.status).toBe(303);
    const b = browser();
    const fresh = await startLogin(A, b);
    const reused = new URL(cb);
    reused.searchParams.set("state", fresh.searchParams.get("state")!);
    await refused(await callback(A, b, reused), "code_rejected");
  });

  it("refuses another tenant's state: looked up in the host's tenant only, and left usable there", async () => {
    const b = browser();
    idp.signInAs(person(A));
    const cb = await atProvider(await startLogin(A, b), b);
    // B's site gets its own cookies (another host): the answer there does not touch A's.
    const atB = await t.request({ method: "GET", path: cb.pathname + cb.search, host: B.host, headers: { cookie: cookieHeader(b.vd) } });
    await refused(atB, "invalid_state");
    const own = await callback(A, b, cb);
    expect(own.status, own.text).toBe(303);
  });

  it("refuses an e-mail address the provider has not verified, and the provider's error answer", async () => {
    await refused((await signInFlow(A, person(A, { email_verified: false }))).res, "email_unverified");
    const b = browser();
    const to = await startLogin(A, b);
    await refused(await callback(A, b, new URL(`http://x/access/oidc/callback?error=access_denied&state=${to.searchParams.get("state")}`)), "provider_error");
  });

  it("refuses an address the provider does not say is verified unless the admin allows it: an unverified address never signs in as the person who has it here", async () => {
    const agent = await buildUser(t, A, "agent");
    // The provider sends no email_verified for an address it let its user type: refused by default.
    await refused((await signInFlow(A, person(A, { email: agent.email, email_verified: undefined }))).res, "email_unverified");
    expect((await A.api("GET", "/api/v2/sso/oidc.json")).body.oidc.email_verified_required).toBe(true);
    const set = (extra: Record<string, unknown>) => A.api("PUT", "/api/v2/sso/oidc.json", { oidc: { enabled: true, issuer: idp.issuer, client_id: "vaultdesk-a", ...extra } });
    expect((await set({ email_verified_required: "no" })).status).toBe(422);
    try {
      // Off (a provider that never sends it): accepted; kept when saved again without it.
      const off = await set({ email_verified_required: false });
      expect(off.status, off.text).toBe(200);
      expect(off.body.oidc.email_verified_required).toBe(false);
      expect((await set({})).body.oidc.email_verified_required).toBe(false);
      expect((await signInFlow(A, person(A, { email_verified: undefined }))).res.status).toBe(303);
      // A provider that says false is refused whatever the setting.
      await refused((await signInFlow(A, person(A, { email_verified: false }))).res, "email_unverified");
      // On, with the address from another claim (email_verified is about `email` only): the admin chose that claim.
      expect((await set({ email_verified_required: true, email_claim: "name" })).status).toBe(200);
      const named = person(A, { email_verified: undefined });
      named.name = `n-${named.email}`;
      expect((await signInFlow(A, named)).res.status).toBe(303);
    } finally {
      expect((await set({ email_verified_required: true, email_claim: "email" })).status).toBe(200);
    }
    await refused((await signInFlow(A, person(A, { email_verified: undefined }))).res, "email_unverified");
  });

  it("refuses a suspended person with 403, audited", async () => {
    const who = person(A);
    const u = await A.api("POST", "/api/v2/users.json", { user: { name: "Sus Pended", email: who.email } });
    expect((await A.api("PUT", `/api/v2/users/${u.body.user.id}.json`, { user: { suspended: true } })).status).toBe(200);
    const { res } = await signInFlow(A, who);
    expect(res.status, res.text).toBe(403);
    expect(res.body.description).toBe("This account cannot sign in; ask an admin.");
    const f = await failures(A);
    expect(f.every((x) => x.includes("oidc"))).toBe(true);
    for (const reason of ["invalid_state", "code_rejected", "email_unverified", "provider_error", "unavailable"]) expect(f.some((x) => x.includes(reason)), reason).toBe(true);
  });
});

describe("OpenID Connect: forged ID tokens (a rogue issuer's token endpoint)", () => {
  /** Starts a sign-in at R, has the rogue token endpoint answer `forge`'s token, and returns the callback's answer. */
  async function withToken(forge: (c: { issuer: string; nonce: string; key: jose.CryptoKey }) => Promise<string>) {
    const b = browser();
    const to = await startLogin(R, b);
    rogue.expectNonce(to.searchParams.get("nonce")!);
    rogue.forge(forge);
    return callback(R, b, new URL(`http://x/access/oidc/callback?code=rogue-code&state=${to.searchParams.get("state")}`));
  }
  const claims = (issuer: string, nonce: string, extra: Record<string, unknown> = {}) => ({ iss: issuer, aud: "vaultdesk-r", sub: `rogue-${crypto.randomUUID()}`, nonce, email: `r${++serial}@${R.subdomain}.test`, email_verified: true, ...extra });
  const sign = (body: Record<string, unknown>, key: jose.CryptoKey, kid = "rogue-1") => new jose.SignJWT(body).setProtectedHeader({ alg: "RS256", kid }).setIssuedAt().setExpirationTime("5m").sign(key);

  it("accepts a well-formed token (the control)", async () => {
    const res = await withToken(({ issuer, nonce, key }) => sign(claims(issuer, nonce), key));
    expect(res.status, res.text).toBe(303);
  });

  it("takes the time of authentication from the signed ID token only, never from the unsigned UserInfo answer", async () => {
    const recent = async (res: Awaited<ReturnType<typeof withToken>>) => {
      expect(res.status, res.text).toBe(303);
      const cookie = cookieOf(res.headers);
      const s = await t.request({ method: "GET", path: "/api/v2/session.json", host: R.host, headers: { cookie } });
      return (await t.request({ method: "POST", path: "/api/v2/users/me/passkeys/options.json", host: R.host, headers: { cookie, "x-csrf-token": s.body.session.csrf_token } })).status;
    };
    const now = Math.floor(Date.now() / 1000);
    rogue.userinfo({ auth_time: now });
    try {
      expect(await recent(await withToken(({ issuer, nonce, key }) => sign(claims(issuer, nonce), key)))).toBe(403);
      // The control: the same time in the ID token counts.
      expect(await recent(await withToken(({ issuer, nonce, key }) => sign(claims(issuer, nonce, { auth_time: now }), key)))).toBe(200);
    } finally {
      rogue.userinfo({});
    }
  });

  it("refuses a wrong nonce", async () => {
    await refused(await withToken(({ issuer, key }) => sign(claims(issuer, "another-nonce"), key)), "id_token_rejected");
  });

  it("refuses a token for another client (audience)", async () => {
    await refused(await withToken(({ issuer, nonce, key }) => sign(claims(issuer, nonce, { aud: "another-client" }), key)), "id_token_rejected");
  });

  it("refuses a token from another issuer", async () => {
    await refused(await withToken(({ nonce, key }) => sign(claims("https://other-issuer.test", nonce), key)), "id_token_rejected");
  });

  it("refuses a token signed by a key not in the provider's JWKS (same kid), and an unsigned one", async () => {
    const { privateKey } = await jose.generateKeyPair("RS256");
    await refused(await withToken(({ issuer, nonce }) => sign(claims(issuer, nonce), privateKey)), "id_token_rejected");
    await refused(await withToken(async ({ issuer, nonce }) => new jose.UnsecuredJWT(claims(issuer, nonce)).setIssuedAt().setExpirationTime("5m").encode()), "id_token_rejected");
  });

  it("refuses an expired token", async () => {
    await refused(await withToken(({ issuer, nonce, key }) => new jose.SignJWT(claims(issuer, nonce)).setProtectedHeader({ alg: "RS256", kid: "rogue-1" }).setIssuedAt(Math.floor(Date.now() / 1000) - 3600).setExpirationTime(Math.floor(Date.now() / 1000) - 1800).sign(key)), "id_token_rejected");
  });
});

describe("OpenID Connect settings", () => {
  it("keeps the client secret write-only and sealed, and the settings to admins", async () => {
    const shown = await A.api("GET", "/api/v2/sso/oidc.json");
    expect(shown.status).toBe(200);
    expect(shown.body.oidc).toMatchObject({ enabled: true, issuer: idp.issuer, client_id: "vaultdesk-a", client_secret_set: true, redirect_uri: `${A.origin}/access/oidc/callback` });
    expect(shown.text).not.toContain(SECRET.a);
    const stored = await t.db.tenant(A.tenantId, async (tx) => (await sql<{ c: Buffer }>`SELECT config_sealed AS c FROM sso_providers WHERE kind = 'oidc'`.execute(tx.db)).rows[0]!.c);
    expect(Buffer.from(stored).includes(Buffer.from(SECRET.a))).toBe(false);
    // Saved again without the secret: kept. A new issuer without one: refused, nothing changed.
    expect((await A.api("PUT", "/api/v2/sso/oidc.json", { oidc: { enabled: true, issuer: idp.issuer, client_id: "vaultdesk-a" } })).status).toBe(200);
    const moved = await A.api("PUT", "/api/v2/sso/oidc.json", { oidc: { enabled: true, issuer: "https://idp.example.test", client_id: "vaultdesk-a" } });
    expect(moved.status, moved.text).toBe(422);
    const plain = await A.api("PUT", "/api/v2/sso/oidc.json", { oidc: { enabled: true, issuer: "http://idp.example.test", client_id: "x", client_secret: "y" } });
    expect(plain.status, plain.text).toBe(422);
    expect((await signInFlow(A, person(A))).res.status).toBe(303);
    const agent = await buildUser(t, A, "agent");
    const as = { email: agent.email, token: agent.token! };
    expect((await A.api("GET", "/api/v2/sso/oidc.json", undefined, as)).status).toBe(403);
    expect((await A.api("PUT", "/api/v2/sso/oidc.json", { oidc: { enabled: false, issuer: idp.issuer, client_id: "x", client_secret: "y" } }, as)).status).toBe(403);
  });

  it("answers 503 with a reason when the provider cannot be reached or its discovery document names another issuer", async () => {
    const D = await buildTenant(t, "oidcd");
    const closed = await new Promise<number>((resolve) => {
      const s = http.createServer();
      s.listen(0, "127.0.0.1", () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    await setUp(D, `http://127.0.0.1:${closed}`, "vaultdesk-d", "secret-d");
    const down = await t.request({ method: "GET", path: "/access/oidc/login", host: D.host });
    expect(down.status, down.text).toBe(503);
    expect(down.body.description).toContain("(provider_unreachable)");
    // A document that claims to be another issuer's (a mix-up): refused before any browser is sent there.
    const liar = http.createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ issuer: idp.issuer, authorization_endpoint: `${idp.issuer}/auth`, token_endpoint: `${idp.issuer}/token`, jwks_uri: `${idp.issuer}/jwks`, response_types_supported: ["code"] }));
    });
    await new Promise<void>((resolve) => liar.listen(0, "127.0.0.1", resolve));
    try {
      await setUp(D, `http://127.0.0.1:${(liar.address() as AddressInfo).port}`, "vaultdesk-d", "secret-d");
      const mixed = await t.request({ method: "GET", path: "/access/oidc/login", host: D.host });
      expect(mixed.status, mixed.text).toBe(503);
      expect(mixed.body.description).toContain("(provider_misconfigured)");
    } finally {
      await new Promise<void>((resolve) => liar.close(() => resolve()));
    }
  });

  it("answers 404 where OpenID Connect is not set up", async () => {
    const C = await buildTenant(t, "oidcc");
    const r = await t.request({ method: "GET", path: "/access/oidc/login", host: C.host });
    expect(r.status).toBe(404);
    expect(typeof r.body.error).toBe("string");
  });
});

describe("a recent sign-in through the provider", () => {
  /** A step that needs a sign-in within the last 15 minutes (the first of adding a passkey), on the browser's session. */
  async function recentStep(tenant: TestTenant, b: Browser) {
    const cookie = cookieHeader(b.vd);
    const s = await t.request({ method: "GET", path: "/api/v2/session.json", host: tenant.host, headers: { cookie } });
    expect(s.status, s.text).toBe(200);
    return t.request({ method: "POST", path: "/api/v2/users/me/passkeys/options.json", host: tenant.host, headers: { cookie, "x-csrf-token": s.body.session.csrf_token } });
  }
  const notRecent = (r: Awaited<ReturnType<typeof recentStep>>) => {
    expect(r.status, r.text).toBe(403);
    expect(r.body.error).toBe("RecentSignInRequired");
  };

  it("counts from when the provider says the person authenticated: a sign-in it answers from an hour-old one of its own is not recent", async () => {
    const who = person(T, { groups: ["helpdesk"] });
    idp.signInAs(who, { secondsAgo: 3600 });
    const b = browser();
    const res = await callback(T, b, await atProvider(await startLogin(T, b), b));
    expect(res.status, res.text).toBe(303);
    notRecent(await recentStep(T, b));
    // The control: authenticated at the provider just now.
    const fresh = person(T, { groups: ["helpdesk"] });
    idp.signInAs(fresh);
    const b2 = browser();
    expect((await callback(T, b2, await atProvider(await startLogin(T, b2), b2))).status).toBe(303);
    expect((await recentStep(T, b2)).status).toBe(200);
  });

  it("signing in again asks the provider to authenticate anew (prompt=login, max_age=0): the provider's own session is not enough", async () => {
    const who = person(T, { groups: ["helpdesk"] });
    idp.signInAs(who, { secondsAgo: 3600 });
    const b = browser();
    expect((await callback(T, b, await atProvider(await startLogin(T, b), b))).status).toBe(303);
    notRecent(await recentStep(T, b));
    // Without reauth, the provider answers from its own session: no sign-in page, the same old time.
    const seen = idp.logins.length;
    expect((await callback(T, b, await atProvider(await startLogin(T, b), b))).status).toBe(303);
    expect(idp.logins.length).toBe(seen);
    notRecent(await recentStep(T, b));
    // With it, the provider's sign-in page asks again, and the session counts from then.
    const to = await startLogin(T, b, "/agent/settings/security", true);
    expect(to.searchParams.get("prompt")).toBe("login");
    expect(to.searchParams.get("max_age")).toBe("0");
    idp.signInAs(who);
    const res = await callback(T, b, await atProvider(to, b));
    expect(res.status, res.text).toBe(303);
    expect(res.headers.location).toBe("/agent/settings/security");
    expect(idp.logins.at(-1)?.prompt).toBe("login");
    expect((await recentStep(T, b)).status).toBe(200);
    // A reauth value other than 1 is refused with a 4xx.
    const bad = await t.request({ method: "GET", path: "/access/oidc/login?reauth=yes", host: T.host });
    expect(bad.status, bad.text).toBe(422);
  });

  it("is never recent when the provider does not say when the person authenticated, until they sign in again", async () => {
    // Tenant A's client states auth_time only when asked (max_age).
    const who = person(A, { groups: ["helpdesk"] });
    const { res, b } = await signInFlow(A, who);
    expect(res.status, res.text).toBe(303);
    notRecent(await recentStep(A, b));
    idp.signInAs(who);
    expect((await callback(A, b, await atProvider(await startLogin(A, b, undefined, true), b))).status).toBe(303);
    expect((await recentStep(A, b)).status).toBe(200);
  });
});
