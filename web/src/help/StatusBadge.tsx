import { t } from "../i18n/index.ts";
import type { RequestStatus } from "../api-schema.ts";

/** A request's status as the requester sees it (Zendesk's wording: new and open are both open). */
export function StatusBadge(props: { status: RequestStatus }) {
  return <span className={`badge status-${props.status === "new" ? "open" : props.status}`}>{t(`hc.status.${props.status}`)}</span>;
}
