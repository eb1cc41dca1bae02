import { en, type Catalog, type MessageKey } from "./en.ts";

/**
 * The i18n layer: every string the app shows goes through `t(key, values)`. English is the only
 * catalog so far; a language is added by writing `xx.ts` typed as `Catalog` and listing it here.
 */
export type { MessageKey } from "./en.ts";

const catalogs: Record<string, Catalog> = { en };
let current: Catalog = en;
let currentLocale = "en";

/** Picks the best catalog for the given preferences (the browser's languages by default). */
export function setLocale(preferred: readonly string[] = typeof navigator === "undefined" ? [] : navigator.languages): string {
  const hit = preferred.map((l) => l.toLowerCase()).find((l) => catalogs[l] ?? catalogs[l.split("-")[0]!]);
  currentLocale = hit ? (catalogs[hit] ? hit : hit.split("-")[0]!) : "en";
  current = catalogs[currentLocale] ?? en;
  if (typeof document !== "undefined") document.documentElement.lang = currentLocale;
  return currentLocale;
}

export function locale(): string {
  return currentLocale;
}

/** The message for `key`, with `{name}` placeholders filled from `values` (as plain text). */
export function t(key: MessageKey, values?: Record<string, string | number>): string {
  const template = current[key] ?? en[key];
  if (!values) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(currentLocale, { dateStyle: "medium", timeStyle: "short" });
}
