import crypto from "node:crypto";
import * as jose from "jose";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, cookieOf, PASSWORD, signIn, staffWithPassword, type Session } from "./support/people.ts";
import { encode, requestIdOf, responseXml } from "./support/saml-forge.ts";
import { makeKeyPair } from "./support/simplesamlphp.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * An attacker's pass over single sign-on and sign-in (docs/security-model.md, Authentication):
 * where the browser is sent after signing in, what a hostile request to a sign-in route gets,
 * what a SAML identity provider the attacker partly controls can write into an account, "SSO only"
 * against a sign-in begun before it, and the wrong-password budget against one attacker. Over
 * real HTTP; the customer's application (jose) and a SAML identity provider (keys made here,
 * responses signed with node-saml's own signing) are played by the test.
 */

let t: TestApp;
let clock = Date.now();
const idpKeys = makeKeyPair("attack-suite IdP");
const IDP = "https://idp.attack.test/entity";

beforeAll(async () => {
  // No rate limits here: the suite sends many hostile sign-ins a minute (the budget's own tests below start apps with them).
  t = await startTestApp({ now: () => new Date(clock), rateLimiter: { hit: () => ({ allowed: true, remaining: 1, resetSeconds: 60 }), peek: () => ({ allowed: true, remaining: 1, resetSeconds: 60 }) } });
});
afterAll(async () => t?.close());

type Res = Awaited<ReturnType<TestApp["request"]>>;
const nowS = () => Math.floor(clock / 1000);

/** A tenant whose end users and staff sign in with JWT (just in time, roles from `role`). */
async function jwtTenant(prefix: string): Promise<{ tenant: TestTenant; secret: string }> {
  const tenant = await buildTenant(t, prefix);
  const secret = crypto.randomBytes(32).toString("base64url");
  const r = await tenant.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", shared_secret: secret } });
  expect(r.status, r.text).toBe(200);
  const s = await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { end_user_provider: "jwt", jit_users: true } });
  expect(s.status, s.text).toBe(200);
  return { tenant, secret };
}

const jwtOf = (secret: string, claims: Record<string, unknown>) =>
  new jose.SignJWT({ iat: nowS(), jti: crypto.randomUUID(), ...claims }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));

function postJwt(tenant: TestTenant, jwt: string, returnTo?: string, headers: Record<string, string> = {}): Promise<Res> {
  const form = new URLSearchParams({ jwt, ...(returnTo !== undefined ? { return_to: returnTo } : {}) }).toString();
  return t.request({ method: "POST", path: "/access/jwt", host: tenant.host, rawBody: form, headers: { "content-type": "application/x-www-form-urlencoded", ...headers } });
}

/** A tenant whose end users sign in with SAML (an IdP whose key the test holds). */
async function samlTenant(prefix: string): Promise<{ tenant: TestTenant; acsUrl: string; entityId: string }> {
  const tenant = await buildTenant(t, prefix);
  const r = await tenant.api("PUT", "/api/v2/sso/saml.json", { saml: { enabled: true, idp_entity_id: IDP, idp_sso_url: "https://idp.attack.test/sso", idp_certificates: [idpKeys.cert], email_attribute: "email", name_attribute: "displayName", signed: "assertion" } });
  expect(r.status, r.text).toBe(200);
  const s = await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { end_user_provider: "saml", jit_users: true } });
  expect(s.status, s.text).toBe(200);
  return { tenant, acsUrl: r.body.saml.acs_url, entityId: r.body.saml.sp_entity_id };
}

/** A whole SAML sign-in in one browser: start (with return_to), the IdP's signed answer, the last step. */
async function samlSignIn(s: Awaited<ReturnType<typeof samlTenant>>, who: { email: string; name: string }, returnTo?: string): Promise<Res> {
  const start = await t.request({ method: "GET", path: `/access/saml/login${returnTo === undefined ? "" : `?return_to=${encodeURIComponent(returnTo)}`}`, host: s.tenant.host });
  expect(start.status, start.text).toBe(303);
  const binding = (start.headers["set-cookie"] ?? []).find((c) => c.startsWith("vd_saml="))!.split(";")[0]!;
  const xml = responseXml({ issuer: IDP, audience: s.entityId, recipient: s.acsUrl, destination: s.acsUrl, inResponseTo: requestIdOf(start.headers.location!), nameId: `sub-${who.email}`, email: who.email, name: who.name, sign: { key: idpKeys, parts: "assertion" } });
  const acs = await t.request({ method: "POST", path: "/access/saml", host: s.tenant.host, rawBody: new URLSearchParams({ SAMLResponse: encode(xml) }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
  expect(acs.status, acs.text).toBe(303);
  return t.request({ method: "GET", path: acs.headers.location!, host: s.tenant.host, headers: { cookie: binding } });
}

/** Where a browser that follows `location` from the tenant's page ends up. */
const landsOn = (tenant: TestTenant, location: string) => new URL(location, tenant.origin);

/** return_to values an attacker puts in a sign-in link to send the signed-in browser elsewhere. */
const HOSTILE_RETURNS = [
  "https://evil.test/",
  "//evil.test/",
  "/\\evil.test/",
  "\\\\evil.test/",
  "/\\/evil.test/",
  "/.//evil.test/",
  "/a/..//evil.test/",
  "/%2e%2e//evil.test/",
  "/%2e//evil.test/",
  "/./\\evil.test/",
  "/\t/evil.test/",
  "/\n/evil.test/",
  "/ /evil.test/",
  "javascript:alert(1)",
  "/\u2215\u2215evil.test/",
  "/%0d%0aSet-Cookie:%20vd_session=attacker",
];

describe("where the browser goes after signing in", () => {
  it("never leaves the tenant's origin, whatever return_to the JWT form carries (dot segments included)", async () => {
    const { tenant, secret } = await jwtTenant("ret");
    for (const value of HOSTILE_RETURNS) {
      const res = await postJwt(tenant, await jwtOf(secret, { email: `p${crypto.randomBytes(3).toString("hex")}@ret.test` }), value);
      expect(res.status, `${JSON.stringify(value)}: ${res.text}`).toBe(303);
      const location = res.headers.location!;
      expect(location.startsWith("/") && !location.startsWith("//") && !location.startsWith("/\\"), `${JSON.stringify(value)} → ${location}`).toBe(true);
      expect(landsOn(tenant, location).origin, JSON.stringify(value)).toBe(new URL(tenant.origin).origin);
      // Nothing the value carried became a header of its own.
      expect((res.headers["set-cookie"] ?? []).filter((c) => c.includes("attacker"))).toEqual([]);
    }
    // The control: a path of the site is kept.
    const ok = await postJwt(tenant, await jwtOf(secret, { email: "ok@ret.test" }), "/hc/requests?page=2#top");
    expect(ok.headers.location).toBe("/hc/requests?page=2#top");
  });

  it("the customer's application is handed the tenant's own address, never another site, by /access/jwt/login", async () => {
    const { tenant } = await jwtTenant("retlogin");
    for (const value of ["/.//evil.test/", "/a/..//evil.test/", "//evil.test/"]) {
      const res = await t.request({ method: "GET", path: `/access/jwt/login?return_to=${encodeURIComponent(value)}`, host: tenant.host });
      expect(res.status, res.text).toBe(303);
      const handed = new URL(res.headers.location!).searchParams.get("return_to")!;
      expect(handed, value).toBe(`${tenant.origin}/`);
    }
  });

  it("a SAML sign-in started with a dot-segment return_to lands on the tenant's own page", async () => {
    const s = await samlTenant("retsaml");
    const done = await samlSignIn(s, { email: "ret@saml.test", name: "Ret" }, "/.//evil.test/");
    expect(done.status, done.text).toBe(303);
    expect(done.headers.location).toBe("/");
  });
});

describe("hostile requests to the sign-in routes", () => {
  it("answer 4xx, never 500, and a browser's error page shows nothing it was sent", async () => {
    const { tenant } = await jwtTenant("fuzz");
    const s = await samlTenant("fuzzsaml");
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const big = "A".repeat(300_000);
    const xss = "<script>alert(1)</script>";
    const cases: Array<{ host: string; method: string; path: string; rawBody?: string; headers?: Record<string, string> }> = [
      // JWT: repeated and nested parameters, wrong content types, broken encodings, sizes.
      { host: tenant.host, method: "GET", path: "/access/jwt?jwt=a&jwt=b" },
      { host: tenant.host, method: "GET", path: "/access/jwt?jwt[a]=1&return_to[]=x" },
      { host: tenant.host, method: "GET", path: `/access/jwt?jwt=${encodeURIComponent(xss)}&return_to=${encodeURIComponent(xss)}` },
      { host: tenant.host, method: "GET", path: "/access/jwt?jwt=%zz%00" },
      { host: tenant.host, method: "GET", path: `/access/jwt?jwt=${"e".repeat(8000)}` },
      { host: tenant.host, method: "GET", path: "/access/jwt?jwt=eyJhbGciOiJIUzI1NiJ9.eyJ9.x" },
      { host: tenant.host, method: "GET", path: "/access/jwt?jwt=..&return_to=" },
      { host: tenant.host, method: "POST", path: "/access/jwt", rawBody: "jwt=a&jwt=b&return_to=/x&return_to=/y", headers: form },
      { host: tenant.host, method: "POST", path: "/access/jwt", rawBody: "jwt[a][b]=1", headers: form },
      { host: tenant.host, method: "POST", path: "/access/jwt", rawBody: "%zz=%", headers: form },
      { host: tenant.host, method: "POST", path: "/access/jwt", rawBody: `jwt=${big}`, headers: form },
      { host: tenant.host, method: "POST", path: "/access/jwt", rawBody: '{"jwt":"x"}', headers: { "content-type": "application/json" } },
      { host: tenant.host, method: "POST", path: "/access/jwt", rawBody: "jwt=x", headers: { "content-type": "text/plain" } },
      { host: tenant.host, method: "POST", path: "/access/jwt", rawBody: "--b\r\nContent-Disposition: form-data; name=jwt\r\n\r\nx\r\n--b--", headers: { "content-type": "multipart/form-data; boundary=b" } },
      { host: tenant.host, method: "POST", path: "/access/jwt", rawBody: "jwt=x" },
      { host: tenant.host, method: "GET", path: "/access/jwt/login?return_to=a&return_to=b" },
      { host: tenant.host, method: "GET", path: `/access/jwt/login?return_to=${"/".repeat(5000)}` },
      // OIDC, not set up here: its routes still answer 4xx to anything.
      { host: tenant.host, method: "GET", path: "/access/oidc/login?return_to[x]=1" },
      { host: tenant.host, method: "GET", path: "/access/oidc/callback?state=a&state=b&code[]=c" },
      { host: tenant.host, method: "GET", path: `/access/oidc/callback?state=${"s".repeat(600)}&code=x` },
      { host: tenant.host, method: "GET", path: "/access/oidc/callback?state=x&code=y&error=access_denied&iss=https://evil.test" },
      // SAML: garbage, arrays, sizes, XML bombs, the last step's token.
      { host: s.tenant.host, method: "POST", path: "/access/saml", rawBody: "SAMLResponse=a&SAMLResponse=b", headers: form },
      { host: s.tenant.host, method: "POST", path: "/access/saml", rawBody: "SAMLResponse[x]=1&RelayState[]=2", headers: form },
      { host: s.tenant.host, method: "POST", path: "/access/saml", rawBody: `SAMLResponse=${encodeURIComponent(Buffer.from(`<Response>${xss}</Response>`).toString("base64"))}&RelayState=${encodeURIComponent(xss)}`, headers: form },
      { host: s.tenant.host, method: "POST", path: "/access/saml", rawBody: `SAMLResponse=${encodeURIComponent(Buffer.from('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><Response>&b;</Response>').toString("base64"))}`, headers: form },
      { host: s.tenant.host, method: "POST", path: "/access/saml", rawBody: `SAMLResponse=${encodeURIComponent(Buffer.from("<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'><unclosed>").toString("base64"))}`, headers: form },
      { host: s.tenant.host, method: "POST", path: "/access/saml", rawBody: `SAMLResponse=${Buffer.from("\u0000\u0001Response").toString("base64")}`, headers: form },
      { host: s.tenant.host, method: "POST", path: "/access/saml", rawBody: `SAMLResponse=${big}`, headers: form },
      { host: s.tenant.host, method: "POST", path: "/access/saml", rawBody: '{"SAMLResponse":["x"]}', headers: { "content-type": "application/json" } },
      { host: s.tenant.host, method: "POST", path: "/access/saml", rawBody: "SAMLResponse=x", headers: { "content-type": "text/plain" } },
      { host: s.tenant.host, method: "GET", path: "/access/saml/login?return_to=a&return_to=b" },
      { host: s.tenant.host, method: "GET", path: `/access/saml/complete?token=${encodeURIComponent(xss)}` },
      { host: s.tenant.host, method: "GET", path: "/access/saml/complete?token=a&token=b" },
      { host: s.tenant.host, method: "GET", path: `/access/saml/complete?token=${"A".repeat(43)}` },
      { host: s.tenant.host, method: "GET", path: "/access/saml/complete" },
    ];
    for (const c of cases) {
      for (const accept of ["application/json", "text/html,application/xhtml+xml"]) {
        const res = await t.request({ method: c.method, path: c.path, host: c.host, ...(c.rawBody !== undefined ? { rawBody: c.rawBody } : {}), headers: { accept, ...c.headers } });
        const what = `${c.method} ${c.path.slice(0, 120)} ${c.headers?.["content-type"] ?? ""} (${accept.slice(0, 9)})`;
        expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
        expect(res.text, what).not.toContain("<script>alert");
        expect(res.headers["set-cookie"]?.some((x) => x.startsWith("vd_session=")) ?? false, what).toBe(false);
      }
    }
  });

  it("a refusal's page is in the browser's language, says the reason code, and reflects no hostile Accept-Language", async () => {
    const { tenant, secret } = await jwtTenant("pagelang");
    const s = await samlTenant("pagelangsaml");
    const page = async (host: string, method: string, path: string, acceptLanguage: string | undefined, rawBody?: string) => {
      const r = await t.request({ method, path, host, ...(rawBody !== undefined ? { rawBody, headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html", ...(acceptLanguage !== undefined ? { "accept-language": acceptLanguage } : {}) } } : { headers: { accept: "text/html", ...(acceptLanguage !== undefined ? { "accept-language": acceptLanguage } : {}) } }) });
      expect(r.headers["content-type"]).toMatch(/^text\/html/);
      expect(r.headers["vary"]).toMatch(/Accept-Language/);
      return r;
    };
    // A token signed with another secret: refused as a token, in Japanese.
    const forged = await jwtOf(secret.split("").reverse().join(""), { email: `x@${tenant.subdomain}.test`, name: "X" });
    const ja = await page(tenant.host, "GET", `/access/jwt?jwt=${forged}`, "ja,en;q=0.8");
    expect(ja.status).toBe(401);
    expect(ja.text).toContain('<html lang="ja">');
    expect(ja.text).toContain("<h1>サインインできませんでした</h1>");
    expect(ja.text).toMatch(/<code>invalid_token<\/code>/);
    expect(ja.text).toContain('<span lang="en">Single sign-on was refused (invalid_token)');
    // The same in Swedish, Korean (a SAML answer that cannot be read), Chinese for a Taiwanese browser, English otherwise.
    expect((await page(tenant.host, "GET", `/access/jwt?jwt=${forged}`, "sv-SE")).text).toContain("<h1>Inloggningen misslyckades</h1>");
    const ko = await page(s.tenant.host, "POST", "/access/saml", "ko-KR", `SAMLResponse=${encodeURIComponent(Buffer.from("<nope/>").toString("base64"))}`);
    expect(ko.status).toBe(401);
    expect(ko.text).toContain("<h1>로그인하지 못했습니다</h1>");
    expect(ko.text).toMatch(/<code>saml_[a-z_]+<\/code>/);
    expect((await page(tenant.host, "GET", `/access/jwt?jwt=${forged}`, "zh-TW,zh;q=0.9")).text).toContain("<h1>登录未成功</h1>");
    const en = await page(tenant.host, "GET", `/access/jwt?jwt=${forged}`, undefined);
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain("<p>The identity provider&#39;s answer was refused. If this goes on, give your administrator the reason code below.</p>");
    expect(en.text).toContain('<p>Details: <span lang="en">Single sign-on was refused (invalid_token). Start again from the sign-in page.</span></p>');
    // A hostile header reads as English and is not written into the page.
    const hostile = await page(tenant.host, "GET", `/access/jwt?jwt=${forged}`, '"><script>alert(1)</script>');
    expect(hostile.text).toContain('<html lang="en">');
    expect(hostile.text).not.toContain("<script>");
    // The last step's refusals too: an end user's provider asked to sign in the owner (another group).
    const owner = await page(tenant.host, "GET", `/access/jwt?jwt=${await jwtOf(secret, { email: tenant.ownerEmail, name: "Owner" })}`, "ja");
    expect(owner.status).toBe(403);
    expect(owner.text).toContain("この方法ではここにサインインできません");
    expect(owner.text).toMatch(/<code>wrong_group<\/code>/);
  });
});

/** Sets up an authenticator app for the person signed in as `s`; answers a function giving a fresh code. */
async function enrolTotp(tenant: TestTenant, s: Session): Promise<() => string> {
  const start = await asSession(t, tenant, s, "POST", "/api/v2/users/me/two_factor/totp.json");
  expect(start.status, start.text).toBe(201);
  const totp = new TOTP({ secret: Secret.fromBase32(start.body.totp.secret), algorithm: "SHA1", digits: 6, period: 30 });
  const confirm = await asSession(t, tenant, s, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: totp.generate({ timestamp: clock }) });
  expect(confirm.status, confirm.text).toBe(200);
  return () => {
    // Each code once: the next time step.
    clock += 30_000;
    return totp.generate({ timestamp: clock });
  };
}

describe("SSO only", () => {
  it("also ends a staff sign-in that was waiting for its second factor when it was turned on", async () => {
    const { tenant } = await jwtTenant("ssoonly2fa");
    const owner = await signIn(t, tenant, tenant.ownerEmail, tenant.ownerPassword);
    await enrolTotp(tenant, owner);
    const agent = await staffWithPassword(t, tenant, "agent");
    const agentCode = await enrolTotp(tenant, agent.session);
    // The agent's password, before staff are sent to the identity provider only: a challenge.
    const first = await t.request({ method: "POST", path: "/api/v2/session.json", host: tenant.host, body: { email: agent.email, password: PASSWORD } });
    expect(first.status, first.text).toBe(202);
    const on = await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } });
    expect(on.status, on.text).toBe(200);
    const second = await t.request({ method: "POST", path: "/api/v2/session/two_factor.json", host: tenant.host, body: { challenge: first.body.challenge, code: agentCode() } });
    expect(second.status, second.text).toBe(401);
    expect(second.headers["set-cookie"]?.some((c) => c.startsWith("vd_session=")) ?? false).toBe(false);
    // The owner's way in (password, then a second factor) stays open.
    const owner2 = await t.request({ method: "POST", path: "/api/v2/session.json", host: tenant.host, body: { email: tenant.ownerEmail, password: tenant.ownerPassword } });
    expect(owner2.status, owner2.text).toBe(202);
  });

  it("also ends a staff sign-in waiting for a passkey as its second factor when it was turned on", async () => {
    const { tenant } = await jwtTenant("ssoonlypk");
    await enrolTotp(tenant, await signIn(t, tenant, tenant.ownerEmail, tenant.ownerPassword));
    const agent = await staffWithPassword(t, tenant, "agent");
    const auth = new SoftAuthenticator();
    const reg = await asSession(t, tenant, agent.session, "POST", "/api/v2/users/me/passkeys/options.json");
    expect(reg.status, reg.text).toBe(200);
    const added = await asSession(t, tenant, agent.session, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name: "Laptop", credential: auth.register(reg.body.options, { origin: tenant.origin }) } });
    expect(added.status, added.text).toBe(201);
    const step = await t.request({ method: "POST", path: "/api/v2/session.json", host: tenant.host, body: { email: agent.email, password: PASSWORD } });
    expect(step.status, step.text).toBe(202);
    const options = await t.request({ method: "POST", path: "/api/v2/session/two_factor/passkey/options.json", host: tenant.host, body: { challenge: step.body.challenge } });
    expect(options.status, options.text).toBe(200);
    expect((await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } })).status).toBe(200);
    const done = await t.request({ method: "POST", path: "/api/v2/session/two_factor/passkey.json", host: tenant.host, body: { challenge: step.body.challenge, credential: auth.assert(options.body.options, { origin: tenant.origin, userVerified: false }) } });
    expect(done.status, done.text).toBe(401);
    expect(done.headers["set-cookie"]?.some((c) => c.startsWith("vd_session=")) ?? false).toBe(false);
  });

  it("ends the sessions its group opened another way; the provider's, the owner's with a second factor and the changing admin's stay", async () => {
    const { tenant, secret } = await jwtTenant("ssoonlysess");
    const me = async (s: Session) => (await asSession(t, tenant, s, "GET", "/api/v2/users/me.json")).status;
    const ownerPlain = await signIn(t, tenant, tenant.ownerEmail, tenant.ownerPassword);
    const code = await enrolTotp(tenant, ownerPlain);
    const step = await t.request({ method: "POST", path: "/api/v2/session.json", host: tenant.host, body: { email: tenant.ownerEmail, password: tenant.ownerPassword } });
    expect(step.status, step.text).toBe(202);
    const strong = await t.request({ method: "POST", path: "/api/v2/session/two_factor.json", host: tenant.host, body: { challenge: step.body.challenge, code: code() } });
    expect(strong.status, strong.text).toBe(201);
    const ownerStrong: Session = { cookie: cookieOf(strong.headers), csrf: strong.body.session.csrf_token };
    const agent = await staffWithPassword(t, tenant, "agent");
    const admin = await staffWithPassword(t, tenant, "admin");
    const viaProvider = await postJwt(tenant, await jwtOf(secret, { email: `eu-${crypto.randomBytes(3).toString("hex")}@${tenant.subdomain}.test`, name: "Eu" }));
    expect(viaProvider.status, viaProvider.text).toBe(303);
    const endUserJwt: Session = { cookie: cookieOf(viaProvider.headers), csrf: "" };
    const person = await buildUser(t, tenant, "end-user");
    const link = await tenant.api("POST", `/api/v2/users/${person.id}/sign_in_links.json`);
    expect(link.status, link.text).toBe(201);
    const redeemed = await t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links/redeem.json", host: tenant.host, body: { token: link.body.sign_in_link.token } });
    expect(redeemed.status, redeemed.text).toBe(201);
    const endUserLink: Session = { cookie: cookieOf(redeemed.headers), csrf: "" };
    for (const s of [ownerPlain, ownerStrong, agent.session, admin.session, endUserJwt, endUserLink]) expect(await me(s)).toBe(200);

    // An admin sends staff to the provider only, from their password session.
    const on = await asSession(t, tenant, admin.session, "PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } });
    expect(on.status, on.text).toBe(200);
    expect(await me(agent.session)).toBe(401);
    expect(await me(ownerPlain)).toBe(401);
    expect(await me(ownerStrong)).toBe(200);
    expect(await me(admin.session)).toBe(200);
    expect(await me(endUserJwt)).toBe(200);
    expect(await me(endUserLink)).toBe(200);
    const ended = await tenant.api("GET", "/api/v2/audit_logs.json?filter[action]=sso_settings.sessions_ended");
    expect(ended.body.audit_logs.map((e: { changed_fields: string[] }) => e.changed_fields)).toEqual([["staff"]]);

    // End users: the e-mailed link's session ends, the provider's stays.
    expect((await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { end_users_sso_only: true } })).status).toBe(200);
    expect(await me(endUserLink)).toBe(401);
    expect(await me(endUserJwt)).toBe(200);
    expect(await me(ownerStrong)).toBe(200);
  });

  it("waits for a sign-in being checked when it is turned on, then ends the session that sign-in opens", async () => {
    const { tenant } = await jwtTenant("ssoonlyrace");
    await enrolTotp(tenant, await signIn(t, tenant, tenant.ownerEmail, tenant.ownerPassword));
    const agent = await staffWithPassword(t, tenant, "agent");
    const { passwordAllowed } = await import("../src/modules/identity/sso-password.ts");
    const { insertSession } = await import("../src/modules/identity/identity-repo.ts");
    const userId = (await t.db.tenant(tenant.tenantId, (tx) => tx.db.selectFrom("users").select("id").where("nice_id", "=", agent.id).executeTakeFirstOrThrow())).id;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let checked!: () => void;
    const wasChecked = new Promise<void>((r) => (checked = r));
    // A password sign-in past its "SSO only" check, its session not yet written (on PostgreSQL, a
    // transaction of its own beside the change; PGlite runs one transaction at a time).
    const signingIn = t.db.tenant(tenant.tenantId, async (tx) => {
      expect(await passwordAllowed({ tx }, { id: userId, role: "agent" })).toBe(true);
      checked();
      await held;
      await insertSession(tx, { id: crypto.randomUUID(), user_id: userId, token_hash: crypto.randomBytes(32), ip_sealed: null, user_agent_sealed: null, device_hash: null, expires_at: new Date(Date.now() + 3_600_000), last_seen_at: new Date(), method: "password", second_factor: false, staff_issued: false });
    });
    await wasChecked;
    const change = tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } });
    await new Promise((r) => setTimeout(r, 300));
    release();
    await signingIn;
    expect((await change).status).toBe(200);
    const live = await t.db.tenant(tenant.tenantId, (tx) => tx.db.selectFrom("sessions").select("id").where("user_id", "=", userId).where("revoked_at", "is", null).execute());
    expect(live).toEqual([]);
  });

  it("closes a sign-in link handed out before it, and API password Basic auth stays refused", async () => {
    const { tenant } = await jwtTenant("ssoonlylink");
    const person = await buildUser(t, tenant, "end-user");
    const link = await tenant.api("POST", `/api/v2/users/${person.id}/sign_in_links.json`);
    expect(link.status, link.text).toBe(201);
    expect((await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { end_users_sso_only: true } })).status).toBe(200);
    const redeem = await t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links/redeem.json", host: tenant.host, body: { token: link.body.sign_in_link.token } });
    expect(redeem.status, redeem.text).toBe(404);
    expect(redeem.headers["set-cookie"]?.some((c) => c.startsWith("vd_session=")) ?? false).toBe(false);
    // The owner's password over Basic auth is no way around it either (never accepted on the API).
    const basic = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: tenant.host, headers: { authorization: "Basic " + Buffer.from(`${tenant.ownerEmail}:${tenant.ownerPassword}`).toString("base64") } });
    expect(basic.status).toBe(401);
  });

  it("closes invitations sent before it: the invitee chooses no password and gets no session", async () => {
    const { tenant } = await jwtTenant("ssoonlyinv");
    await enrolTotp(tenant, await signIn(t, tenant, tenant.ownerEmail, tenant.ownerPassword));
    const email = `invitee-${crypto.randomBytes(3).toString("hex")}@${tenant.subdomain}.test`;
    const inv = await tenant.api("POST", "/api/v2/invitations.json", { invitation: { email, role: "agent" } });
    expect(inv.status, inv.text).toBe(201);
    const on = await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } });
    expect(on.status, on.text).toBe(200);
    const accept = await t.request({ method: "POST", path: "/api/v2/invitations/accept.json", host: tenant.host, body: { token: inv.body.invitation.token, name: "Invitee", password: PASSWORD } });
    expect(accept.status, accept.text).toBe(422);
    expect(accept.body.details.token[0].error).toBe("SsoOnly");
    expect(accept.headers["set-cookie"]?.some((c) => c.startsWith("vd_session=")) ?? false).toBe(false);
    // The link was not used up: with staff allowed their password again, it works.
    expect((await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_sso_only: false } })).status).toBe(200);
    const later = await t.request({ method: "POST", path: "/api/v2/invitations/accept.json", host: tenant.host, body: { token: inv.body.invitation.token, name: "Invitee", password: PASSWORD } });
    expect(later.status, later.text).toBe(201);
  });
});

describe("a provider no longer trusted as it was", () => {
  const me = (tenant: TestTenant, s: Session) => asSession(t, tenant, s, "GET", "/api/v2/users/me.json").then((r) => r.status);
  const endedAudits = async (tenant: TestTenant) => (await tenant.api("GET", "/api/v2/audit_logs.json?filter[action]=sso.sessions_ended")).body.audit_logs.map((e: { changed_fields: string[] }) => e.changed_fields);

  it("JWT: a secret no longer accepted ends the sessions tokens signed with it could have opened; a rotation's new secret, other settings and the changing admin's session do not", async () => {
    const { tenant, secret } = await jwtTenant("trustjwt");
    expect((await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt" } })).status).toBe(200);
    const endUser = async (jwtSecret: string): Promise<Session> => {
      const r = await postJwt(tenant, await jwtOf(jwtSecret, { email: `eu-${crypto.randomBytes(3).toString("hex")}@${tenant.subdomain}.test`, name: "Eu" }));
      expect(r.status, r.text).toBe(303);
      return { cookie: cookieOf(r.headers), csrf: "" };
    };
    // An admin signed in through the provider, and an agent with their password.
    const admin = await staffWithPassword(t, tenant, "admin");
    const viaJwt = await postJwt(tenant, await jwtOf(secret, { email: admin.email, name: "Admin" }));
    expect(viaJwt.status, viaJwt.text).toBe(303);
    const adminCookie = cookieOf(viaJwt.headers);
    const shown = await t.request({ method: "GET", path: "/api/v2/session.json", host: tenant.host, headers: { cookie: adminCookie } });
    const adminJwt: Session = { cookie: adminCookie, csrf: shown.body.session.csrf_token };
    const agent = await staffWithPassword(t, tenant, "agent");
    const first = await endUser(secret);

    // A rotation starts: the old secret stays accepted, nothing ends.
    const rotated = await asSession(t, tenant, adminJwt, "POST", "/api/v2/sso/jwt/secret.json");
    expect(rotated.status, rotated.text).toBe(201);
    const fresh: string = rotated.body.shared_secret;
    const second = await endUser(secret);
    const third = await endUser(fresh);
    const moved = await asSession(t, tenant, adminJwt, "PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app2.customer.test/sso", remote_logout_url: "https://app2.customer.test/bye" } });
    expect(moved.status, moved.text).toBe(200);
    for (const s of [first, second, third, agent.session, adminJwt]) expect(await me(tenant, s)).toBe(200);
    expect(await endedAudits(tenant)).toEqual([]);

    // The old secret is dropped (it leaked): every session through the provider ends, but the admin's own.
    const ended = await asSession(t, tenant, adminJwt, "PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app2.customer.test/sso", remove_rotation_secret: true } });
    expect(ended.status, ended.text).toBe(200);
    for (const s of [first, second, third]) expect(await me(tenant, s)).toBe(401);
    expect(await me(tenant, agent.session)).toBe(200);
    expect(await me(tenant, adminJwt)).toBe(200);
    expect(await endedAudits(tenant)).toEqual([["jwt"]]);
    // A token signed with the dropped secret opens nothing; the new one works.
    expect((await postJwt(tenant, await jwtOf(secret, { email: `late@${tenant.subdomain}.test`, name: "Late" }))).status).toBe(401);
    const after = await endUser(fresh);
    expect(await me(tenant, after)).toBe(200);

    // A secret set by hand replaces the current one outright; changed by someone else, the admin's session through the provider ends too.
    const replaced = await tenant.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app2.customer.test/sso", shared_secret: crypto.randomBytes(32).toString("base64url") } });
    expect(replaced.status, replaced.text).toBe(200);
    expect(await me(tenant, after)).toBe(401);
    expect(await me(tenant, adminJwt)).toBe(401);
    expect(await me(tenant, agent.session)).toBe(200);
  });

  it("JWT: a passkey registered in a session a leaked secret opened goes with it, and the recovery codes it came with; one registered another way stays", async () => {
    const { tenant, secret } = await jwtTenant("trustpk");
    expect((await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt" } })).status).toBe(200);
    const victim = await staffWithPassword(t, tenant, "agent");
    const bystander = await staffWithPassword(t, tenant, "agent");
    // A forged token signs in as the victim; a passkey is added in that session (with ten recovery codes).
    const viaJwt = await postJwt(tenant, await jwtOf(secret, { email: victim.email, name: "Agent" }));
    expect(viaJwt.status, viaJwt.text).toBe(303);
    const cookie = cookieOf(viaJwt.headers);
    const shown = await t.request({ method: "GET", path: "/api/v2/session.json", host: tenant.host, headers: { cookie } });
    const forged: Session = { cookie, csrf: shown.body.session.csrf_token };
    const register = async (s: Session, auth: SoftAuthenticator) => {
      const o = await asSession(t, tenant, s, "POST", "/api/v2/users/me/passkeys/options.json");
      const r = await asSession(t, tenant, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name: "key", credential: auth.register(o.body.options, { origin: tenant.origin }) } });
      expect(r.status, r.text).toBe(201);
      return r.body as { recovery_codes?: string[] };
    };
    const attacker = new SoftAuthenticator();
    expect((await register(forged, attacker)).recovery_codes).toHaveLength(10);
    // The bystander adds theirs from a password session.
    const honest = new SoftAuthenticator();
    await register(bystander.session, honest);
    const passwordless = async (auth: SoftAuthenticator) => {
      const opts = await t.request({ method: "POST", path: "/api/v2/session/passkey/options.json", host: tenant.host });
      return (await t.request({ method: "POST", path: "/api/v2/session/passkey.json", host: tenant.host, body: { credential: auth.assert(opts.body.options, { origin: tenant.origin }) } })).status;
    };
    expect(await passwordless(attacker)).toBe(201);

    const replaced = await tenant.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", shared_secret: crypto.randomBytes(32).toString("base64url") } });
    expect(replaced.status).toBe(200);
    expect((await asSession(t, tenant, forged, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect(await passwordless(attacker)).toBe(401);
    expect(await passwordless(honest)).toBe(201);
    const status = await tenant.api("GET", `/api/v2/users/${victim.id}/two_factor.json`);
    expect(status.body.two_factor).toMatchObject({ passkeys: 0, recovery_codes_left: 0 });
    // The victim's password signs them in with no second step left over from the attacker.
    expect((await t.request({ method: "POST", path: "/api/v2/session.json", host: tenant.host, body: { email: victim.email, password: PASSWORD } })).status).toBe(201);
    const ended = await tenant.api("GET", "/api/v2/audit_logs.json?filter[action]=sso.sessions_ended");
    expect(ended.body.audit_logs.map((e: { changed_fields: string[] }) => e.changed_fields)).toEqual([["jwt", "passkeys"]]);
  });

  it("waits for a sign-in's last step under way when trust is withdrawn, then ends the session it opened (PostgreSQL, concurrently)", async () => {
    const { tenant } = await jwtTenant("trustrace");
    const person = await buildUser(t, tenant, "end-user");
    const { readProvider, signInWithProvider } = await import("../src/modules/identity/sso-service.ts");
    const { makeContext } = await import("../src/platform/context.ts");
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let checked!: () => void;
    const wasChecked = new Promise<void>((r) => (checked = r));
    // The last step of a sign-in through the provider, its transaction left open after the
    // session is written (on PostgreSQL beside the change; PGlite runs one transaction at a time).
    const signingIn = t.db.tenant(tenant.tenantId, async (tx) => {
      const ctx = makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor: { kind: "anonymous" }, requestId: "race", now: () => new Date(clock) });
      const version = (await readProvider(ctx, "jwt"))!.updatedAt;
      const r = await signInWithProvider({ keyring: t.keyring, config: t.config }, ctx, "jwt", { subject: `sub-${person.email}`, email: person.email, attributes: {}, providerVersion: version });
      if (!("session" in r)) throw new Error("refused");
      checked();
      await held;
      return r.session.token;
    });
    await wasChecked;
    const change = tenant.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", shared_secret: crypto.randomBytes(32).toString("base64url") } });
    await new Promise((r) => setTimeout(r, 300));
    release();
    const token = await signingIn;
    expect((await change).status).toBe(200);
    expect((await t.request({ method: "GET", path: "/api/v2/users/me.json", host: tenant.host, headers: { cookie: `vd_session=${token}` } })).status).toBe(401);
  });

  it("SAML: an answer checked with the removed certificate, waiting for its browser, opens nothing after the change", async () => {
    const s = await samlTenant("trustsamlhalf");
    const start = await t.request({ method: "GET", path: "/access/saml/login", host: s.tenant.host });
    const binding = (start.headers["set-cookie"] ?? []).find((c) => c.startsWith("vd_saml="))!.split(";")[0]!;
    const email = `victim@${s.tenant.subdomain}.test`;
    const xml = responseXml({ issuer: IDP, audience: s.entityId, recipient: s.acsUrl, destination: s.acsUrl, inResponseTo: requestIdOf(start.headers.location!), nameId: `sub-${email}`, email, name: "Victim", sign: { key: idpKeys, parts: "assertion" } });
    const acs = await t.request({ method: "POST", path: "/access/saml", host: s.tenant.host, rawBody: new URLSearchParams({ SAMLResponse: encode(xml) }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(acs.status, acs.text).toBe(303);
    // A second sign-in started (its request pending at the IdP) before the change.
    const started = await t.request({ method: "GET", path: "/access/saml/login", host: s.tenant.host });
    const startedBinding = (started.headers["set-cookie"] ?? []).find((c) => c.startsWith("vd_saml="))!.split(";")[0]!;
    const next = makeKeyPair("attack-suite IdP, replacement");
    const put = await s.tenant.api("PUT", "/api/v2/sso/saml.json", { saml: { enabled: true, idp_entity_id: IDP, idp_sso_url: "https://idp.attack.test/sso", idp_certificates: [next.cert], email_attribute: "email", name_attribute: "displayName", signed: "assertion" } });
    expect(put.status, put.text).toBe(200);
    const done = await t.request({ method: "GET", path: acs.headers.location!, host: s.tenant.host, headers: { cookie: binding } });
    expect(done.status).toBeGreaterThanOrEqual(400);
    expect(done.headers["set-cookie"]?.some((c) => c.startsWith("vd_session=")) ?? false).toBe(false);
    // The request started before it is gone too: even an answer signed with the new key for it is refused.
    const xml2 = responseXml({ issuer: IDP, audience: s.entityId, recipient: s.acsUrl, destination: s.acsUrl, inResponseTo: requestIdOf(started.headers.location!), nameId: `sub-${email}`, email, name: "Victim", sign: { key: next, parts: "assertion" } });
    const acs2 = await t.request({ method: "POST", path: "/access/saml", host: s.tenant.host, rawBody: new URLSearchParams({ SAMLResponse: encode(xml2) }).toString(), headers: { "content-type": "application/x-www-form-urlencoded", cookie: startedBinding } });
    expect(acs2.status).toBe(403);
    expect(acs2.text).toContain("saml_unknown_request");
  });

  it("SAML: a certificate added for a rollover ends nothing; the old one removed, or another entity id, ends the sessions it vouched for", async () => {
    const s = await samlTenant("trustsaml");
    const signedIn = async (email: string): Promise<Session> => {
      const r = await samlSignIn(s, { email, name: "Saml Person" });
      expect(r.status, r.text).toBe(303);
      return { cookie: cookieOf(r.headers), csrf: "" };
    };
    const put = async (saml: Record<string, unknown>) => {
      const r = await s.tenant.api("PUT", "/api/v2/sso/saml.json", { saml: { enabled: true, idp_sso_url: "https://idp.attack.test/sso", email_attribute: "email", name_attribute: "displayName", signed: "assertion", ...saml } });
      expect(r.status, r.text).toBe(200);
    };
    const next = makeKeyPair("attack-suite IdP, next");
    const a = await signedIn(`a@${s.tenant.subdomain}.test`);
    await put({ idp_entity_id: IDP, idp_certificates: [idpKeys.cert, next.cert] });
    await put({ idp_entity_id: IDP, idp_certificates: [idpKeys.cert, next.cert], idp_sso_url: "https://idp.attack.test/sso2" });
    expect(await me(s.tenant, a)).toBe(200);
    await put({ idp_entity_id: IDP, idp_certificates: [next.cert] });
    expect(await me(s.tenant, a)).toBe(401);
    expect(await endedAudits(s.tenant)).toEqual([["saml"]]);
    // Back to the first certificate for a sign-in, then another entity id.
    await put({ idp_entity_id: IDP, idp_certificates: [idpKeys.cert, next.cert] });
    const b = await signedIn(`b@${s.tenant.subdomain}.test`);
    expect(await me(s.tenant, b)).toBe(200);
    await put({ idp_entity_id: "https://idp.elsewhere.test/entity", idp_certificates: [idpKeys.cert, next.cert] });
    expect(await me(s.tenant, b)).toBe(401);
  });
});

describe("what an identity provider the attacker partly controls can write", () => {
  it("a SAML display name with line breaks, control characters or 10,000 characters is stored as one line of at most 255", async () => {
    const s = await samlTenant("samlname");
    const email = `mallory-${crypto.randomBytes(3).toString("hex")}@saml.test`;
    const done = await samlSignIn(s, { email, name: `Mallory\r\nBcc: victim@evil.test\u0000\u2028${"x".repeat(10_000)}` });
    expect(done.status, done.text).toBe(303);
    const me = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: s.tenant.host, headers: { cookie: cookieOf(done.headers) } });
    expect(me.status, me.text).toBe(200);
    expect(me.body.user.email).toBe(email);
    expect(me.body.user.name).toMatch(/^Mallory +Bcc: victim@evil\.test/);
    expect(me.body.user.name).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
    expect(me.body.user.name.length).toBeLessThanOrEqual(255);
  });

  it("a provider for end users cannot map a staff member to end user: no demotion, no session in their name", async () => {
    const { tenant, secret } = await jwtTenant("demote");
    expect((await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { role_attribute: "role", role_map: { end_user: ["customer"] } } })).status).toBe(200);
    const agent = await buildUser(t, tenant, "agent");
    const res = await postJwt(tenant, await jwtOf(secret, { email: agent.email, name: "Someone else", role: "customer" }));
    expect(res.status, res.text).toBe(403);
    expect(res.headers["set-cookie"]?.some((c) => c.startsWith("vd_session=")) ?? false).toBe(false);
    // Still an agent, and the agent's own credentials still work.
    const me = await tenant.api("GET", "/api/v2/users/me.json", undefined, { email: agent.email, token: agent.token! });
    expect(me.status, me.text).toBe(200);
    expect(me.body.user.role).toBe("agent");
    const changes = await tenant.api("GET", `/api/v2/audit_logs.json?filter[action]=user.role_changed&filter[source_id]=${agent.id}`);
    expect(changes.body.audit_logs).toEqual([]);
    // The control: an end user the provider serves is still mapped and signed in.
    const customer = await postJwt(tenant, await jwtOf(secret, { email: `cust-${crypto.randomBytes(3).toString("hex")}@demote.test`, role: "customer" }));
    expect(customer.status, customer.text).toBe(303);
  });

  it("an address staff moved a customer to links nobody by e-mail until an admin vouches for it (as sign-in links)", async () => {
    const { tenant, secret } = await jwtTenant("staffmoved");
    const customer = await buildUser(t, tenant, "end-user");
    // Staff move the customer to a mailbox they may read (without mail, an admin does it at once: staff_changed).
    const mailbox = `moved-${crypto.randomBytes(3).toString("hex")}@staff-reads.test`;
    const moved = await tenant.api("PUT", `/api/v2/users/${customer.id}.json`, { user: { email: mailbox } });
    expect(moved.status, moved.text).toBe(200);
    const res = await postJwt(tenant, await jwtOf(secret, { email: mailbox }));
    expect(res.status, res.text).toBe(403);
    expect(res.headers["set-cookie"]?.some((c) => c.startsWith("vd_session=")) ?? false).toBe(false);
    const log = await tenant.api("GET", `/api/v2/audit_logs.json?filter[action]=user.signin_failed&filter[source_id]=${customer.id}`);
    expect(JSON.stringify(log.body.audit_logs)).toContain("unproven_address");
  });

  it("a deleted person's address signs nobody in and creates nobody (the address stays theirs)", async () => {
    const { tenant, secret } = await jwtTenant("deleted");
    const gone = await buildUser(t, tenant, "end-user");
    expect((await tenant.api("DELETE", `/api/v2/users/${gone.id}.json`)).status).toBe(200);
    const res = await postJwt(tenant, await jwtOf(secret, { email: gone.email, external_id: "new-subject" }));
    expect(res.status, res.text).toBe(403);
    expect(res.headers["set-cookie"]?.some((c) => c.startsWith("vd_session=")) ?? false).toBe(false);
    const found = await tenant.api("GET", `/api/v2/users/search.json?query=${encodeURIComponent(gone.email)}`);
    expect(found.body.users.filter((u: { active: boolean }) => u.active)).toEqual([]);
  });

  it("another subject asserting a linked person's address changes nothing: no role change committed with the refusal", async () => {
    const { tenant, secret } = await jwtTenant("othersub");
    expect((await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", role_attribute: "role", role_map: { agent: ["support"], end_user: ["customer"] } } })).status).toBe(200);
    const email = `linked-${crypto.randomBytes(3).toString("hex")}@othersub.test`;
    const first = await postJwt(tenant, await jwtOf(secret, { email, external_id: "subject-of-the-agent", role: "support" }));
    expect(first.status, first.text).toBe(303);
    const cookie = cookieOf(first.headers);
    const other = await postJwt(tenant, await jwtOf(secret, { email, external_id: "subject-of-someone-else", role: "customer" }));
    expect(other.status, other.text).toBe(403);
    expect(other.body.description).toMatch(/linked to another identity/);
    // Still an agent, still signed in.
    const me = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: tenant.host, headers: { cookie } });
    expect(me.status, me.text).toBe(200);
    expect(me.body.user.role).toBe("agent");
  });

  it("an address already taken, in other letter case, signs nobody new in: the person it belongs to is found, and a provider for end users cannot reach the owner", async () => {
    const { tenant, secret } = await jwtTenant("jitcase");
    const upper = tenant.ownerEmail.toUpperCase();
    const res = await postJwt(tenant, await jwtOf(secret, { email: upper, name: "Not the owner", role: "admin" }));
    expect(res.status, res.text).toBe(403);
    expect(res.headers["set-cookie"]?.some((c) => c.startsWith("vd_session=")) ?? false).toBe(false);
    const found = await tenant.api("GET", `/api/v2/users/search.json?query=${encodeURIComponent(tenant.ownerEmail)}`);
    expect(found.status, found.text).toBe(200);
    expect(found.body.users.map((u: { role: string }) => u.role)).toEqual(["admin"]);
    const me = await tenant.api("GET", "/api/v2/users/me.json");
    expect(me.body.user.name).toBe("Owner Person");
  });
});

describe("the wrong-password budget against one attacker", () => {
  // These start apps of their own with the budget and the sign-in limit on (the budget is per process).
  const custom = (history: number) => ({ level: "custom", rules: { min_length: 12, mixed_case: true, digit: true, symbol: true, not_like_email: true, min_strength: 3, history, expiry_days: null, lockout_attempts: 5, lockout_minutes: 10, max_sequence: null } });
  const PASSWORDS = ["Orchid lantern 73 wander", "Velvet harbor 58 drift!", "Copper meadow 91 quiet!", "Saffron glacier 24 hum!", "Tundra violin 66 spark!", "Marble comet 39 whisk!", "Juniper anvil 81 glow!"];

  it("is not spent by the checks against a person's earlier passwords: changing a password with a long history works, and sign-ins meanwhile are not turned away", async () => {
    const b = await startTestApp({ env: { VAULTDESK_PASSWORD_CHECKS: "1", VAULTDESK_PASSWORD_CHECK_QUEUE: "1000", VAULTDESK_PASSWORD_FAILURES_PER_SECOND: "2" } });
    try {
      const a = await buildTenant(b, "budgethist");
      expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: custom(24) } })).status).toBe(200);
      const agent = await staffWithPassword(b, a, "agent");
      let previous = PASSWORD;
      for (const next of PASSWORDS) {
        const r = await b.request({ method: "PUT", path: "/api/v2/users/me/password.json", host: a.host, headers: { cookie: agent.session.cookie, "x-csrf-token": agent.session.csrf }, body: { previous_password: previous, password: next } });
        expect(r.status, `${next}: ${r.text}`).toBe(204);
        previous = next;
        // Someone who knows their password signs in right after.
        const ok = await b.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword } });
        expect(ok.status, ok.text).toBe(201);
      }
      // The history still refuses an earlier password.
      const back = await b.request({ method: "PUT", path: "/api/v2/users/me/password.json", host: a.host, headers: { cookie: agent.session.cookie, "x-csrf-token": agent.session.csrf }, body: { previous_password: previous, password: PASSWORDS[0] } });
      expect(back.status, back.text).toBe(422);
    } finally {
      await b.close();
    }
  });

  it("one client address cannot multiply its sign-in limit by the number of accounts on the server", async () => {
    // One rate-limit window for all 75 attempts, whatever the wall clock does meanwhile.
    const frozen = Date.now();
    const b = await startTestApp({ env: { VAULTDESK_PASSWORD_CHECKS: "1", VAULTDESK_PASSWORD_CHECK_QUEUE: "1000", VAULTDESK_SIGNIN_PER_CLIENT_PER_MINUTE: "60" }, rateLimiter: createMemoryRateLimiter(() => frozen) });
    try {
      const tenants = [await buildTenant(b, "spread"), await buildTenant(b, "spread"), await buildTenant(b, "spread")];
      const statuses: number[] = [];
      for (let i = 0; i < 75; i++) {
        const a = tenants[i % 3]!;
        const r = await b.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: `nobody${i}@spread.test`, password: "Not the password 1!" } });
        statuses.push(r.status);
      }
      // 25 a tenant is under each tenant's 30; the address's own limit across them is 60 a minute.
      expect(statuses.filter((s) => s === 401).length, statuses.join(",")).toBe(60);
      expect(statuses.slice(60).every((s) => s === 429), statuses.join(",")).toBe(true);
    } finally {
      await b.close();
    }
  });
});
