import type { MessageKey } from "../i18n/en.ts";

/**
 * The business rules editor's rules, for triggers and automations alike, without the browser or
 * the network (RulesPage.tsx draws them, rules-api.ts makes the calls), so they are tested on their
 * own: the shapes of a rule and of its `/definitions`, a new row for a field, what a change of
 * operator does to the value, the server's refusals by row, the order after a move, and the body
 * sent. An automation is a trigger's shape whose conditions may also count hours (`isHours`).
 */

/** A value a condition or action holds (the server's ids may come as numbers). */
export type Scalar = string | number | boolean | null;
export type RuleCondition = { field: string; operator: string; value: Scalar };
export type RuleConditions = { all: RuleCondition[]; any: RuleCondition[] };
/** One part of a notification's value. */
export type Part = string | number;
/** An action: a field and its value; a notification's value is `[recipient or group, subject, body]`. */
export type RuleAction = { field: string; value: Scalar | Part[] };

/** A trigger or an automation, as the API answers it. */
export type Rule = {
  id: number;
  url: string;
  title: string;
  description: string | null;
  active: boolean;
  position: number;
  conditions: RuleConditions;
  actions: RuleAction[];
  created_at: string;
  updated_at: string;
};
export type RuleInput = { title: string; description: string | null; active: boolean; conditions: RuleConditions; actions: RuleAction[] };

/** One choice of a definition (an operator or a value), as Zendesk shapes it. */
export type Choice = { value: Scalar; title: string };
/** What a condition or action field offers (`GET /triggers/definitions`, `GET /automations/definitions`). */
export type Definition = { subject: string; title: string; type: string; operators?: Choice[] | undefined; values?: Choice[] | undefined };
export type Definitions = { conditions_all: Definition[]; conditions_any: Definition[]; actions: Definition[] };

/** The two notification actions, whose value is `[recipient or group, subject, body]`. */
export const NOTIFICATIONS = ["notification_user", "notification_group"] as const;
export const isNotification = (field: string): boolean => (NOTIFICATIONS as readonly string[]).includes(field);

/** Operators that compare nothing (the field changed, did not, has a value, has none): no value box. */
const VALUELESS = new Set(["changed", "not_changed", "present", "not_present"]);
export const takesValue = (operator: string): boolean => !VALUELESS.has(operator);

/**
 * The automations' time conditions (Zendesk's subjects): each compares a whole number of hours since
 * the ticket entered a status, was assigned, updated, created or due (or until it is due), until
 * its next SLA breach or since its last.
 */
export const HOURS = ["NEW", "OPEN", "PENDING", "HOLD", "SOLVED", "assigned_at", "updated_at", "requester_updated_at", "assignee_updated_at", "created_at", "due_date", "until_due_date", "hours_until_next_sla_breach", "hours_since_last_sla_breach"] as const;
export const isHours = (subject: string): boolean => (HOURS as readonly string[]).includes(subject);

/** The server's limits on one rule. */
export const MAX_CONDITIONS = 50;
export const MAX_ACTIONS = 30;

const str = (v: Scalar | undefined): string => (v === null || v === undefined ? "" : String(v));
/** A value as a part of a notification (an id stays a number). */
const part = (v: Scalar | undefined): Part => (typeof v === "number" ? v : str(v));

/** The choice whose value reads as `text` (a select gives text back; the server's value keeps its type). */
export function choiceValue(values: readonly Choice[] | undefined, text: string): Scalar {
  const found = values?.find((c) => str(c.value) === text);
  return found ? found.value : text;
}

/** A new condition on `def`'s field: its first operator, and its first value when it has a list. */
export function blankCondition(def: Definition): RuleCondition {
  const operator = str(def.operators?.[0]?.value) || "is";
  return { field: def.subject, operator, value: takesValue(operator) ? (def.values?.[0]?.value ?? "") : null };
}

/**
 * The condition with another operator: a value it had is kept when the new operator compares one
 * (is → is not), dropped when it compares none (changed), and the first choice when it had none.
 */
export function withOperator(row: RuleCondition, operator: string, def: Definition | undefined): RuleCondition {
  if (!takesValue(operator)) return { ...row, operator, value: null };
  if (row.value !== null && row.value !== "") return { ...row, operator };
  return { ...row, operator, value: def?.values?.[0]?.value ?? "" };
}

/** A new action on `def`'s field: a notification to its first recipient with an empty subject and body, else its first value. */
export function blankAction(def: Definition): RuleAction {
  if (isNotification(def.subject)) return { field: def.subject, value: [part(def.values?.[0]?.value), "", ""] };
  return { field: def.subject, value: def.values?.[0]?.value ?? "" };
}

/** A notification action's three parts, whatever its value holds. */
export function notificationParts(a: RuleAction): { to: string; subject: string; body: string } {
  const v = Array.isArray(a.value) ? a.value : [a.value];
  return { to: str(v[0]), subject: str(v[1]), body: str(v[2]) };
}

/** The notification action with one part changed (the recipient keeps the type the definitions give it). */
export function withNotification(a: RuleAction, which: "to" | "subject" | "body", text: string, def: Definition | undefined): RuleAction {
  const v: Scalar[] = Array.isArray(a.value) ? [...a.value] : [a.value];
  const current: Part[] = [part(v[0]), part(v[1]), part(v[2])];
  if (which === "to") current[0] = part(choiceValue(def?.values, text));
  else current[which === "subject" ? 1 : 2] = text;
  return { ...a, value: current };
}

/** The fields a list of rows may choose: those the definitions give, each once per definition. */
export const subjectsOf = (defs: readonly Definition[]): string[] => defs.map((d) => d.subject);

/** Server messages: `details` of a 422, by the place each names. */
export type Details = Record<string, ReadonlyArray<{ description?: string | undefined }>> | undefined;

/** A field a message may start with (`status: `, `custom_fields_7: `, `PENDING: `). */
const FIELD_NAMED = new RegExp(`^(?:custom_fields_\\d+|[a-z_]+|${HOURS.join("|")}): `);

/**
 * A message without the place and the field it names, capitalised: `conditions.all[2]: status:
 * unknown operator` → "Unknown operator"; `Conditions: …` about `conditions.all` → "…".
 */
function own(place: string, text: string): string {
  // The place itself, or the part of the rule it is in (`conditions` of `automation.conditions.all`).
  const part = place.replace(/^(?:trigger|automation|sla_policy)\./, "").split(/[.[]/)[0]!;
  const named = [place, part].find((p) => text.toLowerCase().startsWith(`${p.toLowerCase()}: `));
  const rest = (named ? text.slice(named.length + 2) : text).replace(FIELD_NAMED, "");
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

/**
 * The server's messages about single rows, by row: `conditions.all[2]` (an SLA policy's
 * `filter.all[2]`) → "all-2", `conditions.any[0]` → "any-0", `actions[1]` (or `actions[1].value`, `trigger.actions[1]`, `automation.actions[1]`) →
 * "actions-1"; the first message of a row wins.
 */
export function rowErrors(details: Details): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [place, list] of Object.entries(details ?? {})) {
    const m = /^(?:trigger\.|automation\.|sla_policy\.)?(?:(?:conditions|filter)\.(all|any)|(actions))\[(\d+)\]/.exec(place);
    const text = list[0]?.description;
    if (!m || !text) continue;
    const key = `${m[1] ?? m[2]}-${Number(m[3])}`;
    out[key] ??= own(place, text);
  }
  return out;
}

/** The server's message about a field of the rule itself (`title`, `description`, `conditions`, `actions`), if any. */
export function fieldError(details: Details, name: string): string | undefined {
  for (const [place, list] of Object.entries(details ?? {})) {
    const bare = place.replace(/^(?:trigger|automation|sla_policy)\./, "");
    if (bare !== name && !bare.startsWith(`${name}.`)) continue;
    // Rows have their own place in the editor.
    if (/\[\d+\]/.test(place)) continue;
    const text = list[0]?.description;
    if (text) return own(place, text);
  }
  return undefined;
}

/** The ids in their new order after moving the one at `index` by `delta` (−1 up, +1 down); the same order at either end. */
export function moved(ids: readonly number[], index: number, delta: -1 | 1): number[] {
  const to = index + delta;
  if (index < 0 || index >= ids.length || to < 0 || to >= ids.length) return [...ids];
  const next = [...ids];
  [next[index], next[to]] = [next[to]!, next[index]!];
  return next;
}

/** The body of a create or an update: the title trimmed, an empty description as none, and the rows as they are. */
export function ruleInput(form: { title: string; description: string; active: boolean; all: readonly RuleCondition[]; any: readonly RuleCondition[]; actions: readonly RuleAction[] }): RuleInput {
  const description = form.description.trim();
  return {
    title: form.title.trim(),
    description: description ? description : null,
    active: form.active,
    conditions: { all: [...form.all], any: [...form.any] },
    actions: [...form.actions],
  };
}

/** Translated names for the definitions' built-in words; the server's own title for the rest (groups, people, custom fields). */
const FIELD_KEYS: Record<string, MessageKey> = {
  update_type: "rules.field.update_type",
  status: "rules.field.status",
  priority: "rules.field.priority",
  type: "rules.field.type",
  assignee_id: "rules.field.assignee_id",
  group_id: "rules.field.group_id",
  requester_id: "rules.field.requester_id",
  organization_id: "rules.field.organization_id",
  current_tags: "rules.field.current_tags",
  comment_is_public: "rules.field.comment_is_public",
  comment_includes_word: "rules.field.comment_includes_word",
  via: "rules.field.via",
  via_id: "rules.field.via",
  role: "rules.field.role",
  ...Object.fromEntries(HOURS.map((h) => [h, `rules.field.${h}` as const])),
};
const ACTION_KEYS: Record<string, MessageKey> = {
  status: "rules.field.status",
  priority: "rules.field.priority",
  type: "rules.field.type",
  assignee_id: "rules.field.assignee_id",
  group_id: "rules.field.group_id",
  set_tags: "rules.action.set_tags",
  current_tags: "rules.action.current_tags",
  remove_tags: "rules.action.remove_tags",
  notification_user: "rules.action.notification_user",
  notification_group: "rules.action.notification_group",
};
const OPERATOR_KEYS: Record<string, MessageKey> = {
  is: "rules.op.is",
  is_not: "rules.op.is_not",
  less_than: "rules.op.less_than",
  greater_than: "rules.op.greater_than",
  is_business_hours: "rules.op.is_business_hours",
  less_than_business_hours: "rules.op.less_than_business_hours",
  greater_than_business_hours: "rules.op.greater_than_business_hours",
  changed: "rules.op.changed",
  value: "rules.op.value",
  value_previous: "rules.op.value_previous",
  not_changed: "rules.op.not_changed",
  includes: "rules.op.includes",
  not_includes: "rules.op.not_includes",
  present: "rules.op.present",
  not_present: "rules.op.not_present",
};

/** The catalog key naming a condition's (`kind` "condition") or an action's field, if it is a built-in one. */
export const fieldKey = (kind: "condition" | "action", subject: string): MessageKey | undefined => (kind === "condition" ? FIELD_KEYS : ACTION_KEYS)[subject];
export const operatorKey = (operator: string): MessageKey | undefined => OPERATOR_KEYS[operator];

/** The catalog key naming a built-in value of a field (statuses, priorities, "none", the current user…), if there is one. */
export function valueKey(subject: string, value: Scalar): MessageKey | undefined {
  const v = str(value);
  switch (subject) {
    case "status":
      return ["new", "open", "pending", "hold", "solved", "closed"].includes(v) ? (`status.${v}` as MessageKey) : undefined;
    case "priority":
      return v === "" ? "priority.none" : ["low", "normal", "high", "urgent"].includes(v) ? (`priority.${v}` as MessageKey) : undefined;
    case "type":
      return v === "" ? "type.none" : ["question", "incident", "problem", "task"].includes(v) ? (`type.${v}` as MessageKey) : undefined;
    case "update_type":
      return v === "Create" ? "rules.value.created" : v === "Change" ? "rules.value.updated" : undefined;
    case "comment_is_public":
      return v === "true" ? "rules.value.publicComment" : v === "false" ? "rules.value.noPublicComment" : v === "not_relevant" ? "rules.value.notRelevant" : undefined;
    case "via":
    case "via_id":
      return v === "web" ? "rules.via.web" : v === "api" ? "rules.via.api" : v === "email" ? "rules.via.email" : v === "rule" ? "rules.via.rule" : undefined;
    case "role":
      return v === "end_user" ? "rules.role.end_user" : v === "agent" ? "rules.role.agent" : v === "admin" ? "rules.role.admin" : undefined;
    case "assignee_id":
      return v === "" ? "rules.value.unassigned" : v === "current_user" ? "rules.value.currentUser" : undefined;
    case "group_id":
      return v === "" ? "rules.value.noGroup" : undefined;
    case "requester_id":
    case "organization_id":
      return v === "" ? "rules.value.none" : undefined;
    case "notification_user":
      return v === "requester_id" ? "rules.recipient.requester" : v === "assignee_id" ? "rules.recipient.assignee" : v === "current_user" ? "rules.recipient.currentUser" : undefined;
    default:
      return undefined;
  }
}
