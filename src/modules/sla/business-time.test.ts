import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addBusinessMinutes,
  businessMinutesBetween,
  DEFAULT_INTERVALS,
  isBusinessTime,
  isValidDate,
  isValidTimeZone,
  normalizeIntervals,
  type Schedule,
} from "./business-time.ts";

const stockholm: Schedule = { time_zone: "Europe/Stockholm", intervals: DEFAULT_INTERVALS, holidays: [] };
const at = (iso: string) => new Date(iso);

describe("business time", () => {
  it("counts within the day, over the night and over the weekend (Stockholm, winter: UTC+1)", () => {
    // Monday 2026-01-12 10:00 local = 09:00Z; 2 business hours later is 12:00 local.
    expect(addBusinessMinutes(stockholm, at("2026-01-12T09:00:00Z"), 120)?.toISOString()).toBe("2026-01-12T11:00:00.000Z");
    // Monday 16:00 local + 2 h = Tuesday 10:00 local.
    expect(addBusinessMinutes(stockholm, at("2026-01-12T15:00:00Z"), 120)?.toISOString()).toBe("2026-01-13T09:00:00.000Z");
    // Friday 16:00 local + 8 h = one hour on Friday, seven on Monday: Monday 16:00 local.
    expect(addBusinessMinutes(stockholm, at("2026-01-16T15:00:00Z"), 480)?.toISOString()).toBe("2026-01-19T15:00:00.000Z");
    // Saturday noon + 1 minute = Monday 09:01 local.
    expect(addBusinessMinutes(stockholm, at("2026-01-17T11:00:00Z"), 1)?.toISOString()).toBe("2026-01-19T08:01:00.000Z");
    // Exactly at the end of a day's hours: 17:00 local, not the next morning.
    expect(addBusinessMinutes(stockholm, at("2026-01-12T08:00:00Z"), 480)?.toISOString()).toBe("2026-01-12T16:00:00.000Z");
  });

  it("keeps wall-clock hours across the clocks' change (Stockholm, 2026-03-29)", () => {
    // Friday 27 March 16:00 local (UTC+1) + 2 h = Monday 30 March 10:00 local, now UTC+2.
    expect(addBusinessMinutes(stockholm, at("2026-03-27T15:00:00Z"), 120)?.toISOString()).toBe("2026-03-30T08:00:00.000Z");
    // Five weeks of 40 hours from a Monday 09:00 before the change ends five weeks later at the same wall time.
    expect(addBusinessMinutes(stockholm, at("2026-03-09T08:00:00Z"), 5 * 2400)?.toISOString()).toBe("2026-04-10T15:00:00.000Z");
    expect(businessMinutesBetween(stockholm, at("2026-03-09T08:00:00Z"), at("2026-04-10T15:00:00Z"))).toBe(5 * 2400);
  });

  it("skips holidays as whole local days", () => {
    const s: Schedule = { ...stockholm, holidays: [{ start_date: "2026-12-24", end_date: "2026-12-26" }] };
    // Wednesday 23 Dec 16:00 local + 2 h: the 24th (Thu) and 25th (Fri) are off, then the weekend: Monday 28th 10:00.
    expect(addBusinessMinutes(s, at("2026-12-23T15:00:00Z"), 120)?.toISOString()).toBe("2026-12-28T09:00:00.000Z");
    expect(businessMinutesBetween(s, at("2026-12-23T15:00:00Z"), at("2026-12-28T09:00:00Z"))).toBe(120);
    expect(isBusinessTime(s, at("2026-12-24T10:00:00Z"))).toBe(false);
    expect(isBusinessTime(s, at("2026-12-23T10:00:00Z"))).toBe(true);
  });

  it("counts calendar minutes when there is no schedule, and answers null when a target is never reached", () => {
    expect(addBusinessMinutes("calendar", at("2026-01-17T11:00:00Z"), 90)?.toISOString()).toBe("2026-01-17T12:30:00.000Z");
    expect(businessMinutesBetween("calendar", at("2026-01-17T11:00:00Z"), at("2026-01-17T12:30:00Z"))).toBe(90);
    expect(addBusinessMinutes({ ...stockholm, intervals: [] }, at("2026-01-12T09:00:00Z"), 1)).toBeNull();
    // One minute a week: a year's target is far beyond the twenty-year horizon.
    const sparse: Schedule = { ...stockholm, intervals: [{ start_time: 1500, end_time: 1501 }] };
    expect(addBusinessMinutes(sparse, at("2026-01-12T09:00:00Z"), 525_600)).toBeNull();
    // A holiday over every day of the horizon is not an endless loop.
    const closed: Schedule = { ...stockholm, holidays: [{ start_date: "2026-01-01", end_date: "2060-12-31" }] };
    expect(addBusinessMinutes(closed, at("2026-01-12T09:00:00Z"), 60)).toBeNull();
    expect(businessMinutesBetween(stockholm, at("2026-01-13T09:00:00Z"), at("2026-01-12T09:00:00Z"))).toBe(0);
  });

  it("adds then measures back the same minutes, in any zone and from any instant", () => {
    const zones = ["Europe/Stockholm", "America/New_York", "Asia/Tokyo", "Australia/Lord_Howe", "UTC"];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.parse("2020-01-01T00:00:00Z"), max: Date.parse("2030-01-01T00:00:00Z") }),
        fc.integer({ min: 1, max: 60 * 24 * 60 }),
        fc.boolean(),
        (zone, t, minutes, withHoliday) => {
          const s: Schedule = { time_zone: zone, intervals: DEFAULT_INTERVALS, holidays: withHoliday ? [{ start_date: "2025-06-02", end_date: "2025-06-20" }] : [] };
          const from = new Date(t);
          const due = addBusinessMinutes(s, from, minutes);
          expect(due).not.toBeNull();
          expect(due!.getTime()).toBeGreaterThan(from.getTime());
          expect(businessMinutesBetween(s, from, due!)).toBeCloseTo(minutes, 6);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("validates zones, workweeks and dates", () => {
    expect(isValidTimeZone("Europe/Stockholm")).toBe(true);
    expect(isValidTimeZone("UTC")).toBe(true);
    for (const bad of ["", "europe/stockholm", "Mars/Olympus", "Pacific Time (US & Canada)", "../etc/passwd", "Europe/Stockholm\u0000", "x".repeat(100)]) {
      expect(isValidTimeZone(bad), bad).toBe(false);
    }
    expect(normalizeIntervals([{ start_time: 600, end_time: 700 }, { start_time: 100, end_time: 600 }])).toEqual([{ start_time: 100, end_time: 700 }]);
    expect(normalizeIntervals([{ start_time: 100, end_time: 600 }, { start_time: 500, end_time: 700 }])).toBe("intervals overlap");
    expect(typeof normalizeIntervals([{ start_time: 600, end_time: 600 }])).toBe("string");
    expect(typeof normalizeIntervals([{ start_time: -1, end_time: 600 }])).toBe("string");
    expect(typeof normalizeIntervals([{ start_time: 0, end_time: 10081 }])).toBe("string");
    expect(typeof normalizeIntervals([{ start_time: 0.5, end_time: 60 }])).toBe("string");
    expect(typeof normalizeIntervals(Array.from({ length: 65 }, (_, i) => ({ start_time: i * 10, end_time: i * 10 + 5 })))).toBe("string");
    expect(isValidDate("2026-02-28")).toBe(true);
    expect(isValidDate("2026-02-30")).toBe(false);
    expect(isValidDate("2026-2-3")).toBe(false);
  });
});
