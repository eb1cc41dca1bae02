import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ticketQuery } from "../src/modules/tickets/tickets-repo.ts";
import { buildTenant, buildUser, openTicket, startTestApp, type TestApp } from "./support/harness.ts";
import { analyzed, rowsRead } from "./support/plans.ts";

/**
 * A page's tickets are read by their ids, however the people behind them are spread. With the
 * requester, submitter, assignee, group and organization joined, the planner could start from the
 * people: in a tenant with one person (an import, an integration's account) it found a page of 26
 * tickets by walking all of that person's tickets (300,000 in the search benchmark's largest
 * tenant). Their public ids are now looked up per row (tickets-repo.ts niceOf).
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe("a page of tickets by id", () => {
  it("reads only the page's tickets when one requester has thousands, and names every party", async () => {
    const a = await buildTenant(t, "pageplan");
    const first = await openTicket(a, "Printer on fire", "The printer in room 4 is on fire.");
    const MANY = 3000;
    // The owner requests every ticket (copies of the first row: the plan is what is tested, not the text).
    await t.db.tenant(a.tenantId, async (tx) => {
      await sql`INSERT INTO tickets (tenant_id, id, nice_id, subject_sealed, description_sealed, status, priority, requester_id, submitter_id, tags, created_at, updated_at)
        SELECT tenant_id, gen_random_uuid(), vd_next_id('tickets'), subject_sealed, description_sealed, status, priority, requester_id, submitter_id, tags, created_at, updated_at
        FROM tickets, generate_series(1, ${MANY}) WHERE tenant_id = ${a.tenantId} AND nice_id = ${first}`.execute(tx.db);
    });
    // Elsewhere, as in most tenants, many people with a few tickets each: the planner then expects a
    // person to have a handful of tickets.
    const b = await buildTenant(t, "pageplanb");
    const other = await openTicket(b, "Screen", "Flickers.");
    await t.db.tenant(b.tenantId, async (tx) => {
      await sql`INSERT INTO users (tenant_id, id, nice_id, role, name_sealed, email_sealed, email_bidx, updated_at)
        SELECT tenant_id, gen_random_uuid(), vd_next_id('users'), 'end_user', name_sealed, email_sealed, decode(md5(random()::text), 'hex'), updated_at
        FROM users, generate_series(1, 400) WHERE tenant_id = ${b.tenantId} AND role = 'owner'`.execute(tx.db);
      await sql`INSERT INTO tickets (tenant_id, id, nice_id, subject_sealed, description_sealed, status, priority, requester_id, submitter_id, tags, created_at, updated_at)
        SELECT t.tenant_id, gen_random_uuid(), vd_next_id('tickets'), subject_sealed, description_sealed, status, priority, u.id, u.id, t.tags, t.created_at, t.updated_at
        FROM tickets t JOIN users u ON u.tenant_id = t.tenant_id AND u.role = 'end_user', generate_series(1, 10) WHERE t.tenant_id = ${b.tenantId} AND t.nice_id = ${other}`.execute(tx.db);
    });
    await t.db.system((db) => sql`ANALYZE tickets, users, groups, organizations`.execute(db));

    const plan = await t.db.tenant(a.tenantId, async (tx) => {
      const ids = (await sql<{ id: string }>`SELECT id FROM tickets WHERE tenant_id = ${a.tenantId} ORDER BY nice_id DESC LIMIT 26`.execute(tx.db)).rows.map((r) => r.id);
      const rows = await ticketQuery(tx).where("t.id", "in", ids).execute();
      expect(rows).toHaveLength(26);
      for (const r of rows) {
        expect(r.requester_nice).toBe(r.submitter_nice);
        expect(typeof r.requester_nice).toBe("number");
        expect([r.assignee_nice, r.group_nice, r.organization_nice]).toEqual([null, null, null]);
      }
      return analyzed(tx.db, ticketQuery(tx).where("t.id", "in", ids).compile());
    });
    expect(rowsRead(plan, "tickets"), JSON.stringify(plan)).toBeLessThanOrEqual(26 * 2);

    // Over HTTP (tickets written through the API: the copies above cannot be opened, their seals
    // name another row) the parties are named as before.
    const owner = (await a.api("GET", "/api/v2/users/me.json")).body.user.id;
    const agent = await buildUser(t, a, "agent");
    const group = (await a.api("POST", "/api/v2/groups.json", { group: { name: "Printers" } })).body.group.id;
    const organization = (await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Acme Printing" } })).body.organization.id;
    const last = await openTicket(a, "Toner", "Out of toner.", { assignee_id: agent.id, group_id: group, organization_id: organization });
    const shown = await a.api("GET", `/api/v2/tickets/show_many.json?ids=${first},${last}`);
    expect(shown.status, shown.text).toBe(200);
    type Shown = { requester_id: number; submitter_id: number; assignee_id: number | null; group_id: number | null; organization_id: number | null };
    expect(shown.body.tickets.map((x: Shown) => [x.requester_id, x.submitter_id, x.assignee_id, x.group_id, x.organization_id])).toEqual([
      [owner, owner, null, null, null],
      [owner, owner, agent.id, group, organization],
    ]);
  });
});
