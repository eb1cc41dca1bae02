import { Field } from "../components/Field.tsx";
import type { CustomFieldValue, Priority, Status, TicketField, TicketType } from "../api-schema.ts";
import { t } from "../i18n/index.ts";
import { PRIORITIES, STATUSES, TICKET_TYPES } from "./model.ts";
import type { Pickers } from "./workspace.ts";

/**
 * The ticket property pickers every workspace form uses (new ticket, ticket page, properties,
 * bulk update, filters): one component per property, so a status, priority or type reads the same
 * everywhere. `first` puts choices before the property's own values, such as "Any" in filters or
 * "No change" in bulk update; each is a value and its label.
 */
export type Choice = { value: string; label: string };

type SelectProps = {
  id: string;
  label: string;
  help?: string;
  value: string;
  onChange: (value: string) => void;
  first?: readonly Choice[];
  disabled?: boolean;
  /** The id of the form this control belongs to, when it sits outside it. */
  form?: string;
};

function ChoiceSelect(props: SelectProps & { choices: readonly Choice[] }) {
  return (
    <Field id={props.id} label={props.label} help={props.help}>
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)} disabled={props.disabled} form={props.form}>
        {[...(props.first ?? []), ...props.choices].map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** Status; `only` narrows the choices (a ticket cannot go back to New). */
export function StatusSelect(props: SelectProps & { only?: readonly Status[] }) {
  return <ChoiceSelect {...props} choices={(props.only ?? STATUSES).map((s) => ({ value: s, label: t(`status.${s}`) }))} />;
}

/** Priority; `""` is "No priority" unless `first` says otherwise. */
export function PrioritySelect(props: SelectProps) {
  return <ChoiceSelect {...props} first={props.first ?? [{ value: "", label: t("priority.none") }]} choices={PRIORITIES.map((p: Priority) => ({ value: p, label: t(`priority.${p}`) }))} />;
}

/** Ticket type; `""` is "No type" unless `first` says otherwise. */
export function TypeSelect(props: SelectProps) {
  return <ChoiceSelect {...props} first={props.first ?? [{ value: "", label: t("type.none") }]} choices={TICKET_TYPES.map((x: TicketType) => ({ value: x, label: t(`type.${x}`) }))} />;
}

/**
 * Assignee among the staff the server lists as assignable; `""` is "Unassigned" unless `first`
 * says otherwise. A current assignee the list does not hold (no longer assignable) stays visible.
 */
export function AssigneeSelect(props: SelectProps & { pickers: Pickers | null; current?: number | null }) {
  const agents = props.pickers?.agents ?? [];
  const missing = props.current != null && !agents.some((u) => u.id === props.current) ? [{ value: String(props.current), label: t("ticket.unknownUser", { id: props.current }) }] : [];
  return <ChoiceSelect {...props} first={props.first ?? [{ value: "", label: t("ticket.unassigned") }]} choices={[...missing, ...agents.map((u) => ({ value: String(u.id), label: u.name }))]} />;
}

/** Group; `""` is "No group" unless `first` says otherwise. */
export function GroupSelect(props: SelectProps & { pickers: Pickers | null }) {
  return <ChoiceSelect {...props} first={props.first ?? [{ value: "", label: t("props.noGroup") }]} choices={(props.pickers?.groups ?? []).map((g) => ({ value: String(g.id), label: g.name }))} />;
}

/** A custom ticket field's editor, by its type (text, number, date, dropdown, checkbox). */
export function CustomFieldInput(props: { idPrefix: string; field: TicketField; value: CustomFieldValue; onChange: (v: CustomFieldValue) => void; form?: string }) {
  const { field, value, form } = props;
  const id = `${props.idPrefix}-${field.id}`;
  // A field read-only for the caller's role is shown, not editable (the server refuses a change).
  const disabled = field.access !== "edit";
  const help = disabled ? t("props.readOnlyField") : undefined;
  switch (field.type) {
    case "checkbox":
      return (
        <div className="field checkbox">
          <input id={id} form={form} type="checkbox" checked={value === true} disabled={disabled} onChange={(e) => props.onChange(e.target.checked)} />
          <label htmlFor={id}>{field.title}</label>
          {help ? <span className="muted"> {help}</span> : null}
        </div>
      );
    case "tagger":
      return (
        <ChoiceSelect
          id={id}
          {...(form ? { form } : {})}
          label={field.title}
          disabled={disabled}
          {...(help ? { help } : {})}
          value={typeof value === "string" ? value : ""}
          onChange={(v) => props.onChange(v || null)}
          first={[{ value: "", label: t("props.noValue") }]}
          choices={field.custom_field_options.map((o) => ({ value: o.value, label: o.name }))}
        />
      );
    case "number":
      return (
        <Field id={id} label={field.title} help={help}>
          <input form={form} disabled={disabled} type="number" step="any" value={value === null ? "" : String(value)} onChange={(e) => props.onChange(e.target.value === "" ? null : Number(e.target.value))} />
        </Field>
      );
    case "date":
      return (
        <Field id={id} label={field.title} help={help}>
          <input form={form} disabled={disabled} type="date" value={typeof value === "string" ? value : ""} onChange={(e) => props.onChange(e.target.value || null)} />
        </Field>
      );
    default:
      return (
        <Field id={id} label={field.title} help={help}>
          <input form={form} disabled={disabled} value={typeof value === "string" ? value : ""} onChange={(e) => props.onChange(e.target.value || null)} maxLength={10_000} autoComplete="off" />
        </Field>
      );
  }
}
