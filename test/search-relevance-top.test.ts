import { describe, expect, it } from "vitest";
import { pruneTop, relevanceTop } from "../src/modules/search/search-service.ts";

describe("a relevance page's best matches", () => {
  it("are taken first for pages their most can fill, and never for a page deeper than that", () => {
    const asked: number[] = [];
    const always = (top: number) => (asked.push(top), true);
    expect(relevanceTop(26, always)).toBe(pruneTop(26));
    expect(relevanceTop(6, always)).toBe(256);
    expect(relevanceTop(4096, always)).toBe(4096);
    // page=42&per_page=100 needs 4,200 rows, more than the 4,096 pruneTop ever takes: every match at once.
    expect(relevanceTop(4200, always)).toBeUndefined();
    expect(relevanceTop(5001, always)).toBeUndefined();
    expect(asked).toEqual([pruneTop(26), 256, 4096]);
    // A query that cannot be pruned.
    expect(relevanceTop(26, () => false)).toBeUndefined();
  });
});
