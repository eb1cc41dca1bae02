import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, type TestApp, type TestTenant, startTestApp } from "./support/harness.ts";

/**
 * What the agent workspace needs from the API: the abilities sent with the session (from the same
 * policies the services enforce), light agents refused where the pages hide things, views sorted
 * and paged by keyset cursors in both directions, capped counts, and the assignee picker's list.
 */

let t: TestApp;
let a: TestTenant;
beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "ws");
});
afterAll(async () => t?.close());

type As = { email: string; token: string };
const asUser = (u: { email: string; token: string | undefined }): As => ({ email: u.email, token: u.token! });

describe("abilities with the session", () => {
  it("tells each role what it may do, and the API refuses the same to a light agent", async () => {
    const light = asUser(await buildUser(t, a, "light-agent", "Lia Light"));
    const agent = asUser(await buildUser(t, a, "agent", "Abe Agent"));
    const owner = await a.api("GET", "/api/v2/session.json");
    expect(owner.status).toBe(200);
    expect(owner.body.session.abilities).toEqual({
      can_use_workspace: true, can_create_tickets: true, can_reply_publicly: true, can_add_internal_notes: true, can_edit_properties: true,
      can_bulk_update: true, can_delete_tickets: true, can_be_assigned: true, can_create_end_users: true, can_edit_end_users: true, can_manage_admin: true,
      can_manage_groups: true, can_edit_organizations: true, can_share_organization_requests: true, can_view_audit_log: true, can_manage_api_tokens: true,
      can_manage_api_settings: true, ticket_access: "all",
    });
    const ag = await a.api("GET", "/api/v2/session.json", undefined, agent);
    expect(ag.body.session.abilities).toMatchObject({
      can_reply_publicly: true, can_edit_properties: true, can_bulk_update: true, can_manage_admin: false, can_edit_end_users: true,
      can_share_organization_requests: false, can_manage_api_settings: false,
    });
    const li = await a.api("GET", "/api/v2/session.json", undefined, light);
    expect(li.body.session.abilities).toEqual({
      can_use_workspace: true, can_create_tickets: false, can_reply_publicly: false, can_add_internal_notes: true, can_edit_properties: false,
      can_bulk_update: false, can_delete_tickets: false, can_be_assigned: false, can_create_end_users: false, can_edit_end_users: false, can_manage_admin: false,
      can_manage_groups: false, can_edit_organizations: false, can_share_organization_requests: false, can_view_audit_log: false, can_manage_api_tokens: true,
      can_manage_api_settings: false, ticket_access: "all",
    });

    const tk = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Light test", comment: { body: "Hello" } } });
    const id = tk.body.ticket.id as number;
    // A light agent's public reply, property change, bulk update and new ticket are all refused…
    const reply = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Public?", public: true } } }, light);
    expect(reply.status).toBe(403);
    expect(reply.body.description).toMatch(/internal notes/);
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { priority: "high" } }, light)).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${id}`, { ticket: { status: "pending" } }, light)).status).toBe(403);
    expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "y" } } }, light)).status).toBe(403);
    // …and nothing changed; an internal note goes through.
    const comments = await a.api("GET", `/api/v2/tickets/${id}/comments.json`);
    expect(comments.body.comments).toHaveLength(1);
    const note = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Only agents see this", public: false } } }, light);
    expect(note.status).toBe(200);
    expect((await a.api("GET", `/api/v2/tickets/${id}.json`)).body.ticket.priority).toBeNull();
  });

  it("lists the people tickets can be assigned to: never light agents or end users", async () => {
    const light = await buildUser(t, a, "light-agent", "Lou Light");
    const agent = await buildUser(t, a, "agent", "Ada Assignable");
    const r = await a.api("GET", "/api/v2/users/assignable.json?per_page=100");
    expect(r.status).toBe(200);
    const ids = r.body.users.map((u: { id: number }) => u.id);
    expect(ids).toContain(agent.id);
    expect(ids).toContain(1);
    expect(ids).not.toContain(light.id);
    expect(r.body.users.every((u: { vaultdesk_role: string }) => ["owner", "admin", "agent"].includes(u.vaultdesk_role))).toBe(true);
  });
});

describe("views: sort, keyset paging both ways, capped counts", () => {
  let b: TestTenant;
  const created: number[] = [];
  beforeAll(async () => {
    b = await buildTenant(t, "wsv");
    const prio = ["low", "urgent", "normal", "high", null, "high", "low"] as const;
    for (let i = 0; i < 7; i++) {
      const r = await b.api("POST", "/api/v2/tickets.json", { ticket: { subject: `View ${i}`, comment: { body: "b" }, tags: ["viewtest"], ...(prio[i] ? { priority: prio[i] } : {}) } });
      created.push(r.body.ticket.id);
    }
    // Touch two tickets so that "updated" differs from "created" order.
    await b.api("PUT", `/api/v2/tickets/${created[1]}.json`, { ticket: { status: "pending" } });
    await b.api("PUT", `/api/v2/tickets/${created[3]}.json`, { ticket: { status: "open" } });
  });

  async function walk(sortBy: string, order: "asc" | "desc"): Promise<number[]> {
    const seen: number[] = [];
    let next: string | null = `/api/v2/search.json?query=tags:viewtest&sort_by=${sortBy}&sort_order=${order}&page[size]=3`;
    let pages = 0;
    while (next && pages++ < 10) {
      const r = await b.api("GET", next.replace(/^https?:\/\/[^/]+/, ""));
      expect(r.status, next).toBe(200);
      seen.push(...r.body.results.map((x: { id: number }) => x.id));
      next = r.body.links.next;
    }
    return seen;
  }

  it("sorts by updated, created, priority and status, and pages forwards without gaps or repeats", async () => {
    const byUpdated = await walk("updated_at", "desc");
    expect(byUpdated.slice(0, 2)).toEqual([created[3], created[1]]);
    expect([...byUpdated].sort((x, y) => x - y)).toEqual([...created].sort((x, y) => x - y));
    expect(await walk("created_at", "asc")).toEqual(created);
    const byPriority = await walk("priority", "desc");
    expect(byPriority).toEqual([created[1], created[5], created[3], created[2], created[6], created[0], created[4]]);
    const byStatus = await walk("status", "asc");
    expect(byStatus.slice(-1)).toEqual([created[1]]); // pending sorts after new and open
  });

  it("goes back with page[before] to exactly the previous page, and says when there is none", async () => {
    const base = "/api/v2/search.json?query=tags:viewtest&sort_by=priority&sort_order=desc&page[size]=3";
    const p1 = await b.api("GET", base);
    expect(p1.body.links.prev).toBeNull();
    expect(p1.body.meta.has_more).toBe(true);
    const p2 = await b.api("GET", p1.body.links.next.replace(/^https?:\/\/[^/]+/, ""));
    expect(p2.body.links.prev).not.toBeNull();
    const back = await b.api("GET", p2.body.links.prev.replace(/^https?:\/\/[^/]+/, ""));
    expect(back.body.results.map((x: { id: number }) => x.id)).toEqual(p1.body.results.map((x: { id: number }) => x.id));
    expect(back.body.links.prev).toBeNull();
    expect(back.body.links.next).not.toBeNull();
    // A sorted list refuses a cursor without a sort key, and garbage cursors, with a 400.
    const unsorted = await b.api("GET", "/api/v2/search.json?query=tags:viewtest&page[size]=3");
    const mixed = await b.api("GET", `${base}&page[after]=${unsorted.body.meta.after_cursor}`);
    expect(mixed.status).toBe(400);
    expect((await b.api("GET", `${base}&page[after]=${Buffer.from('{"o":1,"k":"99999999999999999999"}').toString("base64url")}`)).status).toBe(400);
  });

  it("counts what a search finds, capped so counting never reads a whole tenant", async () => {
    const c = await b.api("GET", "/api/v2/search/count.json?query=tags:viewtest%20status<solved");
    expect(c.status).toBe(200);
    expect(c.body).toEqual({ count: 7, count_capped: false });
    const pending = await b.api("GET", "/api/v2/search/count.json?query=status:pending");
    expect(pending.body.count).toBe(1);
    expect((await b.api("GET", "/api/v2/search/count.json?query=printer")).body).toEqual({ count: 0, count_capped: false });
    expect((await b.api("GET", "/api/v2/search/count.json?query=colour:blue")).status).toBe(422);
    const user = await buildUser(t, b, "end-user");
    const tok = await b.api("GET", "/api/v2/search/count.json?query=status:open", undefined, { email: user.email, token: "nope" });
    expect(tok.status).toBe(401);
  });

  it("finds a requester's tickets by e-mail (blind index) and recently solved ones by date", async () => {
    const r = await b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "By mail", comment: { body: "b" }, requester: { email: "Grace@Example.test", name: "Grace" }, tags: ["viewtest2"] } });
    const id = r.body.ticket.id;
    await b.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "solved" } });
    const since = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
    const s = await b.api("GET", `/api/v2/search.json?query=${encodeURIComponent(`status:solved solved>${since} requester:grace@example.test`)}&page[size]=10`);
    expect(s.body.results.map((x: { id: number }) => x.id)).toEqual([id]);
  });
});
