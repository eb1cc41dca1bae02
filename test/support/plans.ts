import type { CompiledQuery, QueryResult } from "kysely";

/** A node of PostgreSQL's `EXPLAIN (ANALYZE, FORMAT JSON)` plan, with what the plan tests read. */
export type PlanNode = { "Relation Name"?: string; "Index Name"?: string; "Actual Rows"?: number; "Actual Loops"?: number; "Rows Removed by Filter"?: number; "Rows Removed by Index Recheck"?: number; Plans?: PlanNode[] };

/** Rows of `relation` every node of a plan read (returned and filtered away), over all its loops. */
export function rowsRead(node: PlanNode, relation: string): number {
  const own = node["Relation Name"] === relation ? ((node["Actual Rows"] ?? 0) + (node["Rows Removed by Filter"] ?? 0) + (node["Rows Removed by Index Recheck"] ?? 0)) * (node["Actual Loops"] ?? 1) : 0;
  return own + (node.Plans ?? []).reduce((n, p) => n + rowsRead(p, relation), 0);
}

/** What runs a compiled query: a transaction's or a pool's Kysely. */
type Runner = { executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>> };

/** Runs a compiled query under `EXPLAIN (ANALYZE, FORMAT JSON)` and answers its plan's top node. */
export async function analyzed(db: Runner, compiled: CompiledQuery): Promise<PlanNode> {
  const explained = await db.executeQuery<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>({ ...compiled, sql: `EXPLAIN (ANALYZE, FORMAT JSON) ${compiled.sql}` });
  return explained.rows[0]!["QUERY PLAN"][0]!.Plan;
}
