import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { jobPolicy } from "./jobs-policy.ts";

const as = (role: Role) => ({ kind: "user" as const, userId: "u", niceId: 1, role, scopes: ["read", "write"], via: "token" as const });

describe("job policy", () => {
  it("lets staff follow job statuses, not end users", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => jobPolicy.view(as(r)))).toEqual([true, true, true, true, false]);
  });
});
