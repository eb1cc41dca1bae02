import type { User } from "../api-schema.ts";
import { SessionsList } from "../components/SessionsList.tsx";
import { t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";

/** `/agent/devices`: the signed-in staff member's own sessions, each with "Sign out", and "Sign out everywhere else". */
export function DevicesPage(props: { me: User }) {
  return (
    <main id="main" className="main">
      <PageHeading>{t("sessions.title")}</PageHeading>
      <p className="muted" id="devices-heading">
        {t("sessions.intro")}
      </p>
      <SessionsList userId={props.me.id} own headingId="devices-heading" />
    </main>
  );
}
