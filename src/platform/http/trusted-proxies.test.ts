import { describe, expect, it } from "vitest";
import { trustedProxies } from "./trusted-proxies.ts";

describe("trusted proxies", () => {
  it("trusts only listed addresses and ranges, IPv4-mapped peers as IPv4", () => {
    const trusts = trustedProxies(["127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32"]);
    expect(trusts("127.0.0.1")).toBe(true);
    expect(trusts("::ffff:127.0.0.1")).toBe(true);
    expect(trusts("127.0.0.2")).toBe(false);
    expect(trusts("10.200.1.1")).toBe(true);
    expect(trusts("::1")).toBe(true);
    expect(trusts("2001:db8:5::1")).toBe(true);
    expect(trusts("2001:db9::1")).toBe(false);
    expect(trusts("not-an-address")).toBe(false);
    expect(trusts(undefined)).toBe(false);
    expect(trustedProxies(false)("127.0.0.1")).toBe(false);
    expect(trustedProxies(["::ffff:192.0.2.0/120"])("192.0.2.9")).toBe(true);
  });
});
