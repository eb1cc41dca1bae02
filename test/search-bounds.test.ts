import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pruneTop } from "../src/modules/search/search-service.ts";
import { buildTenant, startTestApp, waitForJob, type TestApp, type TestTenant, openTicket as open } from "./support/harness.ts";

/**
 * A single word's relevance pages from its best matches alone (0052, search-repo.ts prunedMatch):
 * every posting's `len` stays at or below its document's length through every kind of write, the
 * pruned rows are exactly the first rows of all matches with the same scores, and pages over HTTP
 * (forwards, backwards, by offset, with filters that leave too few) are those of every match.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});


/** Postings whose `len` is above their document's length (must be none), and how many postings there are. */
const lengths = (a: TestTenant) =>
  t.db.tenant(a.tenantId, async (tx) => {
    const r = await sql<{ above: number; all: number; stale: number; zero: number }>`
      SELECT count(*) FILTER (WHERE p.len > d.length)::int AS above, count(*)::int AS "all",
        count(*) FILTER (WHERE p.len < d.length)::int AS stale, count(*) FILTER (WHERE p.len = 0)::int AS zero
      FROM search_postings p JOIN search_documents d ON d.tenant_id = p.tenant_id AND d.nice_id = p.nice_id AND d.internal = p.internal`.execute(tx.db);
    return r.rows[0]!;
  });

/** A generated text over a small vocabulary: a few words in most tickets, the rest in fewer. */
function textMaker(seed: number) {
  const words = ["printer", "toner", "paper", "invoice", "refund", "login", "password", "screen", "cable", "router", "wifi", "update", "crash", "slow", "order", "delivery"];
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return (n: number) => Array.from({ length: n }, () => words[Math.floor(rnd() * rnd() * words.length)]).join(" ");
}

describe("posting lengths", () => {
  it("never exceed the document's length: creates, comments, notes, renames, redaction, bulk updates, the trash", async () => {
    const a = await buildTenant(t, "bndlen");
    const text = textMaker(3);
    const ids: number[] = [];
    for (let k = 0; k < 12; k++) ids.push(await open(a, text(4), text(10 + k)));
    // A ticket's first write: every posting has the document's whole length.
    const first = await lengths(a);
    expect(first.all).toBeGreaterThan(50);
    expect([first.above, first.stale, first.zero]).toEqual([0, 0, 0]);

    for (const [k, id] of ids.entries()) {
      if (k % 2 === 0) expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: text(6) } } })).status).toBe(200);
      if (k % 3 === 0) expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: text(5), public: false } } })).status).toBe(200);
    }
    // Later writes grow the documents and leave the postings of words they do not hold as they were.
    const grown = await lengths(a);
    expect(grown.above).toBe(0);
    expect(grown.stale).toBeGreaterThan(0);

    // A long subject, then a comment with a word of its own: its posting has the length after both.
    // Renaming to a short subject takes the long one's words out, and the document is now shorter
    // than that posting's length: the removal lowers it (without, `above` would count it).
    const long = "quarterly reconciliation spreadsheet macros broken again after the migration weekend";
    const id = await open(a, long, "see attached");
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "zebracode" } } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { subject: "Short" } })).status).toBe(200);
    const afterRename = await lengths(a);
    expect(afterRename.above).toBe(0);
    const own = await t.db.tenant(a.tenantId, (tx) =>
      sql<{ len: number; length: number }>`SELECT max(p.len)::int AS len, max(d.length)::int AS length FROM search_postings p JOIN search_documents d ON d.tenant_id = p.tenant_id AND d.nice_id = p.nice_id AND d.internal = p.internal
        WHERE d.ticket_id = (SELECT t.id FROM tickets t WHERE t.nice_id = ${id}) AND NOT p.internal`.execute(tx.db),
    );
    // Lowered to the length without the long subject, then "short" added one: the rest sit one below it.
    expect(own.rows[0]!.len).toBe(own.rows[0]!.length);
    const lowered = await t.db.tenant(a.tenantId, (tx) =>
      sql<{ n: number }>`SELECT count(*)::int AS n FROM search_postings p JOIN search_documents d ON d.tenant_id = p.tenant_id AND d.nice_id = p.nice_id AND d.internal = p.internal
        WHERE d.ticket_id = (SELECT t.id FROM tickets t WHERE t.nice_id = ${id}) AND NOT p.internal AND p.len = d.length - 1`.execute(tx.db),
    );
    expect(lowered.rows[0]!.n).toBeGreaterThan(0);

    // Redaction of a description: its words go, the document shrinks, the later comment's posting follows.
    const rid = await open(a, "Card", "card number 4111 1111 1111 1111 expires soon please help quickly today");
    expect((await a.api("PUT", `/api/v2/tickets/${rid}.json`, { ticket: { comment: { body: "lastword" } } })).status).toBe(200);
    const comments = (await a.api("GET", `/api/v2/tickets/${rid}/comments.json`)).body.comments as Array<{ id: number }>;
    expect((await a.api("PUT", `/api/v2/tickets/${rid}/comments/${comments[0]!.id}/redact.json`, { text: "expires soon please help quickly today" })).status).toBe(200);
    expect((await lengths(a)).above).toBe(0);

    // Bulk updates, the trash and a restore.
    const bulk = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${ids.slice(0, 4).join(",")}`, { ticket: { comment: { body: text(7) } } });
    expect(bulk.status, bulk.text).toBe(200);
    expect((await waitForJob(a, bulk.body.job_status.id)).status).toBe("completed");
    expect((await a.api("DELETE", `/api/v2/tickets/${ids[5]}.json`)).status).toBe(204);
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${ids[5]}/restore.json`)).status).toBe(204);
    const end = await lengths(a);
    expect(end.above).toBe(0);
    expect(end.all).toBeGreaterThan(first.all);
  });
});

describe("a single word's best matches", () => {
  let a: TestTenant;
  const text = textMaker(11);
  beforeAll(async () => {
    a = await buildTenant(t, "bndtop");
    // Forty tickets of different lengths, some with later comments and notes (stale lengths).
    for (let k = 0; k < 40; k++) {
      const id = await open(a, text(3), text(4 + (k % 9) * 3));
      if (k % 4 === 0) expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: text(12) } } })).status).toBe(200);
      if (k % 5 === 0) expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: text(6), public: false } } })).status).toBe(200);
    }
  });

  it("are the first of all matches, with the same scores, for every reader; a pruned set only ever cuts the tail", async () => {
    const { matchingTickets } = await import("../src/modules/search/search-repo.ts");
    const rows = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("search_postings").select(["term", "nice_id"]).execute());
    const byTerm = new Map<string, Set<string>>();
    for (const p of rows) {
      const h = Buffer.from(p.term).toString("hex");
      byTerm.set(h, (byTerm.get(h) ?? new Set()).add(String(p.nice_id)));
    }
    const terms = [...byTerm.entries()].sort((x, y) => y[1].size - x[1].size || (x[0] < y[0] ? -1 : 1)).map(([h]) => Buffer.from(h, "hex"));
    const documents = new Set(rows.map((r) => String(r.nice_id))).size;
    expect(documents).toBe(40);
    const within = sql`SELECT nice_id FROM tickets WHERE tenant_id = ${a.tenantId} AND nice_id % 3 <> 0`;
    // One word, one word with an alternative (a stem per language), two and three words, a word with alternatives beside another.
    const queries = [
      { hashes: [terms[0]!], groups: [0] },
      { hashes: [terms[1]!], groups: [0] },
      { hashes: [terms[3]!], groups: [0] },
      { hashes: [terms[0]!, terms[2]!], groups: [0, 0] },
      { hashes: [terms[5]!, terms[8]!], groups: [0, 0] },
      { hashes: [terms[0]!, terms[1]!], groups: [0, 1] },
      { hashes: [terms[0]!, terms[2]!, terms[4]!], groups: [0, 1, 2] },
      { hashes: [terms[1]!, terms[3]!, terms[2]!], groups: [0, 0, 1] },
    ];
    const ordered = (r: Array<{ nice_id: string; score: string }>) => [...r].sort((x, y) => Number(y.score) - Number(x.score) || Number(y.nice_id) - Number(x.nice_id)).map((x) => `${x.nice_id}:${x.score}`);
    let proper = 0;
    const compare = async () => {
    for (const qq of queries) {
      const { hashes } = qq;
      const q = { packed: Buffer.concat(hashes), groups: qq.groups, dfs: hashes.map((h) => byTerm.get(h.toString("hex"))!.size), groupCount: Math.max(...qq.groups) + 1, lead: 0 };
      for (const withInternal of [true, false])
        for (const w of [undefined, within]) {
          const run = (top: number | undefined, way: "merge" | "pass") =>
            t.db.tenant(a.tenantId, async (tx) =>
              (await sql<{ nice_id: string; score: string }>`SELECT ${top === undefined ? sql`` : sql`complete, `}nice_id::text AS nice_id, score::text AS score FROM ${matchingTickets(a.tenantId, q, { withInternal, within: w, documents, averageLength: 14, way, ordered: true, top })} m`.execute(tx.db)).rows,
            );
          const all = ordered(await run(undefined, "merge"));
          expect(all.length).toBeGreaterThan(0);
          // The one pass gives the same scores to the last digit (a page may continue from a pruned one by either).
          expect(ordered(await run(undefined, "pass"))).toEqual(all);
          for (const top of [1, 2, 3, 5, 8, 13, 21, 1000]) {
            const rows = await run(top, "merge");
            // `complete`: every match is there (no more than `top` matched), on every row alike.
            expect(new Set(rows.map((r) => (r as { complete?: boolean }).complete)), String(top)).toEqual(rows.length ? new Set([top >= all.length]) : new Set());
            const pruned = ordered(rows);
            const label = JSON.stringify({ query: queries.indexOf(qq), withInternal, within: !!w, top });
            expect(pruned, label).toEqual(all.slice(0, pruned.length));
            expect(pruned.length, label).toBeLessThanOrEqual(top);
            if (top >= all.length) expect(pruned.length, label).toBe(all.length);
            if (pruned.length > 0 && pruned.length < all.length) proper++;
          }
        }
    }
    };
    await compare();
    // Pruning did cut: many runs returned a non-empty head and left out the rest.
    expect(proper).toBeGreaterThan(20);
    // Postings written before 0052 have a length of 0 (the loosest bound): mixed with the others,
    // the pruned rows are still the head of all.
    const zeroed = await t.db.tenant(a.tenantId, async (tx) => Number((await sql`UPDATE search_postings SET len = 0 WHERE nice_id % 3 = 0`.execute(tx.db)).numAffectedRows));
    expect(zeroed).toBeGreaterThan(10);
    await compare();
  });

  it("gives the same rows with the tables' policies out of the way, while another tenant holds the same hashes", async () => {
    const { matchingTickets } = await import("../src/modules/search/search-repo.ts");
    // The tightest lengths (each document's own; the test above zeroed some), so that small tops prune to a non-empty head.
    await t.db.tenant(a.tenantId, (tx) =>
      sql`UPDATE search_postings p SET len = d.length FROM search_documents d WHERE d.tenant_id = p.tenant_id AND d.nice_id = p.nice_id AND d.internal = p.internal`.execute(tx.db),
    );
    const rows = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("search_postings").select(["term", "nice_id"]).execute());
    const counts = new Map<string, number>();
    for (const p of rows) counts.set(Buffer.from(p.term).toString("hex"), (counts.get(Buffer.from(p.term).toString("hex")) ?? 0) + 1);
    const top1 = [...counts.entries()].sort((x, y) => y[1] - x[1])[0]!;
    const hash = Buffer.from(top1[0], "hex");
    const q = { packed: hash, groups: [0], dfs: [top1[1]], groupCount: 1, lead: 0 };
    // Another tenant: the same hashes under the same ticket numbers, with lengths of 0 (the highest bounds).
    const b = await buildTenant(t, "bndother");
    for (let k = 0; k < 3; k++) await open(b, "x", "y");
    const bTickets = await t.db.tenant(b.tenantId, (tx) => tx.db.selectFrom("tickets").select(["id", "nice_id"]).execute());
    await t.db.tenant(b.tenantId, async (tx) => {
      for (const tk of bTickets) {
        await sql`INSERT INTO search_postings (tenant_id, term, nice_id, internal, tf, len) VALUES (${b.tenantId}, ${hash}, ${tk.nice_id}, false, 9, 0) ON CONFLICT DO NOTHING`.execute(tx.db);
      }
    });
    const statement = (top: number | undefined) => sql<{ nice_id: string; score: string }>`SELECT nice_id::text AS nice_id, score::text AS score FROM ${matchingTickets(a.tenantId, q, { withInternal: true, documents: 40, averageLength: 14, way: "merge", ordered: true, top })} m ORDER BY m.score DESC, m.nice_id DESC`;
    const tables = ["search_postings", "search_documents"];
    const unforced = <T,>(fn: (db: Parameters<Parameters<typeof t.db.system>[0]>[0]) => Promise<T>) =>
      t.db.system(async (conn) => {
        for (const x of tables) await sql`ALTER TABLE ${sql.table(x)} NO FORCE ROW LEVEL SECURITY`.execute(conn);
        try {
          return await fn(conn);
        } finally {
          for (const x of tables) await sql`ALTER TABLE ${sql.table(x)} FORCE ROW LEVEL SECURITY`.execute(conn);
        }
      });
    // Its one term is an index condition under the policies (a filter would read every posting of the tenant).
    const plan = await t.db.tenant(a.tenantId, async (tx) => {
      const r = await sql<{ "QUERY PLAN": unknown }>`EXPLAIN (FORMAT JSON) ${statement(8)}`.execute(tx.db);
      return JSON.stringify(r.rows[0]!["QUERY PLAN"]);
    });
    const scans = [...plan.matchAll(/"Relation Name":\s*"search_postings"[^}]*?"Index Cond":\s*"([^"]*)"/g)].map((m) => m[1]!);
    expect(plan).toContain("search_postings_pkey");
    expect(scans.length, plan).toBeGreaterThan(0);
    for (const c of scans) expect(c).toMatch(/term = /);
    expect(plan).not.toMatch(/"Filter":\s*"[^"]*term = /);
    for (const top of [3, 8, 1000]) {
      const mine = await t.db.tenant(a.tenantId, async (tx) => (await statement(top).execute(tx.db)).rows);
      const asOwner = await unforced(async (db) => (await statement(top).execute(db)).rows);
      expect(asOwner, String(top)).toEqual(mine);
      expect(mine.length).toBeGreaterThan(0);
    }
  });
});

describe("relevance pages of a word in many tickets", () => {
  let a: TestTenant;
  beforeAll(async () => {
    a = await buildTenant(t, "bndpages");
    // 300 tickets holding "printer" (more than the 256 best a page of 5 is first taken from),
    // of different lengths and counts, a fifth of them pending; 270 of them hold "プリンター" (four
    // character pairs, once to three times), the other 30 "プリンタ" (three of its pairs, no match).
    const text = textMaker(5);
    for (let j = 0; j < 3; j++) {
      const tickets = Array.from({ length: 100 }, (_, k) => ({
        subject: `printer ${text(2 + (k % 4))}`,
        comment: { body: `${"printer ".repeat(1 + ((k * 7 + j) % 3))}${text(3 + ((k * 13 + j) % 17))} ${k % 10 === 3 ? "プリンタ" : "プリンター ".repeat(1 + ((k * 11 + j) % 3))}` },
        status: k % 5 === 0 ? "pending" : "open",
      }));
      const r = await a.api("POST", "/api/v2/tickets/create_many.json", { tickets });
      expect(r.status, r.text).toBe(200);
      expect((await waitForJob(a, r.body.job_status.id, undefined, 120_000)).status).toBe("completed");
    }
  }, 180_000);

  const cursorPages = async (query: string, size: number, maxPages = 50) => {
    const out: number[] = [];
    let after: string | null = null;
    for (let i = 0; i < maxPages; i++) {
      const r = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(query)}&page[size]=${size}${after ? `&page[after]=${encodeURIComponent(after)}` : ""}`);
      expect(r.status, r.text).toBe(200);
      out.push(...r.body.results.map((x: { id: number }) => x.id));
      if (!r.body.meta.has_more) return out;
      after = r.body.meta.after_cursor;
    }
    throw new Error("too many pages");
  };
  const offsetPages = async (query: string, perPage: number) => {
    const out: number[] = [];
    for (let page = 1; page < 100; page++) {
      const r = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(query)}&per_page=${perPage}&page=${page}`);
      expect(r.status, r.text).toBe(200);
      out.push(...r.body.results.map((x: { id: number }) => x.id));
      if (!r.body.next_page) return { ids: out, count: r.body.count as number };
    }
    throw new Error("too many pages");
  };

  it("are those of every match: forwards by cursor and by offset, backwards, deep, and with a filter", async () => {
    const { relevancePages } = await import("../src/modules/tickets/tickets-repo.ts");
    // A page of 25 is first taken from the best 1,040 (search-service.ts pruneTop: at 300,000
    // tickets the best 256 left a third of common words' pages short), more than the 300 matches
    // here: the pages below are of 5 (the best 256) where pruning is to be seen.
    expect(pruneTop(26)).toBeGreaterThanOrEqual(1024);
    expect(pruneTop(6)).toBe(256);
    // Every match in order: offset pages of 100 need their best 4,000 (more than the 300 matches), so none is pruned.
    const before = { ...relevancePages };
    const all = await offsetPages("printer", 100);
    expect(relevancePages).toEqual(before);
    expect(all.ids.length).toBe(300);
    expect(all.count).toBe(300);
    expect(new Set(all.ids).size).toBe(300);

    // Pages of 5 forwards: the first from the best 256, then as many as they can be; the pages
    // past them are asked again of every match.
    const forwards = await cursorPages("printer", 5, 70);
    expect(forwards).toEqual(all.ids);
    expect(relevancePages.pruned).toBeGreaterThan(before.pruned);
    expect(relevancePages.again).toBeGreaterThan(before.again);
    expect(relevancePages.pruned - before.pruned + relevancePages.again - before.again).toBe(Math.ceil(300 / 5));
    // Offset pages of 5 (the best 256 serve the first pages, those needing fewer than 8 rows, when full).
    const pruned0 = relevancePages.pruned;
    const byFive = await offsetPages("printer", 5);
    expect(byFive.ids).toEqual(all.ids);
    expect(byFive.count).toBe(300);
    expect(relevancePages.pruned).toBeGreaterThan(pruned0);

    // Backwards from the third page: never pruned, the same rows.
    const p1 = await a.api("GET", `/api/v2/search.json?query=printer&page[size]=25`);
    const p2 = await a.api("GET", `/api/v2/search.json?query=printer&page[size]=25&page[after]=${encodeURIComponent(p1.body.meta.after_cursor)}`);
    const p3 = await a.api("GET", `/api/v2/search.json?query=printer&page[size]=25&page[after]=${encodeURIComponent(p2.body.meta.after_cursor)}`);
    const back = await a.api("GET", `/api/v2/search.json?query=printer&page[size]=25&page[before]=${encodeURIComponent(p3.body.meta.before_cursor)}`);
    expect(back.body.results.map((x: { id: number }) => x.id)).toEqual(all.ids.slice(25, 50));

    // A filter keeping a fifth: never pruned (the best by bound know nothing of filters; too few
    // of them would pass, and each page would be asked twice), the same rows.
    const seen = { ...relevancePages };
    const pending = await cursorPages("printer status:pending", 25);
    expect(relevancePages).toEqual(seen);
    const statuses = new Map<number, string>();
    for (let page = 1; page <= 3; page++) {
      const r = await a.api("GET", `/api/v2/tickets.json?per_page=100&page=${page}`);
      for (const x of r.body.tickets as Array<{ id: number; status: string }>) statuses.set(x.id, x.status);
    }
    expect(pending).toEqual(all.ids.filter((id) => statuses.get(id) === "pending"));
    expect(pending.length).toBe(60);
  }, 120_000);

  it("of a CJK word of several character pairs are those of every match: pruned when it is in many more tickets than a page's best", async () => {
    const { relevancePages } = await import("../src/modules/tickets/tickets-repo.ts");
    // Offset pages of 100 need their best 4,000: never pruned, every match.
    const before = { ...relevancePages };
    const all = await offsetPages("プリンター", 100);
    expect(relevancePages).toEqual(before);
    expect(all.ids.length).toBe(270);
    expect(all.count).toBe(270);
    expect(new Set(all.ids).size).toBe(270);
    // Pages of 25 start from the best 1,040: more than the 270 matches, so not pruned either.
    const seen = { ...relevancePages };
    expect(await cursorPages("プリンター", 25)).toEqual(all.ids);
    expect(relevancePages).toEqual(seen);
    // Pages of 5 start from the best 256, fewer than the 270 its four pairs are expected in
    // together: the first pages pruned, the last ones asked again; the same rows in the same order.
    const forwards = await cursorPages("プリンター", 5, 60);
    expect(forwards).toEqual(all.ids);
    expect(relevancePages.pruned).toBeGreaterThan(seen.pruned);
    expect(relevancePages.again).toBeGreaterThan(seen.again);
    expect(relevancePages.pruned - seen.pruned + relevancePages.again - seen.again).toBe(Math.ceil(270 / 5));
    // Three of its pairs (プリンタ) are in all 300; with another word (printer, in all 300) the
    // same rows as every match, pages of 5 by cursor and of 100 by offset.
    const three = await offsetPages("プリンタ", 100);
    expect(three.ids.length).toBe(300);
    const mixed = await offsetPages("プリンター printer", 100);
    expect(mixed.ids.length).toBe(270);
    expect(await cursorPages("プリンター printer", 5, 60)).toEqual(mixed.ids);
  }, 120_000);

  it("answers forged and replayed cursors as every match would: from the top, nothing, the same page again", async () => {
    const all = await cursorPages("printer", 100);
    const page = async (after: string) => {
      const r = await a.api("GET", `/api/v2/search.json?query=printer&page[size]=25&page[after]=${encodeURIComponent(after)}`);
      expect(r.status, r.text).toBe(200);
      return r.body.results.map((x: { id: number }) => x.id) as number[];
    };
    const forge = (o: number, k: string) => Buffer.from(JSON.stringify({ o, k })).toString("base64url");
    // A score above any: every match comes after it, the best first.
    expect(await page(forge(999_999_999, "99999999999999999"))).toEqual(all.slice(0, 25));
    // A score below any (scores are positive): nothing after it.
    expect(await page(forge(0, "-1"))).toEqual([]);
    expect(await page(forge(1, "0"))).toEqual([]);
    // A real cursor replayed: the same page each time.
    const first = await a.api("GET", `/api/v2/search.json?query=printer&page[size]=25`);
    const cursor = first.body.meta.after_cursor as string;
    expect(await page(cursor)).toEqual(all.slice(25, 50));
    expect(await page(cursor)).toEqual(all.slice(25, 50));
    // A key that is not a number: a clear 400, never a 500.
    const bad = await a.api("GET", `/api/v2/search.json?query=printer&page[size]=25&page[after]=${Buffer.from(JSON.stringify({ o: 1, k: "1e9" })).toString("base64url")}`);
    expect(bad.status).toBe(400);
  }, 60_000);

});
