import { useEffect, useState, type FormEvent } from "react";
import { ApiError, client, ok, passkeyCancelled, signIn, signInWithLink, signInWithPasskey, type TwoFactorChallenge } from "../api.ts";
import type { HelpCenterInfo } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { locale, t } from "../i18n/index.ts";
import { Link, navigate, PageHeading } from "../router.tsx";
import { explainHc, fieldError } from "./help-api.ts";
import { HelpCodeStep } from "./HelpCodeStep.tsx";
import { signInAgainUsed, ssoStartHref } from "../components/sso-start.ts";
import { useApi } from "../data.tsx";

/**
 * `/signin`: an end user asks for a one-time sign-in link by e-mail, or finishes signing in with
 * one (`/signin?token=…`). The token leaves the address bar at once, and is used only when the
 * person presses Continue, so a mail scanner that opens links does not use it up.
 *
 * The e-mail link is the way in: customers who wrote through the form have no password. Signing
 * in with a password is a second, folded choice labelled for those who have one (support staff,
 * people an admin gave one). Which addresses have a password is never asked of the server: that
 * would tell a stranger which addresses exist.
 */
export function SignInPage(props: { info: HelpCenterInfo | null; initialToken: string; notice: string | null; onSignedIn: () => Promise<void> }) {
  const [token] = useState(props.initialToken);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [linkError, setLinkError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pwError, setPwError] = useState<string | null>(null);
  const [pkError, setPkError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(props.notice);
  const [busy, setBusy] = useState(false);
  const [usedLink, setUsedLink] = useState(false);
  const [challenge, setChallenge] = useState<TwoFactorChallenge | null>(null);
  const options = useApi(["sign_in_options"], async (signal) => (await ok(client.GET("/api/v2/sign_in_options", { signal }))).sign_in_options);

  useEffect(() => {
    if (props.initialToken) navigate("/signin", { replace: true });
  }, [props.initialToken]);

  async function redeem() {
    setLinkError(null);
    setBusy(true);
    try {
      await signInWithLink(token);
      await props.onSignedIn();
      navigate("/requests");
    } catch (err) {
      setBusy(false);
      setUsedLink(true);
      const code = fieldError(err, "token");
      setLinkError(code === "AlreadyUsed" ? t("hc.signin.used") : code === "Expired" ? t("hc.signin.expired") : err instanceof ApiError && err.status === 404 ? t("hc.signin.invalid") : explainHc(err));
    }
  }

  async function sendLink(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    setBusy(true);
    try {
      await ok(client.POST("/api/v2/help_center/sign_in_links", { body: { email, locale: locale() } }));
      setStatus(t("hc.signin.sent", { email }));
    } catch (err) {
      setError(explainHc(err));
    } finally {
      setBusy(false);
    }
  }

  async function withPassword(e: FormEvent) {
    e.preventDefault();
    setPwError(null);
    setBusy(true);
    try {
      const r = await signIn(email, password);
      if ("challenge" in r) {
        // Two-factor sign-in: the code is asked for here, in the visitor's language.
        setBusy(false);
        return setChallenge(r);
      }
      await props.onSignedIn();
      navigate("/requests");
    } catch (err) {
      setBusy(false);
      setPwError(passkeyCancelled(err) ? t("hc.passkeys.cancelled") : err instanceof ApiError && err.status === 401 ? t("hc.signin.failed") : explainHc(err));
    }
  }

  async function withPasskey() {
    setPkError(null);
    setBusy(true);
    try {
      await signInWithPasskey();
      await props.onSignedIn();
      navigate("/requests");
    } catch (err) {
      setBusy(false);
      setPkError(passkeyCancelled(err) ? t("hc.passkeys.cancelled") : err instanceof ApiError && err.status === 401 ? t("hc.passkeys.signInFailed") : explainHc(err));
    }
  }

  if (token && !usedLink)
    return (
      <main id="main" className="page narrow">
        <PageHeading>{t("hc.signin.linkTitle")}</PageHeading>
        <p>{t("hc.signin.linkIntro")}</p>
        <ErrorText text={linkError} />
        <button type="button" onClick={() => void redeem()} disabled={busy}>
          {busy ? t("hc.signin.working") : t("hc.signin.continue")}
        </button>
      </main>
    );

  if (challenge)
    return (
      <HelpCodeStep
        challenge={challenge.challenge}
        methods={challenge.methods}
        onSignedIn={async () => {
          await props.onSignedIn();
          navigate("/requests");
        }}
        onBack={() => {
          setChallenge(null);
          setPassword("");
        }}
      />
    );

  const sso = options.data?.end_users.sso ?? null;
  // Off when end users sign in only through single sign-on.
  const linksOn = options.data?.end_users.sign_in_links ?? true;
  const emailSignIn = (props.info?.email_sign_in ?? false) && linksOn;
  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("hc.signin.title")}</PageHeading>
      <ErrorText text={linkError} />
      <StatusText text={status} />
      {sso ? (
        <>
          <p>
            <a className="button" href={ssoStartHref(sso.start_path, "/requests")} onClick={signInAgainUsed}>
              {t("hc.sso.button")}
            </a>
          </p>
          {emailSignIn ? <p className="muted">{t("hc.sso.or")}</p> : null}
        </>
      ) : null}
      {emailSignIn ? (
        <form onSubmit={sendLink} aria-busy={busy}>
          <p>{t("hc.signin.intro")}</p>
          <Field id="hc-signin-email" label={t("hc.signin.email")}>
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} autoComplete="email" />
          </Field>
          <ErrorText text={error} />
          <button type="submit" disabled={busy}>
            {busy ? t("hc.signin.sending") : t("hc.signin.send")}
          </button>
        </form>
      ) : sso ? null : (
        <p className="notice">{t("hc.signin.unavailable")}</p>
      )}
      <ErrorText text={pkError} />
      <p>
        <button type="button" className="secondary" onClick={() => void withPasskey()} disabled={busy}>
          {busy ? t("hc.passkeys.signingIn") : t("hc.passkeys.signIn")}
        </button>
      </p>
      <details className="password-signin" open={!emailSignIn && !sso}>
        <summary>{t("hc.signin.passwordHeading")}</summary>
        <p>{t("hc.signin.passwordIntro")}</p>
        <form onSubmit={withPassword} aria-busy={busy} aria-label={t("hc.signin.passwordHeading")}>
          <Field id="hc-password-email" label={t("hc.signin.email")}>
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={254} autoComplete="username" />
          </Field>
          <Field id="hc-password" label={t("hc.signin.password")}>
            <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="current-password" />
          </Field>
          <ErrorText text={pwError} />
          <button type="submit" className="secondary" disabled={busy}>
            {t("hc.signin.passwordSubmit")}
          </button>
        </form>
        <p>
          <Link to="/forgot-password">{t("hc.signin.forgot")}</Link>
        </p>
      </details>
    </main>
  );
}
