import { describe, expect, it } from "vitest";
import { CONTROLS, MAX_IDLE_MINUTES } from "../src/modules/compliance/compliance-controls.ts";
import { en } from "../web/src/i18n/en.ts";
import { ja } from "../web/src/i18n/ja.ts";
import { ko } from "../web/src/i18n/ko.ts";
import { sv } from "../web/src/i18n/sv.ts";
import { zhCN } from "../web/src/i18n/zh-CN.ts";
import { jaStaffA } from "../web/src/i18n/staff/ja-a.ts";
import { jaStaffB } from "../web/src/i18n/staff/ja-b.ts";
import { koStaffA } from "../web/src/i18n/staff/ko-a.ts";
import { koStaffB } from "../web/src/i18n/staff/ko-b.ts";
import { svStaffA } from "../web/src/i18n/staff/sv-a.ts";
import { svStaffB } from "../web/src/i18n/staff/sv-b.ts";
import { zhCNStaffA } from "../web/src/i18n/staff/zh-CN-a.ts";
import { zhCNStaffB } from "../web/src/i18n/staff/zh-CN-b.ts";

/**
 * The web app's catalogs beside the English one. That every language holds every key is checked by
 * the compiler (web/src/i18n/index.ts); what it cannot see is checked here: each message keeps
 * English's `{placeholders}` (a lost `{count}` would show a wrong number, an unknown one a raw
 * brace), and a message with plural forms gives every form its language's rules use.
 */
type Message = string | Readonly<Record<string, string>>;
const LANGUAGES: Record<string, Record<string, Message>> = {
  ja: { ...ja, ...jaStaffA, ...jaStaffB },
  ko: { ...ko, ...koStaffA, ...koStaffB },
  "zh-CN": { ...zhCN, ...zhCNStaffA, ...zhCNStaffB },
  sv: { ...sv, ...svStaffA, ...svStaffB },
};
const names = (s: string) => new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!));
const english = en as Record<string, Message>;

describe("the web app's catalogs", () => {
  for (const [lang, catalog] of Object.entries(LANGUAGES)) {
    it(`${lang}: every message of English, with its placeholders and its language's plural forms`, () => {
      const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
      const problems: string[] = [];
      for (const [key, reference] of Object.entries(english)) {
        const own = catalog[key];
        if (own === undefined) {
          problems.push(`${key}: missing`);
          continue;
        }
        if (typeof reference === "string") {
          if (typeof own !== "string") problems.push(`${key}: plural forms where English has a plain message`);
          else if ([...names(own)].sort().join() !== [...names(reference)].sort().join()) problems.push(`${key}: {${[...names(own)]}} where English has {${[...names(reference)]}}`);
          continue;
        }
        if (typeof own === "string") {
          problems.push(`${key}: a plain message where English has plural forms`);
          continue;
        }
        const allowed = new Set([...Object.values(reference).flatMap((f) => [...names(f)]), "count"]);
        const needed = [...names(reference.other ?? "")].filter((n) => n !== "count");
        if (own.other === undefined) problems.push(`${key}: no "other" form`);
        if (categories.includes("one") && own.one === undefined) problems.push(`${key}: no "one" form`);
        for (const [form, text] of Object.entries(own)) {
          if (!categories.includes(form as Intl.LDMLPluralRule)) problems.push(`${key}.${form}: not a plural form of ${lang}`);
          for (const n of names(text)) if (!allowed.has(n)) problems.push(`${key}.${form}: unknown {${n}}`);
          for (const n of needed) if (!names(text).has(n)) problems.push(`${key}.${form}: lacks {${n}}`);
        }
      }
      for (const key of Object.keys(catalog)) if (!(key in english)) problems.push(`${key}: not a message of English`);
      expect(problems).toEqual([]);
    });
  }

  it("names every compliance control of the server, as the server does in English", () => {
    for (const c of CONTROLS) expect(english[`compliance.controlTitle.${c.key}`], c.key).toBe(c.title);
    expect(english["compliance.controlTitle.session_idle_timeout"]).toContain(String(MAX_IDLE_MINUTES));
  });
});
