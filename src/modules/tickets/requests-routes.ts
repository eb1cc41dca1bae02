import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { lineText, pageQuery, publicIdParam } from "../../platform/schemas.ts";
import { listCcdRequests, listMyRequestComments, listMyRequests, listOrganizationRequests, replyToMyRequest, searchMyRequests, showMyRequest, submitRequest } from "./requests-service.ts";
import { uploadTokens } from "./attachments-types.ts";
import { highlightsView } from "../search/search-types.ts";
import { body, commentView, requestCreateInput, requestStatus, requestUserView, requestView } from "./requests-types.ts";

/**
 * Zendesk's Requests API: anonymous submission through the help center's form, then the caller's
 * own requests, public comments only, replies. The help center checks its form (consent, honeypot)
 * through the `request.submitting` and `request.submitted` hooks.
 */
/** A list of requests: by status (comma-separated), by last update or creation. */
const requestListQuery = pageQuery.extend({
  status: z.string().max(100).regex(/^[a-z]+(,[a-z]+)*$/, "must be comma-separated statuses").pipe(z.string().transform((s) => s.split(",")).pipe(z.array(requestStatus))).optional(),
  sort_by: z.enum(["updated_at", "created_at"]).optional(),
});

export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/requests", operationId: "createRequest", tag: "requests", auth: "optional", rateLimit: "public-form",
    summary: "Creates a request (the help center's form). Anonymous callers give requester name and e-mail; consent, honeypot and locale are Vaultdesk extras.",
    body: z.strictObject({ request: requestCreateInput }),
    response: z.object({ request: requestView }),
    handler: async (ctx, { body: b }) => {
      const r = b.request;
      return {
        request: await submitRequest(ctx, {
          subject: r.subject, body: r.comment.body, uploads: r.comment.uploads, custom_fields: r.custom_fields, requester: r.requester ? { name: r.requester.name, email: r.requester.email } : undefined,
          locale: r.locale, consent: r.consent, website: r.website,
        }),
      };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/requests", operationId: "listRequests", tag: "requests", auth: "user",
    summary: "The caller's own requests. On-hold tickets show as open, as in Zendesk.",
    query: requestListQuery,
    response: listEnvelope("requests", requestView),
    handler: async (ctx, { query, url }) => {
      // Most recently updated first unless asked otherwise; 25 a page, as Zendesk's requests list.
      const page = parsePage(query, { newestFirst: true, perPage: 25 });
      const r = await listMyRequests(ctx, page, { statuses: query.status, sortBy: query.sort_by ?? "updated_at" });
      const env = pageEnvelope(page, r.views, r.count, url, r.keys);
      return { requests: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/requests/ccd", operationId: "listCcdRequests", tag: "requests", auth: "user",
    summary: "The requests the caller is copied on (CC'd), while they are: read and replied to like their own, marked solved only by their requester.",
    query: requestListQuery,
    response: listEnvelope("requests", requestView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query, { newestFirst: true, perPage: 25 });
      const r = await listCcdRequests(ctx, page, { statuses: query.status, sortBy: query.sort_by ?? "updated_at" });
      const env = pageEnvelope(page, r.views, r.count, url, r.keys);
      return { requests: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/requests/search", operationId: "searchRequests", tag: "requests", auth: "user",
    summary: "The caller's own requests whose subject or public comments hold every word and \"quoted phrase\" of `query`, most relevant first, each with `highlights` from its subject and public comments (a Vaultdesk extension). Internal notes are never searched or shown here.",
    query: pageQuery.extend({ query: lineText(1000) }),
    response: listEnvelope("requests", requestView.extend({ highlights: highlightsView.optional() })),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query, { perPage: 25 });
      const r = await searchMyRequests(ctx, query.query, page);
      const env = pageEnvelope({ ...page, desc: true }, r.views, r.count, url, r.keys);
      return { requests: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/organizations/:id/requests", operationId: "listOrganizationRequests", tag: "requests", auth: "user",
    summary: "The requests of the caller's organization, when it shares them with its members (`shared_tickets`); otherwise 404.",
    params: publicIdParam,
    query: requestListQuery,
    response: listEnvelope("requests", requestView),
    handler: async (ctx, { params, query, url }) => {
      const page = parsePage(query, { newestFirst: true, perPage: 25 });
      const r = await listOrganizationRequests(ctx, params.id, page, { statuses: query.status, sortBy: query.sort_by ?? "updated_at" });
      const env = pageEnvelope(page, r.views, r.count, url, r.keys);
      return { requests: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/requests/:id", operationId: "showRequest", tag: "requests", auth: "user",
    params: publicIdParam, response: z.object({ request: requestView }),
    handler: async (ctx, { params }) => ({ request: await showMyRequest(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/requests/:id/comments", operationId: "listRequestComments", tag: "requests", auth: "user",
    summary: "The request's public comments, oldest first, with their authors (internal notes are never included).",
    params: publicIdParam, query: pageQuery,
    response: listEnvelope("comments", commentView, { users: z.array(requestUserView), organizations: z.array(z.never()) }),
    handler: async (ctx, { params, query, url }) => {
      const page = parsePage(query);
      const r = await listMyRequestComments(deps, ctx, params.id, page);
      const env = pageEnvelope(page, r.comments, r.count, url);
      return { comments: env.items, users: r.users, organizations: [], ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/requests/:id", operationId: "updateRequest", tag: "requests", auth: "user",
    summary: "Adds the requester's public reply, or marks the request solved (`solved: true`, with a reply or without; its requester only, while `can_be_solved_by_me`). A reply alone reopens a pending or solved request; a closed one cannot be replied to.",
    params: publicIdParam,
    body: z.strictObject({
      request: z
        .strictObject({ comment: z.strictObject({ body, uploads: uploadTokens.optional() }).optional(), solved: z.literal(true).optional().describe("Mark the request solved (it cannot be set back: a reply reopens it).") })
        .refine((r) => r.comment !== undefined || r.solved === true, { message: "send a comment, solved: true, or both" }),
    }),
    response: z.object({ request: requestView }),
    handler: async (ctx, { params, body: b }) => ({ request: await replyToMyRequest(ctx, params.id, b.request.comment?.body, b.request.comment?.uploads, b.request.solved === true) }),
  });
}
