import type { Ticket, TicketField } from "../api-schema.ts";
import { Field } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { AssigneeSelect, CustomFieldInput, GroupSelect, TypeSelect } from "./fields.tsx";
import { shown, type Draft } from "./ticket-draft.ts";
import { useWorkspace } from "./workspace.ts";

/**
 * The ticket's properties for agents who may change them: type, assignee (staff tickets can be
 * assigned to, as the server lists them), group, tags (remove some, add some) and custom fields
 * of the five types. The panel edits the page's draft; its controls belong to the page's update
 * form (`form`), so "Update ticket" saves them together with the reply, in one request.
 */
export function TicketProperties(props: { form: string; ticket: Ticket; fields: readonly TicketField[]; draft: Draft; onDraft: (change: Partial<Draft>) => void }) {
  const { ticket, draft } = props;
  const { pickers } = useWorkspace();
  const now = shown(draft, ticket);
  const idOrNull = (v: string) => (v ? Number(v) : null);
  return (
    <section className="properties" aria-labelledby="props-heading">
      <h2 id="props-heading">{t("props.title")}</h2>
      <p className="help">{t("props.savedWith")}</p>
      <TypeSelect form={props.form} id="prop-type" label={t("props.type")} value={now.type ?? ""} onChange={(v) => props.onDraft({ type: v ? (v as NonNullable<Ticket["type"]>) : null })} />
      <AssigneeSelect
        form={props.form}
        id="prop-assignee"
        label={t("props.assignee")}
        value={now.assignee === null ? "" : String(now.assignee)}
        onChange={(v) => props.onDraft({ assignee: idOrNull(v) })}
        pickers={pickers}
        current={ticket.assignee_id}
      />
      <GroupSelect form={props.form} id="prop-group" label={t("props.group")} value={now.group === null ? "" : String(now.group)} onChange={(v) => props.onDraft({ group: idOrNull(v) })} pickers={pickers} />
      <fieldset className="tag-editor">
        <legend>{t("ticket.tags")}</legend>
        {ticket.tags.length ? (
          <ul>
            {ticket.tags.map((tag) => {
              const removing = draft.removeTags.includes(tag);
              return (
                <li key={tag} className={removing ? "removing" : undefined}>
                  <span>{removing ? t("props.tagRemoving", { tag }) : tag}</span>
                  <button
                    type="button"
                    className="small"
                    aria-label={removing ? t("props.keepTag", { tag }) : t("props.removeTag", { tag })}
                    aria-pressed={removing}
                    onClick={() => props.onDraft({ removeTags: removing ? draft.removeTags.filter((x) => x !== tag) : [...draft.removeTags, tag] })}
                  >
                    {removing ? t("props.undo") : "×"}
                  </button>
                </li>
              );
            })}
          </ul>
        ) : (
          <p className="muted">{t("ticket.noTags")}</p>
        )}
        <Field id="prop-add-tags" label={t("props.addTags")} help={t("new.tagsHelp")}>
          <input form={props.form} value={draft.addTags} onChange={(e) => props.onDraft({ addTags: e.target.value })} autoComplete="off" spellCheck={false} />
        </Field>
      </fieldset>
      {props.fields.map((f) => (
        <CustomFieldInput
          key={f.id}
          form={props.form}
          idPrefix="custom"
          field={f}
          value={now.custom(f.id)}
          onChange={(v) => props.onDraft({ custom: { ...draft.custom, [f.id]: v } })}
        />
      ))}
    </section>
  );
}
