import { useEffect, useRef, useState } from "react";
import { client, explain, ok } from "../api.ts";
import type { Answer, Status } from "../api-schema.ts";
import { ErrorText, StatusText } from "../components/Field.tsx";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Pager } from "../admin/Pager.tsx";
import { PageHeading, useLocation } from "../router.tsx";
import { useWorkspace } from "./workspace.ts";

type DeletedTicket = Answer<"listDeletedTickets">["deleted_tickets"][number];

const PAGE_SIZE = 25;
const STATUSES: readonly string[] = ["new", "open", "pending", "hold", "solved", "closed"] satisfies Status[];
const isStatus = (s: string): s is Status => STATUSES.includes(s);

/**
 * `/agent/deleted-tickets`: the trash (Zendesk's deleted tickets), for staff whose role may delete
 * tickets. Each row says who deleted the ticket, when, and its status before; the agent restores
 * tickets or deletes them permanently, one or a selection at a time (all or nothing, as the API
 * does them). Deleting permanently asks first, saying it cannot be undone; the server's refusals
 * (a ticket under a legal hold answers 409 saying so) are shown as it words them.
 */
export function DeletedTicketsPage() {
  const { query } = useLocation();
  const { refreshCounts } = useWorkspace();
  const page = Math.max(1, Number(query.get("page")) || 1);
  const moved = Number(query.get("deleted")) || null;
  const list = useApi(["deleted_tickets", page], async (signal) => {
    const r = await ok(client.GET("/api/v2/deleted_tickets", { signal, params: { query: { page, per_page: PAGE_SIZE } } }));
    return { tickets: r.deleted_tickets, count: r.count ?? r.deleted_tickets.length };
  });
  const [selection, setSelection] = useState<{ of: unknown; ids: Set<number> }>({ of: null, ids: new Set() });
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(moved ? t("trash.movedHere", { id: moved }) : null);
  const [busy, setBusy] = useState(false);
  /** The tickets waiting for the "cannot be undone" confirmation. */
  const [confirming, setConfirming] = useState<number[] | null>(null);
  const data = list.data;
  // A new page (or a reload after a change) starts with nothing selected.
  const selected = selection.of === data ? selection.ids : new Set<number>();
  const setSelected = (ids: Set<number>) => setSelection({ of: data, ids });
  const tickets = data?.tickets ?? [];
  const allSelected = tickets.length > 0 && tickets.every((tk) => selected.has(tk.id));
  const toggle = (id: number) => setSelected(selected.has(id) ? new Set([...selected].filter((x) => x !== id)) : new Set([...selected, id]));

  async function act(ids: number[], what: "restore" | "destroy") {
    setBusy(true);
    setError(null);
    setStatus(null);
    const list_ = ids.map((id) => `#${id}`).join(", ");
    try {
      if (what === "restore") {
        if (ids.length === 1) await ok(client.PUT("/api/v2/deleted_tickets/{id}/restore", { params: { path: { id: ids[0]! } } }));
        else await ok(client.PUT("/api/v2/deleted_tickets/restore_many", { params: { query: { ids: ids.join(",") } } }));
        setStatus(t("trash.restored", { count: ids.length, ids: list_ }));
        refreshCounts();
      } else {
        if (ids.length === 1) await ok(client.DELETE("/api/v2/deleted_tickets/{id}", { params: { path: { id: ids[0]! } } }));
        else await ok(client.DELETE("/api/v2/deleted_tickets/destroy_many", { params: { query: { ids: ids.join(",") } } }));
        setStatus(t("trash.destroyed", { count: ids.length, ids: list_ }));
      }
      setConfirming(null);
      await list.reload();
    } catch (err) {
      setConfirming(null);
      setError(explain(err));
    } finally {
      setBusy(false);
    }
  }

  const pages = data ? Math.max(1, Math.ceil(data.count / PAGE_SIZE)) : 1;
  return (
    <main id="main" className="main">
      <PageHeading>{t("trash.title")}</PageHeading>
      <p className="muted">{t("trash.introShort")}</p>
      <p className="summary" role="status">
        {data ? t("trash.count", { count: data.count }) : ""}
      </p>
      <ErrorText text={error} />
      <StatusText text={status} />
      {confirming ? <ConfirmDestroy count={confirming.length} busy={busy} onConfirm={() => void act(confirming, "destroy")} onCancel={() => setConfirming(null)} /> : null}
      <Loadable state={list} loadingText={t("list.loading")}>
        {() => null}
      </Loadable>
      {data && tickets.length === 0 ? <p className="empty">{t("trash.empty")}</p> : null}
      {data && tickets.length > 0 ? (
        <>
          <div className="list-tools">
            <input id="trash-select-all" type="checkbox" className="select" checked={allSelected} onChange={() => setSelected(allSelected ? new Set() : new Set(tickets.map((tk) => tk.id)))} />
            <label htmlFor="trash-select-all">{t("trash.selectAll")}</label>
            {selected.size ? (
              <>
                <span className="muted">{t("trash.selected", { count: selected.size })}</span>
                <button type="button" className="secondary" disabled={busy} onClick={() => void act([...selected], "restore")}>
                  {t("trash.restoreSelected")}
                </button>
                <button type="button" className="danger" disabled={busy} onClick={() => setConfirming([...selected])}>
                  {t("trash.destroySelected")}
                </button>
              </>
            ) : null}
          </div>
          <table className="tickets">
            <caption className="sr-only">{t("trash.caption")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("list.id")}</th>
                <th scope="col">{t("trash.subject")}</th>
                <th scope="col">{t("trash.deletedBy")}</th>
                <th scope="col">{t("trash.deletedAt")}</th>
                <th scope="col">{t("trash.previousStatus")}</th>
                <th scope="col">
                  <span className="sr-only">{t("admin.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tickets.map((tk) => (
                <Row key={tk.id} ticket={tk} selected={selected.has(tk.id)} busy={busy} onToggle={() => toggle(tk.id)} onRestore={() => void act([tk.id], "restore")} onDestroy={() => setConfirming([tk.id])} />
              ))}
            </tbody>
          </table>
          <Pager base="/agent/deleted-tickets?" page={page} pages={pages} />
        </>
      ) : null}
    </main>
  );
}

function Row(props: { ticket: DeletedTicket; selected: boolean; busy: boolean; onToggle: () => void; onRestore: () => void; onDestroy: () => void }) {
  const tk = props.ticket;
  const previous = tk.previous_state;
  return (
    <tr className={props.selected ? "selected" : undefined}>
      <td data-label={t("list.id")}>
        <input type="checkbox" className="select" aria-label={t("trash.select", { id: tk.id })} checked={props.selected} onChange={props.onToggle} />#{tk.id}
      </td>
      <td data-label={t("trash.subject")} className="subject">
        {tk.subject || `#${tk.id}`}
      </td>
      <td data-label={t("trash.deletedBy")}>{tk.actor ? tk.actor.name : t("trash.system")}</td>
      <td data-label={t("trash.deletedAt")}>
        <time dateTime={tk.deleted_at}>{formatDate(tk.deleted_at)}</time>
      </td>
      <td data-label={t("trash.previousStatus")}>
        {/* The API's status names are the app's; anything else is shown as sent. */}
        {isStatus(previous) ? <span className={`badge status-${previous}`}>{t(`status.${previous}`)}</span> : previous}
      </td>
      <td>
        <div className="actions">
          <button type="button" className="small" disabled={props.busy} aria-label={t("trash.restoreFor", { id: tk.id })} onClick={props.onRestore}>
            {t("trash.restore")}
          </button>
          <button type="button" className="small secondary" disabled={props.busy} aria-label={t("trash.destroyFor", { id: tk.id })} onClick={props.onDestroy}>
            {t("trash.destroy")}
          </button>
        </div>
      </td>
    </tr>
  );
}

/** Asked before deleting permanently: the default (focused) choice is to cancel. */
function ConfirmDestroy(props: { count: number; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <div ref={ref} className="panel" role="alertdialog" aria-labelledby="trash-confirm-title" aria-describedby="trash-confirm-text" tabIndex={-1}>
      <h2 id="trash-confirm-title">{t("trash.confirmTitle", { count: props.count })}</h2>
      <p id="trash-confirm-text" className="error">
        {t("trash.confirmText")}
      </p>
      <p className="actions">
        <button type="button" className="danger" disabled={props.busy} onClick={props.onConfirm}>
          {t("trash.confirm")}
        </button>
        <button type="button" className="secondary" disabled={props.busy} onClick={props.onCancel}>
          {t("trash.cancel")}
        </button>
      </p>
    </div>
  );
}
