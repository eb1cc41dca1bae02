import { useEffect, useState } from "react";
import { api, explain } from "../api.ts";
import { ErrorText } from "../components/Field.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { OnceBox } from "./OnceBox.tsx";

type ConsentRecord = { id: number; request_id: number | null; text: string; text_version: number; text_sha256: string; accepted_at: string; ip: string | null };

/**
 * On an end user's page: a one-time sign-in link to hand over (when there is no mail server, or
 * the mail went astray), shown once; and the consent records the person accepted.
 */
export function EndUserPanels(props: { userId: number }) {
  const [link, setLink] = useState<string | null>(null);
  const [records, setRecords] = useState<ConsentRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<{ consent_records: ConsentRecord[] }>("GET", `users/${props.userId}/consent_records.json`).then((r) => setRecords(r.consent_records), (err: unknown) => setError(explain(err)));
  }, [props.userId]);
  async function create() {
    setBusy(true);
    setError(null);
    try {
      setLink((await api<{ sign_in_link: { url: string } }>("POST", `users/${props.userId}/sign_in_links.json`)).sign_in_link.url);
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <section aria-labelledby="signin-link-heading" className="panel">
        <h2 id="signin-link-heading">{t("admin.hc.link.heading")}</h2>
        <p className="muted">{t("admin.hc.link.intro")}</p>
        {link ? (
          <OnceBox id="signin-link" label={t("admin.hc.link.label")} value={link} intro={t("admin.hc.link.once")} />
        ) : (
          <button type="button" className="secondary" disabled={busy} onClick={() => void create()}>
            {t("admin.hc.link.create")}
          </button>
        )}
      </section>
      <section aria-labelledby="consents-heading" className="panel">
        <h2 id="consents-heading">{t("admin.hc.consents.heading")}</h2>
        <ErrorText text={error} />
        {records && records.length === 0 ? <p>{t("admin.hc.consents.none")}</p> : null}
        <ul>
          {(records ?? []).map((r) => (
            <li key={r.id}>
              {t("admin.hc.consents.line", { id: r.request_id ?? "—", version: r.text_version, when: formatDate(r.accepted_at), ip: r.ip ?? "—" })}
              <blockquote className="consent-text">{r.text}</blockquote>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
