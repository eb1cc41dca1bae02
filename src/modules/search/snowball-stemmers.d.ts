/** The part of snowball-stemmers (no published types) that search-text.ts uses. */
declare module "snowball-stemmers" {
  interface Stemmer {
    /** The stem of one lower-case word. */
    stem(word: string): string;
  }
  /** A stemmer for one of `algorithms()` ("english", "swedish", …). */
  export function newStemmer(language: string): Stemmer;
  export function algorithms(): string[];
}
