import ipaddr from "ipaddr.js";

/**
 * The network a client address stands for, for limits counted per client: an IPv4 address is
 * itself, an IPv6 address stands for its /64 (one home or host is given a whole /64, so counting
 * single IPv6 addresses would let one client count as billions). IPv4-mapped IPv6 addresses are
 * their IPv4 address. Anything unparsable is its own network.
 */
export function clientNetwork(ip: string | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return ip ?? "-";
  const a = ipaddr.process(ip);
  if (a.kind() === "ipv4") return a.toString();
  const parts = (a as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(":")}::/64`;
}
