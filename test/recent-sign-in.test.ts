import { sql } from "kysely";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, jobsSettled, PASSWORD, signIn, signInByMail, staffWithPassword, type Session } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Steps that outlive the session or move the account need a sign-in within the last 15 minutes
 * when taken on a session (identity-service.ts requireRecentSignIn): creating or rotating an API
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
