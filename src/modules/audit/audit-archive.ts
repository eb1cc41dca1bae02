import crypto from "node:crypto";
import readline from "node:readline";
import type { Readable } from "node:stream";
import { BlobNotFoundError, getSealed, putSealed, type BlobSealer } from "../../platform/blobs/index.ts";
import { actorUser, makeContext, type RequestContext } from "../../platform/context.ts";
import type { Database } from "../../platform/db/database.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import * as repo from "./audit-archive-repo.ts";
import { canonicalEntry, genesisHash, type StoredEntry } from "./audit-fns.ts";
import { auditPolicy } from "./audit-policy.ts";
import { audit, chainQueued } from "./audit-service.ts";

/**
 * Archiving the audit trail. Entries older than the tenant's hot period (the retention policy's
 * `audit_hot_days`, 90 by default) are written in chain order to a sealed file — one JSON line per
 * entry after a header naming the chain's hash before the first entry — and recorded in
 * `audit_archives` with that hash, the last entry's hash and the file's SHA-256. After
 * `audit_purge_days` more (30 by default), each archive's file is read back and its chain
 * recomputed; only then are its entries deleted from the database (vd_audit_purge, which checks
 * the archive against the chain). Verification of the database's entries starts from the last
 * purged archive's final hash, and each file verifies on its own from its header, so the chain
 * stays verifiable across the cut. Runs every six hours, once across server processes; each
 * archive and purge is audited.
 */

export const ARCHIVE_MAX_ENTRIES = 100_000;
const READ_BATCH = 2000;
const ref = (id: string) => ({ purpose: "audit" as const, id });

type Header = { schema: "vaultdesk.audit-archive"; version: 1; tenant_id: string; first_seq: number; last_seq: number; prev_hash: string };
type Line = { seq: number; id: string; at_us: string; actor_kind: string; actor_id: string; action: string; resource_type: string; resource_id: string; fields: string; ip_sealed: string | null; request_id: string; hash: string };

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const storedOf = (l: Line): StoredEntry => ({ ...l, ip_sealed: l.ip_sealed ? Buffer.from(l.ip_sealed, "hex") : null });

type Deps = Pick<AppDeps, "db" | "keyring" | "blobs">;

/** Archives a tenant's entries older than its hot period, in files of at most ARCHIVE_MAX_ENTRIES. Returns how many archives it made. */
export async function archiveTenant(deps: Deps, tenantId: string, now: Date): Promise<number> {
  let made = 0;
  // One run archives what was there when it started (each archive adds an entry of its own).
  let ceiling = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const plan = await deps.db.tenant(tenantId, async (tx) => {
      await chainQueued(tx);
      const days = await repo.auditDays(tx);
      const last = await repo.lastArchive(tx);
      const from = last ? Number(last.last_seq) + 1 : 1;
      const prev = last ? Buffer.from(last.last_hash) : from === 1 ? genesisHash(tenantId) : Buffer.from((await repo.hashAt(tx, from - 1)) ?? genesisHash(tenantId));
      if (ceiling === Number.MAX_SAFE_INTEGER) ceiling = Number((await tx.db.selectFrom("audit_heads").select("seq").where("tenant_id", "=", tenantId).executeTakeFirst())?.seq ?? 0);
      const through = Math.min(ceiling, await repo.archivableThrough(tx, from, new Date(now.getTime() - days.hot * 86_400_000), ARCHIVE_MAX_ENTRIES));
      return { from, through, prev, sealer: await deps.keyring.sealerFor(tx) };
    });
    if (plan.through < plan.from) return made;
    const id = crypto.randomUUID();
    const seen = { first_at: new Date(0), last_at: new Date(0), last_hash: plan.prev, entries: 0 };
    async function* lines(): AsyncGenerator<Buffer> {
      const header: Header = { schema: "vaultdesk.audit-archive", version: 1, tenant_id: tenantId, first_seq: plan.from, last_seq: plan.through, prev_hash: hex(plan.prev) };
      yield Buffer.from(`${JSON.stringify(header)}\n`);
      let h = plan.prev;
      for (let at = plan.from; at <= plan.through; ) {
        const rows = await deps.db.tenant(tenantId, (tx) => repo.entriesFrom(tx, at, plan.through, READ_BATCH));
        if (rows.length === 0) throw new Error("audit entries vanished while archiving");
        const out: string[] = [];
        for (const r of rows) {
          // Each entry is checked against the chain as it is written: an archive never holds a broken chain.
          if (r.seq !== at) throw new Error(`audit entry ${at} is missing`);
          const line: Line = { seq: r.seq, id: r.id, at_us: r.at_us, actor_kind: r.actor_kind, actor_id: r.actor_id, action: r.action, resource_type: r.resource_type, resource_id: r.resource_id, fields: r.fields, ip_sealed: r.ip_sealed ? hex(r.ip_sealed) : null, request_id: r.request_id, hash: hex(r.hash) };
          h = crypto.createHash("sha256").update(h).update(canonicalEntry(storedOf(line)), "utf8").digest();
          if (!h.equals(Buffer.from(r.hash))) throw new Error(`audit chain broken at entry ${r.seq}`);
          if (seen.entries === 0) seen.first_at = r.occurred_at;
          seen.last_at = r.occurred_at;
          seen.entries++;
          at++;
          out.push(JSON.stringify(line));
        }
        seen.last_hash = h;
        yield Buffer.from(`${out.join("\n")}\n`);
      }
    }
    const written = await putSealed(deps.blobs, plan.sealer as BlobSealer, ref(id), lines(), { sha256: true });
    await deps.db.tenant(tenantId, async (tx) => {
      const ctx = makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now });
      const nice = await repo.insertArchive(tx, { id, first_seq: plan.from, last_seq: plan.through, first_at: seen.first_at, last_at: seen.last_at, prev_hash: plan.prev, last_hash: seen.last_hash, entries: seen.entries, sha256: Buffer.from(written.sha256!, "hex"), bytes: written.bytes });
      audit(ctx, { action: "audit_log.archived", resourceType: "audit_archive", resourceId: nice });
    });
    made++;
  }
}

export type ArchiveCheck = { ok: true } | { ok: false; reason: string };

/** Reads an archive's file back and recomputes its chain from its header to its row's last hash. */
export async function verifyArchiveFile(deps: Pick<AppDeps, "blobs">, sealer: BlobSealer, a: repo.ArchiveRow): Promise<ArchiveCheck> {
  let stream: Readable;
  try {
    stream = await getSealed(deps.blobs, sealer, ref(a.id));
  } catch (e) {
    return { ok: false, reason: `the archive's file cannot be read (${(e as Error).name})` };
  }
  const sha = crypto.createHash("sha256");
  stream.on("data", (chunk: Buffer) => sha.update(chunk));
  let header: Header | undefined;
  let h = Buffer.from(a.prev_hash);
  let expected = Number(a.first_seq);
  try {
    for await (const text of readline.createInterface({ input: stream, crlfDelay: Infinity })) {
      if (!header) {
        header = JSON.parse(text) as Header;
        if (header.schema !== "vaultdesk.audit-archive" || header.first_seq !== Number(a.first_seq) || header.last_seq !== Number(a.last_seq) || header.prev_hash !== hex(a.prev_hash)) return { ok: false, reason: "the file's header does not match its archive" };
        continue;
      }
      const line = JSON.parse(text) as Line;
      if (line.seq !== expected) return { ok: false, reason: `entry ${expected} is missing from the file` };
      h = crypto.createHash("sha256").update(h).update(canonicalEntry(storedOf(line)), "utf8").digest();
      if (hex(h) !== line.hash) return { ok: false, reason: `hash mismatch at entry ${line.seq}` };
      expected++;
    }
  } catch (e) {
    return { ok: false, reason: `the file cannot be read to its end (${(e as Error).name})` };
  }
  if (expected !== Number(a.last_seq) + 1) return { ok: false, reason: "the file ends early" };
  if (!h.equals(Buffer.from(a.last_hash))) return { ok: false, reason: "the file's last hash does not match its archive" };
  if (!sha.digest().equals(Buffer.from(a.sha256))) return { ok: false, reason: "the file's SHA-256 does not match its archive" };
  return { ok: true };
}

/**
 * Deletes from the database the entries of archives older than the purge delay, oldest first, each
 * only after its file verified; stops at the first that does not (audited as a failed check, and
 * left for an operator). Returns how many entries it deleted.
 */
export async function purgeArchived(deps: Deps, tenantId: string, now: Date): Promise<number> {
  let deleted = 0;
  const { days, candidates, sealer } = await deps.db.tenant(tenantId, async (tx) => {
    const days = await repo.auditDays(tx);
    return { days, candidates: await repo.purgeable(tx, new Date(now.getTime() - days.purge * 86_400_000)), sealer: await deps.keyring.sealerFor(tx) };
  });
  void days;
  for (const a of candidates) {
    const check = await verifyArchiveFile(deps, sealer, a);
    const n = await deps.db.tenant(tenantId, async (tx) => {
      const ctx = makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now });
      if (!check.ok) {
        audit(ctx, { action: "audit_archive.check_failed", resourceType: "audit_archive", resourceId: Number(a.nice_id) });
        return -1;
      }
      await repo.markVerified(tx, a.id, now);
      const gone = await repo.purgeThrough(tx, Number(a.last_seq));
      audit(ctx, { action: "audit_log.purged", resourceType: "audit_archive", resourceId: Number(a.nice_id) });
      return gone;
    });
    if (n < 0) break;
    deleted += n;
  }
  return deleted;
}

export function auditArchiveUpkeep(deps: Deps): MaintenanceTask[] {
  return [
    {
      name: "audit.archive",
      everyMs: 6 * 3600_000,
      shared: true,
      run: async (now) => {
        await forEachTenant(deps.db, async (tenantId) => {
          await archiveTenant(deps, tenantId, now);
          await purgeArchived(deps, tenantId, now);
        });
      },
    },
  ];
}

/** Every archive file of a tenant checked (the CLI's `audit verify`): the first failure, if any. */
export async function verifyArchives(deps: { db: Database; keyring: AppDeps["keyring"]; blobs: AppDeps["blobs"] }, tenantId: string): Promise<{ archives: number; archived_entries: number; failure: { archive: number; reason: string } | null }> {
  const { rows, sealer } = await deps.db.tenant(tenantId, async (tx) => ({ rows: await repo.allArchives(tx), sealer: await deps.keyring.sealerFor(tx) }));
  let prev = genesisHash(tenantId);
  let entries = 0;
  for (const a of rows) {
    if (Number(a.first_seq) === 1 ? !Buffer.from(a.prev_hash).equals(genesisHash(tenantId)) : !Buffer.from(a.prev_hash).equals(prev) && entries > 0) return { archives: rows.length, archived_entries: entries, failure: { archive: Number(a.nice_id), reason: "it does not follow the archive before it" } };
    const check = await verifyArchiveFile(deps, sealer, a);
    if (!check.ok) return { archives: rows.length, archived_entries: entries, failure: { archive: Number(a.nice_id), reason: check.reason } };
    prev = Buffer.from(a.last_hash);
    entries += a.entries;
  }
  return { archives: rows.length, archived_entries: entries, failure: null };
}

// ---- API -------------------------------------------------------------------------------------

export type ArchiveView = { id: number; first_entry_id: number; last_entry_id: number; first_at: string; last_at: string; entries: number; sha256: string; prev_hash: string; last_hash: string; created_at: string; verified_at: string | null; purged_at: string | null };

const view = (a: repo.ArchiveRow): ArchiveView => ({
  id: Number(a.nice_id),
  first_entry_id: Number(a.first_seq),
  last_entry_id: Number(a.last_seq),
  first_at: a.first_at.toISOString(),
  last_at: a.last_at.toISOString(),
  entries: a.entries,
  sha256: hex(a.sha256),
  prev_hash: hex(a.prev_hash),
  last_hash: hex(a.last_hash),
  created_at: a.created_at.toISOString(),
  verified_at: a.verified_at?.toISOString() ?? null,
  purged_at: a.purged_at?.toISOString() ?? null,
});

export async function listArchives(ctx: RequestContext, page: Page) {
  if (!auditPolicy.view(actorUser(ctx))) throw forbidden();
  const { rows, count } = await repo.listArchives(ctx.tx, page);
  return { views: rows.map(view), count };
}

/** An archive's file, decrypted, as JSON lines (audited: who took a copy of the trail). */
export async function openArchive(deps: Pick<AppDeps, "blobs">, ctx: RequestContext, niceId: number): Promise<{ stream: Readable; name: string }> {
  if (!auditPolicy.view(actorUser(ctx))) throw forbidden();
  const a = await repo.findArchive(ctx.tx, niceId);
  if (!a) throw notFound();
  const stream = await getSealed(deps.blobs, ctx.sealer as BlobSealer, ref(a.id)).catch((e: unknown) => {
    // The operator removed the file (audit verify reports it too): gone, not a server error.
    if (e instanceof BlobNotFoundError) throw new AppError("Gone", { description: "This archive's file is no longer in the blob store." });
    throw e;
  });
  audit(ctx, { action: "audit_archive.downloaded", resourceType: "audit_archive", resourceId: niceId });
  return { stream, name: `audit-${a.first_seq}-${a.last_seq}.jsonl` };
}
