import { describe, expect, it } from "vitest";
import { databaseBefore, runMigration } from "./support/migrations.ts";

/**
 * 0065_automations.sql on an installation with tickets: their times are backfilled from what is
 * known in clear (never earlier than they were: an automation fires late rather than early), and
 * every tenant gets the automations' id sequence.
 */
describe("0065_automations.sql", () => {
  it("backfills earlier tickets' times and the tenants' automation ids", async () => {
    const pg = await databaseBefore("0065");
    try {
      const tenant = "11111111-1111-4111-8111-111111111111";
      const [requester, assignee] = ["22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333"];
      const [solved, open] = ["44444444-4444-4444-8444-444444444444", "55555555-5555-4555-8555-555555555555"];
      const x = "'\\x00'::bytea";
      await pg.exec(`
        INSERT INTO tenants (id, subdomain) VALUES ('${tenant}', 'backfill');
        SELECT set_config('app.tenant_id', '${tenant}', false);
        INSERT INTO users (tenant_id, id, nice_id, role, name_sealed) VALUES ('${tenant}', '${requester}', 1, 'end_user', ${x}), ('${tenant}', '${assignee}', 2, 'agent', ${x});
        INSERT INTO tickets (tenant_id, id, nice_id, subject_sealed, description_sealed, status, requester_id, submitter_id, assignee_id, solved_at, created_at, updated_at) VALUES
          ('${tenant}', '${solved}', 1, ${x}, ${x}, 'solved', '${requester}', '${requester}', '${assignee}', '2026-01-05Z', '2026-01-01Z', '2026-01-06Z'),
          ('${tenant}', '${open}', 2, ${x}, ${x}, 'open', '${requester}', '${assignee}', NULL, NULL, '2026-01-01Z', '2026-02-01Z');
        INSERT INTO ticket_audits (tenant_id, id, nice_id, ticket_id, author_id, events_sealed, created_at) VALUES
          ('${tenant}', '66666666-6666-4666-8666-666666666661', 1, '${solved}', '${requester}', ${x}, '2026-01-02Z'),
          ('${tenant}', '66666666-6666-4666-8666-666666666662', 2, '${solved}', '${assignee}', ${x}, '2026-01-03Z'),
          ('${tenant}', '66666666-6666-4666-8666-666666666663', 3, '${solved}', NULL, ${x}, '2026-01-04Z'),
          ('${tenant}', '66666666-6666-4666-8666-666666666664', 4, '${open}', '${assignee}', ${x}, '2026-01-08Z');
        -- A reply by mail: nobody's audit, the requester's comment.
        INSERT INTO ticket_comments (tenant_id, id, nice_id, ticket_id, audit_id, author_id, public, body_sealed, html_body_sealed, created_at) VALUES
          ('${tenant}', '77777777-7777-4777-8777-777777777777', 1, '${solved}', '66666666-6666-4666-8666-666666666663', '${requester}', true, ${x}, ${x}, '2026-01-04Z');
        SELECT set_config('app.tenant_id', '', false);
      `);
      await runMigration(pg, "0065_automations.sql");
      await pg.exec(`SELECT set_config('app.tenant_id', '${tenant}', false)`);
      const rows = await pg.query<Record<string, Date | null>>(`SELECT status_updated_at, assigned_at, requester_updated_at, assignee_updated_at FROM tickets ORDER BY nice_id`);
      const iso = (d: Date | null) => d?.toISOString() ?? null;
      expect(rows.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, iso(v)])))).toEqual([
        { status_updated_at: "2026-01-05T00:00:00.000Z", assigned_at: "2026-01-06T00:00:00.000Z", requester_updated_at: "2026-01-04T00:00:00.000Z", assignee_updated_at: "2026-01-03T00:00:00.000Z" },
        // Unassigned: no assignment, and the assignee's update is nobody's (the agent who wrote is not its assignee).
        { status_updated_at: "2026-02-01T00:00:00.000Z", assigned_at: null, requester_updated_at: null, assignee_updated_at: null },
      ]);
      expect((await pg.query<{ n: string }>(`SELECT vd_next_id('automations')::text AS n`)).rows[0]!.n).toBe("1");
    } finally {
      await pg.close();
    }
  }, 120_000);
});
