import { describe, expect, it } from "vitest";
import { accountLockedMail, passwordChangedMail, passwordResetMail, passwordSetByAdminMail, twoFactorResetMail } from "./password-reset-mail.ts";

/** The sign-in security mails speak the help center's five languages, and English otherwise. */
describe("sign-in security mails", () => {
  const all = (locale: string | null) => [
    passwordResetMail(locale, "Acme", "https://acme.example/reset-password?token=x", 60),
    passwordChangedMail(locale, "Acme"),
    passwordSetByAdminMail(locale, "Acme"),
    accountLockedMail(locale, "Acme", 5, 10),
    twoFactorResetMail(locale, "Acme"),
  ];

  it("are written in each language the help center speaks, naming the team", () => {
    const subjects = new Set<string>();
    for (const [locale, language] of [["en", "en"], ["sv", "sv"], ["ja", "ja"], ["ko", "ko"], ["zh-CN", "zh-CN"]] as const) {
      for (const m of all(locale)) {
        expect(m.language).toBe(language);
        expect(m.subject).toContain("Acme");
        expect(m.text).toContain("Acme");
        subjects.add(m.subject);
      }
    }
    // Five mails in five languages: no language borrowed another's subject.
    expect(subjects.size).toBe(25);
  });

  it("fall back to English for a language they do not speak, or none", () => {
    for (const m of [...all("fr"), ...all(null)]) expect(m.language).toBe("en");
    expect(twoFactorResetMail("sv-SE", "Acme").language).toBe("sv");
  });
});
