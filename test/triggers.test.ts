import crypto from "node:crypto";
import { sql } from "kysely";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { jobsSettled } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Triggers (docs/api.md, "Triggers"), over real HTTP: the admin API (who may, every refusal with
 * nothing written, order, definitions, another tenant) and the engine that runs them after each
 * ticket write (each condition and action kind, the cycle, once per update, no recursion, skipped
 * actions, the mail they queue and where it may not go).
 */

type As = { email: string; token: string };
type Cond = { field: string; operator: string; value?: unknown };

let t: TestApp;
let smtp: SmtpPeer;
let a: TestTenant;
let b: TestTenant;
let admin: As & { id: number };
let agent: As & { id: number };
let g1: number;
let g2: number;

async function ok<T = any>(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const triggerCount = (tenant: TestTenant) => t.db.tenant(tenant.tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM triggers`.execute(tx.db)).rows[0]!.n));
const create = (trigger: Record<string, unknown>, who?: As) => a.api("POST", "/api/v2/triggers.json", { trigger }, who);
const all = (...c: Cond[]) => ({ all: c });
const never: Cond = { field: "current_tags", operator: "includes", value: "never_set_here" };

beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
  a = await buildTenant(t, "triggers");
  b = await buildTenant(t, "triggersb");
  const mk = async (role: "admin" | "agent", name: string) => {
    const u = await buildUser(t, a, role, name);
    return { email: u.email, token: u.token!, id: u.id };
  };
  admin = await mk("admin", "Ada Admin");
  agent = await mk("agent", "Al Agent");
  g1 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Billing" } }), 201)).group.id;
  g2 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 2" } }), 201)).group.id;
  await ok(a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: agent.id, group_id: g1 } }), 201);
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

describe("triggers API", () => {
  it("creates, shows, lists, updates and deletes, sealed at rest", async () => {
    const made = await ok(create({ title: "  Escalate  ", description: "urgent words", conditions: all({ field: "status", operator: "is", value: "new" }), actions: [{ field: "priority", value: "high" }] }, admin), 201);
    const tr = made.trigger;
    expect(tr).toMatchObject({ title: "Escalate", description: "urgent words", active: true, conditions: { all: [{ field: "status", operator: "is", value: "new" }], any: [] }, actions: [{ field: "priority", value: "high" }] });
    expect(tr.url).toMatch(new RegExp(`/api/v2/triggers/${tr.id}\\.json$`));
    expect((await ok(a.api("GET", `/api/v2/triggers/${tr.id}.json`))).trigger).toEqual(tr);
    const raw = await t.db.tenant(a.tenantId, async (tx) => (await sql<Record<string, unknown>>`SELECT * FROM triggers WHERE nice_id = ${tr.id}`.execute(tx.db)).rows[0]!);
    expect(Buffer.from(raw.title_sealed as Uint8Array).toString("latin1")).not.toContain("Escalate");
    expect(Buffer.from(raw.conditions_sealed as Uint8Array).toString("latin1")).not.toContain("status");
    const changed = await ok(a.api("PUT", `/api/v2/triggers/${tr.id}.json`, { trigger: { active: false, description: null } }));
    expect(changed.trigger).toMatchObject({ active: false, description: null, title: "Escalate" });
    expect((await ok(a.api("GET", "/api/v2/triggers.json?active=false"))).triggers.map((x: any) => x.id)).toContain(tr.id);
    expect((await ok(a.api("GET", "/api/v2/triggers/active.json"))).triggers.map((x: any) => x.id)).not.toContain(tr.id);
    await ok(a.api("DELETE", `/api/v2/triggers/${tr.id}.json`), 204);
    expect((await a.api("GET", `/api/v2/triggers/${tr.id}.json`)).status).toBe(404);
  });

  it("is for owners and admins only", async () => {
    expect((await create({ title: "x", conditions: all(never), actions: [{ field: "priority", value: "low" }] }, agent)).status).toBe(403);
    expect((await a.api("GET", "/api/v2/triggers.json", undefined, agent)).status).toBe(403);
    expect((await a.api("GET", "/api/v2/triggers/definitions.json", undefined, agent)).status).toBe(403);
  });

  it("refuses bad input with 422 naming the place, writing nothing", async () => {
    const before = await triggerCount(a);
    const bad = async (trigger: Record<string, unknown>, key: string) => {
      const r = await create(trigger);
      expect(r.status, r.text).toBe(422);
      expect(Object.keys(r.body.details ?? {}), r.text).toContain(key);
    };
    const act = [{ field: "priority", value: "low" }];
    await bad({ title: "x", conditions: { all: [never, never, { field: "status", operator: "is", value: "nope" }] }, actions: act }, "conditions.all[2]");
    await bad({ title: "x", conditions: { any: [{ field: "bogus", operator: "is", value: "1" }] }, actions: act }, "conditions.any[0]");
    await bad({ title: "x", conditions: all({ field: "status", operator: "includes", value: "new" }), actions: act }, "conditions.all[0]");
    await bad({ title: "x", conditions: all({ field: "group_id", operator: "is", value: 999 }), actions: act }, "conditions.all[0]");
    await bad({ title: "x", conditions: all(never), actions: [{ field: "priority", value: "low" }, { field: "group_id", value: "999" }] }, "actions[1]");
    await bad({ title: "x", conditions: all(never), actions: [{ field: "comment_value", value: "hi" }] }, "actions[0]");
    await bad({ title: "x", conditions: all(never), actions: [{ field: "notification_user", value: ["requester_id", "Hi {% include 'x' %}", "b"] }] }, "actions[0]");
    await bad({ title: "x", conditions: all(never), actions: [{ field: "notification_group", value: [999, "s", "b"] }] }, "actions[0]");
    await bad({ title: "x", conditions: all(never), actions: [{ field: "notification_user", value: "requester_id" }] }, "actions[0]");
    await bad({ title: "x", conditions: { all: [] }, actions: act }, "conditions");
    await bad({ title: "x", conditions: all(never), actions: [] }, "actions");
    await bad({ title: " ", conditions: all(never), actions: act }, "title");
    await bad({ title: "x", conditions: { all: Array.from({ length: 51 }, () => never) }, actions: act }, "conditions.all");
    await bad({ title: "x", conditions: all(never), actions: Array.from({ length: 31 }, () => ({ field: "priority", value: "low" })) }, "actions");
    expect(await triggerCount(a)).toBe(before);
  });

  it("reorders: every trigger once, else 422; positions 1..n", async () => {
    const ids: number[] = [];
    for (const title of ["R1", "R2", "R3"]) ids.push((await ok(create({ title, conditions: all(never), actions: [{ field: "priority", value: "low" }] }), 201)).trigger.id);
    const current = (await ok(a.api("GET", "/api/v2/triggers.json"))).triggers.map((x: any) => x.id) as number[];
    expect((await a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: current.slice(1) })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: [...current, current[0]] })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: [...current.slice(1), 99999] })).status).toBe(422);
    const reversed = [...current].reverse();
    const r = await ok(a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: reversed }));
    expect(r.triggers.map((x: any) => [x.id, x.position])).toEqual(reversed.map((id, i) => [id, i + 1]));
    expect((await ok(a.api("GET", "/api/v2/triggers.json"))).triggers.map((x: any) => x.id)).toEqual(reversed);
    expect((await ok(a.api("GET", "/api/v2/triggers.json?sort_by=title&sort_order=desc&per_page=2"))).triggers.map((x: any) => x.title)).toEqual(["R3", "R2"]);
    for (const id of ids) await ok(a.api("DELETE", `/api/v2/triggers/${id}.json`), 204);
  });

  it("gives definitions with the account's groups and agents", async () => {
    const d = (await ok(a.api("GET", "/api/v2/triggers/definitions.json"))).definitions;
    const group = d.conditions_all.find((x: any) => x.subject === "group_id");
    expect(group.values.map((v: any) => v.title)).toEqual(expect.arrayContaining(["Billing", "Tier 2"]));
    const assignee = d.actions.find((x: any) => x.subject === "assignee_id");
    expect(assignee.values.map((v: any) => v.title)).toContain("Al Agent");
    expect(d.conditions_any.find((x: any) => x.subject === "status").operators.map((o: any) => o.value)).toContain("value_previous");
    expect(d.actions.map((x: any) => x.subject)).toEqual(expect.arrayContaining(["notification_user", "notification_group", "set_tags"]));
  });

  it("answers another tenant's id as a missing one, and looks ids up inside the tenant", async () => {
    const id = (await ok(create({ title: "Mine", conditions: all(never), actions: [{ field: "priority", value: "low" }] }), 201)).trigger.id;
    const foreign = await b.api("GET", `/api/v2/triggers/${id}.json`);
    const missing = await b.api("GET", `/api/v2/triggers/999999.json`);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    expect((await b.api("DELETE", `/api/v2/triggers/${id}.json`)).status).toBe(404);
    // A's group id in B's trigger: unknown there.
    const r = await b.api("POST", "/api/v2/triggers.json", { trigger: { title: "x", conditions: all({ field: "group_id", operator: "is", value: g2 }), actions: [{ field: "group_id", value: String(g2) }] } });
    expect(r.status).toBe(422);
    expect(await triggerCount(b)).toBe(0);
    await ok(a.api("DELETE", `/api/v2/triggers/${id}.json`), 204);
  });
});

// ---- the engine

const tagAdd = (tag: string): Action[] => [{ field: "current_tags", value: tag }];
type Action = { field: string; value: unknown };
async function trig(x: TestTenant, title: string, conditions: { all?: Cond[]; any?: Cond[] }, actions: Action[]): Promise<number> {
  return (await ok(x.api("POST", "/api/v2/triggers.json", { trigger: { title, conditions, actions } }), 201)).trigger.id;
}
const tagsOf = async (x: TestTenant, id: number): Promise<string[]> => (await ok(x.api("GET", `/api/v2/tickets/${id}.json`))).ticket.tags;
/** The `c_` tags an update added (triggers each add their own). */
async function added(x: TestTenant, id: number, write: () => Promise<unknown>): Promise<string[]> {
  const before = await tagsOf(x, id);
  await write();
  return (await tagsOf(x, id)).filter((g) => g.startsWith("c_") && !before.includes(g)).sort();
}

describe("the trigger engine: each condition", () => {
  let e: TestTenant;
  let me: number;
  let eg1: number;
  let eg2: number;
  let req: { id: number; email: string };
  let org: number;
  let cf: number;
  beforeAll(async () => {
    e = await buildTenant(t, "trigcond");
    me = (await ok(e.api("GET", "/api/v2/users/me.json"))).user.id;
    eg1 = (await ok(e.api("POST", "/api/v2/groups.json", { group: { name: "One" } }), 201)).group.id;
    eg2 = (await ok(e.api("POST", "/api/v2/groups.json", { group: { name: "Two" } }), 201)).group.id;
    org = (await ok(e.api("POST", "/api/v2/organizations.json", { organization: { name: "Acme" } }), 201)).organization.id;
    const email = `req-${crypto.randomBytes(3).toString("hex")}@${e.subdomain}.test`;
    req = { id: (await ok(e.api("POST", "/api/v2/users.json", { user: { name: "Rita Requester", email, organization_id: org } }), 201)).user.id, email };
    cf = (await ok(e.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Order" } }), 201)).ticket_field.id;
    const list: Array<[string, Cond]> = [
      ["c_create", { field: "update_type", operator: "is", value: "Create" }],
      ["c_change", { field: "update_type", operator: "is", value: "Change" }],
      ["c_status_lt", { field: "status", operator: "less_than", value: "pending" }],
      ["c_solved_to", { field: "status", operator: "value", value: "solved" }],
      ["c_from_new", { field: "status", operator: "value_previous", value: "new" }],
      ["c_status_nc", { field: "status", operator: "not_changed" }],
      ["c_prio_high", { field: "priority", operator: "greater_than", value: "normal" }],
      ["c_prio_changed", { field: "priority", operator: "changed" }],
      ["c_incident", { field: "type", operator: "is", value: "incident" }],
      ["c_mine", { field: "assignee_id", operator: "is", value: "current_user" }],
      ["c_to_g2", { field: "group_id", operator: "value", value: eg2 }],
      ["c_req", { field: "requester_id", operator: "is", value: req.id }],
      ["c_org", { field: "organization_id", operator: "is", value: org }],
      ["c_vip", { field: "current_tags", operator: "includes", value: "vip gold" }],
      ["c_pub", { field: "comment_is_public", operator: "is", value: "true" }],
      ["c_priv", { field: "comment_is_public", operator: "is", value: "false" }],
      ["c_refund", { field: "comment_includes_word", operator: "includes", value: "REFUND chargeback" }],
      ["c_api", { field: "via", operator: "is", value: "api" }],
      ["c_enduser", { field: "role", operator: "is", value: "end_user" }],
      ["c_admin", { field: "role", operator: "is", value: "admin" }],
      ["c_cf", { field: `custom_fields_${cf}`, operator: "present" }],
    ];
    for (const [tag, c] of list) await trig(e, tag, { all: [c] }, tagAdd(tag));
  });

  it("on a create: every property changed from none, the comment, the channel and role", async () => {
    const r = await ok(e.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Card charged twice", priority: "high", type: "incident", tags: ["vip"], group_id: eg1, requester_id: req.id, custom_fields: [{ id: cf, value: "A-1" }], comment: { body: "Please ｒｅｆｕｎｄ now!" } } }), 201);
    const tags = (await tagsOf(e, r.ticket.id)).filter((g) => g.startsWith("c_")).sort();
    expect(tags).toEqual(["c_admin", "c_api", "c_cf", "c_create", "c_incident", "c_org", "c_prio_changed", "c_prio_high", "c_pub", "c_refund", "c_req", "c_status_lt", "c_vip"].sort());
  });

  it("on a change: changed to, changed from, current user, internal notes, whole words only", async () => {
    const id = (await ok(e.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", group_id: eg1, comment: { body: "hello" } } }), 201)).ticket.id;
    const got = await added(e, id, () => ok(e.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { assignee_id: me, group_id: eg2, comment: { body: "refunded already", public: false } } })));
    expect(got).toEqual(["c_change", "c_from_new", "c_mine", "c_priv", "c_to_g2"]);
    expect(await added(e, id, () => ok(e.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "a chargeback!" } } })))).toEqual(["c_refund", "c_status_nc"]); // c_pub: already added at the create
    expect(await added(e, id, () => ok(e.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "solved" } })))).toEqual(["c_solved_to"]);
  });

  it("sees an end user's request as the end user's", async () => {
    const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: e.host, body: { request: { subject: "Help", comment: { body: "It broke" }, requester: { name: "Ed User", email: `ed-${crypto.randomBytes(3).toString("hex")}@${e.subdomain}.test` } } } });
    expect(r.status, r.text).toBe(201);
    const tags = await tagsOf(e, r.body.request.id);
    expect(tags).toContain("c_enduser");
    expect(tags).not.toContain("c_admin");
  });
});

describe("the trigger engine: the cycle", () => {
  let c: TestTenant;
  let cg: number;
  let agentId: number;
  beforeAll(async () => {
    c = await buildTenant(t, "trigcycle");
    cg = (await ok(c.api("POST", "/api/v2/groups.json", { group: { name: "Doomed" } }), 201)).group.id;
    agentId = (await buildUser(t, c, "agent", "Soon Gone")).id;
    // Position order: the first one holds only after the second fired (the walk starts again from the top).
    await trig(c, "third", { all: [{ field: "current_tags", operator: "includes", value: "step2" }] }, tagAdd("step3"));
    await trig(c, "first", { all: [{ field: "update_type", operator: "is", value: "Create" }, { field: "current_tags", operator: "includes", value: "cycle" }] }, tagAdd("step2"));
    // Each would undo the other for ever: each fires once.
    await trig(c, "to low", { all: [{ field: "current_tags", operator: "includes", value: "cycle" }, { field: "priority", operator: "is_not", value: "low" }] }, [{ field: "priority", value: "low" }, { field: "current_tags", value: "low_fired" }]);
    await trig(c, "to high", { all: [{ field: "current_tags", operator: "includes", value: "cycle" }, { field: "priority", operator: "is", value: "low" }] }, [{ field: "priority", value: "high" }]);
    // A trigger's own write runs no trigger: this one never sees the engine's change.
    await trig(c, "on change", { all: [{ field: "update_type", operator: "is", value: "Change" }, { field: "current_tags", operator: "includes", value: "cycle" }] }, tagAdd("was_changed"));
    // Actions that can no longer apply are skipped; the rest applies.
    await trig(c, "stale", { all: [{ field: "current_tags", operator: "includes", value: "stale" }] }, [{ field: "group_id", value: String(cg) }, { field: "assignee_id", value: String(agentId) }, { field: "current_tags", value: "stale_ran" }]);
  });

  it("restarts from the top, fires each trigger once, and writes once as the trigger", async () => {
    const r = await ok(c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "cycle", tags: ["cycle"], comment: { body: "go" } } }), 201);
    const ticket = (await ok(c.api("GET", `/api/v2/tickets/${r.ticket.id}.json`))).ticket;
    expect(ticket.tags.sort()).toEqual(["cycle", "low_fired", "step2", "step3"]);
    // The write's own answer shows the ticket as the triggers left it.
    expect({ ...r.ticket, tags: [...r.ticket.tags].sort() }).toEqual({ ...ticket, tags: ticket.tags });
    expect(ticket.priority).toBe("high");
    const audits = (await ok(c.api("GET", `/api/v2/tickets/${r.ticket.id}/audits.json`))).audits;
    expect(audits).toHaveLength(2);
    const rule = audits[1];
    expect(rule.via.channel).toBe("rule");
    expect(rule.via.source.rel).toBe("trigger");
    expect(["first", "third", "to low", "to high"]).toContain(rule.via.source.from.title);
    expect(rule.events.find((x: any) => x.field_name === "priority")).toMatchObject({ value: "high", previous_value: null, rule: { title: "to high" } });
    // An update by a person runs them again (this time as a change).
    const put = await ok(c.api("PUT", `/api/v2/tickets/${r.ticket.id}.json`, { ticket: { comment: { body: "again", public: false } } }));
    expect(await tagsOf(c, r.ticket.id)).toContain("was_changed");
    expect(put.ticket.tags).toContain("was_changed");
  });

  it("skips actions that no longer apply, never failing the customer's write", async () => {
    await ok(c.api("DELETE", `/api/v2/groups/${cg}.json`), 204);
    await ok(c.api("PUT", `/api/v2/users/${agentId}.json`, { user: { role: "end-user" } }));
    const r = await c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "stale", tags: ["stale"], comment: { body: "x" } } });
    expect(r.status, r.text).toBe(201);
    const ticket = (await ok(c.api("GET", `/api/v2/tickets/${r.body.ticket.id}.json`))).ticket;
    expect(ticket.tags).toContain("stale_ran");
    expect(ticket.group_id).toBeNull();
    expect(ticket.assignee_id).toBeNull();
  });

  it("runs nothing that is inactive", async () => {
    const list = (await ok(c.api("GET", "/api/v2/triggers.json"))).triggers as Array<{ id: number }>;
    for (const x of list) await ok(c.api("PUT", `/api/v2/triggers/${x.id}.json`, { trigger: { active: false } }));
    const r = await ok(c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "cycle", tags: ["cycle"], comment: { body: "go" } } }), 201);
    expect(await tagsOf(c, r.ticket.id)).toEqual(["cycle"]);
  });
});

describe("the trigger engine: mail", () => {
  let m: TestTenant;
  let mg: number;
  let agentEmail: string;
  const customer = () => `c-${crypto.randomBytes(3).toString("hex")}@${m.subdomain}.test`;
  async function mailTo(to: string, since: number): Promise<ParsedMail[]> {
    await jobsSettled(t, m.tenantId);
    const recipients = (x: ParsedMail) => (Array.isArray(x.to) ? x.to : x.to ? [x.to] : []).flatMap((y) => y.value.map((v) => (v.address ?? "").toLowerCase()));
    return smtp.messages.slice(since).filter((x) => recipients(x).includes(to.toLowerCase()));
  }
  const ticketFor = async (email: string, body: string, isPublic = true) =>
    (await ok(m.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Parcel 4111 1111 1111 1111 late", tags: ["mailme"], comment: { body, public: isPublic }, requester: { name: "Rob Buyer", email } } }), 201)).ticket.id as number;
  beforeAll(async () => {
    m = await buildTenant(t, "trigmail");
    mg = (await ok(m.api("POST", "/api/v2/groups.json", { group: { name: "Desk" } }), 201)).group.id;
    const agent = await buildUser(t, m, "agent", "Mia Agent");
    agentEmail = agent.email;
    await ok(m.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: agent.id, group_id: mg } }), 201);
    await trig(m, "mail them", { all: [{ field: "current_tags", operator: "includes", value: "mailme" }] }, [
      { field: "notification_user", value: ["requester_id", "TRIG {{ticket.title}}", "Latest: {{ticket.latest_comment}} / {{ticket.status}}"] },
      { field: "notification_group", value: [String(mg), "TRIG group {{ticket.id}}", "Staff: {{ticket.latest_comment}}"] },
    ]);
  });
  const trigMails = (list: ParsedMail[]) => list.filter((x) => (x.subject ?? "").startsWith("TRIG"));

  it("mails the requester the public comment only (masked), and the group's members any", async () => {
    const email = customer();
    let since = smtp.messages.length;
    const id = await ticketFor(email, "Your parcel ships today.");
    const mine = trigMails(await mailTo(email, since));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.subject).toContain("TRIG Parcel");
    expect(mine[0]!.subject).not.toContain("4111 1111 1111 1111");
    expect(mine[0]!.text).toContain("Latest: Your parcel ships today. / new");
    expect(trigMails(await mailTo(agentEmail, since))).toHaveLength(1);
    since = smtp.messages.length;
    await ok(m.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Internal: customer is on the watch list", public: false } } }));
    const again = trigMails(await mailTo(email, since));
    expect(again).toHaveLength(1);
    expect(again[0]!.text).toContain("Your parcel ships today.");
    expect(again[0]!.text).not.toContain("watch list");
    expect(trigMails(await mailTo(agentEmail, since))[0]!.text).toContain("watch list");
  });

  it("writes no end user about a ticket they cannot see, nor when the account's settings or a restriction say no", async () => {
    let email = customer();
    let since = smtp.messages.length;
    await ticketFor(email, "Opened by phone", false);
    expect(trigMails(await mailTo(email, since))).toEqual([]);
    await ok(m.api("PUT", "/api/v2/notification_settings.json", { settings: { public_reply: false } }));
    email = customer();
    since = smtp.messages.length;
    await ticketFor(email, "Hello");
    expect(trigMails(await mailTo(email, since))).toEqual([]);
    await ok(m.api("PUT", "/api/v2/notification_settings.json", { settings: { public_reply: true, content_free: true } }));
    email = customer();
    since = smtp.messages.length;
    const id = await ticketFor(email, "Secret words");
    const free = await mailTo(email, since);
    expect(free.length).toBeGreaterThan(0);
    expect(trigMails(free)).toEqual([]);
    expect(JSON.stringify(free.map((x) => [x.subject, x.text]))).not.toContain("Secret words");
    expect(JSON.stringify(free.map((x) => [x.subject, x.text]))).not.toContain("Parcel");
    await ok(m.api("PUT", "/api/v2/notification_settings.json", { settings: { content_free: false } }));
    const requester = (await ok(m.api("GET", `/api/v2/tickets/${id}.json`))).ticket.requester_id;
    await ok(m.api("PUT", `/api/v2/users/${requester}/restriction.json`, { restriction: { restricted: true, reason: "Objected" } }));
    since = smtp.messages.length;
    await ok(m.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Another reply" } } }));
    expect(await mailTo(email, since)).toEqual([]);
  });
});
