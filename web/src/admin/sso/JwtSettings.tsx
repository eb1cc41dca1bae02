import { useState, type FormEvent } from "react";
import { client, ok } from "../../api.ts";
import type { Answer } from "../../api-schema.ts";
import { Field, StatusText } from "../../components/Field.tsx";
import { Loadable, useApi, useInvalidate, useSetData } from "../../data.tsx";
import { t } from "../../i18n/index.ts";
import { OnceBox } from "../OnceBox.tsx";
import { SSO_SETTINGS_KEY } from "../SingleSignOnPage.tsx";
import { useFailure } from "../../components/SignInAgain.tsx";

type Jwt = Answer<"showJwtSettings">["jwt"];
const KEY = ["sso", "jwt"];

/** The JWT section of the Single sign-on page: the remote login URL and the shared secret (generated, shown once, rotated). */
export function JwtSettings() {
  const state = useApi(KEY, async (signal) => (await ok(client.GET("/api/v2/sso/jwt", { signal }))).jwt);
  return (
    <section className="panel" aria-labelledby="sso-jwt-heading">
      <h2 id="sso-jwt-heading">{t("sso.jwt.title")}</h2>
      <Loadable state={state}>{(j) => <JwtForm jwt={j} />}</Loadable>
    </section>
  );
}

function JwtForm(props: { jwt: Jwt }) {
  const j = props.jwt;
  const setData = useSetData();
  const invalidate = useInvalidate();
  const [enabled, setEnabled] = useState(j.enabled);
  const [login, setLogin] = useState(j.remote_login_url ?? "");
  const [logout, setLogout] = useState(j.remote_logout_url ?? "");
  const [fresh, setFresh] = useState<string | null>(null);
  const failure = useFailure();
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(work: () => Promise<Jwt>) {
    setBusy(true);
    failure.clear();
    setStatus(null);
    try {
      setData(KEY, await work());
      await invalidate(SSO_SETTINGS_KEY);
      setStatus(t("admin.saved"));
    } catch (err) {
      failure.fail(err);
    } finally {
      setBusy(false);
    }
  }
  const save = (extra: { remove_rotation_secret?: boolean } = {}) =>
    run(async () => (await ok(client.PUT("/api/v2/sso/jwt", { body: { jwt: { enabled, remote_login_url: login.trim(), remote_logout_url: logout.trim() === "" ? null : logout.trim(), ...extra } } }))).jwt);
  const generate = () =>
    run(async () => {
      const r = await ok(client.POST("/api/v2/sso/jwt/secret"));
      setFresh(r.shared_secret);
      return r.jwt;
    });

  return (
    <form
      className="form"
      aria-busy={busy}
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void save();
      }}
    >
      <p>{t("sso.jwt.intro")}</p>
      <p>
        <code data-testid="jwt-sign-in-url">{j.sign_in_url}</code>
      </p>
      <label className="check">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} disabled={!j.shared_secret_set} /> {t("sso.jwt.enabled")}
      </label>
      <Field id="jwt-remote-login" label={t("sso.jwt.remoteLogin")} help={t("sso.jwt.remoteLoginHelp")}>
        <input type="url" value={login} onChange={(e) => setLogin(e.target.value)} maxLength={2000} spellCheck={false} required />
      </Field>
      <Field id="jwt-remote-logout" label={t("sso.jwt.remoteLogout")}>
        <input type="url" value={logout} onChange={(e) => setLogout(e.target.value)} maxLength={2000} spellCheck={false} />
      </Field>
      <p className="help">{j.shared_secret_set ? t("sso.jwt.secretSet") : t("sso.jwt.secretNotSet")}</p>
      {fresh ? <OnceBox id="jwt-new-secret" label={t("sso.jwt.newSecret")} intro={t("sso.jwt.newSecretIntro")} value={fresh} /> : null}
      {j.rotation_secret_set ? (
        <p className="help">
          {t("sso.jwt.rotation")}{" "}
          <button type="button" className="secondary" disabled={busy} onClick={() => void save({ remove_rotation_secret: true })}>
            {t("sso.jwt.endRotation")}
          </button>
        </p>
      ) : null}
      {failure.notice}
      <StatusText text={status} />
      <p className="actions">
        <button type="submit" disabled={busy || !j.shared_secret_set}>
          {t("sso.jwt.save")}
        </button>{" "}
        <button type="button" className="secondary" disabled={busy} onClick={() => void generate()} title={t("sso.jwt.generateHelp")}>
          {t("sso.jwt.generate")}
        </button>
      </p>
    </form>
  );
}
