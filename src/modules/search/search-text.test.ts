import { describe, expect, it } from "vitest";
import { bigrams, queryGroups, stemsOf, termsOf, tokenize, tokenizeWithOffsets } from "./search-text.ts";

/** A query's groups all match a text's terms (what the database answers, without it). */
const finds = (text: string, ...parts: string[]) => {
  const { terms } = termsOf(text);
  const groups = queryGroups(parts);
  return groups.length > 0 && groups.every((g) => g.alternatives.some((a) => terms.has(a)));
};

describe("search text", () => {
  it("folds width, case and accents, and stems with English and Swedish", () => {
    expect(stemsOf("printers")).toContain("printer");
    expect(finds("Our PRINTERS are broken", "printer")).toBe(true);
    expect(finds("The printer is broken", "printers")).toBe(true);
    expect(finds("Ｐｒｉｎｔｅｒ ﬁle", "printer", "file")).toBe(true);
    expect(finds("Meet me at the café", "cafe")).toBe(true);
    expect(finds("Meet me at the cafe", "café")).toBe(true);
    expect(finds("Skrivarna är trasiga", "skrivaren")).toBe(true);
    expect(finds("Skrivaren fungerar inte", "skrivare")).toBe(true);
    expect(finds("Принтеры не работают", "принтер")).toBe(true);
    expect(finds("The printer is broken", "scanner")).toBe(false);
  });
  it("segments Japanese, Chinese and Korean into bigrams across the segmenter's splits", () => {
    expect(bigrams("印刷機")).toEqual(["印刷", "刷機"]);
    expect(bigrams("紙")).toEqual(["紙"]);
    expect(tokenize("印刷機が壊れました")).toEqual([{ kind: "cjk", run: "印刷機が壊れました" }]);
    expect(finds("印刷機が壊れました。", "印刷機")).toBe(true);
    expect(finds("프린터가 고장났어요", "프린터")).toBe(true);
    expect(finds("打印机坏了，无法打印", "打印机")).toBe(true);
    expect(finds("打印机坏了", "扫描仪")).toBe(false);
    expect(finds("印刷機が壊れました", "機印")).toBe(false);
  });
  it("requires a phrase's words in order, and a free word anywhere", () => {
    expect(finds("There is a paper jam in tray 2", "paper jam")).toBe(true);
    expect(finds("Jam paper is stuck", "paper jam")).toBe(false);
    expect(finds("Jam paper is stuck", "paper", "jam")).toBe(true);
    expect(finds("Papers jammed again", "paper jam")).toBe(true);
    expect(termsOf("a b c").length).toBe(3);
  });
  it("keeps words of different kinds apart", () => {
    const { terms } = termsOf("paper jam");
    expect([...terms.keys()].every((k) => /^[wpc]:/.test(k))).toBe(true);
    expect(queryGroups(["", "   ", "!!"])).toEqual([]);
  });
  it("reads the same tokens with their places in the text as written", () => {
    const texts = ["Ｐｒｉｎｔｅｒ ﬁle, café\u0301 PRINTERS", "㍿テスト 印刷機が壊れました。 프린터가", "ΟΔΟΣ İstanbul straße", "paper-jam\n\n tray 2"];
    for (const text of texts) {
      const located = tokenizeWithOffsets(text);
      expect(located.map((l) => (l.kind === "word" ? { kind: "word", stems: l.stems } : { kind: "cjk", run: l.run }))).toEqual(tokenize(text));
    }
    const slices = (text: string) => tokenizeWithOffsets(text).map((l) => text.slice(l.start, l.end));
    expect(slices("Ｐｒｉｎｔｅｒ ﬁle, PRINTERS")).toEqual(["Ｐｒｉｎｔｅｒ", "ﬁle", "PRINTERS"]);
    expect(slices("㍿テスト ok")).toEqual(["㍿テスト", "ok"]);
    const [run] = tokenizeWithOffsets("㍿テスト");
    // One character that normalises to four (株式会社) spans each of them.
    expect(run?.kind === "cjk" && run.chars.map((c) => "㍿テスト".slice(c.start, c.end))).toEqual(["㍿", "㍿", "㍿", "㍿", "テ", "ス", "ト"]);
  });
});
