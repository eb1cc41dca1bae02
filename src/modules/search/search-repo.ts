import { sql, type RawBuilder } from "kysely";
import { PLAN_PER_EXECUTION, type TenantTx } from "../../platform/db/database.ts";

/**
 * SQL for the search index (0033_search_index.sql). Terms arrive as 16-byte hashes packed into one
 * bytea with their counts in an int[]: each text is one statement however many terms it has, and
 * the statement's parameters are the same few whatever the text (no term is ever spliced in).
 */

export const TERM_BYTES = 16;

/** Terms of one text, hashed: `packed` holds `tfs.length` hashes of TERM_BYTES each. */
export type PackedTerms = { packed: Buffer; tfs: number[]; length: number };

const unpacked = (p: { packed: Buffer; tfs: number[] }) =>
  sql`SELECT substring(${p.packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term, (${p.tfs}::int[])[i + 1] AS tf FROM generate_series(0, ${p.tfs.length - 1}) AS i`;

/** Adds a text's terms to a ticket's document of that visibility (counts add up), and its length. */
export async function addTerms(tx: TenantTx, ticketId: string, internal: boolean, t: PackedTerms): Promise<void> {
  if (t.tfs.length === 0) return;
  await sql`
    WITH doc AS (
      INSERT INTO search_documents (tenant_id, ticket_id, internal, length) VALUES (${tx.tenantId}, ${ticketId}, ${internal}, ${t.length})
      ON CONFLICT (tenant_id, ticket_id, internal) DO UPDATE SET length = search_documents.length + EXCLUDED.length)
    INSERT INTO search_postings (tenant_id, term, ticket_id, internal, tf)
    SELECT ${tx.tenantId}, d.term, ${ticketId}, ${internal}, d.tf FROM (${unpacked(t)}) AS d
    ON CONFLICT (tenant_id, term, ticket_id, internal) DO UPDATE SET tf = search_postings.tf + EXCLUDED.tf`.execute(tx.db);
}

/** Takes a text's terms out of a ticket's document (a term whose count reaches zero goes), and its length. */
export async function removeTerms(tx: TenantTx, ticketId: string, internal: boolean, t: PackedTerms): Promise<void> {
  if (t.tfs.length === 0) return;
  await sql`
    WITH d AS (${unpacked(t)}),
    gone AS (
      DELETE FROM search_postings p USING d
      WHERE p.tenant_id = ${tx.tenantId} AND p.ticket_id = ${ticketId} AND p.internal = ${internal} AND p.term = d.term AND p.tf <= d.tf),
    doc AS (
      UPDATE search_documents SET length = greatest(length - ${t.length}, 0)
      WHERE tenant_id = ${tx.tenantId} AND ticket_id = ${ticketId} AND internal = ${internal})
    UPDATE search_postings p SET tf = p.tf - d.tf FROM d
    WHERE p.tenant_id = ${tx.tenantId} AND p.ticket_id = ${ticketId} AND p.internal = ${internal} AND p.term = d.term AND p.tf > d.tf`.execute(tx.db);
}

/** Removes a ticket from the index. */
export async function removeTicket(tx: TenantTx, ticketId: string): Promise<void> {
  await sql`
    WITH p AS (DELETE FROM search_postings WHERE tenant_id = ${tx.tenantId} AND ticket_id = ${ticketId})
    DELETE FROM search_documents WHERE tenant_id = ${tx.tenantId} AND ticket_id = ${ticketId}`.execute(tx.db);
}

/** How many documents a tenant's index holds and their total length (with internal notes or without). */
export async function documentStats(tx: TenantTx, withInternal: boolean): Promise<{ documents: number; totalLength: number }> {
  const r = await sql<{ n: string | number; total: string | number | null }>`
    SELECT count(DISTINCT ticket_id) AS n, sum(length) AS total FROM search_documents
    WHERE tenant_id = ${tx.tenantId} ${withInternal ? sql`` : sql`AND NOT internal`}`.execute(tx.db);
  return { documents: Number(r.rows[0]?.n ?? 0), totalLength: Number(r.rows[0]?.total ?? 0) };
}

/**
 * In how many documents of the tenant each hash occurs (a ticket counts once: with internal notes,
 * its two documents are one), the `df` of BM25. Each count reads the term's postings in its index
 * only (0036), so it costs in proportion to the term's frequency.
 */
export async function documentFrequencies(tx: TenantTx, packed: Buffer, count: number, withInternal: boolean): Promise<number[]> {
  const visible = withInternal ? sql`` : sql`AND NOT p.internal`;
  // The terms are cut out in a CTE of their own: under row-level security a condition holding
  // `i * 16` (not leakproof) cannot be an index condition, and `p.term = substring(…)` read every
  // posting of the tenant (1.4 s at 50k tickets); `p.term = q.term` is one.
  const r = await sql<{ i: number; n: string | number }>`${PLAN_PER_EXECUTION}
    WITH q AS MATERIALIZED (SELECT i, substring(${packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term FROM generate_series(0, ${count - 1}) AS i)
    SELECT q.i, (SELECT count(DISTINCT p.ticket_id) FROM search_postings p WHERE p.tenant_id = ${tx.tenantId} AND p.term = q.term ${visible}) AS n FROM q`.execute(tx.db);
  const out = new Array<number>(count).fill(0);
  for (const row of r.rows) out[Number(row.i)] = Number(row.n);
  return out;
}

/** BM25's parameters (the usual ones). */
const K1 = 1.2;
const B = 0.75;

/**
 * The tickets whose documents hold every group of terms (a group: any of its hashes), with a BM25
 * score (times 10⁶, as an integer: a stable sort key for cursors), as a subquery with columns
 * `ticket_id` and `score`. `groups[i]` is the group of hash i, `dfs[i]` its document frequency
 * (documentFrequencies). Within a group the best-scoring hash counts; a term's count is the sum
 * over the visibilities the reader may see.
 *
 * Only the postings of the `lead` group (the rarest: search-index.ts picks it) are read in full;
 * every other group is probed by (tenant, term, ticket) for the lead's tickets alone, so a rare
 * word beside common ones reads a handful of postings, not all of the common ones'. Any group
 * as lead gives the same rows and scores; the lead only decides how much is read.
 */
export function matchingTickets(
  tenantId: string,
  q: { packed: Buffer; groups: number[]; dfs: number[]; groupCount: number; lead: number },
  o: { withInternal: boolean; documents: number; averageLength: number },
): RawBuilder<{ ticket_id: string; score: string }> {
  const visible = o.withInternal ? sql`` : sql`AND NOT p.internal`;
  const visibleDoc = o.withInternal ? sql`` : sql`AND NOT d.internal`;
  const n = Math.max(o.documents, 1);
  const avg = Math.max(o.averageLength, 1);
  // PLAN_PER_EXECUTION: planned for its values every time. The best plan depends on how many
  // postings the terms have (ten or ten thousand), which a cached generic plan cannot know.
  return sql<{ ticket_id: string; score: string }>`(${PLAN_PER_EXECUTION}
    WITH q AS MATERIALIZED (
      SELECT substring(${q.packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term, (${q.groups}::int[])[i + 1] AS g, (${q.dfs}::int[])[i + 1]::float8 AS df
      FROM generate_series(0, ${q.groups.length - 1}) AS i),
    lead AS MATERIALIZED (
      SELECT p.ticket_id, q.g, q.term, q.df, sum(p.tf)::float8 AS tf
      FROM q JOIN search_postings p ON p.tenant_id = ${tenantId} AND p.term = q.term ${visible}
      WHERE q.g = ${q.lead}
      GROUP BY p.ticket_id, q.g, q.term, q.df),
    probed AS (
      SELECT p.ticket_id, q.g, q.term, q.df, sum(p.tf)::float8 AS tf
      FROM (SELECT DISTINCT ticket_id FROM lead) c CROSS JOIN q
      JOIN search_postings p ON p.tenant_id = ${tenantId} AND p.term = q.term AND p.ticket_id = c.ticket_id ${visible}
      WHERE q.g <> ${q.lead}
      GROUP BY p.ticket_id, q.g, q.term, q.df),
    hits AS (SELECT * FROM lead UNION ALL SELECT * FROM probed),
    matched AS (SELECT ticket_id FROM hits GROUP BY ticket_id HAVING count(DISTINCT g) = ${q.groupCount}),
    len AS (
      SELECT d.ticket_id, sum(d.length)::float8 AS len FROM search_documents d JOIN matched m ON d.ticket_id = m.ticket_id
      WHERE d.tenant_id = ${tenantId} ${visibleDoc} GROUP BY d.ticket_id),
    best AS (
      SELECT h.ticket_id, h.g,
        max(ln(1 + (greatest(${n}::float8, h.df) - h.df + 0.5) / (h.df + 0.5)) * h.tf * ${K1 + 1} / (h.tf + ${K1} * (${1 - B} + ${B} * len.len / ${avg}::float8))) AS w
      FROM hits h JOIN len ON len.ticket_id = h.ticket_id
      GROUP BY h.ticket_id, h.g)
    SELECT ticket_id, round(sum(w) * 1000000)::bigint AS score FROM best GROUP BY ticket_id)`;
}
