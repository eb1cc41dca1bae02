import crypto from "node:crypto";
import * as jose from "jose";
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { cookieOf } from "./support/people.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";

/** Set by a test that counts up to a limit: its requests then fall in one rate-limit window, whatever the wall clock does. */
let limiterNow: number | undefined;

/**
 * JWT single sign-on (Zendesk's): jose plays the customer's application, signing tokens with the
 * tenant's shared secret; the browser's requests go over real HTTP to /access/jwt. Every attack
 * named in docs/security-model.md ("JWT single sign-on") is a test here with its answer.
 */

let t: TestApp;
let A: TestTenant;
let B: TestTenant;
const SECRET_A = crypto.randomBytes(32).toString("base64url");
const SECRET_B = crypto.randomBytes(32).toString("base64url");
const REMOTE = "https://app.customer.test/sso/login";

/** A tenant with JWT sign-in set up. Each test takes its own: sign-ins count toward the per-address limit of each tenant. */
async function jwtTenant(secret: string): Promise<TestTenant> {
  const tenant = await buildTenant(t, "jwt");
  const r = await tenant.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: REMOTE, shared_secret: secret } });
  expect(r.status, r.text).toBe(200);
  const who = await tenant.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { end_user_provider: "jwt", staff_provider: "jwt", jit_users: true, role_attribute: "role", role_map: { agent: ["support-agent"], admin: ["it-admin"] } } });
  expect(who.status, who.text).toBe(200);
  return tenant;
}

beforeAll(async () => {
  t = await startTestApp({ rateLimiter: createMemoryRateLimiter(() => limiterNow ?? Date.now()) });
  B = await jwtTenant(SECRET_B);
});
afterAll(async () => t?.close());
beforeEach(async () => {
  A = await jwtTenant(SECRET_A);
});

const nowS = () => Math.floor(Date.now() / 1000);
let serial = 0;
const newEmail = (tenant: TestTenant) => `person${++serial}-${crypto.randomBytes(3).toString("hex")}@${tenant.subdomain}.test`;

/** A token as the customer's application makes it (HS256, fresh iat, a new jti), with claims overridden. */
async function token(secret: string, claims: Record<string, unknown> = {}, alg = "HS256"): Promise<string> {
  const body = { iat: nowS(), jti: crypto.randomUUID(), email: `someone@example.test`, name: "Some One", ...claims };
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete (body as Record<string, unknown>)[k];
  return new jose.SignJWT(body).setProtectedHeader({ alg, typ: "JWT" }).sign(new TextEncoder().encode(secret));
}

/** The browser's form post from the customer's application. */
function post(tenant: TestTenant, jwt: string, returnTo?: string) {
  const form = new URLSearchParams({ jwt, ...(returnTo !== undefined ? { return_to: returnTo } : {}) }).toString();
  return t.request({ method: "POST", path: "/access/jwt", host: tenant.host, rawBody: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
}

async function refusedWith(res: Awaited<ReturnType<typeof post>>, reason: string): Promise<void> {
  expect(res.status, res.text).toBe(401);
  expect(res.body.error).toBe("Couldn't authenticate you");
  expect(res.body.description).toContain(`(${reason})`);
  expect(res.headers["set-cookie"]?.some((c) => c.startsWith("vd_session="))).not.toBe(true);
}

async function signinFailures(tenant: TestTenant): Promise<Array<{ changed_fields: string[] }>> {
  const r = await tenant.api("GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed&per_page=100");
  expect(r.status).toBe(200);
  return r.body.audit_logs;
}

describe("JWT single sign-on", () => {
  it("signs a new person in with a good token: created just in time, sent to the help center, cookie set", async () => {
    const email = newEmail(A);
    const res = await post(A, await token(SECRET_A, { email, name: "Jay Doe", external_id: "cust-42" }));
    expect(res.status, res.text).toBe(303);
    expect(res.headers.location).toBe("/");
    const cookie = cookieOf(res.headers);
    const me = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: A.host, headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(email);
    expect(me.body.user.name).toBe("Jay Doe");
    expect(me.body.user.role).toBe("end-user");
    const sessions = await t.request({ method: "GET", path: "/api/v2/users/me/sessions.json", host: A.host, headers: { cookie } });
    expect(JSON.stringify(sessions.body)).toContain("jwt");
    // Staff find the person made just in time by the start of their name (the name index, in the sign-in's transaction).
    const found = await A.api("GET", `/api/v2/search.json?query=${encodeURIComponent(`type:user email:${email} name:ja*`)}`);
    expect(found.body.results.map((u: { id: number }) => u.id)).toEqual([me.body.user.id]);
  });

  it("maps the role claim through the tenant's role mapping, and sends staff to the workspace", async () => {
    const email = newEmail(A);
    const res = await post(A, await token(SECRET_A, { email, name: "Agent Jay", external_id: "emp-7", role: "support-agent" }));
    expect(res.status, res.text).toBe(303);
    expect(res.headers.location).toBe("/agent");
    const me = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: A.host, headers: { cookie: cookieOf(res.headers) } });
    expect(me.body.user).toMatchObject({ email, role: "agent" });
    // The same external_id later with another address is the same person (found by subject).
    const again = await post(A, await token(SECRET_A, { email: newEmail(A), external_id: "emp-7", role: "support-agent" }));
    expect(again.status, again.text).toBe(303);
    const me2 = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: A.host, headers: { cookie: cookieOf(again.headers) } });
    expect(me2.body.user.id).toBe(me.body.user.id);
  });

  it("signs in by GET too, and goes to a return_to of the account's own site", async () => {
    const res = await t.request({ method: "GET", path: `/access/jwt?jwt=${await token(SECRET_A, { email: newEmail(A) })}&return_to=${encodeURIComponent("/hc/requests?x=1")}`, host: A.host });
    expect(res.status, res.text).toBe(303);
    expect(res.headers.location).toBe("/hc/requests?x=1");
  });

  it("follows a return_to given as an address of the account's own site (as /access/jwt/login hands it out)", async () => {
    const res = await post(A, await token(SECRET_A, { email: newEmail(A) }), `${A.origin}/requests?tab=open`);
    expect(res.status, res.text).toBe(303);
    expect(res.headers.location).toBe("/requests?tab=open");
    const other = await post(A, await token(SECRET_A, { email: newEmail(A) }), `${B.origin}/requests`);
    expect(other.headers.location).toBe("/");
  });

  it("ignores a return_to to another origin", async () => {
    for (const away of ["https://evil.test/steal", "//evil.test/x", "/\\evil.test", "javascript:alert(1)", "http:/evil.test"]) {
      const res = await post(A, await token(SECRET_A, { email: newEmail(A) }), away);
      expect(res.status, away).toBe(303);
      expect(res.headers.location, away).toBe("/");
    }
  });

  it("refuses a token signed with a wrong secret", async () => {
    await refusedWith(await post(A, await token(crypto.randomBytes(32).toString("base64url"))), "invalid_token");
  });

  it("refuses an unsigned token (alg none)", async () => {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const unsigned = `${enc({ alg: "none", typ: "JWT" })}.${enc({ iat: nowS(), jti: crypto.randomUUID(), email: newEmail(A) })}.`;
    await refusedWith(await post(A, unsigned), "invalid_token");
    // Also with the "signature" of an HS256 token pasted on.
    const real = (await token(SECRET_A)).split(".")[2];
    await refusedWith(await post(A, `${unsigned}${real}`), "invalid_token");
  });

  it("refuses HS512 with the right secret, and RS256", async () => {
    await refusedWith(await post(A, await token(SECRET_A, { email: newEmail(A) }, "HS512")), "invalid_token");
    await refusedWith(await post(A, await token(SECRET_A, { email: newEmail(A) }, "HS384")), "invalid_token");
    const { privateKey } = await jose.generateKeyPair("RS256");
    const rs = await new jose.SignJWT({ iat: nowS(), jti: crypto.randomUUID(), email: newEmail(A) }).setProtectedHeader({ alg: "RS256" }).sign(privateKey);
    await refusedWith(await post(A, rs), "invalid_token");
  });

  it("refuses an expired token, an old iat, an exp too far ahead", async () => {
    await refusedWith(await post(A, await token(SECRET_A, { iat: nowS() - 120, exp: nowS() - 60 })), "expired");
    await refusedWith(await post(A, await token(SECRET_A, { iat: nowS() - 600, exp: nowS() + 300 })), "stale");
    await refusedWith(await post(A, await token(SECRET_A, { iat: nowS() + 600 })), "stale");
    await refusedWith(await post(A, await token(SECRET_A, { exp: nowS() + 3600 })), "too_long");
    // At the limits: exp 14 minutes ahead and iat two minutes old are fine.
    expect((await post(A, await token(SECRET_A, { email: newEmail(A), iat: nowS() - 120, exp: nowS() + 14 * 60 }))).status).toBe(303);
  });

  it("refuses a token without iat, jti or e-mail", async () => {
    await refusedWith(await post(A, await token(SECRET_A, { iat: undefined })), "invalid_token");
    await refusedWith(await post(A, await token(SECRET_A, { jti: undefined })), "invalid_token");
    await refusedWith(await post(A, await token(SECRET_A, { email: "not an address" })), "email_missing");
  });

  it("refuses a replayed jti", async () => {
    const once = await token(SECRET_A, { email: newEmail(A) });
    expect((await post(A, once)).status).toBe(303);
    await refusedWith(await post(A, once), "replayed");
    // The same jti in a newly signed token is a replay too.
    const jti = crypto.randomUUID();
    expect((await post(A, await token(SECRET_A, { jti, email: newEmail(A) }))).status).toBe(303);
    await refusedWith(await post(A, await token(SECRET_A, { jti, email: newEmail(A) })), "replayed");
  });

  it("refuses another tenant's token, and the same jti in another tenant is that tenant's own", async () => {
    const forB = await token(SECRET_B, { email: newEmail(A) });
    await refusedWith(await post(A, forB), "invalid_token");
    expect((await post(B, forB)).status).toBe(303);
  });

  it("accepts the previous secret during a rotation, and no longer once it is removed", async () => {
    const gen = await A.api("POST", "/api/v2/sso/jwt/secret.json");
    expect(gen.status, gen.text).toBe(201);
    const fresh = gen.body.shared_secret as string;
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(gen.body.jwt).toMatchObject({ shared_secret_set: true, rotation_secret_set: true });
    expect((await post(A, await token(SECRET_A, { email: newEmail(A) }))).status).toBe(303);
    expect((await post(A, await token(fresh, { email: newEmail(A) }))).status).toBe(303);
    const shown = await A.api("GET", "/api/v2/sso/jwt.json");
    expect(shown.text).not.toContain(fresh);
    expect(shown.text).not.toContain(SECRET_A);
    const ended = await A.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: REMOTE, remove_rotation_secret: true } });
    expect(ended.status, ended.text).toBe(200);
    expect(ended.body.jwt.rotation_secret_set).toBe(false);
    await refusedWith(await post(A, await token(SECRET_A, { email: newEmail(A) })), "invalid_token");
    expect((await post(A, await token(fresh, { email: newEmail(A) }))).status).toBe(303);
  });

  it("refuses a suspended person, and audits every refusal with its kind", async () => {
    for (const bad of [await token(SECRET_B), await token(SECRET_A, { exp: nowS() - 60, iat: nowS() - 90 })]) expect((await post(A, bad)).status).toBe(401);
    const used = await token(SECRET_A, { email: newEmail(A) });
    expect((await post(A, used)).status).toBe(303);
    expect((await post(A, used)).status).toBe(401);
    const email = newEmail(A);
    const created = await A.api("POST", "/api/v2/users.json", { user: { name: "Sus Pended", email } });
    expect((await A.api("PUT", `/api/v2/users/${created.body.user.id}.json`, { user: { suspended: true } })).status).toBe(200);
    const res = await post(A, await token(SECRET_A, { email }));
    expect(res.status, res.text).toBe(403);
    expect(res.body.description).toBe("This account cannot sign in; ask an admin.");
    expect(res.headers["set-cookie"]?.some((c) => c.startsWith("vd_session="))).not.toBe(true);
    const failures = await signinFailures(A);
    expect(failures.length).toBe(4);
    expect(failures.every((f) => f.changed_fields.includes("jwt"))).toBe(true);
    expect(failures.some((f) => f.changed_fields.includes("unavailable"))).toBe(true);
    expect(failures.some((f) => f.changed_fields.includes("replayed"))).toBe(true);
  });

  it("sends 'Sign in' to the customer's remote login URL with this site's return address", async () => {
    const res = await t.request({ method: "GET", path: `/access/jwt/login?return_to=${encodeURIComponent("/hc/requests")}`, host: A.host });
    expect(res.status, res.text).toBe(303);
    const to = new URL(res.headers.location!);
    expect(`${to.origin}${to.pathname}`).toBe(REMOTE);
    expect(to.searchParams.get("return_to")).toBe(`${A.origin}/hc/requests`);
    const away = await t.request({ method: "GET", path: `/access/jwt/login?return_to=${encodeURIComponent("https://evil.test/")}`, host: A.host });
    expect(new URL(away.headers.location!).searchParams.get("return_to")).toBe(`${A.origin}/`);
  });

  it("answers 404 where JWT sign-in is not set up", async () => {
    const C = await buildTenant(t, "jwtc");
    const res = await post(C, await token(SECRET_A));
    expect(res.status).toBe(404);
    expect((await t.request({ method: "GET", path: "/access/jwt/login", host: C.host })).status).toBe(404);
  });

  it("keeps the secrets write-only and sealed, and the settings to admins", async () => {
    const shown = await A.api("GET", "/api/v2/sso/jwt.json");
    expect(shown.status).toBe(200);
    expect(shown.body.jwt).toMatchObject({ enabled: true, remote_login_url: REMOTE, shared_secret_set: true, sign_in_url: `${A.origin}/access/jwt` });
    expect(shown.text).not.toContain(SECRET_A);
    const stored = await t.db.tenant(A.tenantId, async (tx) => (await sql<{ c: Buffer }>`SELECT config_sealed AS c FROM sso_providers WHERE kind = 'jwt'`.execute(tx.db)).rows[0]!.c);
    expect(Buffer.from(stored).includes(Buffer.from(SECRET_A))).toBe(false);
    expect(Buffer.from(stored).includes(Buffer.from(REMOTE))).toBe(false);
    const agent = await buildUser(t, A, "agent");
    const as = { email: agent.email, token: agent.token! };
    expect((await A.api("GET", "/api/v2/sso/jwt.json", undefined, as)).status).toBe(403);
    expect((await A.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: false, remote_login_url: REMOTE } }, as)).status).toBe(403);
    expect((await A.api("POST", "/api/v2/sso/jwt/secret.json", undefined, as)).status).toBe(403);
    // Bad settings: a clear 422, nothing saved.
    const bad = await A.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "http://evil.test/login", shared_secret: "short" } });
    expect(bad.status).toBe(422);
    expect((await A.api("GET", "/api/v2/sso/jwt.json")).body.jwt.remote_login_url).toBe(REMOTE);
  });

  it("takes form posts only on the sign-in route: JSON there, and forms on JSON routes, are refused", async () => {
    const json = await t.request({ method: "POST", path: "/access/jwt", host: A.host, body: { jwt: await token(SECRET_A, { email: newEmail(A) }) } });
    expect(json.status, json.text).toBeGreaterThanOrEqual(400);
    expect(json.status, json.text).toBeLessThan(500);
    expect(typeof json.body.error).toBe("string");
    expect(json.headers["set-cookie"]).toBeUndefined();
    const form = await t.request({ method: "POST", path: "/api/v2/session.json", host: A.host, rawBody: `email=${encodeURIComponent(A.ownerEmail)}&password=${encodeURIComponent(A.ownerPassword)}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status, form.text).toBe(400);
    expect(form.body.description).toBe("Send the body as application/json.");
    expect(form.headers["set-cookie"]).toBeUndefined();
  });
});

describe("a refusal seen in a browser", () => {
  it("is a page with the same status and words (escaped) for a browser, and the JSON error for anything else", async () => {
    const bad = await token(`${SECRET_A}-wrong`, { name: "<script>alert(1)</script>" });
    const page = await t.request({ method: "GET", path: `/access/jwt?jwt=${bad}`, host: A.host, headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(page.status).toBe(401);
    expect(page.headers["content-type"]).toMatch(/^text\/html/);
    expect(page.text).toContain("<h1>Sign-in did not work</h1>");
    expect(page.text).toMatch(/Single sign-on was refused \([a-z_]+\)/);
    expect(page.text).not.toContain("<script>");
    // The page carries the same security headers as every answer (no script can run in it).
    expect(page.headers["content-security-policy"]).toBeDefined();
    const api = await t.request({ method: "GET", path: `/access/jwt?jwt=${bad}`, host: A.host, headers: { accept: "application/json" } });
    expect(api.status).toBe(401);
    expect(api.body.description).toMatch(/Single sign-on was refused/);
  });
});

describe("the sign-in flows' own rate limit", () => {
  it("lets a whole office behind one address through past the password sign-in's 30 a minute, and stops at 300", async () => {
    const office = await jwtTenant(crypto.randomBytes(32).toString("base64url"));
    const statuses: number[] = [];
    limiterNow = Date.now();
    try {
      for (let i = 0; i < 301; i++) statuses.push((await t.request({ method: "GET", path: "/access/jwt/login", host: office.host })).status);
    } finally {
      limiterNow = undefined;
    }
    expect(statuses.slice(0, 300).every((s) => s === 303), statuses.join(",")).toBe(true);
    expect(statuses[300]).toBe(429);
    // Password sign-in from the same address keeps its own, stricter count.
    const pw = await t.request({ method: "POST", path: "/api/v2/session.json", host: office.host, body: { email: office.ownerEmail, password: office.ownerPassword } });
    expect(pw.status).toBe(201);
  });
});
