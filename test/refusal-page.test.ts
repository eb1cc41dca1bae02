import { describe, expect, it } from "vitest";
import { REFUSAL_REASONS } from "../src/modules/identity/sso-claims.ts";
import { REASON_SENTENCES } from "../src/modules/identity/sso-saml-fns.ts";
import { LAST_STEP_REASONS } from "../src/modules/identity/sso-service.ts";
import { knowsReason, PAGE_LOCALES, pageLocale, refusalKind, refusalPage } from "../src/server/refusal-page.ts";

/**
 * The page a browser gets for a refused sign-in (src/server/refusal-page.ts): every reason code a
 * sign-in can give is known to it, the language follows Accept-Language, and nothing but the
 * server's own words reaches the page. Over HTTP: test/sso-attacks.test.ts, "hostile requests".
 */

describe("the refusal page", () => {
  it("knows the kind of every reason code the OpenID Connect, JWT, SAML sign-ins and their shared last step give", () => {
    const codes = [...REFUSAL_REASONS, ...Object.keys(REASON_SENTENCES), ...LAST_STEP_REASONS];
    expect(codes.length).toBeGreaterThan(35);
    expect(codes.filter((c) => !knowsReason(c))).toEqual([]);
    expect(refusalKind("email_unverified")).toBe("no_address");
    expect(refusalKind("saml_signature")).toBe("answer_refused");
    expect(refusalKind(undefined)).toBe("other");
    // A code that names something every object has is no kind of the page's.
    for (const inherited of ["constructor", "toString", "__proto__", "hasOwnProperty"]) expect(refusalKind(inherited)).toBe("answer_refused");
    expect(refusalPage({ locale: "ja", flow: "signIn", description: "d", reason: "constructor" })).toContain("<code>constructor</code>");
  });

  it("is in the browser's first language of the five, a region read as its language, else English", () => {
    const cases: Array<[string | undefined, string]> = [
      ["ja,en;q=0.8", "ja"],
      ["ko-KR,ko;q=0.9", "ko"],
      ["zh-TW,zh;q=0.9", "zh-CN"],
      ["zh-CN", "zh-CN"],
      ["sv-SE", "sv"],
      ["de,sv;q=0.2", "sv"],
      ["fr", "en"],
      ["", "en"],
      [undefined, "en"],
      ["*", "en"],
      ["<script>", "en"],
      ["ja;q=0,ko;q=0.5", "ko"],
    ];
    for (const [header, locale] of cases) expect(pageLocale(header), String(header)).toBe(locale);
  });

  it("says the kind in the page's language, the server's sentence in English as details, the code, and escapes the sentence", () => {
    const description = "Single sign-on was refused (email_unverified). <b>Start</b> again from the sign-in page.";
    const ja = refusalPage({ locale: "ja", flow: "signIn", description, reason: "email_unverified" });
    expect(ja).toContain('<html lang="ja">');
    expect(ja).toContain("<h1>サインインできませんでした</h1>");
    expect(ja).toContain("確認済みのメールアドレス");
    expect(ja).toContain("<code>email_unverified</code>");
    expect(ja).toContain('<span lang="en">Single sign-on was refused (email_unverified). &#60;b&#62;Start&#60;/b&#62; again');
    expect(ja).not.toContain("<b>");
    const en = refusalPage({ locale: "en", flow: "authorization", description: "The client is unknown.", reason: undefined });
    expect(en).toContain("<h1>Authorization did not work</h1><p>The client is unknown.</p>");
    expect(en).not.toContain("Reason code");
    // A code that is not one (it never comes from a request, but the page does not trust it) is left out.
    expect(refusalPage({ locale: "sv", flow: "signIn", description: "x", reason: "<img src=x>" })).not.toContain("<img");
    for (const locale of PAGE_LOCALES) {
      const page = refusalPage({ locale, flow: "signIn", description: "d", reason: "saml_replayed" });
      expect(page).toContain(`<html lang="${locale}">`);
      expect(page).toContain('<a href="/agent">');
    }
  });
});
