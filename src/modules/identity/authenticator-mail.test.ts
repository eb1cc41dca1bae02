import { describe, expect, it } from "vitest";
import { authenticatorMail } from "./authenticator-mail.ts";

/** The notices of an authenticator app turned on or off speak the help center's five languages, and English otherwise. */
describe("the authenticator app on / off mails", () => {
  const at = new Date("2026-12-06T05:30:00Z");
  it("are written in each language the help center speaks, naming the team and the time, with no link", () => {
    for (const event of ["on", "off"] as const) {
      const subjects = new Set<string>();
      const texts = new Set<string>();
      for (const locale of ["en", "sv", "ja", "ko", "zh-CN"]) {
        const m = authenticatorMail(locale, "Acme", event, at);
        expect(m.language).toBe(locale);
        expect(m.subject).toContain("Acme");
        expect(m.text).toContain("Acme");
        expect(m.text).toContain("2026-12-06 05:30 UTC");
        expect(m.text).not.toMatch(/https?:|www\./);
        subjects.add(m.subject);
        texts.add(m.text);
      }
      expect(subjects.size).toBe(5);
      expect(texts.size).toBe(5);
    }
  });

  it("says what changed and what to do when it was not the person", () => {
    const on = authenticatorMail("en", "Acme", "on", at).text;
    expect(on).toMatch(/turned on/);
    expect(on).toMatch(/recovery codes somewhere safe/);
    expect(on).toMatch(/change your password/);
    const off = authenticatorMail("en", "Acme", "off", at).text;
    expect(off).toMatch(/no longer sign you in/);
    expect(off).toMatch(/turn two-factor sign-in on again/);
    expect(authenticatorMail("en", "Acme", "on", at).subject).not.toBe(authenticatorMail("en", "Acme", "off", at).subject);
  });

  it("falls back to English for a language it does not speak", () => {
    expect(authenticatorMail("fr", "Acme", "on", at).language).toBe("en");
    expect(authenticatorMail(null, "Acme", "off", at).language).toBe("en");
    expect(authenticatorMail("ja-JP", "Acme", "on", at).language).toBe("ja");
  });
});
