import { useEffect, useState, type FormEvent } from "react";
import { ApiError, client, explain, ok } from "../api.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { locale, t } from "../i18n/index.ts";
import { Link, navigate, PageHeading } from "../router.tsx";
import { explainHc, fieldError } from "./help-api.ts";

/**
 * "Forgot your password?" in the help center's languages: `/forgot-password` asks for a link
 * (the answer is the same whatever the address), and `/reset-password?token=…` — the page every
 * reset mail links to, for staff and end users alike, since the link is the same for both —
 * takes the new password. As with sign-in links, the token leaves the address bar at once. Saving
 * signs nobody in: the page says so and leads to the sign-in the server names (the workspace for
 * staff, the help center's for end users).
 */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    setBusy(true);
    try {
      await ok(client.POST("/api/v2/password_resets", { body: { email, locale: locale() } }));
      setStatus(t("hc.forgot.sent", { email }));
    } catch (err) {
      setError(fieldError(err, "email") === "Unavailable" ? t("hc.forgot.unavailable") : explainHc(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("hc.forgot.title")}</PageHeading>
      <p>{t("hc.forgot.intro")}</p>
      <StatusText text={status} />
      <form onSubmit={submit} aria-busy={busy}>
        <Field id="hc-forgot-email" label={t("hc.forgot.email")}>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} autoComplete="username" />
        </Field>
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {busy ? t("hc.forgot.sending") : t("hc.forgot.submit")}
        </button>
      </form>
      <p>
        <Link to="/signin">{t("hc.forgot.back")}</Link>
      </p>
    </main>
  );
}

export function ResetPasswordPage(props: { initialToken: string }) {
  const [token] = useState(props.initialToken);
  const [password, setPassword] = useState("");
  const [show, setShow] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [linkInvalid, setLinkInvalid] = useState(!props.initialToken);
  const [signInPath, setSignInPath] = useState<string | null>(null);

  useEffect(() => {
    if (props.initialToken) navigate("/reset-password", { replace: true });
  }, [props.initialToken]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const r = await ok(client.POST("/api/v2/password_resets/redeem", { body: { token, password } }));
      setPassword("");
      setSignInPath(r.password_reset.sign_in_path);
    } catch (err) {
      if (fieldError(err, "token")) setLinkInvalid(true);
      // The policy's own words (a weak password), else the help center's sentence for the case.
      else setError(err instanceof ApiError && err.status === 422 ? explain(err) : explainHc(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("hc.reset.title")}</PageHeading>
      {signInPath ? (
        <>
          <p role="status">{t("hc.reset.done")}</p>
          <p>
            <Link to={signInPath}>{t("hc.reset.signIn")}</Link>
          </p>
        </>
      ) : linkInvalid ? (
        <>
          <ErrorText text={t("hc.reset.invalid")} />
          <p>
            <Link to="/forgot-password">{t("hc.reset.askAgain")}</Link>
          </p>
        </>
      ) : (
        <>
          <p>{t("hc.reset.intro")}</p>
          <form onSubmit={submit} aria-busy={busy}>
            <Field id="hc-reset-password" label={t("hc.reset.password")} help={t("hc.reset.help")} error={error}>
              <input type={show ? "text" : "password"} value={password} onChange={(e) => setPassword(e.target.value)} required maxLength={256} autoComplete="new-password" />
            </Field>
            <div className="field checkbox">
              <input id="hc-reset-show" type="checkbox" checked={show} onChange={(e) => setShow(e.target.checked)} />
              <label htmlFor="hc-reset-show">{t("hc.reset.show")}</label>
            </div>
            <button type="submit" disabled={busy}>
              {busy ? t("hc.reset.working") : t("hc.reset.submit")}
            </button>
          </form>
        </>
      )}
    </main>
  );
}
