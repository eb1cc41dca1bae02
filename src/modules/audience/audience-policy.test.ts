import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { audiencePolicy, type Audience } from "./audience-policy.ts";

const as = (role: Role, userId = "u") => ({ kind: "user" as const, userId, niceId: 1, role, scopes: ["read", "write"], via: "token" as const });
const ROLES: Role[] = ["owner", "admin", "agent", "light_agent", "end_user"];
const mine: Audience = { kind: "user", userId: "u" };
const theirs: Audience = { kind: "user", userId: "other" };
const everyone: Audience = { kind: "everyone" };
const group: Audience = { kind: "group", groupId: "g" };

describe("audience policy (views and macros)", () => {
  it("lets staff use views and macros, never end users", () => {
    expect(ROLES.map((r) => audiencePolicy.use(as(r)))).toEqual([true, true, true, true, false]);
  });

  it("shows a personal item to its owner alone, admins included", () => {
    expect(ROLES.map((r) => audiencePolicy.sees(as(r), mine, []))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => audiencePolicy.sees(as(r), theirs, []))).toEqual([false, false, false, false, false]);
  });

  it("shows shared items to staff, a group's to its members and admins", () => {
    expect(ROLES.map((r) => audiencePolicy.sees(as(r), everyone, []))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => audiencePolicy.sees(as(r), group, []))).toEqual([true, true, false, false, false]);
    expect(ROLES.map((r) => audiencePolicy.sees(as(r), group, ["g"]))).toEqual([true, true, true, true, false]);
  });

  it("lets owners write their personal items and only admins shared ones", () => {
    expect(ROLES.map((r) => audiencePolicy.write(as(r), mine))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => audiencePolicy.write(as(r), theirs))).toEqual([false, false, false, false, false]);
    expect(ROLES.map((r) => audiencePolicy.write(as(r), everyone))).toEqual([true, true, false, false, false]);
    expect(ROLES.map((r) => audiencePolicy.write(as(r), group))).toEqual([true, true, false, false, false]);
  });
});
