import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "../support/harness.ts";
import { makeKeyPair, startSimpleSamlPhp, type IdpUser, type KeyPair, type SimpleSamlPhp } from "../support/simplesamlphp.ts";
import { decode, encode, requestIdOf, responseXml, type ForgeOptions } from "../support/saml-forge.ts";

/**
 * SAML single sign-on against a real identity provider, SimpleSAMLphp (Debian's package, run by
 * `php -S`), over HTTP: the browser's part is played with fetch (manual redirects, cookies, the
 * IdP's login form, its auto-submit form). Then the attacks, each with its answer: the responses
 * are the IdP's own, altered, or written and signed here (xml-crypto through node-saml).
 */

let idp: SimpleSamlPhp;
let t: TestApp;
const logLines: string[] = [];
const attacker: KeyPair = makeKeyPair("Attacker IdP");
const unlimited = { hit: () => ({ allowed: true, remaining: 1000, resetSeconds: 60 }), peek: () => ({ allowed: true, remaining: 1000, resetSeconds: 60 }) };

type Jar = Map<string, string>;
const cookieHeader = (jar: Jar) => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
function absorb(jar: Jar, setCookies: readonly string[] | string | undefined): void {
  for (const c of typeof setCookies === "string" ? [setCookies] : (setCookies ?? [])) {
    const [pair = ""] = c.split(";");
    const i = pair.indexOf("=");
    if (i > 0) jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
}
const unescapeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&#0*39;|&#x0*27;/gi, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16))).replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d))).replace(/&amp;/g, "&");
function parseForm(html: string): { action: string | undefined; fields: Record<string, string> } {
  const form = /<form\b[^>]*>/i.exec(html)?.[0] ?? "";
  const action = /\baction="([^"]*)"/i.exec(form)?.[1];
  const fields: Record<string, string> = {};
  for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
    const name = /\bname="([^"]*)"/i.exec(tag)?.[1];
    if (name) fields[name] = unescapeHtml(/\bvalue="([^"]*)"/i.exec(tag)?.[1] ?? "");
  }
  return { action: action === undefined ? undefined : unescapeHtml(action), fields };
}

/** The browser at the IdP: follows redirects, fills in the login form, stops at the auto-submit form. */
async function throughIdp(location: string, user: IdpUser, jar: Jar = new Map()): Promise<{ action: string; SAMLResponse: string; RelayState: string | undefined; askedPassword: boolean }> {
  let url = location;
  let askedPassword = false;
  let init: { method: string; body?: string } = { method: "GET" };
  for (let hop = 0; hop < 12; hop++) {
    const res = await fetch(url, { ...init, redirect: "manual", headers: { cookie: cookieHeader(jar), ...(init.body ? { "content-type": "application/x-www-form-urlencoded" } : {}) } });
    absorb(jar, res.headers.getSetCookie());
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get("location")!, url).toString();
      init = { method: "GET" };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`IdP answered ${res.status} at ${url}: ${html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 800)}\n${idp.log().slice(-1500)}`);
    const form = parseForm(html);
    if (form.fields.SAMLResponse) return { action: form.action!, SAMLResponse: form.fields.SAMLResponse, RelayState: form.fields.RelayState, askedPassword };
    if ("password" in form.fields) {
      askedPassword = true;
      url = new URL(form.action ?? "", url).toString();
      init = { method: "POST", body: new URLSearchParams({ ...form.fields, username: user.username, password: user.password }).toString() };
      continue;
    }
    throw new Error(`unexpected IdP page at ${url}: ${html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 800)}`);
  }
  throw new Error("too many hops at the IdP");
}

/** The `vd_saml` cookie each tenant's "browser" holds (this test plays one browser per tenant). */
const browsers = new Map<string, string>();
const cookieValue = (headers: Record<string, unknown>, name: string): string | undefined =>
  ([] as string[]).concat((headers["set-cookie"] as string[] | string | undefined) ?? []).map((c) => new RegExp(`^${name}=([^;]*)`).exec(c)?.[1]).find((v) => v !== undefined && v !== "");
const startAt = async (a: TestTenant, returnTo?: string, reauth = false): Promise<string> => {
  const have = browsers.get(a.host);
  const q = new URLSearchParams({ ...(returnTo ? { return_to: returnTo } : {}), ...(reauth ? { reauth: "1" } : {}) }).toString();
  const r = await t.request({ method: "GET", path: `/access/saml/login${q ? `?${q}` : ""}`, host: a.host, headers: have ? { cookie: `vd_saml=${have}` } : {} });
  expect(r.status, r.text).toBe(303);
  const set = cookieValue(r.headers, "vd_saml");
  if (set) browsers.set(a.host, set);
  return r.headers.location!;
};
/** The IdP's auto-submitted form reaching the ACS. */
const acsPost = (a: TestTenant, fields: Record<string, string>, app: TestApp = t) =>
  app.request({ method: "POST", path: "/access/saml", host: a.host, rawBody: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
/** The ACS, then (when it accepts) the redirect to /access/saml/complete in the same browser, as a browser follows it. */
const acs = async (a: TestTenant, fields: Record<string, string>, app: TestApp = t) => {
  const r = await acsPost(a, fields, app);
  if (r.status !== 303 || !r.headers.location?.startsWith("/access/saml/complete?")) return r;
  const binding = browsers.get(a.host);
  return app.request({ method: "GET", path: r.headers.location, host: a.host, headers: binding ? { cookie: `vd_saml=${binding}` } : {} });
};
const sessionCookieOf = (headers: Record<string, unknown>): string | undefined => {
  const all = ([] as string[]).concat((headers["set-cookie"] as string[] | string | undefined) ?? []);
  return all.map((c) => /^vd_session=([^;]+)/.exec(c)?.[1]).find(Boolean);
};
const me = async (a: TestTenant, session: string) => (await t.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: { cookie: `vd_session=${session}` } })).body.user;

type SamlTenant = { a: TestTenant; sp: { sp_entity_id: string; acs_url: string }; alice: IdpUser };
let n = 0;
async function samlTenant(prefix: string, signed: "response" | "assertion" | "both" = "both"): Promise<SamlTenant> {
  const a = await buildTenant(t, prefix);
  const put = await a.api("PUT", "/api/v2/sso/saml.json", {
    saml: { enabled: true, idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl, idp_certificates: [idp.keys.cert], email_attribute: "email", name_attribute: "displayName", signed },
  });
  expect(put.status, put.text).toBe(200);
  const s = await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "saml", end_user_provider: "saml", role_attribute: "role", role_map: { agent: ["agent"] } } });
  expect(s.status, s.text).toBe(200);
  idp.addSp({ entityId: put.body.saml.sp_entity_id, acsUrl: put.body.saml.acs_url });
  const alice: IdpUser = { username: `alice${++n}`, password: `Wonderland-${n}`, email: `alice@${a.subdomain}.test`, name: "Alice Liddell", role: "agent" };
  idp.addUser(alice);
  return { a, sp: put.body.saml, alice };
}
/** A fresh response from SimpleSAMLphp for a sign-in started at the tenant. */
async function idpResponse(s: SamlTenant, returnTo?: string) {
  return throughIdp(await startAt(s.a, returnTo), s.alice);
}
/** A response written here for a sign-in started at the tenant (valid unless `o` says otherwise). */
async function forged(s: SamlTenant, o: Partial<ForgeOptions> = {}): Promise<string> {
  const inResponseTo = "inResponseTo" in o ? o.inResponseTo : requestIdOf(await startAt(s.a));
  return encode(
    responseXml({ issuer: idp.entityId, audience: s.sp.sp_entity_id, recipient: s.sp.acs_url, destination: s.sp.acs_url, nameId: s.alice.email, email: s.alice.email, name: s.alice.name, sign: { key: idp.keys, parts: "both" }, ...o, inResponseTo }),
  );
}
async function expectRefused(s: SamlTenant, SAMLResponse: string, status: number, reason: string) {
  const r = await acs(s.a, { SAMLResponse });
  expect(r.status, r.text).toBe(status);
  expect(r.body.description).toContain(`(${reason})`);
  expect(sessionCookieOf(r.headers)).toBeUndefined();
  return r;
}

beforeAll(async () => {
  idp = await startSimpleSamlPhp();
  const logStream = new PassThrough();
  logStream.on("data", (d: Buffer) => logLines.push(d.toString("utf8")));
  // Dozens of sign-ins from one address in a minute: the sign-in rate limit (30/min per client and
  // tenant, which these routes share) is tested in test/signin-flood.test.ts, not here.
  t = await startTestApp({ logStream, env: { LOG_LEVEL: "info" }, rateLimiter: unlimited });
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

describe("SAML sign-in through SimpleSAMLphp", () => {
  let s: SamlTenant;
  beforeAll(async () => {
    s = await samlTenant("saml");
  });

  it("publishes the SP metadata from the configured address, whatever the Host header says", async () => {
    const r = await t.request({ method: "GET", path: "/access/saml/metadata", host: s.a.host, headers: { "x-forwarded-host": "evil.test" } });
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toContain("application/samlmetadata+xml");
    expect(r.text).toContain(`entityID="${s.sp.sp_entity_id}"`);
    expect(r.text).toContain(`Location="${s.sp.acs_url}"`);
    expect(s.sp.acs_url).toBe(`${s.a.origin}/access/saml`);
    expect(r.text).not.toContain("evil.test");
  });

  it("signs a person in: AuthnRequest, the IdP's login form, the signed answer, a session and a 303 to where they were going", async () => {
    const location = await startAt(s.a, "/agent/tickets/1");
    expect(location.startsWith(idp.ssoUrl + "?SAMLRequest=")).toBe(true);
    const answer = await throughIdp(location, s.alice);
    expect(answer.action).toBe(s.sp.acs_url);
    const r = await acs(s.a, { SAMLResponse: answer.SAMLResponse, ...(answer.RelayState ? { RelayState: answer.RelayState } : {}) });
    expect(r.status, r.text).toBe(303);
    expect(r.headers.location).toBe("/agent/tickets/1");
    const cookie = sessionCookieOf(r.headers);
    expect(cookie).toBeDefined();
    expect(String(r.headers["set-cookie"])).toMatch(/HttpOnly/i);
    expect(cookieValue(r.headers, "vd_saml")).toBeUndefined(); // the binding cookie is cleared once used
    const user = await me(s.a, cookie!);
    expect(user).toMatchObject({ email: s.alice.email, name: "Alice Liddell", role: "agent" });
    // A second sign-in finds the same person by subject; an unsafe return_to falls back to the landing page.
    const again = await throughIdp(await startAt(s.a, "//evil.test/x"), s.alice);
    const r2 = await acs(s.a, { SAMLResponse: again.SAMLResponse });
    expect(r2.status, r2.text).toBe(303);
    expect(r2.headers.location).toBe("/agent");
    expect((await me(s.a, sessionCookieOf(r2.headers)!)).id).toBe(user.id);
  });

  it("counts a session's sign-in from the IdP's AuthnInstant; signing in again sends ForceAuthn, and the IdP asks for the password despite its own session", async () => {
    /** A step that needs a sign-in within the last 15 minutes (the first of adding a passkey). */
    const recentStep = async (session: string) => {
      const cookie = `vd_session=${session}`;
      const s0 = await t.request({ method: "GET", path: "/api/v2/session.json", host: s.a.host, headers: { cookie } });
      expect(s0.status, s0.text).toBe(200);
      const r = await t.request({ method: "POST", path: "/api/v2/users/me/passkeys/options.json", host: s.a.host, headers: { cookie, "x-csrf-token": s0.body.session.csrf_token } });
      return { status: r.status, error: r.body?.error as string | undefined };
    };
    const signedIn = async (SAMLResponse: string) => {
      const r = await acs(s.a, { SAMLResponse });
      expect(r.status, r.text).toBe(303);
      return sessionCookieOf(r.headers)!;
    };
    const idpJar: Jar = new Map();
    const first = await throughIdp(await startAt(s.a), s.alice, idpJar);
    expect(first.askedPassword).toBe(true);
    expect((await recentStep(await signedIn(first.SAMLResponse))).status).toBe(200);
    // Without reauth the IdP answers from its own session, without asking.
    const quiet = await throughIdp(await startAt(s.a), s.alice, idpJar);
    expect(quiet.askedPassword).toBe(false);
    expect((await signedIn(quiet.SAMLResponse)).length).toBeGreaterThan(0);
    // Signing in again: ForceAuthn, and SimpleSAMLphp asks for the password once more.
    const again = await throughIdp(await startAt(s.a, undefined, true), s.alice, idpJar);
    expect(again.askedPassword).toBe(true);
    expect((await recentStep(await signedIn(again.SAMLResponse))).status).toBe(200);
    // An assertion from an hour-old sign-in at the IdP, or one that says nothing of it: a session, but no recent sign-in.
    expect(await recentStep(await signedIn(await forged(s, { authnInstant: new Date(Date.now() - 3600_000) })))).toEqual({ status: 403, error: "RecentSignInRequired" });
    expect(await recentStep(await signedIn(await forged(s, { authnInstant: null })))).toEqual({ status: 403, error: "RecentSignInRequired" });
  });

  it("refuses the same SAMLResponse twice, also at a second server (another app instance, its own memory) on the same database", async () => {
    const answer = await idpResponse(s);
    expect((await acs(s.a, { SAMLResponse: answer.SAMLResponse })).status).toBe(303);
    await expectRefused(s, answer.SAMLResponse, 403, "saml_replayed");
    // Another server of the same installation: the same database and keys, the same public address.
    const second = await startTestApp({ db: t.db, keyring: t.keyring, rateLimiter: unlimited, env: { VAULTDESK_PUBLIC_URL: `http://localhost:${t.port}` } });
    try {
      const other = await idpResponse(s);
      const first = await acs(s.a, { SAMLResponse: other.SAMLResponse }, t);
      expect(first.status, first.text).toBe(303);
      const replay = await acs(s.a, { SAMLResponse: other.SAMLResponse }, second);
      expect(replay.status, replay.text).toBe(403);
      expect(replay.body.description).toContain("(saml_replayed)");
      expect(sessionCookieOf(replay.headers)).toBeUndefined();
    } finally {
      await second.close();
    }
  });

  it("finishes a sign-in only in the browser that started it (login CSRF), and only once", async () => {
    const answer = await idpResponse(s);
    const posted = await acsPost(s.a, { SAMLResponse: answer.SAMLResponse });
    expect(posted.status, posted.text).toBe(303);
    expect(posted.headers.location).toMatch(/^\/access\/saml\/complete\?token=[A-Za-z0-9_-]{43}$/);
    expect(sessionCookieOf(posted.headers)).toBeUndefined();
    // The victim's browser, made to post the attacker's answer, holds no binding cookie, or its own.
    const noCookie = await t.request({ method: "GET", path: posted.headers.location!, host: s.a.host });
    expect(noCookie.status, noCookie.text).toBe(403);
    expect(noCookie.body.description).toContain("(saml_other_browser)");
    expect(sessionCookieOf(noCookie.headers)).toBeUndefined();
    const other = await acsPost(s.a, { SAMLResponse: (await idpResponse(s)).SAMLResponse });
    const ownCookie = await t.request({ method: "GET", path: other.headers.location!, host: s.a.host, headers: { cookie: `vd_saml=${"A".repeat(43)}` } });
    expect(ownCookie.status).toBe(403);
    expect(ownCookie.body.description).toContain("(saml_other_browser)");
    // The browser that started it finishes, once, and only at its own tenant.
    const third = await acsPost(s.a, { SAMLResponse: (await idpResponse(s)).SAMLResponse });
    const mine = { cookie: `vd_saml=${browsers.get(s.a.host)}` };
    const elsewhereTenant = await buildTenant(t, "samlother");
    const atOther = await t.request({ method: "GET", path: third.headers.location!, host: elsewhereTenant.host, headers: mine });
    expect(atOther.status, atOther.text).toBe(403);
    expect(atOther.body.description).toContain("(saml_unknown_request)");
    const done = await t.request({ method: "GET", path: third.headers.location!, host: s.a.host, headers: mine });
    expect(done.status, done.text).toBe(303);
    expect(sessionCookieOf(done.headers)).toBeDefined();
    const again = await t.request({ method: "GET", path: third.headers.location!, host: s.a.host, headers: mine });
    expect(again.status).toBe(403);
    expect(again.body.description).toContain("(saml_unknown_request)");
    expect((await t.request({ method: "GET", path: "/access/saml/complete?token=nope", host: s.a.host, headers: mine })).status).toBe(403);
  });

  it("refuses a response whose signed e-mail was changed after signing", async () => {
    const answer = await idpResponse(s);
    const xml = decode(answer.SAMLResponse);
    expect(xml).toContain(s.alice.email);
    const tampered = xml.split(s.alice.email).join(`mallory@${s.a.subdomain}.test`);
    await expectRefused(s, encode(tampered), 401, "saml_signature");
  });

  it("refuses an unsigned response, and one signed by another key even when it carries that key's certificate", async () => {
    await expectRefused(s, await forged(s, { sign: undefined }), 401, "saml_signature");
    await expectRefused(s, await forged(s, { sign: { key: attacker, parts: "both" } }), 401, "saml_signature");
    // Only the Response signed while the tenant requires both: refused too.
    await expectRefused(s, await forged(s, { sign: { key: idp.keys, parts: "response" } }), 401, "saml_signature");
  });

  it("refuses a wrong audience, recipient or destination, and another issuer", async () => {
    await expectRefused(s, await forged(s, { audience: "https://other-sp.example/metadata" }), 401, "saml_audience");
    await expectRefused(s, await forged(s, { recipient: "https://other-sp.example/acs" }), 401, "saml_recipient");
    await expectRefused(s, await forged(s, { destination: "https://other-sp.example/acs" }), 401, "saml_destination");
    await expectRefused(s, await forged(s, { issuer: "https://other-idp.example" }), 401, "saml_issuer");
  });

  it("refuses an expired and a not-yet-valid assertion, and accepts one within the 3-minute clock skew", async () => {
    const now = Date.now();
    await expectRefused(s, await forged(s, { notBefore: new Date(now - 20 * 60_000), notOnOrAfter: new Date(now - 4 * 60_000) }), 401, "saml_expired");
    await expectRefused(s, await forged(s, { notBefore: new Date(now + 10 * 60_000), notOnOrAfter: new Date(now + 20 * 60_000) }), 401, "saml_not_yet_valid");
    const skewed = await acs(s.a, { SAMLResponse: await forged(s, { notBefore: new Date(now + 60_000), notOnOrAfter: new Date(now + 10 * 60_000) }) });
    expect(skewed.status, skewed.text).toBe(303);
  });

  it("refuses an unknown InResponseTo, another tenant's request id, and IdP-initiated sign-in unless turned on", async () => {
    await expectRefused(s, await forged(s, { inResponseTo: "_not-a-request-of-ours" }), 403, "saml_unknown_request");
    const b = await samlTenant("samlb");
    const bRequest = requestIdOf(await startAt(b.a));
    await expectRefused(s, await forged(s, { inResponseTo: bRequest }), 403, "saml_unknown_request");
    // B's request was not touched: it still works at B.
    const atB = await acs(b.a, { SAMLResponse: await forged(b, { inResponseTo: bRequest }) });
    expect(atB.status, atB.text).toBe(303);
    // Unsolicited (no InResponseTo): refused, until the tenant allows IdP-initiated sign-in.
    await expectRefused(s, await forged(s, { inResponseTo: undefined }), 403, "saml_unsolicited");
    const on = await b.a.api("PUT", "/api/v2/sso/saml.json", { saml: { enabled: true, idp_entity_id: idp.entityId, idp_sso_url: idp.ssoUrl, idp_certificates: [idp.keys.cert], allow_idp_initiated: true } });
    expect(on.status, on.text).toBe(200);
    expect((await acs(b.a, { SAMLResponse: await forged(b, { inResponseTo: undefined }) })).status).toBe(303);
    // A request id is used once: the IdP's answer to it cannot be replaced by a second forged one.
    const id = requestIdOf(await startAt(s.a));
    expect((await acs(s.a, { SAMLResponse: await forged(s, { inResponseTo: id }) })).status).toBe(303);
    await expectRefused(s, await forged(s, { inResponseTo: id }), 403, "saml_unknown_request");
  });

  it("refuses XML signature wrapping: a second, unsigned assertion next to or around the signed one", async () => {
    // A tenant that requires only the assertion's signature: the Response's envelope is the attacker's to change.
    const w = await samlTenant("samlxsw", "assertion");
    const mallory = `mallory@${w.a.subdomain}.test`;
    const answer = await idpResponse(w);
    const xml = decode(answer.SAMLResponse);
    const signed = /<saml:Assertion\b[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
    const evil = signed
      .replace(/<ds:Signature\b[\s\S]*?<\/ds:Signature>/, "")
      .replace(/\bID="[^"]+"/, 'ID="_evil"')
      .split(w.alice.email)
      .join(mallory);
    // Next to it (before and after), and the signed one hidden inside the forged one.
    const variants = [
      xml.replace(signed, evil + signed),
      xml.replace(signed, signed + evil),
      xml.replace(signed, evil.replace("</saml:Subject>", `</saml:Subject><saml:Advice>${signed}</saml:Advice>`)),
      xml.replace(signed, evil.replace("</saml:Issuer>", `</saml:Issuer><samlp:Extensions xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${signed}</samlp:Extensions>`)),
    ];
    for (const v of variants) {
      const r = await acs(w.a, { SAMLResponse: encode(v) });
      expect(r.status, r.text).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text).toBeLessThan(500);
      expect(r.body.description).toMatch(/\((saml_signature|saml_multiple_assertions)\)/);
      expect(sessionCookieOf(r.headers)).toBeUndefined();
    }
    // Nobody named mallory was created, and the untouched answer still signs alice in.
    expect((await w.a.api("GET", `/api/v2/users/search.json?query=${encodeURIComponent(mallory)}`)).body.users).toEqual([]);
    expect((await acs(w.a, { SAMLResponse: answer.SAMLResponse })).status).toBe(303);
  });

  it("refuses a comment injected into the NameID and the e-mail (signature-preserving truncation)", async () => {
    const answer = await idpResponse(s);
    const xml = decode(answer.SAMLResponse);
    const [local, domain] = s.alice.email.split("@");
    const injected = xml.split(s.alice.email).join(`${local}@${domain}<!---->.evil.test`);
    expect(injected).not.toBe(xml);
    await expectRefused(s, encode(injected), 401, "saml_forbidden_xml");
  });

  it("answers garbage with a clear 4xx, and audits every refusal without the values", async () => {
    for (const body of [{ SAMLResponse: "not base64 !!" }, { SAMLResponse: encode("<x/>") }, { SAMLResponse: encode("<samlp:Response><unclosed") }, { SAMLResponse: encode('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]><samlp:Response/>') }]) {
      const r = await acs(s.a, body);
      expect(r.status, r.text).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text).toBeLessThan(500);
      expect(r.body.error).toBeTypeOf("string");
    }
    const trail = (await s.a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed&per_page=100")).body.audit_logs;
    expect(trail.length).toBeGreaterThan(10);
    expect(JSON.stringify(trail)).toContain("saml_signature");
    expect(JSON.stringify(trail)).not.toContain(s.alice.email);
  });

  it("never writes a SAMLResponse, an assertion or an e-mail address to the logs", async () => {
    const log = logLines.join("");
    expect(log).toMatch(/"reqId"/);
    expect(log).toContain("/access/saml");
    for (const secret of ["SAMLResponse=", "PHNhbWxwOlJlc3BvbnNl", "saml:Assertion", "alice@", "mallory@"]) expect(log.includes(secret), secret).toBe(false);
  });
});

describe("SAML settings", () => {
  it("are for admins, validate certificates and refuse signing nothing", async () => {
    const a = await buildTenant(t, "samlset");
    const base = { enabled: true, idp_entity_id: "https://idp.example/entity", idp_sso_url: "https://idp.example/sso", idp_certificates: [idp.keys.cert] };
    expect((await a.api("PUT", "/api/v2/sso/saml.json", { saml: { ...base, signed: "none" } })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/sso/saml.json", { saml: { ...base, idp_certificates: ["not a certificate"] } })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/sso/saml.json", { saml: { ...base, idp_certificates: [] } })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/sso/saml.json", { saml: { ...base, idp_sso_url: "javascript:alert(1)" } })).status).toBe(422);
    const ok = await a.api("PUT", "/api/v2/sso/saml.json", { saml: { ...base, idp_certificates: [idp.keys.cert, attacker.cert] } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.saml).toMatchObject({ enabled: true, signed: "assertion", allow_idp_initiated: false, sp_entity_id: `${a.origin}/access/saml/metadata` });
    expect(ok.body.saml.certificates).toHaveLength(2);
    const agent = await buildUser(t, a, "agent");
    const asAgent = { email: agent.email, token: agent.token! };
    expect((await a.api("GET", "/api/v2/sso/saml.json", undefined, asAgent)).status).toBe(403);
    expect((await a.api("PUT", "/api/v2/sso/saml.json", { saml: base }, asAgent)).status).toBe(403);
    // An unconfigured tenant: no start, and the ACS says so.
    const c = await buildTenant(t, "samloff");
    expect((await t.request({ method: "GET", path: "/access/saml/login", host: c.host })).status).toBe(404);
    const r = await acs(c, { SAMLResponse: encode("<samlp:Response/>") });
    expect(r.status).toBe(404);
    expect(r.body.description).toContain("(saml_not_configured)");
  });
});
