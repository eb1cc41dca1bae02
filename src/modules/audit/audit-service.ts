import crypto from "node:crypto";
import { sql } from "kysely";
import { actorUser, type Actor, type RequestContext } from "../../platform/context.ts";
import { forbidden } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import { auditPolicy } from "./audit-policy.ts";
import * as repo from "./audit-repo.ts";
import type { Database, TenantTx } from "../../platform/db/database.ts";
import type { TenantSealer } from "../../platform/crypto/keyring.ts";
import { canonicalEntry, genesisHash, type StoredEntry } from "./audit-fns.ts";
import { purgedCut } from "./audit-archive-repo.ts";

/**
 * The security audit trail: a per-tenant hash chain, append-only.
 *
 * Entries are collected during the transaction and queued by one `vd_audit_enqueue` call sent
 * with COMMIT, so an entry commits or rolls back with the change it records, and no lock is
 * shared between a tenant's requests. The audit chainer (audit-chainer.ts) links queued entries
 * into the chain right after they commit; reads of the log and verification first chain whatever
 * is queued, so they always see every committed entry. On PGlite, which runs one transaction at a
 * time, entries are linked at commit. Entries name fields, never values.
 */

export type AuditInput = {
  action: string;
  resourceType: string;
  resourceId: string | number;
  fields?: readonly string[];
};

const NAME = /^[a-z0-9_.:-]{1,80}$/;
const RESOURCE_ID = /^[A-Za-z0-9_.:@-]{1,120}$/;
/** Most entries one `vd_audit_chain` call links. */
export const CHAIN_BATCH = 2000;

/** The transaction bag key under which a transaction's audit entries wait; the chainer watches it. */
export const PENDING = "audit.pending";

function actorParts(actor: Actor): { kind: string; id: string } {
  return actor.kind === "user" ? { kind: "user", id: String(actor.niceId) } : { kind: actor.kind, id: "" };
}

function toJsonEntry(sealer: TenantSealer, actor: Actor, requestId: string, ip: string | undefined, e: AuditInput) {
  for (const n of [e.action, e.resourceType, ...(e.fields ?? [])]) {
    if (!NAME.test(n)) throw new Error(`audit names must match ${NAME}`);
  }
  if (!RESOURCE_ID.test(String(e.resourceId))) throw new Error(`audit resource ids must match ${RESOURCE_ID}`);
  const id = crypto.randomUUID();
  const a = actorParts(actor);
  return {
    id,
    actor_kind: a.kind,
    actor_id: a.id,
    action: e.action,
    resource_type: e.resourceType,
    resource_id: String(e.resourceId),
    fields: [...(e.fields ?? [])].sort().join(","),
    ip: ip ? sealer.seal(ip, { table: "audit_log" as const, column: "ip" as const, row: id }).toString("hex") : null,
    request_id: requestId.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64),
  };
}

/** Records an audit entry in the request's transaction; returns the entry's id. */
export function audit(ctx: RequestContext, entry: AuditInput): string {
  let pending = ctx.tx.bag.get(PENDING) as unknown[] | undefined;
  if (!pending) {
    pending = [];
    ctx.tx.bag.set(PENDING, pending);
    const list = pending;
    // Sent with COMMIT in one round trip (no parameters there): the entries are inlined as a
    // dollar-quoted literal under a random tag; every field is validated against a strict charset.
    ctx.tx.beforeCommit("audit", async () => {
      const tag = `vda${crypto.randomBytes(6).toString("hex")}`;
      const enqueue = `SELECT vd_audit_enqueue($${tag}$${JSON.stringify(list)}$${tag}$::jsonb)`;
      // One transaction at a time (PGlite): nothing to wait for, so link them right here.
      return ctx.tx.serialized ? `${enqueue}; SELECT vd_audit_chain(${CHAIN_BATCH}, true)` : enqueue;
    });
  }
  const e = toJsonEntry(ctx.sealer, ctx.actor, ctx.requestId, ctx.ip, entry);
  pending.push(e);
  return e.id;
}

/**
 * Records an operator entry (no client address) from a system transaction scoped to the tenant,
 * linked into the chain in the same transaction.
 */
export async function auditOperatorAction(conn: import("../../platform/db/database.ts").Conn, entry: AuditInput): Promise<void> {
  for (const n of [entry.action, entry.resourceType, ...(entry.fields ?? [])]) {
    if (!NAME.test(n)) throw new Error(`audit names must match ${NAME}`);
  }
  const e = {
    id: crypto.randomUUID(),
    actor_kind: "operator",
    actor_id: "",
    action: entry.action,
    resource_type: entry.resourceType,
    resource_id: String(entry.resourceId),
    fields: [...(entry.fields ?? [])].sort().join(","),
    ip: null,
    request_id: `op-${crypto.randomUUID().slice(0, 8)}`,
  };
  await sql`SELECT vd_audit_enqueue(${JSON.stringify([e])}::jsonb)`.execute(conn);
  // Operator actions are rare: link at once (holding the chain head until this commit is fine).
  await sql`SELECT vd_audit_chain(${CHAIN_BATCH}, true)`.execute(conn);
}

/**
 * Chains every entry of the transaction's tenant that is queued and committed, waiting for a
 * chainer that holds the chain head. Called before the log is read or verified.
 */
export async function chainQueued(tx: { db: import("../../platform/db/database.ts").Conn }): Promise<number> {
  let total = 0;
  for (;;) {
    const n = (await sql<{ n: number }>`SELECT vd_audit_chain(${CHAIN_BATCH}, true) AS n`.execute(tx.db)).rows[0]!.n;
    total += n;
    if (n < CHAIN_BATCH) return total;
  }
}

export type VerifyResult = { ok: true; entries: number } | { ok: false; entries: number; brokenAt: number; reason: string };

/** Recomputes a tenant's chain from its first entry, in a transaction of its own. */
export async function verifyChain(db: Database, tenantId: string): Promise<VerifyResult> {
  return db.tenant(tenantId, (tx) => verifyChainIn(tx));
}

/** Recomputes the chain of the transaction's tenant, inside that transaction (e.g. a request's). */
export async function verifyChainIn(tx: TenantTx): Promise<VerifyResult> {
  const tenantId = tx.tenantId;
  await chainQueued(tx);
  const head = await tx.db.selectFrom("audit_heads").select(["seq", "hash"]).where("tenant_id", "=", tenantId).executeTakeFirst();
  // Entries archived and purged (audit-archive.ts) are verified in their files; the database's
  // part of the chain starts from the last purged archive's final hash.
  const cut = await purgedCut(tx);
  let prev = cut ? Buffer.from(cut.last_hash) : genesisHash(tenantId);
  let expectedSeq = cut ? Number(cut.last_seq) + 1 : 1;
  const first = expectedSeq;
  // The purge deletes an archive's entries in the transaction that marks it purged (vd_audit_purge):
  // an entry still here below the cut was left there by hand, out of reach of this check.
  if (cut) {
    const below = await tx.db.selectFrom("audit_log").select("seq").where("tenant_id", "=", tenantId).where("seq", "<=", cut.last_seq).orderBy("seq").limit(1).executeTakeFirst();
    if (below) return { ok: false as const, entries: 0, brokenAt: Number(below.seq), reason: "entry below the purged archives still in the database" };
  }
  let count = 0;
  const batch = 5000;
  for (;;) {
    const rows = await tx.db
      .selectFrom("audit_log")
      .select([
        "seq",
        "id",
        sql<string>`((extract(epoch FROM occurred_at) * 1000000)::bigint)::text`.as("at_us"),
        "actor_kind",
        "actor_id",
        "action",
        "resource_type",
        "resource_id",
        "fields",
        "ip_sealed",
        "request_id",
        "hash",
      ])
      .where("tenant_id", "=", tenantId)
      .where("seq", ">=", expectedSeq)
      .orderBy("seq")
      .limit(batch)
      .execute();
    for (const r of rows) {
      if (r.seq !== expectedSeq) {
        return { ok: false as const, entries: count, brokenAt: expectedSeq, reason: "entry missing" };
      }
      const h = crypto.createHash("sha256").update(prev).update(canonicalEntry(r as StoredEntry), "utf8").digest();
      if (!h.equals(Buffer.from(r.hash))) {
        return { ok: false as const, entries: count, brokenAt: r.seq, reason: "hash mismatch" };
      }
      prev = h;
      expectedSeq++;
      count++;
    }
    if (rows.length < batch) break;
  }
  if (!head) return { ok: false as const, entries: count, brokenAt: 0, reason: "chain head missing" };
  if (head.seq !== first - 1 + count || !Buffer.from(head.hash).equals(prev)) {
    return { ok: false as const, entries: count, brokenAt: first + count, reason: "chain head does not match the last entry" };
  }
  return { ok: true as const, entries: count };
}

export type AuditLogFilter = { action?: string | undefined; actor_id?: number | undefined; source_type?: string | undefined; source_id?: string | undefined; since?: string | undefined; until?: string | undefined };

/** The audit log (owners and admins): who did what to which resource and which fields; never values. */
export async function listAuditLogs(ctx: RequestContext, page: Page, filter: AuditLogFilter) {
  if (!auditPolicy.view(actorUser(ctx))) throw forbidden();
  // Entries committed but not yet linked by the chainer are chained first, so the log is complete.
  await chainQueued(ctx.tx);
  const { rows, count } = await repo.listEntries(ctx.tx, page, filter);
  const views = rows.map((r) => ({
    id: r.seq,
    url: `${ctx.apiBase}/audit_logs/${r.seq}.json`,
    created_at: r.occurred_at.toISOString(),
    actor_type: r.actor_kind,
    actor_id: r.actor_id ? Number(r.actor_id) : null,
    action: r.action,
    source_type: r.resource_type,
    source_id: r.resource_id,
    changed_fields: r.fields ? r.fields.split(",") : [],
    ip_address: r.ip_sealed ? ctx.sealer.open(r.ip_sealed, { table: "audit_log", column: "ip", row: r.id }) : null,
    request_id: r.request_id,
  }));
  return { views, count };
}


export type VerificationView = { verified: boolean; entries_checked: number; first_broken_id: number | null; reason: string | null; checked_at: string };

/** Recomputes the tenant's audit hash chain with the audit module's own verifier, in this request's transaction. */
export async function verifyAuditChain(ctx: RequestContext): Promise<VerificationView> {
  if (!auditPolicy.view(actorUser(ctx))) throw forbidden();
  const r = await verifyChainIn(ctx.tx);
  return {
    verified: r.ok,
    entries_checked: r.entries,
    first_broken_id: r.ok ? null : r.brokenAt,
    reason: r.ok ? null : r.reason,
    checked_at: ctx.now().toISOString(),
  };
}
