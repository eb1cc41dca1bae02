import { useState, type FormEvent } from "react";
import { client, ok } from "../../api.ts";
import type { Answer } from "../../api-schema.ts";
import { CheckField, Field, StatusText } from "../../components/Field.tsx";
import { Loadable, useApi, useInvalidate, useSetData } from "../../data.tsx";
import { t } from "../../i18n/index.ts";
import { SSO_SETTINGS_KEY } from "../SingleSignOnPage.tsx";
import { useFailure } from "../../components/SignInAgain.tsx";

type Oidc = Answer<"showOidcSettings">["oidc"];
const KEY = ["sso", "oidc"];

/** The OpenID Connect section of the Single sign-on page: issuer, client, scopes and claims. The secret is write-only. */
export function OidcSettings() {
  const state = useApi(KEY, async (signal) => (await ok(client.GET("/api/v2/sso/oidc", { signal }))).oidc);
  return (
    <section className="panel" aria-labelledby="sso-oidc-heading">
      <h2 id="sso-oidc-heading">{t("sso.oidc.title")}</h2>
      <Loadable state={state}>{(o) => <OidcForm oidc={o} />}</Loadable>
    </section>
  );
}

function OidcForm(props: { oidc: Oidc }) {
  const o = props.oidc;
  const setData = useSetData();
  const invalidate = useInvalidate();
  const [enabled, setEnabled] = useState(o.enabled);
  const [issuer, setIssuer] = useState(o.issuer ?? "");
  const [clientId, setClientId] = useState(o.client_id ?? "");
  const [secret, setSecret] = useState("");
  const [scopes, setScopes] = useState(o.scopes);
  const [emailClaim, setEmailClaim] = useState(o.email_claim);
  const [nameClaim, setNameClaim] = useState(o.name_claim);
  const [verifiedRequired, setVerifiedRequired] = useState(o.email_verified_required);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      const r = await ok(
        client.PUT("/api/v2/sso/oidc", {
          body: { oidc: { enabled, issuer: issuer.trim(), client_id: clientId.trim(), ...(secret ? { client_secret: secret } : {}), scopes: scopes.trim(), email_claim: emailClaim.trim(), name_claim: nameClaim.trim(), email_verified_required: verifiedRequired } },
        }),
      );
      setData(KEY, r.oidc);
      setSecret("");
      await invalidate(SSO_SETTINGS_KEY);
      setStatus(t("admin.saved"));
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={submit} aria-busy={busy}>
      <p>{t("sso.oidc.intro")}</p>
      <p>
        <code data-testid="oidc-redirect-uri">{o.redirect_uri}</code>
      </p>
      <CheckField id="oidc-enabled" label={t("sso.oidc.enabled")} checked={enabled} onChange={setEnabled} />
      <Field id="oidc-issuer" label={t("sso.oidc.issuer")} help={t("sso.oidc.issuerHelp")}>
        <input type="url" value={issuer} onChange={(e) => setIssuer(e.target.value)} maxLength={2000} spellCheck={false} required />
      </Field>
      <Field id="oidc-client-id" label={t("sso.oidc.clientId")}>
        <input value={clientId} onChange={(e) => setClientId(e.target.value)} maxLength={255} spellCheck={false} required />
      </Field>
      <Field id="oidc-client-secret" label={t("sso.oidc.clientSecret")} help={o.client_secret_set ? t("sso.oidc.secretSet") : t("sso.oidc.secretNotSet")}>
        <input type="password" value={secret} onChange={(e) => setSecret(e.target.value)} maxLength={1000} autoComplete="off" />
      </Field>
      <Field id="oidc-scopes" label={t("sso.oidc.scopes")} help={t("sso.oidc.scopesHelp")}>
        <input value={scopes} onChange={(e) => setScopes(e.target.value)} maxLength={500} spellCheck={false} />
      </Field>
      <Field id="oidc-email-claim" label={t("sso.oidc.emailClaim")}>
        <input value={emailClaim} onChange={(e) => setEmailClaim(e.target.value)} maxLength={200} spellCheck={false} />
      </Field>
      <Field id="oidc-name-claim" label={t("sso.oidc.nameClaim")}>
        <input value={nameClaim} onChange={(e) => setNameClaim(e.target.value)} maxLength={200} spellCheck={false} />
      </Field>
      <CheckField id="oidc-verified" label={t("sso.oidc.emailVerified")} checked={verifiedRequired} onChange={setVerifiedRequired} help={t("sso.oidc.emailVerifiedHelp")} />
      {failure.notice}
      <StatusText text={status} />
      <p className="actions">
        <button type="submit" disabled={busy}>
          {t("sso.oidc.save")}
        </button>
      </p>
    </form>
  );
}
