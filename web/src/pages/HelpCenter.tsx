import { useEffect, useState } from "react";
import { api } from "../api.ts";
import { t } from "../i18n/index.ts";
import { Link, PageHeading } from "../router.tsx";

/** `/`: the help center's place. For now it points agents to the workspace (and a fresh install to setup). */
export function HelpCenter() {
  const [setupNeeded, setSetupNeeded] = useState(false);
  useEffect(() => {
    api<{ setup: { needed: boolean } }>("GET", "setup.json").then(
      (r) => setSetupNeeded(r.setup.needed),
      () => undefined,
    );
  }, []);
  return (
    <main id="main" className="page narrow">
      <PageHeading>{t("help.title")}</PageHeading>
      {setupNeeded ? <p className="notice">{t("help.notSetUp")}</p> : null}
      <p>{t("help.soon")}</p>
      <p>
        <Link to="/agent">{t("help.agents")}</Link>
      </p>
    </main>
  );
}
