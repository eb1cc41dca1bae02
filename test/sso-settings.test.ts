import crypto from "node:crypto";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeContext, userActor, type RequestContext } from "../src/platform/context.ts";
import type { SsoKind } from "../src/platform/db/schema.ts";
import { CommitThenFail } from "../src/platform/errors.ts";
import { beginRequest, finishRequest, readProvider, safeReturnTo, saveProvider, signInWithProvider, useOnce, type AssertedIdentity } from "../src/modules/identity/sso-service.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { acceptingMailer } from "./support/at-rest.ts";
import { asSession, jobsSettled, PASSWORD, signIn, staffWithPassword } from "./support/people.ts";

/**
 * Single sign-on, the part every protocol shares (sso-service.ts), on a real database and over
 * real HTTP: the settings and their guards, "SSO only" closing password sign-in, reset and links
 * while the owner keeps password + second factor, the sign-in options the pages read, and the
 * last step of an SSO sign-in — subject and e-mail matching, just-in-time users, role mapping and
 * its limits, refusals that are audited — plus the pending-request and replay stores. The
 * protocols (SAML, OpenID Connect, JWT) have suites of their own with real identity providers.
 */

let t: TestApp;
let clock = Date.now();
beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_JOB_POLL_SECONDS: "0.1" }, now: () => new Date(clock), mailer: acceptingMailer });
});
afterAll(async () => {
  await t?.close();
});

type Json = Record<string, any>;

/** Runs `fn` in the tenant's transaction as the owner (with an API token: a session would have to be a recent one) or anonymous, as a route would. */
async function inTenant<T>(a: TestTenant, fn: (ctx: RequestContext) => Promise<T>, as: "owner" | "anonymous" = "anonymous"): Promise<T> {
  return t.db.tenant(a.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    let actor: RequestContext["actor"] = { kind: "anonymous" };
    if (as === "owner") {
      const owner = await tx.db.selectFrom("users").select(["id", "nice_id"]).where("tenant_id", "=", a.tenantId).where("role", "=", "owner").executeTakeFirstOrThrow();
      actor = userActor({ id: owner.id, niceId: owner.nice_id, role: "owner", customRole: null }, "token");
    }
    return fn(makeContext({ tx, sealer, actor, now: () => new Date(clock), apiBase: `${a.origin}/api/v2` }));
  });
}

const deps = () => ({ keyring: t.keyring, config: t.config });
const setUpProvider = (a: TestTenant, kind: SsoKind, enabled = true) => inTenant(a, (ctx) => saveProvider(ctx, kind, { enabled, config: { issuer: "https://idp.example.test", client_secret: "never-in-the-clear" }, trust: { before: [], after: [] } }), "owner");
const settings = (a: TestTenant, body: Json) => a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: body });
/** A sign-in's last step for an identity the provider proved with its settings as they are now. */
const sso = (a: TestTenant, kind: SsoKind, id: Omit<AssertedIdentity, "providerVersion">) =>
  inTenant(a, async (ctx) => signInWithProvider(deps(), ctx, kind, { ...id, providerVersion: (await readProvider(ctx, kind))?.updatedAt ?? new Date(0) }));
const identity = (email: string, extra: Partial<AssertedIdentity> = {}): Omit<AssertedIdentity, "providerVersion"> => ({ subject: `sub-${email}`, email, name: "Ada Person", attributes: {}, ...extra });

async function ownerWithTotp(a: TestTenant) {
  const s = await signIn(t, a, a.ownerEmail, a.ownerPassword);
  const start = await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/totp.json");
  expect(start.status, start.text).toBe(201);
  const code = new TOTP({ secret: Secret.fromBase32(start.body.totp.secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: clock });
  const confirm = await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code });
  expect(confirm.status, confirm.text).toBe(200);
  clock += 30_000;
}

describe("single sign-on settings", () => {
  it("are admins' alone, start with nothing turned on, and send a group only to an enabled provider", async () => {
    const a = await buildTenant(t, "ssoset");
    const shown = await a.api("GET", "/api/v2/sso_settings.json");
    expect(shown.status, shown.text).toBe(200);
    expect(shown.body.sso_settings).toMatchObject({ staff_provider: null, end_user_provider: null, staff_sso_only: false, end_users_sso_only: false, jit_users: true, role_attribute: null, providers: [] });
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("GET", "/api/v2/sso_settings.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { jit_users: false } }, { email: agent.email, token: agent.token! })).status).toBe(403);

    const notSetUp = await settings(a, { staff_provider: "oidc" });
    expect(notSetUp.status).toBe(422);
    expect(notSetUp.body.details.staff_provider[0].description).toMatch(/not set up and enabled/);
    await setUpProvider(a, "oidc", false);
    expect((await settings(a, { staff_provider: "oidc" })).status).toBe(422);
    expect((await settings(a, { staff_sso_only: true })).status).toBe(422);
    expect((await settings(a, { staff_provider: "ldap" })).status).toBe(422);
    expect((await settings(a, { role_map: { owner: ["x"] } })).status).toBe(422);

    await setUpProvider(a, "oidc", true);
    const on = await settings(a, { staff_provider: "oidc", end_user_provider: "oidc", role_attribute: "groups", role_map: { admin: ["desk-admins"] } });
    expect(on.status, on.text).toBe(200);
    expect(on.body.sso_settings).toMatchObject({ staff_provider: "oidc", end_user_provider: "oidc", role_attribute: "groups", role_map: { admin: ["desk-admins"] }, providers: [{ kind: "oidc", enabled: true }] });
    // Switching the provider off leaves no group pointing at it.
    await setUpProvider(a, "oidc", false);
    expect((await a.api("GET", "/api/v2/sso_settings.json")).body.sso_settings).toMatchObject({ staff_provider: null, end_user_provider: null });

    const log = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=sso_settings.updated");
    expect(log.body.audit_logs.length).toBe(1);
    const providerLog = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=sso.provider_updated");
    expect(providerLog.body.audit_logs.length).toBe(3);
    // The provider's settings are audited by name only: no value (some are secrets) is in the trail.
    expect(JSON.stringify(providerLog.body)).not.toContain("never-in-the-clear");
  });

  it("tell the sign-in pages, anonymously, which ways in each group has", async () => {
    const a = await buildTenant(t, "ssoopt");
    const before = await t.request({ method: "GET", path: "/api/v2/sign_in_options.json", host: a.host });
    expect(before.status).toBe(200);
    expect(before.body.sign_in_options).toEqual({ staff: { password: true, sso: null }, end_users: { password: true, sign_in_links: true, sso: null } });
    await setUpProvider(a, "saml");
    await setUpProvider(a, "jwt");
    expect((await settings(a, { staff_provider: "saml", end_user_provider: "jwt", end_users_sso_only: true })).status).toBe(200);
    const after = await t.request({ method: "GET", path: "/api/v2/sign_in_options.json", host: a.host });
    expect(after.body.sign_in_options).toEqual({
      staff: { password: true, sso: { kind: "saml", start_path: "/access/saml/login", sign_out_url: null } },
      end_users: { password: false, sign_in_links: false, sso: { kind: "jwt", start_path: "/access/jwt/login", sign_out_url: null } },
    });
    // JWT's remote logout address: where the pages send its group after signing out, as it is set, nothing added.
    const jwt = await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", remote_logout_url: "https://app.customer.test/signed-out", shared_secret: "s".repeat(40) } });
    expect(jwt.status, jwt.text).toBe(200);
    const out = await t.request({ method: "GET", path: "/api/v2/sign_in_options.json", host: a.host });
    expect(out.body.sign_in_options.end_users.sso).toEqual({ kind: "jwt", start_path: "/access/jwt/login", sign_out_url: "https://app.customer.test/signed-out" });
    expect(out.body.sign_in_options.staff.sso.sign_out_url).toBeNull();
    expect((await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", remote_logout_url: "javascript:alert(1)", shared_secret: "s".repeat(40) } })).status).toBe(422);
  });
});

describe("SSO only", () => {
  it("needs every owner to have a second factor, then closes password sign-in and reset to staff but keeps the owner's password + code way in", async () => {
    const a = await buildTenant(t, "ssoonly");
    const agent = await staffWithPassword(t, a, "agent");
    await setUpProvider(a, "oidc");
    expect((await settings(a, { staff_provider: "oidc" })).status).toBe(200);
    const refused = await settings(a, { staff_sso_only: true });
    expect(refused.status).toBe(422);
    expect(refused.body.details.staff_sso_only[0].description).toMatch(/owner needs two-factor/);

    await ownerWithTotp(a);
    expect((await settings(a, { staff_sso_only: true })).status).toBe(200);

    // The agent's right password is answered exactly like a wrong one, and counts toward nothing.
    const right = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: agent.email, password: PASSWORD } });
    const wrong = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: agent.email, password: "not it at all 123" } });
    expect(right.status).toBe(401);
    expect(right.body).toEqual(wrong.body);
    expect(right.headers["set-cookie"]).toBeUndefined();
    // The owner's password leads to the second step, not to a session.
    const owner = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword } });
    expect(owner.status, owner.text).toBe(202);
    expect(owner.body.two_factor_required).toBe(true);

    // A reset asked for by an SSO-only agent sends nothing (the answer is the same as ever).
    const reset = await t.request({ method: "POST", path: "/api/v2/password_resets.json", host: a.host, body: { email: agent.email } });
    expect(reset.status).toBe(202);
    await jobsSettled(t, a.tenantId);
    const links = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("password_resets").select("id").execute());
    expect(links).toEqual([]);
    const log = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed");
    expect(log.body.audit_logs.some((e: Json) => JSON.stringify(e).includes("sso_only"))).toBe(true);
  });

  it("for end users stops e-mailed sign-in links and passwords", async () => {
    const a = await buildTenant(t, "ssoeu");
    const person = await buildUser(t, a, "end-user");
    await setUpProvider(a, "jwt");
    expect((await settings(a, { end_user_provider: "jwt", end_users_sso_only: true })).status).toBe(200);
    const link = await t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links.json", host: a.host, body: { email: person.email } });
    expect(link.status).toBe(202);
    await jobsSettled(t, a.tenantId);
    const rows = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("signin_links").select("id").execute());
    expect(rows).toEqual([]);
  });
});

describe("the last step of an SSO sign-in", () => {
  it("creates a person just in time, finds them again by subject after their address changed, and signs them in", async () => {
    const a = await buildTenant(t, "ssojit");
    await setUpProvider(a, "oidc");
    expect((await settings(a, { end_user_provider: "oidc" })).status).toBe(200);
    const r = await sso(a, "oidc", identity(`new.person@${a.subdomain}.test`, { subject: "idp-42" }));
    if (r instanceof CommitThenFail) throw r.error;
    expect(r.landing).toBe("/");
    expect(r.user.role).toBe("end_user");
    const me = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: { cookie: `vd_session=${r.session.token}` } });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email: `new.person@${a.subdomain}.test`, role: "end-user" });
    const again = await sso(a, "oidc", identity(`renamed@${a.subdomain}.test`, { subject: "idp-42" }));
    if (again instanceof CommitThenFail) throw again.error;
    expect(again.user.niceId).toBe(r.user.niceId);
    const sessions = await a.api("GET", `/api/v2/users/${r.user.niceId}/sessions.json`);
    expect(sessions.status, sessions.text).toBe(200);
    expect(sessions.body.sessions.map((s: Json) => s.method)).toEqual(["oidc", "oidc"]);
    const created = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.created");
    expect(created.body.audit_logs.length).toBeGreaterThanOrEqual(1);
  });

  it("maps roles only for the group the provider serves, never touches an owner, and ends the old sessions of a changed role", async () => {
    const a = await buildTenant(t, "ssorole");
    await setUpProvider(a, "saml");
    expect((await settings(a, { end_user_provider: "saml", role_attribute: "groups", role_map: { admin: ["desk-admins"], agent: ["desk-agents"] } })).status).toBe(200);
    // A provider set up for end users cannot make anyone staff.
    const escalate = await sso(a, "saml", identity(`climber@${a.subdomain}.test`, { attributes: { groups: ["desk-admins"] } }));
    expect(escalate).toBeInstanceOf(CommitThenFail);
    expect((escalate as CommitThenFail).error.code).toBe("Forbidden");
    expect((await a.api("GET", `/api/v2/users/search.json?query=climber@${a.subdomain}.test`)).body.users).toEqual([]);

    expect((await settings(a, { staff_provider: "saml" })).status).toBe(200);
    const agent = await staffWithPassword(t, a, "agent");
    const promoted = await sso(a, "saml", identity(agent.email, { attributes: { groups: ["other", "desk-admins"] } }));
    if (promoted instanceof CommitThenFail) throw promoted.error;
    expect(promoted.user.role).toBe("admin");
    expect(promoted.landing).toBe("/agent");
    // The session the agent had under the old role is over.
    expect((await asSession(t, a, agent.session, "GET", "/api/v2/users/me.json")).status).toBe(401);
    const roleLog = await a.api("GET", `/api/v2/audit_logs.json?filter[action]=user.role_changed&filter[source_id]=${agent.id}`);
    expect(roleLog.body.audit_logs.length).toBe(1);

    const owner = await sso(a, "saml", identity(a.ownerEmail, { attributes: { groups: ["desk-agents"] } }));
    if (owner instanceof CommitThenFail) throw owner.error;
    expect(owner.user.role).toBe("owner");
  });

  it("refuses, audits and commits the refusal: a suspended person, an unknown person without JIT, a provider not turned on, a second subject", async () => {
    const a = await buildTenant(t, "ssono");
    const off = await sso(a, "jwt", identity(`x@${a.subdomain}.test`));
    expect(off).toBeInstanceOf(CommitThenFail);
    await setUpProvider(a, "jwt");
    expect((await settings(a, { end_user_provider: "jwt", jit_users: false })).status).toBe(200);
    const unknown = await sso(a, "jwt", identity(`stranger@${a.subdomain}.test`));
    expect((unknown as CommitThenFail).error.description).toMatch(/no account/);

    const person = await buildUser(t, a, "end-user");
    expect((await a.api("PUT", `/api/v2/users/${person.id}.json`, { user: { suspended: true } })).status).toBe(200);
    const suspended = await sso(a, "jwt", identity(person.email));
    expect((suspended as CommitThenFail).error.description).toMatch(/cannot sign in/);

    const other = await buildUser(t, a, "end-user");
    const first = await sso(a, "jwt", identity(other.email, { subject: "first" }));
    expect(first).not.toBeInstanceOf(CommitThenFail);
    const second = await sso(a, "jwt", identity(other.email, { subject: "second" }));
    expect((second as CommitThenFail).error.description).toMatch(/linked to another identity/);

    const bad = await sso(a, "jwt", identity("not-an-address"));
    expect(bad).toBeInstanceOf(CommitThenFail);
    const log = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed");
    const reasons = log.body.audit_logs.map((e: Json) => JSON.stringify(e));
    for (const reason of ["provider_off", "not_provisioned", "unavailable", "other_subject", "bad_identity"]) expect(reasons.some((r: string) => r.includes(reason)), reason).toBe(true);
  });
});

describe("a provider no longer trusted as it was", () => {
  it("OpenID Connect: another issuer, client or secret ends the sessions opened through it; its claims or scopes do not, nor another protocol's sessions", async () => {
    const a = await buildTenant(t, "ssotrust");
    const oidc = async (body: Json) => {
      const r = await a.api("PUT", "/api/v2/sso/oidc.json", { oidc: { enabled: true, issuer: "https://idp.one.test", client_id: "vaultdesk", ...body } });
      expect(r.status, r.text).toBe(200);
    };
    await oidc({ client_secret: "first-secret" });
    expect((await settings(a, { end_user_provider: "oidc", jit_users: true })).status).toBe(200);
    await setUpProvider(a, "saml");
    const signedIn = async (kind: SsoKind) => {
      const r = await sso(a, kind, identity(`p-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`));
      if (!("session" in r)) throw new Error("refused");
      return `vd_session=${r.session.token}`;
    };
    const me = (cookie: string) => t.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: { cookie } }).then((r) => r.status);
    const one = await signedIn("oidc");
    await oidc({ scopes: "openid email", email_claim: "email", name_claim: "nickname", email_verified_required: false });
    expect(await me(one)).toBe(200);

    await oidc({ client_secret: "second-secret" });
    expect(await me(one)).toBe(401);
    const two = await signedIn("oidc");
    await oidc({ client_id: "vaultdesk-2", client_secret: "second-secret" });
    expect(await me(two)).toBe(401);
    const three = await signedIn("oidc");
    expect((await settings(a, { end_user_provider: "saml" })).status).toBe(200);
    const viaSaml = await signedIn("saml");
    await oidc({ issuer: "https://idp.two.test", client_id: "vaultdesk-2", client_secret: "second-secret" });
    expect(await me(three)).toBe(401);
    expect(await me(viaSaml)).toBe(200);
    const audits = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=sso.sessions_ended");
    expect(audits.body.audit_logs.map((e: { changed_fields: string[] }) => e.changed_fields)).toEqual([["oidc"], ["oidc"], ["oidc"]]);
  });

  it("refuses a sign-in whose proof was checked against the settings as they were before a change (an OIDC code exchanged meanwhile), and audits it", async () => {
    const a = await buildTenant(t, "ssoversion");
    const put = (secret: string) => a.api("PUT", "/api/v2/sso/oidc.json", { oidc: { enabled: true, issuer: "https://idp.one.test", client_id: "vaultdesk", client_secret: secret } });
    expect((await put("first-secret")).status).toBe(200);
    expect((await settings(a, { end_user_provider: "oidc", jit_users: true })).status).toBe(200);
    const checkedWith = await inTenant(a, async (ctx) => (await readProvider(ctx, "oidc"))!.updatedAt);
    clock += 1000;
    expect((await put("second-secret")).status).toBe(200);
    const late = await inTenant(a, (ctx) => signInWithProvider(deps(), ctx, "oidc", { ...identity(`late@${a.subdomain}.test`), providerVersion: checkedWith }));
    expect(late).toBeInstanceOf(CommitThenFail);
    const refused = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed");
    expect(refused.body.audit_logs.map((e: { changed_fields: string[] }) => e.changed_fields)).toContainEqual(["oidc", "provider_changed"]);
    // Checked against the settings as they are now, the same person signs in.
    expect("session" in (await sso(a, "oidc", identity(`late@${a.subdomain}.test`)))).toBe(true);
  });
});

describe("pending requests and the replay cache", () => {
  it("answer a request once, before it expires, in its own tenant only; and a once-only key once", async () => {
    const a = await buildTenant(t, "ssoreq");
    const b = await buildTenant(t, "ssoreq");
    await inTenant(a, (ctx) => beginRequest(deps(), ctx, "oidc", "state-1", { nonce: "n1", return_to: "/agent/tickets/1" }));
    expect(await inTenant(b, (ctx) => finishRequest(deps(), ctx, "oidc", "state-1"))).toBeUndefined();
    expect(await inTenant(a, (ctx) => finishRequest(deps(), ctx, "saml", "state-1"))).toBeUndefined();
    expect(await inTenant(a, (ctx) => finishRequest(deps(), ctx, "oidc", "state-1"))).toEqual({ nonce: "n1", return_to: "/agent/tickets/1" });
    expect(await inTenant(a, (ctx) => finishRequest(deps(), ctx, "oidc", "state-1"))).toBeUndefined();

    await inTenant(a, (ctx) => beginRequest(deps(), ctx, "saml", "req-2", { x: "y" }, 5));
    clock += 5 * 60_000 + 1;
    expect(await inTenant(a, (ctx) => finishRequest(deps(), ctx, "saml", "req-2"))).toBeUndefined();

    const until = new Date(clock + 60_000);
    expect(await inTenant(a, (ctx) => useOnce(deps(), ctx, "jwt", "jti-1", until))).toBe(true);
    expect(await inTenant(a, (ctx) => useOnce(deps(), ctx, "jwt", "jti-1", until))).toBe(false);
    expect(await inTenant(b, (ctx) => useOnce(deps(), ctx, "jwt", "jti-1", until))).toBe(true);
    expect(await inTenant(a, (ctx) => useOnce(deps(), ctx, "saml", "jti-1", until))).toBe(true);
    // Nothing is stored in the clear: the key is a keyed hash.
    const rows = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("sso_replays").select("key_hash").execute());
    expect(rows.every((r) => !Buffer.from(r.key_hash).toString("latin1").includes("jti-1"))).toBe(true);
  });

  it("lets the browser go back only to a path of the tenant's own origin", () => {
    expect(safeReturnTo("/agent/tickets/4?x=1#c")).toBe("/agent/tickets/4?x=1#c");
    for (const bad of ["https://evil.test/", "//evil.test/x", "/\\evil.test", "javascript:alert(1)", "agent", "/a\nb", "", undefined]) expect(safeReturnTo(bad), String(bad)).toBeUndefined();
  });
});
