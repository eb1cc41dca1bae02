import type { RequestContext } from "../../platform/context.ts";
import { groupMemberIds, resolveGroup } from "../groups/groups-service.ts";
import { idOf } from "../macros/macros-service.ts";
import { renderTemplate } from "../macros/macros-render.ts";
import type { Writer } from "../tickets/conversation.ts";
import { queueRuleMail, type RuleMailDeps } from "../tickets/notifications-service.ts";
import { isStaff } from "../users/users-policy.ts";
import { resolveUser } from "../users/users-service.ts";
import { existing } from "./rules-conditions.ts";

/** A notification a fired rule (trigger or automation) asks for: `target` a recipient (user) or a group's public id. */
export type TriggerMail = { kind: "user" | "group"; target: string; subject: string; body: string; trigger: { id: number; title: string } };


/**
 * Resolves a rule's recipients now (the ticket as the rules left it) and hands the mail to the
 * notifications module, which decides who may be written to and queues it (queueRuleMail).
 * A recipient gone since (a deleted group, someone no longer staff) is skipped; `current_user` is
 * whoever made the update when signed in, staff or the requester (nobody for the system, whose
 * update is no stranger's: its mail is not the unproven one).
 */
export async function queueTriggerMail(deps: RuleMailDeps, ctx: RequestContext, ticket: { requesterId: string; assigneeId: string | null; id: string }, by: Writer, m: TriggerMail): Promise<number> {
  let userIds: string[] = [];
  if (m.kind === "group") {
    const g = idOf(m.target) ? await existing(resolveGroup(ctx, idOf(m.target)!)) : undefined;
    if (g) userIds = await groupMemberIds(ctx, g.id);
  } else if (m.target === "requester_id") userIds = [ticket.requesterId];
  else if (m.target === "assignee_id") userIds = ticket.assigneeId ? [ticket.assigneeId] : [];
  else if (m.target === "current_user") userIds = by.proven ? [by.id] : [];
  else {
    const u = idOf(m.target) ? await existing(resolveUser(ctx, idOf(m.target)!)) : undefined;
    if (u && isStaff(u.role)) userIds = [u.id];
  }
  return queueRuleMail(deps, ctx, { ticketId: ticket.id, userIds, subject: m.subject, body: m.body, render: renderTemplate, unproven: !by.proven && !by.system });
}
