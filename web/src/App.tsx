import { AdminApp } from "./admin/AdminApp.tsx";
import { InvitePage } from "./admin/InvitePage.tsx";
import { AgentApp } from "./agent/AgentApp.tsx";
import { t, useLocale } from "./i18n/index.ts";
import { HelpCenterApp } from "./help/HelpCenterApp.tsx";
import { Setup } from "./pages/Setup.tsx";
import { OAuthConsentPage } from "./pages/OAuthConsentPage.tsx";
import { PageHeading, useLocation } from "./router.tsx";

/** Three surfaces: first-run setup, the agent workspace (`/agent/*`) and the help center (`/`). */
export function App() {
  const { path, query } = useLocation();
  // A language chosen in the help center's switcher re-renders every page at once.
  useLocale();
  let page;
  if (path === "/setup") page = <Setup initialToken={query.get("token") ?? ""} />;
  else if (path === "/agent" || path.startsWith("/agent/")) page = <AgentApp />;
  else if (path === "/admin" || path.startsWith("/admin/")) page = <AdminApp />;
  else if (path === "/oauth/consent") page = <OAuthConsentPage />;
  else if (path === "/invite") page = <InvitePage initialToken={query.get("token") ?? ""} />;
  else if (path === "/" || path === "/signin" || path === "/requests" || path.startsWith("/requests/") || path === "/my-information" || path === "/confirm-email" || path === "/forgot-password" || path === "/reset-password") page = <HelpCenterApp />;
  else
    page = (
      <main id="main" className="page narrow">
        <PageHeading>{t("app.notFound")}</PageHeading>
      </main>
    );
  return (
    <>
      <a className="skip-link" href="#main">
        {t("app.skip")}
      </a>
      {page}
    </>
  );
}
