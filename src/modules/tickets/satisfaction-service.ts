import crypto from "node:crypto";
import { actorUser, type RequestContext, type UserActor } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { TicketStatus } from "../../platform/db/schema.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { redactSensitive } from "../../platform/redaction.ts";
import { audit } from "../audit/audit-service.ts";
import { detectorsFor } from "../privacy/redaction-service.ts";
import { satisfactionPolicy } from "./satisfaction-policy.ts";
import * as repo from "./satisfaction-repo.ts";
import { COMMENT_MAX, type RatingBadge, type RatingFilterName, type RatingInput, type RatingView } from "./satisfaction-types.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import * as tickets from "./tickets-repo.ts";

/**
 * Customer satisfaction ratings (Zendesk's): the requester of a solved ticket rates it good or
 * bad, with an optional comment, when the account asks for ratings. The comment is redacted as
 * ticket comments are, sealed at rest, and never written to a log or an audit entry. Staff read
 * the ratings of the tickets they may see (the tickets policy's scope).
 */

const ref = refsOf("satisfaction_ratings");
const SOLVED: ReadonlySet<TicketStatus> = new Set(["solved", "closed"]);

// ---- the setting

/** Whether the account asks requesters for ratings (off until an admin turns it on). */
export async function ratingsEnabled(ctx: RequestContext): Promise<boolean> {
  return (await repo.findSettings(ctx.tx))?.enabled ?? false;
}

export async function showSatisfactionSettings(ctx: RequestContext): Promise<{ enabled: boolean }> {
  if (!satisfactionPolicy.readSettings(actorUser(ctx))) throw forbidden("The satisfaction settings are for staff.");
  return { enabled: await ratingsEnabled(ctx) };
}

export async function updateSatisfactionSettings(ctx: RequestContext, input: { enabled: boolean }): Promise<{ enabled: boolean }> {
  if (!satisfactionPolicy.manageSettings(actorUser(ctx))) throw forbidden("Only owners and admins change the satisfaction settings.");
  await repo.saveSettings(ctx.tx, input.enabled);
  audit(ctx, { action: "satisfaction_settings.updated", resourceType: "account", resourceId: "satisfaction", fields: ["enabled"] });
  return { enabled: input.enabled };
}

// ---- on tickets and requests

type Rated = { id: string; nice_id: number; requester_id: string; score: "good" | "bad"; comment_sealed: Uint8Array | null };
/** What the JSON of a page of tickets needs: the setting, and the ratings of its tickets by ticket id. */
export type RatingLookup = { enabled: boolean; byTicket: ReadonlyMap<string, Rated> };

/** The setting and the ratings of these tickets: one lookup a page (none more when ratings are off). */
export async function ratingLookup(ctx: RequestContext, ticketIds: readonly string[]): Promise<RatingLookup> {
  const enabled = await ratingsEnabled(ctx);
  if (!enabled || ticketIds.length === 0) return { enabled, byTicket: new Map() };
  const rows = await repo.ratingsOfTickets(ctx.tx, [...new Set(ticketIds)]);
  return { enabled, byTicket: new Map(rows.map((r) => [r.ticket_id, r])) };
}

const openComment = (ctx: RequestContext, r: { id: string; comment_sealed: Uint8Array | null }) => (r.comment_sealed ? ctx.sealer.open(r.comment_sealed, ref(r.id, "comment")) : null);

/**
 * A ticket's `satisfaction_rating`. Staff see its comment; an end user only the comment they wrote
 * themselves: someone copied on the request, a colleague of its organization, or a requester who
 * took the ticket over after it was rated (the requester changed) sees the score only.
 */
export function ratingBadgeOf(ctx: RequestContext, lookup: RatingLookup, t: { id: string; status: TicketStatus }): RatingBadge {
  if (!lookup.enabled) return null;
  const r = lookup.byTicket.get(t.id);
  if (!r) return { score: SOLVED.has(t.status) ? "offered" : "unoffered" };
  const reader = ctx.actor.kind === "user" ? actorUser(ctx) : undefined;
  const withComment = reader !== undefined && (reader.role !== "end_user" || reader.userId === r.requester_id);
  return { id: r.nice_id, score: r.score, comment: withComment ? openComment(ctx, r) : null };
}

/** Whether the caller may rate this request now (`can_be_rated_by_me`): its requester, an end user (as the rating policy says), ratings on, solved. */
export function canRate(ctx: RequestContext, lookup: RatingLookup, t: { status: TicketStatus; requester_id: string }): boolean {
  if (!lookup.enabled || ctx.actor.kind !== "user" || t.status !== "solved") return false;
  const actor = actorUser(ctx);
  return satisfactionPolicy.rate(actor, { requesterId: t.requester_id });
}

// ---- rating

function commentOf(input: RatingInput): string | null {
  const c = input.comment?.trim() ?? "";
  if (c === "") return null;
  // Characters as people count them (code points): an emoji is one, not two UTF-16 units.
  if ([...c].length > COMMENT_MAX) throw invalid("comment", `Comment: at most ${COMMENT_MAX.toLocaleString("en")} characters`, "TooLong");
  return c;
}

/**
 * The requester rates their solved ticket, or changes their rating (one a ticket; its id stays).
 * Refusals, in order: a ticket they cannot see (404); staff, or an end user who is not its
 * requester (403); ratings off, the ticket not solved, or closed (422).
 */
export async function rateTicket(ctx: RequestContext, ticketNiceId: number, input: RatingInput): Promise<RatingView> {
  const actor = actorUser(ctx);
  // Locked: two ratings of one ticket at once are written one after the other.
  const t = await tickets.findTicketForUpdate(ctx.tx, ticketNiceId, ticketPolicy.scope(actor));
  if (!t) throw notFound();
  if (!satisfactionPolicy.rate(actor, { requesterId: t.requester_id })) throw forbidden("Only the person who made this request can rate it.");
  if (!(await ratingsEnabled(ctx))) throw new AppError("SatisfactionRatingsOff");
  if (t.status === "closed") throw new AppError("TicketClosed");
  if (t.status !== "solved") throw new AppError("TicketNotSolved");
  const raw = commentOf(input);
  const comment = raw === null ? null : redactSensitive(raw, await detectorsFor(ctx));
  const before = await repo.ratingOfTicket(ctx.tx, t.id);
  const id = before?.id ?? crypto.randomUUID();
  const row = {
    ticket_id: t.id,
    requester_id: actor.userId,
    assignee_id: t.assignee_id,
    group_id: t.group_id,
    score: input.score,
    has_comment: comment !== null,
    comment_sealed: comment === null ? null : ctx.sealer.seal(comment, ref(id, "comment")),
  };
  // The entry names the ticket and the score, never the comment (nor whether there is one).
  if (before) {
    await repo.updateRating(ctx.tx, id, row);
    audit(ctx, { action: "satisfaction_rating.updated", resourceType: "ticket", resourceId: t.nice_id, fields: [`score:${input.score}`] });
  } else {
    await repo.insertRating(ctx.tx, id, row);
    audit(ctx, { action: "satisfaction_rating.created", resourceType: "ticket", resourceId: t.nice_id, fields: [`score:${input.score}`] });
  }
  const r = await repo.findRating(ctx.tx, (await repo.ratingOfTicket(ctx.tx, t.id))!.nice_id, { kind: "all" });
  return present(ctx, r!);
}

// ---- reading (staff)

function requireStaff(ctx: RequestContext): UserActor {
  const a = actorUser(ctx);
  if (!satisfactionPolicy.read(a)) throw forbidden("Satisfaction ratings are read by staff.");
  return a;
}

function present(ctx: RequestContext, r: repo.RatingRow): RatingView {
  return {
    id: r.nice_id,
    url: `${ctx.apiBase}/satisfaction_ratings/${r.nice_id}.json`,
    ticket_id: r.ticket_nice,
    requester_id: Number(r.requester_nice),
    assignee_id: r.assignee_nice === null ? null : Number(r.assignee_nice),
    group_id: r.group_nice === null ? null : Number(r.group_nice),
    score: r.score,
    comment: openComment(ctx, r),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

export type RatingQuery = { score?: RatingFilterName | undefined; start?: Date | undefined; end?: Date | undefined };

function filterOf(q: RatingQuery): repo.RatingFilter {
  const s = q.score ?? "received";
  const [score, rest] = s.startsWith("received") ? [undefined, s.slice("received".length)] : s.startsWith("good") ? ["good" as const, s.slice(4)] : ["bad" as const, s.slice(3)];
  return { score, comment: rest === "_with_comment" ? true : rest === "_without_comment" ? false : undefined, start: q.start, end: q.end };
}

/** The ratings of the tickets the caller may see, newest first. */
export async function listRatings(ctx: RequestContext, page: Page, q: RatingQuery) {
  const actor = requireStaff(ctx);
  const { rows, count } = await repo.listRatings(ctx.tx, page, ticketPolicy.scope(actor), filterOf(q));
  return { views: rows.map((r) => present(ctx, r)), keys: rows.map((r) => r.sort_key), count };
}

export async function showRating(ctx: RequestContext, niceId: number): Promise<RatingView> {
  const actor = requireStaff(ctx);
  const r = await repo.findRating(ctx.tx, niceId, ticketPolicy.scope(actor));
  if (!r) throw notFound();
  return present(ctx, r);
}

/** Counts over the ratings the caller may see in a time window; `score`: the share of good ones, 0 to 100. */
export async function ratingSummary(ctx: RequestContext, q: Omit<RatingQuery, "score">) {
  const actor = requireStaff(ctx);
  const s = await repo.summary(ctx.tx, ticketPolicy.scope(actor), { start: q.start, end: q.end });
  const n = s.good + s.bad;
  return { ...s, score: n === 0 ? null : Math.round((100 * s.good) / n) };
}

// ---- privacy

/** The ratings a person gave, as their data export holds them. */
export async function ratingsForExport(ctx: RequestContext, userId: string) {
  return (await repo.ratingsBy(ctx.tx, userId)).map((r) => ({
    id: r.nice_id,
    ticket_id: r.ticket_nice,
    score: r.score,
    comment: openComment(ctx, r),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  }));
}

/** Erasing a person deletes the ratings they gave (their comments are theirs); how many. */
export async function eraseRatingsBy(ctx: RequestContext, userId: string): Promise<number> {
  return repo.deleteRatingsBy(ctx.tx, userId);
}
