import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { forbidden, notFound } from "../../platform/errors.ts";
import { findJob, listJobs, presentJob, type JobStatusView } from "../../platform/jobs/jobs.ts";
import { jobPolicy } from "./jobs-policy.ts";

/**
 * Job statuses as people see them: only kinds of job that someone starts and follows (the kinds
 * a module defines as `visible`: bulk ticket changes); mail and sign-in link jobs never show, and
 * another tenant's job answers 404 like a missing one.
 */
export async function showJobStatus(deps: Pick<AppDeps, "jobs">, ctx: RequestContext, id: string): Promise<JobStatusView> {
  if (!jobPolicy.view(actorUser(ctx))) throw forbidden();
  const j = await findJob(ctx.tx, id);
  if (!j || !deps.jobs.visibleTypes().includes(j.job_type)) throw notFound();
  return presentJob(ctx, j);
}

/** The tenant's most recent visible jobs, newest first (Zendesk's List Job Statuses). */
export async function listJobStatuses(deps: Pick<AppDeps, "jobs">, ctx: RequestContext, limit: number): Promise<JobStatusView[]> {
  if (!jobPolicy.view(actorUser(ctx))) throw forbidden();
  const rows = await listJobs(ctx.tx, deps.jobs.visibleTypes(), limit);
  return rows.map((j) => presentJob(ctx, j));
}
