import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { pageQuery, publicId, publicIdParam, wholeNumber } from "../../platform/schemas.ts";
import { listRatings, rateTicket, ratingSummary, showRating, showSatisfactionSettings, updateSatisfactionSettings } from "./satisfaction-service.ts";
import { RATING_FILTERS, ratingInput, ratingView, satisfactionSettingsInput, satisfactionSettingsView, satisfactionSummaryView } from "./satisfaction-types.ts";

/** Unix seconds (as Zendesk's `start_time` / `end_time`), from 1970 to 9999. */
const unixTime = wholeNumber(0, 253_402_300_799);
const windowQuery = z.object({ start_time: unixTime.optional(), end_time: unixTime.optional() });
const at = (s: number | undefined) => (s === undefined ? undefined : new Date(s * 1000));

export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/satisfaction_settings", operationId: "showSatisfactionSettings", tag: "satisfaction", auth: "user",
    summary: "Whether the account asks requesters to rate their solved requests (staff).",
    response: z.object({ satisfaction_settings: satisfactionSettingsView }),
    handler: async (ctx) => ({ satisfaction_settings: await showSatisfactionSettings(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/satisfaction_settings", operationId: "updateSatisfactionSettings", tag: "satisfaction", auth: "user",
    summary: "Turns satisfaction ratings on or off (owners and admins).",
    body: satisfactionSettingsInput, response: z.object({ satisfaction_settings: satisfactionSettingsView }),
    handler: async (ctx, { body }) => ({ satisfaction_settings: await updateSatisfactionSettings(ctx, body.satisfaction_settings) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/tickets/:ticket_id/satisfaction_rating", operationId: "rateTicket", tag: "satisfaction", auth: "user", status: 200,
    summary: "The requester rates their solved ticket good or bad, with an optional comment; a later rating changes it (its id stays).",
    params: z.object({ ticket_id: publicId }), body: z.strictObject({ satisfaction_rating: ratingInput }),
    response: z.object({ satisfaction_rating: ratingView }),
    handler: async (ctx, { params, body }) => ({ satisfaction_rating: await rateTicket(ctx, params.ticket_id, body.satisfaction_rating) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/satisfaction_ratings", operationId: "listSatisfactionRatings", tag: "satisfaction", auth: "user",
    summary: "The ratings of the tickets the caller may see, newest first (staff); `score` filters (received, good, bad, each `_with_comment` or `_without_comment`), `start_time`/`end_time` (unix seconds) bound `updated_at`.",
    // `score` is checked here: an unknown filter is a 400 (Zendesk's answer), not a field error.
    query: pageQuery.omit({ include: true }).extend({ score: z.string().max(64).optional(), ...windowQuery.shape }),
    response: listEnvelope("satisfaction_ratings", ratingView),
    handler: async (ctx, { query, url }) => {
      const score = query.score === undefined ? undefined : RATING_FILTERS.find((f) => f === query.score);
      if (query.score !== undefined && score === undefined) throw new AppError("BadRequest", { description: `score: one of ${RATING_FILTERS.join(", ")}` });
      const page = parsePage(query, { newestFirst: true });
      const r = await listRatings(ctx, page, { score, start: at(query.start_time), end: at(query.end_time) });
      const env = pageEnvelope(page, r.views, r.count, url, r.keys);
      return { satisfaction_ratings: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/satisfaction_ratings/summary", operationId: "showSatisfactionSummary", tag: "satisfaction", auth: "user",
    summary: "Vaultdesk: counts of good, bad and commented ratings the caller may see in a time window, and the share of good ones (0 to 100, null when none).",
    query: windowQuery, response: z.object({ satisfaction_summary: satisfactionSummaryView }),
    handler: async (ctx, { query }) => ({ satisfaction_summary: await ratingSummary(ctx, { start: at(query.start_time), end: at(query.end_time) }) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/satisfaction_ratings/:id", operationId: "showSatisfactionRating", tag: "satisfaction", auth: "user",
    params: publicIdParam, response: z.object({ satisfaction_rating: ratingView }),
    handler: async (ctx, { params }) => ({ satisfaction_rating: await showRating(ctx, params.id) }),
  });
}
