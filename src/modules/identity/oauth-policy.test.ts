import { describe, expect, it } from "vitest";
import { userActor } from "../../platform/context.ts";
import type { Role } from "../../platform/db/schema.ts";
import { oauthPolicy } from "./oauth-policy.ts";

const as = (role: Role, via: "session" | "token" | "oauth" = "session", id = "u1") => userActor({ id, niceId: 1, role, customRole: null }, via);

describe("oauth policy", () => {
  it("lets owners and admins manage clients, nobody else", () => {
    expect(oauthPolicy.manageClients(as("owner"))).toBe(true);
    expect(oauthPolicy.manageClients(as("admin"))).toBe(true);
    for (const r of ["agent", "light_agent", "end_user"] as const) expect(oauthPolicy.manageClients(as(r))).toBe(false);
  });
  it("shows admins every grant and others their own", () => {
    expect(oauthPolicy.tokenScope(as("admin"))).toEqual({ kind: "all" });
    expect(oauthPolicy.tokenScope(as("end_user"))).toEqual({ kind: "own", userId: "u1" });
    expect(oauthPolicy.seeToken(as("agent"), "u1")).toBe(true);
    expect(oauthPolicy.seeToken(as("agent"), "u2")).toBe(false);
    expect(oauthPolicy.seeToken(as("owner"), "u2")).toBe(true);
  });
  it("takes consent from a browser session only", () => {
    expect(oauthPolicy.consent(as("end_user", "session"))).toBe(true);
    expect(oauthPolicy.consent(as("admin", "token"))).toBe(false);
    expect(oauthPolicy.consent(as("admin", "oauth"))).toBe(false);
  });
});
