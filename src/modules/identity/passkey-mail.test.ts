import { describe, expect, it } from "vitest";
import { passkeyMail } from "./passkey-mail.ts";

/** The passkey notices speak the help center's five languages, and English otherwise. */
describe("passkey mails", () => {
  const at = new Date("2026-11-30T20:00:00Z");
  it("are written in each language the help center speaks, naming the team and the time, never the passkey's name", () => {
    const subjects = new Set<string>();
    for (const locale of ["en", "sv", "ja", "ko", "zh-CN"]) {
      for (const m of [passkeyMail(locale, "Acme", "added", at), passkeyMail(locale, "Acme", "removed", at), passkeyMail(locale, "Acme", "removed", at, true)]) {
        expect(m.language).toBe(locale);
        expect(m.subject).toContain("Acme");
        expect(m.text).toContain("Acme");
        expect(m.text).toContain("2026-11-30 20:00 UTC");
        subjects.add(m.subject);
      }
      expect(passkeyMail(locale, "Acme", "removed", at, true).text).not.toBe(passkeyMail(locale, "Acme", "removed", at).text);
    }
    expect(subjects.size).toBe(10);
  });

  it("fall back to English for a language they do not speak", () => {
    expect(passkeyMail("fr", "Acme", "added", at).language).toBe("en");
    expect(passkeyMail("ja-JP", "Acme", "added", at).language).toBe("ja");
  });
});
