import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, staffWithPassword } from "./support/people.ts";

/**
 * The account's data in bulk needs a recent sign-in on a session, by every road: POST /exports,
 * the incremental exports (every ticket, person and organization; every comment, internal notes
 * included, through ticket_events?include=comment_events) and an export of another person
 * (internal notes about them included). An old or stolen admin cookie takes none of it.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const signedInAgo = (a: TestTenant, niceId: number, minutes: number) =>
  t.db.tenant(a.tenantId, async (tx) => {
    const r = await sql`UPDATE sessions SET created_at = ${new Date(Date.now() - minutes * 60_000)} WHERE user_id = (SELECT id FROM users WHERE nice_id = ${niceId})`.execute(tx.db);
    expect(Number(r.numAffectedRows)).toBeGreaterThan(0);
  });

describe("an old admin session and the account's data in bulk", () => {
  it("is refused the incremental exports and someone else's export, as POST /exports", async () => {
    const a = await buildTenant(t, "atkoldexp");
    const p = await staffWithPassword(t, a, "admin");
    const customer = await buildUser(t, a, "end-user", "Someone");
    const tk = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Secret", requester_id: customer.id, comment: { body: "public words" } } });
    expect(tk.status).toBe(201);
    expect((await a.api("PUT", `/api/v2/tickets/${tk.body.ticket.id}.json`, { ticket: { comment: { body: "INTERNAL-NOTE-XYZ", public: false } } })).status).toBe(200);
    await signedInAgo(a, p.id, 16);
    const s = (method: string, path: string, body?: unknown) => asSession(t, a, p.session, method, path, body);
    // The guarded one: refused.
    expect((await s("POST", "/api/v2/exports.json", { export: { resource: "tickets", format: "json" } })).status).toBe(403);
    // The same data by other roads.
    const inc = await s("GET", "/api/v2/incremental/tickets/cursor.json?start_time=0");
    const events = await s("GET", "/api/v2/incremental/ticket_events.json?start_time=0&include=comment_events");
    const users = await s("GET", "/api/v2/incremental/users/cursor.json?start_time=0");
    const person = await s("POST", `/api/v2/users/${customer.id}/data_exports.json`);
    expect({
      incrementalTickets: inc.status,
      ticketEvents: events.status,
      internalNoteInEvents: events.text.includes("INTERNAL-NOTE-XYZ"),
      incrementalUsers: users.status,
      personExport: person.status,
    }).toEqual({ incrementalTickets: 403, ticketEvents: 403, internalNoteInEvents: false, incrementalUsers: 403, personExport: 403 });
  });
});
