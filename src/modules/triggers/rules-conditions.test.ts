import { describe, expect, it } from "vitest";
import { compile, holds, matches, matchesCompiled, PROBE, readsSlaBreaches, sqlFilter, type RuleUpdate } from "./rules-conditions.ts";
import type { TicketTimes } from "../tickets/rule-write.ts";

/** The automations' SLA conditions without the database: the hours each counts, and the SQL bounds that let through exactly those tickets. */

const now = new Date("2026-12-07T12:00:00Z");
const H = 3_600_000;
const times = (next: Date | null, last: Date | null): TicketTimes => ({
  created_at: now, updated_at: now, due_at: null, status_updated_at: now, assigned_at: null, requester_updated_at: null, assignee_updated_at: null,
  next_sla_breach_at: next, last_sla_breach_at: last,
});
const at = (t: TicketTimes): RuleUpdate => ({ create: false, channel: "api", by: { system: true, proven: false }, previous: undefined, comment: undefined, hasWord: () => false, clock: { now, times: t } });
const until = (operator: string, value: string) => ({ field: "hours_until_next_sla_breach", operator, value });
const since = (operator: string, value: string) => ({ field: "hours_since_last_sla_breach", operator, value });

describe("SLA conditions", () => {
  it("count whole hours until the next breach and since the last; none never holds", () => {
    const in90m = times(new Date(now.getTime() + 1.5 * H), null);
    expect(holds(until("less_than", "2"), PROBE, at(in90m))).toBe(true);
    expect(holds(until("is", "1"), PROBE, at(in90m))).toBe(true);
    expect(holds(until("greater_than", "0"), PROBE, at(in90m))).toBe(true);
    expect(holds(until("less_than", "1"), PROBE, at(in90m))).toBe(false);
    for (const op of ["is", "less_than", "greater_than"]) {
      expect(holds(until(op, "0"), PROBE, at(times(null, null))), op).toBe(false);
      expect(holds(since(op, "0"), PROBE, at(times(null, null))), op).toBe(false);
    }
    const ago3h = times(null, new Date(now.getTime() - 3 * H));
    expect(holds(since("greater_than", "1"), PROBE, at(ago3h))).toBe(true);
    expect(holds(since("greater_than", "3"), PROBE, at(ago3h))).toBe(false);
    expect(holds(since("is", "3"), PROBE, at(ago3h))).toBe(true);
  });

  it("become SQL bounds on the breach columns, and mark the rules that read them", () => {
    expect(sqlFilter(until("less_than", "2"), now)).toEqual({ kind: "time", column: "next_sla_breach_at", status: undefined, bounds: [[">=", now], ["<", new Date(now.getTime() + 2 * H)]] });
    expect(sqlFilter(since("greater_than", "1"), now)).toEqual({ kind: "time", column: "last_sla_breach_at", status: undefined, bounds: [["<=", new Date(now.getTime() - 2 * H)]] });
    expect(readsSlaBreaches({ all: [{ field: "created_at", operator: "greater_than", value: "1" }], any: [since("is", "1")] })).toBe(true);
    expect(readsSlaBreaches({ all: [{ field: "created_at", operator: "greater_than", value: "1" }], any: [] })).toBe(false);
  });
});

describe("compiled conditions", () => {
  it("hold exactly when the conditions do, over every field and operator compiled differently", () => {
    const conds = [
      ...["includes", "not_includes"].flatMap((operator) => ["a", "a b", "b  c", "zz"].map((value) => ({ field: "current_tags", operator, value }))),
      ...["includes", "not_includes"].flatMap((operator) => ["hello", "hello world", "x"].map((value) => ({ field: "comment_includes_word", operator, value }))),
      ...["present", "not_present", "is", "is_not", "less_than"].flatMap((operator) => ["", "1", "yes"].map((value) => ({ field: "custom_fields_7", operator, value }))),
      ...["is", "less_than", "greater_than"].map((operator) => until(operator, "1")),
      { field: "status", operator: "less_than", value: "pending" },
      { field: "priority", operator: "is", value: "high" },
      { field: "via", operator: "is_not", value: "api" },
    ];
    const states = [PROBE, { ...PROBE, tags: ["a"], custom: { "7": "1" } }, { ...PROBE, tags: ["c", "d"], status: "open" as const, priority: "high" as const, custom: { "7": true } }, { ...PROBE, custom: { "7": null } }];
    const in90m = at(times(new Date(now.getTime() + 1.5 * H), null));
    const updates: RuleUpdate[] = [in90m, { ...in90m, clock: undefined, hasWord: (w) => w === "hello" }, { ...in90m, channel: "web", hasWord: (w) => w === "x" }];
    let n = 0;
    for (const c of conds) {
      for (const w of states) {
        for (const u of updates) {
          for (const cs of [{ all: [c], any: [] }, { all: [], any: [c, conds[0]!] }]) {
            expect(matchesCompiled(compile(cs), w, u), `${JSON.stringify(cs)} ${JSON.stringify(w)}`).toBe(matches(cs, w, u));
            n++;
          }
        }
      }
    }
    expect(n).toBeGreaterThan(500);
  });
});
