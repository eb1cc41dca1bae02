import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, signIn, type Session } from "./support/people.ts";

/**
 * An OAuth application, whatever its scopes, does not lift the protections a session may lift only
 * soon after a sign-in: healthcare mode, content-free mail, the attachment settings, and the
 * account's exports are refused to its token (403), as credential routes are. The flow is the
 * real one (oauth4webapi as the third party, consent through the consent page's API).
 */

let t: TestApp;
let A: TestTenant;
let owner: Session;
/** The deployment's clock runs `offset` ms ahead of the real one (token expiry). */
let offset = 0;
const REDIRECT = "http://127.0.0.1:9/callback";

beforeAll(async () => {
  // The limiter's clock stands still, so the count up to the limit below cannot roll over a window.
  t = await startTestApp({ now: () => new Date(Date.now() + offset), rateLimiter: createMemoryRateLimiter(() => 1_000_000) });
  A = await buildTenant(t, "oa");
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

const bearer = (tenant: TestTenant, token: string, method: string, path: string, body?: unknown) => t.request({ method, path, host: tenant.host, headers: { authorization: `Bearer ${token}` }, body });

/** A full flow for the owner of A: tokens for `scope`. */
type CreatedClient = Awaited<ReturnType<typeof createClient>>;
async function tokensFor(scope: string, client?: CreatedClient) {
  const c = client ?? (await createClient(A));
  const s = await authorizationParams(c, scope);
  const tokens = await exchange(A, c, await consent(A, owner, s), s);
  return { client: c, tokens };
}


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
