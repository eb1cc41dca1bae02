import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError, explain } from "../api.ts";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { CheckField, ErrorText, Field } from "../components/Field.tsx";
import { LoadError, useApi, useInvalidate } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";
import {
  blankAction,
  blankCondition,
  choiceValue,
  fieldError,
  fieldKey,
  isNotification,
  MAX_ACTIONS,
  MAX_CONDITIONS,
  moved,
  notificationParts,
  operatorKey,
  rowErrors,
  takesValue,
  triggerInput,
  valueKey,
  withNotification,
  withOperator,
  type Choice,
  type Definition,
  type Definitions,
  type Details,
  type Scalar,
  type Trigger,
  type TriggerAction,
  type TriggerCondition,
} from "./trigger-rules.ts";
import { createTrigger, deleteTrigger, loadDefinitions, loadTriggers, reorderTriggers, updateTrigger } from "./triggers-api.ts";

const KEY = ["triggers"] as const;
const DEFINITIONS_KEY = ["trigger-definitions"] as const;

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
 * `/admin/triggers` (owners and admins): the account's triggers in the order they run, each with
 * its active toggle, Move up / Move down, Edit and Delete, and New trigger. The editor holds the
 * title, description, whether it is active, its ALL and ANY conditions and its actions, each row
 * chosen from what `/triggers/definitions` offers; the server's refusals are shown on the row
 * they name. Every decision stays on the server.
 */
export function TriggersPage() {
  const triggers = useApi(KEY, (signal) => loadTriggers(signal));
  const invalidate = useInvalidate();
  const [mode, setMode] = useState<{ kind: "list" } | { kind: "new" } | { kind: "edit"; trigger: Trigger } | { kind: "delete"; trigger: Trigger }>({ kind: "list" });
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // A toggle shows the state asked for until the list is loaded again (or the server refuses it).
  const [asked, setAsked] = useState<Record<number, boolean>>({});
  // Closing the editor or the question, or a move, gives the focus back to the button that was used.
  const back = useRef<string | null>(null);
  useEffect(() => {
    if (mode.kind !== "list" || !back.current) return;
    const el = document.getElementById(back.current) as HTMLButtonElement | null;
    if (el && !el.disabled) el.focus();
  }, [mode, triggers.data, busy]);
  const open = (m: typeof mode, from: string) => {
    back.current = from;
    setNotice(null);
    setError(null);
    setMode(m);
  };
  const done = (message: string | null) => {
    setNotice(message);
    setMode({ kind: "list" });
  };
  const list = triggers.data ?? [];

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
    const tr = list[index]!;
    const ids = moved(
      list.map((x) => x.id),
      index,
      delta,
    );
    // The focus stays on the same button of the moved trigger, or its other one at either end.
    const edge = index + delta === 0 || index + delta === list.length - 1;
    back.current = edge ? `trigger-${delta < 0 ? "down" : "up"}-${tr.id}` : `trigger-${delta < 0 ? "up" : "down"}-${tr.id}`;
    void run(async () => {
      await reorderTriggers(ids);
      return t("triggers.movedTo", { title: tr.title, position: index + delta + 1 });
    });
  };
  const toggle = (tr: Trigger, active: boolean) => {
    back.current = `trigger-active-${tr.id}`;
    setAsked((a) => ({ ...a, [tr.id]: active }));
    void run(async () => {
      await updateTrigger(tr.id, { active });
      return t(active ? "triggers.activated" : "triggers.deactivated", { title: tr.title });
    });
  };

  return (
    <main id="main" className="main triggers-page">
      <PageHeading>{t("triggers.title")}</PageHeading>
      <p className="help">{t("triggers.intro")}</p>
      <p role="status" className="status-text">
        {notice ?? ""}
      </p>
      <ErrorText text={error} />
      {mode.kind === "new" ? <TriggerEditor trigger={null} onDone={done} /> : null}
      {mode.kind === "edit" ? <TriggerEditor key={mode.trigger.id} trigger={mode.trigger} onDone={done} /> : null}
      {mode.kind === "delete" ? <ConfirmTriggerDelete trigger={mode.trigger} onDone={done} /> : null}
      {mode.kind === "list" ? (
        <p className="macros-tools">
          <button type="button" id="trigger-new" onClick={() => open({ kind: "new" }, "trigger-new")}>
            {t("triggers.new")}
          </button>
        </p>
      ) : null}
      {triggers.error ? <LoadError error={triggers.error} retry={() => void triggers.reload()} busy={triggers.loading} /> : null}
      {!triggers.data && !triggers.error ? <p role="status">{t("triggers.loading")}</p> : null}
      {triggers.data && list.length === 0 ? <p className="empty">{t("triggers.none")}</p> : null}
      {list.length ? (
        <table className="admin macros-table triggers-table" aria-busy={busy}>
          <caption className="sr-only">{t("triggers.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("triggers.col.position")}</th>
              <th scope="col">{t("triggers.col.title")}</th>
              <th scope="col">{t("triggers.col.active")}</th>
              <th scope="col">
                <span className="sr-only">{t("triggers.col.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((tr, i) => (
              <tr key={tr.id}>
                <td className="position" data-label={t("triggers.col.position")}>
                  {i + 1}
                </td>
                <th scope="row">
                  {tr.title}
                  {tr.description ? <span className="muted macro-description">{tr.description}</span> : null}
                </th>
                <td data-label={t("triggers.col.active")}>
                  <input type="checkbox" id={`trigger-active-${tr.id}`} checked={asked[tr.id] ?? tr.active} disabled={busy || mode.kind !== "list"} onChange={(e) => toggle(tr, e.target.checked)} aria-label={t("triggers.activeNamed", { title: tr.title })} />
                </td>
                <td className="row-actions">
                  {mode.kind === "list" ? (
                    <>
                      <button type="button" id={`trigger-up-${tr.id}`} className="secondary small" disabled={busy || i === 0} aria-label={t("triggers.moveUpNamed", { title: tr.title })} onClick={() => move(i, -1)}>
                        {t("triggers.moveUp")}
                      </button>
                      <button type="button" id={`trigger-down-${tr.id}`} className="secondary small" disabled={busy || i === list.length - 1} aria-label={t("triggers.moveDownNamed", { title: tr.title })} onClick={() => move(i, 1)}>
                        {t("triggers.moveDown")}
                      </button>
                      <button type="button" id={`trigger-edit-${tr.id}`} className="secondary small" disabled={busy} aria-label={t("triggers.editNamed", { title: tr.title })} onClick={() => open({ kind: "edit", trigger: tr }, `trigger-edit-${tr.id}`)}>
                        {t("triggers.edit")}
                      </button>
                      <button type="button" id={`trigger-delete-${tr.id}`} className="secondary small" disabled={busy} aria-label={t("triggers.deleteNamed", { title: tr.title })} onClick={() => open({ kind: "delete", trigger: tr }, `trigger-delete-${tr.id}`)}>
                        {t("triggers.delete")}
                      </button>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </main>
  );
}

/** Asked before deleting a trigger: the focused choice is to keep it. */
function ConfirmTriggerDelete(props: { trigger: Trigger; onDone: (message: string | null) => void }) {
  const invalidate = useInvalidate();
  return (
    <ConfirmDelete
      id="trigger-delete"
      title={t("triggers.deleteTitle", { title: props.trigger.title })}
      text={t("triggers.deleteText")}
      confirm={t("triggers.deleteConfirm")}
      cancel={t("triggers.cancel")}
      remove={async () => {
        await deleteTrigger(props.trigger.id);
        await invalidate(KEY);
        props.onDone(t("triggers.deleted", { title: props.trigger.title }));
      }}
      onCancel={() => props.onDone(null)}
    />
  );
}

/** A new trigger (`trigger` null) or an existing one: title, description, active, its ALL and ANY conditions and its actions. */
function TriggerEditor(props: { trigger: Trigger | null; onDone: (message: string | null) => void }) {
  const invalidate = useInvalidate();
  const definitions = useApi(DEFINITIONS_KEY, (signal) => loadDefinitions(signal));
  const tr = props.trigger;
  const [title, setTitle] = useState(tr?.title ?? "");
  const [description, setDescription] = useState(tr?.description ?? "");
  const [active, setActive] = useState(tr?.active ?? true);
  const [all, setAll] = useState<TriggerCondition[]>(tr?.conditions.all ?? []);
  const [any, setAny] = useState<TriggerCondition[]>(tr?.conditions.any ?? []);
  const [actions, setActions] = useState<TriggerAction[]>(tr?.actions ?? []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const details = detailsOf(error);
  const rows = rowErrors(details);
  const headingId = "trigger-editor-title";
  // The server's word on the rows was about them as they were: a change starts afresh.
  const changed = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    if (Object.keys(rows).length) setError(null);
  };

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const input = triggerInput({ title, description, active, all, any, actions });
    try {
      const saved = tr ? await updateTrigger(tr.id, input) : await createTrigger(input);
      await invalidate(KEY);
      props.onDone(t(tr ? "triggers.updated" : "triggers.created", { title: saved.title }));
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
  const general = error === null ? null : known ? t("triggers.refused") : explain(error);
  const defs: Definitions | undefined = definitions.data;
  return (
    <form className="panel view-form macro-editor trigger-editor" onSubmit={(e) => void save(e)} aria-labelledby={headingId} aria-busy={busy}>
      <h2 id={headingId}>{tr ? t("triggers.editTitle", { title: tr.title }) : t("triggers.newTitle")}</h2>
      <Field id="trigger-title" label={t("triggers.form.title")} error={titleError}>
        {/* No maxLength: a browser counts UTF-16 units; the server names the limit when refusing. */}
        <input value={title} onChange={(e) => setTitle(e.target.value)} required autoComplete="off" autoFocus />
      </Field>
      <Field id="trigger-description" label={t("triggers.form.description")} error={descriptionError}>
        <input value={description} onChange={(e) => setDescription(e.target.value)} autoComplete="off" />
      </Field>
      <CheckField id="trigger-active" label={t("triggers.form.active")} checked={active} onChange={setActive} help={t("triggers.form.activeHelp")} />
      {definitions.error ? <LoadError error={definitions.error} retry={() => void definitions.reload()} busy={definitions.loading} /> : null}
      {!defs && !definitions.error ? <p role="status">{t("triggers.definitionsLoading")}</p> : null}
      {defs ? (
        <>
          <ConditionRows kind="all" defs={defs.conditions_all} rows={all} errors={rows} onChange={changed(setAll)} />
          <ConditionRows kind="any" defs={defs.conditions_any} rows={any} errors={rows} onChange={changed(setAny)} />
          {conditionsError ? <p className="error">{conditionsError}</p> : null}
          <ActionRows defs={defs.actions} rows={actions} errors={rows} onChange={changed(setActions)} />
          {actionsError ? <p className="error">{actionsError}</p> : null}
        </>
      ) : null}
      <ErrorText text={general} />
      <p className="actions">
        <button type="submit" disabled={busy || !defs || !title.trim() || actions.length === 0}>
          {tr ? t("triggers.saveChanges") : t("triggers.create")}
        </button>
        <button type="button" className="secondary" onClick={() => props.onDone(null)} disabled={busy}>
          {t("triggers.cancel")}
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

/** A select of a definition's values, or a text box when it offers none (tags, words, ids). */
/** A row's field, chosen among the definitions (a field the definitions no longer hold is kept as its name). */
function FieldSelect(props: { id: string; kind: "condition" | "action"; field: string; known: boolean; defs: readonly Definition[]; onChange: (d: Definition) => void }) {
  return (
    <Field id={props.id} label={t("triggers.rowField")}>
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

function ValueControl(props: { id: string; label: string; subject: string; def: Definition | undefined; value: Scalar; help?: string | undefined; onChange: (v: Scalar) => void }) {
  const { def } = props;
  const text = str(props.value);
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

/** One list of conditions ("all" or "any"): a row of field, operator and value each, rows added and removed. */
function ConditionRows(props: { kind: "all" | "any"; defs: readonly Definition[]; rows: TriggerCondition[]; errors: Record<string, string>; onChange: (rows: TriggerCondition[]) => void }) {
  const set = (i: number, c: TriggerCondition) => props.onChange(props.rows.map((r, k) => (k === i ? c : r)));
  const setFocus = useRowFocus(props.rows.length);
  const { kind, defs } = props;
  return (
    <fieldset className="conditions trigger-conditions">
      <legend>{t(`triggers.${kind}.legend`)}</legend>
      {props.rows.length === 0 ? <p className="muted">{t("triggers.noConditions")}</p> : null}
      {props.rows.map((row, i) => {
        const n = i + 1;
        const id = `trigger-${kind}-${n}`;
        const def = defs.find((d) => d.subject === row.field);
        const operators: Choice[] = def?.operators?.length ? def.operators : [{ value: row.operator, title: row.operator }];
        const error = props.errors[`${kind}-${i}`];
        const help = row.field === "current_tags" ? t("triggers.tagsHelp") : row.field === "comment_includes_word" ? t("triggers.wordsHelp") : row.field === "requester_id" || row.field === "organization_id" ? t("triggers.idHelp") : undefined;
        return (
          <div key={i} className="condition" role="group" aria-label={t(`triggers.${kind}.row`, { n })}>
            <FieldSelect id={`${id}-field`} kind="condition" field={row.field} known={def !== undefined} defs={defs} onChange={(d) => set(i, blankCondition(d))} />
            <Field id={`${id}-op`} label={t("triggers.rowOperator")}>
              <select value={row.operator} onChange={(e) => set(i, withOperator(row, e.target.value, def))}>
                {operators.some((o) => str(o.value) === row.operator) ? null : <option value={row.operator}>{row.operator}</option>}
                {operators.map((o) => (
                  <option key={str(o.value)} value={str(o.value)}>
                    {operatorName(o)}
                  </option>
                ))}
              </select>
            </Field>
            {takesValue(row.operator) ? <ValueControl id={`${id}-value`} label={t("triggers.rowValue")} subject={row.field} def={def} value={row.value} help={help} onChange={(value) => set(i, { ...row, value })} /> : <div className="field condition-novalue" />}
            <button
              type="button"
              className="secondary"
              onClick={() => {
                props.onChange(props.rows.filter((_, k) => k !== i));
                setFocus(`trigger-${kind}-add`);
              }}
              aria-label={t(`triggers.${kind}.remove`, { n })}
            >
              {t("triggers.remove")}
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
        id={`trigger-${kind}-add`}
        className="secondary"
        disabled={props.rows.length >= MAX_CONDITIONS || defs.length === 0}
        onClick={() => {
          props.onChange([...props.rows, blankCondition(defs[0]!)]);
          setFocus(`trigger-${kind}-${props.rows.length + 1}-field`);
        }}
      >
        {t(`triggers.${kind}.add`)}
      </button>
    </fieldset>
  );
}

/** The trigger's actions: a row each of field and value (a notification's recipient, subject and body), rows added and removed. */
function ActionRows(props: { defs: readonly Definition[]; rows: TriggerAction[]; errors: Record<string, string>; onChange: (rows: TriggerAction[]) => void }) {
  const set = (i: number, a: TriggerAction) => props.onChange(props.rows.map((r, k) => (k === i ? a : r)));
  const setFocus = useRowFocus(props.rows.length);
  const { defs } = props;
  return (
    <fieldset className="conditions trigger-actions">
      <legend>{t("triggers.actions.legend")}</legend>
      {props.rows.length === 0 ? <p className="muted">{t("triggers.noActions")}</p> : null}
      {props.rows.map((row, i) => {
        const n = i + 1;
        const id = `trigger-action-${n}`;
        const def = defs.find((d) => d.subject === row.field);
        const error = props.errors[`actions-${i}`];
        const tags = row.field === "set_tags" || row.field === "current_tags" || row.field === "remove_tags";
        return (
          <div key={i} className="condition trigger-action" role="group" aria-label={t("triggers.actionRow", { n })}>
            <FieldSelect id={`${id}-field`} kind="action" field={row.field} known={def !== undefined} defs={defs} onChange={(d) => set(i, blankAction(d))} />
            {isNotification(row.field) ? (
              <NotificationValue id={id} row={row} def={def} onChange={(a) => set(i, a)} />
            ) : (
              <ValueControl id={`${id}-value`} label={t("triggers.rowValue")} subject={row.field} def={def} value={Array.isArray(row.value) ? row.value.join(" ") : row.value} help={tags ? t("triggers.tagsHelp") : undefined} onChange={(value) => set(i, { ...row, value })} />
            )}
            <button
              type="button"
              className="secondary"
              onClick={() => {
                props.onChange(props.rows.filter((_, k) => k !== i));
                setFocus("trigger-action-add");
              }}
              aria-label={t("triggers.removeAction", { n })}
            >
              {t("triggers.remove")}
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
        id="trigger-action-add"
        className="secondary"
        disabled={props.rows.length >= MAX_ACTIONS || defs.length === 0}
        onClick={() => {
          props.onChange([...props.rows, blankAction(defs[0]!)]);
          setFocus(`trigger-action-${props.rows.length + 1}-field`);
        }}
      >
        {t("triggers.addAction")}
      </button>
    </fieldset>
  );
}

/** A notification's recipient (a user) or group, its subject and its body (Liquid placeholders). */
function NotificationValue(props: { id: string; row: TriggerAction; def: Definition | undefined; onChange: (a: TriggerAction) => void }) {
  const { id, row, def } = props;
  const parts = notificationParts(row);
  return (
    <div className="trigger-mail">
      <ValueControl id={`${id}-to`} label={row.field === "notification_group" ? t("triggers.group") : t("triggers.recipient")} subject={row.field} def={def} value={parts.to} onChange={(v) => props.onChange(withNotification(row, "to", str(v), def))} />
      <Field id={`${id}-subject`} label={t("triggers.mailSubject")}>
        <input value={parts.subject} onChange={(e) => props.onChange(withNotification(row, "subject", e.target.value, def))} autoComplete="off" />
      </Field>
      <div className="field">
        <label htmlFor={`${id}-body`}>{t("triggers.mailBody")}</label>
        <textarea id={`${id}-body`} value={parts.body} onChange={(e) => props.onChange(withNotification(row, "body", e.target.value, def))} rows={5} aria-describedby={`${id}-body-help`} />
        <p className="help" id={`${id}-body-help`}>
          {t("triggers.mailHelp", { placeholders: PLACEHOLDERS })}
        </p>
      </div>
    </div>
  );
}
