import type { User } from "../api-schema.ts";
import { formatDate, t } from "../i18n/index.ts";

/**
 * "Processing restricted since … — …": shown to staff wherever they act on a person whose
 * processing is restricted (GDPR art. 18, or an objection). The data comes with the user (staff only).
 */
export function RestrictionBanner(props: { user: Pick<User, "restricted" | "restricted_at" | "restriction_reason"> }) {
  const u = props.user;
  if (!u.restricted || !u.restricted_at) return null;
  return (
    <div className="notice restriction-banner" role="note">
      <p>
        <strong>{t("privacy.restrictedBanner", { when: formatDate(u.restricted_at), reason: u.restriction_reason ?? "" })}</strong>
      </p>
      <p>{t("privacy.restrictedHelp")}</p>
    </div>
  );
}
