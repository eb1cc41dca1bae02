import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { macroPolicy, type MacroAudience } from "./macros-policy.ts";

const as = (role: Role, userId = "u") => ({ kind: "user" as const, userId, niceId: 1, role, scopes: ["read", "write"], via: "token" as const });
const ROLES: Role[] = ["owner", "admin", "agent", "light_agent", "end_user"];
const mine: MacroAudience = { kind: "user", userId: "u" };
const theirs: MacroAudience = { kind: "user", userId: "other" };
const everyone: MacroAudience = { kind: "everyone" };
const group: MacroAudience = { kind: "group", groupId: "g" };

describe("macro policy", () => {
  it("lets staff use macros, never end users", () => {
    expect(ROLES.map((r) => macroPolicy.use(as(r)))).toEqual([true, true, true, true, false]);
  });

  it("shows a personal macro to its owner alone, admins included", () => {
    expect(ROLES.map((r) => macroPolicy.sees(as(r), mine, []))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => macroPolicy.sees(as(r), theirs, []))).toEqual([false, false, false, false, false]);
  });

  it("shows shared macros to staff, a group's to its members and admins", () => {
    expect(ROLES.map((r) => macroPolicy.sees(as(r), everyone, []))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => macroPolicy.sees(as(r), group, []))).toEqual([true, true, false, false, false]);
    expect(ROLES.map((r) => macroPolicy.sees(as(r), group, ["g"]))).toEqual([true, true, true, true, false]);
  });

  it("lets owners write their personal macros and only admins shared ones", () => {
    expect(ROLES.map((r) => macroPolicy.write(as(r), mine))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => macroPolicy.write(as(r), theirs))).toEqual([false, false, false, false, false]);
    expect(ROLES.map((r) => macroPolicy.write(as(r), everyone))).toEqual([true, true, false, false, false]);
    expect(ROLES.map((r) => macroPolicy.write(as(r), group))).toEqual([true, true, false, false, false]);
  });
});
