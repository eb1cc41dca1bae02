import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, endUserWithPassword, staffWithPassword, type Session } from "./support/people.ts";
import { unzip } from "./support/zip.ts";

/**
 * Macros under attack, over real HTTP: other tenants' and other people's ids on every route, agents
 * reaching for shared macros, restricted agents' tickets, Liquid that reaches for files, time or
 * memory, junk bodies (4xx, never 500, nothing written), scoped tokens, forged hosts.
 */

type As = { email: string; token: string };
type R = { status: number; text: string; body: any };

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let admin: As & { id: number };
let agent1: As & { id: number };
let agent2: As & { id: number };
let light: As & { id: number };
let grouped: As & { id: number };
let assigned: As & { id: number };
let endUser: { id: number; session: Session };
let g1: number;
let g2: number;
let field: number;
let tkIn: number;
let tkOut: number;
let bTicket: number;
let bMacro: number;

async function ok(r: Promise<R>, status = 200): Promise<any> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body;
}
const macroRows = (tenantId: string) => t.db.tenant(tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM macros`.execute(tx.db)).rows[0]!.n));
const create = (macro: Record<string, unknown>, who?: As) => a.api("POST", "/api/v2/macros.json", { macro }, who);
const close = [{ field: "status", value: "solved" }];

beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
  a = await buildTenant(t, "macatk");
  b = await buildTenant(t, "macatkb");
  const mk = async (role: "admin" | "agent" | "light-agent", name: string) => {
    const u = await buildUser(t, a, role, name);
    return { email: u.email, token: u.token!, id: u.id };
  };
  admin = await mk("admin", "Ada Admin");
  agent1 = await mk("agent", "Al Agent");
  agent2 = await mk("agent", "Bea Agent");
  light = await mk("light-agent", "Lee Light");
  grouped = await mk("agent", "Gus Grouped");
  assigned = await mk("agent", "Ann Assigned");
  await ok(a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } }));
  endUser = await endUserWithPassword(t, a, "Eve Secretperson");
  g1 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 1" } }), 201)).group.id;
  g2 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Hidden Tier" } }), 201)).group.id;
  await ok(a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: agent1.id, group_id: g1 } }), 201);
  await ok(a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: grouped.id, group_id: g1 } }), 201);
  const within = await ok(a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Within", configuration: { ticket_access: "within-groups" } } }), 201);
  const mine = await ok(a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Assigned", configuration: { ticket_access: "assigned-only" } } }), 201);
  await ok(a.api("PUT", `/api/v2/users/${grouped.id}.json`, { user: { custom_role_id: within.custom_role.id } }));
  await ok(a.api("PUT", `/api/v2/users/${assigned.id}.json`, { user: { custom_role_id: mine.custom_role.id } }));
  grouped = { ...grouped, token: await createTokenFor(t, a, grouped.id) };
  assigned = { ...assigned, token: await createTokenFor(t, a, assigned.id) };
  field = (await ok(a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Order number" } }), 201)).ticket_field.id;
  const org = (await ok(a.api("POST", "/api/v2/organizations.json", { organization: { name: "Secret Org" } }), 201)).organization.id;
  await ok(a.api("PUT", `/api/v2/users/${endUser.id}.json`, { user: { organization_id: org } }));
  tkIn = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "In group one", comment: { body: "x" }, group_id: g1 } }), 201)).ticket.id;
  tkOut = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Hidden ticket", comment: { body: "x" }, requester_id: endUser.id, group_id: g2, assignee_id: agent2.id } }), 201)).ticket.id;
  bTicket = (await ok(b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "B's", comment: { body: "x" } } }), 201)).ticket.id;
  bMacro = (await ok(b.api("POST", "/api/v2/macros.json", { macro: { title: "B's macro", restriction: null, actions: close } }), 201)).macro.id;
});
afterAll(async () => t?.close());

describe("ids that are not the caller's", () => {
  it("answers another tenant's macro and ticket ids with the same 404 as missing ones, on every route", async () => {
    // Tenant A's shared macro and ticket, asked for from tenant B (whose ids 1.. exist too).
    // A's ids here run past B's only macro (per-tenant ids): the one asked for is no id of B's.
    await ok(create({ title: "A first", restriction: null, actions: close }), 201);
    const am = (await ok(create({ title: "A shared", restriction: null, actions: close }), 201)).macro.id;
    expect(am).toBeGreaterThan(bMacro);
    expect(tkOut).toBeGreaterThan(bTicket);
    const missing = 999_999;
    const shapes = new Set<string>();
    for (const id of [am, missing]) {
      for (const [method, path, body] of [
        ["GET", `/api/v2/macros/${id}.json`],
        ["PUT", `/api/v2/macros/${id}.json`, { macro: { title: "hijack" } }],
        ["DELETE", `/api/v2/macros/${id}.json`],
        ["GET", `/api/v2/macros/${id}/apply.json`],
        ["GET", `/api/v2/tickets/${bTicket}/macros/${id}/apply.json`],
        ["GET", `/api/v2/tickets/${tkOut}/macros/${bMacro}/apply.json`],
        ["GET", `/api/v2/tickets/${missing}/macros/${bMacro}/apply.json`],
      ] as const) {
        const r = await b.api(method, path, body);
        expect(r.status, `${method} ${path}`).toBe(404);
        shapes.add(JSON.stringify(r.body));
      }
    }
    expect(shapes.size).toBe(1);
    expect((await ok(b.api("GET", "/api/v2/macros.json"))).macros.map((m: { title: string }) => m.title)).toEqual(["B's macro"]);
    expect((await ok(a.api("GET", `/api/v2/macros/${am}.json`))).macro.title).toBe("A shared");
  });

  it("keeps a personal macro its owner's on every route, the ticket one included (agent, admin, owner: 404)", async () => {
    const p = (await ok(create({ title: "Al's own", actions: [...close, { field: "comment_value", value: "{{current_user.email}}" }] }, agent1), 201)).macro.id;
    const before = (await ok(a.api("GET", `/api/v2/macros/${p}.json`, undefined, agent1))).macro;
    for (const who of [agent2, admin, undefined]) {
      await ok(a.api("GET", `/api/v2/macros/${p}.json`, undefined, who), 404);
      await ok(a.api("GET", `/api/v2/macros/${p}/apply.json`, undefined, who), 404);
      await ok(a.api("GET", `/api/v2/tickets/${tkIn}/macros/${p}/apply.json`, undefined, who), 404);
      await ok(a.api("PUT", `/api/v2/macros/${p}.json`, { macro: { title: "taken", restriction: null } }, who), 404);
      await ok(a.api("DELETE", `/api/v2/macros/${p}.json`, undefined, who), 404);
      const lists = [await ok(a.api("GET", "/api/v2/macros.json", undefined, who)), await ok(a.api("GET", "/api/v2/macros/active.json", undefined, who))];
      for (const l of lists) expect(l.macros.map((m: { id: number }) => m.id)).not.toContain(p);
    }
    expect((await ok(a.api("GET", `/api/v2/macros/${p}.json`, undefined, agent1))).macro).toEqual(before);
  });

  it("refuses an agent sharing (403), moving a group macro (403), and hides another group's macro (404)", async () => {
    const mine = (await ok(create({ title: "Mine to share", actions: close }, agent1), 201)).macro.id;
    await ok(create({ title: "x", restriction: null, actions: close }, agent1), 403);
    await ok(create({ title: "x", restriction: { type: "Group", id: g1 }, actions: close }, agent1), 403);
    await ok(a.api("PUT", `/api/v2/macros/${mine}.json`, { macro: { restriction: null } }, agent1), 403);
    await ok(a.api("PUT", `/api/v2/macros/${mine}.json`, { macro: { restriction: { type: "Group", id: g1 } } }, agent1), 403);
    await ok(a.api("PUT", `/api/v2/macros/${mine}.json`, { macro: { restriction: { type: "User", id: agent2.id } } }, agent1), 422);
    expect((await ok(a.api("GET", `/api/v2/macros/${mine}.json`, undefined, agent1))).macro.restriction).toEqual({ type: "User", id: agent1.id });
    const ofG1 = (await ok(create({ title: "Group one's", restriction: { type: "Group", id: g1 }, actions: close }, admin), 201)).macro.id;
    await ok(a.api("PUT", `/api/v2/macros/${ofG1}.json`, { macro: { restriction: { type: "Group", id: g2 } } }, agent1), 403);
    await ok(a.api("PUT", `/api/v2/macros/${ofG1}.json`, { macro: { restriction: { type: "User", id: agent1.id } } }, agent1), 403);
    await ok(a.api("DELETE", `/api/v2/macros/${ofG1}.json`, undefined, agent1), 403);
    const ofG2 = (await ok(create({ title: "Hidden group's", restriction: { type: "Group", id: g2 }, actions: close }, admin), 201)).macro.id;
    for (const [method, path, body] of [
      ["GET", `/api/v2/macros/${ofG2}.json`],
      ["GET", `/api/v2/macros/${ofG2}/apply.json`],
      ["GET", `/api/v2/tickets/${tkIn}/macros/${ofG2}/apply.json`],
      ["PUT", `/api/v2/macros/${ofG2}.json`, { macro: { title: "x" } }],
      ["DELETE", `/api/v2/macros/${ofG2}.json`],
    ] as const) expect((await a.api(method, path, body, agent1)).status, `${method} ${path}`).toBe(404);
    expect((await ok(a.api("GET", `/api/v2/macros/${ofG1}.json`))).macro.restriction).toEqual({ type: "Group", id: g1 });
  });
});

describe("restricted agents and placeholders", () => {
  let leak: number;
  beforeAll(async () => {
    leak = (
      await ok(
        create({
          title: "Leaky",
          restriction: null,
          actions: [
            { field: "comment_value", value: "R={{ticket.requester.email}} N={{ticket.requester.name}} O={{ticket.organization.name}} G={{ticket.group.name}} A={{ticket.assignee.name}} S={{ticket.title}}" },
            { field: "subject", value: "{{ticket.requester.email}}" },
          ],
        }),
        201,
      )
    ).macro.id;
  });

  it("answers 404 to a within-groups or assigned-only agent for a ticket outside their access, with nothing of it", async () => {
    for (const who of [grouped, assigned]) {
      const r = await a.api("GET", `/api/v2/tickets/${tkOut}/macros/${leak}/apply.json`, undefined, who);
      expect(r.status, r.text).toBe(404);
      for (const secret of ["Secretperson", "Secret Org", "Hidden Tier", "Bea Agent", "Hidden ticket"]) expect(r.text).not.toContain(secret);
    }
    // The within-groups agent reaches the ticket in their group.
    const r = await ok(a.api("GET", `/api/v2/tickets/${tkIn}/macros/${leak}/apply.json`, undefined, grouped));
    expect(r.result.comment.body).toContain("G=Tier 1");
    // The assigned-only agent reaches neither.
    await ok(a.api("GET", `/api/v2/tickets/${tkIn}/macros/${leak}/apply.json`, undefined, assigned), 404);
  });

  it("renders only the context's names: a dump holds no internal ids, keys or hashes; prototype names render empty", async () => {
    const dump = (await ok(create({ title: "Dump", actions: [{ field: "comment_value", value: "{{ ticket | json }}|{{ current_user | json }}|{{ constructor }}|{{ ticket.constructor.name }}|{{ __proto__ }}|{{ ticket.__proto__ }}|{{ ticket.id.constructor }}" }] }), 201)).macro.id;
    const r = await ok(a.api("GET", `/api/v2/tickets/${tkOut}/macros/${dump}/apply.json`));
    const body: string = r.result.comment.body;
    expect(body).not.toContain(a.tenantId);
    expect(body).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    expect(body).not.toMatch(/sealed|password|hash|key|tenant|function|Object/i);
    const parts = body.split("|");
    expect(parts.slice(2)).toEqual(["", "", "", "", ""]);
    expect(JSON.parse(parts[0]!)).toMatchObject({ id: tkOut, requester: { name: "Eve Secretperson" } });
  });
});

describe("Liquid over HTTP", () => {
  it("refuses file tags on save (422, nothing written) in the reply and the subject", async () => {
    const before = await macroRows(a.tenantId);
    for (const tpl of ["{% include '/etc/passwd' %}", "{% render '/etc/passwd' %}", "{% layout '/etc/passwd' %}", "{% liquid\ninclude '/etc/passwd'\n%}", "{% include x %}", "{{ 'a' | nosuchfilter }}", "{% if %}"]) {
      for (const f of ["comment_value", "subject"]) {
        const r = await create({ title: "files", actions: [{ field: f, value: tpl }] });
        expect(r.status, `${f} ${tpl} ${r.text}`).toBe(422);
        expect(r.text).not.toContain("root:");
      }
    }
    expect(await macroRows(a.tenantId)).toBe(before);
  });

  it("bounds loops, nesting and memory when applied: fast, an empty text, the server well", async () => {
    const nest = "{% if true %}".repeat(500) + "x" + "{% endif %}".repeat(500);
    const templates = [
      "{% for i in (1..100000000) %}{% endfor %}done",
      "{% for i in (1..100000) %}{% for j in (1..100000) %}{% endfor %}{% endfor %}done",
      "{% assign s = 'xx' %}{% for i in (1..60) %}{% assign s = s | append: s %}{% endfor %}{{ s | size }}",
      "{% capture s %}{% for i in (1..1000) %}x{% endfor %}{% endcapture %}{% assign t = s | replace: 'x', s %}{% assign u = t | replace: 'x', s %}{{ u | size }}",
      "{% tablerow i in (1..100000000) %}{% endtablerow %}",
      "{{ 'garbage' | date: '%Y' }}{{ 99999999999999999999 | date: '%Y-%m' }}{{ 'now' | date: '%N%N%N' }}",
      nest,
    ];
    for (const [i, tpl] of templates.entries()) {
      const m = (await ok(create({ title: "bound", actions: [{ field: "comment_value", value: tpl }, { field: "subject", value: "{% for i in (1..100000000) %}{{ i }}{% endfor %}" }] }), 201)).macro.id;
      const r = await a.api("GET", `/api/v2/tickets/${tkIn}/macros/${m}/apply.json`);
      expect(r.status, r.text).toBe(200);
      // The loops and the doubling strings are stopped by the render and memory limits, which
      // leave an empty text: unbounded they would end in "done" or a size (after minutes or
      // gigabytes), not be timed here. The date filters and the deep nesting render.
      if (i < 5) expect(r.body.result.comment.body, tpl).toBe("");
      expect(r.body.result.ticket.subject).toBe("");
      expect(r.body.result.comment.body.length).toBeLessThanOrEqual(65_536);
      expect(r.body.result.ticket.subject.length).toBeLessThanOrEqual(255);
      await ok(a.api("DELETE", `/api/v2/macros/${m}.json`), 204);
    }
    await ok(a.api("GET", `/api/v2/tickets/${tkIn}.json`));
  });

  it("renders a subject template without controls and within the limit", async () => {
    const m = (await ok(create({ title: "subj", actions: [{ field: "subject", value: "{% for i in (1..300) %}a{% endfor %}{{ ticket.id }}" }] }), 201)).macro.id;
    const r = await ok(a.api("GET", `/api/v2/tickets/${tkIn}/macros/${m}/apply.json`));
    expect(r.result.ticket.subject).toBe("a".repeat(255));
    expect(r.result.changed_fields).toEqual(["subject"]);
  });
});

describe("junk bodies", () => {
  it("answers every wrong type with 4xx, never 500, writing nothing", async () => {
    const before = await macroRows(a.tenantId);
    const bodies: unknown[] = [
      null, [], "x", 1, {}, { macro: null }, { macro: [] }, { macro: "x" },
      { macro: { title: 1, actions: close } }, { macro: { title: ["x"], actions: close } }, { macro: { title: "x".repeat(100_000), actions: close } },
      { macro: { title: "x", actions: "status" } }, { macro: { title: "x", actions: {} } }, { macro: { title: "x", actions: [null] } }, { macro: { title: "x", actions: [1] } },
      { macro: { title: "x", actions: [{ field: 1, value: "open" }] } }, { macro: { title: "x", actions: [{ field: "status", value: { x: 1 } }] } },
      { macro: { title: "x", actions: [{ field: "status", value: ["open"] }] } }, { macro: { title: "x", actions: [{ field: "status" }] } },
      { macro: { title: "x", actions: [{ value: "open" }] } }, { macro: { title: "x", actions: [] } },
      { macro: { title: "x", actions: Array.from({ length: 31 }, (_, i) => ({ field: "status", value: i ? "open" : "new" })) } },
      { macro: { title: "x", actions: Array.from({ length: 31 }, (_, i) => ({ field: `custom_fields_${i + 1}`, value: "a" })) } },
      { macro: { title: "x", actions: Array.from({ length: 201 }, () => ({ field: "status", value: "open" })) } },
      { macro: { title: "x", actions: close, unknown: 1 } }, { macro: { title: "x", actions: close }, extra: 1 },
      { macro: { title: "x", actions: close, active: "yes" } }, { macro: { title: "x", actions: close, position: -1 } }, { macro: { title: "x", actions: close, position: 10_001 } },
      { macro: { title: "x", actions: close, position: 1.5 } }, { macro: { title: "x", actions: close, position: "1" } },
      { macro: { title: "x", actions: close, description: 5 } }, { macro: { title: "x", actions: close, restriction: "User" } },
      { macro: { title: "x", actions: close, restriction: { type: "User" } } }, { macro: { title: "x", actions: close, restriction: { type: "Org", id: 1 } } },
      { macro: { title: "x", actions: close, restriction: { type: "Group", id: 99_999 } } },
      { macro: { title: "x", actions: close, restriction: { type: "User", id: -1 } } }, { macro: { title: "x", actions: close, restriction: { type: "User", id: 1e300 } } },
      { macro: { title: "x", actions: close, restriction: { type: "Group", id: g1, extra: 1 } } },
      { macro: { title: "\u0000", actions: close } }, { macro: { title: "   ", actions: close } },
    ];
    for (const body of bodies) {
      const r = await a.api("POST", "/api/v2/macros.json", body);
      expect(r.status, `${JSON.stringify(body).slice(0, 200)} ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, JSON.stringify(body).slice(0, 200)).toBeLessThan(500);
    }
    expect(await macroRows(a.tenantId)).toBe(before);
  });

  it("refuses bad action values of every kind (422), writing nothing, and names the action", async () => {
    // B's fields outnumber A's: its last field's id is none of A's.
    let bField = 0;
    for (let i = 0; i < 4; i++) bField = (await ok(b.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: `B field ${i}` } }), 201)).ticket_field.id;
    const gone = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Gone" } }), 201)).group.id;
    await ok(a.api("DELETE", `/api/v2/groups/${gone}.json`), 204);
    const before = await macroRows(a.tenantId);
    const bad: Array<[string, unknown]> = [
      ["status", "closed"], ["status", 1], ["status", true], ["status", null], ["status", "OPEN"], ["priority", "critical"], ["type", "bug"],
      ["assignee_id", endUser.id], ["assignee_id", String(endUser.id)], ["assignee_id", "0"], ["assignee_id", "-1"], ["assignee_id", "1.5"], ["assignee_id", "1e3"], ["assignee_id", "99999999999999999999"],
      ["assignee_id", 999_999], ["assignee_id", "me"], ["assignee_id", " 1"], ["group_id", "current_user"], ["group_id", gone], ["group_id", 999_999], ["group_id", true],
      ["set_tags", "bad tag!"], ["current_tags", ""], ["remove_tags", "   "], ["current_tags", Array.from({ length: 101 }, (_, i) => `t${i}`).join(" ")],
      ["subject", ""], ["subject", "a\nb"], ["subject", "x".repeat(256)], ["comment_value", ""], ["comment_value", "x".repeat(65_537)], ["comment_value", "\u0000"],
      ["comment_mode_is_public", "yes"], ["comment_mode_is_public", 1],
      [`custom_fields_${bField + 1000}`, "x"], ["custom_fields_0", "x"], ["custom_fields_", "x"], ["custom_fields_abc", "x"], ["custom_fields_99999999999999999", "x"],
      ["constructor", "x"], ["__proto__", "x"], ["toString", "x"], ["nosuch", "x"],
    ];
    for (const [f, value] of bad) {
      const r = await create({ title: "bad", actions: [{ field: "status", value: "open" }, { field: f, value }] });
      expect(r.status, `${f}=${JSON.stringify(value).slice(0, 50)} ${r.text.slice(0, 300)}`).toBe(422);
      expect(Object.keys(r.body.details ?? {}), f).toContain("actions[1]");
    }
    // Another tenant's custom field id (B's field does not exist in A).
    const foreign = await create({ title: "bad", actions: [{ field: `custom_fields_${bField}`, value: "x" }] });
    expect(bField).toBeGreaterThan(field);
    expect(foreign.status, foreign.text).toBe(422);
    expect(await macroRows(a.tenantId)).toBe(before);
  });

  it("takes each field at most once, also a custom field's id written another way", async () => {
    const before = await macroRows(a.tenantId);
    const r = await create({ title: "twice", actions: [{ field: `custom_fields_${field}`, value: "one" }, { field: `custom_fields_0${field}`, value: "two" }] });
    expect(r.status, r.text).toBe(422);
    expect(r.body.details["actions[1]"][0].error).toBe("Duplicate");
    expect(await macroRows(a.tenantId)).toBe(before);
  });

  it("accepts numeric strings for ids and current_user, stored as Zendesk shows them", async () => {
    const m = (await ok(create({ title: "ids", actions: [{ field: "assignee_id", value: String(agent1.id) }, { field: "group_id", value: String(g1) }, { field: "comment_mode_is_public", value: false }] }), 201)).macro;
    expect(m.actions).toEqual([{ field: "assignee_id", value: String(agent1.id) }, { field: "group_id", value: String(g1) }, { field: "comment_mode_is_public", value: "false" }]);
    await ok(a.api("DELETE", `/api/v2/macros/${m.id}.json`), 204);
  });

  it("writes nothing of an update with one bad part", async () => {
    const m = (await ok(create({ title: "Keep", actions: close }), 201)).macro;
    for (const macro of [{ title: "Changed", restriction: { type: "Group", id: 999_999 } }, { title: "Changed", actions: [{ field: "status", value: "x" }] }, { title: "Changed", position: 10_001 }, { title: "" }]) {
      const r = await a.api("PUT", `/api/v2/macros/${m.id}.json`, { macro });
      expect(r.status, r.text).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    expect((await ok(a.api("GET", `/api/v2/macros/${m.id}.json`))).macro).toEqual(m);
  });
});

describe("who reaches macros", () => {
  it("refuses end users on every route, session or not", async () => {
    const m = (await ok(create({ title: "Staff's", restriction: null, actions: close }), 201)).macro.id;
    const eu = (method: string, path: string, body?: unknown) => asSession(t, a, endUser.session, method, path, body);
    for (const [method, path, body] of [
      ["GET", "/api/v2/macros.json"], ["GET", "/api/v2/macros/active.json"], ["GET", `/api/v2/macros/${m}.json`], ["GET", `/api/v2/macros/${m}/apply.json`],
      ["GET", `/api/v2/tickets/${tkOut}/macros/${m}/apply.json`], ["POST", "/api/v2/macros.json", { macro: { title: "x", actions: close } }],
      ["PUT", `/api/v2/macros/${m}.json`, { macro: { title: "x" } }], ["DELETE", `/api/v2/macros/${m}.json`],
    ] as const) {
      const r = await eu(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.text).not.toContain("Staff's");
    }
  });

  it("keeps a light agent's reply internal, from their own macro that says public too", async () => {
    const m = (await ok(create({ title: "Loud", actions: [{ field: "comment_value", value: "Hello" }, { field: "comment_mode_is_public", value: "true" }] }, light), 201)).macro.id;
    expect((await ok(a.api("GET", `/api/v2/tickets/${tkIn}/macros/${m}/apply.json`, undefined, light))).result.comment.public).toBe(false);
    expect((await ok(a.api("GET", `/api/v2/macros/${m}/apply.json`, undefined, light))).result.comment.public).toBe(false);
    await ok(create({ title: "x", restriction: null, actions: close }, light), 403);
    // An agent whose custom role writes internal notes only: the same.
    const role = await ok(a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Notes only", configuration: { ticket_access: "all", ticket_comment_access: "internal" } } }), 201);
    const quiet = await buildUser(t, a, "agent", "Quinn Quiet");
    await ok(a.api("PUT", `/api/v2/users/${quiet.id}.json`, { user: { custom_role_id: role.custom_role.id } }));
    const q = { email: quiet.email, token: await createTokenFor(t, a, quiet.id) };
    expect((await ok(a.api("GET", `/api/v2/tickets/${tkIn}/macros/${m}/apply.json`, undefined, light))).result.comment.public).toBe(false);
    const shared = (await ok(create({ title: "Public reply", restriction: null, actions: [{ field: "comment_value", value: "Hello" }] }), 201)).macro.id;
    expect((await ok(a.api("GET", `/api/v2/tickets/${tkIn}/macros/${shared}/apply.json`, undefined, q))).result.comment.public).toBe(false);
    expect((await ok(a.api("GET", `/api/v2/macros/${shared}/apply.json`, undefined, q))).result.comment.public).toBe(false);
  });

  it("lets tickets:read read and apply but not write; users:read and organizations:read reach no macro nor ticket", async () => {
    const m = (await ok(create({ title: "Scoped", restriction: null, actions: [{ field: "comment_value", value: "{{ticket.requester.email}}" }] }), 201)).macro.id;
    const token = async (scopes: string[]) => ({ email: a.ownerEmail, token: (await ok(a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: scopes.join(" "), scopes } }), 201)).api_token.token as string });
    const tr = await token(["tickets:read"]);
    await ok(a.api("GET", `/api/v2/macros/${m}.json`, undefined, tr));
    await ok(a.api("GET", `/api/v2/tickets/${tkOut}/macros/${m}/apply.json`, undefined, tr));
    await ok(a.api("POST", "/api/v2/macros.json", { macro: { title: "x", actions: close } }, tr), 403);
    await ok(a.api("PUT", `/api/v2/macros/${m}.json`, { macro: { title: "x" } }, tr), 403);
    await ok(a.api("DELETE", `/api/v2/macros/${m}.json`, undefined, tr), 403);
    for (const scopes of [["users:read"], ["organizations:read"], ["users:read", "organizations:read", "users:write"]]) {
      const tok = await token(scopes);
      for (const path of ["/api/v2/macros.json", "/api/v2/macros/active.json", `/api/v2/macros/${m}.json`, `/api/v2/macros/${m}/apply.json`, `/api/v2/tickets/${tkOut}/macros/${m}/apply.json`]) {
        const r = await a.api("GET", path, undefined, tok);
        expect(r.status, `${scopes} ${path}`).toBe(403);
        expect(r.text).not.toContain("Secretperson");
      }
    }
  });

  it("builds url and ticket.url from configuration, not from a forged Host or X-Forwarded-Host", async () => {
    const m = (await ok(create({ title: "Link", restriction: null, actions: [{ field: "comment_value", value: "{{ticket.url}}" }] }), 201)).macro.id;
    const headers = { authorization: `Basic ${Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64")}`, "x-forwarded-host": "evil.example", "x-forwarded-proto": "http", forwarded: "host=evil.example" };
    const show = await t.request({ method: "GET", path: `/api/v2/macros/${m}.json`, host: a.host, headers });
    expect(show.status, show.text).toBe(200);
    expect((show.body as any).macro.url).toBe(`${a.origin}/api/v2/macros/${m}.json`);
    const applied = await t.request({ method: "GET", path: `/api/v2/tickets/${tkIn}/macros/${m}/apply.json`, host: a.host, headers });
    expect((applied.body as any).result.comment.body).toBe(`${a.origin}/agent/tickets/${tkIn}`);
    expect(applied.text).not.toContain("evil.example");
  });
});

describe("a person's data", () => {
  it("holds a staff member's personal macros in their data export (title, description, actions), not the shared ones they made", async () => {
    const who = await buildUser(t, a, "admin", "Xena Export");
    const as = { email: who.email, token: who.token! };
    const mine = (await ok(create({ title: "Zqx personal macro", description: "Zqx notes", actions: [{ field: "comment_value", value: "Zqx reply {{ticket.id}}" }] }, as), 201)).macro;
    await ok(create({ title: "Zqx shared macro", restriction: null, actions: close }, as), 201);
    const created = await ok(a.api("POST", `/api/v2/users/${who.id}/data_exports.json`), 202);
    let e: any;
    for (let i = 0; ; i++) {
      e = (await ok(a.api("GET", `/api/v2/data_exports/${created.data_export.id}.json`))).data_export;
      if (e.status !== "queued" && e.status !== "working") break;
      if (i > 2000) throw new Error("export still running");
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(e.status).toBe("ready");
    const u = new URL(e.download_url);
    const auth = { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") };
    const files = await unzip((await t.request({ method: "GET", path: u.pathname + u.search, host: a.host, headers: auth })).raw);
    expect(JSON.parse(files.get("manifest.json")!.toString()).counts).toMatchObject({ macros: 1 });
    const macros = JSON.parse(files.get("macros.json")!.toString());
    expect(macros).toEqual([{ id: mine.id, title: "Zqx personal macro", description: "Zqx notes", active: true, actions: [{ field: "comment_value", value: "Zqx reply {{ticket.id}}" }], created_at: mine.created_at, updated_at: mine.updated_at }]);
    expect(files.get("macros.csv")!.toString()).toContain("Zqx personal macro");
  });
});

describe("limits at once", () => {
  it("keeps the account within the shared limit when creates and personal-to-shared moves come at once", async () => {
    const fill = (n: number) =>
      t.db.tenant(a.tenantId, async (tx) => {
        const user = (await sql<{ id: string }>`SELECT id FROM users WHERE nice_id = ${admin.id}`.execute(tx.db)).rows[0]!.id;
        await sql`INSERT INTO macros (tenant_id, id, nice_id, created_by, user_id, title_sealed, actions_sealed, position)
          SELECT ${a.tenantId}, gen_random_uuid(), vd_next_id('macros'), ${user}, NULL, '\\x01'::bytea, '\\x01'::bytea, 0 FROM generate_series(1, ${n})`.execute(tx.db);
      });
    const shared = () => t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM macros WHERE user_id IS NULL`.execute(tx.db)).rows[0]!.n));
    try {
      await fill(1_000 - (await shared()) - 6);
      const personal = [];
      for (let i = 0; i < 6; i++) personal.push((await ok(create({ title: `Move ${i}`, actions: close }, admin), 201)).macro.id);
      const burst = await Promise.all([
        ...Array.from({ length: 6 }, (_, i) => create({ title: `Shared at once ${i}`, restriction: null, actions: close }, admin)),
        ...personal.map((id) => a.api("PUT", `/api/v2/macros/${id}.json`, { macro: { restriction: null } }, admin)),
      ]);
      expect(burst.every((x) => [200, 201, 422].includes(x.status)), burst.map((x) => x.status).join()).toBe(true);
      expect(burst.filter((x) => x.status < 300)).toHaveLength(6);
      expect(await shared()).toBe(1_000);
    } finally {
      await t.db.tenant(a.tenantId, (tx) => sql`DELETE FROM macros WHERE title_sealed = '\\x01'::bytea`.execute(tx.db));
    }
  });
});

describe("custom fields the caller may not edit", () => {
  it("refuses a field read-only or hidden for the author's role, even to clear it; applying and showing leave such a field out", async () => {
    const ro = (await ok(a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Risk note", permissions: [{ role_id: 2, access: "read_only" }] } }), 201)).ticket_field.id;
    const hidden = (await ok(a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Fraud flag", permissions: [{ role_id: 2, access: "hidden" }] } }), 201)).ticket_field.id;
    const before = await macroRows(a.tenantId);
    for (const [f, value] of [[ro, "x"], [ro, ""], [ro, null], [hidden, "x"], [hidden, ""]] as const) {
      const r = await create({ title: "field", actions: [{ field: `custom_fields_${f}`, value }] }, agent2);
      expect(r.status, `${f}=${JSON.stringify(value)} ${r.text}`).toBe(422);
      expect(r.text).not.toContain("Fraud flag");
    }
    expect(await macroRows(a.tenantId)).toBe(before);
    // An admin's shared macro setting both: an agent's apply and effect leave them out.
    const m = (await ok(create({ title: "Flags", restriction: null, actions: [{ field: `custom_fields_${ro}`, value: "high" }, { field: `custom_fields_${hidden}`, value: "secret-flag" }, { field: "status", value: "open" }] }), 201)).macro.id;
    const applied = await ok(a.api("GET", `/api/v2/tickets/${tkIn}/macros/${m}/apply.json`, undefined, agent2));
    expect(applied.result.changed_fields).toEqual(["status"]);
    expect(JSON.stringify(applied.result.ticket.custom_fields)).not.toContain("secret-flag");
    const effect = await ok(a.api("GET", `/api/v2/macros/${m}/apply.json`, undefined, agent2));
    expect(effect.result.ticket).toEqual({ status: "open" });
  });
});

describe("a staff session", () => {
  it("writes macros only with its CSRF token, and applies them (a read) without one", async () => {
    const staff = await staffWithPassword(t, a, "admin");
    const before = await macroRows(a.tenantId);
    const raw = (method: string, path: string, body?: unknown) => t.request({ method, path, host: a.host, headers: { cookie: staff.session.cookie }, body });
    expect((await raw("POST", "/api/v2/macros.json", { macro: { title: "No token", restriction: null, actions: close } })).status).toBe(403);
    expect(await macroRows(a.tenantId)).toBe(before);
    const m = (await ok(asSession(t, a, staff.session, "POST", "/api/v2/macros.json", { macro: { title: "With token", actions: close } }), 201)).macro.id;
    expect((await raw("PUT", `/api/v2/macros/${m}.json`, { macro: { restriction: null } })).status).toBe(403);
    expect((await raw("DELETE", `/api/v2/macros/${m}.json`)).status).toBe(403);
    expect((await raw("GET", `/api/v2/tickets/${tkIn}/macros/${m}/apply.json`)).status).toBe(200);
    expect((await ok(asSession(t, a, staff.session, "GET", `/api/v2/macros/${m}.json`))).macro.restriction).toEqual({ type: "User", id: staff.id });
  });
});
