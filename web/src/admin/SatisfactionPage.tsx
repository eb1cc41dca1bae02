import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import { CheckField, ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link, navigate, PageHeading, useLocation } from "../router.tsx";
import { loadRatings, loadSatisfactionSettings, loadSatisfactionSummary, saveSatisfactionSettings, SCORE_FILTERS, type SatisfactionRating, type SatisfactionSettings, type ScoreFilter } from "../satisfaction.ts";
import { ListTable } from "./ListTable.tsx";
import { Pager } from "./Pager.tsx";

const SETTINGS_KEY = ["satisfaction_settings"];
const PAGE = 25;
const PERIODS = [7, 30, 90] as const;
type Period = (typeof PERIODS)[number];
const DAY = 86_400;

const periodOf = (v: string | null): Period => PERIODS.find((p) => String(p) === v) ?? 30;
const filterOf = (v: string | null): ScoreFilter => SCORE_FILTERS.find((f) => f === v) ?? "received";

/** The page's address for a period, filter and page (defaults left out). */
function href(period: Period, score: ScoreFilter, page?: number): string {
  const q = new URLSearchParams();
  if (period !== 30) q.set("days", String(period));
  if (score !== "received") q.set("score", score);
  if (page && page > 1) q.set("page", String(page));
  const s = q.toString();
  return s ? `/admin/satisfaction?${s}` : "/admin/satisfaction";
}

/**
 * `/admin/satisfaction`: customer satisfaction ratings — the on/off setting (off by default), the
 * summary of the last 7, 30 or 90 days (score and counts) and the ratings, newest first, with a
 * score filter and pages. Admins; the server checks who may change the setting and audits it,
 * and lists only the ratings of tickets the person may see.
 */
export function SatisfactionPage() {
  const { query } = useLocation();
  const period = periodOf(query.get("days"));
  const score = filterOf(query.get("score"));
  const page = Math.max(1, Number(query.get("page")) || 1);
  const settings = useApi(SETTINGS_KEY, loadSatisfactionSettings);
  return (
    <main id="main" className="main">
      <PageHeading>{t("csat.title")}</PageHeading>
      <p className="muted">{t("csat.intro")}</p>
      <Loadable state={settings}>{(s) => <SettingsForm settings={s} />}</Loadable>
      <Summary period={period} score={score} />
      <Ratings period={period} score={score} page={page} />
    </main>
  );
}

function SettingsForm(props: { settings: SatisfactionSettings }) {
  const setData = useSetData();
  const [enabled, setEnabled] = useState(props.settings.enabled);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const r = await saveSatisfactionSettings(enabled);
      setEnabled(r.enabled);
      setData(SETTINGS_KEY, r);
      setStatus(t("admin.saved"));
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-busy={busy} aria-labelledby="csat-settings-heading">
      <h2 id="csat-settings-heading">{t("csat.settings")}</h2>
      <CheckField id="csat-enabled" label={t("csat.enabled")} help={t("csat.enabledHelp")} checked={enabled} onChange={setEnabled} />
      <ErrorText text={error} />
      <StatusText text={status} />
      <button type="submit" disabled={busy}>
        {t("csat.save")}
      </button>
    </form>
  );
}

function Summary(props: { period: Period; score: ScoreFilter }) {
  // Whole minutes, so that the key (and the answer) stays the same while the page is open.
  const start = Math.floor(Date.now() / 60_000) * 60 - props.period * DAY;
  const summary = useApi(["satisfaction_summary", props.period, start], (signal) => loadSatisfactionSummary(start, signal), { keepPrevious: true });
  return (
    <section aria-labelledby="csat-summary-heading">
      <h2 id="csat-summary-heading">{t("csat.summary")}</h2>
      <nav className="sort-switch" aria-label={t("csat.period")}>
        <span aria-hidden="true">{t("csat.period")}:</span>
        <ul>
          {PERIODS.map((p) => (
            <li key={p}>
              <Link to={href(p, props.score)} aria-current={p === props.period ? "true" : undefined}>
                {t(`csat.period.${p}`)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <Loadable state={summary}>
        {(s) => (
          <dl className="csat-summary">
            <div className="csat-score">
              <dt>{t("csat.score")}</dt>
              {s.score === null ? <dd className="none">{t("csat.noScore")}</dd> : <dd>{t("csat.scoreValue", { score: s.score })}</dd>}
            </div>
            <div>
              <dt>{t("csat.count.good")}</dt>
              <dd>{s.good}</dd>
            </div>
            <div>
              <dt>{t("csat.count.bad")}</dt>
              <dd>{s.bad}</dd>
            </div>
            <div>
              <dt>{t("csat.count.withComment")}</dt>
              <dd>{s.with_comment}</dd>
            </div>
          </dl>
        )}
      </Loadable>
    </section>
  );
}

function Ratings(props: { period: Period; score: ScoreFilter; page: number }) {
  const { score, page } = props;
  const list = useApi(
    ["satisfaction_ratings", score, page],
    async (signal) => {
      const r = await loadRatings(score, page, PAGE, signal);
      const ids = [...new Set(r.ratings.flatMap((x) => (x.assignee_id === null ? [] : [x.assignee_id])))];
      const names = new Map<number, string>();
      if (ids.length) {
        const u = await ok(client.GET("/api/v2/users/show_many", { params: { query: { ids: ids.join(",") } }, signal }));
        for (const person of u.users) names.set(person.id, person.name);
      }
      return { ...r, names };
    },
    { keepPrevious: true },
  );
  const pages = list.data ? Math.max(1, Math.ceil(list.data.count / PAGE)) : 1;
  const base = href(props.period, score);
  const assignee = (r: SatisfactionRating) => (r.assignee_id === null ? t("csat.unassigned") : (list.data?.names.get(r.assignee_id) ?? t("csat.personN", { id: r.assignee_id })));
  return (
    <section aria-labelledby="csat-list-heading">
      <h2 id="csat-list-heading">{t("csat.list")}</h2>
      <div className="csat-filter">
        <Field id="csat-filter" label={t("csat.filter")}>
          <select value={score} onChange={(e) => navigate(href(props.period, filterOf(e.target.value)))}>
            {SCORE_FILTERS.map((f) => (
              <option key={f} value={f}>
                {t(`csat.filter.${f}`)}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {list.data && list.data.count > 0 ? <p className="summary">{t("csat.total", { count: list.data.count })}</p> : null}
      <ListTable
        state={list}
        rows={(d) => d.ratings}
        rowKey={(r) => r.id}
        caption={t("csat.caption")}
        empty={t("csat.empty")}
        columns={[
          { label: t("csat.col.date"), cell: (r) => <time dateTime={r.updated_at}>{formatDate(r.updated_at)}</time> },
          { label: t("csat.col.ticket"), primary: true, cell: (r) => <a href={`/agent/tickets/${r.ticket_id}`}>{t("csat.ticketN", { id: r.ticket_id })}</a> },
          { label: t("csat.col.score"), cell: (r) => <span className={`badge satisfaction-${r.score}`}>{t(r.score === "good" ? "csat.badge.good" : "csat.badge.bad")}</span> },
          { label: t("csat.col.comment"), cell: (r) => (r.comment ? <span className="csat-comment">{r.comment}</span> : <span className="muted">{t("csat.noComment")}</span>) },
          { label: t("csat.col.assignee"), cell: assignee },
        ]}
      />
      <Pager base={base.includes("?") ? `${base}&` : `${base}?`} page={page} pages={pages} />
    </section>
  );
}
