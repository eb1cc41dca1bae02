import type { RequestContext } from "../../platform/context.ts";
import type { RuleMailDeps } from "../tickets/notifications-service.ts";
import type { ConversationEvent } from "../tickets/conversation.ts";
import { ticketForRules, type RuleSources, type RuleState, type RuleTicket } from "../tickets/rule-write.ts";
import { applyActions, writeRule } from "./rules-actions.ts";
import { matchesCompiled, type RuleUpdate } from "./rules-conditions.ts";
import { activeRules } from "./rules-service.ts";
import type { TriggerMail } from "./triggers-mail.ts";
import { TRIGGERS } from "./triggers-service.ts";

/**
 * The trigger engine, on `conversation.written` for a ticket created or changed (any channel but
 * `rule`, save an automation's write: a trigger's own write runs no trigger), in the transaction
 * of the write. Zendesk's
 * cycle: the active triggers in position order are walked over a working copy of the ticket; when
 * one's conditions hold, its actions are applied to the copy and the walk starts again from the
 * top, leaving out the triggers that already fired (each fires at most once per update). The net
 * property changes are then written once through the conversation writer (channel `rule`), and
 * the notifications the fired triggers ask for are queued by the notifications module's rules.
 * An action that cannot apply any more (a deleted group, someone no longer staff) is skipped: a
 * customer's write never fails for a trigger.
 */

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

/** Runs the account's triggers for one ticket write (see above). */
export async function runTriggersFor(deps: RuleMailDeps, ctx: RequestContext, e: ConversationEvent): Promise<void> {
  if (e.kind !== "ticket.created" && e.kind !== "ticket.changed") return;
  // A trigger's own write runs no trigger; an automation's does (as Zendesk's), and the triggers' write after it runs none.
  if (e.channel === "rule" && !(e.kind === "ticket.changed" && e.rule === "automation")) return;
  const triggers = await activeRules(TRIGGERS, ctx);
  if (triggers.length === 0) return;
  const t: RuleTicket | undefined = await ticketForRules(ctx, e.ticketNiceId);
  if (!t || t.row.status === "closed") return;
  const previous = e.kind === "ticket.changed" ? previousOf(e.previous) : undefined;
  const u: RuleUpdate = { create: e.kind === "ticket.created", channel: e.channel, by: e.by, previous, comment: e.text.comment, hasWord: wordsOf(e.text.comment?.body) };
  const w: RuleState = { ...t.state, tags: [...t.state.tags], custom: { ...t.state.custom } };
  const fired = new Set<number>();
  const sources: RuleSources = new Map();
  const mails: TriggerMail[] = [];
  for (let restart = true; restart; ) {
    restart = false;
    for (const x of triggers) {
      if (fired.has(x.id) || !matchesCompiled(x.compiled, w, u)) continue;
      fired.add(x.id);
      await applyActions(ctx, x.actions, w, u.by, { id: x.id, title: x.title }, sources, mails);
      restart = true;
      break;
    }
  }
  if (fired.size === 0) return;
  await writeRule(deps, ctx, t, w, sources, mails, u.by, "trigger");
}

/** The `conversation.written` listener. */
export function runTriggers(deps: RuleMailDeps) {
  return (ctx: RequestContext, e: ConversationEvent) => runTriggersFor(deps, ctx, e);
}

/** The properties before the update, with their public ids. */
function previousOf(p: Extract<ConversationEvent, { kind: "ticket.changed" }>["previous"]): RuleUpdate["previous"] {
  return {
    status: p.status,
    priority: p.priority,
    type: p.type,
    assignee: p.assignee_id && p.assignee_nice ? { id: p.assignee_id, niceId: p.assignee_nice } : null,
    group: p.group_id && p.group_nice ? { id: p.group_id, niceId: p.group_nice } : null,
  };
}
