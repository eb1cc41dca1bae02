import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Upgrading a database whose search index was written before 0049 (postings keyed by the ticket's
 * uuid): the migration moves every posting to its ticket's nice_id and gives each document its
 * nice_id, with nothing lost, nothing added and no other tenant's rows touched, and search answers
 * exactly as before; writes after it index and forget as they should.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function open(a: TestTenant, subject: string, body: string, note?: string): Promise<number> {
  const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body } } });
  expect(r.status, r.text).toBe(201);
  const id = r.body.ticket.id as number;
  if (note) expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: note, public: false } } })).status).toBe(200);
  return id;
}

/** Every index row of every tenant, as text, in a stable order (read as the owner, past row-level security). */
async function indexRows() {
  return t.db.system(async (conn) => {
    for (const table of ["tickets", "search_postings", "search_documents"]) await sql`ALTER TABLE ${sql.table(table)} NO FORCE ROW LEVEL SECURITY`.execute(conn);
    const p = await sql<{ r: string }>`
      SELECT concat_ws(' ', p.tenant_id, encode(p.term, 'hex'), t.id, p.internal, p.tf) AS r
      FROM search_postings p JOIN tickets t ON t.tenant_id = p.tenant_id AND t.nice_id = p.nice_id ORDER BY 1`.execute(conn);
    const d = await sql<{ r: string }>`SELECT concat_ws(' ', tenant_id, ticket_id, nice_id, internal, length) AS r FROM search_documents ORDER BY 1`.execute(conn);
    const n = await sql<{ n: string }>`SELECT count(*)::text AS n FROM search_postings`.execute(conn);
    for (const table of ["tickets", "search_postings", "search_documents"]) await sql`ALTER TABLE ${sql.table(table)} FORCE ROW LEVEL SECURITY`.execute(conn);
    return { postings: p.rows.map((x) => x.r), documents: d.rows.map((x) => x.r), count: Number(n.rows[0]!.n) };
  });
}

/** A table of tenant rows as the migrations make one: row-level security forced, the tenant policy, the application's grants. */
const tenantTable = (table: string) => [
  sql`ALTER TABLE ${sql.table(table)} ENABLE ROW LEVEL SECURITY`,
  sql`ALTER TABLE ${sql.table(table)} FORCE ROW LEVEL SECURITY`,
  sql`CREATE POLICY tenant_isolation ON ${sql.table(table)} USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())`,
  sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ${sql.table(table)} TO vaultdesk_app`,
];

/** Puts the search index back in its 0048 shape (postings keyed by ticket uuid, documents without nice_id, no nice_id trigger) and forgets 0049 and 0052. */
async function downgradeTo0048() {
  await t.db.system(async (conn) => {
    for (const s of [
      sql`ALTER TABLE tickets NO FORCE ROW LEVEL SECURITY`,
      sql`ALTER TABLE search_postings NO FORCE ROW LEVEL SECURITY`,
      sql`ALTER TABLE search_documents NO FORCE ROW LEVEL SECURITY`,
      sql`CREATE TABLE search_postings_old (tenant_id uuid NOT NULL, term bytea NOT NULL CHECK (octet_length(term) = 16), ticket_id uuid NOT NULL, internal boolean NOT NULL, tf integer NOT NULL CHECK (tf > 0))`,
      sql`INSERT INTO search_postings_old SELECT p.tenant_id, p.term, t.id, p.internal, p.tf FROM search_postings p JOIN tickets t ON t.tenant_id = p.tenant_id AND t.nice_id = p.nice_id`,
      sql`DROP TABLE search_postings`,
      sql`ALTER TABLE search_postings_old RENAME TO search_postings`,
      sql`ALTER TABLE search_postings ADD CONSTRAINT search_postings_pkey PRIMARY KEY (tenant_id, term, ticket_id, internal) INCLUDE (tf)`,
      sql`CREATE INDEX search_postings_ticket ON search_postings (tenant_id, ticket_id)`,
      ...tenantTable("search_postings"),
      sql`DROP INDEX search_documents_nice`,
      sql`ALTER TABLE search_documents DROP COLUMN nice_id`,
      sql`ALTER TABLE search_documents FORCE ROW LEVEL SECURITY`,
      sql`ALTER TABLE tickets FORCE ROW LEVEL SECURITY`,
      sql`DROP TRIGGER tickets_nice_id_fixed ON tickets`,
      sql`DROP FUNCTION vd_refuse_nice_id_change()`,
      sql`DELETE FROM vd_migrations WHERE name = '0049_search_postings_nice_id.sql'`,
      // 0052's column went with the table above: 0049 makes it again without, and 0052 adds it.
      sql`DELETE FROM vd_migrations WHERE name = '0052_search_postings_len.sql'`,
    ])
      await s.execute(conn);
  });
}

describe("upgrading a search index written before 0049", () => {
  it("keys every posting by its ticket's nice_id, loses nothing, and searches exactly as before", async () => {
    const a = await buildTenant(t, "upga");
    const b = await buildTenant(t, "upgb");
    // Tenant B first: its tickets' nice_ids are the same numbers as A's (both start at 1).
    await open(b, "Printer jams on the second floor", "The printer jams again");
    await open(b, "Kvittot saknas", "Jag fick inget kvitto");
    await open(b, "Refund request", "Please refund my order");
    await open(b, "Refund again", "Still no refund for my order");
    await open(a, "Printer jams on the second floor", "The printer jammed twice; paper stuck in tray two", "Internal: vendor contract 88-A");
    await open(a, "Kvittot saknas", "Jag fick inget kvitto för min beställning");
    await open(a, "ログインできません", "パスワードを忘れました。ログイン画面が表示されません。");
    const gone = await open(a, "Refund request for order 1234", "Please refund my order, the parcel never came");
    await open(a, "Printer toner empty", "The printer says toner is empty");
    const queries = ["printer", "jammed", '"paper stuck"', "kvitto", "ログイン", "refund order", "vendor contract", "printer status<solved"];
    const answers = async (x: TestTenant) => {
      const out: string[] = [];
      for (const q of queries) {
        const r = await x.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`);
        expect(r.status, r.text).toBe(200);
        out.push(`${q}: ${r.body.results.map((h: { id: number }) => h.id).join(",")}`);
      }
      return out;
    };
    const beforeA = await answers(a);
    const beforeB = await answers(b);
    // Real matches on both sides: an empty answer would compare equal to a broken index.
    expect(beforeA.filter((s) => /: \d/.test(s)).length).toBe(queries.length);
    expect(beforeB.find((s) => s.startsWith("printer:"))).toMatch(/: \d/);
    const rows = await indexRows();
    expect(rows.count).toBeGreaterThan(50);
    expect(rows.postings.length).toBe(rows.count);

    await downgradeTo0048();
    // A posting whose ticket is gone (never written so; a damaged old index): the migration drops
    // it and nothing else.
    await t.db.system(async (conn) => {
      await sql`ALTER TABLE search_postings NO FORCE ROW LEVEL SECURITY`.execute(conn);
      await sql`INSERT INTO search_postings (tenant_id, term, ticket_id, internal, tf) VALUES (${a.tenantId}, ${Buffer.alloc(16, 9)}, ${crypto.randomUUID()}, false, 1)`.execute(conn);
      await sql`ALTER TABLE search_postings FORCE ROW LEVEL SECURITY`.execute(conn);
    });
    const migrated = await t.db.migrate();
    expect(migrated).toEqual(["0049_search_postings_nice_id.sql", "0052_search_postings_len.sql"]);

    expect(await indexRows()).toEqual(rows);
    expect(await answers(a)).toEqual(beforeA);
    expect(await answers(b)).toEqual(beforeB);

    // Writes after the upgrade: a new ticket is found, a deleted one forgotten with all its rows.
    const fresh = await open(a, "Printer smells of smoke", "The printer smells of burning plastic");
    expect((await a.api("GET", `/api/v2/search.json?query=smoke`)).body.results.map((h: { id: number }) => h.id)).toEqual([fresh]);
    expect((await a.api("DELETE", `/api/v2/tickets/${gone}.json`)).status).toBe(204);
    expect((await a.api("GET", `/api/v2/search.json?query=refund`)).body.results).toEqual([]);
    const left = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("search_postings").select("nice_id").where("nice_id", "=", gone).execute());
    expect(left).toEqual([]);
    // Tenant B's rows for its own ticket of that number stay, and B still finds its refunds.
    const bRows = await t.db.tenant(b.tenantId, (tx) => tx.db.selectFrom("search_postings").select("nice_id").where("nice_id", "=", gone).execute());
    expect(bRows.length).toBeGreaterThan(0);
    expect((await b.api("GET", `/api/v2/search.json?query=refund`)).body.results.length).toBe(2);
  });
});

/** Every phrase pair of every tenant, one row per ticket, visibility and hash with its count (as the owner, past row-level security). */
async function pairRowsAll(table: "search_pair_sets" | "search_pairs"): Promise<string[]> {
  return t.db.system(async (conn) => {
    await sql`ALTER TABLE ${sql.table(table)} NO FORCE ROW LEVEL SECURITY`.execute(conn);
    const r =
      table === "search_pairs"
        ? await sql<{ r: string }>`SELECT concat_ws(' ', tenant_id, nice_id, internal, encode(term, 'hex'), tf) AS r FROM search_pairs ORDER BY 1`.execute(conn)
        : await sql<{ r: string }>`
            SELECT concat_ws(' ', s.tenant_id, s.nice_id, s.internal, encode(substring(s.pairs FROM i * 16 + 1 FOR 16), 'hex'), count(*)) AS r
            FROM search_pair_sets s CROSS JOIN LATERAL generate_series(0, octet_length(s.pairs) / 16 - 1) AS i
            GROUP BY s.tenant_id, s.nice_id, s.internal, substring(s.pairs FROM i * 16 + 1 FOR 16) ORDER BY 1`.execute(conn);
    await sql`ALTER TABLE ${sql.table(table)} FORCE ROW LEVEL SECURITY`.execute(conn);
    return r.rows.map((x) => x.r);
  });
}

/** Puts the phrase pairs back in their 0050 shape (a row a pair, with its count) and forgets 0051. */
async function downgradeTo0050() {
  await t.db.system(async (conn) => {
    for (const s of [
      sql`ALTER TABLE search_pair_sets NO FORCE ROW LEVEL SECURITY`,
      sql`CREATE TABLE search_pairs (tenant_id uuid NOT NULL, nice_id bigint NOT NULL, term bytea NOT NULL CHECK (octet_length(term) = 16), internal boolean NOT NULL, tf integer NOT NULL CHECK (tf > 0), CONSTRAINT search_pairs_pkey PRIMARY KEY (tenant_id, nice_id, term, internal))`,
      sql`INSERT INTO search_pairs SELECT s.tenant_id, s.nice_id, substring(s.pairs FROM i * 16 + 1 FOR 16), s.internal, count(*)
          FROM search_pair_sets s CROSS JOIN LATERAL generate_series(0, octet_length(s.pairs) / 16 - 1) AS i
          GROUP BY s.tenant_id, s.nice_id, substring(s.pairs FROM i * 16 + 1 FOR 16), s.internal`,
      sql`DROP TABLE search_pair_sets`,
      ...tenantTable("search_pairs"),
      sql`DELETE FROM vd_migrations WHERE name = '0051_search_pair_sets.sql'`,
    ])
      await s.execute(conn);
  });
}

describe("upgrading phrase pairs written by 0050 (a row a pair)", () => {
  it("gathers each document's pairs into one row, counts kept, and phrases answer exactly as before; later removals stay exact", async () => {
    const a = await buildTenant(t, "upgpa");
    const b = await buildTenant(t, "upgpb");
    await open(b, "Toner cartridge empty", "The toner cartridge is empty again");
    // A pair held twice in one document (the subject and the description), and in a note.
    const twice = await open(a, "Toner cartridge empty", "The toner cartridge is empty, the toner cartridge light blinks", "Order a toner cartridge today");
    const other = await open(a, "Paper jam in tray two", "Paper jam again in tray two");
    expect((await a.api("PUT", `/api/v2/tickets/${other}.json`, { ticket: { comment: { body: "The paper jam is cleared", public: true } } })).status).toBe(200);
    const queries = ['"toner cartridge"', '"paper jam"', '"tray two"', '"cartridge light"', '"order a toner"', '"cartridge toner"'];
    const answers = async (x: TestTenant) => {
      const out: string[] = [];
      for (const q of queries) {
        const r = await x.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`);
        expect(r.status, r.text).toBe(200);
        out.push(`${q}: ${r.body.results.map((h: { id: number }) => h.id).join(",")}`);
      }
      return out;
    };
    const beforeA = await answers(a);
    const beforeB = await answers(b);
    expect(beforeA).toEqual([`"toner cartridge": ${twice}`, `"paper jam": ${other}`, `"tray two": ${other}`, `"cartridge light": ${twice}`, `"order a toner": ${twice}`, `"cartridge toner": `]);
    // A row a write: the create's, the note's, and the later comment's.
    const setRows = async () => t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM search_pair_sets`.execute(tx.db)).rows[0]!.n);
    expect(await setRows()).toBe(4);
    const pairs = await pairRowsAll("search_pair_sets");
    // Counts above one are there to keep: the subject's and the description's "toner cartridge".
    expect(pairs.some((r) => r.startsWith(`${a.tenantId} ${twice} f `) && / [3-9]$/.test(r))).toBe(true);

    await downgradeTo0050();
    expect(await pairRowsAll("search_pairs")).toEqual(pairs);
    expect(await t.db.migrate()).toContain("0051_search_pair_sets.sql");
    expect(await pairRowsAll("search_pair_sets")).toEqual(pairs);
    // One row per document now: each ticket's public pairs and its note's.
    expect(await setRows()).toBe(3);
    expect(await answers(a)).toEqual(beforeA);
    expect(await answers(b)).toEqual(beforeB);

    // A rename takes the old subject's pairs out of the gathered row and leaves the description's.
    expect((await a.api("PUT", `/api/v2/tickets/${twice}.json`, { ticket: { subject: "Printer light blinks" } })).status).toBe(200);
    const q = async (x: string) => (await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(x)}`)).body.results.map((h: { id: number }) => h.id);
    expect(await q('"toner cartridge"')).toEqual([twice]);
    expect(await q('"cartridge empty"')).toEqual([]);
    expect(await q('"printer light"')).toEqual([twice]);
    // Redacting the description's phrase leaves the note's for staff; redacting the note's too, none.
    const comments = (await a.api("GET", `/api/v2/tickets/${twice}/comments.json`)).body.comments as Array<{ id: number }>;
    expect((await a.api("PUT", `/api/v2/tickets/${twice}/comments/${comments[0]!.id}/redact.json`, { text: "toner cartridge" })).status).toBe(200);
    expect(await q('"toner cartridge"')).toEqual([twice]);
    expect(await q('"cartridge light"')).toEqual([]);
    expect((await a.api("PUT", `/api/v2/tickets/${twice}/comments/${comments[1]!.id}/redact.json`, { text: "toner cartridge" })).status).toBe(200);
    expect(await q('"toner cartridge"')).toEqual([]);
    // Tenant B's copy of the same words is its own.
    expect((await b.api("GET", `/api/v2/search.json?query=${encodeURIComponent('"toner cartridge"')}`)).body.results).toHaveLength(1);
  });
});
