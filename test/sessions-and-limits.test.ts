import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { createTenant } from "../src/modules/tenants/tenants-service.ts";
import { openDatabase, SchemaTooNewError } from "../src/platform/db/database.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

let t: TestApp;
let clock = Date.now();
let acme: TestTenant;
beforeAll(async () => {
  t = await startTestApp({ now: () => new Date(clock) });
  acme = await buildTenant(t, "sess");
});
afterAll(async () => t?.close());

function cookieOf(headers: Record<string, unknown>): string {
  const raw = headers["set-cookie"] as string[] | undefined;
  const c = raw?.find((x) => x.startsWith("vd_session="));
  if (!c) throw new Error("no session cookie");
  return c.split(";")[0]!;
}

async function signIn(tenant: TestTenant, email: string, password: string) {
  return t.request({ method: "POST", path: "/api/v2/session.json", host: tenant.host, body: { email, password } });
}

describe("password sign-in and sessions", () => {
  it("sets an HttpOnly SameSite cookie and requires the CSRF token on writes", async () => {
    const r = await signIn(acme, acme.ownerEmail, acme.ownerPassword);
    expect(r.status).toBe(201);
    const setCookie = (r.headers["set-cookie"] as string[]).join(";");
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    const cookie = cookieOf(r.headers);
    const csrf = r.body.session.csrf_token as string;
    const me = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: acme.host, headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(acme.ownerEmail);
    const body = { ticket: { subject: "via session", comment: { body: "b" } } };
    const noCsrf = await t.request({ method: "POST", path: "/api/v2/tickets.json", host: acme.host, headers: { cookie }, body });
    expect(noCsrf.status).toBe(403);
    const withCsrf = await t.request({ method: "POST", path: "/api/v2/tickets.json", host: acme.host, headers: { cookie, "x-csrf-token": csrf }, body });
    expect(withCsrf.status).toBe(201);
    const out = await t.request({ method: "DELETE", path: "/api/v2/session.json", host: acme.host, headers: { cookie, "x-csrf-token": csrf } });
    expect(out.status).toBe(204);
    expect((await t.request({ method: "GET", path: "/api/v2/users/me.json", host: acme.host, headers: { cookie } })).status).toBe(401);
  });

  it("ends idle sessions", async () => {
    const r = await signIn(acme, acme.ownerEmail, acme.ownerPassword);
    const cookie = cookieOf(r.headers);
    clock += 31 * 60_000;
    try {
      expect((await t.request({ method: "GET", path: "/api/v2/users/me.json", host: acme.host, headers: { cookie } })).status).toBe(401);
    } finally {
      clock = Date.now();
    }
  });

  it("audits failed sign-ins and answers them all alike", async () => {
    const wrong = await signIn(acme, acme.ownerEmail, "not the password at all");
    const unknown = await signIn(acme, "nobody@nowhere.test", "whatever whatever");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    const logs = await acme.api("GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed");
    expect(logs.body.audit_logs.length).toBe(2);
  });

  it("forces a one-time password to be changed before anything else", async () => {
    const sub = `otp${Date.now()}`;
    const created = await createTenant(t.db, t.keyring, { subdomain: sub, ownerEmail: `o@${sub}.test` });
    const host = `${sub}.localhost`;
    const r = await t.request({ method: "POST", path: "/api/v2/session.json", host, body: { email: `o@${sub}.test`, password: created.oneTimePassword } });
    expect(r.body.session.must_change_password).toBe(true);
    const cookie = cookieOf(r.headers);
    const csrf = r.body.session.csrf_token as string;
    expect((await t.request({ method: "GET", path: "/api/v2/tickets.json", host, headers: { cookie } })).status).toBe(403);
    const weak = await t.request({ method: "PUT", path: "/api/v2/users/me/password.json", host, headers: { cookie, "x-csrf-token": csrf }, body: { previous_password: created.oneTimePassword, password: "short" } });
    expect(weak.status).toBe(422);
    const ok = await t.request({ method: "PUT", path: "/api/v2/users/me/password.json", host, headers: { cookie, "x-csrf-token": csrf }, body: { previous_password: created.oneTimePassword, password: "A much better passphrase 42" } });
    expect(ok.status).toBe(204);
    expect((await t.request({ method: "GET", path: "/api/v2/tickets.json", host, headers: { cookie } })).status).toBe(200);
  });

  it("refuses password Basic auth on the API", async () => {
    const r = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: acme.host, headers: { authorization: "Basic " + Buffer.from(`${acme.ownerEmail}:${acme.ownerPassword}`).toString("base64") } });
    expect(r.status).toBe(401);
  });

  it("revokes API tokens", async () => {
    const c = await acme.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "integration" } });
    expect(c.status).toBe(201);
    const tok = c.body.api_token.token as string;
    expect((await acme.api("GET", "/api/v2/users/me.json", undefined, { email: acme.ownerEmail, token: tok })).status).toBe(200);
    const list = await acme.api("GET", "/api/v2/api_tokens.json");
    const listed = list.body.api_tokens.find((x: { id: number }) => x.id === c.body.api_token.id);
    expect(listed.last_used_at).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain(tok);
    expect((await acme.api("DELETE", `/api/v2/api_tokens/${c.body.api_token.id}.json`)).status).toBe(204);
    expect((await acme.api("GET", "/api/v2/users/me.json", undefined, { email: acme.ownerEmail, token: tok })).status).toBe(401);
  });

  it("scopes tokens: a read token cannot write", async () => {
    const c = await acme.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "reader", scopes: ["read"] } });
    const as = { email: acme.ownerEmail, token: c.body.api_token.token as string };
    expect((await acme.api("GET", "/api/v2/tickets.json", undefined, as)).status).toBe(200);
    expect((await acme.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "y" } } }, as)).status).toBe(403);
  });
});

/** Runs `fn` on an app of its own whose API limit is `perMinute`, its clock and limiter's stopped at one moment, with a tenant; then closes it. */
async function withApiLimit(perMinute: number, prefix: string, fn: (app: TestApp, a: TestTenant) => Promise<void>): Promise<void> {
  const at = Date.now();
  const limited = await startTestApp({ env: { VAULTDESK_RATE_LIMIT_PER_MINUTE: String(perMinute) }, now: () => new Date(at), rateLimiter: createMemoryRateLimiter(() => at) });
  try {
    await fn(limited, await buildTenant(limited, prefix));
  } finally {
    await limited.close();
  }
}
const tokenAuth = (a: TestTenant, token: string) => ({ authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${token}`).toString("base64") });

// Limits shared by server processes through PostgreSQL: test/postgres/shared-rate-limits.test.ts.
describe("rate limits", () => {
  it("answers 429 with Retry-After past the API limit", () =>
    withApiLimit(5, "rl", async (_app, a) => {
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push(await a.api("GET", "/api/v2/users/me.json"));
      expect(statuses.slice(0, 5).map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses[0]!.headers["x-rate-limit"]).toBe("5");
      const last = statuses[6]!;
      expect(last.status).toBe(429);
      expect(Number(last.headers["retry-after"])).toBeGreaterThan(0);
      expect(last.body.error).toBe("TooManyRequests");
    }));

  it("counts a request on every one of its limits or on none: a network held by its address limit does not spend its tokens' budgets", () =>
    withApiLimit(5, "rlall", async (limited, a) => {
      const get = (token: string, localAddress: string) => limited.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: tokenAuth(a, token), localAddress });
      const tokens: string[] = [];
      for (const name of ["filler", "probe"]) {
        const made = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name, scopes: ["read"] } });
        expect(made.status).toBe(201);
        tokens.push(made.body.api_token.token as string);
      }
      const [filler, token] = tokens as [string, string];
      // One token spends the address limit of 127.0.0.2 …
      for (let i = 0; i < 5; i++) expect((await get(filler, "127.0.0.2")).status).toBe(200);
      // … so another token is refused there: by the address's limit, which the headers tell.
      for (let i = 0; i < 8; i++) {
        const r = await get(token, "127.0.0.2");
        expect(r.status).toBe(429);
        expect(r.headers["x-rate-limit-remaining"]).toBe("0");
        expect(Number(r.headers["retry-after"])).toBeGreaterThan(0);
      }
      // Those refusals spent none of that token's own budget: from another address it still has all five.
      const elsewhere = [];
      for (let i = 0; i < 6; i++) elsewhere.push((await get(token, "127.0.0.3")).status);
      expect(elsewhere).toEqual([200, 200, 200, 200, 200, 429]);
    }));

  it("a password request the sign-in limit refuses spends none of the API budget of its network or credential", () =>
    withApiLimit(40, "rlpw", async (limited, a) => {
      expect((await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } })).status).toBe(200);
      const byPassword = { authorization: "Basic " + Buffer.from(`${a.ownerEmail}:${a.ownerPassword}`).toString("base64") };
      const get = (headers: Record<string, string>) => limited.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers, localAddress: "127.0.0.2" });
      // The sign-in limit (30 a minute) lets 30 password requests through, each counted on the API limit (40) too …
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await get(byPassword)).status);
      expect(statuses.slice(0, 30).every((s) => s === 200), statuses.join(",")).toBe(true);
      // … and refuses the next ten: those spend neither the address's API budget nor the credential's.
      expect(statuses.slice(30).every((s) => s === 429), statuses.join(",")).toBe(true);
      const tokens: number[] = [];
      for (let i = 0; i < 11; i++) tokens.push((await get(tokenAuth(a, a.ownerToken))).status);
      expect(tokens).toEqual([...Array<number>(10).fill(200), 429]);
    }));

  it("keeps sign-in limited even when the API limit is off", async () => {
    const a = await buildTenant(t, "rlsignin");
    // The limit is 30 a minute in a sliding window: 62 attempts reach it even if a window turns midway
    // (the hits before the turn still weigh after it).
    const statuses: number[] = [];
    for (let i = 0; i < 62 && !statuses.includes(429); i++) statuses.push((await signIn(a, a.ownerEmail, "wrong password here")).status);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(30);
  });
});

describe("schema versions", () => {
  it("refuses to run against a schema newer than the code", async () => {
    const pgUrl = inject("postgresUrl");
    let db: Awaited<ReturnType<typeof openDatabase>>;
    let cleanup = async () => {};
    if (pgUrl) {
      // A database of its own, so the run's shared database keeps its schema.
      const pg = (await import("pg")).default;
      const name = `vd_future_${Date.now()}`;
      const admin = new pg.Client({ connectionString: inject("postgresAdminUrl") });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      const u = new URL(pgUrl);
      u.pathname = `/${name}`;
      db = await openDatabase({ kind: "postgres", url: u.toString(), poolSize: 2 });
      await db.migrate();
      cleanup = async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      };
    } else {
      db = await openDatabase({ kind: "pglite", loadDataDir: new Blob([(await import("node:fs")).readFileSync(inject("pgliteTemplate"))]) });
    }
    try {
      await expect(db.checkSchema()).resolves.toBeUndefined();
      await db.owner.insertInto("vd_migrations" as never).values({ name: "9999_from_the_future.sql" } as never).execute();
      await expect(db.checkSchema()).rejects.toBeInstanceOf(SchemaTooNewError);
      await expect(db.migrate()).rejects.toBeInstanceOf(SchemaTooNewError);
    } finally {
      await db.close();
      await cleanup();
    }
  });
});
