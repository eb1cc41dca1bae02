import { describe, expect, it } from "vitest";
import { ALL_SCOPES, isCredentialRoute, parseScopes, resourceOf, scopeName, scopeNeed, scopesGrant } from "./scopes.ts";

describe("token scopes", () => {
  it("parses requested scopes: known ones in the vocabulary's order without repeats, every unknown one named", () => {
    expect(parseScopes(["tickets:write", "read", "tickets:write"])).toEqual({ scopes: ["read", "tickets:write"], unknown: [] });
    expect(parseScopes(["read", "tickets:admin", "auditlogs:write", "tickets:admin"])).toEqual({ scopes: ["read"], unknown: ["tickets:admin", "auditlogs:write"] });
    expect(parseScopes([])).toEqual({ scopes: [], unknown: [] });
  });

  it("derives a route's resource from its URL", () => {
    expect(resourceOf("/api/v2/tickets/:id/comments")).toBe("tickets");
    expect(resourceOf("/api/v2/requests")).toBe("tickets");
    expect(resourceOf("/api/v2/users/:id")).toBe("users");
    expect(resourceOf("/api/v2/organizations/show_many")).toBe("organizations");
    expect(resourceOf("/api/v2/audit_logs")).toBe("auditlogs");
    expect(resourceOf("/api/v2/search")).toBeUndefined();
    expect(resourceOf("/api/v2/ticketsx")).toBeUndefined();
    // A nested list is what it returns; a path that starts with no resource has none.
    expect(resourceOf("/api/v2/users/:id/tickets/requested")).toBe("tickets");
    expect(resourceOf("/api/v2/organizations/:id/tickets")).toBe("tickets");
    expect(resourceOf("/api/v2/organizations/:id/requests")).toBe("tickets");
    expect(resourceOf("/api/v2/organizations/:id/users")).toBe("users");
    expect(resourceOf("/api/v2/users/:id/data_exports")).toBe("users");
    expect(resourceOf("/api/v2/incremental/tickets/cursor")).toBeUndefined();
    expect(resourceOf("/api/v2/incremental/users")).toBeUndefined();
  });

  it("grants a route to the plain scope or the resource's, never across resources or access", () => {
    const show = scopeNeed("GET", "/api/v2/tickets/:id");
    const update = scopeNeed("PUT", "/api/v2/tickets/:id");
    expect(scopesGrant(["read"], show)).toBe(true);
    expect(scopesGrant(["tickets:read"], show)).toBe(true);
    expect(scopesGrant(["users:read"], show)).toBe(false);
    expect(scopesGrant(["write"], show)).toBe(false);
    expect(scopesGrant(["tickets:read"], update)).toBe(false);
    expect(scopesGrant(["tickets:write"], update)).toBe(true);
    expect(scopeName(update)).toBe("tickets:write");
    const search = scopeNeed("GET", "/api/v2/search");
    expect(scopesGrant(["tickets:read", "users:read"], search)).toBe(false);
    expect(scopeName(search)).toBe("read");
    expect(scopesGrant(["read"], scopeNeed("POST", "/api/v2/search", "read"))).toBe(true);
  });

  it("names credential routes, which OAuth tokens never reach", () => {
    for (const u of ["/api/v2/api_tokens", "/api/v2/api_tokens/:id", "/api/v2/api_tokens/:id/rotate", "/api/v2/api_settings", "/api/v2/users/me/password", "/api/v2/users/:id/passkeys/:passkey_id", "/api/v2/users/me/two_factor/totp", "/api/v2/sso/saml", "/api/v2/sessions", "/api/v2/oauth/clients", "/oauth/tokens", "/api/v2/users/:id/role", "/api/v2/ip_restrictions"]) {
      expect(isCredentialRoute("GET", u), u).toBe(true);
      expect(isCredentialRoute("POST", u), u).toBe(true);
    }
    for (const u of ["/api/v2/tickets", "/api/v2/users/:id", "/api/v2/users/me", "/api/v2/users/search", "/api/v2/organizations/:id/users"]) {
      expect(isCredentialRoute("GET", u), u).toBe(false);
      expect(isCredentialRoute("PUT", u), u).toBe(false);
    }
    // Custom roles: writes only (what a role grants is who can do what); reads stay open.
    for (const [m, u] of [["POST", "/api/v2/custom_roles"], ["PUT", "/api/v2/custom_roles/:id"], ["DELETE", "/api/v2/custom_roles/:id"]] as const) {
      expect(isCredentialRoute(m, u), `${m} ${u}`).toBe(true);
    }
    expect(isCredentialRoute("GET", "/api/v2/custom_roles")).toBe(false);
    expect(isCredentialRoute("GET", "/api/v2/custom_roles/:id")).toBe(false);
    expect(isCredentialRoute("POST", "/api/v2/custom_rolesx")).toBe(false);
  });

  it("lists auditlogs as read-only", () => {
    expect(ALL_SCOPES).toContain("auditlogs:read");
    expect(ALL_SCOPES).not.toContain("auditlogs:write");
  });
});
