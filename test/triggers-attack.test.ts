import crypto from "node:crypto";
import { sql } from "kysely";
import { Liquid } from "liquidjs";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, endUserWithPassword, jobsSettled, staffWithPassword, type Session } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";
import { RENDER_BUDGET_MS, RENDER_LIMIT_MS } from "../src/modules/macros/macros-render.ts";
import { RULE_MAILS_PER_WRITE } from "../src/modules/tickets/notifications-service.ts";
import { hasWord, wordsOf } from "../src/modules/triggers/triggers-engine.ts";

/**
 * Triggers under attack, over real HTTP: other tenants' ids in conditions, actions and
 * recipients, people and tokens below admin, junk bodies (4xx, never 500, nothing written), the
 * engine's cost (comment words, mail) bounded whatever an admin stores, escalation through the
 * engine, and what a trigger's mail may carry to an end user.
 */

type As = { email: string; token: string };
type R = { status: number; text: string; body: any };
type Cond = { field: string; operator: string; value?: unknown };

let t: TestApp;
let smtp: SmtpPeer;
let a: TestTenant;
let b: TestTenant;
let admin: As & { id: number };
let agent: As & { id: number };
let light: As & { id: number };
let endUser: { id: number; email: string; session: Session };
let g1: number;
let bGroup: number;
let bUser: number;
let bTrigger: number;
let bField: number;

async function ok(r: Promise<R>, status = 200): Promise<any> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body;
}
const count = (tenantId: string) => t.db.tenant(tenantId, async (tx) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM triggers`.execute(tx.db)).rows[0]!.n));
const create = (trigger: Record<string, unknown>, who?: As) => a.api("POST", "/api/v2/triggers.json", { trigger }, who);
const tag = (x: string) => [{ field: "current_tags", value: x }];
const when = (x: string): { all: Cond[] } => ({ all: [{ field: "current_tags", operator: "includes", value: x }] });

beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
  a = await buildTenant(t, "trigatk");
  b = await buildTenant(t, "trigatkb");
  const mk = async (role: "admin" | "agent" | "light-agent", name: string) => {
    const u = await buildUser(t, a, role, name);
    return { email: u.email, token: u.token!, id: u.id };
  };
  admin = await mk("admin", "Ada Admin");
  agent = await mk("agent", "Al Agent");
  light = await mk("light-agent", "Lee Light");
  await ok(a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } }));
  endUser = await endUserWithPassword(t, a, "Eve Customer");
  g1 = (await ok(a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 1" } }), 201)).group.id;
  // B's ids beyond any of A's (ids are per tenant): each names something in B only.
  for (let i = 0; i < 4; i++) bGroup = (await ok(b.api("POST", "/api/v2/groups.json", { group: { name: `B group ${i}` } }), 201)).group.id;
  for (let i = 0; i < 10; i++) bUser = (await buildUser(t, b, "agent", `B Agent ${i}`)).id;
  for (let i = 0; i < 3; i++) bField = (await ok(b.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: `B field ${i}` } }), 201)).ticket_field.id;
  bTrigger = (await ok(b.api("POST", "/api/v2/triggers.json", { trigger: { title: "B's", conditions: when("b_only"), actions: tag("b_fired") } }), 201)).trigger.id;
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

describe("ids that are not the caller's", () => {
  it("answers another tenant's trigger id as a missing one on every route, touching nothing", async () => {
    const missing = await a.api("GET", "/api/v2/triggers/999999.json");
    for (const [m, body] of [["GET", undefined], ["PUT", { trigger: { title: "mine now" } }], ["DELETE", undefined]] as const) {
      const r = await a.api(m, `/api/v2/triggers/${bTrigger}.json`, body);
      expect(r.status, `${m} ${r.text}`).toBe(404);
      expect(r.body).toEqual(missing.body);
    }
    expect((await a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: [bTrigger] })).status).toBe(422);
    expect((await ok(b.api("GET", `/api/v2/triggers/${bTrigger}.json`))).trigger.title).toBe("B's");
  });

  it("refuses another tenant's groups, people and fields in conditions, actions and recipients (422), writing nothing", async () => {
    expect((await a.api("GET", `/api/v2/groups/${bGroup}.json`)).status).toBe(404);
    expect((await a.api("GET", `/api/v2/users/${bUser}.json`)).status).toBe(404);
    expect((await a.api("GET", `/api/v2/ticket_fields/${bField}.json`)).status).toBe(404);
    const before = await count(a.tenantId);
    const cases: Array<Record<string, unknown>> = [
      { conditions: { all: [{ field: "group_id", operator: "is", value: String(bGroup) }] }, actions: tag("x") },
      { conditions: { all: [{ field: "assignee_id", operator: "is", value: String(bUser) }] }, actions: tag("x") },
      { conditions: { all: [{ field: "requester_id", operator: "is", value: String(bUser) }] }, actions: tag("x") },
      { conditions: { all: [{ field: `custom_fields_${bField}`, operator: "present" }] }, actions: tag("x") },
      { conditions: when("x"), actions: [{ field: "group_id", value: String(bGroup) }] },
      { conditions: when("x"), actions: [{ field: "assignee_id", value: String(bUser) }] },
      { conditions: when("x"), actions: [{ field: `custom_fields_${bField}`, value: "v" }] },
      { conditions: when("x"), actions: [{ field: "notification_user", value: [String(bUser), "s", "b"] }] },
      { conditions: when("x"), actions: [{ field: "notification_group", value: [String(bGroup), "s", "b"] }] },
      // An end user of the account is no staff recipient either.
      { conditions: when("x"), actions: [{ field: "notification_user", value: [String(endUser.id), "s", "b"] }] },
    ];
    for (const c of cases) {
      const r = await create({ title: "cross", ...c });
      expect(r.status, JSON.stringify(c)).toBe(422);
      expect(r.body.details, r.text).toBeTruthy();
    }
    expect(await count(a.tenantId)).toBe(before);
  });
});

describe("who may", () => {
  it("keeps agents, light agents, end users and narrow tokens out of every route", async () => {
    const mine = (await ok(create({ title: "admins'", conditions: when("never_x"), actions: tag("y") }, admin), 201)).trigger.id;
    const routes: Array<[string, string, unknown?]> = [
      ["GET", "/api/v2/triggers.json"],
      ["GET", "/api/v2/triggers/active.json"],
      ["GET", "/api/v2/triggers/definitions.json"],
      ["GET", `/api/v2/triggers/${mine}.json`],
      ["POST", "/api/v2/triggers.json", { trigger: { title: "agent's", conditions: when("z"), actions: tag("z") } }],
      ["PUT", `/api/v2/triggers/${mine}.json`, { trigger: { title: "taken" } }],
      ["PUT", "/api/v2/triggers/reorder.json", { trigger_ids: [mine] }],
      ["DELETE", `/api/v2/triggers/${mine}.json`],
    ];
    for (const who of [agent, light]) for (const [m, p, body] of routes) expect((await a.api(m, p, body, who)).status, `${who.email} ${m} ${p}`).toBe(403);
    for (const [m, p, body] of routes) expect((await asSession(t, a, endUser.session, m, p, body)).status, `end user ${m} ${p}`).toBe(403);
    const tok = async (scopes: string[]) => ({ email: a.ownerEmail, token: (await ok(a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: scopes.join(" "), scopes } }), 201)).api_token.token as string });
    for (const scopes of [["tickets:read", "tickets:write"], ["users:read", "users:write"], ["read"]]) {
      const x = await tok(scopes);
      for (const [m, p, body] of routes) {
        if (scopes.includes("read") && m === "GET") continue;
        expect((await a.api(m, p, body, x)).status, `${scopes} ${m} ${p}`).toBe(403);
      }
    }
    // A session's write without its CSRF token is refused.
    const s = await staffWithPassword(t, a, "admin");
    const r = await t.request({ method: "POST", path: "/api/v2/triggers.json", host: a.host, headers: { cookie: s.session.cookie }, body: { trigger: { title: "csrf", conditions: when("z"), actions: tag("z") } } });
    expect(r.status).toBe(403);
    expect((await ok(a.api("GET", `/api/v2/triggers/${mine}.json`))).trigger.title).toBe("admins'");
    await ok(a.api("DELETE", `/api/v2/triggers/${mine}.json`), 204);
  });
});

describe("junk bodies", () => {
  it("answers 4xx with details, never 500, and writes nothing", async () => {
    const before = await count(a.tenantId);
    const bodies: unknown[] = [
      null, [], "x", { trigger: null }, { trigger: [] }, { trigger: { title: 5 } },
      { trigger: { title: "t", conditions: when("x"), actions: tag("x"), extra: 1 } },
      { trigger: { title: "t", conditions: { all: "status" }, actions: tag("x") } },
      { trigger: { title: "t", conditions: { all: [{ field: "__proto__", operator: "is", value: "x" }] }, actions: tag("x") } },
      { trigger: { title: "t", conditions: { all: [{ field: "constructor", operator: "is", value: "x" }] }, actions: tag("x") } },
      { trigger: { title: "t", conditions: { all: [{ field: "toString", operator: "is", value: "x" }] }, actions: tag("x") } },
      { trigger: { title: "t", conditions: { all: [{ field: "status", operator: "matches", value: ".*" }] }, actions: tag("x") } },
      { trigger: { title: "t", conditions: { all: [{ field: "status", operator: "is", value: { $ne: 1 } }] }, actions: tag("x") } },
      { trigger: { title: "t", conditions: { all: [{ field: "custom_fields_99999999999999999999999", operator: "present" }] }, actions: tag("x") } },
      { trigger: { title: "t", conditions: { all: [{ field: "group_id", operator: "is", value: "1e3" }] }, actions: tag("x") } },
      { trigger: { title: "t", conditions: { all: Array.from({ length: 51 }, () => ({ field: "status", operator: "is", value: "new" })) }, actions: tag("x") } },
      { trigger: { title: "t", conditions: { all: Array.from({ length: 5000 }, () => ({ field: "status", operator: "is", value: "new" })) }, actions: tag("x") } },
      { trigger: { title: "t", conditions: when("x"), actions: Array.from({ length: 31 }, (_, i) => ({ field: "current_tags", value: `t${i}` })) } },
      { trigger: { title: "t", conditions: when("x"), actions: [{ field: "__proto__", value: "x" }] } },
      { trigger: { title: "t", conditions: when("x"), actions: [{ field: "status", value: ["a", "b", "c"] }] } },
      { trigger: { title: "t", conditions: when("x"), actions: [{ field: "notification_user", value: "requester_id" }] } },
      { trigger: { title: "t", conditions: when("x"), actions: [{ field: "notification_user", value: ["requester_id", "", "b"] }] } },
      { trigger: { title: "t", conditions: when("x"), actions: [{ field: "notification_user", value: ["requester_id", "s", "{% include '/etc/passwd' %}"] }] } },
      { trigger: { title: "t", conditions: when("x"), actions: [{ field: "notification_user", value: ["requester_id", "s", "{% render 'x' %}"] }] } },
      { trigger: { title: "t", conditions: when("x"), actions: [{ field: "notification_user", value: ["requester_id", "s", "{% layout 'x' %}"] }] } },
      { trigger: { title: "t", conditions: when("x"), actions: [{ field: "notification_user", value: ["requester_id", "s", "{% if %}"] }] } },
      { trigger: { title: "t", conditions: when("x"), actions: [{ field: "notification_user", value: ["requester_id", "s\nBcc: x@evil.test", "b"] }] } },
      { trigger: { title: "t", conditions: when("x"), actions: tag("x"), position: -1 } },
      { trigger: { title: "t", conditions: when("x"), actions: tag("x"), position: 1.5 } },
      { trigger: { title: "t", conditions: { all: [{ field: "comment_includes_word", operator: "includes", value: "x".repeat(1001) }] }, actions: tag("x") } },
    ];
    for (const body of bodies) {
      const r = await t.request({ method: "POST", path: "/api/v2/triggers.json", host: a.host, headers: { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") }, body });
      expect(r.status, `${JSON.stringify(body).slice(0, 200)} ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text).toBeLessThan(500);
    }
    expect(await count(a.tenantId)).toBe(before);
  });

  it("refuses bad reorders (duplicates, missing, negative, strings, huge) with 4xx and keeps the order", async () => {
    const x = (await ok(create({ title: "r1", conditions: when("never_r"), actions: tag("r") }), 201)).trigger.id as number;
    const y = (await ok(create({ title: "r2", conditions: when("never_r"), actions: tag("r") }), 201)).trigger.id as number;
    const all = ((await ok(a.api("GET", "/api/v2/triggers.json?per_page=100"))).triggers as Array<{ id: number; position: number }>).map((z) => z.id);
    const before = (await ok(a.api("GET", "/api/v2/triggers.json?per_page=100"))).triggers.map((z: any) => [z.id, z.position]);
    for (const ids of [[...all, x], all.slice(1), [...all.slice(1), -1], all.map(String).concat("x"), Array.from({ length: 100_000 }, (_, i) => i), [x, x, y], null, "1,2"]) {
      const r = await a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: ids });
      expect(r.status, r.text).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text).toBeLessThan(500);
    }
    expect((await ok(a.api("GET", "/api/v2/triggers.json?per_page=100"))).triggers.map((z: any) => [z.id, z.position])).toEqual(before);
    // Concurrent reorders: each is whole, none fails with a 500.
    const rs = await Promise.all([a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: [...all].reverse() }), a.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: all })]);
    for (const r of rs) expect(r.status, r.text).toBeLessThan(500);
    const after = (await ok(a.api("GET", "/api/v2/triggers.json?per_page=100"))).triggers.map((z: any) => z.position);
    expect(after).toEqual(all.map((_, i) => i + 1));
    for (const id of [x, y]) await ok(a.api("DELETE", `/api/v2/triggers/${id}.json`), 204);
  });
});

describe("sealed and quiet", () => {
  it("keeps titles, conditions, actions and mail texts out of the database in clear", async () => {
    const secret = `Zanzibar${crypto.randomBytes(4).toString("hex")}`;
    const id = (await ok(create({ title: `T ${secret}`, description: `D ${secret}`, conditions: { all: [{ field: "comment_includes_word", operator: "includes", value: secret }] }, actions: [{ field: "notification_user", value: ["requester_id", `S ${secret}`, `B ${secret}`] }] }), 201)).trigger.id;
    const rows = await t.db.tenant(a.tenantId, async (tx) => (await sql<Record<string, unknown>>`SELECT * FROM triggers`.execute(tx.db)).rows);
    expect(JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v))).not.toContain(secret);
    const logs = await t.db.tenant(a.tenantId, async (tx) => (await sql<Record<string, unknown>>`SELECT * FROM audit_log`.execute(tx.db)).rows).catch(() => []);
    expect(JSON.stringify(logs)).not.toContain(secret);
    await ok(a.api("DELETE", `/api/v2/triggers/${id}.json`), 204);
  });
});

describe("the engine's cost", () => {
  it("matches comment words in bounded time however many words the triggers hold", async () => {
    const c = await buildTenant(t, "trigcost");
    // Each condition: hundreds of words that are not in the comment (so every condition holds and is read).
    const wordsList = Array.from({ length: 240 }, (_, i) => `w${i.toString(36)}`).join(" ");
    const conditions = { all: [...Array.from({ length: 49 }, () => ({ field: "comment_includes_word", operator: "not_includes", value: wordsList })), { field: "current_tags", operator: "includes", value: "never_here" }] };
    const body = "lorem ipsum dolor sit amet ".repeat(2400);
    // 20 of them (50 KB each) are about as many as the account's active triggers may hold (1 MB together).
    for (let i = 0; i < 20; i++) await ok(c.api("POST", "/api/v2/triggers.json", { trigger: { title: `heavy ${i}`, conditions, actions: tag("h") } }), 201);
    // 40 of the 500 an account may keep took 17 s a write when each word was a scan of the comment;
    // now a plain word is a lookup in the comment's words (how long it takes is for benchmarks, not
    // tests: the unit test below checks the lookup answers as the scan does). The write goes through.
    const r = await c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "slow?", comment: { body } } });
    expect(r.status, r.text).toBe(201);
    expect((await ok(c.api("GET", `/api/v2/tickets/${r.body.ticket.id}.json`))).ticket.tags).not.toContain("h");
  }, 120_000);

  it("answers each word as a whole-word scan of the comment would, plain words by lookup", () => {
    const comment = "Order #42 was CANCELLED; refund_now please. 注文キャンセル e-mail ﬁne café";
    const has = wordsOf(comment);
    for (const w of ["order", "42", "cancelled", "Cancelled", "refund_now", "refund", "please", "注文", "注文キャンセル", "e-mail", "mail", "#42", "fine", "CAFÉ", "caf", "", "was cancelled"]) {
      expect(has(w), w).toBe(w.trim() !== "" && hasWord(comment.normalize("NFKC").toLowerCase(), w));
    }
  });
});

describe("escalation through the engine", () => {
  it("never assigns an end user as current_user, and runs once for an end user's request", async () => {
    await ok(create({ title: "grab", conditions: { all: [{ field: "role", operator: "is", value: "end_user" }, { field: "comment_includes_word", operator: "includes", value: "eugrab" }] }, actions: [{ field: "assignee_id", value: "current_user" }, { field: "status", value: "solved" }, { field: "current_tags", value: "grab_fired" }] }), 201);
    const r = await ok(asSession(t, a, endUser.session, "POST", "/api/v2/requests.json", { request: { subject: "help", comment: { body: "please eugrab" } } }), 201);
    const id = r.request.id;
    const tk = (await ok(a.api("GET", `/api/v2/tickets/${id}.json`))).ticket;
    expect(tk.assignee_id).toBeNull();
    expect(tk.status).not.toBe("solved");
    expect(tk.tags).toContain("grab_fired");
    const audits = (await ok(a.api("GET", `/api/v2/tickets/${id}/audits.json`))).audits;
    expect(audits.filter((x: any) => x.via.channel === "rule")).toHaveLength(1);
  });
});

describe("mail", () => {
  const mailsTo = async (to: string, since: number): Promise<ParsedMail[]> => {
    await jobsSettled(t, a.tenantId);
    const rcpt = (x: ParsedMail) => (Array.isArray(x.to) ? x.to : x.to ? [x.to] : []).flatMap((y) => y.value.map((v) => (v.address ?? "").toLowerCase()));
    return smtp.messages.slice(since).filter((x) => rcpt(x).includes(to.toLowerCase()));
  };

  it("gives an end user no internal note, no other ticket, no object dump and no staff address", async () => {
    const email = `victim-${crypto.randomBytes(3).toString("hex")}@${a.subdomain}.test`;
    const body = "L={{ticket.latest_comment}}|A={{ticket.assignee.email}}|P={{ticket.constructor}}{{ticket.__proto__}}{{ticket.requester.constructor.name}}";
    const dump = "J={{ ticket | json }}|C={{ current_user | json }}";
    await ok(create({ title: "leak", conditions: when("leakme"), actions: [{ field: "notification_user", value: ["requester_id", "LEAK {{ticket.title}}", body] }, { field: "notification_group", value: [String(g1), "LEAK staff", "S={{ticket.latest_comment}}"] }] }), 201);
    await ok(create({ title: "dump", conditions: when("leakme"), actions: [{ field: "notification_user", value: ["requester_id", "LEAKDUMP", dump] }] }), 201);
    const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Leak test", assignee_id: agent.id, comment: { body: "Public hello" }, requester: { name: "Vic Tim", email } } }), 201)).ticket.id;
    const since = smtp.messages.length;
    await ok(a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { tags: ["leakme"], comment: { body: "INTERNAL-SECRET note", public: false } } }));
    const all = (await mailsTo(email, since)).filter((x) => (x.subject ?? "").startsWith("LEAK"));
    const mine = all.filter((x) => !(x.subject ?? "").startsWith("LEAKDUMP"));
    expect(mine).toHaveLength(1);
    const text = all.map((x) => x.text ?? "").join("\n");
    expect(text).not.toContain("[object");
    expect(text).toContain("L=Public hello");
    expect(text).not.toContain("INTERNAL-SECRET");
    expect(text).not.toContain(agent.email);
    expect(text).not.toContain("function");
  });

  it("bounds the mail one update may make however many triggers and actions ask for it", async () => {
    const c = await buildTenant(t, "trigflood");
    const email = `flood-${crypto.randomBytes(3).toString("hex")}@${c.subdomain}.test`;
    const notes = Array.from({ length: 30 }, (_, i) => ({ field: "notification_user", value: ["requester_id", `FLOOD ${i}`, `n${i}`] }));
    for (let i = 0; i < 10; i++) await ok(c.api("POST", "/api/v2/triggers.json", { trigger: { title: `flood ${i}`, conditions: when("flood"), actions: notes } }), 201);
    const since = smtp.messages.length;
    await ok(c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "flood", tags: ["flood"], comment: { body: "hi" }, requester: { name: "Fl Ood", email } } }), 201);
    await jobsSettled(t, c.tenantId);
    const queued = smtp.messages.slice(since).filter((x) => (x.subject ?? "").startsWith("FLOOD")).length;
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThanOrEqual(30);
  }, 60_000);
});

describe("the limit under concurrency", () => {
  it("keeps at most 500 triggers when many are sent at once, and reorders whole while others write", async () => {
    const c = await buildTenant(t, "triglimit");
    const make = (i: number) => c.api("POST", "/api/v2/triggers.json", { trigger: { title: `L${i}`, conditions: when("never_l"), actions: tag("l") } });
    for (let i = 0; i < 490; i += 10) {
      const rs = await Promise.all(Array.from({ length: 10 }, (_, j) => make(i + j)));
      for (const r of rs) expect(r.status, r.text).toBe(201);
    }
    const rs = await Promise.all(Array.from({ length: 25 }, (_, j) => make(1000 + j)));
    for (const r of rs) expect([201, 422], r.text).toContain(r.status);
    expect(rs.filter((r) => r.status === 201)).toHaveLength(10);
    expect(await count(c.tenantId)).toBe(500);
    const ids = ((await ok(c.api("GET", "/api/v2/triggers/active.json"))).triggers as Array<{ id: number }>).map((x) => x.id);
    const [re, del, re2] = await Promise.all([
      c.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: [...ids].reverse() }),
      c.api("DELETE", `/api/v2/triggers/${ids[0]}.json`),
      c.api("PUT", "/api/v2/triggers/reorder.json", { trigger_ids: ids }),
    ]);
    expect(del.status, del.text).toBe(204);
    for (const r of [re, re2]) expect([200, 422], r.text).toContain(r.status);
    const positions = ((await ok(c.api("GET", "/api/v2/triggers/active.json"))).triggers as Array<{ position: number }>).map((x) => x.position);
    expect(positions).toHaveLength(499);
    expect(new Set(positions).size).toBe(positions.length);
  }, 300_000);
});

describe("the anonymous form", () => {
  it("gives a trigger no way to relay a stranger's words to the address they typed", async () => {
    // The built-in acknowledgement of an unproven request carries none of the stranger's words
    // (notifications-service.ts, `unproven`); Zendesk's usual "request received" trigger must not
    // bring them back.
    const c = await buildTenant(t, "trigrelay");
    await ok(c.api("POST", "/api/v2/triggers.json", { trigger: { title: "received", conditions: { all: [{ field: "update_type", operator: "is", value: "Create" }] }, actions: [{ field: "notification_user", value: ["requester_id", "RELAY {{ticket.title}} {{current_user.name}}", "Hi {{ticket.requester.name}}: {{ticket.latest_comment}}"] }] } }), 201);
    const victim = `victim-${crypto.randomBytes(3).toString("hex")}@${c.subdomain}.test`;
    const since = smtp.messages.length;
    const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: c.host, headers: { "x-forwarded-for": "198.51.100.9" }, body: { request: { subject: "Account locked evil.example", comment: { body: "Confirm your password at https://evil.example/keep" }, requester: { name: "Lure evil.example", email: victim } } } });
    expect(r.status, r.text).toBe(201);
    await jobsSettled(t, c.tenantId);
    const rcpt = (x: ParsedMail) => (Array.isArray(x.to) ? x.to : x.to ? [x.to] : []).flatMap((y) => y.value.map((v) => (v.address ?? "").toLowerCase()));
    const mails = smtp.messages.slice(since).filter((x) => rcpt(x).includes(victim));
    expect(mails.length).toBeGreaterThan(0);
    for (const m of mails) expect(`${m.subject}\n${m.text}`).not.toContain("evil.example");
  });

  it("mails an address a stranger typed no more often with a trigger than the built-in acknowledgement does", async () => {
    // Each anonymous request naming the victim got the built-in acknowledgement (at most 20 an
    // address an hour) and, besides, every "request received" trigger's unproven mail, unbounded.
    const c = await buildTenant(t, "trigflood");
    await ok(c.api("POST", "/api/v2/triggers.json", { trigger: { title: "received", conditions: { all: [{ field: "update_type", operator: "is", value: "Create" }] }, actions: [{ field: "notification_user", value: ["requester_id", "Received", "We got it"] }] } }), 201);
    const victim = `flooded-${crypto.randomBytes(3).toString("hex")}@${c.subdomain}.test`;
    const since = smtp.messages.length;
    let made = 0;
    for (let i = 0; i < 30; i++) {
      const r = await t.request({ method: "POST", path: "/api/v2/requests.json", host: c.host, localAddress: `127.0.${1 + Math.floor(i / 10)}.${10 + i}`, body: { request: { subject: `Help ${i}`, comment: { body: "Please help." }, requester: { name: "Someone", email: victim } } } });
      if (r.status === 201) made++;
    }
    expect(made).toBeGreaterThan(20);
    await jobsSettled(t, c.tenantId);
    const rcpt = (x: ParsedMail) => (Array.isArray(x.to) ? x.to : x.to ? [x.to] : []).flatMap((y) => y.value.map((v) => (v.address ?? "").toLowerCase()));
    const mails = smtp.messages.slice(since).filter((x) => rcpt(x).includes(victim));
    expect(mails.length).toBeGreaterThan(0);
    expect(mails.length).toBeLessThanOrEqual(20);
  }, 120_000);
});

describe("mail that spins", () => {
  it("bounds the rendering one update may take, however many recipients and slow templates", async () => {
    const c = await buildTenant(t, "trigspin");
    const g = (await ok(c.api("POST", "/api/v2/groups.json", { group: { name: "Many" } }), 201)).group.id;
    for (let i = 0; i < 6; i++) {
      const u = await buildUser(t, c, "agent", `Spin ${i}`);
      await ok(c.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: u.id, group_id: g } }), 201);
    }
    // Loops nested to a million steps, within the memory limit (a range of 100,000,000 would pass it
    // and end the render at once): they spin until the time limit stops them.
    const spin = "{% for i in (1..999) %}{% for j in (1..999) %}{% endfor %}{% endfor %}";
    const actions = Array.from({ length: 30 }, (_, i) => ({ field: "notification_group", value: [String(g), `SPIN ${i} ${spin}`, `${i} ${spin}`] }));
    await ok(c.api("POST", "/api/v2/triggers.json", { trigger: { title: "spin", conditions: when("spin"), actions } }), 201);
    // Every Liquid render the write takes (each may spin for its whole limit), counted and timed.
    const original = Liquid.prototype.parseAndRenderSync;
    let spent = 0;
    const renders = vi.spyOn(Liquid.prototype, "parseAndRenderSync").mockImplementation(function (this: Liquid, ...args: Parameters<Liquid["parseAndRenderSync"]>) {
      const start = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        spent += performance.now() - start;
      }
    });
    try {
      const r = await c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "spin", tags: ["spin"], comment: { body: "x" } } });
      expect(r.status, r.text).toBe(201);
      // 30 actions × 6 people × 2 texts (360 renders of their whole limit each) was 18 s of a
      // blocked process: at most RULE_MAILS_PER_WRITE mails a write, each 2 renders, and all the
      // write's renders within RENDER_BUDGET_MS together (and the last one's overrun: liquidjs
      // reads the clock between a template's steps).
      expect(renders.mock.calls.length).toBeGreaterThan(0);
      expect(renders.mock.calls.length).toBeLessThanOrEqual(2 * RULE_MAILS_PER_WRITE);
      expect(renders.mock.calls.length).toBeLessThan(2 * RULE_MAILS_PER_WRITE);
      expect(spent).toBeLessThan(RENDER_BUDGET_MS + RENDER_LIMIT_MS);
    } finally {
      renders.mockRestore();
    }
  }, 120_000);

  it("keeps the active triggers of an account within 1 MB together, however they are made active or grown", async () => {
    // 500 triggers of 64 KB each made every ticket write of the account (an anonymous request's too) open 32 MB of rules.
    const before = await count(a.tenantId);
    const big = crypto.randomBytes(14_000).toString("base64"); // ~18.7 KB of text a mail
    const mails = Array.from({ length: 3 }, (_, i) => ({ field: "notification_user", value: ["requester_id", `Notice ${i}`, big] }));
    const ids: number[] = [];
    let refused: { status: number; text: string } | undefined;
    for (let i = 0; i < 25 && !refused; i++) {
      const r = await create({ title: `big ${i}`, conditions: when(`big_${i}`), actions: mails });
      if (r.status === 201) ids.push(r.body.trigger.id as number);
      else refused = r;
    }
    expect(refused?.status).toBe(422);
    expect(refused?.text).toMatch(/at most 1048576 bytes/);
    expect(ids.length).toBeGreaterThanOrEqual(15);
    expect(await count(a.tenantId)).toBe(before + ids.length);
    // Inactive, it is kept; made active, refused; one made inactive frees the room.
    const idle = await create({ title: "idle", active: false, conditions: when("idle_x"), actions: mails });
    expect(idle.status, idle.text.slice(0, 200)).toBe(201);
    const idleId = idle.body.trigger.id as number;
    expect((await a.api("PUT", `/api/v2/triggers/${idleId}.json`, { trigger: { active: true } })).status).toBe(422);
    expect((await a.api("GET", `/api/v2/triggers/${idleId}.json`)).body.trigger.active).toBe(false);
    // A small active one grown past the room is refused and kept as it was.
    await ok(a.api("PUT", `/api/v2/triggers/${ids[0]}.json`, { trigger: { active: false } }));
    const small = await create({ title: "small", conditions: when("small_x"), actions: tag("small_y") });
    expect(small.status, small.text.slice(0, 200)).toBe(201);
    const smallId = small.body.trigger.id as number;
    await ok(a.api("PUT", `/api/v2/triggers/${idleId}.json`, { trigger: { active: true } }));
    const grow = await a.api("PUT", `/api/v2/triggers/${smallId}.json`, { trigger: { actions: mails } });
    expect(grow.status, grow.text.slice(0, 200)).toBe(422);
    expect((await a.api("GET", `/api/v2/triggers/${smallId}.json`)).body.trigger.actions).toEqual(tag("small_y"));
    // Renaming or reordering a trigger while the room is full stays possible.
    await ok(a.api("PUT", `/api/v2/triggers/${ids[1]}.json`, { trigger: { title: "renamed" } }));
    for (const id of [...ids, idleId, smallId]) await ok(a.api("DELETE", `/api/v2/triggers/${id}.json`), 204);
    expect(await count(a.tenantId)).toBe(before);
  }, 120_000);
});
