import { useEffect, useRef, useState, type FormEvent } from "react";
import { explain } from "../api.ts";
import type { CustomFieldValue, TicketField } from "../api-schema.ts";
import { ConfirmDelete } from "../components/ConfirmDelete.tsx";
import { CheckField, ErrorText, Field } from "../components/Field.tsx";
import { LoadError, useApi, useInvalidate } from "../data.tsx";
import { t, type MessageKey } from "../i18n/index.ts";
import {
  actionErrors,
  canChangeMacro,
  createMacro,
  deleteMacro,
  loadMacros,
  macroFieldError,
  MACRO_FIELDS,
  updateMacro,
  type Macro,
  type MacroAction,
  type MacroRestriction,
} from "../macros.ts";
import { PageHeading } from "../router.tsx";
import { AssigneeSelect, CustomFieldInput, GroupSelect, PrioritySelect, StatusSelect, TypeSelect } from "./fields.tsx";
import { KEYS, loadTicketFields } from "./model.ts";
import { useWorkspace, type Pickers } from "./workspace.ts";

/** The placeholders the reply's help lists (the server renders them when the macro is applied). */
export const PLACEHOLDERS = ["{{ticket.requester.first_name}}", "{{ticket.requester.name}}", "{{ticket.id}}", "{{ticket.title}}", "{{ticket.url}}", "{{current_user.first_name}}", "{{current_user.name}}"] as const;

/** The statuses a macro may set (not closed). */
const MACRO_STATUSES = ["new", "open", "pending", "hold", "solved"] as const;

/** Who sees a macro, as the form edits it. */
type Audience = { kind: "me" } | { kind: "all" } | { kind: "group"; group: number | null };
function audienceOf(r: MacroRestriction): Audience {
  if (r === null) return { kind: "all" };
  return r.type === "Group" ? { kind: "group", group: r.id } : { kind: "me" };
}
function restrictionOf(a: Audience, me: { id: number }): MacroRestriction {
  if (a.kind === "all") return null;
  if (a.kind === "group" && a.group !== null) return { type: "Group", id: a.group };
  return { type: "User", id: me.id };
}

/** How the list names a macro's audience. */
function audienceText(r: MacroRestriction, pickers: Pickers | null): string {
  if (r === null) return t("macros.audience.all");
  if (r.type === "User") return t("macros.audience.me");
  const name = pickers?.groups.find((g) => g.id === r.id)?.name;
  return name ? t("macros.audience.groupNamed", { name }) : t("macros.audience.groupN", { id: r.id });
}

/** The label of an action's field (a custom field by its title). */
function fieldLabel(field: string, fields: readonly TicketField[]): string {
  const custom = /^custom_fields_(\d+)$/.exec(field);
  if (custom) return fields.find((f) => f.id === Number(custom[1]))?.title ?? t("macros.field.customN", { id: Number(custom[1]) });
  return (MACRO_FIELDS as readonly string[]).includes(field) ? t(`macros.field.${field}` as MessageKey) : field;
}

/** A new action on `field` with a sensible first value. */
function blankAction(field: string): MacroAction {
  const value = field === "status" ? "solved" : field === "priority" ? "normal" : field === "type" ? "question" : field === "assignee_id" ? "current_user" : field === "comment_mode_is_public" ? "true" : "";
  return { field, value };
}

/**
 * `/agent/macros`: the macros the signed-in person sees (title, who sees it, active), a filter box,
 * and, for whoever may change one (its owner a personal macro; owners and admins a shared one, as
 * the session's abilities say; the server decides), its editor and deletion. Anyone creates their
 * own macros; admins may share one with everyone or a group.
 */
export function MacrosPage() {
  const { me, abilities, pickers } = useWorkspace();
  const macros = useApi(KEYS.macros, (signal) => loadMacros(signal));
  const [filter, setFilter] = useState("");
  const [mode, setMode] = useState<{ kind: "list" } | { kind: "new" } | { kind: "edit"; macro: Macro } | { kind: "delete"; macro: Macro }>({ kind: "list" });
  const [notice, setNotice] = useState<string | null>(null);
  // Closing the editor or the question gives the focus back to the button that opened it.
  const back = useRef<string | null>(null);
  useEffect(() => {
    if (mode.kind === "list" && back.current) document.getElementById(back.current)?.focus();
  }, [mode]);
  const open = (m: typeof mode, from: string) => {
    back.current = from;
    setNotice(null);
    setMode(m);
  };
  const done = (message: string | null) => {
    setNotice(message);
    setMode({ kind: "list" });
  };
  const list = (macros.data ?? []).filter((m) => filter.trim() === "" || m.title.toLocaleLowerCase().includes(filter.trim().toLocaleLowerCase()));

  return (
    <main id="main" className="main macros-page">
      <PageHeading>{t("macros.title")}</PageHeading>
      <p className="help">{t("macros.intro")}</p>
      {notice ? <p role="status">{notice}</p> : null}
      {mode.kind === "new" ? <MacroEditor macro={null} onDone={done} /> : null}
      {mode.kind === "edit" ? <MacroEditor key={mode.macro.id} macro={mode.macro} onDone={done} /> : null}
      {mode.kind === "delete" ? <ConfirmMacroDelete macro={mode.macro} onDone={done} /> : null}
      {mode.kind === "list" ? (
        <div className="macros-tools">
          <Field id="macros-filter" label={t("macros.filter")}>
            <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} autoComplete="off" />
          </Field>
          <button type="button" id="macro-new" onClick={() => open({ kind: "new" }, "macro-new")}>
            {t("macros.new")}
          </button>
        </div>
      ) : null}
      {macros.error ? <LoadError error={macros.error} retry={() => void macros.reload()} busy={macros.loading} /> : null}
      {!macros.data && !macros.error ? <p role="status">{t("macros.loading")}</p> : null}
      {macros.data && list.length === 0 ? <p className="empty">{macros.data.length ? t("macros.noMatch") : t("macros.none")}</p> : null}
      {list.length ? (
        <table className="admin macros-table">
          <caption className="sr-only">{t("macros.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("macros.col.title")}</th>
              <th scope="col">{t("macros.col.audience")}</th>
              <th scope="col">{t("macros.col.active")}</th>
              <th scope="col">
                <span className="sr-only">{t("macros.col.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((m) => {
              const changeable = canChangeMacro(m, me, abilities);
              return (
                <tr key={m.id}>
                  <th scope="row">
                    {m.title}
                    {m.description ? <span className="muted macro-description">{m.description}</span> : null}
                  </th>
                  <td data-label={t("macros.col.audience")}>{audienceText(m.restriction, pickers)}</td>
                  <td data-label={t("macros.col.active")}>{m.active ? t("macros.yes") : t("macros.no")}</td>
                  <td className="row-actions">
                    {changeable && mode.kind === "list" ? (
                      <>
                        <button type="button" id={`macro-edit-${m.id}`} className="secondary small" aria-label={t("macros.editNamed", { title: m.title })} onClick={() => open({ kind: "edit", macro: m }, `macro-edit-${m.id}`)}>
                          {t("macros.edit")}
                        </button>
                        <button type="button" id={`macro-delete-${m.id}`} className="secondary small" aria-label={t("macros.deleteNamed", { title: m.title })} onClick={() => open({ kind: "delete", macro: m }, `macro-delete-${m.id}`)}>
                          {t("macros.delete")}
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
    </main>
  );
}

/** Asked before deleting a macro: the focused choice is to keep it. */
function ConfirmMacroDelete(props: { macro: Macro; onDone: (message: string | null) => void }) {
  const invalidate = useInvalidate();
  return (
    <ConfirmDelete
      id="macro-delete"
      title={t("macros.deleteTitle", { title: props.macro.title })}
      text={props.macro.restriction?.type === "User" ? t("macros.deleteTextPersonal") : t("macros.deleteTextShared")}
      confirm={t("macros.deleteConfirm")}
      cancel={t("macros.cancel")}
      remove={async () => {
        await deleteMacro(props.macro.id);
        await invalidate(KEYS.macros);
        props.onDone(t("macros.deleted", { title: props.macro.title }));
      }}
      onCancel={() => props.onDone(null)}
    />
  );
}

/** "Who can see it": only me, every staff member, or one group's members (offered to admins and owners only). */
function AudienceField(props: { value: Audience; onChange: (a: Audience) => void; error?: string | undefined }) {
  const { pickers } = useWorkspace();
  return (
    <>
      <Field id="macro-audience" label={t("macros.audience")} error={props.error}>
        <select value={props.value.kind} onChange={(e) => props.onChange(e.target.value === "group" ? { kind: "group", group: pickers?.groups[0]?.id ?? null } : { kind: e.target.value === "all" ? "all" : "me" })}>
          <option value="me">{t("macros.audience.me")}</option>
          <option value="all">{t("macros.audience.all")}</option>
          <option value="group">{t("macros.audience.group")}</option>
        </select>
      </Field>
      {props.value.kind === "group" ? (
        <GroupSelect
          id="macro-audience-group"
          label={t("macros.audience.groupPick")}
          value={props.value.group === null ? "" : String(props.value.group)}
          onChange={(v) => props.onChange({ kind: "group", group: v ? Number(v) : null })}
          pickers={pickers}
          first={props.value.group === null ? [{ value: "", label: t("macros.audience.chooseGroup") }] : []}
        />
      ) : null}
    </>
  );
}

/** A new macro (`macro` null) or an existing one: title, description, audience (admins), active, and its actions. */
function MacroEditor(props: { macro: Macro | null; onDone: (message: string | null) => void }) {
  const { me, abilities } = useWorkspace();
  const invalidate = useInvalidate();
  const fieldsState = useApi(KEYS.ticketFields, loadTicketFields, { staleTime: 60_000 });
  const fields = fieldsState.data ?? [];
  const m = props.macro;
  const [title, setTitle] = useState(m?.title ?? "");
  const [description, setDescription] = useState(m?.description ?? "");
  const [active, setActive] = useState(m?.active ?? true);
  const [audience, setAudience] = useState<Audience>(m ? audienceOf(m.restriction) : { kind: "me" });
  const [actions, setActions] = useState<MacroAction[]>(m?.actions ?? [blankAction("comment_value")]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const rowErrors = actionErrors(error);
  // Admins (and owners) choose who sees it; anyone else's macros are their own.
  const choosesAudience = abilities.can_manage_admin;
  const headingId = "macro-editor-title";

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const input = {
      title: title.trim(),
      description: description.trim() ? description.trim() : null,
      active,
      restriction: choosesAudience ? restrictionOf(audience, me) : m ? m.restriction : { type: "User" as const, id: me.id },
      actions,
    };
    try {
      const saved = m ? await updateMacro(m.id, input) : await createMacro(input);
      await invalidate(KEYS.macros);
      props.onDone(t(m ? "macros.updated" : "macros.created", { title: saved.title }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const titleError = macroFieldError(error, "title");
  const descriptionError = macroFieldError(error, "description");
  const audienceError = macroFieldError(error, "restriction");
  const actionsError = macroFieldError(error, "actions");
  const known = new Set([titleError, descriptionError, audienceError, actionsError, ...Object.values(rowErrors)].filter(Boolean));
  const general = error === null ? null : known.size ? t("macros.refused") : explain(error);
  return (
    <form className="panel view-form macro-editor" onSubmit={(e) => void save(e)} aria-labelledby={headingId} aria-busy={busy}>
      <h2 id={headingId}>{m ? t("macros.editTitle", { title: m.title }) : t("macros.newTitle")}</h2>
      <Field id="macro-title" label={t("macros.field.title")} error={titleError}>
        {/* No maxLength: a browser counts UTF-16 units; the server names the limit when refusing. */}
        <input value={title} onChange={(e) => setTitle(e.target.value)} required autoComplete="off" autoFocus />
      </Field>
      <Field id="macro-description" label={t("macros.field.description")} error={descriptionError}>
        <input value={description} onChange={(e) => setDescription(e.target.value)} autoComplete="off" />
      </Field>
      {choosesAudience ? <AudienceField value={audience} onChange={setAudience} error={audienceError} /> : null}
      <CheckField id="macro-active" label={t("macros.field.active")} checked={active} onChange={setActive} help={t("macros.activeHelp")} />
      <ActionRows
        rows={actions}
        fields={fields}
        errors={rowErrors}
        onChange={(rows) => {
          // The server's word on the rows was about them as they were: a change starts afresh.
          setActions(rows);
          if (Object.keys(rowErrors).length) setError(null);
        }}
      />
      {actionsError ? <p className="error">{actionsError}</p> : null}
      <ErrorText text={general} />
      <p className="actions">
        <button type="submit" disabled={busy || !title.trim() || actions.length === 0 || (audience.kind === "group" && audience.group === null)}>
          {m ? t("macros.saveChanges") : t("macros.create")}
        </button>
        <button type="button" className="secondary" onClick={() => props.onDone(null)} disabled={busy}>
          {t("macros.cancel")}
        </button>
      </p>
    </form>
  );
}

/** At most this many actions (the server's limit). */
const MAX_ACTIONS = 30;

/** The macro's actions: a row each of field and value, rows added and removed; each field once. */
function ActionRows(props: { rows: MacroAction[]; fields: readonly TicketField[]; errors: Record<number, string>; onChange: (rows: MacroAction[]) => void }) {
  const set = (i: number, a: MacroAction) => props.onChange(props.rows.map((r, k) => (k === i ? a : r)));
  const all = [...MACRO_FIELDS, ...props.fields.map((f) => `custom_fields_${f.id}`)];
  const used = new Set(props.rows.map((r) => r.field));
  // Keyboard: a new row's field takes the focus; after a removal, the add button does.
  const [focus, setFocus] = useState<string | null>(null);
  useEffect(() => {
    if (focus) document.getElementById(focus)?.focus();
  }, [focus, props.rows.length]);
  const free = all.filter((f) => !used.has(f));
  return (
    <fieldset className="conditions macro-actions">
      <legend>{t("macros.actions")}</legend>
      {props.rows.length === 0 ? <p className="muted">{t("macros.noActions")}</p> : null}
      {props.rows.map((row, i) => {
        const n = i + 1;
        const id = `macro-action-${n}`;
        const choices = all.filter((f) => f === row.field || !used.has(f));
        return (
          <div key={i} className="condition macro-action" role="group" aria-label={t("macros.actionRow", { n })}>
            <Field id={`${id}-field`} label={t("macros.actionField")}>
              <select value={row.field} onChange={(e) => set(i, blankAction(e.target.value))}>
                {all.includes(row.field) ? null : <option value={row.field}>{row.field}</option>}
                {choices.map((f) => (
                  <option key={f} value={f}>
                    {fieldLabel(f, props.fields)}
                  </option>
                ))}
              </select>
            </Field>
            <ActionValue id={`${id}-value`} row={row} fields={props.fields} onChange={(value) => set(i, { ...row, value })} />
            <button
              type="button"
              className="secondary"
              onClick={() => {
                props.onChange(props.rows.filter((_, k) => k !== i));
                setFocus("macro-action-add");
              }}
              aria-label={t("macros.removeAction", { n })}
            >
              {t("macros.remove")}
            </button>
            {props.errors[i] ? (
              <p className="error condition-error" id={`${id}-error`} role="alert">
                {props.errors[i]}
              </p>
            ) : null}
          </div>
        );
      })}
      <button
        type="button"
        id="macro-action-add"
        className="secondary"
        disabled={props.rows.length >= MAX_ACTIONS || free.length === 0}
        onClick={() => {
          props.onChange([...props.rows, blankAction(free[0]!)]);
          setFocus(`macro-action-${props.rows.length + 1}-field`);
        }}
      >
        {t("macros.addAction")}
      </button>
    </fieldset>
  );
}

/** A custom field's value as an action holds it (text), and back. */
function customOf(field: TicketField, v: CustomFieldValue): string {
  return v === null ? "" : String(v);
}
function customValue(field: TicketField, s: string): CustomFieldValue {
  if (field.type === "checkbox") return s === "true";
  if (field.type === "number") return s === "" ? null : Number(s);
  return s === "" ? null : s;
}

/** The value of one action, by its field: the ticket's own choices, the pickers, text for tags and subject, a text area for the reply. */
function ActionValue(props: { id: string; row: MacroAction; fields: readonly TicketField[]; onChange: (v: string) => void }) {
  const { pickers } = useWorkspace();
  const { row, id } = props;
  const label = t("macros.actionValue");
  const str = String(row.value);
  const custom = /^custom_fields_(\d+)$/.exec(row.field);
  if (custom) {
    const field = props.fields.find((f) => f.id === Number(custom[1]));
    if (field) return <CustomFieldInput idPrefix={id} field={field} value={customValue(field, str)} onChange={(v) => props.onChange(customOf(field, v))} />;
  }
  switch (row.field) {
    case "status":
      return <StatusSelect id={id} label={label} value={str} onChange={props.onChange} only={MACRO_STATUSES} />;
    case "priority":
      return <PrioritySelect id={id} label={label} value={str} onChange={props.onChange} first={[{ value: "", label: t("macros.clear") }]} />;
    case "type":
      return <TypeSelect id={id} label={label} value={str} onChange={props.onChange} first={[{ value: "", label: t("macros.clear") }]} />;
    case "assignee_id":
      return (
        <AssigneeSelect
          id={id}
          label={label}
          value={str}
          onChange={props.onChange}
          pickers={pickers}
          current={/^\d+$/.test(str) ? Number(str) : null}
          first={[
            { value: "current_user", label: t("macros.currentUser") },
            { value: "", label: t("macros.unassign") },
          ]}
        />
      );
    case "group_id":
      return <GroupSelect id={id} label={label} value={str} onChange={props.onChange} pickers={pickers} first={[{ value: "", label: t("macros.noGroup") }]} />;
    case "comment_mode_is_public":
      return (
        <Field id={id} label={label}>
          <select value={str === "false" ? "false" : "true"} onChange={(e) => props.onChange(e.target.value)}>
            <option value="true">{t("macros.public")}</option>
            <option value="false">{t("macros.internal")}</option>
          </select>
        </Field>
      );
    case "comment_value":
      return (
        <div className="field macro-reply">
          <label htmlFor={id}>{t("macros.replyLabel")}</label>
          <textarea id={id} value={str} onChange={(e) => props.onChange(e.target.value)} rows={5} aria-describedby={`${id}-help`} />
          <div className="help" id={`${id}-help`}>
            <p>{t("macros.placeholdersHelp")}</p>
            <ul className="placeholders">
              {PLACEHOLDERS.map((p) => (
                <li key={p}>
                  <code>{p}</code>
                </li>
              ))}
            </ul>
          </div>
        </div>
      );
    case "set_tags":
    case "current_tags":
    case "remove_tags":
      return (
        <Field id={id} label={label} help={t("macros.tagsHelp")}>
          <input value={str} onChange={(e) => props.onChange(e.target.value)} autoComplete="off" spellCheck={false} />
        </Field>
      );
    default:
      // The subject, and any field this editor does not know (a newer server's): its value as text.
      return (
        <Field id={id} label={label} help={row.field === "subject" ? t("macros.subjectHelp") : undefined}>
          <input value={str} onChange={(e) => props.onChange(e.target.value)} autoComplete="off" />
        </Field>
      );
  }
}
