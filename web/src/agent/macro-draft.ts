import type { Ticket } from "../api-schema.ts";
import type { Draft } from "./draft-types.ts";

/**
 * What applying a macro does to the ticket page's pending update, without the browser: kept apart
 * from the page (and from the calls in macros.ts) so that it is tested on its own.
 */

/** One action of a macro (MacroAction in macros.ts). */
type Action = { field: string; value: string | number };
/** The server's answer to applying a macro to a ticket (MacroApplied in macros.ts). */
type AppliedMacro = { ticket: Ticket; comment?: { body: string; public: boolean }; changed_fields: readonly string[] };
/** The tags part of the page's draft. */
type TagDraft = Pick<Draft, "addTags" | "removeTags">;
/** The page's draft (ticket-draft.ts), which a macro changes. */
export type MacroDraft = Draft;

/** Tags typed as "vip, billing refund" → ["vip", "billing", "refund"] (as the page reads them). */
const typedTags = (text: string) => text.split(/[\s,]+/).filter(Boolean);

/** Whether every word typed is found in the title, ignoring case. */
export function macroMatches(text: string, title: string): boolean {
  const typed = text.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  const lower = title.toLocaleLowerCase();
  return typed.every((w) => lower.includes(w));
}

/** The value of one action of a macro, as text, if it has it. */
export function actionValue(actions: readonly Action[], field: string): string | undefined {
  const a = actions.find((x) => x.field === field);
  return a === undefined ? undefined : String(a.value);
}

const words = (s: string | undefined) => (s ?? "").split(/\s+/).filter(Boolean);

/**
 * The tags a macro's tag actions make of `current`: `set_tags` replaces them all, then
 * `current_tags` are added and `remove_tags` removed (as Zendesk applies them).
 */
export function macroTags(actions: readonly Action[], current: readonly string[]): string[] {
  const set = actionValue(actions, "set_tags");
  let tags = set === undefined ? [...current] : words(set.toLowerCase());
  for (const tag of words(actionValue(actions, "current_tags")?.toLowerCase())) if (!tags.includes(tag)) tags.push(tag);
  const remove = new Set(words(actionValue(actions, "remove_tags")?.toLowerCase()));
  tags = tags.filter((tag) => !remove.has(tag));
  return [...new Set(tags)];
}


/** The tags the form shows now: the ticket's, less those marked for removal, with those typed to add. */
export function formTags(draft: TagDraft, ticket: Pick<Ticket, "tags">): string[] {
  const kept = ticket.tags.filter((tag) => !draft.removeTags.includes(tag));
  return [...new Set([...kept, ...typedTags(draft.addTags)])];
}

/**
 * The draft with a macro applied, as the server rendered it for this ticket (`applied`): each of
 * its `changed_fields` takes the new value; the macro's tag actions (`actions`) apply to the tags
 * the form shows now; the rendered comment is added to the reply (after a blank line) and the
 * reply's kind follows it. Nothing is saved.
 */
export function withMacro<D extends MacroDraft>(draft: D, ticket: Ticket, applied: AppliedMacro, actions: readonly Action[] | undefined): D {
  const next: D = { ...draft, custom: { ...draft.custom }, removeTags: [...draft.removeTags] };
  const to = applied.ticket;
  for (const field of applied.changed_fields) {
    if (field === "status") next.status = to.status;
    else if (field === "priority") next.priority = to.priority;
    else if (field === "type") next.type = to.type;
    else if (field === "assignee_id") next.assignee = to.assignee_id;
    else if (field === "group_id") next.group = to.group_id;
    else if (field === "subject") next.subject = to.subject;
    else if (field === "custom_fields") {
      // Only the fields the macro sets (the others keep what the agent chose).
      const set = new Set((actions ?? []).flatMap((a) => (/^custom_fields_(\d+)$/.exec(a.field) ? [Number(a.field.slice(14))] : [])));
      for (const c of to.custom_fields) if (actions === undefined || set.has(c.id)) next.custom[c.id] = c.value;
    } else if (field === "tags") {
      const tags = actions?.some((a) => a.field === "set_tags" || a.field === "current_tags" || a.field === "remove_tags") ? macroTags(actions, formTags(draft, ticket)) : to.tags;
      next.removeTags = ticket.tags.filter((tag) => !tags.includes(tag));
      next.addTags = tags.filter((tag) => !ticket.tags.includes(tag)).join(" ");
    }
  }
  if (applied.comment) {
    const before = draft.body.replace(/\s+$/, "");
    next.body = before ? `${before}\n\n${applied.comment.body}` : applied.comment.body;
    next.isPublic = applied.comment.public;
  }
  return next;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * "Undo macro": the draft `now` with what the macro did taken back, and what the agent changed
 * since kept. `before` and `after` are the drafts either side of the macro. A property still as
 * the macro left it goes back to `before`; one changed since keeps its new value. The reply loses
 * the macro's text when the agent only typed after it (the rest stays) or did not touch it; a
 * reply edited inside the macro's text is left as it is.
 */
export function withoutMacro<D extends MacroDraft>(now: D, before: D, after: D): D {
  const next: D = { ...now, custom: { ...now.custom } };
  for (const key of ["isPublic", "status", "subject", "priority", "type", "assignee", "group", "addTags", "removeTags"] as const) {
    if (same(now[key], after[key])) Object.assign(next, { [key]: before[key] });
  }
  for (const id of new Set([...Object.keys(before.custom), ...Object.keys(after.custom)].map(Number))) {
    if (!same(now.custom[id], after.custom[id])) continue;
    if (id in before.custom) next.custom[id] = before.custom[id]!;
    else delete next.custom[id];
  }
  if (now.body.startsWith(after.body)) next.body = before.body + now.body.slice(after.body.length);
  return next;
}
