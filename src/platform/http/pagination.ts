import { sql, type RawBuilder, type SelectQueryBuilder } from "kysely";
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { PageQuery } from "../schemas.ts";

/**
 * Zendesk pagination: offset (`page`, `per_page` → `next_page`, `previous_page`, `count`) and
 * cursor (`page[size]`, `page[after]` → `meta.has_more`, `links.next`). Cursors are opaque to
 * clients; inside they carry the last public id seen.
 */
export type Page =
  | { mode: "offset"; page: number; perPage: number; limit: number; offset: number; desc: boolean }
  | { mode: "cursor"; size: number; afterId: number | undefined; beforeId: number | undefined; afterKey?: string | undefined; beforeKey?: string | undefined; desc: boolean };

/**
 * The page a query asks for. `newestFirst`: the list's natural order is descending (audit logs,
 * invitations), and `sort_order=asc` reverses it.
 */
export function parsePage(q: PageQuery, opts: { newestFirst?: boolean; perPage?: number } = {}): Page {
  const desc = opts.newestFirst ? q.sort_order !== "asc" : q.sort_order === "desc";
  if (q.page !== undefined && typeof q.page === "object") {
    const after = q.page.after ? decodeCursor(q.page.after) : undefined;
    const before = q.page.before && !after ? decodeCursor(q.page.before) : undefined;
    return { mode: "cursor", size: q.page.size ?? 100, afterId: after?.id, beforeId: before?.id, afterKey: after?.key, beforeKey: before?.key, desc };
  }
  const page = q.page ?? 1;
  const perPage = q.per_page ?? opts.perPage ?? 100;
  return { mode: "offset", page, perPage, limit: perPage, offset: (page - 1) * perPage, desc };
}

/** The fields either pagination mode adds to a list (offset: next/previous/count; cursor: meta/links). */
const envelopeFields = {
  next_page: z.string().nullable().optional(),
  previous_page: z.string().nullable().optional(),
  count: z.number().optional(),
  meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullable(), before_cursor: z.string().nullable() }).optional(),
  links: z.object({ next: z.string().nullable(), prev: z.string().nullable() }).optional(),
};

/**
 * The response schema of a list: the items under `key`, optional sideloads, and the fields of
 * either pagination mode — an allowlist, so nothing else a handler returns can reach a client.
 */
export function listEnvelope<K extends string, I extends z.ZodType, S extends z.ZodRawShape = Record<never, never>>(key: K, item: I, sideloads?: S) {
  return z.strictObject({ [key]: z.array(item), ...(sideloads ?? {}), ...envelopeFields } as { [P in K]: z.ZodArray<I> } & S & typeof envelopeFields);
}

/** A cursor names the last (or first) row seen: its public id and, for sorted lists, its sort key. */
export function encodeCursor(id: number, key?: string): string {
  return Buffer.from(JSON.stringify(key === undefined ? { o: id } : { o: id, k: key })).toString("base64url");
}

export function decodeCursor(c: string): { id: number; key: string | undefined } {
  try {
    const v = JSON.parse(Buffer.from(c, "base64url").toString("utf8")) as { o?: unknown; k?: unknown };
    const keyOk = v.k === undefined || (typeof v.k === "string" && /^-?\d{1,17}$/.test(v.k));
    if (typeof v.o === "number" && Number.isSafeInteger(v.o) && v.o >= 0 && keyOk) return { id: v.o, key: v.k as string | undefined };
  } catch {
    /* fall through */
  }
  throw new AppError("BadRequest", { description: "invalid page cursor" });
}

/**
 * Builds the envelope fields for a page of results. In cursor mode `rows` holds up to size+1
 * items: after a `page[after]` cursor (or on the first page) the extra one is last and says more
 * follow; before a `page[before]` cursor it is first and says more precede. `keys` holds each
 * row's sort key when the list is sorted by something other than its id.
 */
export function pageEnvelope<T extends { id: number }>(
  page: Page,
  rows: T[],
  count: number | undefined,
  url: URL,
  keys?: string[],
): { items: T[]; extra: Record<string, unknown> } {
  if (page.mode === "cursor") {
    const backwards = page.beforeId !== undefined;
    const extra = rows.length > page.size;
    const from = backwards && extra ? rows.length - page.size : 0;
    const items = rows.slice(from, from + page.size);
    const itemKeys = keys?.slice(from, from + page.size);
    // More after this page: the extra row going forwards; the cursor's own row going backwards.
    const hasNext = backwards ? items.length > 0 : extra;
    const hasPrev = backwards ? extra : page.afterId !== undefined && items.length > 0;
    const last = items.length - 1;
    const after = last >= 0 ? encodeCursor(items[last]!.id, itemKeys?.[last]) : null;
    const before = items.length > 0 ? encodeCursor(items[0]!.id, itemKeys?.[0]) : null;
    const link = (name: "page[after]" | "page[before]", cursor: string | null) => {
      const u = new URL(url);
      u.searchParams.delete("page[after]");
      u.searchParams.delete("page[before]");
      u.searchParams.set("page[size]", String(page.size));
      if (cursor) u.searchParams.set(name, cursor);
      return u.toString();
    };
    return {
      items,
      extra: {
        // has_more follows the direction of travel, as in Zendesk's cursor pagination.
        meta: { has_more: extra, after_cursor: after, before_cursor: before },
        links: { next: hasNext && after ? link("page[after]", after) : null, prev: hasPrev && before ? link("page[before]", before) : null },
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

/** A sort key other than the id: the SQL expression and how a cursor's key becomes a value of it. */
export type SortKey = { expr: RawBuilder<unknown>; value: (key: string) => RawBuilder<unknown> };

/**
 * Applies a page to a repository's query ordered by a public id column (or by a sort key, then
 * the id): cursor pages are keyset pages that fetch one extra row to tell whether more follow (or
 * precede, before a `page[before]` cursor); offset pages also run the count.
 */
export async function fetchPage<O>(
  q: SelectQueryBuilder<any, any, O>, // any: the helper serves every table's builder
  page: Page,
  idColumn: string,
  count: () => Promise<number>,
  key?: SortKey,
): Promise<{ rows: O[]; count: number | undefined }> {
  const dir = page.desc ? "desc" : "asc";
  const ordered = (qq: SelectQueryBuilder<any, any, O>, d: "asc" | "desc") => (key ? qq.orderBy(key.expr, d) : qq).orderBy(idColumn, d);
  if (page.mode === "cursor") {
    const backwards = page.beforeId !== undefined;
    const id = backwards ? page.beforeId : page.afterId;
    const cursorKey = backwards ? page.beforeKey : page.afterKey;
    // Going forwards in a descending list means smaller keys; going backwards, larger ones.
    const op = page.desc !== backwards ? "<" : ">";
    let where = q;
    if (id !== undefined) {
      if (key) {
        if (cursorKey === undefined) throw new AppError("BadRequest", { description: "invalid page cursor" });
        where = q.where(sql<boolean>`(${key.expr}, ${sql.ref(idColumn)}) ${sql.raw(op)} (${key.value(cursorKey)}, ${id})`);
      } else where = q.where(idColumn, op, id);
    }
    const rows = await ordered(where, backwards ? (dir === "asc" ? "desc" : "asc") : dir).limit(page.size + 1).execute();
    return { rows: backwards ? rows.reverse() : rows, count: undefined };
  }
  const rows = await ordered(q, dir).limit(page.limit).offset(page.offset).execute();
  return { rows, count: await count() };
}
