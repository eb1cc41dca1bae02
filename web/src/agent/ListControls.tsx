import { useState, type FormEvent } from "react";
import { Field } from "../components/Field.tsx";
import { t } from "../i18n/index.ts";
import { Link, navigate, useLocation } from "../router.tsx";
import { AssigneeSelect, GroupSelect, PrioritySelect, StatusSelect } from "./fields.tsx";
import { FILTER_KEYS, type Filters, type SortBy } from "./model.ts";
import type { Pickers } from "./workspace.ts";

/**
 * Filters and sort order for a ticket list. Applying them writes them into the URL (and drops the
 * page cursor), so the list can be reloaded, bookmarked or shared as it is. The parent keys it by
 * the URL, so it starts over from the URL's values after every navigation.
 */
export function FilterForm(props: { filters: Filters; sort: SortBy; desc: boolean; pickers: Pickers | null; sorts: readonly SortBy[]; sortOnly?: boolean }) {
  const { path, query } = useLocation();
  const [f, setF] = useState<Filters>(props.filters);
  const [sort, setSort] = useState<SortBy>(props.sort);
  const [order, setOrder] = useState(props.desc ? "desc" : "asc");
  const set = (k: keyof Filters) => (v: string) => setF((old) => ({ ...old, [k]: v }));
  const any = [{ value: "", label: t("filters.any") }];

  function apply(e: FormEvent) {
    e.preventDefault();
    const q = new URLSearchParams();
    const keep = query.get("q");
    if (keep) q.set("q", keep);
    for (const k of FILTER_KEYS) if (f[k]?.trim()) q.set(k, f[k]!.trim());
    q.set("sort", sort);
    // Relevance has one direction: the best match first.
    if (sort !== "relevance") q.set("order", order);
    navigate(`${path}?${q.toString()}`);
  }
  const clearTo = query.get("q") ? `${path}?${new URLSearchParams({ q: query.get("q")! }).toString()}` : path;

  return (
    <form className="filters" onSubmit={apply} aria-label={props.sortOnly ? t("filters.sortLabel") : t("filters.label")}>
      {props.sortOnly ? null : (
        <>
      <StatusSelect id="filter-status" label={t("filters.status")} value={f.status ?? ""} onChange={set("status")} first={any} />
      <PrioritySelect id="filter-priority" label={t("filters.priority")} value={f.priority ?? ""} onChange={set("priority")} first={any} />
      <AssigneeSelect
        id="filter-assignee"
        label={t("filters.assignee")}
        value={f.assignee ?? ""}
        onChange={set("assignee")}
        pickers={props.pickers}
        first={[...any, { value: "me", label: t("filters.me") }, { value: "none", label: t("ticket.unassigned") }]}
      />
      <GroupSelect id="filter-group" label={t("filters.group")} value={f.group ?? ""} onChange={set("group")} pickers={props.pickers} first={any} />
      <Field id="filter-tag" label={t("filters.tag")}>
        <input value={f.tag ?? ""} onChange={(e) => set("tag")(e.target.value)} autoComplete="off" spellCheck={false} maxLength={80} />
      </Field>
      <Field id="filter-requester" label={t("filters.requester")}>
        <input type="email" value={f.requester ?? ""} onChange={(e) => set("requester")(e.target.value)} autoComplete="off" maxLength={254} />
      </Field>
        </>
      )}
      <Field id="filter-sort" label={t("filters.sort")}>
        <select value={sort} onChange={(e) => setSort(e.target.value as SortBy)}>
          {props.sorts.map((s) => (
            <option key={s} value={s}>
              {t(`sort.${s}`)}
            </option>
          ))}
        </select>
      </Field>
      {sort !== "relevance" ? (
        <Field id="filter-order" label={t("filters.order")}>
          <select value={order} onChange={(e) => setOrder(e.target.value)}>
            <option value="desc">{t("filters.desc")}</option>
            <option value="asc">{t("filters.asc")}</option>
          </select>
        </Field>
      ) : null}
      <div className="filter-actions">
        <button type="submit">{t("filters.apply")}</button>
        {props.sortOnly ? null : <Link to={clearTo}>{t("filters.clear")}</Link>}
      </div>
    </form>
  );
}

/** Previous / next page links from the API's cursors, and a way back to the first page. */
export function Pager(props: { prev: string | null; next: string | null; first: string | null }) {
  if (!props.prev && !props.next && !props.first) return null;
  return (
    <nav className="pager" aria-label={t("list.pages")}>
      {props.first ? <Link to={props.first}>{t("list.first")}</Link> : null}
      {props.prev ? <Link to={props.prev}>{t("list.previous")}</Link> : null}
      {props.next ? <Link to={props.next}>{t("list.next")}</Link> : null}
    </nav>
  );
}
