import { describe, expect, inject, it } from "vitest";
import { createMemoryRateLimiter, createSharedRateLimiter, hitAll, type RateLimiter } from "../src/platform/rate-limiter.ts";
import { openEmptyDatabase } from "./support/harness.ts";

/**
 * The sliding window across server processes: on PostgreSQL two shared limiters on one database
 * (two processes, flushed by hand, on a clock moved by the test) judge the window after one that
 * either of them counted in on the whole previous window's total. On the embedded database a
 * deployment is one process with the memory limiter, and the same counts come out of it alone.
 */

/** A minute's turn in the past few hours (the limiter clears rows a few hours old, by its clock). */
const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const KEY = "api:test:ip:198.51.100.0";

type Process = { limiter: RateLimiter; flush(): Promise<void> };

/** Two processes on one clock: shared limiters on a database of their own, or one memory limiter standing for both. */
async function twoProcesses(clock: { t: number }): Promise<{ a: Process; b: Process; rowCount(window: number): Promise<number | undefined>; close(): Promise<void> }> {
  if (!inject("postgresUrl")) {
    const limiter = createMemoryRateLimiter(() => clock.t);
    const one = { limiter, flush: async () => {} };
    return { a: one, b: one, rowCount: async () => undefined, close: async () => {} };
  }
  const empty = await openEmptyDatabase();
  // Flushed by the test only: the timer's interval is longer than any test.
  const la = createSharedRateLimiter(empty.db, 3_600_000, () => clock.t);
  const lb = createSharedRateLimiter(empty.db, 3_600_000, () => clock.t);
  return {
    a: { limiter: la, flush: la.flush },
    b: { limiter: lb, flush: lb.flush },
    rowCount: async (window) =>
      (await empty.db.owner.selectFrom("rate_limit_counters").select("count").where("key", "=", KEY).where("window_start", "=", new Date(window)).executeTakeFirst())?.count,
    close: async () => {
      la.stop();
      lb.stop();
      await empty.drop();
    },
  };
}

/** Hits alternately from a and b, flushing both after each (so each knows the other's counts), until `tries`; answers how many were allowed. */
async function alternate(a: Process, b: Process, tries: number): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < tries; i++) {
    if ((i % 2 === 0 ? b : a).limiter.hit(KEY, 30).allowed) allowed++;
    await a.flush();
    await b.flush();
    await a.flush();
  }
  return allowed;
}

describe("a sliding-window limit across server processes", () => {
  it("counts the previous window's hits of every process: one process's 20 weigh in on the other's next window", async () => {
    const clock = { t: BASE + 5_000 };
    const { a, b, rowCount, close } = await twoProcesses(clock);
    try {
      for (let i = 0; i < 20; i++) expect(a.limiter.hit(KEY, 30).allowed).toBe(true);
      await a.flush();
      // Halfway into the next window: the 20 weigh 10, so 20 more between the two, not 30.
      clock.t = BASE + 90_000;
      // b never counted the key before: its first hit is judged on its own, and its flush reads the previous window's row.
      expect(b.limiter.hit(KEY, 30).allowed).toBe(true);
      await b.flush();
      await a.flush();
      expect(1 + (await alternate(a, b, 40))).toBe(20);
      if (inject("postgresUrl")) expect([await rowCount(BASE), await rowCount(BASE + 60_000)]).toEqual([20, 20]);
      // Two windows on, the whole limit again.
      clock.t = BASE + 180_000;
      expect(await alternate(a, b, 40)).toBe(30);
    } finally {
      await close();
    }
  });

  it("sends hits still unsent at a window's turn to that window's row, where the other process counts them", async () => {
    const clock = { t: BASE + 55_000 };
    const { a, b, rowCount, close } = await twoProcesses(clock);
    try {
      // a's 24 are not flushed before the window turns.
      for (let i = 0; i < 24; i++) expect(a.limiter.hit(KEY, 30).allowed).toBe(true);
      clock.t = BASE + 75_000;
      // A quarter into the next window: the 24 weigh 18; a knows its own unsent hits.
      const first = a.limiter.hit(KEY, 30);
      expect(first).toMatchObject({ allowed: true, remaining: 11 });
      await a.flush();
      if (inject("postgresUrl")) expect([await rowCount(BASE), await rowCount(BASE + 60_000)]).toEqual([24, 1]);
      // b, new to the key, reads the 24 on its flush: 12 in this window in all, between the two.
      expect(b.limiter.hit(KEY, 30).allowed).toBe(true);
      await b.flush();
      await a.flush();
      expect(2 + (await alternate(a, b, 30))).toBe(12);
    } finally {
      await close();
    }
  });

  it("peek judges a hit without counting it, and hitAll counts a hit on every key or on none, across processes", async () => {
    const clock = { t: BASE + 5_000 };
    const { a, b, rowCount, close } = await twoProcesses(clock);
    const HOURLY = "webauthn:all:ip:198.51.100.0:3600";
    try {
      for (let i = 0; i < 29; i++) expect(a.limiter.hit(KEY, 30).allowed).toBe(true);
      await a.flush();
      // b follows the key from its first look, and knows a's 29 after its flush.
      b.limiter.peek(KEY, 30);
      await b.flush();
      for (let i = 0; i < 10; i++) expect(b.limiter.peek(KEY, 30)).toMatchObject({ allowed: true, remaining: 0 });
      await b.flush();
      await a.flush();
      if (inject("postgresUrl")) expect(await rowCount(BASE)).toBe(29);
      // The last one of the window, taken by b on both keys.
      expect(hitAll(b.limiter, [[KEY, 30], [HOURLY, 100, 3600]]).allowed).toBe(true);
      await b.flush();
      await a.flush();
      // a is refused by KEY: the hourly key, looked at first, is not counted either.
      for (let i = 0; i < 5; i++) expect(hitAll(a.limiter, [[HOURLY, 100, 3600], [KEY, 30]]).allowed).toBe(false);
      await a.flush();
      await b.flush();
      if (inject("postgresUrl")) expect(await rowCount(BASE)).toBe(30);
      expect(b.limiter.peek(HOURLY, 100, 3600)).toMatchObject({ allowed: true, remaining: 98 });
    } finally {
      await close();
    }
  });
});

describe("one process's hits while its flush is on the way to PostgreSQL", () => {
  it("still count: a limit reached is not reopened while the counts are being sent", async () => {
    if (!inject("postgresUrl")) return;
    const clock = { t: BASE + 5_000 };
    const { a, close } = await twoProcesses(clock);
    const OPTIONS = [["webauthn:t:ip:198.51.100.7:60", 20, 60], ["webauthn:all:ip:198.51.100.7:3600", 1000, 3600]] as const;
    try {
      // The key is known to the process (its previous window read), as after its first flush.
      a.limiter.peek(OPTIONS[0][0], 20, 60);
      await a.flush();
      let allowed = 0;
      for (let i = 0; i < 20; i++) if (hitAll(a.limiter, OPTIONS).allowed) allowed++;
      expect(allowed).toBe(20);
      // The timer's flush starts; requests keep coming while its insert is in flight.
      const sending = a.flush();
      for (let i = 0; i < 20; i++) if (hitAll(a.limiter, OPTIONS).allowed) allowed++;
      await sending;
      expect(allowed).toBe(20);
    } finally {
      await close();
    }
  });
});
