import crypto from "node:crypto";
import os from "node:os";
import { makeContext, type Actor, type RequestContext } from "../context.ts";
import type { Keyring, TenantSealer } from "../crypto/keyring.ts";
import type { Database, TenantTx } from "../db/database.ts";
import type { Hooks } from "../hooks.ts";
import { AppError } from "../errors.ts";
import * as repo from "./jobs-repo.ts";
import { JOBS_QUEUED, payloadRef } from "./jobs.ts";

type Log = { warn(obj: object, msg: string): void };
export type ItemResult = Record<string, unknown>;

/**
 * A job of items (update_many, create_many): each item runs in a transaction of its own, as the
 * job's creator with their permissions as they are at that moment. The item's writes, its result
 * and the job's progress commit together, so an item is done exactly once: after a crash the job
 * goes on from the first item whose transaction did not commit.
 */
export interface ItemsHandler<P> {
  kind: "items";
  type: string;
  /** Shown in the job status API (people follow it); other kinds (mail, links) are internal. */
  visible?: boolean;
  /**
   * Who the items run as: each kind decides, from the job's creator as they are at that moment
   * (an AppError here refuses the item, e.g. when the creator may no longer act).
   */
  actor(ctx: RequestContext, createdBy: string | null): Promise<Actor>;
  /** Does item `index`; an AppError refuses the item (recorded with failedItem), anything else retries the job later. */
  runItem(ctx: RequestContext, input: P, index: number): Promise<ItemResult>;
  failedItem(input: P, index: number, err: AppError): ItemResult;
}

/**
 * A job with an effect outside the database (sending mail): run, and on failure tried again after
 * `retryDelayMs(attempts)` until it answers undefined. The effect and the record of its success
 * cannot commit together: a process that dies between them does it again (at least once).
 */
export interface EffectHandler<P> {
  kind: "effect";
  type: string;
  run(input: P, at: { tenantId: string }): Promise<void>;
  retryDelayMs(failedAttempts: number): number | undefined;
  /** True when doing it is no longer worth anything (e.g. the link in the mail has expired). */
  expired?(input: P, now: Date): boolean;
  /**
   * Asked in a transaction of the tenant (as the system) right before each attempt: true when the
   * effect must not happen any more because of what changed since it was queued (a notification
   * to a person whose processing has been restricted meanwhile). The job then ends, failed with
   * `failed("withheld")`, in that transaction: what the check records (an audit entry) commits with it.
   */
  withheld?(ctx: RequestContext, input: P): Promise<boolean>;
  succeeded: ItemResult;
  failed(reason: "expired" | "undeliverable" | "withheld"): ItemResult;
  /**
   * Called in the transaction that records the job as failed after its last attempt (not when it
   * expired), with the payload as stored then (rewritten, perhaps, during the attempt) before it is
   * cleared: to keep what must not be lost (undelivered mail for admins to send again).
   */
  gaveUp?(at: { tx: TenantTx; sealer: TenantSealer; now: Date; attempts: number }, input: P): Promise<void>;
}

/**
 * A job of steps (a sweep over a tenant's rows in batches): each step runs in a transaction of its
 * own with the job's state, which is sealed with its input. The step's writes, the new state and
 * the progress commit together, so after a crash or restart the job goes on from the last step
 * that committed. The state is read again under the job's row lock at every step: a restart
 * (jobs.ts restartSteps) committed by someone else is seen by the next step.
 */
export interface StepsHandler<P, S> {
  kind: "steps";
  type: string;
  /** Shown in the job status API (people follow it). */
  visible?: boolean;
  /** One step, as the system, in the step's transaction; `state` is undefined at the start (or after a restart). */
  step(ctx: RequestContext, input: P, state: S | undefined): Promise<StepOutcome<S>>;
}

/** After a step: where the job stands (progress out of total), and its state for the next step, or its results when done. */
export type StepOutcome<S> = { done: false; state: S; progress: number; total: number } | { done: true; progress: number; total: number; results: ItemResult[] };

/** What a steps job's payload holds: where the request came from, the input, and the state. */
export type StepsPayload<P, S> = { ip: string | null; apiBase: string; input: P; state?: S | undefined };

// any: a handler's input and state types are its own; the runner only passes them through.
type Handler = ItemsHandler<any> | EffectHandler<any> | StepsHandler<any, any>;

/** What an items job's payload holds besides its input: where the request came from. */
export type ItemsPayload<P> = { ip: string | null; apiBase: string; input: P };

export type JobRunnerOptions = {
  /** Jobs one process works on at a time; 0: this process runs none (others do). */
  workers: number;
  /** How often to look for work that no commit in this process announced. */
  pollMs: number;
  /** How long a claim lasts without renewal; another process may take the job over after that. */
  leaseMs: number;
  /** Finished jobs older than this are removed (checked at most every PURGE_EVERY_MS); unset: kept. */
  retentionMs?: number;
  /** The deployment's clock (expiry of effects, retention). */
  now?: () => Date;
  /** The app's hooks, carried by the contexts items run in. */
  hooks?: Hooks<RequestContext>;
};

/**
 * Upkeep a module asks for (removing expired uploads, files no row names): run by every process
 * that runs jobs, first at start, then whenever `everyMs` has passed on the deployment's clock.
 * Each run must be safe beside the same run in another process (small transactions, idempotent).
 */
/**
 * Upkeep beside the jobs, every `everyMs` in each server process; `shared`: once per period across
 * all of them (the process that takes the turn in maintenance_turns runs it).
 */
/** The upkeep tasks of a process: listed, and one run now by the operator (`vaultdesk upkeep`). */
export interface Upkeep {
  names(): string[];
  run(name: string): Promise<boolean>;
}

export type MaintenanceTask = { name: string; everyMs: number; shared?: boolean; run(now: Date): Promise<void> };

/** How often a process removes finished jobs past their retention. */
const PURGE_EVERY_MS = 10 * 60_000;

/**
 * Runs the durable jobs of job_statuses (0009_jobs.sql) in the server process.
 *
 * - Finding work crosses tenants only through `vd_jobs_due` (tenant ids, never payloads); each
 *   job is claimed and worked on inside `db.tenant(tenantId, …)`, under row-level security.
 * - A claim locks the row with FOR UPDATE SKIP LOCKED and leases the job to this process; each
 *   item's transaction re-checks the lease and the progress under the row lock, so two processes
 *   never do the same item, and a job whose process died is taken over when its lease ends. On
 *   the embedded database one process owns the data folder, so leases of earlier processes are
 *   taken over at once.
 * - A commit that queued a job wakes the runner at once; a sweep every `pollMs` picks up the rest
 *   (jobs queued by other processes, retries that are due, jobs left by a crash).
 * - stop() lets the item under way finish and puts the job back in the queue.
 */
export class JobRunner {
  readonly worker = `${os.hostname().slice(0, 40)}:${process.pid}:${crypto.randomBytes(4).toString("hex")}`;
  private readonly handlers = new Map<string, Handler>();
  private readonly wanted = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private active = 0;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  private poll: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private lastPurge = 0;
  private readonly maintenance: Array<{ task: MaintenanceTask; lastRun: number | undefined }> = [];
  private maintaining: Promise<void> | undefined;
  /** On the embedded database only this process can hold a live lease. */
  private readonly exclusive: boolean;

  constructor(
    private readonly db: Database,
    private readonly keyring: Keyring,
    private readonly log: Log,
    private readonly opts: JobRunnerOptions,
  ) {
    this.exclusive = db.kind === "pglite";
    this.now = opts.now ?? (() => new Date());
  }

  private readonly now: () => Date;

  define(handler: Handler): void {
    this.handlers.set(handler.type, handler);
  }

  /** Adds upkeep to run beside the jobs (see MaintenanceTask). */
  maintain(task: MaintenanceTask): void {
    this.maintenance.push({ task, lastRun: undefined });
  }

  /** The names of the upkeep tasks, in the order they run. */
  upkeepNames(): string[] {
    return this.maintenance.map((m) => m.task.name);
  }

  /**
   * Runs one upkeep task now, in this process, once any upkeep pass under way here has finished
   * (the operator's `vaultdesk upkeep run`, after downtime). Its regular turn is left as it was; a
   * shared task may meanwhile run in another process, which the tasks allow (each checks its
   * work again in the transaction that does it). False when there is no task of that name.
   */
  async runUpkeepNow(name: string): Promise<boolean> {
    const m = this.maintenance.find((x) => x.task.name === name);
    if (!m) return false;
    while (this.maintaining) await this.maintaining;
    const run = m.task.run(this.now());
    const guard: Promise<void> = run.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      if (this.maintaining === guard) this.maintaining = undefined;
    });
    this.maintaining = guard;
    await run;
    return true;
  }

  /** The kinds of job people follow through the job status API. */
  visibleTypes(): string[] {
    return [...this.handlers.values()].filter((h) => (h.kind === "items" || h.kind === "steps") && h.visible === true).map((h) => h.type);
  }

  /**
   * The kinds of job people may cancel (jobs-service.ts cancelJobStatus): the visible jobs of
   * items (bulk ticket changes), which stop between two items. A job of steps (the search
   * index's rebuild) keeps an index whole and is never cut short by hand.
   */
  cancellableTypes(): string[] {
    return [...this.handlers.values()].filter((h) => h.kind === "items" && h.visible === true).map((h) => h.type);
  }

  start(): this {
    if (this.opts.workers <= 0) return this;
    this.unsubscribe = this.db.onTenantCommit((tenantId, bag) => {
      if (bag.has(JOBS_QUEUED)) this.wake(tenantId);
    });
    this.poll = setInterval(() => void this.sweep(), this.opts.pollMs);
    this.poll.unref();
    void this.sweep();
    return this;
  }

  /** Looks for due jobs of the tenant soon. */
  wake(tenantId: string): void {
    if (this.stopped || this.opts.workers <= 0) return;
    this.wanted.add(tenantId);
    this.pump();
  }

  /** Finds tenants with jobs no live process holds (any process's) and wakes for them. */
  async sweep(): Promise<void> {
    if (this.stopped || this.sweeping) return this.sweeping;
    this.sweeping = (async () => {
      try {
        if (this.opts.retentionMs !== undefined && Date.now() - this.lastPurge >= PURGE_EVERY_MS) {
          this.lastPurge = Date.now();
          await this.purge(this.opts.retentionMs);
        }
        this.maintainSoon();
        const rows = await this.db.system((c) => repo.dueTenants(c, [...this.handlers.keys()], this.worker, this.exclusive, 200));
        const now = this.now().getTime();
        for (const r of rows) {
          const wait = new Date(r.next_run).getTime() - now;
          if (wait <= 0) this.wake(r.tenant_id);
          else if (wait < this.opts.pollMs) this.wakeLater(r.tenant_id, wait);
        }
      } catch (err) {
        if (!this.stopped) this.log.warn({ err: errorName(err) }, "job runner: sweep failed; retrying at the next sweep");
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  /** Starts the upkeep that is due, unless a run is under way (it never holds up the jobs). */
  private maintainSoon(): void {
    if (this.maintaining || this.stopped) return;
    const now = this.now();
    const due = this.maintenance.filter((m) => m.lastRun === undefined || now.getTime() - m.lastRun >= m.task.everyMs);
    if (due.length === 0) return;
    this.maintaining = (async () => {
      for (const m of due) {
        if (this.stopped) break;
        m.lastRun = now.getTime();
        try {
          if (m.task.shared && !(await this.db.system((c) => repo.takeTurn(c, m.task.name, m.task.everyMs, now)))) continue;
          await m.task.run(now);
        } catch (err) {
          if (!this.stopped) this.log.warn({ task: m.task.name, err: errorName(err) }, "job runner: upkeep failed; trying again at its next turn");
        }
      }
    })().finally(() => (this.maintaining = undefined));
  }

  /** Removes finished jobs (every tenant's) that ended more than `retentionMs` ago; returns how many. */
  async purge(retentionMs: number): Promise<number> {
    const before = new Date(this.now().getTime() - retentionMs);
    let removed = 0;
    // In batches, so a large backlog never holds many row locks in one transaction.
    for (;;) {
      const n = await this.db.system((c) => repo.purgeFinished(c, before, 1000));
      removed += n;
      if (n < 1000 || this.stopped) return removed;
    }
  }

  /** Waits until no job is being worked on in this process (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.sweeping || this.maintaining) {
      await this.sweeping;
      await this.maintaining;
      await Promise.all([...this.running]);
    }
  }

  /** Stops taking work; the item under way finishes and its job goes back to the queue. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.poll) clearInterval(this.poll);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.idle();
  }

  private wakeLater(tenantId: string, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.wake(tenantId);
    }, Math.max(1, ms));
    t.unref();
    this.timers.add(t);
  }

  private pump(): void {
    while (!this.stopped && this.active < this.opts.workers && this.wanted.size > 0) {
      const tenantId = this.wanted.values().next().value as string;
      this.wanted.delete(tenantId);
      this.active++;
      const run: Promise<void> = this.runNext(tenantId)
        .catch((err: unknown) => {
          if (!this.stopped) this.log.warn({ err: errorName(err), tenant: tenantId }, "job runner: claiming a job failed; retrying at the next sweep");
        })
        .finally(() => {
          this.active--;
          this.running.delete(run);
          this.pump();
        });
      this.running.add(run);
    }
  }

  /** Claims one due job of the tenant and works on it. */
  private async runNext(tenantId: string): Promise<void> {
    const claimed = await this.db.tenant(tenantId, async (tx) => {
      const job = await repo.claimNext(tx, [...this.handlers.keys()], this.worker, this.opts.leaseMs, this.exclusive);
      if (!job) return undefined;
      const sealer = await this.keyring.sealerFor(tx);
      const payload: unknown = job.payload_sealed ? sealer.openJson(job.payload_sealed, payloadRef(job.id)) : undefined;
      return { job, payload };
    });
    if (!claimed) return;
    // The tenant may have more due jobs: let another worker look.
    this.wake(tenantId);
    const { job, payload } = claimed;
    const handler = this.handlers.get(job.job_type);
    try {
      if (!handler || payload === undefined) {
        // Only kinds this process defined are claimed; a job without its input cannot run.
        await this.finish(tenantId, job.id, "failed", "This job cannot be run.");
        return;
      }
      if (handler.kind === "items") await this.runItems(tenantId, job, handler, payload as ItemsPayload<unknown>);
      else if (handler.kind === "steps") await this.runSteps(tenantId, job, handler);
      else await this.runEffect(tenantId, job, handler, payload);
    } catch (err) {
      // Not the item's fault (database unreachable, a bug): the job goes back to the queue with a
      // growing delay, and fails as a whole after max_attempts. The lease covers the case where
      // even that cannot be written.
      const last = job.attempts >= job.max_attempts;
      this.log.warn({ err: errorName(err), tenant: tenantId, job: job.id, type: job.job_type, attempt: job.attempts }, last ? "job failed" : "job interrupted; it will be retried");
      if (this.stopped) return;
      await (last
        ? this.finish(tenantId, job.id, "failed", "The job could not be completed.")
        : this.release(tenantId, job.id, Math.min(60_000, 1000 * 2 ** job.attempts), "Retrying")
      ).catch(() => undefined);
      if (!last) this.wakeLater(tenantId, Math.min(60_000, 1000 * 2 ** job.attempts));
    }
  }

  private async runItems(tenantId: string, job: repo.JobRow, handler: ItemsHandler<unknown>, payload: ItemsPayload<unknown>): Promise<void> {
    for (let index = job.progress; index < job.total; index++) {
      if (this.stopped) {
        await this.release(tenantId, job.id, 0, null);
        return;
      }
      const item = async (fn: (ctx: RequestContext) => Promise<ItemResult>) =>
        this.db.tenant(tenantId, async (tx) => {
          if (!(await repo.holdForItem(tx, job.id, this.worker, index))) return false;
          const ctx = makeContext({
            tx,
            sealer: await this.keyring.sealerFor(tx),
            actor: { kind: "system" },
            requestId: job.request_id || `job-${job.id}`,
            ip: payload.ip ?? undefined,
            apiBase: payload.apiBase,
            now: this.now,
            hooks: this.opts.hooks,
          });
          const result = await fn(ctx);
          await repo.recordItem(tx, job.id, result, this.opts.leaseMs);
          return true;
        });
      let held: boolean;
      try {
        held = await item(async (ctx) => handler.runItem({ ...ctx, actor: await handler.actor(ctx, job.created_by) }, payload.input, index));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        // Refused: the item's writes rolled back; its refusal is recorded in a transaction of its own.
        held = await item(async () => handler.failedItem(payload.input, index, err));
      }
      // Another process took the job over (this one was too slow to renew its lease).
      if (!held) return;
    }
    await this.finish(tenantId, job.id, "completed", "Completed");
  }

  private async runSteps(tenantId: string, job: repo.JobRow, handler: StepsHandler<unknown, unknown>): Promise<void> {
    for (;;) {
      if (this.stopped) {
        await this.release(tenantId, job.id, 0, null);
        return;
      }
      const next = await this.db.tenant(tenantId, async (tx) => {
        const sealed = await repo.holdForStep(tx, job.id, this.worker);
        if (!sealed) return "lost" as const;
        const sealer = await this.keyring.sealerFor(tx);
        const payload = sealer.openJson<StepsPayload<unknown, unknown>>(sealed, payloadRef(job.id));
        const ctx = makeContext({
          tx,
          sealer,
          actor: { kind: "system" },
          requestId: job.request_id || `job-${job.id}`,
          ip: payload.ip ?? undefined,
          apiBase: payload.apiBase,
          now: this.now,
          hooks: this.opts.hooks,
        });
        const out = await handler.step(ctx, payload.input, payload.state);
        const state = out.done ? payload.state : out.state;
        await repo.saveStep(tx, job.id, sealer.sealJson({ ...payload, state }, payloadRef(job.id)), out.progress, out.total, this.opts.leaseMs);
        if (!out.done) return "more" as const;
        await repo.finishJob(tx, job.id, this.worker, { status: "completed", message: "Completed", results: out.results });
        return "done" as const;
      });
      // Done, or another process took the job over (this one was too slow to renew its lease).
      if (next !== "more") return;
    }
  }

  private async runEffect(tenantId: string, job: repo.JobRow, handler: EffectHandler<unknown>, payload: unknown): Promise<void> {
    if (handler.expired?.(payload, this.now())) {
      this.log.warn({ tenant: tenantId, job: job.id, type: job.job_type, attempt: job.attempts }, "job expired before it could be done");
      await this.finish(tenantId, job.id, "failed", "Expired before it could be done.", [handler.failed("expired")]);
      return;
    }
    const withheld = handler.withheld;
    if (withheld) {
      const stop = await this.db.tenant(tenantId, async (tx) => {
        const ctx = makeContext({ tx, sealer: await this.keyring.sealerFor(tx), actor: { kind: "system" }, requestId: job.request_id || `job-${job.id}`, now: this.now, hooks: this.opts.hooks });
        if (!(await withheld(ctx, payload))) return false;
        await repo.finishJob(tx, job.id, this.worker, { status: "failed", message: "Withheld: no longer to be done.", results: [handler.failed("withheld")] });
        return true;
      });
      if (stop) return;
    }
    try {
      await handler.run(payload, { tenantId });
    } catch (err) {
      const delay = job.attempts < job.max_attempts ? handler.retryDelayMs(job.attempts) : undefined;
      // Only the error's class and code: messages may quote addresses.
      this.log.warn({ err: errorName(err), tenant: tenantId, job: job.id, type: job.job_type, attempt: job.attempts }, delay === undefined ? "job failed: no attempts left" : "job attempt failed; it will be retried");
      if (delay === undefined) {
        const gaveUp = handler.gaveUp;
        await this.db.tenant(tenantId, async (tx) => {
          // The payload as it is now, not as claimed: it may have been rewritten during the attempt (mail-job.ts reviseMailAbout).
          const current = gaveUp ? await repo.holdForStep(tx, job.id, this.worker) : undefined;
          const finished = await repo.finishJob(tx, job.id, this.worker, { status: "failed", message: "Failed after every attempt.", results: [handler.failed("undeliverable")] });
          if (finished && gaveUp && current) {
            const sealer = await this.keyring.sealerFor(tx);
            await gaveUp({ tx, sealer, now: this.now(), attempts: job.attempts }, sealer.openJson(current, payloadRef(job.id)));
          }
        });
      } else {
        await this.release(tenantId, job.id, delay, "Retrying");
        this.wakeLater(tenantId, delay);
      }
      return;
    }
    await this.finish(tenantId, job.id, "completed", "Completed", [handler.succeeded]);
  }

  private finish(tenantId: string, id: string, status: "completed" | "failed", message: string, results?: ItemResult[]): Promise<boolean> {
    return this.db.tenant(tenantId, (tx) => repo.finishJob(tx, id, this.worker, { status, message, ...(results ? { results } : {}) }));
  }

  private release(tenantId: string, id: string, delayMs: number, message: string | null): Promise<void> {
    return this.db.tenant(tenantId, (tx) => repo.releaseJob(tx, id, this.worker, delayMs, message));
  }
}

/** Only the error's class and code reach the log: messages may quote SQL or addresses. */
function errorName(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { name?: unknown; code?: unknown };
    return `${String(e.name ?? "Error")}${e.code ? ` ${String(e.code)}` : ""}`;
  }
  return "Error";
}
