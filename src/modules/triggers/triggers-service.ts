import crypto from "node:crypto";
import { actorUser, type RequestContext, type UserActor } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { AppError, forbidden, invalid, notFound, type FieldDetail } from "../../platform/errors.ts";
import { lineText, longText } from "../../platform/schemas.ts";
import { audit } from "../audit/audit-service.ts";
import { listGroups, resolveGroup } from "../groups/groups-service.ts";
import { MAX_RENDERED, templateProblem } from "../macros/macros-render.ts";
import { checkAction, checkActions, CUSTOM, idOf, tagWords } from "../macros/macros-service.ts";
import { resolveOrganization } from "../organizations/organizations-service.ts";
import { loadFields } from "../tickets/field-defs.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";
import { listAssignableUsers, resolveUser } from "../users/users-service.ts";
import * as repo from "./triggers-repo.ts";
import type { ActionInput, ActionView, ConditionInput, Conditions, DefinitionView, TriggerInput, TriggerView } from "./triggers-types.ts";

/**
 * Triggers (Zendesk's triggers): the account's business rules, run right after a ticket is
 * created or updated, in the same transaction (triggers-engine.ts). Owners and admins manage them;
 * nobody else reads them (they may name customers in their conditions and mail texts).
 */

const ref = refsOf("triggers");
/** Most triggers an account keeps (the engine reads them all on each ticket write). */
export const MAX_TRIGGERS = 500;
export const MAX_CONDITIONS = 50;
// Actions: at most macros' MAX_ACTIONS (30), checked by checkActions.

function requireAdmin(ctx: RequestContext): UserActor {
  const a = actorUser(ctx);
  if (!isAdmin(a.role)) throw forbidden("Triggers are managed by owners and admins.");
  return a;
}

export const conditionsOf = (ctx: RequestContext, t: repo.TriggerRow): Conditions => ctx.sealer.openJson<Conditions>(t.conditions_sealed, ref(t.id, "conditions"));
export const actionsOf = (ctx: RequestContext, t: repo.TriggerRow): ActionView[] => ctx.sealer.openJson<ActionView[]>(t.actions_sealed, ref(t.id, "actions"));
export const titleOfRow = (ctx: RequestContext, t: repo.TriggerRow): string => ctx.sealer.open(t.title_sealed, ref(t.id, "title"));

function present(ctx: RequestContext, t: repo.TriggerRow): TriggerView {
  return {
    id: t.nice_id,
    url: `${ctx.apiBase}/triggers/${t.nice_id}.json`,
    title: titleOfRow(ctx, t),
    description: t.description_sealed ? ctx.sealer.open(t.description_sealed, ref(t.id, "description")) : null,
    active: t.active,
    position: t.position,
    conditions: conditionsOf(ctx, t),
    actions: actionsOf(ctx, t),
    created_at: t.created_at.toISOString(),
    updated_at: t.updated_at.toISOString(),
  };
}

async function found(ctx: RequestContext, niceId: number): Promise<repo.TriggerRow> {
  const t = await repo.findTrigger(ctx.tx, niceId);
  if (!t) throw notFound();
  return t;
}

// ---- conditions

export const STATUSES = ["new", "open", "pending", "hold", "solved", "closed"] as const;
export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export const TYPES = ["question", "incident", "problem", "task"] as const;
const ORDERED = ["is", "is_not", "less_than", "greater_than", "changed", "value", "value_previous", "not_changed"];
const CHANGEABLE = ["is", "is_not", "changed", "value", "value_previous", "not_changed"];
const IS = ["is", "is_not"];
const INCLUDES = ["includes", "not_includes"];
const PRESENCE = ["is", "is_not", "present", "not_present"];
/** Operators whose value is not read (stored as ""). */
const VALUELESS = new Set(["changed", "not_changed", "present", "not_present"]);

export const OPERATORS: Record<string, readonly string[]> = {
  update_type: ["is"],
  status: ORDERED,
  priority: ORDERED,
  type: CHANGEABLE,
  assignee_id: CHANGEABLE,
  group_id: CHANGEABLE,
  requester_id: IS,
  organization_id: IS,
  current_tags: INCLUDES,
  comment_is_public: ["is"],
  comment_includes_word: INCLUDES,
  via: IS,
  role: IS,
};
export const VIAS = ["web", "api", "email", "rule"] as const;
export const ROLES = ["end_user", "agent", "admin"] as const;
/** Longest list of words a comment condition holds. */
const MAX_WORDS_TEXT = 1000;

const oneOf = (v: string, list: readonly string[], field: string) => (list.includes(v) ? { value: v } : { problem: `the value of ${field} must be one of ${list.map((x) => (x === "" ? '"" (none)' : x)).join(", ")}` });

/** What a lookup finds, or undefined where it answers an AppError (not found, not allowed): for ids a trigger names, which may be gone. */
export async function existing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof AppError) return undefined;
    throw e;
  }
}

/** One condition, checked: its value normalised to a string, or what is wrong. Ids are looked up inside the tenant. */
async function checkCondition(ctx: RequestContext, c: ConditionInput): Promise<{ field: string; value: string } | { problem: string }> {
  const raw = c.value;
  const v = raw === null || raw === undefined ? "" : typeof raw === "string" ? raw.trim() : String(raw);
  const custom = CUSTOM.exec(c.field);
  const field = custom ? `custom_fields_${Number(custom[1])}` : c.field;
  const ops = custom ? PRESENCE : Object.hasOwn(OPERATORS, field) ? OPERATORS[field]! : undefined;
  if (!ops) return { problem: `unknown field "${c.field.slice(0, 64)}" (one of ${[...Object.keys(OPERATORS), "custom_fields_<field id>"].join(", ")})` };
  if (!ops.includes(c.operator)) return { problem: `the operator of ${field} must be one of ${ops.join(", ")}` };
  const ok = (value: string) => ({ field, value });
  if (VALUELESS.has(c.operator) && !custom) return ok("");
  const wrap = (r: { value: string } | { problem: string }) => ("problem" in r ? r : ok(r.value));
  switch (field) {
    case "update_type":
      return wrap(oneOf(v, ["Create", "Change"], field));
    case "status":
      return wrap(oneOf(v, STATUSES, field));
    case "priority":
      return wrap(oneOf(v, ["", ...PRIORITIES], field));
    case "type":
      return wrap(oneOf(v, ["", ...TYPES], field));
    case "assignee_id":
    case "requester_id": {
      if (v === "" || (field === "assignee_id" && v === "current_user")) return ok(v);
      const id = idOf(v);
      const u = id === undefined ? undefined : await existing(resolveUser(ctx, id));
      if (!u || (field === "assignee_id" && !isStaff(u.role))) return { problem: `the value of ${field} must be ${field === "assignee_id" ? 'a staff member\'s id, "current_user"' : "a person's id"} or "" (none)` };
      return ok(String(id));
    }
    case "group_id":
    case "organization_id": {
      if (v === "") return ok(v);
      const id = idOf(v);
      const g = id === undefined ? undefined : await existing(field === "group_id" ? resolveGroup(ctx, id) : resolveOrganization(ctx, id));
      return g ? ok(String(id)) : { problem: `the value of ${field} must be ${field === "group_id" ? "a group's" : "an organization's"} id or "" (none)` };
    }
    case "current_tags": {
      const words = tagWords(v);
      return words && words.length ? ok(words.join(" ")) : { problem: "the value of current_tags must be tags separated by spaces (letters, digits and _ - : . / only)" };
    }
    case "comment_is_public":
      return wrap(oneOf(v, ["true", "false", "not_relevant"], field));
    case "comment_includes_word": {
      const text = v.replace(/\s+/g, " ");
      return text && lineText(MAX_WORDS_TEXT).safeParse(text).success ? ok(text) : { problem: `the value of comment_includes_word must be words separated by spaces (1 to ${MAX_WORDS_TEXT} characters)` };
    }
    case "via":
      return wrap(oneOf(v, VIAS, field));
    case "role":
      return wrap(oneOf(v, ROLES, field));
    default: {
      const { defs } = await loadFields(ctx);
      const def = defs.get(Number(custom![1]));
      if (!def || !def.active) return { problem: `${field} is not an active ticket field` };
      if (VALUELESS.has(c.operator)) return ok("");
      const r = await checkAction(ctx, field, v);
      return "problem" in r ? { problem: r.problem } : ok(r.value);
    }
  }
}

async function conditionsFor(ctx: RequestContext, input: { all?: ConditionInput[] | undefined; any?: ConditionInput[] | undefined }): Promise<Conditions> {
  const out: Conditions = { all: [], any: [] };
  const problems: Record<string, FieldDetail[]> = {};
  for (const kind of ["all", "any"] as const) {
    const list = input[kind] ?? [];
    if (list.length > MAX_CONDITIONS) throw invalid(`conditions.${kind}`, `Conditions: at most ${MAX_CONDITIONS} in conditions.${kind}`, "TooMany");
    for (const [i, c] of list.entries()) {
      const at = `conditions.${kind}[${i}]`;
      const r = await checkCondition(ctx, c);
      if ("problem" in r) problems[at] = [{ description: `${at}: ${r.problem}`, error: "InvalidValue" }];
      else out[kind].push({ field: r.field, operator: c.operator, value: r.value });
    }
  }
  if (Object.keys(problems).length) throw new AppError("RecordInvalid", { details: problems });
  if (out.all.length === 0 && out.any.length === 0) throw invalid("conditions", "Conditions: a trigger needs at least one condition");
  return out;
}

// ---- actions

/** The property actions triggers share with macros (macros-service.ts checks them). */
const PROPERTY_ACTIONS = ["status", "priority", "type", "assignee_id", "group_id", "set_tags", "current_tags", "remove_tags"];
const RECIPIENTS = ["requester_id", "assignee_id", "current_user"];
/** Longest subject of a trigger's mail. */
const MAX_SUBJECT = 1000;

async function checkNotification(ctx: RequestContext, field: string, raw: ActionInput["value"]): Promise<{ value: string[] } | { problem: string }> {
  if (!Array.isArray(raw) || raw.length !== 3) return { problem: `the value of ${field} must be [${field === "notification_user" ? "recipient" : "group_id"}, subject, body]` };
  const [who, subject, body] = raw.map((x) => String(x)) as [string, string, string];
  let recipient: string;
  if (field === "notification_user") {
    if (RECIPIENTS.includes(who)) recipient = who;
    else {
      const id = idOf(who);
      const u = id === undefined ? undefined : await existing(resolveUser(ctx, id));
      if (!u || !u.active || u.support || !isStaff(u.role)) return { problem: `the recipient of notification_user must be one of ${RECIPIENTS.join(", ")} or a staff member's id` };
      recipient = String(id);
    }
  } else {
    const id = idOf(who);
    const g = id === undefined ? undefined : await existing(resolveGroup(ctx, id));
    if (!g) return { problem: "the group of notification_group must be a group's id" };
    recipient = String(id);
  }
  const s = subject.trim();
  if (!s || !lineText(MAX_SUBJECT).safeParse(s).success) return { problem: `the subject of ${field} must be one line of 1 to ${MAX_SUBJECT} characters` };
  if (!body.trim() || !longText(MAX_RENDERED).safeParse(body).success) return { problem: `the body of ${field} must be text of 1 to ${MAX_RENDERED} characters without control characters` };
  const p = templateProblem(s) ?? templateProblem(body);
  if (p) return { problem: `${field}: ${p}` };
  return { value: [recipient, s, body] };
}

/** Checks actions as sent (macros' rules, with the notification actions, which may repeat): each problem named by its place, nothing written on one. */
function actionsFor(ctx: RequestContext, list: readonly ActionInput[]): Promise<ActionView[]> {
  const property = (field: string) => CUSTOM.test(field) || PROPERTY_ACTIONS.includes(field);
  return checkActions<ActionInput, ActionView["value"]>(
    list,
    "trigger",
    async (field, a) => {
      if (field === "notification_user" || field === "notification_group") return await checkNotification(ctx, field, a.value);
      if (!property(field)) return { problem: `unknown field "${a.field.slice(0, 64)}" (one of ${[...PROPERTY_ACTIONS, "custom_fields_<field id>", "notification_user", "notification_group"].join(", ")})` };
      if (Array.isArray(a.value)) return { problem: `the value of ${field} must be a string` };
      return await checkAction(ctx, field, a.value);
    },
    property,
  );
}

// ---- reads

export type TriggerSort = "position" | "title" | "updated_at" | "created_at";

export async function listTriggers(ctx: RequestContext, page: { page: number; perPage: number }, opts: { active?: boolean | undefined; sortBy?: TriggerSort | undefined; sortOrder?: "asc" | "desc" | undefined }) {
  requireAdmin(ctx);
  const all = (await repo.allTriggers(ctx.tx, opts.active)).map((t) => present(ctx, t));
  const by = opts.sortBy ?? "position";
  const key = (t: TriggerView): number | string => (by === "position" ? t.position : by === "title" ? t.title.toLowerCase() : by === "updated_at" ? t.updated_at : t.created_at);
  const dir = opts.sortOrder === "desc" ? -1 : 1;
  all.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "en");
    return dir * (c || a.id - b.id);
  });
  const from = (page.page - 1) * page.perPage;
  return { rows: all.slice(from, from + page.perPage), count: all.length };
}

export async function listActiveTriggers(ctx: RequestContext): Promise<TriggerView[]> {
  requireAdmin(ctx);
  return (await repo.allTriggers(ctx.tx, true)).map((t) => present(ctx, t));
}

export async function showTrigger(ctx: RequestContext, niceId: number): Promise<TriggerView> {
  requireAdmin(ctx);
  return present(ctx, await found(ctx, niceId));
}

const opts = (list: readonly string[], titles: Record<string, string> = {}) => list.map((v) => ({ value: v, title: titles[v] ?? (v === "" ? "-" : v) }));
const OP_TITLES: Record<string, string> = {
  is: "Is", is_not: "Is not", less_than: "Less than", greater_than: "Greater than", changed: "Changed", value: "Changed to", value_previous: "Changed from", not_changed: "Not changed",
  includes: "Contains at least one of the following", not_includes: "Contains none of the following", present: "Present", not_present: "Not present",
};
const ops = (list: readonly string[]) => opts(list, OP_TITLES);
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, " ");

/** What the editor offers (Zendesk's GET /triggers/definitions): each condition and action with its operators and values. */
export async function definitions(ctx: RequestContext): Promise<{ conditions_all: DefinitionView[]; conditions_any: DefinitionView[]; actions: DefinitionView[] }> {
  requireAdmin(ctx);
  const all = { mode: "offset" as const, page: 1, perPage: 1000, limit: 1000, offset: 0, desc: false };
  const groups = (await listGroups(ctx, all)).rows.map((g) => ({ value: String(g.id), title: g.name }));
  const agents = (await listAssignableUsers(ctx, all)).rows.map((u) => ({ value: String(u.id), title: u.name }));
  const { defs } = await loadFields(ctx);
  const custom = [...defs.values()].filter((d) => d.active).sort((a, b) => a.niceId - b.niceId);
  const customValues = (d: (typeof custom)[number]) => (d.options.length ? d.options.map((o) => ({ value: o.value, title: o.value })) : d.type === "checkbox" ? opts(["true", "false"]) : undefined);
  const none = { value: "", title: "-" };
  const conditions: DefinitionView[] = [
    { subject: "update_type", title: "Ticket is", type: "list", operators: ops(OPERATORS.update_type!), values: opts(["Create", "Change"], { Create: "Created", Change: "Updated" }) },
    { subject: "status", title: "Status", type: "list", operators: ops(ORDERED), values: opts(STATUSES, Object.fromEntries(STATUSES.map((s) => [s, cap(s)]))) },
    { subject: "priority", title: "Priority", type: "list", operators: ops(ORDERED), values: [none, ...opts(PRIORITIES, Object.fromEntries(PRIORITIES.map((s) => [s, cap(s)])))] },
    { subject: "type", title: "Type", type: "list", operators: ops(CHANGEABLE), values: [none, ...opts(TYPES, Object.fromEntries(TYPES.map((s) => [s, cap(s)])))] },
    { subject: "assignee_id", title: "Assignee", type: "list", operators: ops(CHANGEABLE), values: [none, { value: "current_user", title: "(current user)" }, ...agents] },
    { subject: "group_id", title: "Group", type: "list", operators: ops(CHANGEABLE), values: [none, ...groups] },
    { subject: "requester_id", title: "Requester", type: "autocomplete", operators: ops(IS) },
    { subject: "organization_id", title: "Organization", type: "autocomplete", operators: ops(IS) },
    { subject: "current_tags", title: "Tags", type: "text", operators: ops(INCLUDES) },
    { subject: "comment_is_public", title: "Comment is", type: "list", operators: ops(["is"]), values: opts(["true", "false", "not_relevant"], { true: "Public", false: "Private", not_relevant: "Present (public or private)" }) },
    { subject: "comment_includes_word", title: "Comment text", type: "text", operators: ops(INCLUDES) },
    { subject: "via", title: "Channel", type: "list", operators: ops(IS), values: opts(VIAS, { web: "Web form", api: "Web service (API)", email: "Email", rule: "Trigger" }) },
    { subject: "role", title: "Current user", type: "list", operators: ops(IS), values: opts(ROLES, { end_user: "(end user)", agent: "(agent)", admin: "(administrator)" }) },
    ...custom.map((d) => ({ subject: `custom_fields_${d.niceId}`, title: d.title, type: d.options.length || d.type === "checkbox" ? "list" : "text", operators: ops(PRESENCE), ...(customValues(d) ? { values: customValues(d)! } : {}) })),
  ];
  const actions: DefinitionView[] = [
    { subject: "status", title: "Status", type: "list", values: opts(STATUSES.filter((s) => s !== "closed"), Object.fromEntries(STATUSES.map((s) => [s, cap(s)]))) },
    { subject: "priority", title: "Priority", type: "list", values: [none, ...opts(PRIORITIES, Object.fromEntries(PRIORITIES.map((s) => [s, cap(s)])))] },
    { subject: "type", title: "Type", type: "list", values: [none, ...opts(TYPES, Object.fromEntries(TYPES.map((s) => [s, cap(s)])))] },
    { subject: "assignee_id", title: "Assignee", type: "list", values: [none, { value: "current_user", title: "(current user)" }, ...agents] },
    { subject: "group_id", title: "Group", type: "list", values: [none, ...groups] },
    { subject: "set_tags", title: "Set tags", type: "text" },
    { subject: "current_tags", title: "Add tags", type: "text" },
    { subject: "remove_tags", title: "Remove tags", type: "text" },
    ...custom.map((d) => ({ subject: `custom_fields_${d.niceId}`, title: d.title, type: d.options.length || d.type === "checkbox" ? "list" : "text", ...(customValues(d) ? { values: customValues(d)! } : {}) })),
    { subject: "notification_user", title: "Email user", type: "list", values: [...opts(RECIPIENTS, { requester_id: "(requester)", assignee_id: "(assignee)", current_user: "(current user)" }), ...agents] },
    { subject: "notification_group", title: "Email group", type: "list", values: groups },
  ];
  return { conditions_all: conditions, conditions_any: conditions, actions };
}

// ---- writes

function titleOf(t: string): string {
  const s = t.trim();
  if (!s) throw invalid("title", "Title: cannot be blank");
  return s;
}

export async function createTrigger(ctx: RequestContext, input: TriggerInput): Promise<TriggerView> {
  requireAdmin(ctx);
  if (input.title === undefined) throw invalid("title", "Title: cannot be blank");
  const title = titleOf(input.title);
  if (input.conditions === undefined) throw invalid("conditions", "Conditions: a trigger needs at least one condition");
  if (input.actions === undefined) throw invalid("actions", "Actions: a trigger needs at least one action");
  const conditions = await conditionsFor(ctx, input.conditions);
  const actions = await actionsFor(ctx, input.actions);
  if ((await repo.countTriggers(ctx.tx)) >= MAX_TRIGGERS) throw invalid("trigger", `Triggers: an account keeps at most ${MAX_TRIGGERS}`, "TooMany");
  const id = crypto.randomUUID();
  const description = input.description?.trim() || null;
  const niceId = await repo.insertTrigger(ctx.tx, {
    id,
    title_sealed: ctx.sealer.seal(title, ref(id, "title")),
    description_sealed: description ? ctx.sealer.seal(description, ref(id, "description")) : null,
    conditions_sealed: ctx.sealer.sealJson(conditions, ref(id, "conditions")),
    actions_sealed: ctx.sealer.sealJson(actions, ref(id, "actions")),
    active: input.active ?? true,
    position: input.position ?? Math.min((await repo.lastPosition(ctx.tx)) + 1, 100_000),
  });
  audit(ctx, { action: "trigger.created", resourceType: "trigger", resourceId: niceId });
  return present(ctx, (await repo.findTrigger(ctx.tx, niceId))!);
}

export async function updateTrigger(ctx: RequestContext, niceId: number, input: TriggerInput): Promise<TriggerView> {
  requireAdmin(ctx);
  const t = await found(ctx, niceId);
  const patch: repo.TriggerPatch = {};
  if (input.title !== undefined) patch.title_sealed = ctx.sealer.seal(titleOf(input.title), ref(t.id, "title"));
  if (input.conditions !== undefined) patch.conditions_sealed = ctx.sealer.sealJson(await conditionsFor(ctx, input.conditions), ref(t.id, "conditions"));
  if (input.actions !== undefined) patch.actions_sealed = ctx.sealer.sealJson(await actionsFor(ctx, input.actions), ref(t.id, "actions"));
  if (input.active !== undefined) patch.active = input.active;
  if (input.position !== undefined) patch.position = input.position;
  if (input.description !== undefined) {
    const d = input.description?.trim() || null;
    patch.description_sealed = d ? ctx.sealer.seal(d, ref(t.id, "description")) : null;
  }
  if (Object.keys(patch).length) {
    await repo.updateTrigger(ctx.tx, t.id, patch);
    audit(ctx, { action: "trigger.updated", resourceType: "trigger", resourceId: niceId, fields: Object.keys(input) });
  }
  return present(ctx, (await repo.findTrigger(ctx.tx, niceId))!);
}

export async function deleteTrigger(ctx: RequestContext, niceId: number): Promise<void> {
  requireAdmin(ctx);
  const t = await found(ctx, niceId);
  await repo.deleteTrigger(ctx.tx, t.id);
  audit(ctx, { action: "trigger.deleted", resourceType: "trigger", resourceId: niceId });
}

/** Sets positions 1..n in the order given, which must name every trigger of the account exactly once. */
export async function reorderTriggers(ctx: RequestContext, ids: readonly number[]): Promise<TriggerView[]> {
  requireAdmin(ctx);
  // The limit's lock: a trigger created meanwhile cannot slip out of the order.
  await repo.countTriggers(ctx.tx);
  const rows = await repo.allTriggers(ctx.tx);
  const byNice = new Map(rows.map((r) => [r.nice_id, r]));
  if (new Set(ids).size !== ids.length || ids.length !== rows.length || ids.some((id) => !byNice.has(id))) {
    throw invalid("trigger_ids", "Trigger ids: must name every trigger of the account exactly once");
  }
  for (const [i, id] of ids.entries()) {
    const r = byNice.get(id)!;
    if (r.position !== i + 1) await repo.setPosition(ctx.tx, r.id, i + 1);
  }
  audit(ctx, { action: "trigger.reordered", resourceType: "trigger", resourceId: "all", fields: ["position"] });
  return (await repo.allTriggers(ctx.tx)).map((t) => present(ctx, t));
}

