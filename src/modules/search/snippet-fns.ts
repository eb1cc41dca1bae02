import { bigrams, DEFAULT_LANGUAGES, tokenize, tokenizeWithOffsets, type Span } from "./search-text.ts";

/**
 * Highlighted snippets of search hits, built from decrypted text at answer time and never stored
 * (pure; the services decrypt only the tickets of the page being answered).
 *
 * A snippet is a list of parts, `{ text, match }`: plain text, never markup, so whatever a ticket
 * holds (`<script>`, `<b>`) comes back as characters and a client renders it as text. Matches are
 * found with the index's own tokeniser (search-text.ts): a word is marked when one of its stems is
 * one of a query word's stems ("printers" for "printer"), Chinese, Japanese and Korean characters
 * when they form one of the query's character pairs (or its only character, as the index has it).
 */

export type Part = { text: string; match: boolean };
export type Highlights = { subject: Part[]; comment: Part[] };

/** The longest snippet, in characters (UTF-16 units) before whitespace is collapsed. */
export const SNIPPET_LENGTH = 200;
/** How much text a snippet shows before its first match, at most. */
const LEAD = 60;
/** How far into one text matches are looked for (a huge pasted log is read only this far). */
export const SCAN_LIMIT = 20_000;
/** How much of one hit's comments is read in all, so a page of hits costs a bounded amount of work. */
export const SCAN_BUDGET = 60_000;

/** What a query's words and phrases mark in a text. */
export type Matcher = { stems: Set<string>; grams: Set<string>; singles: Set<string> };

export function matcherFor(parts: readonly string[], languages: readonly string[] = DEFAULT_LANGUAGES): Matcher {
  const m: Matcher = { stems: new Set(), grams: new Set(), singles: new Set() };
  for (const text of parts) {
    for (const tok of tokenize(text, languages)) {
      if (tok.kind === "word") tok.stems.forEach((s) => m.stems.add(s));
      else if ([...tok.run].length === 1) m.singles.add(tok.run);
      else bigrams(tok.run).forEach((g) => m.grams.add(g));
    }
  }
  return m;
}

/** Where `text` matches: merged spans in order, and which query terms it holds (for choosing the best text). */
export function findMatches(text: string, m: Matcher, languages: readonly string[] = DEFAULT_LANGUAGES, limit = SCAN_LIMIT): { spans: Span[]; terms: Set<string> } {
  const spans: Span[] = [];
  const terms = new Set<string>();
  const read = text.length > limit ? text.slice(0, limit) : text;
  for (const tok of tokenizeWithOffsets(read, languages)) {
    if (tok.kind === "word") {
      const hit = tok.stems.find((s) => m.stems.has(s));
      if (hit !== undefined) {
        spans.push({ start: tok.start, end: tok.end });
        terms.add(`w:${hit}`);
      }
      continue;
    }
    const chars = [...tok.run];
    if (chars.length === 1) {
      if (m.singles.has(tok.run)) {
        spans.push({ start: tok.start, end: tok.end });
        terms.add(`c:${tok.run}`);
      }
      continue;
    }
    for (let i = 0; i + 1 < chars.length; i++) {
      const gram = chars[i]! + chars[i + 1]!;
      if (m.grams.has(gram)) {
        spans.push({ start: tok.chars[i]!.start, end: tok.chars[i + 1]!.end });
        terms.add(`c:${gram}`);
      }
    }
  }
  return { spans: merge(spans, read), terms };
}

/** Overlapping spans, and spans with only spaces between them ("paper jam"), become one. */
function merge(spans: Span[], text: string): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && (s.start <= last.end || /^[ \t]+$/.test(text.slice(last.end, s.start)))) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

const words = new Intl.Segmenter("und", { granularity: "word" });

/** Word boundaries of `text` between `from` and `to` (segment edges; the ends of the text count). */
function boundaries(text: string, from: number, to: number): number[] {
  const lo = Math.max(0, from - 40);
  const hi = Math.min(text.length, to + 40);
  const out = new Set<number>();
  for (const seg of words.segment(text.slice(lo, hi))) {
    // A slice's own edges are not word boundaries of the text unless they are its ends.
    if (seg.index > 0 || lo === 0) out.add(lo + seg.index);
  }
  if (hi === text.length) out.add(hi);
  return [...out].sort((a, b) => a - b);
}

/**
 * The part of `text` around its first matches: at most `max` characters, cut at word boundaries,
 * `…` where it was cut, whitespace runs collapsed to one space. No matches: the text's beginning.
 */
export function excerpt(text: string, spans: readonly Span[], max = SNIPPET_LENGTH): Part[] {
  let start = 0;
  let end = text.length;
  if (text.length > max) {
    const first = spans[0];
    let want = first ? Math.max(0, first.start - LEAD) : 0;
    if (first) want = Math.min(want, Math.max(0, text.length - max));
    const near = boundaries(text, want, want + max);
    start = first ? Math.min(near.find((b) => b >= want) ?? first.start, first.start) : 0;
    end = [...near].reverse().find((b) => b <= start + max && b > start) ?? start + max;
    // A first match longer than the snippet is cut inside (a huge word is not shown whole).
    if (first && end < Math.min(first.end, start + max)) end = Math.min(first.end, start + max);
  }
  const parts: Part[] = [];
  const push = (s: number, e: number, match: boolean) => {
    if (e <= s) return;
    const t = text.slice(s, e).replace(/\s+/g, " ");
    const last = parts[parts.length - 1];
    if (last && last.match === match) last.text += t;
    else parts.push({ text: t, match });
  };
  let at = start;
  for (const s of spans) {
    if (s.end <= start || s.start >= end) continue;
    push(at, Math.max(at, s.start), false);
    push(Math.max(at, s.start), Math.min(s.end, end), true);
    at = Math.min(s.end, end);
  }
  push(at, end, false);
  // Spaces at the cut edges go; the cuts are shown.
  if (parts[0] && !parts[0].match) parts[0].text = parts[0].text.trimStart();
  const tail = parts[parts.length - 1];
  if (tail && !tail.match) tail.text = tail.text.trimEnd();
  if (start > 0) parts.unshift({ text: "…", match: false });
  if (end < text.length) parts.push({ text: "…", match: false });
  return joinPlain(parts.filter((p) => p.text !== ""));
}

function joinPlain(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (last && !last.match && !p.match) last.text += p.text;
    else out.push({ ...p });
  }
  return out;
}

/**
 * A hit's highlights: its subject, and the excerpt of the comment (among those given: the ones the
 * reader may see) holding the most of the query's distinct terms, then the most matches; the
 * earliest among equals. `comment` is empty when only the subject matched. Comments are read in
 * the order given, each up to SCAN_LIMIT characters, until SCAN_BUDGET is spent.
 */
export function highlightsOf(m: Matcher, subject: string, comments: readonly string[], languages: readonly string[] = DEFAULT_LANGUAGES): Highlights {
  const s = findMatches(subject, m, languages);
  let best: { text: string; spans: Span[]; score: [number, number] } | undefined;
  let budget = SCAN_BUDGET;
  for (const body of comments) {
    if (budget <= 0) break;
    const limit = Math.min(SCAN_LIMIT, budget);
    budget -= Math.min(body.length, limit);
    const f = findMatches(body, m, languages, limit);
    if (f.spans.length === 0) continue;
    const score: [number, number] = [f.terms.size, f.spans.length];
    if (!best || score[0] > best.score[0] || (score[0] === best.score[0] && score[1] > best.score[1])) best = { text: body, spans: f.spans, score };
  }
  return { subject: excerpt(subject, s.spans), comment: best ? excerpt(best.text, best.spans) : [] };
}
