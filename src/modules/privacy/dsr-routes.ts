import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { pageQuery, publicIdParam } from "../../platform/schemas.ts";
import * as dsr from "./dsr-service.ts";
import { dsrCreateInput, dsrEvidence, dsrListQuery, dsrSettingsInput, dsrSettingsView, dsrUpdateInput, dsrVerifyInput, dsrView, ownDsrCreateInput, ownDsrView } from "./dsr-types.ts";

/**
 * Vaultdesk's data subject requests (`/api/v2/data_subject_requests`, owners and admins), their
 * deadlines (`/api/v2/data_subject_request_settings`), and a person's own
 * (`/api/v2/users/me/data_subject_requests`). Zendesk has no such endpoints.
 */
export function register(app: FastifyInstance, deps: AppDeps): void {
  for (const task of dsr.dsrUpkeep(deps)) deps.jobs.maintain(task);
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/data_subject_requests", operationId: "listDataSubjectRequests", tag: "data_subject_requests", auth: "user",
    summary: "Vaultdesk: data subject requests, newest first (`status=`, `overdue=true`); admins.",
    query: dsrListQuery, response: listEnvelope("data_subject_requests", dsrView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query, { newestFirst: true });
      const { views, count } = await dsr.listRequests(ctx, page, { status: query.status, overdue: query.overdue === "true" });
      const env = pageEnvelope(page, views, count, url);
      return { data_subject_requests: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/data_subject_requests", operationId: "createDataSubjectRequest", tag: "data_subject_requests", auth: "user",
    summary: "Vaultdesk: records a person's request about their data (`user_id`, or `email` for someone not known yet); its due date follows the regime's days.",
    body: dsrCreateInput, response: z.object({ data_subject_request: dsrView }), status: 201,
    handler: async (ctx, { body }) => ({ data_subject_request: await dsr.createRequest(ctx, body.data_subject_request) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/data_subject_requests/:id", operationId: "showDataSubjectRequest", tag: "data_subject_requests", auth: "user",
    params: publicIdParam, response: z.object({ data_subject_request: dsrView }),
    handler: async (ctx, { params }) => ({ data_subject_request: await dsr.showRequest(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/data_subject_requests/:id", operationId: "updateDataSubjectRequest", tag: "data_subject_requests", auth: "user",
    summary: "Vaultdesk: moves a request on (new → verifying → in_progress → completed | rejected; completed and rejected need a `note`), assigns it to an owner or admin, or records a note.",
    params: publicIdParam, body: dsrUpdateInput, response: z.object({ data_subject_request: dsrView }),
    handler: async (ctx, { params, body }) => ({ data_subject_request: await dsr.updateRequest(ctx, params.id, body.data_subject_request) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/data_subject_requests/:id/verify", operationId: "verifyDataSubjectRequest", tag: "data_subject_requests", auth: "user", status: 200,
    summary: "Vaultdesk: records how the person was verified (by the caller, now); needed before the request is worked on.",
    params: publicIdParam, body: dsrVerifyInput, response: z.object({ data_subject_request: dsrView }),
    handler: async (ctx, { params, body }) => ({ data_subject_request: await dsr.verifyRequest(ctx, params.id, body.verification) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/data_subject_requests/:id/evidence", operationId: "showDataSubjectRequestEvidence", tag: "data_subject_requests", auth: "user",
    summary: "Vaultdesk: the request's record as a JSON download: every step with what, when and who, the regime and the due date.",
    params: publicIdParam, response: dsrEvidence,
    handler: async (ctx, { params, reply }) => {
      const body = await dsr.evidence(ctx, params.id);
      reply.header("content-disposition", `attachment; filename="data-subject-request-${params.id}-evidence.json"`);
      return body;
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/data_subject_request_settings", operationId: "showDataSubjectRequestSettings", tag: "data_subject_requests", auth: "user",
    summary: "Vaultdesk: days to answer per regime (GDPR 30, CCPA 45 by default) and the regime of new requests; admins.",
    response: z.object({ data_subject_request_settings: dsrSettingsView }),
    handler: async (ctx) => ({ data_subject_request_settings: await dsr.showSettings(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/data_subject_request_settings", operationId: "updateDataSubjectRequestSettings", tag: "data_subject_requests", auth: "user",
    summary: "Vaultdesk: changes the days per regime (1–365) and the default regime (admins; audited). Existing due dates stay.",
    body: dsrSettingsInput, response: z.object({ data_subject_request_settings: dsrSettingsView }),
    handler: async (ctx, { body }) => ({ data_subject_request_settings: await dsr.updateSettings(ctx, body.data_subject_request_settings) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/me/data_subject_requests", operationId: "listOwnDataSubjectRequests", tag: "data_subject_requests", auth: "user",
    summary: "Vaultdesk: the caller's own requests about their data, newest first.",
    query: pageQuery, response: listEnvelope("data_subject_requests", ownDsrView),
    handler: async (ctx, { query, url }) => {
      const page = parsePage(query, { newestFirst: true });
      const { views, count } = await dsr.listOwnRequests(ctx, page);
      const env = pageEnvelope(page, views, count, url);
      return { data_subject_requests: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/me/data_subject_requests", operationId: "createOwnDataSubjectRequest", tag: "data_subject_requests", auth: "user",
    summary: "Vaultdesk: the caller asks about their own data (access, portability, rectification, erasure, restriction, objection); verified by their session when they signed in within the last 15 minutes, else filed for staff to verify.",
    body: ownDsrCreateInput, response: z.object({ data_subject_request: ownDsrView }), status: 201,
    handler: async (ctx, { body }) => ({ data_subject_request: await dsr.createOwnRequest(ctx, body.data_subject_request) }),
  });
}
