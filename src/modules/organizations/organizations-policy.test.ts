import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { PRESETS } from "../../platform/roles.ts";
import { organizationPolicy } from "./organizations-policy.ts";

const as = (role: Role) => ({ kind: "user" as const, userId: "u", niceId: 1, role, scopes: ["read", "write"], via: "token" as const });
const ROLES: Role[] = ["owner", "admin", "agent", "light_agent", "end_user"];

describe("organization policy", () => {
  it("lets staff see organizations, agents and up edit them, admins delete them", () => {
    expect(ROLES.map((r) => organizationPolicy.view(as(r)))).toEqual([true, true, true, true, false]);
    expect(ROLES.map((r) => organizationPolicy.edit(as(r)))).toEqual([true, true, true, false, false]);
    expect(ROLES.map((r) => organizationPolicy.delete(as(r)))).toEqual([true, true, false, false, false]);
  });

  it("keeps agents who see only some tickets from adding members to an organization that shares its requests", () => {
    const restricted = { ...as("agent"), customRole: { ...PRESETS.agent.configuration, ticket_access: "within-groups" as const } };
    expect(organizationPolicy.addMembers(restricted, { shared_tickets: true })).toBe(false);
    expect(organizationPolicy.addMembers(restricted, { shared_tickets: false })).toBe(true);
    expect(ROLES.slice(0, 3).map((r) => organizationPolicy.addMembers(as(r), { shared_tickets: true }))).toEqual([true, true, true]);
    // The operator's support user (an agent that sees every ticket): a member it made would outlive the grant.
    expect(organizationPolicy.addMembers({ ...as("agent"), via: "support" as const }, { shared_tickets: true })).toBe(false);
  });
});
