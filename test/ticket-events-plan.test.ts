import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedAuditsRound } from "../src/modules/tickets/tickets-repo.ts";
import { buildTenant, openTicket, startTestApp, type TestApp } from "./support/harness.ts";
import { analyzed, rowsRead } from "./support/plans.ts";

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
        return analyzed(tx.db, q.compile(tx.db));
      });
      expect(rowsRead(plan, "ticket_audits"), `from ${from}: ${JSON.stringify(plan)}`).toBeLessThanOrEqual(27);
    }
  });
});
