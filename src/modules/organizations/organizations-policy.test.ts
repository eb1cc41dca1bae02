import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { organizationPolicy } from "./organizations-policy.ts";

const as = (role: Role) => ({ kind: "user" as const, userId: "u", niceId: 1, role, scopes: ["read", "write"], via: "token" as const });
const ROLES: Role[] = ["owner", "admin", "agent", "light_agent", "end_user"];

describe("organization policy", () => {
  it("lets staff see organizations, agents and up edit them, admins delete them", () => {
    expect(ROLES.map((r) => organizationPolicy.view(as(r)))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => organizationPolicy.edit(as(r)))).toEqual([true, true, true, false, false]);
    expect(ROLES.map((r) => organizationPolicy.delete(as(r)))).toEqual([true, true, false, false, false]);
  });
});
