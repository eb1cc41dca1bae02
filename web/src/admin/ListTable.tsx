import type { Key, ReactNode } from "react";
import { Loadable, type ApiState } from "../data.tsx";
import { t } from "../i18n/index.ts";

/** One column of a `ListTable`: its heading (also each cell's `data-label` for narrow screens) and what a row shows in it. */
export type ListColumn<Row> = {
  label: string;
  cell: (row: Row) => ReactNode;
  /** The column that names the row (bold, and first on narrow screens). */
  primary?: boolean;
  /** The column that names the row as its heading (`<th scope="row">`, as the ordered lists' titles). */
  heading?: boolean;
};

/**
 * The admin center's list of things: the loading line (`loadingText`, else the app's) or the error
 * with Retry (`Loadable`), then `empty` when there is nothing (without `empty`, an empty table),
 * else a table (`admin`, and `className`) with a visually hidden caption, one column per `columns`
 * and, with `actions`, a last column of buttons (`row-actions`) whose heading only screen readers
 * hear. `rows` picks the list out of what `state` loaded. A row for which `replace` gives something
 * shows it across the whole row in place of its cells (an editor, a question).
 */
export function ListTable<T, Row>(props: {
  state: ApiState<T>;
  rows: (data: T) => readonly Row[];
  rowKey: (row: Row) => Key;
  caption: string;
  columns: ReadonlyArray<ListColumn<Row>>;
  actions?: (row: Row) => ReactNode;
  empty?: string;
  className?: string;
  loadingText?: string;
  replace?: (row: Row) => ReactNode;
}) {
  const { columns, actions, replace } = props;
  return (
    <Loadable state={props.state} loadingText={props.loadingText}>
      {(data) => {
        const rows = props.rows(data);
        if (rows.length === 0 && props.empty !== undefined) return <p className="empty">{props.empty}</p>;
        return (
          <table className={props.className ? `admin ${props.className}` : "admin"}>
            <caption className="sr-only">{props.caption}</caption>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c.label} scope="col">
                    {c.label}
                  </th>
                ))}
                {actions ? (
                  <th scope="col">
                    <span className="sr-only">{t("admin.actions")}</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => {
                const instead = replace?.(row);
                if (instead !== undefined && instead !== null && instead !== false) {
                  return (
                    <tr key={props.rowKey(row)}>
                      <td colSpan={columns.length + (actions ? 1 : 0)}>{instead}</td>
                    </tr>
                  );
                }
                return (
                  <tr key={props.rowKey(row)}>
                    {columns.map((c) =>
                      c.heading ? (
                        <th key={c.label} scope="row">
                          {c.cell(row)}
                        </th>
                      ) : (
                        <td key={c.label} data-label={c.label} className={c.primary ? "primary" : undefined}>
                          {c.cell(row)}
                        </td>
                      ),
                    )}
                    {actions ? <td className="row-actions">{actions(row)}</td> : null}
                  </tr>
                );
              })}
            </tbody>
          </table>
        );
      }}
    </Loadable>
  );
}
