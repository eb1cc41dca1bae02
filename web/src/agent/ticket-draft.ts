import type { CustomFieldValue, Priority, Status, Ticket, TicketChange, TicketField, TicketType } from "../api-schema.ts";
import type { Draft } from "./draft-types.ts";
import { parseTags } from "./model.ts";

export type { Draft };

export const emptyDraft = (isPublic: boolean): Draft => ({ body: "", isPublic, custom: {}, addTags: "", removeTags: [] });

const customValue = (ticket: Ticket, id: number): CustomFieldValue => ticket.custom_fields.find((c) => c.id === id)?.value ?? null;

/** The property values the page shows: the draft's where the agent changed one, else the ticket's. */
export function shown(draft: Draft, ticket: Ticket) {
  return {
    status: draft.status ?? ticket.status,
    priority: draft.priority === undefined ? ticket.priority : draft.priority,
    type: draft.type === undefined ? ticket.type : draft.type,
    assignee: draft.assignee === undefined ? ticket.assignee_id : draft.assignee,
    group: draft.group === undefined ? ticket.group_id : draft.group,
    custom: (id: number) => (id in draft.custom ? (draft.custom[id] ?? null) : customValue(ticket, id)),
  };
}

/**
 * The update the draft makes to `ticket`: only what differs from it (a choice changed and changed
 * back is no change). `solve` also sets the status to solved. `comment` is left out when
 * `withComment` is false (the agent may not write, or only the properties are saved).
 */
export function changeOf(draft: Draft, ticket: Ticket, fields: readonly TicketField[], opts: { solve?: boolean; canEditProperties: boolean; canReplyPublicly: boolean }): NonNullable<TicketChange> {
  const change: NonNullable<TicketChange> = {};
  if (draft.body.trim()) change.comment = { body: draft.body, public: draft.isPublic && opts.canReplyPublicly };
  if (!opts.canEditProperties) return change;
  const now = shown(draft, ticket);
  const status = opts.solve ? "solved" : now.status;
  if (status !== ticket.status) change.status = status;
  if (draft.subject !== undefined && draft.subject !== ticket.subject) change.subject = draft.subject;
  if (now.priority !== ticket.priority) change.priority = now.priority;
  if (now.type !== ticket.type) change.type = now.type;
  if (now.assignee !== ticket.assignee_id) change.assignee_id = now.assignee;
  if (now.group !== ticket.group_id) change.group_id = now.group;
  const custom = fields.filter((f) => f.id in draft.custom && now.custom(f.id) !== customValue(ticket, f.id)).map((f) => ({ id: f.id, value: now.custom(f.id) }));
  if (custom.length) change.custom_fields = custom;
  const add = parseTags(draft.addTags).filter((tag) => !ticket.tags.includes(tag));
  if (add.length) change.additional_tags = add;
  const remove = draft.removeTags.filter((tag) => ticket.tags.includes(tag));
  if (remove.length) change.remove_tags = remove;
  return change;
}

/** The names of the properties the draft changes, for the "unsaved changes" line. */
export function changedProperties(change: NonNullable<TicketChange>): Array<keyof NonNullable<TicketChange>> {
  return (Object.keys(change) as Array<keyof NonNullable<TicketChange>>).filter((k) => k !== "comment");
}

