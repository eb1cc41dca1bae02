import type { RequestContext } from "../../platform/context.ts";
import { AppError, invalid, type FieldDetail } from "../../platform/errors.ts";
import { lineText } from "../../platform/schemas.ts";
import { resolveGroup } from "../groups/groups-service.ts";
import { checkAction, CUSTOM, idOf, tagWords } from "../macros/macros-service.ts";
import { resolveOrganization } from "../organizations/organizations-service.ts";
import type { Writer } from "../tickets/conversation.ts";
import { loadFields } from "../tickets/field-defs.ts";
import type { RuleState, TicketFilter, TicketTimes } from "../tickets/rule-write.ts";
import type { CustomValue } from "../tickets/tickets-fns.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";
import { resolveUser } from "../users/users-service.ts";
import { businessMinutesBetween, type Clock as BusinessClock } from "../sla/business-time.ts";
import type { ConditionInput, ConditionView, Conditions, DefinitionView } from "./rules-types.ts";

/**
 * Business rules' conditions (triggers and automations): which each kind of rule may hold, how
 * one is checked when saved (422 naming `conditions.all[i]`), what the editor is offered, and how
 * one is evaluated over a ticket as rules read it (RuleState) and the update or the clock.
 */

export const MAX_CONDITIONS = 50;
export const STATUSES = ["new", "open", "pending", "hold", "solved", "closed"] as const;
export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export const TYPES = ["question", "incident", "problem", "task"] as const;
const ORDERED = ["is", "is_not", "less_than", "greater_than", "changed", "value", "value_previous", "not_changed"];
const CHANGEABLE = ["is", "is_not", "changed", "value", "value_previous", "not_changed"];
const IS = ["is", "is_not"];
const INCLUDES = ["includes", "not_includes"];
const PRESENCE = ["is", "is_not", "present", "not_present"];
/** Operators about the update rather than the ticket (triggers only). */
const CHANGE_OPERATORS = ["changed", "value", "value_previous", "not_changed"];
/** Operators whose value is not read (stored as ""). */
const VALUELESS = new Set(["changed", "not_changed", "present", "not_present"]);

/** The conditions triggers hold: field → operators (custom fields: PRESENCE). */
export const TRIGGER_OPERATORS: Record<string, readonly string[]> = {
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

// ---- time conditions (automations)

/**
 * Zendesk's time conditions: hours since the ticket entered its status, was assigned, updated...,
 * until it is due, until its next SLA breach or since its last (modules/sla; by the clock only).
 */
export const TIME_FIELDS = [
  "NEW", "OPEN", "PENDING", "HOLD", "SOLVED", "assigned_at", "updated_at", "requester_updated_at", "assignee_updated_at", "created_at", "due_date", "until_due_date",
  "hours_until_next_sla_breach", "hours_since_last_sla_breach",
] as const;
type TimeField = (typeof TIME_FIELDS)[number];
const SLA_TIME_FIELDS: readonly TimeField[] = ["hours_until_next_sla_breach", "hours_since_last_sla_breach"];
/** Hours by the clock, or (`_business_hours`, as Zendesk's) counted on the account's default schedule (sla/business-time.ts). */
const TIME_OPERATORS = ["is", "less_than", "greater_than", "is_business_hours", "less_than_business_hours", "greater_than_business_hours"];
/** The SLA breach conditions: hours by the clock (Zendesk's operators for them). */
const SLA_TIME_OPERATORS = ["is", "less_than", "greater_than"];
const BUSINESS = "_business_hours";
/** Whether a rule counts any hours on the account's schedule (its run then loads the schedule). */
export const countsBusinessHours = (c: Conditions): boolean => [...c.all, ...c.any].some((x) => isTimeField(x.field) && x.operator.endsWith(BUSINESS));
/** Whether a rule reads the SLA breaches (its run then computes them for every ticket it reads). */
export const readsSlaBreaches = (c: Conditions): boolean => [...c.all, ...c.any].some((x) => (SLA_TIME_FIELDS as readonly string[]).includes(x.field));
export const MAX_HOURS = 100_000;
const HOUR = 3_600_000;
export const isTimeField = (field: string): field is TimeField => (TIME_FIELDS as readonly string[]).includes(field);

/** The conditions automations hold: the ticket's properties (not the update's) and the time conditions. */
export const AUTOMATION_OPERATORS: Record<string, readonly string[]> = {
  status: ["is", "is_not", "less_than", "greater_than"],
  priority: ["is", "is_not", "less_than", "greater_than"],
  type: IS,
  assignee_id: IS,
  group_id: IS,
  requester_id: IS,
  organization_id: IS,
  current_tags: INCLUDES,
  via: IS,
  ...Object.fromEntries(TIME_FIELDS.map((f) => [f, SLA_TIME_FIELDS.includes(f) ? SLA_TIME_OPERATORS : TIME_OPERATORS])),
};

/** Where a time field's hours come from: a column (since it, or until it), and the status it needs. */
function timeSource(field: TimeField): { column: keyof TicketTimes; until?: true; status?: (typeof STATUSES)[number] } {
  switch (field) {
    case "NEW":
    case "OPEN":
    case "PENDING":
    case "HOLD":
    case "SOLVED":
      return { column: "status_updated_at", status: field.toLowerCase() as (typeof STATUSES)[number] };
    case "due_date":
      return { column: "due_at" };
    case "until_due_date":
      return { column: "due_at", until: true };
    // A ticket without a next breach (no policy, none ahead) never holds "until"; "since": the latest breach passed.
    case "hours_until_next_sla_breach":
      return { column: "next_sla_breach_at", until: true };
    case "hours_since_last_sla_breach":
      return { column: "last_sla_breach_at" };
    default:
      return { column: field };
  }
}

/** The whole hours a condition's operator accepts: from `min` up to, not including, `max`. */
function hourRange(operator: string, value: string): { min: number; max: number } {
  const v = Number(value);
  operator = operator.endsWith(BUSINESS) ? operator.slice(0, -BUSINESS.length) : operator;
  return operator === "is" ? { min: v, max: v + 1 } : operator === "less_than" ? { min: 0, max: v } : { min: v + 1, max: Infinity };
}

/**
 * An `all` condition as SQL on clear columns (automations' prefilter, tickets-repo.ts), where it
 * has one that holds exactly when `holds` does: a time condition as bounds on its column (the same
 * whole hours `holdsAt` counts: since, ⌊(now − at) / 1 h⌋; until, ⌊(at − now) / 1 h⌋), a status
 * condition as the statuses it accepts, a tag condition as an overlap of tags. Others: undefined
 * (checked in code only). Business hours are never more than the clock's, so their condition's SQL
 * is its lower bound alone, which every ticket it holds for meets (the code checks the rest).
 */
export function sqlFilter(c: ConditionView, now: Date): TicketFilter | undefined {
  if (c.field === "status") return { kind: "status", in: STATUSES.filter((s) => holds(c, { ...PROBE, status: s }, PROBE_UPDATE)) };
  if (c.field === "current_tags") return { kind: "tags", any: words(c.value), present: c.operator === "includes" };
  if (!isTimeField(c.field)) return undefined;
  const s = timeSource(c.field);
  const { min, max } = hourRange(c.operator, c.value);
  const at = (hours: number) => new Date(now.getTime() + (s.until ? 1 : -1) * hours * HOUR);
  const bounds: Array<["<" | "<=" | ">" | ">=", Date]> = s.until ? [[">=", at(min)]] : [["<=", at(min)]];
  if (Number.isFinite(max) && !c.operator.endsWith(BUSINESS)) bounds.push(s.until ? ["<", at(max)] : [">", at(max)]);
  return { kind: "time", column: s.column, status: s.status, bounds };
}

/** A time condition over the ticket and the clock: false when the time is not known (never assigned, no due date) or not in the status it names. */
function holdsAt(c: ConditionView, field: TimeField, w: RuleState, clock: Clock): boolean {
  const s = timeSource(field);
  if (s.status && w.status !== s.status) return false;
  if (field === "assigned_at" && !w.assignee) return false;
  const at = clock.times[s.column];
  if (!at) return false;
  const ms = s.until ? at.getTime() - clock.now.getTime() : clock.now.getTime() - at.getTime();
  if (ms < 0) return false;
  const [from, to] = s.until ? [clock.now, at] : [at, clock.now];
  const hours = c.operator.endsWith(BUSINESS) ? Math.floor(businessMinutesBetween(clock.hours ?? "calendar", from, to) / 60) : Math.floor(ms / HOUR);
  const { min, max } = hourRange(c.operator, c.value);
  return hours >= min && hours < max;
}

// ---- checks

/**
 * What a kind of rule may hold (rules-service.ts RuleSpec): its conditions' fields and operators,
 * whether `current_user` means anyone (whoever made the update), whether it may close a ticket.
 */
export type RuleRules = { one: string; many: string; operators: Record<string, readonly string[]>; currentUser: boolean; close: boolean };

const oneOf = (v: string, list: readonly string[], field: string) => (list.includes(v) ? { value: v } : { problem: `the value of ${field} must be one of ${list.map((x) => (x === "" ? '"" (none)' : x)).join(", ")}` });
/** Longest list of words a comment condition holds. */
const MAX_WORDS_TEXT = 1000;
export const VIAS = ["web", "api", "email", "rule"] as const;
export const ROLES = ["end_user", "agent", "admin"] as const;

/** What a lookup finds, or undefined where it answers an AppError (not found, not allowed): for ids a rule names, which may be gone. */
export async function existing<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof AppError) return undefined;
    throw e;
  }
}

/** Why a condition is refused before its value is read: an unknown field, one about the update (automations), an operator it does not take. */
function refusal(c: ConditionInput, field: string, ops: readonly string[] | undefined, rules: RuleRules): string | undefined {
  if (!ops) {
    if (Object.hasOwn(TRIGGER_OPERATORS, field)) return `${field} is about an update: ${rules.many} read the ticket as it is (one of ${Object.keys(rules.operators).join(", ")}, custom_fields_<field id>)`;
    return `unknown field "${c.field.slice(0, 64)}" (one of ${[...Object.keys(rules.operators), "custom_fields_<field id>"].join(", ")})`;
  }
  if (ops.includes(c.operator)) return undefined;
  if (CHANGE_OPERATORS.includes(c.operator)) return `the operator ${c.operator} is about an update: ${rules.many} read the ticket as it is (${field}: one of ${ops.join(", ")})`;
  return `the operator of ${field} must be one of ${ops.join(", ")}`;
}

/** One condition, checked: its value normalised to a string, or what is wrong. Ids are looked up inside the tenant. */
async function checkCondition(ctx: RequestContext, c: ConditionInput, rules: RuleRules): Promise<{ field: string; value: string } | { problem: string }> {
  const raw = c.value;
  const v = raw === null || raw === undefined ? "" : typeof raw === "string" ? raw.trim() : String(raw);
  const custom = CUSTOM.exec(c.field);
  const field = custom ? `custom_fields_${Number(custom[1])}` : c.field;
  const ops = custom ? PRESENCE : Object.hasOwn(rules.operators, field) ? rules.operators[field]! : undefined;
  const refused = refusal(c, field, ops, rules);
  if (refused) return { problem: refused };
  const ok = (value: string) => ({ field, value });
  if (VALUELESS.has(c.operator) && !custom) return ok("");
  const wrap = (r: { value: string } | { problem: string }) => ("problem" in r ? r : ok(r.value));
  if (isTimeField(field)) return /^\d{1,6}$/.test(v) && Number(v) <= MAX_HOURS ? ok(String(Number(v))) : { problem: `the value of ${field} must be whole hours, 0 to ${MAX_HOURS}` };
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
      const current = field === "assignee_id" && rules.currentUser;
      if (v === "" || (current && v === "current_user")) return ok(v);
      const id = idOf(v);
      const u = id === undefined ? undefined : await existing(resolveUser(ctx, id));
      if (!u || (field === "assignee_id" && !isStaff(u.role))) return { problem: `the value of ${field} must be ${field === "assignee_id" ? `a staff member's id${current ? ', "current_user"' : ""}` : "a person's id"} or "" (none)` };
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

/** Conditions as sent, checked: every problem named by its place (`conditions.all[2]`) in one 422, nothing written on one. */
export async function checkConditions(ctx: RequestContext, input: { all?: ConditionInput[] | undefined; any?: ConditionInput[] | undefined }, rules: RuleRules): Promise<Conditions> {
  const out: Conditions = { all: [], any: [] };
  const problems: Record<string, FieldDetail[]> = {};
  for (const kind of ["all", "any"] as const) {
    const list = input[kind] ?? [];
    if (list.length > MAX_CONDITIONS) throw invalid(`conditions.${kind}`, `Conditions: at most ${MAX_CONDITIONS} in conditions.${kind}`, "TooMany");
    for (const [i, c] of list.entries()) {
      const at = `conditions.${kind}[${i}]`;
      const r = await checkCondition(ctx, c, rules);
      if ("problem" in r) problems[at] = [{ description: `${at}: ${r.problem}`, error: "InvalidValue" }];
      else out[kind].push({ field: r.field, operator: c.operator, value: r.value });
    }
  }
  if (Object.keys(problems).length) throw new AppError("RecordInvalid", { details: problems });
  if (out.all.length === 0 && out.any.length === 0) throw invalid("conditions", `Conditions: a ${rules.one} needs at least one condition`);
  return out;
}

// ---- definitions

export const options = (list: readonly string[], titles: Record<string, string> = {}) => list.map((v) => ({ value: v, title: titles[v] ?? (v === "" ? "-" : v) }));
const OP_TITLES: Record<string, string> = {
  is: "Is", is_not: "Is not", less_than: "Less than", greater_than: "Greater than",
  is_business_hours: "Is (business hours)", less_than_business_hours: "Less than (business hours)", greater_than_business_hours: "Greater than (business hours)", changed: "Changed", value: "Changed to", value_previous: "Changed from", not_changed: "Not changed",
  includes: "Contains at least one of the following", not_includes: "Contains none of the following", present: "Present", not_present: "Not present",
};
const ops = (list: readonly string[]) => options(list, OP_TITLES);
export const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, " ");
const NONE = { value: "", title: "-" };
const titled = (list: readonly string[]) => options(list, Object.fromEntries(list.map((s) => [s, capitalised(s)])));
const TIME_TITLES: Record<TimeField, string> = {
  NEW: "Hours since new", OPEN: "Hours since open", PENDING: "Hours since pending", HOLD: "Hours since on-hold", SOLVED: "Hours since solved",
  assigned_at: "Hours since assigned", updated_at: "Hours since update", requester_updated_at: "Hours since requester update",
  assignee_updated_at: "Hours since assignee update", created_at: "Hours since created", due_date: "Hours since due date", until_due_date: "Hours until due date",
  hours_until_next_sla_breach: "Hours until next SLA breach", hours_since_last_sla_breach: "Hours since last SLA breach",
};

/** What values the editor offers for ids and custom fields (read once for conditions and actions). */
export type Choices = {
  groups: Array<{ value: string; title: string }>;
  agents: Array<{ value: string; title: string }>;
  custom: Array<{ subject: string; title: string; type: string; values?: Array<{ value: string; title: string }> }>;
};

/** Status, priority, type, assignee and group with their values, as conditions and actions offer them (`statuses`: those offered). */
export function propertyDefinitions(rules: RuleRules, c: Choices, statuses: readonly string[]): DefinitionView[] {
  const currentUser = rules.currentUser ? [{ value: "current_user", title: "(current user)" }] : [];
  return [
    { subject: "status", title: "Status", type: "list", values: titled(statuses) },
    { subject: "priority", title: "Priority", type: "list", values: [NONE, ...titled(PRIORITIES)] },
    { subject: "type", title: "Type", type: "list", values: [NONE, ...titled(TYPES)] },
    { subject: "assignee_id", title: "Assignee", type: "list", values: [NONE, ...currentUser, ...c.agents] },
    { subject: "group_id", title: "Group", type: "list", values: [NONE, ...c.groups] },
  ];
}

/** The conditions the editor offers a kind of rule, each with the operators it takes (time conditions: type `integer`, whole hours). */
export function conditionDefinitions(rules: RuleRules, c: Choices): DefinitionView[] {
  const all: DefinitionView[] = [
    { subject: "update_type", title: "Ticket is", type: "list", values: options(["Create", "Change"], { Create: "Created", Change: "Updated" }) },
    ...propertyDefinitions(rules, c, STATUSES),
    { subject: "requester_id", title: "Requester", type: "autocomplete" },
    { subject: "organization_id", title: "Organization", type: "autocomplete" },
    { subject: "current_tags", title: "Tags", type: "text" },
    { subject: "comment_is_public", title: "Comment is", type: "list", values: options(["true", "false", "not_relevant"], { true: "Public", false: "Private", not_relevant: "Present (public or private)" }) },
    { subject: "comment_includes_word", title: "Comment text", type: "text" },
    { subject: "via", title: "Channel", type: "list", values: options(VIAS, { web: "Web form", api: "Web service (API)", email: "Email", rule: "Trigger" }) },
    { subject: "role", title: "Current user", type: "list", values: options(ROLES, { end_user: "(end user)", agent: "(agent)", admin: "(administrator)" }) },
    ...TIME_FIELDS.map((f) => ({ subject: f, title: TIME_TITLES[f], type: "integer" })),
  ];
  const known = all.filter((d) => Object.hasOwn(rules.operators, d.subject)).map(({ values, ...d }) => ({ ...d, operators: ops(rules.operators[d.subject]!), ...(values ? { values } : {}) }));
  return [...known, ...c.custom.map((d) => ({ subject: d.subject, title: d.title, type: d.type, operators: ops(PRESENCE), ...(d.values ? { values: d.values } : {}) }))];
}

// ---- evaluation

/** The update a trigger reads (what changed, who wrote, the comment), or a ticket as an automation reads it at a time. */
export type RuleUpdate = {
  create: boolean;
  /** The update's channel (triggers); the ticket's (automations). */
  channel: string;
  by: Writer;
  previous: Omit<RuleState, "requesterNiceId" | "organizationNiceId" | "tags" | "custom"> | undefined;
  comment: { body: string; public: boolean } | undefined;
  /** Whether the comment holds a word (triggers-engine.ts wordsOf). */
  hasWord: (word: string) => boolean;
  /** Automations: the run's time and the ticket's times. */
  clock?: Clock | undefined;
};
/** `hours`: the account's default schedule, for business-hours conditions (the clock's hours without one). */
export type Clock = { now: Date; times: TicketTimes; hours?: BusinessClock | undefined };

const rank = (list: readonly string[], v: string | null) => (v === null || v === "" ? -1 : list.indexOf(v));
const roleOf = (w: Writer) => (w.system ? "system" : !w.proven || !isStaff(w.role) ? "end_user" : isAdmin(w.role) ? "admin" : "agent");
export const words = (v: string) => v.split(/\s+/).filter(Boolean);
const customText = (v: CustomValue | undefined): string => (v === null || v === undefined ? "" : String(v));

export function holds(c: ConditionView, w: RuleState, u: RuleUpdate): boolean {
  const prev = u.previous;
  /** The change operators over one property (`now`, `before`: "" for none; a Create changed every property from none). */
  const compare = (now: string, before: string, value = c.value): boolean => {
    const changed = u.create || now !== before;
    const was = u.create ? "" : before;
    switch (c.operator) {
      case "is":
        return now === value;
      case "is_not":
        return now !== value;
      case "changed":
        return changed;
      case "not_changed":
        return !changed;
      case "value":
        return changed && now === value;
      case "value_previous":
        return changed && was === value;
      default:
        return false;
    }
  };
  const ordered = (list: readonly string[], now: string | null, before: string | null) =>
    c.operator === "less_than" ? rank(list, now) < rank(list, c.value) : c.operator === "greater_than" ? rank(list, now) > rank(list, c.value) : compare(now ?? "", before ?? "");
  const nice = (x: { niceId: number } | null | undefined) => (x ? String(x.niceId) : "");
  if (isTimeField(c.field)) return u.clock !== undefined && holdsAt(c, c.field, w, u.clock);
  switch (c.field) {
    case "update_type":
      return (u.create ? "Create" : "Change") === c.value;
    case "status":
      return ordered(STATUSES, w.status, prev?.status ?? null);
    case "priority":
      return ordered(PRIORITIES, w.priority, prev?.priority ?? null);
    case "type":
      return compare(w.type ?? "", prev?.type ?? "");
    case "assignee_id":
      // `current_user`: whoever made the update, when signed in (an unproven sender is nobody's id).
      return compare(nice(w.assignee), nice(prev?.assignee), c.value === "current_user" ? (u.by.proven ? String(u.by.niceId) : "-") : c.value);
    case "group_id":
      return compare(nice(w.group), nice(prev?.group));
    case "requester_id":
      return c.operator === "is" ? String(w.requesterNiceId) === c.value : String(w.requesterNiceId) !== c.value;
    case "organization_id": {
      const now = w.organizationNiceId === null ? "" : String(w.organizationNiceId);
      return c.operator === "is" ? now === c.value : now !== c.value;
    }
    case "current_tags": {
      const any = words(c.value).some((t) => w.tags.includes(t));
      return c.operator === "includes" ? any : !any;
    }
    case "comment_is_public":
      return c.value === "true" ? u.comment?.public === true : c.value === "false" ? u.comment?.public !== true : u.comment !== undefined;
    case "comment_includes_word": {
      const any = words(c.value).some((x) => u.hasWord(x));
      return c.operator === "includes" ? any : !any;
    }
    case "via":
      return c.operator === "is" ? u.channel === c.value : u.channel !== c.value;
    case "role":
      return c.operator === "is" ? roleOf(u.by) === c.value : roleOf(u.by) !== c.value;
    default: {
      const m = CUSTOM.exec(c.field);
      if (!m) return false;
      const v = customText(w.custom[m[1]!]);
      switch (c.operator) {
        case "present":
          return v !== "";
        case "not_present":
          return v === "";
        case "is":
          return v === c.value;
        case "is_not":
          return v !== c.value;
        default:
          return false;
      }
    }
  }
}

/** A blank ticket, read by nobody, to ask `holds` what one property makes of a condition (sqlFilter, rules-actions.ts nullifies). */
export const PROBE: Readonly<RuleState> = { status: "new", priority: null, type: null, assignee: null, group: null, requesterNiceId: 0, organizationNiceId: null, tags: [], custom: {} };
export const PROBE_UPDATE: RuleUpdate = { create: false, channel: "", by: { system: true, proven: false }, previous: undefined, comment: undefined, hasWord: () => false };

export const matches = (cs: Conditions, w: RuleState, u: RuleUpdate) => cs.all.every((c) => holds(c, w, u)) && (cs.any.length === 0 || cs.any.some((c) => holds(c, w, u)));

// ---- compiled conditions

/** One condition as a function of the ticket and the update, its value already read. */
type Check = (w: RuleState, u: RuleUpdate) => boolean;
/**
 * A rule's conditions compiled once (`compile`), for the rules every ticket write matches: kept
 * with the opened rule (rules-service.ts activeRules, sla-service.ts policiesToApply: the same
 * cache entry, so a changed rule is compiled again). Each holds exactly when `holds` does; what
 * `holds` reads from the value on every call (a tag list split into words, a custom field's
 * id parsed from its name, whether the field is a time) is read here once.
 */
export type CompiledConditions = { readonly all: readonly Check[]; readonly any: readonly Check[] };

function compileOne(c: ConditionView): Check {
  const field = c.field;
  if (isTimeField(field)) return (w, u) => u.clock !== undefined && holdsAt(c, field, w, u.clock);
  const includes = c.operator === "includes";
  if (field === "current_tags") {
    // Any of the words among the ticket's tags: a set of the words, looked up by each tag.
    const set = new Set(words(c.value));
    return (w) => w.tags.some((t) => set.has(t)) === includes;
  }
  if (field === "comment_includes_word") {
    const list = [...new Set(words(c.value))];
    return (_w, u) => list.some((x) => u.hasWord(x)) === includes;
  }
  const m = CUSTOM.exec(field);
  if (!m) return (w, u) => holds(c, w, u);
  const id = m[1]!;
  switch (c.operator) {
    case "present":
      return (w) => customText(w.custom[id]) !== "";
    case "not_present":
      return (w) => customText(w.custom[id]) === "";
    case "is":
      return (w) => customText(w.custom[id]) === c.value;
    case "is_not":
      return (w) => customText(w.custom[id]) !== c.value;
    default:
      return () => false;
  }
}

/** A rule's conditions compiled (see CompiledConditions); `matchesCompiled` over them is `matches` over the conditions. */
export const compile = (cs: Conditions): CompiledConditions => ({ all: cs.all.map(compileOne), any: cs.any.map(compileOne) });

export const matchesCompiled = (cc: CompiledConditions, w: RuleState, u: RuleUpdate) => cc.all.every((f) => f(w, u)) && (cc.any.length === 0 || cc.any.some((f) => f(w, u)));
