import { useState } from "react";
import { client, ok } from "../api.ts";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, LOCALES, t } from "../i18n/index.ts";
import { OnceBox } from "./OnceBox.tsx";
import { useFailure } from "../components/SignInAgain.tsx";

/** A consent text's language as people read it: its own name (日本語), the tag, or "default text". */
const languageName = (tag: string | null) => (tag === null ? t("admin.hc.consents.default") : (LOCALES.find((l) => l.code === tag)?.name ?? tag));

/**
 * On an end user's page: a one-time sign-in link to hand over (when there is no mail server, or
 * the mail went astray), shown once; and the consent records the person accepted.
 */
export function EndUserPanels(props: { userId: number }) {
  const [link, setLink] = useState<string | null>(null);
  const records = useApi(["consent_records", props.userId], async (signal) => (await ok(client.GET("/api/v2/users/{id}/consent_records", { params: { path: { id: props.userId } }, signal }))).consent_records);
  const failure = useFailure();
  const [busy, setBusy] = useState(false);
  async function create() {
    setBusy(true);
    failure.clear();
    try {
      setLink((await ok(client.POST("/api/v2/users/{id}/sign_in_links", { params: { path: { id: props.userId } } }))).sign_in_link.url);
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <section aria-labelledby="signin-link-heading" className="panel">
        <h2 id="signin-link-heading">{t("admin.hc.link.heading")}</h2>
        <p className="muted">{t("admin.hc.link.intro")}</p>
        {failure.notice}
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
        <Loadable state={records}>
          {(list) =>
            list.length === 0 ? (
              <p>{t("admin.hc.consents.none")}</p>
            ) : (
              <ul>
                {list.map((r) => (
                  <li key={r.id}>
                    {t("admin.hc.consents.line", { id: r.request_id ?? "—", version: r.text_version, language: languageName(r.text_locale), when: formatDate(r.accepted_at), ip: r.ip ?? "—" })}
                    <blockquote className="consent-text" lang={r.text_locale ?? undefined}>
                      {r.text}
                    </blockquote>
                  </li>
                ))}
              </ul>
            )
          }
        </Loadable>
      </section>
    </>
  );
}
