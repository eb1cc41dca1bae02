import type { ReactNode } from "react";
import { t } from "../i18n/index.ts";

/** One row of an `OrderedTable`: a thing kept in the order it is tried (a trigger, an automation, an SLA policy). */
export type OrderedItem = { id: number; title: string; description: string | null };

/**
 * The id of the button to focus after moving the item at `index` by `delta` among `length`: the
 * same button of the moved item, or its other one when it reached either end (the first is disabled
 * at the top, the last at the bottom). Buttons are `${prefix}-up-${id}` and `${prefix}-down-${id}`.
 */
export function focusAfterMove(prefix: string, id: number, index: number, delta: -1 | 1, length: number): string {
  const edge = index + delta === 0 || index + delta === length - 1;
  const same = delta < 0 ? "up" : "down";
  const other = delta < 0 ? "down" : "up";
  return `${prefix}-${edge ? other : same}-${id}`;
}

/**
 * The admin center's list of things tried in order: a visually hidden caption, the position, the
 * title (with its description) naming the row, one column of the page's own (`extra`), and, while
 * the page lists (`listing`), Move up, Move down, Edit and Delete, each named for screen readers by
 * the item's title. Buttons are `${prefix}-up|down|edit|delete-${id}` (the pages focus them again).
 */
export function OrderedTable<Item extends OrderedItem>(props: {
  prefix: string;
  className: string;
  caption: string;
  items: readonly Item[];
  busy: boolean;
  listing: boolean;
  extra: { label: string; cell: (item: Item) => ReactNode };
  onMove: (index: number, delta: -1 | 1) => void;
  onEdit: (item: Item) => void;
  onDelete: (item: Item) => void;
  texts: { edit: string; delete: string; editNamed: (title: string) => string; deleteNamed: (title: string) => string };
}) {
  const { prefix, items, busy, texts } = props;
  return (
    <table className={`admin macros-table rules-table ${props.className}`} aria-busy={busy}>
      <caption className="sr-only">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">{t("rules.col.position")}</th>
          <th scope="col">{t("rules.col.title")}</th>
          <th scope="col">{props.extra.label}</th>
          <th scope="col">
            <span className="sr-only">{t("rules.col.actions")}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((x, i) => (
          <tr key={x.id}>
            <td className="position" data-label={t("rules.col.position")}>
              {i + 1}
            </td>
            <th scope="row">
              {x.title}
              {x.description ? <span className="muted macro-description">{x.description}</span> : null}
            </th>
            <td data-label={props.extra.label}>{props.extra.cell(x)}</td>
            <td className="row-actions">
              {props.listing ? (
                <>
                  <button type="button" id={`${prefix}-up-${x.id}`} className="secondary small" disabled={busy || i === 0} aria-label={t("rules.moveUpNamed", { title: x.title })} onClick={() => props.onMove(i, -1)}>
                    {t("rules.moveUp")}
                  </button>
                  <button type="button" id={`${prefix}-down-${x.id}`} className="secondary small" disabled={busy || i === items.length - 1} aria-label={t("rules.moveDownNamed", { title: x.title })} onClick={() => props.onMove(i, 1)}>
                    {t("rules.moveDown")}
                  </button>
                  <button type="button" id={`${prefix}-edit-${x.id}`} className="secondary small" disabled={busy} aria-label={texts.editNamed(x.title)} onClick={() => props.onEdit(x)}>
                    {texts.edit}
                  </button>
                  <button type="button" id={`${prefix}-delete-${x.id}`} className="secondary small" disabled={busy} aria-label={texts.deleteNamed(x.title)} onClick={() => props.onDelete(x)}>
                    {texts.delete}
                  </button>
                </>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
