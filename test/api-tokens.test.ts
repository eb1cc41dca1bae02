import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/modules/identity/password-hashing.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { SIGNIN_PER_IP } from "../src/platform/http/rate-limit.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, PASSWORD, staffWithPassword } from "./support/people.ts";

/**
 * API tokens over real HTTP on a real database, with the deployment's clock moved by the test:
 * expiry, fine-grained scopes enforced across resources, rotation and its overlap, the throttled
 * record of the last use (time and sealed address), who may rotate, another tenant's ids, and
 * password access to the API (off by default; on; refused with two-factor sign-in; lockout).
 */

let t: TestApp;
let clock = Date.now();
beforeAll(async () => {
  t = await startTestApp({ now: () => new Date(clock), rateLimiter: createMemoryRateLimiter(() => clock), env: { VAULTDESK_TRUST_PROXY: "127.0.0.1" } });
});
afterAll(async () => t?.close());

type Cred = { email: string; token: string };
const HOUR = 3600_000;
const basic = (user: string, secret: string) => "Basic " + Buffer.from(`${user}:${secret}`).toString("base64");
const withToken = (a: TestTenant, cred: Cred, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  t.request({ method, path, host: a.host, body, headers: { authorization: basic(`${cred.email}/token`, cred.token), ...headers } });
const withPassword = (a: TestTenant, email: string, password: string, method = "GET", path = "/api/v2/users/me.json", body?: unknown) =>
  t.request({ method, path, host: a.host, body, headers: { authorization: basic(email, password) } });

async function newToken(a: TestTenant, api_token: Record<string, unknown>, as?: Cred) {
  const r = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "Integration", ...api_token } }, as);
  expect(r.status, r.text).toBe(201);
  return { id: r.body.api_token.id as number, cred: { email: as?.email ?? a.ownerEmail, token: r.body.api_token.token as string }, body: r.body.api_token };
}
const listed = async (a: TestTenant, id: number, as?: Cred) => ((await a.api("GET", "/api/v2/api_tokens.json", undefined, as)).body.api_tokens as any[]).find((x) => x.id === id);

describe("API token expiry", () => {
  it("refuses an expiry in the past or more than a year ahead; an expired token answers 401 like a revoked one", async () => {
    const a = await buildTenant(t);
    const past = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "x", expires_at: new Date(clock - 60_000).toISOString() } });
    expect(past.status).toBe(422);
    expect(past.body.details.expires_at[0].description).toMatch(/must be in the future/);
    const far = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "x", expires_at: new Date(clock + 366 * 24 * HOUR).toISOString() } });
    expect(far.status).toBe(422);
    expect(far.body.details.expires_at[0].description).toMatch(/at most 365 days/);
    expect((await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "x", expires_at: "2026-02-30" } })).status).toBe(422);

    const expires = new Date(clock + 2 * HOUR);
    const tok = await newToken(a, { expires_at: expires.toISOString() });
    expect(tok.body.expires_at).toBe(expires.toISOString());
    expect((await withToken(a, tok.cred, "GET", "/api/v2/users/me.json")).status).toBe(200);
    const revoked = await newToken(a, {});
    expect((await a.api("DELETE", `/api/v2/api_tokens/${revoked.id}.json`)).status).toBe(204);

    clock += 2 * HOUR;
    const expired = await withToken(a, tok.cred, "GET", "/api/v2/users/me.json");
    const gone = await withToken(a, revoked.cred, "GET", "/api/v2/users/me.json");
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual(gone.body);
    expect((await listed(a, tok.id)).active).toBe(false);
    // An expired token cannot be brought back by rotating it.
    expect((await a.api("POST", `/api/v2/api_tokens/${tok.id}/rotate.json`, {})).status).toBe(422);
  });
});

describe("API token scopes", () => {
  it("names an unknown scope, and keeps a tickets:read token to reading tickets", async () => {
    const a = await buildTenant(t);
    const bad = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "x", scopes: ["tickets:read", "tickets:admin", "auditlogs:write"] } });
    expect(bad.status).toBe(422);
    expect(bad.body.details.scopes[0].description).toBe("Scopes: unknown scopes 'tickets:admin', 'auditlogs:write'");

    const ticket = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Scoped", comment: { body: "Hello" } } });
    expect(ticket.status).toBe(201);
    const tok = await newToken(a, { scopes: ["tickets:read", "tickets:read"] });
    expect(tok.body.scopes).toEqual(["tickets:read"]);
    expect((await withToken(a, tok.cred, "GET", "/api/v2/tickets.json")).status).toBe(200);
    const shown = await withToken(a, tok.cred, "GET", `/api/v2/tickets/${ticket.body.ticket.id}.json`);
    expect(shown.status).toBe(200);
    // The ticket's abilities say what this credential may do with it: nothing but read, as the
    // write routes below refuse; the owner's session-like token may do everything.
    expect(shown.body.abilities).toEqual({ can_edit_properties: false, can_reply_publicly: false, can_add_internal_notes: false, can_delete: false, can_redact: false, can_be_assigned: true, statuses: [] });
    expect((await a.api("GET", `/api/v2/tickets/${ticket.body.ticket.id}.json`)).body.abilities).toMatchObject({ can_edit_properties: true, can_reply_publicly: true, can_add_internal_notes: true, can_delete: true, can_redact: true });
    expect((await withToken(a, tok.cred, "DELETE", `/api/v2/tickets/${ticket.body.ticket.id}.json`)).status).toBe(403);
    const write = await withToken(a, tok.cred, "PUT", `/api/v2/tickets/${ticket.body.ticket.id}.json`, { ticket: { status: "pending" } });
    expect(write.status).toBe(403);
    expect(write.body.description).toMatch(/'tickets:write'/);
    const users = await withToken(a, tok.cred, "GET", "/api/v2/users.json");
    expect(users.status).toBe(403);
    expect(users.body.description).toMatch(/'users:read'/);
    const search = await withToken(a, tok.cred, "GET", "/api/v2/search.json?query=type:ticket");
    expect(search.status).toBe(403);
    expect(search.body.description).toMatch(/'read'/);
    // Nothing was changed by the refused write.
    expect((await a.api("GET", `/api/v2/tickets/${ticket.body.ticket.id}.json`)).body.ticket.status).not.toBe("pending");

    // A users:write token may write users but not read them (Zendesk: write does not imply read).
    const usersWrite = await newToken(a, { scopes: ["users:write"] });
    expect((await withToken(a, usersWrite.cred, "POST", "/api/v2/users.json", { user: { name: "Scoped Person", email: `scoped@${a.subdomain}.test` } })).status).toBe(201);
    expect((await withToken(a, usersWrite.cred, "GET", "/api/v2/users.json")).status).toBe(403);
  });

  it("does not let a narrow token mint a wider one", async () => {
    const a = await buildTenant(t);
    const writer = await newToken(a, { scopes: ["write", "tickets:read"] });
    const wider = await withToken(a, writer.cred, "POST", "/api/v2/api_tokens.json", { api_token: { name: "wider", scopes: ["read", "write"] } });
    expect(wider.status).toBe(403);
    expect((await withToken(a, writer.cred, "POST", "/api/v2/api_tokens.json", { api_token: { name: "same", scopes: ["tickets:read", "write"] } })).status).toBe(201);
  });
});

describe("API token rotation", () => {
  it("keeps the old secret for the overlap, then 401; rotating again ends the overlap at once; audited", async () => {
    const a = await buildTenant(t);
    const tok = await newToken(a, {});
    const r1 = await a.api("POST", `/api/v2/api_tokens/${tok.id}/rotate.json`, {});
    expect(r1.status, r1.text).toBe(200);
    const second = { email: a.ownerEmail, token: r1.body.api_token.token as string };
    expect(second.token).not.toBe(tok.cred.token);
    expect(r1.body.api_token.previous_token_expires_at).toBe(new Date(clock + 24 * HOUR).toISOString());
    expect((await withToken(a, second, "GET", "/api/v2/users/me.json")).status).toBe(200);
    expect((await withToken(a, tok.cred, "GET", "/api/v2/users/me.json")).status).toBe(200);
    // The secret is shown once: the list never carries it.
    expect(JSON.stringify((await a.api("GET", "/api/v2/api_tokens.json")).body)).not.toContain(second.token);

    clock += 24 * HOUR - 1000;
    expect((await withToken(a, tok.cred, "GET", "/api/v2/users/me.json")).status).toBe(200);
    clock += 1000;
    expect((await withToken(a, tok.cred, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await withToken(a, second, "GET", "/api/v2/users/me.json")).status).toBe(200);
    expect((await listed(a, tok.id)).previous_token_expires_at).toBeNull();

    // Rotate with a chosen overlap, then again: the second rotation forgets the first's old secret.
    const r2 = await a.api("POST", `/api/v2/api_tokens/${tok.id}/rotate.json`, { overlap_hours: 2 });
    expect(r2.body.api_token.previous_token_expires_at).toBe(new Date(clock + 2 * HOUR).toISOString());
    const third = { email: a.ownerEmail, token: r2.body.api_token.token as string };
    expect((await withToken(a, second, "GET", "/api/v2/users/me.json")).status).toBe(200);
    const r3 = await a.api("POST", `/api/v2/api_tokens/${tok.id}/rotate.json`, { overlap_hours: 0 });
    expect(r3.body.api_token.previous_token_expires_at).toBeNull();
    expect((await withToken(a, second, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await withToken(a, third, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await withToken(a, { email: a.ownerEmail, token: r3.body.api_token.token }, "GET", "/api/v2/users/me.json")).status).toBe(200);

    expect((await a.api("POST", `/api/v2/api_tokens/${tok.id}/rotate.json`, { overlap_hours: 169 })).status).toBe(422);
    const audits = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=api_token.rotated")).body.audit_logs;
    expect(audits).toHaveLength(3);
    // Revoking ends both secrets.
    const r4 = await a.api("POST", `/api/v2/api_tokens/${tok.id}/rotate.json`);
    expect(r4.status).toBe(200);
    expect((await a.api("DELETE", `/api/v2/api_tokens/${tok.id}.json`)).status).toBe(204);
    expect((await withToken(a, { email: a.ownerEmail, token: r3.body.api_token.token }, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await a.api("POST", `/api/v2/api_tokens/${tok.id}/rotate.json`, {})).status).toBe(422);
  });

  it("lets staff rotate their own tokens only; another tenant's token and another's token answer 404 (an admin's view: 403)", async () => {
    const a = await buildTenant(t);
    const b = await buildTenant(t);
    const light = await buildUser(t, a, "light-agent");
    const agent = await buildUser(t, a, "agent");
    const lightCred = { email: light.email, token: light.token! };
    const agentCred = { email: agent.email, token: agent.token! };
    const agentTok = await newToken(a, {}, agentCred);
    const ownerTok = await newToken(a, {});
    expect((await a.api("POST", `/api/v2/api_tokens/${agentTok.id}/rotate.json`, {}, lightCred)).status).toBe(404);
    expect((await a.api("POST", `/api/v2/api_tokens/${ownerTok.id}/rotate.json`, {}, agentCred)).status).toBe(404);
    expect((await a.api("POST", `/api/v2/api_tokens/${agentTok.id}/rotate.json`, {}, agentCred)).status).toBe(200);
    // Another tenant's owner finds nothing; this one's owner (an admin) sees the agent's token but
    // does not rotate it: the new secret would be shown to them, and with it they would be the agent.
    expect((await b.api("POST", `/api/v2/api_tokens/${agentTok.id}/rotate.json`, {})).status).toBe(404);
    expect((await listed(a, agentTok.id)).can_rotate).toBe(false);
    expect((await listed(a, ownerTok.id)).can_rotate).toBe(true);
    expect((await listed(a, agentTok.id, agentCred)).can_rotate).toBe(true);
    const byOwner = await a.api("POST", `/api/v2/api_tokens/${agentTok.id}/rotate.json`, { overlap_hours: 1 });
    expect(byOwner.status, byOwner.text).toBe(403);
    expect(byOwner.body.token).toBeUndefined();
    expect((await a.api("POST", `/api/v2/api_tokens/${ownerTok.id}/rotate.json`, { overlap_hours: 1 })).status).toBe(200);
    expect((await a.api("POST", "/api/v2/api_tokens/999999/rotate.json", {})).status).toBe(404);
  });

  it("never hands an admin another person's secret: rotating the owner's token is refused, so the admin cannot act as the owner; revoking it is theirs", async () => {
    const a = await buildTenant(t);
    const admin = await buildUser(t, a, "admin");
    const adminCred = { email: admin.email, token: admin.token! };
    const ownerTok = await newToken(a, {});
    const rotated = await a.api("POST", `/api/v2/api_tokens/${ownerTok.id}/rotate.json`, { overlap_hours: 0 }, adminCred);
    expect(rotated.status, rotated.text).toBe(403);
    expect(JSON.stringify(rotated.body)).not.toMatch(/"token"/);
    // The owner's secret is unchanged, and nothing was granted in the owner's name.
    expect((await withToken(a, ownerTok.cred, "GET", "/api/v2/users/me.json")).status).toBe(200);
    expect((await listed(a, ownerTok.id)).rotated_at).toBeNull();
    expect((await a.api("GET", "/api/v2/support_access.json")).body.support_access_grants).toEqual([]);
    // Revoking another person's token is still an admin's (it closes a way in, hands none over).
    expect((await a.api("DELETE", `/api/v2/api_tokens/${ownerTok.id}.json`, undefined, adminCred)).status).toBe(204);
    expect((await withToken(a, ownerTok.cred, "GET", "/api/v2/users/me.json")).status).toBe(401);
  });
});

describe("API token last use", () => {
  it("records the time and sealed address of a use at most once a minute per token", async () => {
    const a = await buildTenant(t);
    const tok = await newToken(a, { scopes: ["read"] });
    expect((await listed(a, tok.id)).last_used_at).toBeNull();
    const first = clock;
    expect((await withToken(a, tok.cred, "GET", "/api/v2/users/me.json", undefined, { "x-forwarded-for": "203.0.113.9" })).status).toBe(200);
    let row = await listed(a, tok.id);
    expect([row.last_used_at, row.last_used_ip]).toEqual([new Date(first).toISOString(), "203.0.113.9"]);

    // Within the minute: no write, whatever the address.
    clock += 59_000;
    expect((await withToken(a, tok.cred, "GET", "/api/v2/users/me.json", undefined, { "x-forwarded-for": "198.51.100.4" })).status).toBe(200);
    row = await listed(a, tok.id);
    expect([row.last_used_at, row.last_used_ip]).toEqual([new Date(first).toISOString(), "203.0.113.9"]);
    clock += 1000;
    expect((await withToken(a, tok.cred, "GET", "/api/v2/users/me.json", undefined, { "x-forwarded-for": "198.51.100.4" })).status).toBe(200);
    row = await listed(a, tok.id);
    expect([row.last_used_at, row.last_used_ip]).toEqual([new Date(clock).toISOString(), "198.51.100.4"]);

    // The address is stored sealed.
    const raw = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("api_tokens").select("last_used_ip_sealed").where("nice_id", "=", tok.id).executeTakeFirstOrThrow());
    expect(Buffer.from(raw.last_used_ip_sealed!).includes(Buffer.from("198.51.100.4"))).toBe(false);
  });
});

describe("password access to the API", () => {
  const codeAt = (secret: string, at = clock) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });

  it("is off by default; admins turn it on (audited); then staff with a password reach the API", async () => {
    const a = await buildTenant(t);
    const p = await staffWithPassword(t, a, "agent");
    const off = await withPassword(a, p.email, PASSWORD);
    expect(off.status).toBe(401);
    expect(off.body.description).toMatch(/Password access to the API is turned off/);
    expect((await a.api("GET", "/api/v2/api_settings.json")).body).toEqual({ api_settings: { password_access: false } });

    const agent = await buildUser(t, a, "agent");
    expect((await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } }, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: "yes" } })).status).toBe(422);
    const on = await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } });
    expect(on.body).toEqual({ api_settings: { password_access: true } });

    const me = await withPassword(a, p.email, PASSWORD);
    expect(me.status, me.text).toBe(200);
    expect(me.body.user.id).toBe(p.id);
    expect((await withPassword(a, p.email, PASSWORD, "POST", "/api/v2/tickets.json", { ticket: { subject: "By password", comment: { body: "Hi" } } })).status).toBe(201);

    expect((await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: false } })).status).toBe(200);
    expect((await withPassword(a, p.email, PASSWORD)).status).toBe(401);
    const audits = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=api_settings.updated")).body.audit_logs;
    expect(audits).toHaveLength(2);
  });

  it("counts wrong passwords toward the lockout, as a sign-in does, and refuses the right one while locked", async () => {
    const a = await buildTenant(t);
    expect((await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } })).status).toBe(200);
    const p = await staffWithPassword(t, a, "agent");
    const wrong = await withPassword(a, p.email, "not the password");
    expect(wrong.status).toBe(401);
    expect(wrong.body.description).toBe("Invalid e-mail or password.");
    for (let i = 0; i < 3; i++) expect((await withPassword(a, p.email, "not the password")).status).toBe(401);
    // The right password ends the run (4 wrong ones so far, of 5).
    expect((await withPassword(a, p.email, PASSWORD)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await withPassword(a, p.email, "not the password")).status).toBe(401);
    const locked = await withPassword(a, p.email, PASSWORD);
    expect([locked.status, locked.body.description]).toEqual([401, "Invalid e-mail or password."]);
    expect((await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.locked")).body.audit_logs).toHaveLength(1);
    // The sign-in page is locked too: the same count.
    expect((await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: p.email, password: PASSWORD } })).status).toBe(401);
    clock += 11 * 60_000;
    expect((await withPassword(a, p.email, PASSWORD)).status).toBe(200);
  });

  it("holds password requests to the sign-in page's limit per client (the limiter's clock stands still), tokens not", async () => {
    const a = await buildTenant(t);
    expect((await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } })).status).toBe(200);
    const p = await staffWithPassword(t, a, "agent");
    const answers: number[] = [];
    for (let i = 0; i <= SIGNIN_PER_IP; i++) answers.push((await withPassword(a, p.email, PASSWORD)).status);
    // Setting up the person counted toward the same limit, so fewer than SIGNIN_PER_IP got through.
    const first429 = answers.indexOf(429);
    expect(first429).toBeGreaterThan(0);
    expect(answers.slice(0, first429).every((s) => s === 200)).toBe(true);
    expect(answers.slice(first429).every((s) => s === 429)).toBe(true);
    // The sign-in page shares the count; the API with a token does not.
    expect((await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: p.email, password: PASSWORD } })).status).toBe(429);
    expect((await a.api("GET", "/api/v2/users/me.json")).status).toBe(200);
    // One window on, the spent window still weighs in the sliding estimate; two on, it is forgotten.
    clock += 120_000;
    expect((await withPassword(a, p.email, PASSWORD)).status).toBe(200);
  });

  it("refuses a person with two-factor sign-in, saying why, only once the password is right", async () => {
    const a = await buildTenant(t);
    expect((await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } })).status).toBe(200);
    const p = await staffWithPassword(t, a, "agent");
    const start = await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect((await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(start.body.totp.secret) })).status).toBe(200);
    const refused = await withPassword(a, p.email, PASSWORD);
    expect(refused.status).toBe(401);
    expect(refused.body.description).toMatch(/Two-factor sign-in is on for this account/);
    const wrong = await withPassword(a, p.email, "not the password");
    expect(wrong.body.description).toBe("Invalid e-mail or password.");
  });

  it("refuses people whose password sign-in is not allowed (staff who sign in only through single sign-on), without counting it", async () => {
    const a = await buildTenant(t);
    expect((await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } })).status).toBe(200);
    const p = await staffWithPassword(t, a, "agent");
    expect((await withPassword(a, p.email, PASSWORD)).status).toBe(200);
    // The account's single sign-on setting as the SSO settings route stores it (that route also
    // needs a provider and the owner's second factor, which this test is not about).
    await t.db.tenant(a.tenantId, (tx) => tx.db.insertInto("sso_settings").values({ tenant_id: a.tenantId, id: a.tenantId, staff_provider: "jwt", staff_sso_only: true }).execute());
    for (let i = 0; i < 6; i++) {
      const r = await withPassword(a, p.email, PASSWORD);
      expect([r.status, r.body.description]).toEqual([401, "Invalid e-mail or password."]);
    }
    const failed = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed")).body.audit_logs;
    expect(failed.length).toBe(6);
    expect((await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.locked")).body.audit_logs).toHaveLength(0);
  });

  it("lets an end user with a password use the API but not rotate anyone's token", async () => {
    const a = await buildTenant(t);
    expect((await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } })).status).toBe(200);
    const endUser = await buildUser(t, a, "end-user");
    const hash = await hashPassword(PASSWORD);
    await t.db.tenant(a.tenantId, (tx) => tx.db.updateTable("users").set({ password_hash: hash }).where("nice_id", "=", endUser.id).execute());
    expect((await withPassword(a, endUser.email, PASSWORD)).status).toBe(200);
    const ownerTok = await newToken(a, {});
    // Refused as the list refuses them (403), before the id is looked up.
    expect((await withPassword(a, endUser.email, PASSWORD, "POST", `/api/v2/api_tokens/${ownerTok.id}/rotate.json`, {})).status).toBe(403);
    expect((await withPassword(a, endUser.email, PASSWORD, "GET", "/api/v2/api_tokens.json")).status).toBe(403);
  });
});
