import { useState, type FormEvent } from "react";
import { client, ok } from "../../api.ts";
import type { SamlSettings as Settings } from "../../api-schema.ts";
import { Field, StatusText } from "../../components/Field.tsx";
import { Loadable, useApi, useInvalidate, useSetData } from "../../data.tsx";
import { t } from "../../i18n/index.ts";
import { useFailure } from "../../components/SignInAgain.tsx";

const KEY = ["saml"];
/** The single sign-on page's settings list the providers set up: reloaded after a save. */
const SSO_SETTINGS_KEY = ["sso_settings"];
const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The SAML part of the single sign-on page: this account's SP addresses, and the IdP's settings. */
export function SamlSettings() {
  const settings = useApi(KEY, async (signal) => (await ok(client.GET("/api/v2/sso/saml", { signal }))).saml);
  return (
    <section className="panel" aria-labelledby="saml-heading">
      <h2 id="saml-heading">{t("saml.title")}</h2>
      <p className="muted">{t("saml.intro")}</p>
      <Loadable state={settings}>{(s) => <SamlForm settings={s} />}</Loadable>
    </section>
  );
}

function SamlForm(props: { settings: Settings }) {
  const s = props.settings;
  const setData = useSetData();
  const invalidate = useInvalidate();
  const [enabled, setEnabled] = useState(s.enabled);
  const [entityId, setEntityId] = useState(s.idp_entity_id ?? "");
  const [ssoUrl, setSsoUrl] = useState(s.idp_sso_url ?? "");
  const [certs, setCerts] = useState(s.idp_certificates.join("\n"));
  const [emailAttr, setEmailAttr] = useState(s.email_attribute ?? "");
  const [nameAttr, setNameAttr] = useState(s.name_attribute ?? "");
  const [signed, setSigned] = useState(s.signed);
  const [idpInitiated, setIdpInitiated] = useState(s.allow_idp_initiated);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      const pems = certs.match(PEM) ?? (certs.trim() ? [certs.trim()] : []);
      const body = {
        saml: {
          enabled,
          idp_entity_id: entityId,
          idp_sso_url: ssoUrl,
          idp_certificates: pems,
          email_attribute: emailAttr.trim() || null,
          name_attribute: nameAttr.trim() || null,
          signed,
          allow_idp_initiated: idpInitiated,
        },
      };
      const r = (await ok(client.PUT("/api/v2/sso/saml", { body }))).saml;
      setData(KEY, r);
      await invalidate(SSO_SETTINGS_KEY);
      setCerts(r.idp_certificates.join("\n"));
      setStatus(t("admin.saved"));
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <h3>{t("saml.sp")}</h3>
      <dl className="facts">
        <dt>{t("saml.spEntityId")}</dt>
        <dd><code>{s.sp_entity_id}</code></dd>
        <dt>{t("saml.acsUrl")}</dt>
        <dd><code>{s.acs_url}</code></dd>
        <dt>{t("saml.metadataUrl")}</dt>
        <dd><a href={s.metadata_url}>{s.metadata_url}</a></dd>
      </dl>
      <form className="form" onSubmit={(e) => void submit(e)} aria-busy={busy}>
        <p>
          <label>
            <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> {t("saml.enabled")}
          </label>
        </p>
        <Field id="saml-idp-entity" label={t("saml.idpEntityId")}>
          <input type="text" required maxLength={1024} value={entityId} onChange={(e) => setEntityId(e.target.value)} />
        </Field>
        <Field id="saml-idp-sso" label={t("saml.idpSsoUrl")} help={t("saml.idpSsoUrlHelp")}>
          <input type="url" required maxLength={2000} value={ssoUrl} onChange={(e) => setSsoUrl(e.target.value)} />
        </Field>
        <Field id="saml-certs" label={t("saml.certificates")} help={t("saml.certificatesHelp")}>
          <textarea required rows={8} value={certs} onChange={(e) => setCerts(e.target.value)} spellCheck={false} />
        </Field>
        {s.certificates.length > 0 ? (
          <ul className="plain-list">
            {s.certificates.map((c) => (
              <li key={c.fingerprint_sha256}>{t("saml.certificate", { subject: c.subject, until: new Date(c.valid_to).toLocaleDateString(), fingerprint: c.fingerprint_sha256 })}</li>
            ))}
          </ul>
        ) : null}
        <Field id="saml-email-attr" label={t("saml.emailAttribute")} help={t("saml.emailAttributeHelp")}>
          <input type="text" maxLength={512} value={emailAttr} onChange={(e) => setEmailAttr(e.target.value)} />
        </Field>
        <Field id="saml-name-attr" label={t("saml.nameAttribute")}>
          <input type="text" maxLength={512} value={nameAttr} onChange={(e) => setNameAttr(e.target.value)} />
        </Field>
        <Field id="saml-signed" label={t("saml.signed")}>
          <select value={signed} onChange={(e) => setSigned(e.target.value as Settings["signed"])}>
            <option value="assertion">{t("saml.signed.assertion")}</option>
            <option value="response">{t("saml.signed.response")}</option>
            <option value="both">{t("saml.signed.both")}</option>
          </select>
        </Field>
        <p>
          <label>
            <input type="checkbox" checked={idpInitiated} onChange={(e) => setIdpInitiated(e.target.checked)} aria-describedby="saml-idp-initiated-help" /> {t("saml.idpInitiated")}
          </label>
        </p>
        <p className="help" id="saml-idp-initiated-help">{t("saml.idpInitiatedHelp")}</p>
        <p className="help">{t("saml.roles")}</p>
        {failure.notice}
        <StatusText text={status} />
        <p className="actions">
          <button type="submit" disabled={busy}>{t("saml.save")}</button>
        </p>
      </form>
    </>
  );
}
