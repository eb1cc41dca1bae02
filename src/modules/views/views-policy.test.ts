import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { viewPolicy, type ViewAudience } from "./views-policy.ts";

const as = (role: Role, userId = "u") => ({ kind: "user" as const, userId, niceId: 1, role, scopes: ["read", "write"], via: "token" as const });
const ROLES: Role[] = ["owner", "admin", "agent", "light_agent", "end_user"];
const mine: ViewAudience = { kind: "user", userId: "u" };
const theirs: ViewAudience = { kind: "user", userId: "other" };
const everyone: ViewAudience = { kind: "everyone" };
const group: ViewAudience = { kind: "group", groupId: "g" };

describe("view policy", () => {
  it("lets staff use views, never end users", () => {
    expect(ROLES.map((r) => viewPolicy.use(as(r)))).toEqual([true, true, true, true, false]);
  });

  it("shows a personal view to its owner alone, admins included", () => {
    expect(ROLES.map((r) => viewPolicy.sees(as(r), mine, []))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => viewPolicy.sees(as(r), theirs, []))).toEqual([false, false, false, false, false]);
  });

  it("shows shared views to staff, a group's to its members and admins", () => {
    expect(ROLES.map((r) => viewPolicy.sees(as(r), everyone, []))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => viewPolicy.sees(as(r), group, []))).toEqual([true, true, false, false, false]);
    expect(ROLES.map((r) => viewPolicy.sees(as(r), group, ["g"]))).toEqual([true, true, true, true, false]);
  });

  it("lets owners write their personal views and only admins shared ones", () => {
    expect(ROLES.map((r) => viewPolicy.write(as(r), mine))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => viewPolicy.write(as(r), theirs))).toEqual([false, false, false, false, false]);
    expect(ROLES.map((r) => viewPolicy.write(as(r), everyone))).toEqual([true, true, false, false, false]);
    expect(ROLES.map((r) => viewPolicy.write(as(r), group))).toEqual([true, true, false, false, false]);
  });
});
