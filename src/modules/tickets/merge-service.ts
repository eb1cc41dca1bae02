import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import { changeTicket, channelOf, type CommentDraft, type Person } from "./conversation.ts";
import { commentBodies } from "./tickets-fns.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import * as repo from "./tickets-repo.ts";
import { presentTicket } from "./tickets-service.ts";
import type { AuditEvent, TicketMergeInput, TicketView } from "./tickets-types.ts";

/**
 * Zendesk's Merge Tickets: up to MERGE_MAX_SOURCES source tickets are closed into a target. Each
 * source gets a comment saying where it went and is closed; the target gets one comment naming the
 * sources (with each one's latest comment quoted), and, when that comment is public, the sources'
 * requesters and CCs become CCs of the target. A private ticket keeps every merge comment private. Everything is written through the conversation writer (changeTicket), in the
 * request's one transaction: a refusal anywhere writes nothing.
 *
 * Unlike Zendesk, which queues the merge and answers a job status, this runs while the request
 * waits and answers the target: a merge touches at most six tickets, and doing it at once lets
 * every refusal (404, 403, 422) reach the caller as an HTTP status with nothing written.
 */

export const MERGE_MAX_SOURCES = 5;

const tref = refsOf("tickets");
const cref = refsOf("ticket_comments");

/** How many characters of a source's latest comment the target's default comment quotes. */
const QUOTE_MAX_CHARS = 2_000;

const quote = (text: string) => {
  const cut = text.length > QUOTE_MAX_CHARS ? `${text.slice(0, QUOTE_MAX_CHARS)}…` : text;
  return cut
    .trim()
    .split("\n")
    .map((l) => `> ${l}`)
    .join("\n");
};

export async function mergeTickets(ctx: RequestContext, targetNiceId: number, input: TicketMergeInput): Promise<{ ticket: TicketView }> {
  const actor = actorUser(ctx);
  if (!ticketPolicy.useWorkspace(actor)) throw forbidden("End users reach their tickets through the requests API.");
  // The request's shape first: nothing is looked up for a request that cannot succeed.
  const ids = input.ids;
  if (ids.length > MERGE_MAX_SOURCES) throw invalid("ids", `ids: at most ${MERGE_MAX_SOURCES} tickets can be merged at once (${ids.length} given)`, "TooMany");
  if (new Set(ids).size !== ids.length) throw invalid("ids", "ids: a ticket is named more than once", "Duplicate");
  if (ids.includes(targetNiceId)) throw invalid("ids", `ids: ticket #${targetNiceId} cannot be merged into itself`, "InvalidValue");

  // Row locks in one order (ascending public id), whichever side each ticket is on: two merges
  // of overlapping tickets wait for each other instead of deadlocking.
  const scope = ticketPolicy.scope(actor);
  const rows = new Map<number, repo.TicketRow>();
  for (const id of [targetNiceId, ...ids].sort((x, y) => x - y)) {
    const t = await repo.findTicketForUpdate(ctx.tx, id, scope);
    if (!t) {
      // A deleted ticket is named as such to those who see every ticket (the trash is theirs too);
      // to anyone else it is missing, like another tenant's.
      if (scope.kind === "all" && (await repo.findTicketIdAnyState(ctx.tx, id))) throw invalid(id === targetNiceId ? "id" : "ids", `Ticket #${id} is deleted and cannot be merged`, "Deleted");
      throw notFound();
    }
    rows.set(id, t);
  }
  // Closing the sources is a property change; copying people on the target chooses who its mail reaches.
  if (!ticketPolicy.editProperties(actor)) throw forbidden(ticketPolicy.editRefusal(actor));
  const target = rows.get(targetNiceId)!;
  const sources = ids.map((id) => rows.get(id)!);
  for (const t of [target, ...sources]) {
    if (t.status === "closed") throw invalid(t === target ? "id" : "ids", `Ticket #${t.nice_id} is closed and cannot be merged`, "Closed");
  }

  // Public comments only when the caller asks or, by default, when every requester is the
  // target's own (Zendesk's default: nobody learns of another person's request).
  if ((input.target_comment_is_public || input.source_comment_is_public) && !ticketPolicy.replyPublicly(actor)) throw forbidden(ticketPolicy.publicReplyRefusal(actor));
  // A private ticket (no public comment yet: its requester does not see it) keeps every merge
  // comment private, as in Zendesk: a public one would open it, or quote it, to a requester.
  const anyPrivate = [target, ...sources].some((t) => !t.is_public);
  if (anyPrivate && (input.target_comment_is_public || input.source_comment_is_public)) {
    throw invalid(input.target_comment_is_public ? "target_comment_is_public" : "source_comment_is_public", "A private ticket takes part in this merge: its comments stay private", "InvalidValue");
  }
  const sameRequester = (s: repo.TicketRow) => s.requester_id === target.requester_id;
  const targetPublic = !anyPrivate && (input.target_comment_is_public ?? (sources.every(sameRequester) && ticketPolicy.replyPublicly(actor)));
  const sourcePublic = (s: repo.TicketRow) => !anyPrivate && (input.source_comment_is_public ?? (sameRequester(s) && ticketPolicy.replyPublicly(actor)));

  const s = ctx.sealer;
  const subjectOf = (t: repo.TicketRow) => s.open(t.subject_sealed, tref(t.id, "subject"));
  const me: Person = { id: actor.userId, niceId: actor.niceId, role: actor.role };
  const draft = (text: string, pub: boolean): CommentDraft => ({ author: me, public: pub, ...commentBodies({ body: text }) });

  // The target's CCs afterwards: its own, and, only when its merge comment is public (Zendesk's
  // "requester can see this comment"), each source's requester and CCs, never its requester. A
  // CC reads the target's whole public conversation in the help center: with a private comment,
  // nobody is let into another person's request.
  const current = await repo.listCcs(ctx.tx, target.id);
  const added: string[] = [];
  const addedNice: number[] = [];
  for (const src of targetPublic ? sources : []) {
    for (const id of [src.requester_id, ...(await repo.listCcs(ctx.tx, src.id))]) {
      if (id !== target.requester_id && !current.includes(id) && !added.includes(id)) added.push(id);
    }
    // Public ids for the audit event (the row's CC list leaves out people whose processing is restricted).
    for (const n of [src.requester_nice, ...(src.cc_nice_ids ?? []).map(Number)]) if (n !== target.requester_nice && !addedNice.includes(n)) addedNice.push(n);
  }
  if (added.length > 0) {
    const d = ticketPolicy.chooseRecipients(actor);
    if (!d.ok) throw forbidden(d.reason);
  }

  // The target's comment, from the sources as they are before the merge writes to them (a public
  // one quotes only public comments: a source's internal notes never reach a requester).
  let text = input.target_comment?.trim() ? input.target_comment : undefined;
  if (text === undefined) {
    const parts: string[] = [];
    for (const src of sources) {
      const last = (await repo.allComments(ctx.tx, src.id)).filter((c) => c.public || !targetPublic).at(-1);
      const lead = `Request #${src.nice_id} "${subjectOf(src)}" was closed and merged into this request.`;
      parts.push(last ? `${lead}\n\n${quote(s.open(last.body_sealed, cref(last.id, "body")))}` : lead);
    }
    text = parts.join("\n\n");
  }

  // Each source: its comment, and closed (solved now unless it was already: retention counts from then).
  for (const src of sources) {
    const note = input.source_comment?.trim() ? input.source_comment : `This request was closed and merged into request #${target.nice_id}: ${subjectOf(target)}.`;
    const events: AuditEvent[] = [{ id: 0, type: "Change", field_name: "status", value: "closed", previous_value: src.status }];
    await changeTicket(ctx, src, { patch: { status: "closed", ...(src.status === "solved" ? {} : { solved_at: ctx.now() }) }, events, comment: draft(note, sourcePublic(src)), action: "ticket.merged", fields: ["status"] }, channelOf(ctx));
  }

  // The target: the new CCs first (a CC added with a public comment hears of it), then its comment.
  const before = (target.cc_nice_ids ?? []).map(Number);
  const after = [...new Set([...before, ...addedNice])].sort((x, y) => x - y);
  await repo.addCcs(ctx.tx, target.id, added);
  const events: AuditEvent[] = after.length !== before.length ? [{ id: 0, type: "Change", field_name: "collaborator_ids", value: after, previous_value: before }] : [];
  const r = await changeTicket(ctx, target, { patch: {}, events, comment: draft(text, targetPublic), action: "ticket.merged", fields: events.length ? ["collaborator_ids"] : [] }, channelOf(ctx));
  return { ticket: await presentTicket(ctx, r.row) };
}

