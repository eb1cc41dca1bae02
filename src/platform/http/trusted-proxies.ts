import ipaddr from "ipaddr.js";
import type { TrustProxy } from "../config.ts";

/**
 * Whether an address is one of the configured reverse proxies (VAULTDESK_TRUST_PROXY): the one
 * test Fastify is given for X-Forwarded-For, -Host and -Proto, and that the host check uses.
 * Fastify (proxy-addr) takes the headers only when the connection's peer passes it, and walks
 * X-Forwarded-For from the right while entries pass it, so the client is the rightmost entry that
 * is not a listed proxy: what a client writes to the left of it is never believed. IPv4-mapped
 * IPv6 peers (a server listening on `::`) count as their IPv4 address.
 */
export function trustedProxies(trust: TrustProxy): (address: string | undefined) => boolean {
  if (trust === false) return () => false;
  const ranges = trust.map((p) => {
    if (p.includes("/")) return ipaddr.parseCIDR(p);
    const a = ipaddr.process(p);
    return [a, a.kind() === "ipv4" ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
  });
  return (address) => {
    if (!address || !ipaddr.isValid(address)) return false;
    const a = ipaddr.process(address);
    return ranges.some((r) => {
      const [net, bits] = r;
      // A range written as an IPv4-mapped IPv6 range matches the IPv4 addresses it maps.
      if (net.kind() === "ipv6" && (net as ipaddr.IPv6).isIPv4MappedAddress() && a.kind() === "ipv4" && bits >= 96) {
        return a.match((net as ipaddr.IPv6).toIPv4Address(), bits - 96);
      }
      return net.kind() === a.kind() && a.match(r);
    });
  };
}
