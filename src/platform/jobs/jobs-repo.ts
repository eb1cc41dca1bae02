import { sql } from "kysely";
import type { Conn, TenantTx } from "../db/database.ts";

/** The job store (job_statuses, 0009_jobs.sql). Every query runs in the job's tenant context. */

export type JobRow = {
  id: string;
  job_type: string;
  status: "queued" | "working" | "completed" | "failed" | "killed";
  total: number;
  progress: number;
  results: unknown[];
  payload_sealed: Uint8Array | null;
  created_by: string | null;
  request_id: string;
  attempts: number;
  max_attempts: number;
  message: string | null;
};

const JOB_COLUMNS = ["id", "job_type", "status", "total", "progress", "results", "payload_sealed", "created_by", "request_id", "attempts", "max_attempts", "message"] as const;

export async function insertJob(
  tx: TenantTx,
  j: { id: string; job_type: string; total: number; payload_sealed: Uint8Array; created_by: string | null; request_id: string; max_attempts: number; run_after?: Date; ticket_id?: string },
): Promise<void> {
  await tx.db
    .insertInto("job_statuses")
    .values({
      tenant_id: tx.tenantId,
      id: j.id,
      job_type: j.job_type,
      status: "queued",
      total: j.total,
      progress: 0,
      results: "[]",
      payload_sealed: j.payload_sealed,
      created_by: j.created_by,
      request_id: j.request_id,
      max_attempts: j.max_attempts,
      ...(j.run_after ? { run_after: j.run_after } : {}),
      ...(j.ticket_id ? { ticket_id: j.ticket_id } : {}),
      updated_at: sql`now()`,
    })
    .execute();
}

export const findJob = (tx: TenantTx, id: string) =>
  tx.db
    .selectFrom("job_statuses")
    .select(["id", "job_type", "status", "total", "progress", "results", "message", "created_by", "created_at", "finished_at"])
    .where("tenant_id", "=", tx.tenantId)
    .where("id", "=", id)
    .executeTakeFirst();

/** The tenant's jobs of the given types, newest first (with `createdBy`, only those that person started). */
export const listJobs = (tx: TenantTx, types: readonly string[], limit: number, createdBy?: string) =>
  tx.db
    .selectFrom("job_statuses")
    .select(["id", "job_type", "status", "total", "progress", "results", "message", "created_by", "created_at", "finished_at"])
    .where("tenant_id", "=", tx.tenantId)
    .where("job_type", "in", [...types])
    .$if(createdBy !== undefined, (q) => q.where("created_by", "=", createdBy!))
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();

/** Tenants with due work, across tenants (owner role, through vd_jobs_due: ids only). */
export async function dueTenants(owner: Conn, types: readonly string[], worker: string, ignoreLeases: boolean, limit: number): Promise<Array<{ tenant_id: string; next_run: Date }>> {
  const r = await sql<{ tenant_id: string; next_run: Date }>`SELECT tenant_id, next_run FROM vd_jobs_due(${[...types]}::text[], ${ignoreLeases}, ${worker}, ${limit})`.execute(owner);
  return r.rows;
}

/** Deletes up to `limit` finished jobs (any tenant's) that ended before `before` (owner role, through vd_jobs_purge). */
export async function purgeFinished(owner: Conn, before: Date, limit: number): Promise<number> {
  const r = await sql<{ n: number }>`SELECT vd_jobs_purge(${before}, ${limit}) AS n`.execute(owner);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * Claims the tenant's oldest due job of the given types (those this process can run): the row is locked with SKIP LOCKED (a job another process is
 * claiming or working on an item of is passed over) and leased to `worker` for `leaseMs`.
 */
export async function claimNext(tx: TenantTx, types: readonly string[], worker: string, leaseMs: number, ignoreLeases: boolean): Promise<JobRow | undefined> {
  const r = await sql<JobRow>`
    UPDATE job_statuses j SET status = 'working', attempts = j.attempts + 1, locked_by = ${worker},
      locked_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
    WHERE j.tenant_id = ${tx.tenantId} AND j.id = (
      SELECT c.id FROM job_statuses c
      WHERE c.tenant_id = ${tx.tenantId} AND c.job_type = ANY (${[...types]}::text[]) AND c.status IN ('queued', 'working') AND c.run_after <= now()
        AND (c.locked_until IS NULL OR c.locked_until < now() OR (${ignoreLeases} AND c.locked_by IS DISTINCT FROM ${worker}))
      ORDER BY c.run_after, c.created_at LIMIT 1
      FOR UPDATE SKIP LOCKED)
    RETURNING ${sql.join(JOB_COLUMNS.map((c) => sql.ref(`j.${c}`)))}`.execute(tx.db);
  return r.rows[0];
}

/**
 * Locks the job for one item's transaction and checks that `worker` still holds it and that the
 * item is the next one: false when the lease was taken over (the item is then someone else's).
 */
export async function holdForItem(tx: TenantTx, id: string, worker: string, index: number): Promise<boolean> {
  const r = await sql<{ ok: boolean }>`
    SELECT (locked_by = ${worker} AND progress = ${index} AND status = 'working') AS ok FROM job_statuses
    WHERE tenant_id = ${tx.tenantId} AND id = ${id} FOR UPDATE`.execute(tx.db);
  return r.rows[0]?.ok === true;
}

/** Records one item's result and moves progress on, renewing the lease. */
export async function recordItem(tx: TenantTx, id: string, result: unknown, leaseMs: number): Promise<void> {
  await sql`
    UPDATE job_statuses SET progress = progress + 1, results = results || ${JSON.stringify([result])}::jsonb,
      locked_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
    WHERE tenant_id = ${tx.tenantId} AND id = ${id}`.execute(tx.db);
}

/** Ends a job held by `worker`: the payload is cleared, the lease released. */
export async function finishJob(
  tx: TenantTx,
  id: string,
  worker: string,
  f: { status: "completed" | "failed"; message: string; results?: unknown[] },
): Promise<boolean> {
  const r = await sql`
    UPDATE job_statuses SET status = ${f.status}, message = ${f.message}, payload_sealed = NULL, locked_by = NULL,
      locked_until = NULL, finished_at = now(), updated_at = now()
      ${f.results ? sql`, results = ${JSON.stringify(f.results)}::jsonb, progress = total` : sql``}
    WHERE tenant_id = ${tx.tenantId} AND id = ${id} AND locked_by = ${worker} AND status = 'working'`.execute(tx.db);
  return Number(r.numAffectedRows ?? 0) > 0;
}

/**
 * Cancels a job not finished yet (Zendesk's `killed`): its payload cleared and its lease released,
 * so the worker holding it stops before its next item (`holdForItem`) and none of its later
 * writes (`finishJob`, `releaseJob`: `locked_by` is no longer it) apply. Waits for an item under
 * way, whose transaction holds the row: that item is done, none after it. False when it had
 * already finished, or when every item is done (`progress = total`: only the worker's
 * `finishJob` is left, and the job ends `completed`, never `killed` with nothing cancelled). The
 * condition is checked on the row as the item under way left it (PostgreSQL re-reads a row it
 * waited for before updating it), so a cancellation that waited for the last item finds nothing
 * left to cancel. Only for jobs of items, whose total is known when they are queued.
 */
export async function cancelJob(tx: TenantTx, id: string, message: string): Promise<boolean> {
  const r = await sql`
    UPDATE job_statuses SET status = 'killed', message = ${message}, payload_sealed = NULL, locked_by = NULL,
      locked_until = NULL, finished_at = now(), updated_at = now()
    WHERE tenant_id = ${tx.tenantId} AND id = ${id} AND status IN ('queued', 'working') AND progress < total`.execute(tx.db);
  return Number(r.numAffectedRows ?? 0) > 0;
}

/** Puts a job held by `worker` back in the queue, to run again after `delayMs` (0: at once). */
export async function releaseJob(tx: TenantTx, id: string, worker: string, delayMs: number, message: string | null): Promise<void> {
  await sql`
    UPDATE job_statuses SET status = 'queued', locked_by = NULL, locked_until = NULL, message = ${message},
      run_after = now() + make_interval(secs => ${delayMs / 1000}), updated_at = now()
    WHERE tenant_id = ${tx.tenantId} AND id = ${id} AND locked_by = ${worker}`.execute(tx.db);
}

/**
 * Takes a shared upkeep task's turn (maintenance_turns, 0038): true when this process moved the
 * task's last run to `now` because the previous one was at least `everyMs` ago (or there was none).
 * Two processes asking at once: one row update wins, the other sees the moved turn.
 */
export async function takeTurn(owner: Conn, name: string, everyMs: number, now: Date): Promise<boolean> {
  const due = new Date(now.getTime() - everyMs);
  const r = await sql<{ name: string }>`
    INSERT INTO maintenance_turns (name, last_run) VALUES (${name}, ${now})
    ON CONFLICT (name) DO UPDATE SET last_run = EXCLUDED.last_run WHERE maintenance_turns.last_run <= ${due}
    RETURNING name`.execute(owner);
  return r.rows.length === 1;
}

/**
 * Locks the job for one step's transaction and answers its sealed payload (input and state) when
 * `worker` still holds it; undefined when the lease was taken over.
 */
export async function holdForStep(tx: TenantTx, id: string, worker: string): Promise<Uint8Array | undefined> {
  const r = await sql<{ payload_sealed: Uint8Array | null; ok: boolean }>`
    SELECT payload_sealed, (locked_by = ${worker} AND status = 'working') AS ok FROM job_statuses
    WHERE tenant_id = ${tx.tenantId} AND id = ${id} FOR UPDATE`.execute(tx.db);
  const row = r.rows[0];
  return row?.ok === true && row.payload_sealed ? row.payload_sealed : undefined;
}

/** Records a step: the new sealed payload (with its state) and the progress, renewing the lease. */
export async function saveStep(tx: TenantTx, id: string, payload: Uint8Array, progress: number, total: number, leaseMs: number): Promise<void> {
  await sql`
    UPDATE job_statuses SET payload_sealed = ${payload}, progress = ${Math.max(0, progress)}, total = ${Math.max(0, total, progress)},
      locked_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
    WHERE tenant_id = ${tx.tenantId} AND id = ${id}`.execute(tx.db);
}

/** The tenant's unfinished job of a type (the newest), its row locked until the transaction ends. */
export async function lockUnfinished(tx: TenantTx, type: string): Promise<{ id: string; payload_sealed: Uint8Array | null; status: string } | undefined> {
  const r = await sql<{ id: string; payload_sealed: Uint8Array | null; status: string }>`
    SELECT id, payload_sealed, status FROM job_statuses
    WHERE tenant_id = ${tx.tenantId} AND job_type = ${type} AND status IN ('queued', 'working')
    ORDER BY created_at DESC LIMIT 1 FOR UPDATE`.execute(tx.db);
  return r.rows[0];
}

/** Rewrites an unfinished job's payload and puts its progress back to zero (a restart from the beginning). */
export async function restartJob(tx: TenantTx, id: string, payload: Uint8Array, message: string): Promise<void> {
  await sql`
    UPDATE job_statuses SET payload_sealed = ${payload}, progress = 0, message = ${message}, updated_at = now()
    WHERE tenant_id = ${tx.tenantId} AND id = ${id} AND status IN ('queued', 'working')`.execute(tx.db);
}

/**
 * The tenant's unfinished jobs of a type about some tickets (queued, or in flight), their rows
 * locked until the transaction ends; with them those that say about nothing (queued before 0057,
 * or mail about no ticket: sign-in links, short-lived), for the caller to tell by their sealed payload.
 */
export async function lockUnfinishedAbout(tx: TenantTx, type: string, ticketIds: readonly string[]): Promise<Array<{ id: string; payload_sealed: Uint8Array; status: string }>> {
  const r = await sql<{ id: string; payload_sealed: Uint8Array; status: string }>`
    SELECT id, payload_sealed, status FROM job_statuses
    WHERE tenant_id = ${tx.tenantId} AND (ticket_id = ANY (${[...ticketIds]}::uuid[]) OR ticket_id IS NULL) AND job_type = ${type} AND status IN ('queued', 'working') AND payload_sealed IS NOT NULL
    ORDER BY created_at FOR UPDATE`.execute(tx.db);
  return r.rows;
}

/** Replaces an unfinished job's sealed payload (what its next attempt does). */
export async function replacePayload(tx: TenantTx, id: string, payload: Uint8Array): Promise<void> {
  await sql`
    UPDATE job_statuses SET payload_sealed = ${payload}, updated_at = now()
    WHERE tenant_id = ${tx.tenantId} AND id = ${id} AND status IN ('queued', 'working')`.execute(tx.db);
}

/**
 * Replaces a queued job's sealed payload and when it is next due (`runAfter`): put off while what
 * it is about is away, or due again now (`runAfter` null: the database's now). False when it was not queued.
 */
export async function deferQueued(tx: TenantTx, id: string, payload: Uint8Array, runAfter: Date | null): Promise<boolean> {
  const r = await sql`
    UPDATE job_statuses SET payload_sealed = ${payload}, run_after = ${runAfter === null ? sql`now()` : runAfter}, updated_at = now()
    WHERE tenant_id = ${tx.tenantId} AND id = ${id} AND status = 'queued'`.execute(tx.db);
  return Number(r.numAffectedRows ?? 0) > 0;
}

/** Ends a queued job without running it (failed, with its results); the payload is cleared. False when it was not queued. */
export async function failQueued(tx: TenantTx, id: string, message: string, results: unknown[]): Promise<boolean> {
  const r = await sql`
    UPDATE job_statuses SET status = 'failed', message = ${message}, payload_sealed = NULL, results = ${JSON.stringify(results)}::jsonb,
      progress = total, finished_at = now(), updated_at = now()
    WHERE tenant_id = ${tx.tenantId} AND id = ${id} AND status = 'queued'`.execute(tx.db);
  return Number(r.numAffectedRows ?? 0) > 0;
}
