import { sql, type Expression, type ExpressionBuilder, type SqlBool } from "kysely";
import { NO_ID } from "../../platform/db/database.ts";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden, invalid } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { findGroupByName, resolveGroup } from "../groups/groups-service.ts";
import { findOrganizationByName, resolveOrganization } from "../organizations/organizations-service.ts";
import type { TicketSort } from "../tickets/tickets-types.ts";
import { commentTextsForSnippets, countTickets, listTickets, visibleTicketNiceIds } from "../tickets/tickets-service.ts";
import { ticketPolicy } from "../tickets/tickets-policy.ts";
import { findUserByEmail, resolveUser } from "../users/users-service.ts";
import { parseQuery, PRIORITIES, valuesMatching, type Term } from "./search-fns.ts";
import { textMatch } from "./search-index.ts";
import { highlightsOf, matcherFor, type Highlights } from "./snippet-fns.ts";

/**
 * Search: structured filters and free text turned into one tenant-scoped ticket query, through the
 * ticket policy's scope (tickets-service listTickets and countTickets).
 */

/** Statuses in their order (`status<solved`; views' `less_than`). */
export const STATUS_ORDER = ["new", "open", "pending", "hold", "solved", "closed"];

async function userIdFor(ctx: RequestContext, v: string): Promise<string | null | undefined> {
  const actor = actorUser(ctx);
  if (v === "me") return actor.userId;
  if (v === "none") return null;
  if (/^\d+$/.test(v)) return (await resolveUser(ctx, Number(v)).catch(() => undefined))?.id ?? NO_ID;
  if (v.includes("@")) return (await findUserByEmail(ctx, v))?.id ?? NO_ID;
  throw invalid("query", `users are matched by id, e-mail, "me" or "none", not by name: ${v}`, "Unsupported");
}


/** `col IN (values)`, or false for no values (`priority>urgent`, `status<new`: SQL has no empty IN list). */
export const anyOf = (eb: ExpressionBuilder<any, any>, col: string, values: string[]): Expression<SqlBool> => (values.length ? eb(col, "in", values) : sql<SqlBool>`false`); // any: as the conditions below

/**
 * The search's filters, resolved inside the tenant, as one condition over `tickets as t`: terms of
 * the same field with `:` are alternatives (OR), everything else applies together (AND).
 * `byRelevance`: the caller orders by relevance when the query has words.
 */
async function filtersFor(ctx: RequestContext, query: string, byRelevance = false): Promise<{ where: (q: any, counting?: boolean, top?: number) => any; ranked: boolean; text: string[]; prunable: (top: number) => boolean }> { // any: see below
  const terms = parseQuery(query);
  // Free words and phrases: the matching tickets joined in as `hit` (nice_id, score), in score
  // order for a page in relevance order, in none for a count or another order. Readers of
  // internal notes (staff: search.json is for them only) match them too.
  const text = terms.flatMap((t) => (t.kind === "text" ? [t.value] : []));
  // An agent who sees part of the tickets is ranked by statistics of that part (visibleTicketNiceIds).
  const matching = text.length ? await textMatch(ctx, text, ticketPolicy.readInternalNotes(actorUser(ctx)), visibleTicketNiceIds(ctx)) : undefined;
  const types = terms.filter((t): t is Extract<Term, { kind: "type" }> => t.kind === "type");
  if (types.some((t) => t.value !== "ticket")) throw invalid("query", "search covers tickets, people (type:user) and organizations (type:organization); list groups through their endpoint", "Unsupported");
  // Resolve references before building the query (each resolves inside the tenant only).
  type Cond = (eb: ExpressionBuilder<any, any>) => Expression<SqlBool>;
  const groups = new Map<string, Cond[]>();
  const add = (key: string, c: Cond) => groups.set(key, [...(groups.get(key) ?? []), c]);
  let n = 0;
  for (const t of terms) {
    switch (t.kind) {
      case "status": {
        const set = valuesMatching(STATUS_ORDER, t.op, t.value);
        add(t.op === ":" ? "status" : `status${n++}`, (eb) => anyOf(eb, "t.status", set));
        break;
      }
      case "priority": {
        const set = valuesMatching(PRIORITIES, t.op, t.value);
        add(t.op === ":" ? "priority" : `priority${n++}`, (eb) => anyOf(eb, "t.priority", set));
        break;
      }
      case "ticket_type":
        add("type", (eb) => eb("t.type", "=", t.value));
        break;
      case "assignee":
      case "requester":
      case "submitter": {
        const id = await userIdFor(ctx, t.value);
        const col = `t.${t.kind}_id`;
        add(t.kind, (eb) => (id === null ? eb(col, "is", null) : eb(col, "=", id)));
        break;
      }
      case "tags":
        if (t.negate) add(`-tags${n++}`, () => sql<SqlBool>`NOT (t.tags @> ARRAY[${t.value}]::text[])`);
        else add("tags", () => sql<SqlBool>`t.tags @> ARRAY[${t.value}]::text[]`);
        break;
      case "group": {
        const g = t.value.toLowerCase() === "none" ? null : /^\d+$/.test(t.value) ? await resolveGroup(ctx, Number(t.value)).catch(() => undefined) : await findGroupByName(ctx, t.value);
        add("group", (eb) => (g === null ? eb("t.group_id", "is", null) : eb("t.group_id", "=", g?.id ?? NO_ID)));
        break;
      }
      case "organization": {
        const o = t.value.toLowerCase() === "none" ? null : /^\d+$/.test(t.value) ? await resolveOrganization(ctx, Number(t.value)).catch(() => undefined) : await findOrganizationByName(ctx, t.value);
        add("organization", (eb) => (o === null ? eb("t.organization_id", "is", null) : eb("t.organization_id", "=", o?.id ?? NO_ID)));
        break;
      }
      case "created":
      case "updated":
      case "solved":
      case "due_date": {
        const col = t.kind === "due_date" ? "t.due_at" : `t.${t.kind}_at`;
        const d = new Date(t.value);
        const dayEnd = new Date(d.getTime() + 86_400_000);
        add(`${t.kind}${n++}`, (eb) =>
          t.op === ":" ? eb.and([eb(col, ">=", d), eb(col, "<", dayEnd)]) : eb(col, t.op === "<" || t.op === "<=" ? "<" : ">=", t.op === "<=" || t.op === ">" ? dayEnd : d),
        );
        break;
      }
      case "name":
      case "email":
        throw invalid("query", `${t.kind}: searches people and organizations (type:user or type:organization)`, "Unsupported");
      case "type":
      case "text":
        break;
    }
  }
  // `any` above: the ticket query builder's type is deep and each condition is checked at run time by Kysely.
  const conds = [...groups.values()];
  const joined = (q: any, counting: boolean, top: number | undefined) => (matching ? q.innerJoin(matching(byRelevance && !counting, counting ? undefined : top).as("hit"), (j: any) => j.onRef("hit.nice_id", "=", "t.nice_id")) : q);
  return {
    where: (q, counting = false, top) => {
      const jq = joined(q, counting, top);
      return conds.length === 0 ? jq : jq.where((eb: ExpressionBuilder<any, any>) => eb.and(conds.map((alts) => (alts.length === 1 ? alts[0]!(eb) : eb.or(alts.map((c) => c(eb)))))));
    },
    ranked: matching !== undefined,
    text,
    // Not with other filters: the best matches by bound know nothing of them, and a filter keeping
    // a fifth of the tickets left too few for a page about as often as not, each then asked twice.
    prunable: (top) => conds.length === 0 && (matching?.prunable(top) ?? false),
  };
}

/**
 * How many of a single word's best matches a relevance page is first taken from (search-repo.ts
 * prunedMatch), for a page needing `rows`: enough that those beating the next one's bound fill
 * the page, few enough that their length lookups stay cheap (~5 µs each). A page that comes back
 * short is asked again of every match, which costs 2–4× the pruned statement for a common word:
 * with 8 × rows (256 for a page of 25), 4 of the benchmark's 12 common words came back short at
 * 300,000 tickets (24 of 26 rows); with 1,024 every one was full, for 3–15 % more than 256
 * (bench/README.md, "Bounds").
 */
export function pruneTop(rows: number): number {
  return Math.min(Math.max(40 * rows, 256), 4096);
}

/**
 * The best matches a relevance page needing `rows` joins in first (pruneTop), or undefined for
 * every match: when the query cannot be pruned, and when the page needs more rows than the most
 * pruneTop takes (a deep offset page, `page=50&per_page=100`), which could only come back short
 * and cost the pruned statement before every match.
 */
export function relevanceTop(rows: number, prunable: (top: number) => boolean): number | undefined {
  const top = pruneTop(rows);
  return top >= rows && prunable(top) ? top : undefined;
}

/** Relevance (the BM25 score joined in by a text search, an integer), highest first; ties: the newest ticket. */
const RELEVANCE = { expr: sql`hit.score`, text: sql<string>`hit.score::text`, value: (k: string) => sql`${k}::bigint` };

/**
 * Searches tickets: by relevance when the query has words and no sort is asked for (always
 * highest first), otherwise by the sort (or by id). `sorted`: rows carry a `sort_key` for cursors.
 */
export async function searchTickets(ctx: RequestContext, query: string, page: Page, sort?: TicketSort) {
  requireStaffForSearch(ctx);
  const f = await filtersFor(ctx, query, !sort);
  const byRelevance = f.ranked && !sort;
  const relevance = { ...RELEVANCE, top: (rows: number) => relevanceTop(rows, f.prunable), complete: sql<boolean>`hit.complete` };
  const r = await listTickets(ctx, byRelevance ? { ...page, desc: true } : page, f.where, byRelevance ? relevance : sort);
  // A text search's hits carry highlights, from this page's tickets only: what the reader may see
  // of them (the same rule as matching), decrypted now and never kept.
  const highlights = f.ranked ? await snippetsFor(ctx, f.text, r.rows.map((row, i) => ({ id: row.id, subject: r.views[i]!.subject })), ticketPolicy.readInternalNotes(actorUser(ctx))) : undefined;
  return { ...r, sorted: byRelevance || sort !== undefined, highlights };
}

/** Highlights of a page of hits, in its order. `internal`: the reader may see internal notes. */
async function snippetsFor(ctx: RequestContext, text: readonly string[], hits: ReadonlyArray<{ id: string; subject: string }>, internal: boolean): Promise<Highlights[]> {
  const m = matcherFor(text);
  const comments = await commentTextsForSnippets(ctx, hits.map((h) => h.id), { internal });
  return hits.map((h) => highlightsOf(m, h.subject, comments.get(h.id) ?? []));
}

/** Counts shown beside views stop at this many: counting further would read every matching row. */
export const COUNT_CAP = 10_000;

export async function countSearchResults(ctx: RequestContext, query: string) {
  requireStaffForSearch(ctx);
  return countTickets(ctx, (await filtersFor(ctx, query)).where, COUNT_CAP);
}

function requireStaffForSearch(ctx: RequestContext) {
  if (!ticketPolicy.useWorkspace(actorUser(ctx))) throw forbidden("End users reach their tickets through the requests API.");
}
