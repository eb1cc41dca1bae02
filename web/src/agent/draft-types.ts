import type { CustomFieldValue, Priority, Status, TicketType } from "../api-schema.ts";

/**
 * What an agent has changed on the ticket page and not saved yet: the reply or note, and each
 * property they touched. Properties are kept as changes over the ticket as the server last sent
 * it, so a reload (after a save, or someone else's change) never throws them away, and one
 * "Update ticket" sends all of them in one request.
 */
export type Draft = {
  body: string;
  isPublic: boolean;
  status?: Status;
  /** A new subject (a macro sets it; the page has no box for it). */
  subject?: string;
  priority?: Priority | null;
  type?: TicketType | null;
  assignee?: number | null;
  group?: number | null;
  custom: Record<number, CustomFieldValue>;
  /** Tags to add, as typed ("vip, billing"). */
  addTags: string;
  removeTags: string[];
};
