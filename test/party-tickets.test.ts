import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * A person's and an organization's tickets (Zendesk's `/users/{id}/tickets/requested|ccd|assigned`
 * and `/organizations/{id}/tickets`; docs/api.md "Tickets"): the right tickets, paged, through the
 * caller's own ticket access, and 404 for whoever the caller may not see.
 */

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
type As = { email: string; token: string; id: number };
let agent: As;
let assignedOnly: As;
let endUser: As;
let other: As;
let org: number;
const made: Record<string, number> = {};

async function ok(p: ReturnType<TestTenant["api"]>, status = 200) {
  const r = await p;
  expect(r.status, r.text).toBe(status);
  return r.body;
}
const ids = (body: { tickets: Array<{ id: number }> }) => body.tickets.map((x) => x.id).sort((x, y) => x - y);

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "partya");
  b = await buildTenant(t, "partyb");
  const mk = async (role: "agent" | "end-user", name: string): Promise<As> => {
    const u = await buildUser(t, a, role, name);
    return { id: u.id, email: u.email, token: u.token ?? "" };
  };
  agent = await mk("agent", "Petra Party");
  assignedOnly = await mk("agent", "Ada Assigned");
  const role = await ok(a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Assigned only", configuration: { ticket_access: "assigned-only" } } }), 201);
  await ok(a.api("PUT", `/api/v2/users/${assignedOnly.id}.json`, { user: { custom_role_id: role.custom_role.id } }));
  assignedOnly = { ...assignedOnly, token: await createTokenFor(t, a, assignedOnly.id) };
  endUser = await mk("end-user", "Erik Enduser");
  other = await mk("end-user", "Olga Other");
  org = (await ok(a.api("POST", "/api/v2/organizations.json", { organization: { name: "Party Org" } }), 201)).organization.id;
  const ticket = async (name: string, extra: Record<string, unknown>) =>
    (made[name] = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: name, comment: { body: "b" }, ...extra } }), 201)).ticket.id);
  await ticket("requestedToAgent", { requester_id: endUser.id, assignee_id: agent.id });
  await ticket("requestedToAssigned", { requester_id: endUser.id, assignee_id: assignedOnly.id, organization_id: org });
  await ticket("ccd", { requester_id: other.id, collaborator_ids: [endUser.id], organization_id: org });
  await ticket("unrelated", { requester_id: other.id });
  // Another tenant's tickets with the same public ids must never show.
  for (let i = 0; i < 6; i++) await ok(b.api("POST", "/api/v2/tickets.json", { ticket: { subject: `B ${i}`, comment: { body: "b" } } }), 201);
});
afterAll(async () => t?.close());

describe("a person's and an organization's tickets", () => {
  it("lists the tickets a person requested, is copied on, or is assigned, and an organization's", async () => {
    expect(ids(await ok(a.api("GET", `/api/v2/users/${endUser.id}/tickets/requested.json`)))).toEqual([made.requestedToAgent, made.requestedToAssigned]);
    expect(ids(await ok(a.api("GET", `/api/v2/users/${endUser.id}/tickets/ccd.json`)))).toEqual([made.ccd]);
    expect(ids(await ok(a.api("GET", `/api/v2/users/${agent.id}/tickets/assigned.json`)))).toEqual([made.requestedToAgent]);
    expect(ids(await ok(a.api("GET", `/api/v2/users/${other.id}/tickets/assigned.json`)))).toEqual([]);
    expect(ids(await ok(a.api("GET", `/api/v2/organizations/${org}/tickets.json`)))).toEqual([made.requestedToAssigned, made.ccd]);
  });

  it("pages by offset and by cursor", async () => {
    const first = await ok(a.api("GET", `/api/v2/users/${endUser.id}/tickets/requested.json?per_page=1`));
    expect(first.tickets).toHaveLength(1);
    expect(first.count).toBe(2);
    expect(first.next_page).toContain("page=2");
    const c1 = await ok(a.api("GET", `/api/v2/organizations/${org}/tickets.json?page[size]=1`));
    expect(c1.tickets).toHaveLength(1);
    expect(c1.meta.has_more).toBe(true);
    const c2 = await ok(a.api("GET", `/api/v2/organizations/${org}/tickets.json?page[size]=1&page[after]=${encodeURIComponent(c1.meta.after_cursor)}`));
    expect([...c1.tickets, ...c2.tickets].map((x: { id: number }) => x.id).sort((x: number, y: number) => x - y)).toEqual([made.requestedToAssigned, made.ccd]);
  });

  it("lists only what the caller's ticket access allows", async () => {
    expect(ids(await ok(a.api("GET", `/api/v2/users/${endUser.id}/tickets/requested.json`, undefined, assignedOnly)))).toEqual([made.requestedToAssigned]);
    expect(ids(await ok(a.api("GET", `/api/v2/users/${agent.id}/tickets/assigned.json`, undefined, assignedOnly)))).toEqual([]);
    expect(ids(await ok(a.api("GET", `/api/v2/organizations/${org}/tickets.json`, undefined, assignedOnly)))).toEqual([made.requestedToAssigned]);
  });

  it("answers 404 for nobody, another tenant's ids and a malformed id (end users' 403: the permission matrix)", async () => {
    for (const path of [`/api/v2/users/999999/tickets/requested.json`, `/api/v2/users/999999/tickets/ccd.json`, `/api/v2/users/999999/tickets/assigned.json`, `/api/v2/organizations/999999/tickets.json`]) {
      expect((await a.api("GET", path)).status, path).toBe(404);
    }
    // Tenant B's owner asking for A's person and organization by id finds nobody.
    expect((await b.api("GET", `/api/v2/users/${endUser.id}/tickets/requested.json`)).status).toBe(404);
    expect((await b.api("GET", `/api/v2/organizations/${org}/tickets.json`)).status).toBe(404);
    // A malformed id is refused as every route refuses one (`/users/abc` too).
    const bad = await a.api("GET", `/api/v2/users/abc/tickets/requested.json`);
    expect(bad.status).toBe((await a.api("GET", "/api/v2/users/abc.json")).status);
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
  });
});
