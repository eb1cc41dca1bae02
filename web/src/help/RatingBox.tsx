import { useEffect, useRef, useState, type FormEvent } from "react";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { rateTicket, ratedScore, refusalOf, type SatisfactionScore, type TicketSatisfaction } from "../satisfaction.ts";
import { explainHc } from "./help-api.ts";

const MAX_COMMENT = 2000;

/** A refusal of the rating in the visitor's words (the server's reason when it gave one). */
function explainRating(err: unknown): string {
  switch (refusalOf(err)) {
    case "TicketClosed":
      return t("hc.csat.closed");
    case "TicketNotSolved":
      return t("hc.csat.error.notSolved");
    case "SatisfactionRatingsOff":
      return t("hc.csat.error.off");
    default:
      return explainHc(err);
  }
}

/**
 * The rating of a request on its page in the help center. Its requester, once it is solved
 * (`canRate`), chooses Good or Bad (radio buttons), may add a comment and submits; then the
 * rating is shown with "Change rating" while the request stays solved. A closed request's
 * rating is shown read-only, as is the rating to those copied on the request. `preselect`
 * (the `?rate=` of the solved mail's links) only selects a score: nothing is sent until the
 * person submits, so a link scanner opening the link rates nothing.
 */
export function RatingBox(props: {
  requestId: number;
  rating: TicketSatisfaction;
  canRate: boolean;
  mine: boolean;
  closed: boolean;
  preselect: SatisfactionScore | null;
  onRated: () => Promise<void>;
}) {
  const rated = ratedScore(props.rating);
  const savedComment = props.rating && "comment" in props.rating ? props.rating.comment : null;
  const [editing, setEditing] = useState(props.canRate && (rated === null || props.preselect !== null));
  const [score, setScore] = useState<SatisfactionScore | null>(props.preselect ?? rated);
  const [comment, setComment] = useState(savedComment ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const firstChoice = useRef<HTMLInputElement>(null);
  const changeButton = useRef<HTMLButtonElement>(null);
  const focusNext = useRef<"choice" | "change" | null>(null);

  useEffect(() => {
    if (focusNext.current === "choice") firstChoice.current?.focus();
    if (focusNext.current === "change") changeButton.current?.focus();
    focusNext.current = null;
  }, [editing]);

  if (!props.canRate && rated === null) return null;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setStatus(null);
    if (!score) return setError(t("hc.csat.choose"));
    if ([...comment.trim()].length > MAX_COMMENT) return setError(t("hc.csat.tooLong"));
    setBusy(true);
    try {
      const r = await rateTicket(props.requestId, score, comment);
      setComment(r.comment ?? "");
      setScore(r.score);
      await props.onRated();
      focusNext.current = "change";
      setEditing(false);
      setStatus(t("hc.csat.thanks"));
    } catch (err) {
      setError(explainRating(err));
    } finally {
      setBusy(false);
    }
  }

  function change() {
    setStatus(null);
    setError(null);
    setScore(rated);
    setComment(savedComment ?? "");
    focusNext.current = "choice";
    setEditing(true);
  }

  function cancel() {
    setError(null);
    focusNext.current = "change";
    setEditing(false);
  }

  if ((editing || rated === null) && props.canRate)
    return (
      <section className="panel rating-box" aria-labelledby="csat-heading">
        <form className="form" onSubmit={(e) => void submit(e)} aria-busy={busy} noValidate>
          <fieldset className="rating-choices">
            <legend id="csat-heading">{t("hc.csat.title")}</legend>
            {(["good", "bad"] as const).map((s, i) => (
              <label key={s} className={`rating-choice rating-${s}`}>
                <input ref={i === 0 ? firstChoice : undefined} type="radio" name="csat-score" value={s} checked={score === s} onChange={() => setScore(s)} />
                <span>{t(s === "good" ? "hc.csat.good" : "hc.csat.bad")}</span>
              </label>
            ))}
          </fieldset>
          {props.preselect !== null && rated === null ? <p className="help">{t("hc.csat.confirm")}</p> : null}
          <Field id="csat-comment" label={t("hc.csat.comment")} help={t("hc.csat.commentHelp")}>
            <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={3} />
          </Field>
          <ErrorText text={error} />
          <div className="actions">
            <button type="submit" disabled={busy}>
              {busy ? t("hc.csat.sending") : t("hc.csat.submit")}
            </button>
            {rated !== null ? (
              <button type="button" className="secondary" onClick={cancel} disabled={busy}>
                {t("hc.csat.cancel")}
              </button>
            ) : null}
          </div>
        </form>
      </section>
    );

  // What the server holds (reloaded after a submit): not the choice of a form left by Cancel, nor a link's preselection.
  const shown = rated;
  const shownComment = savedComment;
  return (
    <section className={`panel rating-box rated-${shown}`} aria-labelledby="csat-heading">
      <StatusText text={status} />
      <h2 id="csat-heading">
        {t(props.mine ? "hc.csat.yours" : "hc.csat.others", { score: t(shown === "bad" ? "hc.csat.score.bad" : "hc.csat.score.good") })}
      </h2>
      {shownComment ? (
        <p className="rating-comment">
          <span className="muted">{t("hc.csat.yourComment")}</span> {shownComment}
        </p>
      ) : null}
      {props.canRate ? (
        <button ref={changeButton} type="button" className="secondary" onClick={change}>
          {t("hc.csat.change")}
        </button>
      ) : props.closed && props.mine ? (
        <p className="help">{t("hc.csat.closed")}</p>
      ) : null}
    </section>
  );
}
