import { useEffect, useState } from "react";
import { ApiError, client, currentSession, explain, ok, onUnauthorized, signOut, signOutDestination } from "../api.ts";
import { ErrorText } from "../components/Field.tsx";
import { queryClient, useApi } from "../data.tsx";
import { chooseLocale, LOCALES, t, useLocale } from "../i18n/index.ts";
import { Link, navigate, PageHeading, useLocation } from "../router.tsx";
import { ConfirmEmailPage } from "./ConfirmEmailPage.tsx";
import { MyInformation } from "./MyInformation.tsx";
import { MyRequests, RequestPage } from "./MyRequests.tsx";
import { RequestForm } from "./RequestForm.tsx";
import { SignInPage } from "./SignInPage.tsx";
import { ForgotPasswordPage, ResetPasswordPage } from "./PasswordResetPages.tsx";
import type { SatisfactionScore } from "../satisfaction.ts";

const SESSION = ["help_center", "session"];

/** The signed-in person (null: a visitor). */
async function loadMe(signal: AbortSignal) {
  const s = await currentSession().catch(() => null);
  if (!s) return null;
  return (await ok(client.GET("/api/v2/users/me", { signal }))).user;
}

/**
 * The help center, on `/` of the account's host: the request form, sign-in (a one-time e-mail
 * link; a password for those who have one), My requests and My information, in five languages
 * with a switcher. Everything it shows comes from /api/v2 under the visitor's own session.
 */
export function HelpCenterApp() {
  const { path, query } = useLocation();
  const lang = useLocale();
  // The consent text comes in the visitor's language where the account wrote one.
  const info = useApi(["help_center", lang], async (signal) => (await ok(client.GET("/api/v2/help_center", { params: { query: { locale: lang } }, signal }))).help_center, { keepPrevious: true });
  const noAccount = info.error instanceof ApiError && info.error.status === 404;
  const setup = useApi(noAccount ? ["setup"] : null, async (signal) => (await ok(client.GET("/api/v2/setup", { signal }))).setup);
  const me = useApi(SESSION, loadMe);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(
    () =>
      onUnauthorized(() => {
        setNotice(t("hc.sessionEnded"));
        queryClient.setQueryData(SESSION, null);
      }),
    [],
  );
  const signedIn = async () => {
    setNotice(null);
    await me.reload();
  };
  const session = me.data === undefined ? { kind: "loading" as const } : me.data ? { kind: "signed-in" as const, me: me.data } : { kind: "anonymous" as const, notice };
  const infoError = info.error ? (noAccount ? t("error.noAccount") : explain(info.error)) : null;
  const setupNeeded = setup.data?.needed === true;
  const loaded = info.data;

  const title = loaded?.name ? t("hc.brand", { team: loaded.name }) : t("hc.title");
  const request = /^\/requests\/(\d+)$/.exec(path);
  const needsSignIn = path === "/requests" || path === "/requests/ccd" || path === "/requests/organization" || request !== null || path === "/my-information";
  let page;
  if (setupNeeded || (infoError && !loaded))
    page = (
      <main id="main" className="page narrow">
        <PageHeading>{t("hc.title")}</PageHeading>
        {setupNeeded ? <p className="notice">{t("help.notSetUp")}</p> : <ErrorText text={infoError} />}
      </main>
    );
  else if (!loaded || session.kind === "loading") page = <p className="page" role="status">{t("hc.loading")}</p>;
  else if (path === "/reset-password") page = <ResetPasswordPage initialToken={query.get("token") ?? ""} />;
  else if (path === "/forgot-password") page = <ForgotPasswordPage />;
  else if (path === "/confirm-email") page = <ConfirmEmailPage initialToken={query.get("token") ?? ""} onConfirmed={me.reload} />;
  else if (path === "/signin")
    page = <SignInPage info={loaded} initialToken={query.get("token") ?? ""} notice={session.kind === "anonymous" ? session.notice : null} onSignedIn={signedIn} />;
  else if (needsSignIn && session.kind !== "signed-in")
    page = <SignInPage info={loaded} initialToken="" notice={session.notice ?? t("hc.signin.first")} onSignedIn={signedIn} />;
  else if ((path === "/requests" || path === "/requests/ccd" || path === "/requests/organization") && session.kind === "signed-in")
    page = <MyRequests key={path} me={session.me} tab={path === "/requests" ? "mine" : path === "/requests/ccd" ? "ccd" : "organization"} />;
  else if (request && session.kind === "signed-in") page = <RequestPage key={request[1]} id={Number(request[1])} me={session.me} rate={rateOf(query.get("rate"))} />;
  else if (path === "/my-information") page = <MyInformation key={lang} />;
  else page = <RequestForm info={loaded} me={session.kind === "signed-in" ? session.me : null} onConsentChanged={() => void info.reload()} />;

  const current = path === "/" ? "/" : path.startsWith("/requests") ? "/requests" : path;
  return (
    <>
      <header className="hc-header">
        <Link to="/" className="brand">
          {title}
        </Link>
        <nav aria-label={t("hc.nav.label")} className="hc-nav">
          <ul>
            <li>
              <Link to="/" aria-current={current === "/" ? "page" : undefined}>
                {t("hc.nav.submit")}
              </Link>
            </li>
            <li>
              <Link to="/requests" aria-current={current === "/requests" ? "page" : undefined}>
                {t("hc.nav.requests")}
              </Link>
            </li>
            <li>
              <Link to="/my-information" aria-current={current === "/my-information" ? "page" : undefined}>
                {t("hc.nav.info")}
              </Link>
            </li>
          </ul>
        </nav>
        <div className="hc-account">
          <label htmlFor="hc-language" className="lang-label">
            {t("hc.language")}
          </label>
          <select id="hc-language" value={lang} onChange={(e) => chooseLocale(e.target.value)}>
            {LOCALES.map((l) => (
              <option key={l.code} value={l.code} lang={l.code}>
                {l.name}
              </option>
            ))}
          </select>
          {session.kind === "signed-in" ? (
            <>
              <span className="whoami">{t("hc.signedInAs", { name: session.me.name })}</span>
              <button
                type="button"
                className="link"
                onClick={() =>
                  // The provider's sign-out address only once this one's session is ended (not on a failure).
                  void signOut().then(() => true, () => false).then(async (ended) => {
                    const away = ended ? await signOutDestination(session.me.vaultdesk_role) : null;
                    if (away) return window.location.assign(away);
                    queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== "help_center" });
                    queryClient.setQueryData(SESSION, null);
                    setNotice(t("hc.signedOut"));
                    navigate("/signin");
                  })
                }
              >
                {t("hc.signOut")}
              </button>
            </>
          ) : (
            <Link to="/signin" aria-current={current === "/signin" ? "page" : undefined}>
              {t("hc.nav.signIn")}
            </Link>
          )}
        </div>
      </header>
      {page}
      <footer className="hc-footer">
        <a href="/agent">{t("hc.agents")}</a>
      </footer>
    </>
  );
}

/** The score a solved mail's link preselects (`?rate=good|bad`); anything else preselects nothing. */
function rateOf(v: string | null): SatisfactionScore | null {
  return v === "good" || v === "bad" ? v : null;
}
