import { z } from "zod";
import { longText } from "../../platform/schemas.ts";

/** API shapes of customer satisfaction ratings (Zendesk's Satisfaction Ratings, docs/api.md). */

/** Most characters (code points, as people count them) a rating's comment holds. */
export const COMMENT_MAX = 2000;

export const ratingScore = z.enum(["good", "bad"]);

/** The requester's rating. The comment's length in characters is checked by the service (422 naming it). */
export const ratingInput = z.strictObject({
  score: ratingScore,
  // UTF-16 units: a comment of 2,000 emoji is 4,000 of them; the service counts characters.
  comment: longText(COMMENT_MAX * 2).nullable().optional(),
});
export type RatingInput = z.infer<typeof ratingInput>;

export const ratingView = z.object({
  id: z.number(),
  url: z.string(),
  ticket_id: z.number(),
  requester_id: z.number(),
  assignee_id: z.number().nullable(),
  group_id: z.number().nullable(),
  score: ratingScore,
  comment: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type RatingView = z.infer<typeof ratingView>;

/**
 * A ticket's (or request's) rating as its JSON carries it: null when the account does not ask
 * for ratings; `unoffered` while it is not solved; `offered` once solved (or closed) and not yet
 * rated; the rating itself once rated.
 */
export const ratingBadge = z
  .object({ id: z.number().optional(), score: z.enum(["unoffered", "offered", "good", "bad"]), comment: z.string().nullable().optional() })
  .nullable();
export type RatingBadge = z.infer<typeof ratingBadge>;

export const RATING_FILTERS = [
  "received",
  "received_with_comment",
  "received_without_comment",
  "good",
  "good_with_comment",
  "good_without_comment",
  "bad",
  "bad_with_comment",
  "bad_without_comment",
] as const;
export type RatingFilterName = (typeof RATING_FILTERS)[number];

export const satisfactionSettingsView = z.object({ enabled: z.boolean() });
export const satisfactionSettingsInput = z.strictObject({ satisfaction_settings: z.strictObject({ enabled: z.boolean() }) });

export const satisfactionSummaryView = z.object({ good: z.number(), bad: z.number(), with_comment: z.number(), score: z.number().nullable() });
