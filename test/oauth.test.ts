import crypto from "node:crypto";
import * as jose from "jose";
import * as oauth from "oauth4webapi";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SSO_PER_IP } from "../src/platform/http/rate-limit.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, cookieOf, signIn, staffWithPassword, type Session } from "./support/people.ts";

/**
 * OAuth 2.0 for third-party clients, over real HTTP, with oauth4webapi as the third party: the
 * whole authorization code flow with PKCE (consent given through the consent page's own API in
 * the person's session), token use within and beyond its scopes, and every refusal the security
 * model names — each with its answer.
 */

let t: TestApp;
let A: TestTenant;
let B: TestTenant;
let owner: Session;
/** The deployment's clock runs `offset` ms ahead of the real one (token expiry). */
let offset = 0;
const REDIRECT = "http://127.0.0.1:9/callback";

beforeAll(async () => {
  // The limiter's clock stands still, so the count up to the limit below cannot roll over a window.
  t = await startTestApp({ now: () => new Date(Date.now() + offset), rateLimiter: createMemoryRateLimiter(() => 1_000_000) });
  A = await buildTenant(t, "oa");
  B = await buildTenant(t, "ob");
  owner = await signIn(t, A, A.ownerEmail, A.ownerPassword);
}, 60_000);
afterAll(async () => t?.close());

/** oauth4webapi's requests, sent to the test server with the tenant's Host header. */
function fetchVia(tenant: TestTenant) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    const u = new URL(url);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    const r = await t.request({ method: init.method ?? "GET", path: u.pathname + u.search, host: tenant.host, headers, ...(body !== undefined ? { rawBody: body } : {}) });
    const h = new Headers();
    for (const [k, v] of Object.entries(r.headers)) for (const x of Array.isArray(v) ? v : v === undefined ? [] : [String(v)]) h.append(k, x);
    return new Response(r.status === 204 ? null : new Uint8Array(r.raw), { status: r.status, headers: h });
  };
}

const serverOf = (tenant: TestTenant): oauth.AuthorizationServer => ({ issuer: tenant.origin, authorization_endpoint: `${tenant.origin}/oauth/authorizations/new`, token_endpoint: `${tenant.origin}/oauth/tokens` });
const opts = (tenant: TestTenant) => ({ [oauth.customFetch]: fetchVia(tenant), [oauth.allowInsecureRequests]: true });

let clients = 0;
async function createClient(tenant: TestTenant, kind: "public" | "confidential" = "public", redirect = REDIRECT): Promise<{ id: number; identifier: string; secret?: string }> {
  const n = ++clients;
  const r = await tenant.api("POST", "/api/v2/oauth/clients.json", { client: { name: `Integration ${n}`, identifier: `integration_${n}`, redirect_uri: [redirect], kind } });
  expect(r.status, r.text).toBe(201);
  return { id: r.body.client.id, identifier: r.body.client.identifier, secret: r.body.client.secret };
}

type Started = { verifier: string; state: string; params: Record<string, string> };

async function authorizationParams(client: { identifier: string }, scope: string, extra: Record<string, string> = {}): Promise<Started> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const params = { response_type: "code", client_id: client.identifier, redirect_uri: REDIRECT, scope, state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", ...extra };
  return { verifier, state, params };
}

const authorizeGet = (tenant: TestTenant, params: Record<string, string>, headers: Record<string, string> = {}) =>
  t.request({ method: "GET", path: `/oauth/authorizations/new?${new URLSearchParams(params)}`, host: tenant.host, headers });

/** The browser's part: the authorization endpoint, the consent page's questions, "Allow". Answers the redirect with the code. */
async function consent(tenant: TestTenant, session: Session, s: Started, allowed = true): Promise<URL> {
  const start = await authorizeGet(tenant, s.params);
  expect(start.status, start.text).toBe(302);
  const page = new URL(start.headers.location!, tenant.origin);
  expect(page.pathname).toBe("/oauth/consent");
  const shown = await asSession(t, tenant, session, "GET", `/api/v2/oauth/consent?${page.searchParams}`);
  expect(shown.status, shown.text).toBe(200);
  const decided = await asSession(t, tenant, session, "POST", "/api/v2/oauth/consent", { ...Object.fromEntries(page.searchParams), allowed });
  expect(decided.status, decided.text).toBe(200);
  return new URL(decided.body.redirect_to);
}

async function exchange(tenant: TestTenant, client: { identifier: string; secret?: string | undefined }, callback: URL, s: Started, auth?: oauth.ClientAuth) {
  const c: oauth.Client = { client_id: client.identifier };
  const params = oauth.validateAuthResponse(serverOf(tenant), c, callback, s.state);
  const res = await oauth.authorizationCodeGrantRequest(serverOf(tenant), c, auth ?? oauth.None(), params, REDIRECT, s.verifier, opts(tenant));
  return oauth.processAuthorizationCodeResponse(serverOf(tenant), c, res);
}

async function refresh(tenant: TestTenant, client: { identifier: string }, refreshToken: string) {
  const c: oauth.Client = { client_id: client.identifier };
  const res = await oauth.refreshTokenGrantRequest(serverOf(tenant), c, oauth.None(), refreshToken, opts(tenant));
  return oauth.processRefreshTokenResponse(serverOf(tenant), c, res);
}

async function oauthError(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  // A refusal of a client that authenticated with HTTP Basic comes with a Basic challenge (401).
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    expect(err.response.status).toBe(401);
    return ((await err.response.json()) as { error: string }).error;
  }
  expect(err).toBeInstanceOf(oauth.ResponseBodyError);
  return (err as oauth.ResponseBodyError).error;
}

const bearer = (tenant: TestTenant, token: string, method: string, path: string, body?: unknown) => t.request({ method, path, host: tenant.host, headers: { authorization: `Bearer ${token}` }, body });

/** A full flow for the owner of A: tokens for `scope`. */
type CreatedClient = Awaited<ReturnType<typeof createClient>>;
async function tokensFor(scope: string, client?: CreatedClient) {
  const c = client ?? (await createClient(A));
  const s = await authorizationParams(c, scope);
  const tokens = await exchange(A, c, await consent(A, owner, s), s);
  return { client: c, tokens };
}

describe("OAuth 2.0 authorization code with PKCE", () => {
  it("issues tokens a third party uses within their scopes, and nowhere else", async () => {
    const { tokens } = await tokensFor("tickets:read tickets:write");
    expect(tokens.token_type).toBe("bearer");
    expect(tokens.expires_in).toBeGreaterThan(3500);
    expect(tokens.scope).toBe("tickets:read tickets:write");
    expect(tokens.access_token).toMatch(/^vdo_/);
    const list = await bearer(A, tokens.access_token, "GET", "/api/v2/tickets.json");
    expect(list.status, list.text).toBe(200);
    const created = await bearer(A, tokens.access_token, "POST", "/api/v2/tickets.json", { ticket: { subject: "From an app", comment: { body: "Written through OAuth" } } });
    expect(created.status, created.text).toBe(201);
    const users = await bearer(A, tokens.access_token, "GET", "/api/v2/users.json");
    expect(users.status).toBe(403);
    expect(users.body.description).toContain("'users:read'");
    // Credential routes are closed to OAuth tokens whatever their scopes.
    const { tokens: broad } = await tokensFor("read write");
    const newClient = { client: { name: "Minted by an app", identifier: "minted", redirect_uri: [REDIRECT] } };
    for (const [m, p] of [["GET", "/api/v2/api_tokens.json"], ["GET", "/api/v2/oauth/tokens.json"], ["POST", "/api/v2/oauth/clients.json"]] as const) {
      const r = await bearer(A, broad.access_token, m, p, m === "POST" ? newClient : undefined);
      expect(r.status, `${m} ${p}`).toBe(403);
      expect(r.body.description).toMatch(/OAuth access tokens cannot manage credentials/);
    }
    expect((await bearer(A, broad.access_token, "GET", "/api/v2/users/me.json")).status).toBe(200);
  });

  it("passes state back, and takes JSON at the token endpoint as well as forms", async () => {
    const c = await createClient(A);
    const s = await authorizationParams(c, "read");
    const cb = await consent(A, owner, s);
    expect(cb.origin + cb.pathname).toBe(REDIRECT);
    expect(cb.searchParams.get("state")).toBe(s.state);
    const r = await t.request({ method: "POST", path: "/oauth/tokens", host: A.host, body: { grant_type: "authorization_code", code: cb.searchParams.get("code"), client_id: c.identifier, redirect_uri: REDIRECT, code_verifier: s.verifier } });
    expect(r.status, r.text).toBe(200);
    expect(r.headers["cache-control"]).toBe("no-store");
    expect(r.body.refresh_token).toMatch(/^vdr_/);
  });

  it("never redirects to an unregistered URI: an error page instead", async () => {
    const c = await createClient(A);
    const s = await authorizationParams(c, "read", { redirect_uri: "https://attacker.example/cb" });
    const r = await authorizeGet(A, s.params, { accept: "text/html" });
    expect(r.status).toBe(400);
    expect(r.headers.location).toBeUndefined();
    expect(r.headers["content-type"]).toMatch(/text\/html/);
    expect(r.text).toContain("redirect_uri is not one this application registered");
    expect(r.text).not.toContain("attacker.example");
    // And the consent step refuses it too.
    const d = await asSession(t, A, owner, "POST", "/api/v2/oauth/consent", { ...s.params, allowed: true });
    expect(d.status).toBe(400);
  });

  it("answers request errors to the registered redirect URI with the state: plain PKCE, no PKCE, unknown scope, another response type", async () => {
    const c = await createClient(A);
    const cases: Array<[Record<string, string>, string]> = [
      [{ code_challenge_method: "plain" }, "invalid_request"],
      [{ code_challenge_method: "" , code_challenge: "" }, "invalid_request"],
      [{ scope: "read admin:everything" }, "invalid_scope"],
      [{ response_type: "token" }, "unsupported_response_type"],
    ];
    for (const [extra, error] of cases) {
      const s = await authorizationParams(c, "read", extra);
      const params = Object.fromEntries(Object.entries(s.params).filter(([, v]) => v !== ""));
      const r = await authorizeGet(A, params);
      expect(r.status, JSON.stringify(extra)).toBe(302);
      const to = new URL(r.headers.location!);
      expect(to.origin + to.pathname).toBe(REDIRECT);
      expect(to.searchParams.get("error")).toBe(error);
      expect(to.searchParams.get("state")).toBe(s.state);
    }
  });

  it("refuses a missing or wrong PKCE verifier, and the code is spent by the attempt", async () => {
    const c = await createClient(A);
    const s1 = await authorizationParams(c, "read");
    const cb1 = await consent(A, owner, s1);
    const params1 = oauth.validateAuthResponse(serverOf(A), { client_id: c.identifier }, cb1, s1.state);
    expect(await oauthError(oauth.authorizationCodeGrantRequest(serverOf(A), { client_id: c.identifier }, oauth.None(), params1, REDIRECT, oauth.nopkce, opts(A)).then((res) => oauth.processAuthorizationCodeResponse(serverOf(A), { client_id: c.identifier }, res)))).toBe("invalid_grant");
    expect(await oauthError(exchange(A, c, cb1, s1))).toBe("invalid_grant");

    const s2 = await authorizationParams(c, "read");
    const cb2 = await consent(A, owner, s2);
    expect(await oauthError(exchange(A, c, cb2, { ...s2, verifier: oauth.generateRandomCodeVerifier() }))).toBe("invalid_grant");
    expect(await oauthError(exchange(A, c, cb2, s2))).toBe("invalid_grant");
  });

  it("refuses a code at another redirect URI or for another client", async () => {
    const c = await createClient(A);
    const other = await createClient(A);
    const s = await authorizationParams(c, "read");
    const cb = await consent(A, owner, s);
    const token = (body: Record<string, unknown>) => t.request({ method: "POST", path: "/oauth/tokens", host: A.host, headers: { accept: "text/html,application/json" }, body: { grant_type: "authorization_code", code: cb.searchParams.get("code"), client_id: c.identifier, redirect_uri: REDIRECT, code_verifier: s.verifier, ...body } });
    const r = await token({ client_id: other.identifier });
    expect(r.status).toBe(400);
    // The token endpoint answers OAuth clients in JSON, whatever they accept.
    expect(r.body).toEqual({ error: "invalid_grant", error_description: expect.any(String) });
    const elsewhere = await token({ redirect_uri: "http://127.0.0.1:9/elsewhere" });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error).toBe("invalid_request");
    // That attempt spent the code.
    expect((await token({})).body.error).toBe("invalid_grant");
  });

  it("a reused code is refused and the tokens issued from it are revoked (RFC 6749 §4.1.2)", async () => {
    const c = await createClient(A);
    const s = await authorizationParams(c, "read");
    const cb = await consent(A, owner, s);
    const tokens = await exchange(A, c, cb, s);
    expect((await bearer(A, tokens.access_token, "GET", "/api/v2/tickets.json")).status).toBe(200);
    expect(await oauthError(exchange(A, c, cb, s))).toBe("invalid_grant");
    expect((await bearer(A, tokens.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);
    expect(await oauthError(refresh(A, c, tokens.refresh_token!))).toBe("invalid_grant");
  });

  it("rotates refresh tokens, and a reused one revokes the whole family", async () => {
    const { client, tokens } = await tokensFor("read");
    const second = await refresh(A, client, tokens.refresh_token!);
    expect(second.refresh_token).not.toBe(tokens.refresh_token);
    expect(second.scope).toBe("read");
    expect((await bearer(A, second.access_token, "GET", "/api/v2/tickets.json")).status).toBe(200);
    const third = await refresh(A, client, second.refresh_token!);
    // The first refresh token, presented again: refused, and everything descended from it ends.
    expect(await oauthError(refresh(A, client, tokens.refresh_token!))).toBe("invalid_grant");
    for (const at of [tokens.access_token, second.access_token, third.access_token]) expect((await bearer(A, at, "GET", "/api/v2/tickets.json")).status).toBe(401);
    expect(await oauthError(refresh(A, client, third.refresh_token!))).toBe("invalid_grant");
  });

  it("lets a refresh narrow the scopes, never widen them", async () => {
    const { client, tokens } = await tokensFor("tickets:read users:read");
    const narrow = async (refreshToken: string, scope: string) => {
      const c: oauth.Client = { client_id: client.identifier };
      const res = await oauth.refreshTokenGrantRequest(serverOf(A), c, oauth.None(), refreshToken, { ...opts(A), additionalParameters: { scope } });
      return oauth.processRefreshTokenResponse(serverOf(A), c, res);
    };
    const narrowed = await narrow(tokens.refresh_token!, "tickets:read");
    expect(narrowed.scope).toBe("tickets:read");
    expect((await bearer(A, narrowed.access_token, "GET", "/api/v2/tickets.json")).status).toBe(200);
    expect((await bearer(A, narrowed.access_token, "GET", "/api/v2/users.json")).status).toBe(403);
    expect(await oauthError(narrow(narrowed.refresh_token!, "tickets:read users:read"))).toBe("invalid_scope");
  });

  it("ends access tokens after their hour", async () => {
    const { client, tokens } = await tokensFor("read");
    offset = 3601_000;
    try {
      expect((await bearer(A, tokens.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);
      // The refresh token still works, and gives an hour more.
      const next = await refresh(A, client, tokens.refresh_token!);
      expect((await bearer(A, next.access_token, "GET", "/api/v2/tickets.json")).status).toBe(200);
    } finally {
      offset = 0;
    }
  });

  it("keeps tenants apart: another tenant's client id is unknown, its tokens do not authenticate", async () => {
    const { client, tokens } = await tokensFor("read");
    const s = await authorizationParams(client, "read");
    const r = await authorizeGet(B, s.params, { accept: "text/html" });
    expect(r.status).toBe(400);
    expect(r.headers.location).toBeUndefined();
    expect(r.text).toContain("unknown client_id");
    expect((await bearer(B, tokens.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);
    expect(await oauthError(refresh(B, client, tokens.refresh_token!))).toBe("invalid_client");
    expect((await B.api("GET", `/api/v2/oauth/clients/${client.id}.json`)).status).toBe(404);
  });

  it("asks a confidential client for its secret", async () => {
    const c = await createClient(A, "confidential");
    expect(c.secret).toMatch(/^vdcs_/);
    const shown = await A.api("GET", `/api/v2/oauth/clients/${c.id}.json`);
    expect(shown.body.client.secret).toBeUndefined();
    const s1 = await authorizationParams(c, "read");
    expect(await oauthError(exchange(A, c, await consent(A, owner, s1), s1, oauth.ClientSecretBasic("vdcs_wrong")))).toBe("invalid_client");
    const s2 = await authorizationParams(c, "read");
    expect(await oauthError(exchange(A, c, await consent(A, owner, s2), s2, oauth.None()))).toBe("invalid_client");
    const s3 = await authorizationParams(c, "read");
    const tokens = await exchange(A, c, await consent(A, owner, s3), s3, oauth.ClientSecretBasic(c.secret!));
    expect((await bearer(A, tokens.access_token, "GET", "/api/v2/tickets.json")).status).toBe(200);
    // client_secret_post works too, and a public client may not claim a secret.
    const s4 = await authorizationParams(c, "read");
    await exchange(A, c, await consent(A, owner, s4), s4, oauth.ClientSecretPost(c.secret!));
    const pub = await createClient(A);
    const s5 = await authorizationParams(pub, "read");
    expect(await oauthError(exchange(A, pub, await consent(A, owner, s5), s5, oauth.ClientSecretPost("vdcs_invented")))).toBe("invalid_client");
  });

  it("sends access_denied when the person denies", async () => {
    const c = await createClient(A);
    const s = await authorizationParams(c, "read");
    const cb = await consent(A, owner, s, false);
    expect(cb.searchParams.get("error")).toBe("access_denied");
    expect(cb.searchParams.get("code")).toBeNull();
  });

  it("takes consent from a session with its CSRF header only", async () => {
    const c = await createClient(A);
    const s = await authorizationParams(c, "read");
    const noCsrf = await t.request({ method: "POST", path: "/api/v2/oauth/consent", host: A.host, headers: { cookie: owner.cookie }, body: { ...s.params, allowed: true } });
    expect(noCsrf.status).toBe(403);
    const byToken = await A.api("POST", "/api/v2/oauth/consent", { ...s.params, allowed: true });
    expect(byToken.status).toBe(403);
    expect((await t.request({ method: "GET", path: `/api/v2/oauth/consent?${new URLSearchParams(s.params)}`, host: A.host })).status).toBe(401);
  });
});

// Writes that lift a protection or take the account's data in bulk are credential-route writes (scopes.ts).
describe("an OAuth application and the settings that hold protections", () => {
  it("is refused healthcare mode, the notification and attachment settings and the account export, as it is the password and session settings", async () => {
    const { tokens } = await tokensFor("read write");
    const at = tokens.access_token as string;
    // Controls: credential routes refuse OAuth.
    const pw = await bearer(A, at, "PUT", "/api/v2/password_settings.json", { password_settings: { end_users: { level: "medium" } } });
    expect(pw.status, pw.text).toBe(403);
    const res: Record<string, number> = {};
    res.healthcare = (await bearer(A, at, "PUT", "/api/v2/compliance/healthcare_mode.json", { healthcare_mode: { enabled: false } })).status;
    res.notifications = (await bearer(A, at, "PUT", "/api/v2/notification_settings.json", { settings: { content_free: false } })).status;
    res.attachments = (await bearer(A, at, "PUT", "/api/v2/attachment_settings.json", { settings: { blocked_extensions: [], allowed_types: null } })).status;
    res.exports = (await bearer(A, at, "POST", "/api/v2/exports.json", { export: { resource: "tickets", format: "json" } })).status;
    expect(res).toEqual({ healthcare: 403, notifications: 403, attachments: 403, exports: 403 });
  });
});

describe("OAuth clients and tokens", () => {
  it("keeps names and identifiers unique and redirect URIs safe", async () => {
    const c = await createClient(A);
    const dupName = await A.api("POST", "/api/v2/oauth/clients.json", { client: { name: `integration ${c.identifier.split("_")[1]}`, identifier: "other_one", redirect_uri: [REDIRECT] } });
    expect(dupName.status).toBe(422);
    const dupId = await A.api("POST", "/api/v2/oauth/clients.json", { client: { name: "Another", identifier: c.identifier, redirect_uri: [REDIRECT] } });
    expect(dupId.status).toBe(422);
    for (const uri of ["http://app.example/cb", "https://app.example/cb#frag", "not a uri"]) {
      const r = await A.api("POST", "/api/v2/oauth/clients.json", { client: { name: `Bad ${uri}`, identifier: `bad_${crypto.randomBytes(3).toString("hex")}`, redirect_uri: [uri] } });
      expect(r.status, uri).toBe(422);
      expect(r.body.details.redirect_uri).toBeDefined();
    }
    // The same identifier in another tenant is another client.
    expect((await B.api("POST", "/api/v2/oauth/clients.json", { client: { name: "Same", identifier: c.identifier, redirect_uri: [REDIRECT] } })).status).toBe(201);
  });

  it("lets only admins manage clients", async () => {
    const agent = await staffWithPassword(t, A, "agent");
    expect((await asSession(t, A, agent.session, "GET", "/api/v2/oauth/clients.json")).status).toBe(403);
    expect((await asSession(t, A, agent.session, "POST", "/api/v2/oauth/clients.json", { client: { name: "Mine", identifier: "mine", redirect_uri: [REDIRECT] } })).status).toBe(403);
  });

  it("lists each person's authorized apps, admins all of them; a revoked one stops working", async () => {
    const agent = await staffWithPassword(t, A, "agent");
    const c = await createClient(A);
    const s = await authorizationParams(c, "tickets:read");
    const tokens = await exchange(A, c, await consent(A, agent.session, s), s);
    const mine = await asSession(t, A, agent.session, "GET", "/api/v2/oauth/tokens.json");
    expect(mine.status).toBe(200);
    expect(mine.body.tokens.map((x: { client_id: number }) => x.client_id)).toEqual([c.id]);
    expect(mine.body.tokens[0].scopes).toEqual(["tickets:read"]);
    const all = await A.api("GET", "/api/v2/oauth/tokens.json");
    const id = mine.body.tokens[0].id;
    expect(all.body.tokens.map((x: { id: number }) => x.id)).toContain(id);
    // Another person's authorization answers 404 to a non-admin; the owner of it may revoke it.
    const other = await staffWithPassword(t, A, "agent");
    expect((await asSession(t, A, other.session, "DELETE", `/api/v2/oauth/tokens/${id}.json`)).status).toBe(404);
    expect((await B.api("DELETE", `/api/v2/oauth/tokens/${id}.json`)).status).toBe(404);
    expect((await asSession(t, A, agent.session, "DELETE", `/api/v2/oauth/tokens/${id}.json`)).status).toBe(204);
    expect((await bearer(A, tokens.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);
    expect(await oauthError(refresh(A, c, tokens.refresh_token!))).toBe("invalid_grant");
    expect((await asSession(t, A, agent.session, "GET", "/api/v2/oauth/tokens.json")).body.tokens).toEqual([]);
  });

  it("ends tokens when the person is suspended, deleted or changes role, or the client is deleted", async () => {
    const c = await createClient(A);
    const run = async (person: { session: Session }) => {
      const s = await authorizationParams(c, "read");
      return exchange(A, c, await consent(A, person.session, s), s);
    };
    const suspended = await staffWithPassword(t, A, "agent");
    const t1 = await run(suspended);
    expect((await A.api("PUT", `/api/v2/users/${suspended.id}.json`, { user: { suspended: true } })).status).toBe(200);
    expect((await bearer(A, t1.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);

    const promoted = await staffWithPassword(t, A, "agent");
    const t2 = await run(promoted);
    expect((await A.api("PUT", `/api/v2/users/${promoted.id}.json`, { user: { role: "admin" } })).status).toBe(200);
    expect((await bearer(A, t2.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);
    expect(await oauthError(refresh(A, c, t2.refresh_token!))).toBe("invalid_grant");

    const deleted = await staffWithPassword(t, A, "agent");
    const t3 = await run(deleted);
    expect((await A.api("DELETE", `/api/v2/users/${deleted.id}.json`)).status).toBe(200);
    expect((await bearer(A, t3.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);

    const t4 = await run({ session: owner });
    expect((await A.api("DELETE", `/api/v2/oauth/clients/${c.id}.json`)).status).toBe(204);
    expect((await bearer(A, t4.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);
    expect(await oauthError(refresh(A, c, t4.refresh_token!))).toBe("invalid_client");
  });

  it("audits client changes, consent, issue and revocations, naming no secret", async () => {
    const c = await createClient(A);
    const s = await authorizationParams(c, "read");
    const cb = await consent(A, owner, s);
    const tokens = await exchange(A, c, cb, s);
    expect(await oauthError(exchange(A, c, cb, s))).toBe("invalid_grant");
    const log = await A.api("GET", "/api/v2/audit_logs.json?filter[source_type]=oauth_grant&per_page=100");
    expect(log.status, log.text).toBe(200);
    const entries = log.body.audit_logs as Array<{ action: string; source_id: string; changed_fields: string[] }>;
    const grantId = entries.find((e) => e.action === "oauth_grant.created")!.source_id;
    const ofGrant = entries.filter((e) => e.source_id === grantId);
    expect(ofGrant.map((e) => e.action).sort()).toEqual(["oauth_grant.created", "oauth_token.issued", "oauth_token.revoked"]);
    expect(ofGrant.find((e) => e.action === "oauth_token.revoked")!.changed_fields).toEqual(["code_reused"]);
    const all = await A.api("GET", "/api/v2/audit_logs.json?per_page=100");
    expect(all.body.audit_logs.map((e: { action: string }) => e.action)).toContain("oauth_client.created");
    for (const secret of [cb.searchParams.get("code")!, tokens.access_token, tokens.refresh_token!]) expect(all.text).not.toContain(secret);
  });

  it("limits the authorization and token endpoints per client network and account", async () => {
    // Tenant B has seen only a few of these requests in this file; count up to its limit.
    let refusedAt = 0;
    for (let i = 1; i <= SSO_PER_IP + 1 && refusedAt === 0; i++) {
      const r = await t.request({ method: "POST", path: "/oauth/tokens", host: B.host, body: { grant_type: "refresh_token", refresh_token: "vdr_unknown", client_id: "nobody" } });
      if (r.status === 429) refusedAt = i;
      else expect(r.body.error).toBe("invalid_client");
    }
    expect(refusedAt).toBeGreaterThan(SSO_PER_IP - 10);
    expect(refusedAt).toBeLessThanOrEqual(SSO_PER_IP);
    const c = await createClient(B);
    expect((await authorizeGet(B, (await authorizationParams(c, "read")).params)).status).toBe(429);
    // Another account on the same address has its own budget.
    expect((await authorizeGet(A, (await authorizationParams(await createClient(A), "read")).params)).status).toBe(302);
  });
});

describe("OAuth upkeep", () => {
  it("deletes codes and tokens a day after they expire, and nothing earlier or of a live token", async () => {
    const { sweepOAuth, OAUTH_GRACE_MS } = await import("../src/modules/identity/oauth-upkeep.ts");
    const { tokens } = await tokensFor("read");
    const counts = () =>
      t.db.tenant(A.tenantId, async (tx) => ({
        codes: Number((await tx.db.selectFrom("oauth_codes").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", A.tenantId).executeTakeFirstOrThrow()).n),
        tokens: Number((await tx.db.selectFrom("oauth_tokens").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", A.tenantId).executeTakeFirstOrThrow()).n),
      }));
    const before = await counts();
    expect(before.codes).toBeGreaterThan(0);
    expect(before.tokens).toBeGreaterThan(0);
    // Now: nothing has been expired for a day yet (the other tests' tokens are minutes old).
    expect(await sweepOAuth({ db: t.db }, new Date())).toEqual({ codes: 0, tokens: 0 });
    expect(await counts()).toEqual(before);
    // Two hours on: the access token and every code have been expired for less than the grace period… still kept.
    expect((await sweepOAuth({ db: t.db }, new Date(Date.now() + 2 * 3600_000))).tokens).toBe(0);
    // A day and two hours on: codes and access tokens go; refresh tokens (longer-lived) stay.
    const later = await sweepOAuth({ db: t.db }, new Date(Date.now() + OAUTH_GRACE_MS + 2 * 3600_000));
    expect(later.codes).toBe(before.codes);
    expect(later.tokens).toBeGreaterThan(0);
    const after = await counts();
    expect(after.codes).toBe(0);
    expect(after.tokens).toBeGreaterThan(0);
    expect(after.tokens).toBeLessThan(before.tokens);
    // The refresh token still works (rotating it): the sweep took nothing live.
    expect(tokens.refresh_token).toBeTruthy();
    const again = await refresh(A, { identifier: (await t.db.tenant(A.tenantId, async (tx) => tx.db.selectFrom("oauth_clients").select("identifier").where("tenant_id", "=", A.tenantId).orderBy("created_at", "desc").executeTakeFirstOrThrow())).identifier }, tokens.refresh_token!);
    expect(again.access_token).toMatch(/^vdo_/);
  });
});

// After the upkeep's tests: their sweep counts every tenant's codes against tenant A's.
describe("consent remembered", () => {
  it("goes on without asking for a confidential client the person allowed these scopes before; asks again for more scopes, after a revocation, and always for a public client", async () => {
    const C = await buildTenant(t, "oremember");
    const me = await signIn(t, C, C.ownerEmail, C.ownerPassword);
    const shown = async (client: { identifier: string }, scope: string) => {
      const s = await authorizationParams(client, scope);
      const r = await asSession(t, C, me, "GET", `/api/v2/oauth/consent?${new URLSearchParams(s.params)}`);
      expect(r.status, r.text).toBe(200);
      return r.body.consent.remembered as boolean;
    };
    const confidential = await createClient(C, "confidential");
    const auth = oauth.ClientSecretBasic(confidential.secret!);
    expect(await shown(confidential, "tickets:read users:read")).toBe(false);
    // Allowed, but the application never exchanged its code: not yet remembered.
    const unused = await authorizationParams(confidential, "tickets:read users:read");
    await consent(C, me, unused);
    expect(await shown(confidential, "tickets:read users:read")).toBe(false);
    const s1 = await authorizationParams(confidential, "tickets:read users:read");
    const tokens = await exchange(C, confidential, await consent(C, me, s1), s1, auth);
    expect(await shown(confidential, "tickets:read users:read")).toBe(true);
    expect(await shown(confidential, "tickets:read")).toBe(true);
    expect(await shown(confidential, "tickets:read tickets:write")).toBe(false);
    // Revoked: asked again.
    const grants = await asSession(t, C, me, "GET", "/api/v2/oauth/tokens.json");
    for (const g of grants.body.tokens as Array<{ id: number }>) expect((await asSession(t, C, me, "DELETE", `/api/v2/oauth/tokens/${g.id}.json`)).status).toBe(204);
    expect((await bearer(C, tokens.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);
    expect(await shown(confidential, "tickets:read users:read")).toBe(false);
    // A public client, however often allowed, is asked each time (its code needs no secret).
    const pub = await createClient(C);
    const s2 = await authorizationParams(pub, "tickets:read");
    await exchange(C, pub, await consent(C, me, s2), s2);
    expect(await shown(pub, "tickets:read")).toBe(false);
    // Another person's grant is not theirs.
    const agent = await staffWithPassword(t, C, "agent");
    const s3 = await authorizationParams(confidential, "tickets:read");
    expect((await asSession(t, C, agent.session, "GET", `/api/v2/oauth/consent?${new URLSearchParams(s3.params)}`)).body.consent.remembered).toBe(false);
  });
});

describe("OAuth and single sign-on only", () => {
  it("ends staff grants given before staff were sent to their identity provider only, but the owner's; tokens and refreshes stop", async () => {
    const C = await buildTenant(t, "osso");
    const ownerC = await signIn(t, C, C.ownerEmail, C.ownerPassword);
    const start = await asSession(t, C, ownerC, "POST", "/api/v2/users/me/two_factor/totp.json");
    expect(start.status, start.text).toBe(201);
    const code = new TOTP({ secret: Secret.fromBase32(start.body.totp.secret), algorithm: "SHA1", digits: 6, period: 30 }).generate();
    expect((await asSession(t, C, ownerC, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code })).status).toBe(200);
    const jwt = await C.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", shared_secret: crypto.randomBytes(32).toString("base64url") } });
    expect(jwt.status, jwt.text).toBe(200);
    const client = await createClient(C);
    const grant = async (session: Session) => {
      const s = await authorizationParams(client, "tickets:read");
      return exchange(C, client, await consent(C, session, s), s);
    };
    const agent = await staffWithPassword(t, C, "agent");
    const agentTokens = await grant(agent.session);
    const ownerTokens = await grant(ownerC);
    for (const tk of [agentTokens, ownerTokens]) expect((await bearer(C, tk.access_token, "GET", "/api/v2/tickets.json")).status).toBe(200);
    const on = await C.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } });
    expect(on.status, on.text).toBe(200);
    expect((await bearer(C, agentTokens.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);
    expect(await oauthError(refresh(C, client, agentTokens.refresh_token!))).toBe("invalid_grant");
    // The owner's way in when the provider fails keeps what it authorized.
    expect((await bearer(C, ownerTokens.access_token, "GET", "/api/v2/tickets.json")).status).toBe(200);
  });

  it("ends the grant consented in a provider's session also when the application's clock runs ahead of the database's", async () => {
    const C = await buildTenant(t, "otrustskew");
    offset = 3000;
    try {
      const secret = crypto.randomBytes(32).toString("base64url");
      expect((await C.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", shared_secret: secret } })).status).toBe(200);
      expect((await C.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt" } })).status).toBe(200);
      const client = await createClient(C);
      const agent = await staffWithPassword(t, C, "agent");
      const token = await new jose.SignJWT({ iat: Math.floor((Date.now() + offset) / 1000), jti: crypto.randomUUID(), email: agent.email, name: "Agent" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
      const viaJwt = await t.request({ method: "POST", path: "/access/jwt", host: C.host, rawBody: new URLSearchParams({ jwt: token }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
      const cookie = cookieOf(viaJwt.headers);
      const shown = await t.request({ method: "GET", path: "/api/v2/session.json", host: C.host, headers: { cookie } });
      const s = await authorizationParams(client, "tickets:read");
      const during = await exchange(C, client, await consent(C, { cookie, csrf: shown.body.session.csrf_token }, s), s);
      expect((await C.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", shared_secret: crypto.randomBytes(32).toString("base64url") } })).status).toBe(200);
      expect((await bearer(C, during.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);
    } finally {
      offset = 0;
    }
  });

  it("ends the grants consented in a session of a provider whose secret was replaced, not those consented before it", async () => {
    const C = await buildTenant(t, "otrust");
    const secret = crypto.randomBytes(32).toString("base64url");
    expect((await C.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", shared_secret: secret } })).status).toBe(200);
    expect((await C.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt" } })).status).toBe(200);
    const client = await createClient(C);
    const grant = async (session: Session) => {
      const s = await authorizationParams(client, "tickets:read");
      return exchange(C, client, await consent(C, session, s), s);
    };
    const agent = await staffWithPassword(t, C, "agent");
    const before = await grant(agent.session);
    const token = await new jose.SignJWT({ iat: Math.floor((Date.now() + offset) / 1000), jti: crypto.randomUUID(), email: agent.email, name: "Agent" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
    const viaJwt = await t.request({ method: "POST", path: "/access/jwt", host: C.host, rawBody: new URLSearchParams({ jwt: token }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(viaJwt.status, viaJwt.text).toBe(303);
    const cookie = cookieOf(viaJwt.headers);
    const shown = await t.request({ method: "GET", path: "/api/v2/session.json", host: C.host, headers: { cookie } });
    const during = await grant({ cookie, csrf: shown.body.session.csrf_token });
    for (const tk of [before, during]) expect((await bearer(C, tk.access_token, "GET", "/api/v2/tickets.json")).status).toBe(200);

    const replaced = await C.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/sso", shared_secret: crypto.randomBytes(32).toString("base64url") } });
    expect(replaced.status, replaced.text).toBe(200);
    expect((await bearer(C, during.access_token, "GET", "/api/v2/tickets.json")).status).toBe(401);
    expect(await oauthError(refresh(C, client, during.refresh_token!))).toBe("invalid_grant");
    expect((await bearer(C, before.access_token, "GET", "/api/v2/tickets.json")).status).toBe(200);
    expect((await asSession(t, C, agent.session, "GET", "/api/v2/users/me.json")).status).toBe(200);
  });
});
