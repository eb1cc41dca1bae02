import { sql, type RawBuilder } from "kysely";
import type { Conn } from "../../src/platform/db/database.ts";

/** One phrase pair of a ticket's document with its count: what search_pair_sets' rows hold, row by row taken apart. */
export type PairRow = { term: Buffer; nice_id: number; internal: boolean; tf: number };

/**
 * The phrase pairs (search_pair_sets, 0051) visible in a transaction, as one row per ticket,
 * visibility and hash with its count: a document's pairs are the union of its rows, whichever
 * rows hold them. `where`: a condition on the set rows (alias `s`).
 */
export async function pairRows(db: Conn, where: RawBuilder<unknown> = sql`true`): Promise<PairRow[]> {
  const r = await sql<{ term: Uint8Array; nice_id: string | number; internal: boolean; tf: number }>`
    SELECT substring(s.pairs FROM i * 16 + 1 FOR 16) AS term, s.nice_id, s.internal, count(*)::int AS tf
    FROM search_pair_sets s CROSS JOIN LATERAL generate_series(0, octet_length(s.pairs) / 16 - 1) AS i
    WHERE ${where}
    GROUP BY 1, 2, 3 ORDER BY 2, 3, 1`.execute(db);
  return r.rows.map((x) => ({ term: Buffer.from(x.term), nice_id: Number(x.nice_id), internal: x.internal, tf: x.tf }));
}

/** Writes pairs as rows of search_pair_sets, one row per pair (its hash `tf` times). */
export async function insertPairRows(db: Conn, tenantId: string, rows: readonly PairRow[]): Promise<void> {
  for (const p of rows)
    await sql`INSERT INTO search_pair_sets (tenant_id, nice_id, internal, pairs) VALUES (${tenantId}, ${p.nice_id}, ${p.internal}, ${Buffer.concat(Array.from({ length: p.tf }, () => p.term))}::bytea)`.execute(db);
}

/**
 * Moves the pairs of the set rows matching `where` (alias `s`) among the postings, as an index
 * built before 0050 holds them (the pairs keyed by term, beside the words).
 */
export async function movePairsToPostings(db: Conn, tenantId: string, where: RawBuilder<unknown> = sql`true`): Promise<void> {
  const rows = await pairRows(db, where);
  for (const p of rows)
    await sql`INSERT INTO search_postings (tenant_id, term, nice_id, internal, tf) VALUES (${tenantId}, ${p.term}, ${p.nice_id}, ${p.internal}, ${p.tf})`.execute(db);
  await sql`DELETE FROM search_pair_sets s WHERE ${where}`.execute(db);
}
