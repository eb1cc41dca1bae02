import { Agent } from "./Agent.tsx";
import { Setup } from "./Setup.tsx";
import { t } from "./i18n.ts";

/** Three surfaces: first-run setup, the agent workspace, and (to come) the help center. */
export function App() {
  const path = window.location.pathname;
  if (path.startsWith("/setup")) return <Setup />;
  if (path.startsWith("/agent")) return <Agent />;
  return (
    <main className="page narrow">
      <h1>{t("app.name")}</h1>
      <p>
        <a href="/agent">{t("signin.title")}</a>
      </p>
    </main>
  );
}
