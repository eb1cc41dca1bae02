import { useCallback, useEffect, useState, type FormEvent } from "react";
import { api, explain } from "../api.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link, PageHeading } from "../router.tsx";
import { PRIORITIES, type Comment, type Status, type Ticket, type User } from "./model.ts";
import { RequesterPanel } from "./RequesterPanel.tsx";
import { TicketHistory } from "./TicketHistory.tsx";
import { TicketProperties } from "./TicketProperties.tsx";
import { useWorkspace } from "./workspace.ts";

type Loaded = { ticket: Ticket; comments: Comment[]; users: Map<number, User> };

/**
 * `/agent/tickets/:id`: the conversation (public replies and internal notes told apart by label,
 * colour and border, not colour alone), the ticket's details, and the composer: reply or note,
 * status and priority, or submit as solved. Comments are shown as plain text. What is offered
 * follows the abilities the server sent: a light agent gets the note composer only.
 */
export function TicketPage(props: { id: number }) {
  const { me, abilities, pickers, refreshCounts } = useWorkspace();
  const [data, setData] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [body, setBody] = useState("");
  const [isPublic, setIsPublic] = useState(abilities.can_reply_publicly);
  const [status, setStatus] = useState<Status>("open");
  const [priority, setPriority] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    const [tk, cs] = await Promise.all([
      api<{ ticket: Ticket; users?: User[] }>("GET", `tickets/${props.id}.json?include=users`),
      api<{ comments: Comment[]; users?: User[] }>("GET", `tickets/${props.id}/comments.json?include=users&per_page=100`),
    ]);
    const users = new Map([...(tk.users ?? []), ...(cs.users ?? [])].map((u) => [u.id, u]));
    setData({ ticket: tk.ticket, comments: cs.comments, users });
    setStatus(tk.ticket.status);
    setPriority(tk.ticket.priority ?? "");
  }, [props.id]);

  useEffect(() => {
    load().catch((err: unknown) => setLoadError(explain(err)));
  }, [load]);

  /** Saves a change; the error goes to the composer, or is returned to a panel that shows its own. */
  async function save(change: Record<string, unknown>, clearDraft: boolean, panel = false): Promise<string | null> {
    setError(null);
    setSaved(null);
    setBusy(true);
    try {
      await api("PUT", `tickets/${props.id}.json`, { ticket: change });
      if (clearDraft) setBody("");
      await load();
      refreshCounts();
      setSaved(t("ticket.saved"));
      return null;
    } catch (err) {
      if (!panel) setError(explain(err));
      return explain(err);
    } finally {
      setBusy(false);
    }
  }

  function submit(e: FormEvent, solve = false) {
    e.preventDefault();
    if (!data) return;
    const change: Record<string, unknown> = {};
    if (body.trim()) change.comment = { body, public: isPublic && abilities.can_reply_publicly };
    if (abilities.can_edit_properties) {
      const newStatus = solve ? "solved" : status;
      if (newStatus !== data.ticket.status) change.status = newStatus;
      if ((priority || null) !== data.ticket.priority) change.priority = priority || null;
    }
    if (Object.keys(change).length === 0) return setError(t("ticket.nothing"));
    void save(change, "comment" in change);
  }

  if (!data) {
    return (
      <main id="main" className="main">
        {loadError ? <ErrorText text={loadError} /> : <p role="status">{t("ticket.loading")}</p>}
        <p>
          <Link to="/agent">{t("ticket.back")}</Link>
        </p>
      </main>
    );
  }

  const { ticket, comments, users } = data;
  const nameOf = (id: number | null) => (id === null ? t("ticket.unassigned") : (users.get(id)?.name ?? t("ticket.unknownUser", { id })));
  const requester = users.get(ticket.requester_id);
  const statusChoices: Status[] = ticket.status === "new" ? ["new", "open", "pending", "hold", "solved"] : ["open", "pending", "hold", "solved"];

  return (
    <main id="main" className="main ticket">
      <p className="back">
        <Link to="/agent">← {t("ticket.back")}</Link>
      </p>
      <PageHeading>{t("ticket.title", { id: ticket.id, subject: ticket.subject })}</PageHeading>
      <div className="ticket-layout">
        <section className="details" aria-labelledby="details-heading">
          <h2 id="details-heading">{t("ticket.details")}</h2>
          <dl>
            <dt>{t("ticket.status")}</dt>
            <dd>
              <span className={`badge status-${ticket.status}`}>{t(`status.${ticket.status}`)}</span>
            </dd>
            <dt>{t("ticket.priority")}</dt>
            <dd>{ticket.priority ? t(`priority.${ticket.priority}`) : t("priority.none")}</dd>
            <dt>{t("ticket.requester")}</dt>
            <dd>
              {nameOf(ticket.requester_id)}
              {requester?.email ? <span className="muted"> &lt;{requester.email}&gt;</span> : null}
            </dd>
            <dt>{t("ticket.assignee")}</dt>
            <dd>
              {nameOf(ticket.assignee_id)}
              {ticket.assignee_id !== me.id && ticket.status !== "closed" && abilities.can_edit_properties && abilities.can_be_assigned ? (
                <button type="button" className="small" disabled={busy} onClick={() => void save({ assignee_id: me.id }, false)}>
                  {t("ticket.assignToMe")}
                </button>
              ) : null}
            </dd>
            <dt>{t("props.type")}</dt>
            <dd>{ticket.type ? t(`type.${ticket.type}`) : t("type.none")}</dd>
            <dt>{t("props.group")}</dt>
            <dd>{ticket.group_id === null ? t("props.noGroup") : (pickers?.groups.find((g) => g.id === ticket.group_id)?.name ?? t("props.groupN", { id: ticket.group_id }))}</dd>
            <dt>{t("ticket.tags")}</dt>
            <dd>
              {ticket.tags.length ? (
                <ul className="tags">
                  {ticket.tags.map((tag) => (
                    <li key={tag}>{tag}</li>
                  ))}
                </ul>
              ) : (
                t("ticket.noTags")
              )}
            </dd>
            <dt>{t("ticket.created")}</dt>
            <dd>
              <time dateTime={ticket.created_at}>{formatDate(ticket.created_at)}</time>
            </dd>
            <dt>{t("ticket.updated")}</dt>
            <dd>
              <time dateTime={ticket.updated_at}>{formatDate(ticket.updated_at)}</time>
            </dd>
          </dl>
        </section>

        <section className="conversation" aria-labelledby="conversation-heading">
          <h2 id="conversation-heading">{t("ticket.conversation")}</h2>
          <ol>
            {comments.map((c) => (
              <li key={c.id}>
                <article className={c.public ? "comment public" : "comment note"}>
                  <header>
                    <span className="kind">{c.public ? t("ticket.publicReply") : t("ticket.internalNote")}</span>
                    <span className="author">{nameOf(c.author_id)}</span>
                    <time dateTime={c.created_at}>{formatDate(c.created_at)}</time>
                  </header>
                  <p className="comment-body">{c.body}</p>
                </article>
              </li>
            ))}
          </ol>

          {ticket.status === "closed" ? (
            <p>{t("ticket.closed")}</p>
          ) : (
            <form className={isPublic ? "composer" : "composer note"} onSubmit={(e) => submit(e)} aria-busy={busy} aria-labelledby="composer-heading">
              <h2 id="composer-heading">{t("ticket.composer")}</h2>
              {abilities.can_reply_publicly ? (
                <fieldset className="choice">
                  <legend>{t("ticket.kind")}</legend>
                  <label>
                    <input type="radio" name="comment-kind" checked={isPublic} onChange={() => setIsPublic(true)} /> {t("ticket.publicReply")}
                  </label>
                  <label>
                    <input type="radio" name="comment-kind" checked={!isPublic} onChange={() => setIsPublic(false)} /> {t("ticket.internalNote")}
                  </label>
                </fieldset>
              ) : (
                <p className="muted">{t("ticket.notesOnly")}</p>
              )}
              <Field id="comment-body" label={isPublic ? t("ticket.replyLabel") : t("ticket.noteLabel")} help={isPublic ? undefined : t("ticket.noteHint")}>
                <textarea value={body} onChange={(e) => setBody(e.target.value)} rows={5} />
              </Field>
              {abilities.can_edit_properties ? (
              <div className="row">
                <Field id="ticket-status" label={t("ticket.status")}>
                  <select value={status} onChange={(e) => setStatus(e.target.value as Status)}>
                    {statusChoices.map((s) => (
                      <option key={s} value={s}>
                        {t(`status.${s}`)}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field id="ticket-priority" label={t("ticket.priority")}>
                  <select value={priority} onChange={(e) => setPriority(e.target.value)}>
                    <option value="">{t("priority.none")}</option>
                    {PRIORITIES.map((p) => (
                      <option key={p} value={p}>
                        {t(`priority.${p}`)}
                      </option>
                    ))}
                  </select>
                </Field>
              </div>
              ) : null}
              <ErrorText text={error} />
              <StatusText text={saved} />
              <div className="actions">
                <button type="submit" disabled={busy}>
                  {busy ? t("ticket.working") : t("ticket.submit")}
                </button>
                {ticket.status !== "solved" && abilities.can_edit_properties ? (
                  <button type="button" className="secondary" disabled={busy} onClick={(e) => submit(e, true)}>
                    {t("ticket.solve")}
                  </button>
                ) : null}
              </div>
            </form>
          )}
        </section>
        <aside className="side-panels">
          {abilities.can_edit_properties && ticket.status !== "closed" ? <TicketProperties key={ticket.updated_at} ticket={ticket} busy={busy} onSave={(change) => save(change, false, true)} /> : null}
          <RequesterPanel requesterId={ticket.requester_id} ticketId={ticket.id} />
          <TicketHistory ticketId={ticket.id} version={ticket.updated_at} />
        </aside>
      </div>
    </main>
  );
}
