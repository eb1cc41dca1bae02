import { refsOf } from "../crypto/sealed-columns.ts";
import crypto from "node:crypto";
import type { RequestContext } from "../context.ts";
import * as repo from "./jobs-repo.ts";

/**
 * Durable jobs: a request records a job in its own transaction (input sealed) and answers at
 * once; the job runner (job-runner.ts) does the work after the transaction commits. A job that
 * rolls back with its request never runs.
 */

/** Transaction bag key: set when the transaction queued a job, so the runner is woken at commit. */
export const JOBS_QUEUED = "jobs.queued";

export const payloadRef = (id: string) => refsOf("job_statuses")(id, "payload");

export async function enqueueJob(
  ctx: RequestContext,
  j: { type: string; total: number; payload: unknown; createdBy: string | null; maxAttempts: number; runAfter?: Date; ticketId?: string },
): Promise<string> {
  const id = crypto.randomUUID();
  await repo.insertJob(ctx.tx, {
    id,
    job_type: j.type,
    total: j.total,
    payload_sealed: ctx.sealer.sealJson(j.payload, payloadRef(id)),
    created_by: j.createdBy,
    request_id: ctx.requestId.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64),
    max_attempts: j.maxAttempts,
    ...(j.runAfter ? { run_after: j.runAfter } : {}),
    ...(j.ticketId ? { ticket_id: j.ticketId } : {}),
  });
  ctx.tx.bag.set(JOBS_QUEUED, true);
  return id;
}

/**
 * Queues a job of items (job-runner.ts ItemsHandler): its input, and where the request came from
 * (the client address for the audit trail, the API base for links), sealed together.
 */
export async function enqueueItems<P>(ctx: RequestContext, j: { type: string; input: P; total: number; createdBy: string | null; maxAttempts: number }): Promise<string> {
  const payload = { ip: ctx.ip ?? null, apiBase: ctx.apiBase, input: j.input };
  return enqueueJob(ctx, { type: j.type, total: j.total, payload, createdBy: j.createdBy, maxAttempts: j.maxAttempts });
}

/**
 * Queues a job of steps (job-runner.ts StepsHandler), unless one of its type is unfinished in the
 * tenant: then that one is joined, or, with `restart`, started over from the beginning (its state
 * dropped, progress back to zero; a step under way in another transaction finishes first, the
 * next one starts from the beginning). Answers the job's id and whether it was new.
 */
export async function enqueueOrJoinSteps<P>(
  ctx: RequestContext,
  j: { type: string; input: P; createdBy: string | null; maxAttempts: number; restart: boolean },
): Promise<{ id: string; created: boolean; restarted: boolean }> {
  const running = await repo.lockUnfinished(ctx.tx, j.type);
  if (running) {
    if (!j.restart || !running.payload_sealed) return { id: running.id, created: false, restarted: false };
    const payload = ctx.sealer.openJson<{ ip: string | null; apiBase: string; input: unknown }>(running.payload_sealed, payloadRef(running.id));
    await repo.restartJob(ctx.tx, running.id, ctx.sealer.sealJson({ ip: payload.ip, apiBase: payload.apiBase, input: j.input }, payloadRef(running.id)), "Restarted");
    ctx.tx.bag.set(JOBS_QUEUED, true);
    return { id: running.id, created: false, restarted: true };
  }
  const payload = { ip: ctx.ip ?? null, apiBase: ctx.apiBase, input: j.input };
  const id = await enqueueJob(ctx, { type: j.type, total: 0, payload, createdBy: j.createdBy, maxAttempts: j.maxAttempts });
  return { id, created: true, restarted: false };
}

export type JobStatusView = {
  id: string;
  url: string;
  status: string;
  job_type: string;
  total: number;
  progress: number;
  message: string | null;
  results: Array<Record<string, unknown>>;
  /** Vaultdesk: when the job was queued and when it ended (null while it runs). */
  created_at?: string;
  finished_at?: string | null;
};

const MESSAGES: Record<string, string> = { queued: "Queued", working: "Working", completed: "Completed", failed: "Failed", killed: "Cancelled" };

export function presentJob(
  ctx: RequestContext,
  j: { id: string; job_type: string; status: string; total: number; progress: number; results: unknown[]; message: string | null; created_at?: Date; finished_at?: Date | null },
): JobStatusView {
  return {
    id: j.id,
    url: `${ctx.apiBase}/job_statuses/${j.id}.json`,
    status: j.status,
    job_type: j.job_type,
    total: j.total,
    progress: j.progress,
    message: j.message ?? MESSAGES[j.status] ?? null,
    results: j.results as Array<Record<string, unknown>>,
    ...(j.created_at ? { created_at: j.created_at.toISOString(), finished_at: j.finished_at ? j.finished_at.toISOString() : null } : {}),
  };
}

export const findJob = repo.findJob;
export const cancelJob = repo.cancelJob;
export const listJobs = repo.listJobs;
