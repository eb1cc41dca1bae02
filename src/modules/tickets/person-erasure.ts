import type { RequestContext } from "../../platform/context.ts";
import { eraseComment, purgeTickets } from "./conversation.ts";
import * as repo from "./tickets-repo.ts";

/**
 * What erasing a person does to tickets (GDPR art. 17), for the privacy module:
 *  - tickets where they are the only party (they requested it; no other end user submitted it, is
 *    copied on it or wrote in it) are deleted for good, as the trash's purge does;
 *  - an end user's comments in tickets shared with others are erased (their text and files);
 *  - staff's replies and notes stay, attributed to the tombstone that replaces the person.
 * Returns what it did, and the attachment ids whose files the caller deletes after the commit.
 */
export async function eraseTicketsOf(ctx: RequestContext, person: { id: string; endUser: boolean }): Promise<{ tickets: number; comments: number; commentIds: string[]; attachmentIds: string[]; sharedTickets: number }> {
  const solo = await repo.soloTickets(ctx.tx, person.id);
  const files = (await purgeTickets(ctx, solo)).attachmentIds;
  const elsewhere = person.endUser ? await repo.commentsElsewhere(ctx.tx, person.id, solo.map((t) => t.id)) : [];
  for (const c of elsewhere) files.push(...((await eraseComment(ctx, { id: c.ticket_id, nice_id: c.ticket_nice }, c.comment_nice))?.attachmentIds ?? []));
  const shared = await repo.requestedBy(ctx.tx, person.id);
  return { tickets: solo.length, comments: elsewhere.length, commentIds: elsewhere.map((c) => c.comment_id), attachmentIds: files, sharedTickets: shared };
}

/** Preview: the tickets an erasure would delete, and the comments it would erase. */
export async function ticketsErasurePreview(ctx: RequestContext, person: { id: string; endUser: boolean }): Promise<{ tickets: number[]; comments: number; ticketIds: string[] }> {
  const solo = await repo.soloTickets(ctx.tx, person.id);
  const elsewhere = person.endUser ? await repo.commentsElsewhere(ctx.tx, person.id, solo.map((t) => t.id)) : [];
  return { tickets: solo.map((t) => t.nice_id), comments: elsewhere.length, ticketIds: solo.map((t) => t.id) };
}
