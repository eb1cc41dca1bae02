import { expect } from "vitest";
import { sql } from "kysely";
import { buildUser, type TestApp, type TestTenant } from "./harness.ts";
import { hasSigninLink, linkIn, type SmtpPeer } from "./smtp-peer.ts";
import type { SoftAuthenticator } from "./webauthn-authenticator.ts";

/** Signing people in and acting as them over real HTTP, shared by the suites. */

export const PASSWORD = "A long enough passphrase 7";
export type Session = { cookie: string; csrf: string };

export function cookieOf(headers: Record<string, unknown>): string {
  const c = (headers["set-cookie"] as string[] | undefined)?.find((x) => x.startsWith("vd_session="));
  if (!c) throw new Error("no session cookie");
  return c.split(";")[0]!;
}

/** Password sign-in; the session's cookie and CSRF token. */
export async function signIn(t: TestApp, tenant: TestTenant, email: string, password: string): Promise<Session> {
  const r = await t.request({ method: "POST", path: "/api/v2/session.json", host: tenant.host, body: { email, password } });
  expect(r.status, r.text).toBe(201);
  return { cookie: cookieOf(r.headers), csrf: r.body.session.csrf_token };
}

export const asSession = (t: TestApp, tenant: TestTenant, s: Session, method: string, path: string, body?: unknown) =>
  t.request({ method, path, host: tenant.host, headers: { cookie: s.cookie, ...(method === "GET" ? {} : { "x-csrf-token": s.csrf }) }, body });

/** Registers a passkey made by `auth` for the session's person; answers the registration (a team member's first comes with recovery codes). */
export async function registerPasskey(t: TestApp, tenant: TestTenant, s: Session, auth: SoftAuthenticator, name = "Laptop"): Promise<Record<string, any>> {
  const o = await asSession(t, tenant, s, "POST", "/api/v2/users/me/passkeys/options.json");
  expect(o.status, o.text).toBe(200);
  const r = await asSession(t, tenant, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name, credential: auth.register(o.body.options, { origin: tenant.origin }) } });
  expect(r.status, r.text).toBe(201);
  return r.body;
}

/** A staff member who can sign in with a password (invited, then accepted). */
export async function staffWithPassword(t: TestApp, tenant: TestTenant, role: "agent" | "light-agent" | "admin" = "agent"): Promise<{ email: string; id: number; session: Session }> {
  const email = `${role.replace("-", "")}-${Math.random().toString(36).slice(2, 8)}@${tenant.subdomain}.test`;
  const inv = await tenant.api("POST", "/api/v2/invitations.json", { invitation: { email, role } });
  expect(inv.status, inv.text).toBe(201);
  const a = await t.request({ method: "POST", path: "/api/v2/invitations/accept.json", host: tenant.host, body: { token: inv.body.invitation.token, name: `The ${role}`, password: PASSWORD } });
  expect(a.status, a.text).toBe(201);
  return { email, id: a.body.session.user_id as number, session: { cookie: cookieOf(a.headers), csrf: a.body.session.csrf_token } };
}

/**
 * Turns an authenticator app on for the signed-in person (started, then confirmed with the code
 * `codeAt` gives for the secret at the caller's clock): the app's secret. The code is then spent:
 * the caller moves its clock to the next time step before the next code.
 */
export async function turnOnTotp(t: TestApp, tenant: TestTenant, s: Session, codeAt: (secret: string) => string): Promise<string> {
  const start = await asSession(t, tenant, s, "POST", "/api/v2/users/me/two_factor/totp.json");
  expect(start.status, start.text).toBe(201);
  const secret: string = start.body.totp.secret;
  const confirm = await asSession(t, tenant, s, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(secret) });
  expect(confirm.status, confirm.text).toBe(200);
  return secret;
}

/** Asks for a sign-in link, catches the mail, redeems the link: an end user's session. */
export async function signInByMail(t: TestApp, smtp: SmtpPeer, tenant: TestTenant, email: string, headers: Record<string, string> = {}): Promise<Session> {
  const since = smtp.messages.length;
  const r = await t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links.json", host: tenant.host, body: { email }, headers });
  expect(r.status, r.text).toBe(202);
  const mail = await smtp.waitFor(email, { since, match: hasSigninLink }).catch(async (err: Error) => {
    // Say where the link got stuck: the tenant's jobs (kinds and states only, never their input).
    const jobs = await t.db.tenant(tenant.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["job_type", "status", "attempts", "message"]).execute());
    throw new Error(`${err.message}; the tenant's jobs: ${JSON.stringify(jobs)}`);
  });
  const token = new URL(linkIn(mail)).searchParams.get("token")!;
  const s = await t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links/redeem.json", host: tenant.host, body: { token } });
  expect(s.status, s.text).toBe(201);
  return { cookie: cookieOf(s.headers), csrf: s.body.session.csrf_token };
}

/** Waits until no job of the tenant is queued or running (mail and links sent or given up), but for jobs put off for an hour or more. */
export async function jobsSettled(t: TestApp, tenantId: string): Promise<void> {
  for (let i = 0; ; i++) {
    // A job put off for days (mail held while its ticket is in the trash, mail-job.ts holdMailAbout) is not waited for.
    const busy = await t.db.tenant(tenantId, async (tx) => (await tx.db.selectFrom("job_statuses").select((eb) => eb.fn.countAll<number>().as("n")).where("status", "in", ["queued", "working"]).where("run_after", "<", sql<Date>`now() + interval '1 hour'`).executeTakeFirstOrThrow()).n);
    if (Number(busy) === 0) return;
    if (i > 1500) throw new Error("jobs did not settle");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * An end user signed in with a password of their own: an admin sets a one-time password (the
 * tenant must allow it: `admins_set_end_user_passwords`), the person replaces it, then signs in.
 */
export async function endUserWithPassword(t: TestApp, tenant: TestTenant, name: string): Promise<{ id: number; email: string; session: Session }> {
  const u = await buildUser(t, tenant, "end-user", name);
  const first = "Customer first passphrase 7";
  expect((await tenant.api("POST", `/api/v2/users/${u.id}/password.json`, { password: first })).status).toBe(204);
  const s1 = await signIn(t, tenant, u.email, first);
  expect((await asSession(t, tenant, s1, "PUT", "/api/v2/users/me/password.json", { previous_password: first, password: `${first} mine` })).status).toBe(204);
  return { id: u.id, email: u.email, session: await signIn(t, tenant, u.email, `${first} mine`) };
}
