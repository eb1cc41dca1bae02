import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import type { Answer } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { Loadable, useApi, useSetData } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link, PageHeading, useLocation } from "../router.tsx";
import { ListTable } from "./ListTable.tsx";
import { Pager } from "./Pager.tsx";

type Request = Answer<"listDataSubjectRequests">["data_subject_requests"][number];
type Settings = Answer<"showDataSubjectRequestSettings">["data_subject_request_settings"];
type Kind = Request["type"];
type Regime = Request["regime"];
type Status = Request["status"];
type Method = NonNullable<Request["verification_method"]>;

const SETTINGS_KEY = ["data_subject_request_settings"];
const PAGE = 25;
const KINDS: readonly Kind[] = ["access", "portability", "rectification", "erasure", "restriction", "objection"];
const REGIMES: readonly Regime[] = ["gdpr", "ccpa"];
const METHODS: readonly Method[] = ["email_link", "id_document", "other", "signed_in_session"];
/** Where a request may go next (the server decides; this only offers the moves it allows). */
const NEXT: Record<Status, readonly Status[]> = { new: ["verifying", "in_progress", "rejected"], verifying: ["in_progress", "rejected"], in_progress: ["completed", "rejected"], completed: [], rejected: [] };
const pick = <T extends string>(all: readonly T[], v: string): T | undefined => all.find((x) => x === v);
const regimeName = (r: Regime) => r.toUpperCase();

/**
 * `/admin/data-requests`: data subject requests — the list (overdue ones marked), recording one,
 * verifying the person, moving it on, downloading its evidence — and the deadlines per regime.
 * Admins only; the server checks the workflow and audits every change.
 */
export function DataRequestsPage() {
  const { query } = useLocation();
  const overdue = query.get("show") === "overdue";
  const page = Math.max(1, Number(query.get("page")) || 1);
  const list = useApi(["data_subject_requests", overdue, page], async (signal) => {
    const r = await ok(client.GET("/api/v2/data_subject_requests", { signal, params: { query: { page, per_page: PAGE, ...(overdue ? { overdue: "true" as const } : {}) } } }));
    return { requests: r.data_subject_requests, count: r.count ?? r.data_subject_requests.length };
  });
  const settings = useApi(SETTINGS_KEY, async (signal) => (await ok(client.GET("/api/v2/data_subject_request_settings", { signal }))).data_subject_request_settings);
  const [selected, setSelected] = useState<number | null>(null);
  const pages = list.data ? Math.max(1, Math.ceil(list.data.count / PAGE)) : 1;
  const base = overdue ? "/admin/data-requests?show=overdue&" : "/admin/data-requests?";
  return (
    <main id="main" className="main">
      <PageHeading>{t("dsr.title")}</PageHeading>
      <p className="muted">{t("dsr.intro")}</p>
      <Loadable state={settings}>{(s) => <CreateForm settings={s} onCreated={list.reload} />}</Loadable>
      <nav className="sort-switch" aria-label={t("dsr.show")}>
        <span aria-hidden="true">{t("dsr.show")}:</span>
        <ul>
          <li>
            <Link to="/admin/data-requests" aria-current={overdue ? undefined : "true"}>
              {t("dsr.showOpen")}
            </Link>
          </li>
          <li>
            <Link to="/admin/data-requests?show=overdue" aria-current={overdue ? "true" : undefined}>
              {t("dsr.showOverdue")}
            </Link>
          </li>
        </ul>
      </nav>
      <ListTable
        state={list}
        rows={(d) => d.requests}
        rowKey={(r) => r.id}
        caption={t("dsr.caption")}
        empty={overdue ? t("dsr.emptyOverdue") : t("dsr.empty")}
        columns={[
          { label: t("dsr.id"), primary: true, cell: (r) => `#${r.id}` },
          { label: t("dsr.type"), cell: (r) => t(`dsr.type.${r.type}`) },
          { label: t("dsr.person"), cell: (r) => <Person request={r} /> },
          { label: t("dsr.regime"), cell: (r) => regimeName(r.regime) },
          { label: t("dsr.status"), cell: (r) => t(`dsr.status.${r.status}`) },
          {
            label: t("dsr.due"),
            cell: (r) => (
              <>
                <time dateTime={r.due_at}>{formatDate(r.due_at)}</time> {r.overdue ? <span className="badge overdue">{t("dsr.overdue")}</span> : null}
              </>
            ),
          },
          { label: t("dsr.verification"), cell: (r) => (r.verification_method ? t(`dsr.method.${r.verification_method}`) : t("dsr.notVerified")) },
        ]}
        actions={(r) => (
          <button type="button" className="secondary" aria-label={t("dsr.manageFor", { id: r.id })} onClick={() => setSelected(r.id)}>
            {t("dsr.manage")}
          </button>
        )}
      />
      <Pager base={base} page={page} pages={pages} />
      {selected !== null ? <Detail id={selected} onClose={() => setSelected(null)} onChanged={list.reload} /> : null}
      <Loadable state={settings}>{(s) => <SettingsForm settings={s} />}</Loadable>
    </main>
  );
}

function Person(props: { request: Request }) {
  const r = props.request;
  if (r.user_id !== null) return <Link to={`/admin/people/${r.user_id}`}>{t("dsr.userLabel", { id: r.user_id })}</Link>;
  return <>{r.email ?? t("dsr.unknownPerson")}</>;
}

function CreateForm(props: { settings: Settings; onCreated: () => Promise<void> }) {
  const [kind, setKind] = useState<Kind>("access");
  const [regime, setRegime] = useState<Regime>(props.settings.default_regime);
  const [person, setPerson] = useState("");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const who = person.trim();
      const subject = /^\d+$/.test(who) ? { user_id: Number(who) } : { email: who };
      const r = (await ok(client.POST("/api/v2/data_subject_requests", { body: { data_subject_request: { type: kind, regime, ...subject, ...(note.trim() ? { note } : {}) } } }))).data_subject_request;
      setStatus(t("dsr.created", { id: r.id, due: formatDate(r.due_at) }));
      setPerson("");
      setNote("");
      await props.onCreated();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-busy={busy} aria-labelledby="dsr-create-heading">
      <h2 id="dsr-create-heading">{t("dsr.create")}</h2>
      <div className="row">
        <Field id="dsr-type" label={t("dsr.type")}>
          <select value={kind} onChange={(e) => setKind(pick(KINDS, e.target.value) ?? kind)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`dsr.type.${k}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="dsr-regime" label={t("dsr.regime")}>
          <select value={regime} onChange={(e) => setRegime(pick(REGIMES, e.target.value) ?? regime)}>
            {REGIMES.map((r) => (
              <option key={r} value={r}>
                {regimeName(r)}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Field id="dsr-person" label={t("dsr.personField")} help={t("dsr.personHelp")}>
        <input type="text" required maxLength={254} spellCheck={false} value={person} onChange={(e) => setPerson(e.target.value)} />
      </Field>
      <Field id="dsr-note" label={t("dsr.note")}>
        <textarea rows={3} maxLength={5000} value={note} onChange={(e) => setNote(e.target.value)} />
      </Field>
      <ErrorText text={error} />
      <StatusText text={status} />
      <p className="actions">
        <button type="submit" disabled={busy}>
          {t("dsr.createButton")}
        </button>
      </p>
    </form>
  );
}

function Detail(props: { id: number; onClose: () => void; onChanged: () => Promise<void> }) {
  const state = useApi(["data_subject_request", props.id], async (signal) => (await ok(client.GET("/api/v2/data_subject_requests/{id}", { signal, params: { path: { id: props.id } } }))).data_subject_request);
  return (
    <section className="panel" aria-labelledby="dsr-detail-heading">
      <h2 id="dsr-detail-heading">{t("dsr.detail", { id: props.id })}</h2>
      <Loadable state={state}>
        {(r) => (
          <DetailBody
            request={r}
            onChanged={async () => {
              await state.reload();
              await props.onChanged();
            }}
          />
        )}
      </Loadable>
      <p className="actions">
        <button type="button" className="secondary" onClick={props.onClose}>
          {t("dsr.close")}
        </button>
      </p>
    </section>
  );
}

function DetailBody(props: { request: Request; onChanged: () => Promise<void> }) {
  const r = props.request;
  const next = NEXT[r.status];
  const [method, setMethod] = useState<Method>("email_link");
  const [to, setTo] = useState<Status | "">(next[0] ?? "");
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  async function run(fn: () => Promise<unknown>, done: string) {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      await fn();
      setStatus(done);
      setNote("");
      await props.onChanged();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }
  const verify = (e: FormEvent) => {
    e.preventDefault();
    void run(() => ok(client.POST("/api/v2/data_subject_requests/{id}/verify", { params: { path: { id: r.id } }, body: { verification: { method } } })), t("dsr.verified"));
  };
  const move = (e: FormEvent) => {
    e.preventDefault();
    if (!to) return;
    void run(() => ok(client.PUT("/api/v2/data_subject_requests/{id}", { params: { path: { id: r.id } }, body: { data_subject_request: { status: to, ...(note.trim() ? { note } : {}) } } })), t("dsr.saved", { id: r.id }));
  };
  async function download() {
    setError(null);
    try {
      const body = await ok(client.GET("/api/v2/data_subject_requests/{id}/evidence", { params: { path: { id: r.id } } }));
      const url = URL.createObjectURL(new Blob([JSON.stringify(body, null, 2)], { type: "application/json" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `data-subject-request-${r.id}-evidence.json`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(explain(err));
    }
  }

  return (
    <>
      <dl className="facts">
        <dt>{t("dsr.type")}</dt>
        <dd>{t(`dsr.type.${r.type}`)}</dd>
        <dt>{t("dsr.person")}</dt>
        <dd>
          <Person request={r} />
        </dd>
        <dt>{t("dsr.status")}</dt>
        <dd>{t(`dsr.status.${r.status}`)}</dd>
        <dt>{t("dsr.createdAt")}</dt>
        <dd>{formatDate(r.created_at)}</dd>
        <dt>{t("dsr.due")}</dt>
        <dd>
          {regimeName(r.regime)}: {formatDate(r.due_at)} {r.overdue ? <span className="badge overdue">{t("dsr.overdue")}</span> : null}
        </dd>
        <dt>{t("dsr.verification")}</dt>
        <dd>{r.verification_method && r.verified_at ? t("dsr.verifiedBy", { method: t(`dsr.method.${r.verification_method}`), when: formatDate(r.verified_at) }) : t("dsr.notVerified")}</dd>
        {r.note ? (
          <>
            <dt>{t("dsr.requestNote")}</dt>
            <dd className="body">{r.note}</dd>
          </>
        ) : null}
        {r.resolution_note ? (
          <>
            <dt>{t("dsr.resolution")}</dt>
            <dd className="body">{r.resolution_note}</dd>
          </>
        ) : null}
      </dl>
      <ErrorText text={error} />
      <StatusText text={status} />
      {!r.verified && next.length > 0 ? (
        <form className="form" onSubmit={verify} aria-busy={busy} aria-labelledby="dsr-verify-heading">
          <h3 id="dsr-verify-heading">{t("dsr.verify")}</h3>
          <Field id="dsr-method" label={t("dsr.method")}>
            <select value={method} onChange={(e) => setMethod(pick(METHODS, e.target.value) ?? method)}>
              {METHODS.map((m) => (
                <option key={m} value={m}>
                  {t(`dsr.method.${m}`)}
                </option>
              ))}
            </select>
          </Field>
          <p className="actions">
            <button type="submit" disabled={busy}>
              {t("dsr.verifyButton")}
            </button>
          </p>
        </form>
      ) : null}
      {next.length > 0 ? (
        <form className="form" onSubmit={move} aria-busy={busy} aria-labelledby="dsr-status-heading">
          <h3 id="dsr-status-heading">{t("dsr.changeStatus")}</h3>
          <Field id="dsr-next" label={t("dsr.newStatus")}>
            <select value={to} onChange={(e) => setTo(pick(next, e.target.value) ?? to)}>
              {next.map((s) => (
                <option key={s} value={s}>
                  {t(`dsr.status.${s}`)}
                </option>
              ))}
            </select>
          </Field>
          <Field id="dsr-status-note" label={t("dsr.statusNote")}>
            <textarea rows={3} maxLength={5000} value={note} onChange={(e) => setNote(e.target.value)} />
          </Field>
          <p className="actions">
            <button type="submit" disabled={busy}>
              {t("dsr.statusButton")}
            </button>
          </p>
        </form>
      ) : (
        <p className="muted">{t("dsr.final")}</p>
      )}
      <p className="actions">
        <button type="button" className="secondary" onClick={() => void download()}>
          {t("dsr.evidence")}
        </button>
      </p>
    </>
  );
}

function SettingsForm(props: { settings: Settings }) {
  const s = props.settings;
  const setData = useSetData();
  const [gdpr, setGdpr] = useState(String(s.gdpr_days));
  const [ccpa, setCcpa] = useState(String(s.ccpa_days));
  const [regime, setRegime] = useState<Regime>(s.default_regime);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const r = (await ok(client.PUT("/api/v2/data_subject_request_settings", { body: { data_subject_request_settings: { gdpr_days: Number(gdpr), ccpa_days: Number(ccpa), default_regime: regime } } }))).data_subject_request_settings;
      setData(SETTINGS_KEY, r);
      setStatus(t("admin.saved"));
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="dsr-settings-heading">
      <h2 id="dsr-settings-heading">{t("dsr.settings")}</h2>
      <p className="muted">{t("dsr.settingsIntro")}</p>
      <form className="form" onSubmit={(e) => void save(e)} aria-busy={busy}>
        <div className="row">
          <Field id="dsr-gdpr-days" label={t("dsr.gdprDays")}>
            <input type="number" min={1} max={365} required value={gdpr} onChange={(e) => setGdpr(e.target.value)} />
          </Field>
          <Field id="dsr-ccpa-days" label={t("dsr.ccpaDays")}>
            <input type="number" min={1} max={365} required value={ccpa} onChange={(e) => setCcpa(e.target.value)} />
          </Field>
          <Field id="dsr-default-regime" label={t("dsr.defaultRegime")}>
            <select value={regime} onChange={(e) => setRegime(pick(REGIMES, e.target.value) ?? regime)}>
              {REGIMES.map((r) => (
                <option key={r} value={r}>
                  {regimeName(r)}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <ErrorText text={error} />
        <StatusText text={status} />
        <p className="actions">
          <button type="submit" disabled={busy}>
            {t("admin.save")}
          </button>
        </p>
      </form>
    </section>
  );
}
