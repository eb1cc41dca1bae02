import { describe, expect, it } from "vitest";
import { DEFAULT_INTERVALS, type Schedule } from "./business-time.ts";
import { blank, computeTargets, onStatus, type State } from "./sla-apply.ts";
import { stageAt } from "./sla-present.ts";
import { SLA_METRICS } from "./sla-types.ts";

/** The targets on the account's default schedule (`business_hours: true`) against calendar ones: pure, no database. */

const schedule: Schedule = { time_zone: "UTC", intervals: DEFAULT_INTERVALS, holidays: [] };
const state = (): State => new Map(SLA_METRICS.map((m) => [m, blank(m)]));
// Monday 2026-12-07 16:00 UTC.
const monday4pm = new Date("2026-12-07T16:00:00Z");

describe("SLA targets on business hours", () => {
  it("counts a reply target in business minutes on the default schedule, in calendar minutes otherwise", () => {
    const s = state();
    s.get("first_reply_time")!.activated_at = monday4pm;
    const next = computeTargets(s, [{ priority: "urgent", metric: "first_reply_time", target: 120, business_hours: true }], schedule);
    // One hour left on Monday, one on Tuesday from 09:00.
    expect(s.get("first_reply_time")!.breach_at?.toISOString()).toBe("2026-12-08T10:00:00.000Z");
    expect(next?.toISOString()).toBe("2026-12-08T10:00:00.000Z");
    computeTargets(s, [{ priority: "urgent", metric: "first_reply_time", target: 120, business_hours: false }], schedule);
    expect(s.get("first_reply_time")!.breach_at?.toISOString()).toBe("2026-12-07T18:00:00.000Z");
  });

  it("keeps a cumulative metric's business minutes across a pause", () => {
    const s = state();
    // Ran Monday 16:00–17:30 (60 business minutes, 90 calendar), paused, then runs again from Tuesday 08:00.
    onStatus(s, "open", monday4pm, schedule);
    onStatus(s, "pending", new Date("2026-12-07T17:30:00Z"), schedule);
    const r = s.get("requester_wait_time")!;
    expect(r.elapsed_minutes).toBe(90);
    expect(r.elapsed_business_minutes).toBe(60);
    computeTargets(s, [{ priority: "high", metric: "requester_wait_time", target: 120, business_hours: true }], schedule);
    expect(r.stage).toBe("paused");
    onStatus(s, "open", new Date("2026-12-08T08:00:00Z"), schedule);
    computeTargets(s, [{ priority: "high", metric: "requester_wait_time", target: 120, business_hours: true }], schedule);
    expect(r.breach_at?.toISOString()).toBe("2026-12-08T10:00:00.000Z");
    onStatus(s, "solved", new Date("2026-12-08T09:30:00Z"), schedule);
    computeTargets(s, [{ priority: "high", metric: "requester_wait_time", target: 120, business_hours: true }], schedule);
    expect(r.stage).toBe("achieved");
  });

  it("keeps the breach on a met target, and reads breached from it at the time: past unmet, or met after it", () => {
    const s = state();
    const frt = s.get("first_reply_time")!;
    frt.activated_at = monday4pm;
    const targets = [{ priority: "urgent" as const, metric: "first_reply_time" as const, target: 60, business_hours: false }];
    computeTargets(s, targets, schedule);
    expect(stageAt(frt, new Date("2026-12-07T16:59:00Z"))).toBe("active");
    expect(stageAt(frt, new Date("2026-12-07T17:00:00Z"))).toBe("breached");
    frt.fulfilled_at = new Date("2026-12-07T16:30:00Z");
    expect(computeTargets(s, targets, schedule)).toBeNull();
    expect(frt).toMatchObject({ stage: "achieved", breach_at: new Date("2026-12-07T17:00:00Z") });
    expect(stageAt(frt, new Date("2026-12-08T00:00:00Z"))).toBe("achieved");
    frt.fulfilled_at = new Date("2026-12-07T17:30:00Z");
    computeTargets(s, targets, schedule);
    expect(stageAt(frt, new Date("2026-12-08T00:00:00Z"))).toBe("breached");
  });

  it("keeps a cumulative metric's breach when it pauses past its target, none when it pauses before", () => {
    const s = state();
    const targets = [{ priority: "high" as const, metric: "agent_work_time" as const, target: 60, business_hours: false }];
    onStatus(s, "open", monday4pm, schedule);
    computeTargets(s, targets, schedule);
    const r = s.get("agent_work_time")!;
    expect(r.breach_at?.toISOString()).toBe("2026-12-07T17:00:00.000Z");
    onStatus(s, "pending", new Date("2026-12-07T16:30:00Z"), schedule);
    computeTargets(s, targets, schedule);
    expect(r).toMatchObject({ stage: "paused", breach_at: null });
    onStatus(s, "open", new Date("2026-12-07T18:00:00Z"), schedule);
    computeTargets(s, targets, schedule);
    expect(r.breach_at?.toISOString()).toBe("2026-12-07T18:30:00.000Z");
    onStatus(s, "hold", new Date("2026-12-07T19:00:00Z"), schedule);
    computeTargets(s, targets, schedule);
    expect(r).toMatchObject({ stage: "paused", breach_at: new Date("2026-12-07T18:30:00Z") });
    expect(stageAt(r, new Date("2026-12-07T19:00:00Z"))).toBe("breached");
  });
});
