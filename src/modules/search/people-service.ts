import type { RequestContext } from "../../platform/context.ts";
import { NO_ID } from "../../platform/db/database.ts";
import { invalid } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { listOrganizations, searchableOrganizations } from "../organizations/organizations-service.ts";
import type { OrgView } from "../organizations/organizations-types.ts";
import { findUserByExactEmail, listUsers, searchableUsers } from "../users/users-service.ts";
import type { UserView } from "../users/users-types.ts";
import { indexOrganization, indexUser, nameMatch } from "./people-index.ts";
import { countNamed, noIds, removeAll, type NameKind } from "./people-repo.ts";
import type { Reindexer } from "./reindexer.ts";
import { queryWord, type NameField, type QueryWord } from "./people-text.ts";
import { parseQuery, type Term } from "./search-fns.ts";

/**
 * Search for people and organizations by name and e-mail address (the name index,
 * people-index.ts), for `search.json?query=type:user …`, `users/search`, and the autocomplete
 * endpoints. Results go through the users' and organizations' own services, so their policies
 * decide who may search (staff; end users are refused) and what a result shows. Results are in
 * the order people (organizations) were created: by id, a stable order that cursor pages follow;
 * `sort_order=desc` reverses it.
 */

export type PeopleType = "user" | "organization";

/** The type a search.json query asks for when it is people or organizations (else undefined: tickets, or refused there). */
export function peopleTypeOf(query: string): { type: PeopleType; terms: Term[] } | undefined {
  const terms = parseQuery(query);
  const types = new Set(terms.flatMap((t) => (t.kind === "type" ? [t.value] : [])));
  const people = [...types].filter((t): t is PeopleType => t === "user" || t === "organization");
  if (people.length === 0) return undefined;
  if (types.size > 1) throw invalid("query", "search one type at a time: type:ticket, type:user or type:organization", "Unsupported");
  return { type: people[0]!, terms };
}

/** Splits a value into words, keeping a trailing `*` with its word. */
const wordsOf = (value: string) => value.split(/\s+/).filter((w) => w.replace(/\*+$/, "").length > 0);

function queryWords(type: PeopleType, terms: Term[]): QueryWord[] {
  const anyField: readonly NameField[] = type === "user" ? ["name", "email"] : ["name"];
  const words: QueryWord[] = [];
  for (const t of terms) {
    switch (t.kind) {
      case "type":
        break;
      case "text":
        words.push(...wordsOf(t.value).map((w) => queryWord(w, anyField)));
        break;
      case "name":
        words.push(...wordsOf(t.value).map((w) => queryWord(w, ["name"])));
        break;
      case "email":
        if (type !== "user") throw invalid("query", "organizations have no e-mail address: search them by name", "Unsupported");
        words.push(...wordsOf(t.value).map((w) => queryWord(w, ["email"])));
        break;
      default:
        throw invalid("query", `${t.kind}: is not a filter of type:${type} (search people and organizations by words of a name, name: or email:)`, "Unsupported");
    }
  }
  return words;
}

export type PeopleResults = { type: "user"; rows: UserView[]; count: number | undefined } | { type: "organization"; rows: OrgView[]; count: number | undefined };

/** search.json for `type:user` and `type:organization`: every word must match; `ad*` matches a prefix. */
export async function searchPeople(ctx: RequestContext, q: { type: PeopleType; terms: Term[] }, page: Page): Promise<PeopleResults> {
  const words = queryWords(q.type, q.terms);
  if (q.type === "user") return { type: "user", ...(await listUsers(ctx, page, { idsIn: nameMatch(ctx, "user", words) })) };
  return { type: "organization", ...(await listOrganizations(ctx, page, nameMatch(ctx, "organization", words))) };
}

/** search/count for `type:user` and `type:organization` (exact: people are counted through the index's subquery). */
export async function countPeople(ctx: RequestContext, q: { type: PeopleType; terms: Term[] }): Promise<number> {
  const r = await searchPeople(ctx, q, { mode: "offset", page: 1, perPage: 1, limit: 1, offset: 0, desc: false });
  return r.count ?? r.rows.length;
}

/** Every word a prefix (type-ahead: what has been typed so far). */
const prefixWords = (value: string, fields: readonly NameField[]) => wordsOf(value).map((w) => queryWord(w.endsWith("*") ? w : `${w}*`, fields));

/**
 * Zendesk's `users/search?query=`: a whole e-mail address finds its person through the address's
 * own blind index (deleted people included, as before); anything else (or an address nobody has)
 * matches names and addresses by the start of each word ("ada lov" finds Ada Lovelace, "ada@ex"
 * ada@example.com).
 */
export async function searchUsersByQuery(ctx: RequestContext, query: string, page: Page): Promise<{ rows: UserView[]; count: number | undefined }> {
  const q = query.trim().replace(/^email:/i, "");
  if (/^[^\s*]+@[^\s*]+$/.test(q)) {
    const rows = await findUserByExactEmail(ctx, q);
    if (rows.length > 0) return { rows, count: rows.length };
  }
  return listUsers(ctx, page, { idsIn: nameMatch(ctx, "user", prefixWords(q, ["name", "email"])) ?? noIds() });
}

/** Zendesk's `users/autocomplete?name=`: people whose name has words starting with each word given (nothing to complete: none). */
export async function autocompleteUsers(ctx: RequestContext, name: string, page: Page) {
  return listUsers(ctx, page, { idsIn: nameMatch(ctx, "user", prefixWords(name, ["name"])) ?? noIds() });
}

/** Zendesk's `organizations/autocomplete?name=`: organizations whose name has words starting with each word given. */
export async function autocompleteOrganizations(ctx: RequestContext, name: string, page: Page) {
  return listOrganizations(ctx, page, nameMatch(ctx, "organization", prefixWords(name, ["name"])) ?? noIds());
}

const BATCH = 500;

/**
 * Rebuilds a tenant's name index of people from their sealed names and addresses (active people
 * only), in the caller's transaction. For `vaultdesk search reindex`, and an install whose people
 * predate the index. Returns how many people were indexed.
 */
export async function reindexPeople(ctx: RequestContext): Promise<number> {
  await removeAll(ctx.tx, "user");
  let after = 0;
  let n = 0;
  for (;;) {
    const batch = await searchableUsers(ctx, after, BATCH);
    for (const u of batch) await indexUser(ctx, u);
    n += batch.length;
    if (batch.length < BATCH) return n;
    after = batch[batch.length - 1]!.niceId;
  }
}

/** Rebuilds a tenant's name index of organizations, like reindexPeople. Returns how many were indexed. */
export async function reindexOrganizations(ctx: RequestContext): Promise<number> {
  await removeAll(ctx.tx, "organization");
  let after = 0;
  let n = 0;
  for (;;) {
    const batch = await searchableOrganizations(ctx, after, BATCH);
    for (const o of batch) await indexOrganization(ctx, o);
    n += batch.length;
    if (batch.length < BATCH) return n;
    after = batch[batch.length - 1]!.niceId;
  }
}


/**
 * The name indexes in the search index's resumable rebuild (search-reindex-service.ts): the first
 * batch empties the kind's entries, each batch then indexes the next people (or organizations) by
 * public id. Until the rebuild has gone past someone, a name search may miss them.
 */
function nameReindexer(kind: NameKind): Reindexer {
  return {
    name: kind === "user" ? "people" : "organizations",
    count: (ctx) => countNamed(ctx.tx, kind),
    async batch(ctx, after, size) {
      if (after === NO_ID) await removeAll(ctx.tx, kind);
      const from = after === NO_ID ? 0 : Number(after);
      let last: number | undefined;
      let done = 0;
      if (kind === "user") {
        for (const u of await searchableUsers(ctx, from, size)) (await indexUser(ctx, u), (last = u.niceId), done++);
      } else {
        for (const o of await searchableOrganizations(ctx, from, size)) (await indexOrganization(ctx, o), (last = o.niceId), done++);
      }
      return last === undefined ? undefined : { done, last: String(last) };
    },
  };
}

export const peopleReindexers: readonly Reindexer[] = [nameReindexer("user"), nameReindexer("organization")];
