import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import type { HelpCenterSettings } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { formatDate, LOCALES, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";

const KEY = ["help_center", "settings"];

/**
 * `/admin/help-center`: consent on the request form (required or not; its default text and a text
 * for each of the help center's languages), and whether e-mail sign-in works.
 */
export function HelpCenterSettingsPage() {
  const settings = useApi(KEY, async (signal) => (await ok(client.GET("/api/v2/help_center/settings", { signal }))).settings);
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.hc.title")}</PageHeading>
      <p>{t("admin.hc.intro")}</p>
      <Loadable state={settings}>{(s) => <SettingsForm settings={s} />}</Loadable>
    </main>
  );
}

function SettingsForm(props: { settings: HelpCenterSettings }) {
  const { settings } = props;
  const setData = useSetData();
  const [required, setRequired] = useState(settings.consent_required);
  const [text, setText] = useState(settings.consent_text ?? "");
  const [texts, setTexts] = useState<Record<string, string>>(settings.consent_texts);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    try {
      const r = await ok(client.PUT("/api/v2/help_center/settings", { body: { settings: { consent_required: required, consent_text: text, consent_texts: texts } } }));
      setData(KEY, r.settings);
      setStatus(t("admin.saved"));
    } catch (err) {
      setError(explain(err));
    }
  }
  return (
    <>
      <form className="form" onSubmit={submit}>
        <label className="check">
          <input type="checkbox" checked={required} onChange={(e) => setRequired(e.target.checked)} aria-describedby="hc-required-help" />
          {t("admin.hc.required")}
        </label>
        <p className="help" id="hc-required-help">
          {t("admin.hc.requiredHelp")}
        </p>
        <Field id="hc-consent-text" label={t("admin.hc.text")} help={t("admin.hc.textHelp", { version: settings.consent_version })}>
          <textarea value={text} onChange={(e) => setText(e.target.value)} rows={5} maxLength={10_000} />
        </Field>
        <fieldset className="consent-languages">
          <legend>{t("admin.hc.languages")}</legend>
          <p className="help">{t("admin.hc.languagesHelp")}</p>
          {LOCALES.map((l) => (
            <Field key={l.code} id={`hc-consent-text-${l.code}`} label={t("admin.hc.textIn", { language: l.name })}>
              <textarea lang={l.code} value={texts[l.code] ?? ""} onChange={(e) => setTexts((m) => ({ ...m, [l.code]: e.target.value }))} rows={3} maxLength={10_000} />
            </Field>
          ))}
        </fieldset>
        <ErrorText text={error} />
        <StatusText text={status} />
        <button type="submit">{t("admin.save")}</button>
      </form>
      <h2>{t("admin.hc.mail")}</h2>
      <p className={settings.email_sign_in ? "" : "notice"}>{t(settings.email_sign_in ? "admin.hc.mail.on" : "admin.hc.mail.off")}</p>
      {settings.updated_at ? <p className="help">{t("admin.hc.updated", { when: formatDate(settings.updated_at) })}</p> : null}
    </>
  );
}
