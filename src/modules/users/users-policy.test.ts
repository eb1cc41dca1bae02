import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { userPolicy } from "./users-policy.ts";

const user = (role: Role, id = "x") => ({ id, role, active: true });
const actor = (role: Role, userId = "me") => ({ kind: "user" as const, userId, niceId: 1, role, scopes: ["read", "write"], via: "token" as const });

describe("user policy", () => {
  it("lets admins create anyone but an owner, agents only end users", () => {
    expect(userPolicy.create(actor("admin"), "agent").ok).toBe(true);
    expect(userPolicy.create(actor("admin"), "owner").ok).toBe(false);
    expect(userPolicy.create(actor("admin"), "admin").ok).toBe(false);
    expect(userPolicy.create(actor("owner"), "admin").ok).toBe(true);
    expect(userPolicy.create(actor("agent"), "end_user").ok).toBe(true);
    expect(userPolicy.create(actor("agent"), "agent").ok).toBe(false);
    expect(userPolicy.create(actor("end_user"), "end_user").ok).toBe(false);
  });
  it("lets an OAuth token create only end users, and the support user nobody", () => {
    const oauth = (role: Role) => ({ ...actor(role), via: "oauth" as const });
    for (const r of ["agent", "light_agent", "admin", "owner"] as const) expect(userPolicy.create(oauth("owner"), r).ok, r).toBe(false);
    expect(userPolicy.create(oauth("admin"), "end_user").ok).toBe(true);
    const support = { ...actor("agent"), via: "support" as const };
    expect(userPolicy.create(support, "end_user").ok).toBe(false);
    // Nor moves anyone to an address of its choosing; other edits as an agent's.
    expect(userPolicy.update(support, { id: "x", role: "end_user" }, ["email"]).ok).toBe(false);
    expect(userPolicy.update(support, { id: "x", role: "end_user" }, ["name"]).ok).toBe(true);
  });
  it("gives custom roles as roles are given: owners and admins, never through an OAuth token", () => {
    expect(userPolicy.changeCustomRole(actor("admin")).ok).toBe(true);
    expect(userPolicy.changeCustomRole(actor("agent")).ok).toBe(false);
    expect(userPolicy.changeCustomRole({ ...actor("owner"), via: "oauth" as const }).ok).toBe(false);
  });
  it("lets only owners and admins restrict processing", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => userPolicy.restrictProcessing(actor(r)))).toEqual([true, true, false, false, false]);
  });
  it("keeps end users to themselves", () => {
    expect(userPolicy.view(actor("end_user"), { id: "me" })).toBe(true);
    expect(userPolicy.view(actor("end_user"), { id: "other" })).toBe(false);
    expect(userPolicy.list(actor("end_user"))).toBe(false);
  });
  it("protects the owner, and lets staff edit only whom they may", () => {
    expect(userPolicy.update(actor("admin"), { id: "o", role: "owner" }, ["name"]).ok).toBe(false);
    expect(userPolicy.update(actor("owner", "o"), { id: "o", role: "owner" }, ["name", "tags"]).ok).toBe(true);
    expect(userPolicy.update(actor("agent"), { id: "x", role: "end_user" }, ["name", "organization_id", "tags"]).ok).toBe(true);
    expect(userPolicy.update(actor("agent"), { id: "x", role: "agent" }, ["name"]).ok).toBe(false);
    expect(userPolicy.update(actor("light_agent"), { id: "x", role: "end_user" }, ["name"]).ok).toBe(false);
  });
  it("lets end users change only their own name, phone, time zone, language and e-mail", () => {
    const me = { id: "me", role: "end_user" as const };
    expect(userPolicy.update(actor("end_user"), me, ["name", "phone", "time_zone", "locale", "email"]).ok).toBe(true);
    for (const f of ["organization_id", "tags", "external_id", "role", "suspended", "verified"]) {
      const d = userPolicy.update(actor("end_user"), me, ["name", f]);
      expect(d.ok, f).toBe(false);
      expect(d.ok ? "" : d.reason, f).toContain(f);
    }
    expect(userPolicy.update(actor("end_user"), { id: "other", role: "end_user" }, ["name"]).ok).toBe(false);
  });
  it("lets only admins suspend and vouch, never for themselves", () => {
    expect(userPolicy.suspend(actor("admin"), { id: "x", role: "agent" }).ok).toBe(true);
    expect(userPolicy.suspend(actor("admin"), { id: "x", role: "admin" }).ok).toBe(false);
    expect(userPolicy.suspend(actor("owner"), { id: "x", role: "admin" }).ok).toBe(true);
    expect(userPolicy.suspend(actor("admin", "x"), { id: "x", role: "admin" }).ok).toBe(false);
    expect(userPolicy.suspend(actor("agent"), { id: "x", role: "end_user" }).ok).toBe(false);
    expect(userPolicy.vouchForEmail(actor("admin"), { id: "x", role: "end_user" }).ok).toBe(true);
    expect(userPolicy.vouchForEmail(actor("agent"), { id: "x", role: "end_user" }).ok).toBe(false);
    expect(userPolicy.vouchForEmail(actor("admin", "x"), { id: "x", role: "admin" }).ok).toBe(false);
  });
  it("lets only an owner grant or take away owner and admin", () => {
    expect(userPolicy.changeRole(actor("owner"), user("agent"), "admin", 1).ok).toBe(true);
    expect(userPolicy.changeRole(actor("owner"), user("agent"), "owner", 1).ok).toBe(true);
    expect(userPolicy.changeRole(actor("admin"), user("agent"), "admin", 1).ok).toBe(false);
    expect(userPolicy.changeRole(actor("admin"), user("admin"), "agent", 1).ok).toBe(false);
    expect(userPolicy.changeRole(actor("admin"), user("agent"), "light_agent", 1).ok).toBe(true);
    expect(userPolicy.changeRole(actor("admin"), user("end_user"), "agent", 1).ok).toBe(true);
    expect(userPolicy.changeRole(actor("agent"), user("end_user"), "agent", 1).ok).toBe(false);
    expect(userPolicy.changeRole(actor("owner"), { ...user("agent"), active: false }, "admin", 1).ok).toBe(false);
    // Never through an OAuth token, whoever consented.
    expect(userPolicy.changeRole({ ...actor("owner"), via: "oauth" as const }, user("end_user"), "admin", 1).ok).toBe(false);
  });

  it("never demotes the last owner, and lets an owner step down while another remains", () => {
    expect(userPolicy.changeRole(actor("owner", "o1"), user("owner", "o1"), "admin", 1)).toEqual({ ok: false, reason: expect.stringMatching(/last owner/) });
    expect(userPolicy.changeRole(actor("owner", "o1"), user("owner", "o1"), "admin", 2).ok).toBe(true);
    expect(userPolicy.changeRole(actor("owner", "o1"), user("owner", "o2"), "agent", 2).ok).toBe(true);
    expect(userPolicy.changeRole(actor("admin", "a"), user("admin", "a"), "agent", 1).ok).toBe(false);
  });

  it("guards deletion of oneself, of admins and of the last owner", () => {
    expect(userPolicy.delete(actor("admin"), user("agent"), 1).ok).toBe(true);
    expect(userPolicy.delete(actor("admin"), user("admin"), 1).ok).toBe(false);
    expect(userPolicy.delete(actor("owner"), user("admin"), 1).ok).toBe(true);
    expect(userPolicy.delete(actor("owner", "o1"), user("owner", "o1"), 2).ok).toBe(false);
    expect(userPolicy.delete(actor("owner", "o1"), user("owner", "o2"), 2).ok).toBe(true);
    expect(userPolicy.delete(actor("owner", "o1"), user("owner", "o2"), 1).ok).toBe(false);
    expect(userPolicy.delete(actor("agent"), user("end_user"), 1).ok).toBe(false);
  });

  it("lets nobody edit, suspend, delete or re-role the support user, not even itself", () => {
    const support = { id: "s", role: "agent" as const, active: true, support: true };
    expect(userPolicy.update(actor("owner"), support, ["name"]).ok).toBe(false);
    expect(userPolicy.update(actor("agent", "s"), support, ["name"]).ok).toBe(false);
    expect(userPolicy.suspend(actor("owner"), support).ok).toBe(false);
    expect(userPolicy.delete(actor("owner"), support, 1).ok).toBe(false);
    expect(userPolicy.changeRole(actor("owner"), support, "admin", 1).ok).toBe(false);
    expect(userPolicy.update(actor("admin"), { ...support, support: false }, ["name"]).ok).toBe(true);
  });

});
