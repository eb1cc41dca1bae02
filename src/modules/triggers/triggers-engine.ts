import type { RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { resolveGroup } from "../groups/groups-service.ts";
import { CUSTOM, idOf } from "../macros/macros-service.ts";
import type { ConversationEvent, Writer } from "../tickets/conversation.ts";
import { loadFields } from "../tickets/field-defs.ts";
import { ticketForRules, writeRuleChanges, type RuleSources, type RuleState, type RuleTicket } from "../tickets/rule-write.ts";
import { normalizeCustomValue, type CustomValue } from "../tickets/tickets-fns.ts";
import { ticketPolicy } from "../tickets/tickets-policy.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";
import { resolveUser } from "../users/users-service.ts";
import { queueTriggerMail, type TriggerMail } from "./triggers-mail.ts";
import * as repo from "./triggers-repo.ts";
import { actionsOf, conditionsOf, existing, PRIORITIES, STATUSES, titleOfRow } from "./triggers-service.ts";
import type { ActionView, ConditionView, Conditions } from "./triggers-types.ts";

/**
 * The trigger engine, on `conversation.written` for a ticket created or changed (any channel but
 * `rule`: a trigger's own write runs no trigger), in the transaction of the write. Zendesk's
 * cycle: the active triggers in position order are walked over a working copy of the ticket; when
 * one's conditions hold, its actions are applied to the copy and the walk starts again from the
 * top, leaving out the triggers that already fired (each fires at most once per update). The net
 * property changes are then written once through the conversation writer (channel `rule`), and
 * the notifications the fired triggers ask for are queued by the notifications module's rules.
 * An action that cannot apply any more (a deleted group, someone no longer staff) is skipped: a
 * customer's write never fails for a trigger.
 */

type Update = {
  create: boolean;
  channel: string;
  by: Writer;
  previous: Omit<RuleState, "requesterNiceId" | "organizationNiceId" | "tags" | "custom"> | undefined;
  comment: { body: string; public: boolean } | undefined;
  /** Whether the comment holds a word (wordsOf). */
  hasWord: (word: string) => boolean;
};

const rank = (list: readonly string[], v: string | null) => (v === null || v === "" ? -1 : list.indexOf(v));
const roleOf = (w: Writer) => (!w.proven || !isStaff(w.role) ? "end_user" : isAdmin(w.role) ? "admin" : "agent");
const words = (v: string) => v.split(/\s+/).filter(Boolean);
const normal = (s: string) => s.normalize("NFKC").toLowerCase();
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether `text` holds `word` as a whole word (NFKC, ignoring case). */
export function hasWord(text: string, word: string): boolean {
  const w = normal(word);
  if (!w) return false;
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escape(w)}(?![\\p{L}\\p{N}_])`, "u").test(text);
}

/**
 * The whole-word test over one update's comment, prepared once for the cycle: a word of letters,
 * digits and `_` only is a whole word exactly when it is one of the comment's maximal runs of them
 * (a set lookup); any other word is searched for once. Each answer is kept for the update: 500
 * triggers of 50 conditions of hundreds of words must not scan the comment millions of times.
 */
export function wordsOf(body: string | undefined): (word: string) => boolean {
  const text = body ? normal(body) : "";
  const runs = new Set(text.split(/[^\p{L}\p{N}_]+/u).filter(Boolean));
  const known = new Map<string, boolean>();
  return (word) => {
    let r = known.get(word);
    if (r === undefined) {
      const w = normal(word);
      r = w !== "" && (/^[\p{L}\p{N}_]+$/u.test(w) ? runs.has(w) : hasWord(text, word));
      known.set(word, r);
    }
    return r;
  };
}

const customText = (v: CustomValue | undefined): string => (v === null || v === undefined ? "" : String(v));

function holds(c: ConditionView, w: RuleState, u: Update): boolean {
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

const matches = (cs: Conditions, w: RuleState, u: Update) => cs.all.every((c) => holds(c, w, u)) && (cs.any.length === 0 || cs.any.some((c) => holds(c, w, u)));


/** A staff member tickets may be assigned to, by public id, now; undefined when not (any more). */
async function assignable(ctx: RequestContext, niceId: number): Promise<{ id: string; niceId: number } | undefined> {
  const u = await existing(resolveUser(ctx, niceId));
  return u && u.active && !u.support && isStaff(u.role) && ticketPolicy.assignable(u.role) ? { id: u.id, niceId: u.niceId } : undefined;
}

/** Applies one trigger's property actions to the working copy; notifications are collected. Actions that no longer apply are skipped. */
async function apply(ctx: RequestContext, actions: readonly ActionView[], w: RuleState, u: Update, source: { id: number; title: string }, sources: RuleSources, mails: TriggerMail[]): Promise<void> {
  const set = (key: string) => sources.set(key, source);
  for (const a of actions) {
    if (Array.isArray(a.value)) {
      if (a.field === "notification_user" || a.field === "notification_group") mails.push({ kind: a.field === "notification_user" ? "user" : "group", target: a.value[0]!, subject: a.value[1]!, body: a.value[2]!, trigger: source });
      continue;
    }
    const v = a.value;
    switch (a.field) {
      case "status":
        if ((STATUSES as readonly string[]).includes(v) && v !== "closed" && !(v === "new" && w.status !== "new")) {
          w.status = v as RuleState["status"];
          set("status");
        }
        break;
      case "priority":
        w.priority = v === "" ? null : (v as RuleState["priority"]);
        set("priority");
        break;
      case "type":
        w.type = v === "" ? null : (v as RuleState["type"]);
        set("type");
        break;
      case "assignee_id": {
        const next = v === "" ? null : v === "current_user" ? (u.by.proven ? await assignable(ctx, u.by.niceId) : undefined) : idOf(v) ? await assignable(ctx, idOf(v)!) : undefined;
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
      case "set_tags":
        w.tags = words(v);
        set("tags");
        break;
      case "current_tags":
        w.tags = [...new Set([...w.tags, ...words(v)])];
        set("tags");
        break;
      case "remove_tags": {
        const gone = words(v);
        w.tags = w.tags.filter((x) => !gone.includes(x));
        set("tags");
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

/** Most notification actions one update runs (a trigger's most actions). */
const MAX_MAILS = 30;

/** Most tags a ticket holds (as the ticket API): a trigger adding more is cut. */
const MAX_TAGS = 100;

/** Runs the account's triggers for one ticket write (see above). */
export async function runTriggersFor(deps: Pick<AppDeps, "mailer" | "config">, ctx: RequestContext, e: ConversationEvent): Promise<void> {
  if ((e.kind !== "ticket.created" && e.kind !== "ticket.changed") || e.channel === "rule") return;
  const triggers = await repo.allTriggers(ctx.tx, true);
  if (triggers.length === 0) return;
  const t: RuleTicket | undefined = await ticketForRules(ctx, e.ticketNiceId);
  if (!t || t.row.status === "closed") return;
  const previous = e.kind === "ticket.changed" ? previousOf(e.previous) : undefined;
  const u: Update = { create: e.kind === "ticket.created", channel: e.channel, by: e.by, previous, comment: e.text.comment, hasWord: wordsOf(e.text.comment?.body) };
  const w: RuleState = { ...t.state, tags: [...t.state.tags], custom: { ...t.state.custom } };
  const loaded = triggers.map((row) => ({ row, conditions: conditionsOf(ctx, row), actions: actionsOf(ctx, row) }));
  const fired = new Set<number>();
  const sources: RuleSources = new Map();
  const mails: TriggerMail[] = [];
  for (let restart = true; restart; ) {
    restart = false;
    for (const x of loaded) {
      if (fired.has(x.row.nice_id) || !matches(x.conditions, w, u)) continue;
      fired.add(x.row.nice_id);
      await apply(ctx, x.actions, w, u, { id: x.row.nice_id, title: titleOfRow(ctx, x.row) }, sources, mails);
      restart = true;
      break;
    }
  }
  if (fired.size === 0) return;
  w.tags = w.tags.slice(0, Math.max(MAX_TAGS, t.state.tags.length));
  // A ticket assigned while new is open (as the ticket API); solved needs an assignee: the writer when staff, else it stays as it was.
  if (w.status === "new" && w.assignee && !t.state.assignee) w.status = "open";
  if (w.status === "solved" && t.state.status !== "solved" && !w.assignee) {
    const me = u.by.proven ? await assignable(ctx, u.by.niceId) : undefined;
    if (me) w.assignee = me;
    else w.status = t.state.status;
  }
  await writeRuleChanges(ctx, t, w, sources, { id: u.by.id, niceId: u.by.niceId, role: u.by.role });
  // Mail after the write: recipients and texts read the ticket as the triggers left it.
  // At most MAX_MAILS notification actions an update, each different: 500 triggers of 30 actions must not write one person 15,000 times.
  const distinct = [...new Map(mails.map((m) => [JSON.stringify([m.kind, m.target, m.subject, m.body]), m])).values()].slice(0, MAX_MAILS);
  for (const m of distinct) await queueTriggerMail(deps, ctx, { id: t.row.id, requesterId: t.row.requester_id, assigneeId: w.assignee?.id ?? null }, u.by, m);
}

/** The `conversation.written` listener. */
export function runTriggers(deps: Pick<AppDeps, "mailer" | "config">) {
  return (ctx: RequestContext, e: ConversationEvent) => runTriggersFor(deps, ctx, e);
}

/** The properties before the update, with their public ids. */
function previousOf(p: Extract<ConversationEvent, { kind: "ticket.changed" }>["previous"]): Update["previous"] {
  return {
    status: p.status,
    priority: p.priority,
    type: p.type,
    assignee: p.assignee_id && p.assignee_nice ? { id: p.assignee_id, niceId: p.assignee_nice } : null,
    group: p.group_id && p.group_nice ? { id: p.group_id, niceId: p.group_nice } : null,
  };
}
