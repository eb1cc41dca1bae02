import { sql } from "kysely";
import type { Database } from "../../platform/db/database.ts";
import { CHAIN_BATCH, PENDING } from "./audit-service.ts";

type Log = { warn(obj: object, msg: string): void };

/**
 * Links queued audit entries into their tenant's hash chain shortly after they commit.
 *
 * Requests queue their entries with COMMIT (no shared lock); this chainer is told of each commit
 * that queued some and runs `vd_audit_chain` for that tenant in a transaction of its own, a few
 * milliseconds later, batching whatever has committed meanwhile. One run per tenant at a time in
 * this process; across processes the chain head's row lock decides (a busy head answers -1 and
 * the run retries). A sweep at start and every few seconds picks up entries queued by another
 * process or left by a crash. Reads of the log and verification do not depend on it: they chain
 * what is queued first (chainQueued).
 */
export class AuditChainer {
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly log: Log,
    private readonly opts: { delayMs?: number; sweepMs?: number } = {},
  ) {}

  start(): this {
    // PGlite runs one transaction at a time, and requests link their entries at commit there.
    if (this.db.kind !== "pglite") {
      this.unsubscribe = this.db.onTenantCommit((tenantId, bag) => {
        if (bag.has(PENDING)) this.schedule(tenantId);
      });
    }
    const sweepMs = this.opts.sweepMs ?? 3000;
    this.timer = setInterval(() => void this.sweep(), sweepMs);
    this.timer.unref();
    void this.sweep();
    return this;
  }

  /** Chains the tenant's queued entries soon; coalesces with a run already under way. */
  schedule(tenantId: string): void {
    if (this.stopped) return;
    if (this.running.has(tenantId)) {
      this.again.add(tenantId);
      return;
    }
    const run = this.run(tenantId).finally(() => {
      this.running.delete(tenantId);
      // A commit announced after the run's last look: go again.
      if (this.again.delete(tenantId)) this.schedule(tenantId);
    });
    this.running.set(tenantId, run);
  }

  /** Finds tenants with queued entries (any process's) and chains them. */
  async sweep(): Promise<void> {
    if (this.stopped || this.sweeping) return this.sweeping;
    this.sweeping = (async () => {
      try {
        const rows = await this.db.system((c) => sql<{ tenant_id: string }>`SELECT DISTINCT tenant_id FROM audit_queue`.execute(c));
        for (const r of rows.rows) this.schedule(r.tenant_id);
      } catch (err) {
        if (!this.stopped) this.log.warn({ err: errorName(err) }, "audit chainer: sweep failed; retrying at the next sweep");
      } finally {
        this.sweeping = undefined;
      }
    })();
    return this.sweeping;
  }

  /** Stops scheduling and waits for runs under way. Entries still queued are chained at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
    await Promise.all([...this.running.values()]);
  }

  /** Waits until nothing is scheduled (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  private async run(tenantId: string): Promise<void> {
    await delay(this.opts.delayMs ?? 2);
    let busy = 0;
    for (;;) {
      if (this.stopped) return;
      this.again.delete(tenantId);
      let n: number;
      try {
        n = await this.db.tenant(tenantId, async (tx) => {
          const r = await sql<{ n: number }>`SELECT vd_audit_chain(${CHAIN_BATCH}, false) AS n`.execute(tx.db);
          return r.rows[0]!.n;
        });
      } catch (err) {
        if (!this.stopped) this.log.warn({ err: errorName(err), tenant: tenantId }, "audit chainer: chaining failed; retrying at the next sweep");
        return;
      }
      if (n === -1) {
        // Another process is chaining this tenant; it may have read the queue before our
        // entries committed, so look again shortly (bounded: the sweep covers the rest).
        if (++busy > 200) return;
        await delay(10);
        continue;
      }
      if (n < CHAIN_BATCH && !this.again.has(tenantId)) return;
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Only the error's class and code reach the log: messages may quote SQL. */
function errorName(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { name?: unknown; code?: unknown };
    return `${String(e.name ?? "Error")}${e.code ? ` ${String(e.code)}` : ""}`;
  }
  return "Error";
}
