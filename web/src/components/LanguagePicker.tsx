import { chooseLocale, LOCALES, t, useLocale } from "../i18n/index.ts";

/** The language switcher of the staff pages (workspace and admin center): applied at once, remembered for the next visit. */
export function LanguagePicker() {
  const lang = useLocale();
  return (
    <span className="lang-picker">
      <label htmlFor="staff-language" className="lang-label">
        {t("app.language")}
      </label>
      <select id="staff-language" value={lang} onChange={(e) => chooseLocale(e.target.value)}>
        {LOCALES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.name}
          </option>
        ))}
      </select>
    </span>
  );
}
