import { describe, expect, it } from "vitest";
import { adminSections, sectionOf, SECTIONS } from "../web/src/admin/admin-nav.ts";
import { rowErrors } from "../web/src/admin/rules.ts";
import {
  detailFor,
  durationParts,
  emptyTargets,
  formatDuration,
  hhmmToMinutes,
  intervalErrors,
  intervalsToWeek,
  metricRowErrors,
  metricsToTargets,
  minutesToHHMM,
  nextBreach,
  nextBreachText as nextBreachIn,
  type BreachWords,
  rangeOfInterval,
  shownMetrics,
  slaBadge,
  slaPolicyTitle,
  targetsToMetrics,
  timeLeft,
  timeZones,
  weeklyMinutes,
  weekToIntervals,
  type PolicyMetric,
} from "../web/src/admin/sla.ts";
import type { Abilities } from "../web/src/api-schema.ts";
import { searchQuery, SORTS, TEXT_SORTS, VIEW_SORTS } from "../web/src/agent/list-order.ts";
import { en } from "../web/src/i18n/en.ts";
import { jaStaffB } from "../web/src/i18n/staff/ja-b.ts";
import { koStaffB } from "../web/src/i18n/staff/ko-b.ts";
import { svStaffB } from "../web/src/i18n/staff/sv-b.ts";
import { jaStaffA } from "../web/src/i18n/staff/ja-a.ts";
import { koStaffA } from "../web/src/i18n/staff/ko-a.ts";
import { svStaffA } from "../web/src/i18n/staff/sv-a.ts";
import { zhCNStaffA as zhStaffA } from "../web/src/i18n/staff/zh-CN-a.ts";
import { zhCNStaffB as zhStaffB } from "../web/src/i18n/staff/zh-CN-b.ts";

/**
 * The Business hours and SLA policies pages and the workspace's SLA badges, without the browser:
 * minutes ↔ "HH:MM", the weekly editor's days ↔ the API's intervals (minutes from Sunday 00:00),
 * the targets table ↔ `policy_metrics`, the server's refusals by row and cell, and the time left
 * before a breach.
 */

/** Zendesk's default workweek: Monday to Friday, 09:00–17:00. */
const WEEKDAYS = [1, 2, 3, 4, 5].map((d) => ({ start_time: d * 1440 + 540, end_time: d * 1440 + 1020 }));

describe("minutes and HH:MM", () => {
  it("writes minutes from midnight as HH:MM, midnight at either end as 00:00", () => {
    expect(minutesToHHMM(0)).toBe("00:00");
    expect(minutesToHHMM(540)).toBe("09:00");
    expect(minutesToHHMM(1019)).toBe("16:59");
    expect(minutesToHHMM(1440)).toBe("00:00");
    expect(minutesToHHMM(75)).toBe("01:15");
  });

  it("reads what a time box gives back, and nothing else", () => {
    expect(hhmmToMinutes("09:00")).toBe(540);
    expect(hhmmToMinutes("9:05")).toBe(545);
    expect(hhmmToMinutes("23:59")).toBe(1439);
    expect(hhmmToMinutes("17:00:00")).toBe(1020);
    for (const bad of ["", "24:00", "12:60", "noon", "12", "-1:00", "12:5"]) expect(hhmmToMinutes(bad), bad).toBeNull();
    for (let m = 0; m < 1440; m += 7) expect(hhmmToMinutes(minutesToHHMM(m))).toBe(m);
  });
});

describe("the weekly editor", () => {
  it("shows the default workweek as Sunday and Saturday closed, Monday to Friday 09:00–17:00", () => {
    const week = intervalsToWeek(WEEKDAYS);
    expect(week).toHaveLength(7);
    expect(week[0]).toEqual([]);
    expect(week[6]).toEqual([]);
    for (let d = 1; d <= 5; d++) expect(week[d]).toEqual([{ start: "09:00", end: "17:00" }]);
    expect(weekToIntervals(week)).toEqual({ intervals: WEEKDAYS, errors: {} });
    expect(weeklyMinutes(WEEKDAYS)).toBe(40 * 60);
  });

  it("splits an interval that runs past midnight, shows a day's end as 00:00, and sends it back as the same minutes", () => {
    // Friday 22:00 to Saturday 02:00, and Saturday until midnight.
    const intervals = [
      { start_time: 5 * 1440 + 1320, end_time: 6 * 1440 + 120 },
      { start_time: 6 * 1440 + 600, end_time: 7 * 1440 },
    ];
    const week = intervalsToWeek(intervals);
    expect(week[5]).toEqual([{ start: "22:00", end: "00:00" }]);
    expect(week[6]).toEqual([
      { start: "00:00", end: "02:00" },
      { start: "10:00", end: "00:00" },
    ]);
    // The pieces go back as they are; the server merges the two that touch at midnight.
    expect(weekToIntervals(week).intervals).toEqual([
      { start_time: 5 * 1440 + 1320, end_time: 6 * 1440 },
      { start_time: 6 * 1440, end_time: 6 * 1440 + 120 },
      { start_time: 6 * 1440 + 600, end_time: 7 * 1440 },
    ]);
  });

  it("sends a day's ranges in order, and refuses a bad time, an end before its start and an overlap on the range", () => {
    const week = intervalsToWeek([]);
    week[1] = [
      { start: "13:00", end: "17:00" },
      { start: "08:00", end: "12:00" },
    ];
    expect(weekToIntervals(week)).toEqual({ intervals: [{ start_time: 1440 + 480, end_time: 1440 + 720 }, { start_time: 1440 + 780, end_time: 1440 + 1020 }], errors: {} });
    week[2] = [{ start: "17:00", end: "09:00" }];
    week[3] = [{ start: "", end: "09:00" }];
    week[4] = [
      { start: "09:00", end: "12:00" },
      { start: "11:00", end: "13:00" },
    ];
    week[0] = [{ start: "10:00", end: "10:00" }];
    expect(weekToIntervals(week).errors).toEqual({ "2-0": "sla.hours.endBeforeStart", "3-0": "sla.hours.badTime", "4-1": "sla.hours.overlap", "0-0": "sla.hours.endBeforeStart" });
    for (const key of Object.values(weekToIntervals(week).errors)) expect(en[key]).toBeTruthy();
  });

  it("puts the server's word on an interval on the range it was sent from", () => {
    const week = intervalsToWeek(WEEKDAYS);
    week[3] = [
      { start: "13:00", end: "17:00" },
      { start: "08:00", end: "12:00" },
    ];
    const details = { "workweek.intervals[3]": [{ description: "workweek.intervals[3]: overlaps another interval" }], name: [{ description: "name: is too long (at most 255)" }] };
    expect(intervalErrors(details)).toEqual({ 3: "Overlaps another interval" });
    // Sent in order: Mon, Tue, Wed 08:00 (index 2), Wed 13:00 (index 3, the editor's first range of Wednesday).
    expect(rangeOfInterval(week, 3)).toBe("3-0");
    expect(rangeOfInterval(week, 2)).toBe("3-1");
    expect(rangeOfInterval(week, 99)).toBeUndefined();
    expect(detailFor(details, "name")).toBe("Is too long (at most 255)");
    expect(detailFor({ "holiday.end_date": [{ description: "holiday.end_date: must be on or after start_date" }] }, "end_date")).toBe("Must be on or after start_date");
    expect(detailFor(details, "time_zone")).toBeUndefined();
  });

  it("offers the browser's IANA time zones, and keeps a schedule's own zone the browser does not list", () => {
    const zones = timeZones();
    expect(zones).toContain("UTC");
    expect(zones).toContain("Europe/Stockholm");
    expect(timeZones("Mars/Olympus_Mons")[0]).toBe("Mars/Olympus_Mons");
    expect(timeZones("Asia/Tokyo").filter((z) => z === "Asia/Tokyo")).toHaveLength(1);
  });
});

describe("the targets table", () => {
  const rows: PolicyMetric[] = [
    { priority: "urgent", metric: "first_reply_time", target: 30, business_hours: false },
    { priority: "low", metric: "requester_wait_time", target: 2 * 1440, business_hours: true },
    { priority: "normal", metric: "next_reply_time", target: 90, business_hours: true },
  ];

  it("shows a policy's rows as hours and minutes, and sends them back in the table's order", () => {
    const table = metricsToTargets(rows);
    expect(table.urgent.first_reply_time).toEqual({ hours: "0", minutes: "30", business: false });
    expect(table.low.requester_wait_time).toEqual({ hours: "48", minutes: "0", business: true });
    expect(table.normal.next_reply_time).toEqual({ hours: "1", minutes: "30", business: true });
    expect(table.high.agent_work_time).toEqual({ hours: "", minutes: "", business: true });
    expect(targetsToMetrics(table)).toEqual({ metrics: [rows[1], rows[2], rows[0]], errors: {} });
    expect(targetsToMetrics(emptyTargets())).toEqual({ metrics: [], errors: {} });
  });

  it("takes hours alone or minutes alone, and refuses what the server would on its cell", () => {
    const table = emptyTargets();
    table.high.first_reply_time = { hours: "4", minutes: "", business: true };
    table.high.next_reply_time = { hours: "", minutes: "45", business: false };
    table.high.agent_work_time = { hours: "0", minutes: "0", business: true };
    table.low.first_reply_time = { hours: "1.5", minutes: "", business: true };
    table.low.next_reply_time = { hours: "-1", minutes: "", business: true };
    table.normal.first_reply_time = { hours: "8761", minutes: "", business: true };
    table.normal.next_reply_time = { hours: "8760", minutes: "", business: true };
    const { metrics, errors } = targetsToMetrics(table);
    expect(metrics).toEqual([
      { priority: "normal", metric: "next_reply_time", target: 525_600, business_hours: true },
      { priority: "high", metric: "first_reply_time", target: 240, business_hours: true },
      { priority: "high", metric: "next_reply_time", target: 45, business_hours: false },
    ]);
    expect(errors).toEqual({ "high-agent_work_time": "sla.targets.zero", "low-first_reply_time": "sla.targets.notNumber", "low-next_reply_time": "sla.targets.notNumber", "normal-first_reply_time": "sla.targets.tooLong" });
  });

  it("puts the server's word on a row of policy_metrics on its cell, and a filter's on its condition row", () => {
    const details = { "policy_metrics[1]": [{ description: "policy_metrics[1]: target must be 1 to 525600 minutes" }], "filter.all[0]": [{ description: "filter.all[0]: update_type: is about an update" }] };
    expect(metricRowErrors(details, rows)).toEqual({ "low-requester_wait_time": "Target must be 1 to 525600 minutes" });
    expect(rowErrors(details)).toEqual({ "all-0": "Is about an update" });
    expect(rowErrors({ "sla_policy.filter.any[2]": [{ description: "unknown field" }] })).toEqual({ "any-2": "Unknown field" });
  });
});

describe("time left", () => {
  const now = new Date("2026-12-07T10:00:00Z");

  it("counts whole minutes before a breach, and since it once passed", () => {
    expect(timeLeft("2026-12-07T12:30:00Z", now)).toEqual({ overdue: false, minutes: 150 });
    expect(timeLeft("2026-12-07T10:00:59Z", now)).toEqual({ overdue: false, minutes: 0 });
    expect(timeLeft("2026-12-07T10:00:00Z", now)).toEqual({ overdue: true, minutes: 0 });
    expect(timeLeft("2026-12-06T08:59:00Z", now)).toEqual({ overdue: true, minutes: 1501 });
    expect(timeLeft("soon", now)).toBeNull();
  });

  it("says a duration in its two largest units", () => {
    const unit = (u: string, n: number) => `${n}${u}`;
    expect(durationParts(1501)).toEqual({ days: 1, hours: 1, minutes: 1 });
    expect(formatDuration(0, unit)).toBe("0m");
    expect(formatDuration(45, unit)).toBe("45m");
    expect(formatDuration(150, unit)).toBe("2h 30m");
    expect(formatDuration(120, unit)).toBe("2h 0m");
    expect(formatDuration(1501, unit)).toBe("1d 1h");
    expect(formatDuration(2 * 1440 + 5, unit)).toBe("2d 0h");
  });

  it("shows active metrics, soonest breach first, then paused ones; never achieved ones", () => {
    const slas = {
      policy_metrics: [
        { metric: "agent_work_time", stage: "paused", breach_at: null },
        { metric: "first_reply_time", stage: "achieved", breach_at: null },
        { metric: "requester_wait_time", stage: "active", breach_at: "2026-12-08T10:00:00Z" },
        { metric: "next_reply_time", stage: "active", breach_at: "2026-12-07T09:00:00Z" },
      ],
    };
    expect(shownMetrics(slas).map((m) => m.metric)).toEqual(["next_reply_time", "requester_wait_time", "agent_work_time"]);
    expect(shownMetrics(null)).toEqual([]);
  });

  it("shows breached metrics first (overdue, still unmet), met-late ones last, and what each badge says", () => {
    const now = new Date("2026-12-07T12:00:00Z");
    const overdue = { metric: "first_reply_time", stage: "breached", breach_at: "2026-12-07T10:30:00Z", fulfilled_at: null };
    const late = { metric: "next_reply_time", stage: "breached", breach_at: "2026-12-07T08:00:00Z", fulfilled_at: "2026-12-07T08:45:00Z" };
    const running = { metric: "requester_wait_time", stage: "active", breach_at: "2026-12-07T14:05:00Z", fulfilled_at: null };
    const paused = { metric: "agent_work_time", stage: "paused", breach_at: null, fulfilled_at: null };
    const pausedPast = { metric: "periodic_update_time", stage: "breached", breach_at: "2026-12-07T11:00:00Z", fulfilled_at: null };
    const onTime = { metric: "first_reply_time", stage: "achieved", breach_at: "2026-12-07T10:30:00Z", fulfilled_at: "2026-12-07T10:00:00Z" };
    const shown = shownMetrics({ policy_metrics: [late, paused, running, onTime, overdue, pausedPast] });
    expect(shown).toEqual([overdue, pausedPast, running, paused, late]);
    expect(slaBadge(overdue, now)).toEqual({ kind: "breached", minutes: 90 });
    expect(slaBadge(late, now)).toEqual({ kind: "late", minutes: 45 });
    expect(slaBadge(running, now)).toEqual({ kind: "running", minutes: 125 });
    expect(slaBadge(paused, now)).toEqual({ kind: "paused", minutes: 0 });
    // An active metric read a moment before its breach, shown after it: breached, as the server would say now.
    expect(slaBadge({ ...running, breach_at: "2026-12-07T11:59:00Z" }, now)).toEqual({ kind: "breached", minutes: 1 });
  });
});

describe("the lists' next SLA breach", () => {
  const now = new Date("2026-12-07T12:00:00Z");
  const m = (metric: string, stage: string, breach_at: string | null, fulfilled_at: string | null = null) => ({ metric, stage, breach_at, fulfilled_at });
  /** The words of a catalog, as the workspace's `t` fills them. */
  const wordsOf = (c: Partial<Record<"sla.unit.d" | "sla.unit.h" | "sla.unit.m" | "sla.next.in" | "sla.badge.overdue", string>>): BreachWords => ({
    unit: (u, n) => c[`sla.unit.${u}`]!.replace("{n}", String(n)),
    left: (time) => c["sla.next.in"]!.replace("{time}", time),
    overdue: (time) => c["sla.badge.overdue"]!.replace("{time}", time),
  });
  const nextBreachText = (slas: Parameters<typeof nextBreach>[0], at: Date, words = wordsOf(en)) => nextBreachIn(slas, at, words);

  it("is the soonest unmet target: time left, or how long overdue (in words), nothing when none runs", () => {
    const running = m("requester_wait_time", "active", "2026-12-07T12:45:30Z");
    const later = m("first_reply_time", "active", "2026-12-07T14:10:00Z");
    expect(nextBreach({ policy_metrics: [later, running] }, now)).toEqual({ kind: "running", minutes: 45, breachAt: running.breach_at });
    expect(nextBreachText({ policy_metrics: [later, running] }, now)).toEqual({ text: "in 45m", overdue: false, at: running.breach_at });
    expect(nextBreachText({ policy_metrics: [later] }, now)?.text).toBe("in 2h 10m");
    expect(nextBreachText({ policy_metrics: [m("agent_work_time", "active", "2026-12-10T13:00:00Z")] }, now)?.text).toBe("in 3d 1h");
    // Overdue and still unmet comes first (its breach is the earliest), said as overdue, not in colour only.
    const overdue = m("next_reply_time", "breached", "2026-12-07T10:30:00Z");
    expect(nextBreachText({ policy_metrics: [later, overdue, running] }, now)).toEqual({ text: "1h 30m overdue", overdue: true, at: overdue.breach_at });
    // An active one read just before its breach and shown after it is overdue.
    expect(nextBreachText({ policy_metrics: [m("first_reply_time", "active", "2026-12-07T11:59:00Z")] }, now)).toMatchObject({ text: "1m overdue", overdue: true });
    // Met in time, met late, paused, no breach time, no policy: nothing to breach next.
    const metLate = m("next_reply_time", "breached", "2026-12-07T08:00:00Z", "2026-12-07T08:45:00Z");
    const onTime = m("first_reply_time", "achieved", "2026-12-07T10:30:00Z", "2026-12-07T10:00:00Z");
    const paused = m("agent_work_time", "paused", "2026-12-07T13:00:00Z");
    expect(nextBreachText({ policy_metrics: [metLate, onTime, paused, m("periodic_update_time", "active", null)] }, now)).toBeNull();
    expect(nextBreachText({ policy_metrics: [metLate, later] }, now)?.text).toBe("in 2h 10m");
    expect(nextBreachText({ policy_metrics: [] }, now)).toBeNull();
    expect(nextBreachText(null, now)).toBeNull();
    expect(nextBreachText(undefined, now)).toBeNull();
  });

  it("is said in every language, and named in the sort menu", () => {
    expect(nextBreachText({ policy_metrics: [m("first_reply_time", "active", "2026-12-07T14:10:00Z")] }, now, wordsOf(svStaffB))?.text).toBe("om 2 h 10 min");
    expect(nextBreachText({ policy_metrics: [m("first_reply_time", "breached", "2026-12-07T11:15:00Z")] }, now, wordsOf(jaStaffB))?.text).toBe("45分 超過");
    expect(nextBreachText({ policy_metrics: [m("first_reply_time", "active", "2026-12-07T12:30:00Z")] }, now, wordsOf(koStaffB))?.text).toBe("30분 남음");
    expect(nextBreachText({ policy_metrics: [m("first_reply_time", "active", "2026-12-07T12:30:00Z")] }, now, wordsOf(zhStaffB))?.text).toBe("剩余 30分钟");
    for (const k of ["sla.next.column", "sla.next.in"] as const) {
      expect(en[k]).toBeTruthy();
      for (const c of [svStaffB, jaStaffB, koStaffB, zhStaffB]) expect(c[k], k).toBeTruthy();
    }
    expect(en["sort.sla_next_breach_at"]).toBeTruthy();
    for (const c of [svStaffA, jaStaffA, koStaffA, zhStaffA]) expect(c["sort.sla_next_breach_at"]).toBeTruthy();
  });
});

describe("the built-in lists and searches by the next breach", () => {
  it("is in every list's sort menu (built-in lists, searches with words, saved views), named in every language", () => {
    for (const sorts of [SORTS, TEXT_SORTS, VIEW_SORTS]) expect(sorts).toContain("sla_next_breach_at");
    for (const s of TEXT_SORTS) {
      expect(en[`sort.${s}`], s).toBeTruthy();
      for (const c of [svStaffA, jaStaffA, koStaffA, zhStaffA]) expect(c[`sort.${s}`], s).toBeTruthy();
    }
  });

  it("asks the search for it (sort_by, both directions, with the cursor); the ticket number and relevance as before", () => {
    const q = "type:ticket status<solved assignee:me";
    expect(searchQuery(q, { sort: "sla_next_breach_at", desc: false, size: 25 })).toEqual({ query: q, page: { size: 25 }, sort_order: "asc", sort_by: "sla_next_breach_at" });
    expect(searchQuery(q, { sort: "sla_next_breach_at", desc: true, size: 25, after: "abc" })).toEqual({ query: q, page: { size: 25, after: "abc" }, sort_order: "desc", sort_by: "sla_next_breach_at" });
    expect(searchQuery(q, { sort: "sla_next_breach_at", desc: false, size: 25, before: "xyz" })).toEqual({ query: q, page: { size: 25, before: "xyz" }, sort_order: "asc", sort_by: "sla_next_breach_at" });
    expect(searchQuery(q, { sort: "id", desc: false, size: 25 })).toEqual({ query: q, page: { size: 25 }, sort_order: "asc" });
    expect(searchQuery("printer", { sort: "relevance", desc: false, size: 25 })).toEqual({ query: "printer", page: { size: 25 }, sort_order: "desc" });
  });
});

describe("the pages' words and place", () => {
  it("names every metric, and sits after Automations in the admin center's menu, for owners and admins only", () => {
    for (const m of ["first_reply_time", "next_reply_time", "periodic_update_time", "requester_wait_time", "agent_work_time"]) expect(en[`sla.metric.${m}` as keyof typeof en]).toBeTruthy();
    for (const k of ["sla.badge.breached", "sla.badge.met_late", "rules.field.hours_until_next_sla_breach", "rules.field.hours_since_last_sla_breach"] as const) {
      expect(en[k]).toBeTruthy();
      for (const c of [svStaffB, jaStaffB, koStaffB, zhStaffB]) expect(c[k], k).toBeTruthy();
    }
    const paths = SECTIONS.map((s) => s.path);
    expect(paths.indexOf("/admin/business-hours")).toBe(paths.indexOf("/admin/automations") + 1);
    expect(paths.indexOf("/admin/slas")).toBe(paths.indexOf("/admin/business-hours") + 1);
    expect(sectionOf("/admin/slas")?.label).toBe("sla.policies.nav");
    const agent = { can_manage_admin: false, can_manage_groups: true, can_edit_organizations: true, can_manage_api_tokens: true, can_view_audit_log: true } as unknown as Abilities;
    expect(adminSections(agent).map((s) => s.path)).not.toContain("/admin/slas");
    expect(adminSections(agent).map((s) => s.path)).not.toContain("/admin/business-hours");
    const admin = { ...agent, can_manage_admin: true } as Abilities;
    expect(adminSections(admin).map((s) => s.path)).toEqual(expect.arrayContaining(["/admin/slas", "/admin/business-hours"]));
  });
});

describe("the ticket's history", () => {
  it("names an SLA policy applied, replaced or taken off by its title as it was then, in every language", () => {
    expect(slaPolicyTitle({ id: 3, title: "Gold" })).toBe("Gold");
    for (const v of [null, undefined, 3, "Gold", { id: 3 }, { title: 7 }]) expect(slaPolicyTitle(v)).toBeUndefined();
    expect(en["history.slaPolicy"]).toBe("SLA policy");
    for (const c of [svStaffA, jaStaffA, koStaffA, zhStaffA]) expect(c["history.slaPolicy"]).toBeTruthy();
  });
});
