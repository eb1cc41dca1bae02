import { actorUser, type RequestContext, type UserActor } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, notFound } from "../../platform/errors.ts";
import { cancelJob, findJob, listJobs, presentJob, type JobStatusView } from "../../platform/jobs/jobs.ts";
import { scopeNeed, scopesGrant } from "../../platform/http/scopes.ts";
import { audit } from "../audit/audit-service.ts";
import { jobPolicy } from "./jobs-policy.ts";

export type JobAbilities = { can_cancel: boolean };
export type JobStatusWithAbilities = JobStatusView & { abilities: JobAbilities };

/** What a credential's scopes must grant for `POST /job_statuses/{id}/cancel` (as the route derives it). */
const CANCEL_NEED = scopeNeed("POST", "/api/v2/job_statuses/:id/cancel");

/**
 * What the actor may do with a job they see, from the rules `cancelJobStatus` enforces, so a page
 * offers Cancel only when it would be accepted: the job's starter or an admin (jobPolicy.cancel),
 * a kind of job that can be cancelled (bulk ticket jobs), not finished, and tickets left to do;
 * and a credential whose scopes allow the cancellation's POST (a read-only token's is refused).
 */
export function jobAbilities(
  deps: Pick<AppDeps, "jobs">,
  actor: UserActor,
  j: { job_type: string; status: string; total: number; progress: number; created_by: string | null },
): JobAbilities {
  const unfinished = (j.status === "queued" || j.status === "working") && j.progress < j.total;
  return { can_cancel: unfinished && deps.jobs.cancellableTypes().includes(j.job_type) && jobPolicy.cancel(actor, j) && scopesGrant(actor.scopes, CANCEL_NEED) };
}

const withAbilities = (deps: Pick<AppDeps, "jobs">, ctx: RequestContext, j: Parameters<typeof presentJob>[1] & { created_by: string | null }): JobStatusWithAbilities => ({
  ...presentJob(ctx, j),
  abilities: jobAbilities(deps, actorUser(ctx), j),
});

/**
 * Job statuses as people see them: only kinds of job that someone starts and follows (the kinds
 * a module defines as `visible`: bulk ticket changes); mail and sign-in link jobs never show, and
 * another tenant's job answers 404 like a missing one, as does another person's job to an agent
 * whose role sees only some tickets (jobs-policy.ts).
 */
export async function showJobStatus(deps: Pick<AppDeps, "jobs">, ctx: RequestContext, id: string): Promise<JobStatusWithAbilities> {
  const actor = actorUser(ctx);
  if (!jobPolicy.view(actor)) throw forbidden();
  const scope = jobPolicy.scope(actor);
  const j = await findJob(ctx.tx, id);
  if (!j || !deps.jobs.visibleTypes().includes(j.job_type) || (scope.kind === "own" && j.created_by !== scope.userId)) throw notFound();
  return withAbilities(deps, ctx, j);
}

/**
 * Cancels a job that has not finished (Zendesk's `killed` status): a queued job never starts, a
 * running one stops before its next item. What it already did stays done (its results say which
 * tickets); the cancellation is audited. Found as `showJobStatus` finds (404 otherwise); only
 * its starter or an admin may cancel it (403); a finished job, one whose every ticket is done (it
 * ends `completed`: jobs-repo.ts cancelJob), or one that is not a bulk ticket change (the search
 * index's rebuild), answers 409.
 */
export async function cancelJobStatus(deps: Pick<AppDeps, "jobs">, ctx: RequestContext, id: string): Promise<JobStatusWithAbilities> {
  const actor = actorUser(ctx);
  await showJobStatus(deps, ctx, id);
  const j = (await findJob(ctx.tx, id))!;
  if (!jobPolicy.cancel(actor, j)) throw forbidden();
  if (!deps.jobs.cancellableTypes().includes(j.job_type)) throw new AppError("Conflict", { description: "Only bulk ticket jobs can be cancelled." });
  if (!(await cancelJob(ctx.tx, id, "Cancelled"))) throw new AppError("Conflict", { description: "This job has already finished." });
  audit(ctx, { action: "job_status.cancelled", resourceType: "job_status", resourceId: id, fields: ["status"] });
  return withAbilities(deps, ctx, (await findJob(ctx.tx, id))!);
}

/** The tenant's most recent visible jobs, newest first (Zendesk's List Job Statuses). */
export async function listJobStatuses(deps: Pick<AppDeps, "jobs">, ctx: RequestContext, limit: number): Promise<JobStatusWithAbilities[]> {
  const actor = actorUser(ctx);
  if (!jobPolicy.view(actor)) throw forbidden();
  const scope = jobPolicy.scope(actor);
  const rows = await listJobs(ctx.tx, deps.jobs.visibleTypes(), limit, scope.kind === "own" ? scope.userId : undefined);
  return rows.map((j) => withAbilities(deps, ctx, j));
}
