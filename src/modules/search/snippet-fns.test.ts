import { describe, expect, it } from "vitest";
import { excerpt, findMatches, highlightsOf, matcherFor, SNIPPET_LENGTH } from "./snippet-fns.ts";

const marked = (parts: Array<{ text: string; match: boolean }>) => parts.filter((p) => p.match).map((p) => p.text);

describe("snippets", () => {
  it("marks what the index matches: stems, character pairs, a one-character run", () => {
    const m = matcherFor(["printer", "印刷機"]);
    expect(marked(highlightsOf(m, "Printers and a PRINTER's, 印刷機が", []).subject)).toEqual(["Printers", "PRINTER's", "印刷機"]);
    expect(marked(highlightsOf(matcherFor(["机"]), "机 打印机", []).subject)).toEqual(["机"]);
    expect(marked(highlightsOf(matcherFor(["scanner"]), "Printers", []).subject)).toEqual([]);
  });

  it("joins matches with only spaces between them, not across punctuation", () => {
    expect(marked(highlightsOf(matcherFor(["paper jam"]), "paper jam, paper. jam", []).subject)).toEqual(["paper jam", "paper", "jam"]);
  });

  it("chooses the comment with the most distinct query words, then the most matches", () => {
    const m = matcherFor(["toner", "cartridge"]);
    const h = highlightsOf(m, "x", ["toner toner toner", "toner cartridge", "nothing"]);
    expect(h.comment.map((p) => p.text).join("")).toBe("toner cartridge");
    expect(highlightsOf(m, "toner", ["nothing here"]).comment).toEqual([]);
  });

  it("bounds the excerpt and cuts between words", () => {
    const text = `${"alpha beta gamma ".repeat(30)}needle ${"delta epsilon ".repeat(30)}`;
    const parts = excerpt(text, findMatches(text, matcherFor(["needle"])).spans);
    const shown = parts.map((p) => p.text).join("");
    expect(shown.length).toBeLessThanOrEqual(SNIPPET_LENGTH + 2);
    expect(shown).toMatch(/^…(alpha|beta|gamma) .* needle .* (delta|epsilon)…$/);
    // A match near the end shows the end; a short text is shown whole.
    const late = `${"alpha ".repeat(80)}needle`;
    expect(excerpt(late, findMatches(late, matcherFor(["needle"])).spans).map((p) => p.text).join("")).toMatch(/^…alpha .*needle$/);
    expect(excerpt("short text", [])).toEqual([{ text: "short text", match: false }]);
  });
});

describe("bounded work", () => {
  it("reads a hit's comments only so far", () => {
    const m = matcherFor(["needle"]);
    const filler = "hay ".repeat(5_000); // 20,000 characters
    // Within one comment's limit, and beyond it.
    expect(marked(highlightsOf(m, "x", [`${"hay ".repeat(100)}needle`]).comment)).toEqual(["needle"]);
    expect(highlightsOf(m, "x", [`${filler}needle`]).comment).toEqual([]);
    // Three full comments spend the budget: a fourth is not read.
    expect(highlightsOf(m, "x", [filler, filler, filler, "needle"]).comment).toEqual([]);
    expect(marked(highlightsOf(m, "x", [filler, filler, "needle"]).comment)).toEqual(["needle"]);
  });
});
