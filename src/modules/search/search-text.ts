import { newStemmer } from "snowball-stemmers";

/**
 * Text → search terms, the same way for what is indexed and what is asked (pure; no keys here:
 * search-index.ts hashes every term before it goes anywhere near the database).
 *
 *  - Unicode NFKC, then lower case (full-width letters, ligatures and case fold together).
 *  - Words by Intl.Segmenter (word granularity). A Latin word is stemmed with every Latin-script
 *    Snowball stemmer of the tenant's languages, a Cyrillic word with the Cyrillic ones; each stem
 *    is taken from the accented word and then stripped of its accents (NFD, marks dropped), so
 *    "café" and "cafe" meet while the stemmer still sees the word as written. Every distinct stem
 *    is a term of that position: a query word matches when any of its stems does.
 *  - Han, Hiragana, Katakana and Hangul: contiguous runs (across the segmenter's own splits, which
 *    differ between a short query and a long text) become overlapping character bigrams; a run of
 *    one character is its unigram. 프린터 finds 프린터가, 印刷機 finds 印刷機が.
 *  - Adjacent words give pair terms (every stem of word i with every stem of word i+1, in order),
 *    so that a quoted phrase can require its words in order. A CJK run breaks the chain (order
 *    inside a run is carried by its bigrams); punctuation between words does not.
 * Term strings carry their kind (`w`, `c`, `p`), so a word can never stand for a pair.
 */

/** The Snowball algorithms a tenant's text is stemmed with unless told otherwise. */
export const DEFAULT_LANGUAGES: readonly string[] = ["english", "swedish", "russian"];

/** Which words a Snowball algorithm applies to (all others in snowball-stemmers are Latin-script except these). */
export const SCRIPT_OF: Record<string, "cyrillic" | "other"> = { russian: "cyrillic", arabic: "other", armenian: "other", tamil: "other" };

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30FC\u3005]/u;
const CJK_OR_NOT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30FC\u3005]+|[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30FC\u3005]+/gu;
const LATIN = /\p{Script=Latin}/u;
const CYRILLIC = /\p{Script=Cyrillic}/u;
const MARKS = /\p{M}/gu;

const stemmers = new Map<string, ReturnType<typeof newStemmer>>();
function stemmer(language: string) {
  let s = stemmers.get(language);
  if (!s) stemmers.set(language, (s = newStemmer(language)));
  return s;
}

const segmenter = new Intl.Segmenter("und", { granularity: "word" });

export const stripAccents = (s: string) => s.normalize("NFD").replace(MARKS, "").normalize("NFC");

/**
 * Stems already computed, by languages and word: words repeat (a vocabulary is Zipf-shaped), and
 * Snowball in JavaScript costs ~25 µs a word, most of indexing a ticket's text (bench/README.md).
 * Bounded: emptied when full. Callers never modify the arrays returned.
 */
const STEM_CACHE_MAX = 50_000;
const stemCache = new Map<string, string[]>();

/** The stems of one lower-case, NFKC word (each stripped of accents), distinct, in a stable order. */
export function stemsOf(word: string, languages: readonly string[] = DEFAULT_LANGUAGES): string[] {
  const key = `${languages.join(",")}\u0000${word}`;
  const hit = stemCache.get(key);
  if (hit) return hit;
  const stems = computeStems(word, languages);
  if (stemCache.size >= STEM_CACHE_MAX) stemCache.clear();
  stemCache.set(key, stems);
  return stems;
}

function computeStems(word: string, languages: readonly string[]): string[] {
  const script = CYRILLIC.test(word) ? "cyrillic" : LATIN.test(word) ? "latin" : "other";
  const out = new Set<string>();
  if (script !== "other") {
    for (const lang of languages) {
      const applies = (SCRIPT_OF[lang] ?? "latin") === script;
      if (applies) out.add(stripAccents(stemmer(lang).stem(word)));
    }
  }
  // No stemmer for this script (digits, Greek, Thai…), or none configured: the word itself.
  if (out.size === 0) out.add(stripAccents(word));
  out.delete("");
  return [...out];
}

/** One token of a text: a word with its stems, or a run of CJK characters. */
export type Token = { kind: "word"; stems: string[] } | { kind: "cjk"; run: string };

/** One token with where it lies in the string it was read from: [start, end) in UTF-16 units. */
type Scanned = { tok: Token; start: number; end: number };

/** A word or a CJK run of a normalised string, unstemmed, with its place: [start, end) in UTF-16 units. */
export type Piece = ({ kind: "word"; word: string } | { kind: "cjk"; run: string }) & { start: number; end: number };

/**
 * Words and CJK runs of an already normalised (NFKC, lower-case) string, in order, with their
 * places. Contiguous CJK characters make one run even across the segmenter's own splits (which
 * differ between a short query and a long text); a word is what the segmenter calls word-like.
 * The one reading of text that the ticket index, the highlighting and the name index share.
 */
export function piecesOf(norm: string): Piece[] {
  const out: Piece[] = [];
  let runEnd = -1;
  for (const seg of segmenter.segment(norm)) {
    if (!seg.isWordLike) {
      runEnd = -1;
      continue;
    }
    let at = seg.index;
    for (const part of seg.segment.match(CJK_OR_NOT) ?? []) {
      if (CJK.test(part)) {
        const last = out[out.length - 1];
        if (runEnd === at && last?.kind === "cjk") {
          last.run += part;
          last.end = at + part.length;
        } else out.push({ kind: "cjk", run: part, start: at, end: at + part.length });
        runEnd = at + part.length;
      } else {
        out.push({ kind: "word", word: part, start: at, end: at + part.length });
        runEnd = -1;
      }
      at += part.length;
    }
  }
  return out;
}

/** The pieces of a normalised string as tokens (words stemmed): what `tokenize` and `tokenizeWithOffsets` share. */
function scan(norm: string, languages: readonly string[]): Scanned[] {
  return piecesOf(norm).flatMap((p): Scanned[] => {
    if (p.kind === "cjk") return [{ tok: { kind: "cjk", run: p.run }, start: p.start, end: p.end }];
    const stems = stemsOf(p.word, languages);
    return stems.length ? [{ tok: { kind: "word", stems }, start: p.start, end: p.end }] : [];
  });
}

const normalise = (s: string) => s.normalize("NFKC").toLowerCase();

/** Splits text into words and CJK runs, in order. */
export function tokenize(text: string, languages: readonly string[] = DEFAULT_LANGUAGES): Token[] {
  return scan(normalise(text), languages).map((s) => s.tok);
}

/** A span of the original text, [start, end) in UTF-16 units. */
export type Span = { start: number; end: number };

/**
 * A token as `tokenize` reads it, with its span in the ORIGINAL text (before NFKC and case
 * folding), and for a CJK run the span of each of its characters (by code point), so that a
 * matching word or character pair can be marked in the text as written.
 */
export type LocatedToken = ({ kind: "word"; stems: string[] } | { kind: "cjk"; run: string; chars: Span[] }) & Span;

const graphemes = new Intl.Segmenter("und", { granularity: "grapheme" });

/**
 * `tokenize` with places: the same tokens, each with its span in `text`. Normalisation can change
 * lengths (ﬁ → fi, ㍿ → 株式会社), so each grapheme is normalised on its own to map places in
 * the normalised text back to the grapheme they came from (a part of an expanded grapheme maps
 * to the whole grapheme). Tokens are read from the whole text normalised at once, exactly as the
 * index reads it; only if that differs in length from the graphemes normalised one by one (never
 * seen in practice) are they read from the latter instead.
 */
export function tokenizeWithOffsets(text: string, languages: readonly string[] = DEFAULT_LANGUAGES): LocatedToken[] {
  const from: number[] = []; // per unit of the normalised text: where its grapheme starts in `text`
  const to: number[] = []; // … and ends
  const pieces: string[] = [];
  for (const g of graphemes.segment(text)) {
    const piece = normalise(g.segment);
    pieces.push(piece);
    for (let k = 0; k < piece.length; k++) {
      from.push(g.index);
      to.push(g.index + g.segment.length);
    }
  }
  const whole = normalise(text);
  const norm = whole.length === from.length ? whole : pieces.join("");
  const span = (start: number, end: number): Span => ({ start: from[start] ?? text.length, end: to[end - 1] ?? text.length });
  return scan(norm, languages).map(({ tok, start, end }): LocatedToken => {
    if (tok.kind === "word") return { kind: "word", stems: tok.stems, ...span(start, end) };
    const chars: Span[] = [];
    let at = start;
    for (const ch of tok.run) {
      chars.push(span(at, at + ch.length));
      at += ch.length;
    }
    return { kind: "cjk", run: tok.run, chars, ...span(start, end) };
  });
}

/** The bigrams of a CJK run (by code point), or its only character. */
export function bigrams(run: string): string[] {
  const chars = [...run];
  if (chars.length === 1) return chars;
  const out: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
  return out;
}

export const wordTerm = (stem: string) => `w:${stem}`;
export const gramTerm = (gram: string) => `c:${gram}`;
export const pairTerm = (a: string, b: string) => `p:${a} ${b}`;
/** Whether a term is a phrase pair (kept apart from words: search_pair_sets, search-repo.ts addTerms and pairsHeld). */
export const isPairTerm = (term: string) => term.startsWith("p:");

const pairsOf = (a: string[], b: string[]) => a.flatMap((x) => b.map((y) => pairTerm(x, y)));

/**
 * The terms of a text with their frequencies, and its length (word positions plus CJK grams,
 * for BM25's length normalisation).
 */
export function termsOf(text: string, languages: readonly string[] = DEFAULT_LANGUAGES): { terms: Map<string, number>; length: number } {
  const terms = new Map<string, number>();
  const add = (t: string) => terms.set(t, (terms.get(t) ?? 0) + 1);
  let length = 0;
  let prev: string[] | undefined;
  for (const tok of tokenize(text, languages)) {
    if (tok.kind === "cjk") {
      const grams = bigrams(tok.run);
      grams.forEach((g) => add(gramTerm(g)));
      length += grams.length;
      prev = undefined;
      continue;
    }
    tok.stems.forEach((s) => add(wordTerm(s)));
    if (prev) pairsOf(prev, tok.stems).forEach(add);
    prev = tok.stems;
    length++;
  }
  return { terms, length };
}

/**
 * What a query asks for: every group must match; a group matches when any of its alternatives
 * does. `parts` are the query's free words and quoted phrases. A word is one group (its stems); a
 * CJK run one group per bigram; words within one part (a quoted phrase, or `paper-jam` typed as
 * one token) also need each adjacent pair, in order. `word`: which of the query's words (or CJK
 * runs) the group comes from, counted in order: a CJK run's bigrams share one (they are one word's
 * parts, found together), a phrase's pairs take the later word's.
 */
export type QueryGroup = { alternatives: string[]; word: number };

export function queryGroups(parts: readonly string[], languages: readonly string[] = DEFAULT_LANGUAGES): QueryGroup[] {
  const groups: QueryGroup[] = [];
  const seen = new Set<string>();
  let word = -1;
  const push = (alternatives: string[]) => {
    const key = [...alternatives].sort().join("\u0000");
    if (alternatives.length && !seen.has(key)) {
      seen.add(key);
      groups.push({ alternatives, word });
    }
  };
  for (const text of parts) {
    let prev: string[] | undefined;
    for (const tok of tokenize(text, languages)) {
      word++;
      if (tok.kind === "cjk") {
        bigrams(tok.run).forEach((g) => push([gramTerm(g)]));
        prev = undefined;
        continue;
      }
      push(tok.stems.map(wordTerm));
      if (prev) push(pairsOf(prev, tok.stems));
      prev = tok.stems;
    }
  }
  return groups;
}
