/**
 * Opened values kept in this process: a bounded cache of what sealed rows hold once opened and
 * parsed, for rows every ticket write reads in full (SLA policies' filters, active triggers'
 * conditions and actions: up to 1 MB an account, which cost a write ~0.3 s to open each time).
 *
 * Invariants (docs/security-model.md, "Opened values in memory"):
 *  - An entry belongs to one tenant: its key is (tenant, row id, row version), and a lookup names
 *    the tenant of the transaction asking; two tenants' rows with the same id never share one.
 *  - The row version is read from the database with the row's cheap columns on every use (its
 *    `updated_at` to the microsecond and its `xmin`, which every UPDATE moves): a row changed by
 *    any server process is opened again, never served stale. Only the sealed bytes are skipped.
 *  - Bounded by the bytes of the values it holds (their sealed length, about their JSON text), the
 *    least recently used going first. An entry is served at most `maxAgeMs` after it was opened, and
 *    dropped from memory at the latest by the first lookup a quarter of that later (a sweep).
 *  - `Keyring.forget` (a tenant shredded, or a new data-key version added) drops the tenant's
 *    entries in this process at once. Other processes keep theirs until they expire.
 *  - Values are frozen: a caller cannot change what another request (or tenant) will read.
 *
 * The bounds (bytes, least recently used, age) are lru-cache's; this file adds the tenant in the
 * key, the tenant-wide drop, the freezing and the periodic sweep.
 */

import { LRUCache } from "lru-cache";

type Entry<V> = { value: V; bytes: number };

const caches = new Set<OpenedCache<unknown>>();

/** Drops a tenant's entries from every cache of this process (called by Keyring.forget). */
export function forgetOpened(tenantId: string): void {
  for (const c of caches) c.dropTenant(tenantId);
}

/** Freezes a parsed JSON value (objects and arrays, deeply); returns it. */
export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

export class OpenedCache<V> {
  // lru-cache's value type must be an object: each value is kept in an entry with its size.
  readonly #lru: LRUCache<string, Entry<V>>;
  readonly #maxAgeMs: number;
  readonly #clock: () => number;
  #sweptAt = 0;

  constructor(opts: { maxBytes: number; maxAgeMs: number; clock?: () => number }) {
    this.#maxAgeMs = opts.maxAgeMs;
    this.#clock = opts.clock ?? Date.now;
    this.#lru = new LRUCache<string, Entry<V>>({
      maxSize: opts.maxBytes,
      sizeCalculation: (e) => Math.max(1, e.bytes),
      ttl: opts.maxAgeMs,
      ttlResolution: 0,
      perf: { now: () => this.#clock() },
      allowStale: false,
      updateAgeOnGet: false,
    });
    caches.add(this as OpenedCache<unknown>);
  }

  static #key(tenantId: string, rowId: string, version: string): string {
    return `${tenantId}\u0000${rowId}\u0000${version}`;
  }

  /** The opened value of a tenant's row at a version, if this process holds it (and it is not past its age). */
  get(tenantId: string, rowId: string, version: string): V | undefined {
    this.#sweep();
    return this.#lru.get(OpenedCache.#key(tenantId, rowId, version))?.value;
  }

  /** Keeps a tenant's row's opened value at a version (frozen), dropping the least recently used past the bound; a value larger than the bound is not kept. */
  set(tenantId: string, rowId: string, version: string, value: V, bytes: number): void {
    const k = OpenedCache.#key(tenantId, rowId, version);
    if (bytes > this.#lru.maxSize) {
      this.#lru.delete(k);
      return;
    }
    this.#lru.set(k, { value: deepFreeze(value), bytes });
  }

  /** Drops every entry of a tenant. */
  dropTenant(tenantId: string): void {
    const prefix = `${tenantId}\u0000`;
    for (const k of [...this.#lru.keys()]) if (k.startsWith(prefix)) this.#lru.delete(k);
  }

  /** Entries and bytes held (for operators' figures and tests). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#lru.size, bytes: this.#lru.calculatedSize };
  }

  /** Drops the expired entries from memory, at most four times a lifetime (lru-cache drops them otherwise only when asked for). */
  #sweep(): void {
    const now = this.#clock();
    if (now - this.#sweptAt < this.#maxAgeMs / 4) return;
    this.#sweptAt = now;
    this.#lru.purgeStale();
  }
}
