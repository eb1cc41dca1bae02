import { useState, type FormEvent } from "react";
import { client, explain, ok } from "../api.ts";
import { nextCursor, type Attachment, type User } from "../api-schema.ts";
import { AttachmentList } from "../components/Files.tsx";
import { ErrorText, Field } from "../components/Field.tsx";
import { LoadError, useApiPages, useInvalidate } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { KEYS } from "./model.ts";

/** Comments per request; the API's cursor pages go up to 100. */
export const COMMENTS_PAGE = 100;

/**
 * The conversation, oldest first, however long it is: the API's cursor pages are read newest
 * first (`sort_order=desc`, `page[size]`, `page[after]`), so the latest replies sit next to the
 * composer at once, and "Show earlier messages" reads the page before, until the first comment.
 * Public replies and internal notes are told apart by label, colour and border (not colour alone);
 * comments are shown as plain text. A comment written in someone else's name says who wrote it;
 * one sent through the help center's form by nobody signed in says so (its sender is unproven).
 * Staff whose role allows redaction (`can_redact`) remove a file, or a text from a comment, for
 * good (RedactText).
 */
export function TicketConversation(props: { ticketId: number; users: Map<number, User>; canRedact: boolean }) {
  const [notice, setNotice] = useState<string | null>(null);
  const pages = useApiPages(
    [...KEYS.ticket(props.ticketId), "comments"],
    async (cursor, signal) => {
      const r = await ok(
        client.GET("/api/v2/tickets/{id}/comments", {
          params: { path: { id: props.ticketId }, query: { include: "users", sort_order: "desc", page: cursor ? { size: COMMENTS_PAGE, after: cursor } : { size: COMMENTS_PAGE } } },
          signal,
        }),
      );
      return { comments: r.comments, users: r.users ?? [], next: nextCursor(r) };
    },
    (page) => page.next,
  );
  const loaded = pages.data ?? [];
  const comments = loaded.flatMap((p) => p.comments).reverse();
  const users = new Map([...props.users, ...loaded.flatMap((p) => p.users).map((u) => [u.id, u] as const)]);
  const nameOf = (id: number) => users.get(id)?.name ?? t("ticket.unknownUser", { id });
  const invalidate = useInvalidate();
  const firstId = pages.hasMore ? undefined : comments[0]?.id;

  async function redact(commentId: number, a: Attachment) {
    setNotice(null);
    try {
      await ok(client.PUT("/api/v2/tickets/{ticket_id}/comments/{comment_id}/attachments/{id}/redact", { params: { path: { ticket_id: props.ticketId, comment_id: commentId, id: a.id } } }));
      setNotice(t("ticket.redacted"));
      await pages.reload();
    } catch (err) {
      setNotice(explain(err));
    }
  }

  return (
    <>
      {notice ? <p role="status">{notice}</p> : null}
      {pages.error ? <LoadError error={pages.error} retry={() => void pages.reload()} busy={pages.loading} /> : null}
      {!pages.data && !pages.error ? <p role="status">{t("ticket.loadingConversation")}</p> : null}
      {pages.hasMore ? (
        <p className="earlier">
          <button type="button" className="secondary" onClick={() => void pages.loadMore()} disabled={pages.loadingMore}>
            {pages.loadingMore ? t("ticket.loadingEarlier") : t("ticket.showEarlier")}
          </button>
        </p>
      ) : null}
      <ol aria-label={t("ticket.messages", { count: comments.length })}>
        {comments.map((c) => (
          <li key={c.id}>
            <article className={c.public ? "comment public" : "comment note"}>
              <header>
                <span className="kind">{c.public ? t("ticket.publicReply") : t("ticket.internalNote")}</span>
                <span className="author">{nameOf(c.author_id)}</span>
                {c.via.channel === "email" ? (
                  <span className="writer">
                    {t("mail.ticket.byEmail")}{" "}
                    {/* The message as received, as a download (served with attachment disposition and a sandbox CSP). */}
                    <a href={`/api/v2/tickets/${props.ticketId}/comments/${c.id}/original`} download>
                      {t("mail.ticket.original")}
                    </a>
                  </span>
                ) : c.written_by_id === null ? (
                  <span className="writer">{t("ticket.notSignedIn")}</span>
                ) : c.written_by_id !== c.author_id ? (
                  <span className="writer">{t("ticket.writtenBy", { name: nameOf(c.written_by_id) })}</span>
                ) : null}
                <time dateTime={c.created_at}>{formatDate(c.created_at)}</time>
              </header>
              <p className="comment-body">{c.body}</p>
              <AttachmentList attachments={c.attachments} onRedact={props.canRedact ? (a) => void redact(c.id, a) : undefined} />
              {props.canRedact ? (
                <RedactText
                  ticketId={props.ticketId}
                  commentId={c.id}
                  body={c.body}
                  first={c.id === firstId}
                  onDone={async (message) => {
                    setNotice(message);
                    // The first comment's redaction may reach the subject: the ticket is read again too.
                    await invalidate(KEYS.ticket(props.ticketId));
                  }}
                />
              ) : null}
            </article>
          </li>
        ))}
      </ol>
    </>
  );
}

/**
 * Redacting a text from one comment, for good (`PUT …/comments/{id}/redact`): every occurrence
 * becomes ▇ marks in the comment, its history and the search index, and in the subject too when it
 * is the ticket's first comment. Opened per comment; says when the comment did not hold the text.
 */
function RedactText(props: { ticketId: number; commentId: number; body: string; first: boolean; onDone: (message: string) => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = `redact-${props.commentId}`;
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await ok(client.PUT("/api/v2/tickets/{ticket_id}/comments/{id}/redact", { params: { path: { ticket_id: props.ticketId, id: props.commentId } }, body: { text } }));
      const changed = r.comment.body !== props.body;
      setOpen(false);
      setText("");
      await props.onDone(changed ? t("ticket.redactTextDone") : props.first ? t("ticket.redactTextSubjectOnly") : t("ticket.redactTextNone"));
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }
  if (!open)
    return (
      <p className="actions">
        <button type="button" className="link" onClick={() => setOpen(true)} aria-label={t("ticket.redactTextFor", { id: props.commentId })}>
          {t("ticket.redactText")}
        </button>
      </p>
    );
  return (
    <form onSubmit={(e) => void submit(e)} aria-busy={busy} className="inline-form">
      <Field id={id} label={t("ticket.redactTextLabel")} help={props.first ? t("ticket.redactTextHelpFirst") : t("ticket.redactTextHelp")}>
        <input value={text} onChange={(e) => setText(e.target.value)} required maxLength={65536} autoComplete="off" />
      </Field>
      <ErrorText text={error} />
      <button type="submit" className="danger" disabled={busy || text.trim() === ""}>
        {t("ticket.redactTextSubmit")}
      </button>
      <button type="button" className="secondary" onClick={() => setOpen(false)}>
        {t("ticket.redactTextCancel")}
      </button>
    </form>
  );
}
