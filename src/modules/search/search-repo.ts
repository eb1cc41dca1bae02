import { sql, type Expression, type RawBuilder } from "kysely";
import { ADVISORY_LOCK, PLAN_PER_EXECUTION, type TenantTx } from "../../platform/db/database.ts";

/**
 * SQL for the search index (0033_search_index.sql). Terms arrive as 16-byte hashes packed into one
 * bytea with their counts in an int[]: each text is one statement however many terms it has, and
 * the statement's parameters are the same few whatever the text (no term is ever spliced in).
 */

export const TERM_BYTES = 16;

/** Hashes with their counts: `packed` holds `tfs.length` hashes of TERM_BYTES each. */
export type PackedList = { packed: Buffer; tfs: number[] };

/**
 * Terms of one text, hashed: its words and CJK character pairs (postings, keyed by term) and its
 * phrase pairs (`pairs`: search_pair_sets, a row a text, keyed by ticket; 0051), and its length.
 */
export type PackedTerms = PackedList & { pairs: PackedList; length: number };

const unpacked = (p: PackedList) =>
  sql`SELECT substring(${p.packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term, (${p.tfs}::int[])[i + 1] AS tf FROM generate_series(0, ${p.tfs.length - 1}) AS i`;

/**
 * The ticket's nice_id, the key of its postings (0049): one lookup of its row by id. None for a
 * ticket in the trash, which has no entries (its deletion removed them; its restore adds them all
 * again): a write to it meanwhile (an erasure blanking a comment of its) leaves the index alone.
 */
const niceIdOf = (tx: TenantTx, ticketId: string) => sql`SELECT nice_id FROM tickets WHERE tenant_id = ${tx.tenantId} AND id = ${ticketId} AND deleted_at IS NULL`;

/**
 * A text's pairs as one search_pair_sets value: each hash as many times as the text holds the
 * pair, side by side (0051_search_pair_sets.sql).
 */
export function pairSet(p: PackedList): Buffer {
  const parts: Buffer[] = [];
  p.tfs.forEach((tf, i) => {
    const h = p.packed.subarray(i * TERM_BYTES, (i + 1) * TERM_BYTES);
    for (let k = 0; k < tf; k++) parts.push(h);
  });
  return Buffer.concat(parts);
}

/**
 * Adds a text's terms to a ticket's document of that visibility (counts add up), and its length;
 * its pairs as a row of their own (one row however many pairs: 0051).
 *
 * A document's first write (a new ticket, a ticket's first internal note) inserts its postings
 * plainly: no posting of a document outlives it (removeTickets deletes both), so none can be in the
 * way. Every later write adds to the counts with ON CONFLICT, whose speculative insertion costs each
 * posting a second descent of the primary key and a WAL record of its own.
 * `xmax = 0` on the document's returned row tells an insert from ON CONFLICT's update (the
 * updated version carries its updater's transaction id). A concurrent first write to the same
 * document waits on its key and then sees the conflict, so it is never taken for a first one.
 */
/**
 * Most a posting's `tf` and a document's `length` hold (int4's largest): a write that would go past
 * it leaves the count there (saturated) rather than failing, and a removal leaves a saturated count
 * as it is, since what it stood for is no longer known; it stays until the ticket is deleted or
 * its index rebuilt (from its texts, capped again). Reaching it takes some 2³¹ words in one ticket
 * (thousands of the largest comments); BM25's weight of such a count is at its ceiling anyway.
 * The queries sum counts as bigint, so two saturated documents of a ticket add up safely.
 */
export const COUNT_MAX = 2147483647;

export async function addTerms(tx: TenantTx, ticketId: string, internal: boolean, t: PackedTerms): Promise<void> {
  if (t.tfs.length === 0) return;
  const pairs = t.pairs.tfs.length
    ? sql`, pairs AS (
      INSERT INTO search_pair_sets (tenant_id, nice_id, internal, pairs) SELECT ${tx.tenantId}, tk.nice_id, ${internal}, ${pairSet(t.pairs)}::bytea FROM tk)`
    : sql``;
  const rows = sql`SELECT ${tx.tenantId}, d.term, tk.nice_id, ${internal}, d.tf, ${postingLength(sql`doc.length`)} FROM tk CROSS JOIN doc CROSS JOIN d`;
  await sql`
    WITH tk AS MATERIALIZED (${niceIdOf(tx, ticketId)}),
    d AS MATERIALIZED (${unpacked(t)}),
    doc AS (
      INSERT INTO search_documents (tenant_id, ticket_id, nice_id, internal, length) SELECT ${tx.tenantId}, ${ticketId}, tk.nice_id, ${internal}, ${t.length} FROM tk
      ON CONFLICT (tenant_id, ticket_id, internal) DO UPDATE SET length = least(search_documents.length::bigint + EXCLUDED.length, ${COUNT_MAX})::int
      RETURNING length, xmax = 0 AS first)${pairs},
    first AS (
      INSERT INTO search_postings (tenant_id, term, nice_id, internal, tf, len) ${rows} WHERE doc.first)
    INSERT INTO search_postings (tenant_id, term, nice_id, internal, tf, len) ${rows} WHERE NOT doc.first
    ON CONFLICT (tenant_id, term, nice_id, internal) DO UPDATE SET tf = least(search_postings.tf::bigint + EXCLUDED.tf, ${COUNT_MAX})::int, len = EXCLUDED.len`.execute(tx.db);
}

/** Most a posting's `len` holds (smallint); a longer document's postings hold this, still a lower bound. */
export const POSTING_LENGTH_MAX = 32767;

/**
 * A posting's `len` (0052) for a document of length `length` now: the document's length, capped.
 * Its document only grows until the posting is written again or a removal lowers it
 * (lowerPostingLengths), so `len` is never above the document's length: BM25 with it bounds the
 * posting's weight from above (prunedMatch).
 */
const postingLength = (length: RawBuilder<unknown>) => sql`least(${length}, ${POSTING_LENGTH_MAX})::smallint`;

/**
 * After a document got shorter (a text taken out): its postings written when it was longer get
 * its new length, so that none is above it (0052). One statement over the ticket's postings of
 * that visibility (by search_postings_ticket), only those above.
 */
async function lowerPostingLengths(tx: TenantTx, ticketId: string, internal: boolean): Promise<void> {
  await sql`
    WITH d AS MATERIALIZED (
      SELECT nice_id, ${postingLength(sql`length`)} AS len FROM search_documents WHERE tenant_id = ${tx.tenantId} AND ticket_id = ${ticketId} AND internal = ${internal})
    UPDATE search_postings p SET len = d.len FROM d
    WHERE p.tenant_id = ${tx.tenantId} AND p.nice_id = d.nice_id AND p.internal = ${internal} AND p.len > d.len`.execute(tx.db);
}

/**
 * Takes pairs out of a ticket's pair rows of one visibility: each occurrence asked for from
 * whichever row holds one (a document's pairs are the union of its rows, so which row gives it
 * up does not matter), newest rows first; a row left empty goes. Returns what no row held: pairs
 * indexed before 0050, still among the postings. The rows are locked until the transaction ends.
 */
async function removePairs(tx: TenantTx, ticketId: string, internal: boolean, p: PackedList): Promise<PackedList> {
  const want = new Map<string, number>();
  p.tfs.forEach((tf, i) => {
    const key = p.packed.subarray(i * TERM_BYTES, (i + 1) * TERM_BYTES).toString("hex");
    want.set(key, (want.get(key) ?? 0) + tf);
  });
  const rows = (
    await sql<{ id: string; pairs: Uint8Array }>`
      SELECT s.id::text AS id, s.pairs FROM search_pair_sets s
      WHERE s.tenant_id = ${tx.tenantId} AND s.nice_id = (${niceIdOf(tx, ticketId)}) AND s.internal = ${internal}
      ORDER BY s.id DESC FOR UPDATE`.execute(tx.db)
  ).rows;
  const changed: Array<{ id: string; pairs: Buffer }> = [];
  for (const row of rows) {
    const bytes = Buffer.from(row.pairs);
    const kept: Buffer[] = [];
    for (let at = 0; at + TERM_BYTES <= bytes.length; at += TERM_BYTES) {
      const h = bytes.subarray(at, at + TERM_BYTES);
      const key = h.toString("hex");
      const n = want.get(key) ?? 0;
      if (n > 0) want.set(key, n - 1);
      else kept.push(h);
    }
    if (kept.length * TERM_BYTES !== bytes.length) changed.push({ id: row.id, pairs: Buffer.concat(kept) });
  }
  if (changed.length) {
    const ids = changed.map((c) => c.id);
    const values = changed.map((c) => c.pairs);
    await sql`
      WITH v AS (SELECT * FROM unnest(${ids}::bigint[], ${values}::bytea[]) AS v(id, pairs)),
      gone AS (
        DELETE FROM search_pair_sets s USING v
        WHERE s.tenant_id = ${tx.tenantId} AND s.internal = ${internal} AND s.id = v.id AND octet_length(v.pairs) = 0)
      UPDATE search_pair_sets s SET pairs = v.pairs FROM v
      WHERE s.tenant_id = ${tx.tenantId} AND s.internal = ${internal} AND s.id = v.id AND octet_length(v.pairs) > 0`.execute(tx.db);
  }
  const left: Buffer[] = [];
  const tfs: number[] = [];
  for (const [key, n] of want)
    if (n > 0) {
      left.push(Buffer.from(key, "hex"));
      tfs.push(n);
    }
  return { packed: Buffer.concat(left), tfs };
}

/**
 * Takes a text's terms out of a ticket's document (a term whose count reaches zero goes), and its
 * length; saturated counts and lengths (COUNT_MAX) stay.
 */
export async function removeTerms(tx: TenantTx, ticketId: string, internal: boolean, t: PackedTerms): Promise<void> {
  if (t.tfs.length === 0) return;
  // The pairs go from search_pair_sets first, and what is left of a count from the postings: a
  // text indexed before 0050 has its pairs there (until the tenant's index is rebuilt), and a
  // ticket may hold a pair in both (an old description and a newer comment repeating it), where
  // taking the count out of each would lose the other text's. No word's hash is ever a pair's.
  const old = t.pairs.tfs.length ? await removePairs(tx, ticketId, internal, t.pairs) : { packed: Buffer.alloc(0), tfs: [] };
  const d = old.tfs.length ? sql`${unpacked(t)} UNION ALL ${unpacked(old)}` : unpacked(t);
  await sql`
    WITH tk AS MATERIALIZED (${niceIdOf(tx, ticketId)}),
    d AS (${d}),
    gone AS (
      DELETE FROM search_postings p USING d, tk
      WHERE p.tenant_id = ${tx.tenantId} AND p.nice_id = tk.nice_id AND p.internal = ${internal} AND p.term = d.term AND p.tf <= d.tf AND p.tf < ${COUNT_MAX}),
    doc AS (
      UPDATE search_documents SET length = greatest(length - ${t.length}, 0)
      WHERE tenant_id = ${tx.tenantId} AND ticket_id = ${ticketId} AND internal = ${internal} AND length < ${COUNT_MAX})
    UPDATE search_postings p SET tf = p.tf - d.tf FROM d, tk
    WHERE p.tenant_id = ${tx.tenantId} AND p.nice_id = tk.nice_id AND p.internal = ${internal} AND p.term = d.term AND p.tf > d.tf AND p.tf < ${COUNT_MAX}`.execute(tx.db);
  // A statement of its own: it sees the document's new length, and may touch rows the one above changed.
  await lowerPostingLengths(tx, ticketId, internal);
}

/** Removes tickets from the index (one statement for the lot). */
export async function removeTickets(tx: TenantTx, ticketIds: readonly string[]): Promise<void> {
  if (ticketIds.length === 0) return;
  const ids = sql`${[...ticketIds]}::uuid[]`;
  // The nice_ids from the tickets and from their documents: the same numbers, each a backstop for the other.
  await sql`
    WITH tk AS MATERIALIZED (
      SELECT nice_id FROM tickets WHERE tenant_id = ${tx.tenantId} AND id = ANY(${ids})
      UNION SELECT nice_id FROM search_documents WHERE tenant_id = ${tx.tenantId} AND ticket_id = ANY(${ids})),
    p AS (DELETE FROM search_postings WHERE tenant_id = ${tx.tenantId} AND nice_id IN (SELECT nice_id FROM tk)),
    pairs AS (DELETE FROM search_pair_sets WHERE tenant_id = ${tx.tenantId} AND nice_id IN (SELECT nice_id FROM tk))
    DELETE FROM search_documents WHERE tenant_id = ${tx.tenantId} AND ticket_id = ANY(${ids})`.execute(tx.db);
}

/**
 * How many documents a tenant's index holds and their total length (with internal notes or
 * without); `within`: only those of these tickets (a subquery of their nice_ids: what the reader sees).
 */
export async function documentStats(tx: TenantTx, withInternal: boolean, within?: Expression<unknown>): Promise<{ documents: number; totalLength: number }> {
  const r = await sql<{ n: string | number; total: string | number | null }>`
    SELECT count(DISTINCT nice_id) AS n, sum(length) AS total FROM search_documents
    WHERE tenant_id = ${tx.tenantId} ${withInternal ? sql`` : sql`AND NOT internal`} ${within ? sql`AND nice_id IN (${within})` : sql``}`.execute(tx.db);
  return { documents: Number(r.rows[0]?.n ?? 0), totalLength: Number(r.rows[0]?.total ?? 0) };
}

/**
 * In how many documents of the tenant each hash occurs (a ticket counts once: with internal notes,
 * its two documents are one), the `df` of BM25; `within`: of those tickets only (what the reader sees). Each count reads the term's postings in its index
 * only (0036), so it costs in proportion to the term's frequency.
 */
export async function documentFrequencies(tx: TenantTx, packed: Buffer, count: number, withInternal: boolean, within?: Expression<unknown>): Promise<number[]> {
  const visible = sql`${withInternal ? sql`` : sql`AND NOT p.internal`} ${within ? sql`AND p.nice_id IN (${within})` : sql``}`;
  // The terms are cut out in a CTE of their own: under row-level security a condition holding
  // `i * 16` (not leakproof) cannot be an index condition, and `p.term = substring(…)` read every
  // posting of the tenant (1.4 s at 50k tickets); `p.term = q.term` is one.
  const r = await sql<{ i: number; n: string | number }>`${PLAN_PER_EXECUTION}
    WITH q AS MATERIALIZED (SELECT i, substring(${packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term FROM generate_series(0, ${count - 1}) AS i)
    SELECT q.i, (SELECT count(DISTINCT p.nice_id) FROM search_postings p WHERE p.tenant_id = ${tx.tenantId} AND p.term = q.term ${visible}) AS n FROM q`.execute(tx.db);
  const out = new Array<number>(count).fill(0);
  for (const row of r.rows) out[Number(row.i)] = Number(row.n);
  return out;
}

/** How matchingTickets reads the index (search-index.ts chooses by cost; all give the same answers). */
export type MatchWay = "pass" | "merge" | "lookups";

/** BM25's parameters (the usual ones). */
const K1 = 1.2;
const B = 0.75;

/**
 * The tickets whose documents hold every group of terms (a group: any of its hashes), with a BM25
 * score (times 10⁶, as an integer: a stable sort key for cursors), as a subquery with columns
 * `nice_id` (the ticket's, as the index keys it: callers join it to `tickets.nice_id`) and `score`.
 * `groups[i]` is the group of hash i, `dfs[i]` its document frequency (documentFrequencies).
 * Within a group the best-scoring hash counts; a term's count is the sum over the visibilities the
 * reader may see. `within`: the tickets the reader may see (a subquery of their nice_ids) when
 * that is not all of them: the postings read, and the document frequencies given,
 * are theirs only, so that neither a score (cursors carry it) nor an order tells how often a word
 * occurs in tickets they cannot see.
 *
 * Only the postings of the `lead` group (the rarest: search-index.ts picks it) are read in full;
 * every other group is probed by (tenant, term, ticket) for the lead's tickets alone, so a rare
 * word beside common ones reads a handful of postings, not all of the common ones'. Any group
 * as lead gives the same rows and scores; the lead only decides how much is read.
 *
 * `pairs`: a phrase's pair groups (each its hashes, any of which will do; search_pair_sets, 0051):
 * a ticket matches only if its documents (those the reader may see) hold every one too. Pairs
 * have no weight: a phrase ranks by its words. They are checked ticket by ticket (pairsHeld) for
 * the tickets having every word, before any length is looked up.
 *
 * `way` (for up to DENSE_MAX_TERMS terms; beyond, always the statement above): "pass" reads every
 * posting of the terms and every visible document in one aggregate (denseMatch); "merge" every
 * posting of the terms, then each matching ticket's length (mergeMatch; also what "lookups" does
 * for a query of one group, which has nothing to probe); "lookups" (the default) the statement
 * above; "general" the statement above whatever the groups (tests compare them all). All give
 * the same rows and scores; they differ in what they read.
 *
 * `top` (a query without pairs, `ordered`): not every match, only the best of them that no other
 * match can outscore (prunedMatch), in score order, with a column `complete` (they are all). A page
 * taken from these rows is the page every match would give if it is full (or they are complete);
 * if it is not, the caller asks again without `top`.
 */
export function matchingTickets(
  tenantId: string,
  q: { packed: Buffer; groups: number[]; dfs: number[]; groupCount: number; lead: number; pairs?: readonly Buffer[][] },
  o: { withInternal: boolean; documents: number; averageLength: number; within?: Expression<unknown> | undefined; way?: MatchWay | "general"; ordered?: boolean; top?: number | undefined },
): RawBuilder<{ nice_id: string; score: string }> {
  const pairs = q.pairs ?? [];
  const held = (niceId: RawBuilder<unknown>) => (pairs.length ? sql`AND ${pairsHeld(tenantId, pairs.length, o.withInternal, niceId)}` : sql``);
  const pq = pairs.length ? pairTerms(pairs) : sql``;
  const visible = sql`${o.withInternal ? sql`` : sql`AND NOT p.internal`} ${o.within ? sql`AND p.nice_id IN (${o.within})` : sql``}`;
  const visibleDoc = o.withInternal ? sql`` : sql`AND NOT d.internal`;
  const n = Math.max(o.documents, 1);
  const avg = Math.max(o.averageLength, 1);
  // Rows in score order when the caller orders by it: the join to the tickets (and their filters)
  // then stops once a page is full (an incremental sort by score and id), instead of looking up
  // every match: 11,600 lookups, 20 ms, for the most frequent word of the benchmark.
  const order = o.ordered ? sql` ORDER BY score DESC` : sql``;
  if (q.groups.length <= DENSE_MAX_TERMS && o.way !== "general") {
    if (o.top !== undefined && o.ordered && pairs.length === 0) return prunedMatch(tenantId, q, { visible, visibleDoc, n, avg, top: o.top });
    if (o.way === "pass") return denseMatch(tenantId, q, { visible, visibleDoc: sql`${visibleDoc} ${o.within ? sql`AND d.nice_id IN (${o.within})` : sql``}`, n, avg, order, held: held(sql`per.nice_id`), pq });
    if (o.way === "merge" || q.groupCount === 1) return mergeMatch(tenantId, q, { visible, visibleDoc, n, avg, order, held: held(sql`p.nice_id`), pq });
  }
  // PLAN_PER_EXECUTION: planned for its values every time. The best plan depends on how many
  // postings the terms have (ten or ten thousand), which a cached generic plan cannot know.
  return sql<{ nice_id: string; score: string }>`(${PLAN_PER_EXECUTION}
    WITH q AS MATERIALIZED (
      SELECT i, substring(${q.packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term, (${q.groups}::int[])[i + 1] AS g, (${q.dfs}::int[])[i + 1]::float8 AS df
      FROM generate_series(0, ${q.groups.length - 1}) AS i),${pq}
    lead AS MATERIALIZED (
      SELECT p.nice_id, q.i, q.g, q.df, sum(p.tf)::float8 AS tf
      FROM q JOIN search_postings p ON p.tenant_id = ${tenantId} AND p.term = q.term ${visible}
      WHERE q.g = ${q.lead}
      GROUP BY p.nice_id, q.i, q.g, q.df),
    probed AS (
      SELECT p.nice_id, q.i, q.g, q.df, sum(p.tf)::float8 AS tf
      FROM (SELECT DISTINCT nice_id FROM lead) c CROSS JOIN q
      JOIN search_postings p ON p.tenant_id = ${tenantId} AND p.term = q.term AND p.nice_id = c.nice_id ${visible}
      WHERE q.g <> ${q.lead}
      GROUP BY p.nice_id, q.i, q.g, q.df),
    hits AS (SELECT * FROM lead UNION ALL SELECT * FROM probed),
    matched AS (SELECT nice_id FROM hits GROUP BY nice_id HAVING ${everyGroup(q.groupCount)} ${held(sql`hits.nice_id`)}),
    len AS (
      SELECT d.nice_id, sum(d.length)::float8 AS len FROM search_documents d JOIN matched m ON d.nice_id = m.nice_id
      WHERE d.tenant_id = ${tenantId} ${visibleDoc} GROUP BY d.nice_id),
    best AS (
      SELECT h.nice_id, h.g,
        max(ln(1 + (greatest(${n}::float8, h.df) - h.df + 0.5) / (h.df + 0.5)) * h.tf * ${K1 + 1} / (h.tf + ${K1} * (${1 - B} + ${B} * len.len / ${avg}::float8))) AS w
      FROM hits h JOIN len ON len.nice_id = h.nice_id
      GROUP BY h.nice_id, h.g)
    SELECT nice_id, round(sum(w) * 1000000)::bigint AS score FROM best GROUP BY nice_id${order})`;
}

/**
 * A condition: the ticket `niceId` holds every pair group (any of its hashes), in the documents
 * the reader may see. A ticket's pairs are in search_pair_sets (0051), a few rows a ticket keyed
 * by (tenant, ticket), each holding hashes side by side, or, if it was indexed before 0050 and not
 * since, among its postings, keyed by (tenant, term, ticket): the ticket's rows are read once per
 * group for each ticket already known to have every word of the phrase, and each row searched
 * with position() for the group's hashes (the rows on the outside: with the hashes outside, a
 * ticket's rows were read once per alternative, 7,774 index scans for 1,968 tickets); the
 * postings are read once per group for the tickets holding one of its pairs there (a pair is
 * rare, and none is written there since 0050). The hashes come from `pq` (pairTerms).
 *
 * position() finds a hash at any offset, not only at a multiple of 16: a hit straddling two
 * stored hashes would need 16 bytes of two keyed hashes to equal a third (about one chance in
 * 2^128 for each of a row's offsets), so it is not checked for.
 *
 * `niceId` must be qualified (`hits.nice_id`): inside the probes a bare `nice_id` would name the
 * probed row's own column and hold for any ticket (the test of the ways caught that once).
 */
function pairsHeld(tenantId: string, groupCount: number, withInternal: boolean, niceId: RawBuilder<unknown>) {
  const vis = (alias: "s" | "pp") => (withInternal ? sql`` : sql`AND NOT ${sql.ref(`${alias}.internal`)}`);
  const has = (k: number) =>
    sql`(EXISTS (SELECT 1 FROM search_pair_sets s WHERE s.tenant_id = ${tenantId} AND s.nice_id = ${niceId} ${vis("s")} AND EXISTS (SELECT 1 FROM pq WHERE pq.g = ${k} AND position(pq.term IN s.pairs) > 0))
      OR ${niceId} IN (SELECT pp.nice_id FROM pq JOIN search_postings pp ON pp.tenant_id = ${tenantId} AND pp.term = pq.term ${vis("pp")} WHERE pq.g = ${k}))`;
  return sql`(${sql.join(Array.from({ length: groupCount }, (_, k) => has(k)), sql` AND `)})`;
}

/**
 * The CTE `pq (term, g)` of the pair groups' hashes (g: the group), for pairsHeld: packed into one
 * bytea with their groups in an int[], two parameters however many alternatives there are (a word
 * has a stem in each of the tenant's languages, a pair every stem with every stem). Cut out in a
 * CTE of its own, like the words' (`p.term = q.term` is an index condition under row-level
 * security; a term computed inside the probe would not be). Ends with a comma: it goes before
 * the statement's next CTE.
 */
function pairTerms(pairs: readonly Buffer[][]) {
  const hashes = pairs.flat();
  const groups = pairs.flatMap((g, k) => g.map(() => k));
  return sql`
    pq AS MATERIALIZED (
      SELECT substring(${Buffer.concat(hashes)}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term, (${groups}::int[])[i + 1] AS g FROM generate_series(0, ${hashes.length - 1}) AS i),`;
}

/**
 * A HAVING condition over `hits` grouped by ticket: a hit of every group. A mask of the groups
 * seen (bit_or, which hashes) where they fit in a bigint, else count(DISTINCT g) (which sorts):
 * the lookups' statement spent 8 of 57 ms sorting 14,772 hits for three common words.
 */
const everyGroup = (groupCount: number) =>
  groupCount <= 62 ? sql`bit_or(1::bigint << g) = (1::bigint << ${groupCount}::int) - 1` : sql`count(DISTINCT g) = ${groupCount}`;

/** A term's count as a column of its own (`tfN`, N its index in the packed list: a number the code makes, never query text). */
const countColumn = (i: number) => sql.raw(`tf${Math.trunc(i)}`);

/** BM25's weight of term `i` in a ticket whose count is in its countColumn and whose length is `len`. */
function termWeight(i: number, df: number, len: RawBuilder<unknown>, o: { n: number; avg: number }) {
  const c = countColumn(i);
  const d = sql`${df}::float8`;
  return sql`ln(1 + (greatest(${o.n}::float8, ${d}) - ${d} + 0.5) / (${d} + 0.5)) * ${c} * ${K1 + 1} / (${c} + ${K1} * (${1 - B} + ${B} * ${len} / ${o.avg}::float8))`;
}

/**
 * matchingTickets by merging: every posting of the terms summed by ticket (each term's count a
 * column of its own), the tickets having every group (and the pairs) kept, and then each one's
 * length looked up beside them (once a ticket, not once per term: a word of two stems had two
 * lookups a ticket). The way for one group (one word or CJK character pair, with its
 * alternatives: every ticket with one of its terms matches, nothing to probe), and for a phrase
 * of common words: their postings read in full cost less than probing for each of the rarest
 * word's tickets, and only the few tickets holding the phrase's pairs get a length. Same rows and scores.
 */
function mergeMatch(
  tenantId: string,
  q: { packed: Buffer; groups: number[]; dfs: number[]; groupCount: number },
  o: { visible: RawBuilder<unknown>; visibleDoc: RawBuilder<unknown>; n: number; avg: number; order: RawBuilder<unknown>; held: RawBuilder<unknown>; pq: RawBuilder<unknown> },
): RawBuilder<{ nice_id: string; score: string }> {
  const counts = q.groups.map((_, i) => sql`(sum(p.tf) FILTER (WHERE q.i = ${i}))::float8 AS ${countColumn(i)}`);
  const groups = Array.from({ length: q.groupCount }, (_, g) => q.groups.flatMap((grp, i) => (grp === g ? [i] : [])));
  // greatest() passes over NULLs: an alternative absent from the ticket weighs nothing.
  const score = sql.join(groups.map((m) => sql`greatest(${sql.join(m.map((i) => termWeight(i, q.dfs[i] ?? 0, sql`l.len`, o)))})`), sql` + `);
  // A group is there when one of its terms has a count (a ticket of one group always has).
  const every = q.groupCount === 1 ? sql`true` : sql.join(groups.map((m) => sql`(${sql.join(m.map((i) => sql`bool_or(q.i = ${i})`), sql` OR `)})`), sql` AND `);
  return sql<{ nice_id: string; score: string }>`(${PLAN_PER_EXECUTION}
    WITH q AS MATERIALIZED (
      SELECT i, substring(${q.packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term FROM generate_series(0, ${q.groups.length - 1}) AS i),${o.pq}
    hits AS MATERIALIZED (
      SELECT p.nice_id, ${sql.join(counts)}
      FROM q JOIN search_postings p ON p.tenant_id = ${tenantId} AND p.term = q.term ${o.visible}
      GROUP BY p.nice_id HAVING ${every} ${o.held})
    SELECT h.nice_id, round((${score}) * 1000000)::bigint AS score
    FROM hits h CROSS JOIN LATERAL (
      SELECT sum(d.length)::float8 AS len FROM search_documents d WHERE d.tenant_id = ${tenantId} AND d.nice_id = h.nice_id ${o.visibleDoc}) l
    WHERE l.len IS NOT NULL${o.order})`;
}

/**
 * matchingTickets pruned by bounds (0052), for words without a phrase: every posting of the
 * query's terms is read from the index alone (term, ticket, count, and `len`, the document's
 * length when the posting was last written, never above its length now) and each ticket holding
 * every group gets an upper bound of its score: BM25 with that length, which only lowers the
 * weight as the document grows (a ticket's lower bound of length: for each visibility the reader
 * sees, the largest `len` of its postings there). The `top` tickets of highest bound get their
 * real score (one length lookup each, the expression of mergeMatch: the same scores to the last
 * digit), and of those, only the ones scoring above the next ticket's bound by more than the
 * rounding are returned: no ticket outside them can score as high. Every ticket returned is then
 * above every ticket not returned, so the first rows of a page in score order are right; when
 * fewer come back than a page needs (filters dropping many, a deep page, bounds loosened by old
 * postings' 0), the caller asks for every match (tickets-repo.ts listTickets), unless `complete`
 * says these were all of them (no more than `top` tickets matched).
 *
 * What it saves is the length lookups and the scoring of every match: the most frequent word of
 * the benchmark's big tenant has a posting in most of its 300,000 tickets (bench/README.md, "Bounds").
 */
function prunedMatch(
  tenantId: string,
  q: { packed: Buffer; groups: number[]; dfs: number[]; groupCount: number },
  o: { visible: RawBuilder<unknown>; visibleDoc: RawBuilder<unknown>; n: number; avg: number; top: number },
): RawBuilder<{ nice_id: string; score: string; complete: boolean }> {
  const top = Math.max(1, Math.min(Math.trunc(o.top), 100_000));
  // One term (a word with one stem in the tenant's languages, as most of the most frequent are):
  // its postings are read straight from the index, in ticket order, and summed as they come
  // (GroupAggregate), where the join to the term list hashed every ticket (and spilled): 33
  // against 51 ms for the most frequent word of 90,000 tickets (bench/README.md, "Bounds"). The
  // hash is a parameter of an equality the index takes under row-level security (byteaeq is
  // leakproof), planned per execution like the rest.
  const one = q.groups.length === 1;
  const counts = one ? [sql`sum(p.tf)::float8 AS ${countColumn(0)}`] : q.groups.map((_, i) => sql`(sum(p.tf) FILTER (WHERE q.i = ${i}))::float8 AS ${countColumn(i)}`);
  const postings = one
    ? sql`search_postings p WHERE p.tenant_id = ${tenantId} AND p.term = ${q.packed.subarray(0, TERM_BYTES)}::bytea ${o.visible}`
    : sql`q JOIN search_postings p ON p.tenant_id = ${tenantId} AND p.term = q.term ${o.visible}`;
  // A ticket's lower bound of length: per visibility, the largest `len` of its postings there. One
  // term has one posting per visibility (the primary key), so that is the sum of theirs: a plain
  // sum costs less than two filtered maximums (0.83 of the aggregate's time for the most
  // frequent word: bench/README.md, "Bounds").
  const lb = one
    ? sql`sum(p.len)::float8`
    : sql`(coalesce(max(p.len) FILTER (WHERE NOT p.internal), 0) + coalesce(max(p.len) FILTER (WHERE p.internal), 0))::float8`;
  const members = Array.from({ length: q.groupCount }, (_, g) => q.groups.flatMap((grp, i) => (grp === g ? [i] : [])));
  // As mergeMatch sums them, to the last digit: a group's best alternative, the groups added in order.
  const weigh = (len: RawBuilder<unknown>) => sql.join(members.map((m) => sql`greatest(${sql.join(m.map((i) => termWeight(i, q.dfs[i] ?? 0, len, o)))})`), sql` + `);
  const every = q.groupCount === 1 ? sql`` : sql`HAVING ${sql.join(members.map((m) => sql`(${sql.join(m.map((i) => sql`bool_or(q.i = ${i})`), sql` OR `)})`), sql` AND `)}`;
  return sql<{ nice_id: string; score: string; complete: boolean }>`(${PLAN_PER_EXECUTION}
    WITH ${one ? sql`` : sql`q AS MATERIALIZED (
      SELECT i, substring(${q.packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term FROM generate_series(0, ${q.groups.length - 1}) AS i),`}
    hits AS (
      SELECT p.nice_id, ${sql.join(counts)}, ${lb} AS lb
      FROM ${postings}
      GROUP BY p.nice_id ${every}),
    best AS MATERIALIZED (
      SELECT h.*, ${weigh(sql`h.lb`)} AS bound FROM hits h ORDER BY bound DESC LIMIT ${top + 1}),
    ranked AS MATERIALIZED (
      SELECT b.*, row_number() OVER (ORDER BY b.bound DESC) AS rn FROM best b),
    edge AS (SELECT coalesce(max(bound) FILTER (WHERE rn > ${top}), -1) AS bound FROM ranked),
    scored AS (
      SELECT h.nice_id, round((${weigh(sql`l.len`)}) * 1000000)::bigint AS score
      FROM ranked h CROSS JOIN LATERAL (
        SELECT sum(d.length)::float8 AS len FROM search_documents d WHERE d.tenant_id = ${tenantId} AND d.nice_id = h.nice_id ${o.visibleDoc}) l
      WHERE h.rn <= ${top} AND l.len IS NOT NULL)
    SELECT s.nice_id, s.score, edge.bound < 0 AS complete FROM scored s CROSS JOIN edge
    WHERE edge.bound < 0 OR s.score > round(edge.bound * 1000000)::bigint + 1
    ORDER BY s.score DESC)`;
}

/**
 * Whether a query is cheaper as one pass over every visible document than as lookups for the
 * lead group's tickets (matchingTickets' way "pass"). Costs from EXPLAIN on the search benchmark's
 * big tenant (bench/README.md, "Search"): the lookups cost ~5 µs for each of the lead's tickets
 * (its postings' lengths and, per other group, a probe: ~half of that again); the pass ~1 µs for
 * each document row (up to two a ticket) and ~0.5 µs for each posting of every group.
 */
export function preferDense(documents: number, groupDfs: readonly number[], lead: number): boolean {
  const leadDf = groupDfs[lead] ?? 0;
  const all = groupDfs.reduce((a, b) => a + b, 0);
  return 1.5 * documents + 0.5 * all < 5 * leadDf * (1 + 0.5 * (groupDfs.length - 1));
}

/**
 * Whether a phrase (a query with pairs) is cheaper merged (every posting of its words, ~0.5 µs
 * each, then a pair check for the tickets having every word) than by lookups for the rarest
 * word's tickets (~5 µs each, more with each other group to probe; see preferDense). The pass is
 * never better for a phrase: it looks up the length of every document, where the pairs leave few.
 */
export function preferMerge(termDfs: readonly number[], groupDfs: readonly number[], lead: number): boolean {
  const leadDf = groupDfs[lead] ?? 0;
  const all = termDfs.reduce((a, b) => a + b, 0);
  return 0.5 * all < 5 * leadDf * (1 + 0.5 * (groupDfs.length - 1));
}

/**
 * How many tickets a query of several groups (and no phrase) is expected to match, from the
 * groups' document frequencies: the groups of one word (`words[g]`: a CJK run's character pairs)
 * as found together, in as many tickets as its rarest ("プリンター"'s four pairs are in the same
 * 12,104 tickets of the benchmark's big tenant), and different words as independent (each keeping
 * its share of the tickets the others are in).
 */
export function expectedMatches(documents: number, groupDfs: readonly number[], words: readonly number[]): number {
  const n = Math.max(documents, 1);
  const perWord = new Map<number, number>();
  groupDfs.forEach((df, g) => {
    const w = words[g] ?? -1 - g;
    perWord.set(w, Math.min(perWord.get(w) ?? n, df));
  });
  let expected = n;
  for (const df of perWord.values()) expected *= Math.min(df, n) / n;
  return expected;
}

/**
 * Whether a query of several groups (no phrase) is cheaper as its best matches by bound
 * (prunedMatch: every posting of every group read, ~0.5 µs each, and only the best `top` tickets'
 * lengths looked up, ~5 µs each) than as every match by lookups (the lead group's tickets probed
 * for the others, ~2.5 µs a probe, and every match's length looked up). Only for the groups of
 * one word (`words[g]`: a CJK run's character pairs), expected in more tickets than the best
 * `top` (expectedMatches). Several words were measured no faster by bound (bench/README.md,
 * "Bounds": three common words 0.88–1.01 of the lookups, a CJK word with a common one 1.5, its
 * best by bound too few for a page and asked again), and a CJK word's pairs 0.40–0.43.
 */
export function preferPruned(termDfs: readonly number[], groupDfs: readonly number[], lead: number, expected: number, top: number, words: readonly number[]): boolean {
  if (groupDfs.length < 2 || expected <= top || new Set(words).size !== 1) return false;
  const leadDf = groupDfs[lead] ?? 0;
  const all = termDfs.reduce((a, b) => a + b, 0);
  return 0.5 * all + 5 * top < 0.5 * leadDf + 2.5 * leadDf * (groupDfs.length - 1) + 5 * expected;
}

/**
 * Most terms (hashes, alternatives included) matched in one pass or by merging: each is a
 * column of its own, and a query may hold hundreds (48 groups, each word stemmed in every language
 * a tenant enables, pairs of those), more than a statement's 1,664 columns; beyond this the
 * general statement is used.
 */
export const DENSE_MAX_TERMS = 64;

/**
 * matchingTickets as one pass: every posting of every term and every visible document of the
 * tenant, in one aggregate by ticket (no join whose plan depends on estimates: the term list's
 * counts are unknown to the planner, which guessed a dozen rows and chose a lookup per ticket).
 * Each term's count becomes a column of its own (countColumn), so that the length, summed in the
 * same aggregate, is there to weigh them; a ticket matches when each group has a count and it has
 * a visible document (as the lookups' join to the documents requires). Same rows and scores as
 * the lookups, up to the last digit of a score's rounding (a different order of summing groups).
 */
function denseMatch(
  tenantId: string,
  q: { packed: Buffer; groups: number[]; dfs: number[]; groupCount: number },
  o: { visible: RawBuilder<unknown>; visibleDoc: RawBuilder<unknown>; n: number; avg: number; order: RawBuilder<unknown>; held: RawBuilder<unknown>; pq: RawBuilder<unknown> },
): RawBuilder<{ nice_id: string; score: string }> {
  const col = countColumn;
  const counts = q.groups.map((_, i) => sql`(sum(r.tf) FILTER (WHERE r.i = ${i}))::float8 AS ${col(i)}`);
  const weight = (i: number) => termWeight(i, q.dfs[i] ?? 0, sql`per.len`, o);
  const members = (g: number) => q.groups.flatMap((grp, i) => (grp === g ? [i] : []));
  const groups = Array.from({ length: q.groupCount }, (_, g) => members(g));
  // greatest() passes over NULLs: a term absent from the ticket adds nothing to its group.
  const score = sql.join(groups.map((m) => sql`greatest(${sql.join(m.map(weight))})`), sql` + `);
  const matched = sql.join(groups.map((m) => sql`(${sql.join(m.map((i) => sql`${col(i)} IS NOT NULL`), sql` OR `)})`), sql` AND `);
  return sql<{ nice_id: string; score: string }>`(${PLAN_PER_EXECUTION}
    WITH q AS MATERIALIZED (
      SELECT i, substring(${q.packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term FROM generate_series(0, ${q.groups.length - 1}) AS i),${o.pq}
    r AS (
      SELECT p.nice_id, q.i, p.tf, 0 AS length FROM q JOIN search_postings p ON p.tenant_id = ${tenantId} AND p.term = q.term ${o.visible}
      UNION ALL
      SELECT d.nice_id, -1, 0, d.length FROM search_documents d WHERE d.tenant_id = ${tenantId} ${o.visibleDoc}),
    per AS (
      SELECT r.nice_id, sum(r.length)::float8 AS len, bool_or(r.i = -1) AS documented, ${sql.join(counts)} FROM r GROUP BY r.nice_id)
    SELECT per.nice_id, round((${score}) * 1000000)::bigint AS score FROM per WHERE per.documented AND ${matched} ${o.held}${o.order})`;
}

/**
 * The tenant's search languages (0035_search_settings.sql), or undefined when it has no row.
 * `share`: the row stays locked FOR SHARE until the transaction ends (a conversation write), so
 * a change of languages waits for it.
 */
export async function findLanguages(tx: TenantTx, share: boolean): Promise<string[] | undefined> {
  const r = await sql<{ languages: string[] }>`
    SELECT languages FROM search_settings WHERE tenant_id = ${tx.tenantId} ${share ? sql`FOR SHARE` : sql``}`.execute(tx.db);
  return r.rows[0]?.languages;
}

/** Sets the tenant's search languages (the row stays locked until the transaction ends). */
export async function storeLanguages(tx: TenantTx, languages: readonly string[]): Promise<void> {
  await sql`
    INSERT INTO search_settings (tenant_id, languages, updated_at) VALUES (${tx.tenantId}, ${[...languages]}::text[], now())
    ON CONFLICT (tenant_id) DO UPDATE SET languages = EXCLUDED.languages, updated_at = now()`.execute(tx.db);
}

/** Makes the tenant's settings row (tenant creation), with the given languages unless it has one. */
export async function initLanguages(tx: TenantTx, languages: readonly string[]): Promise<void> {
  await sql`INSERT INTO search_settings (tenant_id, languages) VALUES (${tx.tenantId}, ${[...languages]}::text[]) ON CONFLICT (tenant_id) DO NOTHING`.execute(tx.db);
}

/**
 * Takes the tenant's lock for reindex requests and changes of languages until the transaction
 * ends: one at a time per tenant, and always before the job's row and the settings row, in that
 * order (a rebuild's batch takes the job's row, then its tickets, then the settings row FOR SHARE),
 * so that no two of them wait for each other.
 */
export async function lockReindexRequests(tx: TenantTx): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.searchReindex}, hashtext(${tx.tenantId}))`.execute(tx.db);
}
