import ipaddr from "ipaddr.js";
import type { Role } from "../../platform/db/schema.ts";

/**
 * IP restrictions: which networks a tenant may be used from. Pure and unit-tested; the
 * authenticator (every credential on every request), the session start (every sign-in) and the
 * settings service (the lockout check) ask it.
 */

export type IpRules = {
  enabled: boolean;
  /** Canonical CIDR ranges (`network/prefix`), IPv4 and IPv6. */
  allowedIps: readonly string[];
  /** The ranges bind end users too (by default only staff). */
  enforceEndUsers: boolean;
  /** A session whose sign-in used a second factor (or a passkey) may come from anywhere. */
  allowTwoFactor: boolean;
};

export const NO_IP_RULES: IpRules = { enabled: false, allowedIps: [], enforceEndUsers: false, allowTwoFactor: false };

/** Whom a check is about: their role, and whether their credential came from a sign-in with a second factor. */
export type NetworkSubject = { role: Role; secondFactor: boolean };

/** At most this many ranges (Zendesk's field is a free list; a bound keeps every check cheap). */
export const MAX_RANGES = 200;

/**
 * A range in canonical form (`network/prefix`), or undefined when it is not one. A bare address
 * is its own range (/32 or /128); host bits after the prefix are cleared (`10.1.2.3/8` is
 * `10.0.0.0/8`); an IPv4-mapped IPv6 range is the IPv4 range it maps.
 */
export function canonicalRange(text: string): string | undefined {
  const s = text.trim();
  if (s.length === 0 || s.length > 64) return undefined;
  try {
    if (!s.includes("/")) {
      if (!ipaddr.isValid(s)) return undefined;
      const a = ipaddr.process(s);
      return `${a.toString()}/${a.kind() === "ipv4" ? 32 : 128}`;
    }
    // Strict: ipaddr.parseCIDR reads "10.1/8" as an IPv4 address in classful shorthand; only the
    // four-part form (or an IPv6 address) is a range here.
    const [addr, bits] = s.split("/") as [string, string];
    if (!/^\d{1,3}$/.test(bits) || !(ipaddr.IPv4.isValidFourPartDecimal(addr) || ipaddr.IPv6.isValid(addr))) return undefined;
    const [a, prefix] = ipaddr.parseCIDR(s);
    if (a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
      const v4 = (a as ipaddr.IPv6).toIPv4Address();
      return `${ipaddr.IPv4.networkAddressFromCIDR(`${v4.toString()}/${prefix - 96}`).toString()}/${prefix - 96}`;
    }
    const network = a.kind() === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(s) : ipaddr.IPv6.networkAddressFromCIDR(s);
    return `${network.toString()}/${prefix}`;
  } catch {
    return undefined;
  }
}

/** The ranges of a list in canonical form, sorted and without repeats; or the entries that are not ranges. */
export function parseRanges(list: readonly string[]): { ok: true; ranges: string[] } | { ok: false; bad: string[] } {
  const ranges = new Set<string>();
  const bad: string[] = [];
  for (const entry of list) {
    const r = canonicalRange(entry);
    if (r === undefined) bad.push(entry);
    else ranges.add(r);
  }
  return bad.length > 0 ? { ok: false, bad } : { ok: true, ranges: [...ranges].sort() };
}

/** Whether the address is in one of the ranges (an IPv4-mapped IPv6 address counts as its IPv4 address). */
export function inRanges(ranges: readonly string[], ip: string | undefined): boolean {
  if (!ip || !ipaddr.isValid(ip)) return false;
  const a = ipaddr.process(ip);
  return ranges.some((r) => {
    try {
      const range = ipaddr.parseCIDR(r);
      return range[0].kind() === a.kind() && a.match(range);
    } catch {
      return false;
    }
  });
}

export const ipRestrictionsPolicy = {
  /** Whether the rules bind this person at all (turned on; staff always, end users when chosen). */
  binds(rules: IpRules, role: Role): boolean {
    return rules.enabled && (role !== "end_user" || rules.enforceEndUsers);
  },
  /** May this person's credential be used from this address? */
  allows(rules: IpRules, who: NetworkSubject, ip: string | undefined): boolean {
    if (!this.binds(rules, who.role)) return true;
    if (rules.allowTwoFactor && who.secondFactor) return true;
    return inRanges(rules.allowedIps, ip);
  },
  /**
   * Would these rules shut out the admin making the change, from the address they use now and
   * with the credential they use now (a session's second factor; a token has none)?
   */
  locksOut(next: IpRules, admin: NetworkSubject, ip: string | undefined): boolean {
    return !this.allows(next, admin, ip);
  },
};

/** What a refused request is told (403). */
export const NETWORK_REFUSED = "Your network is not allowed to use this account: your team admits sign-ins and requests only from its listed networks. Ask an admin if you need access from here.";
