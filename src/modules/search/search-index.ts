import type { Expression } from "kysely";
import type { RequestContext } from "../../platform/context.ts";
import { invalid } from "../../platform/errors.ts";
import type { ConversationEvent } from "../tickets/conversation.ts";
import * as repo from "./search-repo.ts";
import type { IndexableTicket } from "../tickets/tickets-service.ts";
import { DEFAULT_LANGUAGES, isPairTerm, queryGroups, termsOf } from "./search-text.ts";

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
 *
 * Text is stemmed with the tenant's search languages (0035_search_settings.sql). A write reads
 * them FOR SHARE in its own transaction, so a change of languages waits for the writes in flight
 * and every later write uses the new ones; the reindex job the change starts (search-reindex-
 * service.ts) rebuilds what was written before. Queries read them through a cache of LANGUAGES_TTL_MS.
 */

export const SEARCH_PURPOSE = "search.term";

/**
 * A text search's matching tickets as a subquery, in score order (`ordered`) or in none; `top`
 * (ordered): only the best matches no other can outscore, when `prunable(top)` (repo.matchingTickets).
 */
export type TextMatch = ((ordered: boolean, top?: number) => ReturnType<typeof repo.matchingTickets>) & { prunable: (top: number) => boolean };

/** Most term groups one query may ask for (a long pasted paragraph is refused, not run). */
export const MAX_QUERY_GROUPS = 48;

const hashOf = (ctx: Pick<RequestContext, "sealer">, term: string) => ctx.sealer.blindIndex(SEARCH_PURPOSE, term).subarray(0, repo.TERM_BYTES);

/**
 * The hashed terms of one or more texts, each text on its own: no pair term spans two texts (a
 * subject's last word and its description's first), so removing one text later (a rename, a
 * redaction) removes every term it brought.
 */
/** Also what bench/search.ts seeds. */
export function packText(ctx: Pick<RequestContext, "sealer">, texts: string | readonly string[], languages: readonly string[]): repo.PackedTerms {
  const words = new Map<string, number>();
  const pairs = new Map<string, number>();
  let length = 0;
  for (const text of typeof texts === "string" ? [texts] : texts) {
    const one = termsOf(text, languages);
    for (const [term, tf] of one.terms) {
      const to = isPairTerm(term) ? pairs : words;
      to.set(term, (to.get(term) ?? 0) + tf);
    }
    length += one.length;
  }
  return { ...packList(ctx, words), pairs: packList(ctx, pairs), length: Math.min(length, repo.COUNT_MAX) };
}

/** Terms hashed, with their counts, in the order of their hashes. */
function packList(ctx: Pick<RequestContext, "sealer">, terms: ReadonlyMap<string, number>): repo.PackedList {
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
  // In the order of the hashes, not of the text: rows written in one statement lie in the heap in
  // the order given, and a value of search_pair_sets holds them side by side, so the text's
  // order would be readable from the stored bytes (which keyed pair follows which).
  const order = hashes.map((_, i) => i).sort((x, y) => Buffer.compare(hashes[x]!, hashes[y]!));
  return { packed: Buffer.concat(order.map((i) => hashes[i]!)), tfs: order.map((i) => Math.min(tfs[i]!, repo.COUNT_MAX)) };
}

/** Indexes the texts of one write: one statement per visibility. */
async function addTexts(ctx: RequestContext, ticketId: string, texts: Array<{ text: string; internal: boolean }>, languages: readonly string[]) {
  for (const internal of [false, true]) {
    const same = texts.filter((t) => t.internal === internal).map((t) => t.text);
    if (same.length) await repo.addTerms(ctx.tx, ticketId, internal, packText(ctx, same, languages));
  }
}

/** How long a process keeps a tenant's languages for queries (other processes see a change within it). */
export const LANGUAGES_TTL_MS = 10_000;
const languagesCache = new Map<string, { at: number; languages: readonly string[] }>();

/** The tenant's search languages for a write: read in its transaction and locked FOR SHARE until it ends. */
export async function languagesForWrite(ctx: RequestContext): Promise<readonly string[]> {
  return (await repo.findLanguages(ctx.tx, true)) ?? DEFAULT_LANGUAGES;
}

/** The tenant's search languages for a query, through the cache. */
async function languagesForQuery(ctx: RequestContext): Promise<readonly string[]> {
  const now = Date.now();
  const hit = languagesCache.get(ctx.tx.tenantId);
  if (hit && now - hit.at < LANGUAGES_TTL_MS && now >= hit.at) return hit.languages;
  const languages = (await repo.findLanguages(ctx.tx, false)) ?? DEFAULT_LANGUAGES;
  if (languagesCache.size > 10_000) languagesCache.clear();
  languagesCache.set(ctx.tx.tenantId, { at: now, languages });
  return languages;
}

/** Drops this process's cached languages of a tenant (after a change; other processes wait out LANGUAGES_TTL_MS). */
export function forgetLanguages(tenantId: string): void {
  languagesCache.delete(tenantId);
}

/**
 * Rebuilds one ticket's index entries from its text, in the caller's transaction: everything it
 * had goes, then its texts are added, each on its own as the writes add them, so a ticket's
 * rebuilt entries equal those its writes made.
 */
export async function rebuildTicket(ctx: RequestContext, t: IndexableTicket, languages: readonly string[]): Promise<void> {
  await repo.removeTickets(ctx.tx, [t.id]);
  if (t.deleted) return;
  const texts = [{ text: t.subject, internal: false }, ...t.comments.map((c) => ({ text: c.body, internal: !c.public }))];
  // In parts of at most REBUILD_PART_CHARS of text: a part's phrase pairs are one row of
  // search_pair_sets (16 bytes an occurrence), so a very long conversation never makes a value
  // near PostgreSQL's limit of one (1 GB) that its writes, a comment at a time, never made.
  let part: typeof texts = [];
  let chars = 0;
  for (const x of texts) {
    if (part.length > 0 && chars + x.text.length > REBUILD_PART_CHARS) {
      await addTexts(ctx, t.id, part, languages);
      part = [];
      chars = 0;
    }
    part.push(x);
    chars += x.text.length;
  }
  await addTexts(ctx, t.id, part, languages);
}

/** Most characters of text a ticket's rebuild indexes in one statement (rebuildTicket). */
export const REBUILD_PART_CHARS = 250_000;

/** The `conversation.written` listener. */
export async function indexOnWrite(ctx: RequestContext, e: ConversationEvent): Promise<void> {
  if (e.kind === "tickets.purged") {
    await repo.removeTickets(ctx.tx, e.tickets.map((t) => t.id));
    return;
  }
  if (e.kind === "ticket.deleted") {
    await repo.removeTickets(ctx.tx, [e.ticketId]);
    return;
  }
  const languages = await languagesForWrite(ctx);
  switch (e.kind) {
    case "ticket.created":
      await addTexts(ctx, e.ticketId, [
        { text: e.text.subject, internal: false },
        { text: e.text.comment.body, internal: !e.text.comment.public },
      ], languages);
      return;
    case "ticket.changed":
      if (e.text.subject) await repo.removeTerms(ctx.tx, e.ticketId, false, packText(ctx, e.text.subject.before, languages));
      await addTexts(ctx, e.ticketId, [
        ...(e.text.subject ? [{ text: e.text.subject.after, internal: false }] : []),
        ...(e.text.comment ? [{ text: e.text.comment.body, internal: !e.text.comment.public }] : []),
      ], languages);
      return;
    case "ticket.restored":
      // Each text on its own, as the writes indexed them.
      await addTexts(ctx, e.ticketId, [{ text: e.text.subject, internal: false }, ...e.text.comments.map((c) => ({ text: c.body, internal: !c.public }))], languages);
      return;
    case "comment.redacted":
      if (e.text.before !== e.text.after) {
        await repo.removeTerms(ctx.tx, e.ticketId, !e.text.public, packText(ctx, e.text.before, languages));
        await repo.addTerms(ctx.tx, e.ticketId, !e.text.public, packText(ctx, e.text.after, languages));
      }
      // The subject is indexed as public text, as the writes index it.
      if (e.text.subject) {
        await repo.removeTerms(ctx.tx, e.ticketId, false, packText(ctx, e.text.subject.before, languages));
        await repo.addTerms(ctx.tx, e.ticketId, false, packText(ctx, e.text.subject.after, languages));
      }
      return;
  }
}

/** Per tenant and reader kind, the index's document count and average length, kept briefly. */
const STATS_TTL_MS = 60_000;
const statsCache = new Map<string, { at: number; documents: number; averageLength: number }>();

async function statsFor(ctx: RequestContext, withInternal: boolean, within: Expression<unknown> | undefined) {
  if (within) {
    // A reader who sees part of the tenant: statistics of that part, never cached (they are the reader's own).
    const s = await repo.documentStats(ctx.tx, withInternal, within);
    return { documents: s.documents, averageLength: s.documents ? s.totalLength / s.documents : 1 };
  }
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

async function documentFrequencies(ctx: RequestContext, hashes: Buffer[], withInternal: boolean, within: Expression<unknown> | undefined): Promise<number[]> {
  // A reader who sees part of the tenant: counted within that part every time, never cached.
  if (within) return repo.documentFrequencies(ctx.tx, Buffer.concat(hashes), hashes.length, withInternal, within);
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
 * The tickets matching a query's free words and phrases, as a subquery (`nice_id`, `score`) to
 * join to a ticket query (given `ordered`: whether its rows come highest score first, for a page
 * in relevance order; a count or another order has no use for the sort), or undefined when the
 * query has none. `withInternal`: the reader may see
 * internal notes; `within`: the tickets the reader may see (a subquery of their nice_ids), unless all: the
 * ranking's statistics then come from those tickets alone (search-repo.ts matchingTickets).
 */
export async function textMatch(ctx: RequestContext, parts: readonly string[], withInternal: boolean, within?: Expression<unknown>): Promise<TextMatch | undefined> {
  const all = queryGroups(parts, await languagesForQuery(ctx));
  if (all.length === 0) return undefined;
  if (all.length > MAX_QUERY_GROUPS) throw invalid("query", `too many words to search for at once (at most ${MAX_QUERY_GROUPS} words, pairs and character pairs)`);
  // Phrase pairs are checked on the tickets having the phrase's words (repo.matchingTickets); a
  // pair is made of two words, each a group of its own, so a query with pairs always has words.
  const groups = all.filter((g) => !g.alternatives.some(isPairTerm));
  const pairs = all.filter((g) => g.alternatives.some(isPairTerm)).map((g) => g.alternatives.map((a) => hashOf(ctx, a)));
  if (groups.length === 0) throw new Error("a query's pairs come with their words");
  const hashes: Buffer[] = [];
  const index: number[] = [];
  groups.forEach((g, i) => g.alternatives.forEach((a) => (hashes.push(hashOf(ctx, a)), index.push(i))));
  const stats = await statsFor(ctx, withInternal, within);
  const dfs = await documentFrequencies(ctx, hashes, withInternal, within);
  // The group with the fewest postings leads (repo.matchingTickets); a group's are at most the sum of its alternatives'.
  const groupDf = new Array<number>(groups.length).fill(0);
  index.forEach((g, i) => (groupDf[g]! += dfs[i]!));
  const lead = groupDf.indexOf(Math.min(...groupDf));
  // One pass over the documents reads all of the tenant's (`within` only filters them): never for
  // a reader who sees part of it (an end user's own requests: their few tickets are looked up).
  // A phrase: merged or looked up (repo.preferMerge).
  // Merging reads every posting of the words in the tenant, so never for a reader who sees part of
  // it either (their few tickets are looked up, as the rare pair used to lead for them).
  const way: repo.MatchWay = pairs.length
    ? !within && repo.preferMerge(dfs, groupDf, lead) ? "merge" : "lookups"
    : !within && repo.preferDense(stats.documents, groupDf, lead) ? "pass" : "lookups";
  const q = { packed: Buffer.concat(hashes), groups: index, dfs, groupCount: groups.length, lead, pairs };
  // Pruned by bounds (repo.prunedMatch), for a relevance page: a single word (with its
  // alternatives) in more tickets than the best `top` asked for; a rarer one is matched whole,
  // which costs about as much. Its scores are those of the merge and of the one pass to the last
  // digit, so a page asked again of every match (or the next page, pruned or not) continues where
  // it stopped. Several groups only when they are one CJK word's character pairs, found together
  // in every ticket holding the rarest, each of which the lookups would probe and look up, and in
  // more tickets than `top` (repo.preferPruned; bench/README.md, "Bounds"). Several words were
  // measured no faster by bound.
  const words = groups.map((g) => g.word);
  const expected = repo.expectedMatches(stats.documents, groupDf, words);
  const prunable = (top: number) =>
    pairs.length === 0 && hashes.length <= repo.DENSE_MAX_TERMS && (groups.length === 1 ? Math.max(...dfs) > top : repo.preferPruned(dfs, groupDf, lead, expected, top, words));
  return Object.assign((ordered: boolean, top?: number) => repo.matchingTickets(ctx.tx.tenantId, q, { withInternal, ...stats, within, way, ordered, top: top !== undefined && prunable(top) ? top : undefined }), { prunable });
}
