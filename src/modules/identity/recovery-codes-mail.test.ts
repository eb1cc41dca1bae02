import { describe, expect, it } from "vitest";
import { recoveryCodesRenewedMail } from "./recovery-codes-mail.ts";

/** The notice of new recovery codes speaks the help center's five languages, and English otherwise. */
describe("the new recovery codes mail", () => {
  const at = new Date("2026-12-05T21:30:00Z");
  it("is written in each language the help center speaks, naming the team and the time, with no link", () => {
    const subjects = new Set<string>();
    const texts = new Set<string>();
    for (const locale of ["en", "sv", "ja", "ko", "zh-CN"]) {
      const m = recoveryCodesRenewedMail(locale, "Acme", at);
      expect(m.language).toBe(locale);
      expect(m.subject).toContain("Acme");
      expect(m.text).toContain("Acme");
      expect(m.text).toContain("2026-12-05 21:30 UTC");
      expect(m.text).not.toMatch(/https?:|www\./);
      subjects.add(m.subject);
      texts.add(m.text);
    }
    expect(subjects.size).toBe(5);
    expect(texts.size).toBe(5);
  });

  it("says the earlier codes stop working and what to do when it was not the person", () => {
    const en = recoveryCodesRenewedMail("en", "Acme", at).text;
    expect(en).toMatch(/earlier recovery codes no longer work/);
    expect(en).toMatch(/change your password/);
    expect(en).toMatch(/administrator or support team/);
    expect(recoveryCodesRenewedMail("ja", "Acme", at).text).toMatch(/以前のリカバリーコードはもう使えません/);
  });

  it("falls back to English for a language it does not speak", () => {
    expect(recoveryCodesRenewedMail("fr", "Acme", at).language).toBe("en");
    expect(recoveryCodesRenewedMail(null, "Acme", at).language).toBe("en");
    expect(recoveryCodesRenewedMail("ja-JP", "Acme", at).language).toBe("ja");
    expect(recoveryCodesRenewedMail("zh-TW", "Acme", at).language).toBe("zh-CN");
  });
});
