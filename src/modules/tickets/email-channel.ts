import { userActor, type RequestContext } from "../../platform/context.ts";
import { customRoleOf } from "../../platform/roles.ts";
import type { TicketStatus } from "../../platform/db/schema.ts";
import { forbidden, notFound } from "../../platform/errors.ts";
import { changeTicket, openTicket, type Person } from "./conversation.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import * as repo from "./tickets-repo.ts";
import type { AuditEvent } from "./tickets-types.ts";
import { commentBodies } from "./tickets-fns.ts";

/**
 * The e-mail channel's way into the conversation writer (the mail module calls these; it never
 * touches ticket tables). A sender is unproven unless the mail module vouches for a staff sender
 * (DMARC passed for a staff address): an unproven sender writes under an end user's rules, and
 * the comment records no writer.
 */

export type MailPerson = Person & { organizationId?: string | null | undefined };

/** A ticket as the mail module needs it: who is on it, and where it stands. */
export type MailTicket = { id: string; niceId: number; status: TicketStatus; requesterId: string; assigneeId: string | null; ccUserIds: string[] };

export async function ticketForMail(ctx: RequestContext, niceId: number): Promise<MailTicket | undefined> {
  const t = await repo.findTicket(ctx.tx, niceId, { kind: "all" });
  if (!t) return undefined;
  return { id: t.id, niceId: t.nice_id, status: t.status, requesterId: t.requester_id, assigneeId: t.assignee_id, ccUserIds: await repo.listCcs(ctx.tx, t.id) };
}

/** Opens a ticket from a new message: the sender is its requester and writes its first (public) comment. */
export async function openTicketFromMail(
  ctx: RequestContext,
  m: { requester: MailPerson; subject: string; body: string; html: string; ccUserIds: readonly string[]; tags?: string[]; uploads?: readonly string[] | undefined },
): Promise<{ ticketId: string; ticketNiceId: number; commentId: string }> {
  const opened = await openTicket(
    ctx,
    {
      subject: m.subject,
      status: "new",
      priority: null,
      type: null,
      requester: m.requester,
      submitter: m.requester,
      assigneeId: null,
      groupId: null,
      organizationId: m.requester.organizationId === undefined ? "requester's" : m.requester.organizationId,
      tags: m.tags ?? [],
      customFields: {},
      externalId: null,
      dueAt: null,
      comment: { author: m.requester, public: true, body: m.body, html: m.html, uploads: m.uploads },
      action: "ticket.created",
      fields: ["subject", "comment", ...(m.ccUserIds.length ? ["collaborators"] : [])],
    },
    "email",
    m.requester,
  );
  await repo.addCcs(ctx.tx, opened.row.id, m.ccUserIds.filter((id) => id !== m.requester.id));
  return { ticketId: opened.row.id, ticketNiceId: opened.row.nice_id, commentId: opened.comment.id };
}

/**
 * Adds a reply from mail to a ticket. `asStaff`: the mail module vouches that this staff member
 * sent it (their address, and the message passed DMARC): it is written as them, publicly. Any
 * other sender writes as an unproven end user (public, in their own name). A reply from the
 * requester to a pending or solved ticket reopens it, as in Zendesk; a closed ticket takes no
 * reply (the caller opens a follow-up). New CCs join the ticket.
 */
export async function replyFromMail(
  ctx: RequestContext,
  niceId: number,
  m: { author: MailPerson; asStaff: boolean; body: string; html: string; ccUserIds: readonly string[]; uploads?: readonly string[] | undefined },
): Promise<{ commentId: string } | "closed"> {
  // A staff member writes by mail only to a ticket they could open in the workspace.
  const staff = m.asStaff ? userActor({ ...m.author, customRole: customRoleOf(await repo.customRoleOfUser(ctx.tx, m.author.id)) }, "session") : undefined;
  if (staff && !ticketPolicy.useWorkspace(staff)) throw forbidden();
  const t = await repo.findTicketForUpdate(ctx.tx, niceId, staff ? ticketPolicy.scope(staff) : { kind: "all" });
  if (!t) throw notFound();
  if (t.status === "closed") return "closed";
  const reopen = !m.asStaff && (t.status === "pending" || t.status === "solved");
  const events: AuditEvent[] = reopen ? [{ id: 0, type: "Change", field_name: "status", value: "open", previous_value: t.status }] : [];
  const writeCtx = staff ? { ...ctx, actor: staff } : ctx;
  const r = await changeTicket(
    writeCtx,
    t,
    {
      patch: reopen ? { status: "open" } : {},
      events,
      comment: { author: m.author, public: true, body: m.body, html: m.html, uploads: m.uploads },
      action: "ticket.updated",
      fields: [...(reopen ? ["status"] : []), ...(m.ccUserIds.length ? ["collaborators"] : [])],
    },
    "email",
    m.asStaff ? undefined : m.author,
  );
  await repo.addCcs(ctx.tx, t.id, m.ccUserIds.filter((id) => id !== t.requester_id));
  return { commentId: r.commentId! };
}

/** Copies people on a ticket (a recovered suspended reply's sender). */
export async function addTicketCcs(ctx: RequestContext, ticketId: string, userIds: readonly string[]): Promise<void> {
  await repo.addCcs(ctx.tx, ticketId, userIds);
}

/**
 * The comment whose original message staff may download: the ticket must be one the actor sees
 * and the actor staff. Returns the comment's internal id, or 404.
 */
export async function commentForOriginal(ctx: RequestContext, ticketNiceId: number, commentNiceId: number): Promise<{ ticketId: string; commentId: string }> {
  if (ctx.actor.kind !== "user" || !ticketPolicy.useWorkspace(ctx.actor)) throw forbidden("Only staff may read original messages.");
  const t = await repo.findTicket(ctx.tx, ticketNiceId, ticketPolicy.scope(ctx.actor));
  if (!t) throw notFound();
  const commentId = await repo.findCommentId(ctx.tx, t.id, commentNiceId);
  if (!commentId) throw notFound();
  return { ticketId: t.id, commentId };
}

/**
 * A mail's comment bodies: its text, and its HTML (already stripped of images by the mail module)
 * through the comment writer's own sanitizer. Without text, the text is taken from the HTML.
 */
export function commentBodiesFor(text: string, html: string | undefined): { body: string; html: string } {
  if (html !== undefined && html.trim() !== "") return commentBodies({ ...(text.trim() ? { body: text } : {}), html_body: html });
  return commentBodies({ body: text });
}
