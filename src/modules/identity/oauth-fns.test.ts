import { describe, expect, it } from "vitest";
import { describeScope, isS256Challenge, parseScopes, redirectUriProblem } from "./oauth-fns.ts";

describe("oauth rules", () => {
  it("accepts https and loopback http redirect URIs only", () => {
    expect(redirectUriProblem("https://app.example/callback")).toBeUndefined();
    expect(redirectUriProblem("http://localhost:8080/cb")).toBeUndefined();
    expect(redirectUriProblem("http://127.0.0.1:5000/cb")).toBeUndefined();
    expect(redirectUriProblem("http://app.example/callback")).toMatch(/https/);
    expect(redirectUriProblem("https://app.example/cb#x")).toMatch(/fragment/);
    expect(redirectUriProblem("https://user:pw@app.example/cb")).toMatch(/user name/);
    expect(redirectUriProblem("javascript:alert(1)")).toMatch(/https/);
    expect(redirectUriProblem("/relative")).toMatch(/absolute/);
  });
  it("takes known scopes only", () => {
    expect(parseScopes("read tickets:write")).toEqual(["read", "tickets:write"]);
    expect(parseScopes("read  read")).toEqual(["read"]);
    expect(parseScopes("read admin")).toBeUndefined();
    expect(parseScopes("auditlogs:write")).toBeUndefined();
    expect(parseScopes("")).toBeUndefined();
    expect(parseScopes(undefined)).toBeUndefined();
  });
  it("recognises an S256 challenge", () => {
    expect(isS256Challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")).toBe(true);
    expect(isS256Challenge("short")).toBe(false);
    expect(isS256Challenge(undefined)).toBe(false);
  });
  it("puts scopes in words", () => {
    expect(describeScope("tickets:read")).toBe("Read tickets, their comments and attachments");
    expect(describeScope("write")).toMatch(/^Change/);
  });
});
