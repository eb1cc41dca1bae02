import { describe, expect, it } from "vitest";
import type { Role } from "../../platform/db/schema.ts";
import { identityPolicy } from "./identity-policy.ts";

const as = (role: Role, userId = "me") => ({ kind: "user" as const, userId, niceId: 1, role, scopes: ["read", "write"], via: "token" as const });

describe("identity policy", () => {
  it("gives admins every token, other staff their own, end users none", () => {
    expect(identityPolicy.tokenScope(as("admin"))).toEqual({ kind: "all" });
    expect(identityPolicy.tokenScope(as("agent"))).toEqual({ kind: "own", userId: "me" });
    expect(identityPolicy.tokenScope(as("light_agent"))).toEqual({ kind: "own", userId: "me" });
    expect(identityPolicy.tokenScope(as("end_user"))).toEqual({ kind: "none" });
    expect(identityPolicy.createToken(as("agent"), "me")).toBe(true);
    expect(identityPolicy.createToken(as("agent"), "other")).toBe(false);
    expect(identityPolicy.createToken(as("owner"), "other")).toBe(true);
    expect(identityPolicy.createToken(as("end_user"), "me")).toBe(false);
    expect(identityPolicy.seeToken(as("agent"), "other")).toBe(false);
  });
  it("lets rotate exactly who may see the token, and no end user", () => {
    expect(identityPolicy.rotateToken(as("agent"), "me")).toBe(true);
    expect(identityPolicy.rotateToken(as("light_agent"), "other")).toBe(false);
    expect(identityPolicy.rotateToken(as("end_user"), "me")).toBe(false);
    // Seen and revoked by admins, rotated by its own person only: the new secret would be theirs.
    expect(identityPolicy.seeToken(as("admin"), "other")).toBe(true);
    expect(identityPolicy.rotateToken(as("admin"), "other")).toBe(false);
    expect(identityPolicy.rotateToken(as("admin"), "me")).toBe(true);
  });
  it("keeps a token from giving a token a scope it lacks; sessions give any", () => {
    const narrow = { ...as("admin"), scopes: ["tickets:read", "write"] };
    expect(identityPolicy.grantScopes(narrow, ["tickets:read"])).toBe(true);
    expect(identityPolicy.grantScopes(narrow, ["read"])).toBe(false);
    expect(identityPolicy.grantScopes(narrow, ["users:write"])).toBe(true);
    expect(identityPolicy.grantScopes(narrow, ["users:read"])).toBe(false);
    expect(identityPolicy.grantScopes({ ...narrow, via: "session" as const }, ["read", "write"])).toBe(true);
  });
  it("lets only owners and admins change the API settings", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => identityPolicy.manageApiSettings(as(r)))).toEqual([true, true, false, false, false]);
  });
  it("lets only owners and admins create sign-in links to hand over", () => {
    expect((["owner", "admin", "agent", "light_agent", "end_user"] as Role[]).map((r) => identityPolicy.createSigninLink(as(r)))).toEqual([true, true, false, false, false]);
  });
});
