import crypto from "node:crypto";
import { actorUser, userActor, type RequestContext } from "../../platform/context.ts";
import { maskSensitive, type Detectors } from "../../platform/redaction.ts";
import { detectorsFor } from "../privacy/redaction-service.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { TenantTx } from "../../platform/db/database.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import {
  deleteUndelivered,
  dropMailAbout,
  dropUndelivered,
  findUndelivered,
  holdMailAbout,
  listUndelivered,
  queueMail,
  releaseHeldMail,
  resendUndelivered,
  reviseMailAbout,
  type OutgoingMail,
  type UndeliveredMail,
} from "../../platform/jobs/mail-job.ts";
import { teamName } from "../admin/account-service.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import { audit } from "../audit/audit-service.ts";
import { groupMemberIds } from "../groups/groups-service.ts";
import { isBlocked } from "../mail/mail-fns.ts";
import { blocklistOf } from "../mail/mail-settings-service.ts";
import { contactsByIds, type Contact } from "../users/users-service.ts";
import { renderBudget, renderTemplate } from "../macros/macros-render.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";
import type { ConversationEvent } from "./conversation.ts";
import {
  builtInText,
  NOTIFICATION_EVENTS,
  notificationLanguage,
  notificationMail,
  PLACEHOLDERS,
  TEMPLATE_LOCALES,
  placeholderProblem,
  ratingInvite,
  type NotificationEvent,
  type TemplateLocale,
} from "./notifications-texts.ts";
import * as settingsRepo from "./notifications-repo.ts";
import * as repo from "./tickets-repo.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import { ratingsEnabled } from "./satisfaction-service.ts";
import { TRASH_DAYS } from "./trash-service.ts";
import { settingsChanged } from "../../platform/settings-changes.ts";

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
 *    request or a public comment from someone not on the staff;
 *  - cc_update: each person copied on the ticket (its CCs, `ticket_ccs`) at the time of the write,
 *    on a public comment, on a ticket its requester can see (Zendesk's CC notification). Each CC
 *    gets a mail of their own (nobody sees the other CCs' addresses), threaded like the
 *    requester's; a CC already told in the same write (the requester, the assignee) gets no
 *    second mail, and an address on the tenant's blocklist gets none. A CC is an outsider to the
 *    conversation as much as the requester: they get the same public content, masked the same way.
 * The acknowledgement of a request sent through the form without signing in carries neither its
 * subject nor its text: whoever filled the form may have typed someone else's address, and the
 * product must not relay their words to it.
 * Nobody is told about their own comment, internal notes are never sent, suspended or inactive
 * people and people without an address get nothing, a person whose processing is restricted gets
 * nothing and the withholding is audited (`notification.withheld`), and card numbers (and what
 * the tenant's redaction detectors find) are masked. With
 * `content_free`, messages carry neither the subject nor the comment: only a link.
 */

export type NotificationSettings = settingsRepo.NotificationSettingsRow;
const DEFAULTS: NotificationSettings = { request_received: true, public_reply: true, solved: true, end_user_update: true, cc_update: true, content_free: false };

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
  await settingsChanged(ctx, "notifications");
  return next;
}

type Deps = Pick<AppDeps, "mailer" | "config" | "rateLimiter" | "keyring">;
/** What a business rule's mail needs: the mailer, and the rate limiter and keyring of the unproven mail's per-address budget. */
export type RuleMailDeps = Deps;
const cref = refsOf("ticket_comments");
const tref = refsOf("tickets");

/**
 * Before a notification is queued, the e-mail channel gives it its sender and threading (the
 * tenant's support address as From, the ticket's signed reply address as Reply-To, Message-IDs
 * that thread): a listener fills `message` in; without one, the installation's address is used.
 */
export type NotificationAddressing = { ticketNiceId: number; commentNiceId: number | null; message: OutgoingMail };

declare module "../../platform/hooks.ts" {
  interface HookEvents {
    "notification.addressing": NotificationAddressing;
  }
}

/** What one notification is about: enough to write it again from the data as it is now. */
export type NotificationRef = { event: NotificationEvent; ticketId: string; commentId: string | null; userId: string; authorId: string | null };

/** Acknowledgements of requests sent without signing in, per recipient address (as sign-in links). */
const UNPROVEN_ACKS_PER_ADDRESS: [number, number] = [20, 3600];

/** The `conversation.written` listener: who is told what, then one message each. */
export function notifyOnWrite(deps: Deps) {
  return async (ctx: RequestContext, e: ConversationEvent): Promise<void> => {
    if (!deps.mailer.available || (e.kind !== "ticket.created" && e.kind !== "ticket.changed")) return;
    const ticket = await repo.ticketQuery(ctx.tx).where("t.id", "=", e.ticketId).executeTakeFirst();
    if (!ticket) return;
    const comment = e.commentId ? await repo.findCommentById(ctx.tx, e.commentId) : undefined;
    const publicComment = comment?.public ? comment : undefined;
    const solvedNow = e.kind === "ticket.changed" && e.fields.includes("status") && ticket.status === "solved";
    if (!publicComment && !solvedNow) return;

    const people = await contactsByIds(ctx, [ticket.requester_id, ...(publicComment ? [publicComment.author_id] : []), ...(ticket.assignee_id ? [ticket.assignee_id] : [])]);
    const requester = people.get(ticket.requester_id);
    const author = publicComment ? people.get(publicComment.author_id) : undefined;
    const refs: NotificationRef[] = [];
    const about = (event: NotificationEvent, userId: string): NotificationRef => ({ event, ticketId: ticket.id, commentId: publicComment?.id ?? null, userId, authorId: publicComment?.author_id ?? null });

    // The requester hears only of a ticket they can see (one with a public comment).
    if (requester && requester.role === "end_user" && ticket.is_public) {
      if (e.kind === "ticket.created" && publicComment && publicComment.author_id === ticket.requester_id) refs.push(about("request_received", requester.id));
      // Not when they marked it solved themselves (the help center's "solved" box).
      else if (solvedNow && !(ctx.actor.kind === "user" && ctx.actor.userId === ticket.requester_id)) refs.push(about("solved", requester.id));
      else if (publicComment && publicComment.author_id !== ticket.requester_id) refs.push(about("public_reply", requester.id));
    }
    if (publicComment && author && !isStaff(author.role)) {
      const staff = ticket.assignee_id ? [ticket.assignee_id] : ticket.group_id ? await groupMemberIds(ctx, ticket.group_id) : [];
      for (const id of staff) refs.push(about("end_user_update", id));
    }
    // CCs, each once: not the author, not the requester (told above), not someone already told.
    if (publicComment && ticket.is_public) {
      const told = new Set(refs.map((r) => r.userId));
      for (const id of await repo.listCcs(ctx.tx, ticket.id)) {
        if (id === publicComment.author_id || id === ticket.requester_id || told.has(id)) continue;
        told.add(id);
        refs.push(about("cc_update", id));
      }
    }
    const cache = renderCache();
    for (const ref of refs) {
      const mail = await renderNotification(ctx, ref, cache);
      if (!mail) continue;
      if (mail.unproven && !unprovenAckAllowed(deps, ctx, mail.message.to)) continue;
      await queueMail(ctx, deps.config.mailRetryMs, mail.message);
    }
  };
}

function unprovenAckAllowed(deps: Pick<Deps, "rateLimiter" | "keyring">, ctx: RequestContext, address: string): boolean {
  const key = deps.keyring.hashSecret("rate-limit", [ctx.tx.tenantId, "ack", address.toLowerCase()].join("\0")).toString("base64url").slice(0, 22);
  return deps.rateLimiter.hit(`ackaddr:${key}`, ...UNPROVEN_ACKS_PER_ADDRESS).allowed;
}

type RenderCache = { rules?: Map<string, RuleTicket | undefined>; ratings?: boolean; settings?: NotificationSettings; detectors?: Detectors; team?: string; blocklist?: string[]; ccs?: Map<string, string[]>; texts: Map<string, { subject: string; body: string } | undefined> };
const renderCache = (): RenderCache => ({ texts: new Map() });

/**
 * One notification for one person, written from the data as it is now, or undefined when it must
 * not be sent (any more): the event is turned off, the person is suspended, deleted or has no
 * address, the ticket is gone or (for the requester and CCs) not theirs to see, staff lost the
 * staff role, someone would be told of their own comment, a CC is no longer copied on the ticket
 * (or became its requester) or their address is on the tenant's blocklist.
 */
async function renderNotification(ctx: RequestContext, ref: NotificationRef, cache: RenderCache): Promise<{ message: OutgoingMail; unproven: boolean } | undefined> {
  cache.settings ??= await notificationSettings(ctx);
  if (!cache.settings[ref.event]) return undefined;
  const ticket = await repo.ticketQuery(ctx.tx).where("t.id", "=", ref.ticketId).executeTakeFirst();
  if (!ticket) return undefined;
  const comment = ref.commentId ? await repo.findCommentById(ctx.tx, ref.commentId) : undefined;
  if (ref.commentId && (!comment || !comment.public)) return undefined;
  const people = await contactsByIds(ctx, [ref.userId, ...(ref.authorId ? [ref.authorId] : [])]);
  const person = people.get(ref.userId);
  if (!person || !person.reachable || !person.email) return undefined;
  const staffSide = isStaff(person.role);
  if (ref.event === "end_user_update") {
    if (!staffSide) return undefined;
    // A group's member whose role keeps them to some tickets hears only of those.
    const scope = ticketPolicy.scope(userActor({ id: person.id, niceId: person.niceId, role: person.role, customRole: person.customRole }, "session"));
    if (scope.kind !== "all" && !(await repo.findTicket(ctx.tx, ticket.nice_id, scope))) return undefined;
  } else if (ref.event === "cc_update") {
    if (!ticket.is_public || person.id === ticket.requester_id) return undefined;
    cache.ccs ??= new Map();
    if (!cache.ccs.has(ticket.id)) cache.ccs.set(ticket.id, await repo.listCcs(ctx.tx, ticket.id));
    if (!cache.ccs.get(ticket.id)!.includes(person.id)) return undefined;
    cache.blocklist ??= await blocklistOf(ctx);
    if (isBlocked(cache.blocklist, person.email)) return undefined;
  } else if (person.id !== ticket.requester_id || staffSide || !ticket.is_public) return undefined;
  // Nobody is told of their own comment, but a new request is acknowledged to whoever wrote it.
  if (ref.event !== "request_received" && person.id === ref.authorId) return undefined;
  // Processing of this person is restricted (GDPR art. 18, or an objection): no automated mail.
  // The withholding is recorded (the event only; users/users-restriction.ts).
  if (person.restricted) {
    audit(ctx, { action: "notification.withheld", resourceType: "user", resourceId: person.niceId, fields: [ref.event] });
    return undefined;
  }
  const author = ref.authorId ? people.get(ref.authorId) : undefined;

  const origin = ctx.apiBase ? new URL(ctx.apiBase).origin : "";
  cache.detectors ??= await detectorsFor(ctx);
  cache.team ??= (await teamName(ctx)) ?? (origin ? new URL(origin).hostname : "Support");
  const language = notificationLanguage(person.locale);
  const key = `${ref.event}:${language}`;
  if (!cache.texts.has(key)) cache.texts.set(key, await templateText(ctx, ref.event, language));
  // A request from the form nobody signed in to may name anyone's address: its acknowledgement
  // carries none of the words (subject, text, name) of whoever filled the form.
  const unproven = ref.event === "request_received" && comment?.written_by === null;
  const mode = unproven ? "unproven" : cache.settings.content_free ? "content-free" : "full";
  const mail = notificationMail(
    ref.event,
    language,
    mode,
    {
      team: cache.team,
      name: person.name,
      author: author?.name ?? cache.team,
      "ticket.id": String(ticket.nice_id),
      "ticket.title": maskSensitive(ctx.sealer.open(ticket.subject_sealed, tref(ticket.id, "subject")), cache.detectors),
      // Staff open the ticket; the requester and an end user copied on it, the request in the
      // help center (a CC reads it there while copied).
      "ticket.url": origin ? (staffSide ? `${origin}/agent/tickets/${ticket.nice_id}` : `${origin}/requests/${ticket.nice_id}`) : "",
      comment: comment ? maskSensitive(ctx.sealer.open(comment.body_sealed, cref(comment.id, "body")), cache.detectors) : "",
    },
    cache.texts.get(key),
  );
  // The account asks for satisfaction ratings: the requester's solved mail invites one, with a
  // link to the request's page per score (from the configured origin, as {{ticket.url}}).
  if (ref.event === "solved" && origin && (cache.ratings ??= await ratingsEnabled(ctx))) {
    const page = `${origin}/requests/${ticket.nice_id}`;
    mail.text = `${mail.text.replace(/\n*$/, "")}\n\n${ratingInvite(language, { good: `${page}?rate=good`, bad: `${page}?rate=bad` })}`;
  }
  const message: OutgoingMail = { to: person.email, ...mail, about: { ticketId: ticket.id, userId: person.id, notification: ref } };
  await ctx.hooks.emit("notification.addressing", ctx, { ticketNiceId: ticket.nice_id, commentNiceId: comment?.nice_id ?? null, message });
  return { message, unproven };
}

// ---- Business rules' mail (triggers' notification actions) --------------------------------------

/** A mail a business rule asks for: its recipients (internal ids) and its Liquid subject and body, rendered here per recipient. */
/**
 * `unproven`: the update was written by nobody signed in (the anonymous form, an unverified
 * sender): an end user then gets the built-in unproven mail, none of the writer's words. So does
 * an end user whose ticket's latest public comment was written by nobody signed in, whoever made
 * the update (queueRuleMail).
 */
export type RuleMail = { ticketId: string; userIds: readonly string[]; subject: string; body: string; render: typeof renderTemplate; unproven?: boolean };

const firstName = (name: string) => name.trim().split(/\s+/)[0] ?? "";

/**
 * Most rule mails one transaction queues (a ticket's write and the triggers after it; an
 * automation's write and the triggers after that), whatever its 30 mail actions and the size of
 * the groups they name. Each may take 2 Liquid renders, and a render may spin for its whole limit
 * and still succeed (macros-render.ts): 30 actions × a group's members × 2 texts held a write's
 * transaction (on the embedded database, every account's) for minutes, and queued as many mails.
 * Once they are spent, the write's other rule mail is not sent. The time all the transaction's
 * renders take together is bounded too (RENDER_BUDGET_MS).
 */
export const RULE_MAILS_PER_WRITE = 100;
const MAILS = "rules.mails";
const mailAllowance = (tx: TenantTx): { left: number } => {
  let a = tx.bag.get(MAILS) as { left: number } | undefined;
  if (!a) tx.bag.set(MAILS, (a = { left: RULE_MAILS_PER_WRITE }));
  return a;
};
/** Allows the transaction's rule mail `n` mails at most (never more than RULE_MAILS_PER_WRITE); answers how many it allowed. */
export function allowRuleMails(tx: TenantTx, n: number): number {
  const left = Math.max(0, Math.min(n, RULE_MAILS_PER_WRITE));
  tx.bag.set(MAILS, { left });
  return left;
}
/** How many mails the transaction's rule mail may still queue. */
export const ruleMailsLeft = (tx: TenantTx): number => mailAllowance(tx).left;

/**
 * Queues a business rule's mail (a trigger's "Email user" / "Email group") as the built-in
 * notifications are queued, under the same rules: only with a mail server; each person once;
 * nobody suspended, deleted or without an address; nobody whose processing is restricted (the
 * withholding audited); no address on the tenant's blocklist. An end user is written to only as
 * the requester of a ticket they can see, when the account sends end users its updates
 * (`public_reply`), and only ever reads public comments; staff only when the account sends staff
 * its updates (`end_user_update`) and only about a ticket their role lets them see. With
 * `content_free` the mail is the built-in content-free one (a link, no ticket content). Card
 * numbers and what the tenant's detectors find are masked in every value placed in the texts; the
 * mail is threaded with the ticket's other mail (`notification.addressing`). An end user's mail
 * carries the ticket's words only when its latest public comment was written by someone signed in:
 * else (the anonymous form, an unverified sender, and nobody has answered in public since) it is
 * the built-in unproven one, whoever made the update — staff triage without a word, an
 * automation's hourly run — as a stranger's form must not relay its words to the address it named.
 * What a transaction's rule mail may queue and render is bounded (RULE_MAILS_PER_WRITE), and the
 * unproven mail an address gets with the built-in acknowledgements (UNPROVEN_ACKS_PER_ADDRESS).
 */
export async function queueRuleMail(deps: RuleMailDeps, ctx: RequestContext, m: RuleMail): Promise<number> {
  if (!deps.mailer.available || m.userIds.length === 0) return 0;
  const cache = renderCache();
  const rules = await ruleTicket(ctx, cache, m.ticketId, m.userIds);
  if (!rules) return 0;
  let queued = 0;
  for (const userId of new Set(m.userIds)) {
    const ref: RuleMailRef = { event: "trigger", ticketId: m.ticketId, commentId: null, userId, authorId: null, subject: m.subject, body: m.body, unproven: m.unproven === true };
    const message = await renderRuleMail(ctx, ref, cache, m.render, (person, staffSide, unproven) => {
      const allowance = mailAllowance(ctx.tx);
      if (allowance.left < 1) return false;
      // The unproven mail shares the built-in acknowledgement's budget an address: a stranger's
      // forms, with a rule mailing the requester, write to an address they typed no more often.
      if (unproven && !staffSide && !unprovenAckAllowed(deps, ctx, person.email)) return false;
      allowance.left--;
      return true;
    });
    if (!message) continue;
    await queueMail(ctx, deps.config.mailRetryMs, message);
    queued++;
  }
  return queued;
}

/**
 * What one rule mail is about, kept (sealed) with the message so that it can be written again
 * from the ticket as it is then (a comment it quotes redacted, its ticket restored from the
 * trash, sent again from the undelivered list): the rule's Liquid texts as the rule had them when
 * it fired, and whether the update that fired it was a stranger's (RuleMail's `unproven`).
 */
export type RuleMailRef = { event: "trigger"; ticketId: string; commentId: null; userId: string; authorId: null; subject: string; body: string; unproven: boolean };

const isRuleMailRef = (x: unknown): x is RuleMailRef => {
  // Cast to read the fields, each checked below (what was sealed with a message, perhaps by an older version).
  const r = x as Partial<RuleMailRef> | undefined;
  return r?.event === "trigger" && typeof r.ticketId === "string" && typeof r.userId === "string" && typeof r.subject === "string" && typeof r.body === "string";
};

type RuleTicket = { ticket: repo.TicketRow; comments: Awaited<ReturnType<typeof repo.allComments>>; people: Map<string, Contact> };

/** The ticket a rule mail is about, its comments and the people it names (with `userIds`), read once per render cache. */
async function ruleTicket(ctx: RequestContext, cache: RenderCache, ticketId: string, userIds: readonly string[]): Promise<RuleTicket | undefined> {
  cache.rules ??= new Map();
  let r = cache.rules.get(ticketId);
  if (!cache.rules.has(ticketId)) {
    const ticket = await repo.ticketQuery(ctx.tx).where("t.id", "=", ticketId).executeTakeFirst();
    r = ticket ? { ticket, comments: await repo.allComments(ctx.tx, ticket.id), people: await contactsByIds(ctx, [ticket.requester_id, ...(ticket.assignee_id ? [ticket.assignee_id] : [])]) } : undefined;
    cache.rules.set(ticketId, r);
  }
  if (!r) return undefined;
  const missing = userIds.filter((id) => !r!.people.has(id));
  if (missing.length) for (const [id, c] of await contactsByIds(ctx, missing)) r.people.set(id, c);
  return r;
}

/**
 * One rule mail for one person, from the data as it is now (queueRuleMail's rules), or undefined
 * when it must not be sent (any more). `gate` is asked once the person may be written to and
 * before the texts are rendered (the transaction's allowance of rule mail).
 */
async function renderRuleMail(
  ctx: RequestContext,
  ref: RuleMailRef,
  cache: RenderCache,
  render: RuleMail["render"] = renderTemplate,
  gate?: (person: { email: string }, staffSide: boolean, unproven: boolean) => boolean,
): Promise<OutgoingMail | undefined> {
  cache.settings ??= await notificationSettings(ctx);
  const rules = await ruleTicket(ctx, cache, ref.ticketId, [ref.userId]);
  if (!rules) return undefined;
  const { ticket, comments, people } = rules;
  const latestPublic = [...comments].reverse().find((c) => c.public);
  const unproven = ref.unproven || latestPublic?.written_by === null;
  const origin = ctx.apiBase ? new URL(ctx.apiBase).origin : "";
  const person = people.get(ref.userId);
  if (!person || !person.reachable || !person.email) return undefined;
  const staffSide = isStaff(person.role);
  if (staffSide) {
    if (!cache.settings.end_user_update) return undefined;
    const scope = ticketPolicy.scope(userActor({ id: person.id, niceId: person.niceId, role: person.role, customRole: person.customRole }, "session"));
    if (scope.kind !== "all" && !(await repo.findTicket(ctx.tx, ticket.nice_id, scope))) return undefined;
  } else {
    if (!cache.settings.public_reply || person.id !== ticket.requester_id || !ticket.is_public) return undefined;
  }
  cache.blocklist ??= await blocklistOf(ctx);
  if (isBlocked(cache.blocklist, person.email)) return undefined;
  if (person.restricted) {
    audit(ctx, { action: "notification.withheld", resourceType: "user", resourceId: person.niceId, fields: ["trigger"] });
    return undefined;
  }
  if (gate && !gate({ email: person.email }, staffSide, unproven)) return undefined;
  cache.detectors ??= await detectorsFor(ctx);
  cache.team ??= (await teamName(ctx)) ?? (origin ? new URL(origin).hostname : "Support");
  const mask = (x: string) => maskSensitive(x, cache.detectors!);
  const language = notificationLanguage(person.locale);
  const url = origin ? (staffSide ? `${origin}/agent/tickets/${ticket.nice_id}` : `${origin}/requests/${ticket.nice_id}`) : "";
  let mail: { language: string; subject: string; text: string };
  if (unproven && !staffSide) {
    // As the built-in acknowledgement of an unproven request: a stranger's form (or a forged
    // sender) must not relay its words, nor the name it typed, to the address it named.
    const values = { team: cache.team, name: "", author: cache.team, "ticket.id": String(ticket.nice_id), "ticket.title": "", "ticket.url": url, comment: "" };
    mail = notificationMail("request_received", language, "unproven", values);
  } else if (cache.settings.content_free) {
    const values = { team: cache.team, name: person.name, author: cache.team, "ticket.id": String(ticket.nice_id), "ticket.title": "", "ticket.url": url, comment: "" };
    mail = notificationMail(staffSide ? "end_user_update" : "public_reply", language, "content-free", values);
  } else {
    // An end user reads the latest public comment only; staff the latest of any.
    const latest = [...comments].reverse().find((c) => c.public || staffSide);
    const requester = people.get(ticket.requester_id);
    const assignee = ticket.assignee_id ? people.get(ticket.assignee_id) : undefined;
    const context = {
      ticket: {
        id: ticket.nice_id,
        title: mask(ctx.sealer.open(ticket.subject_sealed, tref(ticket.id, "subject"))),
        status: ticket.status,
        priority: ticket.priority ?? "",
        url,
        latest_comment: latest ? mask(ctx.sealer.open(latest.body_sealed, cref(latest.id, "body"))) : "",
        requester: { name: requester?.name ?? "", first_name: firstName(requester?.name ?? ""), email: staffSide ? (requester?.email ?? "") : "" },
        assignee: { name: assignee?.name ?? "", first_name: firstName(assignee?.name ?? "") },
      },
      current_user: { name: person.name, first_name: firstName(person.name) },
    };
    const budget = renderBudget(ctx.tx);
    const subject = mask(render(ref.subject, context, budget).replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, " ").trim()).slice(0, 250);
    const text = mask(render(ref.body, context, budget));
    if (!subject && !text) return undefined;
    mail = { language, subject: subject || `#${ticket.nice_id}`, text };
  }
  const message: OutgoingMail = { to: person.email, ...mail, about: { ticketId: ticket.id, userId: person.id, notification: ref } };
  await ctx.hooks.emit("notification.addressing", ctx, { ticketNiceId: ticket.nice_id, commentNiceId: null, message });
  return message;
}

/** A queued or undelivered message written anew from what it is about (a notification or a rule mail); undefined when it is not to be sent any more. */
async function rewriteMail(ctx: RequestContext, about: unknown, cache: RenderCache): Promise<OutgoingMail | undefined> {
  if (isRuleMailRef(about)) return renderRuleMail(ctx, about, cache);
  // Cast: `about` is what renderNotification sealed with the message (a NotificationRef); its event is checked here.
  const ref = about as NotificationRef;
  // Widened to look up any string (a rule mail queued before rule mail kept its texts has the event "trigger").
  if ((NOTIFICATION_EVENTS as readonly string[]).includes(ref.event)) return (await renderNotification(ctx, ref, cache))?.message;
  return undefined;
}

/**
 * The `conversation.written` listener for redactions (and erasure of a comment), deletions and
 * restores. A redaction: the ticket's mail still to be sent (queued, or waiting for another
 * attempt) — notifications and rule mail alike — is written anew from the ticket as it is now, in
 * the redaction's transaction, so no later attempt sends the words that were redacted (the
 * undelivered copies were dropped by the redaction); one that would no longer be sent (its person
 * restricted or gone since) is withheld. A ticket moved to the trash: its mail still to be sent
 * is held, keeping what it is about and none of its words (mail-job.ts holdMailAbout), and
 * restored, written anew from the ticket as it is then and sent — unless its person was
 * restricted, suspended or deleted since, or the event turned off. A ticket deleted for good
 * (from the trash, or erased): every message about it is withheld, held ones too.
 */
export async function reviseWaitingMail(ctx: RequestContext, e: ConversationEvent): Promise<void> {
  if (e.kind === "ticket.deleted") {
    // Held until the trash would have deleted it for good; a ticket kept longer (a legal hold) sends nothing later.
    const days = (await repo.trashDays(ctx.tx, TRASH_DAYS)) + 1;
    return holdMailAbout(ctx, [e.ticketId], new Date(ctx.now().getTime() + days * 86_400_000));
  }
  if (e.kind === "tickets.purged") return dropMailAbout(ctx, e.tickets.map((t) => t.id));
  if (e.kind === "ticket.restored") {
    const cache = renderCache();
    await releaseHeldMail(ctx, [e.ticketId], (m) => rewriteMail(ctx, m.about?.notification, cache));
    return;
  }
  if (e.kind !== "comment.redacted") return;
  const cache = renderCache();
  await reviseMailAbout(ctx, [e.ticketId], async (m) => (m.about?.notification === undefined ? m : rewriteMail(ctx, m.about.notification, cache)));
  // Again, now that the ticket's mail jobs were locked: a last attempt that failed meanwhile (its
  // job locked until then) committed its undelivered copy, with the old words, after the
  // redaction's own drop; this statement sees it (read committed).
  await dropUndelivered(ctx.tx, { ticketId: e.ticketId });
}

/**
 * The mail job's recall (platform/jobs/mail-job.ts), asked right before each attempt: a
 * notification written while its person could be told, whose processing has been restricted since
 * (or who has been suspended or deleted), is not sent. A restriction's withholding is audited as
 * when the notification is written; sign-in links and other mail a person asked for are not recalled.
 */
export async function recallNotification(ctx: RequestContext, about: { userId?: string; notification?: unknown }): Promise<boolean> {
  const event = (about.notification as { event?: unknown } | undefined)?.event;
  if (typeof event !== "string" || !about.userId) return false;
  const person = (await contactsByIds(ctx, [about.userId])).get(about.userId);
  if (!person || !person.reachable) return true;
  if (!person.restricted) return false;
  audit(ctx, { action: "notification.withheld", resourceType: "user", resourceId: person.niceId, fields: [event] });
  return true;
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
    const problem = placeholderProblem(value);
    if (problem) throw invalid(`notification_template.${field}`, `${field === "subject" ? "Subject" : "Body"}: ${problem}`);
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

/**
 * Sends an undelivered notification or rule mail (a trigger's or an automation's) again, written
 * anew from the data as it is now (settings, texts, the person, the ticket; a rule mail from the
 * rule's texts as they were when it fired): one that must no longer be sent — its person
 * suspended, deleted or restricted, its ticket gone, its event turned off — answers 409 and stays
 * listed for dropping.
 */
export async function resend(deps: Pick<AppDeps, "config" | "mailer">, ctx: RequestContext, id: string): Promise<void> {
  requireAdmin(ctx);
  const found = await findUndelivered(ctx, id);
  if (!found) throw notFound();
  if (!deps.mailer.available) throw new AppError("Conflict", { description: "No mail server is configured (VAULTDESK_SMTP_URL)." });
  const ref = found.about?.notification;
  let message: OutgoingMail | undefined = found;
  if (ref !== undefined) {
    message = await rewriteMail(ctx, ref, renderCache());
    if (!message) throw new AppError("Conflict", { description: "This notification is no longer sent: its recipient, its ticket or the setting changed. Drop it." });
  }
  if (!(await resendUndelivered(ctx, deps.config.mailRetryMs, id, message))) throw notFound();
  audit(ctx, { action: "undelivered_mail.resent", resourceType: "mail", resourceId: id });
}

export async function discard(ctx: RequestContext, id: string): Promise<void> {
  requireAdmin(ctx);
  if (!(await deleteUndelivered(ctx, id))) throw notFound();
  audit(ctx, { action: "undelivered_mail.deleted", resourceType: "mail", resourceId: id });
}

/** How long undelivered notifications stay listed. */
export const UNDELIVERED_KEPT_DAYS = 30;

/** Upkeep: drops undelivered mail older than UNDELIVERED_KEPT_DAYS in every tenant. */
export async function purgeOldUndelivered(deps: Pick<AppDeps, "db">, now: Date): Promise<number> {
  const before = new Date(now.getTime() - UNDELIVERED_KEPT_DAYS * 86_400_000);
  let dropped = 0;
  await forEachTenant(deps.db, async (tenantId) => {
    dropped += await deps.db.tenant(tenantId, (tx) => dropUndelivered(tx, { before }));
  });
  return dropped;
}
