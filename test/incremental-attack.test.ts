import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOperation } from "../src/cli/operations.ts";
import type { Runtime } from "../src/platform/runtime.ts";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Attacks on the incremental exports (cursor- and time-based): forged and replayed cursors and
 * stream values, odd input, scoped tokens and other actors, what a deleted ticket, a restricted or
 * an erased person could leak, links from request headers, the audited beginning. Each probe
 * asserts the correct behaviour.
 */

type Json = Record<string, any>;
let t: TestApp;
beforeAll(async () => {
  // The harness's settling wait is 0: what a test has just changed is given at once.
  t = await startTestApp();
});
afterAll(async () => t?.close());

const RESOURCES = ["tickets", "users", "organizations"] as const;
const now = () => Math.floor(Date.now() / 1000);

async function endCursor(a: TestTenant, resource: string, start = 0): Promise<string> {
  let r = await a.api("GET", `/api/v2/incremental/${resource}/cursor.json?start_time=${start}`);
  for (let i = 0; i < 50; i++) {
    expect(r.status, r.text).toBe(200);
    if (r.body.end_of_stream) return r.body.after_cursor as string;
    r = await a.api("GET", `/api/v2/incremental/${resource}/cursor.json?cursor=${encodeURIComponent(r.body.after_cursor)}`);
  }
  throw new Error("no end");
}

async function timeStream(a: TestTenant, resource: string, start = 0): Promise<Json> {
  const r = await a.api("GET", `/api/v2/incremental/${resource}.json?start_time=${start}`);
  expect(r.status, r.text).toBe(200);
  return r.body;
}

const starts = async (a: TestTenant) =>
  ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).filter((l) => l.action === "export.incremental_started").length;

describe("forged, replayed and malformed cursors and stream values", () => {
  it("a cursor whose signature has the right length but non-ASCII characters answers 400, not 500", async () => {
    const a = await buildTenant(t, "atkmb");
    const wrong: string[] = [];
    for (const resource of RESOURCES) {
      const good = await endCursor(a, resource);
      const [c, m] = good.split(".") as [string, string];
      for (const bad of [`x.${"é".repeat(43)}`, `${c}.${"é".repeat(m.length)}`, `${c}.${m.slice(0, -1)}é`, `${c}.${m.slice(0, -1)}\u0000`, `${c}.${"😀".repeat(m.length / 2)}${m.length % 2 ? "a" : ""}`]) {
        const r = await a.api("GET", `/api/v2/incremental/${resource}/cursor.json?cursor=${encodeURIComponent(bad)}`);
        if (r.status !== 400) wrong.push(`${resource} ${JSON.stringify(bad)}: ${r.status} ${r.text}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("refuses a cursor from another tenant, another resource, with extra parts, re-encoded or hand-made (400)", async () => {
    const a = await buildTenant(t, "atkc");
    const b = await buildTenant(t, "atkd");
    // Something in each stream, so that its end's cursor is not the hand-made one at (0, 0).
    expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "s", comment: { body: "x" } } })).status).toBe(201);
    expect((await a.api("POST", "/api/v2/organizations.json", { organization: { name: "O of atkc" } })).status).toBe(201);
    for (const resource of RESOURCES) {
      const aEnd = await endCursor(a, resource);
      const [c, m] = aEnd.split(".") as [string, string];
      const decoded = JSON.parse(Buffer.from(c, "base64url").toString()) as { o: number; k: string };
      const reencoded = Buffer.from(JSON.stringify({ k: decoded.k, o: decoded.o })).toString("base64url");
      const earlier = Buffer.from(JSON.stringify({ o: 0, k: "0" })).toString("base64url");
      const cases: Array<[TestTenant, string, string]> = [
        [b, resource, aEnd],
        ...RESOURCES.filter((r) => r !== resource).map((r) => [a, r, aEnd] as [TestTenant, string, string]),
        [a, resource, `${c}.${m}.`],
        [a, resource, `${c}..${m}`],
        [a, resource, `.${m}`],
        [a, resource, `${c}.`],
        [a, resource, `${c}=.${m}`],
        [a, resource, `${reencoded}.${m}`],
        [a, resource, `${earlier}.${m}`],
        [a, resource, `${c.toUpperCase()}.${m}`],
        [a, resource, `${c}.${m.toUpperCase()}`],
        [a, resource, `${c}.${m.slice(0, -1)}`],
        [a, resource, `${c}.${m}A`],
      ];
      for (const [who, res, cur] of cases) {
        const r = await who.api("GET", `/api/v2/incremental/${res}/cursor.json?cursor=${encodeURIComponent(cur)}`);
        expect(r.status, `${res} ${cur}: ${r.text}`).toBe(400);
      }
    }
  });

  it("a time-based stream value is no cursor, a cursor is no stream value, and neither crosses tenants or resources", async () => {
    const a = await buildTenant(t, "atke");
    const b = await buildTenant(t, "atkf");
    for (const resource of RESOURCES) {
      const page = await timeStream(a, resource, 0);
      const next = new URL(page.next_page as string);
      const end = Number(next.searchParams.get("start_time"));
      const stream = next.searchParams.get("stream")!;
      expect(end).toBe(page.end_time);
      // The stream value signs `t<end>` under the same key as cursors: offered as a cursor whose body is `t<end>`.
      for (const cur of [`t${end}.${stream}`, `${stream}`, `${Buffer.from(`t${end}`).toString("base64url")}.${stream}`]) {
        const r = await a.api("GET", `/api/v2/incremental/${resource}/cursor.json?cursor=${encodeURIComponent(cur)}`);
        expect(r.status, `${cur}: ${r.text}`).toBe(400);
      }
      // In another tenant, and for other resources: refused.
      expect((await b.api("GET", `/api/v2/incremental/${resource}.json?start_time=${end}&stream=${stream}`)).status).toBe(422);
      for (const other of RESOURCES.filter((r) => r !== resource)) {
        expect((await a.api("GET", `/api/v2/incremental/${other}.json?start_time=${end}&stream=${stream}`)).status).toBe(422);
      }
      // Another start_time (one second either way, or the same second written otherwise) with that stream.
      for (const st of [end - 1, end + 0.5]) {
        const r = await a.api("GET", `/api/v2/incremental/${resource}.json?start_time=${st}&stream=${stream}`);
        expect(r.status, `${st}: ${r.text}`).toBe(422);
      }
      // A cursor's signature part given as a stream value.
      const cursor = await endCursor(a, resource);
      const sig = cursor.split(".")[1]!;
      expect((await a.api("GET", `/api/v2/incremental/${resource}.json?start_time=${end}&stream=${sig}`)).status).toBe(422);
      expect((await a.api("GET", `/api/v2/incremental/${resource}.json?start_time=${end}&stream=${encodeURIComponent(cursor)}`)).status).toBe(422);
      // Repeated stream values, and a stream with a cursor.
      expect((await a.api("GET", `/api/v2/incremental/${resource}.json?start_time=${end}&stream=${stream}&stream=${stream}`)).status).toBe(422);
      expect((await a.api("GET", `/api/v2/incremental/${resource}/cursor.json?cursor=${encodeURIComponent(cursor)}&stream=${stream}`)).status).toBe(422);
    }
  });

  it("odd numbers, arrays, unicode and mixtures are a 4xx, never a 500", async () => {
    const a = await buildTenant(t, "atkg");
    const cursor = await endCursor(a, "tickets");
    const cursorQueries = [
      "?start_time=1&start_time=2", "?start_time[a]=1", "?start_time=1.5", "?start_time=1e400", "?start_time=-0.5", "?start_time=NaN", "?start_time=Infinity",
      "?start_time=%EF%BC%91", "?start_time=%00", "?start_time=9007199254740993", "?start_time=32503680001", "?start_time=99999999999999999999999",
      "?start_time=0&per_page=1&per_page=2", "?start_time=0&per_page=-1", "?start_time=0&per_page=1.5", "?start_time=0&per_page=1e9", "?start_time=0&per_page=abc",
      `?cursor=${encodeURIComponent(cursor)}&cursor=${encodeURIComponent(cursor)}`, `?cursor=${encodeURIComponent(cursor)}&start_time=0`, `?start_time=0&cursor=`,
      "?cursor=%F0%9F%98%80.%F0%9F%98%80", `?cursor=${"a".repeat(301)}`, "?cursor[a]=1", "?cursor=%00", "?cursor=%E0%A4%A", "?cursor=%ZZ", "?start_time=%", "?start_time=0&per_page=%",
    ];
    for (const q of cursorQueries) {
      for (const resource of RESOURCES) {
        const r = await a.api("GET", `/api/v2/incremental/${resource}/cursor.json${q}`);
        expect(r.status, `${resource}/cursor ${q}: ${r.text}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${resource}/cursor ${q}: ${r.text}`).toBeLessThan(500);
      }
    }
    const timeQueries = [
      "?start_time=1&start_time=2", "?start_time=1.5", "?start_time=1e400", "?start_time=NaN", "?start_time=%00", "?start_time=9007199254740993",
      "?start_time=0&per_page=0", "?start_time=0&per_page=1001", "?start_time=0&stream=%C3%A9", "?start_time=0&stream=" + "a".repeat(101), "?start_time=0&stream[]=a",
      "?start_time=0&end_time=5", "?start_time=0&cursor=x",
    ];
    for (const q of timeQueries) {
      for (const resource of RESOURCES) {
        const r = await a.api("GET", `/api/v2/incremental/${resource}.json${q}`);
        expect(r.status, `${resource} ${q}: ${r.text}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${resource} ${q}: ${r.text}`).toBeLessThan(500);
      }
    }
  });

  it("an empty start_time is refused (not read as 0, a whole-history export)", async () => {
    const a = await buildTenant(t, "atkh");
    for (const resource of RESOURCES) {
      for (const path of [`/api/v2/incremental/${resource}/cursor.json?start_time=`, `/api/v2/incremental/${resource}.json?start_time=`, `/api/v2/incremental/${resource}.json?start_time=%20`]) {
        const r = await a.api("GET", path);
        expect(r.status, `${path}: ${r.status} ${r.text.slice(0, 200)}`).toBe(422);
      }
    }
  });
});

describe("who may reach the streams", () => {
  it("tokens without the plain read scope, agents and light agents are refused; a demoted admin's cursor stops working", async () => {
    const a = await buildTenant(t, "atki");
    const mk = async (scopes: string[]) => {
      const r = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: `s${scopes.join("-")}`, scopes } });
      expect(r.status, r.text).toBe(201);
      return { email: a.ownerEmail, token: r.body.api_token.token as string };
    };
    const cursor = await endCursor(a, "users");
    for (const scopes of [["tickets:read"], ["users:read"], ["organizations:read"], ["write"], ["tickets:read", "users:read", "organizations:read"], ["auditlogs:read"]]) {
      const as = await mk(scopes);
      for (const resource of RESOURCES) {
        for (const path of [`/api/v2/incremental/${resource}/cursor.json?start_time=0`, `/api/v2/incremental/${resource}.json?start_time=0`]) {
          const r = await a.api("GET", path, undefined, as);
          expect(r.status, `${scopes} ${path}: ${r.text}`).toBe(403);
        }
      }
      expect((await a.api("GET", `/api/v2/incremental/users/cursor.json?cursor=${encodeURIComponent(cursor)}`, undefined, as)).status).toBe(403);
    }
    const readOnly = await mk(["read"]);
    expect((await a.api("GET", "/api/v2/incremental/users/cursor.json?start_time=0", undefined, readOnly)).status).toBe(200);

    const agent = await buildUser(t, a, "agent");
    const light = await buildUser(t, a, "light-agent");
    for (const as of [agent, light]) {
      for (const path of [`/api/v2/incremental/users/cursor.json?cursor=${encodeURIComponent(cursor)}`, "/api/v2/incremental/tickets.json?start_time=0", "/api/v2/incremental/organizations/cursor.json?start_time=0"]) {
        expect((await a.api("GET", path, undefined, { email: as.email, token: as.token! })).status).toBe(403);
      }
    }
    // An admin's cursor, then the admin made an agent (a new token, as the role change ends the old).
    const admin = await buildUser(t, a, "admin");
    const asAdmin = { email: admin.email, token: admin.token! };
    const first = await a.api("GET", "/api/v2/incremental/tickets/cursor.json?start_time=0", undefined, asAdmin);
    expect(first.status).toBe(200);
    const tb = await a.api("GET", "/api/v2/incremental/tickets.json?start_time=0", undefined, asAdmin);
    expect(tb.status).toBe(200);
    expect((await a.api("PUT", `/api/v2/users/${admin.id}/role.json`, { role: "agent" })).status).toBe(200);
    const demoted = { email: admin.email, token: await createTokenFor(t, a, admin.id) };
    expect((await a.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(first.body.after_cursor)}`, undefined, demoted)).status).toBe(403);
    const nx = new URL(tb.body.next_page as string);
    expect((await a.api("GET", nx.pathname + nx.search, undefined, demoted)).status).toBe(403);
  });
});

describe("what the streams must not carry", () => {
  it("a deleted ticket: none of its content (subject, description, comments, custom field, tags, external id) in either form", async () => {
    const a = await buildTenant(t, "atkj");
    const start = now() - 2;
    const field = await a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Secret field" } });
    expect(field.status, field.text).toBe(201);
    const cc = await buildUser(t, a, "end-user", "Cc Person");
    const c = await a.api("POST", "/api/v2/tickets.json", {
      ticket: {
        subject: "SUBJ-MARKER-7731", comment: { body: "BODY-MARKER-7731" }, tags: ["tagmarker7731"], external_id: "EXT-MARKER-7731",
        custom_fields: [{ id: field.body.ticket_field.id, value: "CF-MARKER-7731" }], collaborator_ids: [cc.id],
      },
    });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "NOTE-MARKER-7731", public: false } } })).status).toBe(200);
    const pre = await timeStream(a, "tickets", start);
    expect(JSON.stringify(pre)).toContain("CF-MARKER-7731"); // the probe's markers are where they should be
    expect((await a.api("DELETE", `/api/v2/tickets/${id}.json`)).status).toBe(204);
    const cursorPage = await a.api("GET", `/api/v2/incremental/tickets/cursor.json?start_time=${start}`);
    const timePage = await a.api("GET", `/api/v2/incremental/tickets.json?start_time=${start}`);
    for (const r of [cursorPage, timePage]) {
      expect(r.status, r.text).toBe(200);
      const item = (r.body.tickets as Json[]).find((x) => x.id === id)!;
      expect(item).toMatchObject({ status: "deleted", subject: "", raw_subject: "", description: "", tags: [], custom_fields: [], fields: [], external_id: null });
      for (const marker of ["SUBJ-MARKER", "BODY-MARKER", "NOTE-MARKER", "tagmarker", "EXT-MARKER", "CF-MARKER"]) expect(r.text).not.toContain(marker);
      expect(item.url).toBe(`${a.origin}/api/v2/tickets/${id}.json`);
    }
  });

  it("a restricted person: neither they nor the tickets they requested, in any stream or form; nothing of their name or e-mail", async () => {
    const a = await buildTenant(t, "atkk");
    const start = now() - 2;
    const email = `robin-restricted@${a.subdomain}.test`;
    const held = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Robin's order", comment: { body: "Hello" }, requester: { name: "Robin Restrictedname", email } } });
    expect(held.status, held.text).toBe(201);
    const kept = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Other order", comment: { body: "Hello" } } });
    const robin = held.body.ticket.requester_id as number;
    // Deleted as well as live: neither comes.
    const held2 = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Robin's second", comment: { body: "Hello" }, requester_id: robin } });
    expect(held2.status, held2.text).toBe(201);
    expect((await a.api("PUT", `/api/v2/users/${robin}/restriction.json`, { restriction: { restricted: true, reason: "Objection" } })).status).toBe(200);
    expect((await a.api("DELETE", `/api/v2/tickets/${held2.body.ticket.id}.json`)).status).toBe(204);
    // A change to the person after the restriction (would bump their last change).
    await a.api("PUT", `/api/v2/users/${robin}.json`, { user: { notes: "x" } });
    for (const resource of RESOURCES) {
      for (const path of [`/api/v2/incremental/${resource}/cursor.json?start_time=${start}`, `/api/v2/incremental/${resource}.json?start_time=${start}`]) {
        const r = await a.api("GET", path);
        expect(r.status, r.text).toBe(200);
        expect(r.text).not.toContain("Restrictedname");
        expect(r.text).not.toContain(email);
        expect(r.text).not.toContain("Robin's");
        const ids = (r.body[resource] as Json[]).map((x) => x.id);
        if (resource === "users") expect(ids).not.toContain(robin);
        if (resource === "tickets") {
          expect(ids).toContain(kept.body.ticket.id);
          expect(ids).not.toContain(held.body.ticket.id);
          expect(ids).not.toContain(held2.body.ticket.id);
        }
      }
    }
  });

  it("an erased person: nothing of their name or e-mail in any stream", async () => {
    const a = await buildTenant(t, "atkl");
    const start = now() - 2;
    const p = await buildUser(t, a, "end-user", "Erasable Uniquename");
    const tk = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "About something", comment: { body: "Hello" }, requester_id: p.id } });
    expect(tk.status, tk.text).toBe(201);
    expect((await a.api("DELETE", `/api/v2/users/${p.id}.json`)).status).toBe(200);
    expect((await a.api("DELETE", `/api/v2/deleted_users/${p.id}.json`)).status).toBe(200);
    for (const resource of RESOURCES) {
      for (const path of [`/api/v2/incremental/${resource}/cursor.json?start_time=${start}`, `/api/v2/incremental/${resource}.json?start_time=${start}`]) {
        const r = await a.api("GET", path);
        expect(r.status, r.text).toBe(200);
        expect(r.text).not.toContain("Uniquename");
        expect(r.text).not.toContain(p.email);
      }
    }
  });

  it("another tenant's tickets, people and organizations never appear, in either form", async () => {
    const a = await buildTenant(t, "atkm");
    const b = await buildTenant(t, "atkn");
    expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "A-ONLY-SUBJECT", comment: { body: "x" } } })).status).toBe(201);
    expect((await a.api("POST", "/api/v2/organizations.json", { organization: { name: "A-ONLY-ORG" } })).status).toBe(201);
    await buildUser(t, a, "end-user", "A-ONLY-PERSON");
    for (const resource of RESOURCES) {
      for (const path of [`/api/v2/incremental/${resource}/cursor.json?start_time=0`, `/api/v2/incremental/${resource}.json?start_time=0`]) {
        const r = await b.api("GET", path);
        expect(r.status).toBe(200);
        for (const s of ["A-ONLY", a.ownerEmail, a.subdomain]) expect(r.text).not.toContain(s);
      }
    }
  });
});

describe("the operator's support user", () => {
  it("is left out of the people streams, and cannot read them itself", async () => {
    const a = await buildTenant(t, "atkr");
    const g = await a.api("POST", "/api/v2/support_access.json", { support_access: { days: 2, level: "read_only" } });
    expect(g.status, g.text).toBe(201);
    const supportId = g.body.support_access_grant.support_user_id as number;
    expect(typeof supportId).toBe("number");
    const rt = { config: t.config, db: t.db, keyring: t.keyring, masterKeyCreated: false, databaseCreated: false, permissionWarning: undefined, listenPort: t.port, close: async () => undefined, app: t.app, now: () => new Date() } as unknown as Runtime;
    const viaSupport = (await runOperation(rt, "support.api", { tenant: a.subdomain, method: "GET", path: "/api/v2/incremental/users/cursor.json?start_time=0" })) as { status: number; body: string };
    // Whatever the answer, the support user is not in it, and it is no 500.
    expect(viaSupport.status).toBe(403);
    for (const path of ["/api/v2/incremental/users/cursor.json?start_time=0", "/api/v2/incremental/users.json?start_time=0"]) {
      const r = await a.api("GET", path);
      expect(r.status).toBe(200);
      expect((r.body.users as Json[]).map((u) => u.id)).not.toContain(supportId);
    }
  });
});

describe("links and the audit", () => {
  it("next_page and after_url come from configuration, whatever the forwarding headers or a path of two slashes say", async () => {
    const a = await buildTenant(t, "atko");
    const auth = { authorization: `Basic ${Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64")}` };
    const evil = { "x-forwarded-host": "evil.test", "x-forwarded-proto": "gopher", forwarded: "host=evil.test;proto=https", "x-original-url": "//evil.test/x", "x-rewrite-url": "//evil.test/x" };
    for (const resource of RESOURCES) {
      for (const path of [`/api/v2/incremental/${resource}/cursor.json?start_time=0`, `/api/v2/incremental/${resource}.json?start_time=0`, `//evil.test/api/v2/incremental/${resource}.json?start_time=0`, `/api/v2/incremental/${resource}.json?start_time=0#@evil.test`]) {
        const r = await t.request({ method: "GET", path, host: a.host, headers: { ...auth, ...evil } });
        if (r.status !== 200) {
          expect(r.status).toBeLessThan(500);
          continue;
        }
        const link = (r.body.next_page ?? r.body.after_url) as string;
        expect(link.startsWith(`${a.origin}/api/v2/incremental/${resource}`), link).toBe(true);
        expect(r.text).not.toContain("evil.test");
      }
    }
  });

  it("following a time-based stream is not audited; every way of beginning one is, cursor-based as well", async () => {
    const a = await buildTenant(t, "atkp");
    expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "s", comment: { body: "x" } } })).status).toBe(201);
    const before = await starts(a);
    const first = await timeStream(a, "tickets", 0);
    const next = new URL(first.next_page as string);
    // next_page followed, also with its per_page changed: not a beginning.
    expect((await a.api("GET", next.pathname + next.search)).status).toBe(200);
    expect((await a.api("GET", `${next.pathname}${next.search}&per_page=1`)).status).toBe(200);
    expect((await starts(a)) - before).toBe(1);
    // Beginnings: each one audited (time-based without stream, cursor-based with start_time, HEAD too).
    await a.api("GET", "/api/v2/incremental/users.json?start_time=0");
    await a.api("GET", "/api/v2/incremental/organizations/cursor.json?start_time=0");
    await a.api("HEAD", "/api/v2/incremental/tickets/cursor.json?start_time=0");
    expect((await starts(a)) - before).toBe(4);
  });
});

describe("the time-based loop", () => {
  it("following next_page ends, each change once, and a later change comes on the next call", async () => {
    const a = await buildTenant(t, "atkq");
    const made: number[] = [];
    for (let i = 0; i < 5; i++) made.push((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `L${i}`, comment: { body: "x" } } })).body.ticket.id);
    const base = now() - 7200;
    // All five changed within one second, and that second is the one asked for.
    await t.db.tenant(a.tenantId, async (tx) => {
      for (const [i, id] of made.entries()) await sql`UPDATE tickets SET updated_at = to_timestamp(${base + i / 10}) WHERE tenant_id = ${a.tenantId} AND nice_id = ${id}`.execute(tx.db);
    });
    const seen: number[] = [];
    let r = await a.api("GET", `/api/v2/incremental/tickets.json?start_time=${base}&per_page=1`);
    let n = 0;
    let prev = base;
    for (; n < 20; n++) {
      expect(r.status, r.text).toBe(200);
      seen.push(...(r.body.tickets as Json[]).map((x) => x.id));
      if (r.body.end_of_stream) break;
      expect(r.body.end_time).toBeGreaterThan(prev);
      prev = r.body.end_time;
      const nx = new URL(r.body.next_page as string);
      r = await a.api("GET", nx.pathname + nx.search);
    }
    expect(n).toBeLessThan(20);
    expect(seen).toEqual(made);
    const end = r.body;
    const nx = new URL(end.next_page as string);
    const again = await a.api("GET", nx.pathname + nx.search);
    expect(again.body.tickets).toEqual([]);
    await new Promise((res) => setTimeout(res, 1100));
    expect((await a.api("PUT", `/api/v2/tickets/${made[2]}.json`, { ticket: { status: "open" } })).status).toBe(200);
    const later = await a.api("GET", nx.pathname + nx.search);
    expect(later.body.tickets.map((x: Json) => x.id)).toEqual([made[2]]);
  });
});
