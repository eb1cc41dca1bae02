import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { PGliteDialect } from "./pglite-dialect.ts";
import { startPGliteThread } from "./pglite-thread.ts";
import { ensurePrepared } from "./prepared.ts";
import { DatabaseUnavailableError, isDatabaseUnavailable } from "./unavailable.ts";
import type { DB } from "./schema.ts";

/**
 * The only place that opens connections and sets the tenant context.
 *
 * Tenant work runs in `db.tenant(tenantId, fn)`: one transaction whose first round trip is
 * `BEGIN; SET LOCAL ROLE vaultdesk_app; SELECT set_config('app.tenant_id', …, true)`, so every
 * statement inside runs as the unprivileged app role under row-level security for that tenant.
 * `db.system(fn)` runs as the owner role and is kept for the tenant registry, key creation,
 * migrations and operator commands.
 */

export const APP_ROLE = "vaultdesk_app";

/**
 * The all-zero uuid: no row has it. Used where a filter must match nothing (a search term naming
 * nobody) and as the start of a keyset walk over uuids.
 */
export const NO_ID = "00000000-0000-0000-0000-000000000000";

/** Advisory lock ids (transaction-scoped), one per kind of installation-wide serialized work. */
export const ADVISORY_LOCK = {
  /** Several processes start at once against one PostgreSQL: one migrates, the others wait. */
  migrate: 7413061,
  /** Tenant creation: "the first tenant becomes the default" and the subdomain check cannot race. */
  createTenant: 7413062,
  /** A tenant's support access grants (with the tenant's hash as the second key): one live grant at a time cannot race. */
  supportAccess: 7413063,
  /** A tenant's requests for a search index rebuild and changes of its search languages (with the tenant's hash as the second key). */
  searchReindex: 7413064,
  /**
   * A tenant's single sign-on settings (with the tenant's hash): shared by each check of a way in
   * that "SSO only" closes (sso-password.ts), exclusive for a change of the settings, so that a
   * change ends what a sign-in being checked meanwhile opens.
   */
  ssoSettings: 7413065,
  /**
   * A tenant's views of one kind (with a hash of the tenant and the owner, or "shared", as the
   * second key): the count before an insert and the insert are one step, so views created at once
   * cannot pass the limit together.
   */
  viewLimit: 7413066,
  /** A tenant's macros of one kind (as viewLimit): macros created at once cannot pass the limit together. */
  macroLimit: 7413067,
  /** A tenant's triggers (with the tenant's hash): triggers created at once cannot pass the limit together. */
  triggerLimit: 7413068,
  /** A tenant's automations (with the tenant's hash): automations created at once cannot pass the limit together. */
  automationLimit: 7413069,
  /** A tenant's SLA policies (with the tenant's hash): policies created at once cannot pass the limit together. */
  slaPolicyLimit: 7413080,
  /** A tenant's business hours (with the tenant's hash): schedules, and holidays of a schedule, created at once cannot pass the limits together. */
  businessHoursLimit: 7413070,
} as const;
/** Longest wait for a PostgreSQL connection (a free pool slot or a new connection). */
const CONNECT_TIMEOUT_MS = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type Conn = Kysely<DB>;

/** A tenant transaction: a connection bound to one tenant plus hooks run just before COMMIT. */
export interface TenantTx {
  readonly db: Conn;
  readonly tenantId: string;
  /**
   * True when the database runs one transaction at a time (PGlite): work that would otherwise be
   * deferred to avoid holding a lock across commits (linking audit entries) is done at commit.
   */
  readonly serialized: boolean;
  /**
   * Registers work that must run last, just before COMMIT. A hook may return one SQL statement
   * without parameters; those statements are sent together with COMMIT in a single round trip,
   * so locks they take (the audit chain head) are held for that round trip only.
   */
  beforeCommit(key: string, fn: () => Promise<string | void>): void;
  /** Per-transaction scratch space for modules (e.g. pending audit entries). */
  readonly bag: Map<string, unknown>;
  /** Rows of the prelude statement sent with BEGIN (see `Database.tenant`); undefined without one. */
  readonly preludeRows: readonly unknown[] | undefined;
}

export interface Database {
  readonly kind: "pglite" | "postgres";
  /** The raw Kysely instance (owner role). Repositories never use it: they receive a TenantTx. */
  readonly owner: Conn;
  /**
   * Runs `fn` in a transaction bound to a tenant. `prelude`, a parameterless SELECT built by a
   * repository with only validated literals, travels in the same round trip as BEGIN; its rows
   * are in `tx.preludeRows` (used to authenticate a request without an extra round trip).
   */
  tenant<T>(tenantId: string, fn: (tx: TenantTx) => Promise<T>, opts?: { prelude?: string }): Promise<T>;
  system<T>(fn: (db: Conn) => Promise<T>): Promise<T>;
  /** Inside a system transaction, switch to the app role and a tenant for the rest of it. */
  enterTenant(db: Conn, tenantId: string): Promise<TenantTx & { flush(): Promise<void> }>;
  /** Inside a system transaction, scope row-level security to a tenant while keeping the owner role. */
  setTenant(db: Conn, tenantId: string): Promise<void>;
  /**
   * Calls `fn` after each tenant transaction commits (also for tenants entered inside a system
   * transaction, once it commits), with the transaction's bag. Used for work that must follow the
   * commit, such as chaining the audit entries it queued. Returns a function that unsubscribes.
   */
  onTenantCommit(fn: (tenantId: string, bag: ReadonlyMap<string, unknown>) => void): () => void;
  migrate(): Promise<string[]>;
  /** Throws when the database carries migrations this code does not know (schema newer than code). */
  checkSchema(): Promise<void>;
  /** PGlite only: a gzipped copy of the data folder (test templates, backups of the embedded store). */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

export type OpenOptions =
  | { kind: "pglite"; dataDir?: string; loadDataDir?: Blob }
  | { kind: "postgres"; url: string; poolSize?: number };

const migrationsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");

export function listMigrations(): Array<{ name: string; sql: string }> {
  return fs
    .readdirSync(migrationsDir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((name) => ({ name, sql: fs.readFileSync(path.join(migrationsDir, name), "utf8") }));
}

export class SchemaTooNewError extends Error {}

/**
 * PostgreSQL plans an unnamed statement anew every time; for the hot paths planning cost more
 * than executing (a ticket show: 0.7 of 1.0 ms, measured with pg_stat_statements). Named
 * statements are parsed once per connection, and after a few executions PostgreSQL settles on a
 * cached plan when it is as good (plan_cache_mode auto). Statement texts come from Kysely's
 * compiler with values as parameters, so they are few; the number of named ones is capped so an
 * unusual query shape cannot grow every connection's memory without bound (PostgreSQL invalidates
 * cached plans itself after schema changes; a connection pooler must support prepared statements
 * at the protocol level, as PgBouncer does from 1.21).
 */
const MAX_NAMED_STATEMENTS = 2000;
const statementNames = new Map<string, string>();

/**
 * Put in a query (`sql` fragment) whose best plan depends on its values: it then runs unnamed and
 * is planned for the values it has every time. A cached generic plan has to guess how many rows
 * `assignee_id = $1` or `solved_at >= $2` match; for a ticket-access scope or a capped count it
 * guessed a large share of the tenant and chose a sequential scan of every ticket (a within-groups
 * count at 100k tickets: 110 ms over HTTP instead of 16 ms; docs/workspace.md). Planning costs ~0.3 ms.
 */
export const PLAN_PER_EXECUTION = sql.raw("/* vd:plan-per-execution */ ");
const PLAN_PER_EXECUTION_MARK = "/* vd:plan-per-execution */";

function statementName(text: string): string | undefined {
  if (text.includes(PLAN_PER_EXECUTION_MARK)) return undefined;
  let name = statementNames.get(text);
  if (name === undefined) {
    if (statementNames.size >= MAX_NAMED_STATEMENTS) return undefined;
    name = `vd_${crypto.createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  let owner: Conn;
  let closeDriver: () => Promise<void>;
  let dump: (() => Promise<Blob>) | undefined;
  if (opts.kind === "pglite") {
    if (opts.dataDir && !opts.loadDataDir && !fs.existsSync(path.join(opts.dataDir, "PG_VERSION"))) {
      // Creating the cluster (initdb inside WASM) grows the thread's heap to ~900 MB, and a WASM
      // heap never shrinks. Create it in a thread of its own and let that thread go: the serving
      // thread then opens an existing folder and stays near 450 MB (measured: bench/README.md).
      const init = await startPGliteThread({ dataDir: opts.dataDir });
      await init.close();
    }
    // In a worker thread, so queries do not stop the server's event loop (pglite-thread.ts).
    const pglite = await startPGliteThread({
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    });
    owner = new Kysely<DB>({ dialect: new PGliteDialect(pglite) });
    closeDriver = async () => {
      await owner.destroy();
      await pglite.close();
    };
    dump = () => pglite.dumpDataDir();
  } else {
    /** Statements each pooled session has prepared (prepared.ts). */
    const preparedBySession = new WeakMap<pg.PoolClient, Set<string>>();
    /** Clients whose connection failed or ended: discarded when released, never handed out again. */
    const broken = new WeakSet<pg.PoolClient>();
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 20,
      // While PostgreSQL is away a request waits at most this long for a connection, then answers 503.
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // Notice a peer that vanished without closing the connection (a host that went down).
      keepAlive: true,
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client's error (server restart): the pool drops the client; the next request connects anew.
    pool.on("error", () => {});
    // A client listens for errors its whole life, not only while idle in the pool: a connection
    // that dies while a request holds it (between two statements of a transaction) would otherwise
    // emit an 'error' event nobody handles, and that ends the process. The statement under way
    // fails (DatabaseUnavailableError, a 503), and the client is discarded when released.
    pool.on("connect", (client) => {
      client.on("error", () => broken.add(client));
      client.on("end", () => broken.add(client));
    });
    // A multi-statement query (simple protocol) answers one result per statement; Kysely reads
    // one, so hand it the last: that is how BEGIN and a prelude share a round trip.
    const lastResult = {
      connect: async () => {
        let client: pg.PoolClient;
        try {
          client = await pool.connect();
        } catch (e) {
          // Refused, timed out, or the server is starting up or shutting down (57P03).
          throw new DatabaseUnavailableError(e);
        }
        let prepared = preparedBySession.get(client);
        if (!prepared) preparedBySession.set(client, (prepared = new Set()));
        const session = prepared;
        const run = async (text: string, values: unknown[]) => {
          await ensurePrepared(text, session, (statement) => client.query(statement));
          // Parameterized statements run as named prepared statements (see statementName).
          const name = values.length > 0 ? statementName(text) : undefined;
          const r = (await client.query(name ? { text, values, name } : { text, values })) as unknown as pg.QueryResult | pg.QueryResult[];
          return Array.isArray(r) ? r[r.length - 1]! : r;
        };
        return {
          query: async (text: string, values: unknown[]) => {
            try {
              return await run(text, values);
            } catch (e) {
              // The connection was lost under the statement (its error then often has no code),
              // or PostgreSQL ended the session (57P01 shutdown, 57P02 crash): unavailable, not a bug.
              if (broken.has(client) || isDatabaseUnavailable(e)) {
                broken.add(client);
                throw e instanceof DatabaseUnavailableError ? e : new DatabaseUnavailableError(e);
              }
              throw e;
            }
          },
          release: () => client.release(broken.has(client) ? true : undefined),
        };
      },
      end: () => pool.end(),
    };
    owner = new Kysely<DB>({ dialect: new PostgresDialect({ pool: lastResult as never }) });
    closeDriver = async () => {
      await owner.destroy();
    };
  }

  const beginSql = (tenantId: string) => {
    if (!UUID.test(tenantId)) throw new Error("invalid tenant id");
    // tenantId is a validated UUID, so inlining it is safe; one simple-protocol round trip.
    return `BEGIN; SET LOCAL ROLE ${APP_ROLE}; SELECT set_config('app.tenant_id', '${tenantId}', true)`;
  };

  function makeTx(conn: Conn, tenantId: string, preludeRows?: readonly unknown[]) {
    const hooks = new Map<string, () => Promise<string | void>>();
    const collect = async (): Promise<string[]> => {
      const statements: string[] = [];
      for (const fn of hooks.values()) {
        const s = await fn();
        if (s) statements.push(s);
      }
      hooks.clear();
      return statements;
    };
    const tx: TenantTx & { flush(): Promise<void>; commitStatements(): Promise<string[]> } = {
      db: conn,
      tenantId,
      serialized: opts.kind === "pglite",
      bag: new Map(),
      preludeRows,
      beforeCommit(key, fn) {
        if (!hooks.has(key)) hooks.set(key, fn);
      },
      async flush() {
        const statements = await collect();
        if (statements.length) await sql.raw(statements.join("; ")).execute(conn);
      },
      commitStatements: collect,
    };
    return tx;
  }

  const commitListeners = new Set<(tenantId: string, bag: ReadonlyMap<string, unknown>) => void>();
  const committed = (tenantId: string, bag: ReadonlyMap<string, unknown>) => {
    for (const fn of commitListeners) {
      try {
        fn(tenantId, bag);
      } catch {
        // A listener's failure must not turn a committed request into an error.
      }
    }
  };
  /** Tenants entered inside each running system transaction (keyed by its connection). */
  const entered = new WeakMap<Conn, TenantTx[]>();

  const db: Database = {
    kind: opts.kind,
    owner,
    onTenantCommit(fn) {
      commitListeners.add(fn);
      return () => commitListeners.delete(fn);
    },
    async tenant(tenantId, fn, opts) {
      return owner.connection().execute(async (conn) => {
        try {
          const begin = await sql.raw(opts?.prelude ? `${beginSql(tenantId)}; ${opts.prelude}` : beginSql(tenantId)).execute(conn);
          const tx = makeTx(conn, tenantId, opts?.prelude ? begin.rows : undefined);
          const result = await fn(tx);
          // Last statements and COMMIT in one round trip.
          const last = await tx.commitStatements();
          await sql.raw([...last, "COMMIT"].join("; ")).execute(conn);
          committed(tenantId, tx.bag);
          return result;
        } catch (err) {
          await sql.raw("ROLLBACK").execute(conn).catch(() => {});
          throw err;
        }
      });
    },
    async system(fn) {
      const txs: TenantTx[] = [];
      const result = await owner.transaction().execute((trx) => {
        entered.set(trx, txs);
        return fn(trx);
      });
      for (const tx of txs) committed(tx.tenantId, tx.bag);
      return result;
    },
    async enterTenant(conn, tenantId) {
      if (!UUID.test(tenantId)) throw new Error("invalid tenant id");
      await sql
        .raw(`SET LOCAL ROLE ${APP_ROLE}; SELECT set_config('app.tenant_id', '${tenantId}', true)`)
        .execute(conn);
      const tx = makeTx(conn, tenantId);
      entered.get(conn)?.push(tx);
      return tx;
    },
    async setTenant(conn, tenantId) {
      await sql`SELECT set_config('app.tenant_id', ${tenantId}, true)`.execute(conn);
    },
    async migrate() {
      const applied: string[] = [];
      await owner.transaction().execute(async (trx) => {
        await sql`CREATE TABLE IF NOT EXISTS vd_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`.execute(
          trx,
        );
        // Several processes may start at once against one PostgreSQL: one migrates, others wait.
        await sql`SELECT pg_advisory_xact_lock(${ADVISORY_LOCK.migrate})`.execute(trx);
        const done = new Set(
          (await sql<{ name: string }>`SELECT name FROM vd_migrations`.execute(trx)).rows.map((r) => r.name),
        );
        const known = listMigrations();
        const unknown = [...done].filter((n) => !known.some((m) => m.name === n));
        if (unknown.length > 0) {
          throw new SchemaTooNewError(
            `the database has migrations this version does not know (${unknown.join(", ")}); run a newer Vaultdesk`,
          );
        }
        for (const m of known) {
          if (done.has(m.name)) continue;
          await sql.raw(m.sql).execute(trx);
          await sql`INSERT INTO vd_migrations (name) VALUES (${m.name})`.execute(trx);
          applied.push(m.name);
        }
      });
      return applied;
    },
    async checkSchema() {
      const rows = (
        await sql<{ name: string }>`SELECT name FROM vd_migrations`.execute(owner).catch(() => ({ rows: [] }))
      ).rows;
      const known = new Set(listMigrations().map((m) => m.name));
      const unknown = rows.filter((r) => !known.has(r.name)).map((r) => r.name);
      if (unknown.length > 0) {
        throw new SchemaTooNewError(
          `the database has migrations this version does not know (${unknown.join(", ")}); run a newer Vaultdesk`,
        );
      }
    },
    close: () => closeDriver(),
    ...(dump ? { dumpDataDir: dump } : {}),
  };
  return db;
}
