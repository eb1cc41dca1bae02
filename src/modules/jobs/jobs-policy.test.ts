import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { PRESETS } from "../../platform/roles.ts";
import { jobPolicy } from "./jobs-policy.ts";

const as = (role: Role) => ({ kind: "user" as const, userId: "u", niceId: 1, role, scopes: ["read", "write"], via: "token" as const });

describe("job policy", () => {
  it("lets staff follow job statuses, not end users", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => jobPolicy.view(as(r)))).toEqual([true, true, true, true, false]);
  });
  it("lets roles that see every ticket follow every job, and narrower agents only their own", () => {
    expect((["owner", "admin", "agent", "light_agent"] as Role[]).map((r) => jobPolicy.scope(as(r)).kind)).toEqual(["all", "all", "all", "all"]);
    for (const ticket_access of ["within-groups", "assigned-only"] as const) {
      expect(jobPolicy.scope({ ...as("agent"), customRole: { ...PRESETS.agent.configuration, ticket_access } })).toEqual({ kind: "own", userId: "u" });
    }
  });
  it("lets whoever started a job cancel it, and admins any job", () => {
    const roles = ["owner", "admin", "agent", "light_agent", "end_user"] as Role[];
    expect(roles.map((r) => jobPolicy.cancel(as(r), { created_by: "u" }))).toEqual([true, true, true, true, false]);
    expect(roles.map((r) => jobPolicy.cancel(as(r), { created_by: "someone else" }))).toEqual([true, true, false, false, false]);
    expect(roles.map((r) => jobPolicy.cancel(as(r), { created_by: null }))).toEqual([true, true, false, false, false]);
  });
});
