import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, endUserWithPassword, type Session } from "./support/people.ts";

/**
 * Saved and shared views (docs/api.md, "Views"), over real HTTP: who sees and changes which view,
 * every condition field and operator, refusals that write nothing, running through the runner's
 * own ticket access, another tenant's ids, counts, pages and the audit trail.
 */

type As = { email: string; token: string };
type Cond = { field: string; operator: string; value: unknown };

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
const as = (u: { email: string; token: string | undefined }): As => ({ email: u.email, token: u.token! });
let admin: As & { id: number };
let agent1: As & { id: number };
let agent2: As & { id: number };
let light: As & { id: number };
let scoped: As & { id: number };
let endUser: { id: number; session: Session };
let reader: As;
let g1: number;
let g2: number;
let org: number;
/** The tickets of tenant a, by name. */
const tk: Record<string, number> = {};

async function ok<T = any>(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const viewCount = () => t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM views`.execute(tx.db)).rows[0]!.n));
async function createView(view: Record<string, unknown>, who?: As) {
  return a.api("POST", "/api/v2/views.json", { view }, who);
}
/** The ids of the tickets a personal view of `who` with these conditions holds, ascending. */
async function run(all: Cond[], any: Cond[] = [], who?: As): Promise<number[]> {
  const v = (await ok(createView({ title: "probe", all, any }, who), 201)).view;
  const r = await ok(a.api("GET", `/api/v2/views/${v.id}/tickets.json?per_page=100`, undefined, who));
  await ok(a.api("DELETE", `/api/v2/views/${v.id}.json`, undefined, who), 204);
  return (r.tickets as Array<{ id: number }>).map((x) => x.id).sort((x, y) => x - y);
}
const ids = (...names: string[]) => names.map((n) => tk[n]!).sort((x, y) => x - y);
const everyTicket = () => Object.values(tk).sort((x, y) => x - y);

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "views");
  b = await buildTenant(t, "viewsb");
  const mk = async (role: "admin" | "agent" | "light-agent", name: string) => {
    const u = await buildUser(t, a, role, name);
    return { ...as(u), id: u.id };
  };
  admin = await mk("admin", "Ada Admin");
  agent1 = await mk("agent", "Al Agent");
  agent2 = await mk("agent", "Bea Agent");
  light = await mk("light-agent", "Lee Light");
  scoped = await mk("agent", "Gus Grouped");
  await ok(a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } }));
  endUser = await endUserWithPassword(t, a, "Eve Customer");
  const made = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "reader", scopes: ["read", "tickets:read"] } });
  expect(made.status, made.text).toBe(201);
  reader = { email: a.ownerEmail, token: made.body.api_token.token };
  g1 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 1" } }), 201)).group.id;
  g2 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 2" } }), 201)).group.id;
  await ok(a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: agent1.id, group_id: g1 } }), 201);
  await ok(a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: scoped.id, group_id: g2 } }), 201);
  const role = await ok(a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Within groups", configuration: { ticket_access: "within-groups" } } }), 201);
  await ok(a.api("PUT", `/api/v2/users/${scoped.id}.json`, { user: { custom_role_id: role.custom_role.id } }));
  scoped = { ...scoped, token: (await import("./support/harness.ts").then((h) => h.createTokenFor(t, a, scoped.id))) };
  org = (await ok(a.api("POST", "/api/v2/organizations.json", { organization: { name: "Acme Views" } }), 201)).organization.id;
  await ok(a.api("PUT", `/api/v2/users/${endUser.id}.json`, { user: { organization_id: org } }));
  const ticket = async (name: string, fields: Record<string, unknown>) => {
    tk[name] = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Ticket ${name}`, comment: { body: "Body" }, ...fields } }), 201)).ticket.id;
  };
  await ticket("vipOpen", { status: "open", priority: "high", type: "incident", assignee_id: agent1.id, group_id: g1, tags: ["vip", "billing"], requester_id: endUser.id });
  await ticket("pendingLow", { status: "pending", priority: "low", type: "question", tags: ["billing"] });
  await ticket("solvedUrgent", { status: "solved", priority: "urgent", type: "task", assignee_id: agent2.id, group_id: g2 });
  await ticket("newBare", { tags: ["vip"], group_id: g1 });
  // Ages: created 10 hours ago and updated 5 hours ago, except newBare (just now); solved 3 hours ago.
  await t.db.tenant(a.tenantId, async (tx) => {
    await sql`UPDATE tickets SET created_at = now() - interval '10 hours', updated_at = now() - interval '5 hours' WHERE nice_id IN (${sql.join([tk.vipOpen, tk.pendingLow, tk.solvedUrgent])})`.execute(tx.db);
    await sql`UPDATE tickets SET solved_at = now() - interval '3 hours' WHERE nice_id = ${tk.solvedUrgent}`.execute(tx.db);
  });
  const all = (await ok(a.api("GET", "/api/v2/tickets.json?per_page=100"))).tickets.map((x: { id: number }) => x.id).sort((x: number, y: number) => x - y);
  expect(all).toEqual(everyTicket());
});
afterAll(async () => t?.close());

describe("who sees and changes which view", () => {
  it("shows personal views to their owner alone, shared ones to all staff, group views to members and admins", async () => {
    const shared = (await ok(createView({ title: "Everyone's", restriction: null, all: [{ field: "status", operator: "less_than", value: "solved" }], position: 2 }), 201)).view;
    expect(shared.restriction).toBeNull();
    expect(shared.url).toBe(`${a.origin}/api/v2/views/${shared.id}.json`);
    const grouped = (await ok(createView({ title: "tier one", restriction: { type: "Group", id: g1 }, all: [{ field: "group_id", operator: "is", value: g1 }], position: 2 }), 201)).view;
    expect(grouped.restriction).toEqual({ type: "Group", id: g1 });
    const ownerMine = (await ok(createView({ title: "Owner's own", all: [{ field: "status", operator: "is", value: "open" }] }), 201)).view;
    expect(ownerMine.restriction).toEqual({ type: "User", id: 1 });
    const agentMine = (await ok(createView({ title: "Al's own", conditions: { all: [{ field: "assignee_id", operator: "is", value: "current_user" }] } }, agent1), 201)).view;
    expect(agentMine.restriction).toEqual({ type: "User", id: agent1.id });
    const lightMine = await createView({ title: "Light's own", all: [{ field: "status", operator: "is", value: "new" }] }, light);
    expect(lightMine.status, lightMine.text).toBe(201);

    const listed = async (who?: As, q = "") => (await ok(a.api("GET", `/api/v2/views.json${q}`, undefined, who))).views.map((v: { id: number }) => v.id);
    // Shared first (position, then title ignoring case), then personal.
    expect(await listed(agent1)).toEqual([shared.id, grouped.id, agentMine.id]);
    expect(await listed(agent2)).toEqual([shared.id]);
    expect(await listed(admin)).toEqual([shared.id, grouped.id]);
    expect(await listed()).toEqual([shared.id, grouped.id, ownerMine.id]);
    expect(await listed(light)).toEqual([shared.id, lightMine.body.view.id]);
    expect(await listed(agent1, "?access=personal")).toEqual([agentMine.id]);
    expect(await listed(agent1, "?access=shared")).toEqual([shared.id, grouped.id]);
    await ok(a.api("PUT", `/api/v2/views/${grouped.id}.json`, { view: { active: false } }));
    expect(await listed(agent1, "?active=false")).toEqual([grouped.id]);
    expect((await ok(a.api("GET", "/api/v2/views/active.json", undefined, agent1))).views.map((v: { id: number }) => v.id)).toEqual([shared.id, agentMine.id]);
    // An inactive view still runs for its viewers.
    await ok(a.api("GET", `/api/v2/views/${grouped.id}/tickets.json`, undefined, agent1));
    const offset = await ok(a.api("GET", "/api/v2/views.json?per_page=1&page=2", undefined, agent1));
    expect(offset.views.map((v: { id: number }) => v.id)).toEqual([grouped.id]);
    expect(offset.count).toBe(3);
    expect(offset.next_page).toContain("page=3");

    // Missing to those who do not see them (admins included, for a personal view).
    for (const [who, id] of [[agent2, grouped.id], [agent2, agentMine.id], [admin, agentMine.id], [admin, ownerMine.id], [agent1, ownerMine.id]] as const) {
      for (const p of [`/api/v2/views/${id}.json`, `/api/v2/views/${id}/tickets.json`, `/api/v2/views/${id}/count.json`]) expect((await a.api("GET", p, undefined, who)).status, p).toBe(404);
      expect((await a.api("PUT", `/api/v2/views/${id}.json`, { view: { title: "x" } }, who)).status).toBe(404);
      expect((await a.api("DELETE", `/api/v2/views/${id}.json`, undefined, who)).status).toBe(404);
    }
    // Shared views: seen, not changed, by agents.
    for (const id of [shared.id, grouped.id]) {
      expect((await a.api("PUT", `/api/v2/views/${id}.json`, { view: { title: "mine now" } }, agent1)).status).toBe(403);
      expect((await a.api("DELETE", `/api/v2/views/${id}.json`, undefined, agent1)).status).toBe(403);
    }
    // An agent cannot share: neither at creation nor by changing a personal view's restriction.
    expect((await createView({ title: "x", restriction: null, all: [{ field: "status", operator: "is", value: "new" }] }, agent1)).status).toBe(403);
    expect((await createView({ title: "x", restriction: { type: "Group", id: g1 }, all: [{ field: "status", operator: "is", value: "new" }] }, agent1)).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/views/${agentMine.id}.json`, { view: { restriction: null } }, agent1)).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/views/${agentMine.id}.json`, { view: { restriction: { type: "Group", id: g1 } } }, agent1)).status).toBe(403);
    // Another person's User restriction, a missing group: 422.
    expect((await createView({ title: "x", restriction: { type: "User", id: agent2.id }, all: [{ field: "status", operator: "is", value: "new" }] }, agent1)).status).toBe(422);
    expect((await createView({ title: "x", restriction: { type: "Group", id: 99_999 }, all: [{ field: "status", operator: "is", value: "new" }] })).status).toBe(422);
    expect((await a.api("PUT", `/api/v2/views/${shared.id}.json`, { view: { restriction: { type: "User", id: agent1.id } } })).status).toBe(422);
    // The owner changes and deletes their personal view; an admin changes shared ones.
    expect((await ok(a.api("PUT", `/api/v2/views/${agentMine.id}.json`, { view: { title: "  Renamed  ", position: 7 } }, agent1))).view).toMatchObject({ title: "Renamed", position: 7 });
    expect((await ok(a.api("PUT", `/api/v2/views/${shared.id}.json`, { view: { description: "For all" } }, admin))).view.description).toBe("For all");
    expect((await ok(a.api("PUT", `/api/v2/views/${shared.id}.json`, { view: { description: "For all\nof us" } }, admin))).view.description).toBe("For all\nof us");
    expect((await ok(a.api("PUT", `/api/v2/views/${shared.id}.json`, { view: { description: null } }, admin))).view.description).toBeNull();
    // An admin makes a personal view of theirs shared, and back.
    const adminOwn = (await ok(createView({ title: "Admin's", all: [{ field: "status", operator: "is", value: "new" }] }, admin), 201)).view;
    expect((await ok(a.api("PUT", `/api/v2/views/${adminOwn.id}.json`, { view: { restriction: null } }, admin))).view.restriction).toBeNull();
    expect((await listed(agent2))).toContain(adminOwn.id);
    expect((await ok(a.api("PUT", `/api/v2/views/${adminOwn.id}.json`, { view: { restriction: { type: "User", id: admin.id } } }, admin))).view.restriction).toEqual({ type: "User", id: admin.id });
    expect((await listed(agent2))).not.toContain(adminOwn.id);
    await ok(a.api("DELETE", `/api/v2/views/${agentMine.id}.json`, undefined, agent1), 204);
    expect((await a.api("GET", `/api/v2/views/${agentMine.id}.json`, undefined, agent1)).status).toBe(404);
  });

  it("refuses end users on every route (403) and lets a read-only token run views but not write them", async () => {
    const v = (await ok(createView({ title: "Shared for tokens", restriction: null, all: [{ field: "status", operator: "is", value: "open" }] }), 201)).view;
    const s = endUser.session;
    for (const [m, p, body] of [
      ["GET", "/api/v2/views.json"], ["GET", "/api/v2/views/active.json"], ["GET", `/api/v2/views/${v.id}.json`], ["GET", `/api/v2/views/${v.id}/tickets.json`],
      ["GET", `/api/v2/views/${v.id}/count.json`], ["GET", `/api/v2/views/count_many.json?ids=${v.id}`],
      ["POST", "/api/v2/views.json", { view: { title: "x", all: [{ field: "status", operator: "is", value: "open" }] } }],
      ["PUT", `/api/v2/views/${v.id}.json`, { view: { title: "x" } }], ["DELETE", `/api/v2/views/${v.id}.json`],
    ] as Array<[string, string, unknown?]>) {
      expect((await asSession(t, a, s, m, p, body)).status, `${m} ${p}`).toBe(403);
    }
    expect((await ok(a.api("GET", `/api/v2/views/${v.id}/tickets.json`, undefined, reader))).tickets.map((x: { id: number }) => x.id)).toEqual([tk.vipOpen]);
    await ok(a.api("GET", `/api/v2/views/${v.id}/count.json`, undefined, reader));
    await ok(a.api("GET", "/api/v2/views.json", undefined, reader));
    expect((await createView({ title: "x", all: [{ field: "status", operator: "is", value: "open" }] }, reader)).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/views/${v.id}.json`, { view: { title: "x" } }, reader)).status).toBe(403);
    expect((await a.api("DELETE", `/api/v2/views/${v.id}.json`, undefined, reader)).status).toBe(403);
    await ok(a.api("GET", `/api/v2/views/${v.id}.json`));
  });
});

describe("conditions", () => {
  it("matches each field and operator, hits and misses", async () => {
    const c = (field: string, operator: string, value: unknown): Cond => ({ field, operator, value });
    expect(await run([c("status", "is", "open")])).toEqual(ids("vipOpen"));
    expect(await run([c("status", "is_not", "open")])).toEqual(ids("pendingLow", "solvedUrgent", "newBare"));
    expect(await run([c("status", "less_than", "pending")])).toEqual(ids("vipOpen", "newBare"));
    expect(await run([c("status", "greater_than", "hold")])).toEqual(ids("solvedUrgent"));
    expect(await run([c("status", "greater_than", "closed")])).toEqual([]);
    expect(await run([c("priority", "is", "high")])).toEqual(ids("vipOpen"));
    // is_not keeps tickets without a priority.
    expect(await run([c("priority", "is_not", "high")])).toEqual(ids("pendingLow", "solvedUrgent", "newBare"));
    expect(await run([c("priority", "less_than", "high")])).toEqual(ids("pendingLow"));
    expect(await run([c("priority", "greater_than", "normal")])).toEqual(ids("vipOpen", "solvedUrgent"));
    expect(await run([c("type", "is", "question")])).toEqual(ids("pendingLow"));
    expect(await run([c("type", "is_not", "question")])).toEqual(ids("vipOpen", "solvedUrgent", "newBare"));
    expect(await run([c("assignee_id", "is", agent1.id)])).toEqual(ids("vipOpen"));
    expect(await run([c("assignee_id", "is", String(agent1.id))])).toEqual(ids("vipOpen"));
    // is_not keeps unassigned tickets.
    expect(await run([c("assignee_id", "is_not", agent1.id)])).toEqual(ids("pendingLow", "solvedUrgent", "newBare"));
    expect(await run([c("assignee_id", "is", null)])).toEqual(ids("pendingLow", "newBare"));
    expect(await run([c("assignee_id", "is_not", null)])).toEqual(ids("vipOpen", "solvedUrgent"));
    expect(await run([c("assignee_id", "is", "current_user")], [], agent2)).toEqual(ids("solvedUrgent"));
    expect(await run([c("assignee_id", "is", "current_user")])).toEqual([]);
    expect(await run([c("requester_id", "is", endUser.id)])).toEqual(ids("vipOpen"));
    expect(await run([c("requester_id", "is_not", endUser.id)])).toEqual(ids("pendingLow", "solvedUrgent", "newBare"));
    expect(await run([c("requester_id", "is", "current_user")])).toEqual(ids("pendingLow", "solvedUrgent", "newBare"));
    expect(await run([c("group_id", "is", g1)])).toEqual(ids("vipOpen", "newBare"));
    expect(await run([c("group_id", "is_not", g1)])).toEqual(ids("pendingLow", "solvedUrgent"));
    expect(await run([c("group_id", "is", null)])).toEqual(ids("pendingLow"));
    expect(await run([c("group_id", "is", "current_groups")], [], agent1)).toEqual(ids("vipOpen", "newBare"));
    expect(await run([c("group_id", "is_not", "current_groups")], [], agent1)).toEqual(ids("pendingLow", "solvedUrgent"));
    expect(await run([c("group_id", "is", "current_groups")], [], agent2)).toEqual([]);
    expect(await run([c("organization_id", "is", org)])).toEqual(ids("vipOpen"));
    expect(await run([c("organization_id", "is_not", org)])).toEqual(ids("pendingLow", "solvedUrgent", "newBare"));
    expect(await run([c("organization_id", "is", null)])).toEqual(ids("pendingLow", "solvedUrgent", "newBare"));
    expect(await run([c("current_tags", "includes", "vip")])).toEqual(ids("vipOpen", "newBare"));
    expect(await run([c("current_tags", "includes", "VIP  billing")])).toEqual(ids("vipOpen", "pendingLow", "newBare"));
    expect(await run([c("current_tags", "not_includes", "vip")])).toEqual(ids("pendingLow", "solvedUrgent"));
    expect(await run([c("current_tags", "not_includes", "vip billing")])).toEqual(ids("solvedUrgent"));
    expect(await run([c("hours_since_created", "greater_than", 8)])).toEqual(ids("vipOpen", "pendingLow", "solvedUrgent"));
    expect(await run([c("hours_since_created", "less_than", 8)])).toEqual(ids("newBare"));
    expect(await run([c("hours_since_updated", "greater_than", 4)])).toEqual(ids("vipOpen", "pendingLow", "solvedUrgent"));
    expect(await run([c("hours_since_updated", "greater_than", "6")])).toEqual([]);
    expect(await run([c("hours_since_solved", "greater_than", 2)])).toEqual(ids("solvedUrgent"));
    expect(await run([c("hours_since_solved", "less_than", 2)])).toEqual([]);
    expect(await run([c("hours_since_solved", "less_than", 87_600)])).toEqual(ids("solvedUrgent"));
    // all: every one; any: at least one; both together.
    expect(await run([c("current_tags", "includes", "vip"), c("status", "is", "new")])).toEqual(ids("newBare"));
    expect(await run([], [c("status", "is", "pending"), c("status", "is", "solved")])).toEqual(ids("pendingLow", "solvedUrgent"));
    expect(await run([c("current_tags", "includes", "billing")], [c("assignee_id", "is", "current_user"), c("assignee_id", "is", null)], agent1)).toEqual(ids("vipOpen", "pendingLow"));
  });

  it("refuses every bad input with 422 naming it, and writes nothing", async () => {
    const good = { field: "status", operator: "is", value: "open" };
    const shared = (await ok(createView({ title: "Stable", restriction: null, all: [good] }), 201)).view;
    const before = await viewCount();
    const gone = await buildUser(t, a, "end-user", "Gone Person");
    await ok(a.api("DELETE", `/api/v2/users/${gone.id}.json`));
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ title: "x", all: [good, { field: "colour", operator: "is", value: "red" }] }, "conditions.all[1]"],
      [{ title: "x", all: [{ field: "status", operator: "includes", value: "open" }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "status", operator: "is", value: "done" }] }, "conditions.all[0]"],
      [{ title: "x", any: [{ field: "priority", operator: "less_than", value: 3 }] }, "conditions.any[0]"],
      [{ title: "x", all: [{ field: "type", operator: "less_than", value: "task" }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "assignee_id", operator: "is", value: 99_999 }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "assignee_id", operator: "is", value: endUser.id }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "assignee_id", operator: "is", value: "current_groups" }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "requester_id", operator: "is", value: gone.id }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "requester_id", operator: "is", value: null }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "group_id", operator: "is", value: 99_999 }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "organization_id", operator: "is", value: 99_999 }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "current_tags", operator: "includes", value: "" }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "current_tags", operator: "includes", value: "a,b!" }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "current_tags", operator: "is", value: "vip" }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "hours_since_created", operator: "greater_than", value: 87_601 }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "hours_since_created", operator: "greater_than", value: 1.5 }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "hours_since_created", operator: "greater_than", value: -1 }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "hours_since_updated", operator: "is", value: 3 }] }, "conditions.all[0]"],
      [{ title: "x", all: [{ field: "__proto__", operator: "is", value: 3 }] }, "conditions.all[0]"],
      [{ title: "x" }, "conditions"],
      [{ title: "x", all: [], any: [] }, "conditions"],
      [{ title: "x", all: Array.from({ length: 51 }, () => good) }, "conditions"],
      [{ title: "x", all: Array.from({ length: 30 }, () => good), any: Array.from({ length: 21 }, () => good) }, "conditions"],
      [{ title: "", all: [good] }, "title"],
      [{ title: "   ", all: [good] }, "title"],
      [{ title: "t".repeat(256), all: [good] }, "title"],
      [{ all: [good] }, "title"],
      [{ title: "x", all: [good], conditions: { all: [good] } }, "conditions"],
      [{ title: "x", all: [good], output: { sort_by: "id" }, execution: { sort_by: "id" } }, "execution"],
      [{ title: "x", all: [good], restriction: { type: "User", id: agent1.id } }, "restriction"],
      [{ title: "x", all: [good], restriction: { type: "Group", id: 99_999 } }, "restriction"],
    ];
    for (const [view, field] of bad) {
      const r = await createView(view);
      expect(r.status, `${JSON.stringify(view).slice(0, 120)}: ${r.text}`).toBe(422);
      expect(Object.keys(r.body.details ?? {}), r.text).toContain(field);
    }
    // Malformed shapes: 422 from the schema.
    for (const view of [{ title: "x", all: [{ field: "status" }] }, { title: "x", all: "status is open" }, { title: "x", all: [good], position: 10_001 }, { title: "x", all: [good], output: { sort_by: "subject" } }, { title: "x", all: [good], restriction: { type: "Organization", id: 1 } }, { title: 5, all: [good] }]) {
      expect((await createView(view)).status, JSON.stringify(view)).toBe(422);
    }
    for (const [view, field] of bad.filter(([v]) => v.title !== undefined && v.title !== "x") as Array<[Record<string, unknown>, string]>) {
      expect((await a.api("PUT", `/api/v2/views/${shared.id}.json`, { view })).status, field).toBe(422);
    }
    for (const view of [{ all: [] }, { all: [{ field: "status", operator: "is", value: "done" }] }, { title: "" }, { conditions: { any: [good] }, any: [good] }, { restriction: { type: "User", id: agent1.id } }]) {
      const r = await a.api("PUT", `/api/v2/views/${shared.id}.json`, { view });
      expect(r.status, `${JSON.stringify(view)}: ${r.text}`).toBe(422);
    }
    expect(await viewCount()).toBe(before);
    const after = (await ok(a.api("GET", `/api/v2/views/${shared.id}.json`))).view;
    expect(after).toEqual(shared);
  });

  it("refuses a view beyond the limits (500 personal views each, 1,000 shared in an account)", async () => {
    const good = [{ field: "status", operator: "is", value: "open" }];
    const fill = (n: number, owner: number | null) =>
      t.db.tenant(a.tenantId, async (tx) => {
        const creator = (await sql<{ id: string }>`SELECT id FROM users WHERE nice_id = 1`.execute(tx.db)).rows[0]!.id;
        const user = owner === null ? null : (await sql<{ id: string }>`SELECT id FROM users WHERE nice_id = ${owner}`.execute(tx.db)).rows[0]!.id;
        await sql`INSERT INTO views (tenant_id, id, nice_id, created_by, user_id, title_sealed, position, conditions, sort_by, sort_order)
          SELECT ${a.tenantId}, gen_random_uuid(), vd_next_id('views'), ${creator}, ${user}, '\\x00'::bytea, 0, '{"all":[]}'::jsonb, 'id', 'asc' FROM generate_series(1, ${n})`.execute(tx.db);
      });
    const clear = () => t.db.tenant(a.tenantId, (tx) => sql`DELETE FROM views WHERE title_sealed = '\\x00'::bytea`.execute(tx.db));
    try {
      await fill(500, agent2.id);
      const r = await createView({ title: "One too many", all: good }, agent2);
      expect(r.status, r.text).toBe(422);
      expect(r.body.details.restriction[0].error).toBe("TooMany");
      // Creates sent at once cannot pass the limit together (each counts under the kind's lock).
      await clear();
      await fill(495, agent2.id);
      const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => createView({ title: `At once ${i}`, all: good }, agent2)));
      expect(burst.map((x) => x.status).sort()).toEqual([...Array(5).fill(201), ...Array(7).fill(422)]);
      const mine = await t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM views v JOIN users u ON u.tenant_id = v.tenant_id AND u.id = v.user_id WHERE u.nice_id = ${agent2.id}`.execute(tx.db)).rows[0]!.n));
      expect(mine).toBe(500);
      await t.db.tenant(a.tenantId, (tx) => sql`DELETE FROM views v USING users u WHERE u.tenant_id = v.tenant_id AND u.id = v.user_id AND u.nice_id = ${agent2.id}`.execute(tx.db));
      // Shared views count apart: an admin's own limit is untouched.
      const shared = (await ok(createView({ title: "Shared soon", all: good }, admin), 201)).view;
      const count = await t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM views WHERE user_id IS NULL`.execute(tx.db)).rows[0]!.n));
      await fill(1000 - count, null);
      expect((await createView({ title: "x", restriction: null, all: good })).status).toBe(422);
      expect((await a.api("PUT", `/api/v2/views/${shared.id}.json`, { view: { restriction: null } }, admin)).status).toBe(422);
      await ok(a.api("DELETE", `/api/v2/views/${shared.id}.json`, undefined, admin), 204);
    } finally {
      await clear();
    }
  });

  it("runs through the runner's own ticket access (a within-groups role sees its groups' tickets only)", async () => {
    const v = (await ok(createView({ title: "Everything not closed", restriction: null, all: [{ field: "status", operator: "less_than", value: "closed" }] }), 201)).view;
    const seen = async (who?: As) => (await ok(a.api("GET", `/api/v2/views/${v.id}/tickets.json`, undefined, who))).tickets.map((x: { id: number }) => x.id).sort((x: number, y: number) => x - y);
    expect(await seen()).toEqual(everyTicket());
    expect(await seen(scoped)).toEqual(ids("solvedUrgent"));
    expect((await ok(a.api("GET", `/api/v2/views/${v.id}/count.json`, undefined, scoped))).view_count.value).toBe(1);
    expect((await ok(a.api("GET", `/api/v2/views/${v.id}/count.json`))).view_count).toEqual({ view_id: v.id, url: `${a.origin}/api/v2/views/${v.id}/count.json`, value: 4, pretty: "4", fresh: true });
  });

  it("makes a condition on a group deleted since match nothing (everything for is_not), and keeps a deleted group's view to admins", async () => {
    const doomed = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Doomed" } }), 201)).group.id;
    await ok(a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: agent2.id, group_id: doomed } }), 201);
    const ticket = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "In doomed", comment: { body: "b" }, group_id: doomed, tags: ["doomed"] } }), 201)).ticket.id;
    const is = (await ok(createView({ title: "Doomed is", all: [{ field: "group_id", operator: "is", value: doomed }] }), 201)).view;
    const isNot = (await ok(createView({ title: "Doomed is not", all: [{ field: "group_id", operator: "is_not", value: doomed }, { field: "current_tags", operator: "includes", value: "doomed" }] }), 201)).view;
    const forGroup = (await ok(createView({ title: "For the doomed", restriction: { type: "Group", id: doomed }, all: [{ field: "status", operator: "is", value: "new" }] }), 201)).view;
    const tickets = async (id: number, who?: As) => (await ok(a.api("GET", `/api/v2/views/${id}/tickets.json`, undefined, who))).tickets.map((x: { id: number }) => x.id);
    expect(await tickets(is.id)).toEqual([ticket]);
    expect(await tickets(isNot.id)).toEqual([]);
    await ok(a.api("GET", `/api/v2/views/${forGroup.id}.json`, undefined, agent2));
    await ok(a.api("DELETE", `/api/v2/groups/${doomed}.json`), 204);
    expect(await tickets(is.id)).toEqual([]);
    expect(await tickets(isNot.id)).toEqual([ticket]);
    expect((await ok(a.api("GET", `/api/v2/views/${is.id}/count.json`))).view_count.value).toBe(0);
    expect((await ok(a.api("GET", `/api/v2/views/${is.id}.json`))).view.conditions.all[0]).toEqual({ field: "group_id", operator: "is", value: doomed });
    expect((await a.api("GET", `/api/v2/views/${forGroup.id}.json`, undefined, agent2)).status).toBe(404);
    expect((await ok(a.api("GET", `/api/v2/views/${forGroup.id}.json`))).view.restriction).toEqual({ type: "Group", id: doomed });
    // Saving it again refuses the missing group; an unrelated change keeps the saved conditions.
    expect((await a.api("PUT", `/api/v2/views/${is.id}.json`, { view: { all: [{ field: "group_id", operator: "is", value: doomed }] } })).status).toBe(422);
    await ok(a.api("PUT", `/api/v2/views/${is.id}.json`, { view: { title: "Renamed doomed" } }));
    await ok(a.api("DELETE", `/api/v2/tickets/${ticket}.json`), 204);
  });
});

describe("other tenants, counts, pages and the audit trail", () => {
  it("answers another tenant's view id as missing on every route", async () => {
    const v = (await ok(createView({ title: "A's secret view", restriction: null, all: [{ field: "status", operator: "is", value: "open" }] }), 201)).view;
    const mine = (await ok(b.api("POST", "/api/v2/views.json", { view: { title: "B's", all: [{ field: "status", operator: "is", value: "open" }] } }), 201)).view;
    expect(mine.id).toBeLessThan(v.id);
    const missing = await b.api("GET", "/api/v2/views/999999.json");
    for (const [m, p, body] of [["GET", `/api/v2/views/${v.id}.json`], ["GET", `/api/v2/views/${v.id}/tickets.json`], ["GET", `/api/v2/views/${v.id}/count.json`], ["PUT", `/api/v2/views/${v.id}.json`, { view: { title: "hijack" } }], ["DELETE", `/api/v2/views/${v.id}.json`]] as Array<[string, string, unknown?]>) {
      const r = await b.api(m, p, body);
      expect(r.status, `${m} ${p}`).toBe(404);
      expect(r.body).toEqual(missing.body);
    }
    expect((await ok(b.api("GET", `/api/v2/views/count_many.json?ids=${v.id},${mine.id}`))).view_counts.map((c: { view_id: number }) => c.view_id)).toEqual([mine.id]);
    expect((await ok(b.api("GET", "/api/v2/views.json"))).views.map((x: { id: number }) => x.id)).toEqual([mine.id]);
    expect((await ok(a.api("GET", `/api/v2/views/${v.id}.json`))).view.title).toBe("A's secret view");
  });

  it("counts views, leaving out those the caller does not see, and refuses bad id lists", async () => {
    const shared = (await ok(createView({ title: "Billing", restriction: null, all: [{ field: "current_tags", operator: "includes", value: "billing" }] }), 201)).view;
    const own = (await ok(createView({ title: "Mine", all: [{ field: "status", operator: "is", value: "new" }] }, agent1), 201)).view;
    const counts = await ok(a.api("GET", `/api/v2/views/count_many.json?ids=${shared.id},${own.id},999999`, undefined, agent1));
    expect(counts.view_counts.map((c: { view_id: number; value: number }) => [c.view_id, c.value])).toEqual([[shared.id, 2], [own.id, 1]]);
    const other = await ok(a.api("GET", `/api/v2/views/count_many.json?ids=${shared.id},${own.id}`, undefined, agent2));
    expect(other.view_counts.map((c: { view_id: number }) => c.view_id)).toEqual([shared.id]);
    expect((await a.api("GET", "/api/v2/views/count_many.json?ids=1,abc")).status).toBe(422);
    expect((await a.api("GET", `/api/v2/views/count_many.json?ids=${Array.from({ length: 21 }, (_, i) => i + 1).join(",")}`)).status).toBe(422);
    expect((await a.api("GET", "/api/v2/views/count_many.json")).status).toBe(422);
  });

  it("stops counting at 10,000 (value 10000, pretty \"10,000+\")", async () => {
    const c = await buildTenant(t, "viewscap");
    const seed = (await ok(c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Seed", comment: { body: "b" }, tags: ["capped"] } }), 201)).ticket.id;
    // 10,000 more copies of the seed's row (counted only: their sealed values are never opened),
    // column by column with a new id and number: `(jsonb_populate_record(…)).*` evaluated the record
    // once per column, 7.5× the time (9 s here alone, over a minute on a loaded machine).
    await t.db.tenant(c.tenantId, async (tx) => {
      const cols = (await sql<{ name: string }>`SELECT attname AS name FROM pg_attribute WHERE attrelid = 'tickets'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`.execute(tx.db)).rows.map((r) => r.name);
      const copy = cols.map((x) => (x === "id" ? sql`gen_random_uuid()` : x === "nice_id" ? sql`vd_next_id('tickets')` : sql.ref(`s.${x}`)));
      await sql`INSERT INTO tickets (${sql.join(cols.map((x) => sql.id(x)))}) SELECT ${sql.join(copy)} FROM tickets s, generate_series(1, 10000) WHERE s.nice_id = ${seed}`.execute(tx.db);
    });
    const v = (await ok(c.api("POST", "/api/v2/views.json", { view: { title: "Capped", all: [{ field: "current_tags", operator: "includes", value: "capped" }] } }), 201)).view;
    expect((await ok(c.api("GET", `/api/v2/views/${v.id}/count.json`))).view_count).toMatchObject({ value: 10_000, pretty: "10,000+" });
    expect((await ok(c.api("GET", `/api/v2/views/count_many.json?ids=${v.id}`))).view_counts[0]).toMatchObject({ value: 10_000, pretty: "10,000+" });
    await t.db.tenant(c.tenantId, (tx) => sql`DELETE FROM tickets WHERE nice_id <> ${seed}`.execute(tx.db));
    expect((await ok(c.api("GET", `/api/v2/views/${v.id}/count.json`))).view_count).toMatchObject({ value: 1, pretty: "1" });
  });

  it("pages a view's tickets by cursor both ways and by offset, in its order or the one asked for, with sideloads", async () => {
    const made: number[] = [];
    for (let i = 0; i < 5; i++) made.push((await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Paged ${i}`, comment: { body: "b" }, tags: ["paged"], requester_id: endUser.id } }), 201)).ticket.id);
    const v = (await ok(createView({ title: "Paged", all: [{ field: "current_tags", operator: "includes", value: "paged" }], output: { sort_by: "created_at", sort_order: "asc" } }), 201)).view;
    expect(v.execution).toMatchObject({ sort_by: "created_at", sort_order: "asc", group_by: null });
    const path = (q: string) => `/api/v2/views/${v.id}/tickets.json?${q}`;
    const seen: number[] = [];
    let next: string | null = path("page[size]=2");
    const cursors: string[] = [];
    while (next) {
      const r: any = await ok(a.api("GET", next.replace(/^https?:\/\/[^/]+/, "")));
      seen.push(...r.tickets.map((x: { id: number }) => x.id));
      cursors.push(r.meta.before_cursor);
      next = r.meta.has_more ? r.links.next : null;
    }
    expect(seen).toEqual(made);
    const back = await ok(a.api("GET", path(`page[size]=2&page[before]=${cursors[2]}`)));
    expect(back.tickets.map((x: { id: number }) => x.id)).toEqual(made.slice(2, 4));
    const desc = await ok(a.api("GET", path("sort_by=id&sort_order=desc&per_page=2&page=2&include=users")));
    expect(desc.tickets.map((x: { id: number }) => x.id)).toEqual([made[2], made[1]]);
    expect(desc.count).toBe(5);
    expect(desc.users.map((u: { id: number }) => u.id)).toContain(endUser.id);
    const listShape = await ok(a.api("GET", `/api/v2/tickets/show_many.json?ids=${made[0]}`));
    expect((await ok(a.api("GET", path("per_page=1")))).tickets[0]).toEqual(listShape.tickets[0]);
    expect((await a.api("GET", path("sort_by=subject"))).status).toBe(422);
    for (const id of made) await ok(a.api("DELETE", `/api/v2/tickets/${id}.json`), 204);
  });

  it("deletes a person's personal views when they are erased, and keeps the shared views they made", async () => {
    const leaving = await buildUser(t, a, "admin", "Leaving Admin");
    const who = as(leaving);
    const mine = (await ok(createView({ title: "Leaver's own", all: [{ field: "status", operator: "is", value: "open" }] }, who), 201)).view;
    const shared = (await ok(createView({ title: "Leaver's shared", restriction: null, all: [{ field: "status", operator: "is", value: "open" }] }, who), 201)).view;
    await ok(a.api("DELETE", `/api/v2/users/${leaving.id}.json`));
    const receipt = await ok(a.api("DELETE", `/api/v2/deleted_users/${leaving.id}.json`));
    expect(JSON.stringify(receipt)).toContain('"personal_views":1');
    const left = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ nice_id: number }>`SELECT nice_id FROM views WHERE nice_id IN (${mine.id}, ${shared.id})`.execute(tx.db)).rows.map((r) => Number(r.nice_id)));
    expect(left).toEqual([shared.id]);
    await ok(a.api("GET", `/api/v2/views/${shared.id}.json`));
  });

  it("audits every write by the view's id, without its title", async () => {
    const v = (await ok(createView({ title: "Audited title", all: [{ field: "status", operator: "is", value: "open" }] }), 201)).view;
    await ok(a.api("PUT", `/api/v2/views/${v.id}.json`, { view: { title: "Audited again" } }));
    await ok(a.api("DELETE", `/api/v2/views/${v.id}.json`), 204);
    let entries: Array<{ action: string; source_id: unknown }> = [];
    for (let i = 0; i < 100; i++) {
      const r = await ok(a.api("GET", "/api/v2/audit_logs.json?filter[source_type]=view&per_page=100"));
      entries = r.audit_logs.filter((e: { source_id: unknown }) => String(e.source_id) === String(v.id));
      if (entries.length >= 3) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(entries.map((e) => e.action).sort()).toEqual(["view.created", "view.deleted", "view.updated"]);
    expect(JSON.stringify(entries)).not.toContain("Audited");
  });
});
