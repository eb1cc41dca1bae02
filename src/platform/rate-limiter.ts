import type { Database } from "./db/database.ts";

/**
 * Sliding-window rate limits.
 *
 * Limits: the API limit per credential and per client address (VAULTDESK_RATE_LIMIT_PER_MINUTE,
 * 0 turns it off); sign-in and public forms have their own strict limits whatever that says.
 * Windows are a minute unless a preset says otherwise (the help center's public form also has an
 * hourly cap).
 *
 * Each key counts its hits in consecutive windows and judges a hit on the weighted estimate of the
 * last window's span: the previous window's count × (the part of the current window still to run)
 * + the current window's count. A hit is allowed when that estimate, this hit included, is at most
 * the limit; refused hits are not counted, so `resetSeconds` (Retry-After) is the time until one
 * more hit would be allowed. A burst at the end of one window is therefore not followed by another
 * at the start of the next: the new window's allowance comes back as the old window's weight runs
 * out. (The estimate takes the previous window's hits as evenly spread: hits bunched at its very
 * end and a client spending every new allowance can still put up to twice a limit into one span
 * of a window's length, paced over that window rather than at once.)
 *
 * On PGlite (one process) counters live in memory. On PostgreSQL, several processes share counters
 * in `rate_limit_counters` (a row per key and window): each process counts locally and adds its
 * counts to the shared row every 200 ms, deciding on (last shared total + its own unsent hits). A
 * window's total, the other processes' hits included, becomes the next window's previous count:
 * from the last shared total the process saw, or, for a key it had not counted in that window,
 * read once on its next flush. Across N processes a limit can be overshot by at most what they
 * receive in one flush interval.
 */
export interface RateLimiter {
  /**
   * Counts one hit in a sliding window (60 s unless told); returns whether it is allowed, how many
   * more are allowed now, and the seconds until one more would be (at least 1).
   */
  hit(key: string, limit: number, windowSeconds?: number): { allowed: boolean; remaining: number; resetSeconds: number };
  /** Judges a hit like `hit` would, without counting it. */
  peek(key: string, limit: number, windowSeconds?: number): { allowed: boolean; remaining: number; resetSeconds: number };
}

/**
 * Counts one hit on every key, or on none: when any key would refuse it, nothing is counted (a
 * refusal by one key does not spend the others' budgets) and the answer is the refusal that lasts
 * longest (its `resetSeconds`: by then every key allows one more, since uncounted time only frees
 * allowance). Otherwise every key is counted, and the answer is the first key's. `index` is the
 * answering key's place in `checks`. Synchronous, so nothing else is counted between the look and
 * the hits.
 */
export function hitAll(limiter: RateLimiter, checks: ReadonlyArray<readonly [key: string, limit: number, windowSeconds?: number]>): { allowed: boolean; remaining: number; resetSeconds: number; index: number } {
  let refused: { allowed: boolean; remaining: number; resetSeconds: number; index: number } | undefined;
  checks.forEach(([key, limit, windowSeconds], index) => {
    const r = limiter.peek(key, limit, windowSeconds);
    if (!r.allowed && (!refused || r.resetSeconds > refused.resetSeconds)) refused = { ...r, index };
  });
  if (refused) return refused;
  let first: { allowed: boolean; remaining: number; resetSeconds: number; index: number } | undefined;
  for (const [key, limit, windowSeconds] of checks) {
    const r = limiter.hit(key, limit, windowSeconds);
    first ??= { ...r, index: 0 };
  }
  return first ?? { allowed: true, remaining: 0, resetSeconds: 1, index: 0 };
}

/**
 * Judges a hit at `t` on a key whose window starts at `window` (length `ms`), with `prev` hits in
 * the window before and `cur` in this one. In integer milliseconds, so the boundaries are exact.
 */
function judge(t: number, window: number, ms: number, prev: number, cur: number, limit: number): { allowed: boolean; cur: number; remaining: number; resetSeconds: number } {
  const left = window + ms - t; // of the current window, in ms: the previous window's weight is left / ms
  // estimate × ms = prev × left + cur × ms
  const allowed = prev * left + (cur + 1) * ms <= limit * ms;
  if (allowed) cur++;
  const remaining = Math.max(0, Math.floor((limit * ms - prev * left - cur * ms) / ms));
  let at: number; // when one more hit would be allowed
  if (remaining > 0) at = t;
  else if (limit < 1) at = window + ms;
  else if (cur + 1 <= limit) {
    // In this window, once prev × (ms − e) ≤ (limit − cur − 1) × ms, e being the time into it.
    at = window + ms - Math.floor(((limit - cur - 1) * ms) / prev);
  } else {
    // In the next window, with cur as its previous count and none of its own.
    at = window + 2 * ms - Math.floor(((limit - 1) * ms) / cur);
  }
  return { allowed, cur, remaining, resetSeconds: Math.max(1, Math.ceil((at - t) / 1000)) };
}

export function createMemoryRateLimiter(now: () => number = Date.now): RateLimiter {
  // Per key: the start of its current window, the hits in it and the hits in the window before.
  // When the minute turns, keys whose window and the one after it have both ended are dropped:
  // they weigh nothing any more.
  let sweptAt = Math.floor(now() / 60_000) * 60_000;
  const counts = new Map<string, { window: number; ms: number; n: number; prev: number }>();
  const look = (key: string, limit: number, windowSeconds: number, count: boolean) => {
    const t = now();
    const minute = Math.floor(t / 60_000) * 60_000;
    if (minute !== sweptAt) {
      sweptAt = minute;
      for (const [k, e] of counts) if (e.window + 2 * e.ms <= t) counts.delete(k);
    }
    const ms = windowSeconds * 1000;
    const window = Math.floor(t / ms) * ms;
    let e = counts.get(key);
    if (!e || e.ms !== ms) {
      e = { window, ms, n: 0, prev: 0 };
      counts.set(key, e);
    } else if (e.window !== window) {
      e.prev = e.window === window - ms ? e.n : 0;
      e.window = window;
      e.n = 0;
    }
    const r = judge(t, window, ms, e.prev, e.n, limit);
    if (count) e.n = r.cur;
    return { allowed: r.allowed, remaining: r.remaining, resetSeconds: r.resetSeconds };
  };
  return {
    hit: (key, limit, windowSeconds = 60) => look(key, limit, windowSeconds, true),
    peek: (key, limit, windowSeconds = 60) => look(key, limit, windowSeconds, false),
  };
}

/**
 * One key's counters in one process: `shared` is the window's total as last read back from the
 * shared row, `pending` this process's hits not yet added to it, `sending` those being added by a
 * flush in flight (still counted until the row's new total is back), `prev` the previous window's
 * total and `readPrev` whether that still has to be read from its row.
 */
type Entry = { window: number; ms: number; shared: number; pending: number; sending: number; prev: number; readPrev: boolean };

/** Counters shared through PostgreSQL, for several server processes (see the note above). */
export function createSharedRateLimiter(db: Database, flushMs = 200, now: () => number = Date.now): RateLimiter & { flush(): Promise<void>; stop(): void } {
  const entries = new Map<string, Entry>();
  // Hits counted for a window that turned before they were sent: added to that window's row on the
  // next flush (and its total then taken as the following window's previous count).
  let late: Array<{ key: string; window: number; ms: number; n: number }> = [];
  let flushing: Promise<void> | undefined;
  const add = (key: string, window: number, n: number) =>
    db.owner
      .insertInto("rate_limit_counters")
      .values({ key, window_start: new Date(window), count: n })
      .onConflict((oc) => oc.columns(["key", "window_start"]).doUpdateSet((eb) => ({ count: eb("rate_limit_counters.count", "+", n) })))
      .returning("count")
      .executeTakeFirst()
      .catch(() => undefined);
  /** Takes `total` as the previous count of `key`'s window after `window`, if that is its current one. */
  const previousTotal = (key: string, window: number, ms: number, total: number) => {
    const cur = entries.get(key);
    if (cur && cur.ms === ms && cur.window === window + ms) {
      cur.prev = Math.max(cur.prev, total);
      cur.readPrev = false;
    }
  };
  const flush = async () => {
    if (flushing) return flushing;
    flushing = (async () => {
      const t = now();
      const owed = late;
      late = [];
      for (const l of owed) {
        const r = await add(l.key, l.window, l.n);
        if (r) previousTotal(l.key, l.window, l.ms, r.count);
        else late.push(l);
      }
      for (const [key, e] of entries) {
        if (e.window + 2 * e.ms <= t && e.pending === 0) {
          // This window and the next are over: it weighs nothing any more.
          entries.delete(key);
          continue;
        }
        if (e.readPrev) {
          const row = await db.owner
            .selectFrom("rate_limit_counters")
            .select("count")
            .where("key", "=", key)
            .where("window_start", "=", new Date(e.window - e.ms))
            .executeTakeFirst()
            .then((r) => r ?? { count: 0 })
            .catch(() => undefined);
          if (row) previousTotal(key, e.window - e.ms, e.ms, row.count);
        }
        // An ended window's row is only written to when hits are still owed to it; a live one is
        // also read back, for the other processes' counts.
        if (e.window + e.ms <= t && e.pending === 0) continue;
        const n = e.pending;
        e.pending = 0;
        e.sending = n;
        const r = await add(key, e.window, n);
        e.sending = 0;
        if (entries.get(key) === e) {
          if (r) e.shared = r.count;
          else e.pending += n;
        } else if (r) previousTotal(key, e.window, e.ms, r.count);
        else late.push({ key, window: e.window, ms: e.ms, n });
      }
      if (Math.random() < 0.01) {
        // Windows last up to an hour and count for the next one too: rows older than three hours are surely over.
        await db.owner.deleteFrom("rate_limit_counters").where("window_start", "<", new Date(t - 10_800_000)).execute().catch(() => undefined);
      }
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();
  const look = (key: string, limit: number, windowSeconds: number, count: boolean) => {
    const t = now();
    const ms = windowSeconds * 1000;
    const window = Math.floor(t / ms) * ms;
    let e = entries.get(key);
    if (!e || e.ms !== ms || e.window !== window) {
      const last = e;
      if (last && last.pending > 0) late.push({ key, window: last.window, ms: last.ms, n: last.pending });
      const next = last && last.ms === ms && last.window === window - ms;
      // The previous window's total as this process knows it (its last shared total and its own
      // unsent hits); read from its row on the next flush when this process did not count it.
      e = { window, ms, shared: 0, pending: 0, sending: 0, prev: next ? last.shared + last.sending + last.pending : 0, readPrev: !next };
      if (last) last.pending = 0;
      entries.set(key, e);
    }
    const r = judge(t, window, ms, e.prev, e.shared + e.sending + e.pending, limit);
    if (count && r.allowed) e.pending++;
    return { allowed: r.allowed, remaining: r.remaining, resetSeconds: r.resetSeconds };
  };
  return {
    hit: (key, limit, windowSeconds = 60) => look(key, limit, windowSeconds, true),
    peek: (key, limit, windowSeconds = 60) => look(key, limit, windowSeconds, false),
    flush,
    stop() {
      clearInterval(timer);
    },
  };
}
