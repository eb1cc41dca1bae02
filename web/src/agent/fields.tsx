import { Field } from "../components/Field.tsx";
import { TypeAhead, type TypeAheadOption } from "../components/TypeAhead.tsx";
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

/** How many agents or groups a picker lists as a plain drop-down; past it, it adds a type-ahead. */
export const SHORT_LIST = 100;
/** How many matches the type-ahead offers at once (type more to narrow them). */
const MATCHES = 20;

/**
 * Whether every word typed starts a word of the name, or the e-mail address ("ada lov" finds
 * Ada Lovelace, "ada@ex" ada@example.com), ignoring case.
 */
export function matches(text: string, name: string, email?: string | null): boolean {
  const words = text.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return false;
  const own = name.toLocaleLowerCase().split(/[\s,.()'"-]+/).filter(Boolean);
  const address = email?.toLocaleLowerCase() ?? "";
  return words.every((w) => own.some((o) => o.startsWith(w)) || (address !== "" && address.startsWith(w)));
}

/**
 * A drop-down of the `first` choices and the property's values; when there are more values than
 * SHORT_LIST, the drop-down holds only the `first` choices and the chosen value (by its name), and
 * a type-ahead under it finds any other value by the start of its name (or e-mail address).
 */
function LongSelect(props: SelectProps & { choices: readonly (Choice & { detail?: string | null })[]; findLabel: string; findHelp: string }) {
  const { choices, findLabel, findHelp, ...rest } = props;
  if (choices.length <= SHORT_LIST) return <ChoiceSelect {...rest} choices={choices} />;
  const chosen = choices.filter((c) => c.value === props.value);
  const search = (text: string): Promise<TypeAheadOption[]> =>
    Promise.resolve(
      choices
        .filter((c) => matches(text, c.label, c.detail))
        .slice(0, MATCHES)
        .map((c) => ({ id: Number(c.value), label: c.label, detail: c.detail ?? null })),
    );
  return (
    <div className="long-select">
      <ChoiceSelect {...rest} choices={chosen} />
      <TypeAhead id={`${props.id}-find`} label={findLabel} help={findHelp} search={search} onPick={(o) => props.onChange(String(o.id))} disabled={props.disabled} />
    </div>
  );
}

/**
 * Assignee among the staff the server lists as assignable; `""` is "Unassigned" unless `first`
 * says otherwise. A current assignee the list does not hold (no longer assignable) stays visible.
 * Past SHORT_LIST agents, others are found by typing the start of a name or e-mail address.
 */
export function AssigneeSelect(props: SelectProps & { pickers: Pickers | null; current?: number | null }) {
  const { pickers, current, ...rest } = props;
  const agents = pickers?.agents ?? [];
  const missing = current != null && !agents.some((u) => u.id === current) ? [{ value: String(current), label: t("ticket.unknownUser", { id: current }) }] : [];
  return (
    <LongSelect
      {...rest}
      first={props.first ?? [{ value: "", label: t("ticket.unassigned") }]}
      choices={[...missing, ...agents.map((u) => ({ value: String(u.id), label: u.name, detail: u.email }))]}
      findLabel={t("picker.findAgent", { label: props.label })}
      findHelp={t("picker.findAgentHelp", { count: agents.length })}
    />
  );
}

/** Group; `""` is "No group" unless `first` says otherwise. Past SHORT_LIST groups, others are found by typing. */
export function GroupSelect(props: SelectProps & { pickers: Pickers | null }) {
  const { pickers, ...rest } = props;
  const groups = pickers?.groups ?? [];
  return (
    <LongSelect
      {...rest}
      first={props.first ?? [{ value: "", label: t("props.noGroup") }]}
      choices={groups.map((g) => ({ value: String(g.id), label: g.name }))}
      findLabel={t("picker.findGroup", { label: props.label })}
      findHelp={t("picker.findGroupHelp", { count: groups.length })}
    />
  );
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
