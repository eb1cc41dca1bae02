import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { adminPolicy } from "./admin-policy.ts";

const actor = (role: Role, userId = "me") => ({ kind: "user" as const, userId, niceId: 1, role, scopes: ["read", "write"], via: "session" as const });
const user = (role: Role, id = "x") => ({ id, role, active: true });

describe("admin policy", () => {
  it("opens the admin center to owners and admins only", () => {
    expect(adminPolicy.manage(actor("owner"))).toBe(true);
    expect(adminPolicy.manage(actor("admin"))).toBe(true);
    for (const r of ["agent", "light_agent", "end_user"] as const) expect(adminPolicy.manage(actor(r))).toBe(false);
  });

  it("lets only an owner grant or take away owner and admin", () => {
    expect(adminPolicy.changeRole(actor("owner"), user("agent"), "admin", 1).ok).toBe(true);
    expect(adminPolicy.changeRole(actor("owner"), user("agent"), "owner", 1).ok).toBe(true);
    expect(adminPolicy.changeRole(actor("admin"), user("agent"), "admin", 1).ok).toBe(false);
    expect(adminPolicy.changeRole(actor("admin"), user("admin"), "agent", 1).ok).toBe(false);
    expect(adminPolicy.changeRole(actor("admin"), user("agent"), "light_agent", 1).ok).toBe(true);
    expect(adminPolicy.changeRole(actor("admin"), user("end_user"), "agent", 1).ok).toBe(true);
    expect(adminPolicy.changeRole(actor("agent"), user("end_user"), "agent", 1).ok).toBe(false);
    expect(adminPolicy.changeRole(actor("owner"), { ...user("agent"), active: false }, "admin", 1).ok).toBe(false);
  });

  it("never demotes the last owner, and lets an owner step down while another remains", () => {
    expect(adminPolicy.changeRole(actor("owner", "o1"), user("owner", "o1"), "admin", 1)).toEqual({ ok: false, reason: expect.stringMatching(/last owner/) });
    expect(adminPolicy.changeRole(actor("owner", "o1"), user("owner", "o1"), "admin", 2).ok).toBe(true);
    expect(adminPolicy.changeRole(actor("owner", "o1"), user("owner", "o2"), "agent", 2).ok).toBe(true);
    expect(adminPolicy.changeRole(actor("admin", "a"), user("admin", "a"), "agent", 1).ok).toBe(false);
  });

  it("lets admins invite agents, and only owners invite admins", () => {
    expect(adminPolicy.invite(actor("admin"), "agent").ok).toBe(true);
    expect(adminPolicy.invite(actor("admin"), "light_agent").ok).toBe(true);
    expect(adminPolicy.invite(actor("admin"), "admin").ok).toBe(false);
    expect(adminPolicy.invite(actor("owner"), "admin").ok).toBe(true);
    expect(adminPolicy.invite(actor("owner"), "owner").ok).toBe(false);
    expect(adminPolicy.invite(actor("agent"), "agent").ok).toBe(false);
  });

  it("guards deletion of oneself, of admins and of the last owner", () => {
    expect(adminPolicy.delete(actor("admin"), user("agent"), 1).ok).toBe(true);
    expect(adminPolicy.delete(actor("admin"), user("admin"), 1).ok).toBe(false);
    expect(adminPolicy.delete(actor("owner"), user("admin"), 1).ok).toBe(true);
    expect(adminPolicy.delete(actor("owner", "o1"), user("owner", "o1"), 2).ok).toBe(false);
    expect(adminPolicy.delete(actor("owner", "o1"), user("owner", "o2"), 2).ok).toBe(true);
    expect(adminPolicy.delete(actor("owner", "o1"), user("owner", "o2"), 1).ok).toBe(false);
    expect(adminPolicy.delete(actor("agent"), user("end_user"), 1).ok).toBe(false);
  });
});
