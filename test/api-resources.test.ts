import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, waitForJob, type TestApp, type TestTenant } from "./support/harness.ts";

let t: TestApp;
let a: TestTenant;
beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "res");
});
afterAll(async () => t?.close());

describe("users", () => {
  it("creates, finds by e-mail, updates and refuses duplicates", async () => {
    const c = await a.api("POST", "/api/v2/users.json", { user: { name: "Ada Lovelace", email: "Ada@Example.test", phone: "+44 20 7946 0000", role: "end-user", tags: ["VIP"] } });
    expect(c.status).toBe(201);
    expect(c.body.user).toMatchObject({ name: "Ada Lovelace", email: "ada@example.test", role: "end-user", tags: ["vip"] });
    const dup = await a.api("POST", "/api/v2/users.json", { user: { name: "Other", email: "ada@example.test" } });
    expect(dup.status).toBe(422);
    expect(dup.body.details.email[0].error).toBe("DuplicateValue");
    const s = await a.api("GET", "/api/v2/users/search.json?query=ADA@example.test");
    expect(s.body.users.map((u: { id: number }) => u.id)).toEqual([c.body.user.id]);
    const u = await a.api("PUT", `/api/v2/users/${c.body.user.id}.json`, { user: { name: "Ada King" } });
    expect(u.body.user.name).toBe("Ada King");
    const many = await a.api("GET", `/api/v2/users/show_many.json?ids=1,${c.body.user.id}`);
    expect(many.body.users).toHaveLength(2);
    const agents = await a.api("GET", "/api/v2/users.json?role=admin");
    expect(agents.body.users.every((x: { role: string }) => x.role === "admin")).toBe(true);
    // Several roles at once, as Zendesk takes them.
    const both = await a.api("GET", "/api/v2/users.json?role[]=admin&role[]=end-user");
    expect(both.status).toBe(200);
    expect(new Set(both.body.users.map((x: { role: string }) => x.role))).toEqual(new Set(["admin", "end-user"]));
  });

  it("keeps end users and agents within their rights", async () => {
    const agent = await buildUser(t, a, "agent");
    const as = { email: agent.email, token: agent.token! };
    expect((await a.api("POST", "/api/v2/users.json", { user: { name: "Admin?", email: "x1@x.test", role: "admin" } }, as)).status).toBe(403);
    expect((await a.api("POST", "/api/v2/users.json", { user: { name: "Customer", email: "x2@x.test" } }, as)).status).toBe(201);
    expect((await a.api("PUT", "/api/v2/users/1.json", { user: { name: "Not the owner" } }, as)).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { role: "admin" } }, as)).status).toBe(403);
  });
});

describe("organizations and groups", () => {
  it("manages organizations with sealed names and unique names", async () => {
    const o = await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Initech", notes: "Big customer", tags: ["enterprise"] } });
    expect(o.status).toBe(201);
    expect((await a.api("POST", "/api/v2/organizations.json", { organization: { name: "initech" } })).status).toBe(422);
    const u = await a.api("POST", "/api/v2/users.json", { user: { name: "Peter", email: "peter@initech.test", organization_id: o.body.organization.id } });
    expect(u.body.user.organization_id).toBe(o.body.organization.id);
    expect((await a.api("DELETE", `/api/v2/organizations/${o.body.organization.id}.json`)).status).toBe(422);
    const upd = await a.api("PUT", `/api/v2/organizations/${o.body.organization.id}.json`, { organization: { notes: "Bigger" } });
    expect(upd.body.organization.notes).toBe("Bigger");
    const badOrg = await a.api("POST", "/api/v2/users.json", { user: { name: "P2", email: "p2@initech.test", organization_id: 99999 } });
    expect(badOrg.status).toBe(422);
  });

  it("gives a ticket its requester's organization, also when the requester is the caller", async () => {
    const o = await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Umbrella" } });
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { organization_id: o.body.organization.id } })).status).toBe(200);
    const own = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "mine", comment: { body: "b" } } }, { email: agent.email, token: agent.token! });
    expect(own.status).toBe(201);
    expect(own.body.ticket.organization_id).toBe(o.body.organization.id);
    expect((await a.api("GET", `/api/v2/tickets/${own.body.ticket.id}.json`)).body.ticket.organization_id).toBe(o.body.organization.id);
    const byId = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "for", comment: { body: "b" }, requester_id: agent.id } });
    expect(byId.body.ticket.organization_id).toBe(o.body.organization.id);
    // The owner belongs to no organization.
    expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "b" } } })).body.ticket.organization_id).toBeNull();
  });

  it("manages groups and memberships", async () => {
    const g = await a.api("POST", "/api/v2/groups.json", { group: { name: "Billing" } });
    expect(g.status).toBe(201);
    const agent = await buildUser(t, a, "agent");
    const m = await a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: agent.id, group_id: g.body.group.id } });
    expect(m.status).toBe(201);
    expect((await a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: agent.id, group_id: g.body.group.id } })).status).toBe(422);
    const endUser = await buildUser(t, a, "end-user");
    expect((await a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: endUser.id, group_id: g.body.group.id } })).status).toBe(422);
    const byGroup = await a.api("GET", `/api/v2/groups/${g.body.group.id}/memberships.json`);
    expect(byGroup.body.group_memberships.map((x: { user_id: number }) => x.user_id)).toEqual([agent.id]);
    const byUser = await a.api("GET", `/api/v2/users/${agent.id}/group_memberships.json`);
    expect(byUser.body.group_memberships).toHaveLength(1);
    expect((await a.api("DELETE", `/api/v2/group_memberships/${m.body.group_membership.id}.json`)).status).toBe(204);
    expect((await a.api("DELETE", `/api/v2/groups/${g.body.group.id}.json`)).status).toBe(204);
    expect((await a.api("GET", `/api/v2/groups/${g.body.group.id}.json`)).status).toBe(404);
  });
});

describe("ticket fields, bulk operations, search, sideloads, audit log", () => {
  it("validates custom field values by type", async () => {
    const f = await a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "dropdown", title: "Plan", custom_field_options: [{ name: "Gold", value: "gold" }, { name: "Free", value: "free" }] } });
    expect(f.status).toBe(201);
    const n = await a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "number", title: "Seats" } });
    const ok = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "cf", comment: { body: "b" }, custom_fields: [{ id: f.body.ticket_field.id, value: "gold" }, { id: n.body.ticket_field.id, value: 12 }] } });
    expect(ok.status).toBe(201);
    expect(ok.body.ticket.custom_fields).toEqual(expect.arrayContaining([{ id: f.body.ticket_field.id, value: "gold" }, { id: n.body.ticket_field.id, value: 12 }]));
    const bad = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "cf", comment: { body: "b" }, custom_fields: [{ id: f.body.ticket_field.id, value: "platinum" }] } });
    expect(bad.status).toBe(422);
    const missing = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "cf", comment: { body: "b" }, custom_fields: [{ id: 99999, value: "x" }] } });
    expect(missing.status).toBe(422);
  });

  it("creates and updates many as jobs, one ticket at a time", async () => {
    const b = await buildTenant(t, "bulk");
    const cm = await b.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "a", comment: { body: "1" } }, { subject: "b", comment: { body: "2" } }] });
    expect(cm.status).toBe(200);
    expect(cm.body.job_status).toMatchObject({ status: "queued", total: 2, progress: 0, results: [] });
    const created = await waitForJob(b, cm.body.job_status.id);
    expect(created).toMatchObject({ status: "completed", total: 2, progress: 2 });
    expect(created.results.map((r: { id: number }) => r.id)).toEqual([1, 2]);
    const um = await b.api("PUT", `/api/v2/tickets/update_many.json?ids=1,2`, { ticket: { status: "open", additional_tags: ["bulk"] } });
    expect(um.status).toBe(200);
    expect((await waitForJob(b, um.body.job_status.id)).results).toEqual([
      { id: 1, index: 0, action: "update", success: true, status: "Updated" },
      { id: 2, index: 1, action: "update", success: true, status: "Updated" },
    ]);
    const sm = await b.api("GET", "/api/v2/tickets/show_many.json?ids=1,2");
    expect(sm.body.tickets.map((x: { status: string; tags: string[] }) => [x.status, x.tags])).toEqual([["open", ["bulk"]], ["open", ["bulk"]]]);
    // Each ticket on its own: one bad ticket is reported, the others are created.
    const partial = await b.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "c", comment: { body: "3" } }, { subject: "d", comment: { body: "4" }, assignee_id: 9999 }] });
    expect(partial.status).toBe(200);
    const done = await waitForJob(b, partial.body.job_status.id);
    expect(done.status).toBe("completed");
    expect(done.results).toEqual([
      { id: 3, index: 0, action: "create", success: true, status: "Created" },
      { index: 1, action: "create", success: false, error: "RecordInvalid", details: expect.stringMatching(/^assignee_id: Assignee/) },
    ]);
    expect((await b.api("GET", "/api/v2/tickets.json")).body.count).toBe(3);
    // Malformed input queues nothing.
    expect((await b.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "e" }] })).status).toBe(422);
    expect((await b.api("PUT", "/api/v2/tickets/update_many.json", { ticket: { status: "open" } })).status).toBe(422);
  });

  it("searches with structured filters and sideloads users", async () => {
    const s = await buildTenant(t, "search");
    const agent = await buildUser(t, s, "agent");
    await s.api("POST", "/api/v2/tickets.json", { ticket: { subject: "one", comment: { body: "b" }, tags: ["vip"], requester: { email: "ada@x.test", name: "Ada" } } });
    await s.api("POST", "/api/v2/tickets.json", { ticket: { subject: "two", comment: { body: "b" }, assignee_id: agent.id, priority: "urgent" } });
    await s.api("POST", "/api/v2/tickets.json", { ticket: { subject: "three", comment: { body: "b" }, status: "solved" } });
    const q = async (query: string) => (await s.api("GET", `/api/v2/search.json?query=${encodeURIComponent(query)}`)).body.results.map((r: { subject: string }) => r.subject);
    expect(await q("type:ticket tags:vip")).toEqual(["one"]);
    expect(await q("requester:ada@x.test")).toEqual(["one"]);
    expect(await q(`assignee:${agent.id}`)).toEqual(["two"]);
    expect(await q("assignee:none status<solved")).toEqual(["one"]);
    expect(await q("status:solved")).toEqual(["three"]);
    expect(await q("priority:urgent")).toEqual(["two"]);
    expect(await q(`created>2000-01-01 -tags:vip`)).toEqual(["two", "three"]);
    expect(await q(`created<2000-01-01`)).toEqual([]);
    // Free words search the sealed content through its keyed-hash index (test/search-text.test.ts).
    expect(await q("two")).toEqual(["two"]);
    expect(await q("printer")).toEqual([]);
    const unknown = await s.api("GET", "/api/v2/search.json?query=colour:blue");
    expect(unknown.status).toBe(422);
    const side = await s.api("GET", "/api/v2/tickets/1.json?include=users");
    expect(side.body.users.map((u: { email: string }) => u.email)).toContain("ada@x.test");
  });

  it("shows the audit log to admins with filters, never to agents", async () => {
    const l = await buildTenant(t, "auditlog");
    await l.api("POST", "/api/v2/tickets.json", { ticket: { subject: "audited", comment: { body: "b" } } });
    const r = await l.api("GET", "/api/v2/audit_logs.json?filter[action]=ticket.created");
    expect(r.body.audit_logs).toHaveLength(1);
    expect(r.body.audit_logs[0]).toMatchObject({ action: "ticket.created", source_type: "ticket", source_id: "1", actor_id: 1, ip_address: "127.0.0.1" });
    expect(JSON.stringify(r.body)).not.toContain("audited");
    const agent = await buildUser(t, l, "agent");
    expect((await l.api("GET", "/api/v2/audit_logs.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
  });

  it("serves an OpenAPI document generated from the routes", async () => {
    const r = await t.request({ method: "GET", path: "/api/v2/openapi.json", host: a.host });
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe("3.1.0");
    const ops = Object.values(r.body.paths as Record<string, Record<string, { operationId: string }>>).flatMap((p) => Object.values(p).map((o) => o.operationId));
    expect(ops).toEqual(expect.arrayContaining(["createTicket", "listTickets", "showCurrentUser", "search", "listAuditLogs"]));
  });
});
