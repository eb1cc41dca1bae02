import { describe, expect, it } from "vitest";
import { isoDate, parseIsoDate, lineText, name } from "./schemas.ts";

describe("dates", () => {
  it("accepts real ISO 8601 dates and date-times in the years 1900 to 9999", () => {
    for (const [s, iso] of [
      ["2026-05-01", "2026-05-01T00:00:00.000Z"],
      ["2024-02-29", "2024-02-29T00:00:00.000Z"],
      ["2000-02-29", "2000-02-29T00:00:00.000Z"],
      ["1900-01-01", "1900-01-01T00:00:00.000Z"],
      ["9999-12-31", "9999-12-31T00:00:00.000Z"],
      ["2026-05-01T09:30:00Z", "2026-05-01T09:30:00.000Z"],
      ["2026-05-01T09:30:00.123456Z", "2026-05-01T09:30:00.123Z"],
      ["2026-05-01T09:30:00+02:00", "2026-05-01T07:30:00.000Z"],
      ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000Z"],
    ]) {
      expect(parseIsoDate(s!)?.toISOString(), s).toBe(iso);
      expect(isoDate.parse(s), s).toBe(iso);
    }
    expect(parseIsoDate("2026-05-01T09:30")).toBeInstanceOf(Date);
  });

  it("refuses what is not a real date, or falls outside the years 1900 to 9999", () => {
    for (const s of [
      "99999", "275760", "+275760-09-13", "+275760-09-13T00:00:00.000Z", "-000001-01-01", "0000-01-01", "1899-12-31",
      "10000-01-01", "9999-12-31T23:00:00-05:00", "1900-01-01T00:30:00+01:00",
      "2026-13-45", "2026-00-10", "2026-02-30", "2025-02-29", "1900-02-29", "2026-04-31", "2026-05-01T24:00:00Z", "2026-05-01T23:60:00Z",
      "2026-05-01T10:00:00+15:00", "0", "1", "1e10", "", "2026", "2026-5-1", "May 1, 2026", "2026-05-01T09:30:00ZZ", "2026-05-01 09:30", "\u0000",
    ]) {
      expect(parseIsoDate(s), JSON.stringify(s)).toBeUndefined();
      const r = isoDate.safeParse(s);
      expect(r.success, JSON.stringify(s)).toBe(false);
      if (!r.success) expect(r.error.issues[0]!.message).toBe("is not a valid date: use ISO 8601 (2026-05-01 or 2026-05-01T09:30:00Z), years 1900 to 9999");
    }
  });
});

describe("one-line text", () => {
  it("takes any printable text and refuses every control character and line break", () => {
    const one = lineText(100);
    for (const ok of ["Ada Lovelace", "山田 太郎", "Åsa Öberg", "O'Brien – \"quoted\" ☺"]) expect(one.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["a\nBcc: x@example.test", "a\r\nb", "a\tb", "a\u0000b", "a\u007fb", "a\u0085b", "a\u2028b", "a\u2029b", "a\u001bb"]) {
      expect(one.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    expect(name.safeParse("  ").success).toBe(false);
  });
});
