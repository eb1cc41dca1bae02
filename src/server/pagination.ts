import { AppError } from "../platform/errors.ts";
import type { PageQuery } from "../platform/schemas.ts";

/**
 * Zendesk pagination: offset (`page`, `per_page` → `next_page`, `previous_page`, `count`) and
 * cursor (`page[size]`, `page[after]` → `meta.has_more`, `links.next`). Cursors are opaque to
 * clients; inside they carry the last public id seen.
 */
export type Page =
  | { mode: "offset"; page: number; perPage: number; limit: number; offset: number; desc: boolean }
  | { mode: "cursor"; size: number; afterId: number | undefined; beforeId: number | undefined; desc: boolean };

export function parsePage(q: PageQuery): Page {
  const desc = q.sort_order === "desc";
  if (q.page !== undefined && typeof q.page === "object") {
    return {
      mode: "cursor",
      size: q.page.size ?? 100,
      afterId: q.page.after ? decodeCursor(q.page.after) : undefined,
      beforeId: q.page.before ? decodeCursor(q.page.before) : undefined,
      desc,
    };
  }
  const page = q.page ?? 1;
  const perPage = q.per_page ?? 100;
  return { mode: "offset", page, perPage, limit: perPage, offset: (page - 1) * perPage, desc };
}

export function encodeCursor(id: number): string {
  return Buffer.from(JSON.stringify({ o: id })).toString("base64url");
}

function decodeCursor(c: string): number {
  try {
    const v = JSON.parse(Buffer.from(c, "base64url").toString("utf8")) as { o?: unknown };
    if (typeof v.o === "number" && Number.isSafeInteger(v.o) && v.o >= 0) return v.o;
  } catch {
    /* fall through */
  }
  throw new AppError("BadRequest", { description: "invalid page cursor" });
}

/** Builds the envelope fields for a page of results. `rows` holds up to size+1 items in cursor mode. */
export function pageEnvelope<T extends { id: number }>(
  page: Page,
  rows: T[],
  count: number | undefined,
  url: URL,
): { items: T[]; extra: Record<string, unknown> } {
  if (page.mode === "cursor") {
    const hasMore = rows.length > page.size;
    const items = rows.slice(0, page.size);
    const last = items[items.length - 1];
    const first = items[0];
    const next = new URL(url);
    next.searchParams.delete("page[after]");
    next.searchParams.delete("page[before]");
    next.searchParams.set("page[size]", String(page.size));
    const after = last ? encodeCursor(last.id) : null;
    const before = first ? encodeCursor(first.id) : null;
    if (after) next.searchParams.set("page[after]", after);
    const prev = new URL(url);
    prev.searchParams.delete("page[after]");
    prev.searchParams.delete("page[before]");
    if (before) prev.searchParams.set("page[before]", before);
    return {
      items,
      extra: {
        meta: { has_more: hasMore, after_cursor: after, before_cursor: before },
        links: { next: hasMore && after ? next.toString() : null, prev: before ? prev.toString() : null },
      },
    };
  }
  const total = count ?? rows.length;
  const mk = (p: number) => {
    const u = new URL(url);
    u.searchParams.set("page", String(p));
    u.searchParams.set("per_page", String(page.perPage));
    return u.toString();
  };
  return {
    items: rows,
    extra: {
      next_page: page.offset + rows.length < total ? mk(page.page + 1) : null,
      previous_page: page.page > 1 ? mk(page.page - 1) : null,
      count: total,
    },
  };
}

/**
 * Applies a page to a repository's query ordered by a public id column: cursor pages fetch one
 * extra row to tell whether more follow; offset pages also run the count.
 */
export async function fetchPage<O>(
  q: import("kysely").SelectQueryBuilder<any, any, O>, // any: the helper serves every table's builder
  page: Page,
  idColumn: string,
  count: () => Promise<number>,
): Promise<{ rows: O[]; count: number | undefined }> {
  const dir = page.desc ? "desc" : "asc";
  if (page.mode === "cursor") {
    const after = page.afterId === undefined ? q : q.where(idColumn, page.desc ? "<" : ">", page.afterId);
    return { rows: await after.orderBy(idColumn, dir).limit(page.size + 1).execute(), count: undefined };
  }
  const rows = await q.orderBy(idColumn, dir).limit(page.limit).offset(page.offset).execute();
  return { rows, count: await count() };
}
