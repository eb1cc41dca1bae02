import { describe, expect, it } from "vitest";
import { expectedMatches, preferPruned } from "./search-repo.ts";

/** The cost rules that choose how a query of several groups is matched (search-repo.ts). */
describe("expected matches", () => {
  it("takes a CJK run's character pairs as found together, and different words as independent", () => {
    // "プリンター" in the benchmark's big tenant: four pairs of one run, the rarest in 12,104 tickets.
    expect(expectedMatches(300_000, [12_104, 16_596, 16_596, 16_596], [0, 0, 0, 0])).toBeCloseTo(12_104, 6);
    // The same frequencies as four different words: each keeps its share of the others' tickets.
    expect(expectedMatches(300_000, [12_104, 16_596, 16_596, 16_596], [0, 1, 2, 3])).toBeCloseTo(300_000 * (12_104 / 300_000) * (16_596 / 300_000) ** 3, 6);
    // A CJK run and a word: the run's rarest pair, times the word's share.
    expect(expectedMatches(1000, [100, 200, 500], [0, 0, 1])).toBeCloseTo(50, 6);
    // Frequencies above the documents (counted a moment apart) never make more matches than documents.
    expect(expectedMatches(10, [50, 50], [0, 1])).toBe(10);
    expect(expectedMatches(0, [0], [0])).toBe(0);
  });
});

describe("several groups by bound", () => {
  it("only for one word's character pairs, in more tickets than the best asked for, where reading every posting costs less", () => {
    // "プリンター": 12,104 expected, four pairs of one run: the best 1,040 by bound.
    expect(preferPruned([16_596, 16_596, 16_596, 16_596], [12_104, 16_596, 16_596, 16_596], 0, 12_104, 1040, [0, 0, 0, 0])).toBe(true);
    // The same as two words ("プリンター printer"): measured slower by bound, never.
    expect(preferPruned([16_596, 16_596, 16_596, 16_596, 101_064], [12_104, 16_596, 16_596, 16_596, 101_064], 0, 4_061, 1040, [0, 0, 0, 0, 1])).toBe(false);
    // No more expected than the best asked for: every match costs no more.
    expect(preferPruned([16_596, 16_596], [16_596, 16_596], 0, 900, 1040, [0, 0])).toBe(false);
    // One group is a single word's rule (search-index.ts), not this one.
    expect(preferPruned([50_000], [50_000], 0, 50_000, 1040, [0])).toBe(false);
    // A rare pair beside a frequent one: its few tickets probed, not the frequent one's postings read.
    expect(preferPruned([2_000, 280_000], [2_000, 280_000], 0, 1_900, 1040, [0, 0])).toBe(false);
  });
});
