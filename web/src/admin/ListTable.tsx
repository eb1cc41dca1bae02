import type { Key, ReactNode } from "react";
import { Loadable, type ApiState } from "../data.tsx";
import { t } from "../i18n/index.ts";

/** One column of a `ListTable`: its heading (also each cell's `data-label` for narrow screens) and what a row shows in it. */
export type ListColumn<Row> = {
  label: string;
  cell: (row: Row) => ReactNode;
  /** The column that names the row (bold, and first on narrow screens). */
  primary?: boolean;
};

/**
 * The admin center's list of things: the loading line or the error with Retry (`Loadable`), then
 * `empty` when there is nothing (without `empty`, an empty table), else a table with a visually
 * hidden caption, one column per `columns` and, with `actions`, a last column of buttons whose
 * heading only screen readers hear. `rows` picks the list out of what `state` loaded.
 */
export function ListTable<T, Row>(props: {
  state: ApiState<T>;
  rows: (data: T) => readonly Row[];
  rowKey: (row: Row) => Key;
  caption: string;
  columns: ReadonlyArray<ListColumn<Row>>;
  actions?: (row: Row) => ReactNode;
  empty?: string;
}) {
  const { columns, actions } = props;
  return (
    <Loadable state={props.state}>
      {(data) => {
        const rows = props.rows(data);
        if (rows.length === 0 && props.empty !== undefined) return <p className="empty">{props.empty}</p>;
        return (
          <table className="admin">
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
              {rows.map((row) => (
                <tr key={props.rowKey(row)}>
                  {columns.map((c) => (
                    <td key={c.label} data-label={c.label} className={c.primary ? "primary" : undefined}>
                      {c.cell(row)}
                    </td>
                  ))}
                  {actions ? <td>{actions(row)}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        );
      }}
    </Loadable>
  );
}
