import { createQueryId, type Compilable, type CompiledQuery } from "kysely";
import type { Conn } from "./database.ts";

/**
 * A hot query compiled once and run with new values.
 *
 * Building a Kysely query with joins and compiling it to SQL costs more server CPU than anything
 * else a ticket show does in JavaScript (about a tenth of it, CPU profile in bench/README.md).
 * `compileOnce` builds the query once with sentinel values, finds where each sentinel landed
 * among the parameters, and from then on only substitutes the real values there. The SQL text is
 * the same as the builder's, so the prepared-statement cache in database.ts still applies.
 *
 * Each sentinel must appear exactly once among the compiled parameters (checked on first use):
 * values the builder inlines into the SQL text cannot be substituted.
 */
export function compileOnce<A extends readonly (string | number)[], R>(
  build: (db: Conn, ...args: A) => Compilable<R>,
  sentinels: A,
): (db: Conn, ...args: A) => Promise<R[]> {
  let compiled: { query: CompiledQuery<R>; positions: number[] } | undefined;
  return async (db, ...args) => {
    if (!compiled) {
      const query = build(db, ...sentinels).compile();
      const positions = sentinels.map((s) => {
        const at = query.parameters.indexOf(s);
        if (at < 0 || query.parameters.indexOf(s, at + 1) >= 0) throw new Error(`compileOnce: sentinel ${String(s)} must appear exactly once among the parameters`);
        return at;
      });
      compiled = { query, positions };
    }
    const parameters = [...compiled.query.parameters];
    compiled.positions.forEach((at, i) => (parameters[at] = args[i]));
    const r = await db.executeQuery<R>({ ...compiled.query, parameters, queryId: createQueryId() });
    return r.rows;
  };
}
