import { piecesOf as scanPieces, stripAccents } from "./search-text.ts";

/**
 * Names and e-mail addresses → search terms, for people and organizations (pure; no keys here:
 * people-index.ts hashes every term before it goes anywhere near the database).
 *
 *  - Unicode NFKC, lower case, then accents stripped from letters (NFD, marks dropped): "José"
 *    and "jose" meet, "Åsa" and "asa" too. CJK characters keep their marks (が is not か).
 *  - Words by Intl.Segmenter. A word gives its whole-word term and its prefixes of 1..PREFIX_CAP
 *    characters (type-ahead: "ad" finds Ada).
 *  - Han, Hiragana, Katakana and Hangul: a contiguous run (a name is often written without
 *    spaces: 山田太郎, 김민준) gives every stretch of up to PREFIX_CAP characters starting at any of
 *    its characters, so its leading characters, and a given name written after the family name,
 *    find it; a CJK query always matches as such a stretch (there are no spaces to end a word).
 *  - An e-mail address gives the same terms for the whole address, its local part, its domain, and
 *    the words of each (split at dots, hyphens, plus signs…): "ada@", "lovelace", "example" and
 *    "ada.lovelace@example.com" all find ada.lovelace@example.com.
 * Term strings carry their field and kind (`name:w:ada`, `email:p:ad`), so a prefix never stands
 * for a whole word and a name never for an address.
 */

/** Longest prefix indexed (in characters); a longer prefix asked for matches by its first PREFIX_CAP. */
export const PREFIX_CAP = 20;

export type NameField = "name" | "email";

const WORD_SPLIT = /[^\p{L}\p{N}]+/u;

const wordTerm = (f: NameField, w: string) => `${f}:w:${w}`;
const prefixTerm = (f: NameField, p: string) => `${f}:p:${p}`;
const capped = (s: string) => [...s].slice(0, PREFIX_CAP).join("");

/** One piece of a name: a word (lower case, accents stripped) or a run of CJK characters. */
export type Piece = { kind: "word"; word: string } | { kind: "cjk"; run: string };

/** Splits a name (or a query word) into words and CJK runs, in order (search-text.ts reads text the same way). */
export function piecesOf(text: string): Piece[] {
  return scanPieces(text.normalize("NFKC").toLowerCase()).flatMap((p): Piece[] => {
    if (p.kind === "cjk") return [{ kind: "cjk", run: p.run }];
    const word = stripAccents(p.word);
    return word ? [{ kind: "word", word }] : [];
  });
}

function addWord(out: Set<string>, f: NameField, word: string) {
  out.add(wordTerm(f, word));
  const chars = [...word];
  for (let n = 1; n <= Math.min(chars.length, PREFIX_CAP); n++) out.add(prefixTerm(f, chars.slice(0, n).join("")));
}

function addRun(out: Set<string>, f: NameField, run: string) {
  out.add(wordTerm(f, run));
  const chars = [...run];
  for (let i = 0; i < chars.length; i++) {
    for (let n = 1; n <= PREFIX_CAP && i + n <= chars.length; n++) out.add(prefixTerm(f, chars.slice(i, i + n).join("")));
  }
}

/** The terms of a person's or an organization's name. */
export function nameTerms(name: string): string[] {
  const out = new Set<string>();
  for (const p of piecesOf(name)) {
    if (p.kind === "word") addWord(out, "name", p.word);
    else addRun(out, "name", p.run);
  }
  return [...out];
}

const normaliseAddress = (s: string) => stripAccents(s.trim().normalize("NFKC").toLowerCase());

/** The terms of an e-mail address. */
export function emailTerms(email: string): string[] {
  const out = new Set<string>();
  const e = normaliseAddress(email);
  if (!e) return [];
  const at = e.lastIndexOf("@");
  const parts = at < 0 ? [e] : [e, e.slice(0, at), e.slice(at + 1)];
  for (const part of parts) {
    if (part) addWord(out, "email", part);
    for (const w of part.split(WORD_SPLIT)) if (w) addWord(out, "email", w);
  }
  return [...out];
}

/**
 * One word of a query: which fields it searches (a bare word: the name and the e-mail address;
 * `name:`/`email:` one of them), its text, and whether it ends in `*` (a prefix).
 */
export type QueryWord = { fields: readonly NameField[]; text: string; prefix: boolean };

/** Every group must match; a group matches when any of its alternatives does. */
export type NameGroup = { alternatives: string[] };

/** Reads a query word as typed: a trailing `*` asks for a prefix. */
export function queryWord(raw: string, fields: readonly NameField[]): QueryWord {
  const prefix = /\*+$/.test(raw);
  return { fields, text: raw.replace(/\*+$/, ""), prefix };
}

/**
 * What a query asks for. A word holding "@", or given as `email:`, is matched as one address term
 * (a whole address, local part or domain, or a prefix of one). Any other word is split like a
 * name: each piece is a group, a whole word unless it is the last piece of a word ending in `*`
 * (then a prefix); a CJK run is always a stretch of a name.
 */
export function nameQueryGroups(words: readonly QueryWord[]): NameGroup[] {
  const groups: NameGroup[] = [];
  const seen = new Set<string>();
  const push = (alternatives: string[]) => {
    const key = [...alternatives].sort().join("\u0000");
    if (alternatives.length && !seen.has(key)) {
      seen.add(key);
      groups.push({ alternatives });
    }
  };
  for (const w of words) {
    const asAddress = w.fields.includes("email") && (w.text.includes("@") || (w.fields.length === 1 && w.fields[0] === "email"));
    if (asAddress) {
      const v = normaliseAddress(w.text);
      if (v) push([w.prefix ? prefixTerm("email", capped(v)) : wordTerm("email", v)]);
      continue;
    }
    const pieces = piecesOf(w.text);
    pieces.forEach((p, i) => {
      const prefix = p.kind === "cjk" || (w.prefix && i === pieces.length - 1);
      const v = p.kind === "word" ? p.word : p.run;
      push(w.fields.map((f) => (prefix ? prefixTerm(f, capped(v)) : wordTerm(f, v))));
    });
  }
  return groups;
}
