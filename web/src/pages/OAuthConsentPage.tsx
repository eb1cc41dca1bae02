import { useEffect, useRef, useState } from "react";
import { client, ok } from "../api.ts";
import type { OAuthConsent, User } from "../api-schema.ts";
import { StatusText } from "../components/Field.tsx";
import { SessionGate } from "../components/SessionGate.tsx";
import { Loadable, useApi } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { PageHeading, useLocation } from "../router.tsx";
import { useFailure } from "../components/SignInAgain.tsx";

/** The request's parameters, as the authorization endpoint passed them on (the server checks them again). */
const PARAMS = ["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"] as const;
type ConsentQuery = Partial<Record<(typeof PARAMS)[number], string>>;

/**
 * `/oauth/consent`: where `GET /oauth/authorizations/new` sends the browser. The person signs in
 * first if they are not (the page stays at this address, so they come back to the question), sees
 * the application's name and the scopes in words, and allows or denies; the server answers where
 * the browser goes next (the application's registered redirect URI, with a code or access_denied).
 */
export function OAuthConsentPage() {
  const { query } = useLocation();
  const request: ConsentQuery = {};
  for (const k of PARAMS) {
    const v = query.get(k);
    if (v !== null) request[k] = v;
  }
  return <SessionGate intro={t("oauth.consent.signInIntro")}>{(s) => <Consent me={s.me} request={request} />}</SessionGate>;
}

function Consent(props: { me: User; request: ConsentQuery }) {
  const consent = useApi(["oauth_consent", props.request], async (signal) => (await ok(client.GET("/api/v2/oauth/consent", { params: { query: props.request }, signal }))).consent);
  const failure = useFailure();
  const [leaving, setLeaving] = useState(false);

  async function answer(allowed: boolean) {
    failure.clear();
    setLeaving(true);
    try {
      const r = await ok(client.POST("/api/v2/oauth/consent", { body: { ...props.request, allowed } }));
      window.location.assign(r.redirect_to);
    } catch (err) {
      setLeaving(false);
      failure.fail(err);
    }
  }

  return (
    <main id="main" className="page narrow">
      <Loadable state={consent}>
        {(c: OAuthConsent) =>
          c.remembered && !failure.failed ? (
            <Remembered name={c.client.name} onMount={() => void answer(true)} />
          ) : (
          <>
            <PageHeading>{t("oauth.consent.title", { name: c.client.name })}</PageHeading>
            {c.client.company ? <p>{t("oauth.consent.by", { company: c.client.company })}</p> : null}
            {c.client.description ? <p className="muted">{c.client.description}</p> : null}
            <p>{t("oauth.consent.asYou", { name: props.me.name })}</p>
            <h2>{t("oauth.consent.scopes")}</h2>
            <ul className="scopes">
              {c.scopes.map((s) => (
                <li key={s.scope}>
                  {s.description} <code>{s.scope}</code>
                </li>
              ))}
            </ul>
            <p className="muted">{t("oauth.consent.redirect", { uri: c.redirect_uri })}</p>
            <p className="actions">
              <button type="button" disabled={leaving} onClick={() => void answer(true)}>
                {t("oauth.consent.allow")}
              </button>{" "}
              <button type="button" className="secondary" disabled={leaving} onClick={() => void answer(false)}>
                {t("oauth.consent.deny")}
              </button>
            </p>
            <StatusText text={leaving ? t("oauth.consent.leaving") : null} />
          </>
          )
        }
      </Loadable>
      {failure.notice}
    </main>
  );
}

/** Consent given before (a confidential client, the same scopes): said, and answered at once, once. */
function Remembered(props: { name: string; onMount: () => void }) {
  const done = useRef(false);
  useEffect(() => {
    if (done.current) return;
    done.current = true;
    props.onMount();
  }, [props]);
  return (
    <>
      <PageHeading>{t("oauth.consent.title", { name: props.name })}</PageHeading>
      <StatusText text={t("oauth.consent.remembered", { name: props.name })} />
    </>
  );
}
