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
const TABLES = ["organizations", "users", "groups", "group_memberships", "ticket_fields", "tickets", "ticket_audits", "ticket_comments", "api_tokens", "sessions", "job_statuses", "tenant_keys", "key_rotations", "tenant_settings", "invitations", "consent_records", "signin_links", "email_changes", "organization_domains"];

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "fuzz");
  await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "seed", comment: { body: "seed" } } });
  await a.api("POST", "/api/v2/organizations.json", { organization: { name: "seed org" } });
  await a.api("POST", "/api/v2/groups.json", { group: { name: "seed group" } });
});
afterAll(async () => t?.close());

/** Waits until no job of the tenant is queued or running, so counts see only what requests wrote. */
async function settled(): Promise<void> {
  for (let i = 0; ; i++) {
    const busy = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM job_statuses WHERE status IN ('queued', 'working')`.execute(tx.db)).rows[0]!.n);
    if (busy === 0) return;
    if (i > 1500) throw new Error("jobs did not settle");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function counts(): Promise<Record<string, number>> {
  // A job a successful request queued writes later; let it finish before counting.
  await settled();
  return t.db.tenant(a.tenantId, async (tx) => {
    const out: Record<string, number> = {};
    // Queued audit entries are chained first, so the count covers every committed one.
    await chainQueued(tx);
    for (const table of TABLES) out[table] = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(tx.db)).rows[0]!.n;
    out.audit_not_signin = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM audit_log WHERE action <> 'user.signin_failed'`.execute(tx.db)).rows[0]!.n;
    return out;
  });
}

const idArb = fc.oneof(
  fc.constantFrom("0", "-1", "1", "2", "1e20", "99999999999999999999", "abc", "%00", "1.5", "%2e%2e", "null", "00000000-0000-0000-0000-000000000000"),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.integer().map(String),
);

const queryArb = fc.oneof(
  fc.constant(""),
  fc.dictionary(fc.constantFrom("page", "per_page", "page[size]", "page[after]", "page[before]", "ids", "query", "include", "sort_order", "role", "filter[action]", "filter[created_at][]", "email"), fc.oneof(fc.string({ maxLength: 30 }), fc.integer().map(String), fc.constantFrom("0", "-5", "101", "1,2,x", "users,organizations", "asc", "status:open", "tags:", "created>", "x".repeat(3000))), { maxKeys: 4 }).map(
    (d) => Object.entries(d).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&"),
  ),
  fc.string({ maxLength: 60 }).map((q) => encodeURI(q).replace(/#/g, "%23")),
);

const envelopeKeys = ["ticket", "tickets", "user", "organization", "group", "group_membership", "ticket_field", "api_token", "email", "password", "previous_password", "comment", "invitation", "account", "token", "role"];
const valueArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, -1, 0, 1e308, "", "x".repeat(70_000), "\u0000", "<script>alert(1)</script>", [], {}, true),
  fc.dictionary(fc.constantFrom("subject", "comment", "body", "html_body", "public", "status", "priority", "type", "tags", "name", "email", "role", "requester_id", "assignee_id", "group_id", "organization_id", "custom_fields", "user_id", "title", "scopes", "id", "external_id", "due_at"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
);
const bodyArb = fc.oneof(
  fc.dictionary(fc.constantFrom(...envelopeKeys), valueArb, { maxKeys: 3 }).map((b) => ({ json: b as unknown })),
  fc.jsonValue({ maxDepth: 3 }).map((b) => ({ json: b as unknown })),
  fc.string({ maxLength: 200 }).map((s) => ({ raw: s })),
  fc.constantFrom({ raw: '{"ticket":' }, { raw: "[]" }, { raw: "null" }, { raw: '{"a":1}'.repeat(10) }),
);

describe("fuzzing every route", () => {
  it("never answers 500 and never leaves a partial write", async () => {
    const routes = [...new Map(registeredRoutes.map((r) => [`${r.method} ${r.url}`, r])).values()];
    expect(routes.length).toBeGreaterThan(30);
    const auth = { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") };
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(idArb, queryArb, bodyArb, fc.constantFrom("token", "none", "bad"), fc.boolean(), async (id, query, body, who, suffix) => {
          const path = route.url.replace(/:id/g, id) + (suffix ? ".json" : "") + (query ? `?${query}` : "");
          const headers: Record<string, string> = who === "token" ? auth : who === "bad" ? { authorization: "Bearer vdt_nope" } : {};
          const before = await counts();
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
            expect(await counts(), `${route.method} ${path} wrote despite ${res.status}`).toEqual(before);
          }
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }
  }, 300_000);
});
