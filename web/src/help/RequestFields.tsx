import type { HelpCenterInfo } from "../api-schema.ts";
import { Field } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";

/**
 * The account's custom fields in the help center: an editor for those the request form offers
 * (editable in the portal) and the values of those shown on a request (visible in the portal).
 * Titles and option names are the account's own words, shown as they wrote them.
 */
export type CustomValue = string | number | boolean | null;
type FormField = HelpCenterInfo["request_fields"][number];

export function RequestFieldInput(props: { field: FormField; value: CustomValue; onChange: (v: CustomValue) => void }) {
  const { field, value } = props;
  const id = `hc-field-${field.id}`;
  switch (field.type) {
    case "checkbox":
      return (
        <label className="check">
          <input id={id} type="checkbox" checked={value === true} onChange={(e) => props.onChange(e.target.checked || null)} /> {field.title}
        </label>
      );
    case "tagger":
      return (
        <Field id={id} label={field.title}>
          <select value={typeof value === "string" ? value : ""} onChange={(e) => props.onChange(e.target.value || null)}>
            <option value="">{t("hc.field.choose")}</option>
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
          <input value={typeof value === "string" ? value : ""} onChange={(e) => props.onChange(e.target.value || null)} maxLength={10_000} />
        </Field>
      );
  }
}

/** A request's portal field values as a definition list; an option shows its name, a checkbox yes or no. */
export function RequestFieldValues(props: { values: ReadonlyArray<{ id: number; value: unknown }>; fields: ReadonlyArray<{ id: number; type: string; title: string; custom_field_options: ReadonlyArray<{ name: string; value: string }> }> }) {
  const shown = props.values.flatMap((v) => {
    const f = props.fields.find((x) => x.id === v.id);
    if (!f || v.value === null || v.value === undefined || v.value === "") return [];
    const text = f.type === "checkbox" ? (v.value === true ? t("hc.field.yes") : t("hc.field.no")) : f.type === "tagger" ? (f.custom_field_options.find((o) => o.value === v.value)?.name ?? String(v.value)) : String(v.value);
    return [{ id: f.id, title: f.title, text }];
  });
  if (!shown.length) return null;
  return (
    <dl className="request-fields">
      {shown.map((x) => (
        <div key={x.id}>
          <dt>{x.title}</dt>
          <dd>{x.text}</dd>
        </div>
      ))}
    </dl>
  );
}
