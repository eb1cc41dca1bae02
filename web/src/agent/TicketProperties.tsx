import { useEffect, useState, type FormEvent } from "react";
import { api } from "../api.ts";
import { ErrorText, Field } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { parseTags, TICKET_TYPES, type Ticket, type TicketField } from "./model.ts";
import { useWorkspace } from "./workspace.ts";

type Value = string | number | boolean | null;

/** Ticket fields are few and change rarely: read once per page load. */
let fieldsOnce: Promise<TicketField[]> | null = null;
export function ticketFields(): Promise<TicketField[]> {
  fieldsOnce ??= api<{ ticket_fields: TicketField[] }>("GET", "ticket_fields.json").then((r) => r.ticket_fields.filter((f) => f.active));
  fieldsOnce.catch(() => (fieldsOnce = null));
  return fieldsOnce;
}

/**
 * The ticket's properties for agents who may change them: type, assignee (staff tickets can be
 * assigned to, as the server lists them), group, tags (remove one, add some) and custom fields of
 * the five types. Only what changed is sent; the server validates and records it in the history.
 * The page keys this form by the ticket's update time, so it starts over from each saved state.
 */
export function TicketProperties(props: { ticket: Ticket; busy: boolean; onSave: (change: Record<string, unknown>) => Promise<string | null> }) {
  const { ticket } = props;
  const { pickers } = useWorkspace();
  const [fields, setFields] = useState<TicketField[]>([]);
  const [type, setType] = useState<string>(ticket.type ?? "");
  const [assignee, setAssignee] = useState(ticket.assignee_id === null ? "" : String(ticket.assignee_id));
  const [group, setGroup] = useState(ticket.group_id === null ? "" : String(ticket.group_id));
  const [custom, setCustom] = useState<Record<number, Value>>(() => Object.fromEntries(ticket.custom_fields.map((c) => [c.id, c.value])));
  const [newTags, setNewTags] = useState("");
  const [error, setError] = useState<string | null>(null);
  const saveChange = (change: Record<string, unknown>) => {
    setError(null);
    void props.onSave(change).then(setError);
  };

  useEffect(() => {
    ticketFields().then(setFields, () => undefined);
  }, []);
  const current = (id: number): Value => ticket.custom_fields.find((c) => c.id === id)?.value ?? null;

  function submit(e: FormEvent) {
    e.preventDefault();
    const change: Record<string, unknown> = {};
    if ((type || null) !== ticket.type) change.type = type || null;
    const a = assignee ? Number(assignee) : null;
    if (a !== ticket.assignee_id) change.assignee_id = a;
    const g = group ? Number(group) : null;
    if (g !== ticket.group_id) change.group_id = g;
    const changed = fields.filter((f) => (custom[f.id] ?? null) !== current(f.id)).map((f) => ({ id: f.id, value: custom[f.id] ?? null }));
    if (changed.length) change.custom_fields = changed;
    if (parseTags(newTags).length) change.additional_tags = parseTags(newTags);
    if (Object.keys(change).length === 0) return;
    saveChange(change);
  }

  const agents = pickers?.agents ?? [];
  return (
    <section className="properties" aria-labelledby="props-heading">
      <h2 id="props-heading">{t("props.title")}</h2>
      <form onSubmit={submit} aria-busy={props.busy}>
        <Field id="prop-type" label={t("props.type")}>
          <select value={type} onChange={(e) => setType(e.target.value)}>
            <option value="">{t("type.none")}</option>
            {TICKET_TYPES.map((x) => (
              <option key={x} value={x}>
                {t(`type.${x}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="prop-assignee" label={t("props.assignee")}>
          <select value={assignee} onChange={(e) => setAssignee(e.target.value)}>
            <option value="">{t("ticket.unassigned")}</option>
            {ticket.assignee_id !== null && !agents.some((u) => u.id === ticket.assignee_id) ? <option value={String(ticket.assignee_id)}>{t("ticket.unknownUser", { id: ticket.assignee_id })}</option> : null}
            {agents.map((u) => (
              <option key={u.id} value={String(u.id)}>
                {u.name}
              </option>
            ))}
          </select>
        </Field>
        <Field id="prop-group" label={t("props.group")}>
          <select value={group} onChange={(e) => setGroup(e.target.value)}>
            <option value="">{t("props.noGroup")}</option>
            {(pickers?.groups ?? []).map((x) => (
              <option key={x.id} value={String(x.id)}>
                {x.name}
              </option>
            ))}
          </select>
        </Field>
        <fieldset className="tag-editor">
          <legend>{t("ticket.tags")}</legend>
          {ticket.tags.length ? (
            <ul>
              {ticket.tags.map((tag) => (
                <li key={tag}>
                  <span>{tag}</span>
                  <button type="button" className="small" disabled={props.busy} aria-label={t("props.removeTag", { tag })} onClick={() => saveChange({ remove_tags: [tag] })}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">{t("ticket.noTags")}</p>
          )}
          <Field id="prop-add-tags" label={t("props.addTags")} help={t("new.tagsHelp")}>
            <input value={newTags} onChange={(e) => setNewTags(e.target.value)} autoComplete="off" spellCheck={false} />
          </Field>
        </fieldset>
        {fields.map((f) => (
          <CustomField key={f.id} field={f} value={custom[f.id] ?? null} onChange={(v) => setCustom((c) => ({ ...c, [f.id]: v }))} />
        ))}
        <ErrorText text={error} />
        <button type="submit" disabled={props.busy}>
          {t("props.save")}
        </button>
      </form>
    </section>
  );
}

function CustomField(props: { field: TicketField; value: Value; onChange: (v: Value) => void }) {
  const { field, value } = props;
  const id = `custom-${field.id}`;
  switch (field.type) {
    case "checkbox":
      return (
        <div className="field checkbox">
          <input id={id} type="checkbox" checked={value === true} onChange={(e) => props.onChange(e.target.checked)} />
          <label htmlFor={id}>{field.title}</label>
        </div>
      );
    case "tagger":
      return (
        <Field id={id} label={field.title}>
          <select value={typeof value === "string" ? value : ""} onChange={(e) => props.onChange(e.target.value || null)}>
            <option value="">{t("props.noValue")}</option>
            {field.custom_field_options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.name}
              </option>
            ))}
          </select>
        </Field>
      );
    case "number":
      return (
        <Field id={id} label={field.title}>
          <input type="number" step="any" value={value === null ? "" : String(value)} onChange={(e) => props.onChange(e.target.value === "" ? null : Number(e.target.value))} />
        </Field>
      );
    case "date":
      return (
        <Field id={id} label={field.title}>
          <input type="date" value={typeof value === "string" ? value : ""} onChange={(e) => props.onChange(e.target.value || null)} />
        </Field>
      );
    default:
      return (
        <Field id={id} label={field.title}>
          <input value={typeof value === "string" ? value : ""} onChange={(e) => props.onChange(e.target.value || null)} maxLength={10_000} autoComplete="off" />
        </Field>
      );
  }
}
