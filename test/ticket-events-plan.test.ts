import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedAuditsRound } from "../src/modules/tickets/tickets-repo.ts";
import { buildTenant, openTicket, startTestApp, type TestApp } from "./support/harness.ts";

/**
 * A page of the incremental ticket events export is one range of ticket_audits_changes (0055):
 * the thousandth page reads what the first does, not every audit made before it.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

type PlanNode = { "Relation Name"?: string; "Index Name"?: string; "Actual Rows"?: number; "Actual Loops"?: number; "Rows Removed by Filter"?: number; "Rows Removed by Index Recheck"?: number; Plans?: PlanNode[] };

/** Rows of `ticket_audits` every node of a plan read (returned and filtered away), over all its loops. */
function auditRowsRead(node: PlanNode): number {
  const own = node["Relation Name"] === "ticket_audits" ? ((node["Actual Rows"] ?? 0) + (node["Rows Removed by Filter"] ?? 0) + (node["Rows Removed by Index Recheck"] ?? 0)) * (node["Actual Loops"] ?? 1) : 0;
  return own + (node.Plans ?? []).reduce((n, p) => n + auditRowsRead(p), 0);
}

describe("a page of ticket events", () => {
  it("reads one range of the audits' index, wherever the stream is", async () => {
    const a = await buildTenant(t, "evplan");
    const first = await openTicket(a, "Printer on fire", "The printer in room 4 is on fire.");
    const MANY = 4000;
    // Copies of the first audit, one a second (the plan is what is tested, not the events).
    await t.db.tenant(a.tenantId, async (tx) => {
      await sql`INSERT INTO ticket_audits (tenant_id, id, nice_id, ticket_id, author_id, events_sealed, via, created_at)
        SELECT a.tenant_id, gen_random_uuid(), vd_next_id('ticket_audits'), a.ticket_id, a.author_id, a.events_sealed, a.via, timestamptz '2026-01-01' + g * interval '1 second'
        FROM ticket_audits a, generate_series(1, ${MANY}) g WHERE a.tenant_id = ${a.tenantId}`.execute(tx.db);
    });
    await t.db.system((db) => sql`ANALYZE ticket_audits, tickets, users`.execute(db));
    const at = (seconds: number) => String((Date.parse("2026-01-01T00:00:00Z") / 1000 + seconds) * 1_000_000);
    for (const from of [0, MANY / 2, MANY - 10]) {
      const plan = await t.db.tenant(a.tenantId, async (tx) => {
        const q = changedAuditsRound(tx, { kind: "all" }, { key: at(from), id: 0 }, new Date("2027-01-01"), 26);
        const rows = (await q.execute(tx.db)).rows;
        // The copies from second `from` on, and the ticket's own audit (made now).
        expect(rows.length, `from ${from}`).toBe(Math.min(26, MANY - from + 2));
        expect(rows.every((r) => Number(r.ticket_nice) === first && r.kept)).toBe(true);
        const compiled = q.compile(tx.db);
        const explained = await tx.db.executeQuery<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>({ ...compiled, sql: `EXPLAIN (ANALYZE, FORMAT JSON) ${compiled.sql}` });
        return explained.rows[0]!["QUERY PLAN"][0]!.Plan;
      });
      expect(auditRowsRead(plan), `from ${from}: ${JSON.stringify(plan)}`).toBeLessThanOrEqual(27);
    }
  });
});
