import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { groupPolicy } from "./groups-policy.ts";

const as = (role: Role) => ({ kind: "user" as const, userId: "u", niceId: 1, role, scopes: ["read", "write"], via: "token" as const });
const ROLES: Role[] = ["owner", "admin", "agent", "light_agent", "end_user"];

describe("group policy", () => {
  it("lets staff read groups and only admins manage them", () => {
    expect(ROLES.map((r) => groupPolicy.view(as(r)))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => groupPolicy.manage(as(r)))).toEqual([true, true, false, false, false]);
  });
});
