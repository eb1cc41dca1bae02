import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { auditPolicy } from "./audit-policy.ts";

const as = (role: Role) => ({ kind: "user" as const, userId: "u", niceId: 1, role, scopes: ["read", "write"], via: "token" as const });

describe("audit policy", () => {
  it("opens the audit log to owners and admins only", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => auditPolicy.view(as(r)))).toEqual([true, true, false, false, false]);
  });
});
