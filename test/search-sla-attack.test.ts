import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp } from "./support/harness.ts";

/**
 * Search ordered by the next SLA breach, from an end user's side: the breach is staff's (an end
 * user never reads the account's SLA targets), so neither the order nor a cursor's key may tell
 * an end user when their request's next breach falls.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const EVERY = { all: [{ field: "current_tags", operator: "not_includes", value: "nosla" }] };

describe("search ordered by the next SLA breach, as an end user", () => {
  it("is refused to an end user, as is ordering their requests by it (no breach time in a cursor, no order); staff still order by it", async () => {
    const a = await buildTenant(t, "slaeu");
    const metrics = ["urgent", "low"].map((priority) => ({ priority, metric: "requester_wait_time", target: priority === "urgent" ? 30 : 600, business_hours: false }));
    const p = await a.api("POST", "/api/v2/slas/policies.json", { sla_policy: { title: "Secret", filter: EVERY, policy_metrics: metrics } });
    expect(p.status, p.text).toBe(201);
    const eu = await buildUser(t, a, "end-user", "Eve Requester");
    const me = { email: eu.email, token: await createTokenFor(t, a, eu.id) };
    for (const priority of ["low", "urgent"]) {
      const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Mine", comment: { body: "b" }, priority, requester_id: eu.id } });
      expect(c.status, c.text).toBe(201);
    }
    const q = encodeURIComponent("type:ticket");
    for (const by of ["sort_by", "order_by"]) {
      const r = await a.api("GET", `/api/v2/search.json?query=${q}&${by}=sla_next_breach_at&page[size]=1`, undefined, me);
      expect(r.status, r.text).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text).toBeLessThan(500);
      expect(r.text).not.toMatch(/after_cursor/);
    }
    // End users reach their tickets through the requests API, which orders by neither.
    const mine = await a.api("GET", `/api/v2/requests.json?sort_by=sla_next_breach_at`, undefined, me);
    expect(mine.status, mine.text).toBe(422);
    // Staff order by it.
    const staff = await a.api("GET", `/api/v2/search.json?query=${q}&sort_by=sla_next_breach_at`);
    expect(staff.status, staff.text).toBe(200);
    expect(staff.body.results).toHaveLength(2);
  }, 60_000);

  it("an agent limited to assigned tickets finds only those, in every page and count of a search ordered by it, and a forged cursor at the first key shows no other ticket", async () => {
    const a = await buildTenant(t, "slascopesearch");
    const metrics = ["urgent", "high", "normal", "low"].map((priority, i) => ({ priority, metric: "requester_wait_time", target: 30 * (i + 1), business_hours: false }));
    expect((await a.api("POST", "/api/v2/slas/policies.json", { sla_policy: { title: "Stepped", filter: EVERY, policy_metrics: metrics } })).status).toBe(201);
    const role = await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Assigned only", configuration: { ticket_access: "assigned-only" } } });
    expect(role.status, role.text).toBe(201);
    const limited = await buildUser(t, a, "agent", "Lim Ited");
    expect((await a.api("PUT", `/api/v2/users/${limited.id}.json`, { user: { custom_role_id: role.body.custom_role.id } })).status).toBe(200);
    const other = await buildUser(t, a, "agent", "Oth Er");
    const make = async (priority: string | null, assignee: number | null) => {
      const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Queue", comment: { body: "b" }, priority, tags: ["queue"], ...(assignee ? { assignee_id: assignee } : {}) } });
      expect(c.status, c.text).toBe(201);
      return c.body.ticket.id as number;
    };
    const hidden = [await make("urgent", null), await make("urgent", other.id), await make(null, other.id)];
    const mine = [await make("low", limited.id), await make(null, limited.id), await make("high", limited.id)];
    const as = { email: limited.email, token: limited.token! };
    const q = encodeURIComponent("type:ticket tags:queue");
    for (const order of ["asc", "desc"]) {
      const seen: number[] = [];
      let next: string | null = `/api/v2/search.json?query=${q}&order_by=sla_next_breach_at&sort_order=${order}&page[size]=1`;
      while (next) {
        const page = await a.api("GET", next, undefined, as);
        expect(page.status, page.text).toBe(200);
        seen.push(...page.body.results.map((x: { id: number }) => x.id));
        next = page.body.meta?.has_more ? (page.body.links.next as string).replace(/^https?:\/\/[^/]+/, "") : null;
      }
      expect(seen.sort(), order).toEqual([...mine].sort());
      const offset = await a.api("GET", `/api/v2/search.json?query=${q}&sort_by=sla_next_breach_at&sort=${order}&per_page=100`, undefined, as);
      expect(offset.body.results.map((x: { id: number }) => x.id).sort()).toEqual([...mine].sort());
      expect(offset.body.count).toBe(3);
    }
    // Cursors forged at either end of the keys (before every breach, past "none") and at a hidden ticket's id.
    const cursor = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    for (const k of ["0", "9007199254740991", "-1"]) {
      for (const id of [0, ...hidden, 2 ** 31]) {
        for (const dir of ["after", "before"]) {
          const r = await a.api("GET", `/api/v2/search.json?query=${q}&sort_by=sla_next_breach_at&page[size]=10&page[${dir}]=${cursor({ o: id, k })}`, undefined, as);
          expect(r.status, r.text).toBeLessThan(500);
          if (r.status === 200) for (const x of r.body.results as Array<{ id: number }>) expect(mine).toContain(x.id);
        }
      }
    }
    const count = await a.api("GET", `/api/v2/search/count.json?query=${q}`, undefined, as);
    expect(count.body.count).toBe(3);
  }, 120_000);
});
