import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Changing a ticket's requester through `PUT /tickets/{id}` as the workspace's requester panel
 * does (`requester_id` with the ticket's stamp), over real HTTP: only someone of this tenant who is
 * still there becomes the requester (a missing or deleted person answers 422, nothing changed); the ticket's organization follows the new requester, so the previous requester's
 * organization stops sharing it; the change is in the ticket's history.
 */

let web: TestApp;
beforeAll(async () => {
  web = await startTestApp();
});
afterAll(async () => web?.close());

async function ticketOf(a: TestTenant, requesterId: number): Promise<{ id: number; updated_at: string }> {
  const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Who asked", comment: { body: "b" }, requester_id: requesterId } });
  expect(r.status, r.text).toBe(201);
  return r.body.ticket;
}
const changeRequester = (a: TestTenant, tk: { id: number; updated_at: string }, requesterId: number, as?: { email: string; token: string }) =>
  a.api("PUT", `/api/v2/tickets/${tk.id}.json`, { ticket: { requester_id: requesterId, safe_update: true, updated_stamp: tk.updated_at } }, as);

describe("changing a ticket's requester", () => {
  it("refuses a person who is not there and a deleted person (422), the ticket unchanged", async () => {
    const a = await buildTenant(web, "reqch");
    const alice = await buildUser(web, a, "end-user", "Alice");
    const gone = await buildUser(web, a, "end-user", "Gone");
    expect((await a.api("DELETE", `/api/v2/users/${gone.id}.json`)).status).toBe(200);
    const tk = await ticketOf(a, alice.id);
    for (const id of [99_999, gone.id]) {
      const r = await changeRequester(a, tk, id);
      expect(r.status, r.text).toBe(422);
      expect(r.body.details.requester_id).toBeDefined();
    }
    // Nor is a new ticket asked by a deleted person.
    const created = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "b" }, requester_id: gone.id } });
    expect(created.status, created.text).toBe(422);
    // Nor by the deleted person's address: no ticket asked by them.
    const byAddress = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "b" }, requester: { email: gone.email, name: "Gone again" } } });
    expect(byAddress.status, byAddress.text).toBe(422);
    expect((await a.api("GET", "/api/v2/tickets.json")).body.tickets.map((x: { requester_id: number }) => x.requester_id)).not.toContain(gone.id);
    expect((await a.api("GET", `/api/v2/tickets/${tk.id}.json`)).body.ticket.requester_id).toBe(alice.id);
  });

  it("is for staff who edit the ticket's properties: a light agent gets 403", async () => {
    const a = await buildTenant(web, "reqcl");
    const alice = await buildUser(web, a, "end-user", "Alice");
    const bob = await buildUser(web, a, "end-user", "Bob");
    const light = await buildUser(web, a, "light-agent");
    const tk = await ticketOf(a, alice.id);
    const r = await changeRequester(a, tk, bob.id, { email: light.email, token: light.token! });
    expect(r.status, r.text).toBe(403);
    expect((await a.api("GET", `/api/v2/tickets/${tk.id}.json`)).body.ticket.requester_id).toBe(alice.id);
  });

  it("moves the ticket to the new requester's organization, and the history records both changes", async () => {
    const a = await buildTenant(web, "reqco");
    const shared = (await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Alice's company", shared_tickets: true } })).body.organization.id as number;
    const other = (await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Bob's company" } })).body.organization.id as number;
    const alice = (await a.api("POST", "/api/v2/users.json", { user: { name: "Alice", email: `alice@${a.subdomain}.test`, role: "end-user", organization_id: shared } })).body.user.id as number;
    const bob = (await a.api("POST", "/api/v2/users.json", { user: { name: "Bob", email: `bob@${a.subdomain}.test`, role: "end-user", organization_id: other } })).body.user.id as number;
    const carol = await buildUser(web, a, "end-user", "Carol");
    const tk = await ticketOf(a, alice);
    expect((await a.api("GET", `/api/v2/tickets/${tk.id}.json`)).body.ticket.organization_id).toBe(shared);
    const r = await changeRequester(a, tk, bob);
    expect(r.status, r.text).toBe(200);
    // Bob's ticket now: no longer shared with the members of Alice's organization.
    expect(r.body.ticket).toMatchObject({ requester_id: bob, organization_id: other });
    const events = (r.body.audit.events as Array<{ field_name?: string; value?: unknown; previous_value?: unknown }>).filter((e) => e.field_name);
    expect(events).toEqual(expect.arrayContaining([
      expect.objectContaining({ field_name: "requester_id", value: bob, previous_value: alice }),
      expect.objectContaining({ field_name: "organization_id", value: other, previous_value: shared }),
    ]));
    // Someone of no organization: the ticket is then of none.
    const again = await changeRequester(a, r.body.ticket, carol.id);
    expect(again.status, again.text).toBe(200);
    expect(again.body.ticket).toMatchObject({ requester_id: carol.id, organization_id: null });
    // An organization given with the change is kept.
    const third = await a.api("PUT", `/api/v2/tickets/${tk.id}.json`, { ticket: { requester_id: alice, organization_id: other } });
    expect(third.status, third.text).toBe(200);
    expect(third.body.ticket).toMatchObject({ requester_id: alice, organization_id: other });
  });
});
