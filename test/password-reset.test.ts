import fs from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runOperation } from "../src/cli/operations.ts";
import { AppError } from "../src/platform/errors.ts";
import type { Runtime } from "../src/platform/runtime.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { seededDataDir } from "./support/data-dir-template.ts";
import { apiTokenFrom, call, cli, startServer, type ServerProcess } from "./support/process.ts";

/**
 * `vaultdesk user reset-password`: a one-time password for staff or an end user, printed once and
 * to be changed at first sign-in; every session of the person ends; audited as an operator action
 * without the value; unknown tenants and addresses refused clearly. In-process (the operation the
 * CLI and the operator socket share) and through a running server's operator socket.
 */

let t: TestApp;
let a: TestTenant;
let rt: Runtime;
beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "reset");
  rt = { config: t.config, db: t.db, keyring: t.keyring, masterKeyCreated: false, databaseCreated: false, permissionWarning: undefined, listenPort: t.port, close: async () => undefined };
});
afterAll(async () => t?.close());

type Reset = { userId: number; role: string; oneTimePassword: string; sessionsEnded: number; suspended: boolean; url: string };
const reset = (tenant: string, email: string) => runOperation(rt, "user.reset_password", { tenant, email }) as Promise<Reset>;

async function signIn(tenant: TestTenant, email: string, password: string) {
  const r = await t.request({ method: "POST", path: "/api/v2/session.json", host: tenant.host, body: { email, password } });
  const cookie = (r.headers["set-cookie"] as string[] | undefined)?.find((c) => c.startsWith("vd_session="))?.split(";")[0];
  return { status: r.status, cookie, csrf: r.body?.session?.csrf_token as string | undefined, mustChangePassword: r.body?.session?.must_change_password as boolean | undefined };
}
const me = (tenant: TestTenant, cookie: string | undefined) => t.request({ method: "GET", path: "/api/v2/users/me.json", host: tenant.host, headers: cookie ? { cookie } : {} });

describe("operator password reset", () => {
  it("sets a one-time password that must be changed, ends every session, keeps API tokens, and is audited without the value", async () => {
    const s1 = await signIn(a, a.ownerEmail, a.ownerPassword);
    const s2 = await signIn(a, a.ownerEmail, a.ownerPassword);
    expect((await me(a, s1.cookie)).status).toBe(200);

    const r = await reset(a.subdomain, a.ownerEmail.toUpperCase());
    expect(r).toMatchObject({ userId: 1, role: "owner", sessionsEnded: 2, suspended: false });
    expect(r.oneTimePassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(r.url).toBe(`${a.origin}/`);

    // Every session ended; the old password no longer works; the API token still does.
    expect((await me(a, s1.cookie)).status).toBe(401);
    expect((await me(a, s2.cookie)).status).toBe(401);
    expect((await signIn(a, a.ownerEmail, a.ownerPassword)).status).toBe(401);
    expect((await a.api("GET", "/api/v2/users/me.json")).status).toBe(200);

    // The one-time password signs in, and nothing but changing it is allowed until it is changed.
    const s3 = await signIn(a, a.ownerEmail, r.oneTimePassword);
    expect(s3.status).toBe(201);
    expect(s3.mustChangePassword).toBe(true);
    const headers = { cookie: s3.cookie!, "x-csrf-token": s3.csrf! };
    const blocked = await t.request({ method: "POST", path: "/api/v2/tickets.json", host: a.host, headers, body: { ticket: { subject: "s", comment: { body: "b" } } } });
    expect(blocked.status).toBe(403);
    expect(blocked.body.description).toMatch(/one-time password/);
    const changed = await t.request({ method: "PUT", path: "/api/v2/users/me/password.json", host: a.host, headers, body: { previous_password: r.oneTimePassword, password: "A-new-Secret-2026" } });
    expect(changed.status, changed.text).toBeLessThan(300);
    expect((await t.request({ method: "POST", path: "/api/v2/tickets.json", host: a.host, headers, body: { ticket: { subject: "s", comment: { body: "b" } } } })).status).toBe(201);

    // Audited as the operator's action, naming the field and never the value.
    const log = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.password_reset");
    expect(log.status).toBe(200);
    expect(log.body.audit_logs).toHaveLength(1);
    expect(log.body.audit_logs[0]).toMatchObject({ actor_type: "operator", actor_id: null, action: "user.password_reset", source_type: "user", source_id: "1", changed_fields: ["password"] });
    const whole = await a.api("GET", "/api/v2/audit_logs.json?per_page=100");
    expect(whole.text).not.toContain(r.oneTimePassword);
  });

  it("works for end users and agents alike", async () => {
    const agent = await buildUser(t, a, "agent");
    const endUser = await buildUser(t, a, "end-user");
    for (const [person, role] of [[agent, "agent"], [endUser, "end_user"]] as const) {
      const r = await reset(a.subdomain, person.email);
      expect(r).toMatchObject({ userId: person.id, role, sessionsEnded: 0 });
      expect(await signIn(a, person.email, r.oneTimePassword)).toMatchObject({ status: 201, mustChangePassword: true });
    }
  });

  it("refuses unknown tenants, unknown or deleted people, and malformed input, changing nothing", async () => {
    const gone = await buildUser(t, a, "agent");
    expect((await a.api("DELETE", `/api/v2/users/${gone.id}.json`)).status).toBeLessThan(300);
    const other = await buildTenant(t, "resetb");
    const cases: Array<[string, string, RegExp]> = [
      ["nosuchtenant", a.ownerEmail, /no active tenant 'nosuchtenant'/],
      [a.subdomain, "nobody@nowhere.test", /no user with the e-mail address nobody@nowhere.test/],
      [a.subdomain, gone.email, /no user with the e-mail address/],
      // Another tenant's person is unknown here.
      [a.subdomain, other.ownerEmail, /no user with the e-mail address/],
    ];
    for (const [tenant, email, message] of cases) {
      const err = await reset(tenant, email).catch((e: unknown) => e);
      expect(err, `${tenant} ${email}`).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("RecordNotFound");
      expect((err as AppError).description).toMatch(message);
    }
    for (const args of [{ tenant: "Bad Tenant", email: a.ownerEmail }, { tenant: a.subdomain, email: "not-an-address" }, { tenant: a.subdomain }]) {
      const err = await runOperation(rt, "user.reset_password", args).catch((e: unknown) => e);
      expect((err as AppError).code).toBe("RecordInvalid");
    }
    // The other tenant's owner was not touched.
    expect((await signIn(other, other.ownerEmail, other.ownerPassword)).status).toBe(201);
    const log = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.password_reset");
    expect(log.body.audit_logs.map((e: { source_id: string }) => e.source_id)).not.toContain(String(gone.id));
  });
});

describe("reset-password on the command line", () => {
  const dirs: string[] = [];
  const servers: ServerProcess[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it("goes through the running server's operator socket, and works without a server too", async () => {
    const dir = await seededDataDir("vd-reset-");
    dirs.push(dir);
    const s = await startServer(dir);
    servers.push(s);
    const token = apiTokenFrom((await cli(dir, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test")).stdout);
    const signInWith = (password: string) => call(s.port, "acme.localhost", "", "POST", "/api/v2/session.json", { email: "owner@acme.test", password });

    const r = await cli(dir, "user", "reset-password", "--tenant", "acme", "--email", "owner@acme.test");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Password reset for owner@acme\.test \(user 1, owner\) in tenant 'acme'; 0 sessions ended\.$/m);
    expect(r.stdout).toContain(`Sign in at http://localhost:${s.port}/ with this one-time password (it must be changed at first sign-in):`);
    const otp = /^One-time password: (\S+)$/m.exec(r.stdout)?.[1];
    expect(otp).toBeDefined();
    const signedIn = await signInWith(otp!);
    expect(signedIn.status).toBe(201);
    expect(signedIn.body.session.must_change_password).toBe(true);
    // Nothing about it reaches the server's log but the operation's name.
    expect(s.output()).not.toContain(otp!);
    expect(s.output()).not.toContain("owner@acme.test\"");

    const unknown = await cli(dir, "user", "reset-password", "--tenant", "acme", "--email", "someone@acme.test");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/RecordNotFound: no user with the e-mail address someone@acme\.test in this tenant/);
    const noTenant = await cli(dir, "user", "reset-password", "--tenant", "nosuch", "--email", "owner@acme.test");
    expect(noTenant.code).not.toBe(0);
    expect(noTenant.stderr).toMatch(/no active tenant 'nosuch'/);

    // Without a running server the command opens the folder itself.
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    const offline = await cli(dir, "user", "reset-password", "--tenant", "acme", "--email", "owner@acme.test");
    expect(offline.code, offline.stderr).toBe(0);
    const otp2 = /^One-time password: (\S+)$/m.exec(offline.stdout)?.[1];
    expect(otp2).toBeDefined();
    expect(otp2).not.toBe(otp);
    const s2 = await startServer(dir);
    servers.push(s2);
    expect((await call(s2.port, "acme.localhost", "", "POST", "/api/v2/session.json", { email: "owner@acme.test", password: otp! })).status).toBe(401);
    expect((await call(s2.port, "acme.localhost", "", "POST", "/api/v2/session.json", { email: "owner@acme.test", password: otp2! })).status).toBe(201);
    const audit = await call(s2.port, "acme.localhost", token, "GET", "/api/v2/audit_logs.json?filter[action]=user.password_reset");
    expect(audit.body.audit_logs).toHaveLength(2);
    expect(audit.body.audit_logs.every((e: { actor_type: string }) => e.actor_type === "operator")).toBe(true);
  }, 120_000);
});
