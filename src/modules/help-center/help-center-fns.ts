/**
 * Pure rules of the help center's consent texts: which text a visitor in a given language reads.
 */

/** Consent texts by language tag, beside the default text. */
export type ConsentTexts = Record<string, string>;

/**
 * The consent text for `locale` and the language it is written in: the text for that exact tag
 * (case-insensitive), else for its base language (ja-JP → ja), else the default text (language
 * null). A tag is never matched to a sibling (zh-TW does not get zh-CN's text: another script).
 */
export function consentTextFor(texts: ConsentTexts, fallback: string | null, locale: string | undefined): { text: string | null; locale: string | null } {
  if (locale) {
    const tags = Object.keys(texts);
    const wanted = locale.toLowerCase();
    const base = wanted.split("-")[0]!;
    const hit = tags.find((t) => t.toLowerCase() === wanted) ?? tags.find((t) => t.toLowerCase() === base);
    if (hit !== undefined) return { text: texts[hit]!, locale: hit };
  }
  return { text: fallback, locale: null };
}

/** The texts to keep from an admin's input: trimmed, blank ones dropped, sorted by tag (so equal sets compare equal). */
export function normalizeConsentTexts(input: Record<string, string | null>): ConsentTexts {
  return Object.fromEntries(
    Object.entries(input)
      .map(([tag, text]) => [tag, text?.trim() ?? ""] as const)
      .filter(([, text]) => text !== "")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

export function sameTexts(a: ConsentTexts, b: ConsentTexts): boolean {
  return JSON.stringify(normalizeConsentTexts(a)) === JSON.stringify(normalizeConsentTexts(b));
}
