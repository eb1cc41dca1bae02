import type { Database } from "./db/database.ts";

/**
 * Fixed-window rate limits per minute.
 *
 * Limits: the API limit per credential and per client address (VAULTDESK_RATE_LIMIT_PER_MINUTE,
 * 0 turns it off); sign-in and public forms have their own strict limits whatever that says.
 * Windows are a minute unless a preset says otherwise (the help center's public form also has an
 * hourly cap). On PGlite (one process) counters live in memory. On PostgreSQL, several processes share
 * counters in `rate_limit_counters`: each process counts locally and adds its counts to the shared
 * row every 200 ms, deciding on (last shared total + its own unsent hits). Across N processes a
 * limit can be overshot by at most what they receive in one flush interval.
 */
export interface RateLimiter {
  /** Counts one hit in a fixed window (60 s unless told); returns the remaining allowance and the seconds until the window resets. */
  hit(key: string, limit: number, windowSeconds?: number): { allowed: boolean; remaining: number; resetSeconds: number };
}

export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  // Per key: the start of its current window and the hits in it. Ended windows are dropped when
  // the minute turns, so the map holds only live counters.
  let sweptAt = Math.floor(now() / 60_000) * 60_000;
  const counts = new Map<string, { window: number; ms: number; n: number }>();
  return {
    hit(key, limit, windowSeconds = 60) {
      const t = now();
      const minute = Math.floor(t / 60_000) * 60_000;
      if (minute !== sweptAt) {
        sweptAt = minute;
        for (const [k, e] of counts) if (e.window + e.ms <= t) counts.delete(k);
      }
      const ms = windowSeconds * 1000;
      const window = Math.floor(t / ms) * ms;
      let e = counts.get(key);
      if (!e || e.window !== window || e.ms !== ms) {
        e = { window, ms, n: 0 };
        counts.set(key, e);
      }
      e.n++;
      const resetSeconds = Math.max(1, Math.ceil((window + ms - t) / 1000));
      return { allowed: e.n <= limit, remaining: Math.max(0, limit - e.n), resetSeconds };
    },
  };
}

type Entry = { window: number; ms: number; shared: number; pending: number };

/** Counters shared through PostgreSQL, for several server processes (see the note above). */
export function createSharedRateLimiter(db: Database, flushMs = 200): RateLimiter & { flush(): Promise<void>; stop(): void } {
  const entries = new Map<string, Entry>();
  let flushing: Promise<void> | undefined;
  const flush = async () => {
    if (flushing) return flushing;
    flushing = (async () => {
      const now = Date.now();
      for (const [key, e] of entries) {
        if (e.window + e.ms <= now) {
          entries.delete(key);
          continue;
        }
        const add = e.pending;
        e.pending = 0;
        const r = await db.owner
          .insertInto("rate_limit_counters")
          .values({ key, window_start: new Date(e.window), count: add })
          .onConflict((oc) => oc.columns(["key", "window_start"]).doUpdateSet((eb) => ({ count: eb("rate_limit_counters.count", "+", add) })))
          .returning("count")
          .executeTakeFirst()
          .catch(() => undefined);
        if (r) e.shared = r.count;
        else e.pending += add;
      }
      if (Math.random() < 0.01) {
        // Windows last up to an hour: rows older than two are surely over.
        await db.owner.deleteFrom("rate_limit_counters").where("window_start", "<", new Date(now - 7_200_000)).execute().catch(() => undefined);
      }
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();
  return {
    hit(key, limit, windowSeconds = 60) {
      const t = Date.now();
      const ms = windowSeconds * 1000;
      const window = Math.floor(t / ms) * ms;
      let e = entries.get(key);
      if (!e || e.window !== window || e.ms !== ms) {
        e = { window, ms, shared: 0, pending: 0 };
        entries.set(key, e);
      }
      e.pending++;
      const n = e.shared + e.pending;
      const resetSeconds = Math.max(1, Math.ceil((window + ms - t) / 1000));
      return { allowed: n <= limit, remaining: Math.max(0, limit - n), resetSeconds };
    },
    flush,
    stop() {
      clearInterval(timer);
    },
  };
}
