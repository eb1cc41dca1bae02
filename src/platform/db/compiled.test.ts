import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type CompiledQuery, type DatabaseConnection, type Driver } from "kysely";
import { describe, expect, it } from "vitest";
import { compileOnce } from "./compiled.ts";
import type { DB } from "./schema.ts";

/** A Kysely whose driver records what it is asked to run. */
function recordingDb() {
  const seen: CompiledQuery[] = [];
  const conn: DatabaseConnection = {
    async executeQuery<R>(q: CompiledQuery) {
      seen.push(q);
      return { rows: [{ sql: q.sql, parameters: q.parameters }] as R[] };
    },
    async *streamQuery() {
      throw new Error("not used");
    },
  };
  const driver: Driver = { init: async () => {}, acquireConnection: async () => conn, beginTransaction: async () => {}, commitTransaction: async () => {}, rollbackTransaction: async () => {}, releaseConnection: async () => {}, destroy: async () => {} };
  const db = new Kysely<DB>({ dialect: { createAdapter: () => new PostgresAdapter(), createDriver: () => driver, createIntrospector: (k) => new PostgresIntrospector(k), createQueryCompiler: () => new PostgresQueryCompiler() } });
  return { db, seen };
}

describe("compileOnce", () => {
  it("runs the builder's SQL with each call's values in the sentinels' places", async () => {
    const { db, seen } = recordingDb();
    let builds = 0;
    const byId = compileOnce((d, tenant: string, id: number) => {
      builds++;
      return d.selectFrom("tickets").select("id").where("tenant_id", "=", tenant).where("deleted_at", "is", null).where("nice_id", "=", id).limit(1);
    }, ["sentinel-tenant", -1]);
    await byId(db, "tenant-a", 7);
    await byId(db, "tenant-b", 8);
    expect(builds).toBe(1);
    const direct = db.selectFrom("tickets").select("id").where("tenant_id", "=", "tenant-b").where("deleted_at", "is", null).where("nice_id", "=", 8).limit(1).compile();
    expect(seen[1]!.sql).toBe(direct.sql);
    expect(seen[1]!.parameters).toEqual(direct.parameters);
    expect(seen[0]!.parameters).toEqual(["tenant-a", 7, 1]);
    expect(seen[0]!.queryId).not.toBe(seen[1]!.queryId);
  });

  it("refuses a sentinel that is not a parameter exactly once", async () => {
    const { db } = recordingDb();
    const twice = compileOnce((d, x: number) => d.selectFrom("tickets").select("id").where("nice_id", "=", x).where("nice_id", "<>", x), [-1]);
    await expect(twice(db, 3)).rejects.toThrow(/exactly once/);
    const missing = compileOnce((d, _x: number) => d.selectFrom("tickets").select("id"), [-1]);
    await expect(missing(db, 3)).rejects.toThrow(/exactly once/);
  });
});
