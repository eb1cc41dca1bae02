import { useEffect, useState } from "react";
import { explain } from "../api.ts";
import { ErrorText } from "../components/Field.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link, PageHeading, useLocation } from "../router.tsx";
import { searchTickets, usersById, VIEWS, type Ticket, type User, type ViewId } from "./model.ts";

const PER_PAGE = 25;

/** A view's tickets, newest first, a page at a time (`?page=N`). */
export function TicketList(props: { view: ViewId }) {
  const { path, query } = useLocation();
  const page = Math.max(1, Number(query.get("page")) || 1);
  const view = VIEWS.find((v) => v.id === props.view)!;
  const [data, setData] = useState<{ tickets: Ticket[]; count: number; users: Map<number, User> } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setData(null);
    setError(null);
    (async () => {
      const r = await searchTickets(view.query, page, PER_PAGE);
      const users = await usersById(r.results.map((tk) => tk.requester_id)).catch(() => new Map<number, User>());
      if (live) setData({ tickets: r.results, count: r.count, users });
    })().catch((err: unknown) => live && setError(explain(err)));
    return () => {
      live = false;
    };
  }, [view.query, page]);

  const pages = data ? Math.max(1, Math.ceil(data.count / PER_PAGE)) : 1;
  const base = path === "/agent" ? `/agent/views/${view.id}` : path;
  return (
    <main id="main" className="main">
      <PageHeading>{t(view.label)}</PageHeading>
      <ErrorText text={error} />
      {!data && !error ? <p role="status">{t("list.loading")}</p> : null}
      {data && data.tickets.length === 0 ? <p className="empty">{t("list.empty")}</p> : null}
      {data && data.tickets.length > 0 ? (
        <>
          <p className="summary">{t("view.count", { count: data.count })}</p>
          <table className="tickets">
            <caption className="sr-only">{t("list.caption", { view: t(view.label), page, pages })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("list.id")}</th>
                <th scope="col">{t("list.subject")}</th>
                <th scope="col">{t("list.requester")}</th>
                <th scope="col">{t("list.status")}</th>
                <th scope="col">{t("list.priority")}</th>
                <th scope="col">{t("list.updated")}</th>
              </tr>
            </thead>
            <tbody>
              {data.tickets.map((tk) => (
                <tr key={tk.id}>
                  <td data-label={t("list.id")}>#{tk.id}</td>
                  <td data-label={t("list.subject")} className="subject">
                    <Link to={`/agent/tickets/${tk.id}`}>{tk.subject || `#${tk.id}`}</Link>
                  </td>
                  <td data-label={t("list.requester")}>{data.users.get(tk.requester_id)?.name ?? t("ticket.unknownUser", { id: tk.requester_id })}</td>
                  <td data-label={t("list.status")}>
                    <span className={`badge status-${tk.status}`}>{t(`status.${tk.status}`)}</span>
                  </td>
                  <td data-label={t("list.priority")}>{tk.priority ? t(`priority.${tk.priority}`) : "—"}</td>
                  <td data-label={t("list.updated")}>
                    <time dateTime={tk.updated_at}>{formatDate(tk.updated_at)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {pages > 1 ? (
            <nav className="pager" aria-label={t("list.pages")}>
              {page > 1 ? <Link to={`${base}?page=${page - 1}`}>{t("list.previous")}</Link> : null}
              <span>{t("list.caption", { view: t(view.label), page, pages })}</span>
              {page < pages ? <Link to={`${base}?page=${page + 1}`}>{t("list.next")}</Link> : null}
            </nav>
          ) : null}
        </>
      ) : null}
    </main>
  );
}
