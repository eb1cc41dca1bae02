import type { RequestContext } from "../../platform/context.ts";
import type { RuleMailDeps } from "../tickets/notifications-service.ts";
import { AppError } from "../../platform/errors.ts";
import { lineText, longText } from "../../platform/schemas.ts";
import { resolveGroup } from "../groups/groups-service.ts";
import { MAX_RENDERED, templateProblem } from "../macros/macros-render.ts";
import { checkAction, checkActions, CUSTOM, idOf } from "../macros/macros-service.ts";
import type { RuleKind, Writer } from "../tickets/conversation.ts";
import { loadFields } from "../tickets/field-defs.ts";
import { writeRuleChanges, type RuleSources, type RuleState, type RuleTicket } from "../tickets/rule-write.ts";
import { normalizeCustomValue } from "../tickets/tickets-fns.ts";
import { ticketPolicy } from "../tickets/tickets-policy.ts";
import { isStaff } from "../users/users-policy.ts";
import { resolveUser } from "../users/users-service.ts";
import { existing, holds, isTimeField, options, PROBE, PROBE_UPDATE, propertyDefinitions, STATUSES, words, type Choices, type RuleRules } from "./rules-conditions.ts";
import type { ActionInput, ActionView, ConditionView, DefinitionView } from "./rules-types.ts";
import { queueTriggerMail, type TriggerMail } from "./triggers-mail.ts";

/**
 * Business rules' actions (triggers and automations): how a list is checked when saved (422
 * naming `actions[1]`), what the editor is offered, how a rule's actions change the working copy
 * of a ticket, and the one write of what the rules decided, with the mail they ask for.
 */

/** The property actions rules share with macros (macros-service.ts checks them). */
const PROPERTY_ACTIONS = ["status", "priority", "type", "assignee_id", "group_id", "set_tags", "current_tags", "remove_tags"];
const RECIPIENTS = ["requester_id", "assignee_id", "current_user"];
/** Longest subject of a rule's mail. */
const MAX_SUBJECT = 1000;
/** What `current_user` is refused with where a kind of rule has none (automations: nobody makes their update). */
const noCurrentUser = (rules: RuleRules) => `${rules.many} have no current user`;

async function checkNotification(ctx: RequestContext, field: string, raw: ActionInput["value"], rules: RuleRules): Promise<{ value: string[] } | { problem: string }> {
  if (!Array.isArray(raw) || raw.length !== 3) return { problem: `the value of ${field} must be [${field === "notification_user" ? "recipient" : "group_id"}, subject, body]` };
  const [who, subject, body] = raw.map((x) => String(x)) as [string, string, string];
  const recipients = rules.currentUser ? RECIPIENTS : RECIPIENTS.filter((r) => r !== "current_user");
  let recipient: string;
  if (field === "notification_user") {
    if (recipients.includes(who)) recipient = who;
    else {
      const id = idOf(who);
      const u = id === undefined ? undefined : await existing(resolveUser(ctx, id));
      if (!u || !u.active || u.support || !isStaff(u.role)) return { problem: `the recipient of notification_user must be one of ${recipients.join(", ")} or a staff member's id${rules.currentUser ? "" : ` (${noCurrentUser(rules)})`}` };
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

/** One property action (macros' check), with what a kind of rule adds (closing) or leaves out (current_user). */
async function checkProperty(ctx: RequestContext, field: string, v: string, rules: RuleRules): Promise<{ value: string } | { problem: string }> {
  if (field === "status" && v === "closed" && rules.close) return { value: v };
  if (field === "assignee_id" && v === "current_user" && !rules.currentUser) return { problem: `the value of assignee_id must be a staff member's id or "" (unassign): ${noCurrentUser(rules)}` };
  return await checkAction(ctx, field, v);
}

/** Checks actions as sent (macros' rules, with the notification actions, which may repeat): each problem named by its place, nothing written on one. */
export function checkRuleActions(ctx: RequestContext, list: readonly ActionInput[], rules: RuleRules): Promise<ActionView[]> {
  const property = (field: string) => CUSTOM.test(field) || PROPERTY_ACTIONS.includes(field);
  return checkActions<ActionInput, ActionView["value"]>(
    list,
    rules.one,
    async (field, a) => {
      if (field === "notification_user" || field === "notification_group") return await checkNotification(ctx, field, a.value, rules);
      if (!property(field)) return { problem: `unknown field "${a.field.slice(0, 64)}" (one of ${[...PROPERTY_ACTIONS, "custom_fields_<field id>", "notification_user", "notification_group"].join(", ")})` };
      if (Array.isArray(a.value)) return { problem: `the value of ${field} must be a string` };
      return await checkProperty(ctx, field, a.value === null ? "" : String(a.value), rules);
    },
    property,
  );
}

/** The actions the editor offers a kind of rule, with their values. */
export function actionDefinitions(rules: RuleRules, c: Choices): DefinitionView[] {
  const recipients = RECIPIENTS.filter((r) => r !== "current_user" || rules.currentUser);
  return [
    ...propertyDefinitions(rules, c, STATUSES.filter((s) => s !== "closed" || rules.close)),
    { subject: "set_tags", title: "Set tags", type: "text" },
    { subject: "current_tags", title: "Add tags", type: "text" },
    { subject: "remove_tags", title: "Remove tags", type: "text" },
    ...c.custom,
    { subject: "notification_user", title: "Email user", type: "list", values: [...options(recipients, { requester_id: "(requester)", assignee_id: "(assignee)", current_user: "(current user)" }), ...c.agents] },
    { subject: "notification_group", title: "Email group", type: "list", values: c.groups },
  ];
}

// ---- applying

/** A ticket's tags after a tag action (undefined for any other action). */
function tagsAfter(field: string, value: string, tags: readonly string[]): string[] | undefined {
  switch (field) {
    case "set_tags":
      return words(value);
    case "current_tags":
      return [...new Set([...tags, ...words(value)])];
    case "remove_tags": {
      const gone = words(value);
      return tags.filter((x) => !gone.includes(x));
    }
    default:
      return undefined;
  }
}

/** Sets status, priority or type on the working copy (false for any other action, or a status that cannot be set: `new` once the ticket is not). */
function setPlain(w: RuleState, field: string, v: string): boolean {
  switch (field) {
    case "status":
      if (!(STATUSES as readonly string[]).includes(v) || (v === "new" && w.status !== "new")) return false;
      w.status = v as RuleState["status"];
      return true;
    case "priority":
      w.priority = v === "" ? null : (v as RuleState["priority"]);
      return true;
    case "type":
      w.type = v === "" ? null : (v as RuleState["type"]);
      return true;
    default:
      return false;
  }
}

/** A staff member tickets may be assigned to, by public id, now; undefined when not (any more). */
export async function assignable(ctx: RequestContext, niceId: number): Promise<{ id: string; niceId: number } | undefined> {
  const u = await existing(resolveUser(ctx, niceId));
  return u && u.active && !u.support && isStaff(u.role) && ticketPolicy.assignable(u.role) ? { id: u.id, niceId: u.niceId } : undefined;
}

/** Applies one rule's property actions to the working copy; notifications are collected. Actions that no longer apply are skipped. */
export async function applyActions(ctx: RequestContext, actions: readonly ActionView[], w: RuleState, by: Writer, source: { id: number; title: string }, sources: RuleSources, mails: TriggerMail[]): Promise<void> {
  const set = (key: string) => sources.set(key, source);
  for (const a of actions) {
    if (Array.isArray(a.value)) {
      if (a.field === "notification_user" || a.field === "notification_group") mails.push({ kind: a.field === "notification_user" ? "user" : "group", target: a.value[0]!, subject: a.value[1]!, body: a.value[2]!, trigger: source });
      continue;
    }
    const v = a.value;
    const tags = tagsAfter(a.field, v, w.tags);
    if (tags) {
      w.tags = tags;
      set("tags");
      continue;
    }
    if (setPlain(w, a.field, v)) {
      set(a.field);
      continue;
    }
    switch (a.field) {
      case "assignee_id": {
        const next = v === "" ? null : v === "current_user" ? (by.proven ? await assignable(ctx, by.niceId) : undefined) : idOf(v) ? await assignable(ctx, idOf(v)!) : undefined;
        if (next === undefined) break;
        w.assignee = next;
        set("assignee_id");
        break;
      }
      case "group_id": {
        const next = v === "" ? null : idOf(v) ? await existing(resolveGroup(ctx, idOf(v)!)) : undefined;
        if (next === undefined) break;
        w.group = next;
        set("group_id");
        break;
      }
      default: {
        const m = CUSTOM.exec(a.field);
        if (!m) break;
        const def = (await loadFields(ctx)).defs.get(Number(m[1]));
        if (!def || !def.active) break;
        try {
          const value = normalizeCustomValue(def, def.type === "checkbox" ? v === "true" : v);
          w.custom[m[1]!] = value;
          set(m[1]!);
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
        }
      }
    }
  }
}

// ---- nullifying (automations' validity)

const STATUS_HOURS: Record<string, string> = { NEW: "new", OPEN: "open", PENDING: "pending", HOLD: "hold", SOLVED: "solved" };

/**
 * Whether an automation's actions, applied in their order, make a condition false on every ticket
 * it held on (Zendesk's nullifying condition: an automation must not fire on the same ticket again
 * and again). A property set to a value the condition rejects; for tags, the ticket most in the
 * condition's favour (every tag it wants, none it does not) run through all the tag actions, so a
 * tag added and removed again nullifies nothing; a status set away from the one its hours count,
 * an unassignment for hours since assigned. A status of `new` nullifies nothing (it is skipped on
 * any ticket that is not new). Each other property is set at most once (checkActions), so one
 * action decides it.
 */
export function nullifies(c: ConditionView, actions: readonly ActionView[]): boolean {
  if (c.field === "current_tags") {
    let tags: string[] = c.operator === "includes" ? words(c.value) : [];
    let touched = false;
    for (const a of actions) {
      const next = Array.isArray(a.value) ? undefined : tagsAfter(a.field, a.value, tags);
      if (next) [tags, touched] = [next, true];
    }
    return touched && !holds(c, { ...PROBE, tags, custom: {} }, PROBE_UPDATE);
  }
  return actions.some((a) => nullifiedBy(c, a));
}

/** Whether one property action makes a condition (not a tag condition) false wherever it held. */
function nullifiedBy(c: ConditionView, a: ActionView): boolean {
  if (Array.isArray(a.value)) return false;
  const v = a.value;
  if (isTimeField(c.field)) {
    if (c.field in STATUS_HOURS) return a.field === "status" && v !== "new" && v !== STATUS_HOURS[c.field];
    return c.field === "assigned_at" && a.field === "assignee_id" && v === "";
  }
  const w: RuleState = { ...PROBE, tags: [], custom: {} };
  const custom = CUSTOM.exec(a.field);
  if (a.field !== c.field) return false;
  if (a.field === "status" && v === "new") return false;
  if (a.field === "assignee_id" || a.field === "group_id") {
    const x = v === "" ? null : { id: "", niceId: Number(v) };
    if (a.field === "assignee_id") w.assignee = x;
    else w.group = x;
  } else if (custom) w.custom[custom[1]!] = v === "" ? null : v;
  else if (!setPlain(w, a.field, v)) return false;
  return !holds(c, w, PROBE_UPDATE);
}

// ---- the write

/** Most notification actions one update runs (a rule's most actions). */
const MAX_MAILS = 30;
/** Most tags a ticket holds (as the ticket API): rules adding more are cut. */
const MAX_TAGS = 100;

/**
 * Writes what rules of one kind decided for a ticket (`w`, the working copy), once, through the
 * conversation writer (rule-write.ts), then queues the mail they asked for through the
 * notifications module's rules (triggers-mail.ts). Zendesk's rules of the ticket API hold: a new
 * ticket assigned becomes open; a ticket solved or closed needs an assignee (whoever made the update
 * when they are assignable staff, else the status stays as it was). Answers whether it wrote.
 */
export async function writeRule(deps: RuleMailDeps, ctx: RequestContext, t: RuleTicket, w: RuleState, sources: RuleSources, mails: readonly TriggerMail[], by: Writer, kind: RuleKind): Promise<boolean> {
  w.tags = w.tags.slice(0, Math.max(MAX_TAGS, t.state.tags.length));
  if (w.status === "new" && w.assignee && !t.state.assignee) w.status = "open";
  if ((w.status === "solved" || w.status === "closed") && w.status !== t.state.status && !w.assignee) {
    const me = by.proven ? await assignable(ctx, by.niceId) : undefined;
    if (me) w.assignee = me;
    else w.status = t.state.status;
  }
  const written = await writeRuleChanges(ctx, t, w, sources, by, kind);
  // An automation that changed nothing (its nullifying action skipped: a group deleted since) mails nobody: it would every hour.
  if (!written && kind === "automation") return false;
  // Mail after the write: recipients and texts read the ticket as the rules left it.
  // At most MAX_MAILS notification actions an update, each different: 500 rules of 30 actions must not write one person 15,000 times.
  const distinct = [...new Map(mails.map((m) => [JSON.stringify([m.kind, m.target, m.subject, m.body]), m])).values()].slice(0, MAX_MAILS);
  for (const m of distinct) await queueTriggerMail(deps, ctx, { id: t.row.id, requesterId: t.row.requester_id, assigneeId: w.assignee?.id ?? null }, by, m);
  return written;
}
