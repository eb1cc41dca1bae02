/**
 * Server-side prepared statements for text sent in the simple query protocol.
 *
 * A tenant transaction opens with one multi-statement round trip (`BEGIN; SET LOCAL ROLE …;
 * <prelude>`), and multi-statement text cannot carry parameters, so the prelude (the API token
 * lookup) used to be planned anew on every request — 0.1 ms of PostgreSQL CPU each, the largest
 * planning cost left (pg_stat_statements). A module registers the statement once under a `vd_p_`
 * name; the prelude says `EXECUTE vd_p_name(literal, …)`; before the first such text on a session,
 * the driver runs the PREPARE on that session (once per connection).
 */

const registry = new Map<string, string>();
const NAME = /^vd_p_[a-z0-9_]{1,40}$/;

/** Registers `PREPARE name(types) AS statement`. Idempotent for the same text. */
export function registerPrepared(name: string, types: readonly string[], statement: string): string {
  if (!NAME.test(name)) throw new Error(`prepared statement names must match ${NAME}`);
  const text = `PREPARE ${name}(${types.join(", ")}) AS ${statement}`;
  const known = registry.get(name);
  if (known !== undefined && known !== text) throw new Error(`prepared statement ${name} registered twice with different text`);
  registry.set(name, text);
  return name;
}

const EXECUTE = /\bEXECUTE (vd_p_[a-z0-9_]+)\(/g;

/**
 * Prepares, on the session `prepared` describes, every registered statement `text` executes and
 * the session lacks. `run` sends one statement on that session.
 */
export async function ensurePrepared(text: string, prepared: Set<string>, run: (sql: string) => Promise<unknown>): Promise<void> {
  if (!text.includes("EXECUTE vd_p_")) return;
  for (const m of text.matchAll(EXECUTE)) {
    const name = m[1]!;
    if (prepared.has(name)) continue;
    const statement = registry.get(name);
    if (statement === undefined) throw new Error(`prepared statement ${name} is not registered`);
    try {
      await run(statement);
    } catch (e) {
      // 42P05: this session has it already (prepared before a failure we did not see).
      if ((e as { code?: string }).code !== "42P05") throw e;
    }
    prepared.add(name);
  }
}
