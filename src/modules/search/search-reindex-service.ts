import { makeContext, type RequestContext } from "../../platform/context.ts";
import type { Keyring, TenantSealer } from "../../platform/crypto/keyring.ts";
import { NO_ID, type Database, type TenantTx } from "../../platform/db/database.ts";
import { AppError } from "../../platform/errors.ts";
import { JobRunner, type StepsHandler } from "../../platform/jobs/job-runner.ts";
import { enqueueOrJoinSteps, findJob, listJobs, presentJob, type JobStatusView } from "../../platform/jobs/jobs.ts";
import { audit } from "../audit/audit-service.ts";
import { countTicketsToIndex, ticketsToIndex } from "../tickets/tickets-service.ts";
import { peopleReindexers } from "./people-service.ts";
import type { Reindexer } from "./reindexer.ts";
import { languagesForWrite, rebuildTicket } from "./search-index.ts";
import * as repo from "./search-repo.ts";

/**
 * The search index's rebuild, a resumable job (`search.reindex`): after a change of languages
 * (started by it), a restore from an older version's backup, or a change of the blind-index key
 * (`vaultdesk search reindex`). It runs a list of reindexers one after the other; each goes over
 * its rows in batches ordered by id, one transaction per batch, and the position is saved in the
 * job's state in the batch's transaction, so after a crash or restart the job goes on from the
 * last batch that committed. A batch locks its rows, deletes their entries and adds them again:
 * a row is never half-indexed, and writes meanwhile keep indexing through the writer's hook with
 * the settings of the moment. One unfinished reindex per tenant: a second request joins it, a
 * change of languages starts it over.
 */

export const REINDEX_JOB = "search.reindex";
/** Tickets per batch (VAULTDESK_REINDEX_BATCH overrides it, e.g. for tests of resumption). */
const DEFAULT_BATCH = 200;
/** A job whose every try stopped for reasons not its own (crash, database down) fails after this many. */
const MAX_ATTEMPTS = 10;

function batchSize(): number {
  const n = Number(process.env.VAULTDESK_REINDEX_BATCH);
  return Number.isInteger(n) && n >= 1 && n <= 10_000 ? n : DEFAULT_BATCH;
}


/** Ticket subjects and comments (public and internal documents, as the conversation writer's hook makes them). */
const ticketContent: Reindexer = {
  name: "tickets",
  count: countTicketsToIndex,
  async batch(ctx, after, size) {
    const tickets = await ticketsToIndex(ctx, after, size);
    const languages = await languagesForWrite(ctx);
    for (const t of tickets) await rebuildTicket(ctx, t, languages);
    const last = tickets[tickets.length - 1];
    return last ? { done: tickets.length, last: last.id } : undefined;
  },
};

/** What the job goes over, in order: ticket content, then people's and organizations' names. */
const reindexers: Reindexer[] = [ticketContent, ...peopleReindexers];

/** Adds a kind of index entry to the rebuild (run after those before it; its name must be new). */
export function addReindexer(r: Reindexer): void {
  if (reindexers.some((x) => x.name === r.name)) throw new Error(`reindexer ${r.name} exists already`);
  reindexers.push(r);
}

/** Why the rebuild was asked for (shown nowhere but the audit trail's action names). */
export type ReindexReason = "languages" | "operator";
type Input = { reason: ReindexReason };
/** Where the job stands: which reindexer, after which id, rows done and the total at the start. */
type State = { phase: number; after: string; done: number; total: number };

export const reindexHandler: StepsHandler<Input, State> = {
  kind: "steps",
  type: REINDEX_JOB,
  visible: true,
  async step(ctx, _input, state) {
    // The runner holds the job's row; each batch locks its rows, then reads the languages FOR
    // SHARE like a write: a change of languages waits for the batch, then starts the job over.
    let s = state;
    if (!s) {
      let total = 0;
      for (const r of reindexers) total += await r.count(ctx);
      s = { phase: 0, after: NO_ID, done: 0, total };
    }
    const size = batchSize();
    while (s.phase < reindexers.length) {
      const r = await reindexers[s.phase]!.batch(ctx, s.after, size);
      if (r) {
        const next = { ...s, after: r.last, done: s.done + r.done };
        return { done: false, state: next, progress: next.done, total: Math.max(next.total, next.done) };
      }
      // This reindexer has no rows left: the next one, in the same step.
      s = { ...s, phase: s.phase + 1, after: NO_ID };
    }
    audit(ctx, { action: "search_index.reindexed", resourceType: "search_index", resourceId: "search_index", fields: reindexers.map((r) => r.name) });
    return { done: true, progress: s.done, total: Math.max(s.total, s.done), results: [{ index: 0, action: "reindex", success: true, status: "Completed", rows: s.done }] };
  },
};

/**
 * Asks for a rebuild of the tenant's search index, in the caller's transaction: a new job, or the
 * unfinished one (joined; started over from the beginning when `restart`: the languages changed).
 * Audited when it queues or restarts a job. Answers the job's status.
 */
export async function requestReindex(ctx: RequestContext, o: { reason: ReindexReason; restart: boolean; createdBy: string | null }): Promise<JobStatusView & { joined: boolean }> {
  // One request at a time per tenant (a change of languages holds the lock already).
  await repo.lockReindexRequests(ctx.tx);
  const r = await enqueueOrJoinSteps(ctx, { type: REINDEX_JOB, input: { reason: o.reason }, createdBy: o.createdBy, maxAttempts: MAX_ATTEMPTS, restart: o.restart });
  if (r.created || r.restarted) audit(ctx, { action: r.created ? "search_index.reindex_started" : "search_index.reindex_restarted", resourceType: "search_index", resourceId: "search_index", fields: [o.reason] });
  const job = (await findJob(ctx.tx, r.id))!;
  return { ...presentJob(ctx, job), joined: !r.created };
}

/** A reindex job's status (the operator's command follows it); undefined when there is none of that id. */
export async function reindexStatus(ctx: RequestContext, jobId: string): Promise<JobStatusView | undefined> {
  const j = await findJob(ctx.tx, jobId);
  return j && j.job_type === REINDEX_JOB ? presentJob(ctx, j) : undefined;
}

/** The tenant's most recent reindex job, if any (the settings page shows it). */
export async function latestReindex(ctx: RequestContext): Promise<JobStatusView | undefined> {
  const [j] = await listJobs(ctx.tx, [REINDEX_JOB], 1);
  return j ? presentJob(ctx, j) : undefined;
}

type OperatorDeps = { db: Database; keyring: Keyring; now?: (() => Date) | undefined };

const operatorCtx = (deps: OperatorDeps, tx: TenantTx, sealer: TenantSealer) => makeContext({ tx, sealer, actor: { kind: "operator" }, now: deps.now ?? (() => new Date()) });

/** The operator's `search reindex`: queues the tenant's rebuild, or joins the unfinished one (audited as the operator when it queues one). */
export async function reindexByOperator(deps: OperatorDeps, tenantId: string): Promise<JobStatusView & { joined: boolean }> {
  return deps.db.tenant(tenantId, async (tx) => requestReindex(operatorCtx(deps, tx, await deps.keyring.sealerFor(tx)), { reason: "operator", restart: false, createdBy: null }));
}

/** The status of a tenant's reindex job, for the operator; undefined when there is none of that id. */
export async function reindexStatusForOperator(deps: OperatorDeps, tenantId: string, jobId: string): Promise<JobStatusView | undefined> {
  return deps.db.tenant(tenantId, async (tx) => reindexStatus(operatorCtx(deps, tx, await deps.keyring.sealerFor(tx)), jobId));
}

const FINISHED = new Set(["completed", "failed"]);

/**
 * Runs a queued reindex job in this process (an operator command that opened the installation
 * itself: no server holds it), reporting its status after each step, until it has finished. A
 * job runner of this one kind does it, so leases, resumption and a server started meanwhile (on
 * PostgreSQL) behave as they do in a server.
 */
export async function runReindexHere(
  deps: OperatorDeps & { log: { warn(obj: object, msg: string): void } },
  tenantId: string,
  jobId: string,
  onProgress: (s: JobStatusView) => void,
): Promise<JobStatusView> {
  const runner = new JobRunner(deps.db, deps.keyring, deps.log, { workers: 1, pollMs: 1000, leaseMs: 60_000, ...(deps.now ? { now: deps.now } : {}) });
  runner.define(reindexHandler);
  runner.start();
  try {
    for (;;) {
      runner.wake(tenantId);
      const s = await reindexStatusForOperator(deps, tenantId, jobId);
      if (!s) throw new AppError("RecordNotFound", { description: "the reindex job is gone" });
      onProgress(s);
      if (FINISHED.has(s.status)) return s;
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await runner.stop();
  }
}
