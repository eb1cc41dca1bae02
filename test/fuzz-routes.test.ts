import net from "node:net";
import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registeredRoutes } from "../src/platform/http/route.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { chainQueued } from "../src/modules/audit/audit-service.ts";

/**
 * Property: whatever a client sends to any route — bodies, query strings, ids, malformed JSON —
 * the answer is < 500, errors carry a Zendesk error body, and a refused request writes nothing.
 */

let t: TestApp;
let a: TestTenant;
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const TABLES = ["organizations", "users", "groups", "group_memberships", "ticket_fields", "tickets", "ticket_audits", "ticket_comments", "api_tokens", "sessions", "job_statuses", "tenant_keys", "key_rotations", "tenant_settings", "invitations", "consent_records", "signin_links", "password_resets", "email_changes", "organization_domains", "support_addresses", "suspended_tickets", "mail_settings", "ticket_ccs", "password_settings", "session_settings", "api_settings", "two_factor_totp", "two_factor_recovery_codes", "two_factor_challenges", "two_factor_settings", "passkeys", "webauthn_challenges", "search_postings", "search_pair_sets", "search_documents", "search_user_names", "search_organization_names", "search_settings", "consent_withdrawals", "redaction_settings", "data_exports", "data_subject_requests", "data_subject_request_events", "data_subject_request_settings"];

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "fuzz");
  await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "seed", comment: { body: "seed" } } });
  await a.api("POST", "/api/v2/organizations.json", { organization: { name: "seed org" } });
  await a.api("POST", "/api/v2/groups.json", { group: { name: "seed group" } });
});
afterAll(async () => t?.close());

/**
 * Every table's row count in one statement, once no job of the tenant is queued or running (a job a
 * successful request queued writes later; counts see only what requests wrote). The jobs' state is
 * read in the same statement as the counts, so both are of one snapshot; queued audit entries are
 * chained first, so the count covers every committed one.
 */
async function counts(): Promise<Record<string, number>> {
  for (let i = 0; ; i++) {
    const row = await t.db.tenant(a.tenantId, async (tx) => {
      await chainQueued(tx);
      // Every count in one statement: this runs for each of thousands of requests.
      const each = TABLES.map((table) => sql`(SELECT count(*)::int FROM ${sql.table(table)}) AS ${sql.ref(table)}`);
      return (await sql<Record<string, number>>`SELECT (SELECT count(*)::int FROM job_statuses WHERE status IN ('queued', 'working')) AS busy_jobs, ${sql.join(each)}, (SELECT count(*)::int FROM audit_log WHERE action <> 'user.signin_failed') AS audit_not_signin`.execute(tx.db)).rows[0]!;
    });
    const { busy_jobs: busy, ...rest } = row;
    if (busy === 0) return rest;
    if (i > 1500) throw new Error("jobs did not settle");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Date-like values that broke the database driver or Date before dates were checked at the root
 * (platform/schemas.ts): years past 9999 or before 1, the extended `+275760` form, bare numbers,
 * impossible months and days — plus generated extreme years in every ISO shape.
 */
const HOSTILE_DATES = [
  "99999", "275760", "+275760-09-13", "+275760-09-13T00:00:00.000Z", "-271821-04-20", "-000001-01-01", "0000-01-01",
  "10000-01-01", "99999-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00", "2026-13-45", "2026-02-30", "2026-05-01T24:00:00Z", "0", "1", "1e10", "-1",
];
const dateArb = fc.oneof(
  fc.constantFrom(...HOSTILE_DATES),
  fc
    .tuple(fc.integer({ min: -300_000, max: 300_000 }), fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 99 }), fc.boolean())
    .map(([y, m, d, time]) => {
      const year = y < 0 ? `-${String(-y).padStart(6, "0")}` : y > 9999 ? `+${String(y).padStart(6, "0")}` : String(y).padStart(4, "0");
      return `${year}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}${time ? "T12:00:00Z" : ""}`;
    }),
);
const dateQueryArb = fc.tuple(fc.constantFrom("created", "updated", "solved", "due_date"), fc.constantFrom(":", ">", "<", ">=", "<="), dateArb).map(([k, op, d]) => `${k}${op}${d}`);

const idArb = fc.oneof(
  fc.constantFrom("0", "-1", "1", "2", "1e20", "99999999999999999999", "abc", "%00", "1.5", "%2e%2e", "null", "00000000-0000-0000-0000-000000000000"),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.integer().map(String),
);

const queryArb = fc.oneof(
  fc.constant(""),
  fc.dictionary(fc.constantFrom("page", "per_page", "page[size]", "page[after]", "page[before]", "ids", "query", "include", "sort_order", "role", "filter[action]", "filter[created_at][]", "email"), fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), fc.constantFrom("0", "-5", "101", "1,2,x", "users,organizations", "asc", "status:open", "tags:", "created>", "x".repeat(3000)), dateArb, dateQueryArb), { maxKeys: 4 }).map(
    (d) => Object.entries(d).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"),
  ),
  fc.string({ maxLength: 60 }).map((q) => encodeURI(q).replace(/#/g, "%23")),
);

const envelopeKeys = ["ticket", "tickets", "user", "organization", "group", "group_membership", "ticket_field", "api_token", "email", "password", "previous_password", "comment", "invitation", "account", "token", "role", "recipient_address", "settings", "type"];
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, -1, 0, 1e308, "", "x".repeat(70_000), "\u0000", "<script>alert(1)</script>", [], {}, true),
  fc.dictionary(fc.constantFrom("subject", "comment", "body", "html_body", "public", "status", "priority", "type", "tags", "name", "email", "role", "requester_id", "assignee_id", "group_id", "organization_id", "custom_fields", "user_id", "title", "scopes", "id", "external_id", "due_at"), fc.oneof(fc.jsonValue({ maxDepth: 2 }), dateArb), { maxKeys: 5 }),
  // A ticket that is valid but for its dates.
  fc.record({ subject: fc.constant("dated"), comment: fc.constant({ body: "b" }), due_at: dateArb }),
);
const bodyArb = fc.oneof(
  fc.dictionary(fc.constantFrom(...envelopeKeys), valueArb, { maxKeys: 3 }).map((b) => ({ json: b as unknown })),
  fc.jsonValue({ maxDepth: 3 }).map((b) => ({ json: b as unknown })),
  fc.string({ maxLength: 200 }).map((s) => ({ raw: s })),
  fc.constantFrom({ raw: '{"ticket":' }, { raw: "[]" }, { raw: "null" }, { raw: '{"a":1}'.repeat(10) }),
);

/** The routes are fuzzed in this many parts, a test each, so each part has its own time limit as routes are added. */
const PARTS = 4;

describe("fuzzing every route", () => {
  for (let part = 0; part < PARTS; part++) it(`never answers 500 and never leaves a partial write (routes, part ${part + 1} of ${PARTS})`, async () => {
    const all = [...new Map(registeredRoutes.map((r) => [`${r.method} ${r.url}`, r])).values()];
    expect(all.length).toBeGreaterThan(30);
    // Every route is in exactly one part: the i-th route in part i mod PARTS.
    const routes = all.filter((_, i) => i % PARTS === part);
    const auth = { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") };
    // The counts after a refused request are the counts before the next one: nothing runs between
    // them (jobs have settled), so they are taken once, not twice. Any other answer, or a failure,
    // leaves none, and the next request counts afresh.
    let known: Record<string, number> | undefined;
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(idArb, queryArb, bodyArb, fc.constantFrom("token", "none", "bad"), fc.boolean(), async (id, query, body, who, suffix) => {
          const path = route.url.replace(/:id/g, id) + (suffix ? ".json" : "") + (query ? `?${query}` : "");
          const headers: Record<string, string> = who === "token" ? auth : who === "bad" ? { authorization: "Bearer vdt_nope" } : {};
          const before = known ?? (await counts());
          known = undefined;
          const res = await t
            .request({
              method: route.method,
              path,
              host: a.host,
              headers: { ...headers, ...("raw" in body ? { "content-type": "application/json" } : {}) },
              ...("raw" in body ? { rawBody: body.raw } : { body: body.json }),
            })
            .catch((e: Error) => {
              throw new Error(`${route.method} ${path}: ${e.message}`);
            });
          expect(res.status, `${route.method} ${path}`).toBeLessThan(500);
          if (res.status >= 400) {
            expect(typeof res.body?.error, `${route.method} ${path} error body`).toBe("string");
            const after = await counts();
            expect(after, `${route.method} ${path} wrote despite ${res.status}`).toEqual(before);
            known = after;
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }
  }, 300_000);
});

/** Sends one request over a raw socket (so any Host bytes reach the server) and reads the answer. */
function rawRequest(method: string, path: string, host: string, extra = ""): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(t.port, "127.0.0.1");
    let data = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (data += d));
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", ...rest] = data.split("\r\n\r\n");
      let body: unknown;
      try {
        body = JSON.parse(rest.join("\r\n\r\n"));
      } catch {
        body = undefined;
      }
      resolve({ status: Number(head.split(" ")[1] ?? 0), body });
    });
    const content = method === "GET" || method === "DELETE" ? "" : '{"ticket":{"subject":"s","comment":{"body":"b"}}}';
    // write, not end: a client that half-closes its side gets no answer from Node's HTTP server.
    socket.write(Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n${content ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(content)}\r\n` : ""}\r\n${content}`, "utf8"));
    setTimeout(() => socket.destroy(new Error(`no answer to ${method} ${path} with Host ${JSON.stringify(host.slice(0, 40))}`)), 10_000).unref();
  });
}

const HOSTILE_HOSTS = [
  "a@b", "owner:pw@fuzz.localhost", "evil.test@localhost", "a b", "fuzz .localhost", "ünïcödé.localhost", "例え.localhost", "x".repeat(300), `${"a".repeat(64)}.localhost`,
  "host:99999999", "localhost:99999", "[::1]:99999", "localhost:-1", "localhost:0x50", "[::1", "[zz::1]", "a..b", ".localhost", ":80", "localhost:", "a_b.localhost",
  "localhost, evil.test", "%2e%2e", "localhost/evil", "localhost\\evil", "localhost#x", "localhost?x", "",
];

describe("fuzzing search queries", () => {
  // Pieces of query syntax and of SQL, quotes, CJK, combining marks: any mix answers < 500 and
  // writes nothing (every query word reaches SQL as a keyed hash in a bound parameter).
  const PIECES = ['"', "'", ":", "-", "\\", "%", "_", "*", "$1", "::bytea", ";", "--", "/*", "status:", "tags:", "type:ticket", "created>", "OR", "DROP TABLE tickets", "printer", "é", "\u0301", "印刷", "프린터", "\u200b", " ", "  ", "(", ")", "\u{1F5A8}", "ｆｕｌｌ", "ﬁ"];
  const query = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 30 }).map((p) => p.join(""));
  it("answers any mix of query syntax with < 500 and a Zendesk error, and writes nothing", async () => {
    const before = await counts();
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom("/api/v2/search.json", "/api/v2/search/count.json", "/api/v2/requests/search.json"), async (q, path) => {
        const r = await a.api("GET", `${path}?query=${encodeURIComponent(q)}`);
        expect(r.status, `${path} ${JSON.stringify(q)}`).toBeLessThan(500);
        if (r.status >= 400) expect(typeof r.body?.error, q).toBe("string");
      }),
      { seed: SEED, numRuns: RUNS * 10 },
    );
    expect(await counts()).toEqual(before);
  }, 120_000);
});

describe("fuzzing people searches", () => {
  // Names, addresses, prefixes and query syntax for people and organizations: any mix answers < 500
  // and writes nothing (every word reaches SQL as a keyed hash in a bound parameter).
  const PIECES = ["type:user ", "type:organization ", "name:", "email:", "@", ".", "*", "**", '"', "'", ":", "-", "\\", "%", "_", "$1", "::bytea", ";", "--", "ada", "Åsa", "josé", "\u0301", "山田", "김", "\u200b", " ", "(", ")", "\u{1F600}", "ｆｕｌｌ", "status:open", "DROP TABLE users"];
  const words = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 30 }).map((p) => p.join(""));
  const paths = ["/api/v2/search.json?query=", "/api/v2/search/count.json?query=", "/api/v2/users/search.json?query=", "/api/v2/users/autocomplete.json?name=", "/api/v2/organizations/autocomplete.json?name=", "/api/v2/organizations/search.json?name="];
  it("answers any mix of names, addresses and query syntax with < 500 and a Zendesk error, and writes nothing", async () => {
    const before = await counts();
    await fc.assert(
      fc.asyncProperty(words, fc.constantFrom(...paths), async (q, path) => {
        const r = await a.api("GET", `${path}${encodeURIComponent(q)}`);
        expect(r.status, `${path} ${JSON.stringify(q)}`).toBeLessThan(500);
        if (r.status >= 400) expect(typeof r.body?.error, q).toBe("string");
      }),
      { seed: SEED, numRuns: RUNS * 10 },
    );
    expect(await counts()).toEqual(before);
  }, 120_000);
});

describe("fuzzing dates and hosts", () => {
  // A tenant of its own: the property above may revoke the first tenant's token or end its sessions.
  let d: TestTenant;
  beforeAll(async () => {
    d = await buildTenant(t, "fuzzd");
    expect((await d.api("POST", "/api/v2/tickets.json", { ticket: { subject: "seed", comment: { body: "seed" } } })).status).toBe(201);
  });
  const routes = () => [...new Map(registeredRoutes.map((r) => [`${r.method} ${r.url}`, r])).values()];
  const auth = () => ({ authorization: "Basic " + Buffer.from(`${d.ownerEmail}/token:${d.ownerToken}`).toString("base64") });

  it("answers every hostile date in a query or a body on every route with < 500 and a Zendesk error", async () => {
    const refusedAsInvalid = new Set<string>();
    for (const route of routes()) {
      // Deleting things does not read dates, and would end the credential the sweep uses.
      if (route.method === "DELETE") continue;
      const path = route.url.replace(/:id/g, "1");
      const q = (v: string) => encodeURIComponent(v);
      for (const date of HOSTILE_DATES) {
        const attempts: Array<{ path: string; body?: unknown }> =
          route.method === "GET"
            ? [
                { path: `${path}.json?query=${q(`created>${date}`)}` },
                { path: `${path}.json?query=${q(`type:ticket due_date<${date}`)}` },
                { path: `${path}.json?filter[created_at][]=${q(date)}&filter[created_at][]=${q(date)}` },
              ]
            : [
                { path: `${path}.json`, body: { ticket: { subject: "dated", comment: { body: "b" }, due_at: date } } },
                { path: `${path}.json`, body: { ticket: { due_at: date, safe_update: true, updated_stamp: date } } },
                { path: `${path}.json`, body: { tickets: [{ subject: "dated", comment: { body: "b" }, due_at: date }] } },
              ];
        for (const attempt of attempts) {
          const what = `${route.method} ${attempt.path} ${JSON.stringify(attempt.body ?? "")}`;
          const res = await t.request({ method: route.method, host: d.host, headers: auth(), ...attempt });
          expect(res.status, what).toBeLessThan(500);
          // (An anonymous route's 401 is its own refusal — a sign-in flow turning away a forged answer — not the sweep's credential.)
          if (route.auth !== "anonymous") expect(res.status, `${what}: the sweep's credential stopped working`).not.toBe(401);
          if (res.status >= 400) expect(typeof res.body?.error, what).toBe("string");
          if (res.status === 422 && JSON.stringify(res.body).includes("years 1900 to 9999")) refusedAsInvalid.add(`${route.method} ${route.url}`);
        }
      }
    }
    // Positive control: the routes that take dates refused them as dates, saying which years are allowed.
    for (const r of ["GET /api/v2/search", "GET /api/v2/audit_logs", "POST /api/v2/tickets", "PUT /api/v2/tickets/:id"]) expect([...refusedAsInvalid], r).toContain(r);
  }, 300_000);

  it("refuses a malformed Host header on every route with a 4xx and a Zendesk error, never a 500", async () => {
    for (const route of routes()) {
      const path = `${route.url.replace(/:id/g, "1")}.json`;
      // A route's hosts at once (each its own connection, refused before any work), checked in order.
      const answers = await Promise.all(HOSTILE_HOSTS.map((host) => rawRequest(route.method, path, host, `Authorization: Bearer ${d.ownerToken}\r\n`)));
      HOSTILE_HOSTS.forEach((host, k) => {
        const res = answers[k]!;
        const what = `${route.method} ${path} Host ${JSON.stringify(host.slice(0, 40))}`;
        expect(res.status, what).toBeGreaterThanOrEqual(400);
        expect(res.status, what).toBeLessThan(500);
        expect(typeof res.body?.error, what).toBe("string");
      });
    }
    // Positive control: the same raw request with the tenant's host is served.
    expect((await rawRequest("GET", "/api/v2/users/me.json", d.host, `Authorization: Bearer ${d.ownerToken}\r\n`)).status).toBe(200);
    // And random ones, on random routes.
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes()),
        fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: "binary", maxLength: 40 }), fc.tuple(fc.domain(), fc.integer({ min: 0, max: 200_000 })).map(([h, p]) => `${h}:${p}`), fc.webUrl()),
        async (route, host) => {
          const res = await rawRequest(route.method, `${route.url.replace(/:id/g, "1")}.json`, host.replace(/[\r\n]/g, ""));
          expect(res.status, `${route.method} ${route.url} Host ${JSON.stringify(host)}`).toBeLessThan(500);
          if (res.status >= 400) expect(typeof res.body?.error).toBe("string");
        },
      ),
      { numRuns: RUNS * 10, seed: SEED, endOnFailure: true },
    );
  }, 300_000);
});
