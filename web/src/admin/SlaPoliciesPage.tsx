import { useState, type FormEvent } from "react";
import { ApiError, explain } from "../api.ts";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { ErrorText, Field } from "../components/Field.tsx";
import { LoadError, useApi, useInvalidate } from "../data.tsx";
import type { MessageKey } from "../i18n/en.ts";
import { t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { fieldError, moved, rowErrors, type RuleCondition } from "./rules.ts";
import { focusAfterMove, OrderedTable } from "./OrderedTable.tsx";
import { useOrderedList } from "./useOrderedList.ts";
import { ConditionRows } from "./RulesPage.tsx";
import { slaApi } from "./sla-api.ts";
import { cellKey, detailFor, emptyTargets, metricRowErrors, metricsToTargets, METRICS, PRIORITIES, targetsToMetrics, type Cell, type Metric, type Priority, type SlaPolicy, type Targets } from "./sla.ts";

const KEY = ["sla_policies"] as const;
const DEFINITIONS = ["sla_policies", "definitions"] as const;
const detailsOf = (err: unknown) => (err instanceof ApiError ? err.body?.details : undefined);
export const metricName = (m: string): string => ((METRICS as readonly string[]).includes(m) ? t(`sla.metric.${m as Metric}` satisfies MessageKey) : m);
const priorityName = (p: Priority): string => t(`priority.${p}` satisfies MessageKey);

/**
 * `/admin/slas` (owners and admins): the account's SLA policies in the order they are tried (a
 * ticket gets the first whose filter it meets), each with Move up / Move down, Edit and Delete
 * (asked first), and New SLA policy. The editor holds the title, the description, the filter (the
 * rules' conditions editor, with the conditions `/slas/policies/definitions` offers) and the
 * targets: a table of the four priorities × the five metrics, each a number of hours and minutes
 * counted in business or calendar hours. The server's refusals are shown on their row or cell.
 */
export function SlaPoliciesPage() {
  const policies = useApi(KEY, (signal) => slaApi.load(signal));
  const invalidate = useInvalidate();
  const { mode, open, done, notice, setNotice, error, setError, busy, setBusy, focusBack } = useOrderedList<{ kind: "new" } | { kind: "edit"; policy: SlaPolicy } | { kind: "delete"; policy: SlaPolicy }>(policies.data);
  const list = policies.data ?? [];
  const move = (index: number, delta: -1 | 1) => {
    const p = list[index]!;
    const ids = moved(
      list.map((x) => x.id),
      index,
      delta,
    );
    focusBack(focusAfterMove("sla", p.id, index, delta, list.length));
    setBusy(true);
    setError(null);
    setNotice(null);
    void (async () => {
      try {
        await slaApi.reorder(ids);
        setNotice(t("rules.movedTo", { title: p.title, position: index + delta + 1 }));
      } catch (err) {
        setError(explain(err));
      }
      await invalidate(KEY);
      setBusy(false);
    })();
  };

  return (
    <main id="main" className="main rules-page slas-page">
      <PageHeading>{t("sla.policies.title")}</PageHeading>
      <p className="help">{t("sla.policies.intro")}</p>
      <p role="status" className="status-text">
        {notice ?? ""}
      </p>
      <ErrorText text={error} />
      {mode.kind === "new" ? <PolicyEditor policy={null} onDone={done} /> : null}
      {mode.kind === "edit" ? <PolicyEditor key={mode.policy.id} policy={mode.policy} onDone={done} /> : null}
      {mode.kind === "delete" ? (
        <ConfirmDelete
          id="sla-delete"
          title={t("sla.policies.deleteTitle", { title: mode.policy.title })}
          text={t("sla.policies.deleteText")}
          confirm={t("sla.policies.deleteConfirm")}
          cancel={t("sla.cancel")}
          remove={async () => {
            await slaApi.remove(mode.policy.id);
            await invalidate(KEY);
            done(t("sla.policies.deleted", { title: mode.policy.title }));
          }}
          onCancel={() => done(null)}
        />
      ) : null}
      {mode.kind === "list" ? (
        <p className="macros-tools">
          <button type="button" id="sla-new" onClick={() => open({ kind: "new" }, "sla-new")}>
            {t("sla.policies.new")}
          </button>
        </p>
      ) : null}
      {policies.error ? <LoadError error={policies.error} retry={() => void policies.reload()} busy={policies.loading} /> : null}
      {!policies.data && !policies.error ? <p role="status">{t("sla.policies.loading")}</p> : null}
      {policies.data && list.length === 0 ? <p className="empty">{t("sla.policies.none")}</p> : null}
      {list.length ? (
        <OrderedTable
          prefix="sla"
          className="slas-table"
          caption={t("sla.policies.title")}
          items={list}
          busy={busy}
          listing={mode.kind === "list"}
          extra={{ label: t("sla.policies.col.targets"), cell: (p) => t("sla.policies.targetCount", { count: p.policy_metrics.length }) }}
          onMove={move}
          onEdit={(p) => open({ kind: "edit", policy: p }, `sla-edit-${p.id}`)}
          onDelete={(p) => open({ kind: "delete", policy: p }, `sla-delete-${p.id}`)}
          texts={{ edit: t("sla.edit"), delete: t("sla.delete"), editNamed: (title) => t("sla.policies.editNamed", { title }), deleteNamed: (title) => t("sla.policies.deleteNamed", { title }) }}
        />
      ) : null}
    </main>
  );
}

function PolicyEditor(props: { policy: SlaPolicy | null; onDone: (message: string | null) => void }) {
  const { policy } = props;
  const invalidate = useInvalidate();
  const definitions = useApi(DEFINITIONS, (signal) => slaApi.definitions(signal));
  const [title, setTitle] = useState(policy?.title ?? "");
  const [description, setDescription] = useState(policy?.description ?? "");
  const [all, setAll] = useState<RuleCondition[]>(policy?.filter.all ?? []);
  const [any, setAny] = useState<RuleCondition[]>(policy?.filter.any ?? []);
  const [targets, setTargets] = useState<Targets>(() => (policy ? metricsToTargets(policy.policy_metrics) : emptyTargets()));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState<ReturnType<typeof targetsToMetrics>["metrics"]>([]);
  const details = detailsOf(error);
  const rows = rowErrors(details);
  const cells = metricRowErrors(details, sent);
  const local = targetsToMetrics(targets).errors;
  const changed = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    if (error) setError(null);
  };

  async function save(e: FormEvent) {
    e.preventDefault();
    const { metrics, errors } = targetsToMetrics(targets);
    if (Object.keys(errors).length) return;
    setBusy(true);
    setError(null);
    setSent(metrics);
    const trimmed = description.trim();
    const input = { title: title.trim(), description: trimmed ? trimmed : null, filter: { all: [...all], any: [...any] }, policy_metrics: metrics };
    try {
      const saved = policy ? await slaApi.update(policy.id, input) : await slaApi.create(input);
      await invalidate(KEY);
      props.onDone(t(policy ? "sla.policies.updated" : "sla.policies.created", { title: saved.title }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const titleError = detailFor(details, "title");
  const descriptionError = detailFor(details, "description");
  const filterError = fieldError(details, "filter");
  const targetsError = Object.keys(cells).length ? undefined : detailFor(details, "policy_metrics");
  const known = [titleError, descriptionError, filterError, targetsError, ...Object.values(rows), ...Object.values(cells)].some(Boolean);
  const general = error === null ? null : known ? t("sla.policies.refused") : explain(error);
  const defs = definitions.data;
  const setCell = (p: Priority, m: Metric, c: Partial<Cell>) => changed(setTargets)({ ...targets, [p]: { ...targets[p], [m]: { ...targets[p][m], ...c } } });
  return (
    <form className="panel view-form macro-editor rule-editor sla-editor" onSubmit={(e) => void save(e)} aria-labelledby="sla-editor-title" aria-busy={busy}>
      <h2 id="sla-editor-title">{policy ? t("sla.policies.editTitle", { title: policy.title }) : t("sla.policies.newTitle")}</h2>
      <Field id="sla-title" label={t("rules.form.title")} error={titleError}>
        <input value={title} onChange={(e) => setTitle(e.target.value)} required autoComplete="off" autoFocus />
      </Field>
      <Field id="sla-description" label={t("rules.form.description")} error={descriptionError}>
        <input value={description} onChange={(e) => setDescription(e.target.value)} autoComplete="off" />
      </Field>
      <p className="help">{t("sla.policies.filterHelp")}</p>
      {definitions.error ? <LoadError error={definitions.error} retry={() => void definitions.reload()} busy={definitions.loading} /> : null}
      {!defs && !definitions.error ? <p role="status">{t("rules.definitionsLoading")}</p> : null}
      {defs ? (
        <>
          <ConditionRows prefix="sla" kind="all" defs={defs.conditions_all} rows={all} errors={rows} onChange={changed(setAll)} />
          <ConditionRows prefix="sla" kind="any" defs={defs.conditions_any} rows={any} errors={rows} onChange={changed(setAny)} />
          {filterError ? <p className="error">{filterError}</p> : null}
        </>
      ) : null}
      <fieldset className="conditions sla-targets">
        <legend>{t("sla.targets.legend")}</legend>
        <p className="help" id="sla-targets-help">
          {t("sla.targets.help")}
        </p>
        <div className="table-scroll">
          <table className="admin sla-targets-table" aria-describedby="sla-targets-help">
            <thead>
              <tr>
                <th scope="col">{t("sla.targets.metric")}</th>
                {PRIORITIES.map((p) => (
                  <th scope="col" key={p}>
                    {priorityName(p)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {METRICS.map((m) => (
                <tr key={m}>
                  <th scope="row">{metricName(m)}</th>
                  {PRIORITIES.map((p) => {
                    const c = targets[p][m];
                    const key = cellKey(p, m);
                    const message = local[key] ? t(local[key]) : cells[key];
                    const names = { priority: priorityName(p), metric: metricName(m) };
                    return (
                      <td key={p} className="sla-cell" data-label={priorityName(p)}>
                        <span className="sla-duration">
                          <input id={`sla-${key}-hours`} type="number" inputMode="numeric" min={0} step={1} value={c.hours} onChange={(e) => setCell(p, m, { hours: e.target.value })} aria-label={t("sla.targets.hoursOf", names)} aria-invalid={message ? true : undefined} aria-describedby={message ? `sla-${key}-error` : undefined} />
                          <span aria-hidden="true">{t("sla.targets.h")}</span>
                          <input id={`sla-${key}-minutes`} type="number" inputMode="numeric" min={0} max={59} step={1} value={c.minutes} onChange={(e) => setCell(p, m, { minutes: e.target.value })} aria-label={t("sla.targets.minutesOf", names)} aria-invalid={message ? true : undefined} />
                          <span aria-hidden="true">{t("sla.targets.m")}</span>
                        </span>
                        <select id={`sla-${key}-clock`} value={c.business ? "business" : "calendar"} onChange={(e) => setCell(p, m, { business: e.target.value === "business" })} aria-label={t("sla.targets.clockOf", names)}>
                          <option value="business">{t("sla.targets.business")}</option>
                          <option value="calendar">{t("sla.targets.calendar")}</option>
                        </select>
                        {message ? (
                          <p className="error" id={`sla-${key}-error`} role="alert">
                            {message}
                          </p>
                        ) : null}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {targetsError ? <p className="error">{targetsError}</p> : null}
      </fieldset>
      <ErrorText text={general} />
      <p className="actions">
        <button type="submit" id="sla-save" disabled={busy || !title.trim() || Object.keys(local).length > 0}>
          {policy ? t("rules.saveChanges") : t("sla.policies.create")}
        </button>
        <button type="button" className="secondary" onClick={() => props.onDone(null)} disabled={busy}>
          {t("sla.cancel")}
        </button>
      </p>
    </form>
  );
}
