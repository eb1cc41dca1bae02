import crypto from "node:crypto";
import { z } from "zod";
import type { Database, TenantTx } from "../../platform/db/database.ts";
import type { Keyring } from "../../platform/crypto/keyring.ts";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { AppError, forbidden } from "../../platform/errors.ts";
import { auditPolicy } from "./audit-policy.ts";
import { chainQueued } from "./audit-service.ts";
import { hashAt, purgedCut } from "./audit-archive-repo.ts";

/**
 * Signed checkpoints of a tenant's audit chain (docs/security-model.md, Audit trail): the chain's
 * last entry and its hash, signed with the installation's checkpoint key (Ed25519, derived from the
 * master key). Kept outside the database (an operator's log host, a write-once store), they show a
 * rewrite of the chain that is consistent in itself: someone with the database owner's rights can
 * disable the append-only trigger and recompute every hash from an altered entry on, but cannot
 * make the entry a checkpoint names keep its hash, nor remove entries below it unseen.
 */

export const CHECKPOINT_FORMAT = "vaultdesk-audit-checkpoint/1";

/** A checkpoint as printed (one JSON line) and read back. */
export const checkpointSchema = z
  .object({
    format: z.literal(CHECKPOINT_FORMAT),
    tenant: z.string().max(63),
    tenant_id: z.string().uuid(),
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    hash: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 hexadecimal digits"),
    at: z.string().datetime(),
    key: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be an Ed25519 public key (base64url)"),
    signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/, "must be an Ed25519 signature (base64url)"),
  })
  .strict();
export type Checkpoint = z.infer<typeof checkpointSchema>;

/** What is signed: every field but the subdomain (a name, which may change) and the signature, one per line. */
const signedText = (c: Pick<Checkpoint, "tenant_id" | "seq" | "hash" | "at">) => [CHECKPOINT_FORMAT, c.tenant_id, String(c.seq), c.hash, c.at].join("\n");

/** The installation's checkpoint public key as checkpoints carry it (the raw 32 bytes, base64url). */
export function checkpointKeyId(keyring: Keyring): string {
  const jwk = keyring.checkpointKeys().publicKey.export({ format: "jwk" });
  return String(jwk.x);
}

/** A signed checkpoint of the tenant's chain as it is now (entries still queued are linked first). */
export async function makeCheckpoint(db: Database, keyring: Keyring, tenant: { id: string; subdomain: string }, now: Date): Promise<Checkpoint> {
  return db.tenant(tenant.id, (tx) => checkpointIn(tx, keyring, tenant.subdomain, now));
}

/** `makeCheckpoint` in the tenant's transaction (the API's, an operator's). */
export async function checkpointIn(tx: TenantTx, keyring: Keyring, subdomain: string, now: Date): Promise<Checkpoint> {
  await chainQueued(tx);
  const head = await tx.db.selectFrom("audit_heads").select(["seq", "hash"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  if (!head) throw new AppError("Conflict", { description: "this tenant's audit chain has no entries yet" });
  const fields = { tenant_id: tx.tenantId, seq: Number(head.seq), hash: Buffer.from(head.hash).toString("hex"), at: now.toISOString() };
  const keys = keyring.checkpointKeys();
  const signature = crypto.sign(null, Buffer.from(signedText(fields), "utf8"), keys.privateKey).toString("base64url");
  return { format: CHECKPOINT_FORMAT, tenant: subdomain, ...fields, key: checkpointKeyId(keyring), signature };
}

/**
 * The API's checkpoint, for whoever may read the account's audit log (auditPolicy): an account's
 * admins keep their own, outside the installation, and need not trust its operator to have kept
 * them (docs/api.md, Audit logs).
 */
export async function checkpointForReader(keyring: Keyring, ctx: RequestContext, subdomain: string): Promise<Checkpoint> {
  if (!auditPolicy.view(actorUser(ctx))) throw forbidden();
  return checkpointIn(ctx.tx, keyring, subdomain, ctx.now());
}

/** The API's check of kept checkpoints against the account's chain, for the same readers. */
export async function checkCheckpointsForReader(keyring: Keyring, ctx: RequestContext, checkpoints: Checkpoint[]): Promise<CheckpointCheck[]> {
  if (!auditPolicy.view(actorUser(ctx))) throw forbidden();
  return checkCheckpointsIn(ctx.tx, keyring, checkpoints);
}

/** How one checkpoint compares with the chain now. */
export type CheckpointCheck =
  | { seq: number; at: string; result: "matches" }
  | { seq: number; at: string; result: "archived" }
  | { seq: number; at: string; result: "differs" | "missing" | "unsigned" | "other_tenant"; reason: string };

/**
 * Compares checkpoints with the tenant's chain as stored: each must be signed with this
 * installation's key for this tenant, and the entry it names must still be there with the same
 * hash. (Whether the stored hashes are those of the entries is `audit verify`'s chain check; the
 * two together show the entries up to a checkpoint are the ones it was made over.) An entry
 * archived and purged since is in an archive file, whose chain `audit verify` checks from the
 * database's first entry back: reported as `archived`, or compared when it is an archive's last.
 */
export async function checkCheckpoints(db: Database, keyring: Keyring, tenantId: string, checkpoints: Checkpoint[]): Promise<CheckpointCheck[]> {
  return db.tenant(tenantId, (tx) => checkCheckpointsIn(tx, keyring, checkpoints));
}

/** `checkCheckpoints` in the tenant's transaction (the API's, an operator's). */
export async function checkCheckpointsIn(tx: TenantTx, keyring: Keyring, checkpoints: Checkpoint[]): Promise<CheckpointCheck[]> {
  const publicKey = keyring.checkpointKeys().publicKey;
  const ours = checkpointKeyId(keyring);
  await chainQueued(tx);
  const head = await tx.db.selectFrom("audit_heads").select(["seq"]).where("tenant_id", "=", tx.tenantId).executeTakeFirst();
  const cut = await purgedCut(tx);
  const out: CheckpointCheck[] = [];
  for (const c of checkpoints) {
    const base = { seq: c.seq, at: c.at };
    let signed = false;
    try {
      // The signature's text must be the one encoding of its bytes: a last character with other
      // padding bits decodes to the same bytes, and would make one checkpoint two different lines.
      const bytes = Buffer.from(c.signature, "base64url");
      signed = c.key === ours && bytes.toString("base64url") === c.signature && crypto.verify(null, Buffer.from(signedText(c), "utf8"), publicKey, bytes);
    } catch {
      signed = false;
    }
    if (!signed) {
      out.push({ ...base, result: "unsigned", reason: c.key === ours ? "its signature does not match its contents (altered)" : "not signed with this installation's checkpoint key" });
      continue;
    }
    if (c.tenant_id !== tx.tenantId) {
      out.push({ ...base, result: "other_tenant", reason: "made for another tenant" });
      continue;
    }
    out.push({ ...base, ...(await compare(tx, c, head ? Number(head.seq) : 0, cut ? Number(cut.last_seq) : 0)) });
  }
  return out;
}

async function compare(tx: TenantTx, c: Checkpoint, headSeq: number, purgedThrough: number): Promise<{ result: "matches" | "archived" } | { result: "differs" | "missing"; reason: string }> {
  if (c.seq > headSeq) return { result: "missing", reason: `the chain ends at entry ${headSeq}, before this checkpoint's entry ${c.seq}: entries were removed` };
  if (c.seq === 0) return { result: "matches" };
  let stored: Uint8Array | undefined;
  if (c.seq <= purgedThrough) {
    // Purging deletes the entries in the transaction that marks the archive purged: one still here
    // is one an archive was marked purged over by hand, taking it out of the chain check.
    if (await hashAt(tx, c.seq)) return { result: "differs", reason: `entry ${c.seq} is still in the database below the purged archives: an archive was marked purged without its entries being deleted` };
    const archive = await tx.db.selectFrom("audit_archives").select(["last_hash"]).where("tenant_id", "=", tx.tenantId).where("last_seq", "=", c.seq).where("purged_at", "is not", null).executeTakeFirst();
    if (!archive) return { result: "archived" };
    stored = archive.last_hash;
  } else {
    stored = await hashAt(tx, c.seq);
    if (!stored) return { result: "missing", reason: `entry ${c.seq} is not in the chain` };
  }
  return Buffer.from(stored).toString("hex") === c.hash ? { result: "matches" } : { result: "differs", reason: `entry ${c.seq} has another hash than when the checkpoint was made: the chain was rewritten from that entry or before` };
}
