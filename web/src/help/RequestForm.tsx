import { FilePicker, uploadsWhenDone, type PickedFile } from "../components/Files.tsx";
import { useState, type FormEvent } from "react";
import { client, ok } from "../api.ts";
import type { HelpCenterInfo, RequestView, User } from "../api-schema.ts";
import { ErrorText, Field } from "../components/Field.tsx";
import { locale, t } from "../i18n/index.ts";
import { Link, PageHeading } from "../router.tsx";
import { explainHc, fieldError } from "./help-api.ts";
import { RequestFieldInput, type CustomValue } from "./RequestFields.tsx";

/**
 * `/`: the request form. Anonymous visitors give their name and e-mail address; a signed-in person
 * does not. When the account requires consent, its text is shown with a checkbox; the server
 * refuses a request without it (the page never decides). A honeypot field, hidden from people and
 * from assistive technology, catches form-filling robots.
 */
export function RequestForm(props: { info: HelpCenterInfo; me: User | null; onConsentChanged: () => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const [website, setWebsite] = useState("");
  const [accepted, setAccepted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [consentInvalid, setConsentInvalid] = useState(false);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<RequestView | null>(null);
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [custom, setCustom] = useState<Record<number, CustomValue>>({});
  const consent = props.info.consent;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setConsentInvalid(false);
    setBusy(true);
    const uploads = await uploadsWhenDone(files);
    if (uploads === null) {
      setBusy(false);
      return setError(t("hc.files.failedMeanwhile"));
    }
    // Only the fields this form offers, and only those given a value.
    const customFields = props.info.request_fields.filter((f) => custom[f.id] !== undefined && custom[f.id] !== null).map((f) => ({ id: f.id, value: custom[f.id] ?? null }));
    try {
      const r = await ok(
        client.POST("/api/v2/requests", {
          body: {
            request: {
              subject,
              comment: { body, ...(uploads.length ? { uploads } : {}) },
              ...(customFields.length ? { custom_fields: customFields } : {}),
              ...(props.me ? {} : { requester: { name, email } }),
              ...(consent.required ? { consent: { accepted, version: consent.version } } : {}),
              website,
              locale: locale(),
            },
          },
        }),
      );
      setSent(r.request);
      setSubject("");
      setBody("");
      setFiles([]);
      setCustom({});
      setAccepted(false);
    } catch (err) {
      setError(explainHc(err));
      if (fieldError(err, "consent")) setConsentInvalid(true);
      if (fieldError(err, "consent") === "Outdated") props.onConsentChanged();
    } finally {
      setBusy(false);
    }
  }

  if (sent)
    return (
      <main id="main" className="page narrow">
        <PageHeading>{t("hc.form.title")}</PageHeading>
        <p className="status-text" role="status">
          {props.me ? t("hc.form.sentSignedIn", { id: sent.id }) : t("hc.form.sent", { id: sent.id })}
        </p>
        <p>{props.me ? <Link to={`/requests/${sent.id}`}>{t("hc.request.title", { id: sent.id })}</Link> : <Link to="/signin">{t("hc.form.followHint")}</Link>}</p>
        <p>
          <button type="button" className="secondary" onClick={() => setSent(null)}>
            {t("hc.form.another")}
          </button>
        </p>
      </main>
    );

  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("hc.form.title")}</PageHeading>
      <p>{t("hc.form.intro")}</p>
      <form onSubmit={submit} aria-busy={busy}>
        {props.me ? null : (
          <>
            <Field id="hc-name" label={t("hc.form.name")}>
              <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={255} autoComplete="name" />
            </Field>
            <Field id="hc-email" label={t("hc.form.email")}>
              <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} autoComplete="email" />
            </Field>
          </>
        )}
        <Field id="hc-subject" label={t("hc.form.subject")}>
          <input value={subject} onChange={(e) => setSubject(e.target.value)} required maxLength={255} />
        </Field>
        <Field id="hc-body" label={t("hc.form.body")} help={t("hc.form.bodyHelp")}>
          <textarea value={body} onChange={(e) => setBody(e.target.value)} required rows={8} maxLength={65_536} />
        </Field>
        {props.info.request_fields.map((f) => (
          <RequestFieldInput key={f.id} field={f} value={custom[f.id] ?? null} onChange={(v) => setCustom((c) => ({ ...c, [f.id]: v }))} />
        ))}
        <FilePicker files={files} onChange={setFiles} disabled={busy} />
        <div className="hp" aria-hidden="true">
          <label htmlFor="hc-website">{t("hc.form.honeypot")}</label>
          <input id="hc-website" name="website" value={website} onChange={(e) => setWebsite(e.target.value)} tabIndex={-1} autoComplete="off" />
        </div>
        {consent.required && consent.text ? (
          <fieldset className="consent">
            <legend>{t("hc.form.consentHeading")}</legend>
            <div className="consent-text" id="hc-consent-text" lang={consent.locale ?? undefined}>
              {consent.text}
            </div>
            <label className="check">
              <input
                type="checkbox"
                checked={accepted}
                onChange={(e) => setAccepted(e.target.checked)}
                aria-describedby="hc-consent-text"
                aria-invalid={consentInvalid || undefined}
              />
              {t("hc.form.consentAccept")}
            </label>
          </fieldset>
        ) : null}
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {busy ? t("hc.form.working") : t("hc.form.submit")}
        </button>
      </form>
    </main>
  );
}
