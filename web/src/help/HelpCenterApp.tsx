import { useCallback, useEffect, useState } from "react";
import { api, ApiError, currentSession, explain, onUnauthorized, signOut } from "../api.ts";
import { ErrorText } from "../components/Field.tsx";
import { chooseLocale, LOCALES, t, useLocale } from "../i18n/index.ts";
import { Link, navigate, PageHeading, useLocation } from "../router.tsx";
import type { HelpCenterInfo, Me } from "./help-api.ts";
import { MyInformation } from "./MyInformation.tsx";
import { MyRequests, RequestPage } from "./MyRequests.tsx";
import { RequestForm } from "./RequestForm.tsx";
import { SignInPage } from "./SignInPage.tsx";

type Session = { kind: "loading" } | { kind: "anonymous"; notice: string | null } | { kind: "signed-in"; me: Me };

/**
 * The help center, on `/` of the account's host: the request form, sign-in (one-time e-mail
 * link, or a password), My requests and My information, in five languages with a switcher.
 * Everything it shows comes from /api/v2 under the visitor's own session.
 */
export function HelpCenterApp() {
  const { path, query } = useLocation();
  const lang = useLocale();
  const [info, setInfo] = useState<HelpCenterInfo | null>(null);
  const [infoError, setInfoError] = useState<string | null>(null);
  const [setupNeeded, setSetupNeeded] = useState(false);
  const [session, setSession] = useState<Session>({ kind: "loading" });

  const loadInfo = useCallback(() => {
    api<{ help_center: HelpCenterInfo }>("GET", "help_center.json").then(
      (r) => setInfo(r.help_center),
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 404) {
          setInfoError(t("error.noAccount"));
          api<{ setup: { needed: boolean } }>("GET", "setup.json").then((r) => setSetupNeeded(r.setup.needed), () => undefined);
        } else setInfoError(explain(err));
      },
    );
  }, []);

  const loadSession = useCallback(async () => {
    const s = await currentSession().catch(() => null);
    if (!s) return setSession({ kind: "anonymous", notice: null });
    const me = (await api<{ user: Me }>("GET", "users/me.json")).user;
    setSession({ kind: "signed-in", me });
  }, []);

  useEffect(() => {
    loadInfo();
    void loadSession().catch(() => setSession({ kind: "anonymous", notice: null }));
    return onUnauthorized(() => setSession({ kind: "anonymous", notice: t("hc.sessionEnded") }));
  }, [loadInfo, loadSession]);

  const title = info?.name ? t("hc.brand", { team: info.name }) : t("hc.title");
  const request = /^\/requests\/(\d+)$/.exec(path);
  const needsSignIn = path === "/requests" || request !== null || path === "/my-information";
  let page;
  if (setupNeeded || (infoError && !info))
    page = (
      <main id="main" className="page narrow">
        <PageHeading>{t("hc.title")}</PageHeading>
        {setupNeeded ? <p className="notice">{t("help.notSetUp")}</p> : <ErrorText text={infoError} />}
      </main>
    );
  else if (!info || session.kind === "loading") page = <p className="page" role="status">{t("hc.loading")}</p>;
  else if (path === "/signin")
    page = <SignInPage info={info} initialToken={query.get("token") ?? ""} notice={session.kind === "anonymous" ? session.notice : null} onSignedIn={loadSession} />;
  else if (needsSignIn && session.kind !== "signed-in")
    page = <SignInPage info={info} initialToken="" notice={session.notice ?? t("hc.signin.first")} onSignedIn={loadSession} />;
  else if (path === "/requests") page = <MyRequests />;
  else if (request && session.kind === "signed-in") page = <RequestPage key={request[1]} id={Number(request[1])} me={session.me} />;
  else if (path === "/my-information") page = <MyInformation key={lang} />;
  else page = <RequestForm info={info} me={session.kind === "signed-in" ? session.me : null} onConsentChanged={loadInfo} />;

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
                  void signOut().finally(() => {
                    setSession({ kind: "anonymous", notice: t("hc.signedOut") });
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
