import { sql, type RawBuilder, type Updateable, type SelectQueryBuilder } from "kysely";
import { compileOnce } from "../../platform/db/compiled.ts";
import { PLAN_PER_EXECUTION, type TenantTx } from "../../platform/db/database.ts";
import type { DB, TicketPriority, TicketStatus, TicketType, TicketsTable } from "../../platform/db/schema.ts";
import { fetchPage, type Page } from "../../platform/http/pagination.ts";

/** SQL for tickets, their comments and audits, and ticket field definitions. */

export type TicketRow = {
  id: string;
  nice_id: number;
  subject_sealed: Uint8Array;
  description_sealed: Uint8Array;
  status: TicketStatus;
  priority: TicketPriority | null;
  type: TicketType | null;
  requester_id: string;
  submitter_id: string;
  assignee_id: string | null;
  group_id: string | null;
  organization_id: string | null;
  requester_nice: number;
  submitter_nice: number;
  assignee_nice: number | null;
  group_nice: number | null;
  organization_nice: number | null;
  tags: string[];
  custom_fields_sealed: Uint8Array | null;
  external_id_sealed: Uint8Array | null;
  due_at: Date | null;
  created_at: Date;
  updated_at: Date;
  via: string;
  is_public: boolean;
  /** Public ids of the people copied on the ticket (ticket_ccs), in order. */
  cc_nice_ids: number[];
};

type Q = SelectQueryBuilder<DB & { t: DB["tickets"] }, "t", TicketRow>;

export function ticketQuery(tx: Pick<TenantTx, "db" | "tenantId">): Q {
  return ticketQueryWithTrash(tx).where("t.deleted_at", "is", null);
}

/**
 * ticketQuery's rows over every ticket of the tenant, those in the trash included (incremental
 * exports). `unrestrictedCcs`: the CC list leaves out people whose processing is restricted (what
 * goes to other systems names none of them, not even by id).
 */
function ticketQueryWithTrash(tx: Pick<TenantTx, "db" | "tenantId">, unrestrictedCcs = false): Q {
  return tx.db
    .selectFrom("tickets as t")
    .select([
      "t.id", "t.nice_id", "t.subject_sealed", "t.description_sealed", "t.status", "t.priority", "t.type",
      "t.requester_id", "t.submitter_id", "t.assignee_id", "t.group_id", "t.organization_id",
      niceOf("users", "t.requester_id").as("requester_nice"),
      niceOf("users", "t.submitter_id").as("submitter_nice"),
      niceOf("users", "t.assignee_id").as("assignee_nice"),
      niceOf("groups", "t.group_id").as("group_nice"),
      niceOf("organizations", "t.organization_id").as("organization_nice"),
      "t.tags", "t.custom_fields_sealed", "t.external_id_sealed", "t.due_at", "t.created_at", "t.updated_at",
      "t.via", "t.is_public",
      sql<number[]>`ARRAY(SELECT cu.nice_id FROM ticket_ccs c JOIN users cu ON cu.tenant_id = c.tenant_id AND cu.id = c.user_id WHERE c.tenant_id = t.tenant_id AND c.ticket_id = t.id${sql.raw(unrestrictedCcs ? " AND cu.restricted_at IS NULL" : "")} ORDER BY cu.nice_id)`.as("cc_nice_ids"),
    ])
    .where("t.tenant_id", "=", tx.tenantId) as unknown as Q;
}

/**
 * The public id of a ticket's requester, submitter, assignee, group or organization, looked up for
 * each row the query returns (by primary key), never joined. As joins, the planner could drive a
 * page from the wrong side: with one requester in a tenant (an import, an integration's account),
 * a page of 26 tickets by id was found by walking every ticket of that requester (15,000 at the
 * benchmark's smallest size, 300,000 at its largest; bench/README.md, "Search"). Looked up after
 * the page is cut (PostgreSQL evaluates such costly columns after a sort and its limit).
 */
const niceOf = (table: "users" | "groups" | "organizations", column: "t.requester_id" | "t.submitter_id" | "t.assignee_id" | "t.group_id" | "t.organization_id") =>
  sql<number>`(SELECT x.nice_id FROM ${sql.table(table)} x WHERE x.tenant_id = t.tenant_id AND x.id = ${sql.ref(column)})`;

/** Leaves out tickets whose requester's processing is restricted (a `where` for listTickets). */
export const requesterNotRestricted = (q: Q): Q =>
  q.where(sql<boolean>`NOT EXISTS (SELECT 1 FROM users r WHERE r.tenant_id = t.tenant_id AND r.id = t.requester_id AND r.restricted_at IS NOT NULL)`);

/** The configuration of a person's custom role, if they carry one (platform/roles.ts). */
export async function customRoleOfUser(tx: TenantTx, userId: string): Promise<unknown> {
  const r = await tx.db
    .selectFrom("users as u")
    .innerJoin("custom_roles as cr", (j) => j.onRef("cr.tenant_id", "=", "u.tenant_id").onRef("cr.id", "=", "u.custom_role_id"))
    .select("cr.configuration")
    .where("u.tenant_id", "=", tx.tenantId)
    .where("u.id", "=", userId)
    .executeTakeFirst();
  return r?.configuration ?? null;
}

/*
 * The narrower ticket accesses are one OR of plain column conditions. The agent's groups and the
 * tickets they are CC'd on are read once per query into arrays (uncorrelated subqueries: InitPlans,
 * tenant-scoped by vd_tenant() as row-level security is), never once per ticket row, so that each
 * alternative is a condition an index answers: PostgreSQL can then walk the view's sort index with
 * a cheap filter, or combine tickets_group_status, tickets_assignee_status, tickets_requester and
 * the primary key in a BitmapOr (counts). A subquery correlated to the ticket row (`gm.tenant_id
 * = t.tenant_id`) ran once per row read and kept counts from using any index but the status one:
 * 0.55–0.73 s for a within-groups count at 100k tickets on PostgreSQL, 7–18 ms now (docs/workspace.md).
 */
const groupsOf = (userId: string) => sql`ARRAY(SELECT gm.group_id FROM group_memberships gm WHERE gm.tenant_id = vd_tenant() AND gm.user_id = ${userId})`;
/** The tickets a person is copied on (CC'd), as an array for `t.id = ANY (…)`. */
export const ccdOn = (userId: string) => sql`ARRAY(SELECT cc.ticket_id FROM ticket_ccs cc WHERE cc.tenant_id = vd_tenant() AND cc.user_id = ${userId})`;

/** Tickets an agent is assigned to, requested, or is CC'd on: seen under every ticket access. */
const involved = (userId: string) => sql<boolean>`t.assignee_id = ${userId} OR t.requester_id = ${userId} OR t.id = ANY (${ccdOn(userId)})`;

/** The organization of an end user when it shares its tickets with its members (0029), else NULL. */
const sharedOrganizationOf = (userId: string) =>
  sql`(SELECT su.organization_id FROM users su JOIN organizations so ON so.tenant_id = su.tenant_id AND so.id = su.organization_id WHERE su.tenant_id = t.tenant_id AND su.id = ${userId} AND so.shared_tickets)`;

/** Narrows a ticket query to what a policy scope lets its actor see (tickets-policy.ts). */
export function scoped<T extends { where: (...args: any[]) => T }>(q: T, scope: TicketScope): T { // any: every ticket builder shape
  switch (scope.kind) {
    case "all":
      return q;
    case "none":
      return q.where(sql<boolean>`false`);
    case "requested": {
      if (!scope.organization && !scope.ccd) return q.where("t.requester_id", "=", scope.userId).where("t.is_public", "=", true);
      const theirs = [sql<boolean>`t.requester_id = ${scope.userId}`];
      if (scope.ccd) theirs.push(sql<boolean>`t.id = ANY (${ccdOn(scope.userId)})`);
      if (scope.organization) theirs.push(sql<boolean>`t.organization_id = ${sharedOrganizationOf(scope.userId)}`);
      return q.where("t.is_public", "=", true).where(sql<boolean>`(${sql.join(theirs, sql` OR `)})`);
    }
    case "groups":
      return q.where(sql<boolean>`${PLAN_PER_EXECUTION}(t.group_id = ANY (${groupsOf(scope.userId)}) OR ${involved(scope.userId)})`);
    case "assigned":
      return q.where(sql<boolean>`${PLAN_PER_EXECUTION}(${involved(scope.userId)})`);
  }
}

/** The nice_ids (the search index's key) of the (not deleted) tickets a scope lets its actor see, as a subquery (search's statistics). */
export const ticketNiceIdsIn = (tx: TenantTx, scope: TicketScope) =>
  scoped(tx.db.selectFrom("tickets as t").select("t.nice_id").where("t.tenant_id", "=", tx.tenantId).where("t.deleted_at", "is", null), scope);

// The single-ticket lookups behind show, update and delete, compiled once (compiled.ts).
const SENTINEL_TENANT = "00000000-0000-4000-8000-00000000c0de";
const SENTINEL_ID = -0x5eed;
const ticketByNiceId = compileOnce((db, tenantId: string, niceId: number) => ticketQuery({ db, tenantId }).where("t.nice_id", "=", niceId), [SENTINEL_TENANT, SENTINEL_ID]);
const ticketByNiceIdForUpdate = compileOnce((db, tenantId: string, niceId: number) => ticketQuery({ db, tenantId }).where("t.nice_id", "=", niceId).forUpdate("t"), [SENTINEL_TENANT, SENTINEL_ID]);
export const findTicket = async (tx: TenantTx, niceId: number, scope: TicketScope): Promise<TicketRow | undefined> =>
  scope.kind === "all" ? (await ticketByNiceId(tx.db, tx.tenantId, niceId))[0] : scoped(ticketQuery(tx), scope).where("t.nice_id", "=", niceId).executeTakeFirst();
export const findTicketForUpdate = async (tx: TenantTx, niceId: number, scope: TicketScope): Promise<TicketRow | undefined> =>
  scope.kind === "all" ? (await ticketByNiceIdForUpdate(tx.db, tx.tenantId, niceId))[0] : scoped(ticketQuery(tx), scope).where("t.nice_id", "=", niceId).forUpdate("t").executeTakeFirst();
/** The ticket as it is after a write (the writer's own read-back: no visibility decision). */
export const readBack = (tx: TenantTx, niceId: number) => findTicket(tx, niceId, { kind: "all" });
export const findTickets = (tx: TenantTx, niceIds: number[], scope: TicketScope) =>
  niceIds.length === 0 ? Promise.resolve([]) : scoped(ticketQuery(tx), scope).where("t.nice_id", "in", niceIds).orderBy("t.nice_id").execute();

import type { TicketScope } from "./tickets-policy.ts";
import type { TicketSort } from "./tickets-types.ts";
export type { TicketSort };

const micros = (col: string) => sql.raw(`(extract(epoch from ${col}) * 1000000)::bigint`);
const fromMicros = (k: string) => sql`(timestamptz 'epoch' + ${k}::bigint * interval '1 microsecond')`;
const rank = (k: string) => sql`${Number(k)}::integer`;
/**
 * The next breach in microseconds, or for none a key past every breach (2255) that a cursor may
 * carry (pagination.ts takes keys of at most 17 digits; the largest bigint has 19, so a page ending
 * on a ticket without a breach had a cursor refused): vd_breach_key (0070), the expression of the
 * index that serves this order.
 */
const BREACH = sql`vd_breach_key(t.sla_next_breach_at)`;

/**
 * Each sort key is the leading column of an index after tenant_id (0008_workspace.sql), so a
 * keyset page reads one page of the index. Cursors carry timestamps as integer microseconds:
 * JavaScript dates would lose the database's microseconds and skip or repeat rows.
 */
const SORT_KEYS: Record<TicketSort, { expr: RawBuilder<unknown>; text: RawBuilder<string>; value: (k: string) => RawBuilder<unknown> }> = {
  created_at: { expr: sql`t.created_at`, text: sql<string>`${micros("t.created_at")}::text`, value: fromMicros },
  updated_at: { expr: sql`t.updated_at`, text: sql<string>`${micros("t.updated_at")}::text`, value: fromMicros },
  priority: { expr: sql`vd_priority_rank(t.priority)`, text: sql<string>`vd_priority_rank(t.priority)::text`, value: rank },
  status: { expr: sql`vd_status_rank(t.status)`, text: sql<string>`vd_status_rank(t.status)::text`, value: rank },
  // The next SLA breach (0068), none last going up (BREACH): a ticket without one still has a key for cursors.
  sla_next_breach_at: { expr: BREACH, text: sql<string>`${BREACH}::text`, value: (k: string) => sql`${k}::bigint` },
};

/** A sort key for fetchPage, with the text of the key to put in cursors (select it `as sort_key`). */
export const ticketSortKey = (sort: TicketSort) => SORT_KEYS[sort];

/**
 * An order other than the named ones: an integer SQL expression over what `where` joined in
 * (search relevance), its text for cursors, and how a cursor's key becomes a value of it.
 */
export type TicketOrder = {
  expr: RawBuilder<unknown>;
  text: RawBuilder<string>;
  value: (k: string) => RawBuilder<unknown>;
  /**
   * For a page in this order (highest first) that needs `rows` rows: how many of the best matches
   * `where` may join in instead of all of them (its third argument), or undefined for all. A page
   * that comes back full from those is the page all would give; one that does not is asked again
   * with all (search-repo.ts prunedMatch).
   */
  top?: (rows: number) => number | undefined;
  /** With `top`: whether the best matches `where` joined in were all of them (a short page is then the last). */
  complete?: RawBuilder<boolean>;
};

/**
 * Relevance pages this process answered from the best matches alone (`pruned`) and those it asked
 * again of every match (`again`): how often pruning pays (read by the tests).
 */
export const relevancePages = { pruned: 0, again: 0 };

/**
 * Lists tickets matching a filter, in either pagination mode, by id or by a sort key. `where` is
 * told when it builds the count's query (`counting`): what it joins in need not come in any order then.
 */
export async function listTickets(tx: TenantTx, page: Page, scope: TicketScope, where?: (q: Q, counting?: boolean, top?: number) => Q, sort?: TicketSort | TicketOrder): Promise<{ rows: Array<TicketRow & { sort_key?: string }>; count: number | undefined }> {
  const filtered = (q: Q, counting = false, top?: number) => scoped(where ? where(q, counting, top) : q, scope);
  const key = sort === undefined ? undefined : typeof sort === "string" ? SORT_KEYS[sort] : sort;
  if (key && typeof sort === "object") {
    // An order over what `where` joined in (search relevance) has no index: every matching ticket
    // is sorted. The page is chosen over the tickets alone, and only its rows get the display
    // joins (requester, assignee, group…): joining those first cost 0.05 ms for each of 11k
    // matches of a common word (bench/README.md, "Search").
    // Cast: the same `t` the filters and scopes use, without the display joins (the inner joins
    // of ticketQuery never drop a row: requester and submitter are foreign keys).
    const light = tx.db.selectFrom("tickets as t").select(["t.id", "t.nice_id"]).where("t.tenant_id", "=", tx.tenantId).where("t.deleted_at", "is", null) as unknown as Q;
    const count = async () => Number((await filtered(light, true).clearSelect().select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n);
    const pageOf = (top: number | undefined, counted: () => Promise<number>) => {
      const q = filtered(light, false, top).select(key.text.as("sort_key"));
      return fetchPage((top !== undefined && sort.complete ? q.select(sort.complete.as("pruned_complete")) : q) as unknown as Q, page, "t.nice_id", counted, key);
    };
    // The best matches first, when the order offers it and the page goes forwards in it (highest
    // first): full, it is the page; short, the page is asked again of every match. A page going
    // backwards (`page[before]`) could need matches between its cursor and the best ones: all of them.
    const need = !page.desc ? undefined : page.mode === "cursor" ? (page.beforeId === undefined ? page.size + 1 : undefined) : page.offset + page.limit;
    const top = need === undefined ? undefined : sort.top?.(need);
    let page1: Awaited<ReturnType<typeof pageOf>> | undefined;
    if (top !== undefined) {
      const tried = await pageOf(top, async () => 0);
      const complete = (tried.rows[0] as { pruned_complete?: boolean } | undefined)?.pruned_complete === true;
      const full = complete || (page.mode === "cursor" ? tried.rows.length === page.size + 1 : tried.rows.length === page.limit);
      relevancePages[full ? "pruned" : "again"]++;
      if (full) page1 = { rows: tried.rows, count: page.mode === "offset" ? await count() : undefined };
    }
    page1 ??= await pageOf(undefined, count);
    const ids = page1.rows.map((r) => r.id);
    const full = ids.length ? await ticketQuery(tx).where("t.id", "in", ids).execute() : [];
    const byId = new Map(full.map((r) => [r.id, r]));
    const rows = page1.rows.flatMap((r) => {
      const row = byId.get(r.id);
      return row ? [{ ...row, sort_key: (r as TicketRow & { sort_key?: string }).sort_key }] : [];
    });
    return { rows, count: page1.count };
  }
  const q = key ? (filtered(ticketQuery(tx)).select(key.text.as("sort_key")) as unknown as Q) : filtered(ticketQuery(tx));
  return fetchPage(q, page, "t.nice_id", async () => Number((await filtered(ticketQuery(tx), true).clearSelect().select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n), key);
}

/**
 * Counts the tickets matching a filter, reading at most `cap + 1` of them: a count is then as
 * cheap as a page, however many tickets a tenant holds. Returns cap + 1 when there are more.
 */
export async function countTickets(tx: TenantTx, scope: TicketScope, where: (q: any) => any, cap: number): Promise<number> { // any: the search filters build on `t`
  // Planned for its values every time (PLAN_PER_EXECUTION): a cached generic plan of "solved in
  // the last 7 days" scanned every ticket (92 ms over HTTP at 100k, 9 ms now).
  const inner = scoped(where(tx.db.selectFrom("tickets as t").select(sql<number>`${PLAN_PER_EXECUTION}1`.as("one")).where("t.tenant_id", "=", tx.tenantId).where("t.deleted_at", "is", null)), scope).limit(cap + 1);
  const r = await tx.db.selectFrom(inner.as("s")).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** A position in the incremental exports' order: a last change (integer microseconds, as text) and a public id. */
export type ChangePosition = { key: string; id: number };

/**
 * Tickets changed after a position in (last change, public id) order and before `until`, the
 * trash included (each row says whether it is deleted), oldest change first (CCs whose processing
 * is restricted left out of each row's list): one range of
 * tickets_updated_page (0047), so the thousandth page of a stream costs what the first does.
 */
export async function listChangedTickets(tx: TenantTx, scope: TicketScope, after: ChangePosition, until: Date, limit: number, where?: (q: Q) => Q): Promise<Array<TicketRow & { sort_key: string; deleted: boolean }>> {
  const q = scoped(where ? where(ticketQueryWithTrash(tx, true)) : ticketQueryWithTrash(tx, true), scope)
    .select([SORT_KEYS.updated_at.text.as("sort_key"), sql<boolean>`t.deleted_at IS NOT NULL`.as("deleted")])
    .where(sql<boolean>`(t.updated_at, t.nice_id) > (${fromMicros(after.key)}, ${after.id})`)
    .where("t.updated_at", "<", until)
    .orderBy("t.updated_at")
    .orderBy("t.nice_id")
    .limit(limit);
  return (await q.execute()) as unknown as Array<TicketRow & { sort_key: string; deleted: boolean }>;
}

/** A ticket audit as the incremental ticket events export reads it. */
export type ChangedAuditRow = { id: string; nice_id: number; events_sealed: Uint8Array; via: string; created_at: Date; author_nice: number | null; ticket_nice: number; sort_key: string; kept: boolean };

/**
 * Ticket audits made after `after` and before `until`, oldest first, then by audit number (the
 * incremental ticket events export; 0055's index): of tickets in `scope`, not in the trash, whose
 * requester's processing is not restricted, and not made by a person whose processing is.
 */
export async function listChangedAudits(tx: TenantTx, scope: TicketScope, after: ChangePosition, until: Date, limit: number): Promise<ChangedAuditRow[]> {
  const out: ChangedAuditRow[] = [];
  let from = after;
  // Rounds in the index's order: the first of `limit` audits (most pass, so one round is the
  // rule), each later one twice as large up to AUDIT_ROUND_MAX, so that a run of audits left out
  // (a big ticket in the trash) costs a few large rounds, not one small round per page's worth.
  for (let size = limit; out.length < limit; size = Math.min(size * 2, Math.max(limit, AUDIT_ROUND_MAX))) {
    const rows = (await changedAuditsRound(tx, scope, from, until, size).execute(tx.db)).rows;
    out.push(...rows.filter((r) => r.kept).slice(0, limit - out.length));
    if (rows.length < size) break;
    const last = rows[rows.length - 1]!;
    from = { key: last.sort_key, id: Number(last.nice_id) };
  }
  return out;
}

/** Largest round of listChangedAudits (beyond a page's own size). */
const AUDIT_ROUND_MAX = 2000;

/** Public ids of the tenant's people whose processing is restricted (what leaves for other systems names none of them). */
export async function restrictedPeople(tx: TenantTx): Promise<number[]> {
  const rows = await tx.db.selectFrom("users").select("nice_id").where("tenant_id", "=", tx.tenantId).where("restricted_at", "is not", null).execute();
  return rows.map((r) => Number(r.nice_id));
}

/**
 * One round of listChangedAudits (its plan is tested: test/ticket-events-plan.test.ts): the next
 * `size` audits as one range of the index, each then checked by lookups of its ticket and author
 * (`kept`). Filtered in the same statement as joins or EXISTS, the planner, misled by row-level
 * security's estimates, started from the tickets and read every audit of the tenant to sort them.
 */
export function changedAuditsRound(tx: TenantTx, scope: TicketScope, after: ChangePosition, until: Date, size: number) {
  const ticketOk = scoped(
    tx.db
      .selectFrom("tickets as t")
      .select(sql`1`.as("one"))
      .where(sql<boolean>`t.tenant_id = a.tenant_id AND t.id = a.ticket_id`)
      .where("t.deleted_at", "is", null)
      .where(sql<boolean>`NOT EXISTS (SELECT 1 FROM users r WHERE r.tenant_id = t.tenant_id AND r.id = t.requester_id AND r.restricted_at IS NOT NULL)`),
    scope,
  );
  return sql<ChangedAuditRow>`
    WITH a AS MATERIALIZED (
      SELECT a.tenant_id, a.id, a.nice_id, a.ticket_id, a.author_id, a.events_sealed, a.via, a.created_at FROM ticket_audits a
      WHERE a.tenant_id = ${tx.tenantId} AND (a.created_at, a.nice_id) > (${fromMicros(after.key)}, ${after.id}) AND a.created_at < ${until}
      ORDER BY a.created_at, a.nice_id LIMIT ${size})
    SELECT a.id, a.nice_id, a.events_sealed, a.via, a.created_at, ${micros("a.created_at")}::text AS sort_key,
      (SELECT u.nice_id FROM users u WHERE u.tenant_id = a.tenant_id AND u.id = a.author_id) AS author_nice,
      (SELECT tk.nice_id FROM tickets tk WHERE tk.tenant_id = a.tenant_id AND tk.id = a.ticket_id) AS ticket_nice,
      (EXISTS (${ticketOk}) AND NOT EXISTS (SELECT 1 FROM users au WHERE au.tenant_id = a.tenant_id AND au.id = a.author_id AND au.restricted_at IS NOT NULL)) AS kept
    FROM a ORDER BY a.created_at, a.nice_id`;
}

export type NewTicket = Omit<TicketsTable, "tenant_id" | "nice_id" | "created_at" | "updated_at" | "solved_at" | "deleted_at" | "deleted_by" | "tags" | "external_id_bidx" | "via" | "is_public" | RuleTimeColumn | "automation_updates" | "sla_policy_id" | "sla_next_breach_at" | "sla_last_breach_at"> & {
  tags: string[];
  external_id_bidx: Uint8Array | null;
  via: string;
  is_public: boolean;
};

export type TicketPatch = Updateable<TicketsTable>;

/** The times automations read that the conversation writer keeps (0065). */
export type RuleTimeColumn = "status_updated_at" | "assigned_at" | "requester_updated_at" | "assignee_updated_at";
/** A ticket's times as automations' conditions read them (the SLA breaches: as read at the run's time, slaBreaches). */
export type TicketTimes = { created_at: Date; updated_at: Date; due_at: Date | null } & { [K in RuleTimeColumn | SlaBreachColumn]: Date | null };
export type TimeColumn = keyof TicketTimes;
/**
 * A rule's condition as SQL on clear columns (automations' prefilter): a time column within bounds
 * (and the status its hours count), the status among some, tags present or absent.
 */
export type TicketFilter =
  | { kind: "time"; column: TimeColumn; status?: TicketStatus | undefined; bounds: Array<[op: "<" | "<=" | ">" | ">=", at: Date]> }
  | { kind: "status"; in: TicketStatus[] }
  | { kind: "tags"; any: string[]; present: boolean };

const TIME_COLUMNS = ["t.created_at", "t.updated_at", "t.due_at", "t.status_updated_at", "t.assigned_at", "t.requester_updated_at", "t.assignee_updated_at"] as const;

/** The SLA breach times automations read, computed at the run's time from the ticket's metrics (0068). */
export type SlaBreachColumn = "next_sla_breach_at" | "last_sla_breach_at";
/** Whether a metric's target is in force: the ticket's policy (as it is now: a target removed from it is not) has one for the metric at the ticket's priority. */
const TARGET_IN_FORCE = sql`EXISTS (SELECT 1 FROM sla_policies p WHERE p.tenant_id = t.tenant_id AND p.id = t.sla_policy_id AND p.policy_metrics @> jsonb_build_array(jsonb_build_object('metric', m.metric, 'priority', t.priority)))`;
/**
 * A ticket's SLA breaches at `now` (modules/sla, sla-present.ts stageAt), of the targets in force
 * only, none without a policy (one deleted or taken off): the next, the soonest breach still ahead of an unmet active metric;
 * the last, the later of the last breach its writes kept (`sla_last_breach_at`, 0069: a stretch
 * since replaced, a target since changed) and the latest breach passed of a breached metric
 * (active or paused past it, or met after it: a breach known when read, nothing written).
 */
const slaBreaches = (now: Date): Record<SlaBreachColumn, RawBuilder<Date | null>> => ({
  next_sla_breach_at: sql<Date | null>`(SELECT min(m.breach_at) FROM ticket_sla_metrics m WHERE m.tenant_id = t.tenant_id AND m.ticket_id = t.id AND t.sla_policy_id IS NOT NULL AND m.stage = 'active' AND m.breach_at > ${now} AND ${TARGET_IN_FORCE})`,
  last_sla_breach_at: sql<Date | null>`greatest(CASE WHEN t.sla_policy_id IS NOT NULL AND t.sla_last_breach_at <= ${now} THEN t.sla_last_breach_at END, (SELECT max(m.breach_at) FROM ticket_sla_metrics m WHERE m.tenant_id = t.tenant_id AND m.ticket_id = t.id AND t.sla_policy_id IS NOT NULL AND m.breach_at <= ${now} AND (m.stage IN ('active', 'paused') OR (m.stage = 'achieved' AND m.fulfilled_at > m.breach_at)) AND ${TARGET_IN_FORCE}))`,
});
/** The SLA breaches as columns: computed at `now`, or NULL when nothing reads them (`now` undefined: no subquery a row). */
const slaSelect = (now: Date | undefined) => {
  if (!now) return [sql<Date | null>`NULL::timestamptz`.as("next_sla_breach_at"), sql<Date | null>`NULL::timestamptz`.as("last_sla_breach_at")] as const;
  const b = slaBreaches(now);
  return [b.next_sla_breach_at.as("next_sla_breach_at"), b.last_sla_breach_at.as("last_sla_breach_at")] as const;
};

/** A ticket's times, by its internal id, its SLA breaches as at `now`. */
export const ticketTimes = (tx: TenantTx, id: string, now: Date): Promise<TicketTimes | undefined> =>
  tx.db.selectFrom("tickets as t").select(TIME_COLUMNS).select(slaSelect(now)).where("t.tenant_id", "=", tx.tenantId).where("t.id", "=", id).executeTakeFirst();

/** How many times automations updated the ticket with internal id `id` (0066). */
export async function automationUpdates(tx: TenantTx, id: string): Promise<number> {
  const r = await tx.db.selectFrom("tickets").select("automation_updates").where("tenant_id", "=", tx.tenantId).where("id", "=", id).executeTakeFirst();
  return r?.automation_updates ?? 0;
}

/** Counts one more automations' update of the ticket with internal id `id`. */
export async function countAutomationUpdate(tx: TenantTx, id: string): Promise<void> {
  await tx.db.updateTable("tickets").set((eb) => ({ automation_updates: eb("automation_updates", "+", 1) })).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/**
 * A page of the tickets neither closed nor deleted, updated by automations fewer than `maxUpdates`
 * times, that pass every filter, by public id after `after`, with their times (automations: the
 * filters first, their conditions in full in code; the SLA breaches as at `sla`, when the rule reads
 * them, else none).
 */
export function ticketsByFilters(tx: TenantTx, filters: readonly TicketFilter[], after: number, limit: number, maxUpdates: number, sla: Date | undefined): Promise<Array<TicketRow & TicketTimes>> {
  let q = ticketQuery(tx).select(TIME_COLUMNS).select(slaSelect(sla)).where("t.status", "<>", "closed").where("t.automation_updates", "<", maxUpdates).where("t.nice_id", ">", after);
  for (const f of filters) {
    if (f.kind === "status") q = f.in.length ? q.where("t.status", "in", f.in) : q.where(sql<boolean>`false`);
    else if (f.kind === "tags") {
      const overlap = sql<boolean>`t.tags && ARRAY[${sql.join(f.any)}]::text[]`;
      q = q.where(f.present ? overlap : sql<boolean>`NOT (${overlap})`);
    } else {
      if (f.status) q = q.where("t.status", "=", f.status);
      for (const [op, at] of f.bounds) {
        // A breach column is filtered on by a rule that reads the breaches (`sla` given) only; without the time, nothing passes.
        if (f.column === "next_sla_breach_at" || f.column === "last_sla_breach_at") q = q.where(sla ? sql<boolean>`${slaBreaches(sla)[f.column]} ${sql.raw(op)} ${at}` : sql<boolean>`false`);
        else q = q.where(`t.${f.column}`, op, at);
        // The next breach ahead is never before the earliest one the ticket keeps (sla_next_breach_at:
        // of its unmet active metrics, passed or ahead) and none without it: bounded on that column
        // first, only the tickets it lets through have their metrics read.
        if (f.column === "next_sla_breach_at" && (op === "<" || op === "<=")) q = q.where("t.sla_next_breach_at", op, at);
      }
      if (f.column === "next_sla_breach_at") q = q.where("t.sla_next_breach_at", "is not", null);
    }
  }
  return q.orderBy("t.nice_id").limit(limit).execute();
}

export type NewComment = { id: string; author_id: string; written_by: string | null; public: boolean; body_sealed: Uint8Array; html_body_sealed: Uint8Array };
export type NewAudit = { id: string; author_id: string | null; events_sealed: Uint8Array; via: string };

/**
 * Inserts a ticket with its first audit and comment in one statement, so the per-tenant counter
 * locks it takes are held for as short a time as possible.
 */
export async function insertTicketWithComment(
  tx: TenantTx,
  t: NewTicket,
  audit: NewAudit,
  comment: NewComment,
  opts: { organizationFromRequester?: boolean; wroteBy?: { requester: boolean; assignee: boolean } } = {},
): Promise<{ ticket: number; audit: number; comment: number; created_at: Date; updated_at: Date; organization_id: string | null; organization_nice: number | null }> {
  // Without an explicit organization, the ticket takes the requester's, read inside the insert
  // (saves a round trip when the requester is the caller, whose row is not loaded otherwise).
  const org =
    t.organization_id === null && opts.organizationFromRequester
      ? sql`(SELECT u.organization_id FROM users u WHERE u.tenant_id = ${tx.tenantId} AND u.id = ${t.requester_id})`
      : sql`${t.organization_id}`;
  const r = await sql<{ ticket: number; audit: number; comment: number; created_at: Date; updated_at: Date; organization_id: string | null; organization_nice: number | null }>`
    WITH tk AS (
      INSERT INTO tickets (tenant_id, id, nice_id, subject_sealed, description_sealed, status, priority, type,
        requester_id, submitter_id, assignee_id, group_id, organization_id, tags, custom_fields_sealed,
        external_id_sealed, external_id_bidx, due_at, solved_at, via, is_public, assigned_at, requester_updated_at, assignee_updated_at)
      VALUES (${tx.tenantId}, ${t.id}, vd_next_id('tickets'), ${t.subject_sealed}, ${t.description_sealed}, ${t.status},
        ${t.priority}, ${t.type}, ${t.requester_id}, ${t.submitter_id}, ${t.assignee_id}, ${t.group_id},
        ${org}, ${t.tags}, ${t.custom_fields_sealed}, ${t.external_id_sealed}, ${t.external_id_bidx},
        ${t.due_at}, ${t.status === "solved" || t.status === "closed" ? sql`now()` : null}, ${t.via}, ${t.is_public},
        ${t.assignee_id !== null ? sql`now()` : null}, ${opts.wroteBy?.requester ? sql`now()` : null}, ${opts.wroteBy?.assignee && t.assignee_id !== null ? sql`now()` : null})
      RETURNING nice_id, created_at, updated_at, organization_id),
    au AS (
      INSERT INTO ticket_audits (tenant_id, id, nice_id, ticket_id, author_id, events_sealed, via)
      VALUES (${tx.tenantId}, ${audit.id}, vd_next_id('ticket_audits'), ${t.id}, ${audit.author_id}, ${audit.events_sealed}, ${audit.via})
      RETURNING nice_id),
    cm AS (
      INSERT INTO ticket_comments (tenant_id, id, nice_id, ticket_id, audit_id, author_id, written_by, public, body_sealed, html_body_sealed)
      VALUES (${tx.tenantId}, ${comment.id}, vd_next_id('ticket_comments'), ${t.id}, ${audit.id}, ${comment.author_id}, ${comment.written_by},
        ${comment.public}, ${comment.body_sealed}, ${comment.html_body_sealed})
      RETURNING nice_id)
    SELECT tk.nice_id AS ticket, au.nice_id AS audit, cm.nice_id AS comment, tk.created_at, tk.updated_at,
      tk.organization_id, o.nice_id AS organization_nice
    FROM tk CROSS JOIN au CROSS JOIN cm
    LEFT JOIN organizations o ON o.tenant_id = ${tx.tenantId} AND o.id = tk.organization_id`.execute(tx.db);
  return r.rows[0]!;
}

export async function updateTicket(tx: TenantTx, id: string, patch: TicketPatch): Promise<void> {
  await tx.db.updateTable("tickets").set({ ...patch, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function insertAudit(tx: TenantTx, ticketId: string, audit: NewAudit, comment: NewComment | undefined): Promise<{ audit: number; comment: number | null }> {
  if (!comment) {
    const r = await tx.db
      .insertInto("ticket_audits")
      .values({ tenant_id: tx.tenantId, id: audit.id, nice_id: sql<number>`vd_next_id('ticket_audits')`, ticket_id: ticketId, author_id: audit.author_id, events_sealed: audit.events_sealed, via: audit.via })
      .returning("nice_id")
      .executeTakeFirstOrThrow();
    return { audit: r.nice_id, comment: null };
  }
  const r = await sql<{ audit: number; comment: number }>`
    WITH au AS (
      INSERT INTO ticket_audits (tenant_id, id, nice_id, ticket_id, author_id, events_sealed, via)
      VALUES (${tx.tenantId}, ${audit.id}, vd_next_id('ticket_audits'), ${ticketId}, ${audit.author_id}, ${audit.events_sealed}, ${audit.via})
      RETURNING nice_id),
    cm AS (
      INSERT INTO ticket_comments (tenant_id, id, nice_id, ticket_id, audit_id, author_id, written_by, public, body_sealed, html_body_sealed)
      VALUES (${tx.tenantId}, ${comment.id}, vd_next_id('ticket_comments'), ${ticketId}, ${audit.id}, ${comment.author_id}, ${comment.written_by},
        ${comment.public}, ${comment.body_sealed}, ${comment.html_body_sealed})
      RETURNING nice_id)
    SELECT au.nice_id AS audit, cm.nice_id AS comment FROM au, cm`.execute(tx.db);
  return r.rows[0]!;
}

export async function softDeleteTicket(tx: TenantTx, id: string, by: string | null, at: Date): Promise<void> {
  await tx.db.updateTable("tickets").set({ deleted_at: at, deleted_by: by, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

// ---- The trash: deleted tickets (trash-service.ts) -------------------------------------------------

const deletedQuery = (tx: TenantTx) =>
  tx.db
    .selectFrom("tickets as t")
    .leftJoin("users as d", (j) => j.onRef("d.tenant_id", "=", "t.tenant_id").onRef("d.id", "=", "t.deleted_by"))
    .select(["t.id", "t.nice_id", "t.subject_sealed", "t.description_sealed", "t.status", "t.deleted_at", "t.deleted_by", "d.nice_id as deleted_by_nice"])
    .where("t.tenant_id", "=", tx.tenantId)
    .where("t.deleted_at", "is not", null);
export type DeletedTicketRow = Awaited<ReturnType<ReturnType<typeof deletedQuery>["executeTakeFirstOrThrow"]>>;

/** The deleted tickets a scope reaches, newest id first or by id. */
export async function listDeleted(tx: TenantTx, page: Page, scope: TicketScope): Promise<{ rows: DeletedTicketRow[]; count: number | undefined }> {
  const q = scoped(deletedQuery(tx), scope);
  return fetchPage(q, page, "t.nice_id", async () => Number((await scoped(deletedQuery(tx), scope).clearSelect().select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n));
}

/** One deleted ticket a scope reaches, locked for the restore or the purge. */
export const findDeletedForUpdate = (tx: TenantTx, niceId: number, scope: TicketScope) => scoped(deletedQuery(tx), scope).where("t.nice_id", "=", niceId).forUpdate("t").executeTakeFirst();

export async function undelete(tx: TenantTx, id: string): Promise<void> {
  await tx.db.updateTable("tickets").set({ deleted_at: null, deleted_by: null, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

/**
 * Whether a legal hold (privacy module, 0038) covers ticket `t`: one on the ticket, on its
 * requester or on its organization, not released. Purges and retention runs leave such tickets alone.
 */
export const heldTicket = sql<boolean>`EXISTS (SELECT 1 FROM legal_holds h WHERE h.tenant_id = t.tenant_id AND h.released_at IS NULL AND (
  (h.target_kind = 'ticket' AND h.target_id = t.id) OR (h.target_kind = 'user' AND h.target_id = t.requester_id) OR (h.target_kind = 'organization' AND h.target_id = t.organization_id)))`;

export async function findTicketIdAnyState(tx: TenantTx, niceId: number): Promise<string | undefined> {
  return (await tx.db.selectFrom("tickets").select("id").where("tenant_id", "=", tx.tenantId).where("nice_id", "=", niceId).executeTakeFirst())?.id;
}

/** Whether a legal hold covers the ticket with internal id `id`. */
export async function isHeld(tx: TenantTx, id: string): Promise<boolean> {
  const r = await tx.db.selectFrom("tickets as t").select(heldTicket.as("held")).where("t.tenant_id", "=", tx.tenantId).where("t.id", "=", id).executeTakeFirst();
  return r?.held === true;
}

/** How many days the tenant's trash keeps a ticket (its retention policy's, else `fallback`). */
export async function trashDays(tx: TenantTx, fallback: number): Promise<number> {
  const r = await tx.db.selectFrom("retention_policies").select("trash_days").where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  return r?.trash_days ?? fallback;
}

/** Tickets deleted before `before` (the purge of the trash) and not held, oldest first. */
export async function expiredDeleted(tx: TenantTx, before: Date, limit: number): Promise<Array<{ id: string; nice_id: number }>> {
  return tx.db
    .selectFrom("tickets as t")
    .select(["t.id", "t.nice_id"])
    .where("t.tenant_id", "=", tx.tenantId)
    .where("t.deleted_at", "<", before)
    .where(sql<boolean>`NOT ${heldTicket}`)
    .orderBy("t.deleted_at")
    .limit(limit)
    .forUpdate("t")
    .skipLocked()
    .execute();
}

/**
 * Retention's candidates: tickets solved or closed before `before` (solved_at), not deleted, not
 * held, carrying none of `excludedTags`, oldest first; `lock`: for the run (skipping locked rows).
 */
export function retentionCandidates(tx: TenantTx, before: Date, excludedTags: readonly string[]) {
  return tx.db
    .selectFrom("tickets as t")
    .where("t.tenant_id", "=", tx.tenantId)
    .where("t.deleted_at", "is", null)
    .where("t.status", "in", ["solved", "closed"])
    .where("t.solved_at", "<", before)
    .where(sql<boolean>`NOT ${heldTicket}`)
    .$if(excludedTags.length > 0, (q) => q.where(sql<boolean>`NOT (t.tags && ${[...excludedTags]}::text[])`));
}

/** Every comment of a ticket, sealed, in order (restoring its search entries). */
export const allComments = (tx: TenantTx, ticketId: string) =>
  tx.db.selectFrom("ticket_comments").select(["id", "public", "body_sealed", "written_by"]).where("tenant_id", "=", tx.tenantId).where("ticket_id", "=", ticketId).orderBy("nice_id").execute();

/**
 * Deletes tickets' rows for good, children first: their attachments (returned: their files are
 * deleted after the commit), CCs, undelivered notifications, comments, audits and the tickets,
 * leaving their public ids in purged_records (the incremental exports); a consent record given
 * with one stays without it. Other modules' rows about them (search index,
 * inbound mail) go first, through the `conversation.written` hook.
 */
export async function purgeTicketRows(tx: TenantTx, ids: readonly string[]): Promise<{ attachmentIds: string[] }> {
  if (ids.length === 0) return { attachmentIds: [] };
  const t = tx.tenantId;
  const these = [...ids];
  const att = await tx.db.deleteFrom("attachments").where("tenant_id", "=", t).where("ticket_id", "in", these).returning("id").execute();
  await tx.db.deleteFrom("ticket_ccs").where("tenant_id", "=", t).where("ticket_id", "in", these).execute();
  await tx.db.deleteFrom("undelivered_mail").where("tenant_id", "=", t).where("ticket_id", "in", these).execute();
  await tx.db.updateTable("consent_records").set({ ticket_id: null }).where("tenant_id", "=", t).where("ticket_id", "in", these).execute();
  await tx.db.deleteFrom("ticket_comments").where("tenant_id", "=", t).where("ticket_id", "in", these).execute();
  await tx.db.deleteFrom("ticket_audits").where("tenant_id", "=", t).where("ticket_id", "in", these).execute();
  // What the incremental exports say of them from now on: their public ids, deleted (0053).
  await tx.db
    .insertInto("purged_records")
    .columns(["tenant_id", "resource", "nice_id"])
    .expression(tx.db.selectFrom("tickets").select(["tenant_id", sql<"ticket">`'ticket'::text`.as("resource"), "nice_id"]).where("tenant_id", "=", t).where("id", "in", these))
    .onConflict((oc) => oc.doNothing())
    .execute();
  await tx.db.deleteFrom("tickets").where("tenant_id", "=", t).where("id", "in", these).execute();
  return { attachmentIds: att.map((r) => r.id) };
}

const commentQuery = (tx: TenantTx, ticketId: string) =>
  tx.db
    .selectFrom("ticket_comments as c")
    .innerJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "c.tenant_id").onRef("u.id", "=", "c.author_id"))
    .leftJoin("users as w", (j) => j.onRef("w.tenant_id", "=", "c.tenant_id").onRef("w.id", "=", "c.written_by"))
    .innerJoin("ticket_audits as a", (j) => j.onRef("a.tenant_id", "=", "c.tenant_id").onRef("a.id", "=", "c.audit_id"))
    .select(["c.id", "c.nice_id", "c.public", "c.body_sealed", "c.html_body_sealed", "c.created_at", "c.author_id", "c.written_by", "u.nice_id as author_nice", "w.nice_id as written_by_nice", "a.nice_id as audit_nice", "a.via"])
    .where("c.tenant_id", "=", tx.tenantId)
    .where("c.ticket_id", "=", ticketId);
export type CommentRow = Awaited<ReturnType<ReturnType<typeof commentQuery>["executeTakeFirstOrThrow"]>>;

/** One comment of a ticket, by its public id, as the comment list shows it. */
export const findComment = (tx: TenantTx, ticketId: string, niceId: number) => commentQuery(tx, ticketId).where("c.nice_id", "=", niceId).executeTakeFirst();

/**
 * What redacting a comment rewrites: its bodies, its ticket audit's events, and whether it is the
 * ticket's first comment (whose body is also the ticket's description). Locks the comment.
 */
export async function findCommentForRedaction(tx: TenantTx, ticketId: string, niceId: number) {
  return tx.db
    .selectFrom("ticket_comments as c")
    .innerJoin("ticket_audits as a", (j) => j.onRef("a.tenant_id", "=", "c.tenant_id").onRef("a.id", "=", "c.audit_id"))
    .select(["c.id", "c.public", "c.body_sealed", "c.html_body_sealed", "c.audit_id", "a.events_sealed"])
    .select(sql<boolean>`c.nice_id = (SELECT min(f.nice_id) FROM ticket_comments f WHERE f.tenant_id = c.tenant_id AND f.ticket_id = c.ticket_id)`.as("first"))
    .where("c.tenant_id", "=", tx.tenantId)
    .where("c.ticket_id", "=", ticketId)
    .where("c.nice_id", "=", niceId)
    .forUpdate("c")
    .executeTakeFirst();
}

/** Writes a redacted comment back: its bodies, its audit's events, and the description when it is the first comment. */
export async function rewriteComment(tx: TenantTx, ticketId: string, c: { id: string; body_sealed: Uint8Array; html_body_sealed: Uint8Array }, audit: { id: string; events_sealed: Uint8Array }, description: Uint8Array | undefined): Promise<void> {
  await tx.db.updateTable("ticket_comments").set({ body_sealed: c.body_sealed, html_body_sealed: c.html_body_sealed }).where("tenant_id", "=", tx.tenantId).where("id", "=", c.id).execute();
  await tx.db.updateTable("ticket_audits").set({ events_sealed: audit.events_sealed }).where("tenant_id", "=", tx.tenantId).where("id", "=", audit.id).execute();
  await tx.db.updateTable("tickets").set({ ...(description ? { description_sealed: description } : {}), updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", ticketId).execute();
}

/** Drops the ticket's undelivered mail (its copies of the text a redaction or erasure just removed). */
export async function dropUndeliveredMail(tx: TenantTx, ticketId: string): Promise<void> {
  await tx.db.deleteFrom("undelivered_mail").where("tenant_id", "=", tx.tenantId).where("ticket_id", "=", ticketId).execute();
}

/** A ticket's audits after a public id, in order, a page at a time (rewriting a subject reads them all; the caller holds the ticket's row lock). */
export async function auditsAfter(tx: TenantTx, ticketId: string, afterNiceId: number, limit: number): Promise<Array<{ id: string; nice_id: number; events_sealed: Uint8Array }>> {
  const rows = await tx.db
    .selectFrom("ticket_audits")
    .select(["id", "nice_id", "events_sealed"])
    .where("tenant_id", "=", tx.tenantId)
    .where("ticket_id", "=", ticketId)
    .where("nice_id", ">", afterNiceId)
    .orderBy("nice_id")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, nice_id: Number(r.nice_id) }));
}

/** Writes an audit's rewritten events back (redaction and erasure only: audits are otherwise never changed). */
export async function rewriteAuditEvents(tx: TenantTx, auditId: string, eventsSealed: Uint8Array): Promise<void> {
  await tx.db.updateTable("ticket_audits").set({ events_sealed: eventsSealed }).where("tenant_id", "=", tx.tenantId).where("id", "=", auditId).execute();
}

/** A ticket's sealed subject, locked, whether or not it is in the trash. */
export async function subjectOf(tx: TenantTx, ticketId: string): Promise<Uint8Array | undefined> {
  const r = await tx.db.selectFrom("tickets").select("subject_sealed").where("tenant_id", "=", tx.tenantId).where("id", "=", ticketId).forUpdate().executeTakeFirst();
  return r?.subject_sealed;
}

/** Writes a ticket's rewritten subject back (redaction and erasure). */
export async function rewriteSubject(tx: TenantTx, ticketId: string, subjectSealed: Uint8Array): Promise<void> {
  await tx.db.updateTable("tickets").set({ subject_sealed: subjectSealed, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", ticketId).execute();
}

// ---- Erasure of a person (privacy module) -----------------------------------------------------

/**
 * Tickets where the person is the only party: they requested it, and no other end user submitted
 * it, is copied on it or wrote in it (staff answering are not parties). Erasure deletes them whole.
 */
export async function soloTickets(tx: TenantTx, userId: string): Promise<Array<{ id: string; nice_id: number }>> {
  const r = await sql<{ id: string; nice_id: string }>`
    SELECT t.id, t.nice_id FROM tickets t
    WHERE t.tenant_id = ${tx.tenantId} AND t.requester_id = ${userId}
      AND NOT EXISTS (SELECT 1 FROM users s WHERE s.tenant_id = t.tenant_id AND s.id = t.submitter_id AND s.id <> ${userId} AND s.role = 'end_user')
      AND NOT EXISTS (SELECT 1 FROM ticket_ccs c WHERE c.tenant_id = t.tenant_id AND c.ticket_id = t.id AND c.user_id <> ${userId})
      AND NOT EXISTS (SELECT 1 FROM ticket_comments m JOIN users a ON a.tenant_id = m.tenant_id AND a.id = m.author_id
                      WHERE m.tenant_id = t.tenant_id AND m.ticket_id = t.id AND m.author_id <> ${userId} AND a.role = 'end_user')
    ORDER BY t.nice_id
    FOR UPDATE OF t`.execute(tx.db);
  return r.rows.map((x) => ({ id: x.id, nice_id: Number(x.nice_id) }));
}

/** The person's comments in tickets other than `except` (shared tickets), with their tickets' ids. */
export async function commentsElsewhere(tx: TenantTx, userId: string, except: readonly string[]): Promise<Array<{ ticket_id: string; ticket_nice: number; comment_id: string; comment_nice: number }>> {
  let q = tx.db
    .selectFrom("ticket_comments as c")
    .innerJoin("tickets as t", (j) => j.onRef("t.tenant_id", "=", "c.tenant_id").onRef("t.id", "=", "c.ticket_id"))
    .select(["c.ticket_id", "t.nice_id as ticket_nice", "c.id as comment_id", "c.nice_id as comment_nice"])
    .where("c.tenant_id", "=", tx.tenantId)
    .where("c.author_id", "=", userId);
  if (except.length) q = q.where("c.ticket_id", "not in", [...except]);
  const rows = await q.orderBy("c.nice_id").execute();
  return rows.map((r) => ({ ticket_id: r.ticket_id, ticket_nice: Number(r.ticket_nice), comment_id: r.comment_id, comment_nice: Number(r.comment_nice) }));
}

/** Deletes a comment's attachments (erasure); returns their ids, whose files go after the commit. */
export async function deleteCommentAttachments(tx: TenantTx, commentId: string): Promise<string[]> {
  const r = await tx.db.deleteFrom("attachments").where("tenant_id", "=", tx.tenantId).where("comment_id", "=", commentId).returning("id").execute();
  return r.map((a) => a.id);
}

export async function listComments(tx: TenantTx, ticketId: string, page: Page) {
  const q = commentQuery(tx, ticketId);
  return fetchPage(q, page, "c.nice_id", async () =>
    Number((await tx.db.selectFrom("ticket_comments").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).where("ticket_id", "=", ticketId).executeTakeFirstOrThrow()).n),
  );
}

export async function listAudits(tx: TenantTx, ticketId: string, page: Page) {
  const q = tx.db
    .selectFrom("ticket_audits as a")
    .leftJoin("users as u", (j) => j.onRef("u.tenant_id", "=", "a.tenant_id").onRef("u.id", "=", "a.author_id"))
    .select(["a.id", "a.nice_id", "a.events_sealed", "a.via", "a.created_at", "u.nice_id as author_nice"])
    .where("a.tenant_id", "=", tx.tenantId)
    .where("a.ticket_id", "=", ticketId);
  return fetchPage(q, page, "a.nice_id", async () =>
    Number((await tx.db.selectFrom("ticket_audits").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).where("ticket_id", "=", ticketId).executeTakeFirstOrThrow()).n),
  );
}

// ---- ticket fields

const fieldCols = ["id", "nice_id", "type", "title", "options", "required", "active", "visible_in_portal", "editable_in_portal", "role_permissions", "created_at", "updated_at"] as const;

export const listFields = (tx: TenantTx) => tx.db.selectFrom("ticket_fields").select(fieldCols).where("tenant_id", "=", tx.tenantId).orderBy("nice_id").execute();
export const findField = (tx: TenantTx, niceId: number) =>
  tx.db.selectFrom("ticket_fields").select(fieldCols).where("tenant_id", "=", tx.tenantId).where("nice_id", "=", niceId).executeTakeFirst();

export type FieldWrite = { title?: string; options?: string; required?: boolean; active?: boolean; visible_in_portal?: boolean; editable_in_portal?: boolean; role_permissions?: string };

export async function insertField(tx: TenantTx, f: { id: string; type: DB["ticket_fields"]["type"]; title: string; options: string; required: boolean; active: boolean; visible_in_portal: boolean; editable_in_portal: boolean; role_permissions: string }): Promise<number> {
  const r = await tx.db
    .insertInto("ticket_fields")
    .values({ ...f, tenant_id: tx.tenantId, nice_id: sql<number>`vd_next_id('ticket_fields')`, updated_at: sql`now()` })
    .returning("nice_id")
    .executeTakeFirstOrThrow();
  return r.nice_id;
}

export async function updateField(tx: TenantTx, id: string, patch: FieldWrite): Promise<void> {
  await tx.db.updateTable("ticket_fields").set({ ...patch, updated_at: sql`now()` }).where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}

export async function deleteField(tx: TenantTx, id: string): Promise<void> {
  await tx.db.deleteFrom("ticket_fields").where("tenant_id", "=", tx.tenantId).where("id", "=", id).execute();
}


/** One comment's author, visibility and sealed plain body (notifications). */
export async function findCommentById(tx: TenantTx, id: string) {
  return tx.db.selectFrom("ticket_comments").select(["id", "nice_id", "author_id", "public", "body_sealed", "written_by"]).where("tenant_id", "=", tx.tenantId).where("id", "=", id).executeTakeFirst();
}

/** The people copied on a ticket (internal ids). */
export async function listCcs(tx: TenantTx, ticketId: string): Promise<string[]> {
  const rows = await tx.db.selectFrom("ticket_ccs").select("user_id").where("tenant_id", "=", tx.tenantId).where("ticket_id", "=", ticketId).execute();
  return rows.map((r) => r.user_id);
}

/** Copies people on a ticket (those already copied are left as they are). */
export async function addCcs(tx: TenantTx, ticketId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await tx.db
    .insertInto("ticket_ccs")
    .values(userIds.map((user_id) => ({ tenant_id: tx.tenantId, ticket_id: ticketId, user_id })))
    .onConflict((oc) => oc.columns(["tenant_id", "ticket_id", "user_id"]).doNothing())
    .execute();
}

/** Stops copying people on a ticket. */
export async function removeCcs(tx: TenantTx, ticketId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await tx.db.deleteFrom("ticket_ccs").where("tenant_id", "=", tx.tenantId).where("ticket_id", "=", ticketId).where("user_id", "in", [...userIds]).execute();
}

/** A comment's internal id, given its ticket and public id. */
export async function findCommentId(tx: TenantTx, ticketId: string, niceId: number): Promise<string | undefined> {
  const c = await tx.db.selectFrom("ticket_comments").select("id").where("tenant_id", "=", tx.tenantId).where("ticket_id", "=", ticketId).where("nice_id", "=", niceId).executeTakeFirst();
  return c?.id;
}

/**
 * The comment bodies a search hit's snippet is chosen from: of each of `ticketIds`, its first
 * comment and its latest `perTicket - 1`, oldest first (`publicOnly`: internal notes are never
 * selected). Bounded, so a page of hits costs the same however long its conversations are.
 */
export async function commentBodiesOf(tx: TenantTx, ticketIds: readonly string[], publicOnly: boolean, perTicket: number) {
  if (ticketIds.length === 0) return [];
  const r = await sql<{ id: string; ticket_id: string; body_sealed: Uint8Array }>`
    SELECT x.id, x.ticket_id, x.body_sealed FROM (
      SELECT c.id, c.ticket_id, c.body_sealed, c.nice_id,
        row_number() OVER (PARTITION BY c.ticket_id ORDER BY c.nice_id) AS from_first,
        row_number() OVER (PARTITION BY c.ticket_id ORDER BY c.nice_id DESC) AS from_last
      FROM ticket_comments c
      WHERE c.tenant_id = ${tx.tenantId} AND c.ticket_id IN (${sql.join([...ticketIds])})${publicOnly ? sql` AND c.public` : sql``}
    ) x
    WHERE x.from_first = 1 OR x.from_last < ${perTicket}
    ORDER BY x.ticket_id, x.nice_id`.execute(tx.db);
  return r.rows;
}

/** Up to `limit` tickets after `after` by id, deleted ones too, their rows locked until the transaction ends (the search index's rebuild). */
export const ticketsAfterForUpdate = (tx: TenantTx, after: string, limit: number) =>
  tx.db
    .selectFrom("tickets")
    .select(["id", "subject_sealed", "deleted_at"])
    .where("tenant_id", "=", tx.tenantId)
    .where("id", ">", after)
    .orderBy("id")
    .limit(limit)
    .forUpdate()
    .execute();

/** The comments of some tickets, each ticket's in the order they were written. */
export const commentsOfTickets = (tx: TenantTx, ticketIds: readonly string[]) =>
  ticketIds.length === 0
    ? Promise.resolve([])
    : tx.db
        .selectFrom("ticket_comments")
        .select(["id", "ticket_id", "public", "body_sealed"])
        .where("tenant_id", "=", tx.tenantId)
        .where("ticket_id", "in", [...ticketIds])
        .orderBy("ticket_id")
        .orderBy("nice_id")
        .execute();

/** How many tickets the tenant holds, deleted ones too. */
export async function countAllTickets(tx: TenantTx): Promise<number> {
  const r = await tx.db.selectFrom("tickets").select((eb) => eb.fn.countAll<string>().as("n")).where("tenant_id", "=", tx.tenantId).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** How many tickets (any state) a person requested: after an erasure, those left are shared with others. */
export async function requestedBy(tx: TenantTx, userId: string): Promise<number> {
  const r = await tx.db.selectFrom("tickets").select((eb) => eb.fn.countAll<number>().as("n")).where("tenant_id", "=", tx.tenantId).where("requester_id", "=", userId).executeTakeFirstOrThrow();
  return Number(r.n);
}
