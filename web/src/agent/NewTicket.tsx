import { useState, type FormEvent } from "react";
import { api, explain } from "../api.ts";
import { ErrorText, Field } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { navigate, PageHeading } from "../router.tsx";
import { useWorkspace } from "./workspace.ts";
import { parseTags, PRIORITIES, type Ticket } from "./model.ts";

/** `/agent/tickets/new`: a ticket on someone's behalf (or the agent's own), then its page. */
export function NewTicket() {
  const { refreshCounts } = useWorkspace();
  const [subject, setSubject] = useState("");
  const [requesterEmail, setRequesterEmail] = useState("");
  const [requesterName, setRequesterName] = useState("");
  const [description, setDescription] = useState("");
  const [priority, setPriority] = useState("");
  const [tags, setTags] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    const ticket: Record<string, unknown> = { subject, comment: { body: description } };
    if (requesterEmail.trim()) ticket.requester = { email: requesterEmail.trim(), ...(requesterName.trim() ? { name: requesterName.trim() } : {}) };
    if (priority) ticket.priority = priority;
    const tagList = parseTags(tags);
    if (tagList.length) ticket.tags = tagList;
    try {
      const r = await api<{ ticket: Ticket }>("POST", "tickets.json", { ticket });
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
        <Field id="new-priority" label={t("new.priority")}>
          <select value={priority} onChange={(e) => setPriority(e.target.value)}>
            <option value="">{t("priority.none")}</option>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {t(`priority.${p}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="new-tags" label={t("new.tags")} help={t("new.tagsHelp")}>
          <input value={tags} onChange={(e) => setTags(e.target.value)} autoComplete="off" spellCheck={false} />
        </Field>
        <ErrorText text={error} />
        <button type="submit" disabled={busy}>
          {busy ? t("new.working") : t("new.submit")}
        </button>
      </form>
    </main>
  );
}
