/**
 * The language a message is written in: the person's chosen language if the message exists in
 * it, else English. `zh*` maps to Simplified Chinese (the help center's zh-CN).
 */
export function mailLanguage(locale: string | null | undefined, available: readonly string[]): string {
  if (!locale) return "en";
  const l = locale.toLowerCase();
  if (l.startsWith("zh")) return available.includes("zh-CN") ? "zh-CN" : "en";
  const base = l.split("-")[0]!;
  return available.includes(base) ? base : "en";
}
