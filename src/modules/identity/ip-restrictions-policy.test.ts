import { describe, expect, it } from "vitest";
import { canonicalRange, inRanges, ipRestrictionsPolicy, NO_IP_RULES, parseRanges, type IpRules } from "./ip-restrictions-policy.ts";

const rules = (r: Partial<IpRules>): IpRules => ({ ...NO_IP_RULES, enabled: true, ...r });

describe("IP restriction rules", () => {
  it("reads IPv4 and IPv6 ranges and bare addresses into canonical ranges", () => {
    expect(canonicalRange("10.1.2.3/8")).toBe("10.0.0.0/8");
    expect(canonicalRange(" 192.0.2.7 ")).toBe("192.0.2.7/32");
    expect(canonicalRange("2001:DB8::1/32")).toBe("2001:db8::/32");
    expect(canonicalRange("::1")).toBe("::1/128");
    expect(canonicalRange("::ffff:10.0.0.0/104")).toBe("10.0.0.0/8");
    for (const bad of ["", "10.1/8", "10.0.0.0/33", "2001:db8::/129", "example.com", "10.0.0.0/8/8", "10.0.0.0/-1", "1.2.3.4/ 8"]) expect(canonicalRange(bad)).toBeUndefined();
    expect(parseRanges(["10.0.0.0/8", "10.9.9.9/8", "::1"])).toEqual({ ok: true, ranges: ["10.0.0.0/8", "::1/128"] });
    expect(parseRanges(["10.0.0.0/8", "nope"])).toEqual({ ok: false, bad: ["nope"] });
  });

  it("matches addresses of the same family, IPv4-mapped addresses as IPv4", () => {
    expect(inRanges(["127.0.0.2/32"], "127.0.0.2")).toBe(true);
    expect(inRanges(["127.0.0.2/32"], "127.0.0.3")).toBe(false);
    expect(inRanges(["127.0.0.0/8"], "::ffff:127.0.0.9")).toBe(true);
    expect(inRanges(["::1/128"], "::1")).toBe(true);
    expect(inRanges(["::/0"], "127.0.0.1")).toBe(false);
    expect(inRanges(["0.0.0.0/0"], undefined)).toBe(false);
    expect(inRanges(["0.0.0.0/0"], "garbage")).toBe(false);
  });

  it("binds staff always, end users when chosen, and lets a second factor through when chosen", () => {
    const r = rules({ allowedIps: ["192.0.2.0/24"] });
    const agent = { role: "agent" as const, secondFactor: false };
    const endUser = { role: "end_user" as const, secondFactor: false };
    expect(ipRestrictionsPolicy.allows(NO_IP_RULES, agent, "203.0.113.1")).toBe(true);
    expect(ipRestrictionsPolicy.allows(r, agent, "192.0.2.9")).toBe(true);
    expect(ipRestrictionsPolicy.allows(r, agent, "203.0.113.1")).toBe(false);
    expect(ipRestrictionsPolicy.allows(r, endUser, "203.0.113.1")).toBe(true);
    expect(ipRestrictionsPolicy.allows({ ...r, enforceEndUsers: true }, endUser, "203.0.113.1")).toBe(false);
    expect(ipRestrictionsPolicy.allows(r, { role: "owner", secondFactor: true }, "203.0.113.1")).toBe(false);
    expect(ipRestrictionsPolicy.allows({ ...r, allowTwoFactor: true }, { role: "owner", secondFactor: true }, "203.0.113.1")).toBe(true);
    expect(ipRestrictionsPolicy.allows({ ...r, allowTwoFactor: true }, { role: "owner", secondFactor: false }, "203.0.113.1")).toBe(false);
  });

  it("knows when a change would shut out the admin making it", () => {
    const admin = { role: "admin" as const, secondFactor: false };
    expect(ipRestrictionsPolicy.locksOut(rules({ allowedIps: ["10.0.0.0/8"] }), admin, "192.0.2.1")).toBe(true);
    expect(ipRestrictionsPolicy.locksOut(rules({ allowedIps: ["192.0.2.0/24"] }), admin, "192.0.2.1")).toBe(false);
    expect(ipRestrictionsPolicy.locksOut(rules({ allowedIps: ["10.0.0.0/8"], allowTwoFactor: true }), { ...admin, secondFactor: true }, "192.0.2.1")).toBe(false);
    expect(ipRestrictionsPolicy.locksOut({ ...NO_IP_RULES, allowedIps: ["10.0.0.0/8"] }, admin, "192.0.2.1")).toBe(false);
  });
});
