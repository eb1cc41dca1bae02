import crypto from "node:crypto";
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from "kysely";
import type { RequestContext, UserActor } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { NO_ID } from "../../platform/db/database.ts";
import { AppError, invalid, type FieldDetail } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { tag } from "../../platform/schemas.ts";
import { audit } from "../audit/audit-service.ts";
import { groupIdsOfUser, resolveGroup } from "../groups/groups-service.ts";
import { resolveOrganization } from "../organizations/organizations-service.ts";
import { PRIORITIES, valuesMatching } from "../search/search-fns.ts";
import { anyOf, COUNT_CAP, STATUS_ORDER } from "../search/search-service.ts";
import { countTickets, listTickets } from "../tickets/tickets-service.ts";
import type { TicketSort } from "../tickets/tickets-types.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";
import { resolveUser } from "../users/users-service.ts";
import { accessMatches, audienceFor as audienceOfInput, audienceOf, requireUse as requireStaff, requireWrite, restrictionChange, restrictionOf, seenRows, titleOf, visibleItem, withinLimit as refuseBeyond, type Noun } from "../audience/audience.ts";
import type { Audience } from "../audience/audience-policy.ts";
import * as repo from "./views-repo.ts";
import type { ConditionInput, ConditionView, RestrictionInput, ViewCountView, ViewInput, ViewSort, ViewView } from "./views-types.ts";

/**
 * Saved and shared views: a title, conditions over tickets and an order. Running one ANDs its
 * conditions onto the runner's own ticket scope (tickets-service listTickets / countTickets), so a
 * view never shows anyone a ticket their role does not.
 */

const ref = refsOf("views");
const COLUMNS = [{ id: "subject" }, { id: "requester" }, { id: "updated" }];
/** Most conditions a view holds (all and any together). */
export const MAX_CONDITIONS = 50;
const MAX_HOURS = 87_600;
/** Most personal views one person keeps, and most shared views an account keeps: every list of views reads them all. */
export const MAX_PERSONAL_VIEWS = 500;
export const MAX_SHARED_VIEWS = 1_000;
const MAX_TAGS = 50;

type Stored = { all: ConditionView[]; any: ConditionView[] };

const NOUN: Noun = { one: "view", many: "views" };
const requireUse = (ctx: RequestContext): UserActor => requireStaff(ctx, "Views are for staff of the agent workspace; end users reach their tickets through the requests API.");
const audienceFor = (ctx: RequestContext, actor: UserActor, r: RestrictionInput) => audienceOfInput(ctx, actor, r, NOUN);
const withinLimit = (ctx: RequestContext, audience: Audience) => refuseBeyond(audience, (userId) => repo.countViews(ctx.tx, userId), { personal: MAX_PERSONAL_VIEWS, shared: MAX_SHARED_VIEWS }, NOUN);

function storedOf(v: repo.ViewRow): Stored {
  const c = (typeof v.conditions === "string" ? JSON.parse(v.conditions) : v.conditions) as Partial<Stored> | null;
  return { all: c?.all ?? [], any: c?.any ?? [] };
}

function present(ctx: RequestContext, actor: UserActor, v: repo.ViewRow): ViewView {
  return {
    id: v.nice_id,
    url: `${ctx.apiBase}/views/${v.nice_id}.json`,
    title: ctx.sealer.open(v.title_sealed, ref(v.id, "title")),
    active: v.active,
    position: v.position,
    description: v.description_sealed ? ctx.sealer.open(v.description_sealed, ref(v.id, "description")) : null,
    // A personal view is seen by its owner alone: the caller.
    restriction: restrictionOf(actor, v),
    conditions: storedOf(v),
    execution: { sort_by: v.sort_by, sort_order: v.sort_order, group_by: null, columns: COLUMNS },
    created_at: v.created_at.toISOString(),
    updated_at: v.updated_at.toISOString(),
  };
}

/** A view the caller sees, or 404 (another tenant's, another person's personal view, a group's they are not in). */
const visible = async (ctx: RequestContext, actor: UserActor, niceId: number): Promise<repo.ViewRow> => visibleItem(ctx, actor, await repo.findView(ctx.tx, niceId));

// ---- conditions

type Field = { ops: readonly string[]; check: (ctx: RequestContext, value: unknown, op: string) => Promise<ConditionView["value"] | undefined> };

/** A public id sent as a number or a string of digits. */
const idOf = (v: unknown): number | undefined => {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
};
const oneOf = (list: readonly string[]) => async (_ctx: RequestContext, v: unknown) => (typeof v === "string" && list.includes(v) ? v : undefined);
const hours = async (_ctx: RequestContext, v: unknown) => {
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d{1,6}$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= MAX_HOURS ? n : undefined;
};
/** A person still there (not deleted, not the operator's support user). */
async function person(ctx: RequestContext, niceId: number, staffOnly: boolean) {
  const u = await resolveUser(ctx, niceId).catch(() => undefined);
  return u && u.active && !u.support && (!staffOnly || isStaff(u.role)) ? u : undefined;
}

const FIELDS: Record<string, Field> = {
  status: { ops: ["is", "is_not", "less_than", "greater_than"], check: oneOf(STATUS_ORDER) },
  priority: { ops: ["is", "is_not", "less_than", "greater_than"], check: oneOf(PRIORITIES) },
  type: { ops: ["is", "is_not"], check: oneOf(["question", "incident", "problem", "task"]) },
  assignee_id: {
    ops: ["is", "is_not"],
    check: async (ctx, v) => {
      if (v === null || v === "current_user") return v;
      const id = idOf(v);
      return id !== undefined && (await person(ctx, id, true)) ? id : undefined;
    },
  },
  requester_id: {
    ops: ["is", "is_not"],
    check: async (ctx, v) => {
      if (v === "current_user") return v;
      const id = idOf(v);
      return id !== undefined && (await person(ctx, id, false)) ? id : undefined;
    },
  },
  group_id: {
    ops: ["is", "is_not"],
    check: async (ctx, v) => {
      if (v === null || v === "current_groups") return v;
      const id = idOf(v);
      return id !== undefined && (await resolveGroup(ctx, id).catch(() => undefined)) ? id : undefined;
    },
  },
  organization_id: {
    ops: ["is", "is_not"],
    check: async (ctx, v) => {
      if (v === null) return v;
      const id = idOf(v);
      return id !== undefined && (await resolveOrganization(ctx, id).catch(() => undefined)) ? id : undefined;
    },
  },
  current_tags: {
    ops: ["includes", "not_includes"],
    check: async (_ctx, v) => {
      if (typeof v !== "string") return undefined;
      const words = v.split(/\s+/).filter(Boolean);
      if (words.length === 0 || words.length > MAX_TAGS) return undefined;
      const out: string[] = [];
      for (const w of words) {
        const r = tag.safeParse(w);
        if (!r.success) return undefined;
        if (!out.includes(r.data)) out.push(r.data);
      }
      return out.join(" ");
    },
  },
  hours_since_created: { ops: ["less_than", "greater_than"], check: hours },
  hours_since_updated: { ops: ["less_than", "greater_than"], check: hours },
  hours_since_solved: { ops: ["less_than", "greater_than"], check: hours },
};

const VALUE_HELP: Record<string, string> = {
  status: `one of ${STATUS_ORDER.join(", ")}`,
  priority: `one of ${PRIORITIES.join(", ")}`,
  type: "one of question, incident, problem, task",
  assignee_id: 'a staff member\'s id, "current_user" or null',
  requester_id: 'a person\'s id or "current_user"',
  group_id: 'a group\'s id, "current_groups" or null',
  organization_id: "an organization's id or null",
  current_tags: `tags separated by spaces (at most ${MAX_TAGS})`,
  hours_since_created: `a whole number of hours, 0 to ${MAX_HOURS}`,
  hours_since_updated: `a whole number of hours, 0 to ${MAX_HOURS}`,
  hours_since_solved: `a whole number of hours, 0 to ${MAX_HOURS}`,
};

/** Checks conditions as sent (ids inside the tenant): every problem named by its place (`conditions.all[1]`), or the normalised conditions. */
async function checkConditions(ctx: RequestContext, list: readonly ConditionInput[], set: "all" | "any", problems: Record<string, FieldDetail[]>): Promise<ConditionView[]> {
  const out: ConditionView[] = [];
  for (const [i, c] of list.entries()) {
    const at = `conditions.${set}[${i}]`;
    const fail = (description: string) => {
      problems[at] = [{ description: `${at}: ${description}`, error: "InvalidValue" }];
    };
    const f = Object.hasOwn(FIELDS, c.field) ? FIELDS[c.field] : undefined;
    if (!f) {
      fail(`unknown field "${c.field}" (one of ${Object.keys(FIELDS).join(", ")})`);
      continue;
    }
    if (!f.ops.includes(c.operator)) {
      fail(`the operator of ${c.field} is one of ${f.ops.join(", ")}`);
      continue;
    }
    const v = await f.check(ctx, c.value, c.operator);
    if (v === undefined) {
      fail(`the value of ${c.field} must be ${VALUE_HELP[c.field]}, one that exists`);
      continue;
    }
    out.push({ field: c.field, operator: c.operator, value: v });
  }
  return out;
}

type Cond = (eb: ExpressionBuilder<any, any>) => Expression<SqlBool>; // any: conditions over `tickets as t`, as search's (Kysely checks them at run time)

/** `col = value`, or for is_not `col <> value OR col IS NULL` (an empty field is kept, as Zendesk does). */
const equality = (col: string, op: string, id: string | null): Cond => (eb) =>
  id === null ? (op === "is" ? eb(col, "is", null) : eb(col, "is not", null)) : op === "is" ? eb(col, "=", id) : eb.or([eb(col, "<>", id), eb(col, "is", null)]);
const inSet = (col: string, op: string, values: string[], nullable: boolean): Cond => (eb) =>
  op === "is" ? anyOf(eb, col, values) : nullable ? eb.or([eb.not(anyOf(eb, col, values)), eb(col, "is", null)]) : eb.not(anyOf(eb, col, values));

/** Ordered values (`less_than`, `greater_than`) of a field whose order `order` lists. */
const ordered = (col: string, order: readonly string[], c: ConditionView, nullable: boolean): Cond => {
  const v = String(c.value);
  if (c.operator === "is" || c.operator === "is_not") return inSet(col, c.operator, [v], nullable);
  return (eb) => anyOf(eb, col, valuesMatching(order, c.operator === "less_than" ? "<" : ">", v));
};

/**
 * References resolved for one request, by field and value: a view naming the same person, group or
 * organization several times, or count_many's views naming the same ones, look each up once.
 */
type Lookups = { ids: Map<string, Promise<string | undefined>>; myGroups?: Promise<string[]> };
const newLookups = (): Lookups => ({ ids: new Map() });

/** One saved condition as SQL over `tickets as t`, its references resolved now: one deleted since matches nothing (everything but its own for is_not). */
async function conditionSql(ctx: RequestContext, actor: UserActor, c: ConditionView, lookups: Lookups): Promise<Cond> {
  const idOrNone = async (find: () => Promise<string | undefined>) => {
    const key = `${c.field}:${String(c.value)}`;
    let found = lookups.ids.get(key);
    if (!found) lookups.ids.set(key, (found = find()));
    return (await found) ?? NO_ID;
  };
  switch (c.field) {
    case "status":
      return ordered("t.status", STATUS_ORDER, c, false);
    case "priority":
      return ordered("t.priority", PRIORITIES, c, true);
    case "type":
      return inSet("t.type", c.operator, [String(c.value)], true);
    case "assignee_id":
    case "requester_id": {
      const col = `t.${c.field}`;
      if (c.value === null) return equality(col, c.operator, null);
      const id = c.value === "current_user" ? actor.userId : await idOrNone(async () => (await person(ctx, Number(c.value), c.field === "assignee_id"))?.id);
      return equality(col, c.operator, id);
    }
    case "group_id": {
      if (c.value === null) return equality("t.group_id", c.operator, null);
      if (c.value === "current_groups") return inSet("t.group_id", c.operator, await (lookups.myGroups ??= groupIdsOfUser(ctx, actor.userId)), true);
      return equality("t.group_id", c.operator, await idOrNone(async () => (await resolveGroup(ctx, Number(c.value)).catch(() => undefined))?.id));
    }
    case "organization_id": {
      if (c.value === null) return equality("t.organization_id", c.operator, null);
      return equality("t.organization_id", c.operator, await idOrNone(async () => (await resolveOrganization(ctx, Number(c.value)).catch(() => undefined))?.id));
    }
    case "current_tags": {
      const tags = String(c.value).split(" ").filter(Boolean);
      const overlap = sql<SqlBool>`t.tags && ARRAY[${sql.join(tags)}]::text[]`;
      return c.operator === "includes" ? () => overlap : () => sql<SqlBool>`NOT (${overlap})`;
    }
    case "hours_since_created":
    case "hours_since_updated":
    case "hours_since_solved": {
      const col = c.field === "hours_since_created" ? "t.created_at" : c.field === "hours_since_updated" ? "t.updated_at" : "t.solved_at";
      const at = new Date(ctx.now().getTime() - Number(c.value) * 3_600_000);
      const cmp: Cond = (eb) => eb(col, c.operator === "less_than" ? ">" : "<", at);
      if (c.field !== "hours_since_solved") return cmp;
      return (eb) => eb.and([anyOf(eb, "t.status", ["solved", "closed"]), eb("t.solved_at", "is not", null), cmp(eb)]);
    }
    default:
      // Saved conditions were checked when written; one unknown now (a downgrade) matches nothing.
      return () => sql<SqlBool>`false`;
  }
}

/** The view's conditions as one `where` for listTickets / countTickets. */
async function whereOf(ctx: RequestContext, actor: UserActor, v: repo.ViewRow, lookups: Lookups = newLookups()) {
  const s = storedOf(v);
  // One after another: the request's transaction runs one statement at a time.
  const all: Cond[] = [];
  for (const c of s.all) all.push(await conditionSql(ctx, actor, c, lookups));
  const any: Cond[] = [];
  for (const c of s.any) any.push(await conditionSql(ctx, actor, c, lookups));
  // any: the ticket query builder's type is deep (search-service's filters take it the same way).
  return (q: any) =>
    q.where((eb: ExpressionBuilder<any, any>) => eb.and([...all.map((c) => c(eb)), ...(any.length ? [eb.or(any.map((c) => c(eb)))] : [])]));
}

// ---- reads

export type ViewFilter = { access?: "personal" | "shared" | undefined; active?: boolean | undefined };

/** The views the caller sees: shared ones, then their personal ones; each by position, title (ignoring case), id. */
export async function listViews(ctx: RequestContext, page: { page: number; perPage: number }, filter: ViewFilter) {
  const actor = requireUse(ctx);
  const rows = await seenRows(ctx, actor, (groups, admin) => repo.visibleViews(ctx.tx, actor.userId, groups, admin));
  const views = rows
    .map((v) => present(ctx, actor, v))
    .filter((v) => accessMatches(filter.access, v.restriction))
    .filter((v) => filter.active === undefined || v.active === filter.active);
  const personal = (v: ViewView) => (v.restriction?.type === "User" ? 1 : 0);
  views.sort((a, b) => personal(a) - personal(b) || a.position - b.position || a.title.toLowerCase().localeCompare(b.title.toLowerCase(), "en") || a.id - b.id);
  const from = (page.page - 1) * page.perPage;
  return { rows: views.slice(from, from + page.perPage), count: views.length };
}

/**
 * A person's personal views as their data export holds them (right of access): what they named
 * them and what they look for. Shared views belong to the account, not to whoever made them.
 */
export async function personalViewsForExport(ctx: RequestContext, userId: string) {
  return (await repo.personalViews(ctx.tx, userId)).map((v) => {
    const s = storedOf(v);
    return {
      id: v.nice_id,
      title: ctx.sealer.open(v.title_sealed, ref(v.id, "title")),
      description: v.description_sealed ? ctx.sealer.open(v.description_sealed, ref(v.id, "description")) : null,
      active: v.active,
      conditions_all: s.all,
      conditions_any: s.any,
      sort_by: v.sort_by,
      sort_order: v.sort_order,
      created_at: v.created_at.toISOString(),
      updated_at: v.updated_at.toISOString(),
    };
  });
}

export async function showView(ctx: RequestContext, niceId: number): Promise<ViewView> {
  const actor = requireUse(ctx);
  return present(ctx, actor, await visible(ctx, actor, niceId));
}

/** The view's tickets, through the runner's ticket scope; `sort` overrides the view's order. */
export async function runView(ctx: RequestContext, niceId: number, page: (sortOrder: "asc" | "desc") => Page, override: { sort_by?: ViewSort | undefined; sort_order?: "asc" | "desc" | undefined }) {
  const actor = requireUse(ctx);
  const v = await visible(ctx, actor, niceId);
  const by = override.sort_by ?? v.sort_by;
  const sort: TicketSort | undefined = by === "id" ? undefined : by;
  const r = await listTickets(ctx, page(override.sort_order ?? v.sort_order), await whereOf(ctx, actor, v), sort);
  return { ...r, sorted: sort !== undefined };
}

const countOf = async (ctx: RequestContext, actor: UserActor, v: repo.ViewRow, lookups?: Lookups): Promise<ViewCountView> => {
  const r = await countTickets(ctx, await whereOf(ctx, actor, v, lookups), COUNT_CAP);
  return { view_id: v.nice_id, url: `${ctx.apiBase}/views/${v.nice_id}/count.json`, value: r.count, pretty: r.capped ? `${COUNT_CAP.toLocaleString("en")}+` : r.count.toLocaleString("en"), fresh: true };
};

export async function countView(ctx: RequestContext, niceId: number): Promise<ViewCountView> {
  const actor = requireUse(ctx);
  return countOf(ctx, actor, await visible(ctx, actor, niceId));
}

/** Counts of several views; those the caller does not see are left out. */
export async function countManyViews(ctx: RequestContext, ids: readonly number[]): Promise<ViewCountView[]> {
  const actor = requireUse(ctx);
  const out: ViewCountView[] = [];
  const lookups = newLookups();
  for (const id of ids) {
    const v = await visible(ctx, actor, id).catch((e: unknown) => {
      if (e instanceof AppError && e.code === "RecordNotFound") return undefined;
      throw e;
    });
    if (v) out.push(await countOf(ctx, actor, v, lookups));
  }
  return out;
}

// ---- writes

/** The conditions and order an input gives, in either of Zendesk's forms (never both). */
function partsOf(input: ViewInput) {
  if (input.conditions !== undefined && (input.all !== undefined || input.any !== undefined)) throw invalid("conditions", "Conditions: send either all/any or conditions, not both");
  if (input.output !== undefined && input.execution !== undefined) throw invalid("execution", "Execution: send either output or execution, not both");
  const all = input.conditions ? input.conditions.all : input.all;
  const any = input.conditions ? input.conditions.any : input.any;
  const given = input.conditions !== undefined || input.all !== undefined || input.any !== undefined;
  const order = input.output ?? input.execution;
  return { all, any, given, order };
}

async function conditionsFor(ctx: RequestContext, all: readonly ConditionInput[] | undefined, any: readonly ConditionInput[] | undefined, before: Stored): Promise<Stored> {
  // The limit first: each condition naming a person, group or organization is looked up, and a body may carry 400 of them.
  if ((all ?? before.all).length + (any ?? before.any).length > MAX_CONDITIONS) throw invalid("conditions", `Conditions: at most ${MAX_CONDITIONS} in all`);
  const problems: Record<string, FieldDetail[]> = {};
  const next: Stored = {
    all: all === undefined ? before.all : await checkConditions(ctx, all, "all", problems),
    any: any === undefined ? before.any : await checkConditions(ctx, any, "any", problems),
  };
  if (Object.keys(problems).length) throw new AppError("RecordInvalid", { details: problems });
  const n = next.all.length + next.any.length;
  if (n === 0) throw invalid("conditions", "Conditions: a view needs at least one condition");
  if (n > MAX_CONDITIONS) throw invalid("conditions", `Conditions: at most ${MAX_CONDITIONS} in all`);
  return next;
}

export async function createView(ctx: RequestContext, input: ViewInput): Promise<ViewView> {
  const actor = requireUse(ctx);
  if (input.title === undefined) throw invalid("title", "Title: cannot be blank");
  const t = titleOf(input.title);
  const audience = await audienceFor(ctx, actor, input.restriction === undefined ? { type: "User", id: actor.niceId } : input.restriction);
  const parts = partsOf(input);
  const conditions = await conditionsFor(ctx, parts.all, parts.any, { all: [], any: [] });
  await withinLimit(ctx, audience);
  const id = crypto.randomUUID();
  const admin = isAdmin(actor.role);
  const position = input.position ?? Math.min((await repo.lastPosition(ctx.tx, actor.userId, admin ? [] : await groupIdsOfUser(ctx, actor.userId), admin)) + 1, 10_000);
  const description = input.description?.trim() || null;
  const niceId = await repo.insertView(ctx.tx, {
    id,
    created_by: actor.userId,
    user_id: audience.kind === "user" ? audience.userId : null,
    group_id: audience.kind === "group" ? audience.groupId : null,
    title_sealed: ctx.sealer.seal(t, ref(id, "title")),
    description_sealed: description ? ctx.sealer.seal(description, ref(id, "description")) : null,
    active: input.active ?? true,
    position,
    conditions: JSON.stringify(conditions),
    sort_by: parts.order?.sort_by ?? "updated_at",
    sort_order: parts.order?.sort_order ?? "desc",
  });
  audit(ctx, { action: "view.created", resourceType: "view", resourceId: niceId, fields: Object.keys(input).sort() });
  return present(ctx, actor, (await repo.findView(ctx.tx, niceId))!);
}

export async function updateView(ctx: RequestContext, niceId: number, input: ViewInput): Promise<ViewView> {
  const actor = requireUse(ctx);
  const v = await visible(ctx, actor, niceId);
  requireWrite(actor, audienceOf(v), NOUN, "change");
  const patch: repo.ViewPatch = {};
  if (input.title !== undefined) patch.title_sealed = ctx.sealer.seal(titleOf(input.title), ref(v.id, "title"));
  if (input.restriction !== undefined) Object.assign(patch, await restrictionChange(ctx, actor, v, input.restriction, NOUN, (a) => withinLimit(ctx, a)));
  const parts = partsOf(input);
  if (parts.given) patch.conditions = JSON.stringify(await conditionsFor(ctx, parts.all, parts.any, storedOf(v)));
  if (parts.order?.sort_by !== undefined) patch.sort_by = parts.order.sort_by;
  if (parts.order?.sort_order !== undefined) patch.sort_order = parts.order.sort_order;
  if (input.active !== undefined) patch.active = input.active;
  if (input.position !== undefined) patch.position = input.position;
  if (input.description !== undefined) {
    const d = input.description?.trim() || null;
    patch.description_sealed = d ? ctx.sealer.seal(d, ref(v.id, "description")) : null;
  }
  if (Object.keys(patch).length) {
    await repo.updateView(ctx.tx, v.id, patch);
    audit(ctx, { action: "view.updated", resourceType: "view", resourceId: niceId, fields: Object.keys(input).sort() });
  }
  return present(ctx, actor, (await repo.findView(ctx.tx, niceId))!);
}

export async function deleteView(ctx: RequestContext, niceId: number): Promise<void> {
  const actor = requireUse(ctx);
  const v = await visible(ctx, actor, niceId);
  requireWrite(actor, audienceOf(v), NOUN, "delete");
  await repo.deleteView(ctx.tx, v.id);
  audit(ctx, { action: "view.deleted", resourceType: "view", resourceId: niceId });
}
