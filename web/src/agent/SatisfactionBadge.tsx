import { t } from "../i18n/index.ts";
import type { TicketSatisfaction } from "../satisfaction.ts";

/**
 * A ticket's satisfaction rating as a badge ("Rated good", "Rated bad", "Rating offered"), with the
 * requester's comment as text below it (`compact`: the badge alone, as the ticket lists show it).
 * Nothing when ratings are off or not offered yet.
 */
export function SatisfactionBadge(props: { rating: TicketSatisfaction; compact?: boolean }) {
  const r = props.rating;
  if (!r || r.score === "unoffered") return null;
  return (
    <>
      <span className={`badge satisfaction-${r.score}`}>{t(r.score === "good" ? "csat.badge.good" : r.score === "bad" ? "csat.badge.bad" : "csat.badge.offered")}</span>
      {!props.compact && "comment" in r && r.comment ? (
        <p className="satisfaction-comment">
          <span className="muted">{t("csat.commentLabel")}</span> {r.comment}
        </p>
      ) : null}
    </>
  );
}

/** Whether there is anything to show for this rating (the workspace shows the row only then). */
export const showsSatisfaction = (r: TicketSatisfaction): boolean => r !== null && r.score !== "unoffered";
