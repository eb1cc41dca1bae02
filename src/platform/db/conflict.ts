/**
 * Transactions that lost a race: PostgreSQL broke a deadlock (40P01) or refused to serialize
 * (40001) by rolling one of them back. Nothing of such a transaction was written, so the request's
 * transaction is simply run again, a few times, after a short random wait; only if it keeps losing
 * does the client get 409. Example: two owners demoting each other at once — each request first
 * marks its own API token used, then one locks the owners and revokes the other's token, which the
 * other request holds while it waits for the owners. One is rolled back, runs again, and then finds
 * its token revoked (401) or itself the last owner (403).
 *
 * What a retried transaction does outside the database (rate-limit counts, log lines, hook
 * listeners' in-memory effects) happens again; nothing durable does.
 */

export const CONFLICT_ATTEMPTS = 3;

export function isTransactionConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "40P01" || code === "40001";
}

export async function retryOnConflict<T>(run: () => Promise<T>, attempts = CONFLICT_ATTEMPTS, pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= attempts || !isTransactionConflict(err)) throw err;
      await pause(5 + Math.floor(Math.random() * 20 * attempt));
    }
  }
}
