import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp } from "./support/harness.ts";

/**
 * SLA policies under attack, over real HTTP: what `include=slas` shows to whom (an end user reads
 * their own requests through /tickets, never the account's policy titles, descriptions or
 * targets), junk policy bodies, and a policy changed or deleted while tickets are written
 * (never a 500: on PostgreSQL the writes really meet).
 */

type R = { status: number; text: string; body: any };
type As = { email: string; token: string };
const P = "/api/v2/slas/policies";
let t: TestApp;

async function ok(r: Promise<R>, status = 200): Promise<any> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body;
}
const EVERY = { all: [{ field: "current_tags", operator: "not_includes", value: "nosla" }] };
const TARGETS = ["low", "normal", "high", "urgent"].flatMap((priority) => ["first_reply_time", "requester_wait_time"].map((metric) => ({ priority, metric, target: 60, business_hours: false })));
const SECRET_TITLE = "Acme contract: 15 minutes or refund";
const SECRET_DESCRIPTION = "Acme pays 40k a year; churn risk";

async function account(prefix: string) {
  const a = await buildTenant(t, prefix);
  const eu = await buildUser(t, a, "end-user", "Eve Requester");
  const requester: As & { id: number } = { id: eu.id, email: eu.email, token: await createTokenFor(t, a, eu.id) };
  const ag = await buildUser(t, a, "agent", "Al Agent");
  const agent: As = { email: ag.email, token: ag.token! };
  return { a, requester, agent };
}

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

describe("include=slas", () => {
  it("never shows an end user the account's SLA policy (title, description) or targets, on any route that answers tickets; staff still see them", async () => {
    const { a, requester, agent } = await account("slaeu");
    await ok(a.api("POST", `${P}.json`, { sla_policy: { title: SECRET_TITLE, description: SECRET_DESCRIPTION, filter: EVERY, policy_metrics: TARGETS } }), 201);
    const id = (await ok(a.api("POST", "/api/v2/requests.json", { request: { subject: "Parcel late", comment: { body: "Where is it?" } } }, requester), 201)).request.id as number;
    await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { priority: "urgent" } }));
    const mine = (await ok(a.api("GET", `/api/v2/tickets/${id}.json?include=slas`, undefined, agent))).ticket;
    expect(mine.sla_policy).toMatchObject({ title: SECRET_TITLE, description: SECRET_DESCRIPTION });
    expect(mine.slas.policy_metrics.length).toBeGreaterThan(0);
    const routes = [
      `/api/v2/tickets/${id}.json?include=slas`,
      `/api/v2/tickets/show_many.json?ids=${id}&include=slas`,
      "/api/v2/tickets.json?include=slas",
      `/api/v2/users/${requester.id}/tickets/requested.json?include=slas`,
      `/api/v2/requests/${id}.json?include=slas`,
      "/api/v2/requests.json?include=slas",
    ];
    for (const path of routes) {
      const r = await a.api("GET", path, undefined, requester);
      expect(r.status, `${path}: ${r.text}`).toBeLessThan(500);
      expect(r.text, path).not.toContain("Acme");
      expect(r.text, path).not.toContain("sla_policy");
      expect(r.text, path).not.toContain("breach_at");
    }
  });
});

describe("strangers", () => {
  it("a stranger's help-center form naming an agent's address is no staff reply: the ticket keeps its first reply target, as a customer's does", async () => {
    const { a, agent } = await account("slaanon");
    await ok(a.api("POST", `${P}.json`, { sla_policy: { title: "Everyone", filter: EVERY, policy_metrics: TARGETS } }), 201);
    const form = async (email: string) => (await ok(a.api("POST", "/api/v2/requests.json", { request: { subject: "Help", comment: { body: "Please" }, requester: { name: "Someone", email } } }, null), 201)).request.id as number;
    const customer = await form(`c@${a.subdomain}.test`);
    const posing = await form(agent.email);
    for (const id of [customer, posing]) {
      await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { priority: "urgent" } }));
      const slas = (await ok(a.api("GET", `/api/v2/tickets/${id}.json?include=slas`))).ticket.slas.policy_metrics as Array<{ metric: string; stage: string }>;
      expect(slas.find((m) => m.metric === "first_reply_time"), `ticket ${id}: ${JSON.stringify(slas)}`).toMatchObject({ stage: "active" });
    }
    // The agent's own signed-in reply still fulfils it.
    await ok(a.api("PUT", `/api/v2/tickets/${posing}.json`, { ticket: { comment: { body: "Answered" } } }, agent));
    const after = (await ok(a.api("GET", `/api/v2/tickets/${posing}.json?include=slas`))).ticket.slas.policy_metrics as Array<{ metric: string; stage: string }>;
    expect(after.find((m) => m.metric === "first_reply_time")).toMatchObject({ stage: "achieved" });
  });
});

describe("scopes", () => {
  it("an agent limited to assigned tickets sees only those in a view ordered by the next breach (pages, counts, include=slas) and no SLA of a ticket they cannot see", async () => {
    const { a, requester } = await account("slascope");
    await ok(a.api("POST", `${P}.json`, { sla_policy: { title: SECRET_TITLE, filter: EVERY, policy_metrics: TARGETS } }), 201);
    const role = (await ok(a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Assigned only", configuration: { ticket_access: "assigned-only" } } }), 201)).custom_role.id as number;
    const limited = await buildUser(t, a, "agent", "Lim Ited");
    await ok(a.api("PUT", `/api/v2/users/${limited.id}.json`, { user: { custom_role_id: role } }));
    const other = await buildUser(t, a, "agent", "Oth Er");
    const make = async (priority: string, assignee: number | null) =>
      (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `S ${priority}`, comment: { body: "b" }, priority, tags: ["queue"], requester_id: requester.id, ...(assignee ? { assignee_id: assignee } : {}) } }), 201)).ticket.id as number;
    const hidden = [await make("urgent", null), await make("urgent", other.id), await make("high", other.id)];
    const mine = [await make("low", limited.id), await make("normal", limited.id)];
    const as = { email: limited.email, token: limited.token! };
    const view = (await ok(a.api("POST", "/api/v2/views.json", { view: { title: "By breach", restriction: null, all: [{ field: "current_tags", operator: "includes", value: "queue" }], output: { sort_by: "sla_next_breach_at", sort_order: "asc" } } }), 201)).view.id as number;
    // The owner sees all five, the hidden (urgent) ones first.
    expect((await ok(a.api("GET", `/api/v2/views/${view}/tickets.json`))).tickets.length).toBe(5);
    const seen: number[] = [];
    let next: string | null = `/api/v2/views/${view}/tickets.json?page[size]=1&include=slas`;
    while (next) {
      const page: any = await ok(a.api("GET", next, undefined, as));
      seen.push(...page.tickets.map((x: any) => x.id));
      next = page.meta?.has_more ? page.links.next.replace(/^https?:\/\/[^/]+/, "") : null;
    }
    expect(seen.sort()).toEqual([...mine].sort());
    for (const q of ["", "?sort_by=sla_next_breach_at&sort_order=desc", "?sort_by=sla_next_breach_at&include=slas"]) {
      expect((await ok(a.api("GET", `/api/v2/views/${view}/tickets.json${q}`, undefined, as))).tickets.map((x: any) => x.id).sort()).toEqual([...mine].sort());
    }
    expect((await ok(a.api("GET", `/api/v2/views/${view}/count.json`, undefined, as))).view_count.value).toBe(2);
    for (const id of hidden) {
      const r = await a.api("GET", `/api/v2/tickets/${id}.json?include=slas`, undefined, as);
      expect([403, 404]).toContain(r.status);
      expect(r.text).not.toContain("breach_at");
    }
    const many = await ok(a.api("GET", `/api/v2/tickets/show_many.json?ids=${[...hidden, ...mine].join(",")}&include=slas`, undefined, as));
    expect(many.tickets.map((x: any) => x.id).sort()).toEqual([...mine].sort());
    const list = await ok(a.api("GET", "/api/v2/tickets.json?include=slas", undefined, as));
    expect(list.tickets.map((x: any) => x.id).sort()).toEqual([...mine].sort());
  }, 120_000);
});

describe("views by the next breach", () => {
  it("pages through tickets without a breach (cursor keys the pagination accepts), both ways, every ticket once", async () => {
    const { a } = await account("slapage");
    await ok(a.api("POST", `${P}.json`, { sla_policy: { title: "Everyone", filter: EVERY, policy_metrics: TARGETS } }), 201);
    const ids: number[] = [];
    for (const priority of ["urgent", null, null, "low", null]) ids.push((await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "P", comment: { body: "b" }, priority, tags: ["queue"] } }), 201)).ticket.id as number);
    const view = (await ok(a.api("POST", "/api/v2/views.json", { view: { title: "By breach", restriction: null, all: [{ field: "current_tags", operator: "includes", value: "queue" }], output: { sort_by: "sla_next_breach_at", sort_order: "asc" } } }), 201)).view.id as number;
    const firsts: Record<string, number[]> = {};
    for (const order of ["asc", "desc"]) {
      const seen: number[] = [];
      let next: string | null = `/api/v2/views/${view}/tickets.json?page[size]=1&sort_by=sla_next_breach_at&sort_order=${order}`;
      for (let n = 0; next && n < 10; n++) {
        const page: any = await ok(a.api("GET", next));
        seen.push(...page.tickets.map((x: any) => x.id));
        next = page.meta?.has_more ? page.links.next.replace(/^https?:\/\/[^/]+/, "") : null;
      }
      expect(seen.length, order).toBe(5);
      expect([...seen].sort(), order).toEqual([...ids].sort());
      firsts[order] = seen.slice(0, 2);
    }
    // Soonest first going up (the urgent one's first reply), the tickets without a breach last.
    expect(firsts.asc).toEqual([ids[0], ids[3]]);
  });
});

describe("searches by the next breach", () => {
  /** Every page of a cursor walk (`page[size]=2`), following `links.next` or, from a `page[before]` start, `links.prev`. */
  async function walk(a: Awaited<ReturnType<typeof account>>["a"], first: string, link: "next" | "prev"): Promise<number[][]> {
    const pages: number[][] = [];
    let at: string | null = first;
    for (let n = 0; at && n < 20; n++) {
      const page: any = await ok(a.api("GET", at));
      pages.push(page.results.map((x: any) => x.id as number));
      at = page.meta?.has_more && page.links[link] ? (page.links[link] as string).replace(/^https?:\/\/[^/]+/, "") : null;
    }
    return pages;
  }

  it("orders a search as views do (soonest first, none last going up), in cursor pages across the tickets without a breach both ways and in offset pages, never another account's tickets", async () => {
    const { a } = await account("slasearch");
    const stepped = [["urgent", 30], ["high", 60], ["normal", 120], ["low", 240]].map(([priority, target]) => ({ priority, metric: "requester_wait_time", target, business_hours: false }));
    await ok(a.api("POST", `${P}.json`, { sla_policy: { title: "Stepped", filter: EVERY, policy_metrics: stepped } }), 201);
    // Another account's tickets under a tighter policy, with the same tag: they would come first.
    const { a: b } = await account("slasearchb");
    await ok(b.api("POST", `${P}.json`, { sla_policy: { title: "Tight", filter: EVERY, policy_metrics: stepped.map((m) => ({ ...m, target: 1 })) } }), 201);
    const theirs: number[] = [];
    for (const priority of ["urgent", null, "low"]) theirs.push((await ok(b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Theirs", comment: { body: "b" }, priority, tags: ["queue"] } }), 201)).ticket.id as number);
    const byPriority: Record<string, number> = {};
    const none: number[] = [];
    for (const priority of ["low", null, "urgent", null, "high", "normal", null]) {
      const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Queue", comment: { body: "b" }, priority, tags: ["queue"] } }), 201)).ticket.id as number;
      if (priority) byPriority[priority] = id;
      else none.push(id);
    }
    // A ticket without the tag: the filter still applies.
    await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Elsewhere", comment: { body: "b" }, priority: "urgent" } }), 201);
    const soonest = ["urgent", "high", "normal", "low"].map((p) => byPriority[p]!);
    const asc = [...soonest, ...none];
    const desc = [...asc].reverse();
    const q = encodeURIComponent("type:ticket tags:queue");
    for (const [order, want] of [["asc", asc], ["desc", desc]] as const) {
      for (const by of ["sort_by", "order_by"]) {
        const path = `/api/v2/search.json?query=${q}&${by}=sla_next_breach_at&sort_order=${order}`;
        // Forwards in pages of two: the third page holds the last breach and the first ticket without one (asc).
        const forwards = await walk(a, `${path}&page[size]=2`, "next");
        expect(forwards.flat(), `${by} ${order}`).toEqual(want);
        expect(forwards.map((p) => p.length), `${by} ${order}`).toEqual([2, 2, 2, 1]);
        // Backwards from the last page's cursor (page[before]): the same tickets, the same order.
        const last: any = await ok(a.api("GET", `${path}&page[size]=2&page[after]=${encodeURIComponent((await ok(a.api("GET", `${path}&page[size]=5`))).meta.after_cursor)}`));
        expect(last.results.map((x: any) => x.id), `${by} ${order}`).toEqual(want.slice(5));
        const back = await walk(a, `${path}&page[size]=2&page[before]=${encodeURIComponent(last.meta.before_cursor)}`, "prev");
        expect(back.reverse().flat(), `${by} ${order}`).toEqual(want.slice(0, 5));
        // Offset pages, Zendesk's `sort` for the order.
        const offset: number[] = [];
        for (let p = 1; p <= 4; p++) offset.push(...(await ok(a.api("GET", `/api/v2/search.json?query=${q}&${by}=sla_next_breach_at&sort=${order}&per_page=2&page=${p}`))).results.map((x: any) => x.id));
        expect(offset, `${by} ${order}`).toEqual(want);
      }
    }
    // Words with the order: the order wins over relevance; the other account's tickets never show.
    const words = await ok(a.api("GET", `/api/v2/search.json?query=${encodeURIComponent("queue")}&sort_by=sla_next_breach_at&sort_order=asc`));
    expect(words.results.map((x: any) => x.id).slice(0, 4)).toEqual(soonest);
    const all = await ok(a.api("GET", `/api/v2/search.json?query=${encodeURIComponent("type:ticket")}&sort_by=sla_next_breach_at&per_page=100`));
    expect(all.results).toHaveLength(8);
    // Ticket numbers are each account's own (the same numbers exist in both): the other account's by their subject.
    expect(all.results.filter((x: any) => x.subject === "Theirs")).toEqual([]);
    const their = await ok(b.api("GET", `/api/v2/search.json?query=${q}&sort_by=sla_next_breach_at`));
    expect(their.results.map((x: any) => x.id).sort()).toEqual([...theirs].sort());
    expect(their.results.every((x: any) => x.subject === "Theirs")).toBe(true);
  }, 120_000);

  it("refuses an order it does not know, and a cursor of another order, with a 4xx (never a 500)", async () => {
    const { a, agent } = await account("slasearchbad");
    await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "One", comment: { body: "b" }, tags: ["queue"] } }), 201);
    const q = encodeURIComponent("type:ticket");
    for (const bad of ["sla_next_breach", "SLA_NEXT_BREACH_AT", "sla_next_breach_at ", "next_sla_breach_at", "sla_policy_id", "t.sla_next_breach_at", "sla_next_breach_at;drop"]) {
      for (const by of ["sort_by", "order_by"]) {
        const r = await a.api("GET", `/api/v2/search.json?query=${q}&${by}=${encodeURIComponent(bad)}`, undefined, agent);
        expect(r.status, `${by}=${bad}: ${r.text}`).toBe(422);
        expect(r.body.details?.[by]?.[0]?.description, bad).toContain("sla_next_breach_at");
      }
    }
    // People are ordered by creation only.
    const people = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent("type:user")}&sort_by=sla_next_breach_at`, undefined, agent);
    expect([400, 422]).toContain(people.status);
    // A cursor whose key is not a breach key (an updated_at cursor's, a forged one): refused or read as a key, never a 500.
    const cursor = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    for (const c of [cursor({ o: 1, k: "abc" }), "x", cursor({ o: 1, k: "99999999999999999" }), cursor({ o: 1, k: "-99999999999999999" }), cursor({ o: 1 })]) {
      const r = await a.api("GET", `/api/v2/search.json?query=${q}&sort_by=sla_next_breach_at&page[size]=1&page[after]=${c}`, undefined, agent);
      expect(r.status, r.text).toBeLessThan(500);
    }
  });
});

describe("business hours on every write", () => {
  it("a default schedule of one minute a week (a year's target never reached), a DST zone and 366-day holidays: tickets are written, their targets active without a breach, never a 500", async () => {
    const { a, agent } = await account("slabh");
    const BH = "/api/v2/business_hours/schedules";
    const s = (await ok(a.api("POST", `${BH}.json`, { schedule: { name: "Thin", time_zone: "America/Santiago" } }), 201)).schedule.id as number;
    await ok(a.api("PUT", `${BH}/${s}/workweek.json`, { workweek: { intervals: [{ start_time: 10079, end_time: 10080 }] } }));
    for (const [start, end] of [["2026-01-01", "2026-12-31"], ["2027-01-01", "2027-12-31"], ["2028-01-01", "2028-12-31"]]) await ok(a.api("POST", `${BH}/${s}/holidays.json`, { holiday: { name: "Off", start_date: start, end_date: end } }), 201);
    const targets = ["urgent", "low"].flatMap((priority) => ["first_reply_time", "next_reply_time", "periodic_update_time", "requester_wait_time", "agent_work_time"].map((metric) => ({ priority, metric, target: priority === "urgent" ? 525_600 : 1, business_hours: true })));
    await ok(a.api("POST", `${P}.json`, { sla_policy: { title: "Business", filter: EVERY, policy_metrics: targets } }), 201);
    const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Thin", comment: { body: "b" }, priority: "urgent" } }), 201)).ticket.id as number;
    await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Public reply" }, status: "hold" } }, agent));
    const slas = (await ok(a.api("GET", `/api/v2/tickets/${id}.json?include=slas`))).ticket.slas.policy_metrics as Array<{ metric: string; stage: string; breach_at: string | null }>;
    expect(slas.length).toBeGreaterThan(0);
    for (const m of slas.filter((x) => x.stage === "active")) expect(m.breach_at, m.metric).toBeNull();
    // One minute: the next Saturday 23:59 in Santiago after the holidays.
    await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { priority: "low", status: "open" } }));
    const low = (await ok(a.api("GET", `/api/v2/tickets/${id}.json?include=slas`))).ticket.slas.policy_metrics as Array<{ metric: string; stage: string; breach_at: string | null }>;
    const awt = low.find((x) => x.metric === "agent_work_time")!;
    expect(awt.stage).toBe("active");
    expect(new Date(awt.breach_at!).getTime()).toBeGreaterThan(Date.parse("2029-01-01T00:00:00Z"));
    // Deleting the schedule: the next write counts calendar time.
    await ok(a.api("DELETE", `${BH}/${s}.json`), 204);
    await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "open", comment: { body: "again", public: false } } }));
  });
});

describe("every ticket write's cost", () => {
  it("keeps the account's policies' filters to 1 MB together (every write opens and matches them all: 100 policies of 57 KB made each ticket write cost over a second)", async () => {
    const { a } = await account("slacost");
    // A 57 KB filter: eight conditions of a hundred 70-character tags each.
    const tags = Array.from({ length: 100 }, (_, i) => `t${i}_`.padEnd(70, "x")).join(" ");
    const big = { all: Array.from({ length: 8 }, () => ({ field: "current_tags", operator: "includes", value: tags })) };
    const small = (await ok(a.api("POST", `${P}.json`, { sla_policy: { title: "small", filter: EVERY, policy_metrics: TARGETS } }), 201)).sla_policy.id as number;
    let made = 0;
    let refused: R | undefined;
    for (let i = 0; i < 100 && !refused; i++) {
      const r = await a.api("POST", `${P}.json`, { sla_policy: { title: `big ${i}`, filter: big } });
      if (r.status === 201) made++;
      else refused = r;
    }
    expect(refused?.status, refused?.text).toBe(422);
    expect(refused!.body.details.filter[0].error).toBe("TooLarge");
    expect(made).toBeGreaterThanOrEqual(15);
    expect(made).toBeLessThanOrEqual(18);
    // Growing a small policy's filter past the total is refused too; the policy is left as it was.
    const r = await a.api("PUT", `${P}/${small}.json`, { sla_policy: { filter: big } });
    expect(r.status, r.text).toBe(422);
    expect((await ok(a.api("GET", `${P}/${small}.json`))).sla_policy.filter.all).toEqual(EVERY.all);
    // Tickets are still written.
    await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Still", comment: { body: "written" }, priority: "urgent" } }), 201);
  }, 120_000);
});

describe("races", () => {
  it("a policy changed, or tickets written, while it is deleted: 200, 204 or 404, never a 500 (a foreign key or a policy read back missing)", async () => {
    const { a } = await account("slarace");
    const bad: string[] = [];
    for (let round = 0; round < 12; round++) {
      const id = (await ok(a.api("POST", `${P}.json`, { sla_policy: { title: `race ${round}`, filter: EVERY, policy_metrics: TARGETS } }), 201)).sla_policy.id as number;
      const answers = await Promise.all([
        a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "During", comment: { body: "the delete" }, priority: "high" } }),
        a.api("PUT", `${P}/${id}.json`, { sla_policy: { title: `renamed ${round}` } }),
        a.api("DELETE", `${P}/${id}.json`),
        a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "During", comment: { body: "the delete" }, priority: "urgent" } }),
        a.api("PUT", `${P}/${id}.json`, { sla_policy: { policy_metrics: TARGETS.slice(0, 2) } }),
      ]);
      for (const r of answers) if (![200, 201, 204, 404].includes(r.status)) bad.push(`${r.status} ${r.text.slice(0, 200)}`);
    }
    expect(bad).toEqual([]);
    // Nothing points at a deleted policy.
    const dangling = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM tickets t WHERE sla_policy_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sla_policies p WHERE p.tenant_id = t.tenant_id AND p.id = t.sla_policy_id)`.execute(tx.db)).rows[0]!.n);
    expect(dangling).toBe(0);
  }, 120_000);
});

describe("junk", () => {
  it("answers junk policy bodies 4xx with details, never 500, nothing written", async () => {
    const { a } = await account("slajunk");
    const before = await t.db.tenant(a.tenantId, async (tx) => (await sql`SELECT count(*)::int AS n FROM sla_policies`.execute(tx.db)).rows);
    const base = { title: "x", filter: EVERY, policy_metrics: TARGETS };
    const bodies: unknown[] = [
      { sla_policy: JSON.parse('{"__proto__": {"admin": true}, "title": "x", "filter": {"all": []}}') },
      { sla_policy: { ...base, title: "x\u0000" } },
      { sla_policy: { ...base, title: ["x"] } },
      { sla_policy: { ...base, position: 1e300 } },
      { sla_policy: { ...base, position: -1 } },
      { sla_policy: { ...base, policy_metrics: [{ priority: "urgent", metric: "first_reply_time", target: 1e308 }] } },
      { sla_policy: { ...base, policy_metrics: [{ priority: "urgent", metric: "first_reply_time", target: 0.5 }] } },
      { sla_policy: { ...base, policy_metrics: [{ priority: "urgent", metric: "first_reply_time", target: "NaN" }] } },
      { sla_policy: { ...base, policy_metrics: [{ priority: "urgent", metric: "first_reply_time", target: 525_601 }] } },
      { sla_policy: { ...base, policy_metrics: [{ priority: "\u0443rgent", metric: "first_reply_time", target: 5 }] } },
      { sla_policy: { ...base, policy_metrics: [{ priority: "urgent", metric: "first_reply_time\u200b", target: 5 }] } },
      { sla_policy: { ...base, policy_metrics: [{ priority: "__proto__", metric: "constructor", target: 5 }] } },
      { sla_policy: { ...base, policy_metrics: [{ priority: "urgent", metric: "first_reply_time", target: 5 }, { priority: "urgent", metric: "first_reply_time", target: 6 }] } },
      { sla_policy: { ...base, filter: { all: [{ field: "__proto__", operator: "is", value: "x" }] } } },
      { sla_policy: { ...base, filter: { all: [{ field: "created_at", operator: "greater_than", value: "1" }] } } },
      { sla_policy: { ...base, filter: { all: [{ field: "update_type", operator: "is", value: "Create" }] } } },
      { sla_policy: { ...base, filter: { all: [{ field: "group_id", operator: "is", value: "999999" }] } } },
      { sla_policy: { ...base, filter: { all: [{ field: "status", operator: "is", value: ["open"] }] } } },
      { sla_policy: { ...base, filter: [] } },
      { sla_policy: { ...base, filter: { all: Array.from({ length: 51 }, () => EVERY.all[0]) } } },
      { sla_policy: { ...base, description: "d".repeat(70_000) } },
      { sla_policies: [base] },
      [{ sla_policy: base }],
    ];
    for (const body of bodies) {
      const r = await a.api("POST", `${P}.json`, body);
      expect(r.status, `${JSON.stringify(body).slice(0, 160)}: ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, `${JSON.stringify(body).slice(0, 160)}: ${r.text}`).toBeLessThan(500);
    }
    for (const ids of [[1, 1], [-1], ["1"], [1e300], [{ id: 1 }]]) {
      const r = await a.api("PUT", `${P}/reorder.json`, { sla_policy_ids: ids });
      expect(r.status, `${JSON.stringify(ids)}: ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    expect(await t.db.tenant(a.tenantId, async (tx) => (await sql`SELECT count(*)::int AS n FROM sla_policies`.execute(tx.db)).rows)).toEqual(before);
  });
});
