import crypto from "node:crypto";
import * as jose from "jose";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liftIpRestrictionsByOperator } from "../src/modules/identity/ip-restrictions-service.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { cookieOf, PASSWORD, staffWithPassword, type Session } from "./support/people.ts";

/**
 * IP restrictions over real HTTP: clients connect from distinct loopback addresses (127.0.0.2,
 * 127.0.0.3 …; ::1 against a server listening on ::1), so the server judges each by its socket.
 * Tokens, sessions and every sign-in are checked; the change that would shut out its own admin
 * needs confirming; a forged X-Forwarded-For is not believed. Through a real nginx:
 * test/peers/nginx-proxy.test.ts.
 */

const IN = "127.0.0.2";
const OUT = "127.0.0.3";
let t: TestApp;
let clock = Date.now();

beforeAll(async () => {
  t = await startTestApp({ now: () => new Date(clock) });
});
afterAll(async () => {
  await t?.close();
});

type As = { token: string; email: string } | Session | undefined;
function from(app: TestApp, tenant: TestTenant, localAddress: string | undefined, as: As, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { ...headers };
  if (as && "token" in as) h.authorization = "Basic " + Buffer.from(`${as.email}/token:${as.token}`).toString("base64");
  else if (as) {
    h.cookie = as.cookie;
    if (method !== "GET") h["x-csrf-token"] = as.csrf;
  }
  return app.request({ method, path, host: tenant.host, headers: h, body, ...(localAddress ? { localAddress } : {}) });
}
const ownerOf = (a: TestTenant) => ({ token: a.ownerToken, email: a.ownerEmail });
const refusedByNetwork = (r: { status: number; body: any; text: string }) => {
  expect(r.status, r.text).toBe(403);
  expect(r.body.description).toMatch(/^Your network is not allowed/);
};
async function signInFrom(a: TestTenant, addr: string, email: string, password: string) {
  return t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email, password }, localAddress: addr });
}
const sessionOf = (r: { headers: Record<string, unknown>; body: any }): Session => ({ cookie: cookieOf(r.headers), csrf: r.body.session.csrf_token });

describe("IP restrictions", () => {
  it("shows the caller's address and refuses, unless confirmed, a change that would shut out the admin making it", async () => {
    const a = await buildTenant(t, "ipa");
    const agent = await buildUser(t, a, "agent");
    const shown = await from(t, a, IN, ownerOf(a), "GET", "/api/v2/ip_restrictions.json");
    expect(shown.status, shown.text).toBe(200);
    expect(shown.body.ip_restriction).toEqual({ enabled: false, allowed_ips: "", enforce_end_users: false, allow_two_factor: false, current_ip: IN, current_ip_allowed: false });

    // From 127.0.0.3, a list without it would shut the owner out: refused, nothing stored.
    const risky = await from(t, a, OUT, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: `${IN}/32` } });
    expect(risky.status, risky.text).toBe(422);
    expect(risky.body.details.allowed_ips[0].error).toBe("LockoutRisk");
    expect((await from(t, a, OUT, ownerOf(a), "GET", "/api/v2/ip_restrictions.json")).body.ip_restriction.enabled).toBe(false);
    // `confirm_lockout` must be literally true.
    expect((await from(t, a, OUT, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: IN }, confirm_lockout: "yes" })).status).toBe(422);

    // Confirmed: stored, and the owner's very next request from 127.0.0.3 is refused.
    const confirmed = await from(t, a, OUT, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: `${IN}  10.9.9.9/8,${IN}` }, confirm_lockout: true });
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.body.ip_restriction).toMatchObject({ enabled: true, allowed_ips: `10.0.0.0/8 ${IN}/32`, current_ip: OUT, current_ip_allowed: false });
    refusedByNetwork(await from(t, a, OUT, ownerOf(a), "GET", "/api/v2/ip_restrictions.json"));

    // Bad ranges: 422 naming them; an empty list cannot be turned on.
    const bad = await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { allowed_ips: "10.0.0.0/33 ::1" } });
    expect(bad.status, bad.text).toBe(422);
    expect(bad.body.details.allowed_ips[0].description).toContain("10.0.0.0/33");
    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { allowed_ips: "" } })).status).toBe(422);
    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { allowed_ips: "example.com" } })).status).toBe(422);

    // Admins only; the audit trail names what changed, never the ranges.
    expect((await from(t, a, IN, { email: agent.email, token: agent.token! }, "GET", "/api/v2/ip_restrictions.json")).status).toBe(403);
    const log = await from(t, a, IN, ownerOf(a), "GET", "/api/v2/audit_logs.json?filter[action]=ip_restrictions.updated");
    expect(log.status, log.text).toBe(200);
    expect(log.body.audit_logs).toHaveLength(1);
    expect(log.body.audit_logs[0].changed_fields.sort()).toEqual(["allowed_ips:0-2", "enabled:off-on", "lockout_confirmed"]);
    // (The entry's own `ip` is the actor's address, as on every entry; the ranges appear nowhere.)
    expect(log.text).not.toContain("10.0.0.0");
    expect(log.text).not.toContain("/32");

    // The operator lifts the restriction for an admin who shut themselves out (`vaultdesk tenant lift-ip-restrictions`).
    refusedByNetwork(await from(t, a, OUT, ownerOf(a), "GET", "/api/v2/users/me.json"));
    expect(await liftIpRestrictionsByOperator(t, a.tenantId)).toBe(true);
    const lifted = await from(t, a, OUT, ownerOf(a), "GET", "/api/v2/ip_restrictions.json");
    expect(lifted.status, lifted.text).toBe(200);
    expect(lifted.body.ip_restriction).toMatchObject({ enabled: false, allowed_ips: `10.0.0.0/8 ${IN}/32` });
    expect(await liftIpRestrictionsByOperator(t, a.tenantId)).toBe(false);
    const byOperator = await from(t, a, OUT, ownerOf(a), "GET", "/api/v2/audit_logs.json?filter[action]=ip_restrictions.updated");
    expect(byOperator.body.audit_logs.map((e: { changed_fields: string[] }) => e.changed_fields)).toContainEqual(["enabled:on-off"]);
  });

  it("admits staff tokens, sessions and sign-ins only from the ranges, and leaves another tenant alone", async () => {
    const a = await buildTenant(t, "ipb");
    const b = await buildTenant(t, "ipc");
    const agent = await staffWithPassword(t, a, "agent");
    const agentToken = await buildUser(t, a, "agent");
    const before = sessionOf(await signInFrom(a, OUT, agent.email, PASSWORD));
    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: `${IN}/32` } })).status).toBe(200);

    // API tokens.
    expect((await from(t, a, IN, { email: agentToken.email, token: agentToken.token! }, "GET", "/api/v2/users/me.json")).status).toBe(200);
    refusedByNetwork(await from(t, a, OUT, { email: agentToken.email, token: agentToken.token! }, "GET", "/api/v2/users/me.json"));
    refusedByNetwork(await from(t, a, undefined, { email: agentToken.email, token: agentToken.token! }, "GET", "/api/v2/tickets.json"));
    // A session that began outside is refused at once; a live one only from inside.
    refusedByNetwork(await from(t, a, OUT, before, "GET", "/api/v2/users/me.json"));
    const inside = await signInFrom(a, IN, agent.email, PASSWORD);
    expect(inside.status, inside.text).toBe(201);
    const s = sessionOf(inside);
    expect((await from(t, a, IN, s, "GET", "/api/v2/users/me.json")).status).toBe(200);
    refusedByNetwork(await from(t, a, OUT, s, "GET", "/api/v2/users/me.json"));
    refusedByNetwork(await from(t, a, OUT, s, "POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "y" } } }));

    // Sign-in from outside: the right password gets 403 and no session; a wrong one, the usual 401.
    const count = () => t.db.tenant(a.tenantId, async (tx) => Number((await tx.db.selectFrom("sessions").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n));
    const sessions = await count();
    const outside = await signInFrom(a, OUT, agent.email, PASSWORD);
    refusedByNetwork(outside);
    expect(outside.headers["set-cookie"]).toBeUndefined();
    expect((await signInFrom(a, OUT, agent.email, "wrong password 1")).status).toBe(401);
    expect(await count()).toBe(sessions);
    const failed = await from(t, a, IN, ownerOf(a), "GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed");
    expect(failed.body.audit_logs.some((e: { changed_fields: string[] }) => e.changed_fields.includes("ip_restriction"))).toBe(true);

    // Password access to the API (a tenant setting): the same rule.
    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } })).status).toBe(200);
    const basic = { authorization: "Basic " + Buffer.from(`${agent.email}:${PASSWORD}`).toString("base64") };
    expect((await from(t, a, IN, undefined, "GET", "/api/v2/users/me.json", undefined, basic)).status).toBe(200);
    refusedByNetwork(await from(t, a, OUT, undefined, "GET", "/api/v2/users/me.json", undefined, basic));

    // Another tenant's settings and people are untouched.
    expect((await from(t, b, OUT, ownerOf(b), "GET", "/api/v2/ip_restrictions.json")).body.ip_restriction.enabled).toBe(false);
    expect((await signInFrom(b, OUT, b.ownerEmail, b.ownerPassword)).status).toBe(201);

    // Turned off: everyone is back.
    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: false } })).status).toBe(200);
    expect((await from(t, a, OUT, s, "GET", "/api/v2/users/me.json")).status).toBe(200);
  });

  it("binds end users only when chosen, sign-in links included", async () => {
    const a = await buildTenant(t, "ipd");
    const eu = await buildUser(t, a, "end-user", "Outside Person");
    const redeemFrom = async (addr: string) => {
      const link = await from(t, a, IN, ownerOf(a), "POST", `/api/v2/users/${eu.id}/sign_in_links.json`);
      expect(link.status, link.text).toBe(201);
      return t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links/redeem.json", host: a.host, body: { token: link.body.sign_in_link.token }, localAddress: addr });
    };
    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: IN } })).status).toBe(200);
    const r = await redeemFrom(OUT);
    expect(r.status, r.text).toBe(201);
    const s = sessionOf(r);
    expect((await from(t, a, OUT, s, "GET", "/api/v2/requests.json")).status).toBe(200);

    const on = await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enforce_end_users: true } });
    expect(on.body.ip_restriction.enforce_end_users).toBe(true);
    refusedByNetwork(await from(t, a, OUT, s, "GET", "/api/v2/requests.json"));
    refusedByNetwork(await redeemFrom(OUT));
    expect((await redeemFrom(IN)).status).toBe(201);

    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enforce_end_users: false } })).status).toBe(200);
    expect((await from(t, a, OUT, s, "GET", "/api/v2/requests.json")).status).toBe(200);
  });

  it("lets a sign-in with a second factor in from outside only when chosen, and never a token", async () => {
    const a = await buildTenant(t, "ipe");
    const admin = await staffWithPassword(t, a, "admin");
    const plain = await staffWithPassword(t, a, "agent");
    const adminToken = await buildUser(t, a, "admin");
    // The admin sets up an authenticator app.
    const start = await from(t, a, IN, admin.session, "POST", "/api/v2/users/me/two_factor/totp.json");
    const secret: string = start.body.totp.secret;
    const codeNow = () => new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: clock });
    expect((await from(t, a, IN, admin.session, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeNow() })).status).toBe(200);
    const withCode = async (addr: string) => {
      clock += 31_000; // a new code each time (a code is used once)
      const pw = await signInFrom(a, addr, admin.email, PASSWORD);
      if (pw.status !== 202) return pw;
      return t.request({ method: "POST", path: "/api/v2/session/two_factor.json", host: a.host, body: { challenge: pw.body.challenge, code: codeNow() }, localAddress: addr });
    };

    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: IN } })).status).toBe(200);
    // Without the exception a second factor changes nothing: no challenge from outside.
    refusedByNetwork(await signInFrom(a, OUT, admin.email, PASSWORD));

    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { allow_two_factor: true } })).status).toBe(200);
    const signedIn = await withCode(OUT);
    expect(signedIn.status, signedIn.text).toBe(201);
    const s = sessionOf(signedIn);
    expect((await from(t, a, OUT, s, "GET", "/api/v2/users/me.json")).status).toBe(200);
    // A person without a second factor, and any API token, still need the ranges.
    refusedByNetwork(await signInFrom(a, OUT, plain.email, PASSWORD));
    refusedByNetwork(await from(t, a, OUT, plain.session, "GET", "/api/v2/users/me.json"));
    refusedByNetwork(await from(t, a, OUT, { email: adminToken.email, token: adminToken.token! }, "GET", "/api/v2/users/me.json"));

    // The lockout check counts the exception: from outside with a second factor, narrowing the
    // ranges shuts nobody out while the exception stays; dropping the exception would.
    expect((await from(t, a, OUT, s, "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { allowed_ips: "127.0.0.4" } })).status).toBe(200);
    const drop = await from(t, a, OUT, s, "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { allow_two_factor: false } });
    expect(drop.status, drop.text).toBe(422);
    expect(drop.body.details.allowed_ips[0].error).toBe("LockoutRisk");
  });

  it("refuses a code step from outside before the code is tried: a right and a wrong code hear the same, and the code is not spent", async () => {
    const a = await buildTenant(t, "ipcode");
    const admin = await staffWithPassword(t, a, "admin");
    const start = await from(t, a, IN, admin.session, "POST", "/api/v2/users/me/two_factor/totp.json");
    const secret: string = start.body.totp.secret;
    clock += 31_000;
    const code = new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: clock });
    const confirmed = await from(t, a, IN, admin.session, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code });
    expect(confirmed.status, confirmed.text).toBe(200);
    const recovery = confirmed.body.recovery_codes as string[];
    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: IN } })).status).toBe(200);
    // The password step from inside; the code step from outside (the client moved).
    const pw = await signInFrom(a, IN, admin.email, PASSWORD);
    expect(pw.status, pw.text).toBe(202);
    const step = (c: string, addr: string) => t.request({ method: "POST", path: "/api/v2/session/two_factor.json", host: a.host, body: { challenge: pw.body.challenge, code: c }, localAddress: addr });
    const right = await step(recovery[0]!, OUT);
    refusedByNetwork(right);
    const wrong = await step("abcde-fghjk", OUT);
    expect([wrong.status, wrong.body]).toEqual([right.status, right.body]);
    // Each refusal is kept (audited, committed); the code and the challenge are still good from inside.
    const refusals = ((await from(t, a, IN, ownerOf(a), "GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Array<{ action: string; changed_fields: string[] }>).filter((l) => l.action === "user.signin_failed" && l.changed_fields.includes("ip_restriction"));
    expect(refusals).toHaveLength(2);
    const inside = await step(recovery[0]!, IN);
    expect(inside.status, inside.text).toBe(201);
  });

  it("refuses a single sign-on from outside before any session, audited", async () => {
    const a = await buildTenant(t, "iph");
    const secret = crypto.randomBytes(32).toString("base64url");
    expect((await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", shared_secret: secret } })).status).toBe(200);
    expect((await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { end_user_provider: "jwt", staff_provider: "jwt", jit_users: true } })).status).toBe(200);
    const agent = await buildUser(t, a, "agent");
    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: IN } })).status).toBe(200);
    const post = async (addr: string) => {
      const jwt = await new jose.SignJWT({ iat: Math.floor(clock / 1000), jti: crypto.randomUUID(), email: agent.email, name: "Agent" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
      return t.request({ method: "POST", path: "/access/jwt", host: a.host, rawBody: new URLSearchParams({ jwt }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" }, localAddress: addr });
    };
    const outside = await post(OUT);
    refusedByNetwork(outside);
    expect(outside.headers["set-cookie"]?.some((c) => c.startsWith("vd_session="))).not.toBe(true);
    const failed = await from(t, a, IN, ownerOf(a), "GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed");
    expect(failed.body.audit_logs.map((e: { changed_fields: string[] }) => e.changed_fields.sort())).toContainEqual(["ip_restriction", "jwt"]);
    const inside = await post(IN);
    expect(inside.status, inside.text).toBe(303);
  });

  it("creates no one, maps no role and spends no link or invitation for a way in refused by the network, and audits each refusal", async () => {
    const a = await buildTenant(t, "ipj");
    const secret = crypto.randomBytes(32).toString("base64url");
    expect((await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", shared_secret: secret } })).status).toBe(200);
    expect((await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { end_user_provider: "jwt", staff_provider: "jwt", jit_users: true } })).status).toBe(200);
    const eu = await buildUser(t, a, "end-user", "Linked Person");
    const link = await from(t, a, IN, ownerOf(a), "POST", `/api/v2/users/${eu.id}/sign_in_links.json`);
    const inv = await from(t, a, IN, ownerOf(a), "POST", "/api/v2/invitations.json", { invitation: { email: "newcomer@ipj.test", role: "agent" } });
    expect(inv.status, inv.text).toBe(201);
    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: IN, enforce_end_users: true } })).status).toBe(200);

    // Single sign-on, just-in-time: nobody is created from outside.
    const stranger = "stranger@customer.test";
    const jwt = async () => new jose.SignJWT({ iat: Math.floor(clock / 1000), jti: crypto.randomUUID(), email: stranger, name: "Stranger" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
    const sso = async (addr: string) => t.request({ method: "POST", path: "/access/jwt", host: a.host, rawBody: new URLSearchParams({ jwt: await jwt() }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" }, localAddress: addr });
    refusedByNetwork(await sso(OUT));
    const search = async (email: string) => (await from(t, a, IN, ownerOf(a), "GET", `/api/v2/users/search.json?query=${encodeURIComponent(email)}`)).body.users as unknown[];
    expect(await search(stranger)).toEqual([]);

    // A sign-in link: refused from outside, still unspent (it works from inside).
    const redeem = (addr: string) => t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links/redeem.json", host: a.host, body: { token: link.body.sign_in_link.token }, localAddress: addr });
    refusedByNetwork(await redeem(OUT));

    // An invitation: refused from outside; nobody created, the invitation still pending.
    const accept = (addr: string) => t.request({ method: "POST", path: "/api/v2/invitations/accept.json", host: a.host, body: { token: inv.body.invitation.token, name: "New Comer", password: "Quarry violet lantern 93 pebble" }, localAddress: addr });
    refusedByNetwork(await accept(OUT));
    expect(await search("newcomer@ipj.test")).toEqual([]);

    const log = await from(t, a, IN, ownerOf(a), "GET", "/api/v2/audit_logs.json?per_page=100");
    const entries = log.body.audit_logs.map((e: { action: string; changed_fields: string[] }) => [e.action, [...e.changed_fields].sort()]);
    expect(entries).toContainEqual(["user.signin_failed", ["ip_restriction", "jwt"]]);
    expect(entries).toContainEqual(["user.signin_failed", ["ip_restriction", "link"]]);
    expect(entries).toContainEqual(["invitation.refused", ["ip_restriction"]]);

    // From inside, each still works.
    expect((await redeem(IN)).status).toBe(201);
    expect((await accept(IN)).status).toBe(201);
    expect((await sso(IN)).status).toBe(303);
    expect(await search(stranger)).toHaveLength(1);
  });

  it("judges IPv6 clients by IPv6 ranges", async () => {
    const t6 = await startTestApp({ listen: "::1", db: t.db, keyring: t.keyring });
    try {
      const a = await buildTenant(t6, "ipf");
      const shown = await from(t6, a, undefined, ownerOf(a), "GET", "/api/v2/ip_restrictions.json");
      expect(shown.body.ip_restriction.current_ip).toBe("::1");
      // An IPv4 range does not admit ::1: the change would shut the owner out.
      expect((await from(t6, a, undefined, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: "127.0.0.0/8" } })).status).toBe(422);
      const v6 = await from(t6, a, undefined, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: "::1/128 2001:db8::/32" } });
      expect(v6.status, v6.text).toBe(200);
      expect(v6.body.ip_restriction).toMatchObject({ allowed_ips: "2001:db8::/32 ::1/128", current_ip_allowed: true });
      expect((await from(t6, a, undefined, ownerOf(a), "GET", "/api/v2/users/me.json")).status).toBe(200);
      expect((await from(t6, a, undefined, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { allowed_ips: "2001:db8::/32" }, confirm_lockout: true })).status).toBe(200);
      refusedByNetwork(await from(t6, a, undefined, ownerOf(a), "GET", "/api/v2/users/me.json"));
    } finally {
      await t6.close();
    }
  });

  it("believes X-Forwarded-For only from a listed proxy, and takes its rightmost untrusted entry", async () => {
    const a = await buildTenant(t, "ipg");
    expect((await from(t, a, IN, ownerOf(a), "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: IN } })).status).toBe(200);
    // No proxy is trusted here: a client writing the header is judged by its own address.
    refusedByNetwork(await from(t, a, OUT, ownerOf(a), "GET", "/api/v2/users/me.json", undefined, { "x-forwarded-for": IN }));

    // A second server that trusts 127.0.0.1 as its proxy (same database and keys).
    const tp = await startTestApp({ db: t.db, keyring: t.keyring, env: { VAULTDESK_TRUST_PROXY: "127.0.0.1" } });
    try {
      const via = (addr: string, xff: string) => from(tp, a, addr, ownerOf(a), "GET", "/api/v2/ip_restrictions.json", undefined, { "x-forwarded-for": xff });
      // From the proxy's address, the header names the client.
      const ok = await via("127.0.0.1", IN);
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.ip_restriction.current_ip).toBe(IN);
      // What the client wrote to the left of the proxy's own entry is not believed.
      refusedByNetwork(await via("127.0.0.1", `${IN}, ${OUT}`));
      expect((await via("127.0.0.1", `${OUT}, ${IN}`)).body.ip_restriction.current_ip).toBe(IN);
      // Not from the proxy: the header is ignored, whatever it says.
      refusedByNetwork(await via(OUT, IN));
    } finally {
      await tp.close();
    }
  });
});
