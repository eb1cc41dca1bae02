import type { RequestContext } from "../../platform/context.ts";
import { invalid } from "../../platform/errors.ts";
import type { ConversationEvent } from "../tickets/conversation.ts";
import * as repo from "./search-repo.ts";
import { queryGroups, termsOf } from "./search-text.ts";

/**
 * The search index, kept by the conversation writer's `conversation.written` hook in the same
 * transaction as the content. Invariants:
 *  - no term leaves this file unhashed: each is a blind index under the tenant's key (purpose
 *    SEARCH_PURPOSE), truncated to 16 bytes; the same word in two tenants has unrelated hashes;
 *  - a ticket is two documents: public (subject, public comments) and internal (notes); readers
 *    who may not see notes match the public one only;
 *  - what was indexed for a text is what is removed for it (computed again from the same text:
 *    the old subject on a rename), so counts never drift; a deleted ticket leaves nothing.
 * A key rotation keeps the index key (blind indexes derive from the tenant's index root), so the
 * index stays valid across it.
 */

export const SEARCH_PURPOSE = "search.term";

/** Most term groups one query may ask for (a long pasted paragraph is refused, not run). */
export const MAX_QUERY_GROUPS = 48;

const hashOf = (ctx: Pick<RequestContext, "sealer">, term: string) => ctx.sealer.blindIndex(SEARCH_PURPOSE, term).subarray(0, repo.TERM_BYTES);

/** A text's terms, hashed and counted, as they are written to the index (also what bench/search.ts seeds). */
export function packText(ctx: Pick<RequestContext, "sealer">, text: string): repo.PackedTerms {
  const { terms, length } = termsOf(text);
  const hashes: Buffer[] = [];
  const tfs: number[] = [];
  // Two terms with one truncated hash (never expected at 128 bits) would count as one.
  const seen = new Map<string, number>();
  for (const [term, tf] of terms) {
    const h = hashOf(ctx, term);
    const key = h.toString("hex");
    const at = seen.get(key);
    if (at !== undefined) tfs[at]! += tf;
    else {
      seen.set(key, hashes.length);
      hashes.push(h);
      tfs.push(tf);
    }
  }
  return { packed: Buffer.concat(hashes), tfs, length };
}

/** Indexes the texts of one write: one statement per text and visibility. */
async function addTexts(ctx: RequestContext, ticketId: string, texts: Array<{ text: string; internal: boolean }>) {
  for (const internal of [false, true]) {
    const joined = texts.filter((t) => t.internal === internal).map((t) => t.text);
    if (joined.length) await repo.addTerms(ctx.tx, ticketId, internal, packText(ctx, joined.join("\n")));
  }
}

/** The `conversation.written` listener. */
export async function indexOnWrite(ctx: RequestContext, e: ConversationEvent): Promise<void> {
  switch (e.kind) {
    case "ticket.created":
      await addTexts(ctx, e.ticketId, [
        { text: e.text.subject, internal: false },
        { text: e.text.comment.body, internal: !e.text.comment.public },
      ]);
      return;
    case "ticket.changed":
      if (e.text.subject) await repo.removeTerms(ctx.tx, e.ticketId, false, packText(ctx, e.text.subject.before));
      await addTexts(ctx, e.ticketId, [
        ...(e.text.subject ? [{ text: e.text.subject.after, internal: false }] : []),
        ...(e.text.comment ? [{ text: e.text.comment.body, internal: !e.text.comment.public }] : []),
      ]);
      return;
    case "ticket.deleted":
      await repo.removeTicket(ctx.tx, e.ticketId);
      return;
    case "comment.redacted":
      await repo.removeTerms(ctx.tx, e.ticketId, !e.text.public, packText(ctx, e.text.before));
      await repo.addTerms(ctx.tx, e.ticketId, !e.text.public, packText(ctx, e.text.after));
      return;
  }
}

/** Per tenant and reader kind, the index's document count and average length, kept briefly. */
const STATS_TTL_MS = 60_000;
const statsCache = new Map<string, { at: number; documents: number; averageLength: number }>();

async function statsFor(ctx: RequestContext, withInternal: boolean) {
  const key = `${ctx.tx.tenantId}:${withInternal}`;
  const now = ctx.now().getTime();
  const hit = statsCache.get(key);
  if (hit && now - hit.at < STATS_TTL_MS && now >= hit.at) return hit;
  const s = await repo.documentStats(ctx.tx, withInternal);
  const v = { at: now, documents: s.documents, averageLength: s.documents ? s.totalLength / s.documents : 1 };
  if (statsCache.size > 10_000) statsCache.clear();
  statsCache.set(key, v);
  return v;
}

/**
 * Document frequencies of common terms, per tenant, reader kind and hash, kept as briefly as the
 * stats above. A count costs in proportion to the term's postings, so only large ones (at least
 * DF_CACHE_MIN) are kept: a rare term is counted afresh every time, and a common one's idf barely
 * moves within a minute. The cache affects scores by at most that staleness, never which tickets match.
 */
const DF_CACHE_MIN = 1000;
const dfCache = new Map<string, { at: number; df: number }>();

async function documentFrequencies(ctx: RequestContext, hashes: Buffer[], withInternal: boolean): Promise<number[]> {
  const now = ctx.now().getTime();
  const keyOf = (h: Buffer) => `${ctx.tx.tenantId}:${withInternal}:${h.toString("hex")}`;
  const out = hashes.map((h) => {
    const hit = dfCache.get(keyOf(h));
    return hit && now - hit.at < STATS_TTL_MS && now >= hit.at ? hit.df : undefined;
  });
  const missing = hashes.flatMap((h, i) => (out[i] === undefined ? [i] : []));
  if (missing.length) {
    const counted = await repo.documentFrequencies(ctx.tx, Buffer.concat(missing.map((i) => hashes[i]!)), missing.length, withInternal);
    if (dfCache.size > 100_000) dfCache.clear();
    missing.forEach((i, k) => {
      out[i] = counted[k]!;
      if (counted[k]! >= DF_CACHE_MIN) dfCache.set(keyOf(hashes[i]!), { at: now, df: counted[k]! });
    });
  }
  return out.map((d) => d ?? 0);
}

/**
 * The tickets matching a query's free words and phrases, as a subquery (`ticket_id`, `score`) to
 * join to a ticket query, or undefined when the query has none. `withInternal`: the reader may see
 * internal notes.
 */
export async function textMatch(ctx: RequestContext, parts: readonly string[], withInternal: boolean) {
  const groups = queryGroups(parts);
  if (groups.length === 0) return undefined;
  if (groups.length > MAX_QUERY_GROUPS) throw invalid("query", `too many words to search for at once (at most ${MAX_QUERY_GROUPS} words, pairs and character pairs)`);
  const hashes: Buffer[] = [];
  const index: number[] = [];
  groups.forEach((g, i) => g.alternatives.forEach((a) => (hashes.push(hashOf(ctx, a)), index.push(i))));
  const stats = await statsFor(ctx, withInternal);
  const dfs = await documentFrequencies(ctx, hashes, withInternal);
  // The group with the fewest postings leads (repo.matchingTickets); a group's are at most the sum of its alternatives'.
  const groupDf = new Array<number>(groups.length).fill(0);
  index.forEach((g, i) => (groupDf[g]! += dfs[i]!));
  const lead = groupDf.indexOf(Math.min(...groupDf));
  return repo.matchingTickets(ctx.tx.tenantId, { packed: Buffer.concat(hashes), groups: index, dfs, groupCount: groups.length, lead }, { withInternal, ...stats });
}
