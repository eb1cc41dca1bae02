import { useSyncExternalStore } from "react";
import { en, type Catalog, type MessageKey, type Plural } from "./en.ts";
import { ja } from "./ja.ts";
import { ko } from "./ko.ts";
import { sv } from "./sv.ts";
import { zhCN } from "./zh-CN.ts";
import { jaStaffA } from "./staff/ja-a.ts";
import { jaStaffB } from "./staff/ja-b.ts";
import { koStaffA } from "./staff/ko-a.ts";
import { koStaffB } from "./staff/ko-b.ts";
import { svStaffA } from "./staff/sv-a.ts";
import { svStaffB } from "./staff/sv-b.ts";
import { zhCNStaffA } from "./staff/zh-CN-a.ts";
import { zhCNStaffB } from "./staff/zh-CN-b.ts";

/**
 * The i18n layer: every string the app shows goes through `t(key, values)`. English (en.ts) is the
 * reference. Every page — help center, agent workspace and admin center — also speaks Japanese,
 * Korean, Simplified Chinese and Swedish: each language is its help-center catalog (ja.ts …) and
 * its staff pages' (staff/ja-a.ts, staff/ja-b.ts …), and together they must hold every key of the
 * English one (`Catalog`): a missing message is a type error. The language comes from the
 * visitor's choice (the help center's and the staff pages' switchers, remembered in
 * localStorage), else from the browser's languages; `<html lang>` follows it.
 *
 * A message that counts something is a set of plural forms (`{ one: "{count} ticket", other:
 * "{count} tickets" }`); `t()` picks the form with `Intl.PluralRules` for the current language
 * from the `count` value, so each language uses its own rules (Japanese: one form; Swedish and
 * English: one and other). Where English has forms, every other catalog must give forms too.
 */
export type { MessageKey, Plural } from "./en.ts";

export type { HelpCenterCatalog } from "./en.ts";

/** The languages offered by the switcher, each named in itself. */
export const LOCALES: ReadonlyArray<{ code: string; name: string }> = [
  { code: "en", name: "English" },
  { code: "ja", name: "日本語" },
  { code: "ko", name: "한국어" },
  { code: "zh-CN", name: "简体中文" },
  { code: "sv", name: "Svenska" },
];
const complete = (c: Catalog): Catalog => c;
const catalogs: Record<string, Partial<Catalog>> = {
  en,
  ja: complete({ ...ja, ...jaStaffA, ...jaStaffB }),
  ko: complete({ ...ko, ...koStaffA, ...koStaffB }),
  "zh-CN": complete({ ...zhCN, ...zhCNStaffA, ...zhCNStaffB }),
  sv: complete({ ...sv, ...svStaffA, ...svStaffB }),
};
const STORAGE_KEY = "vaultdesk.locale";
let current: Partial<Catalog> = en;
let currentLocale = "en";
const listeners = new Set<() => void>();

/** The catalog code for a language tag (ja-JP → ja, zh-Hans-CN → zh-CN), if there is one. */
function match(tag: string): string | undefined {
  const l = tag.toLowerCase();
  if (l === "zh" || l.startsWith("zh-")) return l.includes("hant") || l === "zh-tw" || l === "zh-hk" ? undefined : "zh-CN";
  const exact = Object.keys(catalogs).find((k) => k.toLowerCase() === l);
  if (exact) return exact;
  const base = l.split("-")[0]!;
  return catalogs[base] ? base : undefined;
}

function stored(): string | undefined {
  try {
    const v = typeof localStorage === "undefined" ? null : localStorage.getItem(STORAGE_KEY);
    return v && catalogs[v] ? v : undefined;
  } catch {
    return undefined;
  }
}

function apply(code: string): void {
  currentLocale = code;
  current = catalogs[code] ?? en;
  if (typeof document !== "undefined") document.documentElement.lang = code;
  for (const fn of listeners) fn();
}

/** Picks the language: the visitor's remembered choice, else the best match for the browser's languages. */
export function setLocale(preferred: readonly string[] = typeof navigator === "undefined" ? [] : navigator.languages): string {
  const chosen = stored() ?? preferred.map(match).find((c): c is string => c !== undefined) ?? "en";
  apply(chosen);
  return chosen;
}

/** The switcher's choice: applied at once and remembered for the next visit. */
export function chooseLocale(code: string): void {
  if (!catalogs[code]) return;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // Private modes may refuse storage; the choice still holds for this page.
  }
  apply(code);
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Re-renders the caller when the language changes; returns the current language code. */
export function useLocale(): string {
  return useSyncExternalStore(subscribe, () => currentLocale);
}

export function locale(): string {
  return currentLocale;
}

const pluralRules = new Map<string, Intl.PluralRules>();

/** The form of `forms` for `count` by the rules of `lang` (`other` when there is no count). */
function pluralForm(forms: Plural, count: unknown, lang: string): string {
  if (typeof count !== "number") return forms.other;
  let rules = pluralRules.get(lang);
  if (!rules) pluralRules.set(lang, (rules = new Intl.PluralRules(lang)));
  return forms[rules.select(count)] ?? forms.other;
}

/** Whether the catalogs hold a message of this name (keys built from server values, such as a compliance control's). */
export function hasMessage(key: string): key is MessageKey {
  return key in en;
}

/**
 * The message for `key`, with `{name}` placeholders filled from `values` (as plain text). For a
 * message with plural forms, `values.count` (a number) chooses the form.
 */
export function t(key: MessageKey, values?: Record<string, string | number>): string {
  const own = current[key];
  const message: string | Plural = own ?? en[key];
  // A message English stands in for is counted by English rules ("1 person", not "1 people" under ja).
  const template = typeof message === "string" ? message : pluralForm(message, values?.count, own === undefined ? "en" : currentLocale);
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(currentLocale, { dateStyle: "medium", timeStyle: "short" });
}

/** A file size in the current language (12 kB, 3.4 MB). */
export function formatBytes(bytes: number): string {
  const [value, unit] = bytes >= 1_000_000 ? [bytes / 1_000_000, "megabyte"] : bytes >= 1000 ? [bytes / 1000, "kilobyte"] : [bytes, "byte"];
  // Bytes spelled out ("18 bytes"); larger sizes short ("3.4 MB").
  return new Intl.NumberFormat(locale(), { style: "unit", unit, unitDisplay: unit === "byte" ? "long" : "short", maximumFractionDigits: value < 10 ? 1 : 0 }).format(value);
}
