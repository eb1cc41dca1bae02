import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { wholeNumber } from "../../platform/schemas.ts";
import { cancelJobStatus, listJobStatuses, showJobStatus } from "./jobs-service.ts";
import { jobStatusWithAbilities } from "./jobs-types.ts";

/** Zendesk's Job Statuses API: the progress and per-item results of jobs people started (bulk ticket changes). */
export function register(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/job_statuses", operationId: "listJobStatuses", tag: "job_statuses", auth: "user",
    summary: "The tenant's most recent jobs people started (bulk creates and updates), newest first; finished jobs are kept for VAULTDESK_JOB_RETENTION_HOURS.",
    query: z.object({ per_page: wholeNumber(1, 100).default(100) }),
    response: z.object({ job_statuses: z.array(jobStatusWithAbilities) }),
    handler: async (ctx, { query }) => ({ job_statuses: await listJobStatuses(deps, ctx, query.per_page) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/job_statuses/:id", operationId: "showJobStatus", tag: "job_statuses", auth: "user",
    params: z.object({ id: z.string().uuid() }), response: z.object({ job_status: jobStatusWithAbilities }),
    handler: async (ctx, { params }) => ({ job_status: await showJobStatus(deps, ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/job_statuses/:id/cancel", operationId: "cancelJobStatus", tag: "job_statuses", auth: "user",
    summary: "Vaultdesk: cancels a job not finished yet (status `killed`): a queued job never starts, a running one stops before its next ticket; what it did stays done. Its starter or an admin; 409 once finished or once every ticket is done. A job status's `abilities.can_cancel` says whether the caller's cancellation would be accepted.",
    status: 200,
    params: z.object({ id: z.string().uuid() }), response: z.object({ job_status: jobStatusWithAbilities }),
    handler: async (ctx, { params }) => ({ job_status: await cancelJobStatus(deps, ctx, params.id) }),
  });
}
