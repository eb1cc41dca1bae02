import { sql } from "kysely";
import { Liquid } from "liquidjs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { RENDER_BUDGET_MS, RENDER_LIMIT_MS, renderTemplate, templateProblem } from "../src/modules/macros/macros-render.ts";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, endUserWithPassword, type Session } from "./support/people.ts";

/**
 * Macros (docs/api.md, "Macros"), over real HTTP: who sees and changes which macro, every action
 * kind and its refusals (nothing written), applying with and without a ticket (placeholders
 * rendered through liquidjs, never a file), the ticket's scope, another tenant, scoped tokens,
 * erasure and limits.
 */

type As = { email: string; token: string };
type Action = { field: string; value: unknown };

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
let field: number;
let checkbox: number;
let tk1: number;
let tk2: number;

async function ok<T = any>(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const macroCount = () => t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM macros`.execute(tx.db)).rows[0]!.n));
const create = (macro: Record<string, unknown>, who?: As) => a.api("POST", "/api/v2/macros.json", { macro }, who);
const close: Action[] = [{ field: "status", value: "solved" }];

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "macros");
  b = await buildTenant(t, "macrosb");
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
  scoped = { ...scoped, token: await createTokenFor(t, a, scoped.id) };
  field = (await ok(a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Order number" } }), 201)).ticket_field.id;
  checkbox = (await ok(a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "checkbox", title: "Refunded" } }), 201)).ticket_field.id;
  tk1 = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Card declined", comment: { body: "Help" }, requester_id: endUser.id, group_id: g1, tags: ["billing", "vip"] } }), 201)).ticket.id;
  tk2 = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Other group", comment: { body: "Help" }, group_id: g1 } }), 201)).ticket.id;
});
afterAll(async () => t?.close());

describe("CRUD and audiences", () => {
  it("creates, shows, lists, updates and deletes a personal macro, audited by id only", async () => {
    const m = (await ok(create({ title: "Close and thank", actions: [...close, { field: "comment_value", value: "Thanks {{ticket.requester.first_name}}" }] }, agent1), 201)).macro;
    expect(m).toMatchObject({ title: "Close and thank", description: null, active: true, restriction: { type: "User", id: agent1.id } });
    expect(m.url).toBe(`${a.origin}/api/v2/macros/${m.id}.json`);
    expect(m.actions).toEqual([{ field: "status", value: "solved" }, { field: "comment_value", value: "Thanks {{ticket.requester.first_name}}" }]);
    expect((await ok(a.api("GET", `/api/v2/macros/${m.id}.json`, undefined, agent1))).macro).toEqual(m);
    const up = (await ok(a.api("PUT", `/api/v2/macros/${m.id}.json`, { macro: { title: "Close", description: "Says thanks", active: false, position: 4 } }, agent1))).macro;
    expect(up).toMatchObject({ title: "Close", description: "Says thanks", active: false, position: 4 });
    const listed = await ok(a.api("GET", "/api/v2/macros.json?access=personal", undefined, agent1));
    expect(listed.macros.map((x: { id: number }) => x.id)).toEqual([m.id]);
    expect((await ok(a.api("GET", "/api/v2/macros/active.json", undefined, agent1))).macros).toEqual([]);
    expect((await ok(a.api("GET", "/api/v2/macros.json?active=false", undefined, agent1))).count).toBe(1);
    await ok(a.api("DELETE", `/api/v2/macros/${m.id}.json`, undefined, agent1), 204);
    await ok(a.api("GET", `/api/v2/macros/${m.id}.json`, undefined, agent1), 404);
    let mine: Array<{ action: string; source_id: unknown }> = [];
    for (let i = 0; i < 100; i++) {
      const r = await ok(a.api("GET", "/api/v2/audit_logs.json?filter[source_type]=macro&per_page=100"));
      mine = r.audit_logs.filter((e: { source_id: unknown }) => String(e.source_id) === String(m.id));
      if (mine.length >= 3) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(mine.map((e: { action: string }) => e.action).sort()).toEqual(["macro.created", "macro.deleted", "macro.updated"]);
    expect(JSON.stringify(mine)).not.toContain("Close");
  });

  it("keeps personal macros their owner's alone (404 to others, admins included), shared writes to admins, group macros to members", async () => {
    const personal = (await ok(create({ title: "Mine", actions: close }, agent1), 201)).macro;
    for (const who of [agent2, admin, undefined]) {
      await ok(a.api("GET", `/api/v2/macros/${personal.id}.json`, undefined, who), 404);
      await ok(a.api("PUT", `/api/v2/macros/${personal.id}.json`, { macro: { title: "x" } }, who), 404);
      await ok(a.api("DELETE", `/api/v2/macros/${personal.id}.json`, undefined, who), 404);
      await ok(a.api("GET", `/api/v2/macros/${personal.id}/apply.json`, undefined, who), 404);
    }
    // Sharing is for owners and admins.
    await ok(create({ title: "Shared by agent", restriction: null, actions: close }, agent1), 403);
    await ok(create({ title: "Group by agent", restriction: { type: "Group", id: g1 }, actions: close }, agent1), 403);
    await ok(create({ title: "Someone else's", restriction: { type: "User", id: agent2.id }, actions: close }, agent1), 422);
    const shared = (await ok(create({ title: "Everyone", restriction: null, actions: close }, admin), 201)).macro;
    expect(shared.restriction).toBeNull();
    await ok(a.api("GET", `/api/v2/macros/${shared.id}.json`, undefined, agent2));
    await ok(a.api("PUT", `/api/v2/macros/${shared.id}.json`, { macro: { title: "Hijack" } }, agent2), 403);
    await ok(a.api("DELETE", `/api/v2/macros/${shared.id}.json`, undefined, agent2), 403);
    await ok(a.api("PUT", `/api/v2/macros/${personal.id}.json`, { macro: { restriction: null } }, agent1), 403);
    const group = (await ok(create({ title: "Tier one only", restriction: { type: "Group", id: g1 }, actions: close }, admin), 201)).macro;
    expect(group.restriction).toEqual({ type: "Group", id: g1 });
    await ok(a.api("GET", `/api/v2/macros/${group.id}.json`, undefined, agent1));
    await ok(a.api("GET", `/api/v2/macros/${group.id}.json`, undefined, agent2), 404);
    const active = (who: As) => a.api("GET", "/api/v2/macros/active.json", undefined, who).then((r) => r.body.macros.map((x: { title: string }) => x.title));
    expect(await active(agent1)).toEqual(["Everyone", "Mine", "Tier one only"]);
    expect(await active(agent2)).toEqual(["Everyone"]);
    expect((await ok(a.api("GET", "/api/v2/macros/active.json", undefined, agent1))).count).toBe(3);
    for (const id of [personal.id]) await ok(a.api("DELETE", `/api/v2/macros/${id}.json`, undefined, agent1), 204);
    for (const id of [shared.id, group.id]) await ok(a.api("DELETE", `/api/v2/macros/${id}.json`), 204);
  });

  it("refuses end users (403) and another tenant's ids (404)", async () => {
    const m = (await ok(create({ title: "Tenant A's", restriction: null, actions: close }), 201)).macro;
    const eu = (method: string, path: string, body?: unknown) => asSession(t, a, endUser.session, method, path, body);
    for (const [method, path] of [["GET", "/api/v2/macros.json"], ["GET", "/api/v2/macros/active.json"], ["GET", `/api/v2/macros/${m.id}.json`], ["GET", `/api/v2/tickets/${tk1}/macros/${m.id}/apply.json`]] as const) {
      expect((await eu(method, path)).status, path).toBe(403);
    }
    expect((await eu("POST", "/api/v2/macros.json", { macro: { title: "x", actions: close } })).status).toBe(403);
    await ok(b.api("GET", `/api/v2/macros/${m.id}.json`), 404);
    await ok(b.api("PUT", `/api/v2/macros/${m.id}.json`, { macro: { title: "x" } }), 404);
    await ok(b.api("DELETE", `/api/v2/macros/${m.id}.json`), 404);
    await ok(b.api("GET", `/api/v2/macros/${m.id}/apply.json`), 404);
    expect((await ok(b.api("GET", "/api/v2/macros.json"))).macros).toEqual([]);
    // Another tenant's group or field in an action or restriction is missing here.
    const bg = (await ok(b.api("POST", "/api/v2/groups.json", { group: { name: "B only" } }), 201)).group.id;
    await ok(b.api("POST", "/api/v2/macros.json", { macro: { title: "x", restriction: { type: "Group", id: bg + 100 }, actions: close } }), 422);
    await ok(a.api("DELETE", `/api/v2/macros/${m.id}.json`), 204);
  });
});

describe("actions", () => {
  it("accepts every action kind and normalises values", async () => {
    const actions: Action[] = [
      { field: "status", value: "pending" },
      { field: "priority", value: "" },
      { field: "type", value: "incident" },
      { field: "assignee_id", value: String(agent2.id) },
      { field: "group_id", value: g2 },
      { field: "set_tags", value: "One  two" },
      { field: "current_tags", value: "three" },
      { field: "remove_tags", value: "four" },
      { field: "subject", value: "Re: {{ticket.title}}" },
      { field: "comment_value", value: "Hello" },
      { field: "comment_mode_is_public", value: false },
      { field: `custom_fields_${field}`, value: "A-1" },
      { field: `custom_fields_${checkbox}`, value: "true" },
    ];
    const m = (await ok(create({ title: "Everything", actions }), 201)).macro;
    expect(m.actions).toEqual([
      { field: "status", value: "pending" },
      { field: "priority", value: "" },
      { field: "type", value: "incident" },
      { field: "assignee_id", value: String(agent2.id) },
      { field: "group_id", value: String(g2) },
      { field: "set_tags", value: "one two" },
      { field: "current_tags", value: "three" },
      { field: "remove_tags", value: "four" },
      { field: "subject", value: "Re: {{ticket.title}}" },
      { field: "comment_value", value: "Hello" },
      { field: "comment_mode_is_public", value: "false" },
      { field: `custom_fields_${field}`, value: "A-1" },
      { field: `custom_fields_${checkbox}`, value: "true" },
    ]);
    await ok(a.api("DELETE", `/api/v2/macros/${m.id}.json`), 204);
  });

  it("refuses a bad action of every kind with 422 naming actions[i], writing nothing", async () => {
    const bad: Action[] = [
      { field: "status", value: "closed" },
      { field: "priority", value: "extreme" },
      { field: "type", value: "bug" },
      { field: "assignee_id", value: String(endUser.id) },
      { field: "assignee_id", value: "99999" },
      { field: "group_id", value: "99999" },
      { field: "set_tags", value: "bad<tag>" },
      { field: "current_tags", value: "" },
      { field: "remove_tags", value: "no!" },
      { field: "subject", value: "" },
      { field: "subject", value: "two\nlines" },
      { field: "subject", value: "{{ unclosed" },
      { field: "comment_value", value: "   " },
      { field: "comment_value", value: "{% if %}" },
      { field: "comment_value", value: "x".repeat(65_537) },
      { field: "comment_value", value: "{% include '/etc/passwd' %}" },
      { field: "comment_value", value: "{% render 'secrets' %}" },
      { field: "comment_value", value: "{% layout 'x' %}" },
      { field: "comment_mode_is_public", value: "yes" },
      { field: "custom_fields_99999", value: "x" },
      { field: `custom_fields_${checkbox}`, value: "maybe" },
      { field: "requester_id", value: "1" },
      { field: "custom_fields_abc", value: "1" },
    ];
    const before = await macroCount();
    for (const action of bad) {
      const r = await create({ title: "Bad", actions: [close[0], action] });
      expect(r.status, `${JSON.stringify(action).slice(0, 80)} ${r.text}`).toBe(422);
      expect(Object.keys(r.body.details), JSON.stringify(action).slice(0, 80)).toEqual(["actions[1]"]);
      expect(r.text).not.toContain("root:");
    }
    // Duplicates, none, too many, unknown fields in the body, no actions at all.
    const dup = await create({ title: "Dup", actions: [...close, { field: "status", value: "open" }] });
    expect(dup.status).toBe(422);
    expect(dup.body.details["actions[1]"][0].error).toBe("Duplicate");
    expect((await create({ title: "None", actions: [] })).status).toBe(422);
    expect((await create({ title: "Missing" })).status).toBe(422);
    const many = await create({ title: "Many", actions: Array.from({ length: 31 }, (_, i) => ({ field: `custom_fields_${i + 1}`, value: "x" })) });
    expect(many.status).toBe(422);
    expect(many.body.details.actions[0].error).toBe("TooMany");
    expect((await create({ title: "Extra", actions: close, conditions: {} })).status).toBe(422);
    expect((await create({ title: "", actions: close })).status).toBe(422);
    expect(await macroCount()).toBe(before);
    // An update with a bad action changes nothing.
    const m = (await ok(create({ title: "Good", actions: close }), 201)).macro;
    expect((await a.api("PUT", `/api/v2/macros/${m.id}.json`, { macro: { title: "Changed", actions: [{ field: "status", value: "closed" }] } })).status).toBe(422);
    expect((await ok(a.api("GET", `/api/v2/macros/${m.id}.json`))).macro).toMatchObject({ title: "Good", actions: close });
    await ok(a.api("DELETE", `/api/v2/macros/${m.id}.json`), 204);
  });

  it("keeps liquidjs away from files and bounds a render", async () => {
    const budget = { leftMs: RENDER_BUDGET_MS };
    expect(templateProblem("{% include '/etc/passwd' %}")).toMatch(/not allowed/);
    expect(renderTemplate("{% include '/etc/passwd' %}", {}, budget)).toBe("");
    expect(renderTemplate("{% for i in (1..100000000) %}{{ i }}{% endfor %}", {}, budget)).toBe("");
    expect(renderTemplate("{% assign s = 'xx' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}", {}, budget)).toBe("");
    // A render loop saved is bounded when applied: an empty reply, not an error.
    const loop = (await ok(create({ title: "Loop", actions: [{ field: "comment_value", value: "{% for i in (1..100000000) %}{{ i }}{% endfor %}" }] }), 201)).macro;
    const r = await ok(a.api("GET", `/api/v2/tickets/${tk1}/macros/${loop.id}/apply.json`));
    expect(r.result.comment.body).toBe("");
    await ok(a.api("DELETE", `/api/v2/macros/${loop.id}.json`), 204);
  });

  it("bounds the time all the renders of one transaction take together", () => {
    // Loops nested to a million steps stay within the memory limit (999 + 999 × 999 items): only
    // the time limit stops them, before "done" (unbounded, about a second here).
    const spin = "{% for i in (1..999) %}{% for j in (1..999) %}{% endfor %}{% endfor %}done";
    const budget = { leftMs: RENDER_BUDGET_MS };
    const renders = vi.spyOn(Liquid.prototype, "parseAndRenderSync");
    try {
      let n = 0;
      while (budget.leftMs > 0 && n < 50) {
        expect(renderTemplate(spin, {}, budget)).toBe("");
        n++;
      }
      // Each render spent its time from the budget, which is spent after about
      // RENDER_BUDGET_MS / RENDER_LIMIT_MS of them, not 50.
      expect(budget.leftMs).toBeLessThanOrEqual(0);
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThan(50);
      expect(RENDER_BUDGET_MS / RENDER_LIMIT_MS).toBe(5);
      // Once it is spent, even a plain placeholder renders empty, and liquidjs is not called.
      const calls = renders.mock.calls.length;
      expect(renderTemplate("{{ x }}", { x: "y" }, budget)).toBe("");
      expect(renders.mock.calls.length).toBe(calls);
    } finally {
      renders.mockRestore();
    }
    // Another transaction's budget is its own.
    expect(renderTemplate("{{ x }}{% for i in (1..300) %}a{% endfor %}", { x: "y" }, { leftMs: RENDER_BUDGET_MS })).toBe("y" + "a".repeat(300));
  });
});

describe("applying", () => {
  let m: { id: number };
  beforeAll(async () => {
    m = (
      await ok(
        create({
          title: "Solve with thanks",
          restriction: null,
          actions: [
            { field: "status", value: "solved" },
            { field: "comment_value", value: "Hi {{ticket.requester.first_name}}, {{ ticket.title }} is fixed.\n\n— {{current_user.first_name}} ({{ticket.group.name}}) {{ticket.url}} {{ticket.nope.x}}<b>" },
            { field: "current_tags", value: "fixed vip" },
            { field: "remove_tags", value: "billing" },
            { field: "assignee_id", value: "current_user" },
            { field: `custom_fields_${field}`, value: "R-2" },
          ],
        }),
        201,
      )
    ).macro;
  });

  it("shows what a macro sets without a ticket, placeholders as written", async () => {
    const r = await ok(a.api("GET", `/api/v2/macros/${m.id}/apply.json`, undefined, agent1));
    expect(r.result.ticket).toEqual({ status: "solved", additional_tags: ["fixed", "vip"], remove_tags: ["billing"], assignee_id: agent1.id, custom_fields: [{ id: field, value: "R-2" }] });
    expect(r.result.comment.body).toContain("{{ticket.requester.first_name}}");
    expect(r.result.comment.public).toBe(true);
    const set = (await ok(create({ title: "Set", actions: [{ field: "set_tags", value: "a b" }, { field: "priority", value: "" }] }), 201)).macro;
    expect((await ok(a.api("GET", `/api/v2/macros/${set.id}/apply.json`))).result).toEqual({ ticket: { tags: ["a", "b"], priority: null } });
    await ok(a.api("DELETE", `/api/v2/macros/${set.id}.json`), 204);
  });

  it("applies to a ticket: the full ticket with changes, rendered reply, changed_fields; writes nothing", async () => {
    const before = (await ok(a.api("GET", `/api/v2/tickets/${tk1}.json`))).ticket;
    const r = await ok(a.api("GET", `/api/v2/tickets/${tk1}/macros/${m.id}/apply.json`, undefined, agent1));
    expect(r.result.changed_fields.sort()).toEqual(["assignee_id", "comment", "custom_fields", "status", "tags"]);
    expect(r.result.ticket).toMatchObject({ id: tk1, status: "solved", assignee_id: agent1.id, tags: ["vip", "fixed"], subject: "Card declined" });
    expect(r.result.ticket.custom_fields).toContainEqual({ id: field, value: "R-2" });
    expect(Object.keys(r.result.ticket).sort()).toEqual(Object.keys(before).sort());
    expect(r.result.comment.body).toBe(`Hi Eve, Card declined is fixed.\n\n— Al (Tier 1) ${a.origin}/agent/tickets/${tk1} <b>`);
    expect(r.result.comment.html_body).toBe(`<p>Hi Eve, Card declined is fixed.</p><p>— Al (Tier 1) ${a.origin}/agent/tickets/${tk1} &lt;b&gt;</p>`);
    expect(r.result.comment.public).toBe(true);
    const after = (await ok(a.api("GET", `/api/v2/tickets/${tk1}.json`))).ticket;
    expect(after).toEqual(before);
  });

  it("sets tags and renders the subject", async () => {
    const s = (await ok(create({ title: "Subject", actions: [{ field: "set_tags", value: "x y" }, { field: "subject", value: "[{{ticket.status}}] {{ticket.title}}" }] }), 201)).macro;
    const r = await ok(a.api("GET", `/api/v2/tickets/${tk1}/macros/${s.id}/apply.json`));
    expect(r.result.ticket.tags).toEqual(["x", "y"]);
    expect(r.result.ticket.subject).toBe("[new] Card declined");
    expect(r.result.changed_fields).toEqual(["tags", "subject"]);
    expect(r.result.comment).toBeUndefined();
    await ok(a.api("DELETE", `/api/v2/macros/${s.id}.json`), 204);
  });

  it("makes a light agent's reply internal whatever the macro says, and gives them the reply alone (the update would refuse the rest)", async () => {
    const before = (await ok(a.api("GET", `/api/v2/tickets/${tk1}.json`))).ticket;
    const r = await ok(a.api("GET", `/api/v2/tickets/${tk1}/macros/${m.id}/apply.json`, undefined, light));
    expect(r.result.comment.public).toBe(false);
    expect(r.result.changed_fields).toEqual(["comment"]);
    expect([r.result.ticket.status, r.result.ticket.assignee_id, r.result.ticket.tags]).toEqual([before.status, before.assignee_id, before.tags]);
    expect((await ok(a.api("GET", `/api/v2/macros/${m.id}/apply.json`, undefined, light))).result.comment.public).toBe(false);
  });

  it("answers 404 for a ticket outside a restricted agent's access, and for a missing one", async () => {
    await ok(a.api("GET", `/api/v2/tickets/${tk2}/macros/${m.id}/apply.json`, undefined, scoped), 404);
    await ok(a.api("GET", `/api/v2/tickets/999999/macros/${m.id}/apply.json`), 404);
    await ok(b.api("GET", `/api/v2/tickets/${tk1}/macros/${m.id}/apply.json`), 404);
    const own = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Tier 2", comment: { body: "x" }, group_id: g2 } }), 201)).ticket.id;
    await ok(a.api("GET", `/api/v2/tickets/${own}/macros/${m.id}/apply.json`, undefined, scoped));
  });

  it("lets a tickets:read token read and apply, never write", async () => {
    await ok(a.api("GET", "/api/v2/macros.json", undefined, reader));
    await ok(a.api("GET", `/api/v2/macros/${m.id}.json`, undefined, reader));
    await ok(a.api("GET", `/api/v2/tickets/${tk1}/macros/${m.id}/apply.json`, undefined, reader));
    await ok(a.api("GET", `/api/v2/macros/${m.id}/apply.json`, undefined, reader));
    await ok(a.api("POST", "/api/v2/macros.json", { macro: { title: "x", actions: close } }, reader), 403);
    await ok(a.api("PUT", `/api/v2/macros/${m.id}.json`, { macro: { title: "x" } }, reader), 403);
    await ok(a.api("DELETE", `/api/v2/macros/${m.id}.json`, undefined, reader), 403);
  });
});

describe("erasure and limits", () => {
  it("deletes a person's personal macros when they are erased; shared ones they made stay", async () => {
    const gone = await buildUser(t, a, "admin", "Gone Person");
    const who = as(gone);
    await ok(create({ title: "Personal", actions: close }, who), 201);
    const shared = (await ok(create({ title: "Shared stays", restriction: null, actions: close }, who), 201)).macro;
    await ok(a.api("DELETE", `/api/v2/users/${gone.id}.json`));
    const receipt = await ok(a.api("DELETE", `/api/v2/deleted_users/${gone.id}.json`));
    expect(JSON.stringify(receipt)).toContain('"personal_macros":1');
    const left = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM macros m JOIN users u ON u.tenant_id = m.tenant_id AND u.id = m.user_id WHERE u.nice_id = ${gone.id}`.execute(tx.db)).rows[0]!.n);
    expect(Number(left)).toBe(0);
    await ok(a.api("GET", `/api/v2/macros/${shared.id}.json`));
    await ok(a.api("DELETE", `/api/v2/macros/${shared.id}.json`), 204);
  });

  it("keeps a person within the personal limit, also for creates sent at once", async () => {
    const fill = (n: number) =>
      t.db.tenant(a.tenantId, async (tx) => {
        const user = (await sql<{ id: string }>`SELECT id FROM users WHERE nice_id = ${agent2.id}`.execute(tx.db)).rows[0]!.id;
        await sql`INSERT INTO macros (tenant_id, id, nice_id, created_by, user_id, title_sealed, actions_sealed, position)
          SELECT ${a.tenantId}, gen_random_uuid(), vd_next_id('macros'), ${user}, ${user}, '\\x00'::bytea, '\\x00'::bytea, 0 FROM generate_series(1, ${n})`.execute(tx.db);
      });
    const clear = () => t.db.tenant(a.tenantId, (tx) => sql`DELETE FROM macros WHERE title_sealed = '\\x00'::bytea`.execute(tx.db));
    try {
      await fill(500);
      const r = await create({ title: "One too many", actions: close }, agent2);
      expect(r.status, r.text).toBe(422);
      expect(r.body.details.restriction[0].error).toBe("TooMany");
      await clear();
      await fill(495);
      const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => create({ title: `At once ${i}`, actions: close }, agent2)));
      expect(burst.filter((x) => x.status === 201)).toHaveLength(5);
      expect(burst.every((x) => x.status === 201 || x.status === 422)).toBe(true);
    } finally {
      await clear();
      await t.db.tenant(a.tenantId, (tx) => sql`DELETE FROM macros WHERE user_id = (SELECT id FROM users WHERE nice_id = ${agent2.id})`.execute(tx.db));
    }
  });
});
