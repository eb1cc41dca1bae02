import { useState, type FormEvent } from "react";
import { FilePicker, uploadsWhenDone, type PickedFile } from "../components/Files.tsx";
import { client, explain, ok } from "../api.ts";
import type { CustomFieldValue, NewTicket as NewTicketBody, Priority, TicketType } from "../api-schema.ts";
import { ErrorText, Field } from "../components/Field.tsx";
import { useApi } from "../data.tsx";
import { t } from "../i18n/index.ts";
import { navigate, PageHeading } from "../router.tsx";
import { AssigneeSelect, CustomFieldInput, GroupSelect, PrioritySelect, TypeSelect } from "./fields.tsx";
import { KEYS, loadTicketFields, parseTags } from "./model.ts";
import { useWorkspace } from "./workspace.ts";

/**
 * `/agent/tickets/new`: a ticket on someone's behalf (or the agent's own) with its properties —
 * priority, type, assignee, group, tags and the account's custom fields — then its page.
 */
export function NewTicket() {
  const { pickers, refreshCounts } = useWorkspace();
  // A new ticket offers the fields the caller's role may set (read-only ones would only be refused).
  const fields = (useApi(KEYS.ticketFields, loadTicketFields, { staleTime: 60_000 }).data ?? []).filter((f) => f.access === "edit");
  const [subject, setSubject] = useState("");
  const [requesterEmail, setRequesterEmail] = useState("");
  const [requesterName, setRequesterName] = useState("");
  const [description, setDescription] = useState("");
  const [priority, setPriority] = useState("");
  const [type, setType] = useState("");
  const [assignee, setAssignee] = useState("");
  const [group, setGroup] = useState("");
  const [tags, setTags] = useState("");
  const [custom, setCustom] = useState<Record<number, CustomFieldValue>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [files, setFiles] = useState<PickedFile[]>([]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    const uploads = await uploadsWhenDone(files);
    if (uploads === null) {
      setBusy(false);
      return setError(t("hc.files.failedMeanwhile"));
    }
    const ticket: NonNullable<NewTicketBody> = { subject, comment: { body: description, ...(uploads.length ? { uploads } : {}) } };
    if (requesterEmail.trim()) ticket.requester = { email: requesterEmail.trim(), ...(requesterName.trim() ? { name: requesterName.trim() } : {}) };
    if (priority) ticket.priority = priority as Priority;
    if (type) ticket.type = type as TicketType;
    if (assignee) ticket.assignee_id = Number(assignee);
    if (group) ticket.group_id = Number(group);
    const tagList = parseTags(tags);
    if (tagList.length) ticket.tags = tagList;
    const values = fields.filter((f) => custom[f.id] !== undefined && custom[f.id] !== null).map((f) => ({ id: f.id, value: custom[f.id] ?? null }));
    if (values.length) ticket.custom_fields = values;
    try {
      const r = await ok(client.POST("/api/v2/tickets", { body: { ticket } }));
      refreshCounts();
      navigate(`/agent/tickets/${r.ticket.id}`);
    } catch (err) {
      setBusy(false);
      setError(explain(err));
    }
  }

  return (
    <main id="main" className="main">
      <PageHeading>{t("new.title")}</PageHeading>
      <form onSubmit={submit} className="form" aria-busy={busy}>
        <Field id="new-subject" label={t("new.subject")}>
          <input value={subject} onChange={(e) => setSubject(e.target.value)} required maxLength={255} />
        </Field>
        <Field id="new-requester-email" label={t("new.requesterEmail")} help={t("new.requesterEmailHelp")}>
          <input type="email" value={requesterEmail} onChange={(e) => setRequesterEmail(e.target.value)} maxLength={254} autoComplete="off" />
        </Field>
        <Field id="new-requester-name" label={t("new.requesterName")} help={t("new.requesterNameHelp")}>
          <input value={requesterName} onChange={(e) => setRequesterName(e.target.value)} maxLength={255} autoComplete="off" />
        </Field>
        <Field id="new-description" label={t("new.description")}>
          <textarea value={description} onChange={(e) => setDescription(e.target.value)} required rows={6} />
        </Field>
        <FilePicker files={files} onChange={setFiles} disabled={busy} />
        <fieldset className="properties-set">
          <legend>{t("new.properties")}</legend>
          <div className="row">
            <PrioritySelect id="new-priority" label={t("new.priority")} value={priority} onChange={setPriority} />
            <TypeSelect id="new-type" label={t("props.type")} value={type} onChange={setType} />
            <AssigneeSelect id="new-assignee" label={t("props.assignee")} value={assignee} onChange={setAssignee} pickers={pickers} />
            <GroupSelect id="new-group" label={t("props.group")} value={group} onChange={setGroup} pickers={pickers} />
          </div>
          <Field id="new-tags" label={t("new.tags")} help={t("new.tagsHelp")}>
            <input value={tags} onChange={(e) => setTags(e.target.value)} autoComplete="off" spellCheck={false} />
          </Field>
          {fields.map((f) => (
            <CustomFieldInput key={f.id} idPrefix="new-custom" field={f} value={custom[f.id] ?? null} onChange={(v) => setCustom((c) => ({ ...c, [f.id]: v }))} />
          ))}
        </fieldset>
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {busy ? t("new.working") : t("new.submit")}
        </button>
      </form>
    </main>
  );
}
