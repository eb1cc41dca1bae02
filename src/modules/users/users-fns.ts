import type { TenantSealer } from "../../platform/crypto/keyring.ts";

/** Pure user helpers other modules share (no database, no other module). */

/** The blind index of an e-mail address: how addresses are found and kept unique while sealed. */
export function emailIndex(sealer: Pick<TenantSealer, "blindIndex">, email: string): Buffer {
  return sealer.blindIndex("user.email", email.trim().toLowerCase());
}

/** The domain of an address, lower-cased (for organization domain mapping). */
export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1).trim().toLowerCase();
}

/** The blind index of a domain name (organization domains). */
export function domainIndex(sealer: Pick<TenantSealer, "blindIndex">, domain: string): Buffer {
  return sealer.blindIndex("organization.domain", domain.trim().toLowerCase().replace(/\.$/, ""));
}
