import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { helpCenterPolicy } from "./help-center-policy.ts";

const as = (role: Role) => ({ kind: "user" as const, userId: "u", niceId: 1, role, scopes: ["read", "write"], via: "session" as const });

describe("help center policy", () => {
  it("lets only owners and admins change the consent settings", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => helpCenterPolicy.manageSettings(as(r)))).toEqual([true, true, false, false, false]);
  });
  it("shows consent records to staff, never to end users", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => helpCenterPolicy.viewConsentRecords(as(r)))).toEqual([true, true, true, true, false]);
  });
  it("lets only owners and admins withdraw consent on a person's behalf", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => helpCenterPolicy.withdrawConsentFor(as(r)))).toEqual([true, true, false, false, false]);
  });
});
