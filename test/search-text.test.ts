import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, waitForJob, type TestApp, type TestTenant, openTicket as open } from "./support/harness.ts";
import { asSession, signInByMail } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";
import { insertPairRows, movePairsToPostings, pairRows as readPairs } from "./support/search-pairs.ts";

/**
 * Full-text search over sealed content, over real HTTP: words in five languages (stems, accents,
 * CJK bigrams), phrases whose order matters, relevance, filters, internal notes hidden from end
 * users, custom roles' ticket access, deletion, renames and redaction, other tenants, crafted queries.
 */

let t: TestApp;
let smtp: SmtpPeer;
beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

type As = { email: string; token: string } | undefined;

const search = async (a: TestTenant, query: string, as?: As, more = "") => {
  const r = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(query)}${more}`, undefined, as);
  expect(r.status, `${query}: ${r.text}`).toBe(200);
  return r.body;
};
const ids = async (a: TestTenant, query: string, as?: As) => (await search(a, query, as)).results.map((x: { id: number }) => x.id).sort((x: number, y: number) => x - y);
const count = async (a: TestTenant, query: string) => (await a.api("GET", `/api/v2/search/count.json?query=${encodeURIComponent(query)}`)).body.count as number;
const postings = (a: TestTenant) => t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("search_postings").select(["term", "nice_id", "tf"]).execute());

describe("words in five languages", () => {
  let a: TestTenant;
  const n: Record<string, number> = {};
  beforeAll(async () => {
    a = await buildTenant(t, "fts");
    n.en = await open(a, "Printers offline in the café", "There is a paper jam in tray 2 again.");
    n.en2 = await open(a, "Jam paper order", "Please order more jam paper for the kitchen.", { tags: ["kitchen"] });
    n.sv = await open(a, "Skrivarna är trasiga", "Skrivaren på tredje våningen fungerar inte.");
    n.ja = await open(a, "印刷機が壊れました", "紙詰まりが発生しています。");
    n.ko = await open(a, "프린터가 고장났어요", "용지 걸림이 계속됩니다.");
    n.zh = await open(a, "打印机坏了", "无法打印文件。");
  });

  it("finds inflected forms, accents and full-width letters, and misses what is not there", async () => {
    expect(await ids(a, "printer")).toEqual([n.en]);
    expect(await ids(a, "PRINTERS")).toEqual([n.en]);
    expect(await ids(a, "ｐｒｉｎｔｅｒ")).toEqual([n.en]);
    expect(await ids(a, "cafe")).toEqual([n.en]);
    expect(await ids(a, "café")).toEqual([n.en]);
    expect(await ids(a, "skrivare")).toEqual([n.sv]);
    expect(await ids(a, "skrivarna")).toEqual([n.sv]);
    expect(await ids(a, "våningen")).toEqual([n.sv]);
    expect(await ids(a, "scanner")).toEqual([]);
    expect(await ids(a, "printer scanner")).toEqual([]);
  });

  it("finds Japanese, Korean and Chinese by their character pairs", async () => {
    expect(await ids(a, "印刷機")).toEqual([n.ja]);
    expect(await ids(a, "紙詰まり")).toEqual([n.ja]);
    expect(await ids(a, "印刷")).toEqual([n.ja]);
    expect(await ids(a, "프린터")).toEqual([n.ko]);
    expect(await ids(a, "용지")).toEqual([n.ko]);
    expect(await ids(a, "打印机")).toEqual([n.zh]);
    expect(await ids(a, "打印")).toEqual([n.zh]);
    expect(await ids(a, "プリンター")).toEqual([]);
    expect(await ids(a, "机打")).toEqual([]);
  });

  it("requires a quoted phrase's words in order; free words anywhere", async () => {
    expect(await ids(a, '"paper jam"')).toEqual([n.en]);
    expect(await ids(a, '"jam paper"')).toEqual([n.en2]);
    expect(await ids(a, "paper jam")).toEqual([n.en, n.en2]);
    expect(await ids(a, '"paper jams"')).toEqual([n.en]);
    // Every pair of a longer phrase: "paper jam" and "tray" are there, "jam tray" is not.
    expect(await ids(a, '"paper jam tray"')).toEqual([]);
    expect(await ids(a, '"paper jam in tray"')).toEqual([n.en]);
    expect(await count(a, '"paper jam"')).toBe(1);
    expect(await count(a, "paper")).toBe(2);
  });

  it("combines words with filters", async () => {
    expect(await ids(a, "paper tags:kitchen")).toEqual([n.en2]);
    expect(await ids(a, "paper -tags:kitchen")).toEqual([n.en]);
    expect(await ids(a, "printer status:solved")).toEqual([]);
    expect(await ids(a, "printer status<solved type:ticket")).toEqual([n.en]);
    expect(await count(a, "paper tags:kitchen")).toBe(1);
  });
});

describe("relevance", () => {
  it("orders by BM25, the newest first among equals, unless a sort is asked for; pages either way", async () => {
    const a = await buildTenant(t, "ftsrank");
    const many = await open(a, "Toner", "The toner is low, toner again, order toner please.");
    const once1 = await open(a, "Supplies", "We need a toner cartridge and staples for the office floor.");
    const once2 = await open(a, "Supplies", "We need a toner cartridge and staples for the office floor.");
    await open(a, "Unrelated", "Nothing to see here.");
    const order = (b: { results: Array<{ id: number; result_type: string }> }) => b.results.map((x) => x.id);
    const ranked = await search(a, "toner");
    expect(order(ranked)).toEqual([many, once2, once1]);
    expect(ranked.results.every((x: { result_type: string }) => x.result_type === "ticket")).toBe(true);
    expect(order(await search(a, "toner", undefined, "&sort_by=created_at&sort_order=asc"))).toEqual([many, once1, once2]);
    expect(order(await search(a, "toner", undefined, "&order_by=created_at&sort=desc"))).toEqual([once2, once1, many]);
    // Offset pages, then cursor pages, in relevance order.
    const p1 = await search(a, "toner", undefined, "&per_page=2");
    expect([order(p1), p1.count]).toEqual([[many, once2], 3]);
    const p2 = await search(a, "toner", undefined, "&per_page=2&page=2");
    expect([order(p2), p2.next_page]).toEqual([[once1], null]);
    const c1 = await search(a, "toner", undefined, "&page[size]=2");
    expect([order(c1), c1.meta.has_more]).toEqual([[many, once2], true]);
    const c2 = await search(a, "toner", undefined, `&page[size]=2&page[after]=${c1.meta.after_cursor}`);
    expect([order(c2), c2.meta.has_more]).toEqual([[once1], false]);
  });
});

describe("three ways to match", () => {
  // A tenant where most words are in many tickets (the one pass is chosen for those) and some in
  // few, with internal notes on every third ticket.
  let a: TestTenant;
  const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor"];
  beforeAll(async () => {
    a = await buildTenant(t, "ftsdense");
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const text = (n: number) => Array.from({ length: n }, () => words[Math.floor(rnd() * rnd() * words.length)]).join(" ");
    for (let k = 0; k < 24; k++) {
      const id = await open(a, text(3), text(8));
      if (k % 3 === 0) expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: text(5), public: false } } })).status).toBe(200);
    }
    // Equal texts: equal scores, so pages must break ties (by id) to neither skip nor repeat.
    for (let k = 0; k < 6; k++) await open(a, "alpha golf", "alpha hotel alpha");
  });

  it("gives the same tickets and scores from one pass, from lookups and from the general statement", async () => {
    // Every kind of query (one term, a group of alternatives, two to three groups, common with
    // rare), as staff and as readers of public comments, within a subset of tickets or not, in
    // score order or not, is matched the three ways on the stored index; then again after
    // another tenant's index gets rows with the very same hashes (which must change nothing).
    const { matchingTickets, preferDense, TERM_BYTES, DENSE_MAX_TERMS } = await import("../src/modules/search/search-repo.ts");
    const rows = await postings(a);
    const byTerm = new Map<string, Set<string>>();
    for (const p of rows) {
      const h = Buffer.from(p.term).toString("hex");
      byTerm.set(h, (byTerm.get(h) ?? new Set()).add(String(p.nice_id)));
    }
    const terms = [...byTerm.entries()].sort((x, y) => y[1].size - x[1].size || (x[0] < y[0] ? -1 : 1)).map(([h]) => Buffer.from(h, "hex"));
    expect(terms.length).toBeGreaterThan(20);
    const documents = new Set(rows.map((r) => String(r.nice_id))).size;
    const queries: Array<{ hashes: Buffer[]; groups: number[]; pairs?: Buffer[][] }> = [];
    for (let i = 0; i < 6; i++) queries.push({ hashes: [terms[i]!], groups: [0] });
    queries.push({ hashes: [terms[0]!, terms[1]!], groups: [0, 0] });
    queries.push({ hashes: [terms[0]!, terms[2]!], groups: [0, 1] });
    queries.push({ hashes: [terms[1]!, terms[3]!, terms[terms.length - 1]!], groups: [0, 1, 2] });
    queries.push({ hashes: [terms[2]!, terms[4]!, terms[5]!, terms[12]!], groups: [0, 1, 1, 2] });
    // At the limit of terms as columns (DENSE_MAX_TERMS), and one over it (the general statement
    // then), in three groups and in one.
    for (const size of [DENSE_MAX_TERMS, DENSE_MAX_TERMS + 1]) {
      const hashes = Array.from({ length: size }, (_, i) => terms[i % terms.length]!);
      queries.push({ hashes, groups: hashes.map((_, i) => i % 3) });
      queries.push({ hashes, groups: hashes.map(() => 0) });
    }
    // The most groups whose mask fits a bigint (62) and one more (counted distinct instead), each
    // group the most frequent term: every ticket holding it matches all of them.
    for (const size of [62, 63]) queries.push({ hashes: Array.from({ length: size }, () => terms[0]!), groups: Array.from({ length: size }, (_, i) => i) });
    // More terms than a statement's 1,664 columns: asked for one pass, answered all the same.
    const wide = Array.from({ length: 1700 }, (_, i) => terms[i % terms.length]!);
    queries.push({ hashes: wide, groups: wide.map((_, i) => i % 2) }, { hashes: wide, groups: wide.map(() => 0) });
    // Phrases: words with pair groups (search_pair_sets), the most frequent pairs first; one that no
    // ticket holds; a pair group of two alternatives.
    const pairRows = await t.db.tenant(a.tenantId, (tx) => readPairs(tx.db));
    const byPair = new Map<string, number>();
    for (const p of pairRows) byPair.set(Buffer.from(p.term).toString("hex"), (byPair.get(Buffer.from(p.term).toString("hex")) ?? 0) + 1);
    const pairTerms = [...byPair.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([h]) => Buffer.from(h, "hex"));
    expect(pairTerms.length).toBeGreaterThan(20);
    queries.push({ hashes: [terms[0]!], groups: [0], pairs: [[pairTerms[0]!]] });
    queries.push({ hashes: [terms[0]!, terms[1]!], groups: [0, 1], pairs: [[pairTerms[0]!], [pairTerms[1]!, pairTerms[2]!]] });
    queries.push({ hashes: [terms[2]!, terms[3]!], groups: [0, 0], pairs: [[pairTerms[3]!, pairTerms[4]!]] });
    queries.push({ hashes: [terms[0]!, terms[1]!, terms[2]!], groups: [0, 1, 2], pairs: [[pairTerms[0]!], [pairTerms[1]!], [pairTerms[5]!]] });
    queries.push({ hashes: [terms[0]!], groups: [0], pairs: [[Buffer.alloc(TERM_BYTES, 7)]] });
    const within = sql`SELECT nice_id FROM tickets WHERE tenant_id = ${a.tenantId} AND nice_id % 3 <> 0`;
    // As the owner with the tables' policies not forced: what each statement returns by its own
    // tenant conditions, should a policy ever be missing (the tables stay forced for every other test).
    const tables = ["search_postings", "search_pair_sets", "search_documents", "tickets"];
    const unforced = <T,>(fn: (db: Parameters<Parameters<typeof t.db.system>[0]>[0]) => Promise<T>) =>
      t.db.system(async (conn) => {
        for (const x of tables) await sql`ALTER TABLE ${sql.table(x)} NO FORCE ROW LEVEL SECURITY`.execute(conn);
        const r = await fn(conn);
        for (const x of tables) await sql`ALTER TABLE ${sql.table(x)} FORCE ROW LEVEL SECURITY`.execute(conn);
        return r;
      });
    const match = (qq: { hashes: Buffer[]; groups: number[]; pairs?: Buffer[][] }, o: { withInternal: boolean; within?: typeof within; ordered: boolean; asOwner?: boolean }, way: "pass" | "merge" | "lookups" | "general") => {
      const groupCount = Math.max(...qq.groups) + 1;
      const dfs = qq.hashes.map((h) => byTerm.get(h.toString("hex"))!.size);
      const groupDf = new Array<number>(groupCount).fill(0);
      qq.groups.forEach((g, i) => (groupDf[g]! += dfs[i]!));
      const lead = groupDf.indexOf(Math.min(...groupDf));
      const q = { packed: Buffer.concat(qq.hashes), groups: qq.groups, dfs, groupCount, lead, pairs: qq.pairs };
      expect(q.packed.length).toBe(qq.hashes.length * TERM_BYTES);
      return {
        dense: preferDense(documents, groupDf, lead),
        rows: (o.asOwner ? unforced : <T,>(fn: (db: Parameters<Parameters<typeof t.db.system>[0]>[0]) => Promise<T>) => t.db.tenant(a.tenantId, (tx) => fn(tx.db)))(async (db) => (await sql<{ nice_id: string; score: string }>`SELECT nice_id::text AS nice_id, score::text AS score FROM ${matchingTickets(a.tenantId, q, { ...o, documents, averageLength: 12, way })} m ORDER BY m.nice_id`.execute(db)).rows),
      };
    };
    // `asOwner`: the readers and orders that bring in other conditions (the visibility and a
    // reader's tickets), not all of them again: the tenant conditions are the same in each.
    const compareAll = async (asOwner = false) => {
      let denseChosen = 0;
      let compared = 0;
      const answers: string[] = [];
      for (const withInternal of asOwner ? [false] : [true, false])
        for (const w of [undefined, within])
          for (const ordered of asOwner ? [true] : [false, true])
            for (const qq of queries) {
              // The two widest queries cost as much as all the others together: they are compared
              // for staff over all tickets, in both orders, and in the other cases left out alike.
              if (qq.hashes.length >= wide.length && (asOwner || !withInternal || w)) {
                answers.push("(wide: not compared here)");
                continue;
              }
              const o = { withInternal, within: w, ordered, asOwner };
              const general = await match(qq, o, "general").rows;
              const pass = match(qq, o, "pass");
              if (pass.dense) denseChosen++;
              const others = { pass: await pass.rows, lookups: await match(qq, o, "lookups").rows, merge: await match(qq, o, "merge").rows };
              for (const [way, other] of Object.entries(others)) {
                expect(other.map((r) => r.nice_id), `${way}, query ${queries.indexOf(qq)}, ${JSON.stringify({ withInternal, within: !!w, ordered })}`).toEqual(general.map((r) => r.nice_id));
                other.forEach((r, i) => expect(Math.abs(Number(r.score) - Number(general[i]!.score)), `${r.nice_id}`).toBeLessThanOrEqual(1));
              }
              compared += general.length;
              answers.push(general.map((r) => `${r.nice_id}:${r.score}`).join(" "));
            }
      return { denseChosen, compared, answers };
    };
    const before = await compareAll();
    // The phrases matched some tickets, fewer than their words alone, and the unheld pair none.
    const phrase = (await match(queries.find((x) => x.pairs?.length === 1 && x.groups.length === 1)!, { withInternal: true, ordered: false }, "general").rows).length;
    const words = (await match({ hashes: [terms[0]!], groups: [0] }, { withInternal: true, ordered: false }, "general").rows).length;
    expect(phrase).toBeGreaterThan(0);
    expect(phrase).toBeLessThan(words);
    expect((await match(queries.find((x) => x.pairs?.[0]?.[0]?.equals(Buffer.alloc(TERM_BYTES, 7)))!, { withInternal: true, ordered: false }, "general").rows).length).toBe(0);
    // Both ways were chosen somewhere, and the comparison covered real matches.
    expect(before.denseChosen).toBeGreaterThan(0);
    expect(before.denseChosen).toBeLessThan(queries.length * 8);
    expect(before.compared).toBeGreaterThan(500);
    for (const size of [62, 63]) {
      const many = queries.find((x) => x.groups.length === size && x.hashes.every((h) => h.equals(terms[0]!)))!;
      expect((await match(many, { withInternal: true, ordered: false }, "general").rows).length, `${size} groups`).toBe(byTerm.get(terms[0]!.toString("hex"))!.size);
    }
    const one = async () => (await match(queries[0]!, { withInternal: true, ordered: true }, "pass").rows).map((r) => `${r.nice_id}:${r.score}`);
    const first = await one();
    // Another tenant's index holding the same hashes, for tickets of its own: nothing changes.
    const b = await buildTenant(t, "ftsdenseb");
    const other = await open(b, "Other tenant", "Other words entirely");
    // Under every number this tenant's tickets have (the key is (tenant, term, nice_id): the
    // numbers are the same in both tenants).
    const numbers = [...new Set(rows.map((r) => Number(r.nice_id)))];
    expect(numbers).toContain(other);
    await t.db.tenant(b.tenantId, async (tx) => {
      for (const h of terms.slice(0, 6))
        await sql`INSERT INTO search_postings (tenant_id, term, nice_id, internal, tf) SELECT ${b.tenantId}, ${h}, n, false, 50 FROM unnest(${numbers}::bigint[]) AS n ON CONFLICT (tenant_id, term, nice_id, internal) DO UPDATE SET tf = 50`.execute(tx.db);
      // And every pair the phrases ask for, in both places a pair may be, under every number.
      for (const h of [...pairTerms.slice(0, 6), Buffer.alloc(TERM_BYTES, 7)]) {
        await insertPairRows(tx.db, b.tenantId, numbers.map((n) => ({ term: h, nice_id: n, internal: false, tf: 1 })));
        await sql`INSERT INTO search_postings (tenant_id, term, nice_id, internal, tf) SELECT ${b.tenantId}, ${h}, n, false, 1 FROM unnest(${numbers}::bigint[]) AS n ON CONFLICT DO NOTHING`.execute(tx.db);
      }
    });
    expect(await one()).toEqual(first);
    expect((await compareAll()).compared).toBe(before.compared);
    // The same, with the policies out of the way: each statement's own tenant conditions hold.
    const owner = await match(queries[0]!, { withInternal: true, ordered: true, asOwner: true }, "pass").rows;
    expect(owner.map((r) => `${r.nice_id}:${r.score}`)).toEqual(first);
    const asOwner = await compareAll(true);
    expect(asOwner.compared).toBeGreaterThan(100);
    // The same readers' answers from before, in the same order (withInternal false, ordered true).
    const sameReaders = before.answers.filter((_, k) => {
      const perReader = queries.length;
      const combo = Math.floor(k / perReader); // withInternal (2) × within (2) × ordered (2), in loop order
      return combo === 5 || combo === 7;
    });
    expect(asOwner.answers).toEqual(sameReaders);
    // Heavy: thousands of statements; on a loaded machine it took over a minute (the default limit).
  }, 180_000);

  it("leaves out a ticket whose document row is missing, whichever way matches", async () => {
    // The writer keeps postings and documents together; should they ever part, no way scores a
    // ticket without a length (a NULL score would sort first and break its cursor).
    const { matchingTickets } = await import("../src/modules/search/search-repo.ts");
    const rows = await postings(a);
    const common = [...rows.reduce((m, p) => m.set(Buffer.from(p.term).toString("hex"), (m.get(Buffer.from(p.term).toString("hex")) ?? 0) + 1), new Map<string, number>())].sort((x, y) => y[1] - x[1])[0]!;
    const hits = rows.filter((p) => Buffer.from(p.term).toString("hex") === common[0]).map((p) => String(p.nice_id));
    const victim = hits[0]!;
    const q = { packed: Buffer.from(common[0], "hex"), groups: [0], dfs: [common[1]], groupCount: 1, lead: 0 };
    const ways = ["pass", "lookups", "general"] as const;
    const run = (way: (typeof ways)[number]) =>
      t.db.tenant(a.tenantId, async (tx) => {
        // Inside a transaction that is rolled back: the tenant stays as it was for the other tests.
        await sql`SAVEPOINT s`.execute(tx.db);
        await sql`DELETE FROM search_documents WHERE tenant_id = ${a.tenantId} AND nice_id = ${victim}::bigint`.execute(tx.db);
        const r = (await sql<{ nice_id: string; score: string | null }>`SELECT nice_id::text AS nice_id, score::text AS score FROM ${matchingTickets(a.tenantId, q, { withInternal: true, documents: 24, averageLength: 12, way, ordered: true })} m ORDER BY m.nice_id`.execute(tx.db)).rows;
        await sql`ROLLBACK TO SAVEPOINT s`.execute(tx.db);
        return r;
      });
    for (const way of ways) {
      const r = await run(way);
      expect(r.length, way).toBe(new Set(hits).size - 1);
      expect(r.map((x) => x.nice_id), way).not.toContain(victim);
      expect(r.length, way).toBeGreaterThan(0);
      expect(r.every((x) => x.score !== null), way).toBe(true);
    }
  });

  it("pages through many tied matches without a gap or a repeat, forwards and backwards", async () => {
    // The most frequent word matches most of the tickets (the one pass), six with equal scores.
    const all = await search(a, words[0]!, undefined, "&per_page=100");
    const ranked = all.results.map((x: { id: number }) => x.id);
    expect(ranked.length).toBeGreaterThan(10);
    const walked: number[] = [];
    let after: string | undefined;
    let before: string | undefined;
    for (let i = 0; i < 30; i++) {
      const p = await search(a, words[0]!, undefined, `&page[size]=3${after ? `&page[after]=${after}` : ""}`);
      walked.push(...p.results.map((x: { id: number }) => x.id));
      before = p.meta.before_cursor;
      if (!p.meta.has_more) break;
      after = p.meta.after_cursor;
    }
    expect(walked).toEqual(ranked);
    // Back from the last page to the first.
    const back: number[] = [];
    for (let i = 0; i < 30 && before; i++) {
      const p = await search(a, words[0]!, undefined, `&page[size]=3&page[before]=${before}`);
      back.unshift(...p.results.map((x: { id: number }) => x.id));
      if (!p.meta.has_more) break;
      before = p.meta.before_cursor;
    }
    expect(back).toEqual(ranked.slice(0, back.length));
    expect(back.length).toBe(ranked.length - (ranked.length % 3 === 0 ? 3 : ranked.length % 3));
  });
});

describe("who finds what", () => {
  it("matches internal notes for staff only: an end user's request search never sees them", async () => {
    const a = await buildTenant(t, "ftsnote");
    const email = `fts.customer.${Date.now()}@example.test`;
    const eu = await a.api("POST", "/api/v2/users.json", { user: { name: "Customer", email } });
    const id = await open(a, "Laptop will not boot", "My laptop shows a blinking cursor.", { requester_id: eu.body.user.id });
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Warranty expired, quarantine the zanzibar account", public: false } } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Please try holding the power button." } } })).status).toBe(200);
    // Both words are public; only the note has them side by side (a pair of the note's).
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Customer describes a blinking button", public: false } } })).status).toBe(200);
    const agent = await buildUser(t, a, "agent");
    const light = await buildUser(t, a, "light-agent");
    for (const who of [undefined, { email: agent.email, token: agent.token! }, { email: light.email, token: light.token! }]) {
      expect(await ids(a, "zanzibar", who)).toEqual([id]);
      expect(await ids(a, "warranty laptop", who)).toEqual([id]);
      expect(await ids(a, '"blinking button"', who)).toEqual([id]);
    }
    const s = await signInByMail(t, smtp, a, email);
    const mine = async (q: string) => {
      const r = await asSession(t, a, s, "GET", `/api/v2/requests/search.json?query=${encodeURIComponent(q)}`);
      expect(r.status, r.text).toBe(200);
      return r.body.requests.map((x: { id: number }) => x.id);
    };
    expect(await mine("laptop")).toEqual([id]);
    expect(await mine('"power button"')).toEqual([id]);
    expect(await mine("zanzibar")).toEqual([]);
    expect(await mine("warranty")).toEqual([]);
    expect(await mine("laptop zanzibar")).toEqual([]);
    expect(await mine("blinking button")).toEqual([id]);
    expect(await mine('"blinking button"')).toEqual([]);
    // The same with the ticket's pairs where an index built before 0050 keeps them (the postings).
    await t.db.tenant(a.tenantId, async (tx) => {
      await movePairsToPostings(tx.db, a.tenantId);
    });
    expect(await mine('"blinking button"')).toEqual([]);
    expect(await mine('"power button"')).toEqual([id]);
    expect(await ids(a, '"blinking button"')).toEqual([id]);
    // Another customer's request is not theirs to find; search.json is for staff.
    const other = await open(a, "Laptop fan noisy", "The laptop fan is loud.", { requester: { email: `fts.other.${Date.now()}@example.test`, name: "Other" } });
    expect(await ids(a, "laptop")).toEqual([id, other]);
    expect(await mine("laptop")).toEqual([id]);
    expect((await asSession(t, a, s, "GET", "/api/v2/search.json?query=laptop")).status).toBe(403);
    expect((await asSession(t, a, s, "GET", "/api/v2/requests/search.json?query=status:open")).status).toBe(422);
  });

  it("keeps a within-groups agent to the tickets of their groups", async () => {
    const a = await buildTenant(t, "ftsrole");
    const r = await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Within groups", configuration: { ticket_access: "within-groups" } } });
    expect(r.status, r.text).toBe(201);
    const g = await buildUser(t, a, "agent");
    expect((await a.api("PUT", `/api/v2/users/${g.id}.json`, { user: { custom_role_id: r.body.custom_role.id } })).status).toBe(200);
    const group = async (name: string, members: number[]) => {
      const x = await a.api("POST", "/api/v2/groups.json", { group: { name } });
      for (const m of members) expect((await a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: m, group_id: x.body.group.id } })).status).toBe(201);
      return x.body.group.id as number;
    };
    const mine = await open(a, "Router reboot loop", "The router reboots hourly.", { group_id: await group("Network", [g.id]) });
    const theirs = await open(a, "Router password reset", "Reset the router password.", { group_id: await group("Security", []) });
    const G = { email: g.email, token: g.token! };
    expect(await ids(a, "router")).toEqual([mine, theirs]);
    expect(await ids(a, "router", G)).toEqual([mine]);
    expect(await ids(a, "password router", G)).toEqual([]);
    expect((await a.api("GET", `/api/v2/search/count.json?query=router`, undefined, G)).body.count).toBe(1);
  });

  it("never matches another tenant's tickets: the same words are stored under unrelated hashes", async () => {
    const a = await buildTenant(t, "ftsiso");
    const b = await buildTenant(t, "ftsisob");
    const text = "Quokka firmware update failed";
    const inA = await open(a, text, text);
    const inB = await open(b, text, text);
    expect(await ids(a, "quokka")).toEqual([inA]);
    expect(await ids(b, "quokka")).toEqual([inB]);
    const onlyA = await open(a, "Wombat", "Wombat burrow");
    expect(onlyA).toBeGreaterThan(0);
    expect(await ids(b, "wombat")).toEqual([]);
    const hashesA = new Set((await postings(a)).map((p) => Buffer.from(p.term).toString("hex")));
    const hashesB = (await postings(b)).map((p) => Buffer.from(p.term).toString("hex"));
    expect(hashesB.length).toBeGreaterThan(5);
    expect(hashesB.filter((h) => hashesA.has(h))).toEqual([]);
  });
});

describe("the index follows the content", () => {
  it("forgets a deleted ticket and a renamed subject's old words", async () => {
    const a = await buildTenant(t, "ftslife");
    const keep = await open(a, "Projector flickers", "The projector in room 4 flickers.");
    const gone = await open(a, "Projector lamp", "The projector lamp is dead.");
    expect(await ids(a, "projector")).toEqual([keep, gone]);
    const before = (await postings(a)).length;
    expect((await a.api("DELETE", `/api/v2/tickets/${gone}.json`)).status).toBe(204);
    expect(await ids(a, "projector")).toEqual([keep]);
    expect(await ids(a, "lamp")).toEqual([]);
    const rowsOfGone = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("search_documents").select("ticket_id").execute());
    expect(rowsOfGone).toHaveLength(1);
    expect((await postings(a)).length).toBeLessThan(before);

    expect((await a.api("PUT", `/api/v2/tickets/${keep}.json`, { ticket: { subject: "Beamer flickers" } })).status).toBe(200);
    expect(await ids(a, "beamer")).toEqual([keep]);
    expect(await ids(a, "flickers")).toEqual([keep]);
    // "projector" is still in the first comment; the subject's own occurrence went.
    expect(await ids(a, '"projector flickers"')).toEqual([]);
    expect(await ids(a, '"beamer flickers"')).toEqual([keep]);
    const tfs = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("search_postings").select(["tf"]).execute());
    expect(tfs.every((p) => p.tf > 0)).toBe(true);
  });

  it("forgets a redacted comment's words, everywhere the comment's text was", async () => {
    const a = await buildTenant(t, "ftsredact");
    const id = await open(a, "Card problem", "My card number is 4111-1111 and the secret is hunter2zebra, thanks");
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Note: caller said hunter2zebra twice", html_body: "<p>Note: caller said <b>hunter2zebra</b> twice</p>", public: false } } })).status).toBe(200);
    const comments = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Array<{ id: number }>;
    const [first, note] = comments.map((c) => c.id) as [number, number];
    expect(await ids(a, "hunter2zebra")).toEqual([id]);
    expect(await ids(a, "4111")).toEqual([id]);

    const light = await buildUser(t, a, "light-agent");
    expect((await a.api("PUT", `/api/v2/tickets/${id}/comments/${first}/redact.json`, { text: "hunter2zebra" }, { email: light.email, token: light.token! })).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/tickets/${id}/comments/999999/redact.json`, { text: "hunter2zebra" })).status).toBe(404);
    expect((await a.api("PUT", `/api/v2/tickets/${id}/comments/${first}/redact.json`, { text: "  " })).status).toBe(422);

    const r1 = await a.api("PUT", `/api/v2/tickets/${id}/comments/${first}/redact.json`, { text: "hunter2zebra" });
    expect(r1.status, r1.text).toBe(200);
    expect(r1.body.comment.body).toBe("My card number is 4111-1111 and the secret is ▇▇▇▇▇▇▇▇▇▇▇▇, thanks");
    // The note still holds the word (staff find it); then it goes from the note too.
    expect(await ids(a, "hunter2zebra")).toEqual([id]);
    const r2 = await a.api("PUT", `/api/v2/tickets/${id}/comments/${note}/redact.json`, { text: "hunter2zebra" });
    expect(r2.body.comment.html_body).toBe("<p>Note: caller said <b>▇▇▇▇▇▇▇▇▇▇▇▇</b> twice</p>");
    expect(await ids(a, "hunter2zebra")).toEqual([]);
    expect(await ids(a, "4111 card")).toEqual([id]);
    expect(await ids(a, "caller twice")).toEqual([id]);
    // Nowhere else either: the description, the comments, the ticket audits.
    const shown = await a.api("GET", `/api/v2/tickets/${id}.json`);
    expect(shown.body.ticket.description).not.toContain("hunter2zebra");
    expect((await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).text).not.toContain("hunter2zebra");
    expect((await a.api("GET", `/api/v2/tickets/${id}/audits.json`)).text).not.toContain("hunter2zebra");
    // Text the comment does not hold changes nothing.
    const same = await a.api("PUT", `/api/v2/tickets/${id}/comments/${first}/redact.json`, { text: "not there" });
    expect([same.status, same.body.comment.body]).toEqual([200, r1.body.comment.body]);
    const tfs = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("search_postings").select(["tf"]).execute());
    expect(tfs.every((p) => p.tf > 0)).toBe(true);
  });

  it("redacting the first comment marks the text in the subject too: the ticket, its Create event, renames' values and previous values, the index", async () => {
    const a = await buildTenant(t, "ftsredsubj");
    const id = await open(a, "Refund for Quimbly Oxhart", "Hello, Quimbly Oxhart here: my refund never came.");
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { subject: "Refund for Quimbly Oxhart (urgent)", comment: { body: "Looking into it", public: true } } })).status).toBe(200);
    const [first, reply] = ((await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Array<{ id: number }>).map((c) => c.id) as [number, number];
    expect(await ids(a, "quimbly")).toEqual([id]);
    const audits = async () => (await a.api("GET", `/api/v2/tickets/${id}/audits.json`)).text;
    expect(await audits()).toContain("Refund for Quimbly Oxhart (urgent)");

    // A later comment does not reach the subject: it does not hold the text, so nothing changes.
    const later = await a.api("PUT", `/api/v2/tickets/${id}/comments/${reply}/redact.json`, { text: "Quimbly" });
    expect([later.status, later.body.comment.body]).toEqual([200, "Looking into it"]);
    expect((await a.api("GET", `/api/v2/tickets/${id}.json`)).body.ticket.subject).toBe("Refund for Quimbly Oxhart (urgent)");

    const r = await a.api("PUT", `/api/v2/tickets/${id}/comments/${first}/redact.json`, { text: "Quimbly Oxhart" });
    expect(r.status, r.text).toBe(200);
    expect(r.body.comment.body).toBe("Hello, ▇▇▇▇▇▇▇▇▇▇▇▇▇▇ here: my refund never came.");
    const shown = (await a.api("GET", `/api/v2/tickets/${id}.json`)).body.ticket;
    expect([shown.subject, shown.raw_subject]).toEqual(["Refund for ▇▇▇▇▇▇▇▇▇▇▇▇▇▇ (urgent)", "Refund for ▇▇▇▇▇▇▇▇▇▇▇▇▇▇ (urgent)"]);
    const after = await audits();
    expect(after).not.toContain("Quimbly");
    const events = ((await a.api("GET", `/api/v2/tickets/${id}/audits.json`)).body.audits as Array<{ events: Array<Record<string, unknown>> }>).flatMap((x) => x.events).filter((e) => e.field_name === "subject");
    expect(events.map((e) => [e.type, e.value, e.previous_value ?? null])).toEqual([
      ["Create", "Refund for ▇▇▇▇▇▇▇▇▇▇▇▇▇▇", null],
      ["Change", "Refund for ▇▇▇▇▇▇▇▇▇▇▇▇▇▇ (urgent)", "Refund for ▇▇▇▇▇▇▇▇▇▇▇▇▇▇"],
    ]);
    const start = Math.floor(Date.now() / 1000) - 3600;
    const exported = await a.api("GET", `/api/v2/incremental/ticket_events.json?start_time=${start}&include=comment_events`);
    expect(exported.status, exported.text).toBe(200);
    expect(exported.text).not.toContain("Quimbly");
    expect(await ids(a, "quimbly")).toEqual([]);
    expect(await ids(a, "oxhart")).toEqual([]);
    expect(await ids(a, "refund urgent")).toEqual([id]);
    // One audit-trail entry for the redaction that changed something, naming both fields.
    const trail = ((await a.api("GET", `/api/v2/audit_logs.json?filter[source_type]=ticket&filter[source_id]=${id}`)).body.audit_logs as Array<{ action: string; changed_fields: string[] }>).filter((x) => x.action === "comment.redacted");
    expect(trail.map((x) => x.changed_fields)).toEqual([["comment", "subject"]]);

    // Text in the subject only: redacting the first comment takes it from the subject.
    const only = await open(a, "Invoice 7731 for Zorvela", "Please send the invoice again.");
    const c1 = (await a.api("GET", `/api/v2/tickets/${only}/comments.json`)).body.comments[0].id as number;
    const o = await a.api("PUT", `/api/v2/tickets/${only}/comments/${c1}/redact.json`, { text: "Zorvela" });
    expect([o.status, o.body.comment.body]).toEqual([200, "Please send the invoice again."]);
    expect((await a.api("GET", `/api/v2/tickets/${only}.json`)).body.ticket.subject).toBe("Invoice 7731 for ▇▇▇▇▇▇▇");
    expect(await ids(a, "zorvela")).toEqual([]);
    expect(await ids(a, "invoice 7731")).toEqual([only]);

    // A subject taken from the first line (none given) is taken again from the redacted text, so a
    // cut at 80 characters keeps no start of it.
    const cut = await a.api("POST", "/api/v2/tickets.json", { ticket: { comment: { body: `${"x".repeat(74)} Pelmora Zantic wants a refund` } } });
    expect(cut.body.ticket.subject).toBe(`${"x".repeat(74)} Pelmo`);
    const cutFirst = (await a.api("GET", `/api/v2/tickets/${cut.body.ticket.id}/comments.json`)).body.comments[0].id as number;
    expect((await a.api("PUT", `/api/v2/tickets/${cut.body.ticket.id}/comments/${cutFirst}/redact.json`, { text: "Pelmora Zantic" })).status).toBe(200);
    expect((await a.api("GET", `/api/v2/tickets/${cut.body.ticket.id}.json`)).body.ticket.subject).toBe(`${"x".repeat(74)} ▇▇▇▇▇`);
    expect((await a.api("GET", `/api/v2/tickets/${cut.body.ticket.id}/audits.json`)).text).not.toContain("Pelmo");
    // An emoji at the cut stays whole.
    const emoji = await a.api("POST", "/api/v2/tickets.json", { ticket: { comment: { body: `${"y".repeat(79)}\u{1F600} and more` } } });
    expect(emoji.body.ticket.subject).toBe(`${"y".repeat(79)}\u{1F600}`);

    // Accents written decomposed in the subject (as mail often sends them), composed in the body
    // and in the text to redact: both are found.
    const nfd = await open(a, "Refund for Zoe\u0308 Vantrell", "Hello, Zo\u00eb Vantrell here.");
    const nfdFirst = (await a.api("GET", `/api/v2/tickets/${nfd}/comments.json`)).body.comments[0].id as number;
    const n = await a.api("PUT", `/api/v2/tickets/${nfd}/comments/${nfdFirst}/redact.json`, { text: "Zo\u00eb Vantrell" });
    expect(n.body.comment.body).toBe("Hello, ▇▇▇▇▇▇▇▇▇▇▇▇ here.");
    expect((await a.api("GET", `/api/v2/tickets/${nfd}.json`)).body.ticket.subject).not.toContain("Vantrell");
    expect(await ids(a, "vantrell")).toEqual([]);

    const tfs = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("search_postings").select(["tf"]).execute());
    expect(tfs.every((p) => p.tf > 0)).toBe(true);
  });

  it("keeps phrase pairs by ticket, still reads pairs indexed among the postings before 0050, and never another tenant's", async () => {
    const a = await buildTenant(t, "ftspairs");
    const b = await buildTenant(t, "ftspairs2");
    const id = await open(a, "Toner smudge", "The toner cartridge leaves a smudge on every page.");
    const apart = await open(a, "Cartridge", "Every toner we ordered, and the cartridge itself, was fine.");
    const pairsOf = (x: TestTenant) => t.db.tenant(x.tenantId, (tx) => readPairs(tx.db));
    const before = await pairsOf(a);
    expect(before.length).toBeGreaterThan(10);
    expect(new Set(before.map((p) => Number(p.nice_id)))).toEqual(new Set([id, apart]));
    // No pair is among the postings: a posting's hash is a word's or a character pair's.
    const postingTerms = new Set((await postings(a)).map((p) => Buffer.from(p.term).toString("hex")));
    expect(before.some((p) => postingTerms.has(Buffer.from(p.term).toString("hex")))).toBe(false);
    // Each write's pairs lie in the order of their hashes, never of the text (which keyed pair
    // follows which would be readable from the stored bytes).
    const setValues = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("search_pair_sets").select("pairs").execute());
    expect(setValues.length).toBe(2);
    for (const v of setValues) {
      const hashes = Array.from({ length: v.pairs.length / 16 }, (_, i) => Buffer.from(v.pairs.subarray(i * 16, (i + 1) * 16)));
      expect(hashes.length).toBeGreaterThan(5);
      expect(hashes.map((h) => h.toString("hex"))).toEqual(hashes.map((h) => h.toString("hex")).sort());
    }
    expect(await ids(a, '"toner cartridge"')).toEqual([id]);
    expect(await ids(a, "toner cartridge")).toEqual([id, apart]);
    expect(await count(a, '"toner cartridge"')).toBe(1);

    // Another tenant holding the very same hashes under the same ticket numbers changes nothing.
    await t.db.tenant(b.tenantId, (tx) => insertPairRows(tx.db, b.tenantId, before.map((p) => ({ ...p, nice_id: Number(p.nice_id) === id ? apart : id }))));
    expect(await ids(a, '"toner cartridge"')).toEqual([id]);
    expect(await ids(a, '"cartridge leaves"')).toEqual([id]);

    // Indexed before 0050: the ticket's pairs among its postings instead, as the migration leaves them.
    await t.db.tenant(a.tenantId, async (tx) => {
      await movePairsToPostings(tx.db, a.tenantId);
    });
    expect(await pairsOf(a)).toEqual([]);
    expect(await ids(a, '"toner cartridge"')).toEqual([id]);
    expect(await ids(a, '"cartridge toner"')).toEqual([]);
    expect(await count(a, '"toner smudge"')).toBe(1);
    // Changing the subject takes its pairs out of the postings as well; the new subject's go to search_pair_sets.
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { subject: "Printer streaks" } })).status).toBe(200);
    expect(await ids(a, '"toner smudge"')).toEqual([]);
    expect(await ids(a, '"printer streaks"')).toEqual([id]);
    expect(await ids(a, '"toner cartridge"')).toEqual([id]);
    expect((await pairsOf(a)).every((p) => Number(p.nice_id) === id && p.tf > 0)).toBe(true);
    expect((await pairsOf(a)).length).toBeGreaterThan(0);
    // Deleting the ticket takes every row of it, in both tables.
    expect((await a.api("DELETE", `/api/v2/tickets/${id}.json`)).status).toBe(204);
    expect((await pairsOf(a)).filter((p) => Number(p.nice_id) === id)).toEqual([]);
    expect((await postings(a)).filter((p) => Number(p.nice_id) === id)).toEqual([]);
    expect(await ids(a, '"toner cartridge"')).toEqual([]);
    // The other tenant's copies are its own, untouched.
    expect((await pairsOf(b)).length).toBe(before.length);
  });

  it("takes a removed text's pair only from where that text put it: its visibility, and search_pair_sets before the old postings", async () => {
    const a = await buildTenant(t, "ftspairs3");
    const id = await open(a, "Login trouble", "Please reset password for me.");
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Agent will reset password today", public: false } } })).status).toBe(200);
    const comments = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Array<{ id: number }>;
    // The note's pair goes; the description's public one of the same hash stays.
    expect((await a.api("PUT", `/api/v2/tickets/${id}/comments/${comments[1]!.id}/redact.json`, { text: "reset password" })).status).toBe(200);
    expect(await ids(a, '"reset password"')).toEqual([id]);
    const email = `fts.pairs3.${Date.now()}@example.test`;
    const eu = await a.api("POST", "/api/v2/users.json", { user: { name: "Pairs Customer", email } });
    // Indexed before 0050: the description's pairs among the postings; a newer comment repeats
    // the phrase (search_pair_sets). Redacting the comment leaves the description's.
    const old = await open(a, "Printer jam", "The toner cartridge is empty.", { requester_id: eu.body.user.id });
    await t.db.tenant(a.tenantId, async (tx) => {
      await movePairsToPostings(tx.db, a.tenantId, sql`s.nice_id = ${old}`);
    });
    expect((await a.api("PUT", `/api/v2/tickets/${old}.json`, { ticket: { comment: { body: "A new toner cartridge is on its way" } } })).status).toBe(200);
    const oc = (await a.api("GET", `/api/v2/tickets/${old}/comments.json`)).body.comments as Array<{ id: number }>;
    expect((await a.api("PUT", `/api/v2/tickets/${old}/comments/${oc[1]!.id}/redact.json`, { text: "toner cartridge" })).status).toBe(200);
    expect(await ids(a, '"toner cartridge"')).toEqual([old]);
    // Then the description's goes too (from the postings), and the phrase with it.
    expect((await a.api("PUT", `/api/v2/tickets/${old}/comments/${oc[0]!.id}/redact.json`, { text: "toner cartridge" })).status).toBe(200);
    expect(await ids(a, '"toner cartridge"')).toEqual([]);
    const left = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT (SELECT count(*) FROM search_pair_sets WHERE nice_id = ${old})::int + (SELECT count(*) FROM search_postings WHERE nice_id = ${old})::int AS n`.execute(tx.db)).rows[0]!.n);
    expect(left).toBeGreaterThan(0);
  });

  it("ranks a phrase's tickets as its words would rank them", async () => {
    const a = await buildTenant(t, "ftspairs4");
    const x = await open(a, "Router reboot", "The router reboot loop again: router reboot, router reboot.");
    const y = await open(a, "Router", "After a router reboot the office was offline for a long while and nobody noticed until noon.");
    const z = await open(a, "Network", "Router reboot fixed it.");
    await open(a, "Reboot", "The router is fine; a reboot of the laptop did it.");
    const ordered = async (q: string) => (await search(a, q)).results.map((r: { id: number }) => r.id) as number[];
    const phrase = await ordered('"router reboot"');
    expect([...phrase].sort((p, q) => p - q)).toEqual([x, y, z]);
    expect(phrase).toEqual((await ordered("router reboot")).filter((i) => phrase.includes(i)));
    expect(phrase[0]).toBe(x);
  });

  it("indexes what bulk jobs write, like any other write", async () => {
    const a = await buildTenant(t, "ftsbulk");
    const job = await a.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "Scanner jammed", comment: { body: "Bulk one" } }, { subject: "Scanner offline", comment: { body: "Bulk two" } }] });
    expect(job.status, job.text).toBe(200);
    expect((await waitForJob(a, job.body.job_status.id)).status).toBe("completed");
    const found = await ids(a, "scanner");
    expect(found).toHaveLength(2);
    const upd = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${found.join(",")}`, { ticket: { comment: { body: "Firmware flashed by the nightly job", public: false } } });
    expect((await waitForJob(a, upd.body.job_status.id)).status).toBe("completed");
    expect(await ids(a, "firmware nightly")).toEqual(found);
  });

  it("indexes comments added later, public and internal", async () => {
    const a = await buildTenant(t, "ftslater");
    const id = await open(a, "Monitor", "Screen stays black.");
    expect(await ids(a, "hdmi")).toEqual([]);
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Tried another HDMI cable." } } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Ordered a displayport adapter", public: false } } })).status).toBe(200);
    expect(await ids(a, "hdmi cable")).toEqual([id]);
    expect(await ids(a, "displayport")).toEqual([id]);
  });
});

describe("crafted queries", () => {
  it("never reach SQL as text: odd queries answer 200 or a clear 4xx, never 500, and change nothing", async () => {
    const a = await buildTenant(t, "ftsfuzz");
    const id = await open(a, "Keyboard", "Keys stick.");
    const crafted = [
      "'; DROP TABLE tickets; --", '"; DELETE FROM search_postings; --', "\\x00\\' OR 1=1", "$1 $2::bytea", "%_%", "\\", '"', '""', '"""', "-", "--", "-\"x\"",
      "a".repeat(999), "印".repeat(400), "프".repeat(2) + " " + "z ".repeat(300), "é\u0301\u0301", "\u{1F5A8}\u{FE0F} printer", "ＳＥＬＥＣＴ", "status:open 'x'", "tags:\"a b\" \"c d\"",
      "subject:keyboard", "keyboard:", ":keyboard", "k*", "(keys OR stick)", "ключ", "ﷺ", "\u200b\u200d", "ｋｅｙｓ",
    ];
    for (const q of crafted) {
      const r = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`);
      expect(r.status, q).toBeLessThan(500);
      if (r.status >= 400) expect(typeof r.body.error, q).toBe("string");
      const c = await a.api("GET", `/api/v2/search/count.json?query=${encodeURIComponent(q)}`);
      expect(c.status, q).toBeLessThan(500);
    }
    expect(await ids(a, "keys")).toEqual([id]);
    expect((await postings(a)).length).toBeGreaterThan(0);
    // A long paragraph is refused with a reason rather than run.
    const long = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(Array.from({ length: 60 }, (_, i) => `w${i}`).join(" "))}`);
    expect(long.status).toBe(422);
    expect(long.text).toMatch(/too many words/);
  });
});
