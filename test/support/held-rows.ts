import { sql, type RawBuilder } from "kysely";
import { expect, inject } from "vitest";
import type { TenantTx } from "../../src/platform/db/database.ts";
import { buildTenant, type TestApp } from "./harness.ts";

/** Whether this run's database is PostgreSQL (several transactions at once) rather than PGlite. */
export const onPostgres = (): boolean => Boolean(inject("postgresUrl"));

/** Deadlocks PostgreSQL has broken in this test's database so far (`pg_stat_database`). */
export const deadlocks = (t: TestApp, tenantId: string): Promise<number> =>
  t.db.tenant(tenantId, async (tx) => Number((await sql<{ n: string }>`SELECT deadlocks AS n FROM pg_stat_database WHERE datname = current_database()`.execute(tx.db)).rows[0]!.n));

/**
 * Backends waiting, directly or in a queue behind another waiter, on the locks of the backend
 * `holder` (requests queued behind the held rows; PostgreSQL queues later waiters on a row behind
 * the first, so only the first is blocked by the holder itself). Waits on anything else (a request
 * briefly blocked by another's session touch) are not counted. (The application's role may not
 * read other sessions' wait events; who blocks whom it may.)
 */
const waitingBehind = (tx: TenantTx, holder: number) =>
  sql<{ n: string }>`
    WITH RECURSIVE behind(pid) AS (
      SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND ${holder}::int = ANY(pg_blocking_pids(pid))
      UNION
      SELECT a.pid FROM pg_stat_activity a JOIN behind b ON b.pid = ANY(pg_blocking_pids(a.pid)) WHERE a.datname = current_database()
    ) SELECT count(*) AS n FROM behind`
    .execute(tx.db)
    .then((r) => Number(r.rows[0]!.n));

/**
 * Sends requests "at once" in a chosen interleaving. On PostgreSQL a transaction of the test
 * locks the rows `hold` selects (`… FOR UPDATE`, run in the tenant's context), then each group of
 * requests is sent together and the next group only once every request sent so far waits on
 * those rows; then the rows are let go. Every request has done whatever it does before that lock
 * (its reads, argon2) by then: the interleaving where all of them read before any writes.
 * Order: the first request to wait on a row is served first and the second after it; beyond
 * two, PostgreSQL does not keep the waiters' order once the first has changed the row (the
 * others race for its new version), so a test that needs one request after another sends
 * those two alone. On the embedded database one transaction runs at a time: each group is sent
 * together, the groups one after the other. Answers in the order sent.
 */
export async function whileRowsHeld<R>(t: TestApp, tenantId: string, hold: RawBuilder<unknown>, groups: (() => Promise<R>)[][]): Promise<R[]> {
  if (!onPostgres()) {
    const answers: R[] = [];
    for (const group of groups) answers.push(...(await Promise.all(group.map((send) => send()))));
    return answers;
  }
  let release!: () => void;
  let reached!: (pid: number) => void;
  const gate = new Promise<void>((r) => (release = r));
  const there = new Promise<number>((r) => (reached = r));
  const holding = t.db.tenant(tenantId, async (tx) => {
    await hold.execute(tx.db);
    reached((await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(tx.db)).rows[0]!.pid);
    await gate;
  });
  const holder = await there;
  // Not a timing: waits for the state where `n` requests are queued on the rows (bounded, to fail clearly).
  const queued = async (n: number) => {
    for (let i = 0; (await t.db.tenant(tenantId, (tx) => waitingBehind(tx, holder))) < n; i++) {
      if (i > 3000) throw new Error(`the ${n} requests did not all come to wait on the held rows`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const pending: Promise<R>[] = [];
  try {
    for (const group of groups) {
      pending.push(...group.map((send) => send()));
      await queued(pending.length);
    }
  } finally {
    release();
    await holding;
  }
  return Promise.all(pending);
}

/**
 * A change to rows (an `UPDATE … RETURNING`) that commits while the requests wait on those rows:
 * on PostgreSQL the change is written by the transaction that holds them and commits when it lets
 * go (each request has read the rows as they were before, and is judged after); on PGlite, one
 * transaction at a time, the change comes first. Answers in the order sent (whileRowsHeld).
 */
export async function whileChangeHeld<R>(t: TestApp, tenantId: string, change: RawBuilder<unknown>, groups: (() => Promise<R>)[][]): Promise<R[]> {
  if (!onPostgres()) await t.db.tenant(tenantId, (tx) => change.execute(tx.db));
  return whileRowsHeld(t, tenantId, change, groups);
}

/**
 * Runs `rounds` (requests at once that once deadlocked) and, on PostgreSQL, expects no deadlock
 * broken meanwhile: PostgreSQL breaks one by rolling back either side, which a route may run again
 * unseen, so the answers alone would not show it. The statistics reach pg_stat_database within
 * about ten seconds of a rolled-back transaction. `name` names the two tenants the counts are read in.
 */
export async function withoutNewDeadlocks(t: TestApp, name: string, rounds: () => Promise<void>): Promise<void> {
  const before = onPostgres() ? await deadlocks(t, (await buildTenant(t, `${name}zero`)).tenantId) : 0;
  await rounds();
  if (!onPostgres()) return;
  await new Promise((r) => setTimeout(r, 11_000));
  expect(await deadlocks(t, (await buildTenant(t, `${name}count`)).tenantId)).toBe(before);
}
