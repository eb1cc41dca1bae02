import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { adminPolicy } from "./admin-policy.ts";

const actor = (role: Role, userId = "me") => ({ kind: "user" as const, userId, niceId: 1, role, scopes: ["read", "write"], via: "session" as const });

describe("admin policy", () => {
  it("opens the admin center to owners and admins only", () => {
    expect(adminPolicy.manage(actor("owner"))).toBe(true);
    expect(adminPolicy.manage(actor("admin"))).toBe(true);
    for (const r of ["agent", "light_agent", "end_user"] as const) expect(adminPolicy.manage(actor(r))).toBe(false);
  });

  it("lets admins invite agents, and only owners invite admins", () => {
    expect(adminPolicy.invite(actor("admin"), "agent").ok).toBe(true);
    expect(adminPolicy.invite(actor("admin"), "light_agent").ok).toBe(true);
    expect(adminPolicy.invite(actor("admin"), "admin").ok).toBe(false);
    expect(adminPolicy.invite(actor("owner"), "admin").ok).toBe(true);
    expect(adminPolicy.invite(actor("owner"), "owner").ok).toBe(false);
    expect(adminPolicy.invite(actor("agent"), "agent").ok).toBe(false);
  });

  it("lets only an owner with a session close the account", () => {
    expect(adminPolicy.terminate(actor("owner")).ok).toBe(true);
    for (const r of ["admin", "agent", "light_agent", "end_user"] as const) expect(adminPolicy.terminate(actor(r)).ok).toBe(false);
    for (const via of ["token", "oauth", "password", "support"] as const) expect(adminPolicy.terminate({ ...actor("owner"), via }).ok).toBe(false);
  });
});
