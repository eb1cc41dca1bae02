import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { dsrPolicy } from "./dsr-policy.ts";

const actor = (role: Role, via: "session" | "support" = "session") => ({ kind: "user" as const, userId: "me", niceId: 1, role, scopes: ["read", "write"], via });

describe("data subject request policy", () => {
  it("lets owners and admins manage requests, and anyone but support staff ask for themselves", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => dsrPolicy.manage(actor(r)))).toEqual([true, true, false, false, false]);
    expect(dsrPolicy.askForSelf(actor("end_user"))).toBe(true);
    expect(dsrPolicy.askForSelf(actor("end_user", "support"))).toBe(false);
  });

  it("follows new → verifying → in_progress → completed | rejected, with the verification gate and notes", () => {
    expect(dsrPolicy.transition("new", "verifying", false, false).ok).toBe(true);
    expect(dsrPolicy.transition("new", "in_progress", false, false).ok).toBe(false);
    expect(dsrPolicy.transition("new", "in_progress", true, false).ok).toBe(true);
    expect(dsrPolicy.transition("new", "completed", true, true).ok).toBe(false);
    expect(dsrPolicy.transition("verifying", "new", true, false).ok).toBe(false);
    expect(dsrPolicy.transition("in_progress", "completed", true, false).ok).toBe(false);
    expect(dsrPolicy.transition("in_progress", "completed", true, true).ok).toBe(true);
    expect(dsrPolicy.transition("verifying", "rejected", false, true).ok).toBe(true);
    expect(dsrPolicy.transition("verifying", "rejected", false, false).ok).toBe(false);
    for (const to of ["new", "verifying", "in_progress", "rejected"] as const) expect(dsrPolicy.transition("completed", to, true, true).ok).toBe(false);
    expect(dsrPolicy.verify("new", false).ok).toBe(true);
    expect(dsrPolicy.verify("new", true).ok).toBe(false);
    expect(dsrPolicy.verify("rejected", false).ok).toBe(false);
  });
});
