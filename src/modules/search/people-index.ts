import type { RequestContext } from "../../platform/context.ts";
import { invalid } from "../../platform/errors.ts";
import * as repo from "./people-repo.ts";
import { emailTerms, nameQueryGroups, nameTerms, type QueryWord } from "./people-text.ts";

/**
 * The name index of people and organizations, kept by the users and organizations services, which
 * call indexUser and indexOrganization in the same transaction as every write of a name or an
 * address, whatever made it (the API, invitations, single sign-on, inbound mail, tenant creation
 * by the command line, which runs without the app's hooks). Invariants:
 *  - no term leaves this file unhashed: each is a blind index under the tenant's key (purpose
 *    NAME_PURPOSE, distinct from the ticket index's), truncated to 16 bytes;
 *  - a person's (organization's) entries are always those of their whole current name and
 *    address: each write replaces them all, so nothing of an old name stays findable;
 *  - a deleted person has none (a deleted organization's go with its row, by a foreign key).
 * An install that had people before this index (0034) rebuilds it with reindexPeople and
 * reindexOrganizations (people-service.ts; `vaultdesk search reindex`); until then they are found
 * by whole e-mail address only (users/search, through the address's own blind index).
 */

/** A person's whole name and address as they now are, or `removed` (deleted: found by nobody). */
export type UserSearchable = { id: string; name: string; email: string | null } | { id: string; removed: true };
/** An organization's name as it now is (a deleted one's entries go with its row: 0034's foreign key). */
export type OrganizationSearchable = { id: string; name: string };

export const NAME_PURPOSE = "search.name";

/** Most term groups one query may ask for. */
export const MAX_NAME_GROUPS = 16;

const hashOf = (ctx: RequestContext, term: string) => ctx.sealer.blindIndex(NAME_PURPOSE, term).subarray(0, repo.TERM_BYTES);

const packed = (ctx: RequestContext, terms: readonly string[]) => Buffer.concat(terms.map((t) => hashOf(ctx, t)));

/** Replaces a person's entries with those of their name and address (or removes them). */
export async function indexUser(ctx: RequestContext, e: UserSearchable): Promise<void> {
  if ("removed" in e) return repo.removeEntries(ctx.tx, "user", e.id);
  await repo.replaceEntries(ctx.tx, "user", e.id, packed(ctx, [...nameTerms(e.name), ...(e.email ? emailTerms(e.email) : [])]));
}

/** Replaces an organization's entries with those of its name. */
export async function indexOrganization(ctx: RequestContext, e: OrganizationSearchable): Promise<void> {
  await repo.replaceEntries(ctx.tx, "organization", e.id, packed(ctx, nameTerms(e.name)));
}

/**
 * The people (organizations) whose names and addresses match every word of a query, as a
 * parenthesised subquery of ids (`id IN …`), or undefined when the query has no words.
 */
export function nameMatch(ctx: RequestContext, kind: repo.NameKind, words: readonly QueryWord[]) {
  const groups = nameQueryGroups(words);
  if (groups.length === 0) return undefined;
  if (groups.length > MAX_NAME_GROUPS) throw invalid("query", `too many words to search for at once (at most ${MAX_NAME_GROUPS})`);
  const hashes: Buffer[] = [];
  const index: number[] = [];
  groups.forEach((g, i) => g.alternatives.forEach((a) => (hashes.push(hashOf(ctx, a)), index.push(i))));
  return repo.matchingIds(ctx.tx.tenantId, kind, { packed: Buffer.concat(hashes), groups: index, groupCount: groups.length });
}
