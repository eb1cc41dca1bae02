import { useState } from "react";
import { client, explain, ok } from "../api.ts";
import type { SuspendedTicket } from "../api-schema.ts";
import { ErrorText, StatusText } from "../components/Field.tsx";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, t, type MessageKey } from "../i18n/index.ts";
import { PageHeading } from "../router.tsx";

const CAUSES: Record<string, MessageKey> = {
  authentication_failed: "mail.suspended.cause.authentication_failed",
  spam: "mail.suspended.cause.spam",
  blocklisted: "mail.suspended.cause.blocklisted",
  not_participant: "mail.suspended.cause.not_participant",
  unauthenticated_staff: "mail.suspended.cause.unauthenticated_staff",
  suspended_user: "mail.suspended.cause.suspended_user",
};

/**
 * `/admin/suspended-tickets`: mail held back (failed sender authentication, spam marks, blocked
 * senders, replies from people not on the ticket), newest first: read it, then recover it (it
 * becomes the ticket or comment it would have been) or delete it (with the stored message).
 * Text only: the content is shown as text, never as HTML.
 */
export function SuspendedTicketsPage() {
  const list = useApi(["suspended_tickets"], async (signal) => (await ok(client.GET("/api/v2/suspended_tickets", { signal, params: { query: { per_page: 100, sort_order: "desc" } } }))).suspended_tickets);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function act(s: Pick<SuspendedTicket, "id" | "subject">, what: "recover" | "delete") {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      if (what === "recover") {
        const r = await ok(client.PUT("/api/v2/suspended_tickets/{id}/recover", { params: { path: { id: s.id } } }));
        setStatus(t("mail.suspended.recovered", { id: r.ticket.id }));
      } else {
        await ok(client.DELETE("/api/v2/suspended_tickets/{id}", { params: { path: { id: s.id } } }));
        setStatus(t("mail.suspended.deleted", { subject: s.subject }));
      }
      await list.reload();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="main">
      <PageHeading>{t("mail.suspended.title")}</PageHeading>
      <p className="muted">{t("mail.suspended.intro")}</p>
      <ErrorText text={error} />
      <StatusText text={status} />
      <Loadable state={list}>
        {(items) =>
          items.length === 0 ? (
            <p className="empty">{t("mail.suspended.empty")}</p>
          ) : (
            <ul className="suspended">
              {items.map((s) => (
                <li key={s.id}>
                  <article aria-label={s.subject}>
                    <h2>{s.subject}</h2>
                    <p>
                      {s.author.name ? t("mail.suspended.from", { name: s.author.name, email: s.author.email ?? "" }) : t("mail.suspended.fromAddress", { email: s.author.email ?? "" })} · <time dateTime={s.created_at}>{formatDate(s.created_at)}</time>
                    </p>
                    <p>
                      <strong>{t("mail.suspended.cause")}</strong> {CAUSES[s.cause_code] ? t(CAUSES[s.cause_code]!) : s.cause}
                      {s.ticket_id ? ` · ${t("mail.suspended.forTicket", { id: s.ticket_id })}` : null}
                    </p>
                    <pre className="mail-content">{s.content}</pre>
                    <div className="actions">
                      <button type="button" disabled={busy} aria-label={t("mail.suspended.recoverFor", { subject: s.subject })} onClick={() => void act(s, "recover")}>
                        {t("mail.suspended.recover")}
                      </button>
                      <button type="button" className="secondary" disabled={busy} aria-label={t("mail.suspended.deleteFor", { subject: s.subject })} onClick={() => void act(s, "delete")}>
                        {t("mail.suspended.delete")}
                      </button>
                    </div>
                  </article>
                </li>
              ))}
            </ul>
          )
        }
      </Loadable>
    </main>
  );
}
