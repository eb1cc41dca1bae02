import { describe, expect, it } from "vitest";
import { clientNetwork } from "./client-network.ts";

describe("client networks", () => {
  it("counts an IPv4 address alone and an IPv6 address by its /64", () => {
    expect(clientNetwork("198.51.100.7")).toBe("198.51.100.7");
    expect(clientNetwork("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(clientNetwork("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(clientNetwork("2001:db8:1:2:ffff:ffff:ffff:ffff")).toBe(clientNetwork("2001:0db8:0001:0002::9"));
    expect(clientNetwork("2001:db8:1:3::1")).not.toBe(clientNetwork("2001:db8:1:2::1"));
    expect(clientNetwork(undefined)).toBe("-");
    expect(clientNetwork("not an address")).toBe("not an address");
  });
});
