import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import { ApiError, explain } from "../api.ts";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { CheckField, ErrorText, Field } from "../components/Field.tsx";
import { LoadError, useApi, useInvalidate } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import { focusAfterMove, OrderedTable } from "./OrderedTable.tsx";
import { useOrderedList } from "./useOrderedList.ts";
import { rulesApi, type RulesApi, type RulesName } from "./rules-api.ts";
import {
  blankAction,
  blankCondition,
  choiceValue,
  fieldError,
  fieldKey,
  isHours,
  isNotification,
  MAX_ACTIONS,
  MAX_CONDITIONS,
  moved,
  notificationParts,
  operatorKey,
  rowErrors,
  ruleInput,
  takesValue,
  valueKey,
  withNotification,
  withOperator,
  type Choice,
  type Definition,
  type Definitions,
  type Details,
  type Rule,
  type RuleAction,
  type RuleCondition,
  type Scalar,
} from "./rules.ts";

/**
 * What sets the two rules pages apart: the API's name for the rules (its paths and answers, and the
 * catalog's namespace of the page's own words: `triggers.title`, `automations.title`…), its calls,
 * and the prefix of the page's element ids (`trigger-new`, `automation-all-1-field`…).
 */
export type RuleKind = { name: RulesName; id: "trigger" | "automation"; api: RulesApi };
export const TRIGGERS: RuleKind = { name: "triggers", id: "trigger", api: rulesApi("triggers") };
export const AUTOMATIONS: RuleKind = { name: "automations", id: "automation", api: rulesApi("automations") };

/** The words each page has of its own (the rest, `rules.*`, are the same on both). */
type Own = "title" | "intro" | "loading" | "none" | "new" | "newTitle" | "editTitle" | "editNamed" | "deleteNamed" | "deleteTitle" | "deleteText" | "deleteConfirm" | "deleted" | "created" | "updated" | "activated" | "deactivated" | "create" | "refused" | "form.activeHelp";
const say = (kind: RuleKind, key: Own, values?: Record<string, string | number>): string => t(`${kind.name}.${key}`, values);
const listKey = (kind: RuleKind) => [kind.name] as const;
const definitionsKey = (kind: RuleKind) => [kind.name, "definitions"] as const;

/** The placeholders the mail's help names (the server renders them for each ticket). */
const PLACEHOLDERS = "{{ticket.id}}, {{ticket.title}}, {{ticket.status}}, {{ticket.url}}, {{ticket.latest_comment}}";

const str = (v: Scalar | undefined): string => (v === null || v === undefined ? "" : String(v));
const detailsOf = (err: unknown): Details => (err instanceof ApiError ? err.body?.details : undefined);

/** How a field is named: the catalog's word for a built-in one, else the server's title (custom fields), else its subject. */
function fieldName(kind: "condition" | "action", subject: string, defs: readonly Definition[]): string {
  const key = fieldKey(kind, subject);
  if (key) return t(key);
  return defs.find((d) => d.subject === subject)?.title ?? subject;
}
function operatorName(o: Choice): string {
  const key = operatorKey(str(o.value));
  return key ? t(key) : o.title;
}
function valueName(subject: string, c: Choice): string {
  const key = valueKey(subject, c.value);
  return key ? t(key) : c.title;
}

/**
 * `/admin/triggers` and `/admin/automations` (owners and admins): the account's triggers or
 * automations in the order they run, each with its active toggle, Move up / Move down, Edit and
 * Delete, and New trigger (automation). The editor holds the title, description, whether it is
 * active, its ALL and ANY conditions and its actions, each row chosen from what the kind's
 * `/definitions` offers (an automation's time conditions take a number of hours); the server's
 * refusals are shown on the row they name. Every decision stays on the server.
 */
export function RulesPage({ kind }: { kind: RuleKind }) {
  const KEY = listKey(kind);
  const { api, id } = kind;
  const rules = useApi(KEY, (signal) => api.load(signal));
  const invalidate = useInvalidate();
  const { mode, open, done, notice, setNotice, error, setError, busy, setBusy, focusBack } = useOrderedList<{ kind: "new" } | { kind: "edit"; rule: Rule } | { kind: "delete"; rule: Rule }>(rules.data);
  // A toggle shows the state asked for until the list is loaded again (or the server refuses it).
  const [asked, setAsked] = useState<Record<number, boolean>>({});
  const list = rules.data ?? [];

  async function run(work: () => Promise<string>) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const message = await work();
      await invalidate(KEY);
      setNotice(message);
    } catch (err) {
      setError(explain(err));
      await invalidate(KEY);
    } finally {
      setAsked({});
      setBusy(false);
    }
  }
  const move = (index: number, delta: -1 | 1) => {
    const r = list[index]!;
    const ids = moved(
      list.map((x) => x.id),
      index,
      delta,
    );
    focusBack(focusAfterMove(id, r.id, index, delta, list.length));
    void run(async () => {
      await api.reorder(ids);
      return t("rules.movedTo", { title: r.title, position: index + delta + 1 });
    });
  };
  const toggle = (r: Rule, active: boolean) => {
    focusBack(`${id}-active-${r.id}`);
    setAsked((a) => ({ ...a, [r.id]: active }));
    void run(async () => {
      await api.update(r.id, { active });
      return say(kind, active ? "activated" : "deactivated", { title: r.title });
    });
  };

  return (
    <main id="main" className={`main rules-page ${kind.name}-page`}>
      <PageHeading>{say(kind, "title")}</PageHeading>
      <p className="help">{say(kind, "intro")}</p>
      <p role="status" className="status-text">
        {notice ?? ""}
      </p>
      <ErrorText text={error} />
      {mode.kind === "new" ? <RuleEditor kind={kind} rule={null} onDone={done} /> : null}
      {mode.kind === "edit" ? <RuleEditor key={mode.rule.id} kind={kind} rule={mode.rule} onDone={done} /> : null}
      {mode.kind === "delete" ? <ConfirmRuleDelete kind={kind} rule={mode.rule} onDone={done} /> : null}
      {mode.kind === "list" ? (
        <p className="macros-tools">
          <button type="button" id={`${id}-new`} onClick={() => open({ kind: "new" }, `${id}-new`)}>
            {say(kind, "new")}
          </button>
        </p>
      ) : null}
      {rules.error ? <LoadError error={rules.error} retry={() => void rules.reload()} busy={rules.loading} /> : null}
      {!rules.data && !rules.error ? <p role="status">{say(kind, "loading")}</p> : null}
      {rules.data && list.length === 0 ? <p className="empty">{say(kind, "none")}</p> : null}
      {list.length ? (
        <OrderedTable
          prefix={id}
          className={`${kind.name}-table`}
          caption={say(kind, "title")}
          items={list}
          busy={busy}
          listing={mode.kind === "list"}
          extra={{
            label: t("rules.col.active"),
            cell: (r) => <input type="checkbox" id={`${id}-active-${r.id}`} checked={asked[r.id] ?? r.active} disabled={busy || mode.kind !== "list"} onChange={(e) => toggle(r, e.target.checked)} aria-label={t("rules.activeNamed", { title: r.title })} />,
          }}
          onMove={move}
          onEdit={(r) => open({ kind: "edit", rule: r }, `${id}-edit-${r.id}`)}
          onDelete={(r) => open({ kind: "delete", rule: r }, `${id}-delete-${r.id}`)}
          texts={{ edit: t("rules.edit"), delete: t("rules.delete"), editNamed: (title) => say(kind, "editNamed", { title }), deleteNamed: (title) => say(kind, "deleteNamed", { title }) }}
        />
      ) : null}
    </main>
  );
}

/** Asked before deleting a rule: the focused choice is to keep it. */
function ConfirmRuleDelete(props: { kind: RuleKind; rule: Rule; onDone: (message: string | null) => void }) {
  const invalidate = useInvalidate();
  const { kind, rule } = props;
  return (
    <ConfirmDelete
      id={`${kind.id}-delete`}
      title={say(kind, "deleteTitle", { title: rule.title })}
      text={say(kind, "deleteText")}
      confirm={say(kind, "deleteConfirm")}
      cancel={t("rules.cancel")}
      remove={async () => {
        await kind.api.remove(rule.id);
        await invalidate(listKey(kind));
        props.onDone(say(kind, "deleted", { title: rule.title }));
      }}
      onCancel={() => props.onDone(null)}
    />
  );
}

/** A new rule (`rule` null) or an existing one: title, description, active, its ALL and ANY conditions and its actions. */
function RuleEditor(props: { kind: RuleKind; rule: Rule | null; onDone: (message: string | null) => void }) {
  const { kind, rule } = props;
  const { api, id } = kind;
  const invalidate = useInvalidate();
  const definitions = useApi(definitionsKey(kind), (signal) => api.loadDefinitions(signal));
  const [title, setTitle] = useState(rule?.title ?? "");
  const [description, setDescription] = useState(rule?.description ?? "");
  const [active, setActive] = useState(rule?.active ?? true);
  const [all, setAll] = useState<RuleCondition[]>(rule?.conditions.all ?? []);
  const [any, setAny] = useState<RuleCondition[]>(rule?.conditions.any ?? []);
  const [actions, setActions] = useState<RuleAction[]>(rule?.actions ?? []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const details = detailsOf(error);
  const rows = rowErrors(details);
  const headingId = `${id}-editor-title`;
  // The server's word on the rows was about them as they were: a change starts afresh.
  const changed = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    if (Object.keys(rows).length) setError(null);
  };

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const input = ruleInput({ title, description, active, all, any, actions });
    try {
      const saved = rule ? await api.update(rule.id, input) : await api.create(input);
      await invalidate(listKey(kind));
      props.onDone(say(kind, rule ? "updated" : "created", { title: saved.title }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const titleError = fieldError(details, "title");
  const descriptionError = fieldError(details, "description");
  const conditionsError = fieldError(details, "conditions");
  const actionsError = fieldError(details, "actions");
  const known = [titleError, descriptionError, conditionsError, actionsError, ...Object.values(rows)].some(Boolean);
  const general = error === null ? null : known ? say(kind, "refused") : explain(error);
  const defs: Definitions | undefined = definitions.data;
  return (
    <form className="panel view-form macro-editor rule-editor" onSubmit={(e) => void save(e)} aria-labelledby={headingId} aria-busy={busy}>
      <h2 id={headingId}>{rule ? say(kind, "editTitle", { title: rule.title }) : say(kind, "newTitle")}</h2>
      <Field id={`${id}-title`} label={t("rules.form.title")} error={titleError}>
        {/* No maxLength: a browser counts UTF-16 units; the server names the limit when refusing. */}
        <input value={title} onChange={(e) => setTitle(e.target.value)} required autoComplete="off" autoFocus />
      </Field>
      <Field id={`${id}-description`} label={t("rules.form.description")} error={descriptionError}>
        <input value={description} onChange={(e) => setDescription(e.target.value)} autoComplete="off" />
      </Field>
      <CheckField id={`${id}-active`} label={t("rules.form.active")} checked={active} onChange={setActive} help={say(kind, "form.activeHelp")} />
      {definitions.error ? <LoadError error={definitions.error} retry={() => void definitions.reload()} busy={definitions.loading} /> : null}
      {!defs && !definitions.error ? <p role="status">{t("rules.definitionsLoading")}</p> : null}
      {defs ? (
        <>
          <ConditionRows prefix={id} kind="all" defs={defs.conditions_all} rows={all} errors={rows} onChange={changed(setAll)} />
          <ConditionRows prefix={id} kind="any" defs={defs.conditions_any} rows={any} errors={rows} onChange={changed(setAny)} />
          {conditionsError ? <p className="error">{conditionsError}</p> : null}
          <ActionRows prefix={id} defs={defs.actions} rows={actions} errors={rows} onChange={changed(setActions)} />
          {actionsError ? <p className="error">{actionsError}</p> : null}
        </>
      ) : null}
      <ErrorText text={general} />
      <p className="actions">
        <button type="submit" disabled={busy || !defs || !title.trim() || actions.length === 0}>
          {rule ? t("rules.saveChanges") : say(kind, "create")}
        </button>
        <button type="button" className="secondary" onClick={() => props.onDone(null)} disabled={busy}>
          {t("rules.cancel")}
        </button>
      </p>
    </form>
  );
}

/** Keyboard: a new row's field takes the focus; after a removal, the add button does. */
function useRowFocus(count: number): (id: string) => void {
  const [focus, setFocus] = useState<string | null>(null);
  useEffect(() => {
    if (focus) document.getElementById(focus)?.focus();
  }, [focus, count]);
  return setFocus;
}

/** A row's field, chosen among the definitions (a field the definitions no longer hold is kept as its name). */
function FieldSelect(props: { id: string; kind: "condition" | "action"; field: string; known: boolean; defs: readonly Definition[]; onChange: (d: Definition) => void }) {
  return (
    <Field id={props.id} label={t("rules.rowField")}>
      <select
        value={props.field}
        onChange={(e) => {
          const d = props.defs.find((x) => x.subject === e.target.value);
          if (d) props.onChange(d);
        }}
      >
        {props.known ? null : <option value={props.field}>{props.field}</option>}
        {props.defs.map((d) => (
          <option key={d.subject} value={d.subject}>
            {fieldName(props.kind, d.subject, props.defs)}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A select of a definition's values, a number box for an automation's hours, or a text box when it offers none (tags, words, ids). */
function ValueControl(props: { id: string; label: string; subject: string; def: Definition | undefined; value: Scalar; help?: string | undefined; onChange: (v: Scalar) => void }) {
  const { def } = props;
  const text = str(props.value);
  if (isHours(props.subject)) {
    // Whole hours; the server names its limit when refusing (no max here).
    return (
      <Field id={props.id} label={props.label} help={props.help}>
        <input type="number" inputMode="numeric" min={0} step={1} value={text} onChange={(e) => props.onChange(e.target.value)} autoComplete="off" />
      </Field>
    );
  }
  if (def?.values?.length) {
    const listed = def.values.some((c) => str(c.value) === text);
    return (
      <Field id={props.id} label={props.label} help={props.help}>
        <select value={text} onChange={(e) => props.onChange(choiceValue(def.values, e.target.value))}>
          {/* A value the definitions no longer offer (a deleted group): kept, shown as it is. */}
          {listed ? null : <option value={text}>{text}</option>}
          {def.values.map((c) => (
            <option key={str(c.value)} value={str(c.value)}>
              {valueName(props.subject, c)}
            </option>
          ))}
        </select>
      </Field>
    );
  }
  return (
    <Field id={props.id} label={props.label} help={props.help}>
      <input value={text} onChange={(e) => props.onChange(e.target.value)} autoComplete="off" spellCheck={false} />
    </Field>
  );
}

/**
 * A list of rows (the ALL or ANY conditions, or the actions): each row's own controls (`children`),
 * its Remove button and the server's word on it, and the add button, which adds a row on the first
 * field the definitions offer. Rows are `${id}-1`, `${id}-2`… and the add button `${id}-add`.
 */
function RowList<T>(props: {
  id: string;
  className: string;
  legend: string;
  empty: string;
  rowClass: string;
  rowLabel: (n: number) => string;
  removeLabel: (n: number) => string;
  addLabel: string;
  max: number;
  defs: readonly Definition[];
  blank: (def: Definition) => T;
  rows: T[];
  error: (i: number) => string | undefined;
  onChange: (rows: T[]) => void;
  children: (row: T, id: string, set: (row: T) => void) => ReactNode;
}) {
  const { id: list, rows, defs } = props;
  const setFocus = useRowFocus(rows.length);
  return (
    <fieldset className={`conditions ${props.className}`}>
      <legend>{props.legend}</legend>
      {rows.length === 0 ? <p className="muted">{props.empty}</p> : null}
      {rows.map((row, i) => {
        const n = i + 1;
        const id = `${list}-${n}`;
        const error = props.error(i);
        return (
          <div key={i} className={props.rowClass} role="group" aria-label={props.rowLabel(n)}>
            {props.children(row, id, (changed) => props.onChange(rows.map((r, k) => (k === i ? changed : r))))}
            <button
              type="button"
              className="secondary"
              onClick={() => {
                props.onChange(rows.filter((_, k) => k !== i));
                setFocus(`${list}-add`);
              }}
              aria-label={props.removeLabel(n)}
            >
              {t("rules.remove")}
            </button>
            {error ? (
              <p className="error condition-error" id={`${id}-error`} role="alert">
                {error}
              </p>
            ) : null}
          </div>
        );
      })}
      <button
        type="button"
        id={`${list}-add`}
        className="secondary"
        disabled={rows.length >= props.max || defs.length === 0}
        onClick={() => {
          props.onChange([...rows, props.blank(defs[0]!)]);
          setFocus(`${list}-${rows.length + 1}-field`);
        }}
      >
        {props.addLabel}
      </button>
    </fieldset>
  );
}

/**
 * One list of conditions ("all" or "any"): a row of field, operator and value each (an
 * automation's hours in a number box). Also an SLA policy's filter (SlaPoliciesPage.tsx).
 */
export function ConditionRows(props: { prefix: string; kind: "all" | "any"; defs: readonly Definition[]; rows: RuleCondition[]; errors: Record<string, string>; onChange: (rows: RuleCondition[]) => void }) {
  const { kind, defs } = props;
  return (
    <RowList
      id={`${props.prefix}-${kind}`}
      className="rule-conditions"
      legend={t(`rules.${kind}.legend`)}
      empty={t("rules.noConditions")}
      rowClass="condition"
      rowLabel={(n) => t(`rules.${kind}.row`, { n })}
      removeLabel={(n) => t(`rules.${kind}.remove`, { n })}
      addLabel={t(`rules.${kind}.add`)}
      max={MAX_CONDITIONS}
      defs={defs}
      blank={blankCondition}
      rows={props.rows}
      error={(i) => props.errors[`${kind}-${i}`]}
      onChange={props.onChange}
    >
      {(row, id, set) => {
        const def = defs.find((d) => d.subject === row.field);
        const operators: Choice[] = def?.operators?.length ? def.operators : [{ value: row.operator, title: row.operator }];
        const help = isHours(row.field) ? t("rules.hoursHelp") : row.field === "current_tags" ? t("rules.tagsHelp") : row.field === "comment_includes_word" ? t("rules.wordsHelp") : row.field === "requester_id" || row.field === "organization_id" ? t("rules.idHelp") : undefined;
        return (
          <>
            <FieldSelect id={`${id}-field`} kind="condition" field={row.field} known={def !== undefined} defs={defs} onChange={(d) => set(blankCondition(d))} />
            <Field id={`${id}-op`} label={t("rules.rowOperator")}>
              <select value={row.operator} onChange={(e) => set(withOperator(row, e.target.value, def))}>
                {operators.some((o) => str(o.value) === row.operator) ? null : <option value={row.operator}>{row.operator}</option>}
                {operators.map((o) => (
                  <option key={str(o.value)} value={str(o.value)}>
                    {operatorName(o)}
                  </option>
                ))}
              </select>
            </Field>
            {takesValue(row.operator) ? <ValueControl id={`${id}-value`} label={t("rules.rowValue")} subject={row.field} def={def} value={row.value} help={help} onChange={(value) => set({ ...row, value })} /> : <div className="field condition-novalue" />}
          </>
        );
      }}
    </RowList>
  );
}

/** The rule's actions: a row each of field and value (a notification's recipient, subject and body). */
function ActionRows(props: { prefix: string; defs: readonly Definition[]; rows: RuleAction[]; errors: Record<string, string>; onChange: (rows: RuleAction[]) => void }) {
  const { defs } = props;
  return (
    <RowList
      id={`${props.prefix}-action`}
      className="rule-actions"
      legend={t("rules.actions.legend")}
      empty={t("rules.noActions")}
      rowClass="condition rule-action"
      rowLabel={(n) => t("rules.actionRow", { n })}
      removeLabel={(n) => t("rules.removeAction", { n })}
      addLabel={t("rules.addAction")}
      max={MAX_ACTIONS}
      defs={defs}
      blank={blankAction}
      rows={props.rows}
      error={(i) => props.errors[`actions-${i}`]}
      onChange={props.onChange}
    >
      {(row, id, set) => {
        const def = defs.find((d) => d.subject === row.field);
        const tags = row.field === "set_tags" || row.field === "current_tags" || row.field === "remove_tags";
        return (
          <>
            <FieldSelect id={`${id}-field`} kind="action" field={row.field} known={def !== undefined} defs={defs} onChange={(d) => set(blankAction(d))} />
            {isNotification(row.field) ? (
              <NotificationValue id={id} row={row} def={def} onChange={set} />
            ) : (
              <ValueControl id={`${id}-value`} label={t("rules.rowValue")} subject={row.field} def={def} value={Array.isArray(row.value) ? row.value.join(" ") : row.value} help={tags ? t("rules.tagsHelp") : undefined} onChange={(value) => set({ ...row, value })} />
            )}
          </>
        );
      }}
    </RowList>
  );
}

/** A notification's recipient (a user) or group, its subject and its body (Liquid placeholders). */
function NotificationValue(props: { id: string; row: RuleAction; def: Definition | undefined; onChange: (a: RuleAction) => void }) {
  const { id, row, def } = props;
  const parts = notificationParts(row);
  return (
    <div className="rule-mail">
      <ValueControl id={`${id}-to`} label={row.field === "notification_group" ? t("rules.group") : t("rules.recipient")} subject={row.field} def={def} value={parts.to} onChange={(v) => props.onChange(withNotification(row, "to", str(v), def))} />
      <Field id={`${id}-subject`} label={t("rules.mailSubject")}>
        <input value={parts.subject} onChange={(e) => props.onChange(withNotification(row, "subject", e.target.value, def))} autoComplete="off" />
      </Field>
      <div className="field">
        <label htmlFor={`${id}-body`}>{t("rules.mailBody")}</label>
        <textarea id={`${id}-body`} value={parts.body} onChange={(e) => props.onChange(withNotification(row, "body", e.target.value, def))} rows={5} aria-describedby={`${id}-body-help`} />
        <p className="help" id={`${id}-body-help`}>
          {t("rules.mailHelp", { placeholders: PLACEHOLDERS })}
        </p>
      </div>
    </div>
  );
}
