import { useEffect, useState, type FormEvent } from "react";
import { api, explain } from "../api.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";

type Settings = { consent_required: boolean; consent_text: string | null; consent_version: number; email_sign_in: boolean; updated_at: string | null };

/** `/admin/help-center`: consent on the request form (required or not, its text), and whether e-mail sign-in works. */
export function HelpCenterSettingsPage() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [required, setRequired] = useState(false);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const show = (s: Settings) => {
    setSettings(s);
    setRequired(s.consent_required);
    setText(s.consent_text ?? "");
  };
  useEffect(() => {
    api<{ settings: Settings }>("GET", "help_center/settings.json").then((r) => show(r.settings), (err: unknown) => setError(explain(err)));
  }, []);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    try {
      const r = await api<{ settings: Settings }>("PUT", "help_center/settings.json", { settings: { consent_required: required, consent_text: text } });
      show(r.settings);
      setStatus(t("admin.saved"));
    } catch (err) {
      setError(explain(err));
    }
  }
  if (!settings)
    return (
      <main id="main" className="main">
        {error ? <ErrorText text={error} /> : <p role="status">{t("app.loading")}</p>}
      </main>
    );
  return (
    <main id="main" className="main">
      <PageHeading>{t("admin.hc.title")}</PageHeading>
      <p>{t("admin.hc.intro")}</p>
      <form className="form" onSubmit={submit}>
        <label className="check">
          <input type="checkbox" checked={required} onChange={(e) => setRequired(e.target.checked)} aria-describedby="hc-required-help" />
          {t("admin.hc.required")}
        </label>
        <p className="help" id="hc-required-help">
          {t("admin.hc.requiredHelp")}
        </p>
        <Field id="hc-consent-text" label={t("admin.hc.text")} help={t("admin.hc.textHelp", { version: settings.consent_version })}>
          <textarea value={text} onChange={(e) => setText(e.target.value)} rows={6} maxLength={10_000} />
        </Field>
        <ErrorText text={error} />
        <StatusText text={status} />
        <button type="submit">{t("admin.save")}</button>
      </form>
      <h2>{t("admin.hc.mail")}</h2>
      <p className={settings.email_sign_in ? "" : "notice"}>{t(settings.email_sign_in ? "admin.hc.mail.on" : "admin.hc.mail.off")}</p>
      {settings.updated_at ? <p className="help">{t("admin.hc.updated", { when: formatDate(settings.updated_at) })}</p> : null}
    </main>
  );
}
