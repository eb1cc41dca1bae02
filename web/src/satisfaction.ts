import { ApiError, client, ok } from "./api.ts";

/**
 * Customer satisfaction ratings (Zendesk's satisfaction ratings): the shapes the server answers
 * and the calls the help center, the workspace and the admin center make. The requester of a
 * solved request rates it Good or Bad with an optional comment; staff read the ratings.
 *
 * The routes are typed here by hand, as the server documents them (`satisfaction_settings`,
 * `satisfaction_ratings`, `tickets/{id}/satisfaction_rating`, and the `satisfaction_rating` and
 * `can_be_rated_by_me` fields of tickets and requests); the calls go through the same client (the
 * session cookie, the CSRF token, the 401 handling) as every other call.
 */

export type SatisfactionScore = "good" | "bad";

/** A rating as `/api/v2/satisfaction_ratings` answers it. */
export type SatisfactionRating = {
  id: number;
  url: string;
  ticket_id: number;
  requester_id: number;
  assignee_id: number | null;
  group_id: number | null;
  score: SatisfactionScore;
  comment: string | null;
  created_at: string;
  updated_at: string;
};

/**
 * A ticket's or request's `satisfaction_rating`: null when ratings are off; `unoffered` before
 * the ticket is solved; `offered` once solved, not rated yet; the score and comment once rated.
 */
export type TicketSatisfaction = null | { score: "unoffered" | "offered" } | { id?: number; score: SatisfactionScore; comment: string | null };

export type SatisfactionSummary = { good: number; bad: number; with_comment: number; score: number | null };
export type SatisfactionSettings = { enabled: boolean };

/** The list's `score` filter, as the API names it. */
export const SCORE_FILTERS = ["received", "received_with_comment", "received_without_comment", "good", "good_with_comment", "good_without_comment", "bad", "bad_with_comment", "bad_without_comment"] as const;
export type ScoreFilter = (typeof SCORE_FILTERS)[number];

export type RatingsPage = { ratings: SatisfactionRating[]; count: number };

type LooseInit = { params?: { path?: Record<string, number>; query?: Record<string, string | number> }; body?: unknown; signal?: AbortSignal };
type LooseAnswer = { data?: unknown; error?: unknown; response: Response };
type LooseCall = (path: string, init?: LooseInit) => Promise<LooseAnswer>;
/** The client without the generated route types (these routes are described in this file). */
const loose = client as unknown as { GET: LooseCall; POST: LooseCall; PUT: LooseCall };

function isRated(v: Record<string, unknown>): boolean {
  return (v["score"] === "good" || v["score"] === "bad") && (v["comment"] === null || v["comment"] === undefined || typeof v["comment"] === "string");
}

/** The `satisfaction_rating` of a ticket or request, read without trusting its shape (null when absent). */
export function satisfactionOf(resource: object): TicketSatisfaction {
  const v: unknown = (resource as { satisfaction_rating?: unknown }).satisfaction_rating;
  if (!v || typeof v !== "object") return null;
  const r = v as Record<string, unknown>;
  if (r["score"] === "unoffered" || r["score"] === "offered") return { score: r["score"] };
  if (!isRated(r)) return null;
  return { ...(typeof r["id"] === "number" ? { id: r["id"] } : {}), score: r["score"] as SatisfactionScore, comment: typeof r["comment"] === "string" ? r["comment"] : null };
}

/** Whether the signed-in person may rate this request now (`can_be_rated_by_me`). */
export function canBeRatedByMe(request: object): boolean {
  return (request as { can_be_rated_by_me?: unknown }).can_be_rated_by_me === true;
}

/** The rating's score, when rated (good or bad). */
export function ratedScore(s: TicketSatisfaction): SatisfactionScore | null {
  return s && (s.score === "good" || s.score === "bad") ? s.score : null;
}

/** Rates a request (first time) or changes its rating: the requester only; the server refuses anyone else. */
export async function rateTicket(ticketId: number, score: SatisfactionScore, comment: string): Promise<SatisfactionRating> {
  const body = { satisfaction_rating: { score, ...(comment.trim() ? { comment: comment.trim() } : {}) } };
  const r = (await ok(loose.POST("/api/v2/tickets/{ticket_id}/satisfaction_rating", { params: { path: { ticket_id: ticketId } }, body }))) as { satisfaction_rating: SatisfactionRating };
  return r.satisfaction_rating;
}

/** The server's refusal code for a rating (`TicketClosed`, `TicketNotSolved`, `SatisfactionRatingsOff`), if it sent one. */
export function refusalOf(err: unknown): string | undefined {
  return err instanceof ApiError && typeof err.body?.error === "string" ? err.body.error : undefined;
}

export async function loadSatisfactionSettings(signal: AbortSignal): Promise<SatisfactionSettings> {
  return ((await ok(loose.GET("/api/v2/satisfaction_settings", { signal }))) as { satisfaction_settings: SatisfactionSettings }).satisfaction_settings;
}

export async function saveSatisfactionSettings(enabled: boolean): Promise<SatisfactionSettings> {
  return ((await ok(loose.PUT("/api/v2/satisfaction_settings", { body: { satisfaction_settings: { enabled } } }))) as { satisfaction_settings: SatisfactionSettings }).satisfaction_settings;
}

/** The counts and score of the ratings updated since `startTime` (unix seconds). */
export async function loadSatisfactionSummary(startTime: number, signal: AbortSignal): Promise<SatisfactionSummary> {
  return ((await ok(loose.GET("/api/v2/satisfaction_ratings/summary", { params: { query: { start_time: startTime } }, signal }))) as { satisfaction_summary: SatisfactionSummary }).satisfaction_summary;
}

/** One offset page of ratings, newest first, filtered by score. */
export async function loadRatings(score: ScoreFilter, page: number, perPage: number, signal: AbortSignal): Promise<RatingsPage> {
  const r = (await ok(loose.GET("/api/v2/satisfaction_ratings", { params: { query: { score, page, per_page: perPage } }, signal }))) as { satisfaction_ratings: SatisfactionRating[]; count?: number | null };
  return { ratings: r.satisfaction_ratings, count: r.count ?? r.satisfaction_ratings.length };
}
