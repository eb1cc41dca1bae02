import crypto from "node:crypto";
import * as jose from "jose";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, cookieOf, PASSWORD, signIn, staffWithPassword, type Session } from "./support/people.ts";
import { encode, requestIdOf, responseXml } from "./support/saml-forge.ts";
import { makeKeyPair } from "./support/simplesamlphp.ts";

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
  t = await startTestApp({ now: () => new Date(clock), rateLimiter: { hit: () => ({ allowed: true, remaining: 1, resetSeconds: 60 }) } });
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
    for (const [i, chunk] of [HOSTILE_RETURNS].entries()) {
      const { tenant, secret } = await jwtTenant(`ret${i}`);
      for (const value of chunk) {
        const res = await postJwt(tenant, await jwtOf(secret, { email: `p${crypto.randomBytes(3).toString("hex")}@ret.test` }), value);
        expect(res.status, `${JSON.stringify(value)}: ${res.text}`).toBe(303);
        const location = res.headers.location!;
        expect(location.startsWith("/") && !location.startsWith("//") && !location.startsWith("/\\"), `${JSON.stringify(value)} → ${location}`).toBe(true);
        expect(landsOn(tenant, location).origin, JSON.stringify(value)).toBe(new URL(tenant.origin).origin);
        // Nothing the value carried became a header of its own.
        expect((res.headers["set-cookie"] ?? []).filter((c) => c.includes("attacker"))).toEqual([]);
      }
      // The control: a path of the site is kept.
      const ok = await postJwt(tenant, await jwtOf(secret, { email: `ok${i}@ret.test` }), "/hc/requests?page=2#top");
      expect(ok.headers.location).toBe("/hc/requests?page=2#top");
    }
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
});
