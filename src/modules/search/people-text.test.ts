import { describe, expect, it } from "vitest";
import { emailTerms, nameQueryGroups, nameTerms, PREFIX_CAP, queryWord, type NameField } from "./people-text.ts";

const BOTH: NameField[] = ["name", "email"];

/** A query's groups all match a person's terms (what the database answers, without it). */
const finds = (person: { name: string; email?: string }, query: string, fields: NameField[] = BOTH) => {
  const terms = new Set([...nameTerms(person.name), ...(person.email ? emailTerms(person.email) : [])]);
  const groups = nameQueryGroups(query.split(/\s+/).filter(Boolean).map((w) => queryWord(w, fields)));
  return groups.length > 0 && groups.every((g) => g.alternatives.some((a) => terms.has(a)));
};

describe("people text", () => {
  const ada = { name: "Ada Lovelace", email: "ada.lovelace@example.com" };

  it("matches whole words bare and prefixes with *", () => {
    expect(finds(ada, "ada")).toBe(true);
    expect(finds(ada, "ad")).toBe(false);
    expect(finds(ada, "ad*")).toBe(true);
    expect(finds(ada, "lov* ad*")).toBe(true);
    expect(finds(ada, "ada babbage")).toBe(false);
    expect(finds(ada, "b*")).toBe(false);
  });

  it("matches addresses whole, by parts and by prefixes, and keeps names and addresses apart", () => {
    expect(finds(ada, "ada.lovelace@example.com")).toBe(true);
    expect(finds(ada, "ada.lovelace@ex*")).toBe(true);
    expect(finds(ada, "example.com")).toBe(true);
    expect(finds(ada, "exam*")).toBe(true);
    expect(finds(ada, "ada@example.com")).toBe(false);
    expect(finds(ada, "exam*", ["name"])).toBe(false);
    expect(finds({ name: "Someone" }, "ada*")).toBe(false);
  });

  it("folds case, width and accents; keeps CJK marks", () => {
    expect(finds({ name: "José Núñez" }, "jose nunez")).toBe(true);
    expect(finds({ name: "Jose" }, "JOSÉ")).toBe(true);
    expect(finds({ name: "Åsa Öberg" }, "åsa")).toBe(true);
    expect(finds({ name: "Åsa Öberg" }, "asa ob*")).toBe(true);
    expect(finds({ name: "Ｊｏｓｅ" }, "jose")).toBe(true);
    expect(finds({ name: "がっこう" }, "かっこう")).toBe(false);
  });

  it("finds CJK names by their leading characters and by a given name after the family name", () => {
    expect(finds({ name: "山田太郎" }, "山")).toBe(true);
    expect(finds({ name: "山田太郎" }, "山田")).toBe(true);
    expect(finds({ name: "山田太郎" }, "太郎")).toBe(true);
    expect(finds({ name: "山田太郎" }, "田中")).toBe(false);
    expect(finds({ name: "김민준" }, "김민")).toBe(true);
    expect(finds({ name: "王小明" }, "王小明")).toBe(true);
  });

  it("caps prefixes: a longer prefix matches by its first characters, a whole word always whole", () => {
    const long = "abcdefghijklmnopqrstuvwxyz";
    const terms = nameTerms(long);
    expect(terms.filter((t) => t.startsWith("name:p:")).length).toBe(PREFIX_CAP);
    expect(finds({ name: long }, `${long}*`)).toBe(true);
    expect(finds({ name: long }, long)).toBe(true);
    expect(finds({ name: long }, `${long.slice(0, 22)}`)).toBe(false);
  });
});
