import type { PGliteLike } from "./pglite-thread.ts";
import { ensurePrepared } from "./prepared.ts";
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from "kysely";

/**
 * A Kysely dialect for PGlite.
 *
 * Written here rather than taken from npm because the published PGlite dialects lag PGlite's
 * releases (their peer ranges stop at 0.4) and because Vaultdesk needs one property they do not
 * give: PGlite is a single connection, so a connection handed to one transaction must be held
 * exclusively until it is released, or two requests' statements would interleave inside one
 * transaction. The driver therefore queues acquirers behind a mutex.
 */
export class PGliteDialect implements Dialect {
  constructor(private readonly pg: PGliteLike) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pg);
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class PGliteDriver implements Driver {
  #tail: Promise<void> = Promise.resolve();
  /** PGlite is one session: the statements it has prepared (prepared.ts). */
  readonly #prepared = new Set<string>();
  constructor(private readonly pg: PGliteLike) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const previous = this.#tail;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    return new PGliteConnection(this.pg, release, this.#prepared);
  }

  async beginTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw("BEGIN"));
  }
  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw("COMMIT"));
  }
  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw("ROLLBACK"));
  }
  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    (conn as PGliteConnection).release();
  }
  async destroy(): Promise<void> {}
}

class PGliteConnection implements DatabaseConnection {
  constructor(
    private readonly pg: PGliteLike,
    readonly release: () => void,
    private readonly prepared: Set<string>,
  ) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    await ensurePrepared(compiledQuery.sql, this.prepared, (statement) => this.pg.exec(statement));
    if (compiledQuery.parameters.length === 0 && compiledQuery.sql.includes(";")) {
      // Several statements in one round trip (used to open a tenant transaction).
      const last = await this.pg.exec<R>(compiledQuery.sql);
      return { rows: last.rows };
    }
    const result = await this.pg.query<R>(compiledQuery.sql, [...compiledQuery.parameters]);
    return {
      rows: result.rows,
      numAffectedRows: result.affectedRows === undefined ? undefined : BigInt(result.affectedRows),
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming is not supported on PGlite");
  }
}
