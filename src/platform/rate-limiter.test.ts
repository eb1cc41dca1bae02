import { describe, expect, it } from "vitest";
import { createMemoryRateLimiter, hitAll } from "./rate-limiter.ts";

/** A minute's turn, so windows of a minute (and an hour) start here. */
const BASE = Date.parse("2026-01-01T00:00:00Z");
const S = 1000;

function clocked(start = BASE) {
  const clock = { t: start };
  return { clock, limiter: createMemoryRateLimiter(() => clock.t) };
}

/** Tries `key` every `stepMs` from `from` to `to` (exclusive); answers when each allowed hit came and each refused one's answer. */
function hammer(l: ReturnType<typeof clocked>, key: string, limit: number, from: number, to: number, stepMs = 100) {
  const allowed: number[] = [];
  const refused: Array<{ at: number; resetSeconds: number }> = [];
  for (let t = from; t < to; t += stepMs) {
    l.clock.t = t;
    const r = l.limiter.hit(key, limit);
    if (r.allowed) allowed.push(t);
    else refused.push({ at: t, resetSeconds: r.resetSeconds });
  }
  return { allowed, refused };
}

/** The most hits among `times` in any span of `spanMs` starting at or after `from`. */
function busiestSpan(times: number[], spanMs: number, from = -Infinity): number {
  let most = 0;
  for (const start of times.filter((t) => t >= from)) most = Math.max(most, times.filter((t) => t >= start && t < start + spanMs).length);
  return most;
}

describe("the memory rate limiter (sliding window)", () => {
  it("does not let a full limit through again right after a burst at the end of a window", () => {
    const l = clocked();
    l.clock.t = BASE + 59_900;
    for (let i = 0; i < 30; i++) expect(l.limiter.hit("k", 30).allowed).toBe(true);
    expect(l.limiter.hit("k", 30).allowed).toBe(false);
    // The window turns: the 30 weigh 30 × (1 − 0) at 60.0 s, so nothing more yet (a fixed window
    // would let 30 more through here).
    l.clock.t = BASE + 60_000;
    const atTurn = l.limiter.hit("k", 30);
    expect(atTurn).toEqual({ allowed: false, remaining: 0, resetSeconds: 2 });
    // 30 × (1 − 2/60) = 29: one more at 62.0 s, not a millisecond before.
    l.clock.t = BASE + 61_999;
    expect(l.limiter.hit("k", 30).allowed).toBe(false);
    l.clock.t = BASE + 62_000;
    expect(l.limiter.hit("k", 30)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("paces the next window's allowance after such a burst, and holds every minute from the turn on to the limit", () => {
    const l = clocked(BASE + 59_900);
    for (let i = 0; i < 30; i++) expect(l.limiter.hit("k", 30).allowed).toBe(true);
    // Then a client trying every 100 ms for four more windows.
    const burst = Array.from({ length: 30 }, () => BASE + 59_900);
    const { allowed } = hammer(l, "k", 30, BASE + 60_000, BASE + 300_000);
    // In the first s seconds after the turn, at most 30 × s / 60: the old window's weight runs out
    // evenly, so the second lot comes one every two seconds, not at once.
    for (let s = 1; s <= 60; s++) expect(allowed.filter((t) => t < BASE + 60_000 + s * S).length).toBeLessThanOrEqual(Math.floor((30 * s) / 60));
    // Any minute from the turn on holds at most the limit: the hits after the turn are paced
    // evenly, which is what the estimate takes the previous window's hits to be.
    expect(busiestSpan(allowed, 60_000)).toBeLessThanOrEqual(30);
    // A steady client gets the limit a window, no more, and is not starved.
    for (let w = 1; w < 5; w++) expect(allowed.filter((t) => t >= BASE + w * 60_000 && t < BASE + (w + 1) * 60_000).length).toBeGreaterThanOrEqual(29);
    // Spans that take in the burst itself: the estimate's known limit is that hits bunched at a
    // window's end and the next window's paced ones can share one minute: 30 + 29 here, the 29
    // spread over that whole minute (a fixed window let 30 + 30 through within 0.2 s).
    const all = [...burst, ...allowed];
    expect(busiestSpan(all, 60_000)).toBe(59);
    // Ten seconds from the burst: it and the 4 the next 9.9 s allowed (30 × 9.9 / 60 = 4.95).
    expect(busiestSpan(all, 10_000)).toBe(34);
  });

  it("holds any minute after a steady client's first window to the limit, wherever in a window it starts", () => {
    for (const [start, step] of [
      [17_300, 250],
      [45_000, 1000],
      [0, 100],
      [1, 2000],
    ]) {
      const { allowed } = hammer(clocked(), "k", 30, BASE + start!, BASE + 600_000, step);
      expect(busiestSpan(allowed, 60_000, BASE + 60_000), `from ${start} every ${step}`).toBeLessThanOrEqual(30);
      // Its first window's hits come as a burst (the estimate knows of no earlier window), and a
      // minute that takes them in and the next window's first, paced ones holds more, under twice the limit.
      expect(busiestSpan(allowed, 60_000)).toBeLessThan(60);
      for (let w = 2; w < 10; w++) expect(allowed.filter((t) => t >= BASE + w * 60_000 && t < BASE + (w + 1) * 60_000).length).toBeGreaterThanOrEqual(29);
    }
  });

  it("answers resetSeconds as the time until one more hit would be allowed", () => {
    const l = clocked();
    const { allowed, refused } = hammer(l, "k", 30, BASE + 10_000, BASE + 300_000);
    expect(refused.length).toBeGreaterThan(100);
    for (const r of refused.filter((x) => x.at < BASE + 200_000)) {
      // The client tries every 100 ms: its next allowed hit comes within 100 ms of the time
      // answered, and never a whole second before it.
      const next = allowed.find((t) => t > r.at)!;
      expect(next - r.at, JSON.stringify(r)).toBeLessThanOrEqual(r.resetSeconds * S + 100);
      expect(next - r.at, JSON.stringify(r)).toBeGreaterThan((r.resetSeconds - 1) * S);
    }
    // 30 at 10 s, none before: the 31st waits until 30 × (1 − e/60) + 1 ≤ 30 in the next window, at 62 s.
    const m = clocked(BASE + 10_000);
    for (let i = 0; i < 30; i++) m.limiter.hit("k", 30);
    expect(m.limiter.hit("k", 30)).toEqual({ allowed: false, remaining: 0, resetSeconds: 52 });
    // remaining is how many more are allowed right now, and while there are some, one more is
    // allowed at once (resetSeconds is at least 1).
    const n = clocked(BASE + 30_000);
    for (let i = 0; i < 20; i++) n.limiter.hit("k", 30);
    n.clock.t = BASE + 75_000;
    // 20 × 0.75 = 15 weigh; one hit makes 16: 14 more.
    expect(n.limiter.hit("k", 30)).toEqual({ allowed: true, remaining: 14, resetSeconds: 1 });
    let more = 0;
    while (n.limiter.hit("k", 30).allowed) more++;
    expect(more).toBe(14);
  });

  it("gives the full limit back after two idle windows, not after one", () => {
    const l = clocked(BASE + 50_000);
    for (let i = 0; i < 30; i++) expect(l.limiter.hit("k", 30).allowed).toBe(true);
    // One window on (the next minute, 50 s into it): 30 × 10/60 = 5 still weigh.
    l.clock.t = BASE + 110_000;
    let allowedThen = 0;
    while (l.limiter.hit("k", 30).allowed) allowedThen++;
    expect(allowedThen).toBe(25);
    const m = clocked(BASE + 50_000);
    for (let i = 0; i < 30; i++) m.limiter.hit("k", 30);
    m.clock.t = BASE + 120_000;
    for (let i = 0; i < 30; i++) expect(m.limiter.hit("k", 30).allowed).toBe(true);
    expect(m.limiter.hit("k", 30).allowed).toBe(false);
  });

  it("keeps a key's count through the sweep at a minute's turn until the window after it has ended", () => {
    const l = clocked(BASE + 59_000);
    for (let i = 0; i < 30; i++) l.limiter.hit("k", 30);
    for (let i = 0; i < 20; i++) l.limiter.hit("hourly", 20, 3600);
    // Another key's hit turns the minute, which sweeps ended counters.
    l.clock.t = BASE + 61_000;
    l.limiter.hit("other", 30);
    l.clock.t = BASE + 61_500;
    expect(l.limiter.hit("k", 30).allowed).toBe(false);
    // The hourly window: an hour and a bit on, still a full hour's weight but 61 s worth.
    l.clock.t = BASE + 3_600_000 + 60_000;
    l.limiter.hit("other", 30);
    l.clock.t = BASE + 3_600_000 + 61_000;
    const hourly = l.limiter.hit("hourly", 20, 3600);
    expect(hourly.allowed).toBe(false);
    // 20 × (1 − e/3600) + 1 ≤ 20 once e ≥ 180 s.
    expect(hourly.resetSeconds).toBe(180 - 61);
  });

  it("refuses everything at a limit of 0, and counts only allowed hits", () => {
    const l = clocked(BASE + 5_000);
    expect(l.limiter.hit("zero", 0)).toEqual({ allowed: false, remaining: 0, resetSeconds: 55 });
    for (let i = 0; i < 3; i++) l.limiter.hit("k", 3);
    for (let i = 0; i < 100; i++) expect(l.limiter.hit("k", 3).allowed).toBe(false);
    // The refused hundred did not count: two windows on, the full 3.
    l.clock.t = BASE + 120_000;
    for (let i = 0; i < 3; i++) expect(l.limiter.hit("k", 3).allowed).toBe(true);
  });

  it("peek judges a hit without counting it", () => {
    const l = clocked(BASE + 5_000);
    for (let i = 0; i < 3; i++) l.limiter.hit("k", 3);
    expect(l.limiter.peek("k", 3)).toEqual(l.limiter.hit("k", 3));
    l.limiter.hit("j", 3);
    // Its answer is the hit's (`remaining` counts the hit judged), as often as asked.
    for (let i = 0; i < 10; i++) expect(l.limiter.peek("j", 3)).toMatchObject({ allowed: true, remaining: 1 });
    expect(l.limiter.hit("j", 3)).toMatchObject({ allowed: true, remaining: 1 });
    expect(l.limiter.peek("j", 3)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("hitAll counts a hit on every key or on none, and answers the longest refusal", () => {
    const l = clocked(BASE + 5_000);
    const checks = [["minute", 5, 60], ["hour", 2, 3600]] as const;
    expect(hitAll(l.limiter, checks)).toMatchObject({ allowed: true, remaining: 4, index: 0 });
    expect(hitAll(l.limiter, checks)).toMatchObject({ allowed: true, remaining: 3, index: 0 });
    // The hour refuses from now on: the minute's refused tries are not counted on it either.
    for (let i = 0; i < 10; i++) {
      const r = hitAll(l.limiter, checks);
      expect(r).toMatchObject({ allowed: false, index: 1 });
      // The hour's wait (into the next hour), not the minute's.
      expect(r.resetSeconds).toBeGreaterThan(3600 - 5);
    }
    expect(l.limiter.peek("minute", 5)).toMatchObject({ allowed: true, remaining: 2 });
    // A refusal by the first key leaves the later ones uncounted too.
    const other = [["tight", 1, 60], ["wide", 100, 3600]] as const;
    expect(hitAll(l.limiter, other).allowed).toBe(true);
    for (let i = 0; i < 10; i++) expect(hitAll(l.limiter, other)).toMatchObject({ allowed: false, resetSeconds: 115, index: 0 });
    expect(l.limiter.peek("wide", 100, 3600)).toMatchObject({ remaining: 98 });
  });
});
