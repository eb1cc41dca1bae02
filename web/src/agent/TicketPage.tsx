import { useEffect, useRef, useState, type FormEvent } from "react";
import { ApiError, client, explain, ok } from "../api.ts";
import type { Status, Ticket, TicketChange, User } from "../api-schema.ts";
import { ErrorText, Field, StatusText } from "../components/Field.tsx";
import { FilePicker, uploadsWhenDone, withoutSent, type PickedFile } from "../components/Files.tsx";
import { Loadable, useApi, useInvalidate } from "../data.tsx";
import { formatDate, t, type MessageKey } from "../i18n/index.ts";
import { Link, navigate, PageHeading, useLeaveGuard } from "../router.tsx";
import { PrioritySelect, StatusSelect } from "./fields.tsx";
import { KEYS, loadTicketFields } from "./model.ts";
import { MergePanel } from "./MergePanel.tsx";
import { RequesterPanel } from "./RequesterPanel.tsx";
import { SatisfactionBadge, showsSatisfaction } from "./SatisfactionBadge.tsx";
import { satisfactionOf } from "../satisfaction.ts";
import { changedProperties, changeOf, emptyDraft, shown, type Draft } from "./ticket-draft.ts";
import { withMacro, withoutMacro } from "./macro-draft.ts";
import { MacroPicker } from "./MacroPicker.tsx";
import { TicketConversation } from "./TicketConversation.tsx";
import { TicketHistory } from "./TicketHistory.tsx";
import { SlaBadges } from "./SlaBadges.tsx";
import { TicketProperties } from "./TicketProperties.tsx";
import { useWorkspace } from "./workspace.ts";

const FORM_ID = "ticket-update";

/** How the "unsaved changes" line names each property. */
const PROPERTY_LABEL: Partial<Record<keyof NonNullable<TicketChange>, MessageKey>> = {
  status: "ticket.status",
  subject: "macros.field.subject",
  priority: "ticket.priority",
  type: "props.type",
  assignee_id: "props.assignee",
  group_id: "props.group",
  custom_fields: "props.customFields",
  additional_tags: "ticket.tags",
  remove_tags: "ticket.tags",
};

/**
 * `/agent/tickets/:id`: the ticket's details, its whole conversation, the composer (reply or
 * note, status and priority, or submit as solved) and the properties panel. Everything the agent
 * changes is one draft saved by one "Update ticket" (one request, with Zendesk's safe update, so
 * someone else's change in between is not overwritten); until then the page says what is unsaved
 * and asks before the agent leaves it. What is offered follows the abilities the server sent: a
 * light agent gets the note composer only.
 */
export function TicketPage(props: { id: number }) {
  const { me, abilities, pickers, refreshCounts } = useWorkspace();
  // `abilities` (the session's) only chooses the composer's first choice; the ticket's own decide the rest.
  const invalidate = useInvalidate();
  const ticketState = useApi(KEYS.ticket(props.id), async (signal) => {
    const r = await ok(client.GET("/api/v2/tickets/{id}", { params: { path: { id: props.id }, query: { include: "users" } }, signal }));
    return { ticket: r.ticket, abilities: r.abilities, users: new Map((r.users ?? []).map((u) => [u.id, u as User])) };
  });
  const fieldsState = useApi(KEYS.ticketFields, loadTicketFields, { staleTime: 60_000 });
  const fields = fieldsState.data ?? [];
  const [draft, setDraft] = useState<Draft>(() => emptyDraft(abilities.can_reply_publicly));
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [deleting, setDeleting] = useState(false);
  // The form either side of each macro applied since the last save, latest last ("Undo macro" takes back what the macro did, keeps what was changed since).
  const [beforeMacros, setBeforeMacros] = useState<Array<{ id: number; title: string; draft: Draft; after: Draft }>>([]);
  const edit = (change: Partial<Draft>) => {
    setSaved(null);
    setDraft((d) => ({ ...d, ...change }));
  };

  const ticket = ticketState.data?.ticket;
  // What may be done with this ticket, as the server sent it with the ticket.
  const may = ticketState.data?.abilities;
  const rights = { canEditProperties: may?.can_edit_properties ?? false, canReplyPublicly: may?.can_reply_publicly ?? false };
  const pending = ticket ? changeOf(draft, ticket, fields, rights) : {};
  const unsaved = changedProperties(pending);
  const guard = useLeaveGuard(Object.keys(pending).length > 0 || files.length > 0);

  /** Sends `change` with the ticket's stamp; on success forgets what `done` says was saved. */
  async function save(change: NonNullable<TicketChange>, done: (d: Draft) => Draft, sent: readonly PickedFile[] = []): Promise<void> {
    if (!ticket) return;
    setError(null);
    setSaved(null);
    setBusy(true);
    try {
      await ok(client.PUT("/api/v2/tickets/{id}", { params: { path: { id: props.id } }, body: { ticket: { ...change, safe_update: true, updated_stamp: ticket.updated_at } } }));
      await invalidate(KEYS.ticket(props.id));
      setDraft(done);
      setBeforeMacros([]);
      if (change.comment) setFiles(withoutSent(sent));
      refreshCounts();
      setSaved(t("ticket.saved"));
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        // Someone changed the ticket meanwhile: show their change, keep ours for another try.
        setError(t("ticket.conflict"));
        void ticketState.reload();
      } else setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  /**
   * Makes someone else the requester, saved at once (with the ticket's stamp, as every save; the
   * rest of the draft stays as it is). Answers the sentence to show when it was not done.
   */
  async function changeRequester(id: number): Promise<string | null> {
    if (!ticket) return null;
    try {
      await ok(client.PUT("/api/v2/tickets/{id}", { params: { path: { id: props.id } }, body: { ticket: { requester_id: id, safe_update: true, updated_stamp: ticket.updated_at } } }));
      await invalidate(KEYS.ticket(props.id));
      return null;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        void ticketState.reload();
        return t("requester.conflict");
      }
      return explain(err);
    }
  }

  /** Moves the ticket to the trash, then opens Deleted tickets, where it can be restored. */
  async function remove() {
    setError(null);
    setBusy(true);
    try {
      await ok(client.DELETE("/api/v2/tickets/{id}", { params: { path: { id: props.id } } }));
      refreshCounts();
      await invalidate(KEYS.lists);
      navigate(`/agent/deleted-tickets?deleted=${props.id}`, { force: true });
    } catch (err) {
      setDeleting(false);
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  async function submit(e: FormEvent, solve = false) {
    e.preventDefault();
    if (!ticket) return;
    const change = changeOf(draft, ticket, fields, { solve, ...rights });
    setError(null);
    setBusy(true);
    const uploads = await uploadsWhenDone(files);
    setBusy(false);
    if (uploads === null) return setError(t("hc.files.failedMeanwhile"));
    if (uploads.length) {
      if (!change.comment) return setError(t("hc.files.needText"));
      change.comment.uploads = uploads;
    }
    if (Object.keys(change).length === 0) return setError(t("ticket.nothing"));
    // The macros applied since the last save (and not undone): the ticket's audit names them and each counts as one use.
    if (beforeMacros.length) change.macro_ids = [...new Set(beforeMacros.map((b) => b.id))];
    void save(change, (d) => emptyDraft(d.isPublic), files);
  }

  if (!ticket || !may) {
    return (
      <main id="main" className="main">
        <Loadable state={ticketState} loadingText={t("ticket.loading")}>
          {() => null}
        </Loadable>
        <p>
          <Link to="/agent">{t("ticket.back")}</Link>
        </p>
      </main>
    );
  }

  const users = ticketState.data?.users ?? new Map<number, User>();
  const nameOf = (id: number | null) => (id === null ? t("ticket.unassigned") : (users.get(id)?.name ?? t("ticket.unknownUser", { id })));
  const requester = users.get(ticket.requester_id);
  const now = shown(draft, ticket);
  // The statuses the server says this ticket may move to, and the one it has.
  const statusChoices: Status[] = may.statuses.includes(ticket.status) ? may.statuses : [ticket.status, ...may.statuses];
  const unsavedNames = [
    ...(pending.comment ? [t(pending.comment.public ? "ticket.unsavedReply" : "ticket.unsavedNote")] : []),
    ...[...new Set(unsaved.map((k) => PROPERTY_LABEL[k]).filter((k): k is MessageKey => k !== undefined))].map((k) => t(k)),
  ];
  /** What deleting would throw away: the unsaved reply, changes and files, named (empty: nothing). */
  const lost = [...unsavedNames, ...(files.length ? [t("ticket.unsavedFiles")] : [])].join(", ");

  return (
    <main id="main" className="main ticket">
      <p className="back">
        <Link to="/agent">← {t("ticket.back")}</Link>
      </p>
      <PageHeading>{t("ticket.title", { id: ticket.id, subject: ticket.subject })}</PageHeading>
      {guard.leavingTo ? <LeavePrompt onStay={guard.stay} onLeave={guard.leave} /> : null}
      <div className="ticket-layout">
        {/* Details, then the properties: before the conversation, so on a phone "Update ticket" comes after every field it saves. */}
        <div className="ticket-side">
        <SlaBadges ticketId={ticket.id} />
        <section className="details" aria-labelledby="details-heading">
          <h2 id="details-heading">{t("ticket.details")}</h2>
          <dl>
            <dt>{t("ticket.status")}</dt>
            <dd>
              <span className={`badge status-${ticket.status}`}>{t(`status.${ticket.status}`)}</span>
            </dd>
            {showsSatisfaction(satisfactionOf(ticket)) ? (
              <>
                <dt>{t("csat.label")}</dt>
                <dd className="satisfaction">
                  <SatisfactionBadge rating={satisfactionOf(ticket)} />
                </dd>
              </>
            ) : null}
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
              {ticket.assignee_id !== me.id && may.can_edit_properties && may.can_be_assigned ? (
                // Saves the assignee alone; the rest of the draft stays as it is.
                <button type="button" className="small" disabled={busy} onClick={() => void save({ assignee_id: me.id }, (d) => ({ ...d, assignee: undefined }))}>
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
        {may.can_edit_properties ? <TicketProperties form={FORM_ID} ticket={ticket} fields={fields} draft={draft} onDraft={edit} /> : null}
        {may.can_delete ? (
          deleting ? (
            <div className="panel" role="alertdialog" aria-labelledby="delete-heading" aria-describedby={lost ? "delete-text delete-unsaved" : "delete-text"}>
              <h2 id="delete-heading">{t("ticket.deleteConfirmTitle")}</h2>
              <p id="delete-text">{t("ticket.deleteConfirmText")}</p>
              {/* Deleting leaves the page without the leave guard's question: what is unsaved is named here. */}
              {lost ? (
                <p id="delete-unsaved">
                  <strong>{t("ticket.deleteLosesUnsaved", { fields: lost })}</strong>
                </p>
              ) : null}
              <div className="actions">
                <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
                  {t("ticket.deleteConfirm")}
                </button>
                {/* Focus on the safe choice, so the keyboard reaches the confirmation at once. */}
                <button type="button" className="secondary" disabled={busy} onClick={() => setDeleting(false)} autoFocus>
                  {t("ticket.deleteCancel")}
                </button>
              </div>
            </div>
          ) : (
            <p className="actions">
              <button type="button" className="secondary small" disabled={busy} onClick={() => setDeleting(true)}>
                {t("ticket.delete")}
              </button>
            </p>
          )
        ) : null}
        {may.can_edit_properties ? (
          <MergePanel
            ticketId={ticket.id}
            canReplyPublicly={may.can_reply_publicly}
            busy={busy}
            onMerged={async () => {
              refreshCounts();
              await invalidate(KEYS.lists);
              await invalidate(KEYS.ticket(props.id));
            }}
          />
        ) : null}
        </div>

        <section className="conversation" aria-labelledby="conversation-heading">
          <h2 id="conversation-heading">{t("ticket.conversation")}</h2>
          <TicketConversation ticketId={ticket.id} users={users} canRedact={may.can_redact} />

          {!may.can_add_internal_notes && !may.can_reply_publicly ? (
            <p>{ticket.status === "closed" ? t("ticket.closed") : t("ticket.readOnly")}</p>
          ) : (
            <form id={FORM_ID} className={draft.isPublic ? "composer" : "composer note"} onSubmit={(e) => void submit(e)} aria-busy={busy} aria-labelledby="composer-heading">
              <h2 id="composer-heading">{t("ticket.composer")}</h2>
              {may.can_reply_publicly ? (
                <fieldset className="choice">
                  <legend>{t("ticket.kind")}</legend>
                  <label>
                    <input type="radio" name="comment-kind" checked={draft.isPublic} onChange={() => edit({ isPublic: true })} /> {t("ticket.publicReply")}
                  </label>
                  <label>
                    <input type="radio" name="comment-kind" checked={!draft.isPublic} onChange={() => edit({ isPublic: false })} /> {t("ticket.internalNote")}
                  </label>
                </fieldset>
              ) : (
                <p className="muted">{t("ticket.notesOnly")}</p>
              )}
              <div className="macro-bar">
                <MacroPicker
                  ticketId={ticket.id}
                  disabled={busy}
                  onApplied={(m, applied) => {
                    const after = withMacro(draft, ticket, applied, m.actions);
                    setBeforeMacros((b) => [...b, { id: m.id, title: m.title, draft, after }]);
                    edit(after);
                    document.getElementById("comment-body")?.focus();
                  }}
                />
                {beforeMacros.length ? (
                  <p className="macro-applied">
                    <span role="status">{t("macros.applied", { title: beforeMacros[beforeMacros.length - 1]!.title })}</span>
                    <button
                      type="button"
                      className="secondary small"
                      onClick={() => {
                        const last = beforeMacros[beforeMacros.length - 1]!;
                        setBeforeMacros((b) => b.slice(0, -1));
                        setSaved(null);
                        setDraft(withoutMacro(draft, last.draft, last.after));
                      }}
                    >
                      {t("macros.undo")}
                    </button>
                  </p>
                ) : null}
                {draft.subject !== undefined && draft.subject !== ticket.subject ? <p className="muted">{t("macros.newSubject", { subject: draft.subject })}</p> : null}
              </div>
              <Field id="comment-body" label={draft.isPublic ? t("ticket.replyLabel") : t("ticket.noteLabel")} help={draft.isPublic ? undefined : t("ticket.noteHint")}>
                <textarea value={draft.body} onChange={(e) => edit({ body: e.target.value })} rows={5} />
              </Field>
              <FilePicker files={files} onChange={setFiles} disabled={busy} />
              {may.can_edit_properties ? (
                <div className="row">
                  <StatusSelect id="ticket-status" label={t("ticket.status")} value={now.status} onChange={(v) => edit({ status: v as Status })} only={statusChoices} />
                  <PrioritySelect
                    id="ticket-priority"
                    label={t("ticket.priority")}
                    value={now.priority ?? ""}
                    onChange={(v) => edit({ priority: v ? (v as NonNullable<Ticket["priority"]>) : null })}
                  />
                </div>
              ) : null}
              <ErrorText text={error} />
              <StatusText text={saved ?? (unsavedNames.length ? t("ticket.unsaved", { fields: unsavedNames.join(", ") }) : null)} />
              <div className="actions">
                <button type="submit" disabled={busy}>
                  {busy ? t("ticket.working") : t("ticket.submit")}
                </button>
                {ticket.status !== "solved" && may.statuses.includes("solved") ? (
                  <button type="button" className="secondary" disabled={busy} onClick={(e) => void submit(e, true)}>
                    {t("ticket.solve")}
                  </button>
                ) : null}
              </div>
            </form>
          )}
        </section>
        <aside className="side-panels">
          <RequesterPanel requesterId={ticket.requester_id} ticketId={ticket.id} canChange={may.can_edit_properties} onChangeRequester={changeRequester} />
          <TicketHistory ticketId={ticket.id} fields={fields} />
        </aside>
      </div>
    </main>
  );
}

/** Asked when the agent tries to leave with unsaved changes: stay (the default), or leave and lose them. */
function LeavePrompt(props: { onStay: () => void; onLeave: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div ref={ref} className="leave-prompt" role="alertdialog" aria-labelledby="leave-heading" aria-describedby="leave-text" tabIndex={-1}>
      <h2 id="leave-heading">{t("ticket.leave.title")}</h2>
      <p id="leave-text">{t("ticket.leave.text")}</p>
      <div className="actions">
        <button type="button" onClick={props.onStay}>
          {t("ticket.leave.stay")}
        </button>
        <button type="button" className="danger" onClick={props.onLeave}>
          {t("ticket.leave.leave")}
        </button>
      </div>
    </div>
  );
}
