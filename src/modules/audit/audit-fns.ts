import crypto from "node:crypto";

/** Pure helpers of the audit chain. Must stay in step with vd_audit_canonical in the migrations. */

export type StoredEntry = {
  seq: number;
  id: string;
  at_us: string;
  actor_kind: string;
  actor_id: string;
  action: string;
  resource_type: string;
  resource_id: string;
  fields: string;
  ip_sealed: Uint8Array | null;
  request_id: string;
};

export function canonicalEntry(r: StoredEntry): string {
  const ip = r.ip_sealed ? Buffer.from(r.ip_sealed).toString("hex") : "";
  return [r.seq, r.at_us, r.id, r.actor_kind, r.actor_id, r.action, r.resource_type, r.resource_id, r.fields, ip, r.request_id].join(
    "|",
  );
}

/** The hash every tenant's chain starts from. */
export function genesisHash(tenantId: string): Buffer {
  return crypto.createHash("sha256").update(`vaultdesk-audit-genesis:${tenantId}`).digest();
}
