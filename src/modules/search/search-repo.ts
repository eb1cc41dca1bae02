import { sql, type Expression, type RawBuilder } from "kysely";
import { ADVISORY_LOCK, type TenantTx } from "../../platform/db/database.ts";

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

/**
 * How many documents a tenant's index holds and their total length (with internal notes or
 * without); `within`: only those of these tickets (a subquery of ticket ids: what the reader sees).
 */
export async function documentStats(tx: TenantTx, withInternal: boolean, within?: Expression<unknown>): Promise<{ documents: number; totalLength: number }> {
  const r = await sql<{ n: string | number; total: string | number | null }>`
    SELECT count(DISTINCT ticket_id) AS n, sum(length) AS total FROM search_documents
    WHERE tenant_id = ${tx.tenantId} ${withInternal ? sql`` : sql`AND NOT internal`} ${within ? sql`AND ticket_id IN (${within})` : sql``}`.execute(tx.db);
  return { documents: Number(r.rows[0]?.n ?? 0), totalLength: Number(r.rows[0]?.total ?? 0) };
}

/** BM25's parameters (the usual ones). */
const K1 = 1.2;
const B = 0.75;

/**
 * The tickets whose documents hold every group of terms (a group: any of its hashes), with a BM25
 * score (times 10⁶, as an integer: a stable sort key for cursors), as a subquery with columns
 * `ticket_id` and `score`. `groups[i]` is the group of hash i. Within a group the best-scoring
 * hash counts; a term's count is the sum over the visibilities the reader may see. `within`: the
 * tickets the reader may see (a subquery of ids) when that is not all of them: the postings read,
 * and so the document frequencies, are theirs only, so that neither a score (cursors carry it)
 * nor an order tells how often a word occurs in tickets they cannot see.
 */
export function matchingTickets(
  tenantId: string,
  q: { packed: Buffer; groups: number[]; groupCount: number },
  o: { withInternal: boolean; documents: number; averageLength: number; within?: Expression<unknown> | undefined },
): RawBuilder<{ ticket_id: string; score: string }> {
  const visible = sql`${o.withInternal ? sql`` : sql`AND NOT p.internal`} ${o.within ? sql`AND p.ticket_id IN (${o.within})` : sql``}`;
  const visibleDoc = o.withInternal ? sql`` : sql`AND NOT d.internal`;
  const n = Math.max(o.documents, 1);
  const avg = Math.max(o.averageLength, 1);
  return sql<{ ticket_id: string; score: string }>`(
    WITH q AS (
      SELECT substring(${q.packed}::bytea FROM i * ${TERM_BYTES} + 1 FOR ${TERM_BYTES}) AS term, (${q.groups}::int[])[i + 1] AS g
      FROM generate_series(0, ${q.groups.length - 1}) AS i),
    hits AS (
      SELECT p.ticket_id, q.g, p.term, sum(p.tf)::float8 AS tf
      FROM q JOIN search_postings p ON p.tenant_id = ${tenantId} AND p.term = q.term ${visible}
      GROUP BY p.ticket_id, q.g, p.term),
    matched AS (SELECT ticket_id FROM hits GROUP BY ticket_id HAVING count(DISTINCT g) = ${q.groupCount}),
    df AS (SELECT term, count(DISTINCT ticket_id)::float8 AS n FROM hits GROUP BY term),
    len AS (
      SELECT d.ticket_id, sum(d.length)::float8 AS len FROM search_documents d JOIN matched m ON d.ticket_id = m.ticket_id
      WHERE d.tenant_id = ${tenantId} ${visibleDoc} GROUP BY d.ticket_id),
    best AS (
      SELECT h.ticket_id, h.g,
        max(ln(1 + (greatest(${n}::float8, df.n) - df.n + 0.5) / (df.n + 0.5)) * h.tf * ${K1 + 1} / (h.tf + ${K1} * (${1 - B} + ${B} * len.len / ${avg}::float8))) AS w
      FROM hits h JOIN len ON len.ticket_id = h.ticket_id JOIN df ON df.term = h.term
      GROUP BY h.ticket_id, h.g)
    SELECT ticket_id, round(sum(w) * 1000000)::bigint AS score FROM best GROUP BY ticket_id)`;
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
