import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import type { UserActor } from "../../platform/context.ts";
import { supportPolicy } from "./support-policy.ts";

const actor = (role: Role, via: UserActor["via"] = "session"): UserActor => ({ kind: "user", userId: "me", niceId: 1, role, scopes: ["read", "write"], via });

describe("support access policy", () => {
  it("lets only an owner grant, and never while a grant is live", () => {
    expect(supportPolicy.grant(actor("owner")).ok).toBe(true);
    expect(supportPolicy.grantWhileLive(true).ok).toBe(false);
    expect(supportPolicy.grantWhileLive(false).ok).toBe(true);
    for (const r of ["admin", "agent", "light_agent", "end_user"] as const) expect(supportPolicy.grant(actor(r)).ok).toBe(false);
  });

  it("never lets the support user grant, revoke or see grants", () => {
    expect(supportPolicy.grant(actor("owner", "support")).ok).toBe(false);
    expect(supportPolicy.revoke(actor("admin", "support")).ok).toBe(false);
    expect(supportPolicy.view(actor("admin", "support"))).toBe(false);
  });

  it("shows grants to owners and admins, who may revoke them", () => {
    expect(supportPolicy.view(actor("owner"))).toBe(true);
    expect(supportPolicy.view(actor("admin"))).toBe(true);
    expect(supportPolicy.view(actor("agent"))).toBe(false);
    expect(supportPolicy.revoke(actor("admin")).ok).toBe(true);
    expect(supportPolicy.revoke(actor("agent")).ok).toBe(false);
  });

  it("counts a grant live until it expires or is revoked", () => {
    const now = new Date("2026-01-10T00:00:00Z");
    expect(supportPolicy.live({ expiresAt: new Date("2026-01-11T00:00:00Z"), revokedAt: null }, now)).toBe(true);
    expect(supportPolicy.live({ expiresAt: now, revokedAt: null }, now)).toBe(false);
    expect(supportPolicy.live({ expiresAt: new Date("2026-01-11T00:00:00Z"), revokedAt: now }, now)).toBe(false);
  });

  it("acts as an agent, reading only under a read-only grant", () => {
    expect(supportPolicy.actingAs("read_only")).toEqual({ role: "agent", scopes: ["read"] });
    expect(supportPolicy.actingAs("read_write")).toEqual({ role: "agent", scopes: ["read", "write"] });
  });
});
