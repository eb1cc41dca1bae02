import { useState, type ReactNode } from "react";
import type { Count, User } from "../api-schema.ts";
import { Loadable, useApi } from "../data.tsx";
import { formatDate, t } from "../i18n/index.ts";
import { Link, PageHeading, useLocation } from "../router.tsx";
import { BulkResult, BulkUpdate, type Outcome } from "./BulkUpdate.tsx";
import { FilterForm, Pager } from "./ListControls.tsx";
import { Highlighted } from "../components/Highlighted.tsx";
import { countSearch, countText, cursorOf, filtersFrom, filterTerms, KEYS, searchPage, SORTS, usersById, withSlas, type Filters, type ListTicket, type PageOpts, type SearchPage, type SortBy } from "./model.ts";
import { useWorkspace } from "./workspace.ts";
import { SatisfactionBadge, showsSatisfaction } from "./SatisfactionBadge.tsx";
import { satisfactionOf } from "../satisfaction.ts";
import { nextBreachSaid, useNow } from "./SlaBadges.tsx";

const PAGE_SIZE = 25;

/** The orders offered as one-click links above a text search's results (the form offers them all). */
const QUICK_SORTS: readonly SortBy[] = ["relevance", "updated_at", "created_at"];

/**
 * Where a list's tickets come from: `key` names it (with the order and cursor added), `page` reads
 * one keyset page, `count` the capped count. `filterable`: the URL's filters narrow it (a search).
 */
export type ListSource = {
  key: readonly unknown[];
  page: (opts: PageOpts, signal: AbortSignal) => Promise<SearchPage>;
  count: (signal: AbortSignal) => Promise<Count>;
  filterable: boolean;
};

/** A search (a built-in view's query, or what the agent typed) narrowed by the URL's filters. */
export function searchSource(baseQuery: string, filters: Filters): ListSource {
  const fullQuery = [baseQuery, filterTerms(filters)].filter(Boolean).join(" ");
  return {
    key: [fullQuery],
    page: async (opts, signal) => withSlas(await searchPage(fullQuery, opts, signal), signal),
    count: (signal) => countSearch(fullQuery, signal),
    filterable: true,
  };
}

/** What the list shows now, for the actions above it (such as "Save as view"). */
export type ListState = { filters: Filters; sort: SortBy; desc: boolean };

/**
 * A list of tickets from a source (a view's saved query or a saved view, or what the agent typed),
 * narrowed by the filters in the URL when the source takes them, sorted, and paged with the API's
 * keyset cursors (`after`/`before` in the URL), so the hundredth page costs what the first does.
 * Counts are capped by the server. Agents who may bulk update pick rows and change them together.
 * A search with words is ordered by relevance unless the URL asks otherwise, and each hit shows the
 * server's highlighted snippet. `actions` are shown under the title.
 */
export function TicketList(props: { title: string; source: ListSource; defaultSort: SortBy; defaultDesc?: boolean; sorts?: readonly SortBy[]; actions?: (state: ListState) => ReactNode }) {
  const { path, query } = useLocation();
  const { abilities, pickers, refreshCounts } = useWorkspace();
  const { source } = props;
  const filters = source.filterable ? filtersFrom(query) : {};
  const sorts = props.sorts ?? SORTS;
  const sortParam = query.get("sort") as SortBy | null;
  const sort: SortBy = sortParam && sorts.includes(sortParam) ? sortParam : props.defaultSort;
  const order = query.get("order");
  const desc = order ? order !== "asc" : (props.defaultDesc ?? true);
  const after = query.get("after");
  const before = query.get("before");

  const list = useApi([...KEYS.lists, ...source.key, sort, desc, after, before], async (signal) => {
    const page = await source.page({ sort, desc, size: PAGE_SIZE, after, before }, signal);
    const users = await usersById(page.results.flatMap((tk) => [tk.requester_id, ...(tk.assignee_id ? [tk.assignee_id] : [])]), signal).catch(() => new Map<number, User>());
    return { page, users };
  });
  const count = useApi([...KEYS.lists, "count", ...source.key], (signal) => source.count(signal));
  const [selection, setSelection] = useState<{ of: unknown; ids: Set<number> }>({ of: null, ids: new Set() });
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  // A new page of results starts with nothing selected.
  const selected = selection.of === list.data ? selection.ids : new Set<number>();
  const setSelected = (ids: Set<number>) => setSelection({ of: list.data, ids });
  const data = list.data;

  const tickets = data?.page.results ?? [];
  // The satisfaction column only where a ticket on the page has been offered a rating or rated (ratings may be off).
  const rated = tickets.some((tk) => showsSatisfaction(satisfactionOf(tk)));
  // The next SLA breach column only where a ticket on the page is under an SLA policy (agents cannot list the policies).
  const slaShown = tickets.some((tk) => tk.sla_policy) || sort === "sla_next_breach_at";
  const now = useNow();
  const allSelected = tickets.length > 0 && tickets.every((tk) => selected.has(tk.id));
  const toggle = (id: number) => setSelected(selected.has(id) ? new Set([...selected].filter((x) => x !== id)) : new Set([...selected, id]));
  const pageLink = (cursor: { after?: string | null; before?: string | null }) => {
    const q = new URLSearchParams(query);
    q.delete("after");
    q.delete("before");
    if (cursor.after) q.set("after", cursor.after);
    if (cursor.before) q.set("before", cursor.before);
    return `${path}?${q.toString()}`;
  };
  const sortLink = (s: SortBy) => {
    const q = new URLSearchParams(query);
    for (const k of ["after", "before", "order"]) q.delete(k);
    q.set("sort", s);
    return `${path}?${q.toString()}`;
  };
  const nameOf = (id: number | null) => (id === null ? t("ticket.unassigned") : (data?.users.get(id)?.name ?? t("ticket.unknownUser", { id })));

  return (
    <main id="main" className="main">
      <PageHeading>{props.title}</PageHeading>
      {props.actions ? props.actions({ filters, sort, desc }) : null}
      <FilterForm key={`${path}?${query.toString()}`} filters={filters} sort={sort} desc={desc} pickers={pickers} sorts={sorts} sortOnly={!source.filterable} />
      {sorts.includes("relevance") ? (
        <nav className="sort-switch" aria-label={t("search.sortLabel")}>
          <span aria-hidden="true">{t("search.sortLabel")}:</span>
          <ul>
            {QUICK_SORTS.map((s) => (
              <li key={s}>
                <Link to={sortLink(s)} aria-current={sort === s ? "true" : undefined}>
                  {t(`sort.${s}`)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      ) : null}
      <p className="summary" role="status">
        {count.data ? t("view.countOf", { count: count.data.count, shown: countText(count.data) }) : ""}
      </p>
      <Loadable state={list} loadingText={t("list.loading")}>
        {() => null}
      </Loadable>
      {data && tickets.length === 0 ? <p className="empty">{Object.keys(filters).length ? t("list.emptyFiltered") : t("list.empty")}</p> : null}
      {outcome ? <BulkResult outcome={outcome} /> : null}
      {abilities.can_bulk_update && selected.size > 0 ? (
        <BulkUpdate
          ids={[...selected]}
          pickers={pickers}
          onDone={(o) => {
            setOutcome(o);
            refreshCounts();
            void list.reload();
            void count.reload();
          }}
        />
      ) : null}
      {data && tickets.length > 0 ? (
        <>
          {abilities.can_bulk_update ? (
            <div className="list-tools">
              <input
                id="select-all"
                type="checkbox"
                className="select"
                checked={allSelected}
                onChange={() => setSelected(allSelected ? new Set() : new Set(tickets.map((tk) => tk.id)))}
              />
              <label htmlFor="select-all">{t("bulk.selectAll")}</label>
              {selected.size ? <span className="muted">{t("bulk.selected", { count: selected.size })}</span> : null}
            </div>
          ) : null}
          <table className="tickets">
            <caption className="sr-only">{t("list.captionCursor", { view: props.title })}</caption>
            <thead>
              <tr>
                <th scope="col">{t("list.id")}</th>
                <th scope="col">{t("list.subject")}</th>
                <th scope="col">{t("list.requester")}</th>
                <th scope="col">{t("list.status")}</th>
                <th scope="col">{t("list.priority")}</th>
                <th scope="col">{t("list.assignee")}</th>
                <th scope="col">{t("list.updated")}</th>
                {slaShown ? (
                  <th scope="col" aria-sort={sort === "sla_next_breach_at" ? (desc ? "descending" : "ascending") : undefined}>
                    {t("sla.next.column")}
                  </th>
                ) : null}
                {rated ? <th scope="col">{t("csat.column")}</th> : null}
              </tr>
            </thead>
            <tbody>
              {tickets.map((tk) => (
                <tr key={tk.id} className={selected.has(tk.id) ? "selected" : undefined}>
                  <td data-label={t("list.id")}>
                    {abilities.can_bulk_update ? (
                      <input type="checkbox" className="select" aria-label={t("bulk.select", { id: tk.id })} checked={selected.has(tk.id)} onChange={() => toggle(tk.id)} />
                    ) : null}
                    #{tk.id}
                  </td>
                  <td data-label={t("list.subject")} className="subject">
                    <Link to={`/agent/tickets/${tk.id}`}>{tk.highlights && tk.subject ? <Highlighted parts={tk.highlights.subject} /> : tk.subject || `#${tk.id}`}</Link>
                    {tk.highlights && tk.highlights.comment.length > 0 ? (
                      <p className="snippet">
                        <Highlighted parts={tk.highlights.comment} />
                      </p>
                    ) : null}
                  </td>
                  <td data-label={t("list.requester")}>{nameOf(tk.requester_id)}</td>
                  <td data-label={t("list.status")}>
                    <span className={`badge status-${tk.status}`}>{t(`status.${tk.status}`)}</span>
                  </td>
                  <td data-label={t("list.priority")}>{tk.priority ? t(`priority.${tk.priority}`) : "—"}</td>
                  <td data-label={t("list.assignee")}>{nameOf(tk.assignee_id)}</td>
                  <td data-label={t("list.updated")} className="updated">
                    <time dateTime={tk.updated_at}>{formatDate(tk.updated_at)}</time>
                  </td>
                  {slaShown ? <SlaCell slas={tk.slas} now={now} /> : null}
                  {rated ? (
                    <td data-label={t("csat.column")}>
                      <SatisfactionBadge rating={satisfactionOf(tk)} compact />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            prev={data.page.links.prev ? pageLink({ before: cursorOf(data.page.links.prev, "page[before]") }) : null}
            next={data.page.links.next ? pageLink({ after: cursorOf(data.page.links.next, "page[after]") }) : null}
            first={after || before ? pageLink({}) : null}
          />
        </>
      ) : null}
    </main>
  );
}

/** A ticket's next SLA breach: the time left, or how long overdue (in red, and said in words); empty when no target is running. */
function SlaCell(props: { slas: ListTicket["slas"]; now: Date }) {
  const next = nextBreachSaid(props.slas, props.now);
  return (
    <td data-label={t("sla.next.column")} className="sla-next">
      {next ? (
        <span className={next.overdue ? "badge sla-badge sla-breached" : "sla-left"} title={formatDate(next.at)}>
          {next.text}
        </span>
      ) : null}
    </td>
  );
}
