import { actorUser, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { forbidden, notFound } from "../../platform/errors.ts";
import { findJob, listJobs, presentJob, type JobStatusView } from "../../platform/jobs/jobs.ts";
import { jobPolicy } from "./jobs-policy.ts";

/**
 * Job statuses as people see them: only kinds of job that someone starts and follows (the kinds
 * a module defines as `visible`: bulk ticket changes); mail and sign-in link jobs never show, and
 * another tenant's job answers 404 like a missing one, as does another person's job to an agent
 * whose role sees only some tickets (jobs-policy.ts).
 */
export async function showJobStatus(deps: Pick<AppDeps, "jobs">, ctx: RequestContext, id: string): Promise<JobStatusView> {
  const actor = actorUser(ctx);
  if (!jobPolicy.view(actor)) throw forbidden();
  const scope = jobPolicy.scope(actor);
  const j = await findJob(ctx.tx, id);
  if (!j || !deps.jobs.visibleTypes().includes(j.job_type) || (scope.kind === "own" && j.created_by !== scope.userId)) throw notFound();
  return presentJob(ctx, j);
}

/** The tenant's most recent visible jobs, newest first (Zendesk's List Job Statuses). */
export async function listJobStatuses(deps: Pick<AppDeps, "jobs">, ctx: RequestContext, limit: number): Promise<JobStatusView[]> {
  const actor = actorUser(ctx);
  if (!jobPolicy.view(actor)) throw forbidden();
  const scope = jobPolicy.scope(actor);
  const rows = await listJobs(ctx.tx, deps.jobs.visibleTypes(), limit, scope.kind === "own" ? scope.userId : undefined);
  return rows.map((j) => presentJob(ctx, j));
}
