import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import { deleteUndelivered, listUndelivered, queueMail, resendUndelivered, undeliveredExists, type UndeliveredMail } from "../../platform/jobs/mail-job.ts";
import { teamName } from "../admin/account-service.ts";
import { audit } from "../audit/audit-service.ts";
import { groupMemberIds } from "../groups/groups-service.ts";
import { contactsByIds, type Contact } from "../users/users-service.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";
import type { ConversationEvent } from "./conversation.ts";
import {
  builtInText,
  maskCardNumbers,
  NOTIFICATION_EVENTS,
  notificationLanguage,
  notificationMail,
  PLACEHOLDERS,
  TEMPLATE_LOCALES,
  unknownPlaceholders,
  type NotificationEvent,
  type TemplateLocale,
} from "./notifications-texts.ts";
import * as settingsRepo from "./notifications-repo.ts";
import * as repo from "./tickets-repo.ts";

/**
 * E-mail notifications, decided in the transaction of the conversation write that causes them
 * (the `conversation.written` hook) and queued as durable mail jobs in it: they go out only if
 * the write commits, are retried while the mail server refuses them, and a failure stays visible
 * in the job list. What is sent, to whom:
 *  - request_received: the requester of a new request they wrote themselves (help center, API);
 *  - public_reply: the requester, on a public comment from someone else (a ticket staff opened
 *    for them with a public comment included), unless the same write solved the ticket;
 *  - solved: the requester, when the ticket becomes solved (with the public comment written with
 *    it, if any);
 *  - end_user_update: the assignee, or with none the members of the ticket's group, on a new
 *    request or a public comment from someone not on the staff.
 * The acknowledgement of a request sent through the form without signing in carries neither its
 * subject nor its text: whoever filled the form may have typed someone else's address, and the
 * product must not relay their words to it.
 * Nobody is told about their own comment, internal notes are never sent, suspended or inactive
 * people and people without an address get nothing, and card numbers are masked. With
 * `content_free`, messages carry neither the subject nor the comment: only a link.
 */

export type NotificationSettings = settingsRepo.NotificationSettingsRow;
const DEFAULTS: NotificationSettings = { request_received: true, public_reply: true, solved: true, end_user_update: true, content_free: false };

export async function notificationSettings(ctx: RequestContext): Promise<NotificationSettings> {
  return (await settingsRepo.findSettings(ctx.tx)) ?? { ...DEFAULTS };
}

export async function showSettings(ctx: RequestContext): Promise<NotificationSettings> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden();
  return notificationSettings(ctx);
}

export async function updateSettings(ctx: RequestContext, input: Partial<NotificationSettings>): Promise<NotificationSettings> {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden();
  const next = { ...(await notificationSettings(ctx)), ...input };
  await settingsRepo.saveSettings(ctx.tx, next, ctx.now());
  audit(ctx, { action: "notification_settings.updated", resourceType: "account", resourceId: "notifications", fields: Object.keys(input) });
  return next;
}

type Deps = Pick<AppDeps, "mailer" | "config">;
const cref = refsOf("ticket_comments");
const tref = refsOf("tickets");

/** The `conversation.written` listener. */
export function notifyOnWrite(deps: Deps) {
  return async (ctx: RequestContext, e: ConversationEvent): Promise<void> => {
    if (!deps.mailer.available) return;
    const ticket = await repo.ticketQuery(ctx.tx).where("t.id", "=", e.ticketId).executeTakeFirst();
    if (!ticket) return;
    const comment = e.commentId ? await repo.findCommentById(ctx.tx, e.commentId) : undefined;
    const publicComment = comment?.public ? comment : undefined;
    const solvedNow = e.kind === "ticket.changed" && e.fields.includes("status") && ticket.status === "solved";
    if (!publicComment && !solvedNow) return;
    const settings = await notificationSettings(ctx);

    const people = await contactsByIds(ctx, [ticket.requester_id, ...(publicComment ? [publicComment.author_id] : []), ...(ticket.assignee_id ? [ticket.assignee_id] : [])]);
    const requester = people.get(ticket.requester_id);
    const author = publicComment ? people.get(publicComment.author_id) : undefined;
    const sends: Array<{ event: NotificationEvent; to: Contact[] }> = [];

    if (requester && requester.role === "end_user") {
      if (e.kind === "ticket.created" && publicComment && publicComment.author_id === ticket.requester_id) sends.push({ event: "request_received", to: [requester] });
      else if (solvedNow) sends.push({ event: "solved", to: [requester] });
      else if (publicComment && publicComment.author_id !== ticket.requester_id) sends.push({ event: "public_reply", to: [requester] });
    }
    if (publicComment && author && !isStaff(author.role)) {
      let staff: Contact[] = [];
      if (ticket.assignee_id) staff = [people.get(ticket.assignee_id)].filter((c): c is Contact => c !== undefined);
      else if (ticket.group_id) staff = [...(await contactsByIds(ctx, await groupMemberIds(ctx, ticket.group_id))).values()];
      sends.push({ event: "end_user_update", to: staff.filter((c) => isStaff(c.role)) });
    }
    if (sends.length === 0) return;

    const origin = ctx.apiBase ? new URL(ctx.apiBase).origin : "";
    const team = (await teamName(ctx)) ?? (origin ? new URL(origin).hostname : "Support");
    const title = maskCardNumbers(ctx.sealer.open(ticket.subject_sealed, tref(ticket.id, "subject")));
    const text = publicComment ? maskCardNumbers(ctx.sealer.open(publicComment.body_sealed, cref(publicComment.id, "body"))) : "";
    const customTexts = new Map<string, { subject: string; body: string } | undefined>();
    const customText = async (event: NotificationEvent, language: TemplateLocale) => {
      const key = `${event}:${language}`;
      if (!customTexts.has(key)) customTexts.set(key, await templateText(ctx, event, language));
      return customTexts.get(key);
    };
    for (const { event, to } of sends) {
      if (!settings[event]) continue;
      for (const person of to) {
        // Nobody is told of their own comment, but a new request is acknowledged to whoever wrote it.
        if (!person.reachable || !person.email || (event !== "request_received" && person.id === publicComment?.author_id)) continue;
        const staffSide = isStaff(person.role);
        const language = notificationLanguage(person.locale);
        // A request from the form nobody signed in to may name anyone's address: its acknowledgement
        // carries none of the sender's words (no relaying of a stranger's text to that address).
        const unproven = event === "request_received" && publicComment?.written_by === null;
        const mail = notificationMail(event, language, settings.content_free || unproven, {
          team,
          name: person.name,
          author: author?.name ?? team,
          "ticket.id": String(ticket.nice_id),
          "ticket.title": title,
          "ticket.url": origin ? `${origin}${staffSide ? "/agent/tickets/" : "/requests/"}${ticket.nice_id}` : "",
          comment: text,
        }, await customText(event, language));
        await queueMail(ctx, deps.config.mailRetryMs, { to: person.email, ...mail });
      }
    }
  };
}

// ---- Templates ----------------------------------------------------------------------------------

const nref = refsOf("notification_templates");

async function templateText(ctx: RequestContext, event: NotificationEvent, locale: TemplateLocale): Promise<{ subject: string; body: string } | undefined> {
  const row = await settingsRepo.findTemplate(ctx.tx, event, locale);
  return row ? { subject: ctx.sealer.open(row.subject_sealed, nref(row.id, "subject")), body: ctx.sealer.open(row.body_sealed, nref(row.id, "body")) } : undefined;
}

export type TemplateView = { event: NotificationEvent; locale: TemplateLocale; subject: string; body: string; customized: boolean; updated_at: string | null };

function requireAdmin(ctx: RequestContext): void {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden();
}

/** Every event in every language: the admin's text where there is one, else the built-in text. */
export async function listTemplates(ctx: RequestContext): Promise<{ templates: TemplateView[]; placeholders: readonly string[] }> {
  requireAdmin(ctx);
  const rows = new Map((await settingsRepo.listTemplates(ctx.tx)).map((r) => [`${r.event}:${r.locale}`, r]));
  const templates: TemplateView[] = [];
  for (const event of NOTIFICATION_EVENTS) {
    for (const locale of TEMPLATE_LOCALES) {
      const r = rows.get(`${event}:${locale}`);
      templates.push(
        r
          ? { event, locale, subject: ctx.sealer.open(r.subject_sealed, nref(r.id, "subject")), body: ctx.sealer.open(r.body_sealed, nref(r.id, "body")), customized: true, updated_at: r.updated_at.toISOString() }
          : { event, locale, ...builtInText(event, locale), customized: false, updated_at: null },
      );
    }
  }
  return { templates, placeholders: PLACEHOLDERS };
}

export async function saveTemplate(ctx: RequestContext, event: NotificationEvent, locale: TemplateLocale, input: { subject: string; body: string }): Promise<TemplateView> {
  requireAdmin(ctx);
  for (const [field, value] of [["subject", input.subject], ["body", input.body]] as const) {
    const unknown = unknownPlaceholders(value);
    if (unknown.length > 0) {
      throw invalid(`notification_template.${field}`, `${field === "subject" ? "Subject" : "Body"}: unknown placeholder ${unknown.map((u) => `{{${u}}}`).join(", ")}; use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}`);
    }
  }
  const existing = await settingsRepo.findTemplate(ctx.tx, event, locale);
  const id = existing?.id ?? crypto.randomUUID();
  await settingsRepo.saveTemplate(ctx.tx, { id, event, locale, subject_sealed: ctx.sealer.seal(input.subject, nref(id, "subject")), body_sealed: ctx.sealer.seal(input.body, nref(id, "body")) }, ctx.now());
  audit(ctx, { action: "notification_template.updated", resourceType: "account", resourceId: `${event}.${locale}`, fields: ["subject", "body"] });
  return { event, locale, ...input, customized: true, updated_at: ctx.now().toISOString() };
}

/** Back to the built-in text. */
export async function resetTemplate(ctx: RequestContext, event: NotificationEvent, locale: TemplateLocale): Promise<void> {
  requireAdmin(ctx);
  if (await settingsRepo.deleteTemplate(ctx.tx, event, locale)) {
    audit(ctx, { action: "notification_template.reset", resourceType: "account", resourceId: `${event}.${locale}`, fields: ["subject", "body"] });
  }
}

// ---- Undelivered mail ---------------------------------------------------------------------------

export async function undelivered(ctx: RequestContext): Promise<UndeliveredMail[]> {
  requireAdmin(ctx);
  return listUndelivered(ctx, 200);
}

export async function resend(deps: Pick<AppDeps, "config" | "mailer">, ctx: RequestContext, id: string): Promise<void> {
  requireAdmin(ctx);
  if (!(await undeliveredExists(ctx, id))) throw notFound();
  if (!deps.mailer.available) throw new AppError("Conflict", { description: "No mail server is configured (VAULTDESK_SMTP_URL)." });
  if (!(await resendUndelivered(ctx, deps.config.mailRetryMs, id))) throw notFound();
  audit(ctx, { action: "undelivered_mail.resent", resourceType: "mail", resourceId: id });
}

export async function discard(ctx: RequestContext, id: string): Promise<void> {
  requireAdmin(ctx);
  if (!(await deleteUndelivered(ctx, id))) throw notFound();
  audit(ctx, { action: "undelivered_mail.deleted", resourceType: "mail", resourceId: id });
}
