import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { PRESETS, type RoleConfiguration } from "../../platform/roles.ts";
import { groupPolicy } from "./groups-policy.ts";

const as = (role: Role) => ({ kind: "user" as const, userId: "u", niceId: 1, role, scopes: ["read", "write"], via: "token" as const });
const ROLES: Role[] = ["owner", "admin", "agent", "light_agent", "end_user"];

describe("group policy", () => {
  it("lets staff read groups and only admins manage them", () => {
    expect(ROLES.map((r) => groupPolicy.view(as(r)))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => groupPolicy.manage(as(r)))).toEqual([true, true, false, false, false]);
  });

  it("lets an agent who sees only some tickets add others to groups but not themselves", () => {
    const agent = (ticket_access: RoleConfiguration["ticket_access"]) => ({ ...as("agent"), customRole: { ...PRESETS.agent.configuration, group_access: true, ticket_access } });
    expect(groupPolicy.addMember(agent("within-groups"), "other")).toBe(true);
    expect(groupPolicy.addMember(agent("within-groups"), "u")).toBe(false);
    expect(groupPolicy.addMember(agent("assigned-only"), "u")).toBe(false);
    expect(groupPolicy.addMember(agent("all"), "u")).toBe(true);
    expect(groupPolicy.addMember(as("admin"), "u")).toBe(true);
    expect(groupPolicy.addMember(as("agent"), "other")).toBe(false);
  });
});
