import { sql } from "kysely";
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, signIn, signInByMail as signInByMailOnce, type Session } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";
import { pairRows } from "./support/search-pairs.ts";

/**
 * Attacks on full-text search and comment redaction, over real HTTP, as someone holding accounts
 * of every kind in two tenants: end users reaching internal notes or other people's words (through
 * results, counts, order and the scores cursors carry), agents of narrow custom roles reaching
 * tickets outside their access, crafted queries and cursors, hidden fields, redaction by the wrong
 * person or of the wrong comment, another tenant's ids, and tokens of narrow scopes.
 * The behaviour search promises is in test/search-text.test.ts; this file is about what it refuses.
 */

let t: TestApp;
let smtp: SmtpPeer;
let a: TestTenant;
let b: TestTenant;
// The rate limiter's clock: each customer's sign-in link is asked for two hours after the one
// before, so the hourly limits' sliding windows hold nothing of it.
let limiterClock = Date.parse("2026-01-01T00:00:00Z");
beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" }, rateLimiter: createMemoryRateLimiter(() => limiterClock) });
  a = await buildTenant(t, "fsa");
  b = await buildTenant(t, "fsb");
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const signInByMail = (app: TestApp, peer: SmtpPeer, tenant: TestTenant, email: string) => {
  limiterClock += 2 * 3_600_000;
  return signInByMailOnce(app, peer, tenant, email);
};

type As = { email: string; token: string };
const as = (u: { email: string; token: string | undefined }): As => ({ email: u.email, token: u.token! });
const unique = () => crypto.randomBytes(4).toString("hex");
const q = encodeURIComponent;

async function open(tenant: TestTenant, subject: string, body: string, extra: Record<string, unknown> = {}, who?: As): Promise<number> {
  const r = await tenant.api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body }, ...extra } }, who);
  expect(r.status, r.text).toBe(201);
  return r.body.ticket.id as number;
}
async function comment(tenant: TestTenant, id: number, body: string, isPublic: boolean, extra: Record<string, unknown> = {}) {
  const r = await tenant.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body, public: isPublic }, ...extra } });
  expect(r.status, r.text).toBe(200);
}
const newCustomer = () => ({ email: `c.${unique()}@example.test`, name: "Customer" });
async function endUser(tenant: TestTenant) {
  const c = newCustomer();
  const r = await tenant.api("POST", "/api/v2/users.json", { user: c });
  expect(r.status, r.text).toBe(201);
  return { id: r.body.user.id as number, email: c.email };
}
async function customRole(tenant: TestTenant, configuration: Record<string, unknown>): Promise<number> {
  const r = await tenant.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: `Role ${unique()}`, configuration } });
  expect(r.status, r.text).toBe(201);
  return r.body.custom_role.id as number;
}
async function agentWith(tenant: TestTenant, roleId: number): Promise<As & { id: number }> {
  const u = await buildUser(t, tenant, "agent", "Narrow Agent");
  expect((await tenant.api("PUT", `/api/v2/users/${u.id}.json`, { user: { custom_role_id: roleId } })).status).toBe(200);
  return { ...as(u), id: u.id };
}
async function group(tenant: TestTenant, members: number[]): Promise<number> {
  const g = await tenant.api("POST", "/api/v2/groups.json", { group: { name: `Group ${unique()}` } });
  expect(g.status, g.text).toBe(201);
  for (const m of members) expect((await tenant.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: m, group_id: g.body.group.id } })).status).toBe(201);
  return g.body.group.id as number;
}

/** What a page of results tells its reader: the ids in order and the sort keys its cursors carry. */
const cursorKey = (c: string | null) => (c ? (JSON.parse(Buffer.from(c, "base64url").toString("utf8")) as { k?: string }).k : null);
const seen = (body: { meta: { after_cursor: string | null; before_cursor: string | null } }, items: Array<{ id: number }>) => ({
  ids: items.map((x) => x.id),
  keys: [cursorKey(body.meta.before_cursor), cursorKey(body.meta.after_cursor)],
});
async function staffSearch(tenant: TestTenant, query: string, who?: As, more = "") {
  const r = await tenant.api("GET", `/api/v2/search.json?query=${q(query)}${more}`, undefined, who);
  expect(r.status, `${query}: ${r.text}`).toBe(200);
  return r.body;
}
const staffIds = async (tenant: TestTenant, query: string, who?: As) => ((await staffSearch(tenant, query, who)).results as Array<{ id: number }>).map((x) => x.id).sort((x, y) => x - y);
const staffCount = async (tenant: TestTenant, query: string, who?: As) => {
  const r = await tenant.api("GET", `/api/v2/search/count.json?query=${q(query)}`, undefined, who);
  expect(r.status, r.text).toBe(200);
  return r.body.count as number;
};
async function mine(tenant: TestTenant, s: Session, query: string, more = "") {
  const r = await asSession(t, tenant, s, "GET", `/api/v2/requests/search.json?query=${q(query)}${more}`);
  expect(r.status, `${query}: ${r.text}`).toBe(200);
  return r.body;
}
const mineIds = async (tenant: TestTenant, s: Session, query: string) => ((await mine(tenant, s, query)).requests as Array<{ id: number }>).map((x) => x.id).sort((x, y) => x - y);

describe("the ranking tells nothing about tickets the reader cannot see", () => {
  it("an end user's scores and order do not move when other people's tickets, private tickets or notes hold the words", async () => {
    const me = await endUser(a);
    // Equal lengths; one holds "alpha" twice, the other "beta" twice: which ranks first depends only on the words' weights.
    const r1 = await open(a, "Osprey alpha alpha beta", "Osprey", { requester_id: me.id });
    const r2 = await open(a, "Osprey alpha beta beta", "Osprey", { requester_id: me.id });
    const s = await signInByMail(t, smtp, a, me.email);
    const look = async () => {
      const one = await mine(a, s, "alpha beta", "&page[size]=1");
      const all = await mine(a, s, "alpha beta", "&page[size]=10");
      return { first: seen(one, one.requests), all: seen(all, all.requests), count: (await mine(a, s, "osprey")).requests.length };
    };
    const before = await look();
    expect([...before.all.ids].sort()).toEqual([r1, r2].sort());
    // Other customers write "beta" a lot (public), a private ticket and a note on the user's own request say "alpha".
    for (let i = 0; i < 4; i++) await open(a, "Beta beta osprey", "beta beta beta", { requester: newCustomer() });
    await open(a, "Alpha osprey", "alpha alpha", { requester_id: me.id, comment: { body: "alpha alpha", public: false } });
    await comment(a, r1, "alpha beta beta beta osprey", false);
    expect(await look()).toEqual(before);
  });

  it("a within-groups agent's scores and order do not move when tickets outside their groups hold the words", async () => {
    const g = await agentWith(a, await customRole(a, { ticket_access: "within-groups" }));
    const theirs = await group(a, [g.id]);
    const elsewhere = await group(a, []);
    const t1 = await open(a, "Heron gamma gamma delta", "Heron", { group_id: theirs });
    const t2 = await open(a, "Heron gamma delta delta", "Heron", { group_id: theirs });
    const look = async () => {
      const one = await staffSearch(a, "gamma delta", g, "&page[size]=1");
      const all = await staffSearch(a, "gamma delta", g, "&page[size]=10");
      return { first: seen(one, one.results), all: seen(all, all.results), count: await staffCount(a, "heron", g) };
    };
    const before = await look();
    expect([...before.all.ids].sort()).toEqual([t1, t2].sort());
    for (let i = 0; i < 4; i++) {
      const x = await open(a, "Delta delta heron", "delta delta", { group_id: elsewhere });
      await comment(a, x, "delta gamma delta", false);
    }
    expect(await look()).toEqual(before);
    // The owner (all tickets) ranks over everything, as before.
    expect((await staffIds(a, "gamma delta")).length).toBe(6);
  });
});

describe("the index forgets exactly what a rename or a redaction removed", () => {
  const postingsOf = async (tenant: TestTenant, niceId: number) =>
    t.db.tenant(tenant.tenantId, async (tx) => {
      const rows = await tx.db
        .selectFrom("search_postings as p")
        .select(["p.term", "p.tf", "p.internal"])
        .where("p.nice_id", "=", niceId)
        .execute();
      const pairs = await pairRows(tx.db, sql`s.nice_id = ${niceId}`);
      const docs = await tx.db
        .selectFrom("search_documents as d")
        .innerJoin("tickets as t", (j) => j.onRef("t.tenant_id", "=", "d.tenant_id").onRef("t.id", "=", "d.ticket_id"))
        .select(["d.internal", "d.length"])
        .where("t.nice_id", "=", niceId)
        .execute();
      return {
        postings: rows.map((r) => `${Buffer.from(r.term).toString("hex")} ${r.tf} ${r.internal}`).sort(),
        pairs: pairs.map((r) => `${Buffer.from(r.term).toString("hex")} ${r.tf} ${r.internal}`).sort(),
        documents: docs.map((d) => `${d.internal} ${d.length}`).sort(),
      };
    });

  it("leaves the same index as a ticket written with the final text from the start (no pair of words spans two texts)", async () => {
    const x = await open(a, "Salary review", "Bonus details for Hendrix");
    expect(await staffIds(a, '"review bonus"')).toEqual([]);
    // A rename and a public reply in one update, then a note.
    const r = await a.api("PUT", `/api/v2/tickets/${x}.json`, { ticket: { subject: "Pay review", comment: { body: "Bonus approved by finance" } } });
    expect(r.status, r.text).toBe(200);
    await comment(a, x, "Hendrix bonus is confidential", false);
    const ids = ((await a.api("GET", `/api/v2/tickets/${x}/comments.json`)).body.comments as Array<{ id: number }>).map((c) => c.id);
    for (const [c, text] of [[ids[0], "Bonus"], [ids[1], "Bonus"]] as const) {
      const red = await a.api("PUT", `/api/v2/tickets/${x}/comments/${c}/redact.json`, { text });
      expect(red.status, red.text).toBe(200);
    }
    // The note still says "bonus", but nowhere does "review" stand before it any more.
    expect(await staffIds(a, "bonus")).toEqual([x]);
    expect(await staffIds(a, '"review bonus"')).toEqual([]);
    expect(await staffIds(a, '"salary review"')).toEqual([]);
    expect((await a.api("PUT", `/api/v2/tickets/${x}/comments/${ids[2]}/redact.json`, { text: "bonus" })).status).toBe(200);
    expect(await staffIds(a, "bonus")).toEqual([]);

    const y = await open(a, "Pay review", "▇▇▇▇▇ details for Hendrix");
    await comment(a, y, "▇▇▇▇▇ approved by finance", true);
    await comment(a, y, "Hendrix ▇▇▇▇▇ is confidential", false);
    const left = await postingsOf(a, x);
    expect(left.postings.length).toBeGreaterThan(0);
    expect(left.pairs.length).toBeGreaterThan(0);
    expect(left).toEqual(await postingsOf(a, y));
  });
});

describe("internal notes stay with the staff who may read them", () => {
  let requester: { id: number; email: string };
  let ccd: { id: number; email: string };
  let colleague: { id: number; email: string };
  let ticket: number;
  let colleagues: number;
  let sessions: Record<"requester" | "ccd" | "colleague", Session>;
  beforeAll(async () => {
    const org = await a.api("POST", "/api/v2/organizations.json", { organization: { name: `Shared ${unique()}`, shared_tickets: true } });
    expect(org.status, org.text).toBe(201);
    requester = await endUser(a);
    ccd = await endUser(a);
    colleague = await endUser(a);
    for (const u of [requester, colleague]) expect((await a.api("PUT", `/api/v2/users/${u.id}.json`, { user: { organization_id: org.body.organization.id } })).status).toBe(200);
    ticket = await open(a, "Invoice question", "Why was I charged twice?", { requester_id: requester.id, collaborator_ids: [ccd.id] });
    await comment(a, ticket, "Customer flagged kestrelfraud, refund pending", false);
    await comment(a, ticket, "Refund issued, see the invoice", true);
    colleagues = await open(a, "Colleague invoice", "Another charged invoice", { requester_id: colleague.id });
    await comment(a, colleagues, "colleague kestrelfraud note", false);
    sessions = {
      requester: await signInByMail(t, smtp, a, requester.email),
      ccd: await signInByMail(t, smtp, a, ccd.email),
      colleague: await signInByMail(t, smtp, a, colleague.email),
    };
  });

  it.each([
    ["the requester", "requester", "kestrelfraud"],
    ["the requester", "requester", "kestrelfraud invoice"],
    ["the requester", "requester", '"flagged kestrelfraud"'],
    ["a CC'd end user", "ccd", "kestrelfraud"],
    ["a CC'd end user", "ccd", "invoice"],
    ["an organization member (shared requests)", "colleague", "kestrelfraud"],
  ] as const)("%s finds nothing through a note's words (%s: %s)", async (_who, key, query) => {
    const s = sessions[key];
    const r = await mine(a, s, query, "&page[size]=5");
    expect(r.requests.filter((x: { id: number }) => x.id === ticket)).toEqual([]);
    if (key === "colleague") expect(r.requests).toEqual([]);
  });

  it("finds only the requester's own request by its public words; search.json and its count stay closed to end users", async () => {
    expect(await mineIds(a, sessions.requester, "invoice refund")).toEqual([ticket]);
    expect(await mineIds(a, sessions.colleague, "invoice")).toEqual([colleagues]);
    for (const path of ["/api/v2/search.json?query=kestrelfraud", "/api/v2/search/count.json?query=kestrelfraud", "/api/v2/search.json?query=invoice", "/api/v2/search/count.json?query=type:ticket"]) {
      const r = await asSession(t, a, sessions.requester, "GET", path);
      expect(r.status, path).toBe(403);
      expect(r.text).not.toContain("kestrel");
    }
  });

  it.each(["light-agent", "agent", "admin"] as const)("a %s (who reads notes on every ticket) finds both notes", async (role) => {
    const u = as(await buildUser(t, a, role));
    expect(await staffIds(a, "kestrelfraud", u)).toEqual([ticket, colleagues]);
  });
});

describe("narrow ticket access holds for text, counts and cursors", () => {
  let within: As & { id: number };
  let assigned: As & { id: number };
  let inGroup: number;
  let outside: number;
  let assignedToMe: number;
  const W = "ibisquery";
  beforeAll(async () => {
    within = await agentWith(a, await customRole(a, { ticket_access: "within-groups" }));
    assigned = await agentWith(a, await customRole(a, { ticket_access: "assigned-only" }));
    const mineG = await group(a, [within.id, assigned.id]);
    const other = await group(a, []);
    inGroup = await open(a, `${W} in group`, `${W} body`, { group_id: mineG });
    outside = await open(a, `${W} elsewhere`, `${W} secret body outsideonly`, { group_id: other });
    await comment(a, outside, `${W} note outsidenote`, false);
    assignedToMe = await open(a, `${W} assigned`, `${W} body`, { group_id: other, assignee_id: assigned.id });
  });

  it.each([
    ["within-groups", () => within, () => [inGroup]],
    ["assigned-only", () => assigned, () => [assignedToMe]],
  ] as const)("a %s agent finds and counts only their tickets, whatever the words, filters or sort", async (_name, who, expected) => {
    const u = who();
    for (const query of [W, `${W} outsideonly`, "outsideonly", "outsidenote", `"${W} elsewhere"`, `${W} status<solved`, `${W} group:none`, `type:ticket ${W}`]) {
      const want = query.includes("outside") || query.includes("elsewhere") || query.includes("group:none") ? [] : expected();
      expect(await staffIds(a, query, u), query).toEqual(want);
      expect(await staffCount(a, query, u), query).toBe(want.length);
    }
    for (const sort of ["&sort_by=created_at", "&order_by=updated_at&sort=desc", "&sort_by=priority", "&sort_by=status&sort_order=asc"]) {
      const r = await staffSearch(a, W, u, sort);
      expect(r.results.map((x: { id: number }) => x.id), sort).toEqual(expected());
    }
    // Forged cursors (any id, any key, either direction) page through the same scoped rows only.
    for (const k of [undefined, "0", "99999999999999999", "-99999999999999999"]) {
      for (const o of [0, outside, 2 ** 53 - 1]) {
        const c = Buffer.from(JSON.stringify(k === undefined ? { o } : { o, k })).toString("base64url");
        for (const dir of ["after", "before"]) {
          for (const sort of ["", "&sort_by=created_at"]) {
            const r = await a.api("GET", `/api/v2/search.json?query=${W}&page[${dir}]=${c}${sort}`, undefined, u);
            expect(r.status, `${dir} ${o} ${k}${sort}: ${r.text}`).toBeLessThan(500);
            if (r.status === 200) expect(r.body.results.map((x: { id: number }) => x.id).every((id: number) => expected().includes(id))).toBe(true);
          }
        }
      }
    }
  });

  it("loses a ticket from search the moment it leaves the agent's group", async () => {
    const g = await group(a, [within.id]);
    const moving = await open(a, "Plover mover", "plover", { group_id: g });
    expect(await staffIds(a, "plover", within)).toEqual([moving]);
    expect((await a.api("PUT", `/api/v2/tickets/${moving}.json`, { ticket: { group_id: await group(a, []) } })).status).toBe(200);
    expect(await staffIds(a, "plover", within)).toEqual([]);
    expect(await staffCount(a, "plover", within)).toBe(0);
  });

  it("refuses malformed cursors and sort fields with a clear 400/422", async () => {
    const bad = [
      "page[after]=not-base64!", `page[after]=${Buffer.from('{"o":"1"}').toString("base64url")}`, `page[after]=${Buffer.from('{"o":-1}').toString("base64url")}`,
      `page[after]=${Buffer.from('{"o":1,"k":"1e3"}').toString("base64url")}`, `page[after]=${Buffer.from('{"o":1,"k":"1 OR 1=1"}').toString("base64url")}`,
      `page[after]=${Buffer.from('{"o":1,"k":123}').toString("base64url")}`, `page[after]=${Buffer.from('{"o":1.5}').toString("base64url")}`,
      `page[after]=${Buffer.from(`{"o":1,"k":"${"9".repeat(40)}"}`).toString("base64url")}`,
      "sort_by=score", `sort_by=${q("nice_id;DROP TABLE tickets")}`, "order_by=t.id", "sort_by=created_at&sort=sideways", `sort_order=${q("asc;--")}`, "sort_by[]=created_at",
      "sort_by=priority&page[after]=" + Buffer.from('{"o":1,"k":"99999999999999999"}').toString("base64url"),
    ];
    for (const more of bad) {
      const r = await a.api("GET", `/api/v2/search.json?query=${W}&${more}`, undefined, within);
      expect([400, 422], `${more}: ${r.status} ${r.text}`).toContain(r.status);
      expect(typeof r.body.error).toBe("string");
    }
  });
});

describe("crafted queries", () => {
  let s: Session;
  let own: number;
  beforeAll(async () => {
    const me = await endUser(b);
    own = await open(b, "Teapot leaking", "The teapot leaks from the spout.", { requester_id: me.id });
    s = await signInByMail(t, smtp, b, me.email);
  });

  const crafted = [
    "'; DROP TABLE search_postings; --", "\\' OR '1'='1", "\\\\\\", "$1::bytea", "%", "_", "*", "teapot\u0000", "tea\u0000pot", "\u202eteapot", "tea\u200dpot", "tea\u200bpot",
    "t\u0301e\u0301a\u0301p\u0301o\u0301t", "a" + "\u0301".repeat(999), "\u200d".repeat(1000), "\u{E0001}\u{E0074}teapot", "\ufeffteapot", "İstanbul ǅ ß ﬃ", "\u{1F575}\u200d\u2642\ufe0f", "ﷺ".repeat(120), "ﷺ".repeat(999), "\u3300".repeat(500), "印刷".repeat(250),
    "a ".repeat(500), `${'"'.repeat(300)}teapot${'"'.repeat(300)}`, '"teapot', 'teapot"', '"a "b "c "d "e', "-teapot", '-"teapot"', "tags:", "status:", "status:\"open", "created>not-a-date",
    "requester:me teapot", "type:user", "x".repeat(1000), "x".repeat(1001),
    "requester:@", "requester:a@b@c", `requester:${"a".repeat(300)}@x.test`, "assignee:99999999999999999999", "assignee:-1", "group:999999999999999999999", "group:0", "organization:1e5",
    'organization:"\u0000"', "created>2026-13-45", "created>99999-01-01", "due_date<0000-00-00", "tags:​", "tags:%", "priority>urgent", "status<new", "submitter:none teapot",
  ];

  // Sent as bytes: lone surrogate halves (CESU-8), an overlong NUL, bytes that are no UTF-8 at all.
  const rawBytes = ["%ED%A0%80", "%ED%BF%BF%20teapot", "%C0%80teapot", "%FF%FE", "tea%00pot", "%F4%90%80%80"];

  it("answers every crafted query with 200 or a clear 4xx, never 500, on all three routes, and changes nothing", async () => {
    const before = await t.db.tenant(b.tenantId, async (tx) => (await tx.db.selectFrom("search_postings").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
    for (const encoded of [...crafted.map(q), ...rawBytes]) {
      const routes = [
        () => b.api("GET", `/api/v2/search.json?query=${encoded}`),
        () => b.api("GET", `/api/v2/search/count.json?query=${encoded}`),
        () => asSession(t, b, s, "GET", `/api/v2/requests/search.json?query=${encoded}`),
      ];
      const query = encoded;
      for (const call of routes) {
        const r = await call();
        expect(r.status, `${JSON.stringify(query).slice(0, 60)}: ${r.text.slice(0, 200)}`).toBeLessThan(500);
        if (r.status >= 400) expect(typeof r.body.error).toBe("string");
      }
    }
    const after = await t.db.tenant(b.tenantId, async (tx) => (await tx.db.selectFrom("search_postings").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
    expect(Number(after)).toBe(Number(before));
    expect(await mineIds(b, s, "teapot")).toEqual([own]);
  });

  it("answers filters past the ends of their ranges, ids past the largest public id and exclusions cleanly", async () => {
    // Nothing is above urgent or below new: no rows (an empty IN list used to reach SQL and fail).
    for (const query of ["priority>urgent", "status<new", "teapot priority>urgent", "status<new status:open"]) {
      expect(await staffIds(b, query), query).toEqual([]);
      expect(await staffCount(b, query), query).toBe(0);
    }
    expect(await staffIds(b, "teapot status<=new")).toEqual([own]);
    // An id that no bigint holds is refused in the query, before a failing statement aborts the transaction.
    for (const query of ["assignee:99999999999999999999", "requester:123456789012345678901234567890", "group:9007199254740993", "organization:99999999999999999999 teapot"]) {
      for (const path of ["/api/v2/search.json", "/api/v2/search/count.json"]) {
        const r = await b.api("GET", `${path}?query=${q(query)}`);
        expect([r.status, r.body.error], `${path} ${query}: ${r.text}`).toEqual([422, "RecordInvalid"]);
      }
    }
    expect(await staffIds(b, "teapot assignee:9007199254740991")).toEqual([]);
    // An exclusion is refused unless it can be honoured (tags): it never quietly turns into an inclusion.
    for (const query of ["teapot -status:new", "teapot -assignee:none", "-requester:me teapot", "teapot -group:none"]) {
      expect((await b.api("GET", `/api/v2/search.json?query=${q(query)}`)).status, query).toBe(422);
      expect((await b.api("GET", `/api/v2/search/count.json?query=${q(query)}`)).status, query).toBe(422);
    }
    expect(await staffIds(b, "teapot -tags:spam")).toEqual([own]);
  });

  it("pages an end user's request search through their own requests only, whatever cursor they forge", async () => {
    const theirs = await open(b, "Teapot cracked", "Someone else's teapot", { requester: newCustomer() });
    for (const k of [undefined, "0", "99999999999999999", "-99999999999999999"]) {
      for (const o of [0, theirs, 2 ** 53 - 1]) {
        const c = Buffer.from(JSON.stringify(k === undefined ? { o } : { o, k })).toString("base64url");
        for (const dir of ["after", "before"]) {
          const r = await asSession(t, b, s, "GET", `/api/v2/requests/search.json?query=teapot&page[${dir}]=${c}`);
          expect(r.status, `${dir} ${o} ${k}: ${r.text}`).toBeLessThan(500);
          if (r.status === 200) expect(r.body.requests.map((x: { id: number }) => x.id).filter((id: number) => id !== own)).toEqual([]);
        }
      }
    }
  });

  it("refuses a query that would expand into too much work, before it reaches the database", async () => {
    const distinct = (from: number, n: number) => Array.from({ length: n }, (_, i) => String.fromCodePoint(from + i)).join("");
    const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(" ");
    const refused = [distinct(0x4e00, 300), distinct(0xac00, 60), words(200), `"${words(30)}"`, words(25).replaceAll(" ", "-"), "x".repeat(1001)];
    for (const query of refused) {
      const r = await b.api("GET", `/api/v2/search.json?query=${q(query)}`);
      expect([400, 422], JSON.stringify(query).slice(0, 40)).toContain(r.status);
    }
    // Repeats cost nothing: the same word, pair or character pair is asked for once.
    for (const query of ["teapot ".repeat(142), "ﷺ".repeat(999), "印刷".repeat(499)]) {
      expect((await b.api("GET", `/api/v2/search.json?query=${q(query)}`)).status, JSON.stringify(query).slice(0, 40)).toBe(200);
    }
  });
});

describe("hidden custom fields", () => {
  it("are not searchable: their values are not indexed and no keyword filters on them", async () => {
    const tier = await customRole(a, { ticket_access: "all" });
    const f = await a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Secret code", permissions: [{ role_id: 3, access: "hidden" }, { role_id: tier, access: "hidden" }] } });
    expect(f.status, f.text).toBe(201);
    const fid = f.body.ticket_field.id as number;
    const id = await open(a, "Field carrier", "nothing here", { custom_fields: [{ id: fid, value: "zirconvalue" }] });
    const hidden = await agentWith(a, tier);
    const light = as(await buildUser(t, a, "light-agent"));
    for (const who of [undefined, hidden, light]) {
      expect(await staffIds(a, "zirconvalue", who)).toEqual([]);
      for (const query of [`custom_field_${fid}:zirconvalue`, `${fid}:zirconvalue`, `fieldvalue:zirconvalue`, "secret_code:zirconvalue"]) {
        // Refused as an unknown keyword, or (a name with digits is no keyword) searched as words that match nothing.
        const r = await a.api("GET", `/api/v2/search.json?query=${q(query)}`, undefined, who);
        expect(r.status === 422 || (r.status === 200 && r.body.results.length === 0), `${query}: ${r.status}`).toBe(true);
      }
    }
    expect(await staffIds(a, "field carrier")).toEqual([id]);
  });
});

describe("redaction attacks", () => {
  let id: number;
  let first: number;
  let note: number;
  let elsewhere: number;
  let elsewhereComment: number;
  let requesterSession: Session;
  beforeAll(async () => {
    const requester = await endUser(a);
    id = await open(a, "Redaction target", "The passcode is vireo4471 for now", { requester_id: requester.id });
    requesterSession = await signInByMail(t, smtp, a, requester.email);
    await comment(a, id, "Internal: vireo4471 confirmed", false);
    [first, note] = ((await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Array<{ id: number }>).map((c) => c.id) as [number, number];
    elsewhere = await open(a, "Other ticket", "Nothing secret");
    elsewhereComment = (await a.api("GET", `/api/v2/tickets/${elsewhere}/comments.json`)).body.comments[0].id;
  });
  const redact = (ticketId: number, commentId: number, text: unknown, who?: As, tenant = a) => tenant.api("PUT", `/api/v2/tickets/${ticketId}/comments/${commentId}/redact.json`, { text }, who);

  it("refuses people without the permission, other tickets' comments and other tenants' ids, changing nothing", async () => {
    const noRedact = await agentWith(a, await customRole(a, { ticket_access: "all", ticket_redaction: false }));
    const assigned = await agentWith(a, await customRole(a, { ticket_access: "assigned-only", ticket_redaction: true }));
    const light = as(await buildUser(t, a, "light-agent"));
    const customer = await endUser(a);
    const customerTicket = await open(a, "Customer's own", "my vireo4471 too", { requester_id: customer.id });
    const customerComment = (await a.api("GET", `/api/v2/tickets/${customerTicket}/comments.json`)).body.comments[0].id as number;
    const s = await signInByMail(t, smtp, a, customer.email);
    const bOwner = as(await buildUser(t, b, "admin"));
    const cases: Array<[string, () => Promise<{ status: number }>, number]> = [
      ["no redaction permission", () => redact(id, first, "vireo4471", noRedact), 403],
      ["light agent", () => redact(id, note, "vireo4471", light), 403],
      ["outside the agent's access", () => redact(id, first, "vireo4471", assigned), 404],
      ["a comment of another ticket", () => redact(elsewhere, first, "vireo4471"), 404],
      ["another ticket's comment through this ticket", () => redact(id, elsewhereComment, "Nothing"), 404],
      ["the requester (end user), own request", () => asSession(t, a, s, "PUT", `/api/v2/tickets/${customerTicket}/comments/${customerComment}/redact.json`, { text: "vireo4471" }), 403],
      ["another tenant's admin, this tenant's ids", () => b.api("PUT", `/api/v2/tickets/${id}/comments/${first}/redact.json`, { text: "vireo4471" }, bOwner), 404],
      ["this tenant's token on the other tenant's host", () => b.api("PUT", `/api/v2/tickets/${id}/comments/${first}/redact.json`, { text: "vireo4471" }, { email: a.ownerEmail, token: a.ownerToken }), 401],
      ["empty text", () => redact(id, first, ""), 422],
      ["not a string", () => redact(id, first, ["vireo4471"]), 422],
      ["an id past the safe integers", () => redact(id, 2 ** 53, "vireo4471"), 422],
    ];
    for (const [name, call, status] of cases) {
      const r = await call();
      expect(r.status, name).toBe(status);
    }
    expect(await staffIds(a, "vireo4471")).toEqual([id, customerTicket].sort((x, y) => x - y));
    expect((await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).text).toContain("vireo4471");
  });

  it("removes the words from search, comments and audits, for everyone; a replay and absent text change nothing", async () => {
    const r1 = await redact(id, first, "vireo4471");
    expect(r1.status, r1.text).toBe(200);
    const r2 = await redact(id, note, "vireo4471");
    expect(r2.status, r2.text).toBe(200);
    const postings = async () =>
      (await t.db.tenant(a.tenantId, async (tx) => [...(await tx.db.selectFrom("search_postings").select(["term", "nice_id", "internal", "tf"]).execute()), ...(await pairRows(tx.db))])).map((p) => `${Buffer.from(p.term).toString("hex")} ${p.nice_id} ${p.internal} ${p.tf}`).sort();
    const after = await postings();
    for (const replay of [() => redact(id, first, "vireo4471"), () => redact(id, note, "vireo4471"), () => redact(id, first, "▇▇▇▇"), () => redact(id, first, "not in it")]) {
      const r = await replay();
      expect(r.status).toBe(200);
    }
    expect(await postings()).toEqual(after);
    for (const query of ["vireo4471", '"passcode is vireo4471"', '"vireo4471 confirmed"', "vireo4471 passcode"]) expect(await staffIds(a, query), query).not.toContain(id);
    expect(await staffIds(a, '"passcode is"')).toEqual([id]);
    for (const path of [`/api/v2/tickets/${id}.json`, `/api/v2/tickets/${id}/comments.json`, `/api/v2/tickets/${id}/audits.json`]) expect((await a.api("GET", path)).text, path).not.toContain("vireo4471");
    // The requester's side too: the request, its conversation, their request search.
    for (const path of [`/api/v2/requests/${id}.json`, `/api/v2/requests/${id}/comments.json`, "/api/v2/requests/search.json?query=vireo4471"]) {
      const r = await asSession(t, a, requesterSession, "GET", path);
      expect([r.status, r.text.includes("vireo4471")], path).toEqual([200, false]);
    }
    expect(await mineIds(a, requesterSession, "passcode")).toEqual([id]);
    expect(await mineIds(a, requesterSession, "vireo4471")).toEqual([]);
  });

  it("a deleted ticket's comments cannot be redacted, and its words match nothing", async () => {
    const gone = await open(a, "Going away", "wagtailword here");
    const c = (await a.api("GET", `/api/v2/tickets/${gone}/comments.json`)).body.comments[0].id as number;
    expect((await a.api("DELETE", `/api/v2/tickets/${gone}.json`)).status).toBe(204);
    expect((await redact(gone, c, "wagtailword")).status).toBe(404);
    expect(await staffIds(a, "wagtailword")).toEqual([]);
    expect(await staffCount(a, "wagtailword")).toBe(0);
  });
});

describe("another tenant", () => {
  it("never matches across tenants, whatever ids of the other tenant a query or cursor names", async () => {
    const text = "Cormorant harbour sensor";
    const inA = await open(a, text, text);
    const inB = await open(b, text, text);
    const bUser = await endUser(b);
    const bGroup = await group(b, []);
    const bOrg = (await b.api("POST", "/api/v2/organizations.json", { organization: { name: `Org ${unique()}` } })).body.organization.id as number;
    expect(await staffIds(a, "cormorant")).toEqual([inA]);
    expect(await staffIds(b, "cormorant")).toEqual([inB]);
    for (const query of [`cormorant requester:${bUser.email}`, `cormorant requester:${bUser.id}`, `cormorant assignee:${bUser.id}`, `cormorant group:${bGroup}`, `cormorant organization:${bOrg}`]) {
      const r = await a.api("GET", `/api/v2/search.json?query=${q(query)}`);
      expect(r.status, query).toBeLessThan(500);
      if (r.status === 200) expect(r.body.results.map((x: { id: number }) => x.id).filter((x: number) => x !== inA), query).toEqual([]);
    }
    const cursor = (await staffSearch(b, "cormorant", undefined, "&page[size]=1")).meta.after_cursor as string;
    const r = await a.api("GET", `/api/v2/search.json?query=cormorant&page[size]=5&page[after]=${cursor}`);
    expect(r.status).toBe(200);
    expect(r.body.results.every((x: { id: number; subject: string }) => x.subject === text)).toBe(true);
  });
});

describe("tokens", () => {
  it.each([
    [["tickets:read"], 403, 403, 200],
    [["tickets:write"], 403, 403, 403],
    [["users:read", "organizations:read"], 403, 403, 403],
    [["read"], 200, 200, 200],
  ] as const)("an API token with %j: search %i, count %i, requests/search %i", async (scopes, search, count, requests) => {
    const tok = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: `narrow ${unique()}`, scopes } });
    expect(tok.status, tok.text).toBe(201);
    const who: As = { email: a.ownerEmail, token: tok.body.api_token.token ?? tok.body.token };
    expect((await a.api("GET", "/api/v2/search.json?query=cormorant", undefined, who)).status).toBe(search);
    expect((await a.api("GET", "/api/v2/search/count.json?query=cormorant", undefined, who)).status).toBe(count);
    expect((await a.api("GET", "/api/v2/requests/search.json?query=cormorant", undefined, who)).status).toBe(requests);
  });

  it("an end user's OAuth token reads its requests by text, never search.json; a tickets:read token of an agent cannot use search.json", async () => {
    const REDIRECT = "https://app.example.test/callback";
    const id = `app_${unique()}`;
    const cl = await a.api("POST", "/api/v2/oauth/clients.json", { client: { name: id, identifier: id, redirect_uri: [REDIRECT], kind: "public" } });
    expect(cl.status, cl.text).toBe(201);
    const tokenFor = async (s: Session, scope: string) => {
      const verifier = crypto.randomBytes(32).toString("base64url");
      const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
      const d = await asSession(t, a, s, "POST", "/api/v2/oauth/consent", { response_type: "code", client_id: id, redirect_uri: REDIRECT, scope, state: "s", code_challenge: challenge, code_challenge_method: "S256", allowed: true });
      expect(d.status, d.text).toBe(200);
      const code = new URL(d.body.redirect_to).searchParams.get("code");
      const r = await t.request({ method: "POST", path: "/oauth/tokens", host: a.host, body: { grant_type: "authorization_code", code, redirect_uri: REDIRECT, client_id: id, code_verifier: verifier } });
      expect(r.status, r.text).toBe(200);
      return r.body.access_token as string;
    };
    const bearer = (token: string, path: string) => t.request({ method: "GET", path, host: a.host, headers: { authorization: `Bearer ${token}` } });
    const me = await endUser(a);
    const own = await open(a, "Puffin request", "puffinword", { requester_id: me.id });
    const endUserToken = await tokenFor(await signInByMail(t, smtp, a, me.email), "read");
    expect((await bearer(endUserToken, "/api/v2/search.json?query=puffinword")).status).toBe(403);
    expect((await bearer(endUserToken, "/api/v2/search/count.json?query=puffinword")).status).toBe(403);
    const r = await bearer(endUserToken, "/api/v2/requests/search.json?query=puffinword");
    expect([r.status, r.body.requests?.map((x: { id: number }) => x.id)]).toEqual([200, [own]]);
    const ownerToken = await tokenFor(await signIn(t, a, a.ownerEmail, a.ownerPassword), "tickets:read");
    expect((await bearer(ownerToken, "/api/v2/search.json?query=puffinword")).status).toBe(403);
    expect((await bearer(ownerToken, "/api/v2/tickets.json")).status).toBe(200);
  });
});
