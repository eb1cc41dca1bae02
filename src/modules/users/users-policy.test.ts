import { describe, expect, it } from "vitest";
import { userPolicy } from "./users-policy.ts";

const actor = (role: "owner" | "admin" | "agent" | "light_agent" | "end_user", userId = "me") => ({ kind: "user" as const, userId, niceId: 1, role, scopes: ["read", "write"], via: "token" as const });

describe("user policy", () => {
  it("lets admins create anyone but an owner, agents only end users", () => {
    expect(userPolicy.create(actor("admin"), "agent")).toBe(true);
    expect(userPolicy.create(actor("admin"), "owner")).toBe(false);
    expect(userPolicy.create(actor("admin"), "admin")).toBe(false);
    expect(userPolicy.create(actor("owner"), "admin")).toBe(true);
    expect(userPolicy.create(actor("agent"), "end_user")).toBe(true);
    expect(userPolicy.create(actor("agent"), "agent")).toBe(false);
    expect(userPolicy.create(actor("end_user"), "end_user")).toBe(false);
  });
  it("keeps end users to themselves", () => {
    expect(userPolicy.view(actor("end_user"), { id: "me" })).toBe(true);
    expect(userPolicy.view(actor("end_user"), { id: "other" })).toBe(false);
    expect(userPolicy.list(actor("end_user"))).toBe(false);
  });
  it("protects the owner and role changes", () => {
    expect(userPolicy.update(actor("admin"), { id: "o", role: "owner" }, {})).toBe(false);
    expect(userPolicy.update(actor("owner", "o"), { id: "o", role: "owner" }, {})).toBe(true);
    expect(userPolicy.update(actor("admin"), { id: "x", role: "agent" }, { role: "admin" })).toBe(false);
    expect(userPolicy.update(actor("owner"), { id: "x", role: "agent" }, { role: "admin" })).toBe(true);
    expect(userPolicy.update(actor("admin"), { id: "x", role: "admin" }, { role: "agent" })).toBe(false);
    expect(userPolicy.update(actor("admin"), { id: "x", role: "agent" }, { role: "light_agent" })).toBe(true);
    expect(userPolicy.update(actor("admin", "x"), { id: "x", role: "admin" }, { role: "agent" })).toBe(false);
    expect(userPolicy.update(actor("agent"), { id: "x", role: "end_user" }, { role: "agent" })).toBe(false);
    expect(userPolicy.update(actor("agent"), { id: "x", role: "end_user" }, {})).toBe(true);
    expect(userPolicy.update(actor("agent"), { id: "x", role: "agent" }, {})).toBe(false);
  });
});
