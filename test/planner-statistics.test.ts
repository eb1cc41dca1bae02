import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeTables, plannerStatistics } from "../src/platform/db/planner-statistics.ts";
import { buildTenant, startTestApp, type TestApp } from "./support/harness.ts";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe("planner statistics", () => {
  it("are kept by the upkeep on the embedded database (which has no autovacuum): every table analyzed, row estimates current", async () => {
    const a = await buildTenant(t, "stats");
    for (let i = 0; i < 30; i++) expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `s${i}`, comment: { body: "x" } } })).status).toBe(201);
    const tables = await analyzeTables(t.db);
    expect(tables).toBeGreaterThan(30);
    const est = await sql<{ reltuples: number }>`SELECT reltuples FROM pg_class WHERE relname = 'tickets'`.execute(t.db.owner);
    expect(Number(est.rows[0]!.reltuples)).toBeGreaterThanOrEqual(30);
    // Scheduled on PGlite only: PostgreSQL's autovacuum does this there.
    expect(plannerStatistics(t.db).map((x) => x.name)).toEqual(t.db.kind === "pglite" ? ["db.analyze"] : []);
  });
});
